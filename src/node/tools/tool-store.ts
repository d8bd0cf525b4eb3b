import { createHash, type Hash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GoodbotError } from '../../errors.js';
import { fileVersion } from '../host/file-version.js';
import type { ToolRecipe } from '../../tools/catalog.js';

/** What a finished build wrote next to its outputs (`build.json`). */
export interface BuildRecord {
  readonly recipe: string;
  readonly version: string;
  readonly recipeHash: string;
  /** sha256 of each output file, by path relative to the build folder. */
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>;
  readonly builtAt: string;
  readonly durationSeconds: number;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * Where recipes live and where their builds are cached. A build is keyed by
 * the hash of its recipe folder and the shared recipe library, so a changed
 * recipe is a cache miss and an unchanged one is never rebuilt.
 */
export class ToolStore {
  readonly recipesDir: string;
  readonly libDir: string;
  readonly cacheDir: string;
  readonly sourcesDir: string;
  private readonly hashes = new Map<string, string>();
  /** Build records read, with the version (see fileVersion) of the file they were read from. */
  private readonly records = new Map<string, { version: string; record: BuildRecord }>();

  constructor(options: { root?: string; cacheDir?: string } = {}) {
    const root = options.root ?? packageRoot;
    this.recipesDir = join(root, 'wasm-tools', 'recipes');
    this.libDir = join(root, 'wasm-tools', 'lib');
    const cache = options.cacheDir ?? process.env['GOODBOT_TOOLS_DIR'] ?? join(root, '.cache', 'tools');
    this.cacheDir = cache;
    this.sourcesDir = join(root, '.cache', 'sources');
  }

  recipeDir(recipe: ToolRecipe): string {
    return join(this.recipesDir, recipe.name);
  }

  /** sha256 over the recipe folder and `wasm-tools/lib`: names and contents. */
  recipeHash(recipe: ToolRecipe): string {
    const cached = this.hashes.get(recipe.name);
    if (cached !== undefined) return cached;
    const dir = this.recipeDir(recipe);
    if (!existsSync(join(dir, 'build.sh'))) {
      throw new GoodbotError('not-found', `no recipe for ${recipe.name}: ${join(dir, 'build.sh')} is missing`, {
        hint: 'reinstall goodbot; recipes ship in wasm-tools/recipes',
        path: dir,
      });
    }
    const hash = createHash('sha256');
    hash.update(`${recipe.name}\0${recipe.version}\0`);
    for (const base of [dir, this.libDir]) hashFilesUnder(hash, base);
    const digest = hash.digest('hex');
    this.hashes.set(recipe.name, digest);
    return digest;
  }

  /** The folder a build of RECIPE's current version lives in (whether built or not). */
  buildDir(recipe: ToolRecipe): string {
    return join(this.cacheDir, recipe.name, this.recipeHash(recipe).slice(0, 16));
  }

  logFile(recipe: ToolRecipe): string {
    return join(this.cacheDir, recipe.name, 'build.log');
  }

  /** The record of a finished build of the current recipe, or undefined (also when the recipe is missing). */
  record(recipe: ToolRecipe): BuildRecord | undefined {
    if (!this.hashes.has(recipe.name) && !existsSync(join(this.recipeDir(recipe), 'build.sh'))) return undefined;
    const file = join(this.buildDir(recipe), 'build.json');
    // Read again only when the file changed (a build writes a new one): a launch then costs one stat, not a read and parse.
    const version = fileVersion(file);
    if (version === undefined) return undefined;
    let read = this.records.get(file);
    if (read?.version !== version) {
      read = { version, record: JSON.parse(readFileSync(file, 'utf8')) as BuildRecord };
      this.records.set(file, read);
    }
    return read.record.recipeHash === this.recipeHash(recipe) ? read.record : undefined;
  }
}

/** Every regular file under DIR, sorted, so hashes do not depend on readdir order. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) out.push(path);
    }
  };
  walk(dir);
  return out;
}

/** Feeds every file under BASE into HASH: its path relative to BASE, then its bytes. */
export function hashFilesUnder(hash: Hash, base: string): void {
  for (const file of filesUnder(base)) {
    hash.update(`${relative(base, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
}

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { GoodbotError } from '../../errors.js';
import { buildScriptFailure, formatSeconds, runBuildScript } from './build-script.js';
import type { ToolRecipe } from '../../tools/catalog.js';
import { filesUnder, type BuildRecord, type ToolStore } from './tool-store.js';

export { formatSeconds } from './build-script.js';

export interface BuildOptions {
  /** Progress lines (`[python3] configuring`), one per call, without newline. */
  readonly progress?: (line: string) => void;
  /** Rebuild even when a build of the current recipe exists. */
  readonly force?: boolean;
  /** Seconds of silence after which a "still building" line is printed. */
  readonly heartbeatSeconds?: number;
}

/**
 * Builds RECIPE with its `build.sh` into the store, unless the current recipe
 * is built already. The recipe's `==> ` lines are progress; all its output goes
 * to the build log. Outputs appear atomically: a failed or interrupted build
 * never looks built.
 */
export async function buildRecipe(store: ToolStore, recipe: ToolRecipe, options: BuildOptions = {}): Promise<BuildRecord> {
  const existing = store.record(recipe);
  if (existing !== undefined && options.force !== true) return existing;
  const say = (line: string) => options.progress?.(`[${recipe.name}] ${line}`);
  const target = store.buildDir(recipe);
  const base = join(store.cacheDir, recipe.name);
  const out = `${target}.tmp-${process.pid}`;
  const work = join(base, `work-${process.pid}`);
  for (const dir of [out, work]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  mkdirSync(store.sourcesDir, { recursive: true });
  const logPath = store.logFile(recipe);
  const started = performance.now();
  say(`building ${recipe.name} ${recipe.version} from ${recipe.source} (log: ${logPath})`);

  const code = await runBuildScript({
    script: join(store.recipeDir(recipe), 'build.sh'),
    out,
    work,
    sourcesDir: store.sourcesDir,
    libDir: store.libDir,
    recipeDir: store.recipeDir(recipe),
    logPath,
    say,
    heartbeatSeconds: options.heartbeatSeconds ?? 60,
    started,
  });
  if (code !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw buildScriptFailure(recipe.name, code, logPath, `read the whole log in ${logPath}; the work folder ${work} is kept for inspection`);
  }
  rmSync(work, { recursive: true, force: true });
  const files: Record<string, { sha256: string; bytes: number }> = {};
  for (const file of filesUnder(out)) {
    const bytes = readFileSync(file);
    files[relative(out, file)] = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  }
  if (Object.keys(files).length === 0) {
    throw new GoodbotError('runtime', `building ${recipe.name} produced no files`, { hint: `read ${logPath}`, path: logPath });
  }
  const record: BuildRecord = {
    recipe: recipe.name,
    version: recipe.version,
    recipeHash: store.recipeHash(recipe),
    files,
    builtAt: new Date().toISOString(),
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  writeFileSync(join(out, 'build.json'), `${JSON.stringify(record, null, 2)}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(out, target);
  removeOlderBuilds(base, basename(target));
  say(`built in ${formatSeconds(record.durationSeconds)}`);
  return record;
}

/** Builds of earlier recipe versions are never used again: free their space. */
function removeOlderBuilds(base: string, current: string): void {
  for (const entry of readdirSync(base)) {
    if (entry !== current && /^[0-9a-f]{16}$/.test(entry)) rmSync(join(base, entry), { recursive: true, force: true });
  }
}

import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOwnFile, sha256, writeAtomically } from '../host/cache-file.js';
import { GoodbotError } from '../../errors.js';
import { cacheRoot } from '../host/host-dirs.js';
import type { ToolEntry } from '../../tools/catalog.js';
import type { BuildRecord } from './tool-store.js';

/**
 * Checks a folder a tool mounts for itself (python's standard library)
 * against its build record before each launch: only folders and regular
 * files, each one the build made (a planted `sitecustomize.py` is refused),
 * none missing, each with the sha256 the build recorded. A file is hashed
 * once per version (device, inode, size, mtime and ctime: a change of content
 * cannot keep the ctime), and the versions found good are kept in goodbot's
 * cache, so a new process only looks at each file instead of reading it all
 * (for python: about 3 ms instead of 50).
 */
export class BuildTreeCheck {
  /** Build folder -> (file relative to it -> the version whose sha256 matched). */
  private readonly good = new Map<string, Map<string, string>>();

  constructor(private readonly cacheDir: () => string = cacheRoot) {}

  verify(tool: ToolEntry, dir: string, from: string, record: BuildRecord): void {
    const good = this.goodVersions(dir);
    const before = good.size;
    let seen = 0;
    let changed = false;
    const walk = (folder: string, prefix: string) => {
      for (const name of readdirSync(folder)) {
        const path = `${folder}/${name}`;
        const file = `${prefix}/${name}`;
        const stat = lstatSync(path);
        if (stat.isDirectory()) {
          walk(path, file);
          continue;
        }
        const expected = record.files[file]?.sha256;
        if (!stat.isFile() || expected === undefined) throw changedBuild(tool, file, path);
        const version = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
        if (good.get(file) !== version) {
          if (createHash('sha256').update(readFileSync(path)).digest('hex') !== expected) throw changedBuild(tool, file, path);
          good.set(file, version);
          changed = true;
        }
        seen++;
      }
    };
    walk(join(dir, from), from);
    const recorded = Object.keys(record.files).filter((file) => file.startsWith(`${from}/`)).length;
    if (seen !== recorded) throw changedBuild(tool, from, join(dir, from));
    if (changed || good.size !== before) this.save(dir, good);
  }

  private goodVersions(dir: string): Map<string, string> {
    let good = this.good.get(dir);
    if (good === undefined) {
      good = new Map();
      try {
        const kept = readOwnFile(this.recordFile(dir));
        if (kept !== undefined) good = new Map(Object.entries(JSON.parse(kept.toString('utf8')) as Record<string, string>));
      } catch {
        // an unreadable record: every file is hashed again
      }
      this.good.set(dir, good);
    }
    return good;
  }

  private save(dir: string, good: ReadonlyMap<string, string>): void {
    try {
      mkdirSync(join(this.cacheDir(), 'verified'), { recursive: true, mode: 0o700 });
      writeAtomically(this.recordFile(dir), JSON.stringify(Object.fromEntries(good)));
    } catch {
      // a cache that cannot be written only costs time
    }
  }

  private recordFile(dir: string): string {
    return join(this.cacheDir(), 'verified', `${sha256(dir).slice(0, 32)}.json`);
  }
}

/** A build whose FILE is missing, was changed, or was added after it was built. */
export function changedBuild(tool: ToolEntry, file: string, path: string): GoodbotError {
  return new GoodbotError(
    'not-found',
    `${tool.name}: the built ${file} is missing, or was changed after it was built, or the build did not make it`,
    {
      hint: `rebuild it with \`goodbot tools build --force ${tool.name}\``,
      path,
    },
  );
}

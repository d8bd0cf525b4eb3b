import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GoodbotError } from '../../errors.js';
import { cacheRoot } from '../host/host-dirs.js';
import { readOwnFile, sha256 } from '../host/cache-file.js';
import { importsOfGlue, type ComponentShape } from '../../backends/wasm/component-program.js';

/** Bumped when what we write (file names, the glue patch, the manifest) changes. */
const cacheFormat = 3;

const glueFile = 'component.mjs';

/** What a cache entry holds besides the files; written last-but-atomically with them. */
export interface CachedComponent extends ComponentShape {
  readonly format: number;
  /** The jco version that generated the glue: another version regenerates it. */
  readonly transpiler: string;
  readonly glue: string;
  readonly coreModules: readonly string[];
  /** The sha256 of the glue and of each core module, by file name, taken when the entry was made. */
  readonly sha256: Readonly<Record<string, string>>;
}

/** A cache entry with its files read and checked: what runs is exactly these bytes. */
export interface ComponentFiles {
  readonly entry: CachedComponent;
  /** The glue's source text (host JavaScript, imported from this text, never from the file). */
  readonly glue: string;
  readonly coreModules: ReadonlyMap<string, Uint8Array>;
}

let transpilerVersion: string | undefined;

/** The installed transpiler's version, read from its package.json without loading it. */
function currentTranspiler(): string {
  if (transpilerVersion === undefined) {
    const entry = import.meta.resolve('jco-transpiler');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', entry), 'utf8')) as { version: string };
    transpilerVersion = pkg.version;
  }
  return transpilerVersion;
}

/**
 * The generated glue logs through `_debugLog`, whose body reads
 * `process.env.JCO_DEBUG` (a slow getter in Node) several times per host
 * call: a quarter of a call's cost here (about 13 µs -> 10 µs). Every call is
 * a statement whose arguments are still evaluated, so emptying the body
 * changes nothing but the (opt-in) logging.
 */
const debugLogBody = new RegExp(
  [
    String.raw`const _debugLog = \(\.\.\.args\) => \{\s*`,
    String.raw`if \(!globalThis\?\.process\?\.env\?\.JCO_DEBUG\) \{ return; \}\s*`,
    String.raw`console\.debug\(\.\.\.args\);\s*\};?`,
  ].join(''),
  'g',
);

export function withoutDebugLog(glue: string): string {
  return glue.replace(debugLogBody, 'const _debugLog = () => {};');
}

/**
 * The entry in DIR with its files, if it is current and every file is this
 * user's own (not writable by others) and has the sha256 its manifest
 * recorded; undefined otherwise (then it is made anew). A file appended to
 * or swapped after the entry was made is never imported.
 */
function readEntry(dir: string): ComponentFiles | undefined {
  try {
    const manifest = readOwnFile(join(dir, 'manifest.json'));
    if (manifest === undefined) return undefined;
    const entry = JSON.parse(manifest.toString('utf8')) as CachedComponent;
    if (entry.format !== cacheFormat || entry.transpiler !== currentTranspiler()) return undefined;
    const checked = (file: string): Buffer | undefined => {
      const bytes = readOwnFile(join(dir, file));
      return bytes !== undefined && sha256(bytes) === entry.sha256[file] ? bytes : undefined;
    };
    const glue = checked(entry.glue);
    const coreModules = new Map<string, Uint8Array>();
    for (const file of entry.coreModules) {
      const bytes = checked(file);
      if (bytes === undefined) return undefined;
      coreModules.set(file, bytes);
    }
    return glue === undefined ? undefined : { entry, glue: glue.toString('utf8'), coreModules };
  } catch {
    return undefined;
  }
}

/**
 * The cached component (by the sha256 of its bytes): the jco-transpiled glue
 * (ESM) and its core modules, read and checked. A missing, stale or altered
 * entry is transpiled and published atomically: written to a temporary
 * directory, then renamed into place, so readers see all of it or none. What
 * is returned is what was transpiled or checked, whether or not it could be
 * written.
 */
export async function cachedComponent(bytes: Uint8Array, hash: string, name: string): Promise<ComponentFiles> {
  const components = join(cacheRoot(), 'components');
  const dir = join(components, hash);
  const cached = readEntry(dir);
  if (cached) return cached;

  const { transpile } = await import('jco-transpiler');
  let files: Record<string, Uint8Array>;
  let exports: [string, string][];
  try {
    ({ files, exports } = await transpile(bytes, { name: 'component', instantiation: 'sync' }));
  } catch (error) {
    const reason = (error as Error)?.message ?? String(error);
    throw new GoodbotError('invalid-program', `${name} is not a valid component: ${reason}`, {
      hint: 'check that the file is a complete WebAssembly component (wasm-tools validate)',
      path: name,
      cause: error,
    });
  }
  const glue = files['component.js'];
  if (glue === undefined) throw new GoodbotError('runtime', `transpiling ${name} produced no component.js`);
  const source = withoutDebugLog(new TextDecoder().decode(glue));
  const coreModules = new Map(
    Object.keys(files)
      .filter((file) => !file.includes('/') && file.endsWith('.wasm'))
      .map((file) => [file, files[file]!] as const),
  );
  const entry: CachedComponent = {
    format: cacheFormat,
    transpiler: currentTranspiler(),
    glue: glueFile,
    coreModules: [...coreModules.keys()],
    imports: importsOfGlue(source),
    runExport: exports.find(([key, kind]) => kind === 'instance' && key.startsWith('wasi:cli/run@'))?.[0],
    sha256: Object.fromEntries([[glueFile, sha256(source)], ...[...coreModules].map(([file, core]) => [file, sha256(core)])]),
  };
  try {
    mkdirSync(components, { recursive: true, mode: 0o700 });
    const temp = join(components, `${hash}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(temp, { mode: 0o700 });
    try {
      writeFileSync(join(temp, glueFile), source, { mode: 0o644 });
      for (const [file, core] of coreModules) writeFileSync(join(temp, file), core, { mode: 0o644 });
      writeFileSync(join(temp, 'manifest.json'), JSON.stringify(entry, null, 2), { mode: 0o644 });
      publish(temp, dir);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  } catch {
    // A cache that cannot be written (read-only, full, another user's) only costs time.
  }
  return { entry, glue: source, coreModules };
}

/** Moves a finished entry into place; a stale or altered one is moved aside first, a good one from another process wins. */
function publish(temp: string, dir: string): void {
  try {
    renameSync(temp, dir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
  if (readEntry(dir)) return;
  const stale = `${dir}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  renameSync(dir, stale);
  rmSync(stale, { recursive: true, force: true });
  renameSync(temp, dir);
}

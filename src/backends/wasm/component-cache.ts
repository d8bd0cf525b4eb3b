import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GoodbotError } from '../../errors.js';
import { importsOfGlue, type ComponentShape } from './component-program.js';

/** Bumped when what we write (file names, the glue patch, the manifest) changes. */
const cacheFormat = 2;

const glueFile = 'component.mjs';

/** What a cache entry holds besides the files; written last-but-atomically with them. */
export interface CachedComponent extends ComponentShape {
  readonly format: number;
  /** The jco version that generated the glue: another version regenerates it. */
  readonly transpiler: string;
  readonly glue: string;
  readonly coreModules: readonly string[];
}

/** `$GOODBOT_CACHE_DIR`, else `$XDG_CACHE_HOME/goodbot`, else `~/.cache/goodbot`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['GOODBOT_CACHE_DIR'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'goodbot');
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

function readEntry(dir: string): CachedComponent | undefined {
  try {
    const entry = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as CachedComponent;
    return entry.format === cacheFormat && entry.transpiler === currentTranspiler() ? entry : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cache directory of a component (by the sha256 of its bytes), holding
 * the jco-transpiled glue (ESM, `.mjs`) and its core modules. A missing or
 * stale entry is transpiled and published atomically: written to a temporary
 * directory, then renamed into place, so readers see all of it or none.
 */
export async function cachedComponent(
  bytes: Uint8Array,
  hash: string,
  name: string,
): Promise<{ dir: string; entry: CachedComponent }> {
  const components = join(cacheRoot(), 'components');
  const dir = join(components, hash);
  const cached = readEntry(dir);
  if (cached) return { dir, entry: cached };

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
  const coreModules = Object.keys(files).filter((file) => !file.includes('/') && file.endsWith('.wasm'));
  const entry: CachedComponent = {
    format: cacheFormat,
    transpiler: currentTranspiler(),
    glue: glueFile,
    coreModules,
    imports: importsOfGlue(source),
    runExport: exports.find(([key, kind]) => kind === 'instance' && key.startsWith('wasi:cli/run@'))?.[0],
  };

  mkdirSync(components, { recursive: true, mode: 0o700 });
  const temp = join(components, `${hash}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(temp);
  try {
    writeFileSync(join(temp, glueFile), source);
    for (const file of coreModules) writeFileSync(join(temp, file), files[file]!);
    writeFileSync(join(temp, 'manifest.json'), JSON.stringify(entry, null, 2));
    publish(temp, dir);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return { dir, entry: readEntry(dir) ?? entry };
}

/** Moves a finished entry into place; a stale one is moved aside first, a fresh one from another process wins. */
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

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import * as shimModule from '@bytecodealliance/preview2-shim';
import { cachedComponent } from '../src/node/platform/component-cache.js';
import { importGlue } from '../src/node/platform/component-loader.js';

/**
 * A peer: the same component run by jco's glue over
 * `@bytecodealliance/preview2-shim` (its Node build), as jco users run one.
 * The shim keeps one WASI state per process (arguments, preopens, stdio), so
 * this contender sets it once; its output goes to OUTPUT_FILE (truncated
 * before each run and checked after it, so a run that printed nothing
 * fails). Not a sandbox (docs/security.md says why): a peer for speed only.
 */
export async function preview2ShimRunner(options: {
  component: string;
  args: readonly string[];
  preopens: Record<string, string>;
  outputFile: string;
  expectedBytes: number;
}): Promise<() => void> {
  const bytes = readFileSync(options.component);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const { entry, glue: source, coreModules } = await cachedComponent(bytes, hash, options.component);
  if (entry.runExport === undefined) throw new Error(`${options.component} exports no wasi:cli/run`);
  const modules = new Map<string, WebAssembly.Module>();
  for (const [file, core] of coreModules) modules.set(file, new WebAssembly.Module(core as BufferSource));
  const glue = await importGlue(source);

  const output = openForWriting(options.outputFile);
  shim.cli._setArgs([...options.args]);
  shim.cli._setEnv({});
  shim.filesystem._setPreopens(options.preopens);
  const imports = shimImports(Object.keys(entry.imports));
  const runKey = entry.runExport;
  return () => {
    output.setSize(0n);
    const stdout = output.writeViaStream(0n);
    shim.cli._setStdout(stdout);
    const instance = glue.instantiate((path) => modules.get(path)!, imports) as Record<string, { run(): void }>;
    instance[runKey]!.run();
    stdout[disposeSymbol]?.();
    const written = statSync(options.outputFile).size;
    if (written !== options.expectedBytes) throw new Error(`preview2-shim printed ${written} bytes, not ${options.expectedBytes}`);
  };
}

/** The parts of the shim's Node build used here (its published types do not declare the `_set…` configuration functions). */
interface Shim {
  cli: { _setArgs(args: string[]): void; _setEnv(env: Record<string, string>): void; _setStdout(stream: unknown): void };
  filesystem: { _setPreopens(preopens: Record<string, string>): void; _getPreopens(): Array<[unknown, string]>; _clearPreopens(): void };
}
const shim = shimModule as unknown as Shim & Record<string, Record<string, unknown>>;

/** The symbol the shim's resources are dropped with. */
const disposeSymbol: unique symbol = (Symbol.dispose ?? Symbol.for('dispose')) as never;

/** The shim's interfaces under the glue's keys: `wasi:cli/terminal-input` is `cli.terminalInput`. */
function shimImports(keys: readonly string[]): Record<string, Record<string, unknown>> {
  const imports: Record<string, Record<string, unknown>> = {};
  for (const key of keys) {
    const match = /^wasi:([a-z]+)\/([a-z-]+)$/.exec(key);
    const domain = match ? shim[match[1]!] : undefined;
    const member = match ? match[2]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) : '';
    if (!domain?.[member]) throw new Error(`preview2-shim has no ${key}`);
    imports[key] = domain[member] as Record<string, unknown>;
  }
  return imports;
}

interface ShimDescriptor {
  openAt(pathFlags: object, path: string, openFlags: object, flags: object): ShimDescriptor;
  setSize(size: bigint): void;
  writeViaStream(offset: bigint): { [disposeSymbol]?: () => void };
}

/** A shim descriptor of FILE, opened for writing through a preopen of its folder (removed again). */
function openForWriting(file: string): ShimDescriptor {
  shim.filesystem._setPreopens({ '/out': dirname(file) });
  const [[folder]] = shim.filesystem._getPreopens() as Array<[ShimDescriptor, string]> as [[ShimDescriptor, string]];
  const name = file.slice(dirname(file).length + 1);
  const descriptor = folder.openAt({}, name, { create: true, truncate: true }, { write: true });
  shim.filesystem._clearPreopens();
  return descriptor;
}

#!/usr/bin/env node
// Builds the test and benchmark guests (our own C programs) into .cache/guests/:
// core modules with Debian's clang + wasi-libc, and components by wrapping them
// with jco's preview1 command adapter (from jco-transpiler, the jco the runtime
// transpiles with). Rebuilds only what changed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'wasm-tools', 'guests');
const out = join(root, '.cache', 'guests');
const adapterPath = join(root, 'node_modules/jco-transpiler/lib/wasi_snapshot_preview1.command.wasm');
const witDeps = join(root, 'node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12');

// clang runs any `wasm-opt` in PATH after linking, without the features our
// guests use (exception handling); `npm run` puts binaryen's first. Keep it out.
const clangEnv = {
  ...process.env,
  PATH: (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => !dir.endsWith('/node_modules/.bin'))
    .join(':'),
};
const clangFlags = ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-Wall', '-Werror', '-Wl,--strip-all'];

/** name -> how to build it. `component`: also wrap it; `wit`: embed this world first (reactor build). */
const guests = [
  { name: 'probe', source: 'probe.c', component: true },
  { name: 'cat', source: 'cat.c', component: true },
  { name: 'netprobe', source: 'netprobe.c', wit: 'netprobe.wit', world: 'goodbot:netprobe/netprobe' },
  { name: 'wasi-checks', source: 'wasi-checks.c' },
  // CPU-bound workloads for the metering benchmark (bench/metering.ts).
  { name: 'cpu-bench', source: 'cpu-bench.c' },
  // The self-test of our setjmp/longjmp runtime (wasm-tools/lib/sjlj), which the tool recipes use.
  {
    name: 'sjlj-test',
    source: '../lib/sjlj/sjlj-test.c',
    extra: ['../lib/sjlj/sjlj.c'],
    flags: ['-I', join(root, 'wasm-tools/lib/sjlj/include'), '-mllvm', '-wasm-enable-sjlj'],
  },
].filter((guest) => existsSync(join(sources, guest.source)));

mkdirSync(out, { recursive: true });
const headers = readdirSync(sources)
  .filter((file) => file.endsWith('.h'))
  .sort();
const adapter = readFileSync(adapterPath);
const stampOf = (guest) => {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ guest, clangFlags }));
  hash.update(readFileSync(join(sources, guest.source)));
  for (const extra of guest.extra ?? []) hash.update(readFileSync(join(sources, extra)));
  for (const header of headers) hash.update(readFileSync(join(sources, header)));
  if (guest.wit) hash.update(readFileSync(join(sources, guest.wit)));
  hash.update(adapter);
  return hash.digest('hex');
};

let wasmTools;
const tools = async () => (wasmTools ??= await import('jco-transpiler'));

for (const guest of guests) {
  const stampFile = join(out, `${guest.name}.stamp`);
  const stamp = stampOf(guest);
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) continue;
  process.stdout.write(`  building guest ${guest.name}\n`);
  const core = join(out, `${guest.name}.wasm`);
  const flags = [...clangFlags, ...(guest.wit ? ['-mexec-model=reactor'] : []), ...(guest.flags ?? [])];
  const files = [guest.source, ...(guest.extra ?? [])].map((file) => join(sources, file));
  execFileSync('clang', [...flags, ...files, '-o', core], { stdio: 'inherit', env: clangEnv });
  if (guest.component || guest.wit) {
    const { componentEmbed, componentNew } = await tools();
    let bytes = readFileSync(core);
    if (guest.wit) {
      // jco's wasm-tools runs on preview2-shim (the top-level copy, which
      // package.json pins to jco-transpiler's range), and sees only preopened folders.
      const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
      const witDir = join(out, `${guest.name}-wit`);
      rmSync(witDir, { recursive: true, force: true });
      mkdirSync(witDir, { recursive: true });
      cpSync(join(sources, guest.wit), join(witDir, 'world.wit'));
      cpSync(witDeps, join(witDir, 'deps'), { recursive: true, dereference: true });
      _setPreopens({ '/': '/' });
      bytes = await componentEmbed({ binary: bytes, witPath: witDir, world: guest.world });
    }
    const component = await componentNew(bytes, [['wasi_snapshot_preview1', adapter]]);
    writeFileSync(join(out, `${guest.name}.component.wasm`), component);
  }
  writeFileSync(stampFile, stamp);
}

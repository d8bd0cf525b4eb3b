// Bundles the built command line (dist/node, from tsc) into dist/bundle with
// esbuild: the CLI's entry and the worker scripts it starts, in the same
// layout as dist/node (dist/bundle/cli/run-cli.js, .../workers/sandbox-worker.js…),
// so the paths the code computes from its own location (the package root
// three folders up, a worker one folder over) hold in both. Code shared
// between them is split into chunks beside the entry (dist/bundle/cli/),
// loaded only by the commands that use it. A cold `goodbot exec` then loads
// a few files instead of some 300 modules (a third of them zod's locales,
// which the bundle leaves out). Packages with native parts or that are
// loaded only on some paths stay outside, loaded from node_modules.
import { rmSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'dist', 'node');
const out = join(root, 'dist', 'bundle');

/**
 * zod re-exports all its 64 locales as one namespace (`z.locales`), which a
 * bundler must keep whole: some 400 KB a cold start would parse. goodbot
 * uses only English, imported by name (`zod/v4/locales/en.js`), and never
 * `z.locales`; in the bundle that namespace holds English alone.
 */
const englishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}node_modules${sep}zod${sep}`)
        ? { path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: ['cli/run-cli.js', 'workers/sandbox-worker.js', 'platform/process-worker.js', 'network/broker-worker.js'].map((entry) =>
    join(from, entry),
  ),
  outbase: from,
  outdir: out,
  chunkNames: 'cli/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // jco's transpiler (large, only for components) and dockerode (native optional parts) load from node_modules.
  external: ['jco-transpiler', 'dockerode', '*.node'],
  plugins: [englishOnly],
  logLevel: 'warning',
});

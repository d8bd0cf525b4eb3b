/**
 * Which way imports in src/ may point: the one place that says it.
 * test/architecture/import-rules.ts checks every import against it, in
 * `npm test` and in `npm run lint:imports`.
 *
 * Modules are named by path prefix from the repository root: a path ending
 * in `/` is a folder (everything under it), any other path is one file. When
 * prefixes overlap, the longest one decides.
 */
import type { ImportRules } from './import-rules.js';

export const importRules: ImportRules = {
  /**
   * Top to bottom. A module may import its own layer and the layers below
   * it, never one above. Every file in src/ sits in exactly one layer.
   */
  layers: [
    { name: 'entry points', modules: ['src/node/index.ts', 'src/browser/index.ts'] },
    { name: 'cli', modules: ['src/node/cli/'] },
    { name: 'workers', modules: ['src/node/workers/'] },
    { name: 'browser', modules: ['src/browser/'] },
    { name: 'run', modules: ['src/run/sandbox.ts', 'src/run/events.ts', 'src/run-authority.ts', 'src/run/', 'src/backends/platform.ts', 'src/node/platform/node-platform.ts'] },
    { name: 'backends', modules: ['src/backends/'] },
    { name: 'network', modules: ['src/node/network/'] },
    { name: 'tools', modules: ['src/tools/'] },
    { name: 'wasi', modules: ['src/wasi/'] },
    { name: 'limits', modules: ['src/limits/'] },
    { name: 'zones', modules: ['src/zones/'] },
    { name: 'audit', modules: ['src/audit/'] },
    { name: 'policy', modules: ['src/policy/'] },
    { name: 'shared', modules: ['src/errors.ts', 'src/bytes.ts', 'src/edit-distance.ts', 'src/node/host/host-dirs.ts', 'src/node/host/process-alive.ts'] },
  ],

  /**
   * Modules that run only on Node. Everything else in src/ is portable (the
   * browser build uses it unchanged): it imports no `node:*` module, no
   * package outside `portablePackages` and no module listed here.
   */
  nodeOnly: [
    'src/node/index.ts',
    'src/node/platform/node-platform.ts',
    'src/node/host/host-dirs.ts',
    'src/node/host/process-alive.ts',
    'src/node/cli/',
    'src/node/workers/',
    'src/node/network/',
    'src/node/docker/',
    'src/node/audit/jsonl-file.ts',
    'src/node/host/cache-file.ts',
    'src/node/platform/component-cache.ts',
    'src/node/platform/component-loader.ts',
    'src/node/platform/metered-cache.ts',
    'src/node/platform/program-loader.ts',
    'src/node/policy/load-file.ts',
    'src/node/tools/build-lock.ts',
    'src/node/tools/build-script.ts',
    'src/node/tools/build-tree-check.ts',
    'src/node/tools/builder.ts',
    'src/node/platform/tool-launcher.ts',
    'src/node/tools/tool-store.ts',
    'src/node/zones/guarded-host-folder.ts',
    'src/node/zones/host-folder.ts',
    'src/node/zones/native-times.ts',
    'src/node/zones/protected-paths.ts',
  ],

  /** npm packages that run in a browser as well as on Node. */
  portablePackages: ['zod', 'yaml', 'ipaddr.js', 'memfs'],

  /**
   * Imports that break a rule today, each allowed by name until it is fixed.
   * One that no longer matches any import fails the check: delete it then.
   */
  exceptions: [
    {
      name: 'policy compiles against the tool catalog',
      from: 'src/policy/compile.ts',
      to: 'src/tools/catalog.ts',
      fix: 'pass the catalog names into the policy compiler, or move what it needs below policy',
    },
    {
      name: 'the run limiter and the WASI core import each other',
      from: 'src/limits/run-limiter.ts',
      to: 'src/wasi/common/',
      fix: 'move the clock, interrupt and stdio types the limiter needs down into limits (or a shared module)',
    },
    {
      name: 'the sandbox worker borrows the CLI stdio',
      from: 'src/node/workers/sandbox-worker.ts',
      to: 'src/node/platform/host-stdio.ts',
      fix: 'move host-stdio below both (a Node-only module they share)',
    },
    {
      name: 'backends name the platform',
      from: 'src/backends/',
      to: 'src/backends/platform.ts',
      fix: 'move LoadedProgram and ToolLaunch down into backends, and hand backends the Platform services they use through the Backend interface',
    },
    {
      name: 'backends take the request type from the sandbox',
      from: 'src/backends/',
      to: 'src/run/sandbox.ts',
      fix: 'move ExecRequest down next to the Backend interface',
    },
    {
      name: 'the Backend interface takes the result type from the run layer',
      from: 'src/backends/backend.ts',
      to: 'src/run/events.ts',
      fix: 'move RunResult (and the event types it names) down next to the Backend interface',
    },
    {
      name: 'the tool launcher loads programs through the wasm backend',
      from: 'src/node/platform/tool-launcher.ts',
      to: 'src/node/platform/program-loader.ts',
      fix: 'have the launcher return paths and let the backend load them, or move the launcher above backends',
    },
    {
      name: 'the tool launcher names the platform',
      from: 'src/node/platform/tool-launcher.ts',
      to: 'src/backends/platform.ts',
      fix: 'move ToolLaunch down next to the catalog',
    },
    {
      name: 'the build-tree check reuses the wasm cache file writer',
      from: 'src/node/tools/build-tree-check.ts',
      to: 'src/node/host/cache-file.ts',
      fix: 'move cache-file to a Node-only module below both',
    },
    {
      name: 'the network broker starts its worker with the pool helper',
      from: 'src/node/network/broker-transport.ts',
      to: 'src/node/host/start-worker.ts',
      fix: 'move start-worker to a Node-only module below both',
    },
    {
      name: 'the policy digest takes the redaction marker from audit',
      from: 'src/policy/digest.ts',
      to: 'src/audit/events.ts',
      fix: 'define the redaction marker in policy (audit already sits above it) and import it from there',
    },
  ],
};

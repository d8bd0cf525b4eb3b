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
    { name: 'mcp', modules: ['src/node/mcp/'] },
    { name: 'node sessions', modules: ['src/node/sessions/'] },
    { name: 'session', modules: ['src/session/'] },
    { name: 'workers', modules: ['src/node/workers/'] },
    { name: 'platforms', modules: ['src/node/platform/', 'src/browser/'] },
    { name: 'native backends', modules: ['src/node/docker/', 'src/node/namespace/'] },
    { name: 'tool store', modules: ['src/node/tools/'] },
    { name: 'node services', modules: ['src/node/zones/', 'src/node/network/', 'src/node/audit/', 'src/node/policy/'] },
    { name: 'node host', modules: ['src/node/host/'] },
    { name: 'run', modules: ['src/run/'] },
    { name: 'shell', modules: ['src/shell/'] },
    { name: 'backends', modules: ['src/backends/'] },
    { name: 'wasi', modules: ['src/wasi/'] },
    { name: 'limits', modules: ['src/limits/'] },
    { name: 'zones', modules: ['src/zones/'] },
    { name: 'errno', modules: ['src/errno.ts'] },
    { name: 'audit', modules: ['src/audit/'] },
    { name: 'policy', modules: ['src/policy/'] },
    { name: 'tool catalog', modules: ['src/tools/'] },
    { name: 'base', modules: ['src/errors.ts', 'src/bytes.ts', 'src/edit-distance.ts'] },
  ],

  /**
   * Modules that run only on Node: everything under src/node/. Everything
   * else in src/ is portable (the browser build uses it unchanged): it
   * imports no `node:*` module, no package outside `portablePackages` and
   * nothing from src/node/.
   */
  nodeOnly: ['src/node/'],

  /** npm packages that run in a browser as well as on Node. */
  portablePackages: ['zod', 'yaml', 'ipaddr.js', 'memfs'],

  /**
   * Imports that break a rule today, each allowed by name until it is fixed.
   * One that no longer matches any import fails the check: delete it then.
   */
  exceptions: [],
};

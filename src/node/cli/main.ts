#!/usr/bin/env node
import { statSync } from 'node:fs';

/**
 * `goodbot`: runs the command line from the bundle `npm run build` makes
 * (wasm-tools/bundle-cli.mjs: one file per command and worker instead of
 * some 300 modules, zod's unused parts left out), which starts in about
 * two thirds of the time; from the modules as built when there is no
 * bundle or it is older than they are (a `tsc` run since), so it never
 * runs stale code.
 */
const built = new URL('./run-cli.js', import.meta.url);
const bundled = new URL('../../bundle/cli/run-cli.js', import.meta.url);
await import((newer(bundled, built) ? bundled : built).href);

/** Whether A exists and was written no earlier than B. */
function newer(a: URL, b: URL): boolean {
  try {
    return statSync(a).mtimeMs >= statSync(b).mtimeMs;
  } catch {
    return false;
  }
}

import { setFlagsFromString } from 'node:v8';

let enabled = false;

/**
 * Lets V8 read the branch hints the fuel rewriter writes (the
 * `metadata.code.branch_hint` section marking each out-of-fuel slow path as
 * unlikely). Without them V8 lays the slow path's call out inline and a
 * metered C loop runs about 1.1x slower (bench/metering.ts). The hints
 * change code layout only, never behaviour. V8 11-12 (Node 20-22) have them
 * behind this flag; other versions are left alone (later ones read hints
 * by default, and an unknown flag would print an error).
 */
export function enableBranchHints(): void {
  if (enabled) return;
  enabled = true;
  const major = Number(process.versions.v8.split('.')[0]);
  if (major >= 11 && major <= 12) setFlagsFromString('--experimental-wasm-branch-hinting');
}

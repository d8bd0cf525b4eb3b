import { existsSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createSandbox, type RunResult, type SandboxConfig } from '../../src/node/index.js';

export const repoRoot = resolve(import.meta.dirname, '../..');

/** A guest built by wasm-tools/build-guests.mjs (run by vitest's global setup). */
export function guest(name: string): string {
  const path = join(repoRoot, '.cache', 'guests', name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run 'npm test', which builds the guests`);
  return path;
}

export const probe = (): string => guest('probe.wasm');

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'goodbot-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export type TreeEntry = string | { symlink: string } | null;

/** Creates files (string), empty folders (null) and symlinks under `root`. */
export function makeTree(root: string, tree: Record<string, TreeEntry>): void {
  for (const [path, entry] of Object.entries(tree)) {
    const full = join(root, path);
    mkdirSync(entry === null ? full : dirname(full), { recursive: true });
    if (typeof entry === 'string') writeFileSync(full, entry);
    else if (entry !== null) symlinkSync(entry.symlink, full);
  }
}

export function removeTree(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/** Runs probe commands (joined with ';') in a sandbox with `config`. */
export async function runProbe(config: SandboxConfig, ...commands: string[][]): Promise<RunResult> {
  const args = commands.flatMap((command, i) => (i === 0 ? command : [';', ...command]));
  return createSandbox(config).exec({ program: probe(), args }).result;
}

/** The probe's report line for `command` (e.g. `read: ok hi`). */
export function lines(result: RunResult): string[] {
  return result.stdout.split('\n').filter(Boolean);
}

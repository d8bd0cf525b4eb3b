import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createNodePlatform } from '../../src/node/platform/node-platform.js';
import { Authority } from '../../src/policy/authority.js';
import { compileSandboxConfig } from '../../src/policy/compile.js';
import type { Denial } from '../../src/policy/types.js';
import { runShell, type ShellRun } from '../../src/shell/shell.js';
import { BufferedInput, CallbackOutput } from '../../src/wasi/common/stdio.js';
import { ZoneVolume } from '../../src/zones/zone-volume.js';
import { DeviceFolderStore } from '../../src/zones/device-folder.js';
import { runZoneSpecs } from '../../src/backends/wasm/run-zones.js';

export interface ShellOutcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

/** A folder of FILES in the host's temp folder (resolved, so the shell's guest paths and bash's host paths read the same). */
export function projectFolder(files: Readonly<Record<string, string>>): { dir: string; remove: () => void } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'goodbot-shell-')));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** LINE run by the host's bash in DIR, in the C locale, with only HOME and PATH set. */
export function bash(line: string, dir: string, stdin = ''): ShellOutcome {
  const result = spawnSync('bash', ['-c', line], {
    cwd: dir,
    input: stdin,
    encoding: 'utf8',
    env: { HOME: dir, PATH: process.env['PATH'], LC_ALL: 'C' },
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? -1 };
}

/**
 * LINE run by goodbot's shell with DIR as its one zone (read-write unless
 * said), mounted at the same guest path as its host path, with HOME=DIR;
 * with the denials the zone's checks made.
 */
export async function goodbotShell(
  line: string,
  dir: string,
  options: { stdin?: string; access?: 'ro' | 'rw'; run?: Partial<ShellRun> } = {},
): Promise<ShellOutcome & { denials: readonly Denial[] }> {
  const policy = compileSandboxConfig(
    { zones: [{ name: 'project', mode: options.access ?? 'rw', hostPath: dir, guestPath: dir }] },
    { file: '<test>', baseDir: dir },
  );
  const platform = createNodePlatform();
  const authority = new Authority();
  let stdout = '';
  let stderr = '';
  const decoder = new TextDecoder();
  const stdio = {
    stdin: new BufferedInput(new TextEncoder().encode(options.stdin ?? '')),
    stdout: new CallbackOutput((chunk) => (stdout += decoder.decode(chunk, { stream: true }))),
    stderr: new CallbackOutput((chunk) => (stderr += decoder.decode(chunk, { stream: true }))),
  };
  const volumes = runZoneSpecs(policy.zones).map(
    (spec) =>
      new ZoneVolume(
        spec,
        spec.kind === 'devices' ? new DeviceFolderStore({ ...stdio, random: platform.random }) : platform.zoneStore(spec),
        authority,
      ),
  );
  try {
    const status = await runShell({
      args: ['-c', line],
      name: 'bash',
      env: [
        ['HOME', dir],
        ['PATH', '/usr/bin:/bin'],
      ],
      cwd: dir,
      preopens: volumes.map((volume) => ({ guestPath: volume.spec.guestPath, dir: volume.root })),
      ...stdio,
      ...options.run,
    });
    return { stdout, stderr, status, denials: authority.denials };
  } finally {
    for (const volume of volumes) volume.unmount();
  }
}

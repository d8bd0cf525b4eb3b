import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/node/index.js';
import { busyboxApplets } from '../../src/tools/catalog.js';
import { agentFiles, commandLines } from './command-lines.js';

/** A folder of `agentFiles`, at its real path (so goodbot's guest paths and bash's host paths read the same). */
function project(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'goodbot-corpus-')));
  for (const [path, text] of Object.entries(agentFiles)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

let bin: string;

beforeAll(() => {
  // bash's PATH: BusyBox's applets (the catalog's tools are its applets, built for WASI) and the host's interpreters.
  bin = mkdtempSync(join(tmpdir(), 'goodbot-busybox-'));
  // timeout is goodbot's builtin; bash gets BusyBox's.
  for (const applet of [...busyboxApplets, 'timeout']) symlinkSync('/bin/busybox', join(bin, applet));
  for (const tool of ['python3', 'jq', 'sqlite3', 'bash']) {
    const path = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (path) symlinkSync(path, join(bin, tool));
  }
  symlinkSync('/bin/bash', join(bin, 'sh'));
});

afterAll(() => rmSync(bin, { recursive: true, force: true }));

describe('agent command lines: goodbot against bash with BusyBox', () => {
  it('give the same output and exit status, line by line', { timeout: 600_000 }, async () => {
    const differences: unknown[] = [];
    for (const line of commandLines) {
      const ours = project();
      const theirs = project();
      try {
        const result = await createSandbox({
          zones: [{ name: 'project', mode: 'rw', hostPath: ours, guestPath: ours }],
          cwd: ours,
          env: { set: { HOME: ours } },
          limits: { timeout: '20s' },
        }).exec({ program: 'bash', args: ['-c', line] }).result;
        const host = spawnSync('bash', ['-c', line], {
          cwd: theirs,
          encoding: 'utf8',
          env: { PATH: bin, HOME: theirs, LC_ALL: 'C' },
          timeout: 20_000,
        });
        const got = { stdout: result.stdout.split(ours).join('<project>'), status: result.exitCode };
        const want = { stdout: host.stdout.split(theirs).join('<project>'), status: host.status };
        if (got.stdout !== want.stdout || got.status !== want.status)
          differences.push({ line, goodbot: { ...got, stderr: result.stderr }, bash: { ...want, stderr: host.stderr } });
      } finally {
        rmSync(ours, { recursive: true, force: true });
        rmSync(theirs, { recursive: true, force: true });
      }
    }
    expect(differences).toEqual([]);
    expect(commandLines.length).toBeGreaterThanOrEqual(200);
  });
});

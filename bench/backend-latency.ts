import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createSandbox } from '../src/node/index.js';
import { bubblewrap } from '../src/node/namespace/namespace-tools.js';
import { namespaceAvailability } from '../src/node/namespace/availability.js';
import { interleaved, type Contender, type Timing } from './interleaved.js';

/** sandbox-runtime's own start-up is about a second: it runs every this many rounds. */
const peerEvery = 4;

/** Long enough for the namespace backend to make the sandbox for the next run (about 35 ms here) before another contender runs. */
const prestartSettleMs = 150;

/**
 * What a run costs on each backend for a trivial tool (`true`) and a small
 * one (`cat` of 4 KiB from a read-only zone), side by side: goodbot's
 * namespace backend (launcher, bwrap, init, the command; a cgroup and
 * idmapped zones when run as root), as a library runs it (the sandbox made
 * ahead, after the previous run, so a run only hands init its request) and
 * cold (as `goodbot exec` runs it: all of that on the run's path), bubblewrap alone with the same
 * namespaces (the floor goodbot's hardening stands on), goodbot's Docker
 * backend (a fresh hardened container per run, through the engine's API),
 * sandbox-runtime (`srt`, Anthropic's bubblewrap sandbox, as a peer),
 * goodbot's WebAssembly backend (BusyBox, warm) and a native spawn.
 */
export async function backendLatency(options: { rounds: number; root: string; docker: boolean }): Promise<Timing[]> {
  const zone = mkdtempSync(join(tmpdir(), 'goodbot-bench-backends-'));
  writeFileSync(join(zone, 'file.txt'), 'x'.repeat(4095) + '\n');
  chmodSync(zone, 0o755); // the container's user (nobody, under a root goodbot) reads it; the namespace backend's idmapped mount needs no such step
  const settings = join(zone, 'srt-settings.json');
  writeFileSync(
    settings,
    JSON.stringify({ network: { allowedDomains: [], deniedDomains: [] }, filesystem: { denyRead: [], allowWrite: [], denyWrite: [] } }),
  );
  const config = (backend: 'wasm' | 'docker' | 'namespace') => ({
    backend,
    zones: [{ name: 'input', mode: 'ro' as const, hostPath: zone, guestPath: '/input' }],
    docker: { mountRoots: [zone] },
  });
  const sandboxes = {
    wasm: createSandbox(config('wasm')),
    docker: createSandbox(config('docker')),
    namespace: createSandbox(config('namespace')),
    'namespace-cold': createSandbox(config('namespace'), { prestart: false }),
  };
  const goodbot = (sandbox: keyof typeof sandboxes, program: string, args: string[], expected: string): Contender => {
    const backend = sandbox === 'namespace-cold' ? 'namespace' : sandbox;
    const label = { wasm: ', warm', docker: '', namespace: '', 'namespace-cold': ', cold (no sandbox made ahead)' }[sandbox];
    return {
      name: `goodbot ${backend} backend: ${program === 'true' ? 'true' : 'cat 4 KiB'}${label}`,
      run: async () => {
        const result = await sandboxes[sandbox].exec({ program, args }).result;
        const prestarted = sandbox === 'namespace' ? true : sandbox === 'namespace-cold' ? false : undefined;
        if (result.exitCode !== 0 || result.backend !== backend || result.stdout !== expected || result.prestarted !== prestarted) {
          throw new Error(`${sandbox} ${program}: ${result.status} ${result.exitCode} prestarted ${result.prestarted} ${result.stderr}`);
        }
      },
      ...(sandbox === 'namespace' && { settle: () => new Promise((resolve) => setTimeout(resolve, prestartSettleMs)) }),
    };
  };
  const spawned = (name: string, command: string, args: string[], expected: string, everyRounds = 1): Contender => ({
    name,
    everyRounds,
    run: () => {
      const result = spawnSync(command, args, { encoding: 'utf8' });
      if (result.status !== 0 || result.stdout !== expected) throw new Error(`${name}: exit ${result.status}: ${result.stderr}`);
    },
  });
  const content = 'x'.repeat(4095) + '\n';
  const contenders: Contender[] = [
    goodbot('wasm', 'true', [], ''),
    goodbot('wasm', 'cat', ['/input/file.txt'], content),
    spawned('native spawn of /bin/true', '/bin/true', [], ''),
    spawned('native spawn of cat 4 KiB', '/bin/cat', [join(zone, 'file.txt')], content),
  ];
  if (namespaceAvailability().works) {
    // The first run of a policy is cold: it leaves the sandbox the timed runs start from.
    await sandboxes.namespace.exec({ program: 'true', args: [] }).result;
    await new Promise((resolve) => setTimeout(resolve, prestartSettleMs));
    const bwrap = bubblewrap();
    const floor = ['--unshare-all', '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin'];
    floor.push('--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '--dev', '/dev');
    contenders.push(
      goodbot('namespace', 'true', [], ''),
      goodbot('namespace', 'cat', ['/input/file.txt'], content),
      goodbot('namespace-cold', 'true', [], ''),
      goodbot('namespace-cold', 'cat', ['/input/file.txt'], content),
      spawned('bubblewrap alone: true (same namespaces, no goodbot)', bwrap, [...floor, '/bin/true'], ''),
      spawned('bubblewrap alone: cat 4 KiB', bwrap, [...floor, '--ro-bind', zone, '/input', '/bin/cat', '/input/file.txt'], content),
      spawned(
        'sandbox-runtime (srt): true',
        process.execPath,
        [fileURLToPath(import.meta.resolve('@anthropic-ai/sandbox-runtime/dist/cli.js')), '-s', settings, '/bin/true'],
        '',
        peerEvery,
      ),
    );
  }
  if (options.docker) contenders.push(goodbot('docker', 'true', [], ''), goodbot('docker', 'cat', ['/input/file.txt'], content));
  try {
    return await interleaved(contenders, { warmupRounds: 3, timeMs: Number.POSITIVE_INFINITY, maxRounds: options.rounds });
  } finally {
    rmSync(zone, { recursive: true, force: true });
  }
}

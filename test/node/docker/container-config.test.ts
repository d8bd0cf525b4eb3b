import { describe, expect, it } from 'vitest';
import { containerOptions, type ContainerPlan } from '../../../src/node/docker/container-config.js';

/**
 * The compose-file guard: every hardening knob is in the container's
 * configuration, whatever the plan. (hardening.test.ts checks the same from
 * `docker inspect` and from inside a running container.)
 */
const plan: ContainerPlan = {
  image: 'goodbot/tools:test',
  runId: 'run-1',
  hostPid: 4242,
  argv: ['python3', '-c', 'print(1)'],
  cwd: '/',
  user: { uid: 65534, gid: 65534 },
  binds: [{ source: '/srv/in', target: '/input', readOnly: true }],
  memoryZones: [{ name: 'scratch', kind: 'memory', access: 'rw', guestPath: '/scratch', quotaBytes: 8 << 20 }],
  runFilesDir: '/tmp/goodbot-run-x',
  memoryBytes: 256 << 20,
  cpus: 0.5,
  pids: 100,
  files: 512,
};

describe('the container configuration', () => {
  const options = containerOptions(plan);
  const host = options.HostConfig!;

  it('caps the descriptors each process may hold at limits.files', () => {
    expect(host.Ulimits).toEqual([{ Name: 'nofile', Soft: 512, Hard: 512 }]);
  });

  it('has no network, a read-only root, no capabilities and no privilege gain', () => {
    expect(host.NetworkMode).toBe('none');
    expect(options.NetworkDisabled).toBe(true);
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd ?? []).toEqual([]);
    expect(host.SecurityOpt).toEqual(['no-new-privileges']);
    expect(host.Privileged ?? false).toBe(false);
  });

  it('with grants, joins only the run network, with no DNS server that answers and no IPv6, and keeps every other knob', () => {
    const granted = containerOptions({ ...plan, network: 'goodbot-run-1' });
    expect(granted.NetworkDisabled).toBe(false);
    expect(granted.HostConfig!.NetworkMode).toBe('goodbot-run-1');
    expect(granted.HostConfig!.Dns).toEqual(['127.0.0.1']);
    expect(granted.HostConfig!.Sysctls).toEqual({ 'net.ipv6.conf.all.disable_ipv6': '1' });
    const { NetworkMode: _mode, Dns: _dns, DnsOptions: _options, Sysctls: _sysctls, ...rest } = granted.HostConfig!;
    const { NetworkMode: _none, ...without } = host;
    expect(rest).toEqual(without);
  });

  it('runs as a non-root user with an init, caps on processes, memory (no swap) and CPU', () => {
    expect(options.User).toBe('65534:65534');
    expect(host.Init).toBe(true);
    expect(host.PidsLimit).toBe(100);
    expect(host.Memory).toBe(256 << 20);
    expect(host.MemorySwap).toBe(256 << 20);
    expect(host.NanoCpus).toBe(500_000_000);
  });

  it('mounts zones as the policy says, scratch as tmpfs of its quota, /tmp as tmpfs, the run files read-only', () => {
    expect(host.Mounts).toEqual([
      { Type: 'bind', Source: '/srv/in', Target: '/input', ReadOnly: true },
      { Type: 'bind', Source: '/tmp/goodbot-run-x', Target: '/run/goodbot', ReadOnly: true },
    ]);
    expect(host.Tmpfs).toEqual({
      '/scratch': `rw,nosuid,nodev,size=${8 << 20},mode=1777`,
      '/tmp': `rw,nosuid,nodev,size=${64 << 20},mode=1777`,
    });
  });

  it('carries no environment values in its configuration, and labels naming the run and its host process', () => {
    expect(options.Env).toEqual([]);
    expect(options.Labels).toEqual({ 'goodbot.run': 'run-1', 'goodbot.pid': '4242' });
    expect(options.Cmd).toEqual(['python3', '-c', 'print(1)']);
    expect(options.Entrypoint?.slice(0, 2)).toEqual(['/usr/bin/env', '-i']);
    expect(host.LogConfig?.Type).toBe('none');
  });
});

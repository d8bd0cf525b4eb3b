import { describe, expect, it } from 'vitest';
import { dockerEngine } from '../../../src/node/docker/engine.js';
import { createSandbox, type SandboxConfig } from '../../../src/node/index.js';

/**
 * The container's hardening, checked twice against the real engine: from
 * `docker inspect` while a run is going, and from inside the container;
 * under the engine's default runtime (runc) and under gVisor's runsc.
 */
describe.each(['runc', 'runsc'] as const)('under %s', (runtime) => {
  const docker = (extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
    backend: 'docker',
    env: { set: { API_TOKEN: 's3cret-value' } },
    ...extra,
    docker: { ...(runtime === 'runsc' && { runtime }), ...extra.docker },
  });
  const inside = (script: string, extra: Partial<SandboxConfig> = {}) =>
    createSandbox(docker(extra)).exec({ program: 'python3', args: ['-c', script] }).result;

  describe('a goodbot container, seen from the engine', () => {
    it('has every hardening knob, labels naming its run, and no environment values in its config', async () => {
      const run = createSandbox(docker({ limits: { timeout: '30s', memory: '128MiB' }, docker: { cpus: 0.5, pids: 64 } })).exec({
        program: 'sleep',
        args: ['25'],
      });
      const engine = dockerEngine();
      let id: string | undefined;
      for (let i = 0; i < 100 && id === undefined; i++) {
        const found = await engine.listContainers({ filters: { label: [`goodbot.run=${run.id}`] } });
        id = found[0]?.Id;
        if (id === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(id).toBeDefined();
      const info = await engine.getContainer(id!).inspect();
      run.cancel();
      const host = info.HostConfig;
      expect(host.NetworkMode).toBe('none');
      expect(host.ReadonlyRootfs).toBe(true);
      expect(host.CapDrop).toEqual(['ALL']);
      expect(host.SecurityOpt).toEqual(['no-new-privileges']);
      expect(host.Privileged).toBe(false);
      expect(host.PidsLimit).toBe(64);
      expect(host.Memory).toBe(128 << 20);
      expect(host.MemorySwap).toBe(128 << 20);
      expect(host.NanoCpus).toBe(500_000_000);
      expect(host.Init).toBe(true);
      expect(host.Runtime).toBe(runtime);
      expect(Object.keys(host.Tmpfs ?? {})).toContain('/tmp');
      expect(info.Config.User).not.toMatch(/^0?:|^root/);
      expect(info.Config.Labels['goodbot.pid']).toBe(String(process.pid));
      expect(JSON.stringify(info.Config.Env ?? [])).not.toContain('s3cret-value');
      expect(JSON.stringify(info.Config.Cmd)).not.toContain('s3cret-value');
      const result = await run.result;
      expect(result.status).toBe('cancelled');
      expect(result.exitCode).toBe(124);
      // Removed, whatever the end.
      expect(await engine.listContainers({ all: true, filters: { label: [`goodbot.run=${run.id}`] } })).toEqual([]);
    });
  });

  describe('a goodbot container, seen from inside', () => {
    it('attack: a process opening files without end stops at limits.files (EMFILE), as in WebAssembly', async () => {
      const script =
        'import errno\nfs = []\ntry:\n    while True: fs.append(open("/etc/hostname"))\nexcept OSError as e:\n    print(errno.errorcode[e.errno], len(fs))';
      const result = await inside(script, { limits: { files: 64, timeout: '20s' } });
      const [code, count] = result.stdout.trim().split(' ');
      expect(code).toBe('EMFILE');
      expect(Number(count)).toBeLessThanOrEqual(64);
    });

    it('has no effective capabilities and is not root', async () => {
      const result = await inside(
        'import os\nprint([l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0], os.getuid(), os.getgid())',
      );
      const [capEff, uid, gid] = result.stdout.trim().split(' ');
      expect(capEff).toBe('0000000000000000');
      expect(uid).not.toBe('0');
      expect(gid).not.toBe('0');
    });

    it('attack: writing to the root filesystem fails (read-only)', async () => {
      const result = await inside('open("/planted", "w")');
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/Read-only file system|Permission denied/);
    });

    it('attack: the network is gone: only lo exists, and connecting fails', async () => {
      const result = await inside(
        'import socket\nprint(sorted(name for _, name in socket.if_nameindex()))\ns = socket.socket()\ntry:\n  s.connect(("10.0.0.1", 80)); print("connected")\nexcept OSError as e: print("refused", e.errno)',
      );
      expect(result.stdout).toMatch(/^\['lo'\]\nrefused \d+\n$/);
    });

    it('sees the environment the policy grants, read from its env file', async () => {
      expect((await inside('import os; print(os.environ["API_TOKEN"])')).stdout).toBe('s3cret-value\n');
    });

    it('attack: a fork bomb hits the pids limit and the host is unaffected', async () => {
      const bomb = [
        'import os, time',
        'n = 0',
        'try:',
        '    while True:',
        '        if os.fork() == 0:',
        '            time.sleep(20)',
        '            os._exit(0)',
        '        n += 1',
        'except OSError as e:',
        '    print("fork failed after", n, e.strerror)',
      ].join('\n');
      if (runtime === 'runc') {
        const result = await inside(bomb, { docker: { pids: 32 }, limits: { timeout: '20s' } });
        expect(result.stdout).toMatch(/^fork failed after \d+ Resource temporarily unavailable\n$/);
        expect(Number(result.stdout.split(' ')[3])).toBeLessThan(32);
      } else {
        // Under gVisor the limit counts the sandbox's host threads, and the tasks cost the container's memory:
        // at either cap the whole sandbox ends, well before the deadline.
        const result = await inside(`${bomb.replace('        n += 1', '        n += 1\n        print(n, flush=True)')}`, {
          docker: { pids: 256 },
          limits: { timeout: '20s' },
        });
        expect(['exited', 'memory-limit']).toContain(result.status);
        expect(result.exitCode).not.toBe(0);
        expect(result.durationMs).toBeLessThan(20_000);
        expect(result.stdout.trim().split('\n').length).toBeLessThan(256);
      }
    });

    it('attack: a memory hog is killed at the cap and the run ends with memory-limit', async () => {
      const result = await inside('a = []\nwhile True: a.append(bytearray(8 << 20))', { limits: { memory: '64MiB', timeout: '30s' } });
      expect(result.status).toBe('memory-limit');
      expect(result.exitCode).toBe(124);
      expect(result.limit?.message).toContain('64 MiB');
    });
  });
});

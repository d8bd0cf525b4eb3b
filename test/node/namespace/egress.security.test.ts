import { existsSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxConfig } from '../../../src/node/index.js';
import { privateRunsDir } from '../../../src/node/host/host-dirs.js';
import { accesses, runAudited } from '../../helpers/audited-run.js';
import { startLoopbackServers, type LoopbackServers } from '../../helpers/loopback-servers.js';

/**
 * Network grants on the namespace backend, against real bubblewrap: the
 * sandbox has a network namespace of its own (only its loopback); its one
 * way out is goodbot's init relaying 127.0.0.1:3128 to the run's egress
 * proxy on a Unix socket, which decides each request as the WASI host does.
 * The test servers listen on the host's 127.0.0.1, which is not the
 * sandbox's.
 */
let servers: LoopbackServers;
beforeAll(async () => {
  servers = await startLoopbackServers();
});
afterAll(() => servers.close());

const namespace = (allow: string[], extra: Partial<SandboxConfig> = {}): SandboxConfig => ({ backend: 'namespace', network: { allow }, ...extra });
const shell = (allow: string[], script: string, extra: Partial<SandboxConfig> = {}) =>
  runAudited(namespace(allow, extra), { program: 'sh', args: ['-c', script] });
const curl = (url: string, options = '') => `curl -sS -m 10 ${options} -w '\\n%{http_code}' ${url}`;

describe('a namespace sandbox with network grants', () => {
  it('fetches a granted host and port through the relay and the proxy, audited as on the wasm backend', async () => {
    const { result, audit } = await shell([`127.0.0.1:${servers.http}`], curl(`http://127.0.0.1:${servers.http}/hello`));
    expect(result.stdout).toBe(`GET /hello host=127.0.0.1:${servers.http}\n200`);
    expect(accesses(audit)).toEqual([`allowed http-request 127.0.0.1:${servers.http}`]);
  });

  it('tunnels TCP to a granted host and port with CONNECT', async () => {
    const { result, audit } = await shell([`127.0.0.1:${servers.http}`], curl(`http://127.0.0.1:${servers.http}/tunnelled`, '-p'));
    expect(result.stdout).toBe(`GET /tunnelled host=127.0.0.1:${servers.http}\n200`);
    expect(accesses(audit)).toEqual([`allowed tcp-connect 127.0.0.1:${servers.http}`]);
  });

  it('attack: a host or port the policy does not grant is refused with 403 and a denial, also through the socket itself', async () => {
    const { result, audit } = await shell(
      [`127.0.0.1:${servers.http}`],
      `${curl(`http://127.0.0.1:${servers.echo}/`, '-o /dev/null')}; echo; curl -sS -m 10 -o /dev/null -w '%{http_code}' --unix-socket /run/goodbot/proxy.sock http://10.255.255.1/steal`,
    );
    // Straight to the socket, curl sends an origin-form request: the proxy forwards only absolute URLs and CONNECT.
    expect(result.stdout).toBe('\n403\n400');
    expect(accesses(audit)[0]).toBe(`denied http-request 127.0.0.1:${servers.echo}`);
    expect(accesses(audit).some((entry) => entry.startsWith('allowed'))).toBe(false);
    expect(result.denials.length).toBe(accesses(audit).length);
  });

  it("attack: bypassing the relay fails: no route out, not the host's loopback, no host address, no IPv6 out, no DNS", async () => {
    const hostService = createServer((socket) => socket.end('host service\n'));
    await new Promise<void>((resolve) => hostService.listen(0, '0.0.0.0', resolve));
    const port = (hostService.address() as AddressInfo).port;
    const hostAddress = Object.values(networkInterfaces())
      .flat()
      .find((entry) => entry?.family === 'IPv4' && !entry.internal)?.address;
    const script = [
      'import socket',
      `for host, port in (("1.1.1.1", 80), ("127.0.0.1", ${servers.http}), ("127.0.0.1", ${port}), ("${hostAddress ?? '192.0.2.1'}", ${port}), ("::1", ${port})):`,
      '  s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET); s.settimeout(1)',
      '  try: s.connect((host, port)); print("connected", host)',
      '  except OSError as e: print("failed", host)',
      'try: socket.getaddrinfo("example.com", 80); print("resolved")',
      'except OSError: print("no dns")',
    ].join('\n');
    try {
      const { result, audit } = await runAudited(namespace([`127.0.0.1:${servers.http}`]), { program: 'python3', args: ['-c', script] });
      expect(result.stdout).toBe(`failed 1.1.1.1\nfailed 127.0.0.1\nfailed 127.0.0.1\nfailed ${hostAddress ?? '192.0.2.1'}\nfailed ::1\nno dns\n`);
      expect(accesses(audit)).toEqual([]);
    } finally {
      hostService.close();
    }
  });

  it('leaves no proxy socket or connection behind, also when its timeout ends it', async () => {
    const { result } = await shell([`127.0.0.1:${servers.silent}`], `curl -sS -p http://127.0.0.1:${servers.silent}/ & sleep 30`, {
      limits: { timeout: '3s' },
    });
    expect(result.status).toBe('timeout');
    const runs = existsSync(privateRunsDir()) ? readdirSync(privateRunsDir()) : [];
    expect(runs.filter((name) => name.startsWith(`${process.pid}-net-`))).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const seen = await servers.seen();
    expect(seen.silent.opened).toBe(seen.silent.closed);
  });
});

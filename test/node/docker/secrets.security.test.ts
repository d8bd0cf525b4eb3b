import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type AuditEvent, type ExecRequest, type RunResult, type SandboxConfig } from '../../../src/node/index.js';
import { removeTree, tempDir } from '../../helpers/guests.js';
import { startRecordingServers, type RecordingServers } from '../../helpers/recording-servers.js';

/*
 * Secrets on the native backends (Docker and namespaces), against the real
 * engine and bubblewrap: the sandbox holds a placeholder; the run's egress
 * proxy, on the host, puts the value into requests to the secret's hosts:
 * as plain HTTP passes, and inside HTTPS, whose TLS it opens with a
 * certificate of the run's own authority (the only extra one the sandbox
 * trusts), checking the real server's certificate itself. The servers
 * record what reached them.
 */

const value = 'ghp_4cT9Qz2LmW8vR1xYkP0s';
let servers: RecordingServers;
let work: string;
beforeAll(async () => {
  servers = await startRecordingServers();
  work = tempDir('goodbot-secrets-');
});
afterAll(async () => {
  await servers.close();
  removeTree(work);
});

async function run(config: SandboxConfig, request: ExecRequest) {
  const audit: AuditEvent[] = [];
  const sandbox = createSandbox(config, { hostEnv: { HOST_API_TOKEN: value }, audit: { record: (event) => audit.push(event) } });
  const result = await sandbox.exec(request).result;
  return { result, audit };
}

function expectNoValue(result: RunResult, audit: readonly AuditEvent[]): void {
  expect(JSON.stringify(result)).not.toContain(value);
  expect(JSON.stringify(audit)).not.toContain(value);
}

/** curl with the token in a header: the body, then the HTTP code (000 when none). */
const curl = (url: string, options = '') => `curl -sS -m 10 ${options} -H "authorization: Bearer $API_TOKEN" -w ' %{http_code}\\n' ${url}`;

for (const backend of ['docker', 'namespace'] as const) {
  describe(`a secret on the ${backend} backend`, () => {
    const policy = (hosts: string[], extra: Partial<SandboxConfig> = {}): SandboxConfig => ({
      backend,
      network: { allow: [`127.0.0.1:${servers.http}`, `127.0.0.1:${servers.https}`] },
      secrets: [{ name: 'API_TOKEN', from: 'env:HOST_API_TOKEN', hosts }],
      limits: { timeout: '30s' },
      ...extra,
    });
    const shell = (config: SandboxConfig, script: string) => run(config, { program: 'sh', args: ['-c', script] });

    it('reaches its HTTPS host (TLS opened by the proxy, the real certificate checked) and its HTTP host', async () => {
      const tag = `${backend}-both`;
      const { result, audit } = await shell(
        policy([`127.0.0.1:${servers.https}`, `127.0.0.1:${servers.http}`]),
        `${curl(`https://127.0.0.1:${servers.https}/${tag}-s`)}; ${curl(`http://127.0.0.1:${servers.http}/${tag}-p`)}`,
      );
      expect(result.stdout).toBe('ok 200\nok 200\n');
      const seen = await servers.requests();
      expect(seen.find((r) => r.url === `/${tag}-s`)).toMatchObject({ server: 'https', headers: { authorization: `Bearer ${value}` } });
      expect(seen.find((r) => r.url === `/${tag}-p`)).toMatchObject({ server: 'http', headers: { authorization: `Bearer ${value}` } });
      const substituted = audit.filter((event) => event.event === 'access.allowed' && event.operation === 'secret-substitute');
      expect(substituted).toMatchObject([
        { secret: 'API_TOKEN', target: `127.0.0.1:${servers.https}` },
        { secret: 'API_TOKEN', target: `127.0.0.1:${servers.http}` },
      ]);
      expect(result.denials).toEqual([]);
      expectNoValue(result, audit);
    });

    it('attack: the sandbox holds only the placeholder, in its environment, in /proc and in its files', async () => {
      // The value to look for comes on stdin, so no command line of the sandbox holds it.
      const { result, audit } = await run(policy([`127.0.0.1:${servers.https}`]), {
        program: 'sh',
        // Docker hands stdin over as the run's file /run/goodbot/stdin: the test's own input, not a leak.
        args: [
          '-c',
          'echo "$API_TOKEN"; grep -rlFf - /proc/[0-9]*/environ /proc/[0-9]*/cmdline /run /etc /tmp 2>/dev/null | grep -vx /run/goodbot/stdin | wc -l',
        ],
        stdin: `${value}\n`,
      });
      expect(result.stdout).toMatch(/^goodbot-secret-API_TOKEN-[0-9a-f]{32}\n0\n$/);
      expectNoValue(result, audit);
    });

    it('attack: the placeholder to a granted host the secret is not for goes out unchanged, also after a redirect', async () => {
      const tag = `${backend}-other`;
      const landing = `http://127.0.0.1:${servers.http}/${tag}-landing`;
      const { result, audit } = await shell(
        policy([`127.0.0.1:${servers.https}`]),
        `${curl(`http://127.0.0.1:${servers.http}/${tag}`)}; ` +
          curl(`https://127.0.0.1:${servers.https}/redirect?to=${encodeURIComponent(landing)}`, '-L --location-trusted'),
      );
      expect(result.stdout).toBe('ok 200\nok 200\n');
      const seen = await servers.requests();
      expect(seen.find((r) => r.url === `/${tag}`)!.headers.authorization).toMatch(/^Bearer goodbot-secret-API_TOKEN-[0-9a-f]{32}$/);
      expect(seen.find((r) => r.url.startsWith('/redirect?to=') && r.url.includes(tag))!.headers.authorization).toBe(`Bearer ${value}`);
      expect(seen.find((r) => r.url === `/${tag}-landing`)!.headers.authorization).toMatch(/^Bearer goodbot-secret-API_TOKEN-/);
      expect(result.denials).toMatchObject([
        { operation: 'secret-substitute', target: `127.0.0.1:${servers.http}`, reason: 'secret-not-granted', secret: 'API_TOKEN' },
        { operation: 'secret-substitute', target: `127.0.0.1:${servers.http}`, reason: 'secret-not-granted', secret: 'API_TOKEN' },
      ]);
      expectNoValue(result, audit);
    });

    it('attack: when the secret host fails (no TLS there), the error the sandbox gets holds no value', async () => {
      // The plain HTTP server named as an HTTPS host: the proxy's own TLS client to it fails after the value went in.
      const { result, audit } = await shell(
        policy([`127.0.0.1:${servers.http}`]),
        `${curl(`https://127.0.0.1:${servers.http}/${backend}-broken`, '--show-error')} 2>&1`,
      );
      expect(result.stdout).toMatch(/^goodbot egress proxy: 127\.0\.0\.1:\d+: .*wrong version number[^]* 502\n$/);
      expectNoValue(result, audit);
    });

    it("attack: one run's certificate authority is worth nothing to another run", async () => {
      const zone = join(work, backend);
      mkdirSync(zone, { recursive: true, mode: 0o777 });
      chmodSync(zone, 0o777);
      const config = policy([`127.0.0.1:${servers.https}`], {
        zones: [{ name: 'out', mode: 'rw', hostPath: zone }],
        docker: { mountRoots: [work] },
      });
      // The run's authority is the last certificate of its bundle.
      const saved = await shell(config, `awk '/BEGIN/{c=""} {c=c $0 "\\n"} END{printf "%s", c}' /etc/ssl/certs/ca-certificates.crt > /out/ca.pem`);
      expect(saved.result.exitCode).toBe(0);
      const first = readFileSync(join(zone, 'ca.pem'), 'utf8');
      expect(first).toContain('BEGIN CERTIFICATE');
      const second = await shell(
        config,
        `${curl(`https://127.0.0.1:${servers.https}/${backend}-own-ca`)}; ${curl(`https://127.0.0.1:${servers.https}/${backend}-other-ca`, '--cacert /out/ca.pem')}`,
      );
      const [own, other] = second.result.stdout.split('\n');
      expect(own).toBe('ok 200');
      expect(other).toBe(' 000');
      expect(second.result.stderr).toMatch(/SSL certificate problem: self-signed certificate in certificate chain/);
      const seen = await servers.requests();
      expect(seen.some((r) => r.url === `/${backend}-other-ca`)).toBe(false);
    });
  });
}

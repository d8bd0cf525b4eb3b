import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSandboxConfig, WorkerPool } from '../../../src/node/index.js';
import { withAgentDefaults } from '../../../src/node/mcp/agent-defaults.js';
import { McpHttpServer, type HttpServeOptions } from '../../../src/node/mcp/http-server.js';
import { removeTree, repoRoot, tempDir } from '../../helpers/guests.js';

/** `goodbot serve`'s server, driven by the MCP SDK's own HTTP client. */
const token = 'test-token-0123456789abcdef';
let pool: WorkerPool;
let project: string;
const servers: McpHttpServer[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  pool = new WorkerPool({ size: 2, graceMs: 300 });
  await pool.ready();
  project = tempDir('goodbot-serve-project-');
  writeFileSync(join(project, 'data.txt'), 'served\n');
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => {})));
  await Promise.all(servers.map((server) => server.close()));
  await pool.close();
  removeTree(project);
});

async function serve(overrides: Partial<HttpServeOptions> = {}): Promise<{ server: McpHttpServer; url: URL }> {
  const policy = withAgentDefaults(
    compileSandboxConfig(
      { zones: [{ name: 'project', mode: 'ro', hostPath: project, guestPath: '/project' }], limits: { timeout: '10s' } },
      { file: '<test>', baseDir: project },
    ),
  );
  const server = new McpHttpServer({
    policy,
    runner: (runPolicy, request) => pool.exec(runPolicy, request),
    token,
    host: '127.0.0.1',
    port: 0,
    idleMs: 60_000,
    maxSessions: 8,
    maxRuns: 8,
    maxOutputChars: 30_000,
    ...overrides,
  });
  servers.push(server);
  const { port } = await server.listen();
  return { server, url: new URL(`http://127.0.0.1:${port}/mcp`) };
}

async function connect(url: URL, headers: Record<string, string> = { authorization: `Bearer ${token}` }): Promise<Client> {
  const client = new Client({ name: 'goodbot-http-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  clients.push(client);
  return client;
}

const run = async (client: Client, command: string) =>
  ((await client.callTool({ name: 'run_command', arguments: { command } })) as CallToolResult).structuredContent as {
    stdout: string;
    exitCode: number;
  };

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

describe('goodbot serve (MCP over Streamable HTTP)', () => {
  it('serves many sessions at once, each with its own state, named by its MCP session id', async () => {
    const { server, url } = await serve();
    const [a, b] = await Promise.all([connect(url), connect(url)]);
    await Promise.all([run(a, 'echo a > /scratch/who; cd /project'), run(b, 'echo b > /scratch/who')]);
    expect(await run(a, 'cat /scratch/who; pwd; cat data.txt')).toMatchObject({ stdout: 'a\n/project\nserved\n' });
    expect(await run(b, 'cat /scratch/who; pwd')).toMatchObject({ stdout: 'b\n/project\n' });
    expect(server.sessionCount).toBe(2);
  });

  it('attack: a request without the bearer token, or with a wrong one, is refused before MCP sees it', async () => {
    const { url } = await serve();
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${token}`, `Bearer ${token}x`]) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(authorization !== undefined && { authorization }),
        },
        body: initialize,
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
    await expect(connect(url, { authorization: 'Bearer nope' })).rejects.toThrow();
  });

  it('attack: DNS rebinding (a foreign Host) and a foreign web page (Origin) are refused', async () => {
    const { url } = await serve();
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` };
    const viaRebinding = await rawPost(url, { ...headers, host: `evil.example:${url.port}` });
    expect(viaRebinding.status).toBe(403);
    const fromPage = await fetch(url, { method: 'POST', headers: { ...headers, origin: 'https://evil.example' }, body: initialize });
    expect(fromPage.status).toBe(403);
    const sameHost = await fetch(url, { method: 'POST', headers: { ...headers, origin: `http://127.0.0.1:${url.port}` }, body: initialize });
    expect(sameHost.status).toBe(200);
  });

  it('answers busy past its session limit, and closes idle sessions', async () => {
    const { server, url } = await serve({ maxSessions: 1, idleMs: 300 });
    const first = await connect(url);
    await run(first, 'true');
    await expect(connect(url)).rejects.toThrow(/503|busy/);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(server.sessionCount).toBe(0);
    // The expired session's id is gone; a new session can start.
    await expect(run(first, 'true')).rejects.toThrow();
    const second = await connect(url);
    expect(await run(second, 'echo fresh')).toMatchObject({ stdout: 'fresh\n' });
  });

  it('answers busy past its limit of commands running at once', async () => {
    const { url } = await serve({ maxRuns: 1 });
    const client = await connect(url);
    const other = await connect(url);
    const long = run(client, 'sleep 1; echo done');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = (await other.callTool({ name: 'run_command', arguments: { command: 'echo hi' } })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('busy');
    expect(await long).toMatchObject({ stdout: 'done\n' });
  });

  it('refuses to serve nothing (no policy, no hand-off), and prints a generated token once', async () => {
    const main = join(repoRoot, 'dist', 'node', 'cli', 'main.js');
    const refused = spawnSync(process.execPath, [main, 'serve', '--no-handoff', '--listen', '127.0.0.1:0'], { encoding: 'utf8' });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('--policy');
    const policyFile = join(project, '..', `${project.split('/').pop()}-serve.yaml`);
    writeFileSync(policyFile, `sandbox:\n  zones:\n    - { name: project, mode: ro, hostPath: ${project}, guestPath: /project }\n`);
    try {
      const child = spawn(process.execPath, [main, 'serve', '--no-handoff', '--policy', policyFile, '--listen', '127.0.0.1:0'], {
        env: { ...process.env, GOODBOT_SERVE_TOKEN: '' },
      });
      let stderr = '';
      const said = new Promise<void>((resolve) =>
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('token')) resolve();
        }),
      );
      await said;
      const generated = /bearer token \(shown once\): (\S+)/.exec(stderr)![1]!;
      const address = /listening on (\S+)/.exec(stderr)![1]!;
      const client = await connect(new URL(address), { authorization: `Bearer ${generated}` });
      expect(await run(client, 'cat /project/data.txt')).toMatchObject({ stdout: 'served\n' });
      await client.close();
      const ended = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await ended).toBe(0);
    } finally {
      removeTree(policyFile);
    }
  });
});

/** A POST with a Host header of our choosing (fetch will not send a forged one). */
async function rawPost(url: URL, headers: Record<string, string>): Promise<{ status: number }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0 });
    });
    req.on('error', reject);
    req.end(initialize);
  });
}

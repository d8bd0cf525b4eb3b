import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goodbot } from '../../helpers/cli.js';
import { removeTree, repoRoot, tempDir } from '../../helpers/guests.js';

/** `goodbot mcp` driven by the MCP SDK's own client over stdio, as an agent's host drives it. */
let project: string;
let state: string;
let policyFile: string;
const clients: Client[] = [];

beforeAll(() => {
  project = tempDir('goodbot-mcp-project-');
  writeFileSync(join(project, 'app.py'), 'print("hello from app")\n');
  writeFileSync(join(project, 'twice.txt'), 'x = 1\nx = 1\n');
  state = tempDir('goodbot-mcp-state-');
  policyFile = join(project, '..', `${project.split('/').pop()}-policy.yaml`);
  writeFileSync(
    policyFile,
    ['sandbox:', '  zones:', `    - { name: project, mode: rw, hostPath: ${project}, guestPath: /project }`, '  limits: { timeout: 10s }', ''].join(
      '\n',
    ),
  );
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  removeTree(project);
  removeTree(state);
  removeTree(policyFile);
});

async function connect(): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(repoRoot, 'dist', 'node', 'cli', 'main.js'), 'mcp', '--policy', policyFile, '--audit', join(state, 'audit.jsonl')],
    env: { ...(process.env as Record<string, string>), GOODBOT_STATE_DIR: state },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'goodbot-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

const call = async (client: Client, name: string, args: Record<string, unknown>, options?: Parameters<Client['callTool']>[2]) =>
  (await client.callTool({ name, arguments: args }, undefined, options)) as CallToolResult;
const text = (result: CallToolResult) => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');

describe('goodbot mcp', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect();
  });

  it('lists its tools with input and output schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['edit_file', 'list_files', 'read_file', 'run_command', 'write_file']);
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
    }
    expect(tools.find((tool) => tool.name === 'run_command')!.inputSchema.required).toEqual(['command']);
  });

  it('runs command lines in one session: folder, variables, functions and scratch carry over', async () => {
    const first = await call(client, 'run_command', { command: 'cd /scratch && export NAME=agent && greet() { echo "hi $1"; } && echo kept > note' });
    expect(first.isError).toBeFalsy();
    expect(first.structuredContent).toMatchObject({ exitCode: 0, status: 'exited', cwd: '/scratch' });
    const second = await call(client, 'run_command', { command: 'pwd; greet "$NAME"; cat note; python3 /project/app.py' });
    expect(second.structuredContent).toMatchObject({ exitCode: 0, stdout: '/scratch\nhi agent\nkept\nhello from app\n', truncated: false });
    expect(text(second)).toContain('[exit code 0]');
    const failed = await call(client, 'run_command', { command: 'ls /nowhere', cwd: '/project' });
    expect(failed.isError).toBeFalsy();
    expect(failed.structuredContent).toMatchObject({ exitCode: 1 });
    expect(text(failed)).toContain('[stderr]');
  });

  it('reads, writes, edits and lists files in the zones, and refuses paths outside them', async () => {
    expect((await call(client, 'write_file', { path: '/project/out/result.txt', content: 'one\ntwo\nthree\n' })).isError).toBeFalsy();
    const part = await call(client, 'read_file', { path: '/project/out/result.txt', offset: 2, limit: 1 });
    expect(part.structuredContent).toEqual({ content: 'two', totalLines: 3, truncated: false });
    expect((await call(client, 'edit_file', { path: '/project/out/result.txt', old: 'two', new: '2' })).isError).toBeFalsy();
    expect(text(await call(client, 'read_file', { path: '/project/out/result.txt' }))).toBe('one\n2\nthree');
    const twice = await call(client, 'edit_file', { path: '/project/twice.txt', old: 'x = 1', new: 'x = 2' });
    expect(twice.isError).toBe(true);
    expect(text(twice)).toMatch(/more than once/);
    const listed = await call(client, 'list_files', { path: '/project', recursive: true });
    expect(listed.structuredContent).toMatchObject({
      entries: expect.arrayContaining([
        { path: '/project/out/result.txt', type: 'file' },
        { path: '/project/out', type: 'directory' },
      ]),
    });
    // attack: a path outside every zone is an error, never a host read
    for (const path of ['/etc/passwd', '/project/../../etc/passwd', `${project}/app.py`]) {
      const refused = await call(client, 'read_file', { path });
      expect(refused.isError).toBe(true);
      expect(text(refused)).not.toContain('root:');
    }
  });

  it('answers bad arguments with an error that names them', async () => {
    const missing = await call(client, 'run_command', {}).catch((error: Error) => ({
      isError: true,
      content: [{ type: 'text' as const, text: error.message }],
    }));
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/command/);
    const timeout = await call(client, 'run_command', { command: 'true', timeout: -5 }).catch((error: Error) => ({
      isError: true,
      content: [{ type: 'text' as const, text: error.message }],
    }));
    expect(timeout.isError).toBe(true);
  });

  it('streams output as progress, and a runaway is stopped at its timeout while ping still answers', async () => {
    const progress: string[] = [];
    const streamed = await call(
      client,
      'run_command',
      { command: 'for i in 1 2 3; do echo "line $i"; sleep 0.05; done' },
      { onprogress: (p) => progress.push(p.message ?? '') },
    );
    expect(streamed.structuredContent).toMatchObject({ stdout: 'line 1\nline 2\nline 3\n' });
    expect(progress.join('')).toBe('line 1\nline 2\nline 3\n');

    const runaway = call(client, 'run_command', { command: 'while :; do :; done', timeout: 1 });
    const pings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const sent = performance.now();
      await client.ping();
      pings.push(performance.now() - sent);
    }
    expect(Math.max(...pings)).toBeLessThan(100);
    const stopped = await runaway;
    expect(stopped.structuredContent).toMatchObject({ status: 'timeout', exitCode: 124 });
  });

  it('stops a command when the client cancels the call', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const cancelled = call(client, 'run_command', { command: 'while :; do :; done' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expect(cancelled).rejects.toThrow();
    // The session is free again at once: the run was stopped, not left spinning.
    const next = await call(client, 'run_command', { command: 'echo next' });
    expect(next.structuredContent).toMatchObject({ stdout: 'next\n' });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('attack: two connections are two sessions that cannot see each other’s scratch', async () => {
    const other = await connect();
    await call(client, 'run_command', { command: 'echo mine > /scratch/secret' });
    const peek = await call(other, 'run_command', { command: 'cat /scratch/secret' });
    expect(peek.structuredContent).toMatchObject({ exitCode: 1, stdout: '' });
    await other.close();
  });

  it('records its session where goodbot sessions finds it', async () => {
    const listed = goodbot(project, ['sessions', 'list', '--json'], { env: { GOODBOT_STATE_DIR: state } });
    expect(listed.status).toBe(0);
    const sessions = JSON.parse(listed.stdout) as { id: string; commands: number }[];
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    const busiest = sessions.sort((a, b) => b.commands - a.commands)[0]!;
    const shown = goodbot(project, ['sessions', 'show', busiest.id], { env: { GOODBOT_STATE_DIR: state } });
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('greet "$NAME"');
    expect(goodbot(project, ['sessions', 'show', 'no-such-session'], { env: { GOODBOT_STATE_DIR: state } }).status).not.toBe(0);
    // Each command is a whole run in the audit log: its start and its end.
    const audit = readFileSync(join(state, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; runId: string });
    const starts = audit.filter((event) => event.event === 'run.start').map((event) => event.runId);
    const exits = audit.filter((event) => event.event === 'run.exit').map((event) => event.runId);
    expect(starts.length).toBeGreaterThan(5);
    expect(exits.sort()).toEqual(starts.sort());
  });

  it('refuses to start without a policy, saying so on stderr', () => {
    const result = goodbot(project, ['mcp']);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--policy');
  });
});

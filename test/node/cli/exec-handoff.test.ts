import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guest, makeTree, removeTree, repoRoot, tempDir } from '../../helpers/guests.js';

/**
 * `goodbot exec` handed to a running `goodbot serve`: a real server process
 * and real CLI processes, which must print, exit and decide exactly as a
 * local run would.
 */
const main = join(repoRoot, 'dist', 'node', 'cli', 'main.js');
let root: string;
let state: string;
let server: ChildProcess;
let audit: string;

function startServer(env: Record<string, string>, args: string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [main, 'serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let said = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('taking goodbot exec runs')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`goodbot serve exited ${code}: ${said}`)));
  });
}

/**
 * The CLI in CWD with the hand-off on (the test helpers turn it off), the
 * server's state folder, and ENV; stdin /dev/null, or a file holding INPUT.
 */
function exec(args: string[], options: { cwd?: string; input?: string; env?: Record<string, string>; stateDir?: string } = {}) {
  let stdin: number | 'ignore' = 'ignore';
  if (options.input !== undefined) {
    const file = join(root, `stdin-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, options.input);
    stdin = openSync(file, 'r');
  }
  const result = spawnSync(process.execPath, [main, 'exec', ...args], {
    cwd: options.cwd ?? root,
    stdio: [stdin, 'pipe', 'pipe'],
    env: { ...process.env, GOODBOT_HANDOFF: 'on', GOODBOT_STATE_DIR: options.stateDir ?? state, ...options.env },
    encoding: 'utf8',
  });
  if (typeof stdin === 'number') closeSync(stdin);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  root = tempDir();
  state = tempDir('gb-hs-');
  audit = join(root, 'server-audit.jsonl');
  makeTree(root, { 'in/a.txt': 'alpha\n', out: null, 'elsewhere/in/a.txt': 'other\n' });
  server = await startServer({ GOODBOT_STATE_DIR: state, WHO: 'server' }, ['--workers', '1', '--audit', audit]);
}, 60_000);

afterAll(() => {
  server?.kill('SIGTERM');
  removeTree(root);
  removeTree(state);
});

describe('goodbot exec handed to goodbot serve', () => {
  it('runs there, with the same output, exit status and files as a local run; --json says where it ran', () => {
    const args = [
      '--dir',
      './in::/in:ro',
      '--dir',
      './out::/out',
      guest('probe.wasm'),
      'read',
      '/in/a.txt',
      ';',
      'write',
      '/out/b.txt',
      'beta',
      ';',
      'exit',
      '3',
    ];
    const handed = exec(args);
    const local = exec(args, { env: { GOODBOT_HANDOFF: 'off' } });
    expect(handed).toEqual(local);
    expect(handed).toMatchObject({ status: 3, stdout: 'read: ok alpha|\nwrite: ok\n' });
    expect(readFileSync(join(root, 'out', 'b.txt'), 'utf8')).toBe('beta');
    expect(JSON.parse(exec(['--json', guest('probe.wasm'), 'exit', '0']).stdout)).toMatchObject({ via: 'server', status: 'exited' });
    expect(JSON.parse(exec(['--json', guest('probe.wasm'), 'exit', '0'], { env: { GOODBOT_HANDOFF: 'off' } }).stdout)).toMatchObject({
      via: 'local',
    });
  });

  it("takes the client's folder, stdin and environment, never the server's", () => {
    const elsewhere = join(root, 'elsewhere');
    expect(exec(['--dir', './in::/in:ro', guest('cat.wasm'), '/in/a.txt'], { cwd: elsewhere }).stdout).toBe('other\n');
    expect(exec(['--json', guest('cat.wasm')], { input: 'piped text' }).stdout).toContain('"stdout": "piped text"');
    const env = exec(['--env', 'WHO', guest('probe.wasm'), 'env'], { env: { WHO: 'client' } });
    expect(env.stdout).toBe('env: WHO=client\n');
    expect(exec(['--env', 'WHO', '--json', guest('probe.wasm'), 'env'], { env: { WHO: 'client' } }).stdout).toContain('"via": "server"');
  });

  it('reports bad command lines as a local run does', () => {
    for (const args of [['--bogus', 'x'], ['--dir', './missing::/m', guest('probe.wasm')], ['nonexistent-tool-xyz']]) {
      expect(exec(args)).toEqual(exec(args, { env: { GOODBOT_HANDOFF: 'off' } }));
    }
  });

  it('leaves --audit runs to the client, which writes its own trail', () => {
    const trail = join(root, 'client-audit.jsonl');
    const result = exec(['--json', '--audit', trail, guest('probe.wasm'), 'exit', '0']);
    expect(JSON.parse(result.stdout)).toMatchObject({ via: 'local', status: 'exited' });
    expect(readFileSync(trail, 'utf8')).toContain('"run.exit"');
  });

  it('cancels the run of a client that goes away', async () => {
    const client = spawn(process.execPath, [main, 'exec', '--timeout', '60s', guest('probe.wasm'), 'spin'], {
      cwd: root,
      env: { ...process.env, GOODBOT_HANDOFF: 'on', GOODBOT_STATE_DIR: state },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const runs = () =>
      readFileSync(audit, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    await expect
      .poll(() => runs().filter((e) => e['event'] === 'run.start' && JSON.stringify(e).includes('spin')).length, { timeout: 20_000 })
      .toBe(1);
    client.kill('SIGKILL');
    await expect.poll(() => runs().some((e) => e['event'] === 'run.exit' && e['status'] === 'cancelled'), { timeout: 20_000 }).toBe(true);
  }, 60_000);

  it('a socket planted in a folder other users may enter never gets the run (attack: taking a client environment)', async () => {
    const planted = tempDir('gb-hp-');
    const folder = join(planted, 'handoff');
    mkdirSync(folder);
    chmodSync(folder, 0o777);
    let received = 0;
    const fake: Server = createServer((connection) => connection.on('data', (chunk) => (received += chunk.length)));
    await new Promise<void>((resolve) => fake.listen(join(folder, 'exec.sock'), resolve));
    try {
      const result = exec(['--json', '--env', 'API_TOKEN', guest('probe.wasm'), 'env'], { stateDir: planted, env: { API_TOKEN: 'tok-123' } });
      expect(JSON.parse(result.stdout)).toMatchObject({ via: 'local', stdout: 'env: API_TOKEN=tok-123\n' });
      expect(received).toBe(0);
    } finally {
      await new Promise<void>((resolve) => fake.close(() => resolve()));
      removeTree(planted);
    }
  });

  it('runs locally when no server answers (none started, or one that died and left its socket)', () => {
    const empty = tempDir('gb-hn-');
    const stale = tempDir('gb-hd-');
    try {
      expect(JSON.parse(exec(['--json', guest('probe.wasm'), 'exit', '0'], { stateDir: empty }).stdout)).toMatchObject({ via: 'local' });
      mkdirSync(join(stale, 'handoff'), { mode: 0o700 });
      const dead = spawnSync(
        process.execPath,
        ['-e', `const s=require('net').createServer().listen(process.argv[1],()=>process.exit(0))`, join(stale, 'handoff', 'exec.sock')],
        { encoding: 'utf8' },
      );
      expect(dead.status).toBe(0);
      expect(JSON.parse(exec(['--json', guest('probe.wasm'), 'exit', '0'], { stateDir: stale }).stdout)).toMatchObject({ via: 'local' });
    } finally {
      removeTree(empty);
      removeTree(stale);
    }
  });

  it('takes a closed pipe or socket whole; one still open stays with the client, which reads all of it', async () => {
    const env = { ...process.env, GOODBOT_HANDOFF: 'on', GOODBOT_STATE_DIR: state };
    // Node gives a child a socket pair; spawnSync closes it after writing the input.
    const closed = spawnSync(process.execPath, [main, 'exec', '--json', guest('cat.wasm')], {
      cwd: root,
      input: 'over a socket',
      env,
      encoding: 'utf8',
    });
    expect(JSON.parse(closed.stdout)).toMatchObject({ via: 'server', stdout: 'over a socket' });
    const open = spawn(process.execPath, [main, 'exec', '--json', guest('cat.wasm')], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    open.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    open.stdin!.write('one');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    open.stdin!.end('two');
    await new Promise((resolve) => open.once('exit', resolve));
    expect(JSON.parse(stdout)).toMatchObject({ via: 'local', stdout: 'onetwo' });
    const pipe = spawnSync(
      'sh',
      [
        '-c',
        `(printf 'one'; sleep 1.5; printf 'two') | ${JSON.stringify(process.execPath)} ${JSON.stringify(main)} exec --json ${guest('cat.wasm')}`,
      ],
      {
        cwd: root,
        env,
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(pipe.stdout)).toMatchObject({ via: 'local', stdout: 'onetwo' });
  }, 30_000);
});

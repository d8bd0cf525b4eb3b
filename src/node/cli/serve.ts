import { randomBytes } from 'node:crypto';
import { GoodbotError } from '../../errors.js';
import { reportFailure } from './command-failure.js';
import { parseOptions, positiveCount } from './options.js';
import { parseDuration } from '../../policy/units.js';
import { stateRoot } from '../host/host-dirs.js';
import { withAgentDefaults } from '../mcp/agent-defaults.js';
import { McpHttpServer } from '../mcp/http-server.js';
import { loadPolicy } from '../policy/load-file.js';
import { JsonlAuditFile } from '../audit/jsonl-file.js';
import { JsonlSessionIndex } from '../sessions/jsonl-session-index.js';
import { WorkerPool } from '../workers/worker-pool.js';
import type { Policy } from '../../policy/types.js';
import { ExecHandoffServer } from './exec-handoff-server.js';
import { handoffSocketPath } from './handoff-socket.js';

export const serveHelp = `usage: goodbot serve [--policy FILE] [--listen HOST:PORT] [OPTIONS]

With --policy, serves the Model Context Protocol over Streamable HTTP at http://HOST:PORT/mcp:
many sessions at once, each an MCP session (its id is the goodbot session's),
with the tools of goodbot mcp. Every request needs Authorization: Bearer TOKEN;
the token is $GOODBOT_SERVE_TOKEN (at least 16 characters), or one generated
now and printed once on stderr. Requests whose Host (or a browser's Origin) is
not the server's are refused, against DNS rebinding.

It also takes the runs of this user's goodbot exec commands (unless
--no-handoff): on a Unix socket in $GOODBOT_STATE_DIR/handoff (a folder only
this user may enter), a goodbot exec hands its command line, folder and
environment over and prints what the run writes; each runs under the policy
its own flags make, exactly as goodbot exec would, on the server's workers.
Runs whose stdin is a terminal, or a pipe or socket still open, stay in goodbot exec.

  --listen HOST:PORT        default 127.0.0.1:8737 (port 0: any free one)
  --allow-host NAME         another name clients reach the server by (repeatable)
  --allow-origin ORIGIN     a web origin that may call it (repeatable; default none)
  --idle-timeout DURATION   close sessions unused this long (default 30m)
  --max-sessions N          sessions open at once (default 32); past it: busy
  --max-runs N              commands running at once (default: twice the cores); past it: busy
  --max-output-chars N      characters of output a result carries (default 30000)
  --workers N               worker threads running commands (default: one per core)
  --audit FILE              append every command's audit records (JSONL) to FILE
  --no-handoff              do not take goodbot exec runs`;

/** `goodbot serve`: serves until SIGINT or SIGTERM. */
export async function serveCommand(argv: readonly string[]): Promise<number> {
  try {
    const options = parseServeArguments(argv);
    if (options === 'help') {
      console.log(serveHelp);
      return 0;
    }
    const mcpPolicy = options.policy === undefined ? undefined : withAgentDefaults(loadPolicy(options.policy));
    const pool = new WorkerPool({
      ...(options.workers !== undefined && { size: options.workers }),
      ...(options.audit !== undefined && { audit: new JsonlAuditFile(options.audit) }),
    });
    let mcp: McpHttpServer | undefined;
    let handoff: ExecHandoffServer | undefined;
    try {
      if (mcpPolicy !== undefined) mcp = await startMcp(options, mcpPolicy, pool);
      if (options.handoff) handoff = await startHandoff(pool, mcp !== undefined);
    } catch (error) {
      await mcp?.close();
      await pool.close();
      throw error;
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await handoff?.close();
    await mcp?.close();
    await pool.close();
    return 0;
  } catch (error) {
    return reportFailure(error);
  }
}

/**
 * The hand-off socket for `goodbot exec`, listening; undefined when another
 * server takes them already and this one serves MCP (two MCP servers are fine).
 */
async function startHandoff(pool: WorkerPool, servesMcp: boolean): Promise<ExecHandoffServer | undefined> {
  const handoff = new ExecHandoffServer(pool, handoffSocketPath());
  if (!(await handoff.listen())) {
    const taken = `another goodbot serve takes goodbot exec runs at ${handoff.socketPath}`;
    if (!servesMcp)
      throw new GoodbotError('usage', taken, { path: handoff.socketPath, hint: 'stop it first, or give this one --policy FILE to serve MCP' });
    console.error(`goodbot serve: ${taken}; this one serves MCP only`);
    return undefined;
  }
  console.error(`goodbot serve: taking goodbot exec runs at ${handoff.socketPath}`);
  return handoff;
}

/** The MCP server on HTTP, listening (its address and token printed on stderr). */
async function startMcp(options: ServeArguments, policy: Policy, pool: WorkerPool): Promise<McpHttpServer> {
  const given = process.env['GOODBOT_SERVE_TOKEN'] || undefined;
  const token = given ?? randomBytes(24).toString('base64url');
  if (token.length < 16)
    throw new GoodbotError('usage', 'GOODBOT_SERVE_TOKEN is too short to be a secret', {
      field: 'GOODBOT_SERVE_TOKEN',
      hint: 'use at least 16 random characters',
    });
  const server = new McpHttpServer({
    policy,
    runner: (runPolicy, request) => pool.exec(runPolicy, request),
    index: new JsonlSessionIndex(stateRoot()),
    token,
    host: options.host,
    port: options.port,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
    idleMs: options.idleMs,
    maxSessions: options.maxSessions,
    maxRuns: options.maxRuns ?? 2 * (await import('node:os')).availableParallelism(),
    maxOutputChars: options.maxOutputChars,
  });
  const address = await server.listen();
  const shown = address.host.includes(':') ? `[${address.host}]` : address.host;
  console.error(`goodbot serve: listening on http://${shown}:${address.port}/mcp`);
  if (given === undefined) console.error(`goodbot serve: bearer token (shown once): ${token}`);
  return server;
}

interface ServeArguments {
  readonly policy?: string;
  readonly handoff: boolean;
  readonly host: string;
  readonly port: number;
  readonly allowedHosts: string[];
  readonly allowedOrigins: string[];
  readonly idleMs: number;
  readonly maxSessions: number;
  readonly maxRuns?: number;
  readonly maxOutputChars: number;
  readonly workers?: number;
  readonly audit?: string;
}

function parseServeArguments(argv: readonly string[]): ServeArguments | 'help' {
  const options = parseOptions('serve', argv, {
    policy: { type: 'string' },
    listen: { type: 'string', default: '127.0.0.1:8737' },
    'allow-host': { type: 'string', multiple: true, default: [] },
    'allow-origin': { type: 'string', multiple: true, default: [] },
    'idle-timeout': { type: 'string', default: '30m' },
    'max-sessions': { type: 'string' },
    'max-runs': { type: 'string' },
    'max-output-chars': { type: 'string' },
    workers: { type: 'string' },
    audit: { type: 'string' },
    'no-handoff': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (options.help === true) return 'help';
  const count = (flag: 'max-sessions' | 'max-runs' | 'max-output-chars' | 'workers') => {
    const text = options[flag];
    return text === undefined ? undefined : positiveCount(`--${flag}`, text);
  };
  const { policy, listen, audit } = options;
  const idle = options['idle-timeout'];
  const maxRuns = count('max-runs');
  const workers = count('workers');
  const handoff = options['no-handoff'] !== true;
  if (policy === undefined && !handoff)
    throw new GoodbotError('usage', 'goodbot serve --no-handoff has nothing to serve without --policy FILE', {
      field: '--policy',
      hint: 'give --policy FILE to serve MCP, or drop --no-handoff',
    });
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listen);
  const port = Number(match?.[2]);
  if (match === null || !Number.isInteger(port) || port > 65535) {
    throw new GoodbotError('usage', `--listen takes HOST:PORT, not '${listen}'`, { field: '--listen', hint: 'for example 127.0.0.1:8737' });
  }
  const idleMs = parseDuration(idle);
  if (idleMs === undefined || idleMs <= 0)
    throw new GoodbotError('usage', `--idle-timeout takes a duration such as 30m, not '${idle}'`, { field: '--idle-timeout' });
  return {
    ...(policy !== undefined && { policy }),
    handoff,
    host: match[1]!.replace(/^\[|\]$/g, ''),
    port,
    allowedHosts: options['allow-host'],
    allowedOrigins: options['allow-origin'],
    idleMs,
    maxSessions: count('max-sessions') ?? 32,
    ...(maxRuns !== undefined && { maxRuns }),
    maxOutputChars: count('max-output-chars') ?? 30_000,
    ...(workers !== undefined && { workers }),
    ...(audit !== undefined && { audit }),
  };
}

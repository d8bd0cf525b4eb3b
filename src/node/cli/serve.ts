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

export const serveHelp = `usage: goodbot serve --policy FILE [--listen HOST:PORT] [OPTIONS]

Serves the Model Context Protocol over Streamable HTTP at http://HOST:PORT/mcp:
many sessions at once, each an MCP session (its id is the goodbot session's),
with the tools of goodbot mcp. Every request needs Authorization: Bearer TOKEN;
the token is $GOODBOT_SERVE_TOKEN (at least 16 characters), or one generated
now and printed once on stderr. Requests whose Host (or a browser's Origin) is
not the server's are refused, against DNS rebinding.

  --listen HOST:PORT        default 127.0.0.1:8737 (port 0: any free one)
  --allow-host NAME         another name clients reach the server by (repeatable)
  --allow-origin ORIGIN     a web origin that may call it (repeatable; default none)
  --idle-timeout DURATION   close sessions unused this long (default 30m)
  --max-sessions N          sessions open at once (default 32); past it: busy
  --max-runs N              commands running at once (default: twice the cores); past it: busy
  --max-output-chars N      characters of output a result carries (default 30000)
  --workers N               worker threads running commands (default: one per core)
  --audit FILE              append every command's audit records (JSONL) to FILE`;

/** `goodbot serve`: serves until SIGINT or SIGTERM. */
export async function serveCommand(argv: readonly string[]): Promise<number> {
  try {
    const options = parseServeArguments(argv);
    if (options === 'help') {
      console.log(serveHelp);
      return 0;
    }
    const policy = withAgentDefaults(loadPolicy(options.policy));
    const given = process.env['GOODBOT_SERVE_TOKEN'] || undefined;
    const token = given ?? randomBytes(24).toString('base64url');
    if (token.length < 16)
      throw new GoodbotError('usage', 'GOODBOT_SERVE_TOKEN is too short to be a secret', {
        field: 'GOODBOT_SERVE_TOKEN',
        hint: 'use at least 16 random characters',
      });
    const pool = new WorkerPool({
      ...(options.workers !== undefined && { size: options.workers }),
      ...(options.audit !== undefined && { audit: new JsonlAuditFile(options.audit) }),
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
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    await pool.close();
    return 0;
  } catch (error) {
    return reportFailure(error);
  }
}

interface ServeArguments {
  readonly policy: string;
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
  if (policy === undefined)
    throw new GoodbotError('usage', 'goodbot serve needs --policy FILE', { field: '--policy', hint: 'see goodbot serve --help' });
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listen);
  const port = Number(match?.[2]);
  if (match === null || !Number.isInteger(port) || port > 65535) {
    throw new GoodbotError('usage', `--listen takes HOST:PORT, not '${listen}'`, { field: '--listen', hint: 'for example 127.0.0.1:8737' });
  }
  const idleMs = parseDuration(idle);
  if (idleMs === undefined || idleMs <= 0)
    throw new GoodbotError('usage', `--idle-timeout takes a duration such as 30m, not '${idle}'`, { field: '--idle-timeout' });
  return {
    policy,
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

import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { GoodbotError } from '../../errors.js';
import { reportFailure } from './command-failure.js';
import { parseOptions, positiveCount } from './options.js';
import { stateRoot } from '../host/host-dirs.js';
import { withAgentDefaults } from '../mcp/agent-defaults.js';
import { sessionServer } from '../mcp/mcp-server.js';
import { loadPolicy } from '../policy/load-file.js';
import { JsonlAuditFile } from '../audit/jsonl-file.js';
import { JsonlSessionIndex } from '../sessions/jsonl-session-index.js';
import { WorkerPool } from '../workers/worker-pool.js';
import { Session } from '../../session/session.js';
import { randomUUID } from 'node:crypto';

export const mcpHelp = `usage: goodbot mcp --policy FILE [--audit FILE] [--max-output-chars N]

Serves the Model Context Protocol on stdin/stdout: one sandbox session for the
connection, with the tools run_command, read_file, write_file, edit_file and
list_files. Where the policy says nothing, commands get a 120 s timeout, an
8 MiB output cap, a /scratch zone in memory and the policy's first zone as
their working folder. Sessions are recorded under the state folder
($GOODBOT_STATE_DIR, else ~/.local/state/goodbot; see goodbot sessions);
--audit appends every command's audit records (JSONL) to FILE.`;

/** `goodbot mcp`: serves until the client closes stdin. */
export async function mcpCommand(argv: readonly string[]): Promise<number> {
  try {
    const options = parseOptions('mcp', argv, {
      policy: { type: 'string' },
      audit: { type: 'string' },
      'max-output-chars': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (options.help === true) {
      console.log(mcpHelp);
      return 0;
    }
    const policyPath = options.policy;
    if (policyPath === undefined)
      throw new GoodbotError('usage', 'goodbot mcp needs --policy FILE', { field: '--policy', hint: 'see goodbot mcp --help' });
    const maxOutputChars = options['max-output-chars'] === undefined ? 30_000 : positiveCount('--max-output-chars', options['max-output-chars']);
    const auditPath = options.audit;
    const policy = withAgentDefaults(loadPolicy(policyPath));
    const pool = new WorkerPool(auditPath === undefined ? {} : { audit: new JsonlAuditFile(auditPath) });
    const session = new Session(randomUUID(), policy, (runPolicy, request) => pool.exec(runPolicy, request), new JsonlSessionIndex(stateRoot()));
    const server = sessionServer(() => session, { maxOutputChars });
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
    process.stdin.once('end', () => void server.close());
    await server.connect(transport);
    await closed;
    await session.close();
    await pool.close();
    return 0;
  } catch (error) {
    // stdout is the protocol's: messages go to stderr.
    return reportFailure(error);
  }
}

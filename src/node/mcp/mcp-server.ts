import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Session } from '../../session/session.js';
import { registerSessionTools, type SessionToolSettings } from './session-tools.js';

/** goodbot's version, as MCP's `serverInfo` gives it. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** An MCP server whose tools work in SESSION (one per connection). */
export function sessionServer(session: () => Session, settings: SessionToolSettings): McpServer {
  const server = new McpServer(
    { name: 'goodbot', version: packageVersion() },
    {
      instructions:
        'A sandbox session: run_command runs shell command lines; the working folder, variables, functions and scratch files persist between calls. ' +
        'Only the folders the policy grants exist; there is no network unless it grants one.',
    },
  );
  registerSessionTools(server, session, settings);
  return server;
}

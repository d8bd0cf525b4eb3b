import { GoodbotError } from '../../errors.js';
import { reportFailure } from './command-failure.js';
import { stateRoot } from '../host/host-dirs.js';
import { JsonlSessionIndex } from '../sessions/jsonl-session-index.js';

export const sessionsHelp = `usage: goodbot sessions list [--json]
       goodbot sessions show ID [--json]

The session index: every session's id, policy digest, start, last use and
command count (list), or one session's commands with their start, duration,
status, exit code, output bytes and refusals (show). It lives in
$GOODBOT_STATE_DIR/sessions, else ~/.local/state/goodbot/sessions.`;

/** `goodbot sessions`. */
export async function sessionsCommand(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  const [command, ...rest] = argv.filter((arg) => arg !== '--json');
  const index = new JsonlSessionIndex(stateRoot());
  try {
    if (command === undefined || command === '--help' || command === '-h') {
      console.log(sessionsHelp);
      return command === undefined ? 125 : 0;
    }
    if (command === 'list' && rest.length === 0) {
      const sessions = await index.list();
      if (json) console.log(JSON.stringify(sessions, null, 2));
      else if (sessions.length === 0) console.log(`no sessions recorded in ${index.folder}`);
      else {
        console.log(['ID', 'STARTED', 'LAST USED', 'COMMANDS', 'STATE'].join('\t'));
        for (const session of sessions) {
          console.log(
            [session.id, session.startedAt, session.lastUsedAt, session.commands, session.closedAt === undefined ? 'open' : 'closed'].join('\t'),
          );
        }
      }
      return 0;
    }
    if (command === 'show' && rest.length === 1) {
      const lines = await index.show(rest[0]!);
      if (json) console.log(JSON.stringify(lines, null, 2));
      else {
        for (const line of lines) {
          if (line.type === 'session')
            console.log(`session ${line.id} started ${line.startedAt} under ${line.policyDigest}${line.from ? ` from ${line.from}` : ''}`);
          else if (line.type === 'closed') console.log(`closed ${line.at}`);
          else {
            const denials = line.denials > 0 ? `, ${line.denials} refused` : '';
            console.log(
              `${line.startedAt}  ${line.status} ${line.exitCode}  ${line.durationMs} ms  ${line.stdoutBytes}+${line.stderrBytes} B${denials}  ${line.command}`,
            );
          }
        }
      }
      return 0;
    }
    throw new GoodbotError('usage', `goodbot sessions: expected 'list' or 'show ID'`, { hint: 'see goodbot sessions --help' });
  } catch (error) {
    return reportFailure(error);
  }
}

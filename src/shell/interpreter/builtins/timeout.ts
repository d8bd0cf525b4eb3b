import { TimedOut } from '../control.js';
import type { Builtin } from './index.js';

const units: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** DURATION as coreutils' timeout reads it (`10`, `0.5s`, `2m`), in milliseconds; undefined when it is none. */
function durationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(text);
  if (match === null) return undefined;
  return Number(match[1]) * units[match[2]!]!;
}

/**
 * `timeout [OPTION] DURATION COMMAND [ARG]...`, as coreutils': runs COMMAND
 * (a program, a builtin such as `sh -c`, a function) in a subshell that
 * ends at DURATION with status 124; 0 means no limit. The command is
 * stopped outright: `-s SIGNAL` and `-k DURATION` are accepted and change
 * nothing, since the sandbox has no signals. Status 125 when timeout itself
 * fails; the command's own status otherwise.
 */
export const timeout: Builtin = async (context) => {
  const args = [...context.args];
  let preserveStatus = false;
  while (args[0] !== undefined && args[0].startsWith('-') && args[0] !== '-') {
    const option = args.shift()!;
    if (option === '--') break;
    if (option === '--preserve-status') preserveStatus = true;
    else if (option === '-s' || option === '-k' || option === '--signal' || option === '--kill-after') args.shift();
    else if (!/^(--foreground|-v|--verbose|--signal=.*|--kill-after=.*|-[sk].+)$/.test(option)) {
      await context.error(`invalid option -- '${option.replace(/^-+/, '')}'`);
      return 125;
    }
  }
  const [duration, name, ...rest] = args;
  if (duration === undefined || name === undefined) {
    await context.error(duration === undefined ? 'missing operand' : `missing operand after '${duration}'`);
    return 125;
  }
  const ms = durationMs(duration);
  if (ms === undefined) {
    await context.error(`invalid time interval '${duration}'`);
    return 125;
  }
  const { state, shell } = context;
  const sub = state.copy(state.descriptors.copy());
  if (ms > 0) sub.deadline = Math.min(sub.deadline ?? Infinity, Date.now() + ms);
  try {
    return await shell.subshell(() => shell.invoke([name, ...rest], [], sub, context.line), sub);
  } catch (signal) {
    if (!(signal instanceof TimedOut)) throw signal;
    // bash's timeout sends TERM: with --preserve-status the status is the command's, 128 + 15.
    return preserveStatus ? 143 : 124;
  }
};

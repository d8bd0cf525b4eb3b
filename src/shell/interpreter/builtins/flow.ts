import { ErrnoError } from '../../../errno.js';
import { ConditionError, evaluateTest } from '../conditions.js';
import { BreakSignal, ContinueSignal, ExitSignal, ReturnSignal } from '../control.js';
import { absolutePath, type ShellFiles } from '../files.js';
import { startShell } from '../start-shell.js';
import { timeout } from './timeout.js';
import type { Builtin, BuiltinContext } from './index.js';
import { builtins } from './index.js';

/** A status argument: `exit 3`; a non-number is an error (status 2, as bash). */
async function statusArgument(context: BuiltinContext, fallback: number): Promise<number> {
  const text = context.args[0];
  if (text === undefined) return fallback;
  if (!/^[-+]?[0-9]+$/.test(text)) {
    await context.error(`${text}: numeric argument required`);
    return 2;
  }
  return Number(BigInt.asUintN(8, BigInt(text)));
}

const exit: Builtin = async (context) => {
  throw new ExitSignal(await statusArgument(context, context.state.lastStatus));
};

const returnBuiltin: Builtin = async (context) => {
  throw new ReturnSignal(await statusArgument(context, context.state.lastStatus));
};

function loopControl(make: (levels: number) => BreakSignal | ContinueSignal): Builtin {
  return async (context) => {
    const levels = context.args[0] === undefined ? 1 : Number(context.args[0]);
    if (!Number.isInteger(levels) || levels < 1) {
      await context.error(`${context.args[0]}: loop count out of range`);
      return 1;
    }
    throw make(levels);
  };
}

const evalBuiltin: Builtin = ({ args, shell, state, line }) => shell.runText(args.join(' '), state, line);

/** `.` and `source`: runs a file of the zones in this shell; `return` ends it. */
const source: Builtin = async ({ args, shell, state, files, error, line }) => {
  const [file, ...rest] = args;
  if (file === undefined) {
    await error('filename argument required');
    return 2;
  }
  const text = await scriptText(files, absolutePath(state.cwd, file));
  if (text === undefined) {
    await error(`${file}: No such file or directory`);
    return 1;
  }
  const positional = state.positional;
  if (rest.length > 0) state.positional = rest;
  try {
    return await shell.runText(text, state, line);
  } catch (signal) {
    if (signal instanceof ReturnSignal) return signal.status;
    throw signal;
  } finally {
    if (rest.length > 0) state.positional = positional;
  }
};

/** The text of the script at PATH, or undefined when it cannot be read. */
function scriptText(files: ShellFiles | undefined, path: string): Promise<string | undefined> {
  try {
    return Promise.resolve(files?.readText(path));
  } catch (error) {
    if (error instanceof ErrnoError) return Promise.resolve(undefined);
    throw error;
  }
}

/** What NAME is to this shell: a function, a builtin, a program, or nothing. */
function lookup(context: BuiltinContext, name: string): { kind: 'function' | 'builtin' | 'file'; path?: string } | undefined {
  if (context.state.functions.has(name)) return { kind: 'function' };
  if (builtins.has(name)) return { kind: 'builtin' };
  const path = context.shell.environment.launcher?.find(name);
  return path === undefined ? undefined : { kind: 'file', path };
}

const type: Builtin = async (context) => {
  let status = 0;
  const terse = context.args[0] === '-t';
  for (const name of context.args.filter((arg) => arg !== '-t')) {
    const found = lookup(context, name);
    if (found === undefined) {
      if (!terse) await context.error(`${name}: not found`);
      status = 1;
    } else if (terse) await context.out(`${found.kind}\n`);
    else if (found.kind === 'file') await context.out(`${name} is ${found.path}\n`);
    else await context.out(`${name} is ${found.kind === 'function' ? 'a function' : 'a shell builtin'}\n`);
  }
  return status;
};

const command: Builtin = async (context) => {
  const { args } = context;
  if (args[0] === '-v' || args[0] === '-V') {
    let status = 0;
    for (const name of args.slice(1)) {
      const found = lookup(context, name);
      if (found === undefined) status = 1;
      else await context.out(`${found.path ?? name}\n`);
    }
    return status;
  }
  const [name, ...rest] = args[0] === '-p' ? args.slice(1) : args;
  if (name === undefined) return 0;
  const builtin = builtins.get(name);
  if (builtin !== undefined) return builtin({ ...context, name, args: rest });
  const { state } = context;
  const functions = new Map(state.functions);
  state.functions.clear();
  try {
    return await context.shell.invoke([name, ...rest], [], state, context.line);
  } finally {
    for (const [key, value] of functions) state.functions.set(key, value);
  }
};

const exec: Builtin = async (context) => {
  const [name, ...rest] = context.args;
  if (name === undefined) return 0;
  throw new ExitSignal(await context.shell.invoke([name, ...rest], [], context.state, context.line));
};

function testBuiltin(bracket: boolean): Builtin {
  return async ({ args, stat, error }) => {
    let operands = args;
    if (bracket) {
      if (args.at(-1) !== ']') {
        await error("missing ']'");
        return 2;
      }
      operands = args.slice(0, -1);
    }
    try {
      return evaluateTest(operands, stat) ? 0 : 1;
    } catch (thrown) {
      if (!(thrown instanceof ConditionError)) throw thrown;
      await error(thrown.message);
      return 2;
    }
  };
}

/**
 * `sh` and `bash` inside the shell: a new shell (a child, as a process
 * would be: it inherits the exported variables, the working folder and the
 * descriptors, nothing else) running `-c TEXT`, a script file, or stdin.
 */
const nestedShell: Builtin = ({ name, args, state, shell }) =>
  startShell(shell, name, args, { env: state.environment(), cwd: state.cwd, descriptors: state.descriptors.copy(), deadline: state.deadline });

/** Conditions `trap` knows; the signals are kept but never come in the sandbox (nothing sends them). */
const trapConditions = new Set(['EXIT', 'ERR', 'HUP', 'INT', 'QUIT', 'TERM', 'USR1', 'USR2', 'PIPE', 'ALRM', 'CHLD']);

/** `trap CMD COND…`, `trap - COND…`, `trap` (list). `EXIT` runs when the shell ends, `ERR` after a failing command. */
const trap: Builtin = async ({ args, state, out, error }) => {
  if (args.length === 0 || (args.length === 1 && args[0] === '-p')) {
    for (const [condition, command] of state.traps) await out(`trap -- '${command.replace(/'/g, "'\\''")}' ${condition}\n`);
    return 0;
  }
  const [command, ...conditions] = args[0] === '--' ? args.slice(1) : args;
  let status = 0;
  for (const written of conditions) {
    const condition = written.toUpperCase().replace(/^SIG/, '') === '0' ? 'EXIT' : written.toUpperCase().replace(/^SIG/, '');
    if (!trapConditions.has(condition)) {
      await error(`${written}: invalid signal specification`);
      status = 1;
    } else if (command === '-') state.traps.delete(condition);
    else state.traps.set(condition, command!);
  }
  return status;
};

/** `wait [N…]`: waits for background jobs (all of them, or those numbered), and gives the last one's status. */
const wait: Builtin = async ({ args, state, error }) => {
  if (args.length === 0) {
    await state.waitFor();
    return 0;
  }
  let status = 0;
  for (const arg of args) {
    const id = Number(arg.replace(/^%/, ''));
    if (!Number.isInteger(id)) {
      await error(`${arg}: not a pid or valid job spec`);
      status = 2;
    } else status = await state.waitFor(id);
  }
  return status;
};

export const flowBuiltins: readonly [string, Builtin][] = [
  [':', () => Promise.resolve(0)],
  ['true', () => Promise.resolve(0)],
  ['false', () => Promise.resolve(1)],
  ['exit', exit],
  ['return', returnBuiltin],
  ['break', loopControl((levels) => new BreakSignal(levels))],
  ['continue', loopControl((levels) => new ContinueSignal(levels))],
  ['eval', evalBuiltin],
  ['source', source],
  ['.', source],
  ['type', type],
  ['command', command],
  ['exec', exec],
  ['test', testBuiltin(false)],
  ['[', testBuiltin(true)],
  ['wait', wait],
  ['sh', nestedShell],
  ['bash', nestedShell],
  ['trap', trap],
  ['timeout', timeout],
];

import { ErrnoError } from '../../errno.js';
import { parseInvocation } from '../invocation.js';
import { parseScript } from '../parser/parser.js';
import { ShellSyntaxError } from '../parser/syntax-error.js';
import { setOptions } from './builtins/variables.js';
import { absolutePath } from './files.js';
import type { Interpreter } from './interpreter.js';
import { readWhole, type DescriptorTable } from './io.js';
import { ShellState } from './state.js';
import { encodeShellState, restoreShellState } from './state-image.js';

/** What a new shell starts with: the environment, the working folder and the descriptors it inherits. */
export interface ShellStart {
  readonly env: readonly (readonly [string, string])[];
  readonly cwd: string;
  readonly descriptors: DescriptorTable;
  /** When it must end, if it runs under `timeout` (epoch milliseconds). */
  readonly deadline?: number | undefined;
  /** A session's shell: the state its last command left (see `encodeShellState`), and where to give the state this one leaves. */
  readonly session?: { readonly resume?: string | undefined; readonly keep: (state: string) => void };
}

/**
 * Runs a shell invoked as NAME ARGS (`sh -c 'LINE'`, `bash script.sh a b`,
 * `sh -s`) in a new state: the run's own shell, and `sh`/`bash` started
 * inside one. Usage and syntax errors are reported as bash reports them,
 * with status 2; a script file that cannot be read, with 127.
 */
export async function startShell(interpreter: Interpreter, name: string, args: readonly string[], start: ShellStart): Promise<number> {
  const encoder = new TextEncoder();
  const report = async (message: string) => {
    try {
      await start.descriptors.output(2).write(encoder.encode(`${message}\n`));
    } catch {
      // A shell whose stderr is gone still ends with its status.
    }
  };
  const invocation = parseInvocation(name, args);
  if ('error' in invocation) {
    await report(`${name}: ${invocation.error}`);
    return 2;
  }
  const state = new ShellState(
    { env: start.env, cwd: start.cwd, scriptName: invocation.scriptName, positional: invocation.positional },
    start.descriptors,
  );
  state.deadline = start.deadline;
  if (start.session?.resume !== undefined) {
    try {
      restoreShellState(state, start.session.resume);
    } catch (error) {
      await report(`${name}: ${(error as Error).message}`);
      return 2;
    }
    // The run's own working folder wins: a session may start a command elsewhere.
    state.cwd = start.cwd;
    if (state.variables.get('PWD')?.readonly !== true) state.setVariable('PWD', start.cwd);
  }
  if ((await setOptions(state, invocation.options, (message) => report(`${name}: ${message}`))) !== 0) return 2;
  const { source } = invocation;
  let text: string;
  let where: string;
  if (source.kind === 'text') {
    text = source.text;
    where = `${name}: -c`;
  } else if (source.kind === 'file') {
    where = source.path;
    try {
      const files = interpreter.environment.files;
      if (files === undefined) throw new ErrnoError('NOENT');
      text = files.readText(absolutePath(start.cwd, source.path));
    } catch (error) {
      if (!(error instanceof ErrnoError)) throw error;
      await report(`${name}: ${source.path}: No such file or directory`);
      return 127;
    }
  } else {
    where = name;
    text = new TextDecoder().decode(await readWhole(start.descriptors.input(0)));
  }
  let script;
  try {
    script = parseScript(text);
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) throw error;
    await report(`${where}: ${error.describe()}`);
    return 2;
  }
  try {
    const status = await interpreter.run(script, state);
    // The run ends when its jobs do: a job left running would outlive its zones.
    await state.waitFor();
    return await interpreter.exitTrap(state, status);
  } finally {
    // Also when a limit stopped it: what it did before stays done, as in a shell interrupted.
    start.session?.keep(encodeShellState(state));
  }
}

import { ErrnoError } from '../../errno.js';
import { Pipe } from '../../wasi/common/pipe.js';
import type { Command, FunctionDefinition, Pipeline, Redirection, Script, SimpleCommand, Statement, TestExpression } from '../ast.js';
import { parseScript } from '../parser/parser.js';
import { ShellSyntaxError } from '../parser/syntax-error.js';
import { builtins, type BuiltinContext } from './builtins/index.js';
import { binaryTest, ConditionError, unaryTest } from './conditions.js';
import { BreakSignal, ContinueSignal, ExitSignal, ReturnSignal, TimedOut } from './control.js';
import { errnoMessage } from './errno-messages.js';
import { ExpansionError, Expander } from './expand.js';
import { absolutePath, type ShellFiles } from './files.js';
import {
  BrokenPipe,
  BytesInput,
  CapturedOutput,
  CaptureOverflow,
  closedInput,
  DescriptorTable,
  discardOutput,
  FileInput,
  FileOutput,
  PipeInput,
  PipeOutput,
  type Descriptor,
  type ShellInput,
  type ShellOutput,
} from './io.js';
import { matchesPattern } from './pattern.js';
import { startShell } from './start-shell.js';
import { maxValueLength, ValueTooLarge } from './sizes.js';
import { ReadonlyVariableError, ShellState } from './state.js';

/** A command to run: its words, environment, working folder and streams. */
export interface CommandRequest {
  readonly argv: readonly string[];
  readonly env: readonly (readonly [string, string])[];
  readonly cwd: string;
  readonly stdin: ShellInput;
  readonly stdout: ShellOutput;
  readonly stderr: ShellOutput;
}

/** A program the shell starts: a catalog tool, run under the same policy and limits. */
export interface ProcessRequest extends CommandRequest {
  /**
   * Runs a command the program starts as its child (xargs, find -exec,
   * env CMD), as this shell would run it in a shell of its own; throws an
   * ErrnoError ENOENT when no command has that name.
   */
  readonly runChild: (child: CommandRequest) => Promise<number>;
  /** When it must end (epoch milliseconds), as `timeout` said; it then ends with status 124. */
  readonly deadline?: number;
  /** It runs in a background job (`&`): the shell goes on while it runs. */
  readonly background?: boolean;
}

/** Starts the programs a command line names; the shell knows nothing of how they run. */
export interface ProcessLauncher {
  /**
   * Programs run beside the shell, so the commands of a pipeline run at the
   * same time and its pipes stream. False: programs run on the shell's own
   * thread, so a pipeline runs its commands one after another, each pipe
   * kept whole (at most the capture limit).
   */
  readonly streams: boolean;
  /** Where NAME is found (`type`, `command -v`), or undefined when no program has that name. */
  find(name: string): string | undefined;
  /** Runs the program and gives its exit status. */
  run(request: ProcessRequest): Promise<number>;
}

/** What the interpreter runs in: the run's files, programs and limits. */
export interface ShellEnvironment {
  /** The name in its messages (`sh`, `bash`). */
  readonly name: string;
  /** The run's zones; undefined: no files at all. */
  readonly files: ShellFiles | undefined;
  /** Programs; undefined: builtins and functions only (anything else is not found). */
  readonly launcher: ProcessLauncher | undefined;
  /** Throws when the run must stop (deadline, cancellation); called before every command and loop turn. */
  readonly checkpoint: () => void;
  /** The most bytes one command substitution may capture. */
  readonly captureLimit: number;
}

/** How deep functions may call functions, as bash's FUNCNEST would. */
const maxFunctionDepth = 1000;
const encoder = new TextEncoder();

/** Is the command being run as a condition (`if`, `while`, `&&`, `!`), where `set -e` does not apply. */
type Context = { readonly condition: boolean };
const plain: Context = { condition: false };
const asCondition: Context = { condition: true };

/**
 * Runs a parsed command line against a {@link ShellState}: expansions,
 * control flow, functions, builtins, redirections over the run's zones,
 * and pipelines whose commands run at the same time, joined by pipes.
 */
export class Interpreter {
  private functionDepth = 0;
  private inErrTrap = false;

  constructor(readonly environment: ShellEnvironment) {}

  /** Runs SCRIPT; the exit status of the last command, or of `exit`. */
  async run(script: Script, state: ShellState): Promise<number> {
    try {
      return await this.list(script.body, state, plain);
    } catch (signal) {
      if (signal instanceof ExitSignal) return signal.status;
      if (signal instanceof BrokenPipe) return signal.status;
      if (signal instanceof BreakSignal || signal instanceof ContinueSignal) return state.lastStatus;
      if (signal instanceof ReturnSignal) return signal.status;
      throw signal;
    }
  }

  /** Parses and runs TEXT in STATE (`eval`, `.`, `sh -c` inside the shell); a syntax error is reported, status 2. */
  async runText(text: string, state: ShellState, line = 0): Promise<number> {
    let script: Script;
    try {
      script = parseScript(text);
    } catch (error) {
      if (!(error instanceof ShellSyntaxError)) throw error;
      await this.report(state, line || error.line, error.message);
      return 2;
    }
    return this.list(script.body, state, plain);
  }

  async list(statements: readonly Statement[], state: ShellState, context: Context): Promise<number> {
    let status = state.lastStatus;
    for (const statement of statements) status = await this.statement(statement, state, context);
    return status;
  }

  private async statement(statement: Statement, state: ShellState, context: Context): Promise<number> {
    if (statement.background) {
      // A background job runs in a subshell beside what follows; `wait` (or the shell's end) collects it.
      const job = state.copy(state.descriptors.copy());
      job.background = true;
      state.startJob(this.subshell(() => this.andOr(statement, job, plain), job));
      state.lastStatus = 0;
      return 0;
    }
    return this.andOr(statement, state, context);
  }

  private async andOr(statement: Statement, state: ShellState, context: Context): Promise<number> {
    const chained = statement.rest.length > 0;
    let status = await this.pipeline(statement.first, state, chained ? asCondition : context);
    for (const [index, { operator, pipeline }] of statement.rest.entries()) {
      if ((operator === '&&') !== (status === 0)) continue;
      const last = index === statement.rest.length - 1;
      status = await this.pipeline(pipeline, state, last ? context : asCondition);
    }
    return status;
  }

  private async pipeline(pipeline: Pipeline, state: ShellState, context: Context): Promise<number> {
    const inner = pipeline.negated ? asCondition : context;
    const statuses = pipeline.commands.length === 1 ? [await this.command(pipeline.commands[0]!, state, inner)] : await this.stages(pipeline, state);
    // PIPESTATUS: the statuses of the pipeline's commands, as bash keeps them (before `!`).
    state.variables.set('PIPESTATUS', { value: statuses.map(String), exported: false });
    let status = state.options.pipefail ? ([...statuses].reverse().find((s) => s !== 0) ?? 0) : statuses.at(-1)!;
    if (pipeline.negated) status = status === 0 ? 1 : 0;
    state.lastStatus = status;
    if (status !== 0 && !inner.condition) {
      await this.errTrap(state);
      if (state.options.errexit) throw new ExitSignal(status);
    }
    return status;
  }

  /** The commands of a pipeline, each in a subshell of its own, all at once, joined by pipes. */
  private async stages(pipeline: Pipeline, state: ShellState): Promise<number[]> {
    if (this.environment.launcher?.streams === false) return this.stagesInTurn(pipeline, state);
    const pipes = pipeline.commands.slice(1).map(() => new Pipe());
    return Promise.all(
      pipeline.commands.map(async (command, i) => {
        const descriptors = state.descriptors.copy();
        const input = i > 0 ? new PipeInput(pipes[i - 1]!) : undefined;
        const output = i < pipes.length ? new PipeOutput(pipes[i]!) : undefined;
        if (input) descriptors.set(0, { input });
        if (output) {
          descriptors.set(1, { output });
          if (pipeline.stderrToo[i]) descriptors.set(2, { output });
        }
        const stage = state.copy(descriptors);
        try {
          return await this.subshell(() => this.command(command, stage, plain), stage);
        } finally {
          input?.close();
          output?.close();
        }
      }),
    );
  }

  /**
   * The commands of a pipeline one after another, each reading what the one
   * before wrote, kept whole: for programs that run on the shell's thread,
   * which cannot wait for a reader running on the same thread.
   */
  private async stagesInTurn(pipeline: Pipeline, state: ShellState): Promise<number[]> {
    const statuses: number[] = [];
    let input: ShellInput | undefined;
    for (const [i, command] of pipeline.commands.entries()) {
      const descriptors = state.descriptors.copy();
      if (input) descriptors.set(0, { input });
      const last = i === pipeline.commands.length - 1;
      const captured = last
        ? undefined
        : new CapturedOutput(this.environment.captureLimit, 'a pipe between programs that run one after another', 'PIPE');
      if (captured) {
        descriptors.set(1, { output: captured });
        if (pipeline.stderrToo[i]) descriptors.set(2, { output: captured });
      }
      const stage = state.copy(descriptors);
      let status: number;
      try {
        status = await this.subshell(() => this.command(command, stage, plain), stage);
      } catch (error) {
        if (!(error instanceof CaptureOverflow)) throw error;
        status = new BrokenPipe().status;
      }
      if (captured?.overflowed) await this.report(state, command.line, `${captured.message}: its writer was stopped`);
      statuses.push(status);
      input = captured && new BytesInput(captured.bytes);
    }
    return statuses;
  }

  /** Runs BODY as a subshell: `exit` and a broken pipe end it alone, and its own EXIT trap runs as it ends. */
  async subshell(body: () => Promise<number>, state: ShellState): Promise<number> {
    let status: number;
    try {
      status = await body();
    } catch (signal) {
      if (signal instanceof ExitSignal || signal instanceof BrokenPipe || signal instanceof ReturnSignal) status = signal.status;
      else if (signal instanceof BreakSignal || signal instanceof ContinueSignal) status = state.lastStatus;
      else throw signal;
    }
    // Its own background jobs end with it: none may outlive the run's zones.
    await state.waitFor();
    return this.exitTrap(state, status);
  }

  /** The EXIT trap of a shell ending with STATUS, if it set one: `$?` is STATUS, and an `exit` in it decides. */
  async exitTrap(state: ShellState, status: number): Promise<number> {
    const command = state.traps.get('EXIT');
    if (command === undefined) return status;
    state.traps.delete('EXIT');
    state.lastStatus = status;
    try {
      await this.runText(command, state);
    } catch (signal) {
      if (signal instanceof ExitSignal) return signal.status;
      if (!(signal instanceof ReturnSignal || signal instanceof BrokenPipe)) throw signal;
    }
    return status;
  }

  /** The ERR trap after a failing command; a failure inside it does not call it again. */
  private async errTrap(state: ShellState): Promise<void> {
    const command = state.traps.get('ERR');
    if (command === undefined || this.inErrTrap) return;
    const status = state.lastStatus;
    this.inErrTrap = true;
    try {
      await this.runText(command, state);
    } finally {
      this.inErrTrap = false;
      state.lastStatus = status;
    }
  }

  /** Throws when the run must stop, or when the command `timeout` runs passed its deadline. */
  checkpoint(state: ShellState): void {
    this.environment.checkpoint();
    if (state.deadline !== undefined && Date.now() >= state.deadline) throw new TimedOut();
  }

  async command(command: Command, state: ShellState, context: Context): Promise<number> {
    this.checkpoint(state);
    if (command.type === 'SimpleCommand') return this.simpleCommand(command, state, context);
    if (command.type === 'FunctionDefinition') {
      state.functions.set(command.name, command);
      return 0;
    }
    return this.withRedirections(command.redirections, state, command.line, () => this.compound(command, state, context));
  }

  private async compound(command: Exclude<Command, SimpleCommand | FunctionDefinition>, state: ShellState, context: Context): Promise<number> {
    const expander = this.expander(state);
    switch (command.type) {
      case 'Group':
        return this.list(command.body, state, context);
      case 'Subshell': {
        const sub = state.copy(state.descriptors.copy());
        return this.subshell(() => this.list(command.body, sub, context), sub);
      }
      case 'If': {
        for (const branch of command.branches) {
          if ((await this.list(branch.condition, state, asCondition)) === 0) return this.list(branch.body, state, context);
        }
        return command.otherwise ? this.list(command.otherwise, state, context) : 0;
      }
      case 'Loop': {
        let status = 0;
        for (;;) {
          this.checkpoint(state);
          const test = await this.list(command.condition, state, asCondition);
          if ((test === 0) === command.until) break;
          const turn = await this.loopBody(command.body, state, context);
          status = turn.status;
          if (turn.stop) break;
        }
        return status;
      }
      case 'For': {
        const items = command.items === undefined ? [...state.positional] : await expander.fields(command.items);
        let status = 0;
        for (const item of items) {
          this.checkpoint(state);
          state.setVariable(command.name, item);
          const turn = await this.loopBody(command.body, state, context);
          status = turn.status;
          if (turn.stop) break;
        }
        return status;
      }
      case 'ArithmeticFor': {
        let status = 0;
        const value = async (word: typeof command.init) => expander.arithmetic(await expander.string(word));
        const hasTest = (await expander.string(command.test)).trim() !== '';
        for (await value(command.init); !hasTest || (await value(command.test)) !== 0n; await value(command.step)) {
          this.checkpoint(state);
          const turn = await this.loopBody(command.body, state, context);
          status = turn.status;
          if (turn.stop) break;
        }
        return status;
      }
      case 'Case': {
        const subject = await expander.string(command.subject);
        let falling = false;
        for (const item of command.items) {
          let matched = falling;
          for (const pattern of item.patterns) {
            if (matched) break;
            matched = matchesPattern(await expander.pattern(pattern), subject);
          }
          if (!matched) continue;
          const status = await this.list(item.body, state, context);
          if (item.terminator === ';;') return status;
          falling = item.terminator === ';&';
          if (!falling) continue;
        }
        return 0;
      }
      case 'ArithmeticCommand': {
        const value = expander.arithmetic(await expander.string(command.expression));
        return value !== 0n ? 0 : 1;
      }
      case 'Conditional':
        try {
          return (await this.condition(command.expression, state)) ? 0 : 1;
        } catch (error) {
          if (!(error instanceof ConditionError)) throw error;
          await this.report(state, command.line, error.message);
          return 2;
        }
    }
  }

  /** One turn of a loop's body: `break` stops the loop, `continue` goes on; deeper levels pass up. */
  private async loopBody(body: readonly Statement[], state: ShellState, context: Context): Promise<{ status: number; stop: boolean }> {
    try {
      return { status: await this.list(body, state, context), stop: false };
    } catch (signal) {
      if (signal instanceof BreakSignal) {
        if (--signal.levels > 0) throw signal;
        return { status: 0, stop: true };
      }
      if (signal instanceof ContinueSignal) {
        if (--signal.levels > 0) throw signal;
        return { status: 0, stop: false };
      }
      throw signal;
    }
  }

  /** `[[ … ]]`: no splitting or globbing; `==` and `!=` match patterns, `=~` regular expressions. */
  private async condition(expression: TestExpression, state: ShellState): Promise<boolean> {
    const expander = this.expander(state);
    const stat = this.stat(state);
    switch (expression.type) {
      case 'TestWord':
        return (await expander.string(expression.word)) !== '';
      case 'TestNot':
        return !(await this.condition(expression.operand, state));
      case 'TestAnd':
        return (await this.condition(expression.left, state)) && this.condition(expression.right, state);
      case 'TestOr':
        return (await this.condition(expression.left, state)) || this.condition(expression.right, state);
      case 'TestUnary':
        return unaryTest(expression.operator, await expander.string(expression.operand), stat);
      case 'TestBinary': {
        const left = await expander.string(expression.left);
        if (expression.operator === '==' || expression.operator === '=' || expression.operator === '!=') {
          const matched = matchesPattern(await expander.pattern(expression.right), left);
          return expression.operator === '!=' ? !matched : matched;
        }
        if (expression.operator === '=~') {
          const source = await expander.string(expression.right);
          let regex: RegExp;
          try {
            regex = new RegExp(source, 'u');
          } catch {
            throw new ConditionError(`${source}: invalid regular expression`);
          }
          const match = regex.exec(left);
          if (match === null) {
            state.unset('BASH_REMATCH');
            return false;
          }
          state.setVariable(
            'BASH_REMATCH',
            [...match].map((group) => group ?? ''),
          );
          return true;
        }
        return binaryTest(expression.operator, left, await expander.string(expression.right), stat);
      }
    }
  }

  private async simpleCommand(command: SimpleCommand, state: ShellState, context: Context): Promise<number> {
    const expander = this.expander(state);
    let argv: string[];
    const assignments: [string, string][] = [];
    // A command of assignments only has the status of its last command substitution, else 0.
    if (command.words.length === 0) state.lastStatus = 0;
    try {
      argv = await expander.fields(command.words);
      for (const assignment of command.assignments) {
        if (assignment.elements !== undefined) {
          const values = await expander.fields(assignment.elements);
          if (argv.length === 0) state.setVariable(assignment.name, assignment.append ? [...arrayOf(state, assignment.name), ...values] : values);
          continue;
        }
        const value = await expander.string(assignment.value);
        if (state.options.xtrace) await this.write(state, 2, `+ ${assignment.name}${assignment.append ? '+=' : '='}${traceWord(value)}\n`);
        if (argv.length > 0) assignments.push([assignment.name, value]);
        else if (assignment.index !== undefined) {
          const index = Number(expander.arithmetic(await expander.string(assignment.index)));
          state.setElement(assignment.name, index, value);
        } else state.setVariable(assignment.name, assignment.append ? (state.get(assignment.name) ?? '') + value : value);
      }
    } catch (error) {
      return this.failedExpansion(error, state, command.line);
    }
    if (state.options.xtrace && argv.length > 0) await this.write(state, 2, `+ ${argv.map(traceWord).join(' ')}\n`);
    if (argv.length === 1 && argv[0] === 'exec' && state.functions.get('exec') === undefined)
      return this.keepRedirections(command.redirections, state, command.line);
    if (argv.length === 0) {
      const status = state.lastStatus;
      return this.withRedirections(command.redirections, state, command.line, () => Promise.resolve(status));
    }
    return this.withRedirections(command.redirections, state, command.line, () => this.invoke(argv, assignments, state, command.line, context));
  }

  /** An expansion that failed: bash reports it and, not being interactive, leaves the shell with status 1. */
  async failedExpansion(error: unknown, state: ShellState, line: number): Promise<never> {
    if (error instanceof ExpansionError || error instanceof ReadonlyVariableError || error instanceof ValueTooLarge) {
      await this.report(state, line, error.message);
      throw new ExitSignal(error instanceof ExpansionError ? error.status : 1);
    }
    // V8's own limit on a string's length, reached past our bounds (a replacement that multiplies a value).
    if (error instanceof RangeError && /Invalid string length|Invalid array length/.test(error.message)) {
      await this.report(state, line, `a value would hold more than ${maxValueLength} characters`);
      throw new ExitSignal(1);
    }
    throw error;
  }

  /** Runs ARGV: a function, a builtin, or a program, in that order. */
  async invoke(
    argv: readonly string[],
    assignments: readonly [string, string][],
    state: ShellState,
    line: number,
    context: Context = plain,
  ): Promise<number> {
    const [name, ...args] = argv as [string, ...string[]];
    const definition = state.functions.get(name);
    if (definition !== undefined) return this.callFunction(definition, args, state, line);
    const builtin = builtins.get(name);
    if (builtin !== undefined) {
      const saved = assignments.map(([variable]) => [variable, state.variables.get(variable)] as const);
      for (const [variable, value] of assignments) state.setVariable(variable, value);
      try {
        return await builtin(this.builtinContext(name, args, state, line, context));
      } catch (error) {
        if (error instanceof WriteFailure) {
          await this.report(state, line, `${name}: write error: ${errnoMessage(error.cause, false)}`);
          return 1;
        }
        if (error instanceof ValueTooLarge || error instanceof ExpansionError || error instanceof RangeError)
          return this.failedExpansion(error, state, line);
        throw error;
      } finally {
        for (const [variable, previous] of saved) {
          if (previous === undefined) state.variables.delete(variable);
          else state.variables.set(variable, previous);
        }
      }
    }
    return this.external(argv, assignments, state, line);
  }

  private async external(argv: readonly string[], assignments: readonly [string, string][], state: ShellState, line: number): Promise<number> {
    const launcher = this.environment.launcher;
    const name = argv[0]!;
    if (name.includes('/')) return this.script(argv, assignments, state, line);
    if (launcher === undefined || launcher.find(name) === undefined) {
      await this.report(state, line, `${name}: command not found`);
      return 127;
    }
    return launcher.run({
      argv,
      env: state.environment(assignments),
      cwd: state.cwd,
      stdin: state.descriptors.input(0),
      stdout: state.descriptors.output(1),
      stderr: state.descriptors.output(2),
      ...(state.deadline !== undefined && { deadline: state.deadline }),
      ...(state.background && { background: true }),
      runChild: (child) => this.runChild(child, state.deadline),
    });
  }

  /**
   * A command a program started (xargs, find -exec, env CMD): a builtin
   * (`sh -c …` included) or a program, in a shell state of its own with the
   * child's environment, folder and streams. `/usr/bin/NAME`, where
   * `command -v` places the catalog's tools, is NAME.
   */
  async runChild(child: CommandRequest, deadline?: number): Promise<number> {
    const [written, ...args] = child.argv as [string, ...string[]];
    const launcher = this.environment.launcher;
    const base = written.split('/').at(-1)!;
    const name = written.includes('/') && launcher?.find(base) === written ? base : written;
    if (!name.includes('/') && !builtins.has(name) && launcher?.find(name) === undefined) {
      throw new ErrnoError('NOENT', `${name}: no such command`);
    }
    const descriptors = new DescriptorTable([
      [0, { input: child.stdin }],
      [1, { output: child.stdout }],
      [2, { output: child.stderr }],
    ]);
    const state = new ShellState({ env: child.env, cwd: child.cwd, scriptName: this.environment.name }, descriptors);
    // The child of a command `timeout` runs ends with it.
    state.deadline = deadline;
    return this.subshell(() => this.invoke([name, ...args], [], state, 0), state);
  }

  /**
   * `./run.sh ARGS`: a file of the zones, run by the interpreter its `#!`
   * line names (`sh` or `bash`: this shell; `python3` and the like, directly
   * or through `/usr/bin/env`: that catalog tool), or by this shell when it
   * has none, as bash does. Zones keep no execute bits, so none is asked for.
   */
  private async script(argv: readonly string[], assignments: readonly [string, string][], state: ShellState, line: number): Promise<number> {
    const [written, ...args] = argv as [string, ...string[]];
    const files = this.environment.files;
    const path = absolutePath(state.cwd, written);
    const found = files?.stat(path);
    if (files === undefined || found === undefined) {
      await this.report(state, line, `${written}: No such file or directory`);
      return 127;
    }
    if (found.type === 'directory') {
      await this.report(state, line, `${written}: Is a directory`);
      return 126;
    }
    let text: string;
    try {
      text = files.readText(path);
    } catch (error) {
      if (!(error instanceof ErrnoError)) throw error;
      await this.report(state, line, `${written}: ${errnoMessage(error, false)}`);
      return 126;
    }
    const shebang = text.startsWith('#!') ? text.slice(2, text.includes('\n') ? text.indexOf('\n') : undefined).trim() : '';
    const words = shebang.split(/\s+/).filter(Boolean);
    const viaEnv = words[0]?.split('/').at(-1) === 'env';
    const program = (viaEnv ? words[1] : words[0])?.split('/').at(-1) ?? 'sh';
    const options = words.slice(viaEnv ? 2 : 1);
    if (program === 'sh' || program === 'bash') {
      return startShell(this, program, [...options, written, ...args], {
        env: state.environment(assignments),
        cwd: state.cwd,
        descriptors: state.descriptors.copy(),
        deadline: state.deadline,
      });
    }
    if (this.environment.launcher?.find(program) === undefined) {
      await this.report(state, line, `${written}: ${shebang}: bad interpreter: No such file or directory`);
      return 126;
    }
    return this.external([program, ...options, written, ...args], assignments, state, line);
  }

  private async callFunction(definition: FunctionDefinition, args: readonly string[], state: ShellState, line: number): Promise<number> {
    if (this.functionDepth >= maxFunctionDepth) {
      await this.report(state, line, `${definition.name}: maximum function nesting level exceeded (${maxFunctionDepth})`);
      throw new ExitSignal(1);
    }
    const positional = state.positional;
    state.positional = [...args];
    state.enterFunction();
    this.functionDepth++;
    try {
      return await this.command(definition.body, state, plain);
    } catch (signal) {
      if (signal instanceof ReturnSignal) return signal.status;
      throw signal;
    } finally {
      this.functionDepth--;
      state.leaveFunction();
      state.positional = positional;
    }
  }

  private builtinContext(name: string, args: readonly string[], state: ShellState, line: number, context: Context): BuiltinContext {
    return {
      name,
      args,
      state,
      line,
      shell: this,
      condition: context.condition,
      stdin: state.descriptors.input(0),
      out: (text) => this.writeOrFail(state, 1, text),
      err: (text) => this.write(state, 2, text),
      error: (message) => this.report(state, line, `${name}: ${message}`),
      files: this.environment.files,
      stat: this.stat(state),
    };
  }

  /** Runs BODY with REDIRECTIONS applied to a copy of the descriptors; files it opened are closed after. */
  private async withRedirections(
    redirections: readonly Redirection[],
    state: ShellState,
    line: number,
    body: () => Promise<number>,
  ): Promise<number> {
    if (redirections.length === 0) return body();
    const descriptors = state.descriptors.copy();
    const opened: Descriptor[] = [];
    try {
      for (const redirection of redirections) await this.redirect(redirection, descriptors, state, opened);
    } catch (error) {
      for (const descriptor of opened) closeDescriptor(descriptor);
      if (error instanceof ErrnoError || error instanceof RedirectionError) {
        await this.report(state, line, error instanceof ErrnoError ? errnoMessage(error) : error.message);
        return 1;
      }
      return this.failedExpansion(error, state, line);
    }
    const saved = state.descriptors;
    state.descriptors = descriptors;
    try {
      return await body();
    } finally {
      state.descriptors = saved;
      for (const descriptor of opened) closeDescriptor(descriptor);
    }
  }

  /** `exec` with redirections only: they change the shell's own descriptors, for the commands after. */
  private async keepRedirections(redirections: readonly Redirection[], state: ShellState, line: number): Promise<number> {
    for (const redirection of redirections) {
      try {
        await this.redirect(redirection, state.descriptors, state, []);
      } catch (error) {
        if (error instanceof ErrnoError || error instanceof RedirectionError) {
          await this.report(state, line, error instanceof ErrnoError ? errnoMessage(error) : error.message);
          return 1;
        }
        return this.failedExpansion(error, state, line);
      }
    }
    return 0;
  }

  /** Applies one redirection to DESCRIPTORS (and, for `exec`, keeps what it opens). */
  async redirect(redirection: Redirection, descriptors: DescriptorTable, state: ShellState, opened: Descriptor[]): Promise<void> {
    const expander = this.expander(state);
    const { operator } = redirection;
    const fd = redirection.fd ?? (operator.startsWith('<') && operator !== '<>' ? 0 : operator === '<>' ? 0 : 1);
    if (redirection.hereDocument !== undefined) {
      const body = redirection.hereDocument.expand ? await expander.string(redirection.hereDocument.body) : plainText(redirection.hereDocument.body);
      descriptors.set(fd, { input: new BytesInput(encoder.encode(body)) });
      return;
    }
    const target = await expander.string(redirection.target);
    if (operator === '<<<') {
      descriptors.set(fd, { input: new BytesInput(encoder.encode(`${target}\n`)) });
      return;
    }
    if ((operator === '<&' || operator === '>&') && (/^[0-9]+$/.test(target) || target === '-')) {
      if (target === '-') descriptors.delete(fd);
      else {
        const source = descriptors.get(Number(target));
        if (source === undefined) throw new RedirectionError(`${target}: Bad file descriptor`);
        descriptors.set(fd, source);
      }
      return;
    }
    const path = absolutePath(state.cwd, target);
    const both = operator === '&>' || operator === '&>>' || operator === '>&';
    const mode = operator === '<' ? 'read' : operator === '<>' ? 'read-write' : operator === '>>' || operator === '&>>' ? 'append' : 'write';
    const descriptor = this.openDescriptor(path, target, mode);
    opened.push(descriptor);
    if (both) {
      descriptors.set(1, descriptor);
      descriptors.set(2, descriptor);
    } else descriptors.set(fd, descriptor);
  }

  private openDescriptor(path: string, written: string, mode: 'read' | 'write' | 'append' | 'read-write'): Descriptor {
    const files = this.environment.files;
    if (files === undefined) {
      if (path === '/dev/null') return mode === 'read' ? { input: closedInput } : { output: discardOutput };
      throw new RedirectionError(`${written}: No such file or directory (the run has no zones)`);
    }
    try {
      const file = files.open(path, mode);
      if (mode === 'read') return { input: new FileInput(file) };
      if (mode === 'read-write') return { input: new FileInput(file), output: new FileOutput(file) };
      return { output: new FileOutput(file) };
    } catch (error) {
      if (error instanceof ErrnoError) throw new RedirectionError(`${written}: ${errnoMessage(error, false)}`);
      throw error;
    }
  }

  /** Runs BODY in a subshell and gives what it wrote to stdout (`$( … )`). */
  async substitute(body: readonly Statement[], state: ShellState): Promise<string> {
    const capture = new CapturedOutput(this.environment.captureLimit);
    const descriptors = state.descriptors.copy();
    descriptors.set(1, { output: capture });
    const sub = state.copy(descriptors);
    try {
      state.lastStatus = await this.subshell(() => this.list(body, sub, plain), sub);
    } catch (error) {
      if (error instanceof CaptureOverflow) throw new ExpansionError(error.message);
      throw error;
    }
    if (capture.overflowed) throw new ExpansionError(capture.message);
    return capture.text;
  }

  expander(state: ShellState): Expander {
    return new Expander({
      state,
      files: this.environment.files,
      substitute: (body) => this.substitute(body, state),
      checkpoint: () => this.environment.checkpoint(),
    });
  }

  stat(state: ShellState) {
    const files = this.environment.files;
    return (path: string, follow = true) => files?.stat(absolutePath(state.cwd, path), follow);
  }

  /** Writes TEXT to descriptor FD; a closed or broken descriptor loses it, as a shell's own messages would be. */
  async write(state: ShellState, fd: number, text: string): Promise<void> {
    try {
      await state.descriptors.output(fd).write(encoder.encode(text));
    } catch (error) {
      if (error instanceof BrokenPipe) throw error;
      if (!(error instanceof ErrnoError)) throw error;
    }
  }

  /** Writes a builtin's output to FD: a descriptor that is closed or fails makes the builtin fail, as bash's `write error`. */
  private async writeOrFail(state: ShellState, fd: number, text: string): Promise<void> {
    try {
      await state.descriptors.output(fd).write(encoder.encode(text));
    } catch (error) {
      if (error instanceof ErrnoError) throw new WriteFailure(error);
      throw error;
    }
  }

  /** A message on stderr as bash words it: `bash: line 3: message`. */
  async report(state: ShellState, line: number, message: string): Promise<void> {
    await this.write(state, 2, `${this.environment.name}: line ${line}: ${message}\n`);
  }
}

/** A redirection that cannot be made (a bad descriptor, a file that cannot be opened). */
class RedirectionError extends Error {}

/** A pipeline's status: its last command's, or with `set -o pipefail` the last that failed. */
/** A builtin's output could not be written. */
class WriteFailure extends Error {
  constructor(override readonly cause: ErrnoError) {
    super(cause.detail ?? cause.errno);
  }
}

function closeDescriptor(descriptor: Descriptor): void {
  descriptor.input?.close();
  if (descriptor.output !== descriptor.input) descriptor.output?.close();
}

/** A word as `set -x` shows it: quoted as bash quotes it when it is not plain. */
function traceWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

function arrayOf(state: ShellState, name: string): string[] {
  const value = state.variables.get(name)?.value;
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function plainText(word: { readonly parts: readonly { readonly type: string; readonly value?: string }[] }): string {
  return word.parts.map((part) => part.value ?? '').join('');
}

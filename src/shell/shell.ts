import type { BlockingWait } from '../limits/blocking-wait.js';
import type { Preopen } from '../wasi/common/context.js';
import type { InputSource, OutputSink } from '../wasi/common/stdio.js';
import { parseScript } from './parser/parser.js';
import { ShellSyntaxError } from './parser/syntax-error.js';
import { ShellFiles } from './interpreter/files.js';
import { Interpreter, type ProcessLauncher } from './interpreter/interpreter.js';
import { DescriptorTable, SinkOutput, SourceInput } from './interpreter/io.js';
import { ShellState } from './interpreter/state.js';
import { setOptions } from './interpreter/builtins/variables.js';

/** One command line (or script) to run, and what it runs with. */
export interface ShellRun {
  /** The command line or the script's text. */
  readonly text: string;
  /** `sh` or `bash`: `$0` and the name in messages. */
  readonly name: string;
  /** `$1`, `$2`, … */
  readonly positional?: readonly string[];
  /** `set` options given before the text (`-e`, `-o pipefail`…). */
  readonly options?: readonly string[];
  /** The environment, already filtered by the policy. */
  readonly env: readonly (readonly [string, string])[];
  /** The working folder (an absolute guest path). */
  readonly cwd: string;
  /** The run's zones. */
  readonly preopens: readonly Preopen[];
  readonly stdin: InputSource;
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
  /** Starts the programs the line names; none: builtins only. */
  readonly launcher?: ProcessLauncher;
  /** The run's deadline and cancellation; `checkpoint` throws when the run must stop. */
  readonly wait?: BlockingWait;
  /** The most bytes one `$( … )` may capture (default 16 MiB). */
  readonly captureLimit?: number;
}

/**
 * Runs a command line in the sandbox's shell and gives its exit status: 2
 * for a syntax error or a construct it does not support, which it names on
 * stderr as bash would.
 */
export async function runShell(run: ShellRun): Promise<number> {
  const stderr = new SinkOutput(run.stderr);
  const descriptors = new DescriptorTable([
    [0, { input: new SourceInput(run.stdin, run.wait) }],
    [1, { output: new SinkOutput(run.stdout) }],
    [2, { output: stderr }],
  ]);
  const state = new ShellState({ env: run.env, cwd: run.cwd, scriptName: run.name, positional: run.positional ?? [] }, descriptors);
  const report = (message: string) => stderr.write(new TextEncoder().encode(`${run.name}: ${message}\n`));
  const optionStatus = await setOptions(state, run.options ?? [], report);
  if (optionStatus !== 0) return optionStatus;
  let script;
  try {
    script = parseScript(run.text);
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) throw error;
    await report(error.describe());
    return 2;
  }
  const interpreter = new Interpreter({
    name: run.name,
    files: run.preopens.length > 0 ? new ShellFiles(run.preopens) : undefined,
    launcher: run.launcher,
    checkpoint: () => run.wait?.checkpoint(' (in the shell)'),
    captureLimit: run.captureLimit ?? 16 * 1024 * 1024,
  });
  return interpreter.run(script, state);
}

import type { BlockingWait } from '../limits/blocking-wait.js';
import type { Preopen } from '../wasi/common/context.js';
import type { InputSource, OutputSink } from '../wasi/common/stdio.js';
import { ShellFiles } from './interpreter/files.js';
import { Interpreter, type ProcessLauncher } from './interpreter/interpreter.js';
import { DescriptorTable, SinkOutput, SourceInput } from './interpreter/io.js';
import { startShell, type ShellStart } from './interpreter/start-shell.js';

/** A shell to run, and what it runs with. */
export interface ShellRun {
  /** `sh` or `bash`: argv[0], the default `$0` and the name in messages. */
  readonly name: string;
  /** Its arguments, as `sh` takes them: `-c LINE [NAME [ARGS…]]`, a script file, or none (stdin). */
  readonly args: readonly string[];
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
  /** A session's shell: where it starts from and where its end state goes (see `ShellStart.session`). */
  readonly session?: ShellStart['session'];
}

/**
 * Runs a shell in the sandbox and gives its exit status: 2 for a syntax
 * error or a construct it does not support, which it names on stderr as
 * bash would.
 */
export function runShell(run: ShellRun): Promise<number> {
  const descriptors = new DescriptorTable([
    [0, { input: new SourceInput(run.stdin, run.wait) }],
    [1, { output: new SinkOutput(run.stdout) }],
    [2, { output: new SinkOutput(run.stderr) }],
  ]);
  const interpreter = new Interpreter({
    name: run.name,
    files: run.preopens.length > 0 ? new ShellFiles(run.preopens) : undefined,
    launcher: run.launcher,
    checkpoint: () => run.wait?.checkpoint(' (in the shell)'),
    captureLimit: run.captureLimit ?? 16 * 1024 * 1024,
  });
  return startShell(interpreter, run.name, run.args, {
    env: run.env,
    cwd: run.cwd,
    descriptors,
    ...(run.session !== undefined && { session: run.session }),
  });
}

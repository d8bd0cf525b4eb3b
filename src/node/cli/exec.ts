import { isatty } from 'node:tty';
import { JsonlAuditFile } from '../audit/jsonl-file.js';
import { backendNameFor } from '../../run/run-backends.js';
import { nativeBackend } from '../namespace/availability.js';
import { exitStatusFor } from '../../errors.js';
import { createNodePlatform } from '../platform/node-platform.js';
import { policyFromCommandLine } from '../policy/load-file.js';
import type { RunResult } from '../../backends/run-result.js';
import { Sandbox } from '../../run/sandbox.js';
import type { LimitKind } from '../../limits/run-limiter.js';
import { buildRecipe } from '../tools/builder.js';
import { findTool, isToolName, recipeOf } from '../../tools/catalog.js';
import { ToolStore } from '../tools/tool-store.js';
import { parseExecArguments } from './arguments.js';
import { commandLineFailure } from './command-failure.js';
import { hostOutput, HostStdin, writeAllSync } from '../platform/host-stdio.js';
import type { BlockingWait } from '../../limits/blocking-wait.js';

/** `goodbot exec`: returns the process exit status. */
export async function execCommand(argv: readonly string[]): Promise<number> {
  let audit: JsonlAuditFile | undefined;
  let json = argv.includes('--json');
  try {
    const options = parseExecArguments(argv);
    json = options.json;
    const policy = policyFromCommandLine(
      options.policy,
      {
        dirs: options.dirs,
        env: options.env,
        allowNet: options.allowNet,
        secrets: options.secrets,
        limits: options.limits,
        deterministic: options.deterministic,
        ...(options.cwd !== undefined && { cwd: options.cwd }),
        ...(options.backend !== undefined && { backend: options.backend }),
      },
      process.cwd(),
    );
    if (options.build) await buildIfMissing(options.program);
    audit = options.audit === undefined ? undefined : new JsonlAuditFile(options.audit);
    const sandbox = new Sandbox(policy, createNodePlatform({ prestart: false, ...(audit && { audit }) }));
    const guestOutput = new GuestOutputEnd();
    const run = sandbox.exec({
      program: options.program,
      args: options.args,
      stdin: new HostStdin(isatty(0)),
      collectOutput: json,
      outputEvents: false,
      ...(!json && {
        onStdout: guestOutput.track(hostOutput(1)),
        onStderr: guestOutput.track(hostOutput(2)),
        terminal: { stdin: isatty(0), stdout: isatty(1), stderr: isatty(2) },
      }),
    });
    // A native run leaves this thread free: Ctrl-C stops it and removes its
    // container or cgroup (status cancelled) instead of leaving them behind.
    // A WebAssembly run keeps the default, which ends the process at once.
    const interrupt = () => run.cancel();
    if (backendNameFor(policy, options, nativeBackend) !== 'wasm') process.once('SIGINT', interrupt);
    const result = await run.result.finally(() => process.off('SIGINT', interrupt));
    if (json) printJson(resultJson(result));
    else if (isatty(2)) {
      const line = endLine(result);
      if (line !== undefined) writeAllSync(2, new TextEncoder().encode(`${guestOutput.lineBreak()}${line}\n`));
    }
    return result.exitCode;
  } catch (error) {
    const failure = commandLineFailure(error);
    if (json) printJson({ status: 'error', exitCode: exitStatusFor(failure), error: failure.toJSON() });
    else writeAllSync(2, new TextEncoder().encode(`goodbot: ${failure.describe()}\n`));
    return exitStatusFor(failure);
  } finally {
    audit?.close();
  }
}

/**
 * goodbot's own line for a run that ended by a trap or a limit. It is written
 * only to a terminal, for the person watching: a guest can print any text,
 * this line included, so in a pipe or a file stdout and stderr carry the
 * guest's bytes alone, and a program learns how a run ended from --json or
 * the audit log, where the guest's output is data inside goodbot's record.
 */
function endLine(result: RunResult): string | undefined {
  if (result.status === 'trapped') return `goodbot: ${result.program.name} trapped: ${result.trap?.message} (${result.trap?.kind})`;
  if (result.limit) return `goodbot: ${result.program.name} stopped (${result.limit.kind}): ${result.limit.message}; ${raiseHint[result.limit.kind]}`;
  return undefined;
}

/** Whether the guest's last output byte ended a line, so goodbot's line starts on one of its own. */
class GuestOutputEnd {
  private midLine = false;

  track(write: (chunk: Uint8Array, wait: BlockingWait) => void): (chunk: Uint8Array, wait: BlockingWait) => void {
    return (chunk, wait) => {
      write(chunk, wait);
      if (chunk.length > 0) this.midLine = chunk[chunk.length - 1] !== 0x0a;
    };
  }

  lineBreak(): string {
    return this.midLine ? '\n' : '';
  }
}

const raiseHint: Record<LimitKind, string> = {
  timeout: 'raise it with --timeout or sandbox.limits.timeout',
  'fuel-exhausted': 'raise it with --fuel or sandbox.limits.fuel',
  'memory-limit': 'raise it with --memory or sandbox.limits.memory',
  'output-limit': 'raise it with --max-output or sandbox.limits.maxOutput',
  cancelled: 'it was cancelled',
};

/** `--build`: builds PROGRAM's recipe first when it is a catalog tool without a build. */
async function buildIfMissing(program: string): Promise<void> {
  const tool = isToolName(program) ? findTool(program) : undefined;
  if (tool === undefined) return;
  // A recipe that is built already returns at once, without a word.
  await buildRecipe(new ToolStore(), recipeOf(tool), { progress: (line) => writeAllSync(2, new TextEncoder().encode(`${line}\n`)) });
}

function resultJson(result: RunResult): Record<string, unknown> {
  return {
    status: result.status,
    exitCode: result.exitCode,
    durationMs: Math.round(result.durationMs * 1000) / 1000,
    stdout: result.stdout,
    stderr: result.stderr,
    denials: result.denials,
    ...(result.trap && { trap: result.trap }),
    ...(result.limit && { limit: { ...result.limit, hint: raiseHint[result.limit.kind] } }),
    ...(result.fuelConsumed !== undefined && { fuelConsumed: result.fuelConsumed }),
    runId: result.runId,
    program: result.program,
    backend: result.backend,
    ...(result.image !== undefined && { image: result.image }),
    ...(result.resourceControl !== undefined && { resourceControl: result.resourceControl }),
    ...(result.prestarted !== undefined && { prestarted: result.prestarted }),
  };
}

function printJson(value: unknown): void {
  writeAllSync(1, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
}

import type { RunResult } from '../../backends/run-result.js';
import type { BlockingWait } from '../../limits/blocking-wait.js';
import type { LimitKind } from '../../limits/run-limiter.js';
import { exitStatusFor } from '../../errors.js';
import { commandLineFailure } from './command-failure.js';

/**
 * Where a `goodbot exec` run ran: in the `goodbot exec` process itself, or
 * handed to a running `goodbot serve` (see exec-handoff-client.ts). Its
 * `--json` result says which.
 */
export type ExecPath = 'local' | 'server';

/**
 * goodbot's own line for a run that ended by a trap or a limit. It is written
 * only to a terminal, for the person watching: a guest can print any text,
 * this line included, so in a pipe or a file stdout and stderr carry the
 * guest's bytes alone, and a program learns how a run ended from --json or
 * the audit log, where the guest's output is data inside goodbot's record.
 */
export function endLine(result: RunResult): string | undefined {
  if (result.status === 'trapped') return `goodbot: ${result.program.name} trapped: ${result.trap?.message} (${result.trap?.kind})`;
  if (result.limit) return `goodbot: ${result.program.name} stopped (${result.limit.kind}): ${result.limit.message}; ${raiseHint[result.limit.kind]}`;
  return undefined;
}

/** Whether the guest's last output byte ended a line, so goodbot's line starts on one of its own. */
export class GuestOutputEnd {
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

export const raiseHint: Record<LimitKind, string> = {
  timeout: 'raise it with --timeout or sandbox.limits.timeout',
  'fuel-exhausted': 'raise it with --fuel or sandbox.limits.fuel',
  'memory-limit': 'raise it with --memory or sandbox.limits.memory',
  'output-limit': 'raise it with --max-output or sandbox.limits.maxOutput',
  cancelled: 'it was cancelled',
};

/** The `--json` result of a run that ran on PATH. */
export function resultJson(result: RunResult, path: ExecPath): Record<string, unknown> {
  return {
    via: path,
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

/** VALUE as `--json` prints it: indented, one trailing newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * What `goodbot exec` prints for a run that failed before it ran (a bad
 * command line, a missing tool), wherever it ran: the `--json` error result
 * on stdout, or `goodbot: <what> (<what to do>)` on stderr.
 */
export function failureOutput(error: unknown, json: boolean): { readonly exitCode: number; readonly stdout?: string; readonly stderr?: string } {
  const failure = commandLineFailure(error);
  const exitCode = exitStatusFor(failure);
  return json
    ? { exitCode, stdout: jsonText({ status: 'error', exitCode, error: failure.toJSON() }) }
    : { exitCode, stderr: `goodbot: ${failure.describe()}\n` };
}

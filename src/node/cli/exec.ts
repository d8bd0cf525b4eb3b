import { isatty } from 'node:tty';
import { JsonlAuditFile } from '../audit/jsonl-file.js';
import { backendNameFor } from '../../run/run-backends.js';
import { nativeBackend } from '../namespace/availability.js';
import { createNodePlatform } from '../platform/node-platform.js';
import { policyFromCommandLine } from '../policy/load-file.js';
import { Sandbox } from '../../run/sandbox.js';
import { buildRecipe } from '../tools/builder.js';
import { findTool, isToolName, recipeOf } from '../../tools/catalog.js';
import { ToolStore } from '../tools/tool-store.js';
import { parseExecArguments, type ExecArguments } from './arguments.js';
import { hostOutput, HostStdin, writeTextSync, type StdinRead } from '../platform/host-stdio.js';
import type { Policy } from '../../policy/types.js';
import { endLine, failureOutput, GuestOutputEnd, jsonText, resultJson } from './exec-result.js';

/** What a `goodbot exec` command line asks for: its options and the policy they make, paths taken from CWD. */
export function execPlan(argv: readonly string[], cwd: string): { readonly options: ExecArguments; readonly policy: Policy } {
  const options = parseExecArguments(argv);
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
    cwd,
  );
  return { options, policy };
}

/**
 * `goodbot exec`: returns the process exit status. STDIN_READ is what a
 * hand-off that did not happen already read of stdin (see
 * exec-handoff-client.ts): the guest reads it first.
 */
export async function execCommand(argv: readonly string[], stdinRead?: StdinRead): Promise<number> {
  let audit: JsonlAuditFile | undefined;
  let json = argv.includes('--json');
  try {
    const { options, policy } = execPlan(argv, process.cwd());
    json = options.json;
    if (options.build) await buildIfMissing(options.program);
    audit = options.audit === undefined ? undefined : new JsonlAuditFile(options.audit);
    const sandbox = new Sandbox(policy, createNodePlatform({ prestart: false, ...(audit && { audit }) }));
    const guestOutput = new GuestOutputEnd();
    const run = sandbox.exec({
      program: options.program,
      args: options.args,
      stdin: new HostStdin(isatty(0), 0, stdinRead),
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
    if (json) writeTextSync(1, jsonText(resultJson(result, 'local')));
    else if (isatty(2)) {
      const line = endLine(result);
      if (line !== undefined) writeTextSync(2, `${guestOutput.lineBreak()}${line}\n`);
    }
    return result.exitCode;
  } catch (error) {
    const output = failureOutput(error, json);
    if (output.stdout !== undefined) writeTextSync(1, output.stdout);
    if (output.stderr !== undefined) writeTextSync(2, output.stderr);
    return output.exitCode;
  } finally {
    audit?.close();
  }
}

/** `--build`: builds PROGRAM's recipe first when it is a catalog tool without a build. */
async function buildIfMissing(program: string): Promise<void> {
  const tool = isToolName(program) ? findTool(program) : undefined;
  if (tool === undefined) return;
  // A recipe that is built already returns at once, without a word.
  await buildRecipe(new ToolStore(), recipeOf(tool), { progress: (line) => writeTextSync(2, `${line}\n`) });
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { GoodbotError } from '../../errors.js';
import { compilePolicyFile, compileSandboxConfig } from '../../policy/compile.js';
import { commandLine, configFromFlags, mergeConfigs, type PolicyFlags } from '../../policy/flags.js';
import { policyFileSchema, type SandboxConfig } from '../../policy/schema.js';
import type { Policy } from '../../policy/types.js';

/** Reads a policy file (YAML, or JSON which is valid YAML) into plain data. */
export function readPolicyFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new GoodbotError('policy', `cannot read the policy file: ${(error as Error).message}`, {
      file: path,
      hint: 'check the policy file path',
      commandLineHint: 'check the --policy path',
    });
  }
  try {
    return path.endsWith('.json') ? JSON.parse(text) : yaml().parse(text);
  } catch (error) {
    const where = error instanceof yaml().YAMLParseError && error.linePos ? `line ${error.linePos[0].line}` : undefined;
    throw new GoodbotError(
      'policy',
      `the policy file is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
      {
        file: path,
        ...(where !== undefined && { field: where }),
      },
    );
  }
}

/** Loads and compiles a policy file; relative host paths are relative to the file. */
export function loadPolicy(path: string): Policy {
  const absolute = resolve(path);
  return compilePolicyFile(readPolicyFile(absolute), { file: path, baseDir: dirname(absolute) });
}

/**
 * The policy for `goodbot exec`: the `--policy` file (if any) with the
 * command-line flags merged in. Each part is checked on its own first, so an
 * error names the file or the flag that caused it.
 */
export function policyFromCommandLine(policyPath: string | undefined, flags: PolicyFlags, cwd: string): Policy {
  let base: SandboxConfig = {};
  if (policyPath !== undefined) {
    const absolute = resolve(cwd, policyPath);
    const data = readPolicyFile(absolute);
    compilePolicyFile(data, { file: policyPath, baseDir: dirname(absolute) });
    const sandbox = policyFileSchema.parse(data).sandbox;
    base = {
      ...sandbox,
      zones: sandbox.zones.map((zone) => (zone.hostPath === undefined ? zone : { ...zone, hostPath: resolve(dirname(absolute), zone.hostPath) })),
    };
  }
  const extra = configFromFlags(
    flags,
    cwd,
    (base.zones ?? []).map((zone) => zone.name),
  );
  compileSandboxConfig(extra, { file: commandLine, baseDir: cwd });
  const flagsAddSomething =
    flags.dirs.length > 0 ||
    flags.env.length > 0 ||
    (flags.allowNet ?? []).length > 0 ||
    flags.backend !== undefined ||
    flags.deterministic === true ||
    Object.keys(flags.limits ?? {}).length > 0;
  const file = flagsAddSomething || policyPath === undefined ? commandLine : policyPath;
  return compileSandboxConfig(mergeConfigs(base, extra), { file, baseDir: cwd });
}

let yamlModule: typeof import('yaml') | undefined;

/** The YAML parser, loaded when a policy file is read (every cold `goodbot exec` would load it otherwise). */
function yaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlModule;
}

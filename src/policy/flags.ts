import { GoodbotError } from '../errors.js';
import { resolveAgainst } from './guest-path.js';
import { limitProblem } from './limit-values.js';
import { parseNetworkAllow } from './network-grant.js';
import type { SandboxConfig, ZoneConfig } from './schema.js';
import type { BackendName } from './types.js';

/** Policy-related command-line flags, wasmtime-style. */
export interface PolicyFlags {
  /** `HOST[::GUEST][:ro|:rw]`, repeatable. */
  readonly dirs: readonly string[];
  /** `NAME` (pass the host's value) or `NAME=VALUE`, repeatable. */
  readonly env: readonly string[];
  /** `--allow-net HOST:PORT`, repeatable: `network.allow` entries. */
  readonly allowNet?: readonly string[];
  /** `--secret NAME=SOURCE@HOST:PORT[,HOST:PORT…]`, repeatable: `secrets` entries. */
  readonly secrets?: readonly string[];
  readonly backend?: string;
  /** `--fuel`, `--timeout`, `--memory`, `--max-output`: they override the file's limits. */
  readonly limits?: LimitFlags;
  /** `--deterministic`: a fixed clock and seeded random bytes (seed 0). */
  readonly deterministic?: boolean;
  /** `--cwd PATH`: the working folder (a guest path). */
  readonly cwd?: string;
}

export interface LimitFlags {
  fuel?: number;
  timeout?: string;
  memory?: string;
  maxOutput?: string;
}

export const commandLine = '<command line>';

/**
 * Parses `--dir HOST[::GUEST][:ro|:rw]` into a zone. Without a mode the zone
 * is read-write, as in wasmtime; without GUEST the guest sees the host path.
 * Whatever follows the last single `:` is the mode, and only `ro` and `rw`
 * are modes: `:RO`, `:ro ` or `:readonly` are errors, never a read-write
 * zone at a guest path ending in them.
 */
export function parseDirFlag(value: string, cwd: string): ZoneConfig {
  const fail = (message: string, hint = 'write --dir HOST::GUEST, --dir HOST::GUEST:ro or --dir HOST::GUEST:rw'): never => {
    throw new GoodbotError('usage', message, { file: commandLine, field: `--dir ${value}`, hint });
  };
  const separator = value.indexOf('::');
  const colon = value.lastIndexOf(':');
  const hasMode = separator < 0 ? colon >= 0 : colon > separator + 1;
  const rest = hasMode ? value.slice(0, colon) : value;
  const mode = hasMode ? value.slice(colon + 1) : 'rw';
  if (mode !== 'ro' && mode !== 'rw') {
    fail(
      `'${mode}' is not a zone mode`,
      'end --dir with :ro (read-only) or :rw (read-write), in lower case and nothing after it; a host path holding : needs ::GUEST after it',
    );
  }
  const host = separator < 0 ? rest : rest.slice(0, separator);
  if (host === '') fail('the host folder is missing');
  const hostPath = resolveAgainst(cwd, host);
  const guestPath = separator < 0 ? hostPath : rest.slice(separator + 2);
  if (!guestPath.startsWith('/')) fail(`the guest path '${guestPath}' must be absolute`);
  return { name: '', mode: mode as 'ro' | 'rw', hostPath, guestPath };
}

/** Parses `--env NAME` / `--env NAME=VALUE`. */
export function parseEnvFlag(value: string): { allow?: string; set?: [string, string] } {
  const eq = value.indexOf('=');
  const name = eq < 0 ? value : value.slice(0, eq);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new GoodbotError('usage', `'${name}' is not a variable name`, {
      file: commandLine,
      field: `--env ${value}`,
      hint: 'write --env NAME to pass the host value or --env NAME=VALUE to set one',
    });
  }
  return eq < 0 ? { allow: name } : { set: [name, value.slice(eq + 1)] };
}

/**
 * Parses `--secret NAME=SOURCE@HOST:PORT[,HOST:PORT…]` into a `secrets`
 * entry; SOURCE is `env:VARIABLE` or `file:PATH` (relative to CWD), and
 * runs to the last `@`, so a path may hold one.
 */
export function parseSecretFlag(value: string, cwd: string): { name: string; from: string; hosts: string[] } {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=((?:env|file):.+)@([^@]+)$/.exec(value);
  if (match === null) {
    throw new GoodbotError('usage', `'${value}' is not NAME=SOURCE@HOST:PORT`, {
      file: commandLine,
      field: `--secret ${value}`,
      hint: 'write e.g. --secret API_TOKEN=env:HOST_API_TOKEN@api.example.com:443 (or file:PATH; several hosts with commas)',
    });
  }
  const [, name, from, hosts] = match as unknown as [string, string, string, string];
  return { name, from: from.startsWith('file:') ? `file:${resolveAgainst(cwd, from.slice('file:'.length))}` : from, hosts: hosts.split(',') };
}

/** Checks `--allow-net` values with the policy's grammar, naming the flag of a bad one. */
function checkAllowNetFlags(values: readonly string[]): void {
  parseNetworkAllow(values, (index, problem, hint) => {
    throw new GoodbotError('usage', problem, { file: commandLine, field: `--allow-net ${values[index]}`, hint });
  });
}

const backends: readonly string[] = ['wasm', 'docker', 'namespace', 'auto'] satisfies readonly BackendName[];

const limitFlagNames = { timeout: '--timeout', memory: '--memory', maxOutput: '--max-output' } as const;

/** Checks `--timeout`, `--memory` and `--max-output` as the policy's limits are checked, naming the flag of a bad one. */
function checkLimitFlags(limits: LimitFlags): void {
  for (const name of ['timeout', 'memory', 'maxOutput'] as const) {
    const value = limits[name];
    const problem = value === undefined ? undefined : limitProblem(name, value);
    if (problem) {
      throw new GoodbotError('policy', problem.message, { file: commandLine, field: `${limitFlagNames[name]} ${value}`, hint: problem.hint });
    }
  }
}

/** A config holding only what the flags say (zones named after their guest paths). */
export function configFromFlags(flags: PolicyFlags, cwd: string, taken: readonly string[] = []): SandboxConfig {
  const used = new Set(taken);
  const zones = flags.dirs.map((dir) => {
    const zone = parseDirFlag(dir, cwd);
    const base = zone.guestPath === '/' ? 'root' : zone.guestPath!.split('/').filter(Boolean).pop()!;
    const stem = base.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '') || 'dir';
    let name = stem;
    for (let n = 2; used.has(name); n++) name = `${stem}-${n}`;
    used.add(name);
    return { ...zone, name };
  });
  const allow: string[] = [];
  const set: Record<string, string> = {};
  for (const entry of flags.env) {
    const parsed = parseEnvFlag(entry);
    if (parsed.allow) allow.push(parsed.allow);
    if (parsed.set) set[parsed.set[0]] = parsed.set[1];
  }
  const allowNet = flags.allowNet ?? [];
  checkAllowNetFlags(allowNet);
  const secrets = (flags.secrets ?? []).map((value) => parseSecretFlag(value, cwd));
  if (flags.limits !== undefined) checkLimitFlags(flags.limits);
  if (flags.backend !== undefined && !backends.includes(flags.backend)) {
    throw new GoodbotError('usage', `'${flags.backend}' is not a backend`, {
      file: commandLine,
      field: `--backend=${flags.backend}`,
      hint: `write --backend=${backends.join(', --backend=')}`,
    });
  }
  return {
    ...(flags.backend !== undefined && { backend: flags.backend as SandboxConfig['backend'] }),
    zones,
    env: { allow, set },
    ...(allowNet.length > 0 && { network: { allow: [...allowNet] } }),
    ...(secrets.length > 0 && { secrets }),
    ...(flags.limits !== undefined && Object.keys(flags.limits).length > 0 && { limits: { ...flags.limits } }),
    ...(flags.deterministic === true && { deterministic: true }),
    ...(flags.cwd !== undefined && { cwd: flags.cwd }),
  };
}

/** The file's config with the flags' zones and network entries appended and their variables added. */
export function mergeConfigs(base: SandboxConfig, extra: SandboxConfig): SandboxConfig {
  return {
    ...base,
    ...(extra.backend !== undefined && { backend: extra.backend }),
    zones: [...(base.zones ?? []), ...(extra.zones ?? [])],
    env: {
      allow: [...(base.env?.allow ?? []), ...(extra.env?.allow ?? [])],
      set: { ...(base.env?.set ?? {}), ...(extra.env?.set ?? {}) },
    },
    network: { allow: [...(base.network?.allow ?? []), ...(extra.network?.allow ?? [])] },
    secrets: [...(base.secrets ?? []), ...(extra.secrets ?? [])],
    limits: { ...(base.limits ?? {}), ...(extra.limits ?? {}) },
    ...((extra.deterministic ?? base.deterministic) !== undefined && { deterministic: extra.deterministic ?? base.deterministic! }),
    ...((extra.cwd ?? base.cwd) !== undefined && { cwd: extra.cwd ?? base.cwd! }),
  };
}

import type * as z from 'zod/mini';
import { GoodbotError } from '../errors.js';
import { isWithin, normalizeAbsolute, overlaps, resolveAgainst } from './guest-path.js';
import { parseNetworkAllow } from './network-grant.js';
import { policyFileSchema, sandboxSchema } from './schema.js';
import { findTool, isShellCommand, withToolSuggestion } from '../tools/catalog.js';
import type { NetworkGrant, Policy, SecretSpec, ZoneSpec } from './types.js';
import { canonicalText, ruleFor } from './network-access.js';
import { parseHostPort } from './host-port.js';
import { limitProblem } from './limit-values.js';
import { parseDuration, parseSize } from './units.js';

/** Where a policy came from, for error messages and relative host paths. */
export interface PolicySource {
  /** The policy file, or a description such as `<command line>` or `<api>`. */
  readonly file: string;
  /** Relative `hostPath`s are resolved against this absolute folder. */
  readonly baseDir: string;
}

/** In-memory zones get this quota unless they set one: memory is not free. */
export const defaultMemoryQuota = 64 * 1024 * 1024;

/** Variables whose values the audit log shows unless the policy says otherwise. */
export const defaultRevealEnv = ['LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TERM', 'HOME', 'PATH', 'PWD', 'USER', 'SHELL'];

/** Compiles a whole policy file (`{ sandbox: … }`) into a normalized {@link Policy}. */
export function compilePolicyFile(data: unknown, source: PolicySource): Policy {
  const parsed = policyFileSchema.safeParse(data);
  if (!parsed.success) throw schemaError(parsed.error, source, []);
  return normalize(parsed.data.sandbox, source, ['sandbox']);
}

/** Compiles the `sandbox` object itself (the library API's policy argument). */
export function compileSandboxConfig(data: unknown, source: PolicySource): Policy {
  const parsed = sandboxSchema.safeParse(data);
  if (!parsed.success) throw schemaError(parsed.error, source, []);
  return normalize(parsed.data, source, []);
}

type Parsed = z.output<typeof sandboxSchema>;

function normalize(config: Parsed, source: PolicySource, prefix: (string | number)[]): Policy {
  const fail = (path: (string | number)[], message: string, hint?: string): never => {
    throw new GoodbotError('policy', message, {
      file: source.file,
      field: fieldPath([...prefix, ...path]),
      ...(hint !== undefined && { hint }),
    });
  };

  const network = { allow: parseNetworkAllow(config.network.allow, (i, problem, hint) => fail(['network', 'allow', i], problem, hint)) };
  for (const name of ['timeout', 'memory', 'maxOutput'] as const) {
    const value = config.limits[name];
    const problem = value === undefined ? undefined : limitProblem(name, value, config.backend);
    if (problem) fail(['limits', name], problem.message, problem.hint);
  }

  const zones: ZoneSpec[] = [];
  config.tools.allow?.forEach((name, i) => {
    if (findTool(name) === undefined && !isShellCommand(name)) {
      fail(['tools', 'allow', i], `no tool named '${name}' in the catalog`, withToolSuggestion(name, 'run `goodbot tools list` for the names'));
    }
  });

  const names = new Set<string>();
  config.zones.forEach((zone, i) => {
    const at = (...rest: string[]) => ['zones', i, ...rest];
    if (names.has(zone.name)) fail(at('name'), `zone name '${zone.name}' is used twice`, 'give each zone its own name');
    names.add(zone.name);
    const guestPath = normalizeAbsolute(zone.guestPath ?? `/${zone.name}`);
    if ((zone.guestPath ?? '').split('/').includes('..')) {
      fail(at('guestPath'), `guest path ${zone.guestPath} contains '..'`, 'write it as a plain absolute path');
    }
    const memory = zone.mode === 'tmpfs' || zone.hostPath === undefined;
    if (zone.mode === 'tmpfs' && zone.hostPath !== undefined) {
      fail(at('hostPath'), 'a tmpfs zone lives in memory and takes no hostPath', "remove hostPath, or use mode 'rw'");
    }
    if (zone.mode !== 'tmpfs' && zone.hostPath === undefined && zone.files === undefined) {
      fail(at('hostPath'), `a '${zone.mode}' zone needs a hostPath`, "give the host folder, or use mode 'tmpfs' for an in-memory zone");
    }
    if (!memory && zone.files !== undefined) {
      fail(at('files'), 'initial files are only for in-memory zones', 'put the files in the host folder instead');
    }
    if (zone.git === 'writable' && zone.mode === 'ro') {
      fail(at('git'), "a read-only zone's .git cannot be writable", "remove git, or use mode 'rw'");
    }
    let quotaBytes = zone.quota === undefined ? undefined : parseSize(zone.quota);
    if (zone.quota !== undefined && quotaBytes === undefined) fail(at('quota'), `'${zone.quota}' is not a size`);
    if (memory && quotaBytes === undefined) quotaBytes = defaultMemoryQuota;
    for (const other of zones) {
      if (overlaps(other.guestPath, guestPath)) {
        fail(
          at('guestPath'),
          `zone '${zone.name}' at ${guestPath} overlaps zone '${other.name}' at ${other.guestPath}`,
          'mount zones at separate guest paths (neither inside the other)',
        );
      }
    }
    zones.push({
      name: zone.name,
      kind: memory ? 'memory' : 'host',
      access: zone.mode === 'ro' ? 'ro' : 'rw',
      guestPath,
      ...(zone.hostPath !== undefined && { hostPath: resolveAgainst(source.baseDir, zone.hostPath) }),
      ...(quotaBytes !== undefined && { quotaBytes }),
      ...(zone.files !== undefined && { files: { ...zone.files } }),
      ...(zone.git === 'writable' && { gitWritable: true }),
    });
  });

  const cwd = config.cwd === undefined ? undefined : normalizeAbsolute(config.cwd);
  // Without zones (command-line flags checked before they join a policy file's zones) the run checks it.
  if (cwd !== undefined && cwd !== '/' && zones.length > 0 && !zones.some((zone) => isWithin(zone.guestPath, cwd))) {
    fail(['cwd'], `'${config.cwd}' lies in no zone`, 'use a folder inside one of sandbox.zones, or add a zone that holds it');
  }

  const dockerMemory = parseSize(config.docker.memory);
  if (!(dockerMemory! >= 6 * 1024 * 1024))
    fail(['docker', 'memory'], `'${config.docker.memory}' is below Docker's 6MiB minimum`, "write e.g. '512MiB'");

  const secrets = secretsOf(config, network, source.baseDir, fail);

  const policy: Policy = {
    backend: config.backend,
    zones,
    env: {
      allow: [...config.env.allow],
      set: { ...config.env.set },
      withheld: secrets.flatMap((secret) => (secret.from.kind === 'env' ? [secret.from.variable] : [])),
    },
    secrets,
    tools: { allow: config.tools.allow === undefined ? 'all' : [...config.tools.allow] },
    network,
    limits: limitsOf(config.limits),
    docker: {
      mountRoots: (config.docker.mountRoots ?? [source.baseDir]).map((root) => resolveAgainst(source.baseDir, root)),
      cpus: config.docker.cpus,
      pids: config.docker.pids,
      memoryBytes: dockerMemory!,
      ...(config.docker.image !== undefined && { image: config.docker.image }),
      ...(config.docker.runtime !== undefined && { runtime: config.docker.runtime }),
      ...(config.docker.engine !== undefined && { engine: enginePath(config.docker.engine, source.baseDir, fail) }),
    },
    audit: { revealEnv: config.audit.revealEnv ?? defaultRevealEnv },
    ...(config.deterministic !== false && {
      deterministic: { seed: config.deterministic === true ? 0 : config.deterministic.seed },
    }),
    ...(cwd !== undefined && { cwd }),
  };
  compiledPolicies.add(policy);
  return deepFreeze(policy);
}

const compiledPolicies = new WeakSet<object>();

/**
 * POLICY with CHANGES, and still a compiled policy: for goodbot's own
 * derivations of a checked policy (a session's shorter timeout, an agent
 * server's defaults), never for a caller's input.
 */
export function derivedPolicy(policy: Policy, changes: Partial<Policy>): Policy {
  const derived: Policy = { ...policy, ...changes };
  compiledPolicies.add(derived);
  return derived;
}

/** Was `value` produced by the policy compiler (and so is already checked)? */
export function isCompiledPolicy(value: unknown): value is Policy {
  return typeof value === 'object' && value !== null && compiledPolicies.has(value);
}

type Fail = (path: (string | number)[], message: string, hint?: string) => never;

/**
 * `sandbox.secrets`, checked: each name once and not also in `env.set`; a
 * host source never passed through by `env.allow` by name (the guest would
 * hold the value); each host one that `network.allow` could grant.
 */
function secretsOf(config: Parsed, network: NetworkGrant, baseDir: string, fail: Fail): SecretSpec[] {
  const names = new Set<string>();
  return config.secrets.map((secret, i) => {
    const at = (...rest: (string | number)[]) => ['secrets', i, ...rest];
    if (names.has(secret.name)) fail(at('name'), `secret '${secret.name}' is named twice`, 'give each secret its own variable name');
    names.add(secret.name);
    if (secret.name in config.env.set) {
      fail(at('name'), `'${secret.name}' is a secret and also set by env.set`, 'remove it from env.set: the guest sees the placeholder');
    }
    const from = secret.from.startsWith('env:')
      ? ({ kind: 'env', variable: secret.from.slice('env:'.length) } as const)
      : ({ kind: 'file', path: resolveAgainst(baseDir, secret.from.slice('file:'.length)) } as const);
    if (from.kind === 'env') {
      const passed = config.env.allow.indexOf(from.variable);
      if (passed >= 0) {
        fail(
          ['env', 'allow', passed],
          `'${from.variable}' holds the value of secret '${secret.name}'`,
          'remove it: passed through, the guest would hold the real value',
        );
      }
    }
    const hosts = secret.hosts.map((text, j) => {
      const host = parseHostPort(text);
      if (host === undefined) fail(at('hosts', j), `'${text}' is not HOST:PORT`, "write e.g. 'api.example.com:443' ([::1]:443 for IPv6)");
      if (ruleFor(network, host!) === undefined) {
        fail(
          at('hosts', j),
          `no network.allow entry grants ${text}`,
          `add '${text}' to sandbox.network.allow (--allow-net), or the secret can never be sent`,
        );
      }
      return { ...host!, name: canonicalText(host!.name) };
    });
    return { name: secret.name, from, hosts, query: secret.query };
  });
}

/** The engine's socket from `sandbox.docker.engine`: a `unix://` URL or a path, relative to BASE_DIR. */
function enginePath(engine: string, baseDir: string, fail: (path: (string | number)[], message: string, hint?: string) => never): string {
  if (engine.startsWith('unix://')) {
    const path = engine.slice('unix://'.length);
    if (!path.startsWith('/'))
      fail(['docker', 'engine'], `'${engine}' names no absolute socket path`, "write e.g. 'unix:///run/user/1000/podman/podman.sock'");
    return resolveAgainst('/', path);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(engine)) {
    fail(
      ['docker', 'engine'],
      `goodbot reaches an engine through its Unix socket only, not '${engine}'`,
      "write 'unix:///path/to/engine.sock' or a path",
    );
  }
  return resolveAgainst(baseDir, engine);
}

function limitsOf(limits: Parsed['limits']): Policy['limits'] {
  return {
    ...(limits.fuel !== undefined && { fuel: limits.fuel }),
    ...(limits.timeout !== undefined && { timeoutMs: parseDuration(limits.timeout)! }),
    ...(limits.memory !== undefined && { memoryBytes: parseSize(limits.memory)! }),
    ...(limits.maxOutput !== undefined && { maxOutputBytes: parseSize(limits.maxOutput)! }),
    ...(limits.files !== undefined && { files: limits.files }),
  };
}

function schemaError(error: z.core.$ZodError, source: PolicySource, prefix: (string | number)[]): GoodbotError {
  const [first, ...rest] = error.issues;
  const path = [...prefix, ...(first?.path ?? [])].filter((p): p is string | number => typeof p !== 'symbol');
  const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
  const missing = first?.code === 'invalid_type' && / received undefined$/.test(first.message);
  const message = missing ? `'${path[path.length - 1]}' is required` : (first?.message ?? 'invalid policy');
  return new GoodbotError('policy', `${message}${more}`, {
    file: source.file,
    field: fieldPath(path) || '(top level)',
    hint: 'see docs/policy.md for the policy format',
  });
}

/** `sandbox.zones[1].mode` from `['sandbox', 'zones', 1, 'mode']`. */
export function fieldPath(path: readonly (string | number)[]): string {
  let text = '';
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text ? `.${part}` : part;
  return text;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

import type { NetworkRule } from './network-grant.js';

/**
 * The normalized policy: what the runtime enforces. It is produced only by
 * `compilePolicy` (from a file, CLI flags or an API object) and is immutable.
 * Every capability a run gets is listed here; anything absent is denied.
 */
export interface Policy {
  readonly backend: BackendName;
  /** Mounted in this order; the guest sees them as preopens 3, 4, … */
  readonly zones: readonly ZoneSpec[];
  readonly env: EnvGrant;
  /** Credentials the guest sees only as placeholders; their values are read per run, never kept here. */
  readonly secrets: readonly SecretSpec[];
  readonly tools: ToolGrant;
  readonly network: NetworkGrant;
  readonly limits: Limits;
  readonly docker: DockerSettings;
  readonly audit: AuditSettings;
  /** Set: the guest's clocks start at 2000-01-01 and move only when it sleeps; random bytes come from this seed. */
  readonly deterministic?: { readonly seed: number };
  /** The working folder of every run (normalized, inside a zone); absent: `/`. */
  readonly cwd?: string;
}

export type BackendName = 'wasm' | 'docker' | 'namespace' | 'auto';

export type ZoneAccess = 'ro' | 'rw';

export interface ZoneSpec {
  /** Unique name, used in audit events and messages. */
  readonly name: string;
  /** `host`: a folder of the host; `memory`: an in-memory volume created per run; `devices`: the run's `/dev` (internal). */
  readonly kind: 'host' | 'memory' | 'devices';
  readonly access: ZoneAccess;
  /** Absolute, normalized guest path, e.g. `/input`. */
  readonly guestPath: string;
  /** Absolute host path (host zones only). */
  readonly hostPath?: string;
  /** Byte quota for the zone's files; undefined means no quota. */
  readonly quotaBytes?: number;
  /** Initial files of a memory zone: relative path -> content. */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
  /** Empty folders of a memory zone: relative paths. */
  readonly dirs?: readonly string[];
  /** Mounted by goodbot itself (a tool's stdlib, the mount-point root), read-only, not granted by the policy. */
  readonly internal?: boolean;
  /** The guest may change the zone's `.git` folders (policy `git: writable`); absent: they are read-only to it. */
  readonly gitWritable?: boolean;
}

export interface EnvGrant {
  /** Host variables passed through: exact names, or prefixes ending in `*`. */
  readonly allow: readonly string[];
  /** Variables set to fixed values; they win over passed-through ones. */
  readonly set: Readonly<Record<string, string>>;
  /** Host variables never passed through, whatever `allow` says: the sources of `sandbox.secrets`. */
  readonly withheld: readonly string[];
}

/** Where a secret's value is read from, by goodbot, at run start. */
export type SecretSource = { readonly kind: 'env'; readonly variable: string } | { readonly kind: 'file'; readonly path: string };

/** One `sandbox.secrets` entry: the guest's variable NAME holds a placeholder, replaced by the value only on the way to HOSTS. */
export interface SecretSpec {
  readonly name: string;
  readonly from: SecretSource;
  /** `host:port` as written (normalized): exact host names or addresses. */
  readonly hosts: readonly SecretHost[];
  /** Also replace the placeholder in the URL's query (headers always). */
  readonly query: boolean;
}

/** A host and port a secret is for: a normalized name, or an address (`literal`). */
export interface SecretHost {
  readonly name: string;
  readonly port: number;
  readonly literal: boolean;
}

export interface ToolGrant {
  /** Catalog tools that may run: `all`, or exactly these names (none when empty). */
  readonly allow: 'all' | readonly string[];
}

export interface NetworkGrant {
  /** The `network.allow` entries, parsed (network-grant.ts). Empty: the guest gets no socket capability at all. */
  readonly allow: readonly NetworkRule[];
}

export interface Limits {
  readonly fuel?: number;
  readonly timeoutMs?: number;
  readonly memoryBytes?: number;
  readonly maxOutputBytes?: number;
  /** Descriptors (files, folders, sockets) the guest may hold open at once; absent: 1024. */
  readonly files?: number;
}

/** How the Docker backend runs a container (its hardening is fixed, not settable). */
export interface DockerSettings {
  /** Absolute host folders under which zones may be bind-mounted. */
  readonly mountRoots: readonly string[];
  readonly cpus: number;
  readonly pids: number;
  /** The memory cap when `limits.memoryBytes` is not set. */
  readonly memoryBytes: number;
  /** The image; absent: goodbot's tools image. */
  readonly image?: string;
  /** The engine's OCI runtime (`runsc` for gVisor); absent: the engine's default. */
  readonly runtime?: string;
  /** The engine's API socket, an absolute path; absent: `$DOCKER_HOST`'s, else the default. */
  readonly engine?: string;
}

export interface AuditSettings {
  /** Environment variables whose values may appear in audit events; others are redacted. */
  readonly revealEnv: readonly string[];
}

/** Why the policy refused something; recorded in the audit log. */
export type DenialReason =
  | 'read-only-zone'
  | 'path-escape'
  | 'absolute-symlink'
  | 'symlink-escape'
  | 'special-file'
  | 'cross-zone'
  | 'quota-exceeded'
  | 'git-folder'
  | 'descriptor-limit'
  | 'network-denied'
  | 'tool-not-allowed'
  /** A secret's placeholder went to a host (or part of a request) the secret is not for: it went out unchanged. */
  | 'secret-not-granted';

/** One refused access, as recorded for the run result and the audit log. */
export interface Denial {
  /** What was attempted, e.g. `open-write`, `unlink`, `tcp-create`. */
  readonly operation: string;
  /** The guest path or network address concerned. */
  readonly target: string;
  readonly zone?: string;
  readonly reason: DenialReason;
  /** The error the guest received, e.g. `EROFS`. */
  readonly error: string;
  /** Why, when the reason alone does not say (which grant is missing). */
  readonly detail?: string;
  /** The secret concerned (its name, never its value). */
  readonly secret?: string;
}

/** One network access the policy granted, recorded for the audit log (not in the run result). */
export interface Allowance {
  /** What was attempted, e.g. `tcp-connect`, `ip-name-lookup`. */
  readonly operation: string;
  /** The name, address and port concerned. */
  readonly target: string;
  /** The `network.allow` entry that granted it, as written (for a secret: the host it is for). */
  readonly grant: string;
  /** The secret whose value replaced its placeholder (its name, never its value). */
  readonly secret?: string;
}

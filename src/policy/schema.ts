import en from 'zod/v4/locales/en.js';
import * as z from 'zod/mini';
import { durationHelp, durationPattern, sizeHelp, sizePattern } from './units.js';

// zod/mini: about a tenth of zod's size in the browser worker's bundle. It
// loads no messages of its own; the English ones are what errors quote.
z.config(en());

/**
 * The policy as users write it (YAML or JSON, under a top-level `sandbox:`),
 * and as the library API accepts it. Unknown keys are errors, so a typo never
 * silently drops a restriction. `compilePolicy` turns it into a {@link Policy}.
 */

const size = z.union([z.int().check(z.nonnegative()), z.string().check(z.regex(sizePattern, sizeHelp))], {
  error: `expected ${sizeHelp}`,
});
const duration = z.union([z.number().check(z.positive()), z.string().check(z.regex(durationPattern, durationHelp))], {
  error: `expected ${durationHelp}`,
});

const zoneName = z
  .string()
  .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a zone name is 1-64 letters, digits, _ . - (starting with a letter or digit)'));

const envName = z
  .string()
  .check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'a variable name (letters, digits, _), optionally ending in * to match a prefix'));
const envExactName = z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name (letters, digits, _)'));
const nonEmpty = () => z.string().check(z.minLength(1));

export const zoneSchema = z.strictObject({
  /** Unique name; the default guest path is `/NAME`. */
  name: zoneName,
  /** `ro`: read-only host folder; `rw`: read-write host folder; `tmpfs`: in-memory, empty at each run (a session keeps it for its life). */
  mode: z.enum(['ro', 'rw', 'tmpfs']),
  /** Host folder (required for `ro`/`rw` unless `files` is given); relative to the policy file. */
  hostPath: z.optional(nonEmpty()),
  /** Where the guest sees the zone; absolute; default `/NAME`. */
  guestPath: z.optional(z.string().check(z.startsWith('/', 'a guest path is absolute (starts with /)'))),
  /** Byte quota for the zone's files, e.g. `100MiB`. Absent: none (tmpfs: 64MiB). */
  quota: z.optional(size),
  /** An in-memory zone's initial files (relative path -> text); API and browser use. */
  files: z.optional(z.record(z.string(), z.string())),
  /**
   * `read-only` (default): the zone's `.git` folders cannot be changed by the
   * guest (a planted hook or `core.fsmonitor` would run on the host at the
   * owner's next `git` command). `writable`: the guest may change them.
   */
  git: z._default(z.enum(['read-only', 'writable']), 'read-only'),
});

export const secretSchema = z.strictObject({
  /** The variable the guest sees, holding a placeholder (never the value). */
  name: envExactName,
  /** Where goodbot reads the value at run start: `env:VARIABLE` (the host's) or `file:PATH` (relative to the policy file). */
  from: z.string().check(z.regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/, "'env:VARIABLE' or 'file:PATH'")),
  /** `HOST:PORT` entries: only requests to these carry the real value. */
  hosts: z.array(nonEmpty()).check(z.minLength(1, 'name at least one HOST:PORT the secret is for')),
  /** Replace the placeholder in the URL's query too (headers always). */
  query: z._default(z.boolean(), false),
});

export const sandboxSchema = z.strictObject({
  /**
   * `wasm` (default): WebAssembly only. `docker`: a hardened container.
   * `namespace`: Linux namespaces through bubblewrap, no daemon.
   * `auto`: the catalog's WebAssembly build when there is one, else the
   * namespace backend where bubblewrap works on the machine, else a container.
   */
  backend: z._default(z.enum(['wasm', 'docker', 'namespace', 'auto']), 'wasm'),
  /** A fixed clock and seeded random bytes, so a run repeats exactly (and uses the same fuel). */
  deterministic: z._default(z.union([z.boolean(), z.strictObject({ seed: z.int().check(z.nonnegative()) })]), false),
  /** Mounted in order, as preopens 3, 4, …; absent: the guest sees no files at all. */
  zones: z._default(z.array(zoneSchema), []),
  /** The working folder of every run (a guest path inside a zone): relative paths resolve against it. Absent: `/`. */
  cwd: z.optional(z.string().check(z.startsWith('/', 'a guest path is absolute (starts with /)'))),
  env: z._default(
    z.strictObject({
      /** Host variables passed through; names or `PREFIX*`. Empty: none. */
      allow: z._default(z.array(envName), []),
      /** Variables set to fixed values. */
      set: z._default(z.record(envExactName, z.string()), {}),
    }),
    { allow: [], set: {} },
  ),
  /** Credentials the guest uses without holding them: it sees a placeholder, which goodbot replaces on the way to the secret's hosts. */
  secrets: z._default(z.array(secretSchema), []),
  tools: z._default(
    z.strictObject({
      /** Catalog tools that may run. Absent: every catalog tool; empty: none. */
      allow: z.optional(z.array(nonEmpty())),
    }),
    {},
  ),
  network: z._default(
    z.strictObject({
      /** `HOST:PORT` entries the guest may reach (network-grant.ts has the grammar). Empty: no sockets at all. */
      allow: z._default(z.array(nonEmpty()), []),
    }),
    { allow: [] },
  ),
  limits: z._default(
    z.strictObject({
      fuel: z.optional(z.int().check(z.positive())),
      timeout: z.optional(duration),
      memory: z.optional(size),
      maxOutput: z.optional(size),
      /** Descriptors the guest may hold open at once (files, folders, sockets); default 1024. */
      files: z.optional(z.int().check(z.positive(), z.maximum(1_000_000))),
    }),
    {},
  ),
  docker: z._default(
    z.strictObject({
      /** Host folders under which zones may be bind-mounted (symlinks resolved). Default: the policy's own folder. */
      mountRoots: z.optional(z.array(nonEmpty())),
      /** CPUs the container may use (fractions allowed). */
      cpus: z._default(z.number().check(z.positive(), z.maximum(1024)), 1),
      /** Most processes and threads at once (a fork bomb stops here). */
      pids: z._default(z.int().check(z.minimum(8), z.maximum(1_000_000)), 256),
      /** Memory when `limits.memory` is not set: a container always has a cap. */
      memory: z._default(size, '512MiB'),
      /** The image; default: goodbot's tools image (`goodbot docker build-image`). */
      image: z.optional(nonEmpty()),
      /**
       * The engine's OCI runtime for the container, as registered with it:
       * `runsc` (gVisor, which setup registers with the engine it starts),
       * `runc`… Absent: the engine's default.
       */
      runtime: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a runtime name: letters, digits, _ . -'))),
      /**
       * The engine's API socket: `unix:///run/user/1000/podman/podman.sock`
       * or a path (relative to the policy's folder). Absent: `$DOCKER_HOST`
       * (a `unix://` one), else `/var/run/docker.sock`.
       */
      engine: z.optional(nonEmpty()),
    }),
    { cpus: 1, pids: 256, memory: '512MiB' },
  ),
  audit: z._default(
    z.strictObject({
      /** Variables whose values may appear in the audit log; all others are redacted. */
      revealEnv: z.optional(z.array(envExactName)),
    }),
    {},
  ),
});

export const policyFileSchema = z.strictObject({
  version: z.optional(z.literal(1)),
  sandbox: sandboxSchema,
});

/** A policy as written by a user or passed to `createSandbox`. */
export type SandboxConfig = z.input<typeof sandboxSchema>;
export type ZoneConfig = z.input<typeof zoneSchema>;
export type PolicyFile = z.input<typeof policyFileSchema>;

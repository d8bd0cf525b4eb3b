import { z } from 'zod';
import { durationHelp, durationPattern, sizeHelp, sizePattern } from './units.js';

/**
 * The policy as users write it (YAML or JSON, under a top-level `sandbox:`),
 * and as the library API accepts it. Unknown keys are errors, so a typo never
 * silently drops a restriction. `compilePolicy` turns it into a {@link Policy}.
 */

const size = z.union([z.number().int().nonnegative(), z.string().regex(sizePattern, sizeHelp)], {
  error: `expected ${sizeHelp}`,
});
const duration = z.union([z.number().positive(), z.string().regex(durationPattern, durationHelp)], {
  error: `expected ${durationHelp}`,
});

const zoneName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a zone name is 1-64 letters, digits, _ . - (starting with a letter or digit)');

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'a variable name (letters, digits, _), optionally ending in * to match a prefix');
const envExactName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name (letters, digits, _)');

export const zoneSchema = z.strictObject({
  /** Unique name; the default guest path is `/NAME`. */
  name: zoneName,
  /** `ro`: read-only host folder; `rw`: read-write host folder; `tmpfs`: in-memory, empty at each run. */
  mode: z.enum(['ro', 'rw', 'tmpfs']),
  /** Host folder (required for `ro`/`rw` unless `files` is given); relative to the policy file. */
  hostPath: z.string().min(1).optional(),
  /** Where the guest sees the zone; absolute; default `/NAME`. */
  guestPath: z.string().startsWith('/', 'a guest path is absolute (starts with /)').optional(),
  /** Byte quota for the zone's files, e.g. `100MiB`. Absent: none (tmpfs: 64MiB). */
  quota: size.optional(),
  /** An in-memory zone's initial files (relative path -> text); API and browser use. */
  files: z.record(z.string(), z.string()).optional(),
});

export const sandboxSchema = z.strictObject({
  /**
   * `wasm` (default): WebAssembly only. `docker`: a hardened container.
   * `auto`: the catalog's WebAssembly build when there is one, else a container.
   */
  backend: z.enum(['wasm', 'docker', 'auto']).default('wasm'),
  /** A fixed clock and seeded random bytes, so a run repeats exactly (and uses the same fuel). */
  deterministic: z.union([z.boolean(), z.strictObject({ seed: z.number().int().nonnegative() })]).default(false),
  /** Mounted in order, as preopens 3, 4, …; absent: the guest sees no files at all. */
  zones: z.array(zoneSchema).default([]),
  env: z
    .strictObject({
      /** Host variables passed through; names or `PREFIX*`. Empty: none. */
      allow: z.array(envName).default([]),
      /** Variables set to fixed values. */
      set: z.record(envExactName, z.string()).default({}),
    })
    .default({ allow: [], set: {} }),
  tools: z
    .strictObject({
      /** Catalog tools that may run. Absent: every catalog tool; empty: none. */
      allow: z.array(z.string().min(1)).optional(),
    })
    .default({}),
  network: z
    .strictObject({
      /** `HOST:PORT` entries the guest may reach (network-grant.ts has the grammar). Empty: no sockets at all. */
      allow: z.array(z.string().min(1)).default([]),
    })
    .default({ allow: [] }),
  limits: z
    .strictObject({
      fuel: z.number().int().positive().optional(),
      timeout: duration.optional(),
      memory: size.optional(),
      maxOutput: size.optional(),
    })
    .default({}),
  docker: z
    .strictObject({
      /** Host folders under which zones may be bind-mounted (symlinks resolved). Default: the policy's own folder. */
      mountRoots: z.array(z.string().min(1)).optional(),
      /** CPUs the container may use (fractions allowed). */
      cpus: z.number().positive().max(1024).default(1),
      /** Most processes and threads at once (a fork bomb stops here). */
      pids: z.number().int().min(8).max(1_000_000).default(256),
      /** Memory when `limits.memory` is not set: a container always has a cap. */
      memory: size.default('512MiB'),
      /** The image; default: goodbot's tools image (`goodbot docker build-image`). */
      image: z.string().min(1).optional(),
    })
    .default({ cpus: 1, pids: 256, memory: '512MiB' }),
  audit: z
    .strictObject({
      /** Variables whose values may appear in the audit log; all others are redacted. */
      revealEnv: z.array(envExactName).optional(),
    })
    .default({}),
});

export const policyFileSchema = z.strictObject({
  version: z.literal(1).optional(),
  sandbox: sandboxSchema,
});

/** A policy as written by a user or passed to `createSandbox`. */
export type SandboxConfig = z.input<typeof sandboxSchema>;
export type ZoneConfig = z.input<typeof zoneSchema>;
export type PolicyFile = z.input<typeof policyFileSchema>;

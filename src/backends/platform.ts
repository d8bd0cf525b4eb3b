import type { AuditSink } from '../audit/events.js';
import type { ContainerJob, ContainerOutcome } from './container.js';
import type { SecretSource, ZoneSpec } from '../policy/types.js';
import type { WasiClock } from '../limits/clock.js';
import type { NetworkTransport } from '../wasi/common/network-protocol.js';
import type { RandomSource } from '../wasi/common/random.js';
import type { FolderStore } from '../zones/folder-store.js';
import type { ZoneImage } from '../zones/zone-image.js';
import type { LoadedProgram } from './wasm/loaded-program.js';
import type { FromScratch } from '../tools/catalog.js';
import type { ProcessThread } from './wasm/process/process-threads.js';

/** A catalog tool, found, loaded and ready to run. */
export interface ToolLaunch {
  readonly program: LoadedProgram;
  /** The tool's name as the caller gave it, e.g. `sort`. */
  readonly name: string;
  readonly version: string;
  /** argv[0] the program expects (a busybox applet's name). */
  readonly argv0: string;
  /** Read-only folders the tool needs for itself (`internal` zones). */
  readonly mounts: readonly ZoneSpec[];
  /** Variables the tool needs; the policy's and the caller's win. */
  readonly env: Readonly<Record<string, string>>;
  /** The program started from scratch, for the runs its snapshot cannot serve; loaded when a run first needs it. */
  readonly fromScratch?: { readonly when: FromScratch; load(): Promise<LoadedProgram> };
}

/**
 * What the platform-neutral sandbox needs from its host (Node or a browser):
 * how to find and compile programs, how to store zones, and what the host's
 * environment is. Everything else (policy, WASI host, zones logic) is shared.
 */
export interface Platform {
  /** PROGRAM as given by the caller: a path or bytes. */
  loadProgram(program: string | Uint8Array): Promise<LoadedProgram>;
  /**
   * A catalog tool by name; rejects with a `not-found` error when the catalog
   * has no such tool or it is not built. Platforms without a catalog omit it.
   */
  launchTool?(name: string): Promise<ToolLaunch>;
  /** The storage for one run of a zone (a host folder, or memory; IMAGE: what a session's earlier run left in a memory zone). */
  zoneStore(spec: ZoneSpec, image?: ZoneImage): FolderStore<unknown, unknown>;
  /** The host's environment, from which the policy may pass variables. */
  hostEnv(): Readonly<Record<string, string | undefined>>;
  /**
   * A secret's value from SOURCE (`sandbox.secrets[].from`), read by the
   * host for one run; undefined when it is not set (no such variable or
   * file). Platforms that cannot read a kind of source throw a `policy`
   * error saying so.
   */
  readSecret(source: SecretSource): string | undefined;
  readonly audit?: AuditSink;
  /** Runs a command in a hardened container (the Docker backend); platforms without one omit it. */
  runContainer?(job: ContainerJob): Promise<ContainerOutcome>;
  /** Runs a command in new Linux namespaces (the namespace backend); platforms without them omit it. */
  runNamespace?(job: ContainerJob): Promise<ContainerOutcome>;
  /**
   * Which backend `auto` gives a program without a WebAssembly build: the
   * namespace backend where it works on this machine, else Docker. Cheap
   * (asked per run). Absent: Docker.
   */
  nativeBackend?(): 'namespace' | 'docker';
  /**
   * Opens a run's way to the host network (called on the run's first
   * network request; the run closes it when it ends). Platforms without a
   * network omit it: every socket and request is then refused.
   */
  openNetwork?(): NetworkTransport;
  createClock(): WasiClock;
  readonly random: RandomSource;
  /**
   * A thread to run a program on beside the run's own, so the commands of
   * a pipeline run at once and their pipes stream. Platforms without
   * threads omit it: a pipeline's programs then run one after another.
   */
  startProcessThread?(): ProcessThread;
}

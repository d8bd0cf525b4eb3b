import { createRequire } from 'node:module';
import type { AuditSink } from '../../audit/events.js';
import { loadComponent } from './component-loader.js';
import { MeteredDiskCache } from './metered-cache.js';
import { ProgramLoader } from './program-loader.js';
import { BrokerTransport } from '../network/broker-transport.js';
import type { Platform } from '../../backends/platform.js';
import { ToolLauncher } from './tool-launcher.js';
import { readSecretFile } from './secret-file.js';
import { nativeBackend } from '../namespace/availability.js';
import { ToolStore } from '../tools/tool-store.js';
import type { ZoneSpec } from '../../policy/types.js';
import { HostClock } from '../../limits/clock.js';
import { startProcessThread } from './process-threads.js';
import { secureRandom } from '../../wasi/common/random.js';
import { GuardedHostFolder } from '../zones/guarded-host-folder.js';
import { memoryZoneStore } from '../../zones/memory-zone.js';
import type { ZoneImage } from '../../zones/zone-image.js';
import type { FolderStore } from '../../zones/folder-store.js';

export interface NodePlatformOptions {
  /** Where audit events go (e.g. a {@link JsonlAuditFile}). */
  readonly audit?: AuditSink;
  /** The environment policy grants draw from; default `process.env`. */
  readonly hostEnv?: Readonly<Record<string, string | undefined>>;
  /** Where catalog tools are built and found; default: the package's own `.cache/tools`. */
  readonly toolStore?: ToolStore;
  /**
   * Namespace backend: after a run, make a sandbox ahead for the next run of
   * the same policy (default true). A process that runs once (`goodbot exec`)
   * turns it off.
   */
  readonly prestart?: boolean;
}

/** One loader per process, so every sandbox shares compiled programs. */
let sharedLoader: ProgramLoader | undefined;
function programLoader(): ProgramLoader {
  return (sharedLoader ??= new ProgramLoader(loadComponent, new MeteredDiskCache()));
}

const launchers = new WeakMap<ToolStore, ToolLauncher>();
let defaultStore: ToolStore | undefined;
function toolLauncher(store: ToolStore = (defaultStore ??= new ToolStore())): ToolLauncher {
  let launcher = launchers.get(store);
  if (launcher === undefined) {
    launcher = new ToolLauncher(store, (path, bytes) => programLoader().load(path, bytes));
    launchers.set(store, launcher);
  }
  return launcher;
}

/** The Node platform: host-folder zones on Linux, files from disk, `process.env`, a network broker thread per run that uses the network. */
export function createNodePlatform(options: NodePlatformOptions = {}): Platform {
  const toolDirs = options.toolStore === undefined ? [] : [options.toolStore.cacheDir];
  return {
    loadProgram: (program) => programLoader().load(program),
    launchTool: (name) => toolLauncher(options.toolStore).launch(name),
    zoneStore: (spec, image) => zoneStoreFor(spec, toolDirs, image),
    hostEnv: () => options.hostEnv ?? process.env,
    readSecret: (source) => (source.kind === 'env' ? (options.hostEnv ?? process.env)[source.variable] : readSecretFile(source.path)),
    ...(options.audit !== undefined && { audit: options.audit }),
    // Loaded on first use: the Docker client is a large module tree that WebAssembly runs never need.
    runContainer: async (job) => (await import('../docker/container-run.js')).runContainer(job, undefined, toolDirs),
    runNamespace: async (job) => (await import('../namespace/namespace-run.js')).runNamespace(job, toolDirs, options.prestart ?? true),
    nativeBackend,
    openNetwork: () => new BrokerTransport(),
    createClock: () => new HostClock(),
    random: secureRandom,
    startProcessThread,
  };
}

/** TOOL_DIRS: the platform's tool build caches, which no zone may hand to a guest (see refuseProtected). */
function zoneStoreFor(spec: ZoneSpec, toolDirs: readonly string[], image?: ZoneImage): FolderStore<unknown, unknown> {
  if (spec.kind === 'memory') {
    return memoryZoneStore(spec, memfsVolume, image) as FolderStore<unknown, unknown>;
  }
  return new GuardedHostFolder(spec.hostPath!, spec, toolDirs) as FolderStore<unknown, unknown>;
}

let memfs: typeof import('memfs') | undefined;

/** memfs' Volume class, loaded on the first in-memory zone (a cold start and every pool worker would pay for it otherwise). */
function memfsVolume(): typeof import('memfs').Volume {
  memfs ??= createRequire(import.meta.url)('memfs') as typeof import('memfs');
  return memfs.Volume;
}

import { mkdirSync } from 'node:fs';
import type { AuditSink } from './audit/events.js';
import { loadComponent } from './backends/wasm/component-loader.js';
import { ProgramLoader } from './backends/wasm/program-loader.js';
import type { Platform } from './platform.js';
import type { ZoneSpec } from './policy/types.js';
import { HostClock } from './wasi/core/clock.js';
import { secureRandom } from './wasi/core/random.js';
import { HostFolderBackend } from './zones/host-folder.js';
import { MemoryFolderBackend } from './zones/memory-folder.js';
import type { VolumeBackend } from './zones/volume-backend.js';

export interface NodePlatformOptions {
  /** Where audit events go (e.g. a {@link JsonlAuditFile}). */
  readonly audit?: AuditSink;
  /** The environment policy grants draw from; default `process.env`. */
  readonly hostEnv?: Readonly<Record<string, string | undefined>>;
}

/** One loader per process, so every sandbox shares compiled programs. */
let sharedLoader: ProgramLoader | undefined;
function programLoader(): ProgramLoader {
  return (sharedLoader ??= new ProgramLoader(loadComponent));
}

/** The Node platform: host-folder zones on Linux, files from disk, `process.env`. */
export function createNodePlatform(options: NodePlatformOptions = {}): Platform {
  return {
    loadProgram: (program) => programLoader().load(program),
    zoneBackend: zoneBackendFor,
    hostEnv: () => options.hostEnv ?? process.env,
    ...(options.audit !== undefined && { audit: options.audit }),
    createClock: () => new HostClock(),
    random: secureRandom,
  };
}

function zoneBackendFor(spec: ZoneSpec): VolumeBackend<unknown, unknown> {
  if (spec.kind === 'memory') return new MemoryFolderBackend(spec.files) as VolumeBackend<unknown, unknown>;
  const hostPath = spec.hostPath!;
  if (spec.access === 'rw') mkdirSync(hostPath, { recursive: true });
  HostFolderBackend.check(hostPath, spec.name);
  return new HostFolderBackend(hostPath) as VolumeBackend<unknown, unknown>;
}

import type { Platform } from './platform.js';
import type { Policy } from '../policy/types.js';
import { findTool, isShellCommand, isToolName } from '../tools/catalog.js';
import type { Backend } from './backend.js';
import { ContainerBackend } from './container-backend.js';
import { WasmBackend } from './wasm/wasm-backend.js';

/** The names of the ways to run a program; a policy's `backend` picks one, or `auto`. */
export type BackendName = Exclude<Policy['backend'], 'auto'>;

/** Every backend, on PLATFORM: the one place a new backend is registered. */
export function platformBackends(platform: Platform): Readonly<Record<BackendName, Backend>> {
  return {
    wasm: new WasmBackend(platform),
    docker: new ContainerBackend(platform, 'docker'),
    namespace: new ContainerBackend(platform, 'namespace'),
  };
}

/**
 * Which backend runs PROGRAM under the policy's `backend`: `auto` takes
 * WebAssembly where there is a build, else what NATIVE says (the
 * platform's choice for native programs: namespace or docker; asked only
 * then).
 */
export function chooseBackend(backend: Policy['backend'], program: string | Uint8Array, native: () => NativeBackend = dockerOnly): BackendName {
  if (backend === 'wasm' || typeof program !== 'string') return 'wasm';
  if (backend !== 'auto') return backend;
  const wasm = isToolName(program) ? findTool(program) !== undefined || isShellCommand(program) : program.endsWith('.wasm');
  return wasm ? 'wasm' : native();
}

/** The native backend of a platform that names none. */
export const dockerOnly = (): NativeBackend => 'docker';

/** The backends that run native programs. */
export type NativeBackend = Exclude<BackendName, 'wasm'>;

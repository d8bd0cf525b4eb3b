import type { Policy } from '../policy/types.js';
import { findTool, isToolName } from '../tools/catalog.js';

/** Which backend runs PROGRAM under the policy's `backend`: `auto` takes WebAssembly where there is a build. */
export function chooseBackend(backend: Policy['backend'], program: string | Uint8Array): 'wasm' | 'docker' {
  if (backend === 'wasm' || typeof program !== 'string') return 'wasm';
  if (backend === 'docker') return 'docker';
  const wasm = isToolName(program) ? findTool(program) !== undefined : program.endsWith('.wasm');
  return wasm ? 'wasm' : 'docker';
}

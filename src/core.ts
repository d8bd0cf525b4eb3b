/**
 * The platform-neutral core: policy, zones logic, in-memory zones, the WASI
 * host and the sandbox. Nothing reachable from here imports `node:*`, so the
 * browser build reuses it unchanged (a test bundles it to check).
 */
export { GoodbotError, ExitStatus, exitStatusFor, type ErrorKind } from './errors.js';
export { Sandbox, type ExecRequest, type Run } from './sandbox.js';
export type { Platform, LoadedProgram, ToolLaunch } from './platform.js';
export { EventChannel, type RunEvent, type RunResult, type RunStatus } from './run.js';
export { compileSandboxConfig, compilePolicyFile, isCompiledPolicy, type PolicySource } from './policy/compile.js';
export type { SandboxConfig, ZoneConfig, PolicyFile } from './policy/schema.js';
export type { Policy, ZoneSpec, Denial, DenialReason } from './policy/types.js';
export { Authority } from './policy/authority.js';
export { policyDigest } from './policy/digest.js';
export { guestEnvironment } from './policy/environment.js';
export { ZoneVolume, ZoneDir, ZoneFile } from './zones/zone-volume.js';
export { MemoryFolderBackend } from './zones/memory-folder.js';
export { createBrowserPlatform, type BrowserPlatformOptions } from './browser/browser-platform.js';
export { readZoneFiles, type ZoneFiles } from './browser/zone-files.js';
export { packFolder, unpackFolder } from './browser/folder-archive.js';
export { serveRuns, type PlatformFactory } from './browser/run-server.js';
export type { PreloadRequest, RunRequest, WorkerMessage, WorkerScope } from './browser/worker-protocol.js';
export type { VolumeBackend } from './zones/volume-backend.js';
export { Preview1Host } from './wasi/preview1/host.js';
export { createPreview2Imports } from './wasi/preview2/index.js';
export { HostClock, type WasiClock } from './wasi/core/clock.js';
export { secureRandom, type RandomSource } from './wasi/core/random.js';
export { BufferedInput, CallbackOutput, type InputSource, type OutputSink } from './wasi/core/stdio.js';
export type { WasiContext } from './wasi/core/context.js';
export { runCommandModule } from './backends/wasm/command-module.js';
export { detectProgramKind, compileModule, checkCommandModule } from './backends/wasm/program-kind.js';
export { componentProgram, type ComponentGlue } from './backends/wasm/component-program.js';
export { isRubyReactor, runRubyReactor } from './backends/wasm/ruby-reactor.js';
export { toolCatalog, toolRecipes, findTool, isToolName, type ToolEntry, type ToolMount, type ToolRecipe } from './tools/catalog.js';
export { instrumentFuel, WasmRewriteError, type InstrumentedModule } from './limits/instrument-fuel.js';
export type { AuditEvent, AuditSink } from './audit/events.js';

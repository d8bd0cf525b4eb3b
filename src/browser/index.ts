/**
 * goodbot's browser entry point (`goodbot/browser`): the sandbox with the
 * browser platform (in-memory zones, the catalog's tools fetched by the page),
 * and the portable pieces it is built from (policy, zones logic, the WASI
 * host, the WebAssembly backend). Nothing reachable from here imports
 * `node:*` or anything under src/node/ (a test bundles it to check).
 */
export { GoodbotError, ExitStatus, exitStatusFor, type ErrorKind } from '../errors.js';
export { Sandbox, type Run } from '../run/sandbox.js';
export type { ExecRequest } from '../backends/exec-request.js';
export type { Platform, ToolLaunch } from '../backends/platform.js';
export type { LoadedProgram } from '../backends/wasm/loaded-program.js';
export { EventChannel, type RunEvent } from '../run/events.js';
export type { RunStatus, RunResult } from '../backends/run-result.js';
export type { SessionCarry } from '../backends/session-carry.js';
export { Session, type SessionRunner, type SessionRunRequest, type CommandResult } from '../session/session.js';
export { carryOf, stateAfter, type SessionState } from '../session/session-state.js';
export { compileSandboxConfig, compilePolicyFile, isCompiledPolicy, type PolicySource } from '../policy/compile.js';
export type { SandboxConfig, ZoneConfig, PolicyFile } from '../policy/schema.js';
export type { Policy, ZoneSpec, Denial, DenialReason } from '../policy/types.js';
export { Authority } from '../policy/authority.js';
export { policyDigest } from '../policy/digest.js';
export { guestEnvironment } from '../policy/environment.js';
export { ZoneVolume } from '../zones/zone-volume.js';
export { ZoneDir, ZoneFile, type Volume } from '../zones/volume.js';
export { MemoryFolderStore } from '../zones/memory-folder.js';
export { createBrowserPlatform, type BrowserPlatformOptions } from './browser-platform.js';
export { readZoneFiles, type ZoneFiles } from './zone-files.js';
export { packFolder, unpackFolder } from './folder-archive.js';
export { serveRuns, type PlatformFactory } from './run-server.js';
export { serveProcesses, type ProcessWorkerScope } from './process-threads.js';
export type { PreloadRequest, RunRequest, WorkerMessage, WorkerScope } from './worker-protocol.js';
export type { FolderStore } from '../zones/folder-store.js';
export { Preview1Host } from '../wasi/preview1/host.js';
export { createPreview2Imports } from '../wasi/preview2/index.js';
export { HostClock, type WasiClock } from '../limits/clock.js';
export { secureRandom, type RandomSource } from '../wasi/common/random.js';
export { BufferedInput, CallbackOutput, type InputSource, type OutputSink } from '../wasi/common/stdio.js';
export type { WasiContext } from '../wasi/common/context.js';
export { runCommandModule } from '../backends/wasm/command-module.js';
export { detectProgramKind, compileModule, checkCommandModule } from '../backends/wasm/program-kind.js';
export { componentProgram, type ComponentGlue } from '../backends/wasm/component-program.js';
export { toolCatalog, toolRecipes, findTool, isToolName, type ToolEntry, type ToolMount, type ToolRecipe } from '../tools/catalog.js';
export { instrumentFuel, WasmRewriteError, type InstrumentedModule } from '../limits/instrument-fuel.js';
export type { AuditEvent, AuditSink } from '../audit/events.js';

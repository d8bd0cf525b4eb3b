import { GoodbotError } from '../errors.js';
import { isShellCommand } from '../tools/catalog.js';
import type { Platform } from '../backends/platform.js';
import { compileSandboxConfig } from '../policy/compile.js';
import { Sandbox } from '../run/sandbox.js';
import type { ZoneFiles } from './zone-files.js';
import type { RunRequest, WorkerScope } from './worker-protocol.js';

/** Makes the platform for one run; ON_ZONE_FILES receives its read-write zones' files. */
export type PlatformFactory = (onZoneFiles: (zone: string, files: ZoneFiles) => void) => Platform;

/**
 * Serves run and preload requests inside a Web Worker, one at a time: each
 * run blocks the worker (the guest runs on its thread) while the page stays
 * responsive, and output is posted chunk by chunk as the guest writes it.
 * A run is cancelled through its request's shared flag, not by a message.
 */
export function serveRuns(scope: WorkerScope, platformFor: PlatformFactory): void {
  let current: RunRequest | undefined;
  const zoneFiles = (zone: string, files: ZoneFiles) => {
    if (current === undefined) return;
    scope.postMessage(
      { type: 'zone-files', id: current.id, zone, files },
      Object.values(files).map((bytes) => bytes.buffer),
    );
  };
  const platform = platformFor(zoneFiles);
  let queue = Promise.resolve();
  scope.addEventListener('message', (event) => {
    const request = event.data;
    if (request?.type === 'preload') {
      // A shell has nothing to load: it loads the tools its line names as they run.
      if (isShellCommand(request.tool)) return;
      // A tool that fails to load fails again, with its message, when it is run.
      queue = queue.then(() =>
        platform.launchTool?.(request.tool).then(
          () => undefined,
          () => undefined,
        ),
      );
      return;
    }
    if (request?.type !== 'run') return;
    queue = queue.then(async () => {
      current = request;
      try {
        await serveRun(scope, platform, request);
      } finally {
        current = undefined;
      }
    });
  });
  scope.postMessage({ type: 'ready' });
}

async function serveRun(scope: WorkerScope, platform: Platform, request: RunRequest): Promise<void> {
  const { id } = request;
  const requested = performance.now();
  try {
    const policy = compileSandboxConfig(request.policy, { file: '<page>', baseDir: '/' });
    // Loaded before the run so that the load is not counted against the run's deadline (a shell loads its tools as they run).
    if (!isShellCommand(request.tool)) await platform.launchTool?.(request.tool);
    scope.postMessage({ type: 'start', id, loadMs: performance.now() - requested });
    const post = (type: 'stdout' | 'stderr') => (chunk: Uint8Array) => {
      const data = chunk.slice();
      scope.postMessage({ type, id, data }, [data.buffer]);
    };
    const { cancel } = request;
    const run = new Sandbox(policy, platform).exec(
      {
        program: request.tool,
        args: request.args,
        ...(request.stdin !== undefined && { stdin: request.stdin }),
        ...(request.session !== undefined && { session: request.session }),
        onStdout: post('stdout'),
        onStderr: post('stderr'),
        collectOutput: false,
        outputEvents: false,
      },
      cancel === undefined ? {} : { isCancelled: () => Atomics.load(cancel, 0) === 1 },
    );
    for await (const event of run.events) {
      if (event.type === 'denied') scope.postMessage({ type: 'denied', id, denial: event.denial });
    }
    scope.postMessage({ type: 'end', id, result: await run.result });
  } catch (error) {
    const hint = error instanceof GoodbotError ? error.hint : undefined;
    scope.postMessage({ type: 'error', id, message: (error as Error)?.message ?? String(error), ...(hint !== undefined && { hint }) });
  }
}

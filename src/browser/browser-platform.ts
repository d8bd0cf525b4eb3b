import type { Volume } from 'memfs';
import type { AuditSink } from '../audit/events.js';
import { moduleProgram } from '../backends/wasm/module-program.js';
import { detectProgramKind } from '../backends/wasm/program-kind.js';
import { GoodbotError } from '../errors.js';
import type { Platform, ToolLaunch } from '../backends/platform.js';
import type { LoadedProgram } from '../backends/wasm/loaded-program.js';
import type { ZoneSpec } from '../policy/types.js';
import { findTool, mountZoneName, recipeOf, type ToolEntry, type ToolMount } from '../tools/catalog.js';
import { HostClock } from '../limits/clock.js';
import { secureRandom } from '../wasi/common/random.js';
import { MemoryFolderStore } from '../zones/memory-folder.js';
import { memoryZoneStore } from '../zones/memory-zone.js';
import type { ZoneImage } from '../zones/zone-image.js';
import type { FolderStore } from '../zones/folder-store.js';
import { readZoneFiles, type ZoneFiles } from './zone-files.js';
import { browserProcessThreads } from './process-threads.js';

export interface BrowserPlatformOptions {
  /** memfs' `Volume` class: the page bundles memfs and hands it in, so the portable modules never import it. */
  readonly Volume: typeof Volume;
  /** The bytes of a catalog tool's built artifact (the page fetches them, checked against their digests). */
  readonly loadArtifact?: (tool: ToolEntry) => Promise<Uint8Array>;
  /**
   * The files of a catalog tool's own read-only folder (python3's stdlib),
   * which the page fetches as one archive. Without it, tools that need such
   * folders are refused.
   */
  readonly loadFolder?: (tool: ToolEntry, mount: ToolMount) => Promise<ZoneFiles>;
  /** Called with a read-write zone's files as its run ends, just before they are discarded. */
  readonly onZoneFiles?: (zone: ZoneSpec, files: ZoneFiles) => void;
  /**
   * A worker script that serves process threads (it calls
   * `serveProcesses(self)`): then the commands of a shell's pipeline run at
   * once, each in a worker of its own, and their pipes stream. Without it
   * they run one after another.
   */
  readonly processWorker?: string | URL;
  /** The variables a policy's `env.allow` may pass; default none. */
  readonly hostEnv?: Readonly<Record<string, string>>;
  readonly audit?: AuditSink;
}

/**
 * The browser platform: every zone in memory (memfs), programs given as
 * bytes or catalog tools fetched by the page (a tool's own folders become
 * read-only memory zones, fetched once and reused), WebCrypto random bytes and
 * `performance.now()` clocks, no network and no containers. Only preview1
 * core modules run for now. Limits are the in-guest metering of the
 * WebAssembly backend (fuel slices that check the deadline), so a runaway guest stops on
 * time without `Worker.terminate()`, which Chromium honours only seconds later.
 * Runs block their thread: call it from a Web Worker, which may block (the
 * clock's sleep uses `Atomics.wait`, which needs a cross-origin isolated page).
 */
export function createBrowserPlatform(options: BrowserPlatformOptions): Platform {
  const byBytes = new WeakMap<Uint8Array, LoadedProgram>();
  const tools = new Map<string, Promise<LoadedProgram>>();
  const loadBytes = (bytes: Uint8Array, name: string): LoadedProgram => {
    let program = byBytes.get(bytes);
    if (program === undefined) {
      if (detectProgramKind(bytes, name) === 'component') {
        throw new GoodbotError('invalid-program', `${name} is a component; the browser build runs core modules only so far`, {
          hint: 'give a WASI preview1 core module',
          path: name,
        });
      }
      program = moduleProgram(bytes, name, undefined, true);
      byBytes.set(bytes, program);
    }
    return program;
  };
  const loadTool = (tool: ToolEntry): Promise<LoadedProgram> => {
    const key = `${tool.recipe}/${tool.artifact}`;
    let program = tools.get(key);
    if (program === undefined) {
      program = options.loadArtifact!(tool).then((bytes) => loadBytes(bytes, tool.artifact));
      tools.set(key, program);
      program.catch(() => tools.delete(key));
    }
    return program;
  };
  const folders = new Map<string, Promise<ZoneFiles>>();
  // Fetched and unpacked once per platform (one per worker); each run's memory zone is filled from it.
  const loadMount = async (tool: ToolEntry, mount: ToolMount): Promise<ZoneSpec> => {
    const name = mountZoneName(tool, mount);
    let files = folders.get(name);
    if (files === undefined) {
      files = options.loadFolder!(tool, mount);
      folders.set(name, files);
      files.catch(() => folders.delete(name));
    }
    return { name, kind: 'memory', access: 'ro', guestPath: mount.guestPath, files: await files, internal: true };
  };
  return {
    loadProgram: async (program) => {
      if (typeof program !== 'string') return loadBytes(program, 'program.wasm');
      throw new GoodbotError('not-found', `${program}: the browser has no files to run programs from`, {
        hint: 'give the program as bytes, or a catalog tool by name',
        path: program,
      });
    },
    ...(options.loadArtifact !== undefined && {
      launchTool: async (name: string): Promise<ToolLaunch> => {
        const tool = browserTool(name, options.loadFolder !== undefined);
        const [program, mounts] = await Promise.all([loadTool(tool), Promise.all((tool.mounts ?? []).map((mount) => loadMount(tool, mount)))]);
        return {
          program,
          name: tool.name,
          version: recipeOf(tool).version,
          argv0: tool.entry ?? tool.name,
          mounts,
          env: tool.env ?? {},
        };
      },
    }),
    zoneStore: (spec, image) => memoryStore(spec, options, image),
    hostEnv: () => options.hostEnv ?? {},
    readSecret: (source) => {
      if (source.kind === 'env') return options.hostEnv?.[source.variable];
      throw new GoodbotError('policy', `a page reads no files: the secret's source file:${source.path} cannot be read here`, {
        field: 'sandbox.secrets',
        hint: "give it as 'env:NAME' and the value in the platform's hostEnv",
      });
    },
    ...(options.audit !== undefined && { audit: options.audit }),
    createClock: () => new HostClock(),
    random: secureRandom,
    ...(options.processWorker !== undefined && { startProcessThread: browserProcessThreads(options.processWorker) }),
  };
}

/** The catalog entry NAME, if the browser build can run it (a core module, with folders of its own only if WITH_FOLDERS). */
function browserTool(name: string, withFolders: boolean): ToolEntry {
  const tool = findTool(name);
  if (tool === undefined) {
    throw new GoodbotError('not-found', `${name}: no such tool in the catalog`, { path: name });
  }
  if (tool.kind !== 'preview1' || (!withFolders && (tool.mounts?.length ?? 0) > 0)) {
    throw new GoodbotError('not-found', `${name} does not run in the browser build yet`, {
      hint: 'the browser runs preview1 tools (busybox applets, jq, lua, sqlite3, and python3 when the page provides its library folder)',
      path: name,
    });
  }
  return tool;
}

function memoryStore(spec: ZoneSpec, options: BrowserPlatformOptions, image?: ZoneImage): FolderStore<unknown, unknown> {
  if (spec.kind !== 'memory') {
    throw new GoodbotError('policy', `zone '${spec.name}' is a host folder; the browser has only in-memory zones`, {
      hint: "give the zone `files` (or mode 'tmpfs') instead of a hostPath",
    });
  }
  const store = memoryZoneStore(spec, () => options.Volume, image);
  const onZoneFiles = options.onZoneFiles;
  if (spec.access === 'rw' && onZoneFiles !== undefined && store instanceof MemoryFolderStore) {
    const dispose = store.dispose.bind(store);
    store.dispose = () => {
      onZoneFiles(spec, readZoneFiles(store.volume));
      dispose();
    };
  }
  return store as FolderStore<unknown, unknown>;
}

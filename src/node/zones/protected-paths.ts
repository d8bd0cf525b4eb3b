import { realpathSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GoodbotError } from '../../errors.js';
import { cacheRoots, privateRunsDir, stateRoot } from '../host/host-dirs.js';
import type { ZoneSpec } from '../../policy/types.js';

/** A folder or file of goodbot's own that no zone may hand to a guest. */
export interface ProtectedPath {
  /** Its real path (symlinks of the part that exists resolved). */
  readonly path: string;
  /** What it is, for messages. */
  readonly what: string;
  /** It holds other runs' secrets: refused even for a read-only zone. */
  readonly secret: boolean;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * goodbot's own files: what it later executes or trusts (its code, its
 * dependencies, the Node binary, the component and metered-module caches of
 * every cache root, the tool build caches), where container runs keep
 * their secrets, and the session records (histories and snapshots). Not the package root as a whole: the example zones live in
 * it. TOOL_DIRS are the tool build caches in use (`ToolStore.cacheDir`).
 */
export function protectedPaths(toolDirs: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): ProtectedPath[] {
  const trusted = (path: string, what: string): ProtectedPath => ({ path: realPathOf(path), what, secret: false });
  const found: ProtectedPath[] = [
    ...cacheRoots(env).map((root) => trusted(root, "goodbot's cache")),
    ...[...toolDirs, env['GOODBOT_TOOLS_DIR'], join(packageRoot, '.cache', 'tools')]
      .filter((dir): dir is string => dir !== undefined && dir !== '')
      .map((dir) => trusted(dir, "goodbot's tool builds")),
    ...['dist', 'src', '.cache', 'wasm-tools', 'package.json'].map((part) => trusted(join(packageRoot, part), "goodbot's own files")),
    ...nodeModulesFolders(packageRoot).map((dir) => trusted(dir, 'the packages goodbot loads')),
    trusted(process.execPath, 'the Node.js binary running goodbot'),
    { path: realPathOf(privateRunsDir()), what: 'the private files of container runs', secret: true },
    // Sessions' histories (command lines may carry secrets) and snapshots goodbot restores.
    { path: realPathOf(stateRoot(env)), what: "goodbot's session records", secret: true },
  ];
  const seen = new Set<string>();
  return found.filter((entry) => !seen.has(entry.path) && seen.add(entry.path));
}

/** Every `node_modules` Node searches from the package root: its own and each ancestor's. */
function nodeModulesFolders(root: string): string[] {
  const folders: string[] = [];
  for (let dir = realPathOf(root); ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') folders.push(join(dir, 'node_modules'));
    if (dirname(dir) === dir) return folders;
  }
}

/** PATH with symlinks resolved as far as it exists (the rest appended), so a folder made later compares equal. */
export function realPathOf(path: string): string {
  const rest: string[] = [];
  for (let at = path; ; at = dirname(at)) {
    try {
      return join(realpathSync(at), ...rest);
    } catch {
      if (dirname(at) === at) return path;
      rest.unshift(basename(at));
    }
  }
}

let cached: { key: string; paths: ProtectedPath[] } | undefined;

/** {@link protectedPaths}, computed once per set of tool folders and environment. */
function currentProtectedPaths(toolDirs: readonly string[]): ProtectedPath[] {
  const env = process.env;
  const key = JSON.stringify([
    toolDirs,
    env['GOODBOT_CACHE_DIR'],
    env['XDG_CACHE_HOME'],
    env['HOME'],
    env['GOODBOT_TOOLS_DIR'],
    env['GOODBOT_STATE_DIR'],
    env['XDG_STATE_HOME'],
  ]);
  if (cached?.key !== key) cached = { key, paths: protectedPaths(toolDirs, env) };
  return cached.paths;
}

/**
 * Refuses a host zone whose folder (REAL, its resolved path: what the guest
 * will actually reach) holds or lies inside one of goodbot's own files: a
 * read-write one always (the guest could change what goodbot later runs or
 * trusts), a read-only one when the file holds other runs' secrets. FIELD
 * names the zone's `hostPath` in the policy. goodbot's own internal mounts
 * (a tool's standard library) are exempt.
 */
export function refuseProtected(zone: ZoneSpec, real: string, field: string, toolDirs: readonly string[] = []): void {
  if (zone.internal === true) return;
  for (const entry of currentProtectedPaths(toolDirs)) {
    if (zone.access === 'ro' && !entry.secret) continue;
    const relation = real === entry.path ? 'is' : within(entry.path, real) ? 'holds' : within(real, entry.path) ? 'lies inside' : undefined;
    if (relation === undefined) continue;
    throw new GoodbotError(
      'policy',
      `zone '${zone.name}': ${real} ${relation} ${entry.what} (${entry.path}), which no guest may ${entry.secret ? 'see' : 'change'}`,
      {
        field,
        path: real,
        hint: entry.secret
          ? 'mount a folder that does not hold it'
          : `mount a folder that does not hold goodbot's own files, such as a project folder rather than a home folder${zone.access === 'rw' ? ', or mount it read-only' : ''}`,
      },
    );
  }
}

/** Whether PATH lies strictly beneath FOLDER. */
function within(path: string, folder: string): boolean {
  return path.startsWith(folder === sep ? folder : folder + sep) && path !== folder;
}

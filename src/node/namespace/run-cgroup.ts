import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { isProcessAlive } from '../host/process-alive.js';
import { join, resolve } from 'node:path';

/** How a namespace run's memory and process count are capped: a cgroup (v2 or v1) where goodbot may make one, else rlimits. */
export type ResourceControl = 'cgroup-v2' | 'cgroup-v1' | 'rlimit';

/** Where this process may make cgroups for its runs, found once. */
export interface CgroupSite {
  readonly version: 2 | 1;
  /** v2: the folder under which run cgroups go. v1: the memory and pids hierarchies' folders. */
  readonly parents: readonly string[];
}

/** A run's own cgroup(s): the launcher joins them before bwrap starts, so every sandbox process counts. */
export interface RunCgroup {
  readonly control: 'cgroup-v2' | 'cgroup-v1';
  readonly dirs: readonly string[];
  /** Did the kernel's OOM killer end a process of the run? */
  oomKilled(): boolean;
  /** Removes the cgroups (once every process in them has ended). */
  remove(): void;
}

const cgroupPrefix = 'goodbot-';

/**
 * Where run cgroups can go on this machine, given its mount table and this
 * process's cgroup membership (both as text, so tests can describe other
 * machines), or undefined. v2: the process's own cgroup must already let
 * its children have the memory and pids controllers (a delegated cgroup,
 * e.g. from `systemd-run --scope -p Delegate=yes` or a container manager),
 * and be writable. v1: the memory and pids hierarchies must be mounted and
 * the process's cgroups in them writable (as root).
 */
export function findCgroupSite(
  mountinfo: string,
  membership: string,
  writable: (dir: string) => boolean,
  read: (path: string) => string,
): CgroupSite | undefined {
  const mounts = mountinfo
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields.length > 9)
    .map((fields) => {
      const dash = fields.indexOf('-');
      return { point: fields[4]!, type: fields[dash + 1]!, options: (fields[dash + 3] ?? '').split(',') };
    });
  const groups = new Map<string, string>();
  for (const line of membership.split('\n')) {
    const [, controllers, path] = line.match(/^\d+:([^:]*):(.*)$/) ?? [];
    if (controllers !== undefined && path !== undefined) groups.set(controllers, path);
  }
  const unified = mounts.find((mount) => mount.type === 'cgroup2');
  const ownV2 = groups.get('');
  if (unified !== undefined && ownV2 !== undefined) {
    const dir = resolve(unified.point, `.${ownV2}`);
    try {
      const delegated = read(join(dir, 'cgroup.subtree_control')).split(/\s+/);
      if (delegated.includes('memory') && delegated.includes('pids') && writable(dir)) return { version: 2, parents: [dir] };
    } catch {
      // not there, or not ours to read: try v1
    }
  }
  const v1 = ['memory', 'pids'].map((controller) => {
    const mount = mounts.find((candidate) => candidate.type === 'cgroup' && candidate.options.includes(controller));
    const path = [...groups].find(([names]) => names.split(',').includes(controller))?.[1];
    return mount === undefined || path === undefined ? undefined : resolve(mount.point, `.${path}`);
  });
  if (v1.every((dir): dir is string => dir !== undefined && writable(dir))) return { version: 1, parents: v1 as string[] };
  return undefined;
}

let site: CgroupSite | undefined | null = null;

/** This machine's {@link CgroupSite} for this process, looked up once. */
export function cgroupSite(): CgroupSite | undefined {
  if (site !== null) return site;
  try {
    site = findCgroupSite(
      readFileSync('/proc/self/mountinfo', 'utf8'),
      readFileSync('/proc/self/cgroup', 'utf8'),
      (dir) => canMakeFolderIn(dir),
      (path) => readFileSync(path, 'utf8'),
    );
  } catch {
    site = undefined;
  }
  return site;
}

function canMakeFolderIn(dir: string): boolean {
  const probe = join(dir, `${cgroupPrefix}probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the run cgroups of goodbot processes that are gone (they ended
 * before removing them); returns their folders. An orphan still holding a
 * process (it cannot be, once its sandbox's pid namespace ended) is kept.
 */
export function removeOrphanCgroups(at: CgroupSite | undefined = cgroupSite()): string[] {
  const removed: string[] = [];
  for (const parent of at?.parents ?? []) {
    for (const name of readdirSync(parent)) {
      const pid = Number(name.slice(cgroupPrefix.length).split('-')[0]);
      if (!name.startsWith(cgroupPrefix) || !Number.isInteger(pid) || pid <= 0 || isProcessAlive(pid)) continue;
      try {
        rmdirSync(join(parent, name));
        removed.push(join(parent, name));
      } catch {
        // busy: left for the next check
      }
    }
  }
  return removed;
}

/**
 * A cgroup for run RUN_ID at SITE with its caps: MEMORY_BYTES of memory (no
 * swap beyond it) and PIDS processes and threads.
 */
export function createRunCgroup(site: CgroupSite, runId: string, memoryBytes: number, pids: number): RunCgroup {
  // The pid first, so an orphan's owner can be told (see removeOrphanCgroups).
  const name = `${cgroupPrefix}${process.pid}-${runId}`;
  const dirs = site.parents.map((parent) => join(parent, name));
  const made: string[] = [];
  const remove = () => {
    for (const dir of made.reverse()) removeCgroup(dir);
    made.length = 0;
  };
  try {
    for (const dir of dirs) {
      mkdirSync(dir);
      made.push(dir);
    }
    if (site.version === 2) {
      const [dir] = dirs as [string];
      writeFileSync(join(dir, 'memory.max'), String(memoryBytes));
      if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
      writeFileSync(join(dir, 'pids.max'), String(pids));
      return { control: 'cgroup-v2', dirs, oomKilled: () => counter(join(dir, 'memory.events'), 'oom_kill') > 0, remove };
    }
    const [memory, pidsDir] = dirs as [string, string];
    writeFileSync(join(memory, 'memory.limit_in_bytes'), String(memoryBytes));
    // Swap counts too, so the cap is the cap (the file is absent where the kernel does not account swap).
    if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(memory, 'memory.memsw.limit_in_bytes'), String(memoryBytes));
    writeFileSync(join(pidsDir, 'pids.max'), String(pids));
    return { control: 'cgroup-v1', dirs, oomKilled: () => counter(join(memory, 'memory.oom_control'), 'oom_kill') > 0, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/** A `NAME VALUE` line's value in a cgroup file; 0 when absent. */
function counter(path: string, name: string): number {
  try {
    const line = readFileSync(path, 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${name} `));
    return line === undefined ? 0 : Number(line.slice(name.length + 1));
  } catch {
    return 0;
  }
}

/** rmdir of a cgroup fails while the kernel still counts an ending process in it: a few tries. */
function removeCgroup(dir: string): void {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
}

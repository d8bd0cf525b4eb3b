import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  type BigIntStats,
} from 'node:fs';
import { sep } from 'node:path';
import { GoodbotError } from '../../errors.js';
import type { DockerSettings, ZoneSpec } from '../../policy/types.js';
import { realPathOf, refuseProtected } from '../zones/protected-paths.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;

/** One bind mount: a checked host folder (or file) at a guest path. */
export interface BindMount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** A bind mount whose source goodbot holds open: the container must show exactly this file at the target. */
export interface HeldMount extends BindMount {
  readonly held: BigIntStats;
}

/** Path names that are never mounted, wherever they are: credentials and the engine's control socket. */
const blockedNames = ['.ssh', '.aws', '.gnupg', '.env', '.docker', '.kube', '.netrc', 'docker.sock', 'podman.sock'];
/** Folders a zone may not contain at its top: mounting the zone would hand them to the guest. */
const exposedNames = ['.ssh', '.aws', '.gnupg', '.env', '.docker', '.kube', '.netrc'];

/**
 * The bind mounts of a run's host zones, checked, with every source held
 * open. The engine takes paths, which anyone (a guest of another run sharing
 * a read-write zone) may swap for a symlink between goodbot's check and the
 * engine's mount, so {@link verify} checks afterwards, from the container's
 * own mount table, that each target shows the very folder goodbot checked.
 */
export class ContainerMounts {
  private constructor(
    readonly binds: readonly HeldMount[],
    private readonly fds: readonly number[],
  ) {}

  /**
   * Opens and checks each host zone's folder (symlinks of the policy's path
   * followed; what is checked is what was opened): it must lie under one of
   * the policy's mount roots, go through no blocked name (`.ssh`, `.aws`,
   * `.gnupg`, `.env`, `.git/hooks`, the Docker socket…), hold no such
   * credentials at its top, and be none of goodbot's own files. A read-write
   * zone's `.git` (a real folder or file at its top, opened without following
   * a symlink) is mounted read-only over it unless the zone says `git:
   * writable`, so a guest cannot plant a hook or a `core.fsmonitor` command
   * that the owner's next `git` would run.
   */
  static open(zones: readonly ZoneSpec[], settings: DockerSettings, engineSocket: string, toolDirs: readonly string[] = []): ContainerMounts {
    // A root that does not exist admits nothing but itself, which cannot be mounted either.
    const roots = settings.mountRoots.map((root) => realPathOf(root));
    const binds: HeldMount[] = [];
    const fds: number[] = [];
    const hold = (fd: number, source: string, target: string, readOnly: boolean) => {
      fds.push(fd);
      binds.push({ source, target, readOnly, held: fstatSync(fd, { bigint: true }) });
    };
    try {
      zones.forEach((zone, index) => {
        if (zone.kind !== 'host') return;
        const field = `sandbox.zones[${index}].hostPath`;
        refuseProtected(zone, realPathOf(zone.hostPath!), field, toolDirs);
        if (zone.access === 'rw') mkdirSync(zone.hostPath!, { recursive: true });
        const fd = openFolder(zone.hostPath!, zone.name, field);
        const source = readlinkSync(`/proc/self/fd/${fd}`);
        hold(fd, source, zone.guestPath, zone.access === 'ro');
        checkSource(zone, source, field, roots, engineSocket);
        refuseProtected(zone, source, field, toolDirs);
        if (zone.access === 'rw' && zone.gitWritable !== true) {
          const git = openGit(fd, source, zone.name);
          if (git !== undefined) hold(git, `${source}${sep}.git`, `${zone.guestPath.replace(/\/$/, '')}/.git`, true);
        }
      });
    } catch (error) {
      for (const fd of fds) closeSync(fd);
      throw error;
    }
    return new ContainerMounts(binds, fds);
  }

  /**
   * Checks, once the container PID's mounts are made (and before its command
   * runs), that at each target the container has a mount, read-only where
   * asked, showing the very file goodbot held (same device and inode): a
   * source or target swapped for a symlink in the meantime shows something
   * else, or nothing, there. Throws a `zone` error otherwise.
   *
   * Under gVisor (runsc) the container's process is the sandbox's, which
   * holds no host mounts: its gofer, which serves the container's files,
   * holds them, and is checked instead; gVisor's kernel enforces read-only
   * mounts itself (the gofer's own are read-write), so their flag is not
   * asked of the gofer's table.
   */
  verify(containerPid: number): void {
    const gofer = gVisorGofer(containerPid);
    const pid = gofer ?? containerPid;
    let mounted: Map<string, string[]>;
    try {
      mounted = mountPoints(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
    } catch (error) {
      throw new GoodbotError('engine', `cannot read the container's mounts (process ${pid}) to check them`, {
        hint: "goodbot must run on the engine's host, in its process namespace",
        cause: error,
      });
    }
    for (const bind of this.binds) {
      const options = mounted.get(bind.target);
      const seen = statInContainer(pid, bind.target);
      const same = seen !== undefined && seen.dev === bind.held.dev && seen.ino === bind.held.ino;
      if (options === undefined || !same || (bind.readOnly && gofer === undefined && !options.includes('ro'))) {
        throw new GoodbotError(
          'zone',
          `${bind.source} changed while it was being mounted at ${bind.target}; the container was stopped before its command ran`,
          {
            path: bind.source,
            hint: 'something replaced the folder (or a part of its path) with a link; check the folder and run again',
          },
        );
      }
    }
  }

  /** The held sources' descriptors, in the order of {@link binds}. */
  get descriptors(): readonly number[] {
    return this.fds;
  }

  /** Lets go of the held sources (once the container runs, or when the run ends). */
  close(): void {
    for (const fd of this.fds) closeSync(fd);
    (this.fds as number[]).length = 0;
  }
}

/**
 * The gofer of the gVisor sandbox whose process is PID (its sibling under
 * the runtime's shim, `runsc-gofer`), or undefined when PID is no gVisor
 * sandbox (a runc container's init).
 */
function gVisorGofer(pid: number): number | undefined {
  const commandOf = (of: number | string) => {
    try {
      return readFileSync(`/proc/${of}/cmdline`, 'utf8');
    } catch {
      return '';
    }
  };
  if (!commandOf(pid).startsWith('runsc-sandbox\0')) return undefined;
  const parentOf = (of: number | string) => {
    try {
      // The parent is the 4th field of stat, after the command in parentheses (which may hold spaces).
      const stat = readFileSync(`/proc/${of}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return -1;
    }
  };
  const shim = parentOf(pid);
  const gofer = readdirSync('/proc').find((name) => /^\d+$/.test(name) && parentOf(name) === shim && commandOf(name).startsWith('runsc-gofer\0'));
  if (gofer === undefined) {
    throw new GoodbotError('engine', `the gVisor sandbox (process ${pid}) has no gofer to check its mounts against`, {
      hint: 'check the runsc runtime with goodbot doctor',
    });
  }
  return Number(gofer);
}

/** What the container with init PID sees at TARGET (not following a final symlink), or undefined. */
function statInContainer(pid: number, target: string): BigIntStats | undefined {
  try {
    return lstatSync(`/proc/${pid}/root${target}`, { bigint: true });
  } catch {
    return undefined; // missing, a loop, not reachable: not the folder checked
  }
}

/** The mount options of each mount point in a mountinfo table (the last mount at a point is the one seen). */
function mountPoints(mountinfo: string): Map<string, string[]> {
  const points = new Map<string, string[]>();
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 6) continue;
    points.set(unescapeMountPath(fields[4]!), fields[5]!.split(','));
  }
  return points;
}

/** The kernel writes space, tab, newline and backslash in mountinfo paths as octal escapes. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function checkSource(zone: ZoneSpec, source: string, field: string, roots: readonly string[], engineSocket: string): void {
  const blocked = blockedPart(source, engineSocket);
  if (blocked !== undefined) {
    throw new GoodbotError('policy', `zone '${zone.name}': ${source} is blocked for container mounts (${blocked})`, {
      field,
      path: source,
      hint: 'mount a folder that holds only what the tool needs',
    });
  }
  if (!roots.some((root) => source === root || source.startsWith(root === sep ? root : root + sep))) {
    throw new GoodbotError('policy', `zone '${zone.name}': ${source} is outside the folders containers may mount`, {
      field: 'sandbox.docker.mountRoots',
      path: source,
      hint: `add a folder holding it to sandbox.docker.mountRoots (now: ${roots.join(', ')})`,
    });
  }
  const exposed = exposedNames.find((name) => existsSync(`${source}${sep}${name}`));
  if (exposed !== undefined) {
    throw new GoodbotError('policy', `zone '${zone.name}': ${source} holds ${exposed}, which a container would see`, {
      field,
      path: `${source}${sep}${exposed}`,
      hint: 'mount a folder without credentials in it',
    });
  }
}

/** The blocked name a resolved path goes through, if any. */
export function blockedPart(path: string, engineSocket: string): string | undefined {
  const parts = path.split(sep);
  const name = parts.find((part) => blockedNames.includes(part));
  if (name !== undefined) return name;
  for (let i = 0; i + 1 < parts.length; i++) if (parts[i] === '.git' && parts[i + 1] === 'hooks') return '.git/hooks';
  if (path === engineSocket || engineSocket.startsWith(path === sep ? path : path + sep)) return `holds the Docker socket ${engineSocket}`;
  return undefined;
}

/** The zone's folder, opened (symlinks in the policy's path followed: the policy's author placed them). */
function openFolder(path: string, zone: string, field: string): number {
  try {
    return openSync(path, O_RDONLY | O_DIRECTORY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new GoodbotError('zone', code === 'ENOTDIR' ? `zone '${zone}': ${path} is not a folder` : `zone '${zone}': ${path} does not exist`, {
      field,
      path,
      hint: code === 'ENOTDIR' ? 'a zone is a folder' : 'create the folder, or fix hostPath',
      cause: error,
    });
  }
}

/**
 * The zone's top-level `.git`, opened beneath the held zone folder without
 * following a symlink (the guest may have planted one): a folder or a
 * regular file (a worktree's pointer to its repository), else nothing.
 */
function openGit(zoneFd: number, source: string, zone: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/self/fd/${zoneFd}/.git`, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch {
    return undefined; // absent, or a symlink (ELOOP): nothing of the host to protect or to mount
  }
  const stat = fstatSync(fd);
  const real = readlinkSync(`/proc/self/fd/${fd}`);
  if ((!stat.isDirectory() && !stat.isFile()) || real !== `${source}${sep}.git`) {
    closeSync(fd);
    if (real === `${source}${sep}.git`) return undefined;
    throw new GoodbotError('zone', `zone '${zone}': ${source}${sep}.git moved while it was being opened`, {
      path: `${source}${sep}.git`,
      hint: 'run again when nothing else changes the folder',
    });
  }
  return fd;
}

import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import { GoodbotError } from '../../errors.js';
import type { DockerSettings, ZoneSpec } from '../../policy/types.js';

/** One bind mount: a checked, resolved host folder at a guest path. */
export interface BindMount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

/** Path names that are never mounted, wherever they are: credentials and the engine's control socket. */
const blockedNames = ['.ssh', '.aws', '.gnupg', '.env', '.docker', '.kube', '.netrc', 'docker.sock'];
/** Folders a zone may not contain at its top: mounting the zone would hand them to the guest. */
const exposedNames = ['.ssh', '.aws', '.gnupg', '.env', '.docker', '.kube', '.netrc'];

/**
 * The bind mounts for a run's host zones, checked before anything is
 * mounted. Each host folder is resolved (symlinks followed: what is checked
 * is what gets mounted) and must lie under one of the policy's mount roots;
 * a resolved path through a blocked name (`.ssh`, `.aws`, `.gnupg`, `.env`,
 * `.git/hooks`, the Docker socket…) is refused, as is a folder holding such
 * credentials at its top. A read-write zone's `.git/hooks` is mounted
 * read-only over it, so a guest cannot plant code the host later runs.
 */
export function bindMounts(zones: readonly ZoneSpec[], settings: DockerSettings, engineSocket: string): BindMount[] {
  const roots = settings.mountRoots.map((root) => resolveRoot(root));
  const mounts: BindMount[] = [];
  zones.forEach((zone, index) => {
    if (zone.kind !== 'host') return;
    const field = `sandbox.zones[${index}].hostPath`;
    if (zone.access === 'rw') mkdirSync(zone.hostPath!, { recursive: true });
    const source = resolveFolder(zone.hostPath!, zone.name, field);
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
    mounts.push({ source, target: zone.guestPath, readOnly: zone.access === 'ro' });
    const hooks = `${source}${sep}.git${sep}hooks`;
    if (zone.access === 'rw' && isFolder(hooks)) {
      mounts.push({ source: realpathSync(hooks), target: `${zone.guestPath.replace(/\/$/, '')}/.git/hooks`, readOnly: true });
    }
  });
  return mounts;
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

function resolveRoot(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return root; // a root that does not exist admits nothing but itself, which cannot be mounted either
  }
}

function resolveFolder(path: string, zone: string, field: string): string {
  let resolved: string;
  try {
    resolved = realpathSync(path);
  } catch (error) {
    throw new GoodbotError('zone', `zone '${zone}': ${path} does not exist`, {
      field,
      path,
      hint: 'create the folder, or fix hostPath',
      cause: error,
    });
  }
  if (!isFolder(resolved)) {
    throw new GoodbotError('zone', `zone '${zone}': ${resolved} is not a folder`, { field, path: resolved, hint: 'a zone is a folder' });
  }
  return resolved;
}

function isFolder(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

import { GoodbotError } from '../../errors.js';
import type { HeldMount } from './mount-guard.js';

/** Who the container runs as: never root. */
export interface ContainerUser {
  readonly uid: number;
  readonly gid: number;
}

/** `nobody`: the container's user when no better one is known. */
export const NOBODY: ContainerUser = { uid: 65534, gid: 65534 };

/**
 * The container's user. Run by a user, goodbot runs its containers as that
 * user, so what they write into read-write zones is theirs. Run by root, it
 * takes the owner of the first read-write zone (when not root), else
 * `nobody`. Never uid 0. Every read-write mount must then be writable by that
 * user; one that is not is refused before the container starts, rather than
 * failing inside it. Owners and modes are those of the folders goodbot holds
 * open, not of whatever their paths name by now.
 */
export function containerUser(binds: readonly HeldMount[], self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }): ContainerUser {
  let user: ContainerUser = self.uid !== 0 ? self : NOBODY;
  if (self.uid === 0) {
    const firstWritable = binds.find((bind) => !bind.readOnly);
    const owner = firstWritable?.held;
    if (owner && owner.uid !== 0n) user = { uid: Number(owner.uid), gid: Number(owner.gid) };
  }
  for (const bind of binds) {
    if (bind.readOnly) continue;
    const { uid, gid, mode } = bind.held;
    const bits = Number(uid) === user.uid ? Number(mode) >> 6 : Number(gid) === user.gid ? Number(mode) >> 3 : Number(mode);
    if ((bits & 0o3) !== 0o3) {
      throw new GoodbotError('zone', `${bind.source} is not writable by the container's user (uid ${user.uid})`, {
        path: bind.source,
        hint: `run goodbot as the folder's owner, or let uid ${user.uid} write it (chown ${user.uid} or chmod o+rwx)`,
      });
    }
  }
  return user;
}

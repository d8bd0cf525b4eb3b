import { lstatSync, mkdirSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { stateRoot } from '../host/host-dirs.js';

/**
 * Where `goodbot serve` takes `goodbot exec` runs handed to it:
 * `<state>/handoff/exec.sock`, in a folder only this user may enter. What a
 * client sends there (its environment, its stdin) is for a server of its own
 * user; what comes back is printed as its run's output.
 */
export function handoffSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateRoot(env), 'handoff', 'exec.sock');
}

/** The longest path a Unix socket may have on Linux (`sun_path` is 108 bytes with its NUL). */
export const maxSocketPathBytes = 107;

/**
 * Why SOCKET's folder may not be trusted with a hand-off: missing, not a
 * folder (a symlink is not followed), not this user's, or open to anyone
 * else (a socket another user planted there could take a client's
 * environment and print what it likes). Undefined when it is private.
 */
export function handoffFolderProblem(socket: string): string | undefined {
  const folder = dirname(socket);
  let stats;
  try {
    stats = lstatSync(folder);
  } catch {
    return `${folder} does not exist`;
  }
  if (!stats.isDirectory()) return `${folder} is not a folder`;
  if (stats.uid !== process.getuid?.()) return `${folder} belongs to user ${stats.uid}, not to this user`;
  if ((stats.mode & 0o077) !== 0) return `${folder} is open to other users (mode ${(stats.mode & 0o777).toString(8)})`;
  return undefined;
}

/** Makes SOCKET's folder (mode 0700) if it is missing; returns why it cannot be used, if it cannot. */
export function makeHandoffFolder(socket: string): string | undefined {
  mkdirSync(dirname(socket), { recursive: true, mode: 0o700 });
  if (Buffer.byteLength(socket) > maxSocketPathBytes) return `${socket} is longer than a socket path may be (${maxSocketPathBytes} bytes)`;
  return handoffFolderProblem(socket);
}

/** A connection to the server listening at SOCKET, or undefined when none answers (no server, a stale socket). */
export function connectToServer(socket: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const connection = createConnection(socket);
    const failed = () => resolve(undefined);
    connection.once('error', failed);
    connection.once('connect', () => {
      connection.off('error', failed);
      resolve(connection);
    });
  });
}

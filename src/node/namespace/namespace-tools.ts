import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GoodbotError } from '../../errors.js';
import { toolsImageRef } from '../docker/image-ref.js';
import { findToolsRootfs, type ToolsRootfs } from './tools-rootfs.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where setup builds goodbot's own helpers for this backend (from src/node/namespace/native). */
export const nativeDir = join(packageRoot, '.cache', 'native');

/** What a namespace run needs on the host, found. */
export interface NamespaceTools {
  /** bubblewrap. */
  readonly bwrap: string;
  /** goodbot's launcher (ns-launcher.c), run before bwrap. */
  readonly launcher: string;
  /** goodbot's init (ns-init.c), the sandbox's first program. */
  readonly init: string;
  readonly rootfs: ToolsRootfs;
}

let found: NamespaceTools | undefined;

/**
 * The tools, looked up once per process (the root filesystem's digest file
 * is read each time, so a rebuilt one is taken up). Throws a `runtime`
 * error naming what is missing and how to get it.
 */
export function namespaceTools(): NamespaceTools {
  const ref = toolsImageRef();
  const rootfs = findToolsRootfs(ref);
  if (rootfs === undefined) {
    throw new GoodbotError('runtime', `the namespace backend's root filesystem (${ref}) is not unpacked`, {
      hint: 'unpack it: goodbot namespace build-rootfs (npm run setup does)',
    });
  }
  if (found === undefined || found.rootfs.digest !== rootfs.digest) {
    found = { bwrap: bubblewrap(), launcher: helper('ns-launcher'), init: helper('ns-init'), rootfs };
  }
  return found;
}

/** bwrap on PATH (or in /usr/bin). */
export function bubblewrap(path = process.env['PATH'] ?? ''): string {
  for (const dir of [...path.split(delimiter).filter((entry) => entry.startsWith('/')), '/usr/bin']) {
    const candidate = join(dir, 'bwrap');
    if (isExecutable(candidate)) return candidate;
  }
  throw new GoodbotError('runtime', 'bubblewrap (bwrap) is not installed', { hint: 'install it: apt-get install bubblewrap (npm run setup does)' });
}

function helper(name: string): string {
  const path = join(nativeDir, name);
  if (!isExecutable(path)) {
    throw new GoodbotError('runtime', `goodbot's ${name} is not built`, { hint: 'build it: npm run setup', path });
  }
  return path;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

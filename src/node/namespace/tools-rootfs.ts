import { spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { GoodbotError } from '../../errors.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where unpacked root filesystems live: `<tag>/root` and its `<tag>/manifest` digest. */
export const rootfsCacheDir = join(packageRoot, '.cache', 'rootfs');

/** The user a namespace sandbox runs as, inside: named in the root filesystem's passwd and group. */
export const SANDBOX_USER = { uid: 1000, gid: 1000, name: 'goodbot' } as const;

/** An unpacked root filesystem for the namespace backend, as found in the cache. */
export interface ToolsRootfs {
  /** The image ref it was made from, e.g. `goodbot/tools:ebd7305e3b17cf0b`. */
  readonly ref: string;
  /** The folder holding the tree. */
  readonly root: string;
  /** The sha256 over the tree (see {@link treeDigest}) recorded when it was unpacked. */
  readonly digest: string;
}

/** The cache folder of the root filesystem of image REF. */
function folderOf(ref: string): string {
  return join(rootfsCacheDir, ref.split(':')[1] ?? ref);
}

/** The root filesystem of REF, when it was unpacked completely; undefined otherwise. Cheap: reads one small file. */
export function findToolsRootfs(ref: string): ToolsRootfs | undefined {
  const dir = folderOf(ref);
  try {
    const digest = readFileSync(join(dir, 'digest'), 'utf8').trim();
    return { ref, root: join(dir, 'root'), digest };
  } catch {
    return undefined;
  }
}

/**
 * Unpacks TARBALL (the tools image's root filesystem, as built or as the
 * engine exports it) into the cache as REF's root filesystem, adds the
 * sandbox's user to its passwd and group, drops the shadow files, and
 * records the digest of the result. Built beside its final place and renamed into it, so a half-made
 * tree is never found.
 */
export async function unpackToolsRootfs(ref: string, tarball: Readable, say: (line: string) => void): Promise<ToolsRootfs> {
  const dir = folderOf(ref);
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(join(partial, 'root'), { recursive: true, mode: 0o755 });
  try {
    say(`unpacking the root filesystem of ${ref} for the namespace backend`);
    await untar(tarball, join(partial, 'root'));
    const root = join(partial, 'root');
    // No password hashes in a sandbox, not even the image's own (locked) ones.
    for (const name of ['shadow', 'shadow-', 'gshadow', 'gshadow-']) rmSync(join(root, 'etc', name), { force: true });
    rmSync(join(root, '.dockerenv'), { force: true }); // the engine's export adds it: tools would think they run in Docker
    appendFileSync(join(root, 'etc', 'passwd'), `${SANDBOX_USER.name}:x:${SANDBOX_USER.uid}:${SANDBOX_USER.gid}:goodbot sandbox:/tmp:/bin/sh\n`);
    appendFileSync(join(root, 'etc', 'group'), `${SANDBOX_USER.name}:x:${SANDBOX_USER.gid}:\n`);
    const digest = treeDigest(root);
    writeFileSync(join(partial, 'digest'), `${digest}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
    for (const name of readdirSync(rootfsCacheDir)) {
      const other = join(rootfsCacheDir, name);
      if (other !== dir && !name.includes('.partial-')) rmSync(other, { recursive: true, force: true });
    }
    return { ref, root: join(dir, 'root'), digest };
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

function untar(tarball: Readable, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-x', '--numeric-owner', '-C', into], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    tar.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    tarball.on('error', (error) => {
      tar.kill();
      reject(error);
    });
    tarball.pipe(tar.stdin);
    tar.on('error', reject);
    tar.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new GoodbotError('runtime', `unpacking the root filesystem failed: ${errors.trim() || `tar exited ${code}`}`, { path: into })),
    );
  });
}

/**
 * The sha256 over everything in the tree at ROOT a sandbox could be
 * affected by: each entry's path, type, mode, owner, and a file's contents or
 * a link's target, in a fixed order.
 */
export function treeDigest(root: string): string {
  const hash = createHash('sha256');
  hashEntry(hash, root, '');
  return hash.digest('hex');
}

function hashEntry(hash: Hash, root: string, path: string): void {
  const full = join(root, path);
  const stat = lstatSync(full);
  hash.update(`${path}\0${stat.mode.toString(8)}\0${stat.uid}:${stat.gid}\0`);
  if (stat.isSymbolicLink()) hash.update(readlinkSync(full));
  else if (stat.isFile()) hash.update(readFileSync(full));
  else if (stat.isDirectory()) for (const name of readdirSync(full).sort()) hashEntry(hash, root, path === '' ? name : `${path}/${name}`);
  hash.update('\0');
}

/**
 * Checks that ROOTFS is what was unpacked: its tree's digest now is the one
 * recorded. Reads every file (seconds): for `goodbot doctor` and setup, not
 * for each run. Throws a `runtime` error naming how to rebuild otherwise.
 */
export function verifyToolsRootfs(rootfs: ToolsRootfs): void {
  const now = existsSync(rootfs.root) ? treeDigest(rootfs.root) : 'missing';
  if (now !== rootfs.digest) {
    throw new GoodbotError('runtime', `the namespace backend's root filesystem ${rootfs.root} changed since it was unpacked`, {
      hint: `unpack it again: \`goodbot namespace build-rootfs --force\``,
      path: rootfs.root,
    });
  }
}

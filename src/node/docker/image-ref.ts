import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashFilesUnder } from '../tools/tool-store.js';

/** The repository of goodbot's tools image; its tag is the hash of the image's recipe. */
export const TOOLS_IMAGE_REPO = 'goodbot/tools';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The tools image's recipe: `build.sh` and `packages.txt`. */
export const TOOLS_IMAGE_DIR = join(packageRoot, 'wasm-tools', 'images', 'tools');

/** Where the image is built (its lock, log and scratch), and the root filesystem unpacked from it. */
export const toolsImageCacheDir = join(packageRoot, '.cache', 'images', 'tools');

/**
 * `goodbot/tools:<first 16 hex digits of the sha256 over the files of
 * IMAGE_DIR>`: a changed package list or build script is another image (and
 * another root filesystem for the namespace backend).
 */
export function toolsImageRef(imageDir: string = TOOLS_IMAGE_DIR): string {
  const hash = createHash('sha256');
  hashFilesUnder(hash, imageDir);
  return `${TOOLS_IMAGE_REPO}:${hash.digest('hex').slice(0, 16)}`;
}

import type Docker from 'dockerode';
import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { GoodbotError } from '../../errors.js';
import { withBuildLock } from '../tools/build-lock.js';
import { buildScriptFailure, formatSeconds, runBuildScript } from '../tools/build-script.js';
import { dockerEngine, engineStatus } from './engine.js';
import { findToolsRootfs, rootfsCacheDir, unpackToolsRootfs, type ToolsRootfs } from '../namespace/tools-rootfs.js';
import { TOOLS_IMAGE_DIR, TOOLS_IMAGE_REPO, toolsImageCacheDir, toolsImageRef } from './image-ref.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Settings the imported root filesystem gets, as Dockerfile instructions. */
const imageConfig = ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'ENV LANG=C.UTF-8', 'CMD ["/bin/bash"]'];

/** Whether the engine has an image named REF. */
export async function imageExists(ref: string, engine: Docker = dockerEngine()): Promise<boolean> {
  try {
    await engine.getImage(ref).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw engineFailure(`could not look up the image ${ref}`, error);
  }
}

export interface EnsureToolsImageOptions {
  /** Build and import again even when the image exists. */
  readonly force?: boolean;
  /** Progress lines, without newline. */
  readonly onProgress?: (line: string) => void;
}

/**
 * The current tools image's ref, building it first when the engine lacks it:
 * `build.sh` makes a root filesystem tarball (minutes), which is imported
 * through the Engine API and tagged; older tools images are removed. One
 * process builds at a time; the others wait for its result.
 */
export async function ensureToolsImage(options: EnsureToolsImageOptions = {}): Promise<string> {
  const engine = dockerEngine();
  await engineStatus(engine);
  const ref = toolsImageRef();
  const say = (line: string) => options.onProgress?.(`[tools image] ${line}`);
  if (options.force !== true && (await imageExists(ref, engine))) {
    say(`${ref} is up to date`);
    return ref;
  }
  const cacheDir = toolsImageCacheDir;
  mkdirSync(cacheDir, { recursive: true });
  return withBuildLock(
    join(cacheDir, 'build.lock'),
    async () => {
      if (options.force !== true && (await imageExists(ref, engine))) {
        say(`${ref} was built meanwhile`);
        return ref;
      }
      await buildToolsImage(engine, ref, cacheDir, say);
      await removeOlderToolsImages(engine, ref, say);
      return ref;
    },
    (owner) => say(`waiting for process ${owner}, which is building the image`),
  );
}

async function buildToolsImage(engine: Docker, ref: string, cacheDir: string, say: (line: string) => void): Promise<void> {
  const started = performance.now();
  await withRootfsTarball(cacheDir, ref, say, async (tarball) => {
    say(`importing the root filesystem into the engine as ${ref}`);
    await importRootfs(engine, tarball, ref);
    if (!(await imageExists(ref, engine))) {
      throw new GoodbotError('engine', `the engine accepted the image but has no ${ref} afterwards`, { path: ref });
    }
    // The namespace backend runs the same userland: unpack it now rather than build it again.
    await unpackToolsRootfs(ref, createReadStream(tarball), say);
  });
  say(`built in ${formatSeconds((performance.now() - started) / 1000)}`);
}

/**
 * Builds the tools image's root filesystem (`build.sh`: debootstrap from
 * apt's mirror, minutes) as a tarball in CACHE_DIR, and hands it to USE;
 * the tarball and the build's scratch are removed afterwards.
 */
export async function withRootfsTarball(
  cacheDir: string,
  ref: string,
  say: (line: string) => void,
  use: (tarball: string) => Promise<void>,
): Promise<void> {
  const out = join(cacheDir, `out-${process.pid}`);
  const work = join(cacheDir, `work-${process.pid}`);
  const logPath = join(cacheDir, 'build.log');
  try {
    for (const dir of [out, work]) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    }
    say(`building ${ref} (log: ${logPath})`);
    const code = await runBuildScript({
      script: join(TOOLS_IMAGE_DIR, 'build.sh'),
      out,
      work,
      sourcesDir: join(packageRoot, '.cache', 'sources'),
      libDir: join(packageRoot, 'wasm-tools', 'lib'),
      recipeDir: TOOLS_IMAGE_DIR,
      logPath,
      say,
      heartbeatSeconds: 30,
      started: performance.now(),
    });
    if (code !== 0) throw buildScriptFailure('the tools image', code, logPath, `read the whole log in ${logPath}`);
    await use(join(out, 'rootfs.tar'));
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/** Imports the tarball TARBALL as image REF, with the image settings. */
async function importRootfs(engine: Docker, tarball: string, ref: string): Promise<void> {
  const [repo, tag] = ref.split(':') as [string, string];
  let messages: { error?: string; errorDetail?: { message?: string } }[];
  try {
    const stream = await engine.importImage(tarball, { repo, tag, changes: imageConfig });
    messages = await new Promise((resolve, reject) =>
      engine.modem.followProgress(stream, (error: Error | null, output: typeof messages) => (error ? reject(error) : resolve(output))),
    );
  } catch (error) {
    throw engineFailure(`importing ${tarball} as ${ref} failed`, error);
  }
  const refusal = messages.find((message) => message.error !== undefined || message.errorDetail !== undefined);
  if (refusal !== undefined) {
    throw new GoodbotError('engine', `the engine refused to import ${ref}: ${refusal.errorDetail?.message ?? refusal.error}`, { path: ref });
  }
}

/**
 * Tools images of earlier recipes are never used again: untag them (the engine
 * frees an image with its last tag). One a container still uses is kept.
 */
export async function removeOlderToolsImages(engine: Docker, current: string, say: (line: string) => void = () => {}): Promise<void> {
  const images = await engine.listImages({ filters: { reference: [TOOLS_IMAGE_REPO] } });
  const older = images.flatMap((image) => image.RepoTags ?? []).filter((tag) => tag.startsWith(`${TOOLS_IMAGE_REPO}:`) && tag !== current);
  for (const tag of older) {
    try {
      await engine.getImage(tag).remove();
      say(`removed the older image ${tag}`);
    } catch (error) {
      say(`kept the older image ${tag}: ${(error as Error)?.message ?? error}`);
    }
  }
}

function engineFailure(message: string, cause: unknown): GoodbotError {
  return new GoodbotError('engine', `${message}: ${(cause as Error)?.message ?? cause}`, {
    hint: 'check the engine with goodbot doctor',
    cause,
  });
}

/**
 * The namespace backend's root filesystem for the current tools image,
 * unpacked into the cache unless it is there already: exported from the
 * engine when it has the image (seconds), else built (minutes, no engine
 * needed). One process makes it at a time; the others wait for its result.
 */
export async function ensureToolsRootfs(options: EnsureToolsImageOptions = {}): Promise<ToolsRootfs> {
  const ref = toolsImageRef();
  const say = (line: string) => options.onProgress?.(`[rootfs] ${line}`);
  const current = () => (options.force === true ? undefined : findToolsRootfs(ref));
  const found = current();
  if (found !== undefined) {
    say(`${ref} is unpacked`);
    return found;
  }
  mkdirSync(rootfsCacheDir, { recursive: true });
  return withBuildLock(
    join(rootfsCacheDir, 'build.lock'),
    async () => {
      const meanwhile = current();
      if (meanwhile !== undefined) return meanwhile;
      const engine = dockerEngine();
      const fromEngine = await engineStatus(engine).then(
        () => imageExists(ref, engine),
        () => false,
      );
      if (fromEngine) return exportRootfs(engine, ref, say);
      let unpacked: ToolsRootfs | undefined;
      await withRootfsTarball(toolsImageCacheDir, ref, say, async (tarball) => {
        unpacked = await unpackToolsRootfs(ref, createReadStream(tarball), say);
      });
      return unpacked!;
    },
    (owner) => say(`waiting for process ${owner}, which is unpacking the root filesystem`),
  );
}

/** Unpacks the engine's image REF (through a container made, never started, and removed). */
async function exportRootfs(engine: Docker, ref: string, say: (line: string) => void): Promise<ToolsRootfs> {
  say(`exporting ${ref} from the engine`);
  const container = await engine.createContainer({ Image: ref, Cmd: ['/bin/true'], NetworkDisabled: true });
  try {
    return await unpackToolsRootfs(ref, (await container.export()) as unknown as Readable, say);
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

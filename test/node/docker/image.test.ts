import { appendFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerEngine } from '../../../src/node/docker/engine.js';
import { ensureToolsImage, imageExists, removeOlderToolsImages } from '../../../src/node/docker/image.js';
import { TOOLS_IMAGE_DIR, TOOLS_IMAGE_REPO, toolsImageRef } from '../../../src/node/docker/image-ref.js';
import { runInImage } from '../../helpers/docker.js';
import { removeTree, tempDir } from '../../helpers/guests.js';

/** The first build runs debootstrap (a few minutes); setup builds the image before tests in CI. */
const buildTimeout = 20 * 60_000;

describe('the tools image name', () => {
  const copies = tempDir('goodbot-image-recipe-');
  afterAll(() => removeTree(copies));
  const copy = (name: string) => {
    const dir = join(copies, name);
    cpSync(TOOLS_IMAGE_DIR, dir, { recursive: true });
    return dir;
  };

  it('is goodbot/tools:<16 hex digits>, the same every time and wherever the recipe folder is', () => {
    const ref = toolsImageRef();
    expect(ref).toMatch(/^goodbot\/tools:[0-9a-f]{16}$/);
    expect(ref.startsWith(`${TOOLS_IMAGE_REPO}:`)).toBe(true);
    expect(toolsImageRef()).toBe(ref);
    expect(toolsImageRef(copy('same'))).toBe(ref);
  });

  it('changes with the package list and with the build script', () => {
    const ref = toolsImageRef();
    const morePackages = copy('more-packages');
    appendFileSync(join(morePackages, 'packages.txt'), 'htop\n');
    const otherScript = copy('other-script');
    appendFileSync(join(otherScript, 'build.sh'), '# a change\n');
    const refs = new Set([ref, toolsImageRef(morePackages), toolsImageRef(otherScript)]);
    expect(refs.size).toBe(3);
  });
});

describe('ensureToolsImage', () => {
  let ref: string;
  beforeAll(async () => {
    ref = await ensureToolsImage({ onProgress: (line) => console.error(line) });
  }, buildTimeout);

  it('returns the current tools image, which the engine has', async () => {
    expect(ref).toBe(toolsImageRef());
    expect(await imageExists(ref)).toBe(true);
    expect(await imageExists(`${TOOLS_IMAGE_REPO}:0000000000000000`)).toBe(false);
  });

  it('finds the image at once the second time, and builds nothing', async () => {
    const progress: string[] = [];
    const started = performance.now();
    expect(await ensureToolsImage({ onProgress: (line) => progress.push(line) })).toBe(ref);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(progress).toEqual([`[tools image] ${ref} is up to date`]);
  });

  it('sets PATH and a UTF-8 locale in the image', async () => {
    const { Config } = await dockerEngine().getImage(ref).inspect();
    expect(Config.Env).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(Config.Env).toContain('LANG=C.UTF-8');
  });

  it.each([
    [['python3', '-c', 'print(6*7)'], /^42\n$/],
    [['jq', '--version'], /^jq-1\.\d/],
    [['sqlite3', '--version'], /^3\.\d+\.\d+ /],
    [['git', '--version'], /^git version 2\./],
    [['sh', '-c', 'printf "int main(void){return 7;}" > /tmp/t.c && gcc /tmp/t.c -o /tmp/t && /tmp/t; echo $?'], /^7\n$/],
  ])('runs %j without a network', async (cmd, expected) => {
    const result = await runInImage(ref, cmd);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(expected);
    expect(result.exitCode).toBe(0);
  });

  it('has no network inside its containers', async () => {
    const result = await runInImage(ref, ['sh', '-c', 'ls /sys/class/net']);
    expect(result.stdout.trim().split('\n')).toEqual(['lo']);
  });

  it('removes older tools images, and keeps the current one', async () => {
    const engine = dockerEngine();
    const older = `${TOOLS_IMAGE_REPO}:0000000000000000`;
    await engine.getImage(ref).tag({ repo: TOOLS_IMAGE_REPO, tag: '0000000000000000' });
    expect(await imageExists(older)).toBe(true);
    await removeOlderToolsImages(engine, ref);
    expect(await imageExists(older)).toBe(false);
    expect(await imageExists(ref)).toBe(true);
  });
});

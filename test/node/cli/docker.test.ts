import { beforeAll, describe, expect, it } from 'vitest';
import { ensureToolsImage } from '../../../src/node/docker/image.js';
import { goodbot } from '../../helpers/cli.js';
import { repoRoot } from '../../helpers/guests.js';

/** `goodbot docker …` as a user runs it. */
describe('goodbot docker build-image', () => {
  let image: string;
  beforeAll(async () => {
    image = await ensureToolsImage({ onProgress: (line) => console.error(line) });
  }, 20 * 60_000);

  it('prints the image name on stdout, and says on stderr that it is up to date', () => {
    const { status, stdout, stderr } = goodbot(repoRoot, ['docker', 'build-image']);
    expect(stdout).toBe(`${image}\n`);
    expect(stderr).toBe(`[tools image] ${image} is up to date\n`);
    expect(status).toBe(0);
  });

  it('exits 125 with how to start an engine when none answers', () => {
    const { status, stderr } = goodbot(repoRoot, ['docker', 'build-image'], { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
    expect(status).toBe(125);
    expect(stderr).toContain('no Docker engine answers on /nonexistent.sock');
    expect(stderr).toContain('starts dockerd');
  });

  it('explains itself with --help, and refuses unknown commands and options', () => {
    const help = goodbot(repoRoot, ['docker', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^ {2}build-image \[--force\]/m);
    expect(goodbot(repoRoot, ['docker', 'build-image', '--quick']).stderr).toContain('unknown build-image argument --quick');
    expect(goodbot(repoRoot, ['docker', 'frobnicate']).status).toBe(125);
  });
});

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goodbot } from '../../helpers/cli.js';
import { removeTree, tempDir } from '../../helpers/guests.js';

/** Bad input on the Docker backend: each a clear error and exit 125, before any container starts. */

let base: string;
beforeAll(() => {
  base = tempDir('goodbot-docker-errors-');
  mkdirSync(join(base, 'work', '.ssh'), { recursive: true });
  mkdirSync(join(base, 'data'));
});
afterAll(() => removeTree(base));

describe('goodbot exec --backend=docker refuses', () => {
  it('attack: a zone holding ~/.ssh-like credentials, naming the folder', () => {
    const { status, stderr } = goodbot(base, ['exec', '--backend=docker', '--dir', `${join(base, 'work')}::/work:ro`, '--', 'ls', '/work']);
    expect(status).toBe(125);
    expect(stderr).toContain('.ssh');
    expect(stderr).toContain(join(base, 'work'));
  });

  it('attack: a zone outside the mount roots (the policy folder by default)', () => {
    const { status, stderr } = goodbot(join(base, 'data'), ['exec', '--backend=docker', '--dir', '/etc::/host-etc:ro', '--', 'ls', '/host-etc']);
    expect(status).toBe(125);
    expect(stderr).toContain('mountRoots');
  });

  it('an image that is not there, saying how to get it', () => {
    writeFileSync(join(base, 'policy.yaml'), 'sandbox:\n  backend: docker\n  docker:\n    image: goodbot/absent:none\n');
    const { status, stderr } = goodbot(base, ['exec', '--policy', 'policy.yaml', '--', 'true']);
    expect(status).toBe(125);
    expect(stderr).toContain('goodbot/absent:none');
  });

  it('a runtime the engine does not have, naming the field', () => {
    writeFileSync(join(base, 'runtime.yaml'), 'sandbox:\n  backend: docker\n  docker:\n    runtime: kata-absent\n');
    const { status, stderr } = goodbot(base, ['exec', '--policy', 'runtime.yaml', '--', 'true']);
    expect(status).toBe(125);
    expect(stderr).toContain("the Docker engine has no runtime named 'kata-absent'");
    expect(stderr).toContain('sandbox.docker.runtime');
  });

  it('a runtime name that could not be one, before anything starts', () => {
    writeFileSync(join(base, 'bad-runtime.yaml'), 'sandbox:\n  backend: docker\n  docker:\n    runtime: "../runc --debug"\n');
    const { status, stderr } = goodbot(base, ['exec', '--policy', 'bad-runtime.yaml', '--', 'true']);
    expect(status).toBe(125);
    expect(stderr).toContain('sandbox.docker.runtime');
  });

  it('an engine that is down, saying how to start one', () => {
    const { status, stderr } = goodbot(base, ['exec', '--backend=docker', '--', 'true'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(status).toBe(125);
    expect(stderr).toContain('/nonexistent/docker.sock');
    expect(stderr).toMatch(/dockerd|setup/);
  });

  it('an engine named by the policy that is down, naming its socket', () => {
    writeFileSync(join(base, 'engine.yaml'), 'sandbox:\n  backend: docker\n  docker:\n    engine: unix:///nonexistent/podman.sock\n');
    const { status, stderr } = goodbot(base, ['exec', '--policy', 'engine.yaml', '--', 'true']);
    expect(status).toBe(125);
    expect(stderr).toContain('/nonexistent/podman.sock');
    expect(stderr).toContain('sandbox.docker.engine');
  });

  it('an engine that is not a Unix socket, before anything starts', () => {
    writeFileSync(join(base, 'tcp-engine.yaml'), 'sandbox:\n  backend: docker\n  docker:\n    engine: tcp://127.0.0.1:2375\n');
    const { status, stderr } = goodbot(base, ['exec', '--policy', 'tcp-engine.yaml', '--', 'true']);
    expect(status).toBe(125);
    expect(stderr).toContain('sandbox.docker.engine');
    expect(stderr).toContain('Unix socket');
  });

  it('fuel, which counts WebAssembly instructions', () => {
    const { status, stderr } = goodbot(base, ['exec', '--backend=docker', '--fuel', '1000', '--', 'true']);
    expect(status).toBe(125);
    expect(stderr).toContain('sandbox.limits.fuel');
  });
});

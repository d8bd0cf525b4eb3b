import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, GoodbotError, type SandboxConfig } from '../../../src/node/index.js';
import type { ZoneSpec } from '../../../src/policy/types.js';
import { ToolStore } from '../../../src/node/tools/tool-store.js';
import { refuseProtected } from '../../../src/node/zones/protected-paths.js';
import { startFlipper } from '../../helpers/flipper.js';
import { probe, removeTree, repoRoot, tempDir } from '../../helpers/guests.js';

/**
 * goodbot later imports, runs or trusts its own files: its cache (component
 * glue is host JavaScript), its tool builds (python's standard library), its
 * code and packages. A zone that would let a guest change them (a read-write
 * zone holding or inside one, compared by real paths) is refused before
 * anything runs, on both backends; so is any zone over the folder where
 * container runs keep their secrets.
 */

let base: string;
let cache: string;
const saved: Record<string, string | undefined> = {};
const env = ['GOODBOT_CACHE_DIR', 'HOME', 'XDG_CACHE_HOME'] as const;

const zoneConfig = (hostPath: string, mode: 'ro' | 'rw' = 'rw'): SandboxConfig => ({ zones: [{ name: 'zone', mode, hostPath }] });
const plant = ['write', '/zone/planted.txt', 'guest'];
/** The error a run of the probe with ARGS under CONFIG ends in (only zones in temporary folders are given a writing probe). */
async function refusal(config: SandboxConfig, options: Parameters<typeof createSandbox>[1] = {}, args = ['ls', '/zone']): Promise<GoodbotError> {
  const outcome = await createSandbox(config, options)
    .exec({ program: probe(), args })
    .result.catch((error: unknown) => error);
  expect(outcome).toBeInstanceOf(GoodbotError);
  return outcome as GoodbotError;
}

beforeAll(() => {
  base = tempDir('goodbot-protected-');
  for (const name of env) saved[name] = process.env[name];
});
afterAll(() => {
  for (const name of env) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  removeTree(base);
});
beforeEach(() => {
  cache = join(base, `home-${Date.now()}`, 'my-cache');
  mkdirSync(join(cache, 'components', 'f'.repeat(64)), { recursive: true });
  process.env['GOODBOT_CACHE_DIR'] = cache;
});

describe("a zone over goodbot's cache", () => {
  it('attack: a read-write zone holding the cache (--dir $HOME::/home) is refused before the guest runs', async () => {
    const error = await refusal(zoneConfig(join(cache, '..')), {}, plant);
    expect(error.kind).toBe('policy');
    expect(error.message).toContain("goodbot's cache");
    expect(error.field).toContain('hostPath');
    expect(error.hint).toContain('read-only');
    expect(existsSync(join(cache, '..', 'planted.txt'))).toBe(false);
  });

  it('attack: a read-write zone inside the cache (over the component glue) is refused', async () => {
    const error = await refusal(zoneConfig(join(cache, 'components')), {}, plant);
    expect(error.message).toContain(join(cache, 'components'));
    expect(readdirSync(join(cache, 'components'))).toEqual(['f'.repeat(64)]);
  });

  it('attack: a read-write zone whose folder does not exist yet, inside the cache, is refused before goodbot makes any folder', async () => {
    const missing = join(cache, 'components', 'planted', 'deeper');
    const error = await refusal(zoneConfig(missing), {}, plant);
    expect(error.message).toContain(join(cache, 'components'));
    expect(existsSync(join(cache, 'components', 'planted'))).toBe(false);
  });

  it('attack: a symlink to the cache given as the zone folder is refused for what it resolves to', async () => {
    symlinkSync(join(cache, 'components'), join(base, 'innocent'));
    try {
      expect((await refusal(zoneConfig(join(base, 'innocent')))).message).toContain(join(cache, 'components'));
    } finally {
      removeTree(join(base, 'innocent'));
    }
  });

  it('attack: the default cache (~/.cache/goodbot) is protected for a process whose GOODBOT_CACHE_DIR is elsewhere, even before it exists', async () => {
    const home = join(base, 'home-default');
    mkdirSync(join(home, 'project'), { recursive: true });
    process.env['HOME'] = home;
    try {
      expect((await refusal(zoneConfig(home))).message).toContain(join(home, '.cache', 'goodbot'));
      const xdgHome = join(base, 'xdg-home');
      mkdirSync(xdgHome);
      process.env['XDG_CACHE_HOME'] = join(xdgHome, 'cache');
      expect((await refusal(zoneConfig(xdgHome))).message).toContain(join(xdgHome, 'cache', 'goodbot'));
      delete process.env['XDG_CACHE_HOME'];
      // A folder beside the cache is a zone like any other.
      const result = await createSandbox(zoneConfig(join(home, 'project'))).exec({ program: probe(), args: ['write', '/zone/ok.txt', 'x'] }).result;
      expect(result.exitCode).toBe(0);
    } finally {
      process.env['HOME'] = saved['HOME'];
    }
  });

  it('a read-only zone over the cache is allowed: the guest cannot change it, and it holds no secret', async () => {
    writeFileSync(join(cache, 'note.txt'), 'cached');
    const result = await createSandbox(zoneConfig(cache, 'ro')).exec({ program: probe(), args: ['read', '/zone/note.txt'] }).result;
    expect(result.stdout).toBe('read: ok cached\n');
  });

  it('attack: the same zones are refused on the Docker backend, before any container', async () => {
    const error = await refusal({ ...zoneConfig(join(cache, '..')), backend: 'docker', docker: { mountRoots: [base] } });
    expect(error.kind).toBe('policy');
    expect(error.field).toBe('sandbox.zones[0].hostPath');
    expect(error.message).toContain("goodbot's cache");
  });
});

describe("a zone over goodbot's other files", () => {
  it("attack: a read-write zone over the tool builds (python's standard library) is refused", async () => {
    const store = new ToolStore({ cacheDir: join(base, 'tool-builds') });
    mkdirSync(join(store.cacheDir, 'python3', 'lib'), { recursive: true });
    const error = await refusal(zoneConfig(join(store.cacheDir, 'python3', 'lib')), { toolStore: store });
    expect(error.message).toContain("goodbot's tool builds");
    expect((await refusal(zoneConfig(new ToolStore().cacheDir))).message).toContain("goodbot's tool builds");
  });

  it("attack: a read-write zone over goodbot's own code or packages is refused; the example zones in the package stay usable", async () => {
    expect((await refusal(zoneConfig(join(repoRoot, 'dist')))).message).toContain("goodbot's own files");
    expect((await refusal(zoneConfig(join(repoRoot, 'node_modules', 'zod')))).message).toContain('packages goodbot loads');
    expect((await refusal(zoneConfig(repoRoot))).message).toContain(' holds ');
    const demo = join(repoRoot, 'zones', 'demo', 'input');
    const spec: ZoneSpec = { name: 'demo', kind: 'host', access: 'rw', guestPath: '/demo', hostPath: demo };
    expect(() => refuseProtected(spec, demo, 'sandbox.zones[0].hostPath')).not.toThrow();
    const listed = await createSandbox(zoneConfig(demo, 'ro')).exec({ program: probe(), args: ['ls', '/zone'] }).result;
    expect(listed.exitCode).toBe(0);
  });

  it("attack: a zone over the folder of container runs' private files is refused, even read-only", async () => {
    const error = await refusal(zoneConfig(tmpdir(), 'ro'));
    expect(error.message).toContain('private files of container runs');
  });
});

describe('a zone folder flipped to a symlink into the cache while runs open it', () => {
  let flipper: ChildProcess | undefined;
  afterEach(() => {
    flipper?.kill('SIGKILL');
    flipper = undefined;
  });

  it('attack: no run ever writes into the cache through it', async () => {
    const zone = join(base, 'flipping');
    mkdirSync(zone);
    flipper = startFlipper(zone, join(cache, 'components'), 2);
    let ran = 0;
    for (let i = 0; i < 200; i++) {
      const outcome = await createSandbox(zoneConfig(zone))
        .exec({ program: probe(), args: ['write', '/zone/planted.txt', 'guest'] })
        .result.catch((error: unknown) => error);
      if (!(outcome instanceof GoodbotError)) ran++;
    }
    expect(readdirSync(join(cache, 'components'))).toEqual(['f'.repeat(64)]);
    expect(ran).toBeGreaterThan(0);
  }, 120_000);
});

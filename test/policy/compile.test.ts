import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicyFile, compileSandboxConfig, defaultMemoryQuota } from '../../src/policy/compile.js';
import { policyDigest } from '../../src/policy/digest.js';
import { guestEnvironment } from '../../src/policy/environment.js';
import { configFromFlags, mergeConfigs, parseDirFlag } from '../../src/policy/flags.js';
import { loadPolicy, policyFromCommandLine } from '../../src/node/policy/load-file.js';
import { parseDuration, parseSize } from '../../src/policy/units.js';
import { removeTree, tempDir } from '../helpers/guests.js';
import { thrownGoodbotError } from '../helpers/thrown.js';

const source = { file: 'policy.yaml', baseDir: '/work/project' };

const policyError = thrownGoodbotError;

describe('compiling a policy', () => {
  it('normalizes zones: default guest paths, absolute host paths, quotas, memory zones', () => {
    const policy = compilePolicyFile(
      {
        sandbox: {
          zones: [
            { name: 'input', mode: 'ro', hostPath: './zones/demo/input' },
            { name: 'output', mode: 'rw', hostPath: '../out', quota: '100MiB', guestPath: '/results/' },
            { name: 'scratch', mode: 'tmpfs' },
          ],
          env: { allow: ['LANG', 'LC_*'], set: { MODE: 'demo' } },
        },
      },
      source,
    );
    expect(policy.zones).toEqual([
      { name: 'input', kind: 'host', access: 'ro', guestPath: '/input', hostPath: '/work/project/zones/demo/input' },
      { name: 'output', kind: 'host', access: 'rw', guestPath: '/results', hostPath: '/work/out', quotaBytes: 100 * 1024 * 1024 },
      { name: 'scratch', kind: 'memory', access: 'rw', guestPath: '/scratch', quotaBytes: defaultMemoryQuota },
    ]);
    expect(policy.backend).toBe('wasm');
    expect(Object.isFrozen(policy.zones[0])).toBe(true);
  });

  it('an empty policy grants nothing', () => {
    const policy = compileSandboxConfig({}, source);
    expect(policy.zones).toEqual([]);
    expect(policy.env).toEqual({ allow: [], set: {}, withheld: [] });
    expect(policy.network.allow).toEqual([]);
    expect(policy.secrets).toEqual([]);
  });

  const cases: [string, unknown, string, RegExp][] = [
    ['an unknown mode', { zones: [{ name: 'a', mode: 'rwx', hostPath: '/x' }] }, 'sandbox.zones[0].mode', /"ro"\|"rw"\|"tmpfs"/],
    ['an unknown key (a typo)', { zones: [{ name: 'a', mode: 'ro', hostpath: '/x' }] }, 'sandbox.zones[0]', /hostpath/],
    ['a misspelt section', { envs: {} }, 'sandbox', /envs/],
    [
      'a duplicate zone name',
      {
        zones: [
          { name: 'a', mode: 'tmpfs' },
          { name: 'a', mode: 'tmpfs', guestPath: '/b' },
        ],
      },
      'sandbox.zones[1].name',
      /used twice/,
    ],
    [
      'overlapping guest paths',
      {
        zones: [
          { name: 'a', mode: 'tmpfs', guestPath: '/data' },
          { name: 'b', mode: 'tmpfs', guestPath: '/data/sub' },
        ],
      },
      'sandbox.zones[1].guestPath',
      /overlaps/,
    ],
    ['a ro zone without a host folder', { zones: [{ name: 'a', mode: 'ro' }] }, 'sandbox.zones[0].hostPath', /needs a hostPath/],
    ['a tmpfs zone with a host folder', { zones: [{ name: 'a', mode: 'tmpfs', hostPath: '/x' }] }, 'sandbox.zones[0].hostPath', /takes no hostPath/],
    ['a relative guest path', { zones: [{ name: 'a', mode: 'tmpfs', guestPath: 'data' }] }, 'sandbox.zones[0].guestPath', /absolute/],
    ['a bad quota', { zones: [{ name: 'a', mode: 'tmpfs', quota: 'lots' }] }, 'sandbox.zones[0].quota', /size/],
    ['a bad zone name', { zones: [{ name: '../x', mode: 'tmpfs' }] }, 'sandbox.zones[0].name', /zone name/],
    ['a bad variable name', { env: { allow: ['A-B'] } }, 'sandbox.env.allow[0]', /variable name/],
    [
      'an over-broad network entry',
      { network: { allow: ['api.example.com:443', '*.com:443'] } },
      'sandbox.network.allow[1]',
      /'\*\.com:443': .*top-level domain/,
    ],
    ['a network entry without a port', { network: { allow: ['example.com'] } }, 'sandbox.network.allow[0]', /'example\.com': no port/],
    ['a timeout that is not a duration', { limits: { timeout: 'soon' } }, 'sandbox.limits.timeout', /duration/],
    ['a zero memory limit', { limits: { memory: 0 } }, 'sandbox.limits.memory', /positive size/],
    ['a fuel budget that is not a whole number', { limits: { fuel: 1.5 } }, 'sandbox.limits.fuel', /expected int/],
    ["a container memory below Docker's minimum", { docker: { memory: '1MiB' } }, 'sandbox.docker.memory', /6MiB minimum/],
    ['a container without CPUs', { docker: { cpus: 0 } }, 'sandbox.docker.cpus', /expected number to be >0/],
    ['an unknown docker setting', { docker: { privileged: true } }, 'sandbox.docker', /privileged/],
    ['an unknown backend', { backend: 'vm' }, 'sandbox.backend', /"wasm"\|"docker"\|"namespace"\|"auto"/],
  ];
  for (const [what, sandbox, field, message] of cases) {
    it(`rejects ${what}, naming the field`, () => {
      const error = policyError(() => compilePolicyFile({ sandbox }, source));
      expect(error.kind).toBe('policy');
      expect(error.file).toBe('policy.yaml');
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
    });
  }

  it('rejects a file without the sandbox section', () => {
    const error = policyError(() => compilePolicyFile({ zones: [] }, source));
    expect(error.field).toBe('sandbox');
    expect(error.message).toMatch(/'sandbox' is required/);
  });

  it("keeps a zone's .git read-only unless it says git: writable (not on a read-only zone)", () => {
    const policy = compileSandboxConfig(
      {
        zones: [
          { name: 'project', mode: 'rw', hostPath: './project' },
          { name: 'own', mode: 'rw', hostPath: './own', git: 'writable' },
          { name: 'scratch', mode: 'tmpfs', git: 'writable' },
          { name: 'pinned', mode: 'rw', hostPath: './pinned', git: 'read-only' },
        ],
      },
      source,
    );
    expect(policy.zones.map((zone) => zone.gitWritable)).toEqual([undefined, true, true, undefined]);
    const error = policyError(() => compileSandboxConfig({ zones: [{ name: 'input', mode: 'ro', hostPath: '.', git: 'writable' }] }, source));
    expect(error.field).toBe('zones[0].git');
    expect(error.hint).toContain("mode 'rw'");
    const typo = policyError(() => compileSandboxConfig({ zones: [{ name: 'x', mode: 'rw', hostPath: '.', git: 'yes' as 'writable' }] }, source));
    expect(typo.field).toBe('zones[0].git');
  });

  it('gives equal policies equal digests', async () => {
    const a = compileSandboxConfig({ env: { set: { A: '1', B: '2' } } }, source);
    const b = compileSandboxConfig({ env: { set: { B: '2', A: '1' } } }, source);
    const c = compileSandboxConfig({ env: { set: { A: '1' } } }, source);
    expect(await policyDigest(a)).toBe(await policyDigest(b));
    expect(await policyDigest(a)).not.toBe(await policyDigest(c));
    expect(await policyDigest(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('the docker section', () => {
  it('defaults to one CPU, 256 processes, 512 MiB and the policy folder as the only mount root', () => {
    expect(compilePolicyFile({ sandbox: { backend: 'docker' } }, source).docker).toEqual({
      mountRoots: ['/work/project'],
      cpus: 1,
      pids: 256,
      memoryBytes: 512 * 1024 * 1024,
    });
  });

  it('resolves mount roots against the policy folder and keeps an image override', () => {
    const policy = compilePolicyFile(
      { sandbox: { backend: 'auto', docker: { mountRoots: ['./data', '/srv'], image: 'my/tools:1', cpus: 0.5 } } },
      source,
    );
    expect(policy.backend).toBe('auto');
    expect(policy.docker).toMatchObject({ mountRoots: ['/work/project/data', '/srv'], image: 'my/tools:1', cpus: 0.5 });
  });
});

describe('units', () => {
  it('parses sizes and durations', () => {
    expect(parseSize('100MiB')).toBe(104857600);
    expect(parseSize('64M')).toBe(67108864);
    expect(parseSize('1.5KB')).toBe(1500);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('12 parsecs')).toBeUndefined();
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2m')).toBe(120000);
    expect(parseDuration(3)).toBe(3000);
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('guest environment', () => {
  it('passes only allowed host variables, then fixed ones, then per-run ones', () => {
    const env = guestEnvironment(
      { allow: ['LANG', 'LC_*', 'MISSING'], set: { MODE: 'demo', LANG: 'C' }, withheld: [] },
      { LANG: 'en_US.UTF-8', LC_ALL: 'C.UTF-8', LC_TIME: 'x', SECRET: 's3cret' },
      { RUN: '1' },
    );
    expect(Object.fromEntries(env)).toEqual({ LANG: 'C', LC_ALL: 'C.UTF-8', LC_TIME: 'x', MODE: 'demo', RUN: '1' });
  });
});

describe('command-line flags', () => {
  it('parses --dir like wasmtime, with an optional mode', () => {
    expect(parseDirFlag('./data::/data:ro', '/home/me')).toMatchObject({ hostPath: '/home/me/data', guestPath: '/data', mode: 'ro' });
    expect(parseDirFlag('/srv/out::/out', '/')).toMatchObject({ hostPath: '/srv/out', guestPath: '/out', mode: 'rw' });
    expect(parseDirFlag('/srv/x', '/')).toMatchObject({ hostPath: '/srv/x', guestPath: '/srv/x', mode: 'rw' });
    expect(() => parseDirFlag('./x::relative', '/')).toThrow(/absolute/);
    expect(() => parseDirFlag('::/x', '/')).toThrow(/host folder/);
  });

  it('names --dir zones after their guest paths, uniquely', () => {
    const config = configFromFlags({ dirs: ['/a::/data', '/b::/x/data', '/c::/'], env: ['HOME', 'X=1=2'] }, '/');
    expect(config.zones?.map((zone) => zone.name)).toEqual(['data', 'data-2', 'root']);
    expect(config.env).toEqual({ allow: ['HOME'], set: { X: '1=2' } });
  });

  it('rejects a bad --env, naming the flag', () => {
    const error = policyError(() => configFromFlags({ dirs: [], env: ['1BAD'] }, '/'));
    expect(error.field).toBe('--env 1BAD');
  });

  it("adds --allow-net entries to network.allow, after the file's", () => {
    const config = configFromFlags({ dirs: [], env: [], allowNet: ['api.example.com:443', '[::1]:8080'] }, '/');
    expect(config.network).toEqual({ allow: ['api.example.com:443', '[::1]:8080'] });
    expect(configFromFlags({ dirs: [], env: [] }, '/').network).toBeUndefined();
    expect(mergeConfigs({ network: { allow: ['a.example.com:443'] } }, config).network).toEqual({
      allow: ['a.example.com:443', 'api.example.com:443', '[::1]:8080'],
    });
  });

  it('rejects an over-broad or malformed --allow-net, naming the flag and saying what to write', () => {
    const broad = policyError(() => configFromFlags({ dirs: [], env: [], allowNet: ['ok.example.com:443', '*:443'] }, '/'));
    expect(broad).toMatchObject({ kind: 'usage', file: '<command line>', field: '--allow-net *:443' });
    expect(broad.message).toMatch(/every host/);
    const portless = policyError(() => configFromFlags({ dirs: [], env: [], allowNet: ['example.com'] }, '/'));
    expect(portless).toMatchObject({
      field: '--allow-net example.com',
      hint: 'write example.com:PORT, example.com:FROM-TO, or example.com:* for any port',
    });
  });

  it('compiles a valid --allow-net into a network rule', () => {
    const policy = policyFromCommandLine(undefined, { dirs: [], env: [], allowNet: ['api.example.com:443'] }, '/');
    expect(policy.network.allow).toEqual([
      { kind: 'name', entry: 'api.example.com:443', name: 'api.example.com', subdomains: false, ports: { from: 443, to: 443 } },
    ]);
  });
});

describe('policy files', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    mkdirSync(join(dir, 'in'));
  });
  afterAll(() => removeTree(dir));

  it('loads YAML with host paths relative to the file', () => {
    writeFileSync(join(dir, 'p.yaml'), 'sandbox:\n  zones:\n    - { name: input, mode: ro, hostPath: ./in }\n');
    expect(loadPolicy(join(dir, 'p.yaml')).zones[0]?.hostPath).toBe(join(dir, 'in'));
  });

  it('loads JSON', () => {
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ sandbox: { env: { set: { A: 'b' } } } }));
    expect(loadPolicy(join(dir, 'p.json')).env.set).toEqual({ A: 'b' });
  });

  it('reports a YAML syntax error with the file and line', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'sandbox:\n  zones: [\n');
    const error = policyError(() => loadPolicy(join(dir, 'bad.yaml')));
    expect(error.file).toBe(join(dir, 'bad.yaml'));
    expect(error.message).toMatch(/not valid YAML/);
  });

  it('reports a missing file', () => {
    expect(policyError(() => loadPolicy(join(dir, 'nope.yaml'))).message).toMatch(/cannot read/);
  });

  it('merges flags into a file, and blames the flag for a conflict', () => {
    writeFileSync(join(dir, 'p.yaml'), 'sandbox:\n  zones:\n    - { name: input, mode: ro, hostPath: ./in }\n');
    const policy = policyFromCommandLine(join(dir, 'p.yaml'), { dirs: ['./out::/out'], env: ['A=1'] }, dir);
    expect(policy.zones.map((zone) => [zone.name, zone.guestPath, zone.hostPath])).toEqual([
      ['input', '/input', join(dir, 'in')],
      ['out', '/out', join(dir, 'out')],
    ]);
    const conflict = policyError(() => policyFromCommandLine(join(dir, 'p.yaml'), { dirs: ['./x::/input/sub'], env: [] }, dir));
    expect(conflict.file).toBe('<command line>');
    expect(conflict.message).toMatch(/overlaps/);
  });
});

import { describe, expect, it } from 'vitest';
import { compileSandboxConfig } from '../../src/policy/compile.js';
import { configFromFlags, parseDirFlag, type PolicyFlags } from '../../src/policy/flags.js';
import { policyFromCommandLine } from '../../src/node/policy/load-file.js';
import { thrownGoodbotError as thrown } from '../helpers/thrown.js';

/** No flag or policy value that looks like a restriction may be ignored or read as a grant. */

const flags = (extra: Partial<PolicyFlags>): PolicyFlags => ({ dirs: [], env: [], ...extra });

describe('--dir modes', () => {
  for (const dir of [
    '/srv/x::/g:RO',
    '/srv/x::/g:ro ',
    '/srv/x::/g:Rw',
    '/srv/x::/g:readonly',
    '/srv/x::/g:r',
    '/srv/x::/g:',
    '/srv/x:RO',
    '/srv/x:ro ',
  ]) {
    it(`a mode suffix that is not exactly :ro or :rw cannot mount a read-write zone ('${dir}')`, () => {
      const error = thrown(() => parseDirFlag(dir, '/'));
      expect(error).toMatchObject({ kind: 'usage', file: '<command line>', field: `--dir ${dir}` });
      expect(error.message).toMatch(/is not a zone mode/);
      expect(error.hint).toMatch(/:ro .*:rw/);
    });
  }

  it('still reads the modes and host paths it knows', () => {
    expect(parseDirFlag('/srv/x::/g:ro', '/')).toMatchObject({ hostPath: '/srv/x', guestPath: '/g', mode: 'ro' });
    expect(parseDirFlag('/srv/x::/g:rw', '/')).toMatchObject({ guestPath: '/g', mode: 'rw' });
    expect(parseDirFlag('/srv/x:ro', '/')).toMatchObject({ hostPath: '/srv/x', guestPath: '/srv/x', mode: 'ro' });
    expect(parseDirFlag('/srv/a:b::/g', '/')).toMatchObject({ hostPath: '/srv/a:b', guestPath: '/g', mode: 'rw' });
    expect(parseDirFlag('/srv/a:b::/g:ro', '/')).toMatchObject({ hostPath: '/srv/a:b', guestPath: '/g', mode: 'ro' });
  });
});

describe('limit flags', () => {
  for (const [limits, field] of [
    [{ memory: '0' }, '--memory 0'],
    [{ memory: '-1' }, '--memory -1'],
    [{ maxOutput: '1e30' }, '--max-output 1e30'],
    [{ maxOutput: '99999999999TiB' }, '--max-output 99999999999TiB'],
    [{ timeout: '0' }, '--timeout 0'],
    [{ timeout: '0s' }, '--timeout 0s'],
    [{ timeout: '-5' }, '--timeout -5'],
    [{ timeout: '1e3' }, '--timeout 1e3'],
    [{ timeout: '999999999999h' }, '--timeout 999999999999h'],
    [{ timeout: '25d' }, '--timeout 25d'],
  ] as const) {
    it(`refuses ${field} naming the flag, rather than running with no such limit`, () => {
      const error = thrown(() => configFromFlags(flags({ limits }), '/'));
      expect(error).toMatchObject({ kind: 'policy', file: '<command line>', field });
      expect(error.hint).toBeTruthy();
    });
  }

  it('a timeout past what a timer can wait is refused, not read as "stop at once"', () => {
    expect(thrown(() => compileSandboxConfig({ limits: { timeout: '600h' } }, { file: 'p.yaml', baseDir: '/' }))).toMatchObject({
      field: 'limits.timeout',
      message: "'600h' is longer than the longest timeout, 24 days",
    });
    expect(compileSandboxConfig({ limits: { timeout: '576h' } }, { file: 'p.yaml', baseDir: '/' }).limits.timeoutMs).toBe(576 * 3_600_000);
  });

  it('reads a plain number as seconds, from the command line and from a file', () => {
    expect(policyFromCommandLine(undefined, flags({ limits: { timeout: '5' } }), '/').limits.timeoutMs).toBe(5000);
    expect(policyFromCommandLine(undefined, flags({ limits: { timeout: '0.25' } }), '/').limits.timeoutMs).toBe(250);
    expect(compileSandboxConfig({ limits: { timeout: '5' } }, { file: 'p.yaml', baseDir: '/' }).limits.timeoutMs).toBe(5000);
    expect(compileSandboxConfig({ limits: { timeout: 5 } }, { file: 'p.yaml', baseDir: '/' }).limits.timeoutMs).toBe(5000);
  });

  it('accepts a memory cap above 4 GiB (a container can have it; WebAssembly clamps it)', () => {
    expect(policyFromCommandLine(undefined, flags({ limits: { memory: '5G' } }), '/').limits.memoryBytes).toBe(5 * 1024 ** 3);
  });

  it("refuses a memory cap below Docker's minimum when a container may run, naming the field", () => {
    const error = thrown(() => compileSandboxConfig({ backend: 'auto', limits: { memory: '1MiB' } }, { file: 'p.yaml', baseDir: '/' }));
    expect(error).toMatchObject({ kind: 'policy', field: 'limits.memory' });
    expect(error.message).toMatch(/6MiB minimum/);
    expect(compileSandboxConfig({ limits: { memory: '1MiB' } }, { file: 'p.yaml', baseDir: '/' }).limits.memoryBytes).toBe(1024 * 1024);
  });

  it('refuses fuel above 2^53 in a file, naming the field', () => {
    expect(thrown(() => compileSandboxConfig({ limits: { fuel: 2 ** 53 } }, { file: 'p.yaml', baseDir: '/' }))).toMatchObject({
      field: 'limits.fuel',
    });
  });
});

describe('--backend', () => {
  it('refuses a backend it does not know, naming the flag', () => {
    expect(thrown(() => configFromFlags(flags({ backend: 'WASM' }), '/'))).toMatchObject({ kind: 'usage', field: '--backend=WASM' });
    expect(configFromFlags(flags({ backend: 'docker' }), '/').backend).toBe('docker');
  });
});

describe('--secret', () => {
  it('adds a secret: its source (a file relative to the current folder, up to the last @) and its hosts', () => {
    const config = configFromFlags(
      flags({ secrets: ['API_TOKEN=env:HOST_TOKEN@api.example.com:443,api.example.com:8443', 'KEY=file:keys/a@b.txt@10.0.0.5:80'] }),
      '/work',
    );
    expect(config.secrets).toEqual([
      { name: 'API_TOKEN', from: 'env:HOST_TOKEN', hosts: ['api.example.com:443', 'api.example.com:8443'] },
      { name: 'KEY', from: 'file:/work/keys/a@b.txt', hosts: ['10.0.0.5:80'] },
    ]);
  });

  it('refuses a value that is not NAME=SOURCE@HOST:PORT, naming the flag', () => {
    for (const value of ['API_TOKEN=env:X', 'API_TOKEN=vault:x@h:1', '=env:X@h:1', 'API_TOKEN@h:1']) {
      expect(thrown(() => configFromFlags(flags({ secrets: [value] }), '/'))).toMatchObject({ kind: 'usage', field: `--secret ${value}` });
    }
  });
});

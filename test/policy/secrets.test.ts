import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Authority } from '../../src/policy/authority.js';
import { compileSandboxConfig } from '../../src/policy/compile.js';
import { policyDigest } from '../../src/policy/digest.js';
import { guestEnvironment } from '../../src/policy/environment.js';
import { RunSecrets, type SecretPlace } from '../../src/policy/secrets.js';
import type { Allowance, Denial, Policy, SecretSpec } from '../../src/policy/types.js';
import type { SandboxConfig } from '../../src/policy/schema.js';
import { thrownGoodbotError } from '../helpers/thrown.js';

const source = { file: 'policy.yaml', baseDir: '/work/project' };
const value = 'tok_51Hc8Zq2vRk';
const tag = '0123456789abcdef0123456789abcdef';
const placeholder = `goodbot-secret-API_TOKEN-${tag}`;

const compile = (config: SandboxConfig): Policy => compileSandboxConfig(config, source);
const withSecret = (secret: Partial<NonNullable<SandboxConfig['secrets']>[number]> = {}, extra: SandboxConfig = {}): Policy =>
  compile({
    network: { allow: ['api.example.com:443', 'other.example.com:443', '10.0.0.5:8080'] },
    secrets: [{ name: 'API_TOKEN', from: 'env:HOST_API_TOKEN', hosts: ['api.example.com:443'], ...secret }],
    ...extra,
  });

const policyError = thrownGoodbotError;

/** The run's secrets of POLICY with the value, and the authority's records of a rewrite to HOST. */
function rewriteTo(policy: Policy, host: { name: string; port: number }, path: string, headers: [string, string][]) {
  const secrets = RunSecrets.resolve(policy.secrets, () => value, tag);
  const allowed: Allowance[] = [];
  const denied: Denial[] = [];
  const authority = new Authority(
    (denial) => denied.push(denial),
    (allowance) => allowed.push(allowance),
  );
  const head = secrets.rewrite({ path, headers }, (secret: SecretSpec, place: SecretPlace) => authority.maySendSecret(secret, host, place));
  return { head, allowed, denied };
}

describe('sandbox.secrets in a policy', () => {
  it('compiles to its source, its hosts (normalized) and its query setting, never a value', async () => {
    const policy = withSecret({ hosts: ['API.Example.com:443', '10.0.0.5:8080'], query: true });
    expect(policy.secrets).toEqual([
      {
        name: 'API_TOKEN',
        from: { kind: 'env', variable: 'HOST_API_TOKEN' },
        hosts: [
          { name: 'api.example.com', port: 443, literal: false },
          { name: '10.0.0.5', port: 8080, literal: true },
        ],
        query: true,
      },
    ]);
    expect(policy.env.withheld).toEqual(['HOST_API_TOKEN']);
    expect(withSecret({ from: 'file:secrets/token' }).secrets[0]!.from).toEqual({ kind: 'file', path: '/work/project/secrets/token' });
    // The digest covers where the value comes from, not the value: it is the same whatever the value is.
    expect(await policyDigest(policy)).toBe(await policyDigest(withSecret({ hosts: ['API.Example.com:443', '10.0.0.5:8080'], query: true })));
  });

  it('refuses a secret for a host the network grants do not reach, a bad host, a bad source', () => {
    expect(policyError(() => withSecret({ hosts: ['evil.example.com:443'] }))).toMatchObject({
      field: 'secrets[0].hosts[0]',
      message: 'no network.allow entry grants evil.example.com:443',
    });
    expect(policyError(() => withSecret({ hosts: ['api.example.com'] }))).toMatchObject({
      field: 'secrets[0].hosts[0]',
      message: "'api.example.com' is not HOST:PORT",
    });
    expect(policyError(() => withSecret({ hosts: [] })).field).toBe('secrets[0].hosts');
    expect(policyError(() => withSecret({ from: 'vault:kv/token' })).field).toBe('secrets[0].from');
    expect(policyError(() => withSecret({ name: 'lower-case' })).field).toBe('secrets[0].name');
  });

  it('attack: a policy that would hand the guest the value another way is refused', () => {
    expect(policyError(() => withSecret({}, { env: { allow: ['HOST_API_TOKEN'] } }))).toMatchObject({
      field: 'env.allow[0]',
      message: "'HOST_API_TOKEN' holds the value of secret 'API_TOKEN'",
    });
    expect(policyError(() => withSecret({}, { env: { set: { API_TOKEN: 'x' } } }))).toMatchObject({ field: 'secrets[0].name' });
    const twice = policyError(() =>
      compile({
        network: { allow: ['api.example.com:443'] },
        secrets: [
          { name: 'A', from: 'env:X', hosts: ['api.example.com:443'] },
          { name: 'A', from: 'env:Y', hosts: ['api.example.com:443'] },
        ],
      }),
    );
    expect(twice).toMatchObject({ field: 'secrets[1].name', message: "secret 'A' is named twice" });
  });

  it('attack: a prefix grant never passes a secret source through; the guest gets the placeholder, which a per-run value cannot replace', () => {
    const policy = withSecret({}, { env: { allow: ['HOST_*'] } });
    const secrets = RunSecrets.resolve(policy.secrets, () => value, tag);
    const env = Object.fromEntries(guestEnvironment(policy.env, { HOST_API_TOKEN: value, HOST_NAME: 'box' }, { API_TOKEN: 'stale' }, {}, secrets));
    expect(env).toEqual({ HOST_NAME: 'box', API_TOKEN: placeholder });
  });
});

describe("a run's secrets", () => {
  it('put the value in headers to its host, and a Basic authorization', () => {
    const basic = `Basic ${btoa(`me:${placeholder}`)}`;
    const { head, allowed, denied } = rewriteTo(withSecret(), { name: 'api.example.com', port: 443 }, '/v1', [
      ['authorization', `Bearer ${placeholder}`],
      ['proxy-authorization', basic],
      ['accept', 'text/plain'],
    ]);
    expect(head.headers).toEqual([
      ['authorization', `Bearer ${value}`],
      ['proxy-authorization', `Basic ${btoa(`me:${value}`)}`],
      ['accept', 'text/plain'],
    ]);
    expect(allowed).toEqual([{ operation: 'secret-substitute', target: 'api.example.com:443', grant: 'api.example.com:443', secret: 'API_TOKEN' }]);
    expect(denied).toEqual([]);
  });

  it('attack: the placeholder to another host, or another port of its host, is left as it is and recorded', () => {
    for (const host of [
      { name: 'other.example.com', port: 443 },
      { name: 'api.example.com', port: 80 },
    ]) {
      const { head, allowed, denied } = rewriteTo(withSecret(), host, `/steal?k=${placeholder}`, [['x-token', placeholder]]);
      expect(head).toEqual({ path: `/steal?k=${placeholder}`, headers: [['x-token', placeholder]] });
      expect(allowed).toEqual([]);
      expect(denied.map((denial) => denial.detail)).toEqual([
        'API_TOKEN is only for api.example.com:443: its placeholder went in the query unchanged',
        'API_TOKEN is only for api.example.com:443: its placeholder went in a header unchanged',
      ]);
      expect(denied[0]).toMatchObject({
        operation: 'secret-substitute',
        reason: 'secret-not-granted',
        error: 'placeholder-sent',
        secret: 'API_TOKEN',
      });
    }
  });

  it('put the value in the query only when the secret says so (encoded), never in the path', () => {
    const host = { name: 'api.example.com', port: 443 };
    const off = rewriteTo(withSecret(), host, `/${placeholder}/x?key=${placeholder}`, []);
    expect(off.head.path).toBe(`/${placeholder}/x?key=${placeholder}`);
    expect(off.denied.map((denial) => denial.detail)).toEqual([
      "API_TOKEN's placeholder went in the path unchanged (only headers and the query carry values)",
      "API_TOKEN's placeholder went in the query unchanged (sandbox.secrets: query is off)",
    ]);
    const secrets = RunSecrets.resolve(withSecret({ query: true }).secrets, () => 'a&b=c d', tag);
    const on = secrets.rewrite({ path: `/x?key=${placeholder}&n=1`, headers: [] }, () => true);
    expect(on.path).toBe('/x?key=a%26b%3Dc%20d&n=1');
  });

  it('attack: a value that could end a header (a line break) or is empty is refused, without quoting it', () => {
    const policy = withSecret();
    for (const bad of ['line\r\nx-injected: 1', '', ' padded', 'caf\u00e9']) {
      const error = policyError(() => RunSecrets.resolve(policy.secrets, () => bad, tag));
      expect(error.field).toBe('sandbox.secrets[0].from');
      if (bad !== '') expect(error.describe()).not.toContain(bad.trim());
    }
    expect(policyError(() => RunSecrets.resolve(policy.secrets, () => undefined, tag))).toMatchObject({
      message: "secret 'API_TOKEN': env:HOST_API_TOKEN is not set",
      hint: "set HOST_API_TOKEN in goodbot's environment",
    });
  });

  it('never show their values: not as JSON, not when inspected, not in the environment', () => {
    const secrets = RunSecrets.resolve(withSecret().secrets, () => value, tag);
    expect(JSON.stringify({ secrets })).not.toContain(value);
    expect(inspect(secrets, { showHidden: true, depth: 5 })).not.toContain(value);
    expect(secrets.environment).toEqual([['API_TOKEN', placeholder]]);
    expect(RunSecrets.newTag()).toMatch(/^[0-9a-f]{32}$/);
    expect(RunSecrets.newTag()).not.toBe(RunSecrets.newTag());
  });
});

import { toHex } from '../bytes.js';
import { redacted } from './environment.js';
import type { Policy, ZoneSpec } from './types.js';

/** Canonical JSON: object keys sorted, bytes as hex, so equal policies give equal text. */
export function canonicalJson(value: unknown): string {
  if (value instanceof Uint8Array) return JSON.stringify(toHex(value));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * `sha256:<hex>` of the policy's canonical JSON without its secrets;
 * recorded with every run. The hash is unkeyed, so whatever feeds it can be
 * recovered by guessing when it has few possible values (a 4-digit value
 * falls in milliseconds): values the audit log redacts, and the contents of
 * memory zones' files, are left out (`digestedPolicy`).
 */
export async function policyDigest(policy: Policy): Promise<string> {
  const data = new TextEncoder().encode(canonicalJson(digestedPolicy(policy)));
  const hash = await globalThis.crypto.subtle.digest('SHA-256', data);
  return `sha256:${toHex(new Uint8Array(hash))}`;
}

/**
 * What the digest covers: the whole policy, except that each `env.set`
 * value not in `audit.revealEnv` is `[redacted]` (its name stays), and each
 * initial file of a memory zone is its path and size in bytes, not its
 * contents. A keyed hash would keep contents in, but its key would have to
 * be kept secret and stable for digests to stay comparable across runs and
 * hosts; sizes need no key and still tell most edits apart.
 */
export function digestedPolicy(policy: Policy): unknown {
  const shown = new Set(policy.audit.revealEnv);
  const set = Object.fromEntries(Object.entries(policy.env.set).map(([name, value]) => [name, shown.has(name) ? value : redacted]));
  return { ...policy, env: { ...policy.env, set }, zones: policy.zones.map(zoneWithoutContents) };
}

function zoneWithoutContents(zone: ZoneSpec): unknown {
  if (zone.files === undefined) return zone;
  const files = Object.fromEntries(Object.entries(zone.files).map(([path, content]) => [path, { bytes: byteLength(content) }]));
  return { ...zone, files };
}

function byteLength(content: string | Uint8Array): number {
  return typeof content === 'string' ? new TextEncoder().encode(content).length : content.length;
}

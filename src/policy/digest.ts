import type { Policy } from './types.js';

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

/** `sha256:<hex>` of the policy's canonical JSON; recorded with every run. */
export async function policyDigest(policy: Policy): Promise<string> {
  const data = new TextEncoder().encode(canonicalJson(policy));
  const hash = await globalThis.crypto.subtle.digest('SHA-256', data);
  return `sha256:${toHex(new Uint8Array(hash))}`;
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

import type { HeaderList } from '../common/network-client.js';
import { dispose } from './resource.js';

export type FieldEntry = [name: string, value: Uint8Array];
type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };

/** An HTTP token: what a header name or a method may be. */
export const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Hop-by-hop and connection-level headers a guest may not set (as wasmtime forbids them). */
const forbiddenHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
  'te',
  'proxy-authenticate',
  'proxy-authorization',
]);

function fieldName(name: string): string {
  if (!tokenPattern.test(name)) throw { tag: 'invalid-syntax' } satisfies HeaderError;
  const lower = name.toLowerCase();
  if (forbiddenHeaders.has(lower)) throw { tag: 'forbidden' } satisfies HeaderError;
  return lower;
}

function fieldValue(value: Uint8Array): Uint8Array {
  for (const byte of value) {
    if (byte === 0 || byte === 0x0a || byte === 0x0d) throw { tag: 'invalid-syntax' } satisfies HeaderError;
  }
  return value.slice();
}

/**
 * `wasi:http/types` `fields`: header names and values, case-insensitive by
 * name. Headers a request or response owns are handed out immutable.
 */
export class Fields {
  private readonly store: FieldEntry[];
  private readonly immutable: boolean;

  constructor(store: FieldEntry[] = [], immutable = false) {
    this.store = store;
    this.immutable = immutable;
  }

  static fromList(entries: FieldEntry[]): Fields {
    return new Fields(entries.map(([name, value]) => [fieldName(name), fieldValue(value)]));
  }

  get(name: string): Uint8Array[] {
    const key = name.toLowerCase();
    return this.store.filter(([n]) => n === key).map(([, value]) => value.slice());
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.store.some(([n]) => n === key);
  }

  set(name: string, values: Uint8Array[]): void {
    this.ensureMutable();
    const key = fieldName(name);
    const checked = values.map(fieldValue);
    this.remove(key);
    for (const value of checked) this.store.push([key, value]);
  }

  delete(name: string): void {
    this.ensureMutable();
    this.remove(fieldName(name));
  }

  append(name: string, value: Uint8Array): void {
    this.ensureMutable();
    this.store.push([fieldName(name), fieldValue(value)]);
  }

  entries(): FieldEntry[] {
    return this.store.map(([name, value]) => [name, value.slice()]);
  }

  clone(): Fields {
    return new Fields(this.entries());
  }

  /** The same fields, read-only: what `headers()` of a request hands out. */
  frozen(): Fields {
    return new Fields(this.store, true);
  }

  [dispose](): void {}

  private ensureMutable(): void {
    if (this.immutable) throw { tag: 'immutable' } satisfies HeaderError;
  }

  private remove(key: string): void {
    for (let i = this.store.length - 1; i >= 0; i--) if (this.store[i]![0] === key) this.store.splice(i, 1);
  }
}

/** Header bytes as the broker carries them (latin1 text, one char per byte). */
export function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/** Header fields from the broker, immutable, as a response's or its trailers'. */
export function receivedFields(headers: HeaderList): Fields {
  return new Fields(
    headers.map(([name, value]) => [name.toLowerCase(), Uint8Array.from(value, (char) => char.charCodeAt(0))]),
    true,
  );
}

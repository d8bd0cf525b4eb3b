import { toHex } from '../bytes.js';
import { GoodbotError } from '../errors.js';
import { canonicalText } from './network-access.js';
import type { SecretHost, SecretSource, SecretSpec } from './types.js';

/** Where in a request a placeholder was found: only headers, and the query when the secret says so, are replaced. */
export type SecretPlace = 'header' | 'query' | 'path';

/** Asks (and records) whether SECRET's value may replace its placeholder at PLACE of a request to the run's destination. */
export type SecretDecision = (secret: SecretSpec, place: SecretPlace) => boolean;

/** A request's head as it goes out: the rewritten copy carries values, the guest's own keeps its placeholders. */
export interface RequestHead {
  /** Path and query, as sent (`/v1/items?key=…`). */
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
}

/** The longest value goodbot reads for a secret: a credential, not a file to carry. */
export const maxSecretBytes = 16 * 1024;

interface Entry {
  readonly spec: SecretSpec;
  readonly placeholder: string;
  readonly value: string;
}

/**
 * A run's secrets: the placeholder each variable holds in the guest, and
 * the value that replaces it in a request to one of the secret's hosts.
 * Values live only here, on the host's side; nothing here reports them
 * (no method returns one, and `toJSON` and inspection show names only).
 */
export class RunSecrets {
  static readonly none = new RunSecrets([]);

  private constructor(private readonly entries: readonly Entry[]) {}

  /**
   * The secrets of SPECS for a run: each value READ from its source
   * (undefined: there is none), checked, and given the placeholder
   * `goodbot-secret-NAME-TAG`. TAG is the run's (or its session's) random
   * text. A missing or unusable value is an error naming the secret's
   * field, never quoting the value.
   */
  static resolve(specs: readonly SecretSpec[], read: (source: SecretSource) => string | undefined, tag: string): RunSecrets {
    if (specs.length === 0) return RunSecrets.none;
    if (!/^[0-9a-f]{16,64}$/.test(tag)) throw new Error('a secret tag is 16-64 lower-case hex digits');
    return new RunSecrets(
      specs.map((spec, i) => {
        const field = `sandbox.secrets[${i}].from`;
        const source = describeSource(spec.from);
        const value = read(spec.from);
        if (value === undefined) {
          throw new GoodbotError('policy', `secret '${spec.name}': ${source} is not set`, {
            field,
            hint: spec.from.kind === 'env' ? `set ${spec.from.variable} in goodbot's environment` : 'create the file, readable by goodbot',
          });
        }
        const problem = valueProblem(value);
        if (problem !== undefined) throw new GoodbotError('policy', `secret '${spec.name}': the value from ${source} ${problem}`, { field });
        return { spec, placeholder: `goodbot-secret-${spec.name}-${tag}`, value };
      }),
    );
  }

  /** A new random tag (128 bits, hex) for a run's or a session's placeholders. */
  static newTag(): string {
    return toHex(globalThis.crypto.getRandomValues(new Uint8Array(16)));
  }

  /** Whether the run has any secret. */
  get any(): boolean {
    return this.entries.length > 0;
  }

  /** The guest's variables: each secret's name and placeholder. */
  get environment(): [string, string][] {
    return this.entries.map((entry) => [entry.spec.name, entry.placeholder]);
  }

  /** Every host (and port) some secret is for: the only ones whose requests goodbot opens (and, over TLS, terminates). */
  get hosts(): SecretHost[] {
    const seen = new Map<string, SecretHost>();
    for (const { spec } of this.entries) for (const host of spec.hosts) seen.set(`${host.name}:${host.port}`, host);
    return [...seen.values()];
  }

  /** Whether some secret is for HOST:PORT (its name normalized as `parseHostPort` does). */
  isFor(host: { readonly name: string; readonly port: number }): boolean {
    return this.entries.some(({ spec }) => secretIsFor(spec, host));
  }

  /**
   * HEAD with each placeholder found replaced by its value where DECIDE
   * allows it (once per secret and place, recorded there), and left as it
   * is elsewhere. Looked at: header values (and the user:password of a
   * `Basic` authorization), the query and the path. HEAD itself is not
   * changed.
   */
  rewrite(head: RequestHead, decide: SecretDecision): RequestHead {
    if (this.entries.length === 0) return head;
    const split = head.path.indexOf('?');
    const path = split < 0 ? head.path : head.path.slice(0, split);
    const query = split < 0 ? undefined : head.path.slice(split + 1);
    const found = new Map<Entry, Set<SecretPlace>>();
    const note = (text: string, place: SecretPlace) => {
      for (const entry of this.entries) {
        if (text.includes(entry.placeholder)) found.set(entry, (found.get(entry) ?? new Set()).add(place));
      }
    };
    note(path, 'path');
    if (query !== undefined) note(query, 'query');
    for (const [name, value] of head.headers) note(basicCredentials(name, value) ?? value, 'header');
    if (found.size === 0) return head;

    const allowed = new Map<SecretPlace, Entry[]>();
    for (const [entry, places] of found) {
      for (const place of places) if (decide(entry.spec, place)) allowed.set(place, [...(allowed.get(place) ?? []), entry]);
    }
    const inHeaders = allowed.get('header') ?? [];
    const inQuery = allowed.get('query') ?? [];
    const headers = head.headers.map(([name, value]): [string, string] => {
      if (inHeaders.length === 0) return [name, value];
      const credentials = basicCredentials(name, value);
      if (credentials === undefined) return [name, replaced(value, inHeaders, (v) => v)];
      return [name, `${value.slice(0, value.length - value.trimStart().length)}Basic ${btoa(replaced(credentials, inHeaders, (v) => v))}`];
    });
    return {
      path: query === undefined ? path : `${path}?${replaced(query, inQuery, encodeURIComponent)}`,
      headers,
    };
  }

  toJSON(): unknown {
    return { secrets: this.entries.map((entry) => entry.spec.name) };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `RunSecrets(${this.entries.map((entry) => entry.spec.name).join(', ')})`;
  }
}

/** Whether SECRET is for HOST:PORT. */
export function secretIsFor(secret: SecretSpec, host: { readonly name: string; readonly port: number }): boolean {
  const name = canonicalText(host.name.toLowerCase());
  return secret.hosts.some((candidate) => candidate.port === host.port && candidate.name === name);
}

/** `env:NAME` or `file:PATH`, as a message names the source (never its content). */
export function describeSource(source: SecretSource): string {
  return source.kind === 'env' ? `env:${source.variable}` : `file:${source.path}`;
}

/**
 * Why VALUE cannot be sent in a header or query, or undefined. Printable
 * ASCII only: a line break would let it end the header and write others.
 */
function valueProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > maxSecretBytes) return `is longer than ${maxSecretBytes} bytes`;
  if (/[^\x20-\x7e]/.test(value)) return 'holds a character an HTTP header cannot carry (a control character, a line break or non-ASCII)';
  if (value.trim() !== value) return 'starts or ends with a space';
  return undefined;
}

/** The decoded `user:password` of a `Basic` authorization header, or undefined. */
function basicCredentials(name: string, value: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower !== 'authorization' && lower !== 'proxy-authorization') return undefined;
  const match = /^\s*basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(value);
  if (match === null) return undefined;
  try {
    return atob(match[1]!);
  } catch {
    return undefined;
  }
}

function replaced(text: string, entries: readonly Entry[], encode: (value: string) => string): string {
  let result = text;
  for (const entry of entries) result = result.split(entry.placeholder).join(encode(entry.value));
  return result;
}

import type { WasiContext } from '../core/context.js';
import { dispose, type Interfaces } from './resource.js';
import { discardSink, OutputStream } from './streams.js';

type FieldEntry = [name: string, value: Uint8Array];
type Method = { tag: string; val?: string };
type Scheme = { tag: 'HTTP' } | { tag: 'HTTPS' } | { tag: 'other'; val: string };
type HeaderError = { tag: 'invalid-syntax' } | { tag: 'forbidden' } | { tag: 'immutable' };

/** The `err` of a WIT `result` without an error type (the glue's shape for it). */
const unitError = { tag: 'err', val: undefined } as const;

const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

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

/** `wasi:http/types` `outgoing-body`: what the guest writes goes nowhere, as no request is ever sent. */
export class OutgoingBody {
  private streamTaken = false;

  write(): OutputStream | typeof unitError {
    if (this.streamTaken) return unitError;
    this.streamTaken = true;
    return new OutputStream(discardSink);
  }

  static finish(_body: OutgoingBody, _trailers: Fields | undefined): void {}

  [dispose](): void {}
}

/** State shared by outgoing requests and responses: headers and a body taken once. */
class OutgoingMessage {
  private bodyTaken = false;
  protected readonly fields: Fields;

  constructor(headers: Fields) {
    this.fields = headers;
  }

  body(): OutgoingBody | typeof unitError {
    if (this.bodyTaken) return unitError;
    this.bodyTaken = true;
    return new OutgoingBody();
  }

  headers(): Fields {
    return this.fields.frozen();
  }

  [dispose](): void {}
}

/** `wasi:http/types` `outgoing-request`: built by the guest, refused by `handle`. */
export class OutgoingRequest extends OutgoingMessage {
  private currentMethod: Method = { tag: 'get' };
  private path: string | undefined;
  private currentScheme: Scheme | undefined;
  private currentAuthority: string | undefined;

  method(): Method {
    return this.currentMethod;
  }

  setMethod(method: Method): void | typeof unitError {
    if (method.tag === 'other' && !tokenPattern.test(method.val ?? '')) return unitError;
    this.currentMethod = method;
  }

  pathWithQuery(): string | undefined {
    return this.path;
  }

  setPathWithQuery(path: string | undefined): void | typeof unitError {
    if (path !== undefined && /[\s\0]/.test(path)) return unitError;
    this.path = path;
  }

  scheme(): Scheme | undefined {
    return this.currentScheme;
  }

  setScheme(scheme: Scheme | undefined): void | typeof unitError {
    if (scheme?.tag === 'other' && !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme.val)) return unitError;
    this.currentScheme = scheme;
  }

  authority(): string | undefined {
    return this.currentAuthority;
  }

  setAuthority(authority: string | undefined): void | typeof unitError {
    if (authority !== undefined && /[\s\0/?#@]/.test(authority)) return unitError;
    this.currentAuthority = authority;
  }

  /** Where the request would go, for the audit record; the query is left out, as it may hold secrets. */
  target(): string {
    const scheme = this.currentScheme;
    const name = scheme === undefined || scheme.tag === 'HTTPS' ? 'https' : scheme.tag === 'HTTP' ? 'http' : scheme.val;
    const path = (this.path ?? '/').split('?')[0];
    return `${name}://${this.currentAuthority ?? ''}${path}`;
  }
}

/** `wasi:http/types` `outgoing-response`: only useful to a server, which goodbot does not run. */
export class OutgoingResponse extends OutgoingMessage {
  private status = 200;

  statusCode(): number {
    return this.status;
  }

  setStatusCode(status: number): void | typeof unitError {
    if (status < 100 || status > 999) return unitError;
    this.status = status;
  }
}

/** `wasi:http/types` `request-options`: timeouts, kept but never used. */
export class RequestOptions {
  private connect: bigint | undefined;
  private firstByte: bigint | undefined;
  private betweenBytes: bigint | undefined;

  connectTimeout(): bigint | undefined {
    return this.connect;
  }

  setConnectTimeout(duration: bigint | undefined): void {
    this.connect = duration;
  }

  firstByteTimeout(): bigint | undefined {
    return this.firstByte;
  }

  setFirstByteTimeout(duration: bigint | undefined): void {
    this.firstByte = duration;
  }

  betweenBytesTimeout(): bigint | undefined {
    return this.betweenBytes;
  }

  setBetweenBytesTimeout(duration: bigint | undefined): void {
    this.betweenBytes = duration;
  }

  [dispose](): void {}
}

/**
 * `wasi:http/types` `future-incoming-response`. This and the resources below
 * only come from a request that was sent or from a server call; neither
 * happens here, so they exist for the glue's type checks and never get an
 * instance.
 */
export class FutureIncomingResponse {
  private constructor() {}
}

/** `wasi:http/types` `incoming-response`. */
export class IncomingResponse {
  private constructor() {}
}

/** `wasi:http/types` `incoming-body`. */
export class IncomingBody {
  private constructor() {}
}

/** `wasi:http/types` `future-trailers`. */
export class FutureTrailers {
  private constructor() {}
}

/** `wasi:http/types` `incoming-request`. */
export class IncomingRequest {
  private constructor() {}
}

/** `wasi:http/types` `response-outparam`. */
export class ResponseOutparam {
  private constructor() {}
}

/**
 * `wasi:http`: a guest may build requests, but `outgoing-handler.handle`
 * refuses every one with `HTTP-request-denied` and records the denial.
 */
export function httpInterfaces(ctx: WasiContext): Interfaces {
  return {
    'wasi:http/types': {
      Fields,
      FutureIncomingResponse,
      FutureTrailers,
      IncomingBody,
      IncomingRequest,
      IncomingResponse,
      OutgoingBody,
      OutgoingRequest,
      OutgoingResponse,
      RequestOptions,
      ResponseOutparam,
      httpErrorCode: () => undefined,
    },
    'wasi:http/outgoing-handler': {
      handle: (request: OutgoingRequest, _options: RequestOptions | undefined) => {
        ctx.authority.record({
          operation: 'http-request',
          target: request.target(),
          reason: 'network-denied',
          error: 'access-denied',
        });
        throw { tag: 'HTTP-request-denied' };
      },
    },
  };
}

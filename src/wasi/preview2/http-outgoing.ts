import { sendWindow, type Connection, type HeaderList, type NetworkClient } from '../common/network-client.js';
import type { NetworkGate } from '../common/network-gate.js';
import { parseHostPort, type HostPort } from '../../policy/host-port.js';
import { errnoError } from '../../errno.js';
import { latin1, tokenPattern, type Fields } from './http-fields.js';
import { FutureIncomingResponse } from './http-incoming.js';
import { httpErrorCode, streamFailure, type HttpErrorCode } from './network-errors.js';
import { dispose, refuse } from './resource.js';
import { OutputStream, type ByteSink } from './streams.js';

type Method = { tag: string; val?: string };
type Scheme = { tag: 'HTTP' } | { tag: 'HTTPS' } | { tag: 'other'; val: string };

export const denied: HttpErrorCode = { tag: 'HTTP-request-denied' };

/**
 * A request body as the guest writes it: kept until `handle` sends the
 * request (up to the send window, as `check-write` says), then streamed to
 * the exchange. Finishing it ends the request; dropping it unfinished
 * aborts it, as the WIT says.
 */
class RequestBody implements ByteSink {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private exchange: Connection | undefined;
  private client: NetworkClient | undefined;
  private finished = false;
  private trailers: HeaderList | undefined;
  private abandoned = false;

  write(data: Uint8Array): void {
    if (this.exchange === undefined) {
      if (this.pendingBytes + data.length > sendWindow)
        throw errnoError('NOBUFS', `a request body is kept only up to ${sendWindow} bytes before the request is sent`);
      this.pending.push(data.slice());
      this.pendingBytes += data.length;
      return;
    }
    this.client!.pump();
    if (this.exchange.failure !== undefined) throw streamFailure(this.exchange.failure);
    this.exchange.send(data);
  }

  readonly queue = {
    room: (): number => {
      if (this.exchange === undefined) return Math.max(0, sendWindow - this.pendingBytes);
      this.client!.pump();
      return Math.max(0, sendWindow - this.exchange.unsent);
    },
    // Before the request is sent, nothing drains the body: waiting would never end.
    readiness: {
      ready: (): boolean => this.exchange === undefined || this.queue.room() > 0 || this.exchange.failure !== undefined,
      waiter: { wait: (ms?: number): boolean => this.client?.wait(ms) ?? false },
    },
    // Before the request is sent, what the guest wrote is the body's to keep.
    flush: (): void => {
      const exchange = this.exchange;
      if (exchange === undefined) return;
      this.client!.waitFor(() => exchange.unsent <= 0 || exchange.failure !== undefined);
      if (exchange.failure !== undefined) throw streamFailure(exchange.failure);
    },
  };

  finish(trailers: HeaderList | undefined): void {
    this.finished = true;
    this.trailers = trailers;
    this.exchange?.finish(trailers);
  }

  abandon(): void {
    if (this.finished) return;
    this.abandoned = true;
    this.exchange?.close();
  }

  /** The request was sent as EXCHANGE: what was written goes now, the rest as it comes. */
  attach(exchange: Connection, client: NetworkClient): void {
    this.exchange = exchange;
    this.client = client;
    for (const chunk of this.pending) exchange.send(chunk);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.abandoned) exchange.close();
    else if (this.finished) exchange.finish(this.trailers);
  }
}

/** `wasi:http/types` `outgoing-body`: the body of a request, written through one output stream. */
export class OutgoingBody {
  private streamTaken = false;
  private finished = false;

  constructor(private readonly sink: RequestBody) {}

  write(): OutputStream {
    if (this.streamTaken) refuse();
    this.streamTaken = true;
    return new OutputStream(this.sink);
  }

  static finish(body: OutgoingBody, trailers: Fields | undefined): void {
    body.finished = true;
    body.sink.finish(trailers?.entries().map(([name, value]) => [name, latin1(value)] as const));
  }

  [dispose](): void {
    if (!this.finished) this.sink.abandon();
  }
}

/** State shared by outgoing requests and responses: headers and a body taken once. */
class OutgoingMessage {
  private bodyTaken = false;
  protected readonly fields: Fields;
  /** What the guest writes into the body. */
  protected readonly content = new RequestBody();

  constructor(headers: Fields) {
    this.fields = headers;
  }

  body(): OutgoingBody {
    if (this.bodyTaken) refuse();
    this.bodyTaken = true;
    return new OutgoingBody(this.content);
  }

  headers(): Fields {
    return this.fields.frozen();
  }

  [dispose](): void {}

  /** Whether the guest took the body (if not, the request has none). */
  protected get hasBody(): boolean {
    return this.bodyTaken;
  }
}

/** A request's method as sent; CONNECT would open a tunnel past the policy, so it has none. */
function methodName(method: Method): string | undefined {
  if (method.tag === 'connect') return undefined;
  return method.tag === 'other' ? method.val! : method.tag.toUpperCase();
}

/** `wasi:http/types` `outgoing-request`: built by the guest, sent by `outgoing-handler.handle`. */
export class OutgoingRequest extends OutgoingMessage {
  private currentMethod: Method = { tag: 'get' };
  private path: string | undefined;
  private currentScheme: Scheme | undefined;
  private currentAuthority: string | undefined;

  method(): Method {
    return this.currentMethod;
  }

  setMethod(method: Method): void {
    if (method.tag === 'other' && !tokenPattern.test(method.val ?? '')) refuse();
    this.currentMethod = method;
  }

  pathWithQuery(): string | undefined {
    return this.path;
  }

  setPathWithQuery(path: string | undefined): void {
    if (path !== undefined && /[\s\0]/.test(path)) refuse();
    this.path = path;
  }

  scheme(): Scheme | undefined {
    return this.currentScheme;
  }

  setScheme(scheme: Scheme | undefined): void {
    if (scheme?.tag === 'other' && !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme.val)) refuse();
    this.currentScheme = scheme;
  }

  authority(): string | undefined {
    return this.currentAuthority;
  }

  /** An authority with user info (`user:password@host`) is taken here and refused, and recorded, when the request is sent. */
  setAuthority(authority: string | undefined): void {
    if (authority !== undefined && /[\s\0/?#]/.test(authority)) refuse();
    this.currentAuthority = authority;
  }

  /**
   * Where the request would go, for the audit record; the query is left
   * out, as it may hold secrets, and so is the authority's user info.
   */
  target(): string {
    const scheme = this.currentScheme;
    const name = scheme === undefined || scheme.tag === 'HTTPS' ? 'https' : scheme.tag === 'HTTP' ? 'http' : scheme.val;
    const path = (this.path ?? '/').split('?')[0];
    return `${name}://${(this.currentAuthority ?? '').replace(/^.*@/, '')}${path}`;
  }

  /** What the request goes out as; one that cannot is refused, recorded with why, and fails with what the guest gets. */
  private destination(gate: NetworkGate): { tls: boolean; method: string; authority: string; host: HostPort } {
    const refuse = (code: HttpErrorCode, detail: string): never => {
      gate.deny('http-request', this.target(), detail, code === denied ? 'access-denied' : code.tag);
      throw code;
    };
    const scheme = this.currentScheme;
    if (scheme?.tag === 'other') refuse({ tag: 'HTTP-protocol-error' }, `only http and https requests go out, not ${scheme.val}`);
    const tls = scheme?.tag !== 'HTTP';
    const method = methodName(this.currentMethod) ?? refuse({ tag: 'HTTP-request-method-invalid' }, 'CONNECT would open a tunnel past the policy');
    const authority = this.currentAuthority ?? refuse({ tag: 'HTTP-request-URI-invalid' }, 'the request names no host');
    if (authority.includes('@')) refuse(denied, 'the URL carries user info (user:password@), which is never sent');
    const host = parseHostPort(authority, tls ? 443 : 80) ?? refuse({ tag: 'HTTP-request-URI-invalid' }, 'the authority is no host and port');
    return { tls, method, authority, host };
  }

  /**
   * Sends the request through GATE: the host is looked up (a name only if a
   * grant could match it), the first address the policy grants is chosen,
   * and the request goes to exactly that address, TLS checked against the
   * name. No scheme means HTTPS. A request that cannot go out as it is
   * (another scheme, CONNECT, user info, no valid host) is refused and
   * recorded before anything is looked up.
   */
  send(gate: NetworkGate): FutureIncomingResponse {
    const { tls, method, authority, host } = this.destination(gate);
    let addresses: readonly string[] = [host.name];
    if (!host.literal) {
      if (!gate.mayLookUpFor(host.name, 'http-request', this.target())) throw denied;
      const lookup = gate.host.lookup(host.name);
      gate.host.waitFor(() => lookup.settled);
      if (lookup.failure !== undefined) throw httpErrorCode(lookup.failure);
      addresses = lookup.addresses!;
    }
    const address = gate.chooseAddress(host.literal ? undefined : host.name, addresses, host.port);
    if (address === undefined) throw denied;

    if (!gate.mayOpenChannel('http-request', this.target())) throw { tag: 'connection-limit-reached' } satisfies HttpErrorCode;
    // The guest's own fields keep their placeholders: only the copy that goes out carries a secret's value.
    const head = gate.requestHead(host, {
      path: this.path ?? '/',
      headers: this.fields.entries().map(([name, value]) => [name, latin1(value)] as const),
    });
    const exchange = gate.host.request({
      tls,
      address,
      port: host.port,
      ...(tls && !host.literal && { servername: host.name }),
      method,
      path: head.path,
      headers: [['host', authority], ...head.headers],
    });
    this.content.attach(exchange, gate.host);
    if (!this.hasBody) this.content.finish(undefined);
    return new FutureIncomingResponse(exchange, gate.host);
  }
}

/** `wasi:http/types` `outgoing-response`: only useful to a server, which goodbot does not run. */
export class OutgoingResponse extends OutgoingMessage {
  private status = 200;

  statusCode(): number {
    return this.status;
  }

  setStatusCode(status: number): void {
    if (status < 100 || status > 999) refuse();
    this.status = status;
  }
}

/** `wasi:http/types` `request-options`: timeouts, kept but not applied (the run's deadline bounds every wait). */
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

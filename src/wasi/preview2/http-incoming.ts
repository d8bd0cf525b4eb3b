import type { Connection, NetworkClient } from '../common/network-client.js';
import { connectionInput } from './connection-streams.js';
import { receivedFields, type Fields } from './http-fields.js';
import { httpErrorCode, type HttpErrorCode } from './network-errors.js';
import { Pollable } from './poll.js';
import { dispose, refuse } from './resource.js';
import type { InputStream } from './streams.js';

/** A `result` in a value the host returns itself (inside an `option`), as the glue reads it. */
type Result<T, E> = { tag: 'ok'; val: T } | { tag: 'err'; val: E };

/**
 * What an exchange delivers later (its response head, its trailers), as a
 * `future-…` resource: ready when it arrived or the exchange failed, taken
 * once.
 */
abstract class ExchangeFuture<T> {
  protected taken = false;

  constructor(
    protected readonly exchange: Connection,
    protected readonly client: NetworkClient,
  ) {}

  subscribe(): Pollable {
    return Pollable.when(() => this.settled(), this.client);
  }

  get(): Result<Result<T, HttpErrorCode>, undefined> | undefined {
    if (this.taken) return { tag: 'err', val: undefined };
    if (!this.settled()) return undefined;
    this.taken = true;
    return { tag: 'ok', val: this.arrived() ? { tag: 'ok', val: this.value() } : { tag: 'err', val: httpErrorCode(this.exchange.failure!) } };
  }

  protected abstract arrived(): boolean;

  protected abstract value(): T;

  private settled(): boolean {
    this.client.pump();
    return this.arrived() || this.exchange.failure !== undefined;
  }
}

/** `wasi:http/types` `future-incoming-response`: the response of a request sent, once its head arrived. */
export class FutureIncomingResponse extends ExchangeFuture<IncomingResponse> {
  protected arrived(): boolean {
    return this.exchange.response !== undefined;
  }

  protected value(): IncomingResponse {
    return new IncomingResponse(this.exchange, this.client);
  }

  [dispose](): void {
    if (!this.taken) this.exchange.close();
  }
}

/** `wasi:http/types` `incoming-response`: status and headers; the body is consumed once. */
export class IncomingResponse {
  private consumed = false;

  constructor(
    private readonly exchange: Connection,
    private readonly client: NetworkClient,
  ) {}

  status(): number {
    return this.exchange.response!.status;
  }

  headers(): Fields {
    return receivedFields(this.exchange.response!.headers);
  }

  consume(): IncomingBody {
    if (this.consumed) refuse();
    this.consumed = true;
    return new IncomingBody(this.exchange, this.client);
  }

  [dispose](): void {
    if (!this.consumed) this.exchange.close();
  }
}

/** `wasi:http/types` `incoming-body`: the response body, read through one input stream. */
export class IncomingBody {
  private streamTaken = false;
  private finished = false;

  constructor(
    private readonly exchange: Connection,
    private readonly client: NetworkClient,
  ) {}

  stream(): InputStream {
    if (this.streamTaken) refuse();
    this.streamTaken = true;
    return connectionInput(this.exchange, this.client);
  }

  /** Done with the body: what is left of it is skipped, and its trailers follow. */
  static finish(body: IncomingBody): FutureTrailers {
    body.finished = true;
    body.exchange.stopReceiving();
    return new FutureTrailers(body.exchange, body.client);
  }

  [dispose](): void {
    if (!this.finished) this.exchange.close();
  }
}

/** `wasi:http/types` `future-trailers`: the trailers of a response body, once it ended. */
export class FutureTrailers extends ExchangeFuture<Fields | undefined> {
  protected arrived(): boolean {
    return this.exchange.ended;
  }

  protected value(): Fields | undefined {
    const trailers = this.exchange.trailers;
    return trailers === undefined || trailers.length === 0 ? undefined : receivedFields(trailers);
  }

  [dispose](): void {
    this.exchange.close();
  }
}

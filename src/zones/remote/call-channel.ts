import { ErrnoError, type ErrnoName } from '../../errno.js';
import type { DenialReason } from '../../policy/types.js';

/**
 * A synchronous call from one thread to another over shared memory: the
 * caller (a guest's thread, which may block) writes a request and waits with
 * `Atomics.wait`; the server (the run's thread, which must not block) wakes
 * with `Atomics.waitAsync`, answers, and wakes the caller. One call is in
 * flight at a time. Messages are JSON (bigints kept) with an optional byte
 * payload, so file contents are copied once each way and never encoded.
 */
const STATE = 0;
const JSON_LENGTH = 1;
const BYTES_LENGTH = 2;
const headerCells = 4;
const headerBytes = headerCells * 4;

const IDLE = 0;
const REQUEST = 1;
const REPLY = 2;
/** The server stopped: every later call fails with EIO. */
const CLOSED = 3;

/** The default room for one message: a read or write of 1 MiB plus its JSON. */
export const defaultChannelCapacity = (1 << 20) + (64 << 10);

/** The longest single wait of a caller, so that a stuck server is noticed by CHECK. */
const sliceMs = 50;

/** One message: a JSON value and the bytes it carries. */
export interface CallMessage {
  readonly value: unknown;
  readonly bytes?: Uint8Array;
}

/** Answers one request (at once, or later: the caller waits); a thrown {@link ErrnoError} reaches the caller as the same error. */
export type CallHandler = (request: CallMessage) => CallMessage | Promise<CallMessage>;

/** How a caller sends one request and gets its answer (over shared memory, or directly in tests). */
export type CallTransport = (request: CallMessage) => CallMessage;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class CallChannel {
  private readonly header: Int32Array;
  private readonly data: Uint8Array;

  /** A new channel of CAPACITY bytes, or the other end of the channel whose memory is BUFFER. */
  constructor(capacityOrBuffer: number | SharedArrayBuffer = defaultChannelCapacity) {
    const buffer = typeof capacityOrBuffer === 'number' ? new SharedArrayBuffer(headerBytes + capacityOrBuffer) : capacityOrBuffer;
    this.header = new Int32Array(buffer, 0, headerCells);
    this.data = new Uint8Array(buffer, headerBytes);
  }

  get buffer(): SharedArrayBuffer {
    return this.header.buffer as SharedArrayBuffer;
  }

  /** The most payload bytes one message can carry beside a small JSON value. */
  get payloadRoom(): number {
    return this.data.length - 4096;
  }

  /**
   * Sends REQUEST and blocks until the answer; CHECK runs between waits and
   * may throw to give up (the run's deadline or cancellation).
   */
  call(request: CallMessage, check?: () => void): CallMessage {
    if (Atomics.load(this.header, STATE) === CLOSED) throw new ErrnoError('IO', 'the run that served these files has ended');
    this.put(request);
    Atomics.store(this.header, STATE, REQUEST);
    Atomics.notify(this.header, STATE);
    for (;;) {
      const state = Atomics.load(this.header, STATE);
      if (state === REPLY) break;
      if (state === CLOSED) throw new ErrnoError('IO', 'the run that served these files has ended');
      Atomics.wait(this.header, STATE, state, sliceMs);
      check?.();
    }
    const reply = this.take();
    Atomics.store(this.header, STATE, IDLE);
    return decodeReply(reply);
  }

  /**
   * Answers requests with HANDLER until {@link close}; runs on a thread that
   * must stay free, so it waits without blocking.
   */
  async serve(handler: CallHandler): Promise<void> {
    for (;;) {
      const state = Atomics.load(this.header, STATE);
      if (state === CLOSED) return;
      if (state === REQUEST) {
        const reply = await answer(handler, this.take());
        // Closed while the answer was on its way (the caller was stopped): nobody waits for it.
        if (Atomics.load(this.header, STATE) === CLOSED) return;
        this.put(reply);
        Atomics.store(this.header, STATE, REPLY);
        Atomics.notify(this.header, STATE);
        continue;
      }
      const waiting = Atomics.waitAsync(this.header, STATE, state);
      if (waiting.async) await waiting.value;
    }
  }

  /** Stops serving; a caller waiting or calling later gets EIO. */
  close(): void {
    Atomics.store(this.header, STATE, CLOSED);
    Atomics.notify(this.header, STATE);
  }

  private put(message: CallMessage): void {
    const json = encoder.encode(JSON.stringify(message.value, withBigInts));
    const bytes = message.bytes ?? new Uint8Array(0);
    if (json.length + bytes.length > this.data.length) {
      throw new ErrnoError('IO', `a message of ${json.length + bytes.length} bytes does not fit the channel's ${this.data.length}`);
    }
    this.data.set(json, 0);
    this.data.set(bytes, json.length);
    Atomics.store(this.header, JSON_LENGTH, json.length);
    Atomics.store(this.header, BYTES_LENGTH, bytes.length);
  }

  private take(): CallMessage {
    const jsonLength = Atomics.load(this.header, JSON_LENGTH);
    const bytesLength = Atomics.load(this.header, BYTES_LENGTH);
    const value = JSON.parse(decoder.decode(this.data.slice(0, jsonLength)), toBigInts) as unknown;
    return bytesLength === 0 ? { value } : { value, bytes: this.data.slice(jsonLength, jsonLength + bytesLength) };
  }
}

/** An answer, or the error the handler threw, as a message. */
async function answer(handler: CallHandler, request: CallMessage): Promise<CallMessage> {
  try {
    return success(await handler(request));
  } catch (error) {
    return failure(error);
  }
}

/** A handler's answer, as a reply. */
function success(reply: CallMessage): CallMessage {
  return { value: { ok: reply.value }, ...(reply.bytes && { bytes: reply.bytes }) };
}

/** The error a handler threw, as a reply: an ErrnoError as itself, anything else as EIO. */
function failure(error: unknown): CallMessage {
  if (error instanceof ErrnoError) return { value: { errno: error.errno, detail: error.detail, denial: error.denial } };
  const message = error instanceof Error ? error.message : String(error);
  return { value: { errno: 'IO', detail: `the host failed to answer: ${message}` } };
}

/** The answer of a reply message, or its error thrown again on the caller's side. */
function decodeReply(reply: CallMessage): CallMessage {
  const value = reply.value as { ok?: unknown; errno?: ErrnoName; detail?: string; denial?: DenialReason };
  if (value.errno !== undefined) throw new ErrnoError(value.errno, value.detail ?? undefined, value.denial ?? undefined);
  return { value: value.ok, ...(reply.bytes && { bytes: reply.bytes }) };
}

/**
 * A transport that calls HANDLER directly, through the same encoding: for
 * tests and single-threaded use, so HANDLER must answer at once.
 */
export function directTransport(handler: (request: CallMessage) => CallMessage): CallTransport {
  return (request) => decodeReply(roundTrip(answerNow(handler, roundTrip(request))));
}

function answerNow(handler: (request: CallMessage) => CallMessage, request: CallMessage): CallMessage {
  try {
    return success(handler(request));
  } catch (error) {
    return failure(error);
  }
}

function roundTrip(message: CallMessage): CallMessage {
  const value = JSON.parse(JSON.stringify(message.value, withBigInts), toBigInts) as unknown;
  return message.bytes ? { value, bytes: message.bytes.slice() } : { value };
}

function withBigInts(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? { $bigint: value.toString() } : value;
}

function toBigInts(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$bigint' in value) return BigInt((value as { $bigint: string }).$bigint);
  return value;
}

import type { BrokerEvent, BrokerRequest, NetworkTransport } from '../../src/wasi/common/network-protocol.js';

/** A network broker that answers only with the events a test queues, and keeps what it was asked. */
export class FakeBroker implements NetworkTransport {
  readonly posted: BrokerRequest[] = [];
  readonly events: BrokerEvent[] = [];
  closed = false;
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));

  post(request: BrokerRequest): void {
    this.posted.push(request);
  }

  receive(): BrokerEvent | undefined {
    return this.events.shift();
  }

  /** Nothing arrives while a test's thread waits: it just passes the time. */
  wait(ms: number): void {
    Atomics.wait(this.cell, 0, 0, ms);
  }

  close(): void {
    this.closed = true;
  }
}

import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { BrokerEvent, BrokerRequest, NetworkTransport } from '../../wasi/common/network-protocol.js';
import { startWorker } from '../host/start-worker.js';

/** Broker threads not yet exited: each belongs to one run and ends with it. */
const running = new Set<Worker>();

/** How many broker threads are running (none once every run that used the network has ended). */
export function runningBrokers(): number {
  return running.size;
}

/**
 * A run's way to its network broker on Node: a worker thread of its own,
 * started on the run's first network request and stopped when the run
 * ends. Requests are posted on a MessagePort; the guest's thread waits for
 * events with `Atomics.wait` on a shared cell the broker bumps, and takes
 * them with `receiveMessageOnPort`, so it can block while the broker's
 * event loop does the I/O.
 */
export class BrokerTransport implements NetworkTransport {
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  /** The cell's value when a `receive` last found nothing. */
  private seen = 0;
  private closed = false;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = startWorker(import.meta.url, '../network/broker-worker', {
      workerData: { port: port2, signal: this.signal },
      transferList: [port2],
    });
    const worker = this.worker;
    running.add(worker);
    worker.once('exit', () => running.delete(worker));
    // Never keeps the process alive: the run that owns it stops it.
    worker.unref();
  }

  post(request: BrokerRequest): void {
    if (!this.closed) this.port.postMessage(request);
  }

  receive(): BrokerEvent | undefined {
    const counter = Atomics.load(this.signal, 0);
    const message = receiveMessageOnPort(this.port);
    if (message !== undefined) return message.message as BrokerEvent;
    this.seen = counter;
    return undefined;
  }

  wait(ms: number): void {
    Atomics.wait(this.signal, 0, this.seen, ms);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}

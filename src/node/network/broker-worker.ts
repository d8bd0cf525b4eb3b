import { workerData, type MessagePort } from 'node:worker_threads';
import type { BrokerRequest } from '../../wasi/common/network-protocol.js';
import { Broker } from './broker.js';

/**
 * The broker's thread: takes requests from the run's port and posts events
 * back, bumping the shared cell after each so the run's thread, blocked in
 * `Atomics.wait`, wakes and reads them with `receiveMessageOnPort`.
 */
const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };

const broker = new Broker((event, transfer) => {
  port.postMessage(event, transfer ?? []);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});

port.on('message', (request: BrokerRequest) => broker.handle(request));
// The run ended: its side closed the port.
port.on('close', () => {
  broker.closeAll();
  process.exit(0);
});

import { sendWindow, type Connection, type NetworkClient } from '../common/network-client.js';
import { errnoError } from '../../errno.js';
import { streamFailure } from './network-errors.js';
import { InputStream, OutputStream } from './streams.js';

/**
 * The input stream of a connection or HTTP response: what the broker
 * received, read without waiting by `read` and with waiting by
 * `blocking-read`; the end when the other side finished, an I/O error when
 * the connection failed.
 */
export function connectionInput(connection: Connection, client: NetworkClient): InputStream {
  return new InputStream({
    read: (max) => {
      client.waitFor(() => connection.readable);
      const chunk = connection.take(max);
      if (chunk.length === 0 && connection.failure !== undefined && !connection.receiveStopped) throw streamFailure(connection.failure);
      return chunk;
    },
    readiness: { ready: () => connection.readable, waiter: client },
  });
}

/**
 * The output stream of a connection: writes are handed to the broker at once
 * (up to its send window, as `check-write` says), and a blocking flush waits
 * until they were written to the network.
 */
export function connectionOutput(connection: Connection, client: NetworkClient): OutputStream {
  const room = () => {
    client.pump();
    return connection.failure !== undefined ? 0 : Math.max(0, sendWindow - connection.unsent);
  };
  return new OutputStream({
    write: (data) => {
      client.pump();
      if (connection.failure !== undefined) throw streamFailure(connection.failure);
      if (connection.sendFinished) throw errnoError('PIPE', 'the sending side was shut down');
      connection.send(data);
    },
    queue: {
      room,
      readiness: { ready: () => room() > 0 || connection.failure !== undefined, waiter: client },
      flush: () => {
        client.waitFor(() => connection.unsent <= 0 || connection.failure !== undefined);
        if (connection.failure !== undefined) throw streamFailure(connection.failure);
      },
    },
  });
}

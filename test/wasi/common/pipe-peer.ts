/**
 * The other end of a pipe in a worker thread, for the pipe tests: it
 * produces or consumes as `workerData` says and posts what it saw.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ErrnoError } from '../../../src/errno.js';
import { Pipe } from '../../../src/wasi/common/pipe.js';

export interface PeerTask {
  readonly buffer: SharedArrayBuffer;
  /** `produce`: write TOTAL bytes of the test pattern then close; `yes`: write `y\n` until the reader goes; `consume`: read to the end. */
  readonly role: 'produce' | 'yes' | 'consume';
  readonly total?: number;
  readonly chunk?: number;
}

export interface PeerReport {
  readonly bytes: number;
  readonly sum: number;
  readonly error?: string;
}

/** Byte I of the test pattern: not periodic in any power of two, so a misplaced chunk changes the sum. */
export function patternByte(i: number): number {
  return (i * 31 + (i >>> 9)) & 0xff;
}

/** Runs TASK on its end of the pipe and reports what it wrote or read. */
function run(task: PeerTask): PeerReport {
  const pipe = new Pipe(task.buffer);
  let bytes = 0;
  let sum = 0;
  let error: string | undefined;
  try {
    if (task.role === 'consume') {
      for (let chunk = pipe.read(task.chunk ?? 65536); chunk.length > 0; chunk = pipe.read(task.chunk ?? 65536)) {
        for (const byte of chunk) sum = (sum * 33 + byte) >>> 0;
        bytes += chunk.length;
      }
      pipe.closeReader();
    } else if (task.role === 'produce') {
      const chunkSize = task.chunk ?? 65536;
      for (let at = 0; at < task.total!; at += chunkSize) {
        const chunk = Uint8Array.from({ length: Math.min(chunkSize, task.total! - at) }, (_, k) => patternByte(at + k));
        pipe.write(chunk);
        bytes += chunk.length;
      }
      pipe.closeWriter();
    } else {
      const line = new TextEncoder().encode('y\n');
      for (;;) {
        pipe.write(line);
        bytes += line.length;
      }
    }
  } catch (thrown) {
    error = thrown instanceof ErrnoError ? thrown.errno : String(thrown);
  }
  return { bytes, sum, ...(error && { error }) };
}

// Imported by the test for its helpers; runs only as the worker.
if (!isMainThread) parentPort!.postMessage(run(workerData as PeerTask));

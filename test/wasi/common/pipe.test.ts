import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrnoError } from '../../../src/errno.js';
import type { BlockingWait } from '../../../src/limits/blocking-wait.js';
import { startWorker } from '../../../src/node/host/start-worker.js';
import { Pipe } from '../../../src/wasi/common/pipe.js';
import { patternByte, type PeerReport, type PeerTask } from './pipe-peer.js';

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
});

/** The other end of PIPE in a worker thread; resolves with what it reports when done. */
function peer(pipe: Pipe, task: Omit<PeerTask, 'buffer'>): Promise<PeerReport> {
  const worker = startWorker(import.meta.url, './pipe-peer', { workerData: { ...task, buffer: pipe.buffer } });
  workers.push(worker);
  return once(worker, 'message').then(([report]) => report as PeerReport);
}

function checksum(bytes: Iterable<number>, start = 0): number {
  let sum = start;
  for (const byte of bytes) sum = (sum * 33 + byte) >>> 0;
  return sum;
}

function patternSum(total: number): number {
  let sum = 0;
  for (let i = 0; i < total; i++) sum = (sum * 33 + patternByte(i)) >>> 0;
  return sum;
}

/** A run's deadline MS from now, as the run limiter gives it to host calls that wait. */
function deadlineIn(ms: number): BlockingWait {
  const deadline = performance.now() + ms;
  return {
    deadline,
    checkpoint: (detail) => {
      if (performance.now() >= deadline) throw new Error(`deadline passed${detail}`);
    },
  };
}

describe('a pipe between threads', () => {
  it('carries 8 MiB through 4 KiB in order, from a blocking writer to a reader that does not block its thread', async () => {
    const total = 8 * 1024 * 1024;
    const pipe = new Pipe(4096);
    const producer = peer(pipe, { role: 'produce', total, chunk: 10_000 });
    let sum = 0;
    let bytes = 0;
    for (let chunk = await pipe.readAsync(7000); chunk.length > 0; chunk = await pipe.readAsync(7000)) {
      sum = checksum(chunk, sum);
      bytes += chunk.length;
    }
    expect(await producer).toEqual({ bytes: total, sum: 0 });
    expect([bytes, sum]).toEqual([total, patternSum(total)]);
  });

  it('carries bytes from a writer that does not block its thread to a blocking reader', async () => {
    const total = 1024 * 1024 + 17;
    const pipe = new Pipe(1000);
    const consumer = peer(pipe, { role: 'consume', chunk: 333 });
    const data = Uint8Array.from({ length: total }, (_, i) => patternByte(i));
    for (let at = 0; at < total; at += 65_536) await pipe.writeAsync(data.subarray(at, at + 65_536));
    pipe.closeWriter();
    expect(await consumer).toEqual({ bytes: total, sum: patternSum(total) });
  });

  it('attack: `yes | head -2`: a producer that never stops ends with EPIPE as soon as its reader closes, having run ahead by no more than the pipe holds', async () => {
    const pipe = new Pipe(4096);
    const yes = peer(pipe, { role: 'yes' });
    let head = '';
    while (head.length < 4) head += new TextDecoder().decode(await pipe.readAsync(4 - head.length));
    expect(head).toBe('y\ny\n');
    const closedAt = performance.now();
    pipe.closeReader();
    const report = await yes;
    expect(report.error).toBe('PIPE');
    expect(performance.now() - closedAt).toBeLessThan(1000);
    expect(report.bytes).toBeLessThanOrEqual(4096 + 4 + 2);
  });

  it('gives the reader what was buffered, then end of input, once the writer closes', () => {
    const pipe = new Pipe(16);
    pipe.write(new TextEncoder().encode('last words'));
    pipe.closeWriter();
    expect(new TextDecoder().decode(pipe.read(100))).toBe('last words');
    expect(pipe.read(100)).toEqual(new Uint8Array(0));
  });

  it('fails a write with EPIPE once the reader closed, even with room left', () => {
    const pipe = new Pipe(16);
    pipe.closeReader();
    expect(() => pipe.write(new Uint8Array(1))).toThrow(ErrnoError);
    try {
      pipe.write(new Uint8Array(1));
    } catch (error) {
      expect((error as ErrnoError).errno).toBe('PIPE');
    }
  });

  it('attack: a read of a pipe nobody writes, or a write to one nobody reads, ends at the run deadline', () => {
    const pipe = new Pipe(8);
    const started = performance.now();
    expect(() => pipe.read(1, deadlineIn(120))).toThrow('deadline passed (while reading a pipe)');
    expect(() => pipe.write(new Uint8Array(100), deadlineIn(120))).toThrow('deadline passed (while writing a pipe)');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(230);
    expect(elapsed).toBeLessThan(2000);
  });

  it('aborts an asynchronous wait when its signal is aborted', async () => {
    const pipe = new Pipe(8);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled')), 50);
    await expect(pipe.readAsync(1, controller.signal)).rejects.toThrow('cancelled');
  });

  it('refuses a capacity it cannot hold', () => {
    expect(() => new Pipe(0)).toThrow(RangeError);
    expect(() => new Pipe(2 ** 31)).toThrow(RangeError);
  });
});

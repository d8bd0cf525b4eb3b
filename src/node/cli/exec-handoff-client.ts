import { fstatSync, lstatSync, readSync, type Stats } from 'node:fs';
import type { Socket } from 'node:net';
import { isatty } from 'node:tty';
import { writeAllSync, writeTextSync, type StdinRead } from '../platform/host-stdio.js';
import { tryNonBlockingFd } from '../platform/non-blocking-fd.js';
import { encodeFrame, FrameReader, joinChunks, maxFrameBytes, type HandoffRequest, type HandoffResult } from './handoff-frames.js';
import { connectToServer, handoffFolderProblem, handoffSocketPath } from './handoff-socket.js';

/** How a hand-off went: the run's exit status, or run it here (with what was read of stdin already). */
export type HandoffOutcome = { readonly exitCode: number } | { readonly local: StdinRead | undefined };

/**
 * `goodbot exec` handed to a running `goodbot serve` (see docs/architecture.md,
 * "A quick CLI"): a cold `goodbot exec` spends most of its time loading
 * goodbot, a server has it loaded with programs compiled. The server runs
 * the command line as this process would (its flags, this folder, this
 * environment) and streams the guest's output back. Handed off only when it
 * can be done without changing what the guest sees: stdin a terminal, or a
 * pipe or socket still open, is this process's to read as the guest goes, so those
 * runs stay here, as do runs when no server answers, `GOODBOT_HANDOFF=off`,
 * or the socket's folder is not this user's alone. This module loads only
 * what the hand-off needs.
 */
export async function handOffExec(argv: readonly string[]): Promise<HandoffOutcome> {
  if (process.env['GOODBOT_HANDOFF'] === 'off') return { local: undefined };
  const socket = handoffSocketPath();
  if (handoffFolderProblem(socket) !== undefined || !isSocket(socket)) return { local: undefined };
  const stdin = readStdinWhole();
  if (stdin === 'interactive' || !stdin.ended) return { local: stdin === 'interactive' ? undefined : stdin };
  const request: HandoffRequest = {
    argv,
    cwd: process.cwd(),
    env: Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    terminal: { stdin: false, stdout: isatty(1), stderr: isatty(2) },
    stdin: stdin.bytes.length > 0 ? 'bytes' : 'empty',
  };
  const connection = await connectToServer(socket);
  if (connection === undefined) return { local: stdin };
  connection.write(encodeFrame('request', JSON.stringify(request)));
  if (request.stdin === 'bytes') connection.write(encodeFrame('stdin', stdin.bytes));
  return converse(connection, stdin);
}

function isSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}

/**
 * All of stdin when it can be had without waiting: empty (closed, /dev/null),
 * a file (read from its current offset), or a pipe or socket whose writer
 * already closed it. A terminal, or more than a frame's worth, is
 * 'interactive'; a pipe or socket still open gives what was read of it, not
 * ended, for the local run (which reads on through the same non-blocking fd).
 */
function readStdinWhole(): StdinRead | 'interactive' {
  let stats: Stats;
  try {
    stats = fstatSync(0);
  } catch {
    return { bytes: new Uint8Array(0), ended: true };
  }
  if (isatty(0)) return 'interactive';
  if (stats.isCharacterDevice()) return { bytes: new Uint8Array(0), ended: true };
  if (stats.isFile()) return stats.size > maxFrameBytes ? 'interactive' : readUntilWaiting(0);
  if (!stats.isFIFO() && !stats.isSocket()) return 'interactive';
  // Read without blocking: EAGAIN where the guest would wait.
  const reader = tryNonBlockingFd(0, 'read');
  return reader === undefined ? 'interactive' : readUntilWaiting(reader);
}

function readUntilWaiting(fd: number): StdinRead {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const buffer = new Uint8Array(65536);
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      return { bytes: joinChunks(chunks, size), ended: false };
    }
    if (n === 0) return { bytes: joinChunks(chunks, size), ended: true };
    chunks.push(buffer.subarray(0, n));
    size += n;
    if (size > maxFrameBytes) return { bytes: joinChunks(chunks, size), ended: false };
  }
}

/** Prints what the server sends, as the local run would have, until its result. */
function converse(connection: Socket, stdin: StdinRead): Promise<HandoffOutcome> {
  const reader = new FrameReader();
  let midLine = false;
  let settled = false;
  return new Promise((resolve) => {
    const settle = (outcome: HandoffOutcome) => {
      if (settled) return;
      settled = true;
      connection.destroy();
      resolve(outcome);
    };
    connection.on('data', (chunk: Buffer) => {
      try {
        for (const { kind, payload } of reader.push(chunk)) {
          if (kind === 'stdout' || kind === 'stderr') {
            writeAllSync(kind === 'stdout' ? 1 : 2, payload);
            if (payload.length > 0) midLine = payload[payload.length - 1] !== 0x0a;
          } else if (kind === 'local') {
            settle({ local: stdin });
          } else if (kind === 'result') {
            const result = JSON.parse(new TextDecoder().decode(payload)) as HandoffResult;
            if (result.stdout !== undefined) writeTextSync(1, result.stdout);
            if (result.stderr !== undefined) writeTextSync(2, result.stderr);
            if (result.terminalLine !== undefined && isatty(2)) writeTextSync(2, `${midLine ? '\n' : ''}${result.terminalLine}\n`);
            settle({ exitCode: result.exitCode });
          }
        }
      } catch (error) {
        // A reader gone (EPIPE: `goodbot exec … | head`) ends the run: the server cancels it when this connection closes.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EPIPE') writeTextSync(2, `goodbot: the hand-off to goodbot serve failed: ${(error as Error).message}\n`);
        settle({ exitCode: code === 'EPIPE' ? 141 : 125 });
      }
    });
    connection.on('close', () => {
      if (settled) return;
      writeTextSync(2, 'goodbot: goodbot serve went away before the run ended (its output may be partial)\n');
      settle({ exitCode: 125 });
    });
    connection.on('error', () => undefined);
  });
}

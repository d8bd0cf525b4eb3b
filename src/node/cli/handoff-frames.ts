/**
 * The frames `goodbot exec` and `goodbot serve` exchange on the hand-off
 * socket: a kind byte, a 4-byte big-endian length, then that many bytes.
 * The client sends `request` (JSON: {@link HandoffRequest}), then `stdin`
 * (all of it, when the request says so); the server answers with `stdout`
 * and `stderr` chunks as the guest writes them, then `result` (JSON:
 * {@link HandoffResult}), or at once `local` when the run must not be
 * handed off (the client runs it itself).
 */
export const frameKinds = { request: 1, stdin: 2, stdout: 3, stderr: 4, result: 5, local: 6 } as const;

export type FrameKind = keyof typeof frameKinds;

/** The largest frame either side accepts: stdin handed off whole is at most this. */
export const maxFrameBytes = 16 * 1024 * 1024;

export interface HandoffRequest {
  /** The words after `goodbot exec`. */
  readonly argv: readonly string[];
  /** The client's working folder: relative paths on the command line are taken from it. */
  readonly cwd: string;
  /** The client's environment: the policy's `env` grants and `env:` secrets draw from it. */
  readonly env: Readonly<Record<string, string>>;
  /** Which of the client's stdin, stdout and stderr are terminals. */
  readonly terminal: { readonly stdin: boolean; readonly stdout: boolean; readonly stderr: boolean };
  /** `bytes`: a `stdin` frame follows with all of stdin; `empty`: stdin is empty (or /dev/null). */
  readonly stdin: 'bytes' | 'empty';
}

/** How a handed-off run ended, rendered as the client prints it. */
export interface HandoffResult {
  readonly exitCode: number;
  /** Text for the client's stdout (`--json`'s result). */
  readonly stdout?: string;
  /** Text for the client's stderr (goodbot's error message). */
  readonly stderr?: string;
  /** goodbot's line on how the run ended, printed only when stderr is a terminal. */
  readonly terminalLine?: string;
}

export function encodeFrame(kind: FrameKind, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const frame = new Uint8Array(5 + body.length);
  frame[0] = frameKinds[kind];
  new DataView(frame.buffer).setUint32(1, body.length);
  frame.set(body, 5);
  return frame;
}

const kindNames = new Map<number, FrameKind>(Object.entries(frameKinds).map(([name, code]) => [code, name as FrameKind]));

/** Splits a byte stream into frames; a frame of an unknown kind or past {@link maxFrameBytes} is an error. */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private size = 0;
  /** Bytes needed before the next frame can be read: its header, then all of it (chunks are joined once per frame). */
  private needed = 5;

  /** The frames CHUNK completes, in order. */
  push(chunk: Uint8Array): { kind: FrameKind; payload: Uint8Array }[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size < this.needed) return [];
    const joined = this.chunks.length === 1 ? this.chunks[0]! : joinChunks(this.chunks, this.size);
    const frames: { kind: FrameKind; payload: Uint8Array }[] = [];
    let offset = 0;
    this.needed = 5;
    while (joined.length - offset >= 5) {
      const kind = kindNames.get(joined[offset]!);
      const length = new DataView(joined.buffer, joined.byteOffset + offset + 1, 4).getUint32(0);
      if (kind === undefined) throw new Error(`hand-off frame of unknown kind ${joined[offset]}`);
      if (length > maxFrameBytes) throw new Error(`hand-off frame of ${length} bytes (at most ${maxFrameBytes})`);
      if (joined.length - offset - 5 < length) {
        this.needed = 5 + length;
        break;
      }
      frames.push({ kind, payload: joined.slice(offset + 5, offset + 5 + length) });
      offset += 5 + length;
    }
    const rest = joined.subarray(offset);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
    return frames;
  }
}

/** CHUNKS (SIZE bytes in all) as one array. */
export function joinChunks(chunks: readonly Uint8Array[], size: number): Uint8Array {
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

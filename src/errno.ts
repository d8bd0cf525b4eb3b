import type { DenialReason } from './policy/types.js';

/**
 * WASI's errno: the error vocabulary of everything a guest calls (zones,
 * streams, clocks, sockets, HTTP), as preview1's errno names.
 *
 * Volumes and the WASI host throw {@link ErrnoError}s carrying one of these
 * names; the preview1 face turns them into errno numbers and the preview2
 * face into `error-code` strings.
 */
export const Errno = {
  SUCCESS: 0,
  '2BIG': 1,
  ACCES: 2,
  ADDRINUSE: 3,
  ADDRNOTAVAIL: 4,
  AFNOSUPPORT: 5,
  AGAIN: 6,
  ALREADY: 7,
  BADF: 8,
  BADMSG: 9,
  BUSY: 10,
  CANCELED: 11,
  CHILD: 12,
  CONNABORTED: 13,
  CONNREFUSED: 14,
  CONNRESET: 15,
  DEADLK: 16,
  DESTADDRREQ: 17,
  DOM: 18,
  DQUOT: 19,
  EXIST: 20,
  FAULT: 21,
  FBIG: 22,
  HOSTUNREACH: 23,
  IDRM: 24,
  ILSEQ: 25,
  INPROGRESS: 26,
  INTR: 27,
  INVAL: 28,
  IO: 29,
  ISCONN: 30,
  ISDIR: 31,
  LOOP: 32,
  MFILE: 33,
  MLINK: 34,
  MSGSIZE: 35,
  MULTIHOP: 36,
  NAMETOOLONG: 37,
  NETDOWN: 38,
  NETRESET: 39,
  NETUNREACH: 40,
  NFILE: 41,
  NOBUFS: 42,
  NODEV: 43,
  NOENT: 44,
  NOEXEC: 45,
  NOLCK: 46,
  NOLINK: 47,
  NOMEM: 48,
  NOMSG: 49,
  NOPROTOOPT: 50,
  NOSPC: 51,
  NOSYS: 52,
  NOTCONN: 53,
  NOTDIR: 54,
  NOTEMPTY: 55,
  NOTRECOVERABLE: 56,
  NOTSOCK: 57,
  NOTSUP: 58,
  NOTTY: 59,
  NXIO: 60,
  OVERFLOW: 61,
  OWNERDEAD: 62,
  PERM: 63,
  PIPE: 64,
  PROTO: 65,
  PROTONOSUPPORT: 66,
  PROTOTYPE: 67,
  RANGE: 68,
  ROFS: 69,
  SPIPE: 70,
  SRCH: 71,
  STALE: 72,
  TIMEDOUT: 73,
  TXTBSY: 74,
  XDEV: 75,
  NOTCAPABLE: 76,
} as const;

export type ErrnoName = Exclude<keyof typeof Errno, 'SUCCESS'>;

/**
 * A failed operation of the guest's (filesystem, stream, socket, clock).
 * Thrown by volumes and the WASI host, caught by the faces; it never reaches
 * the guest as a JS exception. A `denial` marks refusals made by the policy,
 * which the WASI host audits.
 */
export class ErrnoError {
  constructor(
    readonly errno: ErrnoName,
    readonly detail?: string,
    readonly denial?: DenialReason,
  ) {}

  toString(): string {
    return `E${this.errno}${this.detail ? `: ${this.detail}` : ''}`;
  }
}

export function errnoError(errno: ErrnoName, detail?: string): ErrnoError {
  return new ErrnoError(errno, detail);
}

export function denied(errno: ErrnoName, reason: DenialReason, detail?: string): ErrnoError {
  return new ErrnoError(errno, detail, reason);
}

const hostCodeAliases: Record<string, ErrnoName> = {
  EWOULDBLOCK: 'AGAIN',
  EOPNOTSUPP: 'NOTSUP',
  EDEADLOCK: 'DEADLK',
  ENOTBLK: 'INVAL',
};

/**
 * Converts an error thrown by a host filesystem (Node's `fs`, memfs) into an
 * {@link ErrnoError}. Anything that is not a filesystem error is rethrown: it is a
 * bug or a stack overflow, and must not be disguised as an errno.
 */
export function toErrnoError(error: unknown): ErrnoError {
  if (error instanceof ErrnoError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('E')) {
    const alias = hostCodeAliases[code];
    if (alias) return new ErrnoError(alias);
    const name = code.slice(1);
    if (name in Errno && name !== 'SUCCESS') return new ErrnoError(name as ErrnoName);
    return new ErrnoError('IO', code);
  }
  throw error;
}

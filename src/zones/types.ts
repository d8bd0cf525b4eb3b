/** Kinds of filesystem objects, named as in `wasi:filesystem/types`. */
export type FileType = 'unknown' | 'block-device' | 'character-device' | 'directory' | 'fifo' | 'symbolic-link' | 'regular-file' | 'socket';

/** Metadata of a filesystem object; times are nanoseconds since the Unix epoch. */
export interface FileStat {
  dev: bigint;
  ino: bigint;
  type: FileType;
  nlink: bigint;
  size: bigint;
  atimNs: bigint;
  mtimNs: bigint;
  ctimNs: bigint;
}

export interface DirEntry {
  name: string;
  type: FileType;
  ino: bigint;
}

/** A new value for a timestamp: leave it, set it to now, or set it to a time. */
export type TimeChange = undefined | 'now' | bigint;

/** What `openAt` should do; mirrors `path_open`'s oflags, fdflags and rights. */
export interface OpenRequest {
  /** Follow a symlink in the final component. */
  follow: boolean;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  /** The result must be a directory. */
  directory: boolean;
  read: boolean;
  write: boolean;
}

export const readOnlyOpen: OpenRequest = {
  follow: true,
  create: false,
  exclusive: false,
  truncate: false,
  directory: false,
  read: true,
  write: false,
};

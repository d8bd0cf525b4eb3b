import { ErrnoError } from '../errno.js';
import { FixedFolderStore } from './fixed-folder.js';
import type { DirEntry, FileStat } from './types.js';
import type { FileOpenMode, FolderStore } from './folder-store.js';

/** What the devices read from and write to: the run's own streams and random bytes (structurally the WASI host's). */
export interface DeviceStreams {
  readonly stdin: { read(max: number): Uint8Array };
  readonly stdout: { write(data: Uint8Array): void };
  readonly stderr: { write(data: Uint8Array): void };
  readonly random: { fill(into: Uint8Array): void };
}

/** The devices of `/dev`, as tools and scripts expect them. */
export const deviceNames = ['null', 'zero', 'full', 'random', 'urandom', 'stdin', 'stdout', 'stderr'] as const;
export type DeviceName = (typeof deviceNames)[number];

/** The one directory. */
const folder = { device: undefined } as const;
type DeviceFolder = typeof folder;
/** An open device. */
interface DeviceHandle {
  readonly device: DeviceName;
}

const isDevice = (name: string): name is DeviceName => (deviceNames as readonly string[]).includes(name);

/**
 * `/dev` for a run: character devices backed by nothing of the host. `null`
 * swallows writes and reads as empty, `zero` reads zeros, `full` reads zeros
 * and refuses writes with `ENOSPC`, `random`/`urandom` read the run's random
 * bytes (seeded in deterministic runs), and `stdin`/`stdout`/`stderr` are
 * the run's own streams (so output through them meets the same output cap).
 * Nothing can be created, removed or changed in it. Platform-neutral.
 */
export class DeviceFolderStore extends FixedFolderStore implements FolderStore<DeviceFolder, DeviceHandle> {
  readonly holdsDevices = true;
  private readonly createdNs = BigInt(Date.now()) * 1_000_000n;

  constructor(private readonly streams: DeviceStreams) {
    super();
  }

  openRoot(): DeviceFolder {
    return folder;
  }

  lstatAt(_dir: DeviceFolder, name: string): FileStat | undefined {
    if (name === '.') return this.stat(0n, 'directory');
    if (!isDevice(name)) return undefined;
    return this.stat(BigInt(deviceNames.indexOf(name) + 1), 'character-device');
  }

  openDirAt(_dir: DeviceFolder, name: string): DeviceFolder {
    if (name === '.') return folder;
    throw new ErrnoError(isDevice(name) ? 'NOTDIR' : 'NOENT');
  }

  openFileAt(_dir: DeviceFolder, name: string, mode: FileOpenMode): DeviceHandle {
    if (!isDevice(name)) throw new ErrnoError(mode.create ? 'ROFS' : 'NOENT');
    if (mode.exclusive) throw new ErrnoError('EXIST');
    return { device: name };
  }

  readDir(): DirEntry[] {
    return deviceNames.map((name, i) => ({ name, type: 'character-device', ino: BigInt(i + 1) }));
  }

  statDir(): FileStat {
    return this.stat(0n, 'directory');
  }

  statFile(file: DeviceHandle): FileStat {
    return this.stat(BigInt(deviceNames.indexOf(file.device) + 1), 'character-device');
  }

  read(file: DeviceHandle, into: Uint8Array): number {
    switch (file.device) {
      case 'null':
        return 0;
      case 'zero':
      case 'full':
        into.fill(0);
        return into.length;
      case 'random':
      case 'urandom':
        this.streams.random.fill(into);
        return into.length;
      case 'stdin': {
        const chunk = this.streams.stdin.read(into.length);
        into.set(chunk);
        return chunk.length;
      }
      default:
        throw new ErrnoError('BADF', `/dev/${file.device} is for writing`);
    }
  }

  write(file: DeviceHandle, data: Uint8Array): number {
    switch (file.device) {
      case 'full':
        throw new ErrnoError('NOSPC', '/dev/full is always full');
      case 'stdin':
        throw new ErrnoError('BADF', '/dev/stdin is for reading');
      case 'stdout':
        this.streams.stdout.write(data);
        return data.length;
      case 'stderr':
        this.streams.stderr.write(data);
        return data.length;
      default:
        return data.length;
    }
  }

  setSize(): void {
    throw new ErrnoError('INVAL', 'a device has no size');
  }

  setFileTimes(): void {
    throw new ErrnoError('ROFS');
  }

  syncFile(): void {}

  closeFile(): void {}

  private stat(ino: bigint, type: 'directory' | 'character-device'): FileStat {
    const time = this.createdNs;
    return { dev: 1n, ino, type, nlink: type === 'directory' ? 2n : 1n, size: 0n, atimNs: time, mtimNs: time, ctimNs: time };
  }
}

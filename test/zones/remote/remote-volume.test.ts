import { Volume as MemoryFs } from 'memfs';
import { describe, expect, it } from 'vitest';
import { ErrnoError } from '../../../src/errno.js';
import { Authority } from '../../../src/policy/authority.js';
import type { Denial, ZoneSpec } from '../../../src/policy/types.js';
import { DescriptorBudget } from '../../../src/zones/descriptor-budget.js';
import type { FolderStore } from '../../../src/zones/folder-store.js';
import { MemoryFolderStore } from '../../../src/zones/memory-folder.js';
import { directTransport } from '../../../src/zones/remote/call-channel.js';
import { RemoteVolume } from '../../../src/zones/remote/remote-volume.js';
import { VolumeServer } from '../../../src/zones/remote/volume-server.js';
import { readOnlyOpen, type OpenRequest } from '../../../src/zones/types.js';
import type { Volume, ZoneDir, ZoneFile } from '../../../src/zones/volume.js';
import { ZoneVolume } from '../../../src/zones/zone-volume.js';

const writeNew: OpenRequest = { ...readOnlyOpen, create: true, write: true, read: true };
const zone = (name: string, access: 'ro' | 'rw', guestPath: string, quotaBytes: number): ZoneSpec => ({
  name,
  kind: 'memory',
  access,
  guestPath,
  quotaBytes,
});
const encoder = new TextEncoder();

/** Two zones (rw and ro), mounted here, and the same two served to a remote side. */
function mounted(budget = new DescriptorBudget(64), quotaBytes = 1 << 20) {
  const denials: Denial[] = [];
  const authority = new Authority((denial) => denials.push(denial));
  const volumes = [zone('work', 'rw', '/work', quotaBytes), zone('docs', 'ro', '/docs', quotaBytes)].map((spec) => {
    const store = new MemoryFolderStore(MemoryFs) as FolderStore<unknown, unknown>;
    return new ZoneVolume(spec, store, authority, { descriptors: budget });
  });
  const server = new VolumeServer();
  const transport = directTransport((message) => server.handle(message));
  const remote = server.mount(volumes).map((mount) => new RemoteVolume(mount, transport));
  return { volumes, remote, server, denials };
}

/** What a call gives: its value, or the errno and denial it failed with. */
function outcome<T>(call: () => T): T | { errno: string; denial?: string } {
  try {
    return call();
  } catch (error) {
    if (!(error instanceof ErrnoError)) throw error;
    return { errno: error.errno, ...(error.denial && { denial: error.denial }) };
  }
}

/** A script of calls a guest makes, against [work, docs]. */
function script([work, docs]: Volume[]): unknown[] {
  const results: unknown[] = [];
  const step = <T>(call: () => T) => results.push(outcome(call));
  step(() => work!.createDirectoryAt(work!.root, 'src'));
  const file = work!.openAt(work!.root, 'src/a.txt', writeNew) as ZoneFile;
  step(() => work!.write(file, encoder.encode('hello world'), 0));
  step(() => work!.append(file, encoder.encode('!')));
  const into = new Uint8Array(64);
  step(() => [work!.read(file, into, 6), new TextDecoder().decode(into.subarray(0, 6))]);
  step(() => work!.setSize(file, 5));
  step(() => work!.stat(file).size);
  work!.close(file);
  step(() => work!.read(file, into, 0));
  step(() => work!.statAt(work!.root, 'src/a.txt', true).type);
  step(() => work!.symlinkAt('a.txt', work!.root, 'src/link'));
  step(() => work!.readlinkAt(work!.root, 'src/link'));
  step(() => work!.symlinkAt('../../../etc/passwd', work!.root, 'src/escape'));
  step(() => work!.openAt(work!.root, '../outside', readOnlyOpen));
  step(() => work!.linkAt(work!.root, 'src/a.txt', false, work!.root, 'src/b.txt'));
  step(() => work!.renameAt(work!.root, 'src/b.txt', work!.root, 'c.txt'));
  step(() => work!.renameAt(work!.root, 'c.txt', docs!.root, 'c.txt'));
  step(() => docs!.createDirectoryAt(docs!.root, 'new'));
  step(() => docs!.openAt(docs!.root, 'x', writeNew));
  step(() =>
    work!
      .readDir(work!.root)
      .map((entry) => `${entry.name}:${entry.type}`)
      .sort(),
  );
  const dir = work!.openAt(work!.root, 'src', { ...readOnlyOpen, directory: true }) as ZoneDir;
  step(() =>
    work!
      .readDir(dir)
      .map((entry) => entry.name)
      .sort(),
  );
  step(() => work!.unlinkFileAt(dir, 'link'));
  step(() => work!.removeDirectoryAt(work!.root, 'src'));
  step(() => work!.setTimesAt(dir, 'a.txt', true, 5n, 7n));
  step(() => work!.statAt(dir, 'a.txt', true).mtimNs);
  work!.close(dir);
  step(() => work!.statAt(dir, 'a.txt', true));
  return results;
}

describe('a zone served to another thread', () => {
  it('answers every call as the zone itself does: values, errors and refusals alike', () => {
    const local = mounted();
    const served = mounted();
    const expected = script(local.volumes);
    expect(script(served.remote)).toEqual(expected);
    expect(served.denials).toEqual(local.denials);
    expect(local.denials.map((denial) => denial.reason)).toEqual(expect.arrayContaining(['read-only-zone', 'path-escape']));
  });

  it('hands out a large folder and large reads and writes in parts that fit the channel', () => {
    const { remote } = mounted(new DescriptorBudget(10_000), 16 << 20);
    const work = remote[0]!;
    for (let i = 0; i < 4500; i++) work.close(work.openAt(work.root, `f${i}`, writeNew));
    expect(work.readDir(work.root)).toHaveLength(4500);
    const big = new Uint8Array(2_500_000).map((_, i) => i % 251);
    const file = work.openAt(work.root, 'big', writeNew) as ZoneFile;
    expect(work.write(file, big, 0)).toBe(big.length);
    expect(work.append(file, big.subarray(0, 1_500_000))).toEqual({ written: 1_500_000, size: 4_000_000 });
    const back = new Uint8Array(big.length);
    let got = 0;
    while (got < back.length) got += work.read(file, back.subarray(got), got);
    expect(Buffer.compare(back, big)).toBe(0);
    expect(outcome(() => work.write(file, new Uint8Array(16 << 20), 0))).toEqual({ errno: 'NOSPC', denial: 'quota-exceeded' });
  });

  it('attack: a handle of another server, or one already closed, is refused (EBADF), never taken for another', () => {
    const one = mounted();
    const two = mounted();
    const file = one.remote[0]!.openAt(one.remote[0]!.root, 'a', writeNew);
    expect(outcome(() => two.remote[0]!.stat(file))).toEqual({ errno: 'BADF' });
    expect(outcome(() => two.remote[0]!.renameAt(two.remote[0]!.root, 'x', one.remote[0]!.root, 'y'))).toEqual({ errno: 'BADF' });
    one.remote[0]!.close(file);
    expect(outcome(() => one.remote[0]!.stat(file))).toEqual({ errno: 'BADF' });
  });

  it('attack: a guest stopped with handles open leaves none behind: the server closes them and the descriptor budget is whole again', () => {
    const { remote, server } = mounted(new DescriptorBudget(8));
    const work = remote[0]!;
    for (let i = 0; i < 8; i++) work.openAt(work.root, `f${i}`, writeNew);
    expect(outcome(() => work.openAt(work.root, 'one-more', writeNew))).toMatchObject({ errno: 'MFILE' });
    server.closeAll();
    expect(() => {
      for (let i = 0; i < 8; i++) work.openAt(work.root, `g${i}`, writeNew);
    }).not.toThrow();
  });
});

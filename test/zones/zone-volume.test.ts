import { Volume } from 'memfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Authority } from '../../src/policy/authority.js';
import type { ZoneSpec } from '../../src/policy/types.js';
import { DescriptorBudget } from '../../src/zones/descriptor-budget.js';
import { HostFolderStore } from '../../src/node/zones/host-folder.js';
import { MemoryFolderStore } from '../../src/zones/memory-folder.js';
import { readOnlyOpen, type OpenRequest } from '../../src/zones/types.js';
import type { FolderStore } from '../../src/zones/folder-store.js';
import { ZoneVolume } from '../../src/zones/zone-volume.js';
import type { ZoneFile } from '../../src/zones/volume.js';
import { removeTree, tempDir } from '../helpers/guests.js';

const writeNew: OpenRequest = { ...readOnlyOpen, create: true, write: true, read: false };
const spec = (kind: 'host' | 'memory', hostPath?: string): ZoneSpec => ({
  name: 'z',
  kind,
  access: 'rw',
  guestPath: '/z',
  quotaBytes: 64 << 20,
  ...(hostPath !== undefined && { hostPath }),
});

let folder: string;
beforeEach(() => {
  folder = tempDir();
});
afterEach(() => removeTree(folder));

const stores: Record<string, () => [ZoneSpec, () => FolderStore<unknown, unknown>]> = {
  memory: () => {
    const memory = new MemoryFolderStore(Volume);
    return [spec('memory'), () => memory as FolderStore<unknown, unknown>];
  },
  host: () => [spec('host', folder), () => new HostFolderStore(folder) as FolderStore<unknown, unknown>],
};

describe.each(Object.keys(stores))('the quota of a %s zone', (kind) => {
  it('always equals what a fresh measurement of the zone finds, whatever the guest changes', () => {
    const [zone, store] = stores[kind]!();
    const shared = store();
    const volume = new ZoneVolume(zone, shared, new Authority());
    const { root } = volume;
    const write = (path: string, text: string) => {
      const file = volume.openAt(root, path, writeNew) as ZoneFile;
      volume.write(file, new TextEncoder().encode(text), 0);
      volume.close(file);
    };
    const steps: [string, () => void][] = [
      ['mkdir', () => volume.createDirectoryAt(root, 'dir')],
      ['mkdir deeper', () => volume.createDirectoryAt(root, 'dir/inner')],
      ['write', () => write('dir/a.txt', 'a'.repeat(5000))],
      ['write unicode name', () => write('dir/ünïcødé.txt', 'x')],
      ['symlink', () => volume.symlinkAt('a.txt', root, 'dir/link')],
      ['hard link', () => volume.linkAt(root, 'dir/a.txt', false, root, 'second')],
      ['rename longer', () => volume.renameAt(root, 'second', root, 'second-with-a-longer-name')],
      ['rename over', () => volume.renameAt(root, 'dir/ünïcødé.txt', root, 'second-with-a-longer-name')],
      ['unlink last name', () => volume.unlinkFileAt(root, 'second-with-a-longer-name')],
      ['unlink symlink', () => volume.unlinkFileAt(root, 'dir/link')],
      ['rmdir', () => volume.removeDirectoryAt(root, 'dir/inner')],
      ['rename dir', () => volume.renameAt(root, 'dir', root, 'd')],
      ['unlink', () => volume.unlinkFileAt(root, 'd/a.txt')],
      ['rmdir last', () => volume.removeDirectoryAt(root, 'd')],
    ];
    for (const [step, change] of steps) {
      change();
      expect({ step, used: volume.quotaUsage!.used }).toEqual({ step, used: shared.measureUsage() });
    }
    expect(volume.quotaUsage!.used).toBe(0);
    volume.unmount();
  });

  it('keeps an unlinked file charged while it is open and frees it with its last handle', () => {
    const [zone, store] = stores[kind]!();
    const volume = new ZoneVolume(zone, store(), new Authority());
    const file = volume.openAt(volume.root, 'held', { ...writeNew, read: true }) as ZoneFile;
    volume.write(file, new Uint8Array(10_000), 0);
    const second = volume.openAt(volume.root, 'held', readOnlyOpen);
    expect(volume.quotaUsage!.used).toBeGreaterThan(10_000);
    volume.unlinkFileAt(volume.root, 'held');
    expect(volume.quotaUsage!.used).toBe(10_000);
    volume.write(file, new Uint8Array(5_000), 10_000);
    volume.close(file);
    expect(volume.quotaUsage!.used).toBe(15_000);
    volume.close(second);
    expect(volume.quotaUsage!.used).toBe(0);
    volume.unmount();
  });
});

describe('the descriptor budget', () => {
  it('is shared by the zones of a run and returns descriptors as they close', () => {
    const budget = new DescriptorBudget(3);
    const a = new ZoneVolume(spec('memory'), new MemoryFolderStore(Volume, { f: 'x' }) as FolderStore<unknown, unknown>, new Authority(), {
      descriptors: budget,
    });
    const b = new ZoneVolume(spec('memory'), new MemoryFolderStore(Volume, { f: 'x' }) as FolderStore<unknown, unknown>, new Authority(), {
      descriptors: budget,
    });
    const held = [a.openAt(a.root, 'f', readOnlyOpen), b.openAt(b.root, 'f', readOnlyOpen), a.openAt(a.root, '.', readOnlyOpen)];
    expect(() => b.openAt(b.root, 'f', readOnlyOpen)).toThrow(expect.objectContaining({ errno: 'MFILE' }));
    a.close(held[0]!);
    expect(b.openAt(b.root, 'f', readOnlyOpen).kind).toBe('file');
    a.unmount();
    b.unmount();
    expect(budget.open).toBe(0);
  });
});

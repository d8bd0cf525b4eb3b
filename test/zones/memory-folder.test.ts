import { Volume } from 'memfs';
import { describe, expect, it } from 'vitest';
import { MemoryFolderStore } from '../../src/zones/memory-folder.js';

/** memfs' Volume, counting how many are made. */
function countingVolume(): { VolumeClass: typeof Volume; made: () => number } {
  let made = 0;
  class Counted extends Volume {
    constructor() {
      super();
      made++;
    }
  }
  return { VolumeClass: Counted, made: () => made };
}

describe('an in-memory zone', () => {
  it('makes its memfs only when a command touches it: an empty zone left alone costs none and is unchanged', () => {
    const { VolumeClass, made } = countingVolume();
    const untouched = new MemoryFolderStore(VolumeClass);
    expect(untouched.openRoot()).toBe('/');
    expect(untouched.measureUsage()).toBe(0);
    untouched.dispose();
    expect(made()).toBe(0);
    expect(untouched.changed).toBe(false);

    const used = new MemoryFolderStore(VolumeClass);
    used.mkdirAt(used.openRoot(), 'made');
    expect(used.readDir('/').map((entry) => entry.name)).toEqual(['made']);
    expect(used.changed).toBe(true);
    expect(made()).toBe(1);
  });

  it('makes it when a zone that starts with files is measured, so its quota counts them', () => {
    const { VolumeClass, made } = countingVolume();
    const store = new MemoryFolderStore(VolumeClass, { 'a.txt': 'four' });
    expect(store.measureUsage()).toBeGreaterThanOrEqual(4);
    expect(made()).toBe(1);
  });
});

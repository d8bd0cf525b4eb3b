import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroupSite, createRunCgroup, findCgroupSite, removeOrphanCgroups } from '../../../src/node/namespace/run-cgroup.js';

/** mountinfo lines as the kernel writes them (only the fields read matter). */
const mount = (point: string, type: string, options: string) => `30 20 0:26 / ${point} rw,nosuid - ${type} ${type} rw,${options}`;

describe('where run cgroups go', () => {
  const v1Mounts = [mount('/sys/fs/cgroup/memory', 'cgroup', 'memory'), mount('/sys/fs/cgroup/pids', 'cgroup', 'pids')].join('\n');
  const v1Groups = '9:pids:/\n4:memory:/job/7\n0::/';
  const anything = () => true;

  it('takes a delegated cgroup v2 (memory and pids given to its children)', () => {
    const site = findCgroupSite(mount('/sys/fs/cgroup', 'cgroup2', 'nsdelegate'), '0::/user.slice/goodbot.scope', anything, (path) => {
      expect(path).toBe('/sys/fs/cgroup/user.slice/goodbot.scope/cgroup.subtree_control');
      return 'cpu memory pids\n';
    });
    expect(site).toEqual({ version: 2, parents: ['/sys/fs/cgroup/user.slice/goodbot.scope'] });
  });

  it('passes over a v2 cgroup without the controllers, to v1 hierarchies where they are', () => {
    const mounts = `${mount('/sys/fs/cgroup/unified', 'cgroup2', 'nsdelegate')}\n${v1Mounts}`;
    const site = findCgroupSite(mounts, v1Groups, anything, () => 'hugetlb\n');
    expect(site).toEqual({ version: 1, parents: ['/sys/fs/cgroup/memory/job/7', '/sys/fs/cgroup/pids'] });
  });

  it('finds none where goodbot may not make folders, or a controller is missing: rlimits then', () => {
    expect(
      findCgroupSite(
        v1Mounts,
        v1Groups,
        () => false,
        () => '',
      ),
    ).toBeUndefined();
    expect(findCgroupSite(mount('/sys/fs/cgroup/memory', 'cgroup', 'memory'), v1Groups, anything, () => '')).toBeUndefined();
    expect(findCgroupSite('', '', anything, () => '')).toBeUndefined();
  });
});

describe.runIf(cgroupSite() !== undefined)("a run's cgroup on this machine", () => {
  it('caps memory and processes, and is gone when removed', () => {
    const site = cgroupSite()!;
    const cgroup = createRunCgroup(site, 'test-run', 96 << 20, 42);
    try {
      if (site.version === 1) {
        expect(readFileSync(join(cgroup.dirs[0]!, 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(96 << 20));
        expect(readFileSync(join(cgroup.dirs[1]!, 'pids.max'), 'utf8').trim()).toBe('42');
      } else {
        expect(readFileSync(join(cgroup.dirs[0]!, 'memory.max'), 'utf8').trim()).toBe(String(96 << 20));
        expect(readFileSync(join(cgroup.dirs[0]!, 'pids.max'), 'utf8').trim()).toBe('42');
      }
      expect(cgroup.oomKilled()).toBe(false);
    } finally {
      cgroup.remove();
    }
    for (const dir of cgroup.dirs) expect(existsSync(dir)).toBe(false);
  });

  it("leaves a live process's cgroups to it when orphans are removed", () => {
    const cgroup = createRunCgroup(cgroupSite()!, 'live-run', 64 << 20, 16);
    try {
      expect(removeOrphanCgroups()).not.toContain(cgroup.dirs[0]);
      for (const dir of cgroup.dirs) expect(existsSync(dir)).toBe(true);
    } finally {
      cgroup.remove();
    }
  });
});

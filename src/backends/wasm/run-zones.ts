import { overlaps } from '../../policy/guest-path.js';
import type { ZoneSpec } from '../../policy/types.js';

/**
 * Every zone a WebAssembly run mounts, in preopen order: the policy's zones
 * and the tool's own mounts (ZONES), then `/dev`, then the read-only `/`
 * that lists the mount points.
 */
export function runZoneSpecs(zones: readonly ZoneSpec[]): ZoneSpec[] {
  const specs = [...zones];
  if (specs.length > 0 && !specs.some((spec) => overlaps(spec.guestPath, devicesZone.guestPath))) specs.push(devicesZone);
  const root = mountPointRoot(specs);
  return root ? [...specs, root] : specs;
}

/**
 * The run's `/dev` (null, zero, stdin…: see DeviceFolderStore), mounted
 * after the zones unless one of them takes that place. A run without zones
 * sees no filesystem at all, as before: no `/dev` either.
 */
const devicesZone: ZoneSpec = { name: 'devices', kind: 'devices', access: 'ro', guestPath: '/dev', internal: true };

/**
 * A read-only `/` listing the mount points, preopened last (so zones keep
 * fds 3, 4, …): `ls /` and `os.listdir('/')` show where the zones are instead
 * of failing. It holds only empty folders; paths under a zone resolve through
 * the zone's own, longer, preopen. None when a zone is `/` itself or there
 * are no zones (a guest without zones sees no filesystem at all).
 */
function mountPointRoot(specs: readonly ZoneSpec[]): ZoneSpec | undefined {
  if (specs.length === 0 || specs.some((spec) => spec.guestPath === '/')) return undefined;
  const dirs = new Set<string>();
  for (const spec of specs) {
    const parts = spec.guestPath.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return { name: 'mount-points', kind: 'memory', access: 'ro', guestPath: '/', dirs: [...dirs], quotaBytes: 0, internal: true };
}

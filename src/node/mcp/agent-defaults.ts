import { defaultMemoryQuota, derivedPolicy } from '../../policy/compile.js';
import { overlaps } from '../../policy/guest-path.js';
import type { Policy } from '../../policy/types.js';

/** An agent's command that runs longer than this is stopped, unless the policy says otherwise. */
export const agentTimeoutMs = 120_000;
/** The output an agent's command may write, unless the policy says otherwise. */
export const agentOutputBytes = 8 * 1024 * 1024;

/**
 * POLICY with what an agent's session needs where the policy says
 * nothing: a timeout, an output cap, a scratch zone (`/scratch`, in
 * memory, kept for the session's life) and a working folder (the policy's
 * first zone). Nothing the policy sets is changed or widened.
 */
export function withAgentDefaults(policy: Policy): Policy {
  const hasScratch = policy.zones.some((zone) => zone.kind === 'memory' && zone.access === 'rw' && zone.internal !== true);
  const scratchFits = !policy.zones.some((zone) => overlaps(zone.guestPath, '/scratch'));
  const zones =
    hasScratch || !scratchFits
      ? policy.zones
      : [...policy.zones, { name: 'scratch', kind: 'memory' as const, access: 'rw' as const, guestPath: '/scratch', quotaBytes: defaultMemoryQuota }];
  const firstZone = zones.find((zone) => zone.internal !== true);
  return derivedPolicy(policy, {
    zones,
    limits: {
      ...policy.limits,
      timeoutMs: policy.limits.timeoutMs ?? agentTimeoutMs,
      maxOutputBytes: policy.limits.maxOutputBytes ?? agentOutputBytes,
    },
    ...(policy.cwd === undefined && firstZone !== undefined && { cwd: firstZone.guestPath }),
  });
}

import type { AuditEvent } from './audit/events.js';
import { Authority } from './policy/authority.js';
import type { EventChannel, RunEvent } from './run.js';

/** A run's {@link Authority}: each denial becomes a `denied` event and an `access.denied` record, each network allowance an `access.allowed` record. */
export function runAuthority(runId: string, events: EventChannel<RunEvent>, audit: (event: AuditEvent) => void): Authority {
  return new Authority(
    (denial) => {
      events.push({ type: 'denied', denial });
      audit({ event: 'access.denied', time: new Date().toISOString(), runId, ...denial });
    },
    (allowance) => audit({ event: 'access.allowed', time: new Date().toISOString(), runId, ...allowance }),
  );
}

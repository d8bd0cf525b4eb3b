import type { Denial, ToolGrant, ZoneSpec } from './types.js';

/**
 * The one place where a run's capability checks are decided and recorded.
 *
 * Zones, the WASI host and (later) network code ask the authority before any
 * access the policy might not grant; every refusal is recorded here, for the
 * run result and the audit log, whichever layer detected it.
 */
export class Authority {
  readonly denials: Denial[] = [];

  constructor(private readonly onDenial: (denial: Denial) => void = () => {}) {}

  /**
   * May the guest change `target` in `zone` (write, create, remove, rename,
   * link, set times…)? Only read-write zones allow it. A refusal is recorded.
   */
  mayModify(zone: ZoneSpec, operation: string, target: string): boolean {
    if (zone.access === 'rw') return true;
    this.record({ operation, target, zone: zone.name, reason: 'read-only-zone', error: 'EROFS' });
    return false;
  }

  /** May catalog tool NAME run under GRANT (`sandbox.tools.allow`)? A refusal is recorded. */
  mayRunTool(grant: ToolGrant, name: string): boolean {
    if (grant.allow === 'all' || grant.allow.includes(name)) return true;
    this.record({ operation: 'run-tool', target: name, reason: 'tool-not-allowed', error: 'policy' });
    return false;
  }

  /** Records a refusal detected elsewhere (a path escape, a special file, a quota). */
  record(denial: Denial): void {
    this.denials.push(denial);
    this.onDenial(denial);
  }
}

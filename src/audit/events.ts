import type { Allowance, Denial, ZoneSpec } from '../policy/types.js';
import { redacted } from '../policy/environment.js';

/** One line of the audit log (JSONL). Values of secret variables never appear. */
export type AuditEvent =
  | {
      event: 'run.start';
      time: string;
      runId: string;
      program: string;
      programKind: string;
      args: readonly string[];
      backend: string;
      policyDigest: string;
      /**
       * Guest environment; values of variables not in `audit.revealEnv` are
       * `[redacted]`. Absent when the run ended before it was built (cancelled while queued).
       */
      env?: Readonly<Record<string, string>>;
    }
  | {
      event: 'zone.mount';
      time: string;
      runId: string;
      zone: string;
      guestPath: string;
      access: string;
      kind: string;
      hostPath?: string;
      quotaBytes?: number;
      /** Mounted by a catalog tool for itself, not granted by the policy. */
      internal?: boolean;
    }
  | ({ event: 'access.denied'; time: string; runId: string } & Denial)
  /** A granted network access: each one is logged, as each denial is. */
  | ({ event: 'access.allowed'; time: string; runId: string } & Allowance)
  | { event: 'limit.exceeded'; time: string; runId: string; limit: string; message: string }
  | {
      event: 'run.exit';
      time: string;
      runId: string;
      status: string;
      exitCode: number;
      durationMs: number;
      /** Every refusal of the run; past the first 1,000 they have no `access.denied` record of their own. */
      denials: number;
      trap?: { kind: string; message: string };
    }
  | { event: 'run.error'; time: string; runId: string; kind: string; message: string };

/** Where audit events go: a JSONL file, a collector, the control plane. */
export interface AuditSink {
  record(event: AuditEvent): void;
}

/** The environment as the audit log shows it: only revealed names keep their values. */
export function redactEnvironment(env: readonly (readonly [string, string])[], reveal: readonly string[]): Record<string, string> {
  const shown = new Set(reveal);
  const result: Record<string, string> = {};
  for (const [name, value] of env) result[name] = shown.has(name) ? value : redacted;
  return result;
}

/** The `zone.mount` record of SPEC for a run, on either backend. */
export function zoneMountEvent(runId: string, spec: ZoneSpec): AuditEvent {
  return {
    event: 'zone.mount',
    time: new Date().toISOString(),
    runId,
    zone: spec.name,
    guestPath: spec.guestPath,
    access: spec.access,
    kind: spec.kind,
    ...(spec.internal === true && { internal: true }),
    ...(spec.hostPath !== undefined && { hostPath: spec.hostPath }),
    ...(spec.quotaBytes !== undefined && { quotaBytes: spec.quotaBytes }),
  };
}

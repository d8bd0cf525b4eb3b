import { createSandbox, type AuditEvent, type ExecRequest, type RunResult, type SandboxConfig } from '../../src/node/index.js';

/** Runs REQUEST in a sandbox with CONFIG, keeping the run's audit events. */
export async function runAudited(config: SandboxConfig, request: ExecRequest): Promise<{ result: RunResult; audit: AuditEvent[] }> {
  const audit: AuditEvent[] = [];
  const result = await createSandbox(config, { audit: { record: (event) => audit.push(event) } }).exec(request).result;
  return { result, audit };
}

/** The network decisions of an audit log, in order: `allowed tcp-connect 127.0.0.1:80`, `denied …`. */
export function accesses(audit: readonly AuditEvent[]): string[] {
  return audit.flatMap((event) =>
    event.event === 'access.allowed' || event.event === 'access.denied'
      ? [`${event.event === 'access.allowed' ? 'allowed' : 'denied'} ${event.operation} ${event.target}`]
      : [],
  );
}

import { appendFileSync, closeSync, openSync } from 'node:fs';
import { GoodbotError } from '../../errors.js';
import type { AuditEvent, AuditSink } from '../../audit/events.js';

/** Appends audit events to a file, one JSON object per line, written as they happen. */
export class JsonlAuditFile implements AuditSink {
  private readonly fd: number;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'a', 0o600);
    } catch (error) {
      throw new GoodbotError('runtime', `cannot open the audit log: ${(error as Error).message}`, {
        path,
        hint: 'check the audit log path',
        commandLineHint: 'check the --audit path',
      });
    }
  }

  record(event: AuditEvent): void {
    appendFileSync(this.fd, `${JSON.stringify(event)}\n`);
  }

  close(): void {
    closeSync(this.fd);
  }
}

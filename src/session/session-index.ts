import type { RunStatus } from '../backends/run-result.js';

/** One command of a session's history. */
export interface CommandRecord {
  readonly command: string;
  /** The script's arguments (`$1`…) for the session's own file operations. */
  readonly args?: readonly string[];
  /** ISO 8601. */
  readonly startedAt: string;
  readonly durationMs: number;
  readonly status: RunStatus;
  readonly exitCode: number;
  readonly stdoutBytes: number;
  readonly stderrBytes: number;
  /** Accesses the policy refused. */
  readonly denials: number;
}

/** How a session began. */
export interface SessionRecord {
  readonly id: string;
  readonly policyDigest: string;
  /** ISO 8601. */
  readonly startedAt: string;
  /** The session it was forked or restored from, if any. */
  readonly from?: string;
}

/**
 * Where sessions are recorded: their start, every command, their end (the
 * record agent runners keep). Node's keeps one JSONL file per session under
 * the state folder (`JsonlSessionIndex`).
 */
export interface SessionIndex {
  started(session: SessionRecord): Promise<void>;
  commandRan(id: string, command: CommandRecord): Promise<void>;
  closed(id: string): Promise<void>;
}

/** Session ids name files and MCP sessions: letters, digits, `-` and `_`, at most 128. */
export function isSessionId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,128}$/.test(id);
}

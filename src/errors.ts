/**
 * Errors the runtime reports to its callers (CLI, library, control plane).
 *
 * Every error is a value with a `kind`, a message that says what to do, and the
 * file, field or path that caused it. The CLI maps the kind to its exit status.
 */
export type ErrorKind =
  /** The policy (file, flags or API object) is invalid. */
  | 'policy'
  /** The command line itself is malformed. */
  | 'usage'
  /** PROGRAM is not a valid core module or component. */
  | 'invalid-program'
  /** PROGRAM does not exist (no such file, no such catalog tool). */
  | 'not-found'
  /** A zone's host folder cannot be mounted. */
  | 'zone'
  /** The container engine (Docker) is unreachable, or refused a request. */
  | 'engine'
  /** Something failed inside the runtime itself. */
  | 'runtime';

export interface GoodbotErrorDetails {
  /** What the user can do about it. */
  hint?: string;
  /** The file the bad input came from. */
  file?: string;
  /** The field path inside that input, e.g. `sandbox.zones[1].mode`. */
  field?: string;
  /** The host or guest path involved. */
  path?: string;
  /**
   * The hint in the terms of the `goodbot` command line (its flags), when
   * they differ from the library's: the CLI shows it instead of `hint`, so a
   * library caller never reads of flags it does not have.
   */
  commandLineHint?: string;
  cause?: unknown;
}

export class GoodbotError extends Error {
  override readonly name = 'GoodbotError';
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly file: string | undefined;
  readonly field: string | undefined;
  readonly path: string | undefined;
  readonly commandLineHint: string | undefined;

  constructor(kind: ErrorKind, message: string, details: GoodbotErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.hint = details.hint;
    this.file = details.file;
    this.field = details.field;
    this.path = details.path;
    this.commandLineHint = details.commandLineHint;
  }

  /** One line for a terminal: where, what, and what to do. */
  describe(): string {
    const where = [this.file, this.field].filter(Boolean).join(': ');
    const head = where ? `${where}: ${this.message}` : this.message;
    return this.hint ? `${head} (${this.hint})` : head;
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.hint && { hint: this.hint }),
      ...(this.file && { file: this.file }),
      ...(this.field && { field: this.field }),
      ...(this.path && { path: this.path }),
    };
  }
}

/** Exit statuses of `goodbot exec`, shared with the Docker backend. */
export const ExitStatus = {
  /** A limit ended the run: timeout, fuel, memory or output. */
  limit: 124,
  /** Policy, usage or runtime error: the guest never ran or the host failed. */
  runtimeError: 125,
  /** PROGRAM is not a valid module or component. */
  invalidProgram: 126,
  /** PROGRAM not found. */
  notFound: 127,
  /** The guest trapped (as wasmtime reports a trap on Unix: 128 + SIGABRT). */
  trap: 134,
} as const;

export function exitStatusFor(error: unknown): number {
  if (error instanceof GoodbotError) {
    switch (error.kind) {
      case 'invalid-program':
        return ExitStatus.invalidProgram;
      case 'not-found':
        return ExitStatus.notFound;
      default:
        return ExitStatus.runtimeError;
    }
  }
  return ExitStatus.runtimeError;
}

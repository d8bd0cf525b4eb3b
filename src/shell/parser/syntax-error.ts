/**
 * A command line the shell cannot run: bad syntax (`kind: 'syntax'`) or a
 * construct it does not implement (`kind: 'unsupported'`, named). The shell
 * prints `describe()` and exits 2, as bash does for a syntax error.
 */
export class ShellSyntaxError extends Error {
  override readonly name = 'ShellSyntaxError';

  constructor(
    readonly kind: 'syntax' | 'unsupported',
    message: string,
    /** The line of the command line (1-based) where it was found. */
    readonly line: number,
  ) {
    super(message);
  }

  /** As a shell says it: `line 2: syntax error near unexpected token 'fi'`. */
  describe(): string {
    return `line ${this.line}: ${this.message}`;
  }
}

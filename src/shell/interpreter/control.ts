/**
 * How control leaves a construct early. These are thrown and caught by the
 * interpreter only; they never reach the shell's caller.
 */

/** `break N` */
export class BreakSignal {
  constructor(public levels: number) {}
}

/** `continue N` */
export class ContinueSignal {
  constructor(public levels: number) {}
}

/** `return N` from a function or a sourced file. */
export class ReturnSignal {
  constructor(readonly status: number) {}
}

/** `exit N`, a fatal error, or `set -e` on a failed command: the (sub)shell ends. */
export class ExitSignal {
  constructor(readonly status: number) {}
}

/** The deadline `timeout` set passed: the command it runs ends there, with status 124. */
export class TimedOut {
  readonly status = 124;
}

/** What a driver needs of the run: the command line, the working directory, and stderr for its own complaints. */
export interface ReactorCommand {
  /** `args[0]` is the program name. */
  readonly args: readonly string[];
  readonly cwd: string;
  readonly stderr: { write(data: Uint8Array): void };
}

/**
 * Runs one tool's WASI *reactor* (a core module with no `_start`) as a
 * command. The WebAssembly backend owns the run (the preview1 face, metering,
 * how the guest ended); the driver knows only its tool. Adding one is a file
 * under src/tools/<tool>/ and an entry in `reactorDrivers`.
 */
export interface ReactorDriver {
  /** Whether MODULE is this driver's reactor, by its exports. */
  matches(module: WebAssembly.Module): boolean;
  /**
   * Runs COMMAND. INSTANTIATE makes the instance of PROGRAM (the module, or
   * its metered variant) with IMPORTS beside the preview1 face, and binds the
   * face to its memory. Returns the exit code when the guest returns rather
   * than exits.
   */
  run(program: WebAssembly.Module, command: ReactorCommand, instantiate: (imports: WebAssembly.Imports) => WebAssembly.Instance): number;
}

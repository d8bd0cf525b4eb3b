import type { InputSource } from '../wasi/common/stdio.js';
import type { BlockingWait } from '../limits/blocking-wait.js';
import type { SessionCarry } from './session-carry.js';

/** One request to run a program in the sandbox. */
export interface ExecRequest {
  /** A `.wasm` path, a catalog tool name, or the bytes of a module or component. */
  readonly program: string | Uint8Array;
  readonly args?: readonly string[];
  /** The guest's argv[0]; defaults to the program's name. */
  readonly argv0?: string;
  /** Bytes for stdin, or a source read on demand; default: empty. */
  readonly stdin?: string | Uint8Array | InputSource;
  /**
   * The host environment the policy's `env` grants and its `env:` secrets
   * draw from for this run, in place of the platform's: a server running a
   * run for a client process passes the client's (`goodbot exec` handed to
   * `goodbot serve`). Set by the trusted caller only.
   */
  readonly hostEnv?: Readonly<Record<string, string | undefined>>;
  /** Variables for this run only, set by the (trusted) caller on top of the policy's. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The working folder (a guest path inside a zone): every tool resolves
   * relative paths against it. Default: the policy's `cwd`, else `/`.
   */
  readonly cwd?: string;
  /** Called with each chunk of output as the guest writes it; one that may block waits as WAIT says (the run's deadline). */
  readonly onStdout?: (chunk: Uint8Array, wait: BlockingWait) => void;
  readonly onStderr?: (chunk: Uint8Array, wait: BlockingWait) => void;
  /** Tell the guest its stdout/stderr is a terminal. */
  readonly terminal?: { readonly stdin?: boolean; readonly stdout?: boolean; readonly stderr?: boolean };
  /** Keep stdout and stderr in the result (default true). */
  readonly collectOutput?: boolean;
  /** Deliver `stdout`/`stderr` events on `run.events` (default true). */
  readonly outputEvents?: boolean;
  /** Aborting it cancels the run, as the run's `cancel()` does. */
  readonly signal?: AbortSignal;
  /**
   * A session's state to start from (shell runs on WebAssembly): the
   * result's `session` is the state after. Sessions set it; see `Session`.
   */
  readonly session?: SessionCarry;
}

import type { SessionCarry } from '../backends/session-carry.js';
import type { RunResult } from '../backends/run-result.js';
import { concatBytes } from '../bytes.js';
import { sharedBytes } from '../zones/zone-image.js';
import { byteLength } from '../zones/resolve.js';
import { GoodbotError } from '../errors.js';
import type { Denial, Policy } from '../policy/types.js';
import type { Run } from '../run/sandbox.js';
import { isSessionId, type SessionIndex } from './session-index.js';
import { RunSecrets } from '../policy/secrets.js';
import { carryOf, stateAfter, type SessionState } from './session-state.js';
import { decodeSnapshot, snapshotParts } from './snapshot-file.js';
import { policyDigest } from '../policy/digest.js';
import { derivedPolicy } from '../policy/compile.js';
import { isScratchZone } from '../policy/scratch-zone.js';

/** What a session hands its runner for one command: always goodbot's shell, with the session's state. */
export interface SessionRunRequest {
  readonly program: 'sh';
  readonly args: readonly string[];
  readonly stdin?: string | Uint8Array;
  readonly cwd?: string;
  readonly session: SessionCarry;
  readonly onStdout?: (chunk: Uint8Array) => void;
  readonly onStderr?: (chunk: Uint8Array) => void;
  readonly signal?: AbortSignal;
}

/** Starts one run: a worker pool's `exec` on Node, a sandbox's elsewhere. */
export type SessionRunner = (policy: Policy, request: SessionRunRequest) => Run;

export interface CommandOptions {
  readonly stdin?: string | Uint8Array;
  /** Milliseconds; it can shorten the policy's timeout, never lengthen it. */
  readonly timeout?: number;
  /** The folder to start in (a guest path); default the session's. */
  readonly cwd?: string;
  readonly signal?: AbortSignal;
  readonly onStdout?: (chunk: Uint8Array) => void;
  readonly onStderr?: (chunk: Uint8Array) => void;
}

/** One command's result: the run's, and the session's working folder after it. */
export interface CommandResult extends Omit<RunResult, 'session'> {
  readonly cwd: string;
}

/** An entry of {@link Session.listFiles}. */
export interface FileEntry {
  /** A guest path: under the folder asked for, as it was given (absolute, or relative to the session's folder). */
  readonly path: string;
  readonly type: 'directory' | 'file';
}

/**
 * A shell session: commands run one after another in goodbot's shell, and
 * each starts where the last one left off: the working folder, variables
 * and functions, and the files of the policy's scratch (`tmpfs`) zones.
 * Host zones are the host's, as in every run. The state lives here, on
 * the caller's side, and goes with each command to whichever worker runs
 * it, so a session can be snapshotted, restored and forked at any time
 * between commands.
 */
export class Session {
  private current: SessionState;
  private policyDigest: Promise<string> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Aborted by {@link close}: it cancels the command running and any still queued. */
  private readonly closing = new AbortController();
  /** Resolves with the error when the index refused the session's start. */
  private unrecorded: Promise<GoodbotError | undefined> = Promise.resolve(undefined);
  private readonly policies = new Map<number, Policy>();

  /** A new session, recorded in INDEX; STATE and FROM: what it starts from (a snapshot, a fork) and whose it was. */
  constructor(
    readonly id: string,
    readonly policy: Policy,
    private readonly runner: SessionRunner,
    private readonly index?: SessionIndex,
    start?: { readonly state: SessionState; readonly from?: string },
  ) {
    if (!isSessionId(id))
      throw new GoodbotError('usage', `'${id}' is not a session id: use letters, digits, - and _ (at most 128)`, { field: 'id', path: id });
    if (policy.backend === 'docker' || policy.backend === 'namespace') {
      throw new GoodbotError(
        'policy',
        `a session runs its commands in goodbot's shell on WebAssembly; this policy asks for the ${policy.backend} backend`,
        {
          field: 'sandbox.backend',
          hint: "use backend 'wasm' or 'auto' for sessions",
        },
      );
    }
    const state = start?.state ?? { cwd: policy.cwd ?? '/', zones: {} };
    // A snapshot from before the policy had secrets has no tag: the session's placeholders start here.
    this.current = policy.secrets.length > 0 && state.secretTag === undefined ? { ...state, secretTag: RunSecrets.newTag() } : state;
    const startedAt = new Date().toISOString();
    if (index !== undefined) {
      const recorded = this.digest().then((policyDigest) =>
        index.started({ id, policyDigest, startedAt, ...(start?.from !== undefined && { from: start.from }) }),
      );
      // A session that cannot be recorded runs nothing: every command says why instead.
      this.unrecorded = recorded.then(
        () => undefined,
        (error: unknown) =>
          new GoodbotError('runtime', `session ${id} cannot be recorded in the session index: ${(error as Error)?.message ?? error}`, {
            hint: 'make the state folder writable (GOODBOT_STATE_DIR), or start the session without an index',
          }),
      );
      this.queue = this.unrecorded;
    }
  }

  /** The working folder the next command starts in. */
  get cwd(): string {
    return this.current.cwd;
  }

  /** Runs COMMAND_LINE in the session's shell, after any command still running. */
  run(commandLine: string, options: CommandOptions = {}): Promise<CommandResult> {
    return this.serialized(() => this.runNow(commandLine, [], options));
  }

  /** The bytes of the file at PATH (a guest path, relative to the session's folder), read as the shell reads it. */
  async readFile(path: string): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    const result = await this.script(fileScript.read, [path], { onStdout: (chunk) => chunks.push(chunk) });
    this.expectSuccess(result, `read ${path}`);
    return concatBytes(chunks);
  }

  /** Writes CONTENT to the file at PATH, creating it and its folders as needed. */
  async writeFile(path: string, content: string | Uint8Array): Promise<void> {
    const result = await this.script(fileScript.write, [path], { stdin: content });
    this.expectSuccess(result, `write ${path}`);
  }

  /** The folders and files under PATH (default the session's folder): its entries, or with RECURSIVE all below it, sorted. */
  async listFiles(path = '.', recursive = false): Promise<FileEntry[]> {
    const result = await this.script(fileScript.list, [path, recursive ? '' : '-maxdepth 1']);
    this.expectSuccess(result, `list ${path}`);
    const names = result.stdout.split('\0');
    const marker = names.indexOf('/');
    const entries = (from: number, to: number, type: FileEntry['type']) =>
      names
        .slice(from, to)
        .filter((name) => name !== '')
        .map((name) => ({ path: name, type }));
    return [...entries(0, marker, 'directory'), ...entries(marker + 1, names.length, 'file')].sort((a, b) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
    );
  }

  /** The session's state now (after the commands queued so far). */
  state(): Promise<SessionState> {
    return this.serialized(async () => this.current);
  }

  /**
   * The session's state as one snapshot file's bytes (see `encodeSnapshot`),
   * in shared memory: restoring them (`Session.restore`) then copies nothing.
   */
  async snapshot(): Promise<Uint8Array> {
    return concatBytes(await this.snapshotParts(), sharedBytes);
  }

  /** The snapshot file's bytes in pieces, views of the session's own memory: for a writer that writes them as they are (see `snapshotParts`). */
  async snapshotParts(): Promise<Uint8Array[]> {
    const state = await this.state();
    return snapshotParts(state, await this.digest());
  }

  /** A new session that starts from this one's state now; the two go their own ways after. */
  async fork(id: string = globalThis.crypto.randomUUID()): Promise<Session> {
    // Zone images are never changed in place (a run gives new ones), so both sessions may share them.
    return new Session(id, this.policy, this.runner, this.index, { state: await this.state(), from: this.id });
  }

  /** A session that starts from snapshot BYTES, which must have been taken under the same policy. */
  static async restore(
    bytes: Uint8Array,
    policy: Policy,
    runner: SessionRunner,
    options: { id?: string; index?: SessionIndex } = {},
  ): Promise<Session> {
    const { state, policyDigest: taken } = decodeSnapshot(bytes);
    const digest = await policyDigest(policy);
    if (taken !== digest) {
      throw new GoodbotError('policy', `the snapshot was taken under another policy (${taken}, not ${digest})`, {
        hint: 'restore it with the policy of the session it was taken from',
      });
    }
    const scratch = new Set(policy.zones.filter(isScratchZone).map((zone) => zone.name));
    const foreign = Object.keys(state.zones).find((name) => !scratch.has(name));
    if (foreign !== undefined) {
      throw new GoodbotError('policy', `the snapshot holds files for zone '${foreign}', which is no scratch (tmpfs) zone of the policy`, {
        hint: 'restore it with the policy of the session it was taken from',
      });
    }
    return new Session(options.id ?? globalThis.crypto.randomUUID(), policy, runner, options.index, { state, from: `snapshot:${taken}` });
  }

  private digest(): Promise<string> {
    return (this.policyDigest ??= policyDigest(this.policy));
  }

  /** Ends the session: the command running is cancelled, those queued end at once as cancelled, new ones are refused; its scratch is dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    await this.queue.catch(() => {});
    this.current = { cwd: this.current.cwd, zones: {} };
    // A session the index never recorded has no end to record.
    if ((await this.unrecorded) === undefined) await this.index?.closed(this.id);
  }

  /**
   * What stops a command: the session closing, or the caller's SIGNAL. Linked
   * by hand rather than with AbortSignal.any, which costs tens of
   * microseconds per command and keeps a weak reference on the session's
   * signal for each until a garbage collection.
   */
  private stopSignal(signal: AbortSignal | undefined): { signal: AbortSignal; release(): void } {
    if (signal === undefined) return { signal: this.closing.signal, release: () => {} };
    const stop = new AbortController();
    const abort = () => stop.abort();
    if (signal.aborted || this.closing.signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    this.closing.signal.addEventListener('abort', abort, { once: true });
    return {
      signal: stop.signal,
      release: () => {
        signal.removeEventListener('abort', abort);
        this.closing.signal.removeEventListener('abort', abort);
      },
    };
  }

  /** Runs SCRIPT with ARGS as its `$1`…, as a command of the session. */
  private script(script: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
    return this.serialized(() => this.runNow(script, args, options));
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new GoodbotError('usage', `session ${this.id} is closed`, { hint: 'start a new session' }));
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => {});
    return next;
  }

  private async runNow(commandLine: string, args: readonly string[], options: CommandOptions): Promise<CommandResult> {
    const unrecorded = await this.unrecorded;
    if (unrecorded !== undefined) throw unrecorded;
    const startedAt = Date.now();
    const stop = this.stopSignal(options.signal);
    const start = (cwd: string) =>
      this.runner(this.policyFor(options.timeout), {
        program: 'sh',
        args: ['-c', commandLine, 'sh', ...args],
        cwd,
        session: carryOf(this.current),
        ...(options.stdin !== undefined && { stdin: options.stdin }),
        ...(options.onStdout !== undefined && { onStdout: options.onStdout }),
        ...(options.onStderr !== undefined && { onStderr: options.onStderr }),
        signal: stop.signal,
      });
    let result: RunResult;
    try {
      result = await start(options.cwd ?? this.current.cwd).result;
    } catch (error) {
      // The session's folder is gone (a command removed it): start again where the policy says, as a shell would have to.
      if (!(error instanceof GoodbotError && error.field === 'cwd' && options.cwd === undefined)) throw error;
      result = await start(this.policy.cwd ?? '/').result;
    } finally {
      stop.release();
    }
    const { session: carried, ...rest } = result;
    this.current = stateAfter(this.current, carried);
    // Recorded after it ran; a write that fails then does not take the command's result away from the caller.
    await this.index
      ?.commandRan(this.id, {
        command: commandLine,
        ...(args.length > 0 && { args }),
        startedAt: new Date(startedAt).toISOString(),
        durationMs: Math.round(rest.durationMs * 1000) / 1000,
        status: rest.status,
        exitCode: rest.exitCode,
        stdoutBytes: byteLength(rest.stdout),
        stderrBytes: byteLength(rest.stderr),
        denials: rest.denials.length + (rest.denialsOmitted ?? 0),
      })
      .catch(() => {});
    return { ...rest, cwd: this.current.cwd };
  }

  /** The policy with its timeout shortened to TIMEOUT, one per value (a run's digest is computed once per policy). */
  private policyFor(timeout: number | undefined): Policy {
    const limit = this.policy.limits.timeoutMs;
    if (timeout === undefined || (limit !== undefined && limit <= timeout)) return this.policy;
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new GoodbotError('usage', `a command's timeout must be a positive number of milliseconds, not ${timeout}`, { field: 'timeout' });
    }
    let policy = this.policies.get(timeout);
    if (policy === undefined) {
      policy = derivedPolicy(this.policy, { limits: { ...this.policy.limits, timeoutMs: timeout } });
      this.policies.set(timeout, policy);
    }
    return policy;
  }

  private expectSuccess(result: CommandResult, what: string): void {
    if (result.status === 'exited' && result.exitCode === 0) return;
    const said = result.stderr.trim().split('\n').at(-1) ?? '';
    const denial: Denial | undefined = result.denials[0];
    throw new GoodbotError(
      denial === undefined ? 'not-found' : 'policy',
      `could not ${what}: ${said || result.limit?.message || `exit ${result.exitCode}`}`,
      {
        ...(denial !== undefined && { path: denial.target, hint: `the policy refused it (${denial.reason})` }),
      },
    );
  }
}

/**
 * The session's file operations, as shell scripts run like any command
 * (`$1` is the path): they go through the same zones, checks and audit.
 */
const fileScript = {
  read: 'cat -- "$1"',
  write: 'case "$1" in */*) mkdir -p -- "${1%/*}" || exit;; esac; cat > "$1"',
  // Folders, a marker no path can be (`/`), then the rest; NUL-separated, as names may hold newlines.
  list: 'find "$1" -mindepth 1 $2 -type d -print0 && printf "/\\0" && find "$1" -mindepth 1 $2 ! -type d -print0',
} as const;

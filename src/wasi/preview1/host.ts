import { Errno, ErrnoError } from '../../errno.js';
import type { WasiContext } from '../common/context.js';
import type { BlockingWait } from '../../limits/blocking-wait.js';
import { clockCalls } from './clocks.js';
import { closeDescriptor, DescriptorTable } from './descriptors.js';
import { environmentCalls } from './environment.js';
import { fdIoCalls } from './fd-io.js';
import { fdMetadataCalls } from './fd-metadata.js';
import { fdNumberCalls } from './fd-numbers.js';
import { GuestMemory } from './guest-memory.js';
import type { HostCalls, HostState } from './host-state.js';
import { pathCalls } from './paths.js';
import { pollCalls } from './poll.js';
import { procCalls } from './proc.js';
import { processCalls } from './process.js';
import { randomCalls } from './random.js';
import { readdirCalls } from './readdir.js';
import { socketCalls } from './sockets.js';

type Preview1Function = (...args: never[]) => number;

/**
 * The preview1 face of the WASI host: `wasi_snapshot_preview1` for core
 * modules, over one run's {@link WasiContext}. Semantics follow wasmtime's
 * preview1 implementation (errno values, rights reporting, readdir cookies,
 * path_open modes, host-side positions and append), except that zones may be
 * read-only (EROFS) and special files are refused (EACCES).
 *
 * Each WASI domain lives in its own module (arguments and environment,
 * clocks, random, descriptors, paths, poll, sockets, proc); this class holds
 * the run's descriptors and guest memory and assembles the import object.
 */
export class Preview1Host {
  readonly memory = new GuestMemory();
  private readonly fds = new DescriptorTable();
  /** What each import calls, emptied by {@link release}. */
  private readonly cells: CallCell[] = [];

  constructor(private readonly ctx: WasiContext) {
    this.fds.push({ kind: 'stdin', source: ctx.stdin });
    this.fds.push({ kind: 'stdout', sink: ctx.stdout });
    this.fds.push({ kind: 'stderr', sink: ctx.stderr });
    for (const preopen of ctx.preopens) {
      this.fds.push({ kind: 'dir', dir: preopen.dir, preopenPath: preopen.guestPath });
    }
  }

  /** The import object for `wasi_snapshot_preview1`. */
  imports(): Record<string, Preview1Function> {
    const state: HostState = { ctx: this.ctx, memory: this.memory, fds: this.fds };
    const imports: Record<string, Preview1Function> = {};
    const limiter = this.ctx.limiter;
    // Built for every run (the calls close over its state): no spread copies, no strings made here.
    for (const domain of domains) {
      const calls = domain(state);
      for (const name in calls) {
        const detail = checkDetail(name);
        imports[name] = errnoResult(this.cell(calls[name]!, limiter === undefined || detail === undefined ? undefined : limiter), detail);
      }
    }
    return imports;
  }

  /** The import object for `goodbot_process`, goodbot's process interface. */
  processImports(): Record<string, Preview1Function> {
    const imports: Record<string, Preview1Function> = {};
    const state: HostState = { ctx: this.ctx, memory: this.memory, fds: this.fds };
    // A child may run long: the run's deadline and cancellation are checked once it ends.
    const calls = processCalls(state);
    for (const name in calls) imports[name] = errnoResult(this.cell(calls[name]!, this.ctx.limiter), ' (while its child ran)');
    return imports;
  }

  /** Closes everything the guest left open (the volumes close their handles too). */
  closeAll(): void {
    for (const [, descriptor] of this.fds.entries()) closeDescriptor(descriptor);
  }

  /**
   * Lets go of the run once its instance is dead: the imports no longer
   * reach its context, descriptors or output. An instance stays listed by
   * a memory it used until a full collection (see `MemoryPool`), and V8's
   * young-generation collections hold on to what it references: without
   * this, each pooled run's whole state was promoted to the old generation,
   * which made those collections several times slower.
   */
  release(): void {
    for (const cell of this.cells) {
      cell.call = released;
      cell.wait = undefined;
    }
    this.cells.length = 0;
  }

  private cell(call: HostCall, wait: BlockingWait | undefined): CallCell {
    const cell = { call, wait };
    this.cells.push(cell);
    return cell;
  }
}

type HostCall = (...args: never[]) => void | number;

/** A host call and the wait it checks after it, which {@link Preview1Host.release} empties. */
interface CallCell {
  call: HostCall;
  wait: BlockingWait | undefined;
}

function released(): never {
  throw new Error('a preview1 call after its run ended');
}

/** The preview1 domains, each making its calls over a run's state. */
const domains: readonly ((state: HostState) => HostCalls)[] = [
  environmentCalls,
  clockCalls,
  fdMetadataCalls,
  fdNumberCalls,
  fdIoCalls,
  readdirCalls,
  pathCalls,
  pollCalls,
  procCalls,
  randomCalls,
  socketCalls,
];

/**
 * Calls not followed by a deadline check: those that never wait on the host
 * (arguments, clocks, random bytes…), and reads and writes, the hot path,
 * which wait only on stdin and output, whose waits end at the deadline
 * themselves (a check after each would cost a clock read per write).
 */
const uncheckedCalls = new Set([
  'fd_read',
  'fd_write',
  'fd_pread',
  'fd_pwrite',
  'fd_seek',
  'fd_tell',
  'args_get',
  'args_sizes_get',
  'environ_get',
  'environ_sizes_get',
  'clock_res_get',
  'clock_time_get',
  'fd_prestat_get',
  'fd_prestat_dir_name',
  'proc_exit',
  'proc_raise',
  'random_get',
  'sched_yield',
]);

/** What the deadline check after call NAME says ran, made once per name; undefined for an unchecked call. */
function checkDetail(name: string): string | undefined {
  if (uncheckedCalls.has(name)) return undefined;
  let detail = checkedCallDetail.get(name);
  if (detail === undefined) checkedCallDetail.set(name, (detail = ` (during ${name})`));
  return detail;
}

const checkedCallDetail = new Map<string, string>();

/**
 * Turns a host call (CELL's) into a preview1 function returning an errno.
 * With a wait in CELL, a call that touches the host (files, directories,
 * stdio) is followed by a check of the run's deadline and cancellation
 * (DETAIL says during what): one that took the run past its deadline ends
 * it there, whatever it returned.
 */
function errnoResult(cell: CallCell, detail = ''): Preview1Function {
  return (...args: never[]) => {
    let errno: number = Errno.SUCCESS;
    try {
      cell.call(...args);
    } catch (error) {
      if (!(error instanceof ErrnoError)) throw error;
      errno = Errno[error.errno];
    }
    cell.wait?.checkpoint(detail);
    return errno;
  };
}

import { formatMiB } from '../../policy/units.js';
import { instrumentFuel, type InstrumentFuelOptions, type InstrumentedModule } from '../../limits/instrument-fuel.js';
import type { RunLimiter } from '../../limits/run-limiter.js';
import { GoodbotError } from '../../errors.js';
import { WasmRewriteError } from '../../limits/wasm-reader.js';
import { compileModule, compileWithImportedMemory } from './program-kind.js';
import type { GuestModule } from './loaded-program.js';

/** A program's module instrumented for fuel (and capped in memory), compiled. */
export interface MeteredModule extends GuestModule {
  readonly layout: InstrumentedModule;
  readonly maxMemoryBytes: number | undefined;
}

/** What decides an instrumented module besides its bytes: the cache key. */
export type MeteringOptions = Pick<InstrumentFuelOptions, 'maxMemoryBytes' | 'importedMemoryCapped'>;

/** Where instrumented modules may be kept between processes (a disk cache on Node). */
export interface InstrumentedStore {
  /** The instrumented module for ORIGINAL: kept, or made with MAKE and kept; REMAKE skips what is kept. */
  load(original: Uint8Array, options: MeteringOptions, make: () => InstrumentedModule, remake?: boolean): InstrumentedModule;
}

/**
 * The metered variants of one program's module, made on first use and kept:
 * one per memory cap (the cap is written into the module).
 */
export class MeteredVariants {
  private readonly variants = new Map<number | undefined, MeteredModule>();

  constructor(
    /** The program's module as it came (put together again on request when it was rewritten in place: see `ModuleWithRoom`). */
    private readonly original: () => Uint8Array,
    private readonly name: string,
    private readonly store?: InstrumentedStore,
    /** A component's core module: its imported memory is capped by the module that defines it. */
    private readonly importedMemoryCapped = false,
  ) {}

  get(maxMemoryBytes: number | undefined): MeteredModule {
    let variant = this.variants.get(maxMemoryBytes);
    if (variant === undefined) {
      const options: MeteringOptions = maxMemoryBytes === undefined ? {} : { maxMemoryBytes, importedMemoryCapped: this.importedMemoryCapped };
      const original = this.original();
      const make = () => instrumentFuel(original, options);
      let layout = this.store ? this.store.load(original, options, make) : make();
      let compiled: GuestModule;
      try {
        compiled = this.compile(layout.bytes);
      } catch (error) {
        if (this.store === undefined) throw error;
        layout = this.store.load(original, options, make, true); // a damaged entry: make it again
        compiled = this.compile(layout.bytes);
      }
      variant = { ...compiled, layout: { ...layout, bytes: new Uint8Array(0) }, maxMemoryBytes };
      this.variants.set(maxMemoryBytes, variant);
    }
    return variant;
  }

  /** A component's core modules share their memory, so only a module program's own memory becomes an import. */
  private compile(bytes: Uint8Array): GuestModule {
    return this.importedMemoryCapped ? { module: compileModule(bytes, this.name) } : compileWithImportedMemory(bytes, this.name).guest;
  }
}

/** The metered variant, or an `invalid-program` error naming what the rewriter cannot meter. */
export function meteredVariant(variants: MeteredVariants, maxMemoryBytes: number | undefined, name: string): MeteredModule {
  try {
    return variants.get(maxMemoryBytes);
  } catch (error) {
    if (!(error instanceof WasmRewriteError)) throw error;
    throw new GoodbotError('invalid-program', `${name} cannot run under fuel, timeout or memory limits: ${error.message}`, {
      hint: 'run it without limits, or rebuild it without the features named',
      path: name,
      cause: error,
    });
  }
}

/**
 * One metered instance's link to its run's limiter: the `out_of_fuel` import,
 * the fuel global once the instance exists, and the fuel it used.
 */
export class Metering {
  private fuel: WebAssembly.Global | undefined;
  private instance: WebAssembly.Instance | undefined;
  /** The run's limiter, until {@link settle} lets go of the run. */
  private limiter: RunLimiter | undefined;

  constructor(
    readonly variant: MeteredModule,
    limiter: RunLimiter,
  ) {
    this.limiter = limiter;
    const initial = variant.layout.initialMemoryBytes;
    if (variant.maxMemoryBytes !== undefined && initial !== undefined && initial > variant.maxMemoryBytes) {
      throw limiter.trip(
        'memory-limit',
        `the program needs ${formatMiB(initial)} of memory to start, over its ${formatMiB(variant.maxMemoryBytes)} limit`,
      );
    }
  }

  /** The import the instrumented module calls when its fuel runs out. */
  imports(): WebAssembly.Imports {
    const { importModule, importName } = this.variant.layout;
    // Before the instance exists (a start function) its global is not known yet; the guest adds what it is given.
    return { [importModule]: { [importName]: () => this.runLimiter().outOfFuel(this.fuel) } };
  }

  /** Gives the new instance its first slice of fuel. */
  attach(instance: WebAssembly.Instance): void {
    this.instance = instance;
    this.fuel = instance.exports[this.variant.layout.fuelExport] as WebAssembly.Global;
    this.runLimiter().meter(this.fuel);
  }

  /**
   * Records the fuel used, and reads a trap as the memory cap's doing only
   * when the instance's last `memory.grow` failed: its allocation got NULL
   * at the cap and it gave up. Any other trap (a division by zero, an
   * `unreachable` after memory grew fine) stays a trap, however small the cap.
   * Then lets go of the run: the instance may outlive it (see `Preview1Host.release`).
   */
  settle(trapped: boolean): void {
    const limiter = this.runLimiter();
    const instance = this.instance;
    if (this.fuel) limiter.settleFuel();
    this.limiter = this.instance = this.fuel = undefined;
    const cap = this.variant.maxMemoryBytes;
    const { memoryGrowExport } = this.variant.layout;
    if (!trapped || cap === undefined || memoryGrowExport === undefined) return;
    const lastGrow = instance?.exports[memoryGrowExport];
    if (lastGrow instanceof WebAssembly.Global && lastGrow.value === -1) {
      limiter.trip('memory-limit', `the program ran out of memory at its ${formatMiB(cap)} limit`);
    }
  }

  private runLimiter(): RunLimiter {
    if (this.limiter === undefined) throw new Error('a metered call after its run was settled');
    return this.limiter;
  }
}

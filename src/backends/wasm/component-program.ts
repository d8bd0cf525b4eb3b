import { GoodbotError } from '../../errors.js';
import type { LoadedProgram } from './loaded-program.js';
import { ProcessExit, type WasiContext } from '../../wasi/common/context.js';
import { createPreview2Imports, providedImports, type Interfaces } from '../../wasi/preview2/index.js';
import { Metering, meteredVariant, type MeteredModule, type MeteredVariants } from './metered-module.js';
import { outcomeOf, type GuestOutcome } from './outcome.js';

type InstantiateCore = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance;

/** The module jco generates with `instantiation: 'sync'`. */
export interface ComponentGlue {
  instantiate(getCoreModule: (path: string) => WebAssembly.Module, imports: Interfaces, instantiateCore?: InstantiateCore): unknown;
}

/** What a transpiled component needs and offers, read once from its glue. */
export interface ComponentShape {
  /** Interface -> the functions and resources the glue takes from it. */
  readonly imports: Readonly<Record<string, readonly string[]>>;
  /** The export key of `wasi:cli/run` (versioned, e.g. `wasi:cli/run@0.2.12`), if any. */
  readonly runExport: string | undefined;
}

/** Reads which import members the glue destructures at instantiation (`const { a, b: c } = imports['x'];`). */
export function importsOfGlue(source: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const match of source.matchAll(/const \{([^}]*)\} = imports\['([^']+)'\];/g)) {
    const names = match[1]!
      .split(',')
      .map((part) => part.split(':')[0]!.trim())
      .filter((name) => name.length > 0);
    found[match[2]!] = [...(found[match[2]!] ?? []), ...names];
  }
  return found;
}

/**
 * Refuses, before anything runs, a component this host cannot run: one that
 * imports an interface or member the preview2 face does not provide, or that
 * is not a command (no `wasi:cli/run` export).
 */
export function checkComponent(shape: ComponentShape, name: string): string {
  const provided = providedImports();
  for (const [iface, members] of Object.entries(shape.imports)) {
    const offered = provided.get(iface);
    const missing = offered === undefined ? [] : members.filter((member) => !offered.has(member));
    if (offered === undefined || missing.length > 0) {
      const what = offered === undefined ? iface : `${iface} (${missing.join(', ')})`;
      throw new GoodbotError('invalid-program', `${name} imports ${what}, which goodbot does not provide`, {
        hint: 'components may import WASI 0.2 interfaces only (cli, clocks, filesystem, io, random, sockets, http)',
        path: name,
      });
    }
  }
  if (shape.runExport === undefined) {
    throw new GoodbotError('invalid-program', `${name} exports no wasi:cli/run: it is not a command component`, {
      hint: 'build it as a WASI command (wasi:cli/command world)',
      path: name,
    });
  }
  return shape.runExport;
}

/**
 * Lets the exact exit code through. The preview1 command adapter turns
 * `proc_exit(n)` into `wasi:cli/exit.exit(ok | err)`, so every non-zero code
 * would become 1; the program module's own `proc_exit` import is replaced by
 * one that ends the run with the code it was given, as the preview1 face does.
 */
function withExactExit(imports: WebAssembly.Imports | undefined): WebAssembly.Imports | undefined {
  const preview1 = imports?.['wasi_snapshot_preview1'];
  if (preview1 === undefined || !('proc_exit' in preview1)) return imports;
  const procExit = (code: number) => {
    throw new ProcessExit(code >>> 0);
  };
  return { ...imports, wasi_snapshot_preview1: { ...preview1, proc_exit: procExit } };
}

const instantiateCore: InstantiateCore = (module, imports) => new WebAssembly.Instance(module, withExactExit(imports));

/** One core module of a transpiled component: compiled as is, and its metered variants. */
export interface ComponentCoreModule {
  readonly module: WebAssembly.Module;
  readonly metered: MeteredVariants;
}

/**
 * The core modules of one metered run: every one the glue instantiates is
 * the instrumented variant, linked to the run's limiter (they share its fuel
 * budget and deadline), and settled when the run ends.
 */
class MeteredInstances {
  private readonly variants = new Map<WebAssembly.Module, MeteredModule>();
  private readonly meterings: Metering[] = [];

  constructor(
    private readonly name: string,
    private readonly modules: ReadonlyMap<string, ComponentCoreModule>,
    private readonly ctx: WasiContext,
  ) {}

  readonly getCoreModule = (path: string): WebAssembly.Module => {
    const limiter = this.ctx.limiter!;
    const variant = meteredVariant(coreModule(this.modules, path, this.name).metered, limiter.limits.memoryBytes, this.name);
    this.variants.set(variant.module, variant);
    return variant.module;
  };

  readonly instantiateCore: InstantiateCore = (module, imports) => {
    const variant = this.variants.get(module);
    if (variant === undefined) return instantiateCore(module, imports);
    const metering = new Metering(variant, this.ctx.limiter!);
    this.meterings.push(metering);
    const instance = new WebAssembly.Instance(module, { ...withExactExit(imports), ...metering.imports() });
    metering.attach(instance);
    return instance;
  };

  settle(trapped: boolean): void {
    for (const metering of this.meterings) metering.settle(trapped);
  }
}

function coreModule(modules: ReadonlyMap<string, ComponentCoreModule>, path: string, name: string): ComponentCoreModule {
  const found = modules.get(path);
  if (found === undefined) throw new GoodbotError('runtime', `${name}: the transpiled component lacks ${path}`);
  return found;
}

/**
 * A component ready to run: its glue, its compiled core modules (shared by
 * every run), and the checked name of its run export. Each run instantiates
 * afresh with the preview2 face over that run's context; under fuel, timeout
 * or memory limits every core module runs instrumented.
 */
export function componentProgram(
  name: string,
  glue: ComponentGlue,
  modules: ReadonlyMap<string, ComponentCoreModule>,
  shape: ComponentShape,
): LoadedProgram {
  const runExport = checkComponent(shape, name);
  const getCoreModule = (path: string) => coreModule(modules, path, name).module;
  return {
    name,
    kind: 'component',
    run(ctx): GuestOutcome {
      const metered = ctx.limiter?.metered === true ? new MeteredInstances(name, modules, ctx) : undefined;
      let outcome: GuestOutcome | undefined;
      try {
        const imports = createPreview2Imports(ctx);
        const exports = (
          metered
            ? glue.instantiate(metered.getCoreModule, imports, metered.instantiateCore)
            : glue.instantiate(getCoreModule, imports, instantiateCore)
        ) as Record<string, { run(): void }>;
        exports[runExport]!.run();
        outcome = { kind: 'exit', code: 0 };
      } catch (error) {
        // `run` returning `err` (a command's failure) reaches us from the glue as a
        // ComponentError without payload (older glue: `throw undefined`).
        if (error === undefined || isRunError(error)) outcome = { kind: 'exit', code: 1 };
        else outcome = outcomeOf(error);
      } finally {
        metered?.settle(outcome?.kind === 'trap');
      }
      return outcome;
    },
  };
}

function isRunError(error: unknown): boolean {
  return error instanceof Error && error.constructor.name === 'ComponentError' && (error as { payload?: unknown }).payload === undefined;
}

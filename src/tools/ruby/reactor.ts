import type { ReactorDriver } from '../reactor-driver.js';
import { parseRubyArgs } from './arguments.js';
import { bootstrapSource } from './bootstrap.js';
import { RubyAbi, rubyAbiImports, rubyExports } from './canonical-abi.js';

const encoder = new TextEncoder();

/** Tells ruby.wasm's reactor from other core modules by its exports. */
export function isRubyReactor(module: WebAssembly.Module): boolean {
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  return (
    !exports.has('_start') &&
    exports.get('_initialize') === 'function' &&
    exports.get('memory') === 'memory' &&
    exports.get('cabi_realloc') === 'function' &&
    exports.get(rubyExports.rubyInit) === 'function' &&
    exports.get(rubyExports.evalProtect) === 'function'
  );
}

/**
 * The ruby of `@ruby/3.4-wasm-wasi` (catalog recipe `ruby`) is a WASI
 * *reactor*: no `_start`, but `_initialize` plus the legacy wit-bindgen API of
 * ruby.wasm (`ruby-init`, `rb-eval-string-protect`, ...). `ruby-init` runs
 * `ruby_options` on the arguments it is given, which sets up the VM, `$0`,
 * `ARGV` and the load path and compiles the `-e` program, but never runs it.
 * So this driver parses ruby's command line itself, lets `ruby-init` take the
 * options, and runs the program with a small Ruby bootstrap (see
 * {@link bootstrapSource}) that ends the process with `Process.exit!`, so the
 * run ends through `proc_exit` like any WASI command.
 *
 * It runs `ruby ARGS…` (`args[0]` is the program name): `ruby [options]
 * script.rb ARGS`, `ruby -e CODE ARGS`, or a program on stdin. Options: `-e`,
 * `-r`, `-I`, `-C`, `-E`, `-w`, `-W[level]`, `-d`, `-v`, `-c`, `-h`,
 * `--version`, `--enable/--disable-FEATURE`. An uncaught exception is reported
 * on stderr and ends with exit code 1, `exit n` with n; `at_exit` handlers run
 * at the end, as in ruby. ruby.wasm's JS bridge (`require "js"`) is not
 * available: its host calls trap.
 */
export const rubyReactor: ReactorDriver = {
  matches: isRubyReactor,
  run(program, command, instantiate) {
    const ruby = parseRubyArgs(command.args);
    if ('error' in ruby) {
      command.stderr.write(encoder.encode(`${ruby.programName}: ${ruby.error}\n`));
      return 1;
    }
    const abi = new RubyAbi(instantiate(rubyAbiImports(program)));
    abi.initialize();
    abi.rubyInit(ruby.initArgs);
    if (ruby.infoOnly) return 0;
    // The bootstrap ends with Process.exit! (proc_exit); returning means it failed itself.
    const state = abi.evalProtect(bootstrapSource(ruby, command.cwd));
    command.stderr.write(encoder.encode(`${ruby.programName}: the ruby bootstrap failed (state ${state})\n`));
    return 1;
  },
};

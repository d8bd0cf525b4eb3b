import { Preview1Host } from '../../wasi/preview1/host.js';
import type { WasiContext } from '../../wasi/common/context.js';
import type { Metering } from '../../backends/wasm/metered-module.js';
import { outcomeOf, type GuestOutcome } from '../../backends/wasm/outcome.js';

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
 */
const exportNames = {
  rubyInit: 'ruby-init: func(args: list<string>) -> ()',
  evalProtect: 'rb-eval-string-protect: func(str: string) -> tuple<handle<rb-abi-value>, s32>',
} as const;

/** Tells ruby.wasm's reactor from other core modules by its exports. */
export function isRubyReactor(module: WebAssembly.Module): boolean {
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  return (
    !exports.has('_start') &&
    exports.get('_initialize') === 'function' &&
    exports.get('memory') === 'memory' &&
    exports.get('cabi_realloc') === 'function' &&
    exports.get(exportNames.rubyInit) === 'function' &&
    exports.get(exportNames.evalProtect) === 'function'
  );
}

/**
 * Runs ruby.wasm's reactor as the command `ruby ARGS…` (`ctx.args[0]` is the
 * program name): `ruby [options] script.rb ARGS`, `ruby -e CODE ARGS`, or a
 * program on stdin. Options: `-e`, `-r`, `-I`, `-C`, `-E`, `-w`, `-W[level]`,
 * `-d`, `-v`, `-c`, `-h`, `--version`, `--enable/--disable-FEATURE`. An
 * uncaught exception is reported on stderr and ends with exit code 1, `exit n`
 * with n; `at_exit` handlers run at the end, as in ruby. ruby.wasm's JS bridge
 * (`require "js"`) is not available: its host calls trap.
 */
export function runRubyReactor(module: WebAssembly.Module, ctx: WasiContext, metering?: Metering): GuestOutcome {
  const host = new Preview1Host(ctx);
  let trapped = false;
  try {
    const command = parseRubyArgs(ctx.args);
    if ('error' in command) {
      ctx.stderr.write(encoder.encode(`${command.programName}: ${command.error}\n`));
      return { kind: 'exit', code: 1 };
    }
    const program = metering?.variant.module ?? module;
    const instance = new WebAssembly.Instance(program, { ...reactorImports(program, host), ...metering?.imports() });
    metering?.attach(instance);
    const abi = new RubyAbi(instance);
    host.memory.bind(abi.memory);
    (instance.exports['_initialize'] as () => void)();
    abi.rubyInit(command.initArgs);
    if (command.infoOnly) return { kind: 'exit', code: 0 };
    // The bootstrap ends with Process.exit! (proc_exit); returning means it failed itself.
    const state = abi.evalProtect(bootstrapSource(command, ctx.cwd));
    ctx.stderr.write(encoder.encode(`${command.programName}: the ruby bootstrap failed (state ${state})\n`));
    return { kind: 'exit', code: 1 };
  } catch (error) {
    const outcome = outcomeOf(error);
    trapped = outcome.kind === 'trap';
    return outcome;
  } finally {
    metering?.settle(trapped);
    host.closeAll();
  }
}

const encoder = new TextEncoder();

/** What `ruby ARGS…` asks for, split into what ruby-init takes and what the bootstrap runs. */
export interface RubyCommand {
  readonly programName: string;
  /** For `ruby-init` (ruby_options): program name, options, a no-op `-e`, `--`, ARGV. */
  readonly initArgs: string[];
  /** The `-e` program (several `-e` joined by newlines), if any. */
  readonly code?: string;
  /** The script path (`-` for stdin) when there is no `-e`. */
  readonly script?: string;
  /** `-r` libraries, required before the program. */
  readonly requires: string[];
  /** `-C DIR`: the directory to change to before anything runs. */
  readonly chdir?: string;
  /** `-c`: check the syntax only. */
  readonly syntaxOnly: boolean;
  /** `--version`, `-h`, or `-v` alone: ruby-init prints it, nothing runs. */
  readonly infoOnly: boolean;
}

const flagsWithValue = new Set(['I', 'r', 'C', 'E']);
const plainFlags = new Set(['w', 'd', 'v', 'h', 'c', 'U']);
const longWithValue = new Set(['--encoding', '--external-encoding', '--internal-encoding']);
const longPlain = new Set(['--version', '--help', '--verbose', '--debug', '--copyright']);

/** Parses ruby's command line (the subset above); an unsupported option is an error, as in ruby. */
export function parseRubyArgs(args: readonly string[]): RubyCommand | { programName: string; error: string } {
  const programName = args[0] ?? 'ruby';
  const options: string[] = [];
  const codes: string[] = [];
  const requires: string[] = [];
  let chdir: string | undefined;
  let syntaxOnly = false;
  let info = false;
  let versionFlag = false;
  let encodingGiven = false;
  const invalid = (option: string) => ({
    programName,
    error: `invalid option ${option}  (-h will show valid options) (RuntimeError)`,
  });
  let i = 1;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) break;
    if (arg.startsWith('--')) {
      const name = arg.split('=')[0]!;
      if (longPlain.has(arg)) {
        options.push(arg);
        if (arg === '--version' || arg === '--help' || arg === '--copyright') info = true;
      } else if (/^--(enable|disable)([-=])[\w,-]+$/.test(arg)) {
        options.push(arg);
      } else if (longWithValue.has(name)) {
        encodingGiven = true;
        if (arg.includes('=')) options.push(arg);
        else {
          const value = args[++i];
          if (value === undefined) return { programName, error: `missing argument for ${arg} (RuntimeError)` };
          options.push(`${arg}=${value}`);
        }
      } else {
        return invalid(name);
      }
      continue;
    }
    // A cluster of short options: -wd, -e CODE, -eCODE, -Ilib, -I lib, -W0, -W:deprecated.
    for (let j = 1; j < arg.length; j++) {
      const flag = arg[j]!;
      const rest = arg.slice(j + 1);
      if (flag === 'e' || flagsWithValue.has(flag)) {
        const value = rest !== '' ? rest : args[++i];
        if (value === undefined) {
          const error = flag === 'e' ? 'no code specified for -e' : `missing argument for -${flag}`;
          return { programName, error: `${error} (RuntimeError)` };
        }
        if (flag === 'e') codes.push(value);
        else if (flag === 'r') requires.push(value);
        else if (flag === 'C') chdir = value;
        else options.push(`-${flag}${value}`);
        if (flag === 'E') encodingGiven = true;
        break;
      }
      if (flag === 'W') {
        if (!/^([0-2]|:[\w-]+)?$/.test(rest)) return invalid(`-W${rest}`);
        options.push(`-W${rest}`);
        break;
      }
      if (!plainFlags.has(flag)) return invalid(`-${flag}`);
      if (flag === 'c') syntaxOnly = true;
      else options.push(`-${flag}`);
      if (flag === 'h') info = true;
      if (flag === 'v') versionFlag = true;
    }
  }
  const rest = args.slice(i);
  let script: string | undefined;
  let argv = rest;
  if (codes.length === 0) {
    if (rest.length > 0) {
      script = rest[0]!;
      argv = rest.slice(1);
    } else if (versionFlag) {
      info = true; // `ruby -v` prints the version and exits
    } else {
      script = '-';
    }
  }
  // syntax_suggest needs threads (Timeout), which ruby.wasm lacks; a later --enable can still ask for it.
  const defaults = [...(encodingGiven ? [] : ['-EUTF-8']), '--disable-syntax_suggest'];
  const initArgs = [programName, ...defaults, ...options, '-e', '_=0', '--', ...argv];
  return {
    programName,
    initArgs,
    ...(codes.length > 0 && { code: codes.join('\n') }),
    ...(script !== undefined && { script }),
    requires,
    ...(chdir !== undefined && { chdir }),
    syntaxOnly,
    infoOnly: info,
  };
}

/** A Ruby string literal for any JS string (well-formed UTF-8, no interpolation). */
function rubyString(text: string): string {
  const wellFormed = new TextDecoder().decode(encoder.encode(text));
  return JSON.stringify(wellFormed).replace(/#/g, '\\#');
}

/**
 * The Ruby that runs the program. It is evaluated at top level by
 * `rb-eval-string-protect` (frames of file `eval`, dropped from backtraces),
 * inside a lambda so none of its locals reach TOPLEVEL_BINDING. The program is
 * compiled as a top-level iseq (`compile_file` for a script: `__FILE__`,
 * `require_relative` and a top-level `return` work as in ruby), whose own
 * locals are not TOPLEVEL_BINDING's, unlike ruby's main script. ruby-init
 * leaves `at_exit` handlers to `ruby_cleanup`, which a reactor never reaches,
 * so `at_exit` is recorded here and the handlers run at the end (last first,
 * with `$!` set as in ruby). Output buffers are flushed before `exit!`.
 */
export function bootstrapSource(command: RubyCommand, cwd: string): string {
  const code = command.code !== undefined ? rubyString(command.code) : 'nil';
  const script = command.script !== undefined ? rubyString(command.script) : 'nil';
  const requires = `[${command.requires.map(rubyString).join(', ')}]`;
  const chdir = command.chdir !== undefined ? rubyString(command.chdir) : 'nil';
  return `->(code, script, requires, chdir, syntax_only, cwd, progname) do
  handlers = []
  record = ->(block) do
    raise ArgumentError, "called without a block" unless block
    handlers << block
    block
  end
  verbose, $VERBOSE = $VERBOSE, nil
  Kernel.send(:define_method, :at_exit) { |&block| record.(block) }
  Kernel.send(:private, :at_exit)
  Kernel.define_singleton_method(:at_exit) { |&block| record.(block) }
  $VERBOSE = verbose
  main = code ? "-e" : script
  report = ->(error) do
    text =
      begin
        error.full_message(order: :top)
      rescue Exception
        trace = error.backtrace || []
        ["#{trace.first}: #{error.message} (#{error.class})", *trace.drop(1).map { |line| "\\tfrom #{line}" }, ""].join("\\n")
      end
    lines = text.lines
    if lines.first&.start_with?("eval:")
      prefix = error.is_a?(SyntaxError) ? "#{main}: " : "#{progname}: "
      lines[0] = lines[0].sub(/\\Aeval:\\d+:in '[^']*': /, prefix)
    end
    lines.reject! { |line| line.start_with?("\\tfrom eval:") || line.match?(/\\A\\tfrom [^:]*:in 'Kernel\\.eval'\\n?\\z/) }
    $stderr.write(lines.join.gsub("in '<compiled>'", "in '<main>'"))
  end
  status = 0
  run_handlers = -> do
    while (handler = handlers.pop)
      begin
        handler.call
      rescue SystemExit => e
        status = e.status
      rescue Exception => e
        report.(e)
        status = 1
      end
    end
  end
  begin
    Dir.chdir(cwd) if cwd != "/" && File.directory?(cwd)
    if chdir
      begin
        Dir.chdir(chdir)
      rescue SystemCallError
        $stderr.write("#{progname}: Can't chdir to #{chdir} (fatal)\\n")
        Process.exit!(1)
      end
    end
    requires.each { |lib| require lib }
    iseq =
      if code
        RubyVM::InstructionSequence.compile(code, "-e", nil, 1)
      elsif script == "-"
        $0 = "-"
        RubyVM::InstructionSequence.compile($stdin.read, "-", nil, 1)
      else
        $0 = script
        begin
          source = File.binread(script)
        rescue SystemCallError => e
          $stderr.write("#{progname}: #{SystemCallError.new(nil, e.errno).message} -- #{script} (LoadError)\\n")
          Process.exit!(1)
        end
        if !syntax_only && (data = /^__END__\\r?\\n/n.match(source))
          file = File.open(script)
          file.seek(data.end(0))
          Object.const_set(:DATA, file)
        end
        RubyVM::InstructionSequence.compile_file(script)
      end
    if syntax_only
      $stdout.puts "Syntax OK"
    else
      iseq.eval
    end
  rescue SystemExit => e
    status = e.status
    run_handlers.()
  rescue Exception => e
    status = 1
    run_handlers.()
    report.(e)
  else
    run_handlers.()
  end
  [$stdout, $stderr, STDOUT, STDERR].uniq.each { |io| io.flush rescue nil }
  Process.exit!(status)
end.(${code}, ${script}, ${requires}, ${chdir}, ${command.syntaxOnly}, ${rubyString(cwd)}, ${rubyString(command.programName)})
`;
}

/** The reactor's imports: our preview1 face; its JS bridge and resource intrinsics. */
function reactorImports(module: WebAssembly.Module, host: Preview1Host): WebAssembly.Imports {
  // rb-abi-value handles the guest gives us (we never keep values; one slot per handle).
  const handles: number[] = [];
  const canonicalAbi: Record<string, (...args: number[]) => number | void> = {
    'resource_new_rb-abi-value': (value) => handles.push(value) - 1,
    'resource_get_rb-abi-value': (handle) => {
      const value = handles[handle];
      if (value === undefined) throw new WebAssembly.RuntimeError(`ruby: invalid rb-abi-value handle ${handle}`);
      return value;
    },
    'resource_drop_js-abi-value': () => {},
  };
  const jsBridge: Record<string, () => never> = {};
  for (const entry of WebAssembly.Module.imports(module)) {
    if (entry.module !== 'rb-js-abi-host') continue;
    const name = entry.name.split(':')[0]!;
    jsBridge[entry.name] = () => {
      throw new WebAssembly.RuntimeError(`ruby: the JS bridge is not available in goodbot (rb-js-abi-host ${name})`);
    };
  }
  return { wasi_snapshot_preview1: host.imports(), canonical_abi: canonicalAbi, 'rb-js-abi-host': jsBridge };
}

/** The calls of the legacy canonical ABI this driver makes. */
class RubyAbi {
  readonly memory: WebAssembly.Memory;
  private readonly realloc: (ptr: number, oldSize: number, align: number, size: number) => number;

  constructor(private readonly instance: WebAssembly.Instance) {
    this.memory = instance.exports['memory'] as WebAssembly.Memory;
    this.realloc = instance.exports['cabi_realloc'] as RubyAbi['realloc'];
  }

  /** `ruby-init(args)`: each string NUL-terminated (the guest uses them as C strings). */
  rubyInit(args: readonly string[]): void {
    const list = this.realloc(0, 0, 4, args.length * 8);
    args.forEach((arg, i) => {
      const [ptr, len] = this.string(`${arg}\0`);
      const view = new DataView(this.memory.buffer);
      view.setInt32(list + i * 8, ptr, true);
      view.setInt32(list + i * 8 + 4, len, true);
    });
    (this.instance.exports[exportNames.rubyInit] as (ptr: number, len: number) => void)(list, args.length);
  }

  /** `rb-eval-string-protect(source)`: the protect state (0: no exception). */
  evalProtect(source: string): number {
    const [ptr, len] = this.string(`${source}\0`);
    const ret = (this.instance.exports[exportNames.evalProtect] as (ptr: number, len: number) => number)(ptr, len);
    return new DataView(this.memory.buffer).getInt32(ret + 4, true);
  }

  private string(text: string): [number, number] {
    const bytes = encoder.encode(text);
    const ptr = this.realloc(0, 0, 1, bytes.length);
    new Uint8Array(this.memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length];
  }
}

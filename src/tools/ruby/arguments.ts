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

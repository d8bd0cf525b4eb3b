/** Where a shell takes its commands from. */
export type ShellSource =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stdin' };

/** A shell's command line (`sh -e -c 'LINE' name a b`), understood. */
export interface ShellInvocation {
  /** `set` options given before the source (`-e`, `-o pipefail`…). */
  readonly options: readonly string[];
  readonly source: ShellSource;
  /** `$0`. */
  readonly scriptName: string;
  /** `$1`, `$2`, … */
  readonly positional: readonly string[];
}

/**
 * Reads ARGS (after argv[0], which is NAME) as `sh` and `bash` do: options,
 * then `-c TEXT [NAME [ARGS…]]`, or a script FILE [ARGS…], or (none, or
 * `-s`) commands from stdin. A usage error is a message.
 */
export function parseInvocation(name: string, args: readonly string[]): ShellInvocation | { readonly error: string } {
  const options: string[] = [];
  let command = false;
  let fromStdin = false;
  let index = 0;
  for (; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--') {
      index++;
      break;
    }
    if (arg === '-c') command = true;
    else if (arg === '-s') fromStdin = true;
    else if (arg === '-o' || arg === '+o') {
      const option = args[++index];
      if (option === undefined) return { error: `${arg}: option requires an argument` };
      options.push(arg, option);
    } else if (/^[-+][a-zA-Z]+$/.test(arg)) {
      const letters = arg.slice(1);
      if (letters.includes('c')) command = true;
      if (letters.includes('s')) fromStdin = true;
      const rest = letters.replace(/[cs]/g, '');
      if (rest !== '') options.push(`${arg[0]}${rest}`);
    } else break;
  }
  const rest = args.slice(index);
  if (command) {
    if (rest.length === 0) return { error: '-c: option requires an argument' };
    return { options, source: { kind: 'text', text: rest[0]! }, scriptName: rest[1] ?? name, positional: rest.slice(2) };
  }
  if (fromStdin || rest.length === 0) return { options, source: { kind: 'stdin' }, scriptName: name, positional: rest };
  return { options, source: { kind: 'file', path: rest[0]! }, scriptName: rest[0]!, positional: rest.slice(1) };
}

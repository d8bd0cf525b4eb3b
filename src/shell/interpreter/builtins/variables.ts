import { absolutePath } from '../files.js';
import type { ShellOptions, ShellState } from '../state.js';
import type { Builtin, BuiltinContext } from './index.js';

const namePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `NAME=value` or `NAME`: sets or touches each, then applies CHANGE (export, readonly). */
async function assignEach(context: BuiltinContext, names: readonly string[], change: (name: string) => void): Promise<number> {
  let status = 0;
  for (const argument of names) {
    const equals = argument.indexOf('=');
    const name = equals === -1 ? argument : argument.slice(0, equals);
    if (!namePattern.test(name)) {
      await context.error(`'${argument}': not a valid identifier`);
      status = 1;
      continue;
    }
    if (equals !== -1) context.state.setVariable(name, argument.slice(equals + 1));
    change(name);
  }
  return status;
}

function quoted(value: string): string {
  return `"${value.replace(/(["\\$`])/g, '\\$1')}"`;
}

const exportBuiltin: Builtin = async (context) => {
  const { state, args, out } = context;
  const unexport = args[0] === '-n';
  const names = args.filter((arg) => !/^-[np]$/.test(arg));
  if (names.length === 0) {
    for (const [name, variable] of [...state.variables].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (variable.exported && !Array.isArray(variable.value)) await out(`declare -x ${name}=${quoted(variable.value)}\n`);
    }
    return 0;
  }
  return assignEach(context, names, (name) => {
    const variable = state.variables.get(name);
    if (variable !== undefined) variable.exported = !unexport;
    else if (unexport) state.exportWhenSet.delete(name);
    else state.exportWhenSet.add(name);
  });
};

const readonlyBuiltin: Builtin = (context) =>
  assignEach(
    context,
    context.args.filter((arg) => arg !== '-p'),
    (name) => {
      const variable = context.state.variables.get(name);
      if (variable === undefined) context.state.variables.set(name, { value: '', exported: false, readonly: true });
      else variable.readonly = true;
    },
  );

const unset: Builtin = async ({ args, state, error }) => {
  let functions = false;
  let status = 0;
  for (const name of args) {
    if (name === '-f' || name === '-v') {
      functions = name === '-f';
      continue;
    }
    if (functions) state.functions.delete(name);
    else if (state.variables.get(name)?.readonly) {
      await error(`${name}: cannot unset: readonly variable`);
      status = 1;
    } else if (state.variables.has(name) || state.exportWhenSet.has(name)) state.unset(name);
    else state.functions.delete(name);
  }
  return status;
};

/**
 * `local` and `declare`/`typeset`. Inside a function both make locals
 * (unless `declare -g`): the caller's value is saved and comes back when
 * the function returns, as bash's dynamic scoping does.
 */
function declaration(isLocal: boolean): Builtin {
  return async ({ state, args, error }) => {
    const inFunction = state.localFrames.length > 0;
    if (isLocal && !inFunction) {
      await error('can only be used in a function');
      return 1;
    }
    const isFlag = (arg: string) => /^[-+][a-zA-Z]+$/.test(arg);
    const flags = new Set(args.filter(isFlag).flatMap((arg) => arg.slice(1).split('')));
    const unsupported = [...flags].filter((flag) => !'axrgil'.includes(flag));
    if (unsupported.length > 0) {
      await error(`-${unsupported.join('')}: not supported`);
      return 2;
    }
    const makeLocal = inFunction && !flags.has('g');
    let status = 0;
    for (const argument of args.filter((arg) => !isFlag(arg))) {
      const equals = argument.indexOf('=');
      const name = equals === -1 ? argument : argument.slice(0, equals);
      if (!namePattern.test(name)) {
        await error(`'${argument}': not a valid identifier`);
        status = 1;
        continue;
      }
      if (makeLocal) state.makeLocal(name);
      if (equals !== -1) state.setVariable(name, argument.slice(equals + 1));
      else if (makeLocal) state.variables.delete(name);
      if (flags.has('a') && equals === -1) state.setVariable(name, []);
      const variable = state.variables.get(name);
      if (variable !== undefined && flags.has('x')) variable.exported = true;
      if (variable !== undefined && flags.has('r')) variable.readonly = true;
    }
    return status;
  };
}

const optionNames: Readonly<Record<string, keyof ShellOptions>> = {
  errexit: 'errexit',
  nounset: 'nounset',
  pipefail: 'pipefail',
  noglob: 'noglob',
  xtrace: 'xtrace',
};
const optionLetters: Readonly<Record<string, keyof ShellOptions>> = { e: 'errexit', u: 'nounset', f: 'noglob', x: 'xtrace' };

/** `set`: options (`-e`, `-o pipefail`, `+u`…) and positional parameters (`set -- a b`). */
export async function setOptions(state: ShellState, args: readonly string[], report: (message: string) => Promise<void>): Promise<number> {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--' || arg === '-') {
      state.positional = args.slice(i + 1);
      return 0;
    }
    if (!/^[-+]/.test(arg)) {
      state.positional = args.slice(i);
      return 0;
    }
    const on = arg.startsWith('-');
    if (arg.slice(1) === 'o') {
      const name = args[++i];
      if (name === undefined) {
        for (const [option, key] of Object.entries(optionNames)) await report(`${option.padEnd(15)}\t${state.options[key] ? 'on' : 'off'}`);
        continue;
      }
      const key = optionNames[name];
      if (key === undefined) {
        await report(`${name}: invalid option name`);
        return 2;
      }
      state.options[key] = on;
      continue;
    }
    for (const letter of arg.slice(1)) {
      const key = optionLetters[letter];
      if (key !== undefined) state.options[key] = on;
      else if (!'hBHmbvCPT'.includes(letter)) {
        await report(`${arg[0]}${letter}: invalid option`);
        return 2;
      }
    }
  }
  return 0;
}

const set: Builtin = async ({ args, state, out, error }) => {
  if (args.length === 0) {
    for (const [name, variable] of [...state.variables].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const value = Array.isArray(variable.value)
        ? `(${variable.value.map((v, i) => `[${i}]=${quoted(v)}`).join(' ')})`
        : `'${variable.value.replace(/'/g, "'\\''")}'`;
      await out(`${name}=${value}\n`);
    }
    return 0;
  }
  return setOptions(state, args, error);
};

const shift: Builtin = async ({ args, state, error }) => {
  const count = args[0] === undefined ? 1 : Number(args[0]);
  if (!Number.isInteger(count) || count < 0) {
    await error(`${args[0]}: numeric argument required`);
    return 1;
  }
  if (count > state.positional.length) return 1;
  state.positional = state.positional.slice(count);
  return 0;
};

/** `read`: one line (or up to a delimiter) split by IFS into names, byte by byte so the rest stays for the next reader. */
const read: Builtin = async ({ args, state, stdin, error }) => {
  let raw = false;
  let delimiter = '\n';
  let count: number | undefined;
  let array: string | undefined;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-r') raw = true;
    else if (arg === '-s') continue;
    else if (arg === '-d') delimiter = (args[++i] ?? '').slice(0, 1) || '\0';
    else if (arg === '-n' || arg === '-N') count = Number(args[++i]);
    else if (arg === '-a') array = args[++i];
    else if (arg === '-p' || arg === '-t' || arg === '-u') i++;
    else if (arg.startsWith('-') && arg.length > 1) {
      await error(`${arg}: invalid option`);
      return 2;
    } else names.push(arg);
  }
  const bytes: number[] = [];
  let ended = false;
  let escaped = false;
  // A file or buffer gives a whole record at once; a pipe is read byte by byte, so the rest stays for the next reader.
  let pending: Uint8Array = new Uint8Array(0);
  let at = 0;
  const nextByte = async (): Promise<number | undefined> => {
    if (at < pending.length) return pending[at++];
    pending = count === undefined && stdin.readThrough ? await stdin.readThrough(delimiter.charCodeAt(0)) : await stdin.read(1);
    at = 0;
    return pending.length === 0 ? undefined : pending[at++];
  };
  for (;;) {
    if (count !== undefined && bytes.length >= count) break;
    const byte = await nextByte();
    if (byte === undefined) {
      ended = true;
      break;
    }
    const chunk = [byte];
    const char = String.fromCharCode(byte);
    if (!raw && !escaped && char === '\\') {
      escaped = true;
      continue;
    }
    if (escaped) {
      escaped = false;
      if (char === '\n') continue;
      bytes.push(0x5c00 | chunk[0]!);
      continue;
    }
    if (char === delimiter) break;
    bytes.push(chunk[0]!);
  }
  // Escaped characters are marked so IFS does not split at them, then unmarked.
  const line = new TextDecoder().decode(Uint8Array.from(bytes.map((b) => b & 0xff)));
  const protectedAt = new Set(bytes.flatMap((b, i) => (b > 0xff ? [i] : [])));
  const ifs = state.get('IFS') ?? ' \t\n';
  const targets = array !== undefined ? [] : names.length > 0 ? names : ['REPLY'];
  const fields = splitForRead(line, ifs, array !== undefined ? Infinity : targets.length, protectedAt, names.length === 0 && array === undefined);
  if (array !== undefined) state.setVariable(array, fields);
  else targets.forEach((name, i) => state.setVariable(name, fields[i] ?? ''));
  return ended && bytes.length === 0 ? 1 : ended ? 1 : 0;
};

/** LINE cut at IFS into at most MAX fields, the last taking the rest; REPLY keeps the line whole. */
function splitForRead(line: string, ifs: string, max: number, protectedAt: ReadonlySet<number>, whole: boolean): string[] {
  const white = ifs
    .split('')
    .filter((c) => ' \t\n'.includes(c))
    .join('');
  const isWhite = (c: string) => white.includes(c);
  if (whole) return [line];
  const fields: string[] = [];
  let i = 0;
  const skipWhite = () => {
    while (i < line.length && isWhite(line[i]!) && !protectedAt.has(i)) i++;
  };
  skipWhite();
  while (i < line.length) {
    if (fields.length === max - 1) {
      let rest = line.slice(i);
      let end = rest.length;
      while (end > 0 && isWhite(rest[end - 1]!) && !protectedAt.has(i + end - 1)) end--;
      rest = rest.slice(0, end);
      fields.push(rest);
      break;
    }
    let field = '';
    while (i < line.length && (protectedAt.has(i) || !ifs.includes(line[i]!))) field += line[i++];
    fields.push(field);
    skipWhite();
    if (i < line.length && ifs.includes(line[i]!) && !isWhite(line[i]!)) {
      i++;
      skipWhite();
    }
  }
  return fields;
}

const cd: Builtin = async ({ args, state, stat, out, error }) => {
  const operands = args.filter((arg) => arg !== '-L' && arg !== '-P');
  let target = operands[0] ?? state.get('HOME');
  if (target === undefined) {
    await error('HOME not set');
    return 1;
  }
  const back = target === '-';
  if (back) target = state.get('OLDPWD') ?? state.cwd;
  const path = absolutePath(state.cwd, target);
  const found = stat(path);
  if (found?.type !== 'directory') {
    await error(`${target}: ${found === undefined ? 'No such file or directory' : 'Not a directory'}`);
    return 1;
  }
  state.setVariable('OLDPWD', state.cwd);
  state.cwd = path;
  state.setVariable('PWD', path);
  if (back) await out(`${path}\n`);
  return 0;
};

const pwd: Builtin = async ({ state, out }) => {
  await out(`${state.cwd}\n`);
  return 0;
};

const letBuiltin: Builtin = async ({ args, shell, state, error }) => {
  let value = 0n;
  try {
    for (const expression of args) value = shell.expander(state).arithmetic(expression);
  } catch (thrown) {
    await error((thrown as Error).message);
    return 1;
  }
  return value !== 0n ? 0 : 1;
};

export const variableBuiltins: readonly [string, Builtin][] = [
  ['export', exportBuiltin],
  ['readonly', readonlyBuiltin],
  ['unset', unset],
  ['local', declaration(true)],
  ['declare', declaration(false)],
  ['typeset', declaration(false)],
  ['set', set],
  ['shift', shift],
  ['read', read],
  ['cd', cd],
  ['pwd', pwd],
  ['let', letBuiltin],
];

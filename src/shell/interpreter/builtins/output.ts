import { maxValueLength, ValueTooLarge } from '../sizes.js';
import { EscapedText } from '../../parser/escaped-text.js';
import type { Builtin } from './index.js';

/**
 * How an escape's octal digits are read: `echo -e` takes `\0NNN` only; printf's
 * format takes `\NNN`; `%b` takes both (bash's extension).
 */
type OctalEscapes = 'echo' | 'format' | 'argument';

/** Backslash escapes of `echo -e`, `printf`'s format and `%b`. STOP: `\c` ends all output. */
function unescape(text: string, octal: OctalEscapes): { text: string; stop: boolean } {
  const out = new EscapedText();
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char !== '\\' || i + 1 >= text.length) {
      out.append(char);
      continue;
    }
    const next = text[++i]!;
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', e: '\x1b', E: '\x1b', '\\': '\\' };
    if (next in simple) out.append(simple[next]!);
    else if (next === 'c') return { text: out.toString(), stop: true };
    else if (next === 'x') {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 1))?.[0];
      if (hex === undefined) out.append('\\x');
      else {
        out.appendByte(parseInt(hex, 16));
        i += hex.length;
      }
    } else if (/[0-7]/.test(next) && (octal !== 'echo' || next === '0')) {
      const afterZero = next === '0' && octal !== 'format';
      const digits = /^[0-7]{1,3}/.exec(text.slice(afterZero ? i + 1 : i))?.[0] ?? '';
      out.appendByte(parseInt(digits || '0', 8));
      i += afterZero ? digits.length : digits.length - 1;
    } else out.append(`\\${next}`);
  }
  return { text: out.toString(), stop: false };
}

const echo: Builtin = async ({ args, out }) => {
  let newline = true;
  let escapes = false;
  let index = 0;
  for (; index < args.length && /^-[neE]+$/.test(args[index]!); index++) {
    for (const flag of args[index]!.slice(1)) {
      if (flag === 'n') newline = false;
      else escapes = flag === 'e';
    }
  }
  let text = args.slice(index).join(' ');
  if (escapes) {
    const result = unescape(text, 'echo');
    text = result.text;
    if (result.stop) newline = false;
  }
  await out(newline ? `${text}\n` : text);
  return 0;
};

/** A number argument of printf: decimal, hex, octal, or `'c` for a character's code. */
function numberArgument(text: string): { value: number; valid: boolean } {
  if (text === '') return { value: 0, valid: true };
  if (text.startsWith("'") || text.startsWith('"')) return { value: text.codePointAt(1) ?? 0, valid: true };
  const trimmed = text.trim();
  if (/^[-+]?0[xX][0-9a-fA-F]+$/.test(trimmed)) return { value: Number.parseInt(trimmed, 16), valid: true };
  if (/^[-+]?0[0-7]+$/.test(trimmed)) return { value: Number.parseInt(trimmed, 8), valid: true };
  if (/^[-+]?[0-9]+$/.test(trimmed)) return { value: Number(trimmed), valid: true };
  const float = Number(trimmed);
  if (trimmed !== '' && !Number.isNaN(float)) return { value: float, valid: true };
  const prefix = /^[-+]?[0-9]+/.exec(trimmed)?.[0];
  return { value: prefix === undefined ? 0 : Number(prefix), valid: false };
}

/** `%q`: TEXT quoted as bash quotes it, so a shell reads it back as one word. */
function shellQuote(text: string): string {
  if (text === '') return "''";
  // Control characters need $'…'; anything else special gets a backslash.
  if (/[\x00-\x1f\x7f]/.test(text)) {
    const named: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\x1b': '\\E' };
    const body = Array.from(text)
      .map(
        (char) =>
          named[char] ??
          (/[\x00-\x1f\x7f]/.test(char) ? `\\${char.charCodeAt(0).toString(8).padStart(3, '0')}` : /['\\]/.test(char) ? `\\${char}` : char),
      )
      .join('');
    return `$'${body}'`;
  }
  return text.replace(/[^A-Za-z0-9_@%+=:,./-]/g, '\\$&');
}

function pad(text: string, width: number, left: boolean, zero: boolean): string {
  if (text.length >= width) return text;
  if (left) return text.padEnd(width);
  if (zero) {
    const sign = /^[-+ ]/.test(text) ? text[0]! : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

/** A width or precision: at most the size of a shell value (a billion-wide field would fill the host's memory). */
function fieldSize(size: number): number {
  if (Math.abs(size) > maxValueLength) throw new ValueTooLarge(`printf: a field of ${size} characters is wider than ${maxValueLength}`);
  return size;
}

const conversion = /%([-+ 0#]*)(\*|[0-9]+)?(?:\.(\*|[0-9]*))?([diouxXcsbqfFeEgGaA%])/g;

/** Formats ARGS by FORMAT, reusing it while arguments remain, as printf(1) does. */
function format(formatText: string, args: readonly string[]): { text: string; bad: string[] } {
  const bad: string[] = [];
  let text = '';
  let next = 0;
  const take = () => args[next++] ?? '';
  do {
    const start = next;
    let stop = false;
    const piece = unescape(formatText, 'format');
    const body = piece.text.replace(
      conversion,
      (_whole, flags: string, widthText: string | undefined, precisionText: string | undefined, kind: string) => {
        if (kind === '%') return '%';
        if (stop) return '';
        const width = fieldSize(widthText === '*' ? numberArgument(take()).value : widthText ? Number(widthText) : 0);
        const precision =
          precisionText === '*'
            ? fieldSize(numberArgument(take()).value)
            : precisionText === undefined
              ? undefined
              : fieldSize(Number(precisionText || '0'));
        const left = flags.includes('-') || width < 0;
        const zero = flags.includes('0') && !left;
        const argument = take();
        let value: string;
        switch (kind) {
          case 's':
            value = precision === undefined ? argument : argument.slice(0, precision);
            break;
          case 'b': {
            const result = unescape(argument, 'argument');
            if (result.stop) stop = true;
            value = result.text;
            break;
          }
          case 'q':
            value = shellQuote(argument);
            break;
          case 'c':
            value = argument.slice(0, 1);
            break;
          default: {
            const number = numberArgument(argument);
            if (!number.valid) bad.push(argument);
            const n = number.value;
            const sign = n < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
            const magnitude = Math.abs(n);
            if ('di'.includes(kind)) value = sign + String(Math.trunc(magnitude)).padStart(precision ?? 0, '0');
            else if (kind === 'u') value = String(Math.trunc(n < 0 ? 2 ** 64 + n : n));
            else if (kind === 'o') value = (flags.includes('#') ? '0' : '') + Math.trunc(magnitude).toString(8);
            else if (kind === 'x' || kind === 'X') {
              const hex = Math.trunc(n < 0 ? 2 ** 64 + n : n).toString(16);
              value = (flags.includes('#') && n !== 0 ? '0x' : '') + (kind === 'X' ? hex.toUpperCase() : hex);
            } else if (kind === 'f' || kind === 'F') value = sign + magnitude.toFixed(precision ?? 6);
            else if (kind === 'e' || kind === 'E') {
              const exp = magnitude.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
              value = sign + (kind === 'E' ? exp.toUpperCase() : exp);
            } else value = sign + String(Number(magnitude.toPrecision(precision || 6)));
          }
        }
        return pad(value, Math.abs(width), left, zero && !'sbqc'.includes(kind));
      },
    );
    text += body;
    if (stop || piece.stop || next === start) break;
  } while (next < args.length);
  return { text, bad };
}

const printf: Builtin = async ({ args, out, error, state }) => {
  let rest = args;
  let variable: string | undefined;
  if (rest[0] === '-v') {
    variable = rest[1];
    rest = rest.slice(2);
  }
  if (rest[0] === '--') rest = rest.slice(1);
  if (rest.length === 0) {
    await error('usage: printf [-v var] format [arguments]');
    return 2;
  }
  const { text, bad } = format(rest[0]!, rest.slice(1));
  for (const argument of bad) await error(`${argument}: invalid number`);
  if (variable !== undefined) state.setVariable(variable, text);
  else await out(text);
  return bad.length > 0 ? 1 : 0;
};

export const outputBuiltins: readonly [string, Builtin][] = [
  ['echo', echo],
  ['printf', printf],
];

import type { ParameterExpansion, ParameterOperation, Statement, Word, WordPart } from '../ast.js';
import { EscapedText } from './escaped-text.js';
import { isMetacharacter, type Scanner } from './scanner.js';

/** How the parser reads nested command lines: `$( … )` on the same text, and backquotes' text. */
export interface NestedParser {
  /** The statements of a `$( … )` whose `$(` was just consumed, up to and over its `)`. */
  substitution(scanner: Scanner): Statement[];
  /** The statements of a whole text (a backquoted command). */
  scriptText(scanner: Scanner): Statement[];
}

/** Where a word ends and which quoting applies inside it. */
interface WordMode {
  /** Whether CHAR (undefined: the end of the text) ends the word. */
  readonly stops: (char: string | undefined) => boolean;
  /** `'…'`, `"…"` and `$'…'` quote (outside double quotes and here-documents). */
  readonly quotes: boolean;
  /** Characters a backslash quotes; undefined: every character. */
  readonly escapable: string | undefined;
  /** Literal text is quoted (inside double quotes, a here-document, arithmetic). */
  readonly quotedText: boolean;
  /** Reaching the end of the text is an error with this message. */
  readonly unterminated?: string;
}

const normalMode: WordMode = { stops: isMetacharacter, quotes: true, escapable: undefined, quotedText: false };
/** `[[ x =~ regex ]]`: parentheses and `|` belong to the regex. */
const regexMode: WordMode = {
  stops: (char) => char === undefined || char === ' ' || char === '\t' || char === '\n',
  quotes: true,
  escapable: undefined,
  quotedText: false,
};
const doubleQuotedMode: WordMode = {
  stops: (char) => char === '"' || char === undefined,
  quotes: false,
  escapable: '$`"\\\n',
  quotedText: true,
  unterminated: "unexpected end of file while looking for the matching '\"'",
};
/** A here-document's body or arithmetic text: expansions, no quotes. */
const textMode: WordMode = { stops: (char) => char === undefined, quotes: false, escapable: '$`\\\n', quotedText: true };

/** Inside `${…}`: up to one of STOPS. */
function parameterMode(stops: string): WordMode {
  return {
    stops: (char) => char === undefined || stops.includes(char),
    quotes: true,
    escapable: undefined,
    quotedText: false,
    unterminated: "bad substitution: no closing '}'",
  };
}

const namePattern = /^[A-Za-z_][A-Za-z0-9_]*/;
const specialParameters = '@*#?-$!';

/** Reads words and their expansions at a scanner's position. */
export class WordReader {
  constructor(
    private readonly scanner: Scanner,
    private readonly nested: NestedParser,
  ) {}

  /** An unquoted word (a command's name or argument, a redirection target); undefined when none starts here. */
  word(): Word | undefined {
    return this.read(normalMode);
  }

  /** The right side of `=~` in `[[ ]]`. */
  regex(): Word | undefined {
    return this.read(regexMode);
  }

  /** TEXT (a here-document body, arithmetic) as one quoted word with its expansions. */
  static text(text: string, firstLine: number, nested: NestedParser, outer: Scanner): Word {
    const reader = new WordReader(outer.inner(text, firstLine), nested);
    return { parts: [{ type: 'DoubleQuoted', parts: reader.parts(textMode) }] };
  }

  private read(mode: WordMode): Word | undefined {
    const start = this.scanner.pos;
    const parts = this.parts(mode);
    return this.scanner.pos === start ? undefined : { parts };
  }

  private parts(mode: WordMode): WordPart[] {
    return this.scanner.nested(() => this.partsHere(mode));
  }

  private partsHere(mode: WordMode): WordPart[] {
    const s = this.scanner;
    const parts: WordPart[] = [];
    const text = (type: 'Literal' | 'Quoted', value: string) => {
      const last = parts.at(-1);
      if (last?.type === type) parts[parts.length - 1] = { type, value: last.value + value };
      else parts.push({ type, value });
    };
    const plain = mode.quotedText ? 'Quoted' : 'Literal';
    for (;;) {
      const char = s.peek();
      if (mode.stops(char)) {
        if (char === undefined && mode.unterminated !== undefined) throw s.error(mode.unterminated);
        return parts;
      }
      if (char === '\\') {
        const next = s.peek(1);
        if (next === '\n') s.pos += 2;
        else if (next !== undefined && (mode.escapable === undefined || mode.escapable.includes(next))) {
          text('Quoted', next);
          s.pos += 2;
        } else {
          text(mode.escapable === undefined ? 'Quoted' : plain, '\\');
          s.pos++;
        }
      } else if (char === "'" && mode.quotes) {
        const end = s.source.indexOf("'", s.pos + 1);
        if (end === -1) throw s.error('unexpected end of file while looking for the matching "\'"');
        text('Quoted', s.source.slice(s.pos + 1, end));
        s.pos = end + 1;
      } else if (char === '"' && mode.quotes) {
        parts.push(this.doubleQuoted());
      } else if (char === '$') {
        const part = this.dollar(mode);
        if (part.type === 'Literal' || part.type === 'Quoted') text(part.type === 'Literal' ? plain : 'Quoted', part.value);
        else parts.push(part);
      } else if (char === '`') {
        parts.push(this.backquoted());
      } else {
        text(plain, char!);
        s.pos++;
      }
    }
  }

  private doubleQuoted(): WordPart {
    this.scanner.pos++;
    const parts = this.parts(doubleQuotedMode);
    this.scanner.pos++;
    return { type: 'DoubleQuoted', parts };
  }

  /** What starts with `$`: an expansion, a `$'…'` string, or a plain `$`. */
  private dollar(mode: WordMode): WordPart {
    const s = this.scanner;
    const next = s.peek(1);
    if (next === '{') return this.braced();
    if (next === '(') {
      const arithmeticEnd = s.peek(2) === '(' ? this.arithmeticEnd(s.pos + 3) : undefined;
      if (arithmeticEnd !== undefined) {
        const expression = WordReader.text(s.source.slice(s.pos + 3, arithmeticEnd), s.lineAt(), this.nested, s);
        s.pos = arithmeticEnd + 2;
        return { type: 'ArithmeticExpansion', expression };
      }
      s.pos += 2;
      return { type: 'CommandSubstitution', body: this.nested.substitution(s) };
    }
    if (next === "'" && mode.quotes) return this.ansiC();
    if (next === '"' && mode.quotes) {
      s.pos++;
      return this.doubleQuoted();
    }
    const name = namePattern.exec(s.source.slice(s.pos + 1, s.pos + 257))?.[0];
    if (name !== undefined) {
      s.pos += 1 + name.length;
      return { type: 'Parameter', name };
    }
    if (next !== undefined && (/[0-9]/.test(next) || specialParameters.includes(next))) {
      s.pos += 2;
      return { type: 'Parameter', name: next };
    }
    s.pos++;
    return { type: 'Literal', value: '$' };
  }

  /**
   * Where the `))` of a `$((` ends, when the text from FROM closes as
   * arithmetic; undefined for `$( (…) …)`, a command substitution that
   * starts with a subshell.
   */
  private arithmeticEnd(from: number): number | undefined {
    const source = this.scanner.source;
    let depth = 0;
    for (let i = from; i < source.length; i++) {
      const char = source[i];
      if (char === '(') depth++;
      else if (char === ')') {
        if (depth > 0) depth--;
        else return source[i + 1] === ')' ? i : undefined;
      }
    }
    return undefined;
  }

  private backquoted(): WordPart {
    const s = this.scanner;
    const line = s.lineAt();
    let text = '';
    let i = s.pos + 1;
    for (; i < s.source.length && s.source[i] !== '`'; i++) {
      const char = s.source[i]!;
      const next = s.source[i + 1];
      if (char === '\\' && next !== undefined && '$`\\'.includes(next)) {
        text += next;
        i++;
      } else text += char;
    }
    if (i >= s.source.length) throw s.error("unexpected end of file while looking for the matching '`'");
    s.pos = i + 1;
    return { type: 'CommandSubstitution', body: this.nested.scriptText(s.inner(text, line)) };
  }

  /** `$'…'`: backslash escapes as in C. */
  private ansiC(): WordPart {
    const s = this.scanner;
    s.pos += 2;
    const value = new EscapedText();
    for (;;) {
      const char = s.peek();
      if (char === undefined) throw s.error('unexpected end of file while looking for the matching "\'"');
      s.pos++;
      if (char === "'") return { type: 'Quoted', value: value.toString() };
      if (char !== '\\') {
        value.append(char);
        continue;
      }
      const escape = s.peek();
      s.pos++;
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v' };
      if (escape !== undefined && escape in simple) value.append(simple[escape]!);
      else if (escape === 'x' || escape === 'u' || escape === 'U') {
        const digits = /^[0-9a-fA-F]+/.exec(s.source.slice(s.pos, s.pos + (escape === 'x' ? 2 : escape === 'u' ? 4 : 8)))?.[0] ?? '';
        s.pos += digits.length;
        const code = parseInt(digits || '0', 16);
        if (!digits) value.append(`\\${escape}`);
        else if (escape === 'x') value.appendByte(code);
        else if (code <= 0x10ffff) value.append(String.fromCodePoint(code));
      } else if (escape !== undefined && /[0-7]/.test(escape)) {
        const digits = /^[0-7]{1,3}/.exec(s.source.slice(s.pos - 1, s.pos + 2))![0];
        s.pos += digits.length - 1;
        value.appendByte(parseInt(digits, 8));
      } else value.append(escape ?? '');
    }
  }

  /** `${…}` */
  private braced(): ParameterExpansion {
    const s = this.scanner;
    s.pos += 2;
    let length = false;
    let indirect = false;
    if (s.peek() === '#' && s.peek(1) !== '}') {
      length = true;
      s.pos++;
    } else if (s.peek() === '!' && s.peek(1) !== '}') {
      indirect = true;
      s.pos++;
    }
    const name = this.parameterName();
    const index = s.peek() === '[' ? this.subscript() : undefined;
    const operation = length ? undefined : this.parameterOperation();
    if (s.peek() !== '}') throw s.error(`bad substitution: \${${length ? '#' : ''}${name}… has no closing '}'`);
    s.pos++;
    return {
      type: 'Parameter',
      name,
      ...(length && { length }),
      ...(indirect && { indirect }),
      ...(index !== undefined && { index }),
      ...(operation && { operation }),
    };
  }

  /** `[index]` after a name (the `[` is here): `@`, `*` or arithmetic text. */
  subscript(): '@' | '*' | Word {
    const s = this.scanner;
    let depth = 0;
    for (let i = s.pos + 1; i < s.source.length; i++) {
      const char = s.source[i];
      if (char === '[') depth++;
      else if (char === ']' && depth-- === 0) {
        const text = s.source.slice(s.pos + 1, i);
        const line = s.lineAt();
        s.pos = i + 1;
        return text === '@' || text === '*' ? text : WordReader.text(text, line, this.nested, s);
      }
    }
    throw s.error("bad array subscript: no closing ']'");
  }

  private parameterName(): string {
    const s = this.scanner;
    const rest = s.source.slice(s.pos, s.pos + 256);
    const name = namePattern.exec(rest)?.[0] ?? /^[0-9]+/.exec(rest)?.[0] ?? (specialParameters.includes(rest[0] ?? '') ? rest[0] : undefined);
    if (name === undefined) throw s.error(`bad substitution: \${${rest.split('}')[0]}}`);
    s.pos += name.length;
    return name;
  }

  private parameterOperation(): ParameterOperation | undefined {
    const s = this.scanner;
    const word = (stops: string): Word => ({ parts: this.parts(parameterMode(stops)) });
    const char = s.peek();
    const colon = char === ':' && s.peek(1) !== undefined && '-=?+'.includes(s.peek(1)!);
    const test = colon ? s.peek(1) : char;
    if (test !== undefined && '-=?+'.includes(test)) {
      s.pos += colon ? 2 : 1;
      const type = ({ '-': 'Default', '=': 'Assign', '?': 'Error', '+': 'Alternative' } as const)[test as '-' | '=' | '?' | '+'];
      return { type, colon, word: word('}') };
    }
    switch (char) {
      case '}':
        return undefined;
      case ':': {
        s.pos++;
        const offset = word(':}');
        if (s.peek() !== ':') return { type: 'Substring', offset, length: undefined };
        s.pos++;
        return { type: 'Substring', offset, length: word('}') };
      }
      case '#':
      case '%': {
        s.pos++;
        const longest = s.peek() === char;
        if (longest) s.pos++;
        return { type: char === '#' ? 'RemovePrefix' : 'RemoveSuffix', longest, pattern: word('}') };
      }
      case '/': {
        s.pos++;
        const all = s.peek() === '/';
        const anchor = s.peek() === '#' ? 'start' : s.peek() === '%' ? 'end' : undefined;
        if (all || anchor) s.pos++;
        const pattern = word('/}');
        if (s.peek() !== '/') return { type: 'Replace', all, anchor, pattern, replacement: { parts: [] } };
        s.pos++;
        return { type: 'Replace', all, anchor, pattern, replacement: word('}') };
      }
      case '^':
      case ',': {
        s.pos++;
        const all = s.peek() === char;
        if (all) s.pos++;
        if (s.peek() !== '}') throw s.error('case changes with a pattern (${name^pattern}) are not supported', 'unsupported');
        return { type: 'Case', upper: char === '^', all };
      }
      case undefined:
        throw s.error("bad substitution: no closing '}'");
      default:
        throw s.error(`bad substitution: '${char}' after \${name`);
    }
  }
}

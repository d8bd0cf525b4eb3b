/**
 * Shell patterns (globs): `*`, `?`, `[…]` with ranges, negation and
 * classes, in file names, `case`, `[[ == ]]` and `${x#pattern}`. Text that
 * was quoted matches itself only, so a pattern is kept as pieces.
 */
import { maxValueLength, ValueTooLarge } from './sizes.js';

export interface PatternPiece {
  readonly text: string;
  readonly quoted: boolean;
}

const classes: Readonly<Record<string, string>> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
  word: 'a-zA-Z0-9_',
};

const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** Whether PIECES hold an unquoted `*`, `?` or a `[…]` that closes: a pattern, not plain text (`[` alone is the test command). */
export function hasGlob(pieces: readonly PatternPiece[]): boolean {
  return pieces.some((piece) => {
    if (piece.quoted) return false;
    const text = piece.text.replace(/\\./g, '');
    if (/[*?]/.test(text)) return true;
    const open = text.indexOf('[');
    return open !== -1 && bracketExpression(text, open) !== undefined;
  });
}

/** The regular expression source that matches what PIECES match (no anchors). */
export function patternSource(pieces: readonly PatternPiece[]): string {
  let source = '';
  for (const piece of pieces) {
    if (piece.quoted) {
      source += escapeRegExp(piece.text);
      continue;
    }
    const text = piece.text;
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      if (char === '*') source += '[\\s\\S]*';
      else if (char === '?') source += '[\\s\\S]';
      else if (char === '\\' && i + 1 < text.length) source += escapeRegExp(text[++i]!);
      else if (char === '[') {
        const bracket = bracketExpression(text, i);
        if (bracket === undefined) source += '\\[';
        else {
          source += bracket.source;
          i = bracket.end;
        }
      } else source += escapeRegExp(char);
    }
  }
  return source;
}

/** The `[…]` starting at START of TEXT as a regex class, and where it ends; undefined when it does not close. */
function bracketExpression(text: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  let negated = false;
  if (text[i] === '!' || text[i] === '^') {
    negated = true;
    i++;
  }
  let body = '';
  let first = true;
  for (; i < text.length; i++, first = false) {
    const char = text[i]!;
    if (char === ']' && !first) return { source: `[${negated ? '^' : ''}${body}]`, end: i };
    if (char === '[' && text[i + 1] === ':') {
      const close = text.indexOf(':]', i + 2);
      const name = close === -1 ? undefined : text.slice(i + 2, close);
      if (name !== undefined && name in classes) {
        body += classes[name];
        i = close + 1;
        continue;
      }
    }
    if (char === '\\' && i + 1 < text.length) body += escapeRegExp(text[++i]!);
    else if (char === '-' && !first && text[i + 1] !== ']') body += '-';
    else body += escapeRegExp(char);
  }
  return undefined;
}

/** Whether the whole of TEXT matches PIECES. */
export function matchesPattern(pieces: readonly PatternPiece[], text: string): boolean {
  return new RegExp(`^${patternSource(pieces)}$`, 'u').test(text);
}

/**
 * TEXT without the shortest or longest prefix (`#`, `##`) or suffix (`%`,
 * `%%`) that matches PIECES; TEXT itself when none does.
 */
export function removeAffix(text: string, pieces: readonly PatternPiece[], side: 'prefix' | 'suffix', longest: boolean): string {
  const whole = new RegExp(`^${patternSource(pieces)}$`, 'u');
  const lengths = Array.from({ length: text.length + 1 }, (_, i) => i);
  if (longest) lengths.reverse();
  for (const length of lengths) {
    const part = side === 'prefix' ? text.slice(0, length) : text.slice(text.length - length);
    if (whole.test(part)) return side === 'prefix' ? text.slice(length) : text.slice(0, text.length - length);
  }
  return text;
}

/** `${x/pattern/replacement}` and its `//`, `/#`, `/%` forms: the longest match wins at each place. */
export function replacePattern(
  text: string,
  pieces: readonly PatternPiece[],
  replacement: string,
  options: { readonly all: boolean; readonly anchor: 'start' | 'end' | undefined },
): string {
  const source = patternSource(pieces);
  if (source === '') return text;
  if (options.anchor === 'start') return text.replace(new RegExp(`^(?:${source})`, 'u'), () => replacement);
  if (options.anchor === 'end') {
    const whole = new RegExp(`^(?:${source})$`, 'u');
    for (let start = 0; start <= text.length; start++) if (whole.test(text.slice(start))) return text.slice(0, start) + replacement;
    return text;
  }
  // Checked as it goes: a replacement repeated at every match could multiply the value's size.
  let size = text.length;
  return text.replace(new RegExp(source, options.all ? 'gu' : 'u'), (match: string) => {
    size += replacement.length - match.length;
    if (size > maxValueLength) throw new ValueTooLarge(`a replacement would make a value of more than ${maxValueLength} characters`);
    return replacement;
  });
}

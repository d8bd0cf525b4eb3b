import type { Word, WordPart } from '../ast.js';

/** Most words one brace expansion may make (`{1..1000000000}` would otherwise fill the host's memory). */
export const maxBraceWords = 100_000;

export class BraceExpansionError extends Error {
  override readonly name = 'BraceExpansionError';
}

/** One unit of a word for brace expansion: a character of unquoted text, or a part that braces never split. */
type Token = { readonly char: string } | { readonly part: WordPart };

/**
 * Brace expansion, bash's first expansion: `a{b,c}d` makes `abd acd`,
 * `{1..5}`, `{a..e}` and `{01..10..3}` make sequences, and braces nest.
 * Only unquoted text takes part (`"{a,b}"` and `\{` stay as written); a
 * brace without a comma or a valid range stays as written.
 */
export function expandBraces(word: Word): Word[] {
  const tokens: Token[] = [];
  for (const part of word.parts) {
    if (part.type === 'Literal') for (const char of part.value) tokens.push({ char });
    else tokens.push({ part });
  }
  if (!tokens.some((token) => 'char' in token && token.char === '{')) return [word];
  return expand(tokens).map(toWord);
}

function expand(tokens: readonly Token[]): Token[][] {
  for (let open = 0; open < tokens.length; open++) {
    if (!isChar(tokens[open], '{')) continue;
    const group = closingOf(tokens, open);
    if (group === undefined) continue;
    const prefix = tokens.slice(0, open);
    const suffixes = expand(tokens.slice(group.close + 1));
    const out: Token[][] = [];
    for (const alternative of group.alternatives.flatMap((alt) => expand(alt))) {
      for (const suffix of suffixes) {
        out.push([...prefix, ...alternative, ...suffix]);
        if (out.length > maxBraceWords) throw new BraceExpansionError(`brace expansion makes more than ${maxBraceWords} words`);
      }
    }
    return out;
  }
  return [[...tokens]];
}

/** The `}` closing the `{` at OPEN and what the group stands for: its comma-separated parts, or a range. */
function closingOf(tokens: readonly Token[], open: number): { close: number; alternatives: Token[][] } | undefined {
  let depth = 0;
  const commas: number[] = [];
  for (let i = open + 1; i < tokens.length; i++) {
    if (isChar(tokens[i], '{')) depth++;
    else if (isChar(tokens[i], '}')) {
      if (depth > 0) {
        depth--;
        continue;
      }
      if (commas.length > 0) {
        const bounds = [open, ...commas, i];
        return { close: i, alternatives: bounds.slice(1).map((end, k) => tokens.slice(bounds[k]! + 1, end)) };
      }
      const range = sequence(tokens.slice(open + 1, i));
      return range === undefined ? undefined : { close: i, alternatives: range.map((text) => Array.from(text, (char) => ({ char }))) };
    } else if (depth === 0 && isChar(tokens[i], ',')) commas.push(i);
  }
  return undefined;
}

/** `{1..5}`, `{5..1..2}`, `{a..e}`, `{01..10}`: the words of a range, or undefined when TOKENS is none. */
function sequence(tokens: readonly Token[]): string[] | undefined {
  if (!tokens.every((token) => 'char' in token)) return undefined;
  const text = tokens.map((token) => (token as { char: string }).char).join('');
  const numeric = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(text);
  const letters = /^([a-zA-Z])\.\.([a-zA-Z])(?:\.\.(-?\d+))?$/.exec(text);
  const match = numeric ?? letters;
  if (match === null) return undefined;
  const from = numeric ? Number(match[1]) : match[1]!.charCodeAt(0);
  const to = numeric ? Number(match[2]) : match[2]!.charCodeAt(0);
  const step = Math.abs(Number(match[3] ?? 1)) || 1;
  const count = Math.floor(Math.abs(to - from) / step) + 1;
  if (count > maxBraceWords) throw new BraceExpansionError(`brace expansion makes more than ${maxBraceWords} words`);
  // `{01..10}`: a leading zero pads every number to the widest bound.
  const width = numeric && /^-?0\d/.test(match[1]!) ? Math.max(match[1]!.length, match[2]!.length) : 0;
  const words: string[] = [];
  for (let k = 0, value = from; k < count; k++, value += from <= to ? step : -step) {
    words.push(
      numeric ? (value < 0 ? '-' + String(-value).padStart(width - 1, '0') : String(value).padStart(width, '0')) : String.fromCharCode(value),
    );
  }
  return words;
}

function isChar(token: Token | undefined, char: string): boolean {
  return token !== undefined && 'char' in token && token.char === char;
}

function toWord(tokens: readonly Token[]): Word {
  const parts: WordPart[] = [];
  for (const token of tokens) {
    if ('part' in token) parts.push(token.part);
    else {
      const last = parts.at(-1);
      if (last?.type === 'Literal') parts[parts.length - 1] = { type: 'Literal', value: last.value + token.char };
      else parts.push({ type: 'Literal', value: token.char });
    }
  }
  return { parts };
}

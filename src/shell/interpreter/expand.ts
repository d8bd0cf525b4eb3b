import type { ParameterExpansion, Statement, Word, WordPart } from '../ast.js';
import { ArithmeticError, evaluateArithmetic, type ArithmeticVariables } from './arithmetic.js';
import { BraceExpansionError, expandBraces } from './braces.js';
import { absolutePath, type ShellFiles } from './files.js';
import { hasGlob, matchesPattern, removeAffix, replacePattern, type PatternPiece } from './pattern.js';
import { bounded, maxGlobMatches, ValueTooLarge } from './sizes.js';
import type { ShellState } from './state.js';

/** An expansion the shell cannot do: `${x:?message}`, an unset variable under `set -u`, bad arithmetic. The shell reports it and stops. */
export class ExpansionError extends Error {
  override readonly name = 'ExpansionError';

  /** The status the shell leaves with: bash gives 127 for an unset parameter (`set -u`, `${x:?}`), 1 otherwise. */
  constructor(
    message: string,
    readonly status = 1,
  ) {
    super(message);
  }
}

/** What expansion needs from the shell around it. */
export interface ExpansionHost {
  readonly state: ShellState;
  /** For pathname expansion; none: globs stay as written. */
  readonly files: ShellFiles | undefined;
  /** Runs BODY in a subshell and gives its output (`$( … )`). */
  substitute(body: readonly Statement[]): Promise<string>;
  /** Throws when the run must stop: called for each folder a glob lists, which may be many. */
  checkpoint(): void;
}

/**
 * One piece of an expanded word: its text, whether quoting protects it
 * (from splitting and globbing), and whether it came from an unquoted
 * expansion (so field splitting applies).
 */
interface Chunk {
  readonly text: string;
  readonly quoted: boolean;
  readonly split: boolean;
}

/** `"$@"` ends a field between positional parameters. */
const fieldBreak = 'field-break' as const;
type Expanded = Chunk | typeof fieldBreak;

const specialNames = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

/** Expands words: parameters, arithmetic, command substitution, then field splitting, pathname expansion and quote removal. */
export class Expander {
  constructor(private readonly host: ExpansionHost) {}

  private get state(): ShellState {
    return this.host.state;
  }

  /** WORDS as a command's arguments: every expansion (braces first), splitting and globbing. */
  async fields(words: readonly Word[]): Promise<string[]> {
    const out: string[] = [];
    for (const written of words) {
      let braced: Word[];
      try {
        braced = expandBraces(written);
      } catch (error) {
        if (error instanceof BraceExpansionError) throw new ExpansionError(error.message);
        throw error;
      }
      for (const word of braced) {
        for (const field of this.split(await this.expand(word.parts, false))) {
          for (const path of this.glob(field)) out.push(bounded(path, 'a word'));
        }
      }
    }
    return out;
  }

  /** WORD as one string: no splitting, no globbing (assignments, redirection targets, `case` subjects, here-documents). */
  async string(word: Word): Promise<string> {
    const chunks = await this.expand(word.parts, false);
    return bounded(chunks.map((chunk) => (chunk === fieldBreak ? ' ' : chunk.text)).join(''), 'a word');
  }

  /** WORD as a pattern: quoted parts match themselves only (`case`, `[[ == ]]`, `${x#…}`). */
  async pattern(word: Word): Promise<PatternPiece[]> {
    const chunks = await this.expand(word.parts, false);
    return chunks.filter((chunk): chunk is Chunk => chunk !== fieldBreak).map(({ text, quoted }) => ({ text, quoted }));
  }

  /** The value of arithmetic TEXT. */
  arithmetic(text: string): bigint {
    try {
      return evaluateArithmetic(text, this.arithmeticVariables);
    } catch (error) {
      if (error instanceof ArithmeticError) throw new ExpansionError(`${text.trim()}: ${error.message}`);
      throw error;
    }
  }

  private readonly arithmeticVariables: ArithmeticVariables = {
    get: (name) => this.state.get(name),
    set: (name, value) => this.state.setVariable(name, value),
  };

  private async expand(parts: readonly WordPart[], quoted: boolean): Promise<Expanded[]> {
    const out: Expanded[] = [];
    for (const [index, part] of parts.entries()) {
      switch (part.type) {
        case 'Literal':
          out.push({ text: index === 0 && !quoted ? this.tilde(part.value) : part.value, quoted, split: false });
          break;
        case 'Quoted':
          out.push({ text: part.value, quoted: true, split: false });
          break;
        case 'DoubleQuoted': {
          const inner = await this.expand(part.parts, true);
          // "" is an empty field of its own; "$@" with no parameters is none.
          if (inner.length === 0 && !part.parts.some((p) => p.type === 'Parameter' && p.name === '@' && !p.operation)) {
            out.push({ text: '', quoted: true, split: false });
          }
          out.push(...inner);
          break;
        }
        case 'Parameter':
          out.push(...(await this.parameter(part, quoted)));
          break;
        case 'CommandSubstitution': {
          const text = (await this.host.substitute(part.body)).replace(/\n+$/, '');
          out.push({ text, quoted, split: !quoted });
          break;
        }
        case 'ArithmeticExpansion': {
          const value = this.arithmetic(await this.string(part.expression));
          out.push({ text: value.toString(), quoted, split: !quoted });
          break;
        }
      }
    }
    return out;
  }

  /** `~` and `~/…` at the start of an unquoted word: the home folder. */
  private tilde(text: string): string {
    if (text !== '~' && !text.startsWith('~/')) return text;
    const home = this.state.get('HOME');
    return home === undefined ? text : home + text.slice(1);
  }

  /** The values a parameter stands for: several for `$@` and `${a[@]}`, one otherwise, none when unset. */
  private async values(expansion: ParameterExpansion): Promise<string[] | undefined> {
    const { name, index } = expansion;
    if (name === '@' || name === '*') return this.state.positional;
    if (/^[0-9]+$/.test(name)) return name === '0' ? [this.state.scriptName] : optional(this.state.positional[Number(name) - 1]);
    if (specialNames.has(name)) return [this.special(name)];
    const variable = this.state.variables.get(name);
    if (variable === undefined) return undefined;
    // Arrays are sparse: unset elements are holes, skipped by `@` and `*` and not counted.
    const elements: readonly (string | undefined)[] = Array.isArray(variable.value) ? variable.value : [variable.value];
    if (index === '@' || index === '*') return elements.filter((element) => element !== undefined);
    if (index === undefined) return optional(elements[0]);
    const at = Number(this.arithmetic(await this.string(index)));
    return optional(elements[at < 0 ? elements.length + at : at]);
  }

  private special(name: string): string {
    switch (name) {
      case '#':
        return String(this.state.positional.length);
      case '?':
        return String(this.state.lastStatus);
      case '-':
        return (this.state.options.errexit ? 'e' : '') + (this.state.options.nounset ? 'u' : '') + (this.state.options.noglob ? 'f' : '') + 'h';
      case '$':
        return '1';
      case '!':
        return this.state.lastJob === undefined ? '' : String(this.state.lastJob);
      default:
        return '';
    }
  }

  private async parameter(expansion: ParameterExpansion, quoted: boolean): Promise<Expanded[]> {
    const target = expansion.indirect ? await this.indirectTarget(expansion) : expansion;
    const many = target.name === '@' || target.name === '*' || target.index === '@' || target.index === '*';
    let values = await this.values(target);
    if (target.length) {
      const count = many ? (values ?? []).length : Array.from(values?.[0] ?? '').length;
      this.checkSet(target, values);
      return [{ text: String(count), quoted, split: !quoted }];
    }
    const operation = target.operation;
    const unset = values === undefined || (many && values.length === 0);
    const empty = unset || (!many && values![0] === '') || (many && values!.every((v) => v === ''));
    if (operation?.type === 'Default' || operation?.type === 'Assign' || operation?.type === 'Error' || operation?.type === 'Alternative') {
      const missing = operation.colon ? empty : unset;
      if (operation.type === 'Alternative') return missing ? [] : this.expand(operation.word.parts, quoted);
      if (missing) {
        if (operation.type === 'Default') return this.expand(operation.word.parts, quoted);
        const word = await this.string(operation.word);
        if (operation.type === 'Error') throw new ExpansionError(`${target.name}: ${word || 'parameter null or not set'}`, 127);
        this.state.setVariable(target.name, word);
        values = [word];
      }
    } else this.checkSet(target, values);
    let texts = values ?? [];
    if (operation !== undefined) texts = await Promise.all(texts.map((text) => this.operate(text, operation)));
    if (!many) return [{ text: texts[0] ?? '', quoted, split: !quoted }];
    const joined = target.name === '*' || target.index === '*';
    if (quoted && !joined)
      return texts.flatMap((text, i) => (i === 0 ? [{ text, quoted, split: false }] : [fieldBreak, { text, quoted, split: false }]));
    const separator = quoted ? (this.state.get('IFS') ?? ' ').slice(0, 1) : ' ';
    return [{ text: texts.join(separator), quoted, split: !quoted }];
  }

  private async indirectTarget(expansion: ParameterExpansion): Promise<ParameterExpansion> {
    const name = (await this.values({ type: 'Parameter', name: expansion.name }))?.[0];
    if (name === undefined || !/^([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])$/.test(name)) {
      throw new ExpansionError(`${expansion.name}: invalid indirect expansion`);
    }
    const { indirect: _, ...rest } = expansion;
    return { ...rest, name };
  }

  private checkSet(expansion: ParameterExpansion, values: string[] | undefined): void {
    if (values === undefined && this.state.options.nounset && !specialNames.has(expansion.name)) {
      throw new ExpansionError(`${expansion.name}: unbound variable`, 127);
    }
  }

  private async operate(text: string, operation: NonNullable<ParameterExpansion['operation']>): Promise<string> {
    switch (operation.type) {
      case 'RemovePrefix':
      case 'RemoveSuffix':
        return removeAffix(text, await this.pattern(operation.pattern), operation.type === 'RemovePrefix' ? 'prefix' : 'suffix', operation.longest);
      case 'Replace':
        return replacePattern(text, await this.pattern(operation.pattern), await this.string(operation.replacement), operation);
      case 'Substring': {
        const chars = Array.from(text);
        let offset = Number(this.arithmetic(await this.string(operation.offset)));
        if (offset < 0) offset = Math.max(0, chars.length + offset);
        let end = chars.length;
        if (operation.length !== undefined) {
          const length = Number(this.arithmetic(await this.string(operation.length)));
          end = length < 0 ? chars.length + length : offset + length;
          if (end < offset) throw new ExpansionError(`${length}: substring expression < 0`);
        }
        return chars.slice(offset, end).join('');
      }
      case 'Case': {
        const change = (char: string) => (operation.upper ? char.toUpperCase() : char.toLowerCase());
        return operation.all ? change(text) : change(text.slice(0, 1)) + text.slice(1);
      }
      default:
        return text;
    }
  }

  /** Field splitting: unquoted expansion results break at the characters of IFS. */
  private split(chunks: readonly Expanded[]): PatternPiece[][] {
    const ifs = this.state.get('IFS') ?? ' \t\n';
    const fields: PatternPiece[][] = [];
    let current: PatternPiece[] = [];
    let started = false;
    const end = (force: boolean) => {
      if (started || force) fields.push(current);
      current = [];
      started = false;
    };
    for (const chunk of chunks) {
      if (chunk === fieldBreak) {
        end(true);
        continue;
      }
      if (!chunk.split || ifs === '') {
        current.push({ text: chunk.text, quoted: chunk.quoted });
        if (chunk.quoted || chunk.text !== '') started = true;
        continue;
      }
      let text = '';
      for (const char of chunk.text) {
        if (!ifs.includes(char)) {
          text += char;
          continue;
        }
        if (text !== '') {
          current.push({ text, quoted: false });
          started = true;
          text = '';
        }
        if (' \t\n'.includes(char)) {
          if (started) end(false);
        } else end(true);
      }
      if (text !== '') {
        current.push({ text, quoted: false });
        started = true;
      }
    }
    end(false);
    return fields;
  }

  /** Pathname expansion of one field: the matching paths, sorted; the field as written when none match. */
  private glob(field: readonly PatternPiece[]): string[] {
    const literal = field.map((piece) => piece.text).join('');
    const files = this.host.files;
    if (files === undefined || this.state.options.noglob || !hasGlob(field)) return [literal];
    const components = splitPieces(field);
    const absolute = literal.startsWith('/');
    let paths: string[] = [absolute ? '/' : ''];
    for (const component of components) {
      if (component.length === 0) continue;
      const next: string[] = [];
      for (const base of paths) {
        if (!hasGlob(component)) {
          next.push(join(base, component.map((piece) => piece.text).join('')));
          continue;
        }
        this.host.checkpoint();
        const names = files.list(absolutePath(this.state.cwd, base || '.')) ?? [];
        const dotted = component[0]?.text.startsWith('.') ?? false;
        for (const name of names.sort(compareNames)) {
          if (name.startsWith('.') && !dotted) continue;
          if (matchesPattern(component, name)) next.push(join(base, name));
        }
        if (next.length > maxGlobMatches) throw new ValueTooLarge(`a pattern matches more than ${maxGlobMatches} paths`);
      }
      paths = next;
    }
    const found = paths.filter((path) => files.stat(absolutePath(this.state.cwd, path)) !== undefined);
    return found.length === 0 ? [literal] : found;
  }
}

function optional(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : [value];
}

function join(base: string, name: string): string {
  if (base === '') return name;
  return base.endsWith('/') ? base + name : `${base}/${name}`;
}

/** Byte order, as bash sorts globs under the C locale. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A field's pieces cut at each `/` into path components. */
function splitPieces(field: readonly PatternPiece[]): PatternPiece[][] {
  const components: PatternPiece[][] = [[]];
  for (const piece of field) {
    const [first, ...rest] = piece.text.split('/');
    if (first) components.at(-1)!.push({ text: first, quoted: piece.quoted });
    for (const part of rest) components.push(part ? [{ text: part, quoted: piece.quoted }] : []);
  }
  return components;
}

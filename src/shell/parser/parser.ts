import type {
  ArithmeticForCommand,
  Assignment,
  CaseCommand,
  Command,
  ForCommand,
  IfCommand,
  LoopCommand,
  Pipeline,
  Redirection,
  RedirectionOperator,
  Script,
  Statement,
  Word,
} from '../ast.js';
import { parseConditional } from './conditional.js';
import { isMetacharacter, Scanner } from './scanner.js';
import { WordReader, type NestedParser } from './words.js';

/** Words that are reserved where a command starts. */
const reservedWords = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'case',
  'esac',
  'while',
  'until',
  'for',
  'in',
  'function',
  'select',
  'time',
  '{',
  '}',
  '!',
  '[[',
  ']]',
  'coproc',
]);

const redirectionOperators = new Set<string>(['<', '>', '>>', '>|', '<>', '<&', '>&', '&>', '&>>', '<<', '<<-', '<<<']);

/** What ends a list: reserved words and operators. */
type Terminators = ReadonlySet<string>;
const none: Terminators = new Set();

/**
 * Parses a command line or script (POSIX sh and the bash forms listed in
 * docs/shell.md) into a {@link Script}. Throws a `ShellSyntaxError`
 * for bad syntax and for constructs the shell does not run, naming them.
 */
export function parseScript(source: string): Script {
  const parser = new Parser(new Scanner(source));
  return { type: 'Script', body: parser.script() };
}

class Parser implements NestedParser {
  private readonly words: WordReader;

  constructor(private readonly s: Scanner) {
    this.words = new WordReader(s, this);
  }

  script(): Statement[] {
    const body = this.list(none);
    if (!this.s.atEnd) throw this.s.unexpected();
    this.s.finish();
    return body;
  }

  substitution(scanner: Scanner): Statement[] {
    const parser = scanner === this.s ? this : new Parser(scanner);
    const body = parser.list(new Set([')']));
    if (scanner.peek() !== ')') throw scanner.unexpected();
    scanner.pos++;
    return body;
  }

  scriptText(scanner: Scanner): Statement[] {
    return new Parser(scanner).script();
  }

  /** The reserved word at the current position, if the word here is one. */
  private reserved(): string | undefined {
    const { source, pos } = this.s;
    let end = pos;
    while (end < source.length && !isMetacharacter(source[end]) && !'\'"\\$`'.includes(source[end]!)) end++;
    if (end === pos || !isMetacharacter(source[end])) return undefined;
    const text = source.slice(pos, end);
    return reservedWords.has(text) ? text : undefined;
  }

  private atTerminator(terminators: Terminators): boolean {
    const op = this.s.operator();
    if (op !== undefined) return terminators.has(op);
    const word = this.reserved();
    return word !== undefined && terminators.has(word);
  }

  private expectReserved(word: string): void {
    this.s.skipLinebreaks();
    if (this.reserved() !== word) throw this.s.unexpected();
    this.s.pos += word.length;
  }

  /** Statements up to one of TERMINATORS (not consumed) or the end. */
  private list(terminators: Terminators): Statement[] {
    return this.s.nested(() => this.listHere(terminators, false));
  }

  /** A compound command's list, which must hold a command (`if then` and `{ }` are syntax errors, as in bash). */
  private body(terminators: Terminators): Statement[] {
    return this.s.nested(() => this.listHere(terminators, true));
  }

  private listHere(terminators: Terminators, nonEmpty: boolean): Statement[] {
    const s = this.s;
    const body: Statement[] = [];
    for (;;) {
      s.skipLinebreaks();
      if (s.atEnd || this.atTerminator(terminators)) {
        if (nonEmpty && body.length === 0) throw s.unexpected();
        return body;
      }
      const line = s.lineAt();
      const { first, rest } = this.andOr();
      s.skipBlanks();
      const op = s.operator();
      let background = false;
      if (op === ';' || op === '&') {
        s.pos++;
        background = op === '&';
      } else if (s.peek() === '\n') {
        s.newline();
      } else if (!s.atEnd && !this.atTerminator(terminators)) {
        throw s.unexpected();
      }
      body.push({ type: 'Statement', first, rest, background, line });
    }
  }

  private andOr(): Pick<Statement, 'first' | 'rest'> {
    const s = this.s;
    const first = this.pipeline();
    const rest: { operator: '&&' | '||'; pipeline: Pipeline }[] = [];
    for (;;) {
      s.skipBlanks();
      const op = s.operator();
      if (op !== '&&' && op !== '||') return { first, rest };
      s.pos += 2;
      s.skipLinebreaks();
      rest.push({ operator: op, pipeline: this.pipeline() });
    }
  }

  private pipeline(): Pipeline {
    const s = this.s;
    s.skipBlanks();
    let negated = false;
    for (let word = this.reserved(); word === '!' || word === 'time'; word = this.reserved()) {
      if (word === 'time') throw s.error("'time' is not supported", 'unsupported');
      negated = !negated;
      s.pos++;
      s.skipBlanks();
    }
    const commands = [this.command()];
    const stderrToo: boolean[] = [];
    for (;;) {
      s.skipBlanks();
      const op = s.operator();
      if (op !== '|' && op !== '|&') return { type: 'Pipeline', negated, commands, stderrToo };
      s.pos += op.length;
      s.skipLinebreaks();
      stderrToo.push(op === '|&');
      commands.push(this.command());
    }
  }

  private command(): Command {
    const s = this.s;
    s.skipBlanks();
    const line = s.lineAt();
    const word = this.reserved();
    switch (word) {
      case 'if':
        return this.withRedirections(this.ifCommand(line));
      case 'while':
      case 'until':
        return this.withRedirections(this.loop(word, line));
      case 'for':
        return this.withRedirections(this.forCommand(line));
      case 'case':
        return this.withRedirections(this.caseCommand(line));
      case '{': {
        s.pos++;
        const body = this.body(new Set(['}']));
        this.expectReserved('}');
        return this.withRedirections({ type: 'Group', body, redirections: [], line });
      }
      case '[[': {
        s.pos += 2;
        const expression = parseConditional(s, this.words);
        return this.withRedirections({ type: 'Conditional', expression, redirections: [], line });
      }
      case 'function': {
        s.pos += word.length;
        s.skipBlanks();
        const name = this.functionName();
        s.skipBlanks();
        if (s.startsWith('()')) s.pos += 2;
        else if (s.peek() === '(') {
          s.pos++;
          s.skipBlanks();
          if (s.peek() !== ')') throw s.unexpected();
          s.pos++;
        }
        return this.functionBody(name, line);
      }
      case 'select':
      case 'coproc':
        throw s.error(`'${word}' is not supported`, 'unsupported');
      case undefined:
        break;
      default:
        throw s.unexpected();
    }
    if (s.startsWith('((')) {
      const expression = this.arithmeticText();
      return this.withRedirections({ type: 'ArithmeticCommand', expression, redirections: [], line });
    }
    if (s.peek() === '(') {
      s.pos++;
      const body = this.body(new Set([')']));
      s.skipLinebreaks();
      if (s.peek() !== ')') throw s.unexpected();
      s.pos++;
      return this.withRedirections({ type: 'Subshell', body, redirections: [], line });
    }
    return this.simpleCommand(line);
  }

  private withRedirections<C extends Extract<Command, { redirections: readonly Redirection[] }>>(command: C): C {
    const redirections: Redirection[] = [];
    for (;;) {
      this.s.skipBlanks();
      const redirection = this.redirection();
      if (redirection === undefined) break;
      redirections.push(redirection);
    }
    return redirections.length === 0 ? command : { ...command, redirections };
  }

  private simpleCommand(line: number): Command {
    const s = this.s;
    const assignments: Assignment[] = [];
    const words: Word[] = [];
    const redirections: Redirection[] = [];
    for (;;) {
      s.skipBlanks();
      if (s.atEnd || s.peek() === '\n') break;
      const redirection = this.redirection();
      if (redirection !== undefined) {
        redirections.push(redirection);
        continue;
      }
      const op = s.operator();
      if (op === '(' && words.length === 1 && assignments.length === 0 && redirections.length === 0) {
        return this.functionDefinition(words[0]!, line);
      }
      if (op !== undefined) break;
      if (words.length === 0) {
        const assignment = this.assignment();
        if (assignment !== undefined) {
          assignments.push(assignment);
          continue;
        }
      }
      const word = this.words.word();
      if (word === undefined) throw s.unexpected();
      words.push(word);
    }
    if (words.length === 0 && assignments.length === 0 && redirections.length === 0) throw s.unexpected();
    return { type: 'SimpleCommand', assignments, words, redirections, line };
  }

  /** `NAME=value`, `NAME+=value`, `NAME[i]=value` or `NAME=(…)` at the current position, if one starts here. */
  private assignment(): Assignment | undefined {
    const s = this.s;
    const start = s.pos;
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.source.slice(s.pos, s.pos + 256))?.[0];
    if (name === undefined) return undefined;
    s.pos += name.length;
    const index = s.peek() === '[' ? this.words.subscript() : undefined;
    const append = s.peek() === '+';
    if (append) s.pos++;
    if (s.peek() !== '=' || index === '@' || index === '*') {
      s.pos = start;
      return undefined;
    }
    s.pos++;
    const at = index === undefined ? {} : { index };
    if (s.peek() !== '(') return { name, ...at, append, value: this.words.word() ?? { parts: [] } };
    s.pos++;
    const elements: Word[] = [];
    for (;;) {
      s.skipLinebreaks();
      if (s.peek() === ')') break;
      const element = this.words.word();
      if (element === undefined) throw s.unexpected();
      elements.push(element);
    }
    s.pos++;
    return { name, ...at, append, value: { parts: [] }, elements };
  }

  private functionName(): string {
    const s = this.s;
    const name = /^[^\s;&|<>()'"\\$`]+/.exec(s.source.slice(s.pos))?.[0];
    if (name === undefined) throw s.unexpected();
    s.pos += name.length;
    return name;
  }

  /** `NAME ( )` has been read up to `(`: the rest of a function definition. */
  private functionDefinition(nameWord: Word, line: number): Command {
    const s = this.s;
    const [only, ...rest] = nameWord.parts;
    if (only?.type !== 'Literal' || rest.length > 0) throw s.unexpected();
    s.pos++;
    s.skipBlanks();
    if (s.peek() !== ')') throw s.unexpected();
    s.pos++;
    return this.functionBody(only.value, line);
  }

  private functionBody(name: string, line: number): Command {
    this.s.skipLinebreaks();
    const body = this.command();
    if (body.type === 'SimpleCommand' || body.type === 'FunctionDefinition') {
      throw this.s.error(`the body of function '${name}' must be a compound command such as { …; }`);
    }
    return { type: 'FunctionDefinition', name, body, line };
  }

  /** A redirection at the current position, if one starts here. */
  private redirection(): Redirection | undefined {
    const s = this.s;
    const digits = /^[0-9]+(?=[<>])/.exec(s.source.slice(s.pos, s.pos + 12))?.[0];
    const start = s.pos;
    if (digits !== undefined) s.pos += digits.length;
    const op = s.operator();
    if (op === undefined || !redirectionOperators.has(op)) {
      s.pos = start;
      return undefined;
    }
    if ((op === '<' || op === '>') && s.peek(1) === '(') throw s.error(`process substitution ${op}(…) is not supported`, 'unsupported');
    s.pos += op.length;
    s.skipBlanks();
    const target = this.words.word();
    if (target === undefined) throw s.unexpected();
    const fd = digits === undefined ? undefined : Number(digits);
    const operator = op as RedirectionOperator;
    if (operator !== '<<' && operator !== '<<-') return { fd, operator, target };
    const quoted = target.parts.some((part) => part.type !== 'Literal');
    const delimiter = target.parts.map((part) => (part.type === 'Literal' || part.type === 'Quoted' ? part.value : '')).join('');
    const hereDocument = { body: { parts: [] } as Word, expand: !quoted };
    s.queueHereDocument({
      delimiter,
      stripTabs: operator === '<<-',
      receive: (body, line) => {
        hereDocument.body = quoted ? { parts: [{ type: 'Quoted', value: body }] } : WordReader.text(body, line, this, s);
      },
    });
    return { fd, operator, target, hereDocument };
  }

  /** `(( … ))` at the current position: the text between, as a word. */
  private arithmeticText(): Word {
    const s = this.s;
    const start = s.pos + 2;
    let depth = 0;
    for (let i = start; i < s.source.length; i++) {
      const char = s.source[i];
      if (char === '(') depth++;
      else if (char === ')') {
        if (depth > 0) depth--;
        else if (s.source[i + 1] === ')') {
          const line = s.lineAt();
          s.pos = i + 2;
          return WordReader.text(s.source.slice(start, i), line, this, s);
        } else break;
      }
    }
    throw s.error("unexpected end of file while looking for the matching '))'");
  }

  private ifCommand(line: number): IfCommand {
    const s = this.s;
    s.pos += 2;
    const branches: { condition: Statement[]; body: Statement[] }[] = [];
    let otherwise: Statement[] | undefined;
    for (;;) {
      const condition = this.body(new Set(['then']));
      this.expectReserved('then');
      const body = this.body(new Set(['elif', 'else', 'fi']));
      branches.push({ condition, body });
      s.skipLinebreaks();
      const next = this.reserved();
      s.pos += next?.length ?? 0;
      if (next === 'elif') continue;
      if (next === 'else') {
        otherwise = this.body(new Set(['fi']));
        this.expectReserved('fi');
      } else if (next !== 'fi') throw s.unexpected();
      return { type: 'If', branches, otherwise, redirections: [], line };
    }
  }

  private loop(word: 'while' | 'until', line: number): LoopCommand {
    this.s.pos += word.length;
    const condition = this.body(new Set(['do']));
    const body = this.doGroup();
    return { type: 'Loop', until: word === 'until', condition, body, redirections: [], line };
  }

  private doGroup(): Statement[] {
    this.expectReserved('do');
    const body = this.body(new Set(['done']));
    this.expectReserved('done');
    return body;
  }

  private forCommand(line: number): ForCommand | ArithmeticForCommand {
    const s = this.s;
    s.pos += 3;
    s.skipBlanks();
    if (s.startsWith('((')) {
      const text = this.arithmeticText();
      const [init, test, step] = this.splitArithmeticFor(text);
      s.skipBlanks();
      if (s.peek() === ';') s.pos++;
      return { type: 'ArithmeticFor', init, test, step, body: this.doGroup(), redirections: [], line };
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.source.slice(s.pos, s.pos + 256))?.[0];
    if (name === undefined || !isMetacharacter(s.peek(name.length))) throw s.error(`'${s.describeHere()}' is not a valid name for a for loop`);
    s.pos += name.length;
    s.skipLinebreaks();
    let items: Word[] | undefined;
    if (this.reserved() === 'in') {
      s.pos += 2;
      items = [];
      for (;;) {
        s.skipBlanks();
        const op = s.operator();
        if (s.atEnd || s.peek() === '\n' || op !== undefined) break;
        const word = this.words.word();
        if (word === undefined) throw s.unexpected();
        items.push(word);
      }
    }
    s.skipBlanks();
    if (s.peek() === ';') s.pos++;
    return { type: 'For', name, items, body: this.doGroup(), redirections: [], line };
  }

  /** `init; test; step` of `for ((…))`: the text split at its two top-level semicolons. */
  private splitArithmeticFor(text: Word): [Word, Word, Word] {
    const [outer] = text.parts;
    const pieces: Word[][] = [[]];
    const parts = outer?.type === 'DoubleQuoted' ? outer.parts : [];
    const current: Word['parts'][number][] = [];
    const flush = () => {
      pieces[pieces.length - 1]!.push({ parts: [{ type: 'DoubleQuoted', parts: current.splice(0) }] });
      pieces.push([]);
    };
    for (const part of parts) {
      if (part.type !== 'Quoted' || !part.value.includes(';')) {
        current.push(part);
        continue;
      }
      const [head, ...tail] = part.value.split(';');
      if (head) current.push({ type: 'Quoted', value: head });
      for (const piece of tail) {
        flush();
        if (piece) current.push({ type: 'Quoted', value: piece });
      }
    }
    flush();
    const words = pieces.flat();
    if (words.length !== 3) throw this.s.error('for ((…)) needs three expressions separated by semicolons');
    return words as [Word, Word, Word];
  }

  private caseCommand(line: number): CaseCommand {
    const s = this.s;
    s.pos += 4;
    s.skipBlanks();
    const subject = this.words.word();
    if (subject === undefined) throw s.unexpected();
    this.expectReserved('in');
    const items: { patterns: Word[]; body: Statement[]; terminator: ';;' | ';&' | ';;&' }[] = [];
    for (;;) {
      s.skipLinebreaks();
      if (this.reserved() === 'esac') {
        s.pos += 4;
        return { type: 'Case', subject, items, redirections: [], line };
      }
      if (s.peek() === '(') s.pos++;
      const patterns: Word[] = [];
      for (;;) {
        s.skipBlanks();
        const pattern = this.words.word();
        if (pattern === undefined) throw s.unexpected();
        patterns.push(pattern);
        s.skipBlanks();
        if (s.peek() === '|' && s.peek(1) !== '|') {
          s.pos++;
          continue;
        }
        if (s.peek() !== ')') throw s.unexpected();
        s.pos++;
        break;
      }
      const body = this.list(new Set([';;', ';&', ';;&', 'esac']));
      s.skipLinebreaks();
      const op = s.operator();
      if (op === ';;' || op === ';&' || op === ';;&') {
        s.pos += op.length;
        items.push({ patterns, body, terminator: op });
      } else if (this.reserved() === 'esac') {
        items.push({ patterns, body, terminator: ';;' });
      } else throw s.unexpected();
    }
  }
}

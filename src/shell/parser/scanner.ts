import { ShellSyntaxError } from './syntax-error.js';

/** Operators, longest first so that a prefix never wins over the whole. */
const operators = [
  ';;&',
  '<<<',
  '<<-',
  '&>>',
  '&&',
  '||',
  ';;',
  ';&',
  '|&',
  '<<',
  '<&',
  '<>',
  '>>',
  '>&',
  '>|',
  '&>',
  '|',
  ';',
  '&',
  '(',
  ')',
  '<',
  '>',
] as const;
export type Operator = (typeof operators)[number];

/** Characters that end an unquoted word. */
export function isMetacharacter(char: string | undefined): boolean {
  return char === undefined || ' \t\n;&|<>()'.includes(char);
}

/** How deep constructs may nest (`$( $( … ) )`, `{ { … } }`, `${x:-${y:-…}}`): deeper is an error, not a host stack overflow. */
export const maxNesting = 200;

/** A here-document whose body follows the next newline; RECEIVE takes it. */
interface PendingHereDocument {
  readonly delimiter: string;
  readonly stripTabs: boolean;
  readonly receive: (body: string, line: number) => void;
}

/**
 * The command line's text and the parser's place in it: blanks, comments,
 * line continuations, operators, and here-document bodies, which start
 * after the newline that ends the line their operator is on.
 */
export class Scanner {
  pos = 0;
  private readonly lineStarts: number[] = [0];
  private readonly pending: PendingHereDocument[] = [];

  constructor(
    readonly source: string,
    /** The line the text starts on, within the command line (for here-document bodies and backquotes). */
    private readonly firstLine = 1,
    /** How deeply the text is nested in the command line it came from. */
    private depth = 0,
  ) {
    for (let i = 0; i < source.length; i++) if (source[i] === '\n') this.lineStarts.push(i + 1);
  }

  /** The 1-based line of POSITION (default: the current one). */
  lineAt(position = this.pos): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle]! <= position) low = middle;
      else high = middle - 1;
    }
    return low + this.firstLine;
  }

  /** A scanner for TEXT nested here (a backquoted command, a here-document body), starting on line FIRSTLINE. */
  inner(text: string, firstLine: number): Scanner {
    return new Scanner(text, firstLine, this.depth);
  }

  /** Runs PARSE one nesting level deeper. */
  nested<T>(parse: () => T): T {
    if (this.depth >= maxNesting) throw this.error(`constructs nest deeper than ${maxNesting} levels`);
    this.depth++;
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  get atEnd(): boolean {
    return this.pos >= this.source.length;
  }

  peek(offset = 0): string | undefined {
    return this.source[this.pos + offset];
  }

  startsWith(text: string): boolean {
    return this.source.startsWith(text, this.pos);
  }

  /** Skips blanks, `\`-newline continuations and a `#` comment up to (not over) the newline. */
  skipBlanks(): void {
    for (;;) {
      const char = this.peek();
      if (char === ' ' || char === '\t') this.pos++;
      else if (char === '\\' && this.peek(1) === '\n') this.pos += 2;
      else if (char === '#') {
        const end = this.source.indexOf('\n', this.pos);
        this.pos = end === -1 ? this.source.length : end;
      } else return;
    }
  }

  /** Skips blanks, comments and newlines (reading the here-documents each newline ends). */
  skipLinebreaks(): void {
    for (;;) {
      this.skipBlanks();
      if (this.peek() !== '\n') return;
      this.newline();
    }
  }

  /** The operator at the current position, if one starts here. */
  operator(): Operator | undefined {
    return operators.find((op) => this.startsWith(op));
  }

  /** Consumes the newline here and reads the here-documents waiting for it. */
  newline(): void {
    this.pos++;
    const waiting = this.pending.splice(0);
    for (const document of waiting) this.readHereDocument(document);
  }

  queueHereDocument(document: PendingHereDocument): void {
    this.pending.push(document);
  }

  /** Here-documents still waiting at the end of the text get the rest of it, as bash does (with a warning there). */
  finish(): void {
    for (const document of this.pending.splice(0)) this.readHereDocument(document);
  }

  private readHereDocument({ delimiter, stripTabs, receive }: PendingHereDocument): void {
    const line = this.lineAt();
    let body = '';
    while (!this.atEnd) {
      const end = this.source.indexOf('\n', this.pos);
      let text = this.source.slice(this.pos, end === -1 ? undefined : end);
      this.pos = end === -1 ? this.source.length : end + 1;
      if (stripTabs) text = text.replace(/^\t+/, '');
      if (text === delimiter) break;
      body += `${text}\n`;
    }
    receive(body, line);
  }

  /** What stands at the current position, for an error message: a token, `newline` or `end of file`. */
  describeHere(): string {
    if (this.atEnd) return 'end of file';
    if (this.peek() === '\n') return 'newline';
    const op = this.operator();
    if (op !== undefined) return op;
    let end = this.pos;
    while (end < this.source.length && !isMetacharacter(this.source[end])) end++;
    return this.source.slice(this.pos, Math.max(end, this.pos + 1));
  }

  /** A syntax error about the token here, worded as bash words it. */
  unexpected(): ShellSyntaxError {
    const here = this.describeHere();
    const message = here === 'end of file' ? 'syntax error: unexpected end of file' : `syntax error near unexpected token \`${here}'`;
    return new ShellSyntaxError('syntax', message, this.lineAt());
  }

  error(message: string, kind: 'syntax' | 'unsupported' = 'syntax'): ShellSyntaxError {
    return new ShellSyntaxError(kind, message, this.lineAt());
  }
}

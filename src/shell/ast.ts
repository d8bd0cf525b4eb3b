/**
 * The syntax tree of a shell command line: POSIX sh plus the bash forms
 * agents write. The parser (`parser/`) makes it; the interpreter walks it.
 * Words keep their quoting, because expansion depends on it (a quoted `*`
 * is no glob, a quoted `$x` is not split).
 */

/** A whole command line or script: statements run one after another. */
export interface Script {
  readonly type: 'Script';
  readonly body: readonly Statement[];
}

/** An and-or list, ended by `;`, a newline or `&` (then `background`). */
export interface Statement {
  readonly type: 'Statement';
  readonly first: Pipeline;
  readonly rest: readonly { readonly operator: '&&' | '||'; readonly pipeline: Pipeline }[];
  readonly background: boolean;
  readonly line: number;
}

export interface Pipeline {
  readonly type: 'Pipeline';
  /** `! a | b`: the status is inverted. */
  readonly negated: boolean;
  readonly commands: readonly Command[];
  /** For each `|` between commands, whether it was `|&` (stderr too). */
  readonly stderrToo: readonly boolean[];
}

export type Command =
  | SimpleCommand
  | Subshell
  | Group
  | IfCommand
  | ForCommand
  | ArithmeticForCommand
  | LoopCommand
  | CaseCommand
  | FunctionDefinition
  | ArithmeticCommand
  | ConditionalCommand;

/** `NAME=value … word … redirection …` */
export interface SimpleCommand {
  readonly type: 'SimpleCommand';
  readonly assignments: readonly Assignment[];
  readonly words: readonly Word[];
  readonly redirections: readonly Redirection[];
  readonly line: number;
}

export interface Assignment {
  readonly name: string;
  /** `name[index]=value` (bash arrays): the index, arithmetic text. */
  readonly index?: Word;
  /** `+=` appends. */
  readonly append: boolean;
  readonly value: Word;
  /** `name=(a b c)` (bash arrays): the elements; `value` is then empty. */
  readonly elements?: readonly Word[];
}

/** Fields every compound command has: its own redirections. */
interface Compound {
  readonly redirections: readonly Redirection[];
  readonly line: number;
}

/** `( list )`: runs in a copy of the shell's state. */
export interface Subshell extends Compound {
  readonly type: 'Subshell';
  readonly body: readonly Statement[];
}

/** `{ list; }` */
export interface Group extends Compound {
  readonly type: 'Group';
  readonly body: readonly Statement[];
}

export interface IfCommand extends Compound {
  readonly type: 'If';
  /** `if`/`elif` conditions and their bodies, in order. */
  readonly branches: readonly { readonly condition: readonly Statement[]; readonly body: readonly Statement[] }[];
  readonly otherwise: readonly Statement[] | undefined;
}

/** `for NAME [in WORD…]; do …; done`; without `in`, the positional parameters. */
export interface ForCommand extends Compound {
  readonly type: 'For';
  readonly name: string;
  readonly items: readonly Word[] | undefined;
  readonly body: readonly Statement[];
}

/** `for ((init; test; step)); do …; done` (bash). Each part is arithmetic text. */
export interface ArithmeticForCommand extends Compound {
  readonly type: 'ArithmeticFor';
  readonly init: Word;
  readonly test: Word;
  readonly step: Word;
  readonly body: readonly Statement[];
}

/** `while` or `until`. */
export interface LoopCommand extends Compound {
  readonly type: 'Loop';
  readonly until: boolean;
  readonly condition: readonly Statement[];
  readonly body: readonly Statement[];
}

export interface CaseCommand extends Compound {
  readonly type: 'Case';
  readonly subject: Word;
  readonly items: readonly CaseItem[];
}

export interface CaseItem {
  readonly patterns: readonly Word[];
  readonly body: readonly Statement[];
  /** `;;` ends the case, `;&` runs the next body too, `;;&` tests the next patterns. */
  readonly terminator: ';;' | ';&' | ';;&';
}

/** `name() compound` or `function name compound`. */
export interface FunctionDefinition {
  readonly type: 'FunctionDefinition';
  readonly name: string;
  readonly body: Command;
  readonly line: number;
}

/** `(( expression ))` (bash): status 0 when the value is not zero. */
export interface ArithmeticCommand extends Compound {
  readonly type: 'ArithmeticCommand';
  readonly expression: Word;
}

/** `[[ expression ]]` (bash). */
export interface ConditionalCommand extends Compound {
  readonly type: 'Conditional';
  readonly expression: TestExpression;
}

export type TestExpression =
  | { readonly type: 'TestWord'; readonly word: Word }
  | { readonly type: 'TestUnary'; readonly operator: string; readonly operand: Word }
  | { readonly type: 'TestBinary'; readonly operator: string; readonly left: Word; readonly right: Word }
  | { readonly type: 'TestNot'; readonly operand: TestExpression }
  | { readonly type: 'TestAnd' | 'TestOr'; readonly left: TestExpression; readonly right: TestExpression };

export type RedirectionOperator = '<' | '>' | '>>' | '>|' | '<>' | '<&' | '>&' | '&>' | '&>>' | '<<' | '<<-' | '<<<';

export interface Redirection {
  /** The descriptor written before the operator (`2>`); undefined: the operator's default. */
  readonly fd: number | undefined;
  readonly operator: RedirectionOperator;
  /** The file, descriptor or here-string; for a here-document, its delimiter as written. */
  readonly target: Word;
  /** A here-document's body; expanded unless its delimiter was quoted. */
  readonly hereDocument?: { readonly body: Word; readonly expand: boolean };
}

/** One shell word: the parts that touch without blanks between them. */
export interface Word {
  readonly parts: readonly WordPart[];
}

export type WordPart =
  /** Unquoted text: split, globbed and tilde-expanded when expanded. */
  | { readonly type: 'Literal'; readonly value: string }
  /** Text quoted by `'…'`, `$'…'` or a backslash: taken as it is. */
  | { readonly type: 'Quoted'; readonly value: string }
  | { readonly type: 'DoubleQuoted'; readonly parts: readonly WordPart[] }
  | ParameterExpansion
  | { readonly type: 'CommandSubstitution'; readonly body: readonly Statement[] }
  | { readonly type: 'ArithmeticExpansion'; readonly expression: Word };

/** `$name`, `${name}`, `${name OPERATION}`, `${#name}`, `${!name}`. */
export interface ParameterExpansion {
  readonly type: 'Parameter';
  /** A name, a digit string, or one of `@ * # ? - $ !`. */
  readonly name: string;
  /** `${#name}`: the length. */
  readonly length?: boolean;
  /** `${!name}`: the variable named by the value. */
  readonly indirect?: boolean;
  /** `${name[index]}` (bash arrays): `@`, `*`, or arithmetic text. */
  readonly index?: '@' | '*' | Word;
  readonly operation?: ParameterOperation;
}

export type ParameterOperation =
  /** `-` `=` `?` `+`, with `colon` when an empty value counts as unset. */
  | { readonly type: 'Default' | 'Assign' | 'Error' | 'Alternative'; readonly colon: boolean; readonly word: Word }
  /** `#` `##` `%` `%%`. */
  | { readonly type: 'RemovePrefix' | 'RemoveSuffix'; readonly longest: boolean; readonly pattern: Word }
  /** `/p/r` `//p/r` `/#p/r` `/%p/r`. */
  | {
      readonly type: 'Replace';
      readonly all: boolean;
      readonly anchor: 'start' | 'end' | undefined;
      readonly pattern: Word;
      readonly replacement: Word;
    }
  /** `:offset` or `:offset:length` (arithmetic). */
  | { readonly type: 'Substring'; readonly offset: Word; readonly length: Word | undefined }
  /** `^` `^^` `,` `,,`. */
  | { readonly type: 'Case'; readonly upper: boolean; readonly all: boolean };

import type { Command, Statement, Word, WordPart } from './ast.js';
import { builtinNames } from './builtin-names.js';
import { parseInvocation } from './invocation.js';
import { parseScript } from './parser/parser.js';
import { ShellSyntaxError } from './parser/syntax-error.js';

/**
 * Whether a shell started with ARGS (after argv[0]) runs only what goodbot's
 * shell runs itself or IS_TOOL accepts: for `--backend=auto`, which runs a
 * command line in WebAssembly when every command in it is a builtin, a
 * function it defines or a catalog tool, and in a container otherwise. A
 * command whose name is computed when it runs (`$cmd`) counts as not
 * known. A script file or stdin cannot be read beforehand: it runs in
 * WebAssembly, as does a line with a syntax error (the shell reports it).
 */
export function runsInWebAssembly(args: readonly string[], isTool: (name: string) => boolean): boolean {
  const invocation = parseInvocation('sh', args);
  if ('error' in invocation || invocation.source.kind !== 'text') return true;
  const found = commandNames(invocation.source.text);
  if (found === undefined) return true;
  return !found.dynamic && [...found.names].every((name) => builtinNames.has(name) || found.functions.has(name) || isTool(name));
}

interface CommandNames {
  readonly names: Set<string>;
  readonly functions: Set<string>;
  dynamic: boolean;
}

/** The command names TEXT runs, the functions it defines, and whether some name is known only when it runs. */
function commandNames(text: string): CommandNames | undefined {
  let body: readonly Statement[];
  try {
    body = parseScript(text).body;
  } catch (error) {
    if (error instanceof ShellSyntaxError) return undefined;
    throw error;
  }
  const found: CommandNames = { names: new Set(), functions: new Set(), dynamic: false };
  statements(body, found);
  return found;
}

function statements(list: readonly Statement[], found: CommandNames): void {
  for (const statement of list) {
    for (const pipeline of [statement.first, ...statement.rest.map((link) => link.pipeline)]) {
      for (const command of pipeline.commands) visit(command, found);
    }
  }
}

function visit(command: Command, found: CommandNames): void {
  switch (command.type) {
    case 'SimpleCommand': {
      for (const word of [...command.words, ...command.assignments.map((a) => a.value)]) substitutions(word, found);
      const [first, ...rest] = command.words;
      if (first === undefined) return;
      const name = literal(first);
      if (name === undefined) {
        found.dynamic = true;
        return;
      }
      found.names.add(name);
      // `sh -c 'LINE'` and `bash -c …` inside the line: their commands count too.
      if ((name === 'sh' || name === 'bash') && rest.length > 0) {
        const args = rest.map(literal);
        if (args.some((arg) => arg === undefined)) found.dynamic = true;
        else if (!runsInWebAssemblyNested(args as string[], found)) found.dynamic = true;
      }
      // `command -v NAME` only asks where NAME is.
      if ((name === 'command' || name === 'exec') && rest.length > 0 && !['-v', '-V'].includes(literal(rest[0]!) ?? '')) {
        const target = literal(rest.find((word) => !literal(word)?.startsWith('-')) ?? rest[0]!);
        if (target === undefined) found.dynamic = true;
        else found.names.add(target);
      }
      if (name === 'eval') found.dynamic = true;
      return;
    }
    case 'FunctionDefinition':
      found.functions.add(command.name);
      visit(command.body, found);
      return;
    case 'Group':
    case 'Subshell':
      statements(command.body, found);
      return;
    case 'If':
      for (const branch of command.branches) statements([...branch.condition, ...branch.body], found);
      if (command.otherwise) statements(command.otherwise, found);
      return;
    case 'Loop':
      statements([...command.condition, ...command.body], found);
      return;
    case 'For':
      for (const word of command.items ?? []) substitutions(word, found);
      statements(command.body, found);
      return;
    case 'ArithmeticFor':
      statements(command.body, found);
      return;
    case 'Case':
      substitutions(command.subject, found);
      for (const item of command.items) statements(item.body, found);
      return;
    case 'ArithmeticCommand':
    case 'Conditional':
      return;
  }
}

/** A nested `sh`/`bash`: its `-c` text's commands join FOUND; false when they cannot be known (a script file, stdin). */
function runsInWebAssemblyNested(args: readonly string[], found: CommandNames): boolean {
  const invocation = parseInvocation('sh', args);
  // A usage error: the nested shell runs nothing.
  if ('error' in invocation) return true;
  if (invocation.source.kind !== 'text') return false;
  const inner = commandNames(invocation.source.text);
  if (inner === undefined) return true;
  for (const name of inner.names) found.names.add(name);
  for (const name of inner.functions) found.functions.add(name);
  return !inner.dynamic;
}

/** Command substitutions in WORD run commands too. */
function substitutions(word: Word, found: CommandNames): void {
  const parts = (list: readonly WordPart[]): void => {
    for (const part of list) {
      if (part.type === 'CommandSubstitution') statements(part.body, found);
      else if (part.type === 'DoubleQuoted') parts(part.parts);
    }
  };
  parts(word.parts);
}

/** WORD's text when it is written literally (quoting allowed, no expansion), else undefined. */
function literal(word: Word): string | undefined {
  let text = '';
  for (const part of word.parts) {
    if (part.type === 'Literal' || part.type === 'Quoted') text += part.value;
    else if (part.type === 'DoubleQuoted' && part.parts.every((inner) => inner.type === 'Literal' || inner.type === 'Quoted')) {
      text += part.parts.map((inner) => (inner as { value: string }).value).join('');
    } else return undefined;
  }
  return text;
}

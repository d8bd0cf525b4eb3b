import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Command, Script, SimpleCommand, Statement, Word } from '../../../src/shell/ast.js';
import { parseScript } from '../../../src/shell/parser/parser.js';
import { maxNesting } from '../../../src/shell/parser/scanner.js';
import { ShellSyntaxError } from '../../../src/shell/parser/syntax-error.js';
import { badSyntax, commandLines, unsupported } from '../command-lines.js';

/** Whether the host's bash accepts LINE's syntax (`bash -n`: parse, run nothing). */
function bashAccepts(line: string): boolean {
  return spawnSync('bash', ['-n', '-c', line], { stdio: 'ignore' }).status === 0;
}

function parseError(line: string): ShellSyntaxError {
  try {
    parseScript(line);
  } catch (error) {
    if (error instanceof ShellSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(line)} to be refused`);
}

const statement = (script: Script, index = 0): Statement => script.body[index]!;
const command = (script: Script, index = 0): Command => statement(script, index).first.commands[0]!;
const simple = (script: Script, index = 0): SimpleCommand => command(script, index) as SimpleCommand;
const literal = (value: string): Word => ({ parts: [{ type: 'Literal', value }] });

describe('the shell parser against bash -n', () => {
  it('parses every command line of the corpus, which bash accepts too', () => {
    const refused = commandLines.filter((line) => {
      try {
        parseScript(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(refused).toEqual([]);
    expect(commandLines.filter((line) => !bashAccepts(line))).toEqual([]);
    expect(commandLines.length).toBeGreaterThanOrEqual(100);
  });

  it('refuses as bad syntax what bash refuses', () => {
    expect(badSyntax.filter((line) => bashAccepts(line))).toEqual([]);
    expect(badSyntax.map((line) => [line, parseError(line).kind])).toEqual(badSyntax.map((line) => [line, 'syntax']));
  });

  it('names each construct it does not run rather than guess', () => {
    expect(unsupported.filter((line) => !bashAccepts(line))).toEqual([]);
    const errors = unsupported.map(parseError);
    expect(errors.map((error) => error.kind)).toEqual(unsupported.map(() => 'unsupported'));
    expect(errors.map((error) => error.message)).toEqual([
      'process substitution <(…) is not supported',
      "'coproc' is not supported",
      "'select' is not supported",
      "'time' is not supported",
    ]);
  });
});

describe('the shell parser', () => {
  it('reads lists, and-or chains, pipelines, negation and background', () => {
    const script = parseScript('a | b |& c && ! d || e & f; g\nh');
    expect(script.body.map((s) => [s.first.commands.length, s.rest.map((r) => r.operator), s.background, s.line])).toEqual([
      [3, ['&&', '||'], true, 1],
      [1, [], false, 1],
      [1, [], false, 1],
      [1, [], false, 2],
    ]);
    expect(statement(script).first.stderrToo).toEqual([false, true]);
    expect(statement(script).rest[0]!.pipeline.negated).toBe(true);
  });

  it('keeps words, quoting and expansions apart', () => {
    const [word] = simple(parseScript(`x'y z'"a $b \\$c"\\*$'\\t'`)).words;
    expect(word!.parts).toEqual([
      { type: 'Literal', value: 'x' },
      { type: 'Quoted', value: 'y z' },
      {
        type: 'DoubleQuoted',
        parts: [
          { type: 'Quoted', value: 'a ' },
          { type: 'Parameter', name: 'b' },
          { type: 'Quoted', value: ' $c' },
        ],
      },
      { type: 'Quoted', value: '*\t' },
    ]);
  });

  it("reads $'…' byte escapes as UTF-8 and \\u as code points, as bash in a UTF-8 locale", () => {
    const value = (source: string) => simple(parseScript(source)).words[0]!.parts[0];
    expect(value(String.raw`$'\303\251|\xe2\x82\xac|\u00e9|\U0001F600|\UFFFFFFFF|\u|\xzz'`)).toEqual({
      type: 'Quoted',
      value: 'é|€|é|😀||\\u|\\xzz',
    });
    expect(value(String.raw`$'\377x'`)).toEqual({ type: 'Quoted', value: '\uFFFDx' });
  });

  it('reads parameter expansions with their operations', () => {
    const words = simple(
      parseScript('echo ${a:-d} ${a-d} ${#a} ${a%%.*} ${a/x/y} ${a//x} ${a:1:2} ${a^^} ${!a} ${arr[@]} ${arr[i+1]} $1 $? ${10}'),
    ).words.slice(1);
    const parameters = words.map((word) => word.parts[0]);
    expect(parameters).toEqual([
      { type: 'Parameter', name: 'a', operation: { type: 'Default', colon: true, word: literal('d') } },
      { type: 'Parameter', name: 'a', operation: { type: 'Default', colon: false, word: literal('d') } },
      { type: 'Parameter', name: 'a', length: true },
      { type: 'Parameter', name: 'a', operation: { type: 'RemoveSuffix', longest: true, pattern: literal('.*') } },
      {
        type: 'Parameter',
        name: 'a',
        operation: { type: 'Replace', all: false, anchor: undefined, pattern: literal('x'), replacement: literal('y') },
      },
      {
        type: 'Parameter',
        name: 'a',
        operation: { type: 'Replace', all: true, anchor: undefined, pattern: literal('x'), replacement: { parts: [] } },
      },
      { type: 'Parameter', name: 'a', operation: { type: 'Substring', offset: literal('1'), length: literal('2') } },
      { type: 'Parameter', name: 'a', operation: { type: 'Case', upper: true, all: true } },
      { type: 'Parameter', name: 'a', indirect: true },
      { type: 'Parameter', name: 'arr', index: '@' },
      { type: 'Parameter', name: 'arr', index: { parts: [{ type: 'DoubleQuoted', parts: [{ type: 'Quoted', value: 'i+1' }] }] } },
      { type: 'Parameter', name: '1' },
      { type: 'Parameter', name: '?' },
      { type: 'Parameter', name: '10' },
    ]);
  });

  it('tells $(( arithmetic )) from $( (a subshell) ), and reads backquotes', () => {
    const [arithmetic, substitution, backquoted] = simple(parseScript('echo $((1 + (2))) $( (echo a); echo b) `echo \\`c\\``')).words.slice(1);
    expect(arithmetic!.parts[0]!.type).toBe('ArithmeticExpansion');
    expect(substitution!.parts[0]).toMatchObject({ type: 'CommandSubstitution', body: [{ first: { commands: [{ type: 'Subshell' }] } }, {}] });
    const inner = backquoted!.parts[0];
    expect(inner).toMatchObject({ type: 'CommandSubstitution', body: [{ first: { commands: [{ type: 'SimpleCommand' }] } }] });
  });

  it('reads here-documents after the line that names them, several on one line, and inside $( )', () => {
    const script = parseScript("cat <<A; cat <<-'B' | sort\nbody $x\nA\n\tliteral $y\n\tB\necho $(cat <<C\ninner\nC\n)");
    const first = simple(script).redirections[0]!;
    expect(first.hereDocument).toEqual({
      body: {
        parts: [
          {
            type: 'DoubleQuoted',
            parts: [
              { type: 'Quoted', value: 'body ' },
              { type: 'Parameter', name: 'x' },
              { type: 'Quoted', value: '\n' },
            ],
          },
        ],
      },
      expand: true,
    });
    expect(simple(script, 1).redirections[0]!.hereDocument).toEqual({ body: { parts: [{ type: 'Quoted', value: 'literal $y\n' }] }, expand: false });
    expect(statement(script, 2).line).toBe(6);
    const substitution = simple(script, 2).words[1]!.parts[0]!;
    expect(substitution).toMatchObject({ type: 'CommandSubstitution', body: [{ first: { commands: [{ redirections: [{ operator: '<<' }] }] } }] });
  });

  it('reads redirections with and without descriptors', () => {
    const { redirections } = simple(parseScript('cmd <in >out 2>>log 2>&1 &>all 3<&0 <<<word >|x 4<>rw'));
    expect(redirections.map((r) => [r.fd, r.operator, (r.target.parts[0] as { value: string }).value])).toEqual([
      [undefined, '<', 'in'],
      [undefined, '>', 'out'],
      [2, '>>', 'log'],
      [2, '>&', '1'],
      [undefined, '&>', 'all'],
      [3, '<&', '0'],
      [undefined, '<<<', 'word'],
      [undefined, '>|', 'x'],
      [4, '<>', 'rw'],
    ]);
  });

  it('reads compound commands with their own redirections', () => {
    const script = parseScript(
      'if a; then b; elif c; then d; else e; fi > out\nwhile a; do b; done < in\nuntil a; do :; done\nfor x; do :; done\nfor x in 1 2\ndo :; done\n{ a; } 2>&1\n(a)',
    );
    expect(script.body.map((s) => s.first.commands[0]!.type)).toEqual(['If', 'Loop', 'Loop', 'For', 'For', 'Group', 'Subshell']);
    expect(command(script)).toMatchObject({ type: 'If', branches: [{}, {}], otherwise: [{}], redirections: [{ operator: '>' }] });
    expect(command(script, 2)).toMatchObject({ until: true });
    expect(command(script, 3)).toMatchObject({ name: 'x', items: undefined });
    expect(command(script, 4)).toMatchObject({ name: 'x', items: [literal('1'), literal('2')] });
  });

  it('reads case items with every terminator', () => {
    const script = parseScript('case $x in\n  (a|b) one ;;\n  c) two ;&\n  *) three ;;&\n  d) ;;\nesac');
    expect(command(script)).toMatchObject({
      type: 'Case',
      items: [
        { patterns: [literal('a'), literal('b')], terminator: ';;' },
        { patterns: [literal('c')], terminator: ';&' },
        { patterns: [literal('*')], terminator: ';;&' },
        { patterns: [literal('d')], body: [], terminator: ';;' },
      ],
    });
  });

  it('reads functions, arithmetic commands and C-style for loops', () => {
    const script = parseScript('f() { :; }\nfunction g { :; }\nfunction h() (:)\n(( i++ ))\nfor ((i = 0; i < 3; i++)); do :; done');
    expect(script.body.map((s) => s.first.commands[0])).toMatchObject([
      { type: 'FunctionDefinition', name: 'f', body: { type: 'Group' } },
      { type: 'FunctionDefinition', name: 'g', body: { type: 'Group' } },
      { type: 'FunctionDefinition', name: 'h', body: { type: 'Subshell' } },
      { type: 'ArithmeticCommand' },
      { type: 'ArithmeticFor' },
    ]);
    const loop = command(script, 4);
    const text = (word: Word) => JSON.stringify(word).match(/"value":"([^"]*)"/g);
    if (loop.type !== 'ArithmeticFor') throw new Error('not a for loop');
    expect([loop.init, loop.test, loop.step].map(text)).toEqual([['"value":"i = 0"'], ['"value":" i < 3"'], ['"value":" i++"']]);
  });

  it('reads [[ ]] with its precedence, string comparison and regex', () => {
    const { expression } = command(parseScript('[[ ! -f a || $b == c* && ( x < y ) ]]')) as Extract<Command, { type: 'Conditional' }>;
    expect(expression).toMatchObject({
      type: 'TestOr',
      left: { type: 'TestNot', operand: { type: 'TestUnary', operator: '-f' } },
      right: { type: 'TestAnd', left: { type: 'TestBinary', operator: '==' }, right: { type: 'TestBinary', operator: '<' } },
    });
    const regex = command(parseScript('[[ $v =~ ^(a|b)+$ ]]'));
    expect(regex).toMatchObject({ expression: { type: 'TestBinary', operator: '=~', right: literal('^(a|b)+$') } });
  });

  it('reads assignments before a command, arrays, and reserved words as plain arguments', () => {
    const { assignments, words } = simple(parseScript('A=1 B+=2 C= D[2]=x cmd E=3 if then fi'));
    expect(assignments.map((a) => [a.name, a.append, a.index !== undefined])).toEqual([
      ['A', false, false],
      ['B', true, false],
      ['C', false, false],
      ['D', false, true],
    ]);
    expect(words.map((w) => (w.parts[0] as { value: string }).value)).toEqual(['cmd', 'E=3', 'if', 'then', 'fi']);
    expect(simple(parseScript('list=(a "b c" $d)')).assignments[0]!.elements).toHaveLength(3);
  });

  it('skips comments and line continuations', () => {
    const script = parseScript('echo a \\\n  b # not c\n# whole line\necho d#e');
    expect(script.body).toHaveLength(2);
    expect(simple(script).words.map((w) => (w.parts[0] as { value: string }).value)).toEqual(['echo', 'a', 'b']);
    expect(simple(script, 1).words[1]).toEqual(literal('d#e'));
  });

  it('says where a syntax error is, as bash does', () => {
    const error = parseError('echo ok\nif true; then echo x; done');
    expect(error.describe()).toBe("line 2: syntax error near unexpected token `done'");
    expect(parseError('echo $(').describe()).toBe('line 1: syntax error: unexpected end of file');
  });

  it('attack: a command line nested deeper than the host stack is a syntax error, not a crash', () => {
    const depth = 100_000;
    for (const line of ['$('.repeat(depth), '{ '.repeat(depth), '${x:-'.repeat(depth), '[[ '.concat('( '.repeat(depth)), '"$('.repeat(depth)]) {
      const error = parseError(line);
      expect(error.message).toBe(`constructs nest deeper than ${maxNesting} levels`);
    }
    // Each $( … ) is two levels: its command list and the word it sits in.
    const deep = maxNesting / 2 - 1;
    expect(() => parseScript(`${'echo $('.repeat(deep)}x${')'.repeat(deep)}`)).not.toThrow();
  });
});

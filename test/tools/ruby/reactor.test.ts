import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRubyArgs } from '../../../src/tools/ruby/arguments.js';
import { isRubyReactor } from '../../../src/tools/ruby/reactor.js';
import { createSandbox, type Sandbox } from '../../../src/node/index.js';
import { findRecipe } from '../../../src/tools/catalog.js';
import { ToolStore } from '../../../src/node/tools/tool-store.js';
import { removeTree, tempDir } from '../../helpers/guests.js';

describe('ruby command line', () => {
  it('takes -e programs and keeps the arguments after them as ARGV', () => {
    const command = parseRubyArgs(['ruby', '-w', '-e', 'p 1', '-eputs 2', 'a', '-b']);
    expect(command).toMatchObject({ code: 'p 1\nputs 2', requires: [], syntaxOnly: false, infoOnly: false });
    expect('initArgs' in command && command.initArgs).toEqual([
      ...['ruby', '-EUTF-8', '--disable-syntax_suggest', '-w'],
      ...['-e', '_=0', '--', 'a', '-b'],
    ]);
  });

  it('takes a script and its arguments, and -r/-I with or without a space', () => {
    const command = parseRubyArgs(['ruby', '-rjson', '-I', 'lib', 'main.rb', '--x']);
    expect(command).toMatchObject({ script: 'main.rb', requires: ['json'] });
    expect('initArgs' in command && command.initArgs).toEqual([
      ...['ruby', '-EUTF-8', '--disable-syntax_suggest', '-Ilib'],
      ...['-e', '_=0', '--', '--x'],
    ]);
  });

  it('reads the program from stdin without a script, and prints the version for -v alone', () => {
    expect(parseRubyArgs(['ruby'])).toMatchObject({ script: '-' });
    expect(parseRubyArgs(['ruby', '-v'])).toMatchObject({ infoOnly: true });
    expect(parseRubyArgs(['ruby', '--version'])).toMatchObject({ infoOnly: true });
  });

  it('refuses options it cannot honour, as ruby words it', () => {
    expect(parseRubyArgs(['ruby', '-n', '-e', 'x'])).toEqual({
      programName: 'ruby',
      error: 'invalid option -n  (-h will show valid options) (RuntimeError)',
    });
    expect(parseRubyArgs(['ruby', '-e'])).toMatchObject({ error: 'no code specified for -e (RuntimeError)' });
  });
});

/** ruby.wasm of the catalog (wasm-tools/recipes/ruby), built by the test setup, run by name. */
describe('ruby.wasm as a command', () => {
  let root: string;
  let module: WebAssembly.Module;
  let sandbox: Sandbox;

  beforeAll(() => {
    root = tempDir();
    mkdirSync(join(root, 'in'));
    mkdirSync(join(root, 'out'));
    writeFileSync(join(root, 'in', 'data.txt'), 'one two\nthree\n');
    writeFileSync(
      join(root, 'in', 'count.rb'),
      [
        'require "json"',
        'text = File.read("/input/data.txt")',
        'File.write("/output/count.json", JSON.generate(words: text.split.size, args: ARGV, main: $0 == __FILE__))',
        'puts "counted"',
      ].join('\n'),
    );
    const store = new ToolStore();
    module = new WebAssembly.Module(readFileSync(join(store.buildDir(findRecipe('ruby')!), 'ruby.wasm')));
    sandbox = createSandbox({
      zones: [
        { name: 'input', mode: 'ro', hostPath: join(root, 'in') },
        { name: 'output', mode: 'rw', hostPath: join(root, 'out') },
      ],
    });
  });
  afterAll(() => removeTree(root));

  const ruby = (...args: string[]) => sandbox.exec({ program: 'ruby', args }).result;

  it('is recognized by its exports', () => {
    expect(isRubyReactor(module)).toBe(true);
  });

  it('runs -e code with ARGV', async () => {
    const result = await ruby('-e', 'puts [RUBY_VERSION[0, 3], ARGV].inspect', 'a', 'b');
    expect(result).toMatchObject({ status: 'exited', exitCode: 0, stdout: '["3.4", ["a", "b"]]\n' });
  });

  it('runs a script that reads an ro zone and writes an rw zone', async () => {
    const result = await ruby('/input/count.rb', 'x');
    expect(result).toMatchObject({ exitCode: 0, stdout: 'counted\n' });
    expect(JSON.parse(readFileSync(join(root, 'out', 'count.json'), 'utf8'))).toEqual({
      words: 3,
      args: ['x'],
      main: true,
    });
  });

  it('exits with the code of exit, after the at_exit handlers', async () => {
    const result = await ruby('-e', 'at_exit { puts "bye" }; $stdout.write "hi "; exit 3');
    expect(result).toMatchObject({ status: 'exited', exitCode: 3, stdout: 'hi bye\n' });
  });

  it('reports an uncaught exception on stderr and exits with 1', async () => {
    const result = await ruby('-e', 'def boom = raise(ArgumentError, "no way")', '-e', 'boom');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe("-e:1:in 'Object#boom': no way (ArgumentError)\n\tfrom -e:2:in '<main>'\n");
  });

  it('cannot write to a read-only zone', async () => {
    const result = await ruby('-e', 'File.write("/input/x", "y")');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Read-only file system');
  });
});

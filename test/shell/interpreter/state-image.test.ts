import { describe, expect, it } from 'vitest';
import { DescriptorTable } from '../../../src/shell/interpreter/io.js';
import { encodeShellState, restoreShellState } from '../../../src/shell/interpreter/state-image.js';
import { ShellState } from '../../../src/shell/interpreter/state.js';
import { parseScript } from '../../../src/shell/parser/parser.js';
import type { FunctionDefinition } from '../../../src/shell/ast.js';

const fresh = () => new ShellState({ env: [['HOME', '/home']], cwd: '/', scriptName: 'sh' }, new DescriptorTable([]));

describe("a session shell's saved state", () => {
  it('keeps variables (exported, readonly, sparse arrays), functions, options, $? and the folder', () => {
    const state = fresh();
    state.setVariable('EXPORTED', 'yes', { export: true });
    state.setVariable('PLAIN', 'no');
    state.variables.set('FIXED', { value: 'const', exported: false, readonly: true });
    state.setElement('sparse', 0, 'a');
    state.setElement('sparse', 5, 'f');
    state.exportWhenSet.add('LATER');
    const definition = parseScript('greet() { echo hi; }').body[0]!.first.commands[0] as FunctionDefinition;
    state.functions.set('greet', definition);
    state.options.errexit = true;
    state.lastStatus = 3;
    state.cwd = '/scratch';
    const copy = fresh();
    restoreShellState(copy, encodeShellState(state));
    expect(copy.cwd).toBe('/scratch');
    expect(copy.lastStatus).toBe(3);
    expect(copy.options.errexit).toBe(true);
    expect(copy.variables.get('EXPORTED')).toEqual({ value: 'yes', exported: true });
    expect(copy.variables.get('FIXED')).toEqual({ value: 'const', exported: false, readonly: true });
    const sparse = copy.variables.get('sparse')!.value as string[];
    expect(sparse.length).toBe(6);
    expect(1 in sparse).toBe(false);
    expect(sparse[5]).toBe('f');
    expect([...copy.exportWhenSet]).toEqual(['LATER']);
    expect(copy.functions.get('greet')).toEqual(definition);
  });

  it('restores the same text the same way each time, whatever the shells it was restored into did since', () => {
    const state = fresh();
    state.setVariable('KEPT', 'original');
    state.setElement('list', 0, 'a');
    state.options.errexit = true;
    const text = encodeShellState(state);
    const first = fresh();
    restoreShellState(first, text);
    first.setVariable('KEPT', 'changed');
    first.setElement('list', 0, 'changed');
    first.options.errexit = false;
    first.exportWhenSet.add('NEW');
    const second = fresh();
    restoreShellState(second, text);
    expect(second.variables.get('KEPT')?.value).toBe('original');
    expect(second.variables.get('list')?.value).toEqual(['a']);
    expect(second.options.errexit).toBe(true);
    expect([...second.exportWhenSet]).toEqual([]);
  });

  it('refuses text that is not such a state, naming where', () => {
    const copy = fresh();
    expect(() => restoreShellState(copy, 'not json')).toThrow(/not JSON/);
    expect(() => restoreShellState(copy, '{"version":1}')).toThrow(/not valid at cwd/);
    const good = JSON.parse(encodeShellState(fresh())) as Record<string, unknown>;
    expect(() => restoreShellState(copy, JSON.stringify({ ...good, functions: [{ name: 'f', definition: { type: 'Evil' } }] }))).toThrow(/functions/);
  });
});

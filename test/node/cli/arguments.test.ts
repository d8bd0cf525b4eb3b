import { describe, expect, it } from 'vitest';
import { execHelp, parseExecArguments } from '../../../src/node/cli/arguments.js';

describe('goodbot exec arguments', () => {
  it('collects repeated --allow-net values in order, in both spellings', () => {
    const parsed = parseExecArguments(['--allow-net', 'api.example.com:443', '--allow-net=*.example.org:443', 'tool.wasm']);
    expect(parsed.allowNet).toEqual(['api.example.com:443', '*.example.org:443']);
    expect(parsed.program).toBe('tool.wasm');
  });

  it('leaves an --allow-net after PROGRAM to the guest: a guest argument cannot grant itself the network', () => {
    const parsed = parseExecArguments(['tool.wasm', '--allow-net', 'attacker.net:443']);
    expect(parsed.allowNet).toEqual([]);
    expect(parsed.args).toEqual(['--allow-net', 'attacker.net:443']);
  });

  it('requires a value for --allow-net', () => {
    expect(() => parseExecArguments(['--allow-net'])).toThrow(/--allow-net needs a value/);
  });

  it('documents --allow-net in the help', () => {
    expect(execHelp).toContain('--allow-net HOST:PORT');
  });
});

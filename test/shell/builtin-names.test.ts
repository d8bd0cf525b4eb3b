import { describe, expect, it } from 'vitest';
import { builtinNames } from '../../src/shell/builtin-names.js';
import { builtins } from '../../src/shell/interpreter/builtins/index.js';

describe('the builtin names a backend choice knows', () => {
  it("are exactly the interpreter's builtins: a builtin missing there would send its command lines to a container", () => {
    expect([...builtinNames].sort()).toEqual([...builtins.keys()].sort());
  });
});

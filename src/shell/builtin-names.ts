/**
 * The names of the commands goodbot's shell runs itself, as plain data:
 * choosing a command line's backend (`runsInWebAssembly`) needs them, and
 * every pool worker and `goodbot exec` makes that choice, without loading
 * the interpreter for it (its builtins, its state, the schema of its state
 * images). The interpreter's own table (`interpreter/builtins/index.ts`)
 * must name the same commands: a test compares the two.
 */
export const builtinNames: ReadonlySet<string> = new Set([
  '.',
  ':',
  '[',
  'bash',
  'break',
  'cd',
  'command',
  'continue',
  'declare',
  'echo',
  'eval',
  'exec',
  'exit',
  'export',
  'false',
  'let',
  'local',
  'printf',
  'pwd',
  'read',
  'readonly',
  'return',
  'set',
  'sh',
  'shift',
  'source',
  'test',
  'timeout',
  'trap',
  'true',
  'type',
  'typeset',
  'unset',
  'wait',
]);

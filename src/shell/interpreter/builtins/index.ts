import type { StatPath } from '../conditions.js';
import type { ShellFiles } from '../files.js';
import type { Interpreter } from '../interpreter.js';
import type { ShellInput } from '../io.js';
import type { ShellState } from '../state.js';
import { flowBuiltins } from './flow.js';
import { outputBuiltins } from './output.js';
import { variableBuiltins } from './variables.js';

/** What a builtin gets: its arguments, the shell's state and its descriptors. */
export interface BuiltinContext {
  readonly name: string;
  readonly args: readonly string[];
  readonly state: ShellState;
  readonly line: number;
  readonly shell: Interpreter;
  /** Runs as a condition (`if`, `&&`…), where `set -e` does not apply. */
  readonly condition: boolean;
  readonly stdin: ShellInput;
  readonly out: (text: string) => Promise<void>;
  readonly err: (text: string) => Promise<void>;
  /** Reports MESSAGE on stderr, prefixed with the shell, the line and the builtin's name. */
  readonly error: (message: string) => Promise<void>;
  readonly files: ShellFiles | undefined;
  readonly stat: StatPath;
}

export type Builtin = (context: BuiltinContext) => Promise<number>;

/** The commands the shell runs itself, by name. */
export const builtins: ReadonlyMap<string, Builtin> = new Map([...flowBuiltins, ...outputBuiltins, ...variableBuiltins]);

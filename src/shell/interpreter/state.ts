import type { FunctionDefinition } from '../ast.js';
import type { DescriptorTable } from './io.js';
import { bounded, maxArrayIndex, ValueTooLarge } from './sizes.js';

/** A shell variable: a string, or an indexed array (bash), and whether commands inherit it. */
export interface Variable {
  value: string | string[];
  exported: boolean;
  readonly?: boolean;
}

/** `set` options the shell honours. */
export interface ShellOptions {
  /** `-e`: exit when a command fails outside a condition. */
  errexit: boolean;
  /** `-u`: expanding an unset variable is an error. */
  nounset: boolean;
  /** `-o pipefail`: a pipeline fails when any command in it fails. */
  pipefail: boolean;
  /** `-f`: no pathname expansion. */
  noglob: boolean;
  /** `-x`: print each command before running it. */
  xtrace: boolean;
}

export class ReadonlyVariableError extends Error {
  constructor(readonly variable: string) {
    super(`${variable}: readonly variable`);
  }
}

/**
 * Everything a shell carries from one command to the next: variables,
 * functions, positional parameters, options, the working folder, the last
 * status and the descriptors `exec` opened. A subshell (`( … )`, a pipeline
 * stage, `$( … )`) works on a {@link copy}, so its changes stay in it.
 */
export class ShellState {
  readonly variables: Map<string, Variable>;
  readonly functions: Map<string, FunctionDefinition>;
  /** Saved values to restore when each running function returns (`local`). */
  readonly localFrames: Map<string, Variable | undefined>[] = [];
  positional: string[];
  options: ShellOptions;
  cwd: string;
  lastStatus = 0;
  /** `$0`. */
  scriptName: string;
  /** Names exported while unset (`export X`): the first assignment makes them exported variables, as in bash. */
  exportWhenSet = new Set<string>();
  /** Background jobs not yet waited for, by their number (`$!`); a subshell starts without them. */
  jobs = new Map<number, Promise<number>>();
  /** `$!`: the newest background job's number. */
  lastJob: number | undefined;
  /** `trap` commands by condition (`EXIT`, `ERR`; signals are kept but never come in the sandbox). A subshell starts without them, as in bash. */
  traps = new Map<string, string>();
  /** When the command `timeout` runs must stop (epoch milliseconds); a subshell keeps it. */
  deadline: number | undefined;
  /** It is a background job (`&`) or runs in one: its programs must run beside the shell, not on its thread. */
  background = false;

  constructor(
    init: {
      readonly env: readonly (readonly [string, string])[];
      readonly cwd: string;
      readonly scriptName: string;
      readonly positional?: readonly string[];
    },
    /** Replaced while a command runs with its redirections applied. */
    public descriptors: DescriptorTable,
  ) {
    this.variables = new Map(init.env.map(([name, value]) => [name, { value, exported: true }]));
    this.functions = new Map();
    this.positional = [...(init.positional ?? [])];
    this.options = { errexit: false, nounset: false, pipefail: false, noglob: false, xtrace: false };
    this.cwd = init.cwd;
    this.scriptName = init.scriptName;
    this.setVariable('PWD', init.cwd);
    if (!this.variables.has('IFS')) this.variables.set('IFS', { value: ' \t\n', exported: false });
  }

  /** A copy for a subshell, with DESCRIPTORS as its descriptors. */
  copy(descriptors: DescriptorTable): ShellState {
    const copy = Object.create(ShellState.prototype) as ShellState;
    Object.assign(copy, {
      variables: new Map([...this.variables].map(([name, variable]) => [name, { ...variable, value: cloneValue(variable.value) }])),
      functions: new Map(this.functions),
      localFrames: [],
      positional: [...this.positional],
      options: { ...this.options },
      cwd: this.cwd,
      lastStatus: this.lastStatus,
      scriptName: this.scriptName,
      traps: new Map(),
      exportWhenSet: new Set(this.exportWhenSet),
      jobs: new Map(),
      lastJob: undefined,
      deadline: this.deadline,
      background: this.background,
      descriptors,
    });
    return copy;
  }

  /** Records a background job and returns its number; a job that fails in the host rejects only when waited for. */
  startJob(job: Promise<number>): number {
    const id = (this.lastJob ?? 1000) + 1;
    job.catch(() => {});
    this.jobs.set(id, job);
    this.lastJob = id;
    return id;
  }

  /** Waits for job ID (undefined: all of them): its status, or 127 when there is no such job. */
  async waitFor(id?: number): Promise<number> {
    if (id !== undefined) {
      const job = this.jobs.get(id);
      if (job === undefined) return 127;
      this.jobs.delete(id);
      return job;
    }
    let status = 0;
    for (const [job, running] of [...this.jobs]) {
      this.jobs.delete(job);
      status = await running;
    }
    return status;
  }

  /** A string variable's value, or an array's first element; undefined when unset. */
  get(name: string): string | undefined {
    const value = this.variables.get(name)?.value;
    return Array.isArray(value) ? value[0] : value;
  }

  setVariable(name: string, value: string | string[], options: { export?: boolean } = {}): void {
    if (Array.isArray(value)) {
      if (value.length > maxArrayIndex + 1) throw new ValueTooLarge(`${name}: an array may hold at most ${maxArrayIndex + 1} elements`);
      for (const element of value) if (element !== undefined) bounded(element, name);
    } else bounded(value, name);
    const existing = this.variables.get(name);
    if (existing?.readonly) throw new ReadonlyVariableError(name);
    const exported = options.export === true || this.exportWhenSet.delete(name);
    if (existing === undefined) this.variables.set(name, { value, exported });
    else {
      existing.value = value;
      if (exported) existing.exported = true;
    }
  }

  /** Sets element INDEX of array NAME (a string variable becomes element 0). */
  setElement(name: string, index: number, value: string): void {
    if (!Number.isInteger(index) || index < 0 || index > maxArrayIndex)
      throw new ValueTooLarge(`${name}[${index}]: array indices run from 0 to ${maxArrayIndex}`);
    const existing = this.variables.get(name);
    if (existing?.readonly) throw new ReadonlyVariableError(name);
    const array = existing === undefined ? [] : Array.isArray(existing.value) ? existing.value : [existing.value];
    // Sparse, as bash's arrays: the elements between stay unset.
    array[index] = value;
    this.setVariable(name, array);
  }

  unset(name: string): void {
    if (this.variables.get(name)?.readonly) throw new ReadonlyVariableError(name);
    this.variables.delete(name);
    this.exportWhenSet.delete(name);
  }

  /** Makes NAME local to the running function: its value is restored when the function returns. */
  makeLocal(name: string): void {
    const frame = this.localFrames.at(-1);
    if (frame === undefined || frame.has(name)) return;
    const existing = this.variables.get(name);
    frame.set(name, existing && { ...existing, value: cloneValue(existing.value) });
  }

  enterFunction(): void {
    this.localFrames.push(new Map());
  }

  leaveFunction(): void {
    const frame = this.localFrames.pop();
    for (const [name, saved] of frame ?? []) {
      if (saved === undefined) this.variables.delete(name);
      else this.variables.set(name, saved);
    }
  }

  /** The environment a command gets: the exported variables (arrays are not exported, as in bash). */
  environment(extra: readonly (readonly [string, string])[] = []): [string, string][] {
    const env = new Map<string, string>();
    for (const [name, variable] of this.variables) {
      if (variable.exported && !Array.isArray(variable.value)) env.set(name, variable.value);
    }
    for (const [name, value] of extra) env.set(name, value);
    return [...env];
  }
}

function cloneValue(value: string | string[]): string | string[] {
  return Array.isArray(value) ? [...value] : value;
}

import en from 'zod/v4/locales/en.js';
import * as z from 'zod/mini';
import type { FunctionDefinition } from '../ast.js';
import type { ShellState } from './state.js';

/**
 * What a session's shell keeps from one command to the next: the working
 * folder, every variable (with its export and readonly marks), the
 * functions, the `set` options and `$?`. Not kept, as each command is a
 * run of its own: positional parameters, traps, background jobs.
 */
// zod/mini loads no messages of its own: the English ones are what a refusal quotes (as for policies).
z.config(en());

const stateImage = z.object({
  version: z.literal(1),
  cwd: z.string().check(z.startsWith('/')),
  lastStatus: z.int().check(z.minimum(0), z.maximum(255)),
  variables: z.array(
    z.object({
      name: z.string().check(z.minLength(1)),
      // An array's elements by index: bash's arrays may have holes.
      value: z.union([z.string(), z.array(z.tuple([z.int().check(z.minimum(0)), z.string()]))]),
      exported: z.boolean(),
      readonly: z.optional(z.boolean()),
    }),
  ),
  exportWhenSet: z.array(z.string()),
  // Parsed by goodbot's own parser before they were saved; kept as its syntax tree.
  functions: z.array(
    z.object({ name: z.string().check(z.minLength(1)), definition: z.custom<FunctionDefinition>((value) => isFunctionDefinition(value)) }),
  ),
  options: z.object({ errexit: z.boolean(), nounset: z.boolean(), pipefail: z.boolean(), noglob: z.boolean(), xtrace: z.boolean() }),
});

type StateImage = z.infer<typeof stateImage>;

/** STATE as text a session carries (see `SessionCarry.shell`). */
export function encodeShellState(state: ShellState): string {
  const image: StateImage = {
    version: 1,
    cwd: state.cwd,
    lastStatus: state.lastStatus,
    variables: [...state.variables].map(([name, variable]) => ({
      name,
      value: Array.isArray(variable.value)
        ? Object.entries(variable.value).map(([index, element]) => [Number(index), element] as [number, string])
        : variable.value,
      exported: variable.exported,
      ...(variable.readonly === true && { readonly: true }),
    })),
    exportWhenSet: [...state.exportWhenSet],
    functions: [...state.functions].map(([name, definition]) => ({ name, definition })),
    options: { ...state.options },
  };
  return JSON.stringify(image);
}

/**
 * Puts the state TEXT describes into STATE (a new shell's), replacing its
 * variables and functions. Text that is not such a state throws, naming
 * what is wrong.
 */
export function restoreShellState(state: ShellState, text: string): void {
  const image = checkedImage(text);
  state.variables.clear();
  for (const variable of image.variables) {
    let value: string | string[];
    if (typeof variable.value === 'string') value = variable.value;
    else {
      value = [];
      for (const [index, element] of variable.value) value[index] = element;
    }
    state.variables.set(variable.name, { value, exported: variable.exported, ...(variable.readonly === true && { readonly: true }) });
  }
  state.functions.clear();
  for (const { name, definition } of image.functions) state.functions.set(name, definition);
  state.exportWhenSet = new Set(image.exportWhenSet);
  state.options = { ...image.options };
  state.lastStatus = image.lastStatus;
  state.cwd = image.cwd;
}

/** Texts checked lately, and what they hold: a session's next command mostly brings back the text its last one left. */
const checkedImages = new Map<string, StateImage>();
/** Longer texts are checked each time rather than kept. */
const largestKeptText = 64 * 1024;

/** TEXT's image, checked (once for a text seen lately: the check is most of a restore's cost). */
function checkedImage(text: string): StateImage {
  const kept = checkedImages.get(text);
  if (kept !== undefined) return kept;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('the saved shell state is not JSON');
  }
  const result = stateImage.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`the saved shell state is not valid at ${issue.path.join('.') || 'its top'}: ${issue.message}`);
  }
  if (text.length <= largestKeptText) {
    if (checkedImages.size >= 8) checkedImages.delete(checkedImages.keys().next().value!);
    checkedImages.set(text, result.data);
  }
  return result.data;
}

function isFunctionDefinition(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const node = value as Partial<FunctionDefinition>;
  return node.type === 'FunctionDefinition' && typeof node.name === 'string' && typeof node.body === 'object' && node.body !== null;
}

/**
 * The tool catalog: which commands goodbot can run by name, and which recipe
 * (in `wasm-tools/recipes/`) builds each one. Platform-neutral: the Node CLI
 * and the browser page read the same manifest.
 */
import { didYouMean } from '../edit-distance.js';

/** How a built artifact runs. */
export type ToolKind = 'preview1' | 'preview2';

/** One recipe's build: its upstream origin and licence. */
export interface ToolRecipe {
  /** Folder name in `wasm-tools/recipes/`. */
  readonly name: string;
  /** Upstream version built. */
  readonly version: string;
  /** Where the recipe takes the source from, e.g. `debian:busybox`, `npm:@ruby/3.4-wasm-wasi@2.10.1`. */
  readonly source: string;
  /** SPDX licence expression of the built tool. */
  readonly license: string;
  /** Part of the default catalog that setup builds. */
  readonly default: boolean;
}

/** A host folder of a build, mounted read-only for the tool and invisible to the policy's zones. */
export interface ToolMount {
  /** Path inside the build output, e.g. `lib`. */
  readonly from: string;
  /** Absolute guest path, e.g. `/usr/local/lib`. */
  readonly guestPath: string;
}

/** A command of the catalog. */
export interface ToolEntry {
  /** The name an agent runs, e.g. `sort`, `python3`. */
  readonly name: string;
  readonly recipe: string;
  /** The program to run: a path inside the build output. */
  readonly artifact: string;
  readonly kind: ToolKind;
  /** argv[0] given to the program; a busybox applet is chosen by it. Default: the name. */
  readonly entry?: string;
  readonly mounts?: readonly ToolMount[];
  /** Variables the tool itself needs; the policy's variables win. */
  readonly env?: Readonly<Record<string, string>>;
  readonly summary: string;
  /** It may start commands (goodbot's process interface), so it must run where it can wait for them. */
  readonly startsPrograms?: boolean;
  /** For an artifact that starts from a snapshot: the program started from scratch, for the runs the snapshot cannot serve. */
  readonly fromScratch?: FromScratch;
}

/**
 * A tool's program without its snapshot, and when a run needs it: what a
 * process fixes once at its start (python's str hash key and memory
 * allocator) cannot change for a run that resumes a snapshot. Matching
 * more runs than need it costs only time: the program started from
 * scratch serves every run.
 */
export interface FromScratch {
  readonly artifact: string;
  /** Any of these variables set in the run's environment. */
  readonly whenSet: readonly string[];
  /** Any of these arguments, or pairs of arguments in a row. */
  readonly whenArgs: readonly (readonly string[])[];
}

/** Whether a run with ARGS and ENV needs the program started from scratch. */
export function needsFromScratch(from: FromScratch, args: readonly string[], env: readonly (readonly [string, string])[]): boolean {
  if (env.some(([name]) => from.whenSet.includes(name))) return true;
  return from.whenArgs.some((words) => args.some((_, i) => words.every((word, j) => args[i + j] === word)));
}

/** BusyBox's applets that start commands: xargs, find -exec, env CMD, nohup CMD. */
const startingApplets = new Set(['xargs', 'find', 'env', 'nohup']);

export const toolRecipes: readonly ToolRecipe[] = [
  { name: 'busybox', version: '1.35.0', source: 'debian:busybox', license: 'GPL-2.0-only', default: true },
  { name: 'lua', version: '5.4.4', source: 'debian:lua5.4', license: 'MIT', default: true },
  { name: 'sqlite3', version: '3.40.1', source: 'debian:sqlite3', license: 'blessing', default: true },
  { name: 'jq', version: '1.6', source: 'debian:jq', license: 'MIT AND BSD-2-Clause', default: true },
  {
    name: 'python3',
    version: '3.11.2',
    source: 'debian:python3.11',
    license: 'PSF-2.0 AND Zlib AND blessing AND MIT AND BSD-2-Clause',
    default: true,
  },
  { name: 'rg', version: '13.0.0', source: 'debian:rust-ripgrep', license: 'MIT OR Unlicense', default: true },
  { name: 'ruby', version: '3.4', source: 'npm:@ruby/3.4-wasm-wasi@2.10.1', license: 'Ruby OR BSD-2-Clause', default: true },
  {
    name: 'js',
    version: '0.23.0',
    source: 'npm:@bytecodealliance/componentize-js@0.23.0',
    license: 'Apache-2.0 WITH LLVM-exception AND MPL-2.0',
    default: true,
  },
];

/** Busybox applets offered as commands of their own (the recipe's config builds exactly these and `[`). */
export const busyboxApplets: readonly string[] = [
  'awk',
  'base32',
  'base64',
  'basename',
  'bc',
  'bunzip2',
  'bzcat',
  'cat',
  'cksum',
  'cmp',
  'comm',
  'cp',
  'crc32',
  'cut',
  'date',
  'dd',
  'diff',
  'dirname',
  'dos2unix',
  'du',
  'echo',
  'egrep',
  'env',
  'expand',
  'expr',
  'factor',
  'false',
  'fgrep',
  'find',
  'fold',
  'grep',
  'gunzip',
  'gzip',
  'hd',
  'head',
  'hexdump',
  'ln',
  'ls',
  'md5sum',
  'mkdir',
  'mktemp',
  'mv',
  'nl',
  'nohup',
  'od',
  'paste',
  'patch',
  'printenv',
  'printf',
  'pwd',
  'readlink',
  'realpath',
  'rev',
  'rm',
  'rmdir',
  'sed',
  'seq',
  'sha1sum',
  'sha256sum',
  'sha3sum',
  'sha512sum',
  'shuf',
  'sleep',
  'sort',
  'split',
  'stat',
  'strings',
  'sum',
  'tac',
  'tail',
  'tar',
  'tee',
  'test',
  'touch',
  'tr',
  'true',
  'truncate',
  'unexpand',
  'uniq',
  'unix2dos',
  'unlink',
  'unxz',
  'unzip',
  'usleep',
  'uudecode',
  'uuencode',
  'wc',
  'xargs',
  'xxd',
  'xzcat',
  'yes',
  'zcat',
];

export const toolCatalog: readonly ToolEntry[] = [
  { name: 'busybox', recipe: 'busybox', artifact: 'busybox.wasm', kind: 'preview1', summary: 'BusyBox multi-call binary' },
  ...busyboxApplets.map((applet): ToolEntry => ({
    name: applet,
    recipe: 'busybox',
    artifact: 'busybox.wasm',
    kind: 'preview1',
    entry: applet,
    summary: `BusyBox ${applet}`,
    ...(startingApplets.has(applet) && { startsPrograms: true }),
  })),
  {
    name: 'python3',
    recipe: 'python3',
    artifact: 'python3.wasm',
    kind: 'preview1',
    mounts: [{ from: 'lib', guestPath: '/usr/local/lib' }],
    summary: 'CPython with its standard library',
    startsPrograms: true,
    fromScratch: {
      artifact: 'python3-plain.wasm',
      whenSet: ['PYTHONHASHSEED', 'PYTHONMALLOC', 'PYTHONDEVMODE'],
      whenArgs: [['-Xdev'], ['-X', 'dev']],
    },
  },
  { name: 'lua', recipe: 'lua', artifact: 'lua.wasm', kind: 'preview1', summary: 'Lua interpreter' },
  { name: 'sqlite3', recipe: 'sqlite3', artifact: 'sqlite3.wasm', kind: 'preview1', summary: 'SQLite shell' },
  { name: 'jq', recipe: 'jq', artifact: 'jq.wasm', kind: 'preview1', summary: 'JSON processor' },
  { name: 'rg', recipe: 'rg', artifact: 'rg.wasm', kind: 'preview1', summary: 'ripgrep: recursive search' },
  { name: 'ruby', recipe: 'ruby', artifact: 'ruby.wasm', kind: 'preview1', summary: 'Ruby with its standard library' },
  { name: 'js', recipe: 'js', artifact: 'js.wasm', kind: 'preview2', summary: 'JavaScript (SpiderMonkey via StarlingMonkey)' },
];

const byName = new Map(toolCatalog.map((tool) => [tool.name, tool]));
const recipeByName = new Map(toolRecipes.map((recipe) => [recipe.name, recipe]));

export function findTool(name: string): ToolEntry | undefined {
  return byName.get(name);
}

/** HINT for a NAME that is no tool (nor recipe), led by `did you mean 'python3'?` when one is close to it. */
export function withToolSuggestion(name: string, hint: string): string {
  const suggestion = didYouMean(name, new Set([...byName.keys(), ...recipeByName.keys()]));
  return suggestion === undefined ? hint : `${suggestion} ${hint}`;
}

export function recipeOf(tool: ToolEntry): ToolRecipe {
  const recipe = recipeByName.get(tool.recipe);
  if (recipe === undefined) throw new Error(`catalog: ${tool.name} names unknown recipe ${tool.recipe}`);
  return recipe;
}

export function findRecipe(name: string): ToolRecipe | undefined {
  return recipeByName.get(name);
}

/** The zone name of a tool's own folder, e.g. `python3:lib`, the same on every platform (audit events show it). */
export function mountZoneName(tool: ToolEntry, mount: ToolMount): string {
  return `${tool.recipe}:${mount.from}`;
}

/**
 * Whether PROGRAM names a catalog tool rather than a file: tool names have no
 * slash and no `.wasm` suffix.
 */
/** The shells a command line runs in: goodbot's own interpreter on WebAssembly, the image's shell in a container. */
export const shellCommands: readonly string[] = ['sh', 'bash'];

export function isShellCommand(name: string): boolean {
  return shellCommands.includes(name);
}

export function isToolName(program: string): boolean {
  return !program.includes('/') && !program.endsWith('.wasm');
}

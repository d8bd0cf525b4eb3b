import { GoodbotError } from '../../errors.js';
import { buildRecipe, formatSeconds } from '../tools/builder.js';
import {
  findRecipe,
  findTool,
  recipeOf,
  toolCatalog,
  withToolSuggestion,
  toolRecipes,
  type ToolEntry,
  type ToolRecipe,
} from '../../tools/catalog.js';
import { ToolStore } from '../tools/tool-store.js';
import { toolsHelp } from './arguments.js';
import { commandLineFailure, reportFailure } from './command-failure.js';

/** `goodbot tools …`: returns the process exit status. */
export async function toolsCommand(argv: readonly string[], store = new ToolStore()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'list':
        return listTools(store, rest);
      case 'build':
        return await buildTools(store, rest);
      case 'info':
        return toolInfo(store, rest);
      case undefined:
      case '--help':
      case '-h':
        console.log(toolsHelp);
        return command === undefined ? 125 : 0;
      default:
        throw new GoodbotError('usage', `unknown tools command '${command}'`, { hint: 'see goodbot tools --help' });
    }
  } catch (error) {
    return reportFailure(error);
  }
}

/** The recipe NAME (a tool's or a recipe's name) stands for, and the tool when it names one. */
function recipeNamed(name: string): { tool: ToolEntry | undefined; recipe: ToolRecipe } {
  const tool = findTool(name);
  const recipe = tool ? recipeOf(tool) : findRecipe(name);
  if (recipe === undefined) {
    throw new GoodbotError('not-found', `no tool named '${name}' in the catalog`, {
      hint: withToolSuggestion(name, 'run `goodbot tools list` for the names'),
      path: name,
    });
  }
  return { tool, recipe };
}

/** The recipes that build NAMES (tool or recipe names), in catalog order, each once. */
export function recipesFor(names: readonly string[]): ToolRecipe[] {
  const wanted = new Set<string>();
  for (const name of names) wanted.add(recipeNamed(name).recipe.name);
  return toolRecipes.filter((recipe) => wanted.has(recipe.name));
}

async function buildTools(store: ToolStore, args: readonly string[]): Promise<number> {
  const flags = new Set(args.filter((arg) => arg.startsWith('--')));
  const names = args.filter((arg) => !arg.startsWith('--'));
  for (const flag of flags) {
    if (!['--all', '--default', '--force'].includes(flag)) {
      throw new GoodbotError('usage', `unknown option ${flag}`, { hint: 'see goodbot tools --help' });
    }
  }
  const recipes = flags.has('--all') ? [...toolRecipes] : flags.has('--default') ? toolRecipes.filter((recipe) => recipe.default) : recipesFor(names);
  if (recipes.length === 0) {
    throw new GoodbotError('usage', 'name the tools to build, or give --all', { hint: 'see goodbot tools --help' });
  }
  const progress = (line: string) => console.error(line);
  const started = performance.now();
  let failed = 0;
  for (const recipe of recipes) {
    if (store.record(recipe) !== undefined && !flags.has('--force')) {
      progress(`[${recipe.name}] up to date`);
      continue;
    }
    try {
      await buildRecipe(store, recipe, { progress, force: flags.has('--force') });
    } catch (error) {
      failed++;
      console.error(`goodbot: ${commandLineFailure(error).describe()}`);
    }
  }
  const took = formatSeconds((performance.now() - started) / 1000);
  if (failed > 0) {
    console.error(`goodbot: ${failed} of ${recipes.length} builds failed (${took})`);
    return 125;
  }
  progress(`tools ready: ${recipes.map((recipe) => recipe.name).join(', ')} (${took})`);
  return 0;
}

function listTools(store: ToolStore, args: readonly string[]): number {
  const rows = toolRecipes.map((recipe) => {
    const record = store.record(recipe);
    const tools = toolCatalog.filter((tool) => tool.recipe === recipe.name);
    const main = tools[0]!;
    const bytes = record?.files[main.artifact]?.bytes;
    return {
      recipe: recipe.name,
      version: recipe.version,
      kind: main.kind,
      size: bytes === undefined ? '-' : formatBytes(bytes),
      status: record === undefined ? 'not built' : 'built',
      commands: tools.map((tool) => tool.name),
    };
  });
  if (args.includes('--json')) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  const header = ['TOOL', 'VERSION', 'KIND', 'SIZE', 'STATUS', 'COMMANDS'];
  const table = rows.map((row) => [row.recipe, row.version, row.kind, row.size, row.status, commandsText(row.recipe, row.commands)]);
  const widths = header.map((title, i) => Math.max(title.length, ...table.map((cells) => cells[i]!.length)));
  for (const cells of [header, ...table]) {
    console.log(cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
  }
  return 0;
}

function commandsText(recipe: string, commands: readonly string[]): string {
  const others = commands.filter((name) => name !== recipe);
  return others.length === 0 ? recipe : `${others.length} applets: ${others.join(' ')}`;
}

function toolInfo(store: ToolStore, args: readonly string[]): number {
  if (args.length !== 1) throw new GoodbotError('usage', 'give one tool name', { hint: 'goodbot tools info NAME' });
  const { tool, recipe } = recipeNamed(args[0]!);
  const entry = tool ?? toolCatalog.find((candidate) => candidate.recipe === recipe.name)!;
  const record = store.record(recipe);
  const artifact = record?.files[entry.artifact];
  const lines: [string, string][] = [
    ['name', entry.name],
    ['summary', entry.summary],
    ['recipe', `${store.recipeDir(recipe)}/build.sh`],
    ['version', recipe.version],
    ['source', recipe.source],
    ['license', recipe.license],
    ['kind', entry.kind],
    ['artifact', entry.artifact],
    ...(entry.entry !== undefined ? [['argv[0]', entry.entry] as [string, string]] : []),
    ...(entry.mounts ?? []).map((mount): [string, string] => ['mount', `${mount.from} -> ${mount.guestPath} (read-only)`]),
    ['recipe hash', store.recipeHash(recipe)],
    [
      'status',
      record === undefined ? `not built (goodbot tools build ${entry.name})` : `built ${record.builtAt} in ${formatSeconds(record.durationSeconds)}`,
    ],
    ...(record !== undefined ? [['location', store.buildDir(recipe)] as [string, string]] : []),
    ...(artifact !== undefined ? [['size', formatBytes(artifact.bytes)] as [string, string], ['sha256', artifact.sha256] as [string, string]] : []),
  ];
  const width = Math.max(...lines.map(([key]) => key.length));
  for (const [key, value] of lines) console.log(`${`${key}:`.padEnd(width + 2)}${value}`);
  return 0;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

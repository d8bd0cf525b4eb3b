import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, relative } from 'node:path';
import { GoodbotError } from '../errors.js';
import type { ToolRecipe } from './catalog.js';
import { filesUnder, type BuildRecord, type ToolStore } from './tool-store.js';

export interface BuildOptions {
  /** Progress lines (`[python3] configuring`), one per call, without newline. */
  readonly progress?: (line: string) => void;
  /** Rebuild even when a build of the current recipe exists. */
  readonly force?: boolean;
  /** Seconds of silence after which a "still building" line is printed. */
  readonly heartbeatSeconds?: number;
}

/**
 * Builds RECIPE with its `build.sh` into the store, unless the current recipe
 * is built already. The recipe's `==> ` lines are progress; all its output goes
 * to the build log. Outputs appear atomically: a failed or interrupted build
 * never looks built.
 */
export async function buildRecipe(store: ToolStore, recipe: ToolRecipe, options: BuildOptions = {}): Promise<BuildRecord> {
  const existing = store.record(recipe);
  if (existing !== undefined && options.force !== true) return existing;
  const say = (line: string) => options.progress?.(`[${recipe.name}] ${line}`);
  const target = store.buildDir(recipe);
  const base = join(store.cacheDir, recipe.name);
  const out = `${target}.tmp-${process.pid}`;
  const work = join(base, `work-${process.pid}`);
  for (const dir of [out, work]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  mkdirSync(store.sourcesDir, { recursive: true });
  const logPath = store.logFile(recipe);
  const started = performance.now();
  say(`building ${recipe.name} ${recipe.version} from ${recipe.source} (log: ${logPath})`);

  const code = await runRecipe(store, recipe, { out, work, logPath, say, heartbeat: options.heartbeatSeconds ?? 60, started });
  if (code !== 0) {
    rmSync(out, { recursive: true, force: true });
    throw new GoodbotError('runtime', `building ${recipe.name} failed (exit ${code}); the end of its log:\n${tail(logPath, 30)}`, {
      hint: `read the whole log in ${logPath}; the work folder ${work} is kept for inspection`,
      path: logPath,
    });
  }
  rmSync(work, { recursive: true, force: true });
  const files: Record<string, { sha256: string; bytes: number }> = {};
  for (const file of filesUnder(out)) {
    const bytes = readFileSync(file);
    files[relative(out, file)] = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  }
  if (Object.keys(files).length === 0) {
    throw new GoodbotError('runtime', `building ${recipe.name} produced no files`, { hint: `read ${logPath}`, path: logPath });
  }
  const record: BuildRecord = {
    recipe: recipe.name,
    version: recipe.version,
    recipeHash: store.recipeHash(recipe),
    files,
    builtAt: new Date().toISOString(),
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  writeFileSync(join(out, 'build.json'), `${JSON.stringify(record, null, 2)}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(out, target);
  removeOlderBuilds(base, basename(target));
  say(`built in ${formatSeconds(record.durationSeconds)}`);
  return record;
}

interface RecipeRun {
  readonly out: string;
  readonly work: string;
  readonly logPath: string;
  readonly say: (line: string) => void;
  readonly heartbeat: number;
  readonly started: number;
}

function runRecipe(store: ToolStore, recipe: ToolRecipe, run: RecipeRun): Promise<number> {
  const log = createWriteStream(run.logPath);
  const child = spawn('bash', [join(store.recipeDir(recipe), 'build.sh')], {
    cwd: run.work,
    env: {
      ...process.env,
      GOODBOT_OUT: run.out,
      GOODBOT_WORK: run.work,
      GOODBOT_SOURCES: store.sourcesDir,
      GOODBOT_LIB: store.libDir,
      GOODBOT_RECIPE: store.recipeDir(recipe),
      JOBS: String(process.env['JOBS'] ?? availableParallelism()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lastProgress = performance.now();
  const elapsed = () => formatSeconds((performance.now() - run.started) / 1000);
  const onData = (chunk: Buffer, pending: { text: string }) => {
    log.write(chunk);
    pending.text += chunk.toString('utf8');
    const lines = pending.text.split('\n');
    pending.text = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('==> ')) continue;
      lastProgress = performance.now();
      run.say(`${line.slice(4)} (${elapsed()})`);
    }
  };
  const stdout = { text: '' };
  const stderr = { text: '' };
  child.stdout.on('data', (chunk: Buffer) => onData(chunk, stdout));
  child.stderr.on('data', (chunk: Buffer) => onData(chunk, stderr));
  const timer = setInterval(() => {
    if (performance.now() - lastProgress < run.heartbeat * 1000) return;
    lastProgress = performance.now();
    run.say(`still building (${elapsed()})`);
  }, 1000);
  return new Promise((resolve) => {
    let ended = false;
    const end = (code: number, note = '') => {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      log.end(note, () => resolve(code));
    };
    child.on('error', (error) => end(127, `goodbot: could not start the recipe: ${error.message}\n`));
    child.on('close', (code, signal) => end(code ?? (signal ? 128 : 1)));
  });
}

/** Builds of earlier recipe versions are never used again: free their space. */
function removeOlderBuilds(base: string, current: string): void {
  for (const entry of readdirSync(base)) {
    if (entry !== current && /^[0-9a-f]{16}$/.test(entry)) rmSync(join(base, entry), { recursive: true, force: true });
  }
}

function tail(path: string, lines: number): string {
  if (!existsSync(path) || statSync(path).size === 0) return '(empty log)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds - minutes * 60)).padStart(2, '0')}s`;
}

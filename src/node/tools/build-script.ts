import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { GoodbotError } from '../../errors.js';

/** One run of a `build.sh` (a tool recipe or an image), with the variables of wasm-tools/lib/common.sh. */
export interface BuildScriptRun {
  readonly script: string;
  /** GOODBOT_OUT: empty folder for the results. */
  readonly out: string;
  /** GOODBOT_WORK: empty scratch folder, also the script's working directory. */
  readonly work: string;
  /** GOODBOT_SOURCES: persistent download cache. */
  readonly sourcesDir: string;
  /** GOODBOT_LIB: wasm-tools/lib. */
  readonly libDir: string;
  /** GOODBOT_RECIPE: the script's own folder. */
  readonly recipeDir: string;
  /** Receives everything the script prints. */
  readonly logPath: string;
  /** Progress lines: the script's `==> ` lines and the heartbeat, with the time elapsed. */
  readonly say: (line: string) => void;
  /** Seconds of silence after which a "still building" line is said. */
  readonly heartbeatSeconds: number;
  /** `performance.now()` when the build started. */
  readonly started: number;
}

/** Runs the script to its end; resolves to its exit status (127 when it could not start). */
export function runBuildScript(run: BuildScriptRun): Promise<number> {
  const log = createWriteStream(run.logPath);
  const child = spawn('bash', [run.script], {
    cwd: run.work,
    env: {
      ...process.env,
      GOODBOT_OUT: run.out,
      GOODBOT_WORK: run.work,
      GOODBOT_SOURCES: run.sourcesDir,
      GOODBOT_LIB: run.libDir,
      GOODBOT_RECIPE: run.recipeDir,
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
    if (performance.now() - lastProgress < run.heartbeatSeconds * 1000) return;
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
    child.on('error', (error) => end(127, `goodbot: could not start the build script: ${error.message}\n`));
    child.on('close', (code, signal) => end(code ?? (signal ? 128 : 1)));
  });
}

/** The error for a build script that exited with CODE: the end of its log, and where the whole log is. */
export function buildScriptFailure(what: string, code: number, logPath: string, hint: string): GoodbotError {
  return new GoodbotError('runtime', `building ${what} failed (exit ${code}); the end of its log:\n${logTail(logPath, 30)}`, {
    hint,
    path: logPath,
  });
}

function logTail(path: string, lines: number): string {
  if (!existsSync(path) || statSync(path).size === 0) return '(empty log)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds - minutes * 60)).padStart(2, '0')}s`;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * node:wasi, a peer contender, run in a Node process of its own. Node's
 * WASI calls its host functions through V8's fast API calls, and a garbage
 * collection started inside one (uvwasi's allocations report external
 * memory) leaves the heap damaged: the process dies with SIGSEGV now and
 * then, in JavaScript that runs next (Node's open issue 46777; measured
 * here on Node 20: a loop of BusyBox `wc -l` runs under node:wasi alone,
 * nothing else in the process, died within 10 s in 4 runs of 4 on a loaded
 * machine, and ran clean in 4 of 4 with `--no-turbo-fast-api-calls`). Run
 * beside goodbot in one process, that crash took the whole benchmark down.
 * Here it takes only this child: it is started again and the run repeated,
 * and the crashes are counted. The child keeps Node's default flags, so
 * the contender is node:wasi as Node ships it; each run is timed inside the
 * child (open the stdin file, instantiate, start), not the round trip.
 */
export interface NodeWasiRunner {
  /** Runs MODULE (compiled once per child) with ARGS, FILE as its stdin; its stdout when WANT_OUTPUT, and the run's time in ms. */
  run(module: string, args: readonly string[], file: string, wantOutput: boolean): Promise<{ readonly ms: number; readonly stdout: string }>;
  /** How many times the child died mid-run and was started again. */
  readonly crashes: number;
  close(): void;
}

const script = `
const { WASI } = require('node:wasi');
const { openSync, closeSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');
process.removeAllListeners('warning');
const modules = new Map();
const devNull = openSync('/dev/null', 'w');
const outputFile = join(tmpdir(), 'goodbot-bench-node-wasi-' + process.pid + '.txt');
// BusyBox imports goodbot's process interface, which node:wasi has none of: every call fails with ENOSYS.
const noProcesses = { goodbot_process: { run: () => 52, output: () => 52 } };
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const [module, args, file, wantOutput] = JSON.parse(line);
  if (!modules.has(module)) modules.set(module, new WebAssembly.Module(readFileSync(module)));
  const started = performance.now();
  const stdin = openSync(file, 'r');
  const stdout = wantOutput ? openSync(outputFile, 'w') : devNull;
  let status;
  try {
    const wasi = new WASI({ version: 'preview1', args, returnOnExit: true, stdin, stdout });
    status = wasi.start(new WebAssembly.Instance(modules.get(module), { ...wasi.getImportObject(), ...noProcesses }));
  } finally {
    closeSync(stdin);
    if (wantOutput) closeSync(stdout);
  }
  const ms = performance.now() - started;
  process.stdout.write(JSON.stringify([status, ms, wantOutput ? readFileSync(outputFile, 'utf8') : '']) + '\\n');
});
`;

/** A child dying this many times in a row on one run is not the rare crash above: the run fails. */
const triesPerRun = 5;

export function nodeWasiRunner(): NodeWasiRunner {
  let child: ChildProcess | undefined;
  let crashes = 0;
  let pending: { request: string; tries: number; resolve: (answer: [number, number, string]) => void; reject: (error: Error) => void } | undefined;

  const start = (): ChildProcess => {
    // Given a preopen, node:wasi cannot close it: a descriptor leaks per run. Stdin is a file instead (see the script).
    const started = spawn(process.execPath, ['--no-warnings', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    // A child that died is noticed by its exit, not by a failed write to it.
    started.stdin!.on('error', () => undefined);
    createInterface({ input: started.stdout! }).on('line', (line) => {
      const waiting = pending;
      pending = undefined;
      waiting?.resolve(JSON.parse(line) as [number, number, string]);
    });
    started.on('exit', (code, signal) => {
      if (child === started) child = undefined;
      const waiting = pending;
      if (waiting === undefined) return;
      pending = undefined;
      crashes++;
      if (waiting.tries >= triesPerRun)
        waiting.reject(new Error(`node:wasi's process died ${triesPerRun} times in a row (last: ${signal ?? `exit ${code}`})`));
      else send({ ...waiting, tries: waiting.tries + 1 });
    });
    return started;
  };
  const send = (request: NonNullable<typeof pending>) => {
    pending = request;
    child ??= start();
    child.stdin!.write(`${request.request}\n`);
  };

  return {
    run: (module, args, file, wantOutput) =>
      new Promise((resolve, reject) => {
        if (pending !== undefined) throw new Error('one node:wasi run at a time');
        send({
          request: JSON.stringify([module, args, file, wantOutput]),
          tries: 1,
          resolve: ([status, ms, stdout]) =>
            status === 0 ? resolve({ ms, stdout }) : reject(new Error(`the node:wasi run of ${args.join(' ')} exited ${status}`)),
          reject,
        });
      }),
    get crashes() {
      return crashes;
    },
    close: () => child?.kill(),
  };
}

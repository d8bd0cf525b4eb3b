import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Starts a process that flips PATH, again and again, between the real entry
 * and a symlink to TARGET (each state held PAUSE_MS): another run's guest
 * swapping a path goodbot is about to use. Kill it when done.
 */
export function startFlipper(path: string, target: string, pauseMs: number): ChildProcess {
  const script = `
    const fs = require('node:fs');
    const [path, target, pause] = process.argv.slice(1);
    const clock = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      try { fs.renameSync(path, path + '.real'); fs.symlinkSync(target, path); } catch {}
      Atomics.wait(clock, 0, 0, Number(pause));
      try { fs.unlinkSync(path); fs.renameSync(path + '.real', path); } catch {}
      Atomics.wait(clock, 0, 0, Number(pause));
    }`;
  return spawn(process.execPath, ['-e', script, path, target, String(pauseMs)], { stdio: 'ignore' });
}

import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { GoodbotError } from '../../errors.js';
import { privateRunsDir } from '../host/host-dirs.js';
import { isProcessAlive } from '../host/process-alive.js';
import type { ContainerUser } from './container-user.js';

/** Where the run's files appear inside the container (read-only). */
export const RUN_FILES_TARGET = '/run/goodbot';

/** The run's certificate bundle (a run with secrets), mounted over the image's. */
export const TRUST_FILE = 'ca-bundle.pem';

/** The gate the entrypoint waits on (see {@link RunFiles.release}). */
export const GATE_FILE = 'go';

/**
 * A run's private files for its container: `env` (the guest's environment as
 * shell assignments, sourced by the entrypoint), `stdin`, and the gate `go`,
 * a FIFO the entrypoint reads one line from before it runs anything. They are
 * handed over as files, not as container config or command-line values, so
 * the environment never shows in `ps` or `docker inspect`. The folder is
 * readable only by the container's USER, and lies in a folder only goodbot's
 * user can enter (see privateRunsDir): inside the container only the files'
 * own modes count, on the host no other process of the container's user (it
 * may be `nobody`) can reach them. It is removed when the run ends.
 */
export class RunFiles {
  readonly dir: string;
  /** goodbot's end of the gate, open for reading and writing so the entrypoint's open never waits. */
  private gate: number | undefined;

  /**
   * TRUST: the sandbox's certificate bundle with the run's own authority
   * (a run with secrets), kept as `ca-bundle.pem` to mount over the image's.
   */
  constructor(env: Readonly<Record<string, string>>, stdin: Uint8Array, user: ContainerUser, trust?: string) {
    const parent = privateParent();
    removeStaleRuns(parent);
    this.dir = mkdtempSync(join(parent, `${process.pid}-`));
    try {
      const file = (name: string, data: string | Uint8Array) => {
        const path = join(this.dir, name);
        writeFileSync(path, data, { mode: 0o400 });
        chownSync(path, user.uid, user.gid);
      };
      file('env', environmentScript(env));
      file('stdin', stdin);
      if (trust !== undefined) file(TRUST_FILE, trust);
      this.gate = makeGate(join(this.dir, GATE_FILE), user);
      chownSync(this.dir, user.uid, user.gid);
      chmodSync(this.dir, 0o500);
    } catch (error) {
      this.remove();
      throw error;
    }
  }

  /** Lets the entrypoint go on to the command: called once the container's mounts are checked. */
  release(): void {
    if (this.gate !== undefined) writeSync(this.gate, 'go\n');
  }

  /** Closes the gate (an entrypoint still waiting reads end-of-file and runs nothing) and removes the files. */
  remove(): void {
    if (this.gate !== undefined) closeSync(this.gate);
    this.gate = undefined;
    removeRun(this.dir);
  }
}

/** A FIFO at PATH that only USER can read, opened by goodbot for reading and writing. */
function makeGate(path: string, user: ContainerUser): number {
  // Writable by goodbot until it holds its end open (goodbot may be the container's user itself), then read-only.
  const made = spawnSync('mkfifo', ['-m', '0600', path], { encoding: 'utf8' });
  if (made.status !== 0) {
    throw new GoodbotError('runtime', `could not make the container's start gate ${path}: ${made.error?.message ?? made.stderr.trim()}`, {
      hint: 'goodbot needs mkfifo (coreutils) on the host',
      path,
    });
  }
  const end = openSync(path, constants.O_RDWR);
  chownSync(path, user.uid, user.gid);
  chmodSync(path, 0o400);
  return end;
}

/** The folder of this user's run folders, made 0700 if missing; refused if it is not a folder of the user's own, closed to others. */
export function privateParent(): string {
  const dir = privateRunsDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o077) !== 0) {
    throw new GoodbotError('runtime', `${dir} must be a folder of goodbot's user that no one else can enter (mode 0700)`, {
      hint: 'remove it, and goodbot makes it anew',
      path: dir,
    });
  }
  return dir;
}

/** Run folders whose process is gone (it crashed before removing them): they hold secrets. */
function removeStaleRuns(parent: string): void {
  for (const name of readdirSync(parent)) {
    const pid = Number(name.split('-')[0]);
    if (!isProcessAlive(pid)) removeRun(join(parent, name));
  }
}

function removeRun(dir: string): void {
  try {
    chmodSync(dir, 0o700); // 0500 for the container: its owner (when not root) could not empty it otherwise
  } catch {
    // gone already, or root, who needs no permission
  }
  rmSync(dir, { recursive: true, force: true });
}

/** `export NAME='value'` lines; a `'` in a value is written `'\''`. Names a shell cannot take are refused. */
export function environmentScript(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new GoodbotError('usage', `'${name}' cannot be a variable's name in a container`, {
          hint: 'use letters, digits and _ (not starting with a digit)',
        });
      }
      return `export ${name}='${value.replaceAll("'", "'\\''")}'\n`;
    })
    .join('');
}

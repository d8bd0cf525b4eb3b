import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoodbotError } from '../../errors.js';
import type { ContainerUser } from './container-user.js';

/** Where the run's files appear inside the container (read-only). */
export const RUN_FILES_TARGET = '/run/goodbot';

/**
 * A run's private files for its container: `env` (the guest's environment as
 * shell assignments, sourced by the entrypoint) and `stdin`. They are handed
 * over as files, not as container config or command-line values, so the
 * environment never shows in `ps` or `docker inspect`. The folder is readable
 * only by the container's USER, and removed when the run ends.
 */
export class RunFiles {
  readonly dir: string;

  constructor(env: Readonly<Record<string, string>>, stdin: Uint8Array, user: ContainerUser) {
    this.dir = mkdtempSync(join(tmpdir(), 'goodbot-run-'));
    const file = (name: string, data: string | Uint8Array) => {
      const path = join(this.dir, name);
      writeFileSync(path, data, { mode: 0o400 });
      chownSync(path, user.uid, user.gid);
    };
    file('env', environmentScript(env));
    file('stdin', stdin);
    chownSync(this.dir, user.uid, user.gid);
    chmodSync(this.dir, 0o500);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
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

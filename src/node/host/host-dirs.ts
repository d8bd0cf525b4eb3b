import { homedir, tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';

/** `$GOODBOT_CACHE_DIR`, else `$XDG_CACHE_HOME/goodbot`, else `~/.cache/goodbot`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env['GOODBOT_CACHE_DIR'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'goodbot'));
}

/** `$GOODBOT_STATE_DIR`, else `$XDG_STATE_HOME/goodbot`, else `~/.local/state/goodbot`: what goodbot keeps about past work (the session index). */
export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env['GOODBOT_STATE_DIR'] || join(env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state'), 'goodbot'));
}

/**
 * Every place a goodbot process of this user may keep its cache, whatever
 * this process's environment says: another process (with another
 * `GOODBOT_CACHE_DIR`, or none) imports what it finds there.
 */
export function cacheRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  const homes = new Set([homedir(), safeHome()].filter((home): home is string => home !== undefined));
  const roots = new Set([cacheRoot(env)]);
  if (env['XDG_CACHE_HOME']) roots.add(resolve(env['XDG_CACHE_HOME'], 'goodbot'));
  for (const home of homes) roots.add(join(home, '.cache', 'goodbot'));
  return [...roots];
}

/** The home folder in the user database (HOME may say otherwise). */
function safeHome(): string | undefined {
  try {
    return userInfo().homedir;
  } catch {
    return undefined;
  }
}

/**
 * The folder holding the private files of this user's container runs (their
 * environment, with its secrets): `<temp>/goodbot-<uid>`, mode 0700. Every
 * goodbot process of the user shares it, so no zone may cover it.
 */
export function privateRunsDir(): string {
  return join(tmpdir(), `goodbot-${process.getuid?.() ?? 'user'}`);
}

import type { EnvGrant } from './types.js';

/** What the audit log (and the policy digest) shows for the value of a variable not in `audit.revealEnv`. */
export const redacted = '[redacted]';

/**
 * The guest's whole environment: the tool's own defaults (python's, say), host variables the grant allows (exact names,
 * or prefixes ending in `*`), then the grant's fixed values, then the caller's
 * per-run values. Nothing else from the host is ever visible.
 */
export function guestEnvironment(
  grant: EnvGrant,
  hostEnv: Readonly<Record<string, string | undefined>>,
  perRun: Readonly<Record<string, string>> = {},
  toolDefaults: Readonly<Record<string, string>> = {},
): [string, string][] {
  const env = new Map<string, string>(Object.entries(toolDefaults));
  for (const pattern of grant.allow) {
    if (pattern.endsWith('*')) {
      const prefix = pattern.slice(0, -1);
      for (const name of Object.keys(hostEnv).sort()) {
        const value = hostEnv[name];
        if (name.startsWith(prefix) && value !== undefined) env.set(name, value);
      }
    } else {
      const value = hostEnv[pattern];
      if (value !== undefined) env.set(pattern, value);
    }
  }
  for (const [name, value] of Object.entries(grant.set)) env.set(name, value);
  for (const [name, value] of Object.entries(perRun)) env.set(name, value);
  return [...env.entries()];
}

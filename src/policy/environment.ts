import { RunSecrets } from './secrets.js';
import type { EnvGrant } from './types.js';

/** What the audit log (and the policy digest) shows for the value of a variable not in `audit.revealEnv`. */
export const redacted = '[redacted]';

/**
 * The guest's whole environment: the tool's own defaults (python's, say), host variables the grant allows (exact names,
 * or prefixes ending in `*`), then the grant's fixed values, then the caller's
 * per-run values, then the run's SECRETS as placeholders (a session's
 * variables from an earlier run cannot replace them). Nothing else from the
 * host is ever visible, and a secret's host variable never is, whatever
 * prefix the grant allows.
 */
export function guestEnvironment(
  grant: EnvGrant,
  hostEnv: Readonly<Record<string, string | undefined>>,
  perRun: Readonly<Record<string, string>> = {},
  toolDefaults: Readonly<Record<string, string>> = {},
  secrets: RunSecrets = RunSecrets.none,
): [string, string][] {
  const env = new Map<string, string>(Object.entries(toolDefaults));
  const hidden = new Set(grant.withheld);
  for (const pattern of grant.allow) {
    if (pattern.endsWith('*')) {
      const prefix = pattern.slice(0, -1);
      for (const name of Object.keys(hostEnv).sort()) {
        const value = hostEnv[name];
        if (name.startsWith(prefix) && value !== undefined && !hidden.has(name)) env.set(name, value);
      }
    } else {
      const value = hostEnv[pattern];
      if (value !== undefined && !hidden.has(pattern)) env.set(pattern, value);
    }
  }
  for (const [name, value] of Object.entries(grant.set)) env.set(name, value);
  for (const [name, value] of Object.entries(perRun)) env.set(name, value);
  for (const [name, placeholder] of secrets.environment) env.set(name, placeholder);
  return [...env.entries()];
}

import { RunSecrets } from '../policy/secrets.js';
import type { Policy } from '../policy/types.js';
import type { ExecRequest } from './exec-request.js';
import type { Platform } from './platform.js';

/**
 * The secrets of a run of REQUEST under POLICY, their values read by
 * PLATFORM now: a session's runs share their placeholders (its tag), any
 * other run gets placeholders of its own.
 */
export function runSecrets(platform: Platform, policy: Policy, request: Pick<ExecRequest, 'session'>): RunSecrets {
  if (policy.secrets.length === 0) return RunSecrets.none;
  return RunSecrets.resolve(policy.secrets, (source) => platform.readSecret(source), request.session?.secretTag ?? RunSecrets.newTag());
}

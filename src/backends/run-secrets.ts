import { RunSecrets } from '../policy/secrets.js';
import type { Policy, SecretSource } from '../policy/types.js';
import type { ExecRequest } from './exec-request.js';
import type { Platform } from './platform.js';

/**
 * The secrets of a run of REQUEST under POLICY, their values read by
 * PLATFORM now: a session's runs share their placeholders (its tag), any
 * other run gets placeholders of its own. An `env:` secret is read from the
 * request's host environment when it brings one.
 */
export function runSecrets(platform: Platform, policy: Policy, request: Pick<ExecRequest, 'session' | 'hostEnv'>): RunSecrets {
  if (policy.secrets.length === 0) return RunSecrets.none;
  const { hostEnv } = request;
  const read = (source: SecretSource) => (source.kind === 'env' && hostEnv !== undefined ? hostEnv[source.variable] : platform.readSecret(source));
  return RunSecrets.resolve(policy.secrets, read, request.session?.secretTag ?? RunSecrets.newTag());
}

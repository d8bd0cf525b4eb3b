import type { RunLimiter } from '../limits/run-limiter.js';
import type { Authority } from '../policy/authority.js';
import type { Policy } from '../policy/types.js';
import type { RunSecrets } from '../policy/secrets.js';
import type { NetworkGate } from '../wasi/common/network-gate.js';

/**
 * A run for a container backend, as the platform-neutral sandbox hands it
 * over: everything is already decided (environment, stdin, limits); the
 * platform only carries it out. Node implements it with Docker and with
 * Linux namespaces (bubblewrap).
 */
export interface ContainerJob {
  readonly runId: string;
  readonly policy: Policy;
  /** The command and its arguments, run inside the container (found in the image's PATH). */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The guest's whole environment (the policy's grant, resolved). */
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: Uint8Array;
  /** Output caps, the deadline and cancellation; trips the limit that ends the run. */
  readonly limiter: RunLimiter;
  /**
   * The run's network capability when the policy grants any: the container
   * then reaches only an egress proxy, which asks GATE about every request
   * (and has GATE put the SECRETS' values into those to their hosts).
   */
  readonly network?: { readonly gate: NetworkGate; readonly authority: Authority; readonly secrets: RunSecrets };
  /** Output as the container writes it (already counted against the cap). */
  onOutput(stream: 'stdout' | 'stderr', chunk: Uint8Array): void;
}

export interface ContainerOutcome {
  /** The command's exit status (128 + signal when a signal ended it). */
  readonly exitCode: number;
  /** The image the container ran. */
  readonly image: string;
  /** How memory and processes were capped (namespace backend; a container always has its cgroup). */
  readonly resourceControl?: 'cgroup-v2' | 'cgroup-v1' | 'rlimit';
  /** Namespace backend: whether the run took a sandbox made ahead. */
  readonly prestarted?: boolean;
}

/**
 * Where a sandbox's TLS clients find the certificates they trust: Debian's
 * bundle, which OpenSSL, GnuTLS and the tools built on them read by
 * default. A run with secrets gets a bundle there that adds its own
 * certificate authority.
 */
export const trustStorePath = '/etc/ssl/certs/ca-certificates.crt';

/** The standard PATH, set in a container when the policy gives none (its entrypoint starts from an empty environment). */
export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** After SIGTERM at the deadline (or on cancel), how long a container's command gets before SIGKILL. */
export const containerStopGraceMs = 2000;

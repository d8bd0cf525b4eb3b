import { denied } from '../errno.js';

/** Descriptors a run may hold open at once unless its policy says otherwise (`limits.files`), as Linux's default soft limit. */
export const defaultDescriptorLimit = 1024;

/**
 * The descriptors one run holds open at once: files, directories (beyond
 * the zone roots it starts with) and sockets. Each is backed by a host
 * descriptor or host memory, so a guest that opens without closing must hit
 * a wall of its own (`EMFILE`, as a process hits its `RLIMIT_NOFILE`) long
 * before the host process runs out and every other run fails with it.
 * Shared by all of a run's zones and its network.
 */
export class DescriptorBudget {
  private held = 0;

  constructor(readonly limit: number = defaultDescriptorLimit) {}

  get open(): number {
    return this.held;
  }

  /** Takes one descriptor, or refuses with `EMFILE` (a denial, so the audit log shows it). */
  take(target: string): void {
    if (this.held >= this.limit) {
      throw denied('MFILE', 'descriptor-limit', `${target}: the run already holds ${this.limit} open descriptors (limits.files)`);
    }
    this.held++;
  }

  give(): void {
    if (this.held > 0) this.held--;
  }
}

import type { ZoneImage } from '../zones/zone-image.js';

/**
 * What a session carries from one command to the next: its shell's state
 * (working folder, variables, functions, options) as the shell encodes it,
 * and what its scratch (`tmpfs`) zones hold, by zone name. A run given one
 * starts from it; its result gives the next one (zones it did not change
 * are left out).
 */
export interface SessionCarry {
  readonly shell?: string;
  /**
   * The session's placeholder tag for `sandbox.secrets`: every run of a
   * session gives a secret the same placeholder, so one a command kept in
   * a variable or a file still works in the next.
   */
  readonly secretTag?: string;
  readonly zones?: Readonly<Record<string, ZoneImage>>;
}

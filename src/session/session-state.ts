import type { SessionCarry } from '../backends/session-carry.js';
import type { ZoneImage } from '../zones/zone-image.js';

/** A session's whole state: where its next command starts, its shell's state, its scratch zones' images (what a snapshot file holds). */
export interface SessionState {
  readonly cwd: string;
  readonly shell?: string;
  readonly zones: Readonly<Record<string, ZoneImage>>;
  /** The placeholder tag of the session's secrets (when its policy has any). */
  readonly secretTag?: string;
}

/** What a command given STATE must carry into its run (`ExecRequest.session`). */
export function carryOf(state: SessionState): SessionCarry {
  return {
    ...(state.shell !== undefined && { shell: state.shell }),
    zones: state.zones,
    ...(state.secretTag !== undefined && { secretTag: state.secretTag }),
  };
}

/**
 * STATE after a command whose result carried CARRIED (`RunResult.session`):
 * the shell's new state and folder, and the zones it changed over the old
 * ones. A run that carried nothing back (it never started) leaves STATE.
 */
export function stateAfter(state: SessionState, carried: SessionCarry | undefined): SessionState {
  if (carried === undefined) return state;
  const shell = carried.shell ?? state.shell;
  return {
    cwd: carried.shell === undefined ? state.cwd : (JSON.parse(carried.shell) as { cwd: string }).cwd,
    ...(shell !== undefined && { shell }),
    zones: { ...state.zones, ...carried.zones },
    ...(state.secretTag !== undefined && { secretTag: state.secretTag }),
  };
}

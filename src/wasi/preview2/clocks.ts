import type { WasiContext } from '../common/context.js';
import { Pollable } from './poll.js';
import type { Interfaces } from './resource.js';

/** `wasi:clocks/wall-clock` `datetime`. */
export interface Datetime {
  seconds: bigint;
  nanoseconds: number;
}

/** Nanoseconds since the epoch as a datetime; none for times before it, which WASI cannot express. */
export function datetimeOf(ns: bigint): Datetime | undefined {
  if (ns < 0n) return undefined;
  return { seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) };
}

/**
 * `wasi:clocks`: both clocks read the run's {@link WasiClock}, so a
 * deterministic clock makes the component deterministic too. The time zone is
 * always UTC: the host's zone is not the guest's business.
 */
export function clockInterfaces(ctx: WasiContext): Interfaces {
  return {
    'wasi:clocks/monotonic-clock': {
      now: () => ctx.clock.monotonicNs(),
      resolution: () => ctx.clock.resolutionNs,
      subscribeInstant: (when: bigint) => Pollable.at(ctx.clock, when),
      subscribeDuration: (duration: bigint) => Pollable.at(ctx.clock, ctx.clock.monotonicNs() + duration),
    },
    'wasi:clocks/wall-clock': {
      now: () => datetimeOf(ctx.clock.wallNs()) ?? { seconds: 0n, nanoseconds: 0 },
      resolution: () => datetimeOf(ctx.clock.resolutionNs),
    },
    'wasi:clocks/timezone': {
      display: () => ({ utcOffset: 0, name: 'UTC', inDaylightSavingTime: false }),
      utcOffset: () => 0,
    },
  };
}

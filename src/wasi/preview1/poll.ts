import { errnoError } from '../../errno.js';
import { Clockid, Eventtype, EVENTRWFLAGS_HANGUP, SUBCLOCKFLAGS_ABSTIME } from './constants.js';
import type { HostCalls, HostState } from './host-state.js';

/**
 * `poll_oneoff`: stdio and files are always ready (their reads and writes
 * block in the core), so the call sleeps on the run's clock only when every
 * subscription is a timer, until the first is due.
 */
export function pollCalls({ ctx, memory: m, fds }: HostState): HostCalls {
  return {
    poll_oneoff: (input: number, output: number, count: number, out: number) => {
      if (count === 0) throw errnoError('INVAL', 'poll_oneoff needs at least one subscription');
      const clock = ctx.clock;
      const now = clock.monotonicNs();
      const clocks: { userdata: bigint; deadline: bigint }[] = [];
      const ready: { userdata: bigint; type: number; nbytes: bigint; flags: number }[] = [];
      for (let i = 0; i < count; i++) {
        const sub = input + i * 48;
        const userdata = m.u64(sub);
        const tag = m.u8(sub + 8);
        if (tag === Eventtype.CLOCK) {
          const id = m.u32(sub + 16);
          const timeout = m.u64(sub + 24);
          const absolute = (m.u16(sub + 40) & SUBCLOCKFLAGS_ABSTIME) !== 0;
          if (id !== Clockid.REALTIME && id !== Clockid.MONOTONIC) throw errnoError('INVAL', 'unsupported clock');
          let deadline = now + timeout;
          if (absolute) deadline = id === Clockid.MONOTONIC ? timeout : now + (timeout - clock.wallNs());
          clocks.push({ userdata, deadline });
        } else if (tag === Eventtype.FD_READ || tag === Eventtype.FD_WRITE) {
          const fd = m.u32(sub + 16);
          const descriptor = fds.get(fd);
          if (tag === Eventtype.FD_READ) {
            if (descriptor.kind === 'stdin') ready.push({ userdata, type: tag, nbytes: 1n, flags: 0 });
            else if (descriptor.kind === 'file') {
              const { file } = descriptor;
              const left = file.volume.stat(file).size - BigInt(descriptor.position);
              const nbytes = left > 0n ? left : 0n;
              ready.push({ userdata, type: tag, nbytes, flags: nbytes === 0n ? EVENTRWFLAGS_HANGUP : 0 });
            } else throw errnoError('BADF', `fd ${fd} cannot be polled for reading`);
          } else if (descriptor.kind === 'stdout' || descriptor.kind === 'stderr' || descriptor.kind === 'file') {
            ready.push({ userdata, type: tag, nbytes: 1n, flags: 0 });
          } else throw errnoError('BADF', `fd ${fd} cannot be polled for writing`);
        } else {
          throw errnoError('INVAL', 'unknown subscription type');
        }
      }
      if (ready.length === 0 && clocks.length > 0) {
        const first = clocks.reduce((a, b) => (b.deadline < a.deadline ? b : a)).deadline;
        const wait = first - clock.monotonicNs();
        if (wait > 0n) clock.sleep(wait);
      }
      const after = clock.monotonicNs();
      const events = [...ready];
      for (const sub of clocks) {
        if (sub.deadline <= after) events.push({ userdata: sub.userdata, type: Eventtype.CLOCK, nbytes: 0n, flags: 0 });
      }
      events.forEach((event, i) => {
        const at = output + i * 32;
        m.setU64(at, event.userdata);
        m.setU16(at + 8, 0);
        m.setU8(at + 10, event.type);
        for (let b = 11; b < 16; b++) m.setU8(at + b, 0);
        m.setU64(at + 16, event.nbytes);
        m.setU16(at + 24, event.flags);
        for (let b = 26; b < 32; b++) m.setU8(at + b, 0);
      });
      m.setU32(out, events.length);
    },
  };
}

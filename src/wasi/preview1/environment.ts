import type { HostCalls, HostState } from './host-state.js';

const encoder = new TextEncoder();

/** `args_*` and `environ_*`: the run's arguments and policy-filtered environment, as NUL-terminated strings. */
export function environmentCalls({ ctx, memory }: HostState): HostCalls {
  const envStrings = (): string[] => ctx.env.map(([key, value]) => `${key}=${value}`);

  const writeStrings = (strings: readonly string[], pointers: number, buf: number): void => {
    let offset = buf;
    strings.forEach((text, i) => {
      const bytes = encoder.encode(text);
      memory.setU32(pointers + i * 4, offset);
      memory.writeBytes(offset, bytes);
      memory.setU8(offset + bytes.length, 0);
      offset += bytes.length + 1;
    });
  };

  const writeSizes = (strings: readonly string[], count: number, size: number): void => {
    const total = strings.reduce((sum, text) => sum + encoder.encode(text).length + 1, 0);
    memory.setU32(count, strings.length);
    memory.setU32(size, total);
  };

  return {
    args_get: (argv: number, buf: number) => writeStrings(ctx.args, argv, buf),
    args_sizes_get: (count: number, size: number) => writeSizes(ctx.args, count, size),
    environ_get: (environ: number, buf: number) => writeStrings(envStrings(), environ, buf),
    environ_sizes_get: (count: number, size: number) => writeSizes(envStrings(), count, size),
  };
}

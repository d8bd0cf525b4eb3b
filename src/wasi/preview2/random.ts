import type { RandomSource } from '../common/random.js';
import type { WasiContext } from '../common/context.js';
import type { Interfaces } from './resource.js';

/** The most bytes one call may ask for; more is a guest bug, not worth a host allocation. */
const maxBytes = 64 << 20;

function bytes(source: RandomSource, len: bigint): Uint8Array {
  if (len > BigInt(maxBytes)) {
    throw new WebAssembly.RuntimeError(`wasi:random: ${len} random bytes requested, more than ${maxBytes} in one call`);
  }
  const out = new Uint8Array(Number(len));
  source.fill(out);
  return out;
}

function u64(source: RandomSource): bigint {
  const out = new Uint8Array(8);
  source.fill(out);
  return new DataView(out.buffer).getBigUint64(0, true);
}

/**
 * `wasi:random`: the secure, insecure and seed interfaces all draw from the
 * run's {@link RandomSource}, so a deterministic source covers all three.
 */
export function randomInterfaces(ctx: WasiContext): Interfaces {
  return {
    'wasi:random/random': {
      getRandomBytes: (len: bigint) => bytes(ctx.random, len),
      getRandomU64: () => u64(ctx.random),
    },
    'wasi:random/insecure': {
      getInsecureRandomBytes: (len: bigint) => bytes(ctx.random, len),
      getInsecureRandomU64: () => u64(ctx.random),
    },
    'wasi:random/insecure-seed': {
      insecureSeed: () => [u64(ctx.random), u64(ctx.random)],
    },
  };
}

/** Random bytes for the guest (`random_get`, `wasi:random`). */
export interface RandomSource {
  fill(into: Uint8Array): void;
}

/** Cryptographically secure bytes from WebCrypto (Node and browsers alike). */
export const secureRandom: RandomSource = {
  fill(into: Uint8Array): void {
    for (let offset = 0; offset < into.length; offset += 65536) {
      globalThis.crypto.getRandomValues(into.subarray(offset, Math.min(into.length, offset + 65536)) as Uint8Array<ArrayBuffer>);
    }
  },
};

/** The chunks, in order, as one array (made by ALLOCATE: shared memory, say). Platform-neutral. */
export function concatBytes(
  chunks: readonly Uint8Array[],
  allocate: (length: number) => Uint8Array = (length) => new Uint8Array(length),
): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const all = allocate(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** BYTES as lower-case hex, two digits a byte. Platform-neutral. */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * `node:stream` for memfs in the browser: memfs defines its read and write
 * streams on these classes, which the sandbox never uses (it reads and writes
 * through descriptors). Making a stream fails loudly rather than half-working.
 */
class Unsupported {
  constructor() {
    throw new Error('streams of memfs are not available in the browser build');
  }
}
export const Readable = Unsupported;
export const Writable = Unsupported;

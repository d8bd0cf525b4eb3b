/** `node:url` for memfs in the browser: only `URL`, which browsers have. */
export const URL = globalThis.URL;

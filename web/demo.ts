import { buildWebDemo } from './build.js';
import { serveWebDemo } from './serve.js';

/** `npm run demo:web`: builds the page and serves it until interrupted. */
const built = await buildWebDemo();
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
for (const [file, bytes] of Object.entries({ ...built.jsBytes, ...built.wasmBytes, ...built.folderBytes }))
  console.log(`  ${file.padEnd(24)} ${kib(bytes)}`);
const port = Number(process.env['PORT'] ?? 8787);
const { url } = await serveWebDemo(built.outDir, port);
console.log(`\ngoodbot web demo: ${url}  (Ctrl-C to stop)`);

import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packFolder } from '../src/browser/folder-archive.js';
import { findRecipe, toolCatalog, type ToolMount } from '../src/tools/catalog.js';
import { ToolStore, type BuildRecord } from '../src/node/tools/tool-store.js';
import { artifactPath, folderArchivePath, pageRecipes, type ToolManifest } from './tool-manifest.js';

const webDir = dirname(fileURLToPath(import.meta.url));
/** Where the page is built (gitignored with the rest of `.cache/`). */
export const defaultWebOut = join(webDir, '..', '.cache', 'web');

/** What a build wrote, in bytes: the JavaScript bundles, each tool's module and each folder archive. */
export interface WebBuild {
  readonly outDir: string;
  readonly jsBytes: Record<string, number>;
  readonly wasmBytes: Record<string, number>;
  readonly folderBytes: Record<string, number>;
}

/**
 * Builds the demo page into OUT_DIR: the page and worker bundles (esbuild),
 * the static files, and the page's tools copied from the catalog's build
 * cache with a manifest of their digests; a tool's own folders (python3's
 * stdlib) are packed into one archive each. Tools that are not built are
 * left out (the page then offers what is there).
 */
export async function buildWebDemo(outDir = defaultWebOut, store = new ToolStore()): Promise<WebBuild> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'tools'), { recursive: true });
  const result = await build({
    entryPoints: { main: join(webDir, 'main.ts'), worker: join(webDir, 'worker.ts'), 'process-worker': join(webDir, 'process-worker.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    // memfs imports a few Node built-ins; these stand in for them in the browser.
    alias: {
      'node:buffer': 'buffer',
      'node:events': 'events',
      'node:path': 'path-browserify',
      'node:url': join(webDir, 'shims', 'url.ts'),
      'node:stream': join(webDir, 'shims', 'stream.ts'),
    },
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(webDir, file), join(outDir, file));
  copyFileSync(join(webDir, '..', 'node_modules', '@xterm', 'xterm', 'css', 'xterm.css'), join(outDir, 'xterm.css'));

  const manifest: ToolManifest = {};
  const wasmBytes: Record<string, number> = {};
  const folderBytes: Record<string, number> = {};
  for (const name of pageRecipes) {
    const recipe = findRecipe(name)!;
    const record = store.record(recipe);
    if (record === undefined) continue;
    for (const artifact of new Set(toolCatalog.filter((tool) => tool.recipe === name).map((tool) => tool.artifact))) {
      const built = record.files[artifact];
      if (built === undefined) continue;
      const path = artifactPath(name, artifact);
      mkdirSync(join(outDir, 'tools', name), { recursive: true });
      copyFileSync(join(store.buildDir(recipe), artifact), join(outDir, 'tools', path));
      manifest[path] = built;
      wasmBytes[path] = built.bytes;
    }
    for (const mount of new Set(toolCatalog.filter((tool) => tool.recipe === name).flatMap((tool) => tool.mounts ?? []))) {
      const path = folderArchivePath(name, mount.from);
      const archive = packFolder(recordedFolder(store.buildDir(recipe), record, mount));
      writeFileSync(join(outDir, 'tools', path), archive);
      manifest[path] = { sha256: sha256(archive), bytes: archive.length };
      folderBytes[path] = archive.length;
    }
  }
  writeFileSync(join(outDir, 'tools', 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const jsBytes: Record<string, number> = {};
  for (const file of Object.keys(result.metafile.outputs).filter((path) => path.endsWith('.js'))) {
    jsBytes[file.slice(file.lastIndexOf('/') + 1)] = statSync(file).size;
  }
  return { outDir, jsBytes, wasmBytes, folderBytes };
}

/**
 * The files of MOUNT's folder that the build recorded, by path inside it,
 * each checked against its recorded digest (as the Node launcher checks the
 * artifact), so an altered build cache is not shipped.
 */
function recordedFolder(buildDir: string, record: BuildRecord, mount: ToolMount): Record<string, Uint8Array> {
  const prefix = `${mount.from}/`;
  const files: Record<string, Uint8Array> = {};
  for (const [path, built] of Object.entries(record.files)
    .filter(([path]) => path.startsWith(prefix))
    .sort(([a], [b]) => (a < b ? -1 : 1))) {
    const bytes = new Uint8Array(readFileSync(join(buildDir, path)));
    if (sha256(bytes) !== built.sha256) throw new Error(`${join(buildDir, path)} was changed after it was built: rebuild it`);
    files[path.slice(prefix.length)] = bytes;
  }
  return files;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

import { Volume } from 'memfs';
import {
  createBrowserPlatform,
  serveRuns,
  unpackFolder,
  type ToolEntry,
  type ToolMount,
  type WorkerScope,
  type ZoneFiles,
} from '../src/browser/index.js';
import { artifactPath, folderArchivePath, type ToolManifest } from './tool-manifest.js';

/**
 * The demo's Web Worker: runs catalog tools fetched from the page's `tools/`
 * folder, each file checked against the sha256 its build recorded.
 */
const manifest: Promise<ToolManifest> = fetch('tools/manifest.json').then((response) => response.json() as Promise<ToolManifest>);

/** The bytes of PATH under `tools/`, if they match the manifest's digest. */
async function fetchChecked(tool: ToolEntry, path: string): Promise<Uint8Array> {
  const expected = (await manifest)[path]?.sha256;
  if (expected === undefined) throw new Error(`${tool.name} is not part of this page's build (run npm run demo:web after building it)`);
  const response = await fetch(`tools/${path}`);
  if (!response.ok) throw new Error(`fetching ${path} failed: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const actual = [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  if (actual !== expected) throw new Error(`${path} does not match its build record (sha256 ${actual})`);
  return bytes;
}

const loadArtifact = (tool: ToolEntry): Promise<Uint8Array> => fetchChecked(tool, artifactPath(tool.recipe, tool.artifact));

const loadFolder = async (tool: ToolEntry, mount: ToolMount): Promise<ZoneFiles> =>
  unpackFolder(await fetchChecked(tool, folderArchivePath(tool.recipe, mount.from)));

serveRuns(self as unknown as WorkerScope, (onZoneFiles) =>
  createBrowserPlatform({
    Volume,
    loadArtifact,
    loadFolder,
    onZoneFiles: (zone, files) => onZoneFiles(zone.name, files),
    // A pipeline's commands run at once, each in a worker of its own.
    processWorker: new URL('process-worker.js', import.meta.url),
  }),
);

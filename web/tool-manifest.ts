/** The page's `tools/manifest.json`: each copied artifact (`recipe/file.wasm`) and folder archive with its digest and size. */
export type ToolManifest = Record<string, { readonly sha256: string; readonly bytes: number }>;

/** The recipes whose tools the page offers: preview1 modules, their own folders packed into archives. */
export const pageRecipes = ['busybox', 'jq', 'lua', 'sqlite3', 'python3'] as const;

export function artifactPath(recipe: string, artifact: string): string {
  return `${recipe}/${artifact}`;
}

/** Where a tool's own folder FROM (e.g. python3's `lib`) is, packed into one archive (see packFolder). */
export function folderArchivePath(recipe: string, from: string): string {
  return `${recipe}/${from}.folder`;
}

/** The page's `tools/manifest.json`: each copied artifact (`recipe/file.wasm`) with its build's digest and size. */
export type ToolManifest = Record<string, { readonly sha256: string; readonly bytes: number }>;

/** The recipes whose tools the page offers: preview1 modules that need no folders of their own. */
export const pageRecipes = ['busybox', 'jq', 'lua', 'sqlite3'] as const;

export function artifactPath(recipe: string, artifact: string): string {
  return `${recipe}/${artifact}`;
}

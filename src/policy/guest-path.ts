/**
 * Pure POSIX path helpers for the policy (no `node:path`, so the browser build
 * can compile policies too).
 */

/** Normalizes an absolute POSIX path: collapses `//` and `.`, resolves `..`, drops a trailing `/`. */
export function normalizeAbsolute(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** Resolves `path` against the absolute directory `base` (as `path.resolve` would). */
export function resolveAgainst(base: string, path: string): string {
  return normalizeAbsolute(path.startsWith('/') ? path : `${base}/${path}`);
}

/** Does guest path `inner` lie inside (or equal) `outer`? */
export function isWithin(outer: string, inner: string): boolean {
  return outer === '/' || inner === outer || inner.startsWith(`${outer}/`);
}

/** Would mounts at guest paths `a` and `b` overlap (one inside the other)? */
export function overlaps(a: string, b: string): boolean {
  return isWithin(a, b) || isWithin(b, a);
}

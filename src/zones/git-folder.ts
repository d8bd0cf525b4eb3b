/**
 * `.git` folders: what the host's git reads as a repository's config, hooks
 * and objects. Zones keep them read-only unless the zone says `git: writable`
 * (see ZoneVolume.requireModify).
 */

/**
 * Is NAME a `.git` folder's name for some git? Git itself compares
 * case-insensitively on case-insensitive filesystems and ignores trailing
 * dots and spaces where Windows does, so those spellings count too.
 */
export function isGitFolderName(name: string): boolean {
  if (name.length < 4) return false;
  return name.replace(/[. ]+$/, '').toLowerCase() === '.git';
}

/** Do these folder names (from a zone's root down), or the final name FINAL, go through a `.git` folder? */
export function touchesGitFolder(dirNames: readonly string[], final?: string): boolean {
  if (final !== undefined && isGitFolderName(final)) return true;
  for (const name of dirNames) if (isGitFolderName(name)) return true;
  return false;
}

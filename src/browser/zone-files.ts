import type { Volume } from 'memfs';

/** A memory zone's regular files: guest-relative path (`report.txt`, `a/b.csv`) -> bytes. */
export type ZoneFiles = Record<string, Uint8Array>;

/** Every regular file of an in-memory volume, by path relative to its root (symlinks and others left out). */
export function readZoneFiles(volume: InstanceType<typeof Volume>): ZoneFiles {
  const files: ZoneFiles = {};
  const walk = (dir: string): void => {
    for (const name of (volume.readdirSync(dir) as string[]).sort()) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const stat = volume.lstatSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) files[path.slice(1)] = new Uint8Array(volume.readFileSync(path) as Uint8Array);
    }
  };
  walk('/');
  return files;
}

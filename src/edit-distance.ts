/**
 * The optimal-string-alignment distance between A and B: insertions,
 * deletions, substitutions and swaps of two neighbouring characters each
 * count one (`pyhton3` is one edit from `python3`, where plain Levenshtein
 * counts two).
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The CANDIDATES closest to WORD (ignoring letter case), at most three, when
 * they are near enough to be what was meant: one edit for short words, two
 * from five letters on. Empty when nothing is that close.
 */
export function closestWords(word: string, candidates: Iterable<string>): string[] {
  const wanted = word.toLowerCase();
  const limit = wanted.length < 5 ? 1 : 2;
  let best = limit;
  let closest: string[] = [];
  for (const candidate of candidates) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance > best) continue;
    if (distance < best) {
      best = distance;
      closest = [];
    }
    closest.push(candidate);
  }
  return closest.slice(0, 3);
}

/** `did you mean 'python3'?` (or `'a', 'b' or 'c'`) for the closest candidates; undefined when there are none. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const closest = closestWords(word, candidates).map((candidate) => `'${candidate}'`);
  if (closest.length === 0) return undefined;
  const list = closest.length === 1 ? closest[0] : `${closest.slice(0, -1).join(', ')} or ${closest.at(-1)}`;
  return `did you mean ${list}?`;
}

import { describe, expect, it } from 'vitest';
import { hasGlob, matchesPattern, removeAffix, replacePattern, type PatternPiece } from '../../../src/shell/interpreter/pattern.js';

const bare = (text: string): PatternPiece[] => [{ text, quoted: false }];

describe('shell patterns', () => {
  it('are globs only with *, ? or a bracket expression that closes', () => {
    expect(['*.txt', 'a?c', '[ab]', 'x[!0-9]y', '[[:digit:]]'].map((text) => hasGlob(bare(text)))).toEqual([true, true, true, true, true]);
    // `[` alone is the test command, `a[` and `]` are plain words: listing a folder for them would be wrong, and slow.
    expect(['[', 'a[', ']', 'plain', '\\*'].map((text) => hasGlob(bare(text)))).toEqual([false, false, false, false, false]);
    expect(hasGlob([{ text: '*', quoted: true }])).toBe(false);
  });

  it('match as bash does: classes, ranges, negation, quoted text literally', () => {
    expect(matchesPattern(bare('*.c[sv][sv]'), 'a.csv')).toBe(true);
    expect(matchesPattern(bare('[!a-c]*'), 'banana')).toBe(false);
    expect(matchesPattern(bare('[[:upper:]][[:digit:]]'), 'A1')).toBe(true);
    expect(matchesPattern([{ text: '*', quoted: true }], 'anything')).toBe(false);
    expect(
      matchesPattern(
        [
          { text: 'a', quoted: false },
          { text: '*', quoted: true },
        ],
        'a*',
      ),
    ).toBe(true);
  });

  it('remove the shortest or longest prefix and suffix, and replace the longest match', () => {
    expect(removeAffix('archive.tar.gz', bare('*.'), 'prefix', false)).toBe('tar.gz');
    expect(removeAffix('archive.tar.gz', bare('*.'), 'prefix', true)).toBe('gz');
    expect(removeAffix('archive.tar.gz', bare('.*'), 'suffix', false)).toBe('archive.tar');
    expect(removeAffix('archive.tar.gz', bare('.*'), 'suffix', true)).toBe('archive');
    expect(replacePattern('banana', bare('an'), 'AN', { all: true, anchor: undefined })).toBe('bANANa');
    expect(replacePattern('banana', bare('a*'), 'X', { all: false, anchor: undefined })).toBe('bX');
    expect(replacePattern('banana', bare('na'), 'NA', { all: false, anchor: 'end' })).toBe('banaNA');
  });
});

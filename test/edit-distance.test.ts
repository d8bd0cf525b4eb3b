import { describe, expect, it } from 'vitest';
import { closestWords, didYouMean, editDistance } from '../src/edit-distance.js';

describe('edit distance', () => {
  it('counts insertions, deletions, substitutions and a swap of neighbours as one edit each', () => {
    expect(editDistance('python3', 'python3')).toBe(0);
    expect(editDistance('pyhton3', 'python3')).toBe(1);
    expect(editDistance('pythn3', 'python3')).toBe(1);
    expect(editDistance('pythonn3', 'python3')).toBe(1);
    expect(editDistance('pithon3', 'python3')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggests only what is near: one edit for short words, two from five letters', () => {
    const words = ['python3', 'sort', 'jq', 'rg', 'sqlite3', 'lua'];
    expect(closestWords('pyhton3', words)).toEqual(['python3']);
    expect(closestWords('Python3', words)).toEqual(['python3']);
    expect(closestWords('srot', words)).toEqual(['sort']);
    expect(closestWords('sqlit', words)).toEqual(['sqlite3']);
    expect(closestWords('gcc', words)).toEqual([]);
    expect(closestWords('perl', words)).toEqual([]);
    expect(didYouMean('jw', words)).toBe("did you mean 'jq'?");
    expect(didYouMean('xg', ['rg', 'jq', 'xz'])).toBe("did you mean 'rg' or 'xz'?");
    expect(didYouMean('nothing-like-it', words)).toBeUndefined();
  });
});

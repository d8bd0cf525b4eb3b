/**
 * How big the shell's own values may grow. They live in the host's memory,
 * not in a guest's, so a line that doubles a string (`x=$x$x` in a loop),
 * pads a field a billion wide or sets element 10^9 of an array must stop
 * at these bounds, with an error the shell reports, long before the host's
 * heap is at risk.
 */

/** Characters in one value: a variable, an array element, an expanded word, a printf field. */
export const maxValueLength = 16 * 1024 * 1024;

/** The highest index of an array element. */
export const maxArrayIndex = 1_000_000;

/** Paths one glob may match. */
export const maxGlobMatches = 100_000;

/** A value past one of the bounds above. */
export class ValueTooLarge extends Error {
  override readonly name = 'ValueTooLarge';
}

/** TEXT, when it is within {@link maxValueLength}; WHAT names it in the error. */
export function bounded(text: string, what: string): string {
  if (text.length > maxValueLength) throw new ValueTooLarge(`${what} would hold more than ${maxValueLength} characters`);
  return text;
}

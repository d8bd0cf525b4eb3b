/** What BODY threw: the value jco's glue turns into a call's `err`. Fails when it throws nothing. */
export function thrown(body: () => unknown): unknown {
  try {
    body();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

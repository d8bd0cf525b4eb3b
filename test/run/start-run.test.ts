import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/node/index.js';
import { probe } from '../helpers/guests.js';

describe('starting a run', () => {
  it('leaves nothing on a caller’s signal once the run has ended (a session’s signal outlives thousands of runs)', async () => {
    const signal = new AbortController().signal;
    const sandbox = createSandbox({});
    for (let i = 0; i < 20; i++) {
      const run = sandbox.exec({ program: probe(), args: ['count', '3'], signal });
      expect(getEventListeners(signal, 'abort')).toHaveLength(1);
      await run.result;
    }
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});

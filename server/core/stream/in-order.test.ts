/** One element at a time, in order; the socket paused while a handler awaits and resumed after. */
import assert from 'node:assert/strict';
import { InOrder } from './in-order.js';

describe('in-order inbound handling', () => {
  it('holds later items while one awaits, then runs them in order and resumes once', async () => {
    const seen: string[] = [];
    const events: string[] = [];
    let release!: () => void;
    const q = new InOrder<string>({
      handle: (x) => {
        seen.push(x);
        if (x === 'slow') return new Promise<void>((r) => { release = r; });
      },
      failed: (err) => { events.push(`failed ${String(err)}`); },
      closed: () => false,
      pause: () => events.push('pause'),
      resume: () => events.push('resume'),
    });
    q.push('a');
    q.push('slow');
    q.push('b');
    q.push('c');
    assert.deepEqual(seen, ['a', 'slow']);
    assert.equal(q.busy, true);
    release();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ['a', 'slow', 'b', 'c']);
    assert.equal(q.busy, false);
    assert.equal(events.filter((e) => e === 'resume').length, 1);
    assert.ok(events.includes('pause'));
  });

  it('reports a failing handler and goes on with the next item; stops once closed', async () => {
    let closed = false;
    const seen: string[] = [];
    const failures: unknown[] = [];
    const q = new InOrder<string>({
      handle: async (x) => {
        seen.push(x);
        if (x === 'bad') throw new Error('boom');
        if (x === 'last') closed = true;
      },
      failed: (err) => failures.push(err),
      closed: () => closed,
      pause: () => {},
      resume: () => {},
    });
    for (const x of ['bad', 'ok', 'last', 'never']) q.push(x);
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen, ['bad', 'ok', 'last']);
    assert.equal(failures.length, 1);
  });
});

import assert from 'node:assert/strict';
import { KeyedSerial } from './serial.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KeyedSerial', () => {
  it('runs tasks of one key in order, one at a time, and other keys in parallel', async () => {
    const s = new KeyedSerial();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => { log.push(`${name}+`); await sleep(ms); log.push(`${name}-`); return name; };
    const results = await Promise.all([s.run('a', task('a1', 20)), s.run('a', task('a2', 1)), s.run('b', task('b1', 5))]);
    assert.deepEqual(results, ['a1', 'a2', 'b1']);
    assert.ok(log.indexOf('a1-') < log.indexOf('a2+'), 'a2 waits for a1');
    assert.ok(log.indexOf('b1+') < log.indexOf('a1-'), 'b does not wait for a');
  });

  it('keeps going after a failure and forgets idle keys', async () => {
    const s = new KeyedSerial();
    await assert.rejects(s.run('k', async () => { throw new Error('x'); }), /x/);
    assert.equal(await s.run('k', async () => 42), 42);
    assert.equal(s.busy('k'), undefined);
  });
});

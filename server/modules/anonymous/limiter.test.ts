import assert from 'node:assert/strict';
import { WindowLimiter } from './limiter.js';

describe('anonymous login limiter (XEP-0175 §3, per address)', () => {
  it('allows max per window and key, then again after the window', () => {
    let now = 0;
    const l = new WindowLimiter(2, 1000, () => now);
    assert.equal(l.take('a'), true);
    assert.equal(l.take('a'), true);
    assert.equal(l.take('a'), false);
    assert.equal(l.take('b'), true);
    now = 999;
    assert.equal(l.take('a'), false);
    now = 1000;
    assert.equal(l.take('a'), true);
  });
});

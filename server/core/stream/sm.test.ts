/** XEP-0198 §4 counters: acknowledgement arithmetic, wrap-around and over-acknowledgement. */
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { OutboundQueue, parseH } from './sm.js';

const m = (n: number) => xml('message', { id: String(n) });

describe('stream management queue (XEP-0198 §4)', () => {
  it('drops what an acknowledgement covers and keeps the rest in order', () => {
    const q = new OutboundQueue();
    for (let i = 0; i < 5; i++) q.push(m(i), i);
    assert.equal(q.sent, 5);
    assert.ok(q.ack(2));
    assert.deepEqual(q.pending().map((u) => u.stanza.attrs.id), ['2', '3', '4']);
    assert.ok(q.ack(2), 'the same h again changes nothing');
    assert.equal(q.length, 3);
    assert.ok(q.ack(5));
    assert.equal(q.length, 0);
    assert.equal(q.sent, 5);
  });

  it('refuses an h above what was sent, dropping nothing', () => {
    const q = new OutboundQueue();
    q.push(m(0), 0);
    assert.equal(q.ack(2), false);
    assert.equal(q.length, 1);
  });

  it('counts modulo 2^32', () => {
    // Pretend 2^32 - 1 stanzas went before: acknowledge them, then wrap.
    const big = new OutboundQueue();
    for (let i = 0; i < 4; i++) big.push(m(i), i);
    (big as unknown as { acked: number }).acked = 0xffffffff - 1;
    assert.equal(big.sent, 2); // (2^32 - 2 + 4) mod 2^32
    assert.ok(big.ack(0)); // 2 stanzas acknowledged across the wrap
    assert.equal(big.length, 2);
    assert.ok(big.ack(2));
    assert.equal(big.length, 0);
  });

  it('stays correct over long runs (compaction)', () => {
    const q = new OutboundQueue();
    let h = 0;
    for (let i = 0; i < 10_000; i++) {
      q.push(m(i), i);
      if (i % 7 === 6) {
        h = i - 2;
        assert.ok(q.ack(h));
        assert.equal(q.pending()[0]!.stanza.attrs.id, String(h));
      }
    }
    assert.equal(q.length, 10_000 - h);
  });

  it('parses h as an unsigned 32-bit decimal', () => {
    assert.equal(parseH('0'), 0);
    assert.equal(parseH('4294967295'), 4294967295);
    for (const bad of [undefined, '', '-1', '4294967296', '1.5', '0x10', ' 1']) assert.equal(parseH(bad), undefined, String(bad));
  });
});

/** XEP-0045 §7.2.12-§7.2.15 history selection, as a pure function. */
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { selectHistory } from './history.js';

const items = [1, 2, 3, 4, 5].map((i) => ({ stanza: xml('message', {}, xml('body', {}, `m${i}`)), when: i * 1000, chars: 10 }));
const bodies = (h: typeof items) => h.map((x) => x.stanza.getChildText('body'));

describe('MUC history selection', () => {
  it('defaults to the room maximum and keeps order', () => {
    assert.deepEqual(bodies(selectHistory(items, undefined, 3, 6000)), ['m3', 'm4', 'm5']);
  });
  it('applies maxstanzas, maxchars, seconds and since together', () => {
    assert.deepEqual(bodies(selectHistory(items, xml('history', { maxstanzas: '2' }), 20, 6000)), ['m4', 'm5']);
    assert.deepEqual(bodies(selectHistory(items, xml('history', { maxstanzas: '0' }), 20, 6000)), []);
    assert.deepEqual(bodies(selectHistory(items, xml('history', { maxchars: '25' }), 20, 6000)), ['m4', 'm5']);
    assert.deepEqual(bodies(selectHistory(items, xml('history', { seconds: '3' }), 20, 6000)), ['m3', 'm4', 'm5']);
    assert.deepEqual(bodies(selectHistory(items, xml('history', { since: new Date(4000).toISOString(), maxstanzas: '1' }), 20, 6000)), ['m5']);
  });
  it('never exceeds the room maximum, whatever the client asks', () => {
    assert.deepEqual(bodies(selectHistory(items, xml('history', { maxstanzas: '100' }), 2, 6000)), ['m4', 'm5']);
  });
});

/** The pure parts of the archive: what is archived, query parsing, DateTimes, preferences, stamping. */
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { archivable } from './eligible.js';
import { parseDateTime, parseQuery } from './form.js';
import { decide, parsePrefs } from './prefs.js';
import { stamp, stripSpoofed } from './stanza-id.js';

const m = (attrs: Record<string, string>, ...children: Element[]) => xml('message', attrs, ...children);
const body = (t = 'x') => xml('body', {}, t);
const hint = (name: string) => xml(name, { xmlns: 'urn:xmpp:hints' });

function condition(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof StanzaError) return err.condition;
    throw err;
  }
  return undefined;
}

describe('mam logic', () => {
  it('archives chat and normal messages with a body, or with <store/> (XEP-0313 §5.1.1, XEP-0334)', () => {
    assert.ok(archivable(m({ type: 'chat' }, body())));
    assert.ok(archivable(m({}, body())));
    assert.ok(archivable(m({ type: 'chat' }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0' }), hint('store'))));
    assert.ok(!archivable(m({ type: 'chat' }, xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' }))));
    for (const type of ['error', 'groupchat', 'headline']) assert.ok(!archivable(m({ type }, body())), type);
    assert.ok(!archivable(m({ type: 'chat' }, body(), hint('no-store'))));
    assert.ok(!archivable(m({ type: 'chat' }, body(), hint('no-permanent-store'))));
    assert.ok(!archivable(m({ type: 'chat' }, xml('body', { xmlns: 'urn:example:other' }, 'x'))), 'a body in another namespace is not a message body');
  });

  it('parses XEP-0082 DateTimes and refuses everything else', () => {
    assert.equal(parseDateTime('2010-06-07T00:00:00Z'), Date.UTC(2010, 5, 7));
    assert.equal(parseDateTime('2010-06-07T02:00:00.250+02:00'), Date.UTC(2010, 5, 7, 0, 0, 0, 250));
    for (const bad of ['2010-06-07', '2010-06-07T00:00:00', 'yesterday', '2010-13-01T00:00:00Z', '2023-02-29T00:00:00Z', '2010-06-07T24:00:00Z', '2010-06-07T00:00:00+25:00', ' 2010-06-07T00:00:00Z']) {
      assert.equal(parseDateTime(bad), undefined, bad);
    }
  });

  it('reads the form, RSM and flip-page of a query', () => {
    const q = xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'f27' },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
        xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'urn:xmpp:mam:2')),
        xml('field', { var: 'with' }, xml('value', {}, 'Juliet@Capulet.lit')),
        xml('field', { var: 'ids' }, xml('value', {}, '1'), xml('value', {}, '2'))),
      xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '10'), xml('before')),
      xml('flip-page'));
    const p = parseQuery(q);
    assert.equal(p.queryid, 'f27');
    assert.equal(p.filters.with!.toString(), 'juliet@capulet.lit');
    assert.deepEqual(p.filters.ids, ['1', '2']);
    assert.deepEqual(p.paging, { max: 10, before: '' });
    assert.ok(p.flip);
    assert.deepEqual(parseQuery(xml('query', { xmlns: 'urn:xmpp:mam:2' })), { filters: {}, paging: {}, flip: false });
  });

  it('names the XEP conditions for bad queries', () => {
    const withForm = (...fields: Element[]) => xml('query', { xmlns: 'urn:xmpp:mam:2' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields));
    const f = (v: string, ...vals: string[]) => xml('field', { var: v }, ...vals.map((x) => xml('value', {}, x)));
    const rsm = (...c: Element[]) => xml('query', { xmlns: 'urn:xmpp:mam:2' }, xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, ...c));
    assert.equal(condition(() => parseQuery(withForm(f('start', 'soon')))), 'bad-request');
    assert.equal(condition(() => parseQuery(withForm(f('with')))), 'bad-request');
    assert.equal(condition(() => parseQuery(withForm(f('with', 'a@b'), f('with', 'c@d')))), 'bad-request');
    assert.equal(condition(() => parseQuery(withForm(f('include-groupchat', 'true')))), 'feature-not-implemented');
    assert.equal(condition(() => parseQuery(withForm(f('ids', '')))), 'bad-request');
    assert.equal(condition(() => parseQuery(rsm(xml('max', {}, 'ten')))), 'bad-request');
    assert.equal(condition(() => parseQuery(rsm(xml('after')))), 'bad-request');
    assert.equal(condition(() => parseQuery(rsm(xml('index', {}, '3')))), 'feature-not-implemented');
    assert.equal(condition(() => parseQuery(xml('query', { xmlns: 'urn:xmpp:mam:2' }, xml('junk')))), 'bad-request');
  });

  it('decides by the preferences: never beats always, bare entries match every resource', () => {
    const p = parsePrefs(xml('prefs', { default: 'roster' },
      xml('always', {}, xml('jid', {}, 'romeo@montague.lit'), xml('jid', {}, 'nurse@capulet.lit/kitchen')),
      xml('never', {}, xml('jid', {}, 'tybalt@capulet.lit'), xml('jid', {}, 'romeo@montague.lit'))));
    assert.equal(decide(p, Jid.parse('romeo@montague.lit/orchard')), 'no');
    assert.equal(decide(p, Jid.parse('tybalt@capulet.lit')), 'no');
    assert.equal(decide(p, Jid.parse('nurse@capulet.lit/kitchen')), 'yes');
    assert.equal(decide(p, Jid.parse('nurse@capulet.lit/garden')), 'roster');
    assert.equal(decide({ ...p, default: 'never' }, Jid.parse('friar@verona.lit')), 'no');
    assert.equal(decide({ ...p, default: 'always' }, Jid.parse('friar@verona.lit')), 'yes');
    assert.equal(condition(() => parsePrefs(xml('prefs', { default: 'always' }, xml('never', {}, xml('jid', {}, 'a@b@c'))))), 'bad-request');
  });

  it('stamps a copy and strips forged stanza-ids without touching the original', () => {
    const original = m({ type: 'chat' }, body(), xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'juliet@capulet.lit', id: 'forged' }));
    const before = original.toString();
    const stamped = stamp(original, 'juliet@capulet.lit', '42');
    assert.equal(original.toString(), before);
    const ids = stamped.getChildren('stanza-id', 'urn:xmpp:sid:0');
    assert.deepEqual(ids.map((e) => e.attrs.id), ['42']);
    assert.equal(stripSpoofed(original, 'juliet@capulet.lit').getChildren('stanza-id').length, 0);
    const clean = m({}, body());
    assert.equal(stripSpoofed(clean, 'juliet@capulet.lit'), clean, 'nothing to strip: the same stanza');
  });
});

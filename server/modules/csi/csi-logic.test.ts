/** The CSI policy as a table (which stanza waits, which is coalesced, which goes now) and the held queue. */
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import { RecordingSession } from '../../../test/harness/in-process.js';
import { Jid } from '../../core/jid.js';
import { parseElement } from '../../core/stanza.js';
import { HeldQueue } from './held.js';
import { classify, type Verdict } from './policy.js';

const parse = (s: string): Element => parseElement(s)!;

const OWN = 'alice@localhost/phone';
const BOB = "from='bob@localhost/b' to='alice@localhost/phone'";

const table: Array<[string, string, Verdict]> = [
  ['an IQ get', `<iq ${BOB} type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>`, { kind: 'urgent' }],
  ['an IQ result', `<iq ${BOB} type='result' id='1'/>`, { kind: 'urgent' }],
  ['available presence', `<presence ${BOB}><show>away</show></presence>`, { kind: 'coalesce', key: 'presence:bob@localhost/b' }],
  ['unavailable presence (same key: supersedes)', `<presence ${BOB} type='unavailable'/>`, { kind: 'coalesce', key: 'presence:bob@localhost/b' }],
  ['subscribe', `<presence from='bob@localhost' to='alice@localhost' type='subscribe'/>`, { kind: 'urgent' }],
  ['subscribed', `<presence from='bob@localhost' to='alice@localhost' type='subscribed'/>`, { kind: 'urgent' }],
  ['unsubscribe', `<presence from='bob@localhost' to='alice@localhost' type='unsubscribe'/>`, { kind: 'urgent' }],
  ['unsubscribed', `<presence from='bob@localhost' to='alice@localhost' type='unsubscribed'/>`, { kind: 'urgent' }],
  ['presence error', `<presence ${BOB} type='error'/>`, { kind: 'urgent' }],
  ['the echo of its own presence', `<presence from='${OWN}' to='${OWN}'/>`, { kind: 'urgent' }],
  ['presence of its other resource', `<presence from='alice@localhost/desk' to='${OWN}'/>`, { kind: 'coalesce', key: 'presence:alice@localhost/desk' }],
  ['MUC self-presence (status 110)', `<presence from='room@muc/alice' to='${OWN}'><x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/></x></presence>`, { kind: 'urgent' }],
  ['MUC occupant presence', `<presence from='room@muc/carol' to='${OWN}'><x xmlns='http://jabber.org/protocol/muc#user'><item role='participant'/></x></presence>`, { kind: 'coalesce', key: 'presence:room@muc/carol' }],
  ['chat with a body', `<message ${BOB} type='chat'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`, { kind: 'urgent' }],
  ['a subject', `<message from='room@muc' to='${OWN}' type='groupchat'><subject>topic</subject></message>`, { kind: 'urgent' }],
  ['composing', `<message ${BOB} type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`, { kind: 'coalesce', key: 'chatstate:bob@localhost/b' }],
  ['paused with hints and a thread', `<message ${BOB} type='chat'><paused xmlns='http://jabber.org/protocol/chatstates'/><no-store xmlns='urn:xmpp:hints'/><thread>t1</thread></message>`, { kind: 'coalesce', key: 'chatstate:bob@localhost/b' }],
  ['a receipt', `<message ${BOB}><received xmlns='urn:xmpp:receipts' id='m1'/></message>`, { kind: 'defer' }],
  ['a receipt with a chat state (kept, not coalesced)', `<message ${BOB}><received xmlns='urn:xmpp:receipts' id='m1'/><active xmlns='http://jabber.org/protocol/chatstates'/></message>`, { kind: 'defer' }],
  ['a displayed marker', `<message ${BOB} type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='m1'/><store xmlns='urn:xmpp:hints'/></message>`, { kind: 'defer' }],
  ['a receipt request without a body', `<message ${BOB}><request xmlns='urn:xmpp:receipts'/></message>`, { kind: 'urgent' }],
  ['an empty message with only an origin id', `<message ${BOB}><origin-id xmlns='urn:xmpp:sid:0' id='x'/></message>`, { kind: 'defer' }],
  ['OMEMO (legacy)', `<message ${BOB} type='chat'><encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='1'/></encrypted><store xmlns='urn:xmpp:hints'/></message>`, { kind: 'urgent' }],
  ['OMEMO 2', `<message ${BOB} type='chat'><encrypted xmlns='urn:xmpp:omemo:2'><header sid='1'/></encrypted></message>`, { kind: 'urgent' }],
  ['OpenPGP', `<message ${BOB}><openpgp xmlns='urn:xmpp:openpgp:0'>abc</openpgp></message>`, { kind: 'urgent' }],
  ['a direct MUC invitation', `<message ${BOB}><x xmlns='jabber:x:conference' jid='room@muc'/></message>`, { kind: 'urgent' }],
  ['a mediated MUC invitation', `<message from='room@muc' to='${OWN}'><x xmlns='http://jabber.org/protocol/muc#user'><invite from='bob@localhost'/></x></message>`, { kind: 'urgent' }],
  ['a message error', `<message ${BOB} type='error'><error type='cancel'/></message>`, { kind: 'urgent' }],
  ['a reaction (not recognised as deferrable)', `<message ${BOB}><reactions xmlns='urn:xmpp:reactions:0' id='m1'><reaction>👍</reaction></reactions></message>`, { kind: 'urgent' }],
  ['a PubSub event (not recognised)', `<message from='bob@localhost' to='${OWN}'><event xmlns='http://jabber.org/protocol/pubsub#event'/></message>`, { kind: 'urgent' }],
  ['a carbon of a chat with a body', `<message from='alice@localhost' to='${OWN}'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='bob@localhost/b' to='alice@localhost/desk'><body>x</body></message></forwarded></received></message>`, { kind: 'urgent' }],
  ['a carbon of a chat state', `<message from='alice@localhost' to='${OWN}'><sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='alice@localhost/desk' to='bob@localhost'><composing xmlns='http://jabber.org/protocol/chatstates'/></message></forwarded></sent></message>`, { kind: 'coalesce', key: 'carbon:chatstate:sent:alice@localhost/desk>bob@localhost' }],
  ['a carbon of a receipt', `<message from='alice@localhost' to='${OWN}'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='bob@localhost/b' to='alice@localhost/desk'><received xmlns='urn:xmpp:receipts' id='1'/></message></forwarded></received></message>`, { kind: 'defer' }],
  ['a stream-level element (XEP-0198 ack)', `<a xmlns='urn:xmpp:sm:3' h='3'/>`, { kind: 'pass' }],
];

describe('CSI policy (XEP-0352 §3.2)', () => {
  for (const [what, stanza, want] of table) {
    it(`${what} → ${want.kind}`, () => {
      assert.deepEqual(classify(parse(stanza), OWN), want);
    });
  }
});

describe('CSI held queue', () => {
  const session = () => new RecordingSession(Jid.parse(OWN), 'alice');
  const pres = (from: string, show: string) => parse(`<presence from='${from}' to='${OWN}'><show>${show}</show></presence>`);
  const chat = (body: string) => parse(`<message ${BOB} type='chat'><body>${body}</body></message>`);
  const typing = (state: string) => parse(`<message ${BOB} type='chat'><${state} xmlns='http://jabber.org/protocol/chatstates'/></message>`);
  const receipt = (id: string) => parse(`<message ${BOB}><received xmlns='urn:xmpp:receipts' id='${id}'/></message>`);
  const shows = (s: RecordingSession) => s.got.map((e) => e.getChildText('show') ?? e.getChildText('body') ?? e.getChildren('received')[0]?.attrs.id ?? e.children.map((c) => (typeof c === 'string' ? c : c.name)).join());

  it('holds presence and chat states, keeps the latest per sender, then releases before an urgent stanza', () => {
    const s = session();
    const q = new HeldQueue(s, { maxStanzas: 100, maxBytes: 1 << 20 });
    s.outboundFilter = q.filter;
    for (const show of ['away', 'xa', 'dnd', 'chat', 'away']) s.send(pres('bob@localhost/b', show));
    s.send(pres('carol@localhost/c', 'dnd'));
    s.send(typing('composing'));
    s.send(typing('paused'));
    s.send(receipt('r1'));
    s.send(receipt('r2'));
    assert.equal(s.got.length, 0);
    assert.equal(q.size, 5);
    s.send(chat('hello'));
    // Bob's latest presence, Carol's, the latest chat state, both receipts, then the message.
    assert.deepEqual(shows(s), ['away', 'dnd', 'paused', 'r1', 'r2', 'hello']);
    assert.equal(q.size, 0);
    assert.deepEqual(q.stats, { held: 10, coalesced: 5, flushes: 1 });
  });

  it('a superseded presence moves to the end: its newest version is the one that happened last', () => {
    const s = session();
    const q = new HeldQueue(s, { maxStanzas: 100, maxBytes: 1 << 20 });
    s.outboundFilter = q.filter;
    s.send(pres('bob@localhost/b', 'away'));
    s.send(pres('carol@localhost/c', 'dnd'));
    s.send(pres('bob@localhost/b', 'xa'));
    q.flush();
    assert.deepEqual(shows(s), ['dnd', 'xa']);
  });

  it('releases everything, in order, when over the stanza bound, and drops nothing', () => {
    const s = session();
    const q = new HeldQueue(s, { maxStanzas: 3, maxBytes: 1 << 20 });
    s.outboundFilter = q.filter;
    for (const id of ['1', '2', '3']) s.send(receipt(id));
    assert.equal(s.got.length, 0);
    s.send(receipt('4'));
    assert.deepEqual(shows(s), ['1', '2', '3', '4']);
  });

  it('releases when over the byte bound', () => {
    const s = session();
    const one = Buffer.byteLength(receipt('1').toString());
    const q = new HeldQueue(s, { maxStanzas: 100, maxBytes: one * 2 + 1 });
    s.outboundFilter = q.filter;
    s.send(receipt('1'));
    s.send(receipt('2'));
    assert.equal(s.got.length, 0);
    s.send(receipt('3'));
    assert.deepEqual(shows(s), ['1', '2', '3']);
  });

  it('coalesced bytes are given back: replacing does not creep towards the byte bound', () => {
    const s = session();
    const one = Buffer.byteLength(pres('bob@localhost/b', 'away').toString());
    const q = new HeldQueue(s, { maxStanzas: 100, maxBytes: one + 5 });
    s.outboundFilter = q.filter;
    for (let i = 0; i < 50; i++) s.send(pres('bob@localhost/b', 'away'));
    assert.equal(s.got.length, 0);
    assert.equal(q.size, 1);
  });

  it('IQs and stream-level elements are never held', () => {
    const s = session();
    const q = new HeldQueue(s, { maxStanzas: 100, maxBytes: 1 << 20 });
    s.outboundFilter = q.filter;
    s.send(pres('bob@localhost/b', 'away'));
    s.send(parse(`<a xmlns='urn:xmpp:sm:3' h='1'/>`));
    assert.deepEqual(s.got.map((e) => e.name), ['a'], 'an ack passes without releasing');
    s.send(parse(`<iq from='localhost' to='${OWN}' type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>`));
    assert.deepEqual(s.got.map((e) => e.name), ['a', 'presence', 'iq']);
  });
});

/**
 * XEP-0045 client steps for the MUC tests, on the localhost test host's service: the namespaces,
 * stanza predicates, and entering, creating (§10.1.2, §10.1.3), configuring and leaving a room.
 */
import assert from 'node:assert/strict';
import { type Element, type TestClient, xml } from './clients.js';

export const SVC = 'conference.localhost';
export const MUC = 'http://jabber.org/protocol/muc';
export const USER = 'http://jabber.org/protocol/muc#user';
export const OWNER = 'http://jabber.org/protocol/muc#owner';
export const ADMIN = 'http://jabber.org/protocol/muc#admin';
export const DATA = 'jabber:x:data';

export const codes = (el: Element): string[] => el.getChild('x', USER)?.getChildren('status').map((s) => s.attrs.code as string) ?? [];
export const item = (el: Element): Element | undefined => el.getChild('x', USER)?.getChild('item');
export const from = (room: string, nick?: string) => `${room}@${SVC}${nick ? `/${nick}` : ''}`;
export const presenceFrom = (room: string, nick: string, type?: string) => (el: Element) => el.name === 'presence' && el.attrs.from === from(room, nick) && el.attrs.type === type;
export const selfPresence = (room: string, nick: string) => (el: Element) => el.name === 'presence' && el.attrs.from === from(room, nick) && (codes(el).includes('110') || el.attrs.type === 'error');
export const groupchat = (body: string) => (el: Element) => el.name === 'message' && el.attrs.type === 'groupchat' && el.getChildText('body') === body;
export const subjectMsg = (room: string) => (el: Element) => el.name === 'message' && el.attrs.from?.startsWith(from(room)) && el.getChild('subject') !== undefined && el.getChild('body') === undefined;
export const field = (v: string, ...values: string[]) => xml('field', { var: v }, ...values.map((x) => xml('value', {}, x)));

/** Joins as `nick` (children `x` in the MUC <x/>, `extra` beside it); waits for the self-presence and, once in, the subject. */
export async function enter(c: TestClient, room: string, nick: string, x: Element[] = [], extra: Element[] = []): Promise<Element> {
  const self = c.inbox.next(selfPresence(room, nick), 5000, `self-presence in ${room}`);
  await c.send(xml('presence', { to: from(room, nick) }, xml('x', { xmlns: MUC }, ...x), ...extra));
  const p = await self;
  if (p.attrs.type !== 'error') await c.inbox.next(subjectMsg(room), 5000, 'the subject');
  return p;
}

export async function configure(c: TestClient, room: string, fields: Element[]): Promise<Element> {
  return c.iq(xml('iq', { type: 'set', to: from(room) }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: DATA, type: 'submit' },
    field('FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig'), ...fields))));
}

/** Creates a reserved room (§10.1.3) with the given configuration, or an instant one (§10.1.2). */
export async function createRoom(c: TestClient, room: string, nick: string, fields: Element[] = []): Promise<void> {
  const p = await enter(c, room, nick);
  assert.deepEqual(codes(p).sort(), ['110', '201']);
  assert.equal(item(p)?.attrs.affiliation, 'owner');
  assert.equal(item(p)?.attrs.role, 'moderator');
  const r = fields.length > 0 ? await configure(c, room, fields)
    : await c.iq(xml('iq', { type: 'set', to: from(room) }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: DATA, type: 'submit' }))));
  assert.equal(r.attrs.type, 'result', r.toString());
}

export async function leave(c: TestClient, room: string, nick: string): Promise<Element> {
  const p = c.inbox.next(presenceFrom(room, nick, 'unavailable'), 5000, 'own unavailable presence');
  await c.send(xml('presence', { to: from(room, nick), type: 'unavailable' }));
  return p;
}

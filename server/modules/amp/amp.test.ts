/** XEP-0079: rule logic as pure functions, then against a real server with @xmpp/client. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Element } from '@xmpp/xml';
import { xml } from '../../core/stanza.js';
import { connect, createUser, errorCondition, is, type TestClient } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { deadline, evaluate, eventMessage, NS_AMP, NS_AMP_ERRORS, parseUtcDateTime, problemMessage, ruleSetOf, validate, type RuleSet } from './rules.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const iso = (ms: number) => new Date(ms).toISOString();
const rule = (condition: string, action: string, value: string) => xml('rule', { condition, action, value });
const set = (...rules: Element[]): RuleSet => ruleSetOf(xml('message', {}, xml('amp', { xmlns: NS_AMP }, ...rules)))!;

describe('AMP rules (XEP-0079)', () => {
  const T = Date.UTC(2025, 0, 1);

  it('parses UTC XEP-0082 DateTimes only (§3.3.2)', () => {
    assert.equal(parseUtcDateTime('2025-01-01T00:00:00Z'), T);
    assert.equal(parseUtcDateTime('2025-01-01T00:00:00.250Z'), T + 250);
    assert.equal(parseUtcDateTime('2025-01-01T00:00:00+00:00'), T);
    assert.equal(parseUtcDateTime('2025-01-01T01:00:00+01:00'), undefined, 'not UTC');
    assert.equal(parseUtcDateTime('2025-01-01'), undefined);
    assert.equal(parseUtcDateTime('tomorrow'), undefined);
    assert.equal(parseUtcDateTime('2025-13-45T00:00:00Z'), undefined);
  });

  it('validates every rule: unsupported actions, then conditions, then unacceptable rules (§2.2.1, §6.1, §9)', () => {
    assert.equal(validate(set(rule('expire-at', 'drop', iso(T))), true), undefined);
    assert.deepEqual(validate(set(rule('expire-at', 'bounce', iso(T)), rule('deliver', 'drop', 'stored')), true),
      { condition: 'bad-request', child: 'unsupported-actions', rules: [{ condition: 'expire-at', action: 'bounce', value: iso(T) }] });
    assert.deepEqual(validate(set(rule('expire-at', 'drop', iso(T)), rule('deliver', 'drop', 'stored'), rule('match-resource', 'error', 'exact')), true),
      { condition: 'bad-request', child: 'unsupported-conditions', rules: [{ condition: 'deliver', action: 'drop', value: 'stored' }, { condition: 'match-resource', action: 'error', value: 'exact' }] });
    assert.equal(validate(set(rule('expire-at', 'drop', 'soon'))!, true)!.condition, 'not-acceptable');
    assert.equal(validate(set(rule('expire-at', 'drop', ''))!, true)!.condition, 'not-acceptable');
    // §9: reporting actions only for senders who may see the recipient's presence; drop says nothing.
    assert.deepEqual(validate(set(rule('expire-at', 'notify', iso(T)), rule('expire-at', 'drop', iso(T))), false),
      { condition: 'not-acceptable', child: 'invalid-rules', rules: [{ condition: 'expire-at', action: 'notify', value: iso(T) }] });
    assert.equal(validate(set(rule('expire-at', 'drop', iso(T))), false), undefined);
    // §3.3.3: a per-hop match-resource rule is ignored, not refused.
    const perHop = ruleSetOf(xml('message', {}, xml('amp', { xmlns: NS_AMP, 'per-hop': 'true' }, rule('match-resource', 'drop', 'other'), rule('expire-at', 'drop', iso(T)))))!;
    assert.equal(validate(perHop, true), undefined);
    assert.deepEqual(evaluate(perHop, T), { fired: [], decided: { condition: 'expire-at', action: 'drop', value: iso(T) } });
  });

  it('processes rules in order; notify lets processing go on (§2.2.3, §3.4.4)', () => {
    const s = set(rule('expire-at', 'notify', iso(T)), rule('expire-at', 'error', iso(T + 1000)), rule('expire-at', 'drop', iso(T + 500)));
    assert.deepEqual(evaluate(s, T - 1), { fired: [] });
    assert.deepEqual(evaluate(s, T).fired.map((r) => r.action), ['notify'], 'met on the stated time');
    assert.equal(evaluate(s, T).decided, undefined);
    const late = evaluate(s, T + 2000);
    assert.deepEqual(late.fired.map((r) => r.action), ['notify', 'error'], 'the first deciding rule in document order wins');
    assert.equal(late.decided!.action, 'error');
    assert.deepEqual(evaluate(s, T + 2000, T).fired.map((r) => r.action), ['error'], 'a notify reported on arrival is not repeated');
    assert.equal(evaluate(s, T + 600).decided!.action, 'drop');
    assert.deepEqual(evaluate(s, T + 600).fired.map((r) => r.action), ['notify'], 'drop itself sends nothing (§3.4.2)');
    assert.equal(deadline(s), T + 500, 'the earliest rule that stops delivery; notify does not');
    assert.equal(deadline(set(rule('expire-at', 'notify', iso(T)))), undefined);
  });

  it('builds the return events and errors the XEP shows (§3.4.1, §3.4.3, §3.4.4, §6.2)', () => {
    const original = xml('message', { from: 'a@h/r', to: 'b@h', id: 'm1', type: 'chat' }, xml('body', {}, 'secret'));
    const r = { condition: 'expire-at', action: 'notify', value: iso(T) };
    assert.equal(eventMessage(original, r, 'h').toString(),
      `<message from="h" to="a@h/r" id="m1"><amp xmlns="${NS_AMP}" status="notify" from="a@h/r" to="b@h"><rule action="notify" condition="expire-at" value="${iso(T)}"/></amp></message>`);
    const err = eventMessage(original, { ...r, action: 'error' }, 'h');
    assert.equal(err.attrs.type, 'error');
    assert.equal(err.getChildText('body'), null, 'the body is not sent back (§2.2.5)');
    assert.equal(err.getChild('amp', NS_AMP)!.attrs.status, 'error');
    const e = err.getChild('error')!;
    assert.equal(e.attrs.type, 'modify');
    assert.ok(e.getChild('undefined-condition', STANZAS));
    assert.equal(e.getChild('failed-rules', NS_AMP_ERRORS)!.getChild('rule')!.attrs.action, 'error');
    const p = problemMessage(original, set(rule('deliver', 'drop', 'stored')), { condition: 'bad-request', child: 'unsupported-conditions', rules: [{ condition: 'deliver', action: 'drop', value: 'stored' }] }, 'h');
    assert.equal(p.toString(),
      `<message from="h" to="a@h/r" id="m1" type="error"><amp xmlns="${NS_AMP}"><rule action="drop" condition="deliver" value="stored"/></amp>`
      + `<error type="modify" code="400"><bad-request xmlns="${STANZAS}"/><unsupported-conditions xmlns="${NS_AMP}"><rule action="drop" condition="deliver" value="stored"/></unsupported-conditions></error></message>`);
  });
});

describe('AMP and message expiry @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  let sender: TestClient;
  const clients: TestClient[] = [];
  const login = async (user: string, opts: { presence?: boolean } = {}) => {
    const c = await connect(server, user, 'secret-pass', { resource: 'r', ...opts });
    clients.push(c);
    return c;
  };
  const logout = async (c: TestClient) => {
    clients.splice(clients.indexOf(c), 1);
    await c.stop();
  };
  const sync = (c: TestClient) => c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  const withRules = (to: string, id: string, body: string, ...rules: Element[]) =>
    xml('message', { to, id, type: 'chat' }, xml('body', {}, body), xml('amp', { xmlns: NS_AMP }, ...rules));
  const byId = (id: string) => (el: Element) => el.name === 'message' && el.attrs.id === id;

  /** `user` lets the sender see its presence (subscription 'from' on its side), then goes offline. */
  async function shareWithSender(user: string): Promise<void> {
    const c = await login(user);
    await sender.send(xml('presence', { to: `${user}@localhost`, type: 'subscribe' }));
    await c.inbox.next(is.presence('sender@localhost', 'subscribe'));
    await c.send(xml('presence', { to: 'sender@localhost', type: 'subscribed' }));
    await sender.inbox.next(is.presence(`${user}@localhost`, 'subscribed'));
    await logout(c);
    await sync(sender);
    sender.inbox.clear();
  }

  before(async () => {
    server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'open', offline: { sweep_interval_s: 1 } }] } });
    for (const u of ['sender', 'friend', 'pal', 'buddy', 'stranger']) await createUser(server, u);
    sender = await connect(server, 'sender', 'secret-pass', { resource: 's' });
    await shareWithSender('friend');
    await shareWithSender('pal');
    await shareWithSender('buddy');
  });
  afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.stop())); sender.inbox.clear(); });
  after(async () => {
    await sender?.stop();
    await server?.cleanup();
  });

  it('advertises amp, and the actions and conditions on its node (§2.1.1)', async () => {
    const info = await sender.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const vars = (q: Element) => q.getChildren('feature').map((f) => f.attrs.var as string);
    assert.ok(vars(info.getChild('query')!).includes(NS_AMP));
    const node = await sender.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: NS_AMP })));
    assert.equal(node.attrs.type, 'result', node.toString());
    assert.equal(node.getChild('query')!.attrs.node, NS_AMP);
    assert.deepEqual(vars(node.getChild('query')!).sort(), [NS_AMP, ...['alert', 'drop', 'error', 'notify'].map((a) => `${NS_AMP}?action=${a}`), `${NS_AMP}?condition=expire-at`].sort());
  });

  it('an unsupported condition or action gets bad-request with the rules at issue, and is not delivered (§6.2)', async () => {
    const friend = await login('friend');
    await sender.send(withRules('friend@localhost', 'u1', 'x', rule('deliver', 'drop', 'stored')));
    const err = await sender.inbox.next(byId('u1'));
    assert.equal(err.attrs.type, 'error');
    assert.equal(err.attrs.from, 'localhost');
    assert.equal(errorCondition(err), 'bad-request');
    const e = err.getChild('error')!;
    assert.equal(e.attrs.type, 'modify');
    const rules = e.getChild('unsupported-conditions', NS_AMP)!.getChildren('rule');
    assert.deepEqual(rules.map((r) => r.attrs), [{ action: 'drop', condition: 'deliver', value: 'stored' }]);
    assert.ok(err.getChild('amp', NS_AMP), 'the rule set is echoed');

    await sender.send(withRules('friend@localhost', 'u2', 'x', rule('expire-at', 'explode', iso(Date.now() + 60_000))));
    const err2 = await sender.inbox.next(byId('u2'));
    assert.equal(errorCondition(err2), 'bad-request');
    assert.equal(err2.getChild('error')!.getChild('unsupported-actions', NS_AMP)!.getChild('rule')!.attrs.action, 'explode');

    await sender.send(withRules('friend@localhost', 'u3', 'x', rule('expire-at', 'drop', 'next tuesday')));
    const err3 = await sender.inbox.next(byId('u3'));
    assert.equal(errorCondition(err3), 'not-acceptable');
    assert.ok(err3.getChild('error')!.getChild('invalid-rules', NS_AMP));
    await sync(sender);
    await friend.inbox.none(is.chat(), 300);
  });

  it('reports only to senders allowed to see the recipient\'s presence (§9): not-acceptable otherwise; drop is fine', async () => {
    const stranger = await login('stranger');
    await stranger.send(withRules('friend@localhost', 's1', 'poll', rule('expire-at', 'notify', iso(Date.now() + 60_000))));
    const err = await stranger.inbox.next(byId('s1'));
    assert.equal(errorCondition(err), 'not-acceptable');
    assert.equal(err.getChild('error')!.getChild('invalid-rules', NS_AMP)!.getChild('rule')!.attrs.action, 'notify');
    await stranger.send(withRules('friend@localhost', 's2', 'fine', rule('expire-at', 'drop', iso(Date.now() + 60_000))));
    await sync(stranger);
    await stranger.inbox.none(byId('s2'), 200);
    const friend = await login('friend');
    const got = await friend.inbox.next(is.chat('fine'));
    assert.equal(got.attrs.from, 'stranger@localhost/r');
    await friend.inbox.none(is.chat('poll'), 200);
  });

  it('already expired on arrival: error at once, not delivered even to an online recipient', async () => {
    const friend = await login('friend');
    await sender.send(withRules('friend@localhost', 'late1', 'too late', rule('expire-at', 'error', iso(Date.now() - 1000))));
    const err = await sender.inbox.next(byId('late1'));
    assert.equal(err.attrs.type, 'error');
    assert.equal(errorCondition(err), 'undefined-condition');
    assert.ok(err.getChild('error')!.getChild('failed-rules', NS_AMP_ERRORS)!.getChild('rule'));
    await friend.inbox.none(is.chat('too late'), 300);
  });

  it('expires while stored: the sender gets the error, and notify+drop, before the recipient logs in; neither is delivered', async () => {
    const at = iso(Date.now() + 1500);
    await sender.send(withRules('pal@localhost', 'e1', 'expiring with error', rule('expire-at', 'error', at)));
    await sender.send(withRules('pal@localhost', 'e2', 'expiring with notify', rule('expire-at', 'notify', at), rule('expire-at', 'drop', at)));
    await sender.send(withRules('pal@localhost', 'e3', 'dropped silently', rule('expire-at', 'drop', at)));
    await sync(sender);
    await sender.inbox.none(byId('e1'), 200);

    // The sweep (every second here) finds them once the time has passed.
    const err = await sender.inbox.next(byId('e1'), 5000, 'the expiry error');
    const sentAt = Date.parse(at);
    assert.ok(Date.now() >= sentAt, 'not before the stated time');
    assert.equal(err.attrs.type, 'error');
    assert.equal(err.attrs.from, 'localhost');
    assert.equal(err.attrs.to, 'sender@localhost/s');
    const amp = err.getChild('amp', NS_AMP)!;
    assert.deepEqual(amp.attrs, { xmlns: NS_AMP, status: 'error', from: 'sender@localhost/s', to: 'pal@localhost' });
    assert.equal(errorCondition(err), 'undefined-condition');
    assert.equal(err.getChild('error')!.attrs.type, 'modify');
    assert.deepEqual(err.getChild('error')!.getChild('failed-rules', NS_AMP_ERRORS)!.getChild('rule')!.attrs, { action: 'error', condition: 'expire-at', value: at });
    assert.equal(err.getChildText('body'), null);

    const note = await sender.inbox.next(byId('e2'), 5000, 'the expiry notice');
    assert.equal(note.attrs.type, undefined);
    assert.equal(note.getChild('amp', NS_AMP)!.attrs.status, 'notify');
    assert.equal(note.getChild('amp', NS_AMP)!.getChild('rule')!.attrs.action, 'notify');
    await sender.inbox.none(byId('e3'), 300);

    const pal = await login('pal');
    await sync(pal);
    await pal.inbox.none(is.chat(), 500);
  });

  it('a notify-only rule: the message is still delivered (§3.4.4), and the sender told when it is', async () => {
    const at = iso(Date.now() + 1000);
    await sender.send(withRules('buddy@localhost', 'n1', 'late but delivered', rule('expire-at', 'notify', at)));
    await sync(sender);
    await sleep(1500);
    await sender.inbox.none(byId('n1'), 100);
    const buddy = await login('buddy');
    const got = await buddy.inbox.next(is.chat('late but delivered'));
    assert.ok(got.getChild('amp', NS_AMP), 'delivered as sent');
    const note = await sender.inbox.next(byId('n1'));
    assert.equal(note.getChild('amp', NS_AMP)!.attrs.status, 'notify');
  });

  it('not yet expired: delivered, with the jabber:x:expire seconds left (XEP-0023)', async () => {
    await sender.send(xml('message', { to: 'friend@localhost', id: 'x1', type: 'chat' },
      xml('body', {}, 'still fresh'),
      xml('x', { xmlns: 'jabber:x:expire', seconds: '60' }),
      xml('amp', { xmlns: NS_AMP }, rule('expire-at', 'error', iso(Date.now() + 3_600_000)))));
    await sender.send(xml('message', { to: 'friend@localhost', id: 'x2', type: 'chat' }, xml('body', {}, 'short ttl'), xml('x', { xmlns: 'jabber:x:expire', seconds: '1' })));
    await sync(sender);
    await sleep(2100);
    const friend = await login('friend');
    const got = await friend.inbox.next(is.chat('still fresh'));
    const x = got.getChild('x', 'jabber:x:expire')!;
    const left = Number(x.attrs.seconds);
    assert.ok(left >= 55 && left <= 58, `seconds left: ${left}`);
    assert.equal(x.attrs.stored, undefined);
    assert.ok(got.getChild('delay', 'urn:xmpp:delay'));
    await friend.inbox.none(is.chat('short ttl'), 300);
    await sender.inbox.none(byId('x1'), 100);
    await sender.inbox.none(byId('x2'), 100);
  });
});

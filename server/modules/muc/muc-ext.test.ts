/**
 * The MUC extensions end to end (real server, several @xmpp/client occupants): the room archive
 * (XEP-0313 on the room, XEP-0359 stanza-ids), occupant ids (XEP-0421), self-ping (XEP-0410),
 * moderation (XEP-0425/0424), temporary groups (seed 5.12) and public chat (seed 5.18).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createUser, type Element, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { ADMIN, codes, createRoom, DATA, enter, field, from, groupchat, item, leave, MUC, OWNER, presenceFrom, selfPresence, subjectMsg, SVC, USER } from '../../../test/harness/muc.js';

const MAM = 'urn:xmpp:mam:2';
const SID = 'urn:xmpp:sid:0';
const OID = 'urn:xmpp:occupant-id:0';
const RSM = 'http://jabber.org/protocol/rsm';
const INFO = 'http://jabber.org/protocol/disco#info';
const RETRACT = 'urn:xmpp:message-retract:1';
const MODERATE = 'urn:xmpp:message-moderate:1';
const PUBSUB = 'http://jabber.org/protocol/pubsub';
const BOOKMARKS = 'urn:xmpp:bookmarks:1';

const sidOf = (m: Element, room: string) => m.getChildren('stanza-id', SID).find((s) => s.attrs.by === from(room))?.attrs.id as string | undefined;
const oidOf = (m: Element) => m.getChild('occupant-id', OID)?.attrs.id as string | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function say(c: TestClient, room: string, body: string): Promise<Element> {
  const echo = c.inbox.next(groupchat(body), 5000, `echo of ${body}`);
  await c.send(xml('message', { to: from(room), type: 'groupchat' }, xml('body', {}, body)));
  return echo;
}

/** A MAM query to the room; resolves with the forwarded messages and the <fin/>. */
async function mamQuery(c: TestClient, room: string, rsm: Element[] = [], queryid = `q${Math.random()}`): Promise<{ items: Array<{ id: string; msg: Element }>; fin?: Element; error?: Element }> {
  const items: Array<{ id: string; msg: Element }> = [];
  const res = c.iq(xml('iq', { type: 'set', to: from(room) }, xml('query', { xmlns: MAM, queryid }, ...(rsm.length ? [xml('set', { xmlns: RSM }, ...rsm)] : []))));
  const r = await res;
  if (r.attrs.type === 'error') return { items, error: r };
  for (;;) {
    const m = c.inbox.all().find((el) => el.getChild('result', MAM)?.attrs.queryid === queryid);
    if (!m) break;
    await c.inbox.next((el) => el === m);
    const result = m.getChild('result', MAM)!;
    assert.equal(m.attrs.from, from(room), 'results come from the room');
    items.push({ id: result.attrs.id as string, msg: result.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')! });
  }
  return { items, fin: r.getChild('fin', MAM) };
}

describe('multi-user chat extensions (XEP-0313/0359/0421/0410/0425, seed 5.12/5.18) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  const users = ['julia', 'romeo', 'maria', 'mary', 'tina', 'ian'];
  const clients: TestClient[] = [];
  const login = async (u: string, resource = 'r') => {
    const c = await connect(server, u, `${u}-pass`, { resource });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'open', muc: { message_rate: 50, message_burst: 50 } }] } });
    for (const u of users) await createUser(server, u, `${u}-pass`);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
  });
  after(async () => { await server?.cleanup(); });

  it('archives a logged room: live stanza-id = archive id, RSM paging, access rules, real JIDs only for those who may see them, and it all survives a restart', async () => {
    const julia = await login('julia');
    const romeo = await login('romeo');
    await createRoom(julia, 'logbook', 'Julia', [field('muc#roomconfig_enablelogging', '1'), field('muc#roomconfig_persistentroom', '1'), field('muc#roomconfig_historylength', '5')]);
    const info = await julia.iq(xml('iq', { type: 'get', to: from('logbook') }, xml('query', { xmlns: INFO })));
    const feats = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    for (const f of [MAM, SID, OID, 'http://jabber.org/protocol/muc#self-ping-optimization', MODERATE]) assert.ok(feats.includes(f), `${f} in ${feats.join()}`);
    const p = await enter(romeo, 'logbook', 'Romeo');
    assert.ok(codes(p).includes('170'), 'logging is announced');

    const live: string[] = [];
    for (let i = 1; i <= 7; i++) {
      const seenByJulia = julia.inbox.next(groupchat(`m${i}`), 5000, `m${i} at Julia`);
      // A forged stanza-id in the room's name is removed (XEP-0359 §5).
      await romeo.send(xml('message', { to: from('logbook'), type: 'groupchat' }, xml('body', {}, `m${i}`), xml('stanza-id', { xmlns: SID, by: from('logbook'), id: 'forged' })));
      const echo = await romeo.inbox.next(groupchat(`m${i}`));
      const m = await seenByJulia;
      const ids = m.getChildren('stanza-id', SID).filter((s) => s.attrs.by === from('logbook'));
      assert.equal(ids.length, 1, m.toString());
      assert.notEqual(ids[0]!.attrs.id, 'forged');
      assert.equal(sidOf(echo, 'logbook'), ids[0]!.attrs.id, 'every copy carries the same id');
      live.push(ids[0]!.attrs.id as string);
    }

    // Paging backward from the end, 3 at a time (XEP-0313 §4.3, XEP-0059).
    const last = await mamQuery(romeo, 'logbook', [xml('max', {}, '3'), xml('before')]);
    assert.deepEqual(last.items.map((i) => i.msg.getChildText('body')), ['m5', 'm6', 'm7']);
    assert.deepEqual(last.items.map((i) => i.id), live.slice(4), 'archive ids are the live stanza-ids');
    assert.equal(last.fin!.getChild('set', RSM)!.getChildText('count'), '7');
    assert.notEqual(last.fin!.attrs.complete, 'true');
    const before = await mamQuery(romeo, 'logbook', [xml('max', {}, '3'), xml('before', {}, last.items[0]!.id)]);
    assert.deepEqual(before.items.map((i) => i.msg.getChildText('body')), ['m2', 'm3', 'm4']);
    const first = await mamQuery(romeo, 'logbook', [xml('max', {}, '3'), xml('before', {}, before.items[0]!.id)]);
    assert.deepEqual(first.items.map((i) => i.msg.getChildText('body')), ['m1']);
    assert.equal(first.fin!.attrs.complete, 'true');
    const fwd = first.items[0]!.msg;
    assert.equal(fwd.attrs.from, from('logbook', 'Romeo'));
    assert.ok(oidOf(fwd), 'archived with the occupant id');
    assert.equal(fwd.getChild('x', USER), undefined, 'a participant of a semi-anonymous room does not see real JIDs');
    const asOwner = await mamQuery(julia, 'logbook', [xml('max', {}, '1')]);
    assert.equal(asOwner.items[0]!.msg.getChild('x', USER)?.getChild('item')?.attrs.jid, 'romeo@localhost', 'the owner does');

    // Unknown UID → item-not-found; members-only: non-members are refused (forbidden).
    const bad = await mamQuery(romeo, 'logbook', [xml('after', {}, 'no-such-id')]);
    assert.equal(errorCondition(bad.error!), 'item-not-found');
    const withQ = await romeo.iq(xml('iq', { type: 'set', to: from('logbook') }, xml('query', { xmlns: MAM }, xml('x', { xmlns: DATA, type: 'submit' },
      field('FORM_TYPE', MAM), field('with', from('logbook', 'Romeo'))))));
    assert.equal(errorCondition(withQ), 'feature-not-implemented');
    await julia.iq(xml('iq', { type: 'set', to: from('logbook') }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: DATA, type: 'submit' }, field('muc#roomconfig_membersonly', '1')))));
    await romeo.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && codes(el).includes('322'), 5000, 'removed: members-only');
    const refused = await mamQuery(romeo, 'logbook');
    assert.equal(errorCondition(refused.error!), 'forbidden');
    await julia.iq(xml('iq', { type: 'set', to: from('logbook') }, xml('query', { xmlns: ADMIN }, xml('item', { jid: 'romeo@localhost', affiliation: 'member' }))));
    assert.equal((await mamQuery(romeo, 'logbook')).items.length, 7, 'members may read');
    await leave(julia, 'logbook', 'Julia');
    for (const c of clients.splice(0)) await c.stop();

    await server.restart();
    const maria = await login('romeo');
    const after = await mamQuery(maria, 'logbook', [xml('max', {}, '10')]);
    assert.deepEqual(after.items.map((i) => i.id), live, 'the archive survives a restart');
    // History on entering comes from the archive (historylength 5), with the same stanza-ids.
    await maria.send(xml('presence', { to: from('logbook', 'Romeo') }, xml('x', { xmlns: MUC })));
    await maria.inbox.next(selfPresence('logbook', 'Romeo'));
    const hist: Element[] = [];
    for (let i = 3; i <= 7; i++) hist.push(await maria.inbox.next(groupchat(`m${i}`), 5000, `history m${i}`));
    assert.ok(hist.every((h) => h.getChild('delay', 'urn:xmpp:delay')));
    assert.deepEqual(hist.map((h) => sidOf(h, 'logbook')), live.slice(2));
    await maria.inbox.next(subjectMsg('logbook'));
  });

  it('gives each real JID a stable occupant id per room (XEP-0421), strips forged ones, and answers self-pings (XEP-0410)', async () => {
    const julia = await login('julia');
    const romeo = await login('romeo');
    await createRoom(julia, 'ids', 'Julia');
    const rp = julia.inbox.next(presenceFrom('ids', 'Romeo'), 5000, "Romeo's presence");
    await enter(romeo, 'ids', 'Romeo', [], [xml('occupant-id', { xmlns: OID, id: 'forged' })]);
    const id1 = oidOf(await rp);
    assert.ok(id1 && id1 !== 'forged');
    const msg = await say(romeo, 'ids', 'hello');
    assert.equal(oidOf(msg), id1);
    const jp = (await julia.inbox.next(groupchat('hello')));
    assert.equal(oidOf(jp), id1);
    const juliaId = oidOf(await say(julia, 'ids', 'hi'));
    assert.ok(juliaId && juliaId !== id1, 'two users, two ids');
    await romeo.inbox.next(groupchat('hi'));

    // Self-ping: joined → result; another resource that is not joined → not-acceptable.
    const ok = await romeo.iq(xml('iq', { type: 'get', to: from('ids', 'Romeo') }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(ok.attrs.type, 'result');
    const other = await login('romeo', 'phone');
    const no = await other.iq(xml('iq', { type: 'get', to: from('ids', 'Romeo') }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(errorCondition(no), 'not-acceptable');

    // Rejoin under another nick: same id.
    await leave(romeo, 'ids', 'Romeo');
    const rp2 = julia.inbox.next(presenceFrom('ids', 'Romeo2'), 5000, "Romeo's new presence");
    await enter(romeo, 'ids', 'Romeo2');
    assert.equal(oidOf(await rp2), id1, 'stable across rejoins');
    const gone = await romeo.iq(xml('iq', { type: 'get', to: from('ids', 'Romeo') }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(gone.attrs.type, 'error', 'the old nick is no longer ours');
  });

  it('lets a moderator retract a message (XEP-0425 + XEP-0424): occupants are told, the archive keeps a tombstone', async () => {
    const julia = await login('julia');
    const romeo = await login('romeo');
    const maria = await login('maria');
    await createRoom(julia, 'modroom', 'Julia', [field('muc#roomconfig_enablelogging', '1')]);
    await enter(romeo, 'modroom', 'Romeo');
    await enter(maria, 'modroom', 'Maria');
    const spam = await say(romeo, 'modroom', 'buy cheap stuff');
    const id = sidOf(spam, 'modroom')!;
    await julia.inbox.next(groupchat('buy cheap stuff'));
    await maria.inbox.next(groupchat('buy cheap stuff'));
    await say(romeo, 'modroom', 'sorry');
    const moderate = (c: TestClient, sid: string) => c.iq(xml('iq', { type: 'set', to: from('modroom') },
      xml('moderate', { xmlns: MODERATE, id: sid }, xml('retract', { xmlns: RETRACT }), xml('reason', {}, 'spam'))));

    assert.equal(errorCondition(await moderate(maria, id)), 'forbidden', 'participants do not moderate');
    assert.equal(errorCondition(await moderate(julia, 'nope')), 'item-not-found');
    const told = maria.inbox.next((el) => el.name === 'message' && el.getChild('retract', RETRACT) !== undefined, 5000, 'the retraction');
    const r = await moderate(julia, id);
    assert.equal(r.attrs.type, 'result', r.toString());
    const t = await told;
    assert.equal(t.attrs.from, from('modroom'));
    assert.equal(t.attrs.type, 'groupchat');
    const retract = t.getChild('retract', RETRACT)!;
    assert.equal(retract.attrs.id, id);
    assert.equal(retract.getChild('moderated', MODERATE)!.attrs.by, from('modroom', 'Julia'));
    assert.equal(retract.getChildText('reason'), 'spam');

    const a = await mamQuery(maria, 'modroom');
    assert.equal(a.items.length, 2);
    const tomb = a.items.find((i) => i.id === id)!.msg;
    assert.equal(tomb.getChildText('body'), null, 'the body is gone');
    assert.ok(tomb.getChild('retracted', RETRACT)?.getChild('moderated', MODERATE));
    assert.equal(a.items.find((i) => i.id !== id)!.msg.getChildText('body'), 'sorry');
    // Newcomers' history has the tombstone too.
    const ian = await login('ian');
    await ian.send(xml('presence', { to: from('modroom', 'Ian') }, xml('x', { xmlns: MUC })));
    await ian.inbox.next(selfPresence('modroom', 'Ian'));
    await ian.inbox.next(groupchat('sorry'));
    assert.ok(!ian.inbox.all().some((el) => el.getChildText('body') === 'buy cheap stuff'));
  });

  it('keeps room messages for absent members in their offline storage when the room opts in (groups that work on phones)', async () => {
    const julia = await login('julia');
    await createRoom(julia, 'phones', 'Julia', [field('tern#roomconfig_offline_members', '1'), field('muc#roomconfig_membersonly', '1')]);
    await julia.iq(xml('iq', { type: 'set', to: from('phones') }, xml('query', { xmlns: ADMIN }, xml('item', { jid: 'romeo@localhost', affiliation: 'member' }))));
    const echo = await say(julia, 'phones', 'are you there?');
    await sleep(300);
    const romeo = await login('romeo');
    const kept = await romeo.inbox.next(groupchat('are you there?'), 5000, 'the kept room message');
    assert.equal(kept.attrs.from, from('phones', 'Julia'));
    assert.ok(kept.getChild('delay', 'urn:xmpp:delay'), 'from offline storage');
    assert.equal(sidOf(kept, 'phones'), sidOf(echo, 'phones'), 'the room stanza-id, to match the room archive');
    const maria = await login('maria');
    await maria.inbox.none(groupchat('are you there?'), 300);
    // A member who is in the room gets it live only.
    await enter(romeo, 'phones', 'Romeo');
    await say(julia, 'phones', 'welcome');
    await romeo.inbox.next(groupchat('welcome'));
    await romeo.stop();
    await sleep(200);
    const again = await login('romeo', 'r2');
    await again.inbox.none(groupchat('welcome'), 400);
  });

  it('passes direct invitations (XEP-0249) from client to client, kept for an offline invitee', async () => {
    const julia = await login('julia');
    await julia.send(xml('message', { to: 'maria@localhost' }, xml('x', { xmlns: 'jabber:x:conference', jid: from('lobby2'), reason: 'come in' })));
    await julia.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const maria = await login('maria');
    const inv = await maria.inbox.next((el) => el.name === 'message' && el.getChild('x', 'jabber:x:conference') !== undefined, 5000, 'the direct invitation');
    assert.equal(inv.getChild('x', 'jabber:x:conference')!.attrs.jid, from('lobby2'));
    assert.ok(inv.getChild('delay', 'urn:xmpp:delay'), 'from offline storage');
  });

  it('seed 5.12: Mary\'s temporary group with Tina and Ian lives while in use, ends once empty after its lifetime, and leaves the bookmarks', async () => {
    const mary = await login('mary');
    const tina = await login('tina');
    const ian = await login('ian');
    const form = await (async () => {
      await enter(mary, 'trip', 'Mary');
      return mary.iq(xml('iq', { type: 'get', to: from('trip') }, xml('query', { xmlns: OWNER })));
    })();
    const lf = form.getChild('query', OWNER)!.getChild('x', DATA)!.getChildren('field').find((f) => f.attrs.var === 'tern#roomconfig_lifetime');
    assert.equal(lf?.getChildText('value'), '0', 'advertised in the form, 0 = none');
    const bad = await mary.iq(xml('iq', { type: 'set', to: from('trip') }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: DATA, type: 'submit' }, field('tern#roomconfig_lifetime', '-5')))));
    assert.equal(errorCondition(bad), 'not-acceptable');
    const ok = await mary.iq(xml('iq', { type: 'set', to: from('trip') }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: DATA, type: 'submit' },
      field('tern#roomconfig_lifetime', '2'), field('muc#roomconfig_persistentroom', '1'), field('muc#roomconfig_membersonly', '1')))));
    assert.equal(ok.attrs.type, 'result', ok.toString());
    // Mary bookmarks it (XEP-0402).
    const pub = await mary.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: PUBSUB },
      xml('publish', { node: BOOKMARKS }, xml('item', { id: from('trip') }, xml('conference', { xmlns: BOOKMARKS, autojoin: 'true', name: 'Trip' }))))));
    assert.equal(pub.attrs.type, 'result', pub.toString());
    for (const who of ['tina', 'ian']) await mary.send(xml('message', { to: from('trip') }, xml('x', { xmlns: USER }, xml('invite', { to: `${who}@localhost` }))));
    await tina.inbox.next((el) => el.getChild('x', USER)?.getChild('invite') !== undefined);
    await ian.inbox.next((el) => el.getChild('x', USER)?.getChild('invite') !== undefined);
    await enter(tina, 'trip', 'Tina');
    await enter(ian, 'trip', 'Ian');
    await say(tina, 'trip', 'where do we meet?');

    await sleep(2600); // the lifetime has passed, but the group is in use
    const info = (c: TestClient) => c.iq(xml('iq', { type: 'get', to: from('trip') }, xml('query', { xmlns: INFO })));
    assert.equal((await info(ian)).attrs.type, 'result', 'never destroyed while occupied');
    await say(ian, 'trip', 'at the station');
    await leave(mary, 'trip', 'Mary');
    await leave(tina, 'trip', 'Tina');
    assert.equal((await info(ian)).attrs.type, 'result', 'Ian is still there');
    await leave(ian, 'trip', 'Ian');
    await sleep(200);
    assert.equal(errorCondition(await info(ian)), 'item-not-found', 'gone with its last occupant');
    const items = await mary.iq(xml('iq', { type: 'get' }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: BOOKMARKS }))));
    const ids = items.getChild('pubsub')?.getChild('items')?.getChildren('item').map((i) => i.attrs.id) ?? [];
    assert.ok(!ids.includes(from('trip')), `bookmark retracted: ${items.toString()}`);

    // A temporary group nobody is in when its lifetime passes is swept.
    await createRoom(mary, 'blink', 'Mary', [field('tern#roomconfig_lifetime', '1'), field('muc#roomconfig_persistentroom', '1')]);
    await leave(mary, 'blink', 'Mary');
    assert.equal((await mary.iq(xml('iq', { type: 'get', to: from('blink') }, xml('query', { xmlns: INFO })))).attrs.type, 'result');
    await sleep(2300);
    assert.equal(errorCondition(await mary.iq(xml('iq', { type: 'get', to: from('blink') }, xml('query', { xmlns: INFO })))), 'item-not-found');
  });

  it('seed 5.18: public chat with screen names: registered nickname, 409 with suggestions, real JIDs hidden, kick by occupant id, rooms for minors, operator lookup', async () => {
    const julia = await login('julia');
    const tina = await login('tina');
    const ian = await login('ian');
    const vc = await tina.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('NICKNAME', {}, 'Tee'))));
    assert.equal(vc.attrs.type, 'result');
    await createRoom(julia, 'plaza', 'Mod', [field('tern#roomconfig_minors', '1'), field('muc#roomconfig_roomname', 'Plaza')]);
    // §7.12: the registered nickname as the reserved nick.
    const rn = await tina.iq(xml('iq', { type: 'get', to: from('plaza') }, xml('query', { xmlns: INFO, node: 'x-roomuser-item' })));
    assert.equal(rn.getChild('query')!.getChild('identity')?.attrs.name, 'Tee');
    const none = await ian.iq(xml('iq', { type: 'get', to: from('plaza') }, xml('query', { xmlns: INFO, node: 'x-roomuser-item' })));
    assert.equal(none.getChild('query')!.getChild('identity'), undefined, 'no vCard nickname, no identity');
    const tp = await enter(tina, 'plaza', 'Tee');
    assert.equal(item(tp)?.attrs.jid, undefined, 'semi-anonymous: no real JIDs for participants');

    // The nick is taken: 409 with free suggestions.
    const clash = await enter(ian, 'plaza', 'Tee');
    assert.equal(errorCondition(clash), 'conflict');
    const sugg = clash.getChild('error')!.getChild('suggestions', 'urn:x-tern:muc:0')!.getChildren('nick').map((n) => n.text());
    assert.ok(sugg.length >= 1 && !sugg.includes('Tee'), sugg.join());
    assert.match(clash.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /free: /);
    const tSees = tina.inbox.next(presenceFrom('plaza', sugg[0]!), 5000, 'the newcomer');
    const mSees = julia.inbox.next(presenceFrom('plaza', sugg[0]!), 5000, 'the newcomer, for the moderator');
    const ip = await enter(ian, 'plaza', sugg[0]!);
    assert.equal(ip.attrs.type, undefined, 'a suggestion is free');
    assert.equal(item(await tSees)?.attrs.jid, undefined);
    const seen = await mSees;
    assert.equal(item(seen)?.attrs.jid, ian.jid, 'moderators see real JIDs');

    // Rooms for minors: no private messages from non-members.
    await ian.send(xml('message', { to: from('plaza', 'Tee'), type: 'chat', id: 'pm1' }, xml('body', {}, 'hey kid')));
    const refusedPm = await ian.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error' && el.attrs.id === 'pm1');
    assert.equal(errorCondition(refusedPm), 'forbidden');

    // The operator log names the account behind the screen name; occupants never see it.
    const oid = oidOf(seen)!;
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      line = server.logs.find((l) => l.occupantId === oid && l.nick === sugg[0]);
      if (!line) await sleep(100); // the harness reads the server's log asynchronously
    }
    assert.equal(line?.jid, 'ian@localhost');

    // Kick by occupant id (Tern's extension of §8.2).
    const kicked = ian.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && codes(el).includes('307'), 5000, 'kicked');
    const k = await julia.iq(xml('iq', { type: 'set', to: from('plaza') }, xml('query', { xmlns: ADMIN }, xml('item', { role: 'none' }, xml('occupant-id', { xmlns: OID, id: oid }), xml('reason', {}, 'rogue')))));
    assert.equal(k.attrs.type, 'result', k.toString());
    await kicked;
    const nobody = await julia.iq(xml('iq', { type: 'set', to: from('plaza') }, xml('query', { xmlns: ADMIN }, xml('item', { role: 'none' }, xml('occupant-id', { xmlns: OID, id: 'nobody' })))));
    assert.equal(errorCondition(nobody), 'item-not-found');
    // Ban by occupant id: the ban list holds the real JID.
    const iSees = await enter(ian, 'plaza', 'Ian');
    assert.equal(iSees.attrs.type, undefined);
    const banned = ian.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'unavailable' && codes(el).includes('301'), 5000, 'banned');
    const b = await julia.iq(xml('iq', { type: 'set', to: from('plaza') }, xml('query', { xmlns: ADMIN }, xml('item', { affiliation: 'outcast' }, xml('occupant-id', { xmlns: OID, id: oid })))));
    assert.equal(b.attrs.type, 'result', b.toString());
    await banned;
    assert.equal(errorCondition(await enter(ian, 'plaza', 'Ian')), 'forbidden');
  });

  it('seed 5.18: the operator turns public chat off server-wide: public rooms are unjoinable, none can be made public', async () => {
    let julia = await login('julia');
    await createRoom(julia, 'agora', 'Julia', [field('muc#roomconfig_persistentroom', '1')]);
    await createRoom(julia, 'backroom', 'Julia', [field('muc#roomconfig_persistentroom', '1'), field('muc#roomconfig_publicroom', '0')]);
    await leave(julia, 'agora', 'Julia');
    await leave(julia, 'backroom', 'Julia');
    for (const c of clients.splice(0)) await c.stop();
    const cfg = JSON.parse(readFileSync(server.configPath, 'utf8')) as { hosts: Array<{ muc?: Record<string, unknown> }> };
    cfg.hosts[0]!.muc = { ...cfg.hosts[0]!.muc, public_rooms: false };
    writeFileSync(server.configPath, JSON.stringify(cfg, null, 2));
    try {
      await server.restart();
      julia = await login('julia');
      const romeo = await login('romeo');
      const no = await enter(romeo, 'agora', 'Romeo');
      assert.equal(errorCondition(no), 'not-allowed');
      assert.match(no.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /public chat/);
      assert.equal((await enter(romeo, 'backroom', 'Romeo')).attrs.type, undefined, 'hidden rooms still work');
      const listed = await romeo.iq(xml('iq', { type: 'get', to: SVC }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
      assert.deepEqual(listed.getChild('query')!.getChildren('item'), [], 'no room is listed');
      const mk = await julia.iq(xml('iq', { type: 'set', to: from('backroom') }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: DATA, type: 'submit' }, field('muc#roomconfig_publicroom', '1')))));
      assert.equal(errorCondition(mk), 'not-acceptable');
      // New rooms are hidden by default.
      await createRoom(julia, 'newroom', 'Julia');
      const info = await julia.iq(xml('iq', { type: 'get', to: from('newroom') }, xml('query', { xmlns: INFO })));
      assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === 'muc_hidden'));
    } finally {
      cfg.hosts[0]!.muc = { ...cfg.hosts[0]!.muc, public_rooms: true };
      writeFileSync(server.configPath, JSON.stringify(cfg, null, 2));
    }
  });
});

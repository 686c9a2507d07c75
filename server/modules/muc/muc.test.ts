/** XEP-0045 Multi-User Chat end to end: real server, several @xmpp/client occupants. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, type TestClient, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';
import { ADMIN, codes, configure, createRoom, DATA, enter, field, from, groupchat, item, leave, MUC, OWNER, presenceFrom, subjectMsg, SVC, USER } from '../../../test/harness/muc.js';

const adminIq = (room: string, type: 'get' | 'set', ...items: Element[]) => xml('iq', { type, to: from(room) }, xml('query', { xmlns: ADMIN }, ...items));

describe('multi-user chat (XEP-0045) @e2e', function () {
  this.timeout(60_000);
  let server: TestServer;
  const users = ['julia', 'romeo', 'maria', 'ian', 'tina'];
  const clients: TestClient[] = [];
  const login = async (u: string, resource = 'r') => {
    const c = await connect(server, u, `${u}-pass`, { resource });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'open', muc: { message_rate: 1, message_burst: 8, max_message_bytes: 2048 } }] } });
    for (const u of users) await createUser(server, u, `${u}-pass`);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
  });
  after(async () => { await server?.cleanup(); });

  it('is a conference service in disco, lists public rooms and describes a room (§6)', async () => {
    const julia = await login('julia');
    const items = await julia.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    assert.ok(items.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === SVC), items.toString());
    const info = await julia.iq(xml('iq', { type: 'get', to: SVC }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const q = info.getChild('query')!;
    assert.equal(q.getChild('identity')!.attrs.category, 'conference');
    assert.equal(q.getChild('identity')!.attrs.type, 'text');
    assert.ok(q.getChildren('feature').some((f) => f.attrs.var === MUC));

    await createRoom(julia, 'lobby', 'Julia', [field('muc#roomconfig_roomname', 'The Lobby'), field('muc#roomconfig_roomdesc', 'Say hi')]);
    await createRoom(julia, 'secret', 'Julia', [field('muc#roomconfig_publicroom', '0')]);
    const listed = await julia.iq(xml('iq', { type: 'get', to: SVC }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    const rooms = listed.getChild('query')!.getChildren('item').map((i) => `${i.attrs.jid}|${i.attrs.name}`);
    assert.ok(rooms.includes(`lobby@${SVC}|The Lobby`), rooms.join());
    assert.ok(!rooms.some((r) => r.startsWith('secret@')), 'hidden rooms are not listed');

    const rinfo = await julia.iq(xml('iq', { type: 'get', to: from('lobby') }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const rq = rinfo.getChild('query')!;
    assert.equal(rq.getChild('identity')!.attrs.name, 'The Lobby');
    const feats = rq.getChildren('feature').map((f) => f.attrs.var);
    for (const f of [MUC, 'muc_public', 'muc_temporary', 'muc_unsecured', 'muc_open', 'muc_unmoderated', 'muc_semianonymous']) assert.ok(feats.includes(f), `${f} in ${feats.join()}`);
    const form = rq.getChild('x', DATA)!;
    const desc = form.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_description');
    assert.equal(desc?.getChildText('value'), 'Say hi');
    assert.equal(form.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_occupants')?.getChildText('value'), '1');

    const none = await julia.iq(xml('iq', { type: 'get', to: from('nosuchroom') }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal(errorCondition(none), 'item-not-found');
  });

  it('seed 5.9: Julia creates a members-only group, invites Romeo and (offline) Maria, members have limited privileges and leave at any time', async () => {
    const julia = await login('julia');
    const romeo = await login('romeo');
    await createRoom(julia, 'family', 'Julia', [field('muc#roomconfig_membersonly', '1'), field('muc#roomconfig_roomname', 'Family')]);

    // Not invited yet: members-only (§7.2.7).
    const refused = await enter(romeo, 'family', 'Romeo');
    assert.equal(refused.attrs.type, 'error');
    assert.equal(errorCondition(refused), 'registration-required');
    assert.equal(refused.getChild('error')!.attrs.type, 'auth');

    // Mediated invitations (§7.8.2): Romeo online, Maria offline.
    const invite = (to: string) => xml('message', { to: from('family') }, xml('x', { xmlns: USER }, xml('invite', { to }, xml('reason', {}, 'Family chat'))));
    await julia.send(invite('romeo@localhost'));
    await julia.send(invite('maria@localhost'));
    const inv = await romeo.inbox.next((el) => el.name === 'message' && el.getChild('x', USER)?.getChild('invite') !== undefined, 5000, 'the invitation');
    assert.equal(inv.attrs.from, from('family'));
    assert.equal(inv.getChild('x', USER)!.getChild('invite')!.attrs.from, julia.jid);
    assert.equal(inv.getChild('x', USER)!.getChild('invite')!.getChildText('reason'), 'Family chat');

    // The invitation made Romeo a member (the inviter is the owner).
    const p = await enter(romeo, 'family', 'Romeo');
    assert.deepEqual(codes(p), ['110']);
    assert.equal(item(p)?.attrs.affiliation, 'member');
    assert.equal(item(p)?.attrs.role, 'participant');
    const seen = await julia.inbox.next(presenceFrom('family', 'Romeo'), 5000, "Romeo's presence");
    assert.equal(item(seen)?.attrs.jid, romeo.jid, 'the owner, a moderator, sees the real JID');

    // Maria logs in later and finds the invitation in offline storage (PP-30).
    const maria = await login('maria');
    const stored = await maria.inbox.next((el) => el.name === 'message' && el.getChild('x', USER)?.getChild('invite') !== undefined, 5000, "Maria's stored invitation");
    assert.ok(stored.getChild('delay', 'urn:xmpp:delay'), 'delivered from offline storage');
    await enter(maria, 'family', 'Maria');

    // Chat: everybody gets every message, from the sender's occupant JID.
    await romeo.send(xml('message', { to: from('family'), type: 'groupchat' }, xml('body', {}, 'Hi all')));
    for (const c of [julia, romeo, maria]) {
      const m = await c.inbox.next(groupchat('Hi all'), 5000, 'the groupchat message');
      assert.equal(m.attrs.from, from('family', 'Romeo'));
    }

    // Limited privileges: a member cannot kick, configure, or invite (allowinvites is off).
    const kick = await romeo.iq(adminIq('family', 'set', xml('item', { nick: 'Maria', role: 'none' })));
    assert.equal(errorCondition(kick), 'forbidden');
    const cfg = await romeo.iq(xml('iq', { type: 'get', to: from('family') }, xml('query', { xmlns: OWNER })));
    assert.equal(errorCondition(cfg), 'forbidden');
    const err = romeo.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error', 5000, 'the invite error');
    await romeo.send(invite('ian@localhost'));
    assert.equal(errorCondition(await err), 'forbidden');

    // Maria declines nothing; Romeo leaves at any time: everyone sees it, Romeo with 110.
    const own = await leave(romeo, 'family', 'Romeo');
    assert.deepEqual(codes(own), ['110']);
    const gone = await maria.inbox.next(presenceFrom('family', 'Romeo', 'unavailable'), 5000, 'Romeo leaving');
    assert.equal(item(gone)?.attrs.role, 'none');
    assert.equal(item(gone)?.attrs.jid, undefined, 'a participant does not see real JIDs');

    // The owner's member list has both members.
    const list = await julia.iq(adminIq('family', 'get', xml('item', { affiliation: 'member' })));
    assert.deepEqual(list.getChild('query')!.getChildren('item').map((i) => i.attrs.jid).sort(), ['maria@localhost', 'romeo@localhost']);
  });

  it('declines an invitation back to the inviter (§7.8.2)', async () => {
    const julia = await login('julia');
    const ian = await login('ian');
    await createRoom(julia, 'party', 'Julia');
    await julia.send(xml('message', { to: from('party') }, xml('x', { xmlns: USER }, xml('invite', { to: 'ian@localhost' }))));
    await ian.inbox.next((el) => el.getChild('x', USER)?.getChild('invite') !== undefined, 5000, 'the invitation');
    await ian.send(xml('message', { to: from('party') }, xml('x', { xmlns: USER }, xml('decline', { to: julia.jid }, xml('reason', {}, 'Busy')))));
    const d = await julia.inbox.next((el) => el.getChild('x', USER)?.getChild('decline') !== undefined, 5000, 'the decline');
    assert.equal(d.getChild('x', USER)!.getChild('decline')!.attrs.from, 'ian@localhost');
    assert.equal(d.getChild('x', USER)!.getChild('decline')!.getChildText('reason'), 'Busy');
    // A decline nobody asked for is refused.
    const e = ian.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error', 5000, 'error');
    await ian.send(xml('message', { to: from('party') }, xml('x', { xmlns: USER }, xml('decline', { to: 'tina@localhost' }))));
    assert.equal(errorCondition(await e), 'not-acceptable');
  });

  it('refuses a nick in use (409), changes nicks with 303 (§7.6) and exits with 110 (§7.14)', async () => {
    const julia = await login('julia');
    const tina = await login('tina');
    await createRoom(julia, 'nicks', 'Julia');
    const clash = await enter(tina, 'nicks', 'Julia');
    assert.equal(errorCondition(clash), 'conflict');
    assert.equal(clash.getChild('error')!.attrs.type, 'cancel');
    await enter(tina, 'nicks', 'Tina');
    await julia.inbox.next(presenceFrom('nicks', 'Tina'));

    const clash2 = tina.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'error', 5000, 'nick change error');
    await tina.send(xml('presence', { to: from('nicks', 'Julia') }));
    assert.equal(errorCondition(await clash2), 'conflict');

    await tina.send(xml('presence', { to: from('nicks', 'Tiny') }));
    const old = await julia.inbox.next(presenceFrom('nicks', 'Tina', 'unavailable'));
    assert.deepEqual(codes(old), ['303']);
    assert.equal(item(old)?.attrs.nick, 'Tiny');
    const ownOld = await tina.inbox.next(presenceFrom('nicks', 'Tina', 'unavailable'));
    assert.deepEqual(codes(ownOld).sort(), ['110', '303']);
    await julia.inbox.next(presenceFrom('nicks', 'Tiny'));
    const ownNew = await tina.inbox.next(presenceFrom('nicks', 'Tiny'));
    assert.deepEqual(codes(ownNew), ['110']);

    // A presence update (§7.7) reaches everyone.
    await tina.send(xml('presence', { to: from('nicks', 'Tiny') }, xml('show', {}, 'away')));
    const upd = await julia.inbox.next(presenceFrom('nicks', 'Tiny'));
    assert.equal(upd.getChildText('show'), 'away');

    // Entering without a nick is jid-malformed (§7.2.1).
    const nonick = tina.inbox.next((el) => el.name === 'presence' && el.attrs.type === 'error', 5000, 'no-nick error');
    await tina.send(xml('presence', { to: from('nicks') }, xml('x', { xmlns: MUC })));
    assert.equal(errorCondition(await nonick), 'jid-malformed');
  });

  it('semi-anonymous rooms hide real JIDs from participants, not from moderators; non-anonymous rooms say 100', async () => {
    const julia = await login('julia');
    const romeo = await login('romeo');
    const maria = await login('maria');
    await createRoom(julia, 'masks', 'Julia');
    await enter(romeo, 'masks', 'Romeo');
    const seenByOwner = await julia.inbox.next(presenceFrom('masks', 'Romeo'));
    assert.equal(item(seenByOwner)?.attrs.jid, romeo.jid);
    const listIn = maria.inbox.next(presenceFrom('masks', 'Romeo'), 5000, 'occupant list');
    const ownerIn = maria.inbox.next(presenceFrom('masks', 'Julia'), 5000, 'occupant list');
    const self = await enter(maria, 'masks', 'Maria');
    assert.ok(!codes(self).includes('100'));
    assert.equal(item(await listIn)?.attrs.jid, undefined);
    assert.equal(item(await ownerIn)?.attrs.jid, undefined);
    const romeoSees = await romeo.inbox.next(presenceFrom('masks', 'Maria'));
    assert.equal(item(romeoSees)?.attrs.jid, undefined);

    await createRoom(julia, 'open-faces', 'Julia', [field('muc#roomconfig_whois', 'anyone')]);
    const p = await enter(romeo, 'open-faces', 'Romeo');
    assert.deepEqual(codes(p).sort(), ['100', '110']);
    assert.equal(item(p)?.attrs.jid, romeo.jid);
  });

  it('kicks (307) and bans (301); the banned cannot come back (403); nobody kicks an owner', async () => {
    const julia = await login('julia');
    const romeo = await login('romeo');
    const ian = await login('ian');
    await createRoom(julia, 'dojo', 'Julia');
    await enter(romeo, 'dojo', 'Romeo');
    await enter(ian, 'dojo', 'Ian');

    const r = await julia.iq(adminIq('dojo', 'set', xml('item', { nick: 'Ian', role: 'none' }, xml('reason', {}, 'Rude'))));
    assert.equal(r.attrs.type, 'result', r.toString());
    const kicked = await ian.inbox.next(presenceFrom('dojo', 'Ian', 'unavailable'));
    assert.deepEqual(codes(kicked).sort(), ['110', '307']);
    assert.equal(item(kicked)?.getChildText('reason'), 'Rude');
    assert.equal(item(kicked)?.getChild('actor')?.attrs.nick, 'Julia');
    const others = await romeo.inbox.next(presenceFrom('dojo', 'Ian', 'unavailable'));
    assert.deepEqual(codes(others), ['307']);

    // A kicked user may come back; a banned one may not.
    await enter(ian, 'dojo', 'Ian');
    const b = await julia.iq(adminIq('dojo', 'set', xml('item', { jid: 'ian@localhost', affiliation: 'outcast' })));
    assert.equal(b.attrs.type, 'result', b.toString());
    const banned = await ian.inbox.next(presenceFrom('dojo', 'Ian', 'unavailable'));
    assert.deepEqual(codes(banned).sort(), ['110', '301']);
    assert.equal(item(banned)?.attrs.affiliation, 'outcast');
    const back = await enter(ian, 'dojo', 'Ian');
    assert.equal(errorCondition(back), 'forbidden');
    assert.equal(back.getChild('error')!.attrs.type, 'auth');
    const bans = await julia.iq(adminIq('dojo', 'get', xml('item', { affiliation: 'outcast' })));
    assert.deepEqual(bans.getChild('query')!.getChildren('item').map((i) => i.attrs.jid), ['ian@localhost']);

    // A participant may not kick; a moderator who is not an owner may not kick an owner.
    const notMod = await romeo.iq(adminIq('dojo', 'set', xml('item', { nick: 'Julia', role: 'none' })));
    assert.equal(errorCondition(notMod), 'forbidden');
    await julia.iq(adminIq('dojo', 'set', xml('item', { jid: 'romeo@localhost', affiliation: 'admin' })));
    const promoted = await romeo.inbox.next((el) => presenceFrom('dojo', 'Romeo')(el) && item(el)?.attrs.role === 'moderator');
    assert.equal(item(promoted)?.attrs.affiliation, 'admin');
    const noOwnerKick = await romeo.iq(adminIq('dojo', 'set', xml('item', { nick: 'Julia', role: 'none' })));
    assert.equal(errorCondition(noOwnerKick), 'not-allowed');
    // Nor may an admin make owners, and the last owner cannot step down.
    const mkOwner = await romeo.iq(adminIq('dojo', 'set', xml('item', { jid: 'ian@localhost', affiliation: 'owner' })));
    assert.equal(errorCondition(mkOwner), 'forbidden');
    const lastOwner = await julia.iq(adminIq('dojo', 'set', xml('item', { jid: 'julia@localhost', affiliation: 'admin' })));
    assert.equal(errorCondition(lastOwner), 'conflict');
  });

  it('moderated rooms: visitors have no voice until granted (§8.3-§8.4); subject changes follow changesubject (§8.1)', async () => {
    const julia = await login('julia');
    const romeo = await login('romeo');
    await createRoom(julia, 'stage', 'Julia', [field('muc#roomconfig_moderatedroom', '1')]);
    const p = await enter(romeo, 'stage', 'Romeo');
    assert.equal(item(p)?.attrs.role, 'visitor');
    const e = romeo.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error', 5000, 'error');
    await romeo.send(xml('message', { to: from('stage'), type: 'groupchat' }, xml('body', {}, 'can I talk?')));
    assert.equal(errorCondition(await e), 'forbidden');
    await julia.iq(adminIq('stage', 'set', xml('item', { nick: 'Romeo', role: 'participant' })));
    const voiced = await romeo.inbox.next(presenceFrom('stage', 'Romeo'));
    assert.equal(item(voiced)?.attrs.role, 'participant');
    await romeo.send(xml('message', { to: from('stage'), type: 'groupchat' }, xml('body', {}, 'now I can')));
    await julia.inbox.next(groupchat('now I can'));

    // Subject: participants may not (changesubject off), the moderator may; newcomers get it.
    const se = romeo.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error', 5000, 'error');
    await romeo.send(xml('message', { to: from('stage'), type: 'groupchat' }, xml('subject', {}, 'Mine')));
    assert.equal(errorCondition(await se), 'forbidden');
    await julia.send(xml('message', { to: from('stage'), type: 'groupchat' }, xml('subject', {}, 'Opening night')));
    const s = await romeo.inbox.next(subjectMsg('stage'));
    assert.equal(s.getChildText('subject'), 'Opening night');
    assert.equal(s.attrs.from, from('stage', 'Julia'));
  });

  it('private messages within the room (§7.5), and the allowpm option', async () => {
    const julia = await login('julia');
    const romeo = await login('romeo');
    const tina = await login('tina');
    await createRoom(julia, 'whisper', 'Julia');
    await enter(romeo, 'whisper', 'Romeo');
    await romeo.send(xml('message', { to: from('whisper', 'Julia'), type: 'chat' }, xml('body', {}, 'psst')));
    const pm = await julia.inbox.next((el) => el.name === 'message' && el.getChildText('body') === 'psst');
    assert.equal(pm.attrs.from, from('whisper', 'Romeo'));
    assert.ok(pm.getChild('x', USER));
    const err = (c: TestClient) => c.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error', 5000, 'error');
    let e = err(romeo);
    await romeo.send(xml('message', { to: from('whisper', 'Nobody'), type: 'chat' }, xml('body', {}, 'hello?')));
    assert.equal(errorCondition(await e), 'item-not-found');
    e = err(tina);
    await tina.send(xml('message', { to: from('whisper', 'Julia'), type: 'chat' }, xml('body', {}, 'not in room')));
    assert.equal(errorCondition(await e), 'not-acceptable');
    e = err(romeo);
    await romeo.send(xml('message', { to: from('whisper', 'Julia'), type: 'groupchat' }, xml('body', {}, 'wrong type')));
    assert.equal(errorCondition(await e), 'bad-request');
    // A non-occupant cannot speak in the room either.
    e = err(tina);
    await tina.send(xml('message', { to: from('whisper'), type: 'groupchat' }, xml('body', {}, 'outsider')));
    assert.equal(errorCondition(await e), 'not-acceptable');

    assert.equal((await configure(julia, 'whisper', [field('muc#roomconfig_allowpm', 'none')])).attrs.type, 'result');
    const notice = await romeo.inbox.next((el) => el.name === 'message' && codes(el).includes('104'));
    assert.equal(notice.attrs.from, from('whisper'));
    e = err(romeo);
    await romeo.send(xml('message', { to: from('whisper', 'Julia'), type: 'chat' }, xml('body', {}, 'psst again')));
    assert.equal(errorCondition(await e), 'forbidden');
  });

  it('sends discussion history on entry, limited by maxstanzas, with delay stamps (§7.2.12-§7.2.15)', async () => {
    const julia = await login('julia');
    const romeo = await login('romeo');
    await createRoom(julia, 'story', 'Julia');
    for (const b of ['one', 'two', 'three']) {
      await julia.send(xml('message', { to: from('story'), type: 'groupchat' }, xml('body', {}, b)));
      await julia.inbox.next(groupchat(b));
    }
    await enter(romeo, 'story', 'Romeo', [xml('history', { maxstanzas: '2' })]);
    const got = romeo.inbox.all().filter((el) => el.name === 'message' && el.getChild('body'));
    assert.deepEqual(got.map((m) => m.getChildText('body')), ['two', 'three']);
    for (const m of got) {
      assert.equal(m.attrs.from, from('story', 'Julia'));
      assert.equal(m.getChild('delay', 'urn:xmpp:delay')?.attrs.from, from('story'));
    }
    const maria = await login('maria');
    await enter(maria, 'story', 'Maria', [xml('history', { maxstanzas: '0' })]);
    assert.equal(maria.inbox.all().filter((el) => el.name === 'message' && el.getChild('body')).length, 0);
  });

  it('password (401) and max users (503) guard the door', async () => {
    const julia = await login('julia');
    const romeo = await login('romeo');
    const maria = await login('maria');
    await createRoom(julia, 'vault', 'Julia', [field('muc#roomconfig_passwordprotectedroom', '1'), field('muc#roomconfig_roomsecret', 'sesame'), field('muc#roomconfig_maxusers', '2')]);
    const noPw = await enter(romeo, 'vault', 'Romeo');
    assert.equal(errorCondition(noPw), 'not-authorized');
    const wrong = await enter(romeo, 'vault', 'Romeo', [xml('password', {}, 'open')]);
    assert.equal(errorCondition(wrong), 'not-authorized');
    const ok = await enter(romeo, 'vault', 'Romeo', [xml('password', {}, 'sesame')]);
    assert.deepEqual(codes(ok), ['110']);
    const full = await enter(maria, 'vault', 'Maria', [xml('password', {}, 'sesame')]);
    assert.equal(errorCondition(full), 'service-unavailable');
    // A value out of policy in the form is not-acceptable, and nothing of that form applies.
    const bad = await configure(julia, 'vault', [field('muc#roomconfig_roomname', 'Changed'), field('muc#roomconfig_maxusers', '100000')]);
    assert.equal(errorCondition(bad), 'not-acceptable');
    const form = await julia.iq(xml('iq', { type: 'get', to: from('vault') }, xml('query', { xmlns: OWNER })));
    const f = form.getChild('query')!.getChild('x', DATA)!;
    assert.equal(f.getChildren('field').find((x) => x.attrs.var === 'muc#roomconfig_roomname')?.getChildText('value'), '');
    for (const v of ['muc#roomconfig_roomname', 'muc#roomconfig_roomdesc', 'muc#roomconfig_lang', 'muc#roomconfig_publicroom', 'muc#roomconfig_persistentroom',
      'muc#roomconfig_passwordprotectedroom', 'muc#roomconfig_roomsecret', 'muc#roomconfig_membersonly', 'muc#roomconfig_moderatedroom', 'muc#roomconfig_maxusers',
      'muc#roomconfig_whois', 'muc#roomconfig_changesubject', 'muc#roomconfig_allowinvites', 'muc#roomconfig_allowpm', 'muc#maxhistoryfetch',
      'muc#roomconfig_enablelogging', 'muc#roomconfig_allowvoicerequests']) {
      assert.ok(f.getChildren('field').some((x) => x.attrs.var === v), `${v} in the form`);
    }
  });

  it('limits message size (policy-violation) and rate (resource-constraint, wait)', async () => {
    const julia = await login('julia');
    await createRoom(julia, 'limits', 'Julia');
    const err = () => julia.inbox.next((el) => el.name === 'message' && el.attrs.type === 'error', 5000, 'error');
    let e = err();
    await julia.send(xml('message', { to: from('limits'), type: 'groupchat' }, xml('body', {}, 'x'.repeat(3000))));
    const big = await e;
    assert.equal(errorCondition(big), 'policy-violation');
    e = err();
    for (let i = 0; i < 12; i++) await julia.send(xml('message', { to: from('limits'), type: 'groupchat' }, xml('body', {}, `m${i}`)));
    const slow = await e;
    assert.equal(errorCondition(slow), 'resource-constraint');
    assert.equal(slow.getChild('error')!.attrs.type, 'wait');
  });

  it('destroys a room with an alternate venue (§10.9)', async () => {
    const julia = await login('julia');
    const romeo = await login('romeo');
    await createRoom(julia, 'oldplace', 'Julia');
    await enter(romeo, 'oldplace', 'Romeo');
    const r = await julia.iq(xml('iq', { type: 'set', to: from('oldplace') }, xml('query', { xmlns: OWNER },
      xml('destroy', { jid: `newplace@${SVC}` }, xml('reason', {}, 'We moved')))));
    assert.equal(r.attrs.type, 'result', r.toString());
    const p = await romeo.inbox.next(presenceFrom('oldplace', 'Romeo', 'unavailable'));
    const d = p.getChild('x', USER)!.getChild('destroy')!;
    assert.equal(d.attrs.jid, `newplace@${SVC}`);
    assert.equal(d.getChildText('reason'), 'We moved');
    assert.equal(item(p)?.attrs.affiliation, 'none');
    assert.equal(item(p)?.attrs.role, 'none');
    const info = await romeo.iq(xml('iq', { type: 'get', to: from('oldplace') }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal(errorCondition(info), 'item-not-found');
    // Only owners destroy.
    await createRoom(julia, 'keep', 'Julia');
    const no = await romeo.iq(xml('iq', { type: 'set', to: from('keep') }, xml('query', { xmlns: OWNER }, xml('destroy'))));
    assert.equal(errorCondition(no), 'forbidden');
  });

  it('keeps persistent rooms with their configuration and affiliations across a restart; temporary rooms vanish', async () => {
    let julia = await login('julia');
    await createRoom(julia, 'club', 'Julia', [field('muc#roomconfig_persistentroom', '1'), field('muc#roomconfig_membersonly', '1'), field('muc#roomconfig_roomname', 'Book club')]);
    await julia.iq(adminIq('club', 'set', xml('item', { jid: 'maria@localhost', affiliation: 'member' })));
    await julia.send(xml('message', { to: from('club'), type: 'groupchat' }, xml('subject', {}, 'Dune')));
    await julia.inbox.next(subjectMsg('club'));
    await createRoom(julia, 'pop-up', 'Julia');
    await leave(julia, 'pop-up', 'Julia');
    const gone = await julia.iq(xml('iq', { type: 'get', to: from('pop-up') }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal(errorCondition(gone), 'item-not-found', 'a temporary room goes with its last occupant');
    await leave(julia, 'club', 'Julia');
    for (const c of clients.splice(0)) await c.stop();

    await server.restart();
    const maria = await login('maria');
    const info = await maria.iq(xml('iq', { type: 'get', to: from('club') }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal(info.attrs.type, 'result', info.toString());
    assert.equal(info.getChild('query')!.getChild('identity')!.attrs.name, 'Book club');
    const p = await enter(maria, 'club', 'Maria');
    assert.equal(item(p)?.attrs.affiliation, 'member');
    const romeo = await login('romeo');
    assert.equal(errorCondition(await enter(romeo, 'club', 'Romeo')), 'registration-required');
    julia = await login('julia');
    const again = await enter(julia, 'club', 'Julia');
    assert.equal(item(again)?.attrs.affiliation, 'owner');
    assert.ok(!codes(again).includes('201'));
  });
});

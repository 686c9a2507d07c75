/** XEP-0077 in-band registration end to end over STARTTLS: modes, policy, password change, removal. */
import assert from 'node:assert/strict';
import { connect, createUser, type Element, errorCondition, RawClient, register, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const NS = 'jabber:iq:register';
const NS_DATA = 'jabber:x:data';
const FEATURE = 'http://jabber.org/features/iq-register';

/** Opens a stream, upgrades it with STARTTLS and returns the features then offered. */
async function unauthenticated(server: TestServer): Promise<{ raw: RawClient; features: Element }> {
  const raw = await RawClient.connect(server.port);
  await raw.openStream(server.domain);
  return { raw, features: await raw.startTls(server.domain) };
}

async function ask(raw: RawClient, id: string, iq: string): Promise<Element> {
  raw.write(iq);
  return raw.inbox.next((el) => el.name === 'iq' && el.attrs.id === id, 5000, `reply to ${id}`);
}

const setCredentials = (id: string, username: string, password: string, to = '') =>
  `<iq type='set' id='${id}'${to ? ` to='${to}'` : ''}><query xmlns='${NS}'><username>${username}</username><password>${password}</password></query></iq>`;

describe('in-band registration (XEP-0077) @e2e', function () {
  this.timeout(30_000);

  describe("open, with the seed's policy", () => {
    let server: TestServer;
    before(async () => {
      // Seed §5.1 step 11: screen names of 5–10 letters and digits, passwords of 6–8 characters.
      server = await startServer({
        config: {
          hosts: [{
            domain: 'localhost', registration: 'open',
            username_policy: { min_length: 5, max_length: 10, pattern: '^[A-Za-z0-9]+$' },
            password_policy: { min_length: 6, max_length: 8 },
          }],
        },
      });
    });
    after(async () => { await server?.cleanup(); });

    it('advertises registration after STARTTLS and describes the policy in the form and its data form', async () => {
      const { raw, features } = await unauthenticated(server);
      assert.ok(features.getChild('register', FEATURE));
      const form = await ask(raw, 'f1', `<iq type='get' id='f1' to='localhost'><query xmlns='${NS}'/></iq>`);
      assert.equal(form.attrs.type, 'result');
      const q = form.getChild('query', NS)!;
      assert.ok(q.getChild('username') && q.getChild('password'));
      assert.match(q.getChildText('instructions')!, /Username: 5–10 letters and digits\. Password: 6–8 characters\./);
      const x = q.getChild('x', NS_DATA)!;
      assert.deepEqual(x.getChildren('field').map((f) => f.attrs.var), ['FORM_TYPE', 'username', 'password']);
      raw.end();
    });

    it('creates an account that can log in; the name is then taken, whatever its case', async () => {
      const ok = await register(server, 'ivy2024', 'ivy-pass');
      assert.equal(ok.attrs.type, 'result');
      await (await connect(server, 'ivy2024', 'ivy-pass')).stop();
      const again = await register(server, 'IVY2024', 'other-pw');
      assert.equal(errorCondition(again), 'conflict');
      assert.equal(again.getChild('error')!.attrs.type, 'cancel');
    });

    it('accepts a submitted data form instead of the plain fields (§4)', async () => {
      const { raw } = await unauthenticated(server);
      const r = await ask(raw, 'x1', `<iq type='set' id='x1'><query xmlns='${NS}'><x xmlns='${NS_DATA}' type='submit'>`
        + `<field var='FORM_TYPE'><value>${NS}</value></field><field var='username'><value>formuser</value></field>`
        + `<field var='password'><value>form-pw</value></field></x></query></iq>`);
      assert.equal(r.attrs.type, 'result');
      raw.end();
      await (await connect(server, 'formuser', 'form-pw')).stop();
    });

    it('refuses what the policy forbids and incomplete requests with not-acceptable', async () => {
      for (const [u, p, why] of [['bob', 'Divedeep', 'name too short'], ['bob_the_diver', 'Divedeep', 'name too long'], ['bob.diver', 'Divedeep', 'not letters and digits'],
        ['scubabob', 'Dive', 'password too short'], ['scubabob', 'Divedeeper', 'password too long']]) {
        const r = await register(server, u!, p!);
        assert.equal(errorCondition(r), 'not-acceptable', why);
        assert.equal(r.getChild('error')!.attrs.type, 'modify');
      }
      const { raw } = await unauthenticated(server);
      const missing = await ask(raw, 'm1', `<iq type='set' id='m1'><query xmlns='${NS}'><username>nopass1</username></query></iq>`);
      assert.equal(errorCondition(missing), 'not-acceptable', '§3.1: all requested information is required');
      const empty = await ask(raw, 'm2', `<iq type='set' id='m2'><query xmlns='${NS}'><username>nopass1</username><password/></query></iq>`);
      assert.equal(errorCondition(empty), 'not-acceptable', '§3.1: an empty <password/> is not a password');
      raw.end();
    });

    it('does not register with another domain over this stream', async () => {
      const { raw } = await unauthenticated(server);
      const r = await ask(raw, 'd1', setCredentials('d1', 'elsewhere', 'else-pw', 'example.net'));
      assert.equal(errorCondition(r), 'not-allowed');
      raw.end();
      await assert.rejects(connect(server, 'elsewhere', 'else-pw'), /not-authorized/);
    });

    it('changes the password in-band: the new one works, the old one no longer does', async () => {
      await createUser(server, 'jack1', 'jack-old');
      const c = await connect(server, 'jack1', 'jack-old');
      const info = (await c.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: NS })))).getChild('query', NS)!;
      assert.ok(info.getChild('registered'));
      assert.equal(info.getChildText('username'), 'jack1');
      assert.equal(info.getChildText('password'), '', 'the password is never returned');
      const tooLong = await c.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS }, xml('username', {}, 'jack1'), xml('password', {}, 'much-too-long'))));
      assert.equal(errorCondition(tooLong), 'not-acceptable', 'the policy applies to new passwords');
      const res = await c.iq(xml('iq', { type: 'set', to: server.domain }, xml('query', { xmlns: NS }, xml('username', {}, 'jack1'), xml('password', {}, 'jack-new'))));
      assert.equal(res.attrs.type, 'result');
      await createUser(server, 'kate1', 'kate-pw');
      const other = await c.iq(xml('iq', { type: 'set', to: server.domain }, xml('query', { xmlns: NS }, xml('username', {}, 'kate1'), xml('password', {}, 'hijack'))));
      assert.equal(errorCondition(other), 'not-allowed', "nobody changes someone else's password");
      await c.stop();
      await assert.rejects(connect(server, 'jack1', 'jack-old'), /not-authorized/);
      await (await connect(server, 'jack1', 'jack-new')).stop();
      await (await connect(server, 'kate1', 'kate-pw')).stop();
    });

    it('removes the account: the result, then a not-authorized stream error on every session; the login fails', async () => {
      await createUser(server, 'lena1', 'lena-pw');
      const other = await RawClient.connect(server.port);
      await other.login('lena1', 'lena-pw', 'other');
      const r = await RawClient.connect(server.port);
      await r.login('lena1', 'lena-pw', 'main');
      r.write(`<iq type='set' id='rm'><query xmlns='${NS}'><remove/></query></iq>`);
      assert.equal((await r.inbox.next((el) => el.attrs.id === 'rm')).attrs.type, 'result');
      assert.equal(await r.streamError(), 'not-authorized');
      assert.ok(r.text.indexOf("id='rm'") < r.text.indexOf('<stream:error>'), 'the result comes before the stream error');
      assert.equal(await other.streamError(), 'not-authorized', '§3.2: all active sessions end');
      await r.closed;
      await assert.rejects(connect(server, 'lena1', 'lena-pw'), /not-authorized/);
      assert.equal((await register(server, 'lena1', 'lena-pw2')).attrs.type, 'result', 'the name is free again');
    });
  });

  describe('closed', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'closed' }] } });
      const r = await server.cli(['adduser', 'mona@localhost'], 'mona-password\n');
      assert.equal(r.code, 0, r.stderr);
    });
    after(async () => { await server?.cleanup(); });

    it('does not advertise registration; the form and creation are not-allowed', async () => {
      const { raw, features } = await unauthenticated(server);
      assert.equal(features.getChild('register', FEATURE), undefined);
      const form = await ask(raw, 'g1', `<iq type='get' id='g1'><query xmlns='${NS}'/></iq>`);
      assert.equal(errorCondition(form), 'not-allowed');
      const create = await ask(raw, 's1', setCredentials('s1', 'mallory', 'mallory-pass'));
      assert.equal(errorCondition(create), 'not-allowed');
      assert.equal(create.getChild('error')!.attrs.type, 'cancel');
      raw.end();
      await assert.rejects(connect(server, 'mallory', 'mallory-pass'), /not-authorized/);
    });

    it('still lets a user change the password in-band', async () => {
      const c = await connect(server, 'mona', 'mona-password');
      const r = await c.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS }, xml('username', {}, 'mona'), xml('password', {}, 'mona-new-password'))));
      assert.equal(r.attrs.type, 'result');
      await c.stop();
      await (await connect(server, 'mona', 'mona-new-password')).stop();
    });
  });

  describe('admin', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ config: { hosts: [{ domain: 'localhost', registration: 'admin', admins: ['boss@localhost'] }] } });
      for (const u of ['boss', 'staff']) {
        const r = await server.cli(['adduser', `${u}@localhost`], `${u}-password\n`);
        assert.equal(r.code, 0, r.stderr);
      }
    });
    after(async () => { await server?.cleanup(); });

    it('refuses anonymous registration with not-allowed and does not advertise it', async () => {
      const { raw, features } = await unauthenticated(server);
      assert.equal(features.getChild('register', FEATURE), undefined);
      raw.end();
      assert.equal(errorCondition(await register(server, 'mallory', 'mallory-pass')), 'not-allowed');
    });

    it('lets an admin create accounts in-band, and nobody else', async () => {
      const boss = await connect(server, 'boss', 'boss-password');
      const ok = await boss.iq(xml('iq', { type: 'set', to: server.domain }, xml('query', { xmlns: NS }, xml('username', {}, 'newbie'), xml('password', {}, 'newbie-pass'))));
      assert.equal(ok.attrs.type, 'result');
      const taken = await boss.iq(xml('iq', { type: 'set', to: server.domain }, xml('query', { xmlns: NS }, xml('username', {}, 'staff'), xml('password', {}, 'overwritten'))));
      assert.equal(errorCondition(taken), 'conflict', 'an admin creates accounts, never resets them');
      const staff = await connect(server, 'staff', 'staff-password');
      const no = await staff.iq(xml('iq', { type: 'set', to: server.domain }, xml('query', { xmlns: NS }, xml('username', {}, 'other'), xml('password', {}, 'other-pass'))));
      assert.equal(errorCondition(no), 'not-allowed');
      await (await connect(server, 'newbie', 'newbie-pass')).stop();
      await boss.stop();
      await staff.stop();
      await (await connect(server, 'staff', 'staff-password')).stop();
    });
  });
});

/** XEP-0077 in-band registration end to end: modes, password change, removal, errors. */
import assert from 'node:assert/strict';
import { connect, createUser, errorCondition, RawClient, register, xml } from '../../../test/harness/clients.js';
import { startServer, type TestServer } from '../../../test/harness/server.js';

const NS = 'jabber:iq:register';

describe('in-band registration (XEP-0077) @e2e', function () {
  this.timeout(30_000);

  describe('open', () => {
    let server: TestServer;
    before(async () => { server = await startServer(); });
    after(async () => { await server?.cleanup(); });

    it('advertises registration and returns the form with instructions', async () => {
      const r = await RawClient.connect(server.port);
      await r.openStream();
      const features = await r.startTls();
      assert.ok(features.getChild('register', 'http://jabber.org/features/iq-register'));
      r.write(`<iq type='get' id='f1'><query xmlns='${NS}'/></iq>`);
      const form = await r.inbox.next((el) => el.attrs.id === 'f1');
      const q = form.getChild('query', NS)!;
      assert.ok(q.getChild('username') && q.getChild('password'));
      assert.match(q.getChildText('instructions')!, /Username: 1–64 characters/);
      r.end();
    });

    it('creates an account; a second one with the same name is a conflict; missing fields are bad-request', async () => {
      assert.equal((await register(server, 'ivy', 'ivy-password')).attrs.type, 'result');
      assert.equal(errorCondition(await register(server, 'IVY', 'other-password')), 'conflict', 'names are compared after case mapping');
      const r = await RawClient.connect(server.port);
      await r.openStream();
      await r.startTls();
      r.write(`<iq type='set' id='m1'><query xmlns='${NS}'><username>nopass</username></query></iq>`);
      assert.equal(errorCondition(await r.inbox.next((el) => el.attrs.id === 'm1')), 'bad-request');
      r.end();
    });

    it('changes the password in-band: the new one works, the old one no longer does', async () => {
      await createUser(server, 'jack', 'jack-old-pass');
      const c = await connect(server, 'jack', 'jack-old-pass');
      const info = await c.iq(xml('iq', { type: 'get', to: server.domain }, xml('query', { xmlns: NS })));
      assert.ok(info.getChild('query')!.getChild('registered'));
      const res = await c.iq(xml('iq', { type: 'set', to: server.domain }, xml('query', { xmlns: NS }, xml('username', {}, 'jack'), xml('password', {}, 'jack-new-pass'))));
      assert.equal(res.attrs.type, 'result');
      const other = await c.iq(xml('iq', { type: 'set', to: server.domain }, xml('query', { xmlns: NS }, xml('username', {}, 'ivy'), xml('password', {}, 'hijacked-pass'))));
      assert.equal(errorCondition(other), 'not-allowed', "nobody changes someone else's password");
      await c.stop();
      await assert.rejects(connect(server, 'jack', 'jack-old-pass'), /not-authorized/);
      await (await connect(server, 'jack', 'jack-new-pass')).stop();
      await (await connect(server, 'ivy', 'ivy-password')).stop();
    });

    it('removes the account: result first, then the stream ends and the account is gone', async () => {
      await createUser(server, 'kate', 'kate-password');
      const r = await RawClient.connect(server.port);
      await r.login('kate', 'kate-password');
      r.write(`<iq type='set' id='rm'><query xmlns='${NS}'><remove/></query></iq>`);
      assert.equal((await r.inbox.next((el) => el.attrs.id === 'rm')).attrs.type, 'result');
      await r.closed;
      await assert.rejects(connect(server, 'kate', 'kate-password'), /not-authorized/);
      assert.equal((await register(server, 'kate', 'kate-again-pass')).attrs.type, 'result', 'the name is free again');
    });
  });

  describe('closed and admin', () => {
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
      const r = await RawClient.connect(server.port);
      await r.openStream();
      const features = await r.startTls();
      assert.equal(features.getChild('register'), undefined);
      r.end();
      assert.equal(errorCondition(await register(server, 'mallory', 'mallory-pass')), 'not-allowed');
    });

    it('lets an admin create accounts in-band, and nobody else', async () => {
      const boss = await connect(server, 'boss', 'boss-password');
      const ok = await boss.iq(xml('iq', { type: 'set', to: server.domain }, xml('query', { xmlns: NS }, xml('username', {}, 'newbie'), xml('password', {}, 'newbie-pass'))));
      assert.equal(ok.attrs.type, 'result');
      const staff = await connect(server, 'staff', 'staff-password');
      const no = await staff.iq(xml('iq', { type: 'set', to: server.domain }, xml('query', { xmlns: NS }, xml('username', {}, 'other'), xml('password', {}, 'other-pass'))));
      assert.equal(errorCondition(no), 'not-allowed');
      await (await connect(server, 'newbie', 'newbie-pass')).stop();
      await boss.stop();
      await staff.stop();
    });
  });
});

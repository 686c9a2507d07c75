/** The register module's logic without a server: forms, policy text, rate limits, and every refusal. */
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import pino from 'pino';
import type { AccountService } from '../../core/accounts.js';
import { StanzaError } from '../../core/errors.js';
import type { IqRequest } from '../../core/iq.js';
import { Jid } from '../../core/jid.js';
import { registrationSet, type AccountIqDeps } from './authenticated.js';
import { NS_DATA, NS_REGISTER, readSubmission, registrationForm } from './form.js';
import { describePolicy, registrationInstructions } from './policy-text.js';
import { preAuthRegister, type PreAuthDeps } from './pre-auth.js';
import { addressKey, RateLimit } from './rate-limit.js';

const log = pino({ level: 'silent' });
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** Accounts in memory, with the conflict and policy behaviour of the accounts service. */
type FakeAccounts = AccountService & { users_: Map<string, string>; fail: Error | undefined };

function fakeAccounts(): FakeAccounts {
  const users_ = new Map<string, string>();
  const svc = {
    users_,
    fail: undefined as Error | undefined,
    exists: async (u: string) => users_.has(u),
    credentials: async () => undefined,
    create: async (u: string, p: string) => {
      if (svc.fail) throw svc.fail;
      if (p.length < 6) throw new StanzaError('not-acceptable', 'the password is too short');
      const name = u.toLowerCase();
      if (users_.has(name)) throw new StanzaError('conflict');
      users_.set(name, p);
    },
    setPassword: async (u: string, p: string) => { users_.set(u, p); },
    delete: async (u: string) => { users_.delete(u); },
    users: async function* () { yield* users_.keys(); },
  };
  return svc;
}

function condition(el: Element): { type: string; condition: string } | undefined {
  const e = el.getChild('error');
  if (!e) return undefined;
  const c = e.children.find((x): x is Element => typeof x !== 'string' && x.attrs.xmlns === STANZAS);
  return { type: e.attrs.type, condition: c!.name };
}

const setIq = (...fields: Element[]) => xml('iq', { type: 'set', id: 'r1' }, xml('query', { xmlns: NS_REGISTER }, ...fields));
const creds = (u: string, p: string) => setIq(xml('username', {}, u), xml('password', {}, p));
const REMOTE = { remoteAddress: '203.0.113.7' };
const LOCAL = { remoteAddress: '127.0.0.1' };

function preAuthDeps(over: Partial<PreAuthDeps> = {}): Omit<PreAuthDeps, 'accounts'> & { accounts(): FakeAccounts } {
  const accounts = fakeAccounts();
  return {
    host: 'example.org', mode: 'open', instructions: 'Pick one.', log,
    limit: new RateLimit(2, 60_000),
    isLoopback: (a: string) => a.startsWith('127.'),
    ...over,
    accounts: () => accounts,
  };
}

describe('register: forms and submissions (XEP-0077 §3.1, §4)', () => {
  it('offers the plain fields and a data form with the same fields and FORM_TYPE', () => {
    const q = registrationForm('Pick one.');
    assert.equal(q.getChildText('instructions'), 'Pick one.');
    assert.ok(q.getChild('username') && q.getChild('password'));
    const form = q.getChild('x', NS_DATA)!;
    assert.equal(form.attrs.type, 'form');
    const vars = form.getChildren('field').map((f) => [f.attrs.var, f.attrs.type]);
    assert.deepEqual(vars, [['FORM_TYPE', 'hidden'], ['username', 'text-single'], ['password', 'text-private']]);
    assert.equal(form.getChildren('field')[0]!.getChildText('value'), NS_REGISTER);
  });

  it('reads plain fields, prefers a submitted form, and treats empty elements as missing', () => {
    assert.deepEqual(readSubmission(creds('ann', 'pw').getChild('query')!), { username: 'ann', password: 'pw', remove: false, others: 2 });
    const form = xml('x', { xmlns: NS_DATA, type: 'submit' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, NS_REGISTER)),
      xml('field', { var: 'username' }, xml('value', {}, 'formname')),
      xml('field', { var: 'password' }, xml('value', {}, 'formpass')));
    assert.deepEqual(readSubmission(setIq(xml('username', {}, 'plain'), form).getChild('query')!).username, 'formname');
    const empty = readSubmission(setIq(xml('username', {}, 'ann'), xml('password')).getChild('query')!);
    assert.equal(empty.password, undefined);
    const rm = readSubmission(setIq(xml('remove'), xml('username', {}, 'x')).getChild('query')!);
    assert.deepEqual([rm.remove, rm.others], [true, 1]);
  });
});

describe('register: policy in words', () => {
  it("says the seed's policy as a person would", () => {
    assert.equal(describePolicy({ min_length: 5, max_length: 10, pattern: '^[A-Za-z0-9]+$' }), '5–10 letters and digits');
    assert.equal(describePolicy({ min_length: 6, max_length: 8, pattern: null }), '6–8 characters');
    assert.equal(describePolicy({ min_length: 8, max_length: 1023, pattern: null }), 'at least 8 characters');
    assert.equal(describePolicy({ min_length: 1, max_length: 64, pattern: null }), 'at most 64 characters');
    assert.equal(describePolicy({ min_length: 4, max_length: 4, pattern: '^x' }), 'exactly 4 characters matching ^x');
    assert.match(registrationInstructions({ min_length: 5, max_length: 10, pattern: '^[A-Za-z0-9]+$' }, { min_length: 6, max_length: 8, pattern: null }),
      /Username: 5–10 letters and digits\. Password: 6–8 characters\./);
  });
});

describe('register: rate limit', () => {
  it('allows `max` per window, refunds failures, and starts over with the next window', () => {
    let now = 0;
    const r = new RateLimit(2, 1000, () => now);
    assert.equal(r.take('a'), true);
    assert.equal(r.take('a'), true);
    assert.equal(r.take('a'), false);
    assert.equal(r.take('b'), true, 'per key');
    r.refund('a');
    assert.equal(r.take('a'), true, 'a refunded attempt frees its slot');
    now = 1000;
    assert.equal(r.take('a'), true);
  });

  it('keys IPv4 by address and IPv6 by /64', () => {
    assert.equal(addressKey('198.51.100.4'), '198.51.100.4');
    assert.equal(addressKey('::ffff:198.51.100.4'), '198.51.100.4');
    assert.equal(addressKey('2001:db8:0:1:aaaa::1'), '2001:db8:0:1::/64');
    assert.equal(addressKey('2001:db8:0:1:bbbb:cccc:dddd:eeee'), '2001:db8:0:1::/64');
    assert.equal(addressKey('2001:DB8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });
});

describe('register: before authentication', () => {
  it('returns the form and creates an account, replying from the host', async () => {
    const d = preAuthDeps();
    const form = await preAuthRegister(xml('iq', { type: 'get', id: 'g' }, xml('query', { xmlns: NS_REGISTER })), LOCAL, d);
    assert.equal(form.attrs.type, 'result');
    assert.equal(form.attrs.from, 'example.org');
    assert.ok(form.getChild('query', NS_REGISTER)!.getChild('x', NS_DATA));
    const ok = await preAuthRegister(creds('ann', 'secret1'), LOCAL, d);
    assert.equal(ok.attrs.type, 'result');
    assert.equal(ok.attrs.id, 'r1');
    assert.ok(d.accounts().users_.has('ann'));
  });

  it('refuses what XEP-0077 and the host policy say to refuse', async () => {
    const d = preAuthDeps();
    await preAuthRegister(creds('ann', 'secret1'), LOCAL, d);
    const cases: Array<[Element, string, string]> = [
      [creds('ANN', 'secret2'), 'conflict', 'cancel'],
      [creds('bob', 'short'), 'not-acceptable', 'modify'],
      [setIq(xml('username', {}, 'bob')), 'not-acceptable', 'modify'],
      [setIq(xml('username', {}, 'bob'), xml('password')), 'not-acceptable', 'modify'],
      [setIq(xml('remove')), 'unexpected-request', 'wait'],
      [xml('iq', { type: 'set', id: 'x', to: 'elsewhere.example' }, creds('bob', 'secret1').getChild('query')!), 'not-allowed', 'cancel'],
      [xml('iq', { type: 'set', id: 'x', to: 'bob@example.org' }, creds('bob', 'secret1').getChild('query')!), 'not-allowed', 'cancel'],
      [xml('iq', { type: 'set' }, creds('bob', 'secret1').getChild('query')!), 'bad-request', 'modify'],
    ];
    for (const [iq, cond, type] of cases) {
      assert.deepEqual(condition(await preAuthRegister(iq, LOCAL, d)), { condition: cond, type }, iq.toString());
    }
    assert.deepEqual([...d.accounts().users_.keys()], ['ann']);
    const upper = xml('iq', { type: 'set', id: 'x', to: 'EXAMPLE.org' }, creds('carl', 'secret1').getChild('query')!);
    assert.equal((await preAuthRegister(upper, LOCAL, d)).attrs.type, 'result', 'the host addressed in another case');
  });

  it('refuses everything with not-allowed when creation is closed or for admins only', async () => {
    for (const mode of ['closed', 'admin'] as const) {
      const d = preAuthDeps({ mode });
      assert.deepEqual(condition(await preAuthRegister(xml('iq', { type: 'get', id: 'g' }, xml('query', { xmlns: NS_REGISTER })), LOCAL, d)), { condition: 'not-allowed', type: 'cancel' });
      assert.deepEqual(condition(await preAuthRegister(creds('ann', 'secret1'), LOCAL, d)), { condition: 'not-allowed', type: 'cancel' });
      assert.equal(d.accounts().users_.size, 0);
    }
  });

  it('limits accounts per address (resource-constraint, wait); refused attempts do not count; loopback is exempt', async () => {
    const d = preAuthDeps();
    assert.equal((await preAuthRegister(creds('a1', 'secret1'), REMOTE, d)).attrs.type, 'result');
    assert.equal(condition(await preAuthRegister(creds('a1', 'secret1'), REMOTE, d))?.condition, 'conflict');
    assert.equal((await preAuthRegister(creds('a2', 'secret1'), REMOTE, d)).attrs.type, 'result', 'the conflict was refunded');
    assert.deepEqual(condition(await preAuthRegister(creds('a3', 'secret1'), REMOTE, d)), { condition: 'resource-constraint', type: 'wait' });
    assert.equal((await preAuthRegister(creds('a3', 'secret1'), { remoteAddress: '203.0.113.8' }, d)).attrs.type, 'result', 'another address');
    for (let i = 0; i < 10; i++) assert.equal((await preAuthRegister(creds(`l${i}`, 'secret1'), LOCAL, d)).attrs.type, 'result');
  });

  it('turns a storage failure into a wait/internal-server-error without details', async () => {
    const d = preAuthDeps();
    d.accounts().fail = new Error('disk on fire');
    const r = await preAuthRegister(creds('ann', 'secret1'), LOCAL, d);
    assert.deepEqual(condition(r), { condition: 'internal-server-error', type: 'wait' });
    assert.doesNotMatch(r.toString(), /disk/);
  });
});

describe('register: authenticated requests', () => {
  function deps(over: Partial<AccountIqDeps> = {}): Omit<AccountIqDeps, 'accounts'> & { removed: string[]; accounts(): FakeAccounts } {
    const accounts = fakeAccounts();
    accounts.users_.set('ann', 'secret1');
    accounts.users_.set('boss', 'secret1');
    const removed: string[] = [];
    return {
      host: 'example.org', mode: 'admin', instructions: '', log,
      limit: new RateLimit(0, 60_000),
      admins: new Set(['boss@example.org']),
      remove: async (req: IqRequest) => { removed.push(req.from.local); return true as const; },
      removed,
      ...over,
      accounts: () => accounts,
    };
  }
  const request = (from: string, payload: Element, secure = true): IqRequest => ({
    stanza: xml('iq', { type: 'set', id: 'a', from }, payload),
    payload, type: 'set', from: Jid.parse(from), to: Jid.parse('example.org'),
    origin: { secure, remoteAddress: '203.0.113.7' } as IqRequest['origin'],
  });
  const q = (...c: Element[]) => xml('query', { xmlns: NS_REGISTER }, ...c);
  async function refusal(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (err) {
      if (err instanceof StanzaError) return err.condition;
      throw err;
    }
    return 'none';
  }

  it('changes the own password, also when the username comes as a bare JID', async () => {
    const d = deps();
    assert.equal(await registrationSet(request('ann@example.org/a', q(xml('username', {}, 'ann'), xml('password', {}, 'newpass1'))), d), true);
    assert.equal(d.accounts().users_.get('ann'), 'newpass1');
    await registrationSet(request('ann@example.org/a', q(xml('username', {}, 'Ann@Example.org'), xml('password', {}, 'newpass2'))), d);
    assert.equal(d.accounts().users_.get('ann'), 'newpass2');
  });

  it('refuses incomplete changes, other accounts, remote users and unencrypted streams', async () => {
    const d = deps();
    assert.equal(await refusal(registrationSet(request('ann@example.org/a', q(xml('username', {}, 'ann'), xml('password'))), d)), 'bad-request', '§3.3: an empty password is not applied');
    assert.equal(await refusal(registrationSet(request('ann@example.org/a', q(xml('username', {}, 'boss'), xml('password', {}, 'hijack12'))), d)), 'not-allowed');
    assert.equal(await refusal(registrationSet(request('ann@example.org/a', q(xml('username', {}, 'ann@elsewhere.example'), xml('password', {}, 'x12345678'))), d)), 'bad-request');
    assert.equal(await refusal(registrationSet(request('ann@remote.example/a', q(xml('username', {}, 'ann'), xml('password', {}, 'x12345678'))), d)), 'not-allowed');
    assert.equal(await refusal(registrationSet(request('ann@example.org/a', q(xml('username', {}, 'ann'), xml('password', {}, 'x12345678')), false), d)), 'not-authorized');
    assert.equal(await refusal(registrationSet(request('ann@example.org/a', q(xml('remove'), xml('username', {}, 'ann'))), d)), 'bad-request', '§3.2: <remove/> alone');
    assert.equal(d.accounts().users_.get('ann'), 'secret1');
    assert.deepEqual(d.removed, []);
  });

  it('lets an admin create accounts (never overwrite one), unlimited, unless creation is closed', async () => {
    const d = deps();
    assert.equal(await registrationSet(request('boss@example.org/b', q(xml('username', {}, 'newbie'), xml('password', {}, 'newbie12'))), d), true);
    assert.equal(await registrationSet(request('boss@example.org/b', q(xml('username', {}, 'second'), xml('password', {}, 'second12'))), d), true, 'admins are not rate-limited');
    assert.equal(await refusal(registrationSet(request('boss@example.org/b', q(xml('username', {}, 'ann'), xml('password', {}, 'taken123'))), d)), 'conflict');
    assert.equal(d.accounts().users_.get('ann'), 'secret1');
    const closed = deps({ mode: 'closed' });
    assert.equal(await refusal(registrationSet(request('boss@example.org/b', q(xml('username', {}, 'newbie'), xml('password', {}, 'newbie12'))), closed)), 'not-allowed');
  });

  it('hands a lone <remove/> to the removal', async () => {
    const d = deps();
    assert.equal(await registrationSet(request('ann@example.org/a', q(xml('remove'))), d), true);
    assert.deepEqual(d.removed, ['ann']);
  });
});

/** ENUM (RFC 6116) against a real DNS server: dnsmasq on loopback serving NAPTR records. */
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { type Dnsmasq, startDnsmasq } from '../../test/harness/dnsmasq.js';
import { enumDomain, resolveEnum } from './enum.js';

describe('ENUM against dnsmasq', function () {
  this.timeout(15_000);
  let dns: Dnsmasq;
  let resolver: Resolver;

  before(async () => {
    const a = enumDomain('+15551234', 'e164.arpa');
    dns = await startDnsmasq(['e164.arpa', 'carrier.test'], [
      { name: a, order: 1, preference: 1, flags: 'u', service: 'E2U+sip', regexp: '!^.*$!sip:a@x.test!' },
      { name: a, order: 5, preference: 10, flags: '', service: 'E2U+xmpp', regexp: '', replacement: 'elsewhere.e164.arpa' },
      { name: a, order: 10, preference: 50, flags: 'u', service: 'E2U+xmpp', regexp: '!^.*$!xmpp:second@x.test!' },
      { name: a, order: 10, preference: 10, flags: 'u', service: 'E2U+xmpp', regexp: '!^\\+1(555)(.*)$!xmpp:u\\2-\\1@x.test!' },
      { name: a, order: 20, preference: 1, flags: 'u', service: 'E2U+xmpp', regexp: '!^.*$!xmpp:later@x.test!' },
      { name: enumDomain('+15550000', 'e164.arpa'), order: 10, preference: 10, flags: 'u', service: 'E2U+im', regexp: '!^.*$!im:carol@y.test!' },
      { name: enumDomain('+15550001', 'e164.arpa'), order: 10, preference: 10, flags: '', service: 'E2U+xmpp', regexp: '', replacement: 'x.e164.arpa' },
      { name: enumDomain('+15559999', 'carrier.test'), order: 10, preference: 10, flags: 'U', service: 'E2U+xmpp', regexp: '!^.*$!xmpp:private@carrier.test!' },
    ]);
    resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([dns.server]);
  });
  after(async () => { await dns?.stop(); });

  it('reads the records (service is the field name)', async () => {
    const r = await resolver.resolveNaptr(enumDomain('+15551234', 'e164.arpa'));
    assert.equal(r.length, 5);
    assert.ok(r.some((x) => x.service === 'E2U+xmpp'));
  });

  it('takes the lowest order, then the lowest preference, with back-references; skips other services and non-terminal records', async () => {
    const r = await resolveEnum(resolver, '+15551234', ['e164.arpa']);
    assert.equal(r.kind, 'found');
    assert.equal(r.kind === 'found' && r.jid.toString(), 'u1234-555@x.test');
    assert.equal(r.kind === 'found' && r.uri, 'xmpp:u1234-555@x.test');
  });

  it('honours E2U+im (RFC 5028) with an im: URI', async () => {
    const r = await resolveEnum(resolver, '+15550000', ['e164.arpa']);
    assert.equal(r.kind === 'found' && r.jid.toString(), 'carol@y.test');
  });

  it('a number with only a non-terminal record resolves to nothing', async () => {
    assert.deepEqual(await resolveEnum(resolver, '+15550001', ['e164.arpa']), { kind: 'none' });
  });

  it('NXDOMAIN is "none", and the next suffix is tried (private ENUM)', async () => {
    assert.deepEqual(await resolveEnum(resolver, '+15559999', ['e164.arpa']), { kind: 'none' });
    const r = await resolveEnum(resolver, '+15559999', ['e164.arpa', 'carrier.test']);
    assert.equal(r.kind === 'found' && r.jid.toString(), 'private@carrier.test');
  });

  it('a server that does not answer is an error, not "none"', async () => {
    const dead = new Resolver({ timeout: 200, tries: 1 });
    dead.setServers(['127.0.0.1:9']);
    const r = await resolveEnum(dead, '+15551234', ['e164.arpa']);
    assert.equal(r.kind, 'error');
  });
});

/** Pure parts of federation: dialback keys (XEP-0185 §3 vector), SRV ordering and fallback (RFC 6120 §3.2, XEP-0368). */
import assert from 'node:assert/strict';
import { handshakeDigest } from './component.js';
import { DialbackKeys } from './dialback.js';
import { resolveTargets, type Resolver } from './resolve.js';

describe('dialback keys (XEP-0185)', () => {
  it('matches the worked example of XEP-0185 §3', () => {
    const keys = new DialbackKeys('s3cr3tf0rd14lb4ck');
    assert.equal(keys.key('xmpp.example.com', 'example.org', 'D60000229F'), '37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643');
    assert.ok(keys.verify('xmpp.example.com', 'example.org', 'D60000229F', '\n  37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643\n'));
  });

  it('rejects keys for another pair, stream, secret, or anything else', () => {
    const keys = new DialbackKeys();
    const k = keys.key('a.example', 'b.example', 'id1');
    assert.ok(keys.verify('a.example', 'b.example', 'id1', k));
    assert.ok(!keys.verify('b.example', 'a.example', 'id1', k));
    assert.ok(!keys.verify('a.example', 'b.example', 'id2', k));
    assert.ok(!new DialbackKeys().verify('a.example', 'b.example', 'id1', k), 'a new start has a new secret');
    assert.ok(!keys.verify('a.example', 'b.example', 'id1', ''));
    assert.ok(!keys.verify('a.example', 'b.example', 'id1', `${k}0`));
  });
});

describe('component handshake (XEP-0114 §3.1)', () => {
  it('is the hex SHA-1 of stream id and secret', () => {
    // `printf 3BF96D32secret | sha1sum`
    assert.equal(handshakeDigest('3BF96D32', 'secret'), 'b09ea9b3b7f586be8a08d0a3dd7466f110aeb136');
  });
});

function fakeDns(records: Record<string, Array<{ name: string; port: number; priority: number; weight: number }>>): Resolver {
  return {
    resolveSrv: async (name) => {
      const r = records[name];
      if (!r) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      return r;
    },
  };
}

describe('s2s target resolution', () => {
  it('uses a configured override without asking DNS', async () => {
    const dns: Resolver = { resolveSrv: async () => { throw new Error('asked DNS'); } };
    assert.deepEqual(await resolveTargets('a.test', { host: '127.0.0.1', port: 1234 }, dns), [{ host: '127.0.0.1', port: 1234, directTls: false }]);
    assert.deepEqual(await resolveTargets('a.test', { host: 'peer.internal' }, dns), [{ host: 'peer.internal', port: 5269, directTls: false }]);
    assert.deepEqual(await resolveTargets('a.test', { host: '::1', port: 5270, direct_tls: true }, dns), [{ host: '::1', port: 5270, directTls: true }]);
  });

  it('falls back to the domain on 5269 without SRV records', async () => {
    assert.deepEqual(await resolveTargets('a.test', undefined, fakeDns({})), [{ host: 'a.test', port: 5269, directTls: false }]);
  });

  it('merges xmpps-server (direct TLS) and xmpp-server records by priority', async () => {
    const t = await resolveTargets('a.test', undefined, fakeDns({
      '_xmpp-server._tcp.a.test': [{ name: 'plain2.a.test', port: 5269, priority: 20, weight: 0 }, { name: 'plain1.a.test', port: 5270, priority: 5, weight: 0 }],
      '_xmpps-server._tcp.a.test': [{ name: 'tls.a.test', port: 5270, priority: 10, weight: 0 }],
    }));
    assert.deepEqual(t, [
      { host: 'plain1.a.test', port: 5270, directTls: false },
      { host: 'tls.a.test', port: 5270, directTls: true },
      { host: 'plain2.a.test', port: 5269, directTls: false },
    ]);
  });

  it('treats a "." target as no service (RFC 6120 §3.2.1)', async () => {
    assert.deepEqual(await resolveTargets('a.test', undefined, fakeDns({ '_xmpp-server._tcp.a.test': [{ name: '.', port: 0, priority: 0, weight: 0 }] })), []);
  });
});

describe('tern check lines for federation', () => {
  it('names unreadable CA files, clashing components and each domain policy', async () => {
    const { configSchema } = await import('../server/config/schema.js');
    const { s2sChecks } = await import('./check.js');
    const config = configSchema.parse({
      hosts: [{ domain: 'example.org' }],
      s2s: { ca_files: ['/nonexistent/ca.pem'], domains: { 'partner.example': { policy: 'require_valid_cert', host: '10.0.0.5' } } },
      components: [{ domain: 'conference.example.org', secret: 'long-enough' }, { domain: 'sip.example.org', secret: 'long-enough' }],
    });
    const lines = s2sChecks(config);
    const text = lines.map((l) => `${l.ok ? 'ok' : 'FAIL'} ${l.line}`).join('\n');
    assert.match(text, /FAIL s2s CA \/nonexistent\/ca\.pem: FAIL: ENOENT/);
    assert.match(text, /ok s2s partner\.example: policy require_valid_cert via 10\.0\.0\.5:5269/);
    assert.match(text, /FAIL component conference\.example\.org: FAIL: the domain is already served/);
    assert.match(text, /ok component sip\.example\.org: ok/);
  });
});

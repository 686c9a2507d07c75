import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import forge from 'node-forge';
import { ServerError } from '../server/core/errors.js';
import { caPaths, certPathsFor, checkCertificate, ensureLocalCertificates, importCertificate, loadSecureContextOptions } from './index.js';

const DAY = 86_400_000;

interface Made { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; certPem: string; keyPem: string }

/** A certificate made outside the module under test, so that its checks are checked independently. */
function makeCert(o: { cn: string; dns?: string[]; notBefore?: Date; notAfter?: Date; issuer?: Made; ca?: boolean }): Made {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '0a';
  cert.validity.notBefore = o.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = o.notAfter ?? new Date(Date.now() + 90 * DAY);
  cert.setSubject([{ name: 'commonName', value: o.cn }]);
  cert.setIssuer(o.issuer ? o.issuer.cert.subject.attributes : [{ name: 'commonName', value: o.cn }]);
  const ext: object[] = [{ name: 'basicConstraints', cA: o.ca ?? false }];
  if (o.dns) ext.push({ name: 'subjectAltName', altNames: o.dns.map((value) => ({ type: 2, value })) });
  cert.setExtensions(ext);
  cert.sign(o.issuer?.key ?? key, forge.md.sha256.create());
  return { cert, key, certPem: forge.pki.certificateToPem(cert), keyPem };
}

function certErr(re: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof ServerError, String(e));
    assert.equal(e.code, 'TERN_ERR_CERT');
    assert.match(e.message, re);
    return true;
  };
}

/** Resolves on a verified handshake, rejects with the client's error otherwise. */
function handshake(port: number, ca: Buffer, servername?: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername }, () => { s.end(); resolve(); });
    s.on('error', reject);
  });
}

async function withServer(opts: { cert: string; key: string }, fn: (port: number) => Promise<void>): Promise<void> {
  const server = tls.createServer(opts, (s) => s.end());
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    await fn((server.address() as { port: number }).port);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

describe('certificates', function () {
  this.timeout(30_000);
  let root: string;
  before(() => { root = mkdtempSync(path.join(tmpdir(), 'tern-certs-')); });
  after(() => rmSync(root, { recursive: true, force: true }));

  describe('local generation', () => {
    let dir: string;
    before(() => {
      dir = path.join(root, 'local', 'certs');
      assert.deepEqual(ensureLocalCertificates(dir, ['example.test', 'localhost'], { subdomains: ['pubsub'] }).generated, ['example.test', 'localhost']);
    });
    const leafOf = (d: string) => new X509Certificate(readFileSync(certPathsFor(dir, d).cert));
    const ca = () => new X509Certificate(readFileSync(caPaths(dir).cert));

    it('writes keys 0600 into a 0700 directory', () => {
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      for (const f of [certPathsFor(dir, 'example.test').key, certPathsFor(dir, 'localhost').key, caPaths(dir).key]) {
        assert.equal(statSync(f).mode & 0o777, 0o600, f);
      }
      assert.equal(certPathsFor(dir, 'example.test').ca, caPaths(dir).cert);
    });

    it('issues leaves from one local CA, with the CA in the chain file', () => {
      const c = ca();
      assert.ok(c.ca);
      assert.match(c.subject, /CN=Tern local CA/);
      assert.ok(new Date(c.validTo).getTime() - Date.now() > 9.9 * 365 * DAY);
      for (const d of ['example.test', 'localhost']) {
        const leaf = leafOf(d);
        assert.ok(!leaf.ca);
        assert.ok(leaf.checkIssued(c), d);
        assert.ok(leaf.verify(c.publicKey), d);
        const days = (new Date(leaf.validTo).getTime() - Date.now()) / DAY;
        assert.ok(days > 720 && days <= 730, `${d}: ${days} days`);
        const blocks = readFileSync(certPathsFor(dir, d).cert, 'utf8').match(/-----BEGIN CERTIFICATE-----/g);
        assert.equal(blocks?.length, 2, d);
      }
    });

    it('names the domain and its service subdomains, no wildcards, and loopback IPs for localhost', () => {
      const leaf = leafOf('example.test');
      for (const s of ['', 'conference.', 'upload.', 'msisdn.', 'sip.', 'pubsub.']) {
        assert.ok(leaf.subjectAltName?.includes(`DNS:${s}example.test`), s);
        assert.equal(leaf.checkHost(`${s}example.test`, { subject: 'never' }), `${s}example.test`);
      }
      assert.doesNotMatch(leaf.subjectAltName ?? '', /\*/);
      assert.equal(leaf.checkHost('other.test'), undefined);
      assert.equal(leaf.checkHost('x.example.test'), undefined);
      assert.equal(leaf.checkIP('127.0.0.1'), undefined);
      const lh = leafOf('localhost');
      assert.equal(lh.checkHost('localhost'), 'localhost');
      assert.equal(lh.checkIP('127.0.0.1'), '127.0.0.1');
      assert.ok(lh.checkIP('::1'));
    });

    it('produces credentials tls.createSecureContext accepts', () => {
      for (const d of ['example.test', 'localhost']) assert.ok(tls.createSecureContext(loadSecureContextOptions(dir, d)));
    });

    it('completes a verified TLS handshake for the domain and fails the hostname check for another', async () => {
      const caPem = readFileSync(caPaths(dir).cert);
      await withServer(loadSecureContextOptions(dir, 'example.test'), async (port) => {
        await handshake(port, caPem, 'example.test');
        await handshake(port, caPem, 'conference.example.test');
        await assert.rejects(handshake(port, caPem, 'wrong.test'), (e: NodeJS.ErrnoException) => e.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
        // Without the local CA the chain itself is refused.
        await assert.rejects(handshake(port, Buffer.from(makeCert({ cn: 'unrelated' }).certPem), 'example.test'), (e: NodeJS.ErrnoException) => /CERT|SIGNATURE|ISSUER/.test(e.code ?? ''));
      });
      await withServer(loadSecureContextOptions(dir, 'localhost'), async (port) => {
        await handshake(port, caPem, 'localhost');
        await handshake(port, caPem); // checked against the IP address
      });
    });

    it('is reported healthy and local by checkCertificate', () => {
      const c = checkCertificate(dir, 'example.test');
      assert.deepEqual(c.problems, []);
      assert.ok(c.ok);
      assert.ok(c.selfIssued);
      assert.match(c.issuer ?? '', /Tern local CA/);
      assert.ok(c.notAfter && c.notAfter.getTime() > Date.now() + 700 * DAY);
    });

    it('does not regenerate on a second call, and adds only missing domains', () => {
      const files = [certPathsFor(dir, 'example.test').cert, certPathsFor(dir, 'example.test').key, caPaths(dir).cert, caPaths(dir).key];
      const before = files.map((f) => readFileSync(f, 'utf8'));
      assert.deepEqual(ensureLocalCertificates(dir, ['example.test', 'localhost']).generated, []);
      assert.deepEqual(ensureLocalCertificates(dir, ['example.test', 'second.test']).generated, ['second.test']);
      assert.deepEqual(files.map((f) => readFileSync(f, 'utf8')), before);
      assert.ok(new X509Certificate(readFileSync(certPathsFor(dir, 'second.test').cert)).checkIssued(ca()), 'same CA');
    });

    it('reissues a local leaf that has expired, but never replaces an imported one', () => {
      const caMade = {
        cert: forge.pki.certificateFromPem(readFileSync(caPaths(dir).cert, 'utf8')),
        key: forge.pki.privateKeyFromPem(readFileSync(caPaths(dir).key, 'utf8')) as forge.pki.rsa.PrivateKey,
        certPem: '', keyPem: '',
      };
      const old = makeCert({ cn: 'old.test', dns: ['old.test'], issuer: caMade, notBefore: new Date(Date.now() - 800 * DAY), notAfter: new Date(Date.now() - DAY) });
      writeFileSync(certPathsFor(dir, 'old.test').cert, old.certPem);
      writeFileSync(certPathsFor(dir, 'old.test').key, old.keyPem, { mode: 0o600 });
      const foreign = makeCert({ cn: 'foreign.test', dns: ['foreign.test'], notBefore: new Date(Date.now() - 800 * DAY), notAfter: new Date(Date.now() - DAY) });
      writeFileSync(certPathsFor(dir, 'foreign.test').cert, foreign.certPem);
      writeFileSync(certPathsFor(dir, 'foreign.test').key, foreign.keyPem, { mode: 0o600 });
      assert.deepEqual(ensureLocalCertificates(dir, ['old.test', 'foreign.test']).generated, ['old.test']);
      assert.ok(checkCertificate(dir, 'old.test').ok);
      assert.equal(readFileSync(certPathsFor(dir, 'foreign.test').cert, 'utf8'), foreign.certPem);
    });
  });

  describe('import', () => {
    let dir: string;
    let n = 0;
    before(() => { dir = path.join(root, 'imported'); });
    /** Writes PEM text to files and returns their paths. */
    const files = (cert: string, key: string): [string, string] => {
      n++;
      const c = path.join(root, `in-${n}.crt`);
      const k = path.join(root, `in-${n}.key`);
      writeFileSync(c, cert);
      writeFileSync(k, key, { mode: 0o644 });
      return [c, k];
    };

    it('refuses a key that does not match the certificate', () => {
      const a = makeCert({ cn: 'chat.example', dns: ['chat.example'] });
      const b = makeCert({ cn: 'chat.example', dns: ['chat.example'] });
      assert.throws(() => importCertificate(dir, 'chat.example', ...files(a.certPem, b.keyPem)), certErr(/chat\.example: the private key does not match the certificate/));
      assert.ok(!existsSync(certPathsFor(dir, 'chat.example').cert), 'nothing installed');
    });

    it('refuses a certificate for another domain', () => {
      const a = makeCert({ cn: 'chat.example', dns: ['chat.example'] });
      assert.throws(() => importCertificate(dir, 'elsewhere.example', ...files(a.certPem, a.keyPem)), certErr(/does not cover elsewhere\.example \(it names DNS:chat\.example\)/));
      // The CN does not count once there are SANs (RFC 6125 §6.4.4).
      const b = makeCert({ cn: 'cn.example', dns: ['san.example'] });
      assert.throws(() => importCertificate(dir, 'cn.example', ...files(b.certPem, b.keyPem)), certErr(/does not cover cn\.example/));
    });

    it('refuses expired and not yet valid certificates', () => {
      const expired = makeCert({ cn: 'chat.example', dns: ['chat.example'], notBefore: new Date(Date.now() - 100 * DAY), notAfter: new Date(Date.now() - DAY) });
      assert.throws(() => importCertificate(dir, 'chat.example', ...files(expired.certPem, expired.keyPem)), certErr(/the certificate expired on \d{4}-/));
      const future = makeCert({ cn: 'chat.example', dns: ['chat.example'], notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 100 * DAY) });
      assert.throws(() => importCertificate(dir, 'chat.example', ...files(future.certPem, future.keyPem)), certErr(/not valid before/));
    });

    it('refuses files that are not PEM, and missing files', () => {
      const a = makeCert({ cn: 'chat.example', dns: ['chat.example'] });
      const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(a.cert)).getBytes(), 'binary').toString('latin1');
      assert.throws(() => importCertificate(dir, 'chat.example', ...files(der, a.keyPem)), certErr(/no PEM certificate/));
      assert.throws(() => importCertificate(dir, 'chat.example', ...files(a.certPem, 'not a key')), certErr(/no PEM private key/));
      assert.throws(() => importCertificate(dir, 'chat.example', path.join(root, 'absent.crt'), path.join(root, 'absent.key')), certErr(/cannot read the certificate .*absent\.crt/));
    });

    it('installs a valid certificate with its chain, key 0600, dropping text around the PEM blocks', () => {
      const ca = makeCert({ cn: 'Some Public CA', ca: true });
      const leaf = makeCert({ cn: 'chat.example', dns: ['chat.example'], issuer: ca });
      const [c, k] = files(`Bag Attributes\n    friendlyName: chat\n${leaf.certPem}${ca.certPem}`, leaf.keyPem);
      importCertificate(dir, 'chat.example', c, k);
      const p = certPathsFor(dir, 'chat.example');
      assert.equal(statSync(p.key).mode & 0o777, 0o600);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      const installed = readFileSync(p.cert, 'utf8');
      assert.ok(installed.startsWith('-----BEGIN CERTIFICATE-----'));
      assert.equal(installed.match(/BEGIN CERTIFICATE/g)?.length, 2);
      assert.equal(readFileSync(p.key, 'utf8'), leaf.keyPem);
      const check = checkCertificate(dir, 'chat.example');
      assert.ok(check.ok, check.problems.join('; '));
      assert.deepEqual(check.problems, []);
      assert.equal(check.selfIssued, false);
      assert.match(check.issuer ?? '', /Some Public CA/);
    });

    it('accepts a wildcard certificate for a name under it', () => {
      const w = makeCert({ cn: '*.example.net', dns: ['*.example.net'] });
      importCertificate(dir, 'chat.example.net', ...files(w.certPem, w.keyPem));
      assert.throws(() => importCertificate(dir, 'example.net', ...files(w.certPem, w.keyPem)), certErr(/does not cover example\.net/));
      assert.throws(() => importCertificate(dir, 'a.b.example.net', ...files(w.certPem, w.keyPem)), certErr(/does not cover/));
    });

    it('accepts a certificate naming the domain only in its CN', () => {
      const cn = makeCert({ cn: 'old-style.example' });
      importCertificate(dir, 'old-style.example', ...files(cn.certPem, cn.keyPem));
      const check = checkCertificate(dir, 'old-style.example');
      assert.ok(check.ok, check.problems.join('; '));
      assert.ok(check.selfIssued, 'self-signed');
    });
  });

  describe('checks', () => {
    let dir: string;
    before(() => { dir = path.join(root, 'checks'); ensureLocalCertificates(dir, []); });

    it('report a missing certificate', () => {
      const c = checkCertificate(dir, 'nothing.test');
      assert.equal(c.ok, false);
      assert.match(c.problems[0]!, /no nothing\.test\.crt and nothing\.test\.key/);
    });

    it('warn about a certificate close to expiry, a missing chain and a readable key, without failing', () => {
      const ca = makeCert({ cn: 'Some Public CA', ca: true });
      const soon = makeCert({ cn: 'soon.test', dns: ['soon.test'], issuer: ca, notAfter: new Date(Date.now() + 3 * DAY) });
      const p = certPathsFor(dir, 'soon.test');
      writeFileSync(p.cert, soon.certPem);
      writeFileSync(p.key, soon.keyPem);
      chmodSync(p.key, 0o644);
      const c = checkCertificate(dir, 'soon.test');
      assert.ok(c.ok);
      assert.equal(c.problems.length, 3, c.problems.join('; '));
      assert.ok(c.problems.some((x) => /expires on/.test(x)));
      assert.ok(c.problems.some((x) => /no intermediate certificates/.test(x)));
      assert.ok(c.problems.some((x) => /readable by others \(mode 644\)/.test(x)));
    });

    it('fail a key that does not match', () => {
      const a = makeCert({ cn: 'pair.test', dns: ['pair.test'] });
      const p = certPathsFor(dir, 'pair.test');
      writeFileSync(p.cert, a.certPem);
      writeFileSync(p.key, makeCert({ cn: 'x' }).keyPem, { mode: 0o600 });
      const c = checkCertificate(dir, 'pair.test');
      assert.equal(c.ok, false);
      assert.deepEqual(c.problems, ['the private key does not match the certificate']);
    });
  });

  it('refuses domains that would name files outside the directory', () => {
    for (const d of ['../evil', 'a/b', '', '.hidden']) {
      assert.throws(() => certPathsFor(root, d), certErr(/is not a domain name/), d);
    }
    assert.throws(() => ensureLocalCertificates(path.join(root, 'x'), ['../../evil']), certErr(/is not a domain name/));
  });
});

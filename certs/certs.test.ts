import assert from 'node:assert/strict';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import forge from 'node-forge';
import { caPaths, certPathsFor, checkCertificate, ensureLocalCertificates, importCertificate } from './index.js';

function selfSigned(domain: string, notAfter: Date): { cert: string; key: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const priv = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const c = forge.pki.createCertificate();
  c.publicKey = forge.pki.setRsaPublicKey(priv.n, priv.e);
  c.serialNumber = '01';
  c.validity.notBefore = new Date(Math.min(Date.now(), notAfter.getTime()) - 10 * 86_400_000);
  c.validity.notAfter = notAfter;
  c.setSubject([{ name: 'commonName', value: domain }]);
  c.setIssuer([{ name: 'commonName', value: domain }]);
  c.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 2, value: domain }] }]);
  c.sign(priv, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(c), key: keyPem };
}

describe('certificates', function () {
  this.timeout(20_000);
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(tmpdir(), 'tern-certs-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a local CA and a leaf for the domain and its service subdomains, keys 0600', () => {
    const { generated } = ensureLocalCertificates(path.join(dir, 'c'), ['example.test']);
    assert.deepEqual(generated, ['example.test']);
    const p = certPathsFor(path.join(dir, 'c'), 'example.test');
    assert.equal(statSync(p.key).mode & 0o777, 0o600);
    assert.equal(statSync(caPaths(path.join(dir, 'c')).key).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(dir, 'c')).mode & 0o777, 0o700);
    const leaf = new X509Certificate(readFileSync(p.cert));
    const ca = new X509Certificate(readFileSync(caPaths(path.join(dir, 'c')).cert));
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    for (const name of ['example.test', 'conference.example.test', 'upload.example.test']) assert.ok(leaf.checkHost(name), name);
    assert.equal(leaf.checkHost('other.test'), undefined);
    assert.deepEqual(ensureLocalCertificates(path.join(dir, 'c'), ['example.test']).generated, [], 'not regenerated');
    assert.ok(checkCertificate(path.join(dir, 'c'), 'example.test').ok);
  });

  it('serves a TLS handshake that verifies for the domain and fails for another name', async () => {
    const d = path.join(dir, 'c');
    const p = certPathsFor(d, 'example.test');
    const server = tls.createServer({ cert: readFileSync(p.cert), key: readFileSync(p.key) }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const ca = readFileSync(caPaths(d).cert);
    const attempt = (servername: string) => new Promise<void>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername, ca }, () => { s.end(); resolve(); });
      s.on('error', reject);
    });
    try {
      await attempt('example.test');
      await assert.rejects(attempt('wrong.test'), /altnames|does not match/i);
    } finally {
      server.close();
    }
  });

  it('imports a valid certificate and refuses a mismatched key, another domain and an expired one', () => {
    const d = path.join(dir, 'imp');
    const good = selfSigned('chat.example', new Date(Date.now() + 90 * 86_400_000));
    const other = selfSigned('chat.example', new Date(Date.now() + 90 * 86_400_000));
    const expired = selfSigned('chat.example', new Date(Date.now() - 86_400_000));
    const files = (name: string, c: { cert: string; key: string }) => {
      writeFileSync(path.join(dir, `${name}.crt`), c.cert);
      writeFileSync(path.join(dir, `${name}.key`), c.key);
      return [path.join(dir, `${name}.crt`), path.join(dir, `${name}.key`)] as const;
    };
    const [gc, gk] = files('good', good);
    const [, ok2] = files('other', other);
    const [ec, ek] = files('expired', expired);
    assert.throws(() => importCertificate(d, 'chat.example', gc, ok2), /private key does not match/);
    assert.throws(() => importCertificate(d, 'elsewhere.example', gc, gk), /does not cover elsewhere\.example/);
    assert.throws(() => importCertificate(d, 'chat.example', ec, ek), /expired/);
    importCertificate(d, 'chat.example', gc, gk);
    const check = checkCertificate(d, 'chat.example');
    assert.ok(check.ok, check.problems.join());
    assert.equal(check.selfIssued, false);
    assert.equal(statSync(certPathsFor(d, 'chat.example').key).mode & 0o777, 0o600);
  });
});

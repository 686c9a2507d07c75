/**
 * Certificates: a local CA and per-domain leaf certificates for first runs (node-forge signs; the
 * RSA keys come from Node's native generator, which is much faster than forge's), import of PEM
 * files from a real CA, and checks for `tern check`. Private keys are written with mode 0600 in a
 * 0700 directory and are git-ignored.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import forge from 'node-forge';
import { ServerError } from '../server/core/errors.js';

export interface CertPaths { cert: string; key: string }
export interface CertCheck { domain: string; ok: boolean; problems: string[]; notAfter?: Date; issuer?: string; selfIssued: boolean }

const CA_NAME = 'tern-local-ca';
/** Service subdomains that share the domain's certificate (MUC, upload, gateways). */
export const SERVICE_SUBDOMAINS = ['conference', 'upload', 'msisdn', 'sip', 'pubsub', 'proxy'];
const DAY = 86_400_000;

export function certPathsFor(certsDir: string, domain: string): CertPaths {
  return { cert: path.join(certsDir, `${domain}.crt`), key: path.join(certsDir, `${domain}.key`) };
}

export function caPaths(certsDir: string): CertPaths {
  return { cert: path.join(certsDir, `${CA_NAME}.crt`), key: path.join(certsDir, `${CA_NAME}.key`) };
}

function writeSecret(file: string, data: string): void {
  // Written under another name and renamed, so a crash never leaves half a key in place.
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function writePublic(file: string, data: string): void {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, data, { mode: 0o644 });
  renameSync(tmp, file);
}

function newKeyPair(): { priv: forge.pki.rsa.PrivateKey; pub: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const priv = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { priv, pub: forge.pki.setRsaPublicKey(priv.n, priv.e), pem };
}

function serial(): string {
  // Positive, non-zero, 16 bytes (RFC 5280 §4.1.2.2).
  return `01${randomBytes(15).toString('hex')}`;
}

function ensureCa(certsDir: string): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; pem: string } {
  const p = caPaths(certsDir);
  if (existsSync(p.cert) && existsSync(p.key)) {
    const pem = readFileSync(p.cert, 'utf8');
    return { cert: forge.pki.certificateFromPem(pem), key: forge.pki.privateKeyFromPem(readFileSync(p.key, 'utf8')) as forge.pki.rsa.PrivateKey, pem };
  }
  const { priv, pub, pem: keyPem } = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + 3650 * DAY);
  const name = [{ name: 'commonName', value: 'Tern local CA' }, { name: 'organizationName', value: 'Tern' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(priv, forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(cert);
  writeSecret(p.key, keyPem);
  writePublic(p.cert, pem);
  return { cert, key: priv, pem };
}

function issueLeaf(certsDir: string, domain: string, subdomains: string[]): void {
  const ca = ensureCa(certsDir);
  const { pub, pem: keyPem } = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + 730 * DAY);
  cert.setSubject([{ name: 'commonName', value: domain }]);
  cert.setIssuer(ca.cert.subject.attributes);
  const altNames: Array<{ type: number; value?: string; ip?: string }> = [];
  if (isIP(domain)) {
    altNames.push({ type: 7, ip: domain });
  } else {
    altNames.push({ type: 2, value: domain });
    for (const s of subdomains) altNames.push({ type: 2, value: `${s}.${domain}` });
  }
  if (domain === 'localhost') altNames.push({ type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' });
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  const p = certPathsFor(certsDir, domain);
  writeSecret(p.key, keyPem);
  // The chain goes with the leaf so clients that know the CA can verify it.
  writePublic(p.cert, forge.pki.certificateToPem(cert) + ca.pem);
}

/** Generates a certificate for every domain that has none yet. */
export function ensureLocalCertificates(certsDir: string, domains: string[], opts: { subdomains?: string[] } = {}): { generated: string[] } {
  mkdirSync(certsDir, { recursive: true, mode: 0o700 });
  const generated: string[] = [];
  for (const d of domains) {
    const p = certPathsFor(certsDir, d);
    if (existsSync(p.cert) && existsSync(p.key)) continue;
    issueLeaf(certsDir, d, [...SERVICE_SUBDOMAINS, ...(opts.subdomains ?? [])]);
    generated.push(d);
  }
  return { generated };
}

function problemsOf(certPem: string, keyPem: string | undefined, domain: string): { problems: string[]; warnings: string[]; x509?: X509Certificate } {
  const problems: string[] = [];
  const warnings: string[] = [];
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch (err) {
    return { problems: [`the certificate does not parse: ${(err as Error).message}`], warnings };
  }
  if (keyPem !== undefined) {
    try {
      if (!x509.checkPrivateKey(createPrivateKey(keyPem))) problems.push('the private key does not match the certificate');
    } catch (err) {
      problems.push(`the private key does not parse: ${(err as Error).message}`);
    }
  }
  const covers = isIP(domain) ? x509.checkIP(domain) !== undefined : x509.checkHost(domain) !== undefined;
  if (!covers) problems.push(`the certificate does not cover ${domain}`);
  const notAfter = new Date(x509.validTo);
  if (notAfter.getTime() < Date.now()) problems.push(`the certificate expired on ${notAfter.toISOString()}`);
  else if (notAfter.getTime() - Date.now() < 14 * DAY) warnings.push(`the certificate expires on ${notAfter.toISOString()}`);
  if (new Date(x509.validFrom).getTime() > Date.now()) problems.push(`the certificate is not valid before ${new Date(x509.validFrom).toISOString()}`);
  return { problems, warnings, x509 };
}

/** Installs a certificate (with its chain) and key from PEM files after checking them. */
export function importCertificate(certsDir: string, domain: string, certPemPath: string, keyPemPath: string): void {
  let certPem: string;
  let keyPem: string;
  try {
    certPem = readFileSync(certPemPath, 'utf8');
    keyPem = readFileSync(keyPemPath, 'utf8');
  } catch (err) {
    throw new ServerError('TERN_ERR_CERT', `cannot read the PEM files: ${(err as Error).message}`);
  }
  const { problems } = problemsOf(certPem, keyPem, domain);
  if (problems.length) throw new ServerError('TERN_ERR_CERT', `${domain}: ${problems.join('; ')}`);
  mkdirSync(certsDir, { recursive: true, mode: 0o700 });
  const p = certPathsFor(certsDir, domain);
  writeSecret(p.key, keyPem);
  const tmp = `${p.cert}.import.tmp`;
  copyFileSync(certPemPath, tmp);
  renameSync(tmp, p.cert);
}

export function checkCertificate(certsDir: string, domain: string): CertCheck {
  const p = certPathsFor(certsDir, domain);
  if (!existsSync(p.cert) || !existsSync(p.key)) return { domain, ok: false, problems: [`no certificate and key in ${certsDir}`], selfIssued: false };
  const { problems, warnings, x509 } = problemsOf(readFileSync(p.cert, 'utf8'), readFileSync(p.key, 'utf8'), domain);
  return {
    domain,
    ok: problems.length === 0,
    problems: [...problems, ...warnings],
    notAfter: x509 ? new Date(x509.validTo) : undefined,
    issuer: x509?.issuer.replace(/\n/g, ', '),
    selfIssued: x509 ? /Tern local CA/.test(x509.issuer) : false,
  };
}

export function loadSecureContextOptions(certsDir: string, domain: string): { cert: string; key: string } {
  const p = certPathsFor(certsDir, domain);
  return { cert: readFileSync(p.cert, 'utf8'), key: readFileSync(p.key, 'utf8') };
}

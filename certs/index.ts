/**
 * Certificates: a local CA and per-domain leaf certificates for first runs (node-forge signs; the
 * RSA keys come from Node's native generator, which is much faster than forge's), import of PEM
 * files from a real CA, and checks for `tern check`. Private keys are written with mode 0600 in a
 * 0700 directory and are git-ignored.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { domainToASCII } from 'node:url';
import forge from 'node-forge';
import { ServerError } from '../server/core/errors.js';

/** `ca`: the local CA's certificate, for clients that should trust generated certificates. */
export interface CertPaths { cert: string; key: string; ca?: string }
/**
 * `problems` also carries warnings (expiry soon, missing chain) when `ok` is true.
 * `selfIssued`: not from an outside CA, i.e. self-signed or issued by this directory's local CA.
 */
export interface CertCheck { domain: string; ok: boolean; problems: string[]; notAfter?: Date; issuer?: string; selfIssued: boolean }

const CA_NAME = 'tern-local-ca';
const CA_COMMON_NAME = 'Tern local CA';
/** Service subdomains that share the domain's certificate (MUC, upload, gateways). */
export const SERVICE_SUBDOMAINS: readonly string[] = ['conference', 'upload', 'msisdn', 'sip'];
const DAY = 86_400_000;
const CA_DAYS = 3650;
const LEAF_DAYS = 730;
/** Under this, checks warn and local leaves are reissued. */
const RENEW_BEFORE_DAYS = 14;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function fail(message: string, cause?: unknown): never {
  throw new ServerError('TERN_ERR_CERT', message, cause);
}

/** The domain becomes a file name, so it must not be able to point anywhere else. */
function fileStem(domain: string): string {
  if (!domain || domain.startsWith('.') || /[/\\\0]/.test(domain)) fail(`${JSON.stringify(domain)} is not a domain name`);
  return domain;
}

export function certPathsFor(certsDir: string, domain: string): CertPaths {
  const stem = fileStem(domain);
  return { cert: path.join(certsDir, `${stem}.crt`), key: path.join(certsDir, `${stem}.key`), ca: caPaths(certsDir).cert };
}

/** Where the local CA's certificate and key live (or will, once a certificate is generated). */
export function caPaths(certsDir: string): { cert: string; key: string } {
  return { cert: path.join(certsDir, `${CA_NAME}.crt`), key: path.join(certsDir, `${CA_NAME}.key`) };
}

/** IP literals (bare or in brackets, as XMPP writes IPv6) are matched as addresses, not names. */
function ipOf(domain: string): string | undefined {
  const bare = domain.startsWith('[') && domain.endsWith(']') ? domain.slice(1, -1) : domain;
  return isIP(bare) ? bare : undefined;
}

/** Certificates carry IDNs in A-label form (RFC 5280 §7.2); config domains are U-labels. */
function aLabel(domain: string): string {
  return domainToASCII(domain) || domain;
}

function writeAtomically(file: string, data: string, mode: number): void {
  // Written under another name and renamed, so a crash never leaves half a key in place.
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
}
const writeSecret = (file: string, data: string) => writeAtomically(file, data, 0o600);
const writePublic = (file: string, data: string) => writeAtomically(file, data, 0o644);

function newKeyPair(): { priv: forge.pki.rsa.PrivateKey; pub: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const priv = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { priv, pub: forge.pki.setRsaPublicKey(priv.n, priv.e), pem };
}

function serial(): string {
  // Positive and non-zero (RFC 5280 §4.1.2.2): the leading 01 keeps the DER integer's sign bit clear.
  return `01${randomBytes(15).toString('hex')}`;
}

interface Ca { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; pem: string }

function ensureCa(certsDir: string): Ca {
  const p = caPaths(certsDir);
  if (existsSync(p.cert) && existsSync(p.key)) {
    try {
      const pem = readFileSync(p.cert, 'utf8');
      return { cert: forge.pki.certificateFromPem(pem), key: forge.pki.privateKeyFromPem(readFileSync(p.key, 'utf8')) as forge.pki.rsa.PrivateKey, pem };
    } catch (err) {
      fail(`the local CA in ${certsDir} cannot be read (${(err as Error).message}); remove ${CA_NAME}.crt and .key to create a new one`, err);
    }
  }
  const { priv, pub, pem: keyPem } = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = serial();
  // Backdated a day so that clients with a slightly slow clock accept it at once.
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + CA_DAYS * DAY);
  const name = [{ name: 'commonName', value: CA_COMMON_NAME }, { name: 'organizationName', value: 'Tern' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(priv, forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(cert);
  writeSecret(p.key, keyPem);
  writePublic(p.cert, pem);
  return { cert, key: priv, pem };
}

function issueLeaf(certsDir: string, domain: string, subdomains: readonly string[]): void {
  const ca = ensureCa(certsDir);
  const { pub, pem: keyPem } = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - DAY);
  cert.validity.notAfter = new Date(Date.now() + LEAF_DAYS * DAY);
  const ip = ipOf(domain);
  const name = ip ?? aLabel(domain);
  cert.setSubject([{ name: 'commonName', value: name }]);
  cert.setIssuer(ca.cert.subject.attributes);
  // Clients match SANs only (RFC 6125 §6.4.4 lets them ignore the CN once any SAN is present).
  const altNames: Array<{ type: number; value?: string; ip?: string }> = [];
  if (ip) {
    altNames.push({ type: 7, ip });
  } else {
    altNames.push({ type: 2, value: name });
    for (const s of new Set(subdomains)) altNames.push({ type: 2, value: aLabel(`${s}.${domain}`) });
  }
  if (domain === 'localhost') altNames.push({ type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' });
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  const p = certPathsFor(certsDir, domain);
  writeSecret(p.key, keyPem);
  // The chain goes with the leaf so clients that know the CA can verify it.
  writePublic(p.cert, forge.pki.certificateToPem(cert) + ca.pem);
}

/** The local CA, when this directory has one that parses. */
function localCa(certsDir: string): X509Certificate | undefined {
  try {
    return new X509Certificate(readFileSync(caPaths(certsDir).cert));
  } catch {
    return undefined;
  }
}

/** A leaf this tooling made (so it may replace it) that is expired or about to be. */
function localLeafDue(certsDir: string, certFile: string): boolean {
  const ca = localCa(certsDir);
  if (!ca) return false;
  try {
    const leaf = new X509Certificate(readFileSync(certFile));
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey) && new Date(leaf.validTo).getTime() - Date.now() < RENEW_BEFORE_DAYS * DAY;
  } catch {
    return false;
  }
}

/**
 * Generates a certificate from the local CA for every domain that has no certificate and key yet
 * (and reissues local ones close to expiry; imported certificates are never replaced).
 * SANs: the domain and its service subdomains (SERVICE_SUBDOMAINS plus `opts.subdomains`).
 */
export function ensureLocalCertificates(certsDir: string, domains: string[], opts: { subdomains?: string[] } = {}): { generated: string[] } {
  mkdirSync(certsDir, { recursive: true, mode: 0o700 });
  const generated: string[] = [];
  for (const d of domains) {
    const p = certPathsFor(certsDir, d);
    if (existsSync(p.cert) && existsSync(p.key) && !localLeafDue(certsDir, p.cert)) continue;
    issueLeaf(certsDir, d, [...SERVICE_SUBDOMAINS, ...(opts.subdomains ?? [])]);
    generated.push(d);
  }
  return { generated };
}

interface Findings { problems: string[]; warnings: string[]; x509?: X509Certificate }

function inspect(certPem: string, keyPem: string | undefined, domain: string, certsDir: string | undefined): Findings {
  const problems: string[] = [];
  const warnings: string[] = [];
  const blocks = certPem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) return { problems: ['the certificate file holds no PEM certificate (-----BEGIN CERTIFICATE-----)'], warnings };
  const chain: X509Certificate[] = [];
  try {
    for (const b of blocks) chain.push(new X509Certificate(b));
  } catch (err) {
    return { problems: [`the certificate does not parse: ${(err as Error).message}`], warnings };
  }
  const x509 = chain[0]!;
  if (keyPem !== undefined) {
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyPem)) {
      problems.push('the key file holds no PEM private key (-----BEGIN PRIVATE KEY-----)');
    } else {
      try {
        if (!x509.checkPrivateKey(createPrivateKey(keyPem))) problems.push('the private key does not match the certificate');
      } catch (err) {
        problems.push(`the private key does not parse (encrypted keys are not supported): ${(err as Error).message}`);
      }
    }
  }
  const ip = ipOf(domain);
  // checkHost follows RFC 6125: SAN dNSNames (one leading wildcard label), the CN only without them.
  const covers = ip ? x509.checkIP(ip) !== undefined : x509.checkHost(aLabel(domain)) !== undefined;
  if (!covers) problems.push(`the certificate does not cover ${domain} (it names ${x509.subjectAltName ?? x509.subject.replace(/\n/g, ', ')})`);
  const now = Date.now();
  const notAfter = new Date(x509.validTo);
  const notBefore = new Date(x509.validFrom);
  if (notAfter.getTime() < now) problems.push(`the certificate expired on ${notAfter.toISOString()}`);
  else if (notAfter.getTime() - now < RENEW_BEFORE_DAYS * DAY) warnings.push(`the certificate expires on ${notAfter.toISOString()}`);
  if (notBefore.getTime() > now) problems.push(`the certificate is not valid before ${notBefore.toISOString()}`);
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i]!.checkIssued(chain[i + 1]!)) warnings.push(`certificate ${i + 2} in the file did not issue certificate ${i + 1}; clients may not build the chain`);
  }
  if (chain.length === 1 && x509.issuer !== x509.subject && !(certsDir && issuedByLocalCa(x509, certsDir))) {
    warnings.push('the file holds no intermediate certificates; most clients need them (use the full chain file)');
  }
  return { problems, warnings, x509 };
}

function issuedByLocalCa(x509: X509Certificate, certsDir: string): boolean {
  const ca = localCa(certsDir);
  return ca !== undefined && x509.checkIssued(ca) && x509.verify(ca.publicKey);
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    fail(`cannot read the ${what} ${file}: ${(err as Error).message}`, err);
  }
}

/**
 * Installs a certificate (with its chain) and key from PEM files after checking that they parse,
 * match, cover `domain` and are currently valid; throws ServerError('TERN_ERR_CERT') otherwise.
 */
export function importCertificate(certsDir: string, domain: string, certPemPath: string, keyPemPath: string): void {
  const p = certPathsFor(certsDir, domain);
  const certPem = readPem(certPemPath, 'certificate');
  const keyPem = readPem(keyPemPath, 'private key');
  const { problems } = inspect(certPem, keyPem, domain, undefined);
  if (problems.length) fail(`${domain}: ${problems.join('; ')}`);
  // Only the PEM blocks are kept: bag attributes and other text some CAs add are noise to TLS.
  const chainPem = `${certPem.match(PEM_CERT)!.join('\n')}\n`;
  try {
    tls.createSecureContext({ cert: chainPem, key: keyPem });
  } catch (err) {
    fail(`${domain}: TLS cannot use this certificate and key: ${(err as Error).message}`, err);
  }
  mkdirSync(certsDir, { recursive: true, mode: 0o700 });
  writeSecret(p.key, keyPem);
  writePublic(p.cert, chainPem);
}

/** What `tern check` reports for a domain: present, parses, key matches, covers it, not expired. */
export function checkCertificate(certsDir: string, domain: string): CertCheck {
  const p = certPathsFor(certsDir, domain);
  if (!existsSync(p.cert) || !existsSync(p.key)) return { domain, ok: false, problems: [`no ${path.basename(p.cert)} and ${path.basename(p.key)} in ${certsDir}`], selfIssued: false };
  const { problems, warnings, x509 } = inspect(readFileSync(p.cert, 'utf8'), readFileSync(p.key, 'utf8'), domain, certsDir);
  const mode = statSync(p.key).mode & 0o777;
  if (mode & 0o077) warnings.push(`the private key is readable by others (mode ${mode.toString(8)}); chmod 600 ${p.key}`);
  return {
    domain,
    ok: problems.length === 0,
    problems: [...problems, ...warnings],
    notAfter: x509 ? new Date(x509.validTo) : undefined,
    issuer: x509?.issuer.replace(/\n/g, ', '),
    selfIssued: x509 ? x509.issuer === x509.subject || issuedByLocalCa(x509, certsDir) : false,
  };
}

/** PEM strings for tls.createSecureContext. */
export function loadSecureContextOptions(certsDir: string, domain: string): { cert: string; key: string } {
  const p = certPathsFor(certsDir, domain);
  return { cert: readPem(p.cert, 'certificate'), key: readPem(p.key, 'private key') };
}

/**
 * Peer certificates (RFC 6120 §13.7.2, RFC 6125, XEP-0178 §3): a certificate authenticates a
 * domain when its chain verifies against the system CAs plus the configured extra CAs and it
 * names the domain (DNS SAN, wildcards for one label, as Node's checkServerIdentity does).
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

export function loadCas(files: readonly string[]): string[] {
  const extra = files.map((f) => readFileSync(f, 'utf8'));
  return [...tls.rootCertificates, ...extra];
}

/**
 * The chain verification result. A server-side TLSSocket made from a plain socket (STARTTLS) never
 * sets `authorized` (Node does that only for sockets of a tls.Server), though OpenSSL did verify
 * the client's chain because requestCert was set; so it is read from the handle like tls.Server does.
 */
function chainError(socket: tls.TLSSocket): string | undefined {
  if (socket.authorized) return undefined;
  const handle = (socket as unknown as { _handle?: { verifyError(): Error | null } })._handle;
  const err = handle?.verifyError?.();
  if (err === null && handle) return undefined;
  return String((err as { code?: string } | undefined)?.code ?? socket.authorizationError ?? 'not verified');
}

/** Whether the TLS peer's certificate verified and names `domain`. */
export function certValidFor(socket: tls.TLSSocket, domain: string): boolean {
  if (chainError(socket) !== undefined) return false;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return false;
  return tls.checkServerIdentity(domain, cert) === undefined;
}

/** Why a peer's certificate does not authenticate `domain` (for logs). */
export function certProblem(socket: tls.TLSSocket, domain: string): string | undefined {
  const chain = chainError(socket);
  if (chain !== undefined) return chain;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return 'no certificate';
  return tls.checkServerIdentity(domain, cert)?.message;
}

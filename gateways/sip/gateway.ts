/**
 * SIP ⇄ XMPP instant messaging through the CPIM mapping.
 *
 * RFC 7247 §5 addresses: a Tern user alice@<host> is sip:alice@<host> on the SIP side; a SIP user
 * sip:romeo@sip.example is romeo%sip.example@<gateway domain> on the XMPP side (the localpart's
 * `&'/:<>@"` and space XEP-0106-escaped, the last '%' separating the SIP domain).
 * RFC 7572 §4 / RFC 3428: an XMPP message to such an address becomes a SIP MESSAGE with a
 * message/cpim body (RFC 3922 via ../cpim/mapping.ts); a final SIP error comes back as the XMPP
 * error RFC 7247 §6 (table 3) gives; no answer within Timer F is remote-server-timeout.
 * RFC 7572 §5: a SIP MESSAGE to a Tern user (text/plain or message/cpim) is delivered as an XMPP
 * message, answered 200 when the user has an online session and 202 when it was routed for later
 * delivery (offline storage) or routed to another domain (sip_gateway.route_remote: another host of
 * this server or s2s; otherwise 404); SUBSCRIBE goes to presence.ts (RFC 7248 §4), NOTIFY in a
 * dialog of ours and XMPP subscribe/unsubscribe/probe to SIP users to watch.ts; unknown user 404; other bodies 415 (with Accept); a CPIM Require the
 * gateway does not understand 488; a SIP Require option tag 420 (RFC 3261 §8.2.2.3); not MESSAGE 405.
 */
import type { Logger } from 'pino';
import { StanzaError, type StanzaErrorCondition } from '../../server/core/errors.js';
import { Jid, JidError } from '../../server/core/jid.js';
import { type Element, errorReply, xml } from '../../server/core/stanza.js';
import { CpimError, parseCpim, serializeCpim } from '../cpim/codec.js';
import { cpimToMessage, decodeText, escapeLocal, jidToUri, MappingError, messageToCpim, unescapeLocal } from '../cpim/mapping.js';
import { contentTypeOf, header, headerList, parseNameAddr, parseSipUri, responseTo, type SipMessage } from './message.js';
import type { PresenceGateway } from './presence.js';
import type { SipWatcher } from './watch.js';
import { branch, type Peer, type Reply, type SipTransport, token } from './transport.js';

export interface GatewayDeps {
  /** The XMPP host the gateway serves (tern.test) and its own domain (sip.tern.test). */
  host: string;
  domain: string;
  userExists(local: string): Promise<boolean>;
  online(local: string): boolean;
  /** Routes a stanza as the server. */
  route(stanza: Element): void;
  transport(): SipTransport | undefined;
  /** Where SIP requests go: the configured outbound proxy, or undefined to use the SIP domain itself. */
  outbound: { host: string; port: number; transport: 'udp' | 'tcp' } | undefined;
  resolve(host: string): Promise<string>;
  now(): Date;
  newId(): string;
  log: Logger;
  /** RFC 7248 SIP-to-XMPP presence (SUBSCRIBE/NOTIFY), if enabled. */
  presence?: PresenceGateway;
  /** RFC 7248 XMPP-to-SIP presence (the gateway as SIP subscriber), if enabled. */
  watcher?: SipWatcher;
  /** Whether SIP MESSAGEs for domains that are not this host are routed on (to other hosts or s2s). */
  routeRemote?: boolean;
}

/** RFC 7247 §6, table 4: SIP response code → XMPP stanza error condition. */
export function sipStatusToCondition(status: number): StanzaErrorCondition {
  const table: Record<number, StanzaErrorCondition> = {
    400: 'bad-request', 401: 'not-authorized', 402: 'bad-request', 403: 'forbidden', 404: 'item-not-found', 405: 'feature-not-implemented',
    406: 'not-acceptable', 407: 'not-authorized', 408: 'remote-server-timeout', 410: 'gone', 413: 'policy-violation', 414: 'bad-request',
    415: 'bad-request', 416: 'bad-request', 420: 'bad-request', 421: 'bad-request', 423: 'bad-request', 480: 'recipient-unavailable',
    481: 'item-not-found', 482: 'not-acceptable', 483: 'not-acceptable', 484: 'item-not-found', 485: 'item-not-found',
    486: 'recipient-unavailable', 487: 'service-unavailable', 488: 'not-acceptable', 491: 'unexpected-request', 493: 'bad-request',
    500: 'internal-server-error', 501: 'feature-not-implemented', 502: 'remote-server-not-found', 503: 'service-unavailable',
    504: 'remote-server-timeout', 505: 'not-acceptable', 513: 'policy-violation',
    600: 'service-unavailable', 603: 'service-unavailable', 604: 'item-not-found', 606: 'not-acceptable',
  };
  if (table[status]) return table[status]!;
  if (status >= 300 && status < 400) return 'redirect';
  if (status >= 500 && status < 600) return 'internal-server-error';
  if (status >= 600) return 'service-unavailable';
  return 'undefined-condition';
}

/** SIP URI of a SIP user reached through the gateway, from its JID; undefined if not of that form. */
export function jidToSipUser(to: Jid): { user: string; domain: string } | undefined {
  const local = unescapeLocal(to.local);
  const pct = local.lastIndexOf('%');
  if (pct <= 0 || pct === local.length - 1) return undefined;
  return { user: local.slice(0, pct), domain: local.slice(pct + 1) };
}

export function sipUserToJid(user: string, domain: string, gateway: string): Jid {
  return Jid.of(escapeLocal(`${user}%${domain}`), gateway);
}

/**
 * The gateway JID of a `sip:`/`sips:` URI (RFC 7247 §5.1: the user part and the host; the port,
 * parameters and headers are not carried), or undefined when it is not a SIP URI with a user part
 * or does not make a valid JID.
 */
export function sipUriToJid(uri: string, gateway: string): Jid | undefined {
  const u = parseSipUri(uri.trim());
  if (!u?.user || u.host.startsWith('[')) return undefined;
  try {
    return sipUserToJid(u.user, u.host, gateway);
  } catch (err) {
    if (err instanceof JidError) return undefined;
    throw err;
  }
}

export function sipUriOf(user: string, domain: string): string {
  return `sip:${encodeURIComponent(user).replace(/%(2[146-9A-C]|3[BDF]|7E|24|26)/g, (m) => decodeURIComponent(m))}@${domain}`;
}

/** The SIP URI of an XMPP address as RFC 7247 §5.2 gives it (the resource is not carried). */
export function jidToSipUri(jid: Jid, gateway: string): string {
  if (jid.domain === gateway) {
    const s = jidToSipUser(jid);
    if (s) return sipUriOf(s.user, s.domain);
  }
  return sipUriOf(unescapeLocal(jid.local), jid.domain);
}

const ACCEPT = 'text/plain, message/cpim';

/** A SIP request arriving at the gateway (RFC 7572 §5). */
export async function handleSipRequest(d: GatewayDeps, req: SipMessage, reply: Reply, _peer: Peer): Promise<void> {
  const tag = token();
  const answer = (status: number, extra: Array<[string, string]> = []) => reply(responseTo(req, status, tag, extra));
  const allow = d.presence ? 'MESSAGE, SUBSCRIBE, NOTIFY, OPTIONS' : 'MESSAGE, OPTIONS';
  if (req.method === 'OPTIONS') return answer(200, [['Allow', allow], ['Accept', ACCEPT]]);
  if (req.method === 'ACK') return;
  if (req.method !== 'MESSAGE' && !(req.method === 'SUBSCRIBE' && d.presence) && !(req.method === 'NOTIFY' && d.watcher)) return answer(405, [['Allow', allow]]);
  const unsupported = headerList(req, 'Require');
  if (unsupported.length) return answer(420, [['Unsupported', unsupported.join(', ')]]);
  const target = parseSipUri(req.uri ?? '');
  if (!target) return answer(416);
  if (!target.user) return answer(404);
  if (target.host !== d.host) {
    // Another host of this server or a federated domain (only when sip_gateway.route_remote allows it).
    if (!d.routeRemote || req.method !== 'MESSAGE' || target.host === d.domain) return answer(404);
  } else if (req.method === 'NOTIFY') {
    return d.watcher!.notify(req, reply);
  }
  const fromHdr = parseNameAddr(header(req, 'From') ?? '');
  const fromUri = fromHdr && parseSipUri(fromHdr.uri);
  if (!fromUri?.user) return answer(400);
  let to: Jid;
  let from: Jid;
  try {
    to = Jid.of(escapeLocal(target.user), target.host);
    from = fromUri.host === d.host ? Jid.of(escapeLocal(fromUri.user), d.host) : sipUserToJid(fromUri.user, fromUri.host, d.domain);
  } catch (err) {
    if (err instanceof JidError) return answer(404);
    throw err;
  }
  const local = to.domain === d.host;
  if (local && !(await d.userExists(to.local))) return answer(404);
  if (req.method === 'SUBSCRIBE') return d.presence!.subscribe(req, reply, _peer, to.local, from);
  const type = contentTypeOf(req);
  let stanza: Element;
  try {
    if (type.type === 'text/plain') {
      stanza = xml('message', { from: from.toString(), to: to.toString(), type: 'chat', id: d.newId() }, xml('body', {}, decodeText(req.body, type.charset)));
    } else if (type.type === 'message/cpim') {
      stanza = cpimToMessage(parseCpim(req.body), { from, to, id: d.newId });
      stanza.attrs.type = 'chat';
    } else {
      return answer(415, [['Accept', ACCEPT]]);
    }
  } catch (err) {
    if (err instanceof CpimError) {
      d.log.info({ err: err.message }, 'refusing a malformed message/cpim body');
      return answer(400);
    }
    if (err instanceof MappingError) return answer(err.sipStatus, err.sipStatus === 415 ? [['Accept', ACCEPT]] : []);
    throw err;
  }
  // RFC 7572 §5: 200 when delivered to a session here; 202 when stored or routed on (its fate unknown).
  const online = local && d.online(to.local);
  d.route(stanza);
  answer(online ? 200 : 202);
}

/**
 * An XMPP stanza for the gateway domain. Messages to SIP users become SIP MESSAGE requests; the
 * result is the error stanza to send back, if any.
 */
export async function handleXmppStanza(d: GatewayDeps, stanza: Element, from: Jid, to: Jid): Promise<Element | undefined> {
  if (stanza.attrs.type === 'error' || (stanza.name === 'iq' && stanza.attrs.type === 'result')) return undefined;
  if (stanza.name === 'presence') {
    const sip = to.local ? jidToSipUser(to) : undefined;
    const t = stanza.attrs.type;
    if (sip && d.watcher && (t === 'subscribe' || t === 'unsubscribe' || t === 'probe')) await d.watcher.xmpp(stanza, from, to, sip);
    else d.presence?.xmpp(stanza, from, to);
    return undefined;
  }
  if (stanza.name === 'iq') return errorReply(stanza, new StanzaError('service-unavailable'));
  const sipUser = to.local ? jidToSipUser(to) : undefined;
  if (!sipUser) return errorReply(stanza, new StanzaError('item-not-found', 'not a SIP address (user%sip.domain@gateway)'));
  if (from.domain !== d.host) return errorReply(stanza, new StanzaError('forbidden', 'only users of this server may send through its gateway'));
  if (!stanza.getChild('body') && !stanza.getChild('received', 'urn:xmpp:receipts')) return undefined; // chat states and the like: nothing to carry
  const transport = d.transport();
  if (!transport) return errorReply(stanza, new StanzaError('service-unavailable', 'the SIP listener is not running'));
  const now = d.now();
  const { doc } = messageToCpim(stanza, {
    now: () => now,
    contentId: () => `${token()}${token()}@${d.domain}`,
    // RFC 5438 §6.3: the Message-ID must be unique for the sender; a stanza id need not be.
    messageId: () => `${token()}${token()}`,
    address: (j) => (j.domain === d.domain ? `im:${encodeURIComponent(sipUser.user)}@${sipUser.domain}` : jidToUri(j, 'im')),
  });
  const body = serializeCpim(doc);
  const requestUri = sipUriOf(sipUser.user, sipUser.domain);
  const peer: Peer = d.outbound
    ? { transport: d.outbound.transport, address: await d.resolve(d.outbound.host), port: d.outbound.port }
    : { transport: 'udp', address: await d.resolve(sipUser.domain), port: 5060 };
  const br = branch();
  const req: SipMessage = {
    method: 'MESSAGE',
    uri: requestUri,
    headers: [
      ['Via', transport.via(peer.transport, br)],
      ['Max-Forwards', '70'],
      ['From', `<${jidToSipUri(from.bare, d.domain)}>;tag=${token()}`],
      ['To', `<${requestUri}>`],
      ['Call-ID', `${token()}${token()}@${d.domain}`],
      ['CSeq', '1 MESSAGE'],
      ['Content-Type', 'message/cpim'],
      ['User-Agent', 'Tern CPIM gateway'],
    ],
    body,
  };
  let res: SipMessage;
  try {
    res = await transport.request(req, peer);
  } catch (err) {
    d.log.info({ err: (err as Error).message, to: requestUri }, 'SIP MESSAGE got no final response');
    return errorReply(stanza, new StanzaError('remote-server-timeout'));
  }
  if (res.status! < 300) return undefined;
  return errorReply(stanza, new StanzaError(sipStatusToCondition(res.status!), `SIP ${res.status} ${res.reason ?? ''}`.trim()));
}

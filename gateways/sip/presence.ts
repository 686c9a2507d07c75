/**
 * RFC 7248 §4 (SIP to XMPP presence), through RFC 6665 event subscriptions with the `presence`
 * package (RFC 3856) and PIDF bodies (RFC 3863, via ../cpim/mapping.ts):
 * - SUBSCRIBE to sip:alice@<host> from sip:romeo@sip.example → 200, an immediate NOTIFY
 *   (Subscription-State: pending until Alice approves, §4.1), and an XMPP `subscribe` from
 *   romeo%sip.example@<gateway> to alice@<host>;
 * - XMPP `subscribed` from Alice → a probe for her presence, then NOTIFY active with PIDF;
 *   every later presence of hers → NOTIFY (only when the PIDF changes);
 * - `unsubscribed` from Alice → NOTIFY terminated;reason=rejected (RFC 6665 §4.2.2);
 * - SUBSCRIBE with Expires: 0 → NOTIFY terminated, XMPP `unsubscribe` (§4.3); refreshes within
 *   the dialog (same Call-ID) extend the subscription; at expiry it is dropped (RFC 6665 §4.1.2.4).
 * XMPP-side subscriptions to SIP users (RFC 7248 §5, the gateway subscribing and refreshing on
 * the SIP side) are in watch.ts.
 */
import type { Logger } from 'pino';
import { Jid } from '../../server/core/jid.js';
import { type Element, xml } from '../../server/core/stanza.js';
import { presenceToPidf } from '../cpim/mapping.js';
import { header, parseNameAddr, parseSipUri, responseTo, type SipMessage } from './message.js';
import { branch, type Peer, type Reply, type SipTransport, token } from './transport.js';

const MAX_EXPIRES_S = 3600;
const DEFAULT_EXPIRES_S = 600;

interface Subscription {
  key: string;
  callId: string;
  /** Our tag (the To tag of the SUBSCRIBE's responses, the From tag of our NOTIFYs). */
  localTag: string;
  remoteFrom: string;
  localUri: string;
  contact: string;
  peer: Peer;
  cseq: number;
  expiresAt: number;
  timer?: NodeJS.Timeout;
  active: boolean;
  lastBody?: string;
  user: string;
  subscriber: Jid;
}

export interface PresenceDeps {
  host: string;
  domain: string;
  route(stanza: Element): void;
  transport(): SipTransport | undefined;
  now(): number;
  log: Logger;
}

export class PresenceGateway {
  private readonly subs = new Map<string, Subscription>();
  /** Latest presence stanza per full JID of each watched local user. */
  private readonly resources = new Map<string, Map<string, Element>>();

  constructor(private readonly d: PresenceDeps) {}

  /** A SUBSCRIBE for `user` (already known to exist) from `subscriber` (the gateway JID of the SIP user). */
  subscribe(req: SipMessage, reply: Reply, peer: Peer, user: string, subscriber: Jid): void {
    const event = (header(req, 'Event') ?? '').split(';')[0]!.trim().toLowerCase();
    if (event !== 'presence') return reply(responseTo(req, 489, token(), [['Allow-Events', 'presence']]));
    const accept = header(req, 'Accept');
    if (accept && !/application\/pidf\+xml|\*\/\*|application\/\*/i.test(accept)) return reply(responseTo(req, 406, token()));
    const contactHdr = parseNameAddr(header(req, 'Contact') ?? '');
    if (!contactHdr || !parseSipUri(contactHdr.uri)) return reply(responseTo(req, 400, token()));
    const raw = header(req, 'Expires');
    const asked = raw === undefined ? DEFAULT_EXPIRES_S : Number(raw);
    if (!Number.isInteger(asked) || asked < 0) return reply(responseTo(req, 400, token()));
    const expires = Math.min(asked, MAX_EXPIRES_S);
    const callId = header(req, 'Call-ID')!;
    const key = `${callId} ${parseNameAddr(header(req, 'From')!)?.params.tag ?? ''}`;
    let sub = this.subs.get(key);
    const fresh = !sub;
    if (!sub) {
      const localTag = token();
      sub = {
        key, callId, localTag, remoteFrom: header(req, 'From')!, localUri: parseNameAddr(header(req, 'To')!)!.uri, contact: contactHdr.uri,
        peer, cseq: 0, expiresAt: 0, active: false, user, subscriber,
      };
      this.subs.set(key, sub);
    }
    sub.peer = peer;
    sub.contact = contactHdr.uri;
    reply(responseTo(req, 200, sub.localTag, [['Expires', String(expires)], ['Contact', `<sip:${user}@${this.d.host}>`]]));
    if (expires === 0) {
      this.end(sub, 'timeout');
      this.d.route(xml('presence', { type: 'unsubscribe', from: subscriber.toString(), to: `${user}@${this.d.host}` }));
      return;
    }
    sub.expiresAt = this.d.now() + expires * 1000;
    if (sub.timer) clearTimeout(sub.timer);
    sub.timer = setTimeout(() => this.end(sub!, 'timeout'), expires * 1000);
    sub.timer.unref();
    if (fresh) {
      this.notify(sub, undefined);
      this.d.route(xml('presence', { type: 'subscribe', from: subscriber.toString(), to: `${user}@${this.d.host}` }));
    } else {
      sub.lastBody = undefined;
      this.notify(sub, sub.active ? this.pidf(sub.user) : undefined);
    }
  }

  /** A presence stanza from a local user to a gateway JID. */
  xmpp(stanza: Element, from: Jid, to: Jid): void {
    if (from.domain !== this.d.host) return;
    const type = stanza.attrs.type;
    const mine = [...this.subs.values()].filter((s) => s.user === from.local && s.subscriber.equals(to.bare));
    if (type === 'subscribed') {
      for (const s of mine) s.active = true;
      if (mine.length) this.d.route(xml('presence', { type: 'probe', from: to.bare.toString(), to: from.bare.toString() }));
      return;
    }
    if (type === 'unsubscribed') {
      for (const s of mine) this.end(s, 'rejected');
      return;
    }
    if (type !== undefined && type !== 'unavailable') return;
    let res = this.resources.get(from.local);
    if (!res) this.resources.set(from.local, (res = new Map()));
    if (type === 'unavailable' && from.resource) res.delete(from.resource);
    else if (type === 'unavailable') res.clear();
    else res.set(from.resource, stanza);
    const body = this.pidf(from.local);
    for (const s of mine) if (s.active) this.notify(s, body);
  }

  private pidf(user: string): string {
    const res = this.resources.get(user);
    const latest = res && [...res.values()].at(-1);
    const jid = `${user}@${this.d.host}`;
    const p = latest ? xml('presence', { from: latest.attrs.from ?? jid }, ...latest.getChildren('status')) : xml('presence', { from: jid, type: 'unavailable' });
    return presenceToPidf(p, { address: () => `pres:${jid}` });
  }

  private notify(s: Subscription, body: string | undefined, terminated?: string): void {
    if (body !== undefined && body === s.lastBody && !terminated) return;
    if (body !== undefined) s.lastBody = body;
    const transport = this.d.transport();
    if (!transport) return;
    const left = Math.max(0, Math.round((s.expiresAt - this.d.now()) / 1000));
    const state = terminated ? `terminated;reason=${terminated}` : s.active ? `active;expires=${left}` : `pending;expires=${left}`;
    const headers: Array<[string, string]> = [
      ['Via', transport.via(s.peer.transport, branch())],
      ['Max-Forwards', '70'],
      ['From', `<${s.localUri}>;tag=${s.localTag}`],
      ['To', s.remoteFrom],
      ['Call-ID', s.callId],
      ['CSeq', `${++s.cseq} NOTIFY`],
      ['Contact', `<sip:${s.user}@${this.d.host}>`],
      ['Event', 'presence'],
      ['Subscription-State', state],
    ];
    if (body !== undefined) headers.push(['Content-Type', 'application/pidf+xml']);
    const req: SipMessage = { method: 'NOTIFY', uri: s.contact, headers, body: Buffer.from(body ?? '', 'utf8') };
    transport.request(req, s.peer).then((res) => {
      if (res.status === 481) this.end(s, undefined);
    }, (err) => this.d.log.info({ err: (err as Error).message }, 'NOTIFY got no final response'));
  }

  private end(s: Subscription, reason: string | undefined): void {
    if (!this.subs.delete(s.key)) return;
    if (s.timer) clearTimeout(s.timer);
    if (reason) this.notify(s, s.active ? this.pidf(s.user) : undefined, reason);
  }

  close(): void {
    for (const s of this.subs.values()) if (s.timer) clearTimeout(s.timer);
    this.subs.clear();
  }
}

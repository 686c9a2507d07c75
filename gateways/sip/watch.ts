/**
 * RFC 7248 XMPP-to-SIP presence: a Tern user subscribes to a SIP user through the gateway, and the
 * gateway holds the SIP side of it as an RFC 6665 subscriber with the `presence` event package
 * (RFC 3856), PIDF bodies (RFC 3863) mapped by RFC 3922 §5.2 (../cpim/mapping.ts):
 * - XMPP `subscribe` to user%sip.example@<gateway> → SUBSCRIBE sip:user@sip.example (Event: presence,
 *   Accept: application/pidf+xml, Expires) to the outbound proxy or the SIP domain, as MESSAGE does;
 *   a 2xx → XMPP `subscribed`; a final error → XMPP presence error (RFC 7247 §6 table) and
 *   `unsubscribed`, so the roster's pending request is cleared; no answer → remote-server-timeout.
 * - NOTIFY with a PIDF body → XMPP presence (available with the notes as status, or unavailable);
 *   NOTIFY with Subscription-State: terminated → unavailable and `unsubscribed`.
 * - the subscription is refreshed (re-SUBSCRIBE in the dialog) at 80% of the Expires the notifier
 *   granted (RFC 6665 §4.1.2.1); a failed refresh ends it as a terminated NOTIFY would.
 * - XMPP `unsubscribe` → SUBSCRIBE Expires: 0 and unavailable (RFC 6665 §4.1.2.3); the final NOTIFY
 *   of the dialog is still answered 200.
 * - XMPP `probe` → the last presence the SIP side reported; with no SIP subscription (after a restart)
 *   one is set up again.
 * Subscriptions live in memory only.
 */
import type { Logger } from 'pino';
import { StanzaError, type StanzaErrorCondition } from '../../server/core/errors.js';
import type { Jid } from '../../server/core/jid.js';
import { type Element, errorElement, xml } from '../../server/core/stanza.js';
import { MappingError, pidfToPresence } from '../cpim/mapping.js';
import { contentTypeOf, header, parseNameAddr, responseTo, type SipMessage } from './message.js';
import { branch, type Peer, type Reply, type SipTransport, token } from './transport.js';

export const WATCH_EXPIRES_S = 600;

interface Watch {
  key: string;
  user: Jid;
  contact: Jid;
  requestUri: string;
  localUri: string;
  callId: string;
  fromTag: string;
  toTag?: string;
  cseq: number;
  peer: Peer;
  timer?: NodeJS.Timeout;
  last?: Element;
  ending: boolean;
}

export interface WatchDeps {
  host: string;
  domain: string;
  route(stanza: Element): void;
  transport(): SipTransport | undefined;
  /** Where requests for a SIP domain go (outbound proxy or the domain itself). */
  peerFor(domain: string): Promise<Peer>;
  sipUri(user: string, domain: string): string;
  condition(status: number): StanzaErrorCondition;
  log: Logger;
}

export class SipWatcher {
  private readonly watches = new Map<string, Watch>();
  private readonly byCallId = new Map<string, Watch>();

  constructor(private readonly d: WatchDeps) {}

  /** A presence stanza from a local user to a SIP user's gateway JID. */
  async xmpp(stanza: Element, from: Jid, contact: Jid, sipUser: { user: string; domain: string }): Promise<void> {
    if (from.domain !== this.d.host) return;
    const user = from.bare;
    const key = `${user} ${contact.bare}`;
    const w = this.watches.get(key);
    const type = stanza.attrs.type;
    if (type === 'subscribe') {
      if (w && !w.ending) {
        this.send('subscribed', w);
        if (w.last) this.d.route(w.last);
        return;
      }
      await this.start(key, user, contact.bare, sipUser, true);
    } else if (type === 'unsubscribe') {
      if (!w || w.ending) return;
      w.ending = true;
      if (w.timer) clearTimeout(w.timer);
      this.d.route(xml('presence', { type: 'unavailable', from: w.contact.toString(), to: w.user.toString() }));
      this.watches.delete(key);
      const t = setTimeout(() => this.forget(w), 32_000);
      t.unref();
      await this.subscribe(w, 0).catch(() => undefined);
    } else if (type === 'probe') {
      if (w && !w.ending) {
        if (w.last) this.d.route(w.last);
        return;
      }
      await this.start(key, user, contact.bare, sipUser, false);
    }
  }

  /** A NOTIFY addressed to a local user: matched to a dialog by Call-ID. */
  notify(req: SipMessage, reply: Reply): void {
    const w = this.byCallId.get(header(req, 'Call-ID') ?? '');
    const tag = w?.fromTag ?? token();
    if (!w) return reply(responseTo(req, 481, tag));
    const event = (header(req, 'Event') ?? '').split(';')[0]!.trim().toLowerCase();
    if (event !== 'presence') return reply(responseTo(req, 489, tag, [['Allow-Events', 'presence']]));
    const remoteTag = parseNameAddr(header(req, 'From') ?? '')?.params.tag;
    if (remoteTag && !w.toTag) w.toTag = remoteTag;
    const state = (header(req, 'Subscription-State') ?? '').split(';')[0]!.trim().toLowerCase();
    let presence: Element | undefined;
    if (req.body.length && contentTypeOf(req).type === 'application/pidf+xml') {
      try {
        presence = pidfToPresence(req.body.toString('utf8'), w.contact, w.user);
      } catch (err) {
        if (!(err instanceof MappingError)) throw err;
        return reply(responseTo(req, 400, tag));
      }
    }
    reply(responseTo(req, 200, tag));
    if (w.ending) {
      if (state === 'terminated') this.forget(w);
      return;
    }
    if (state === 'terminated') {
      this.end(w);
      return;
    }
    if (presence && state === 'active') {
      w.last = presence;
      this.d.route(presence);
    }
  }

  private async start(key: string, user: Jid, contact: Jid, s: { user: string; domain: string }, ask: boolean): Promise<void> {
    const transport = this.d.transport();
    if (!transport) {
      if (ask) this.refuse(user, contact, 'service-unavailable', 'the SIP listener is not running');
      return;
    }
    const w: Watch = {
      key, user, contact, requestUri: this.d.sipUri(s.user, s.domain), localUri: `sip:${encodeURIComponent(user.local)}@${this.d.host}`,
      callId: `${token()}${token()}@${this.d.domain}`, fromTag: token(), cseq: 0, peer: await this.d.peerFor(s.domain), ending: false,
    };
    this.watches.set(key, w);
    this.byCallId.set(w.callId, w);
    let res: SipMessage;
    try {
      res = await this.subscribe(w, WATCH_EXPIRES_S);
    } catch (err) {
      this.d.log.info({ err: (err as Error).message, to: w.requestUri }, 'SUBSCRIBE got no final response');
      this.forget(w);
      if (ask) this.refuse(user, contact, 'remote-server-timeout');
      return;
    }
    if (res.status! >= 300) {
      this.forget(w);
      if (ask) this.refuse(user, contact, this.d.condition(res.status!), `SIP ${res.status} ${res.reason ?? ''}`.trim());
      else this.send('unsubscribed', w);
      return;
    }
    if (ask) this.send('subscribed', w);
    this.schedule(w, res);
  }

  /** The RFC 6665 subscriber's request; the dialog's remote tag is learnt from the first 2xx. */
  private async subscribe(w: Watch, expires: number): Promise<SipMessage> {
    const transport = this.d.transport();
    if (!transport) throw new Error('SIP transport closed');
    const req: SipMessage = {
      method: 'SUBSCRIBE',
      uri: w.requestUri,
      headers: [
        ['Via', transport.via(w.peer.transport, branch())],
        ['Max-Forwards', '70'],
        ['From', `<${w.localUri}>;tag=${w.fromTag}`],
        ['To', `<${w.requestUri}>${w.toTag ? `;tag=${w.toTag}` : ''}`],
        ['Call-ID', w.callId],
        ['CSeq', `${++w.cseq} SUBSCRIBE`],
        ['Contact', `<${w.localUri}>`],
        ['Event', 'presence'],
        ['Accept', 'application/pidf+xml'],
        ['Expires', String(expires)],
        ['User-Agent', 'Tern CPIM gateway'],
      ],
      body: Buffer.alloc(0),
    };
    const res = await transport.request(req, w.peer);
    const tag = parseNameAddr(header(res, 'To') ?? '')?.params.tag;
    if (res.status! < 300 && tag && !w.toTag) w.toTag = tag;
    return res;
  }

  private schedule(w: Watch, res: SipMessage): void {
    const granted = Number(header(res, 'Expires') ?? WATCH_EXPIRES_S);
    const secs = Number.isFinite(granted) && granted > 0 ? Math.min(granted, WATCH_EXPIRES_S) : WATCH_EXPIRES_S;
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(() => { void this.refresh(w); }, Math.max(1000, secs * 800));
    w.timer.unref();
  }

  private async refresh(w: Watch): Promise<void> {
    if (w.ending || this.watches.get(w.key) !== w) return;
    let res: SipMessage;
    try {
      res = await this.subscribe(w, WATCH_EXPIRES_S);
    } catch (err) {
      this.d.log.info({ err: (err as Error).message, to: w.requestUri }, 'SUBSCRIBE refresh got no final response');
      this.end(w);
      return;
    }
    if (res.status! >= 300) this.end(w);
    else this.schedule(w, res);
  }

  /** The SIP side ended the subscription: the XMPP user sees unavailable and unsubscribed. */
  private end(w: Watch): void {
    this.forget(w);
    this.d.route(xml('presence', { type: 'unavailable', from: w.contact.toString(), to: w.user.toString() }));
    this.send('unsubscribed', w);
  }

  private forget(w: Watch): void {
    if (w.timer) clearTimeout(w.timer);
    if (this.watches.get(w.key) === w) this.watches.delete(w.key);
    if (this.byCallId.get(w.callId) === w) this.byCallId.delete(w.callId);
  }

  private send(type: 'subscribed' | 'unsubscribed', w: Watch): void {
    this.d.route(xml('presence', { type, from: w.contact.toString(), to: w.user.toString() }));
  }

  private refuse(user: Jid, contact: Jid, condition: StanzaErrorCondition, text?: string): void {
    this.d.route(xml('presence', { type: 'error', from: contact.toString(), to: user.toString() }, errorElement(new StanzaError(condition, text))));
    this.d.route(xml('presence', { type: 'unsubscribed', from: contact.toString(), to: user.toString() }));
  }

  close(): void {
    for (const w of this.byCallId.values()) if (w.timer) clearTimeout(w.timer);
    this.watches.clear();
    this.byCallId.clear();
  }
}

/**
 * Client-to-server stream (RFC 6120): stream negotiation (§4), STARTTLS (§5), SASL (§6),
 * resource binding (§7), legacy session (RFC 3921 §3, accepted as a no-op per RFC 6121 App. E),
 * stream errors (§4.9), then stanzas into the router in arrival order (one at a time; the socket
 * is paused while a handler awaits). Outbound writes are coalesced per event-loop turn and
 * TCP_NODELAY is set by the transport.
 *
 * Beside RFC 6120 SASL, XEP-0388 SASL2 (framing in sasl2.ts) with XEP-0386 Bind 2 (bind2.ts),
 * XEP-0198 enable and resume inline, and XEP-0484 FAST tokens (core/sasl/ht.ts, the `fast`
 * module): authentication, binding, SM and module features in one round trip, no restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import xml, { type Element } from '@xmpp/xml';
import forge from 'node-forge';
import type { Logger } from 'pino';
import { NS_SASL, NS_STREAMS, SaslFailure, StanzaError, StreamError } from '../errors.js';
import { HANDLED } from '../events.js';
import type {} from '../anonymous.js';
import type { Host } from '../host.js';
import { Jid, JidError, prepareResource } from '../jid.js';
import type { Router } from '../router.js';
import type {} from '../fast.js';
import { createHt, FAST_MECHANISM_NAMES, type FastMechanismName, HT_BINDING } from '../sasl/ht.js';
import { ChannelBindingUnsupported, MECHANISMS, type SaslMechanism, type SaslResult } from '../sasl/mechanism.js';
import { chooseResource, parseBind } from './bind2.js';
import * as sasl2 from './sasl2.js';
import { type AuthenticateRequest, NS_BIND2, NS_FAST, NS_SASL2 } from './sasl2.js';
import type { Session } from '../sessions.js';
import { errorReply, iqPayload, iqResult, withAttrs } from '../stanza.js';
import { InOrder } from './in-order.js';
import { NS_SM, OutboundQueue, parseH, type ResumptionRegistry } from './sm.js';
import type { AuthThrottle } from './throttle.js';
import { type XmlLimits, XmlStreamParser } from './xml-parser.js';

const NS_STREAM = 'http://etherx.jabber.org/streams';
const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';
const NS_SESSION = 'urn:ietf:params:xml:ns:xmpp-session';
const NS_REGISTER = 'jabber:iq:register';
const NS_SASL_CB = 'urn:xmpp:sasl-cb:0';
const MAX_SASL_ATTEMPTS = 3;
/** Outbound bytes a slow reader may leave queued before the stream is closed. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;

export interface C2SConfig {
  hostFor(domain: string): Host | undefined;
  router: Router;
  limits: XmlLimits & { idleTimeoutMs: number; authTimeoutMs: number };
  /** 'required': no auth before TLS; 'optional': offered; 'off': a plaintext-only listener. */
  starttls: 'required' | 'optional' | 'off';
  secureContext(domain: string): tls.SecureContext | undefined;
  minTlsVersion: tls.SecureVersion;
  /** PLAIN and registration without TLS: only on a listener explicitly configured for loopback. */
  allowPlaintextAuth: boolean;
  mechanisms: readonly string[];
  /** Offer XEP-0388 SASL2 (with Bind 2 and, when the `fast` module runs, FAST) beside RFC 6120 SASL. */
  sasl2: boolean;
  throttle: AuthThrottle;
  log: Logger;
  /** XEP-0198; one registry for every listener, so a session can resume on either port. */
  sm: { resumeTimeoutMs: number; maxUnacked: number; ackTimeoutMs: number; registry: ResumptionRegistry<C2SStream> };
  /** Called when the connection is gone (for connection accounting). */
  onClose?(stream: C2SStream): void;
  /** A resumed session took over this stream's connection (XEP-0198 §5). */
  onTakeover?(from: C2SStream, to: C2SStream): void;
}

/** Stream management state of a session, from <enable/> on (XEP-0198 §3). */
interface SmState {
  /** Resumption id; undefined when the session is not resumable. */
  id?: string;
  timeoutMs: number;
  /** Stanzas received and handled since enabling (the server's h, §4). */
  inbound: number;
  queue: OutboundQueue;
  /** An <r/> is out and not yet answered. */
  requested: boolean;
  ackTimer?: NodeJS.Timeout;
}

const NS_DELAY = 'urn:xmpp:delay';
const NS_HINTS = 'urn:xmpp:hints';

type Phase = 'await-header' | 'negotiating' | 'bound' | 'closed';

/** Streams with output waiting; flushed together once per event-loop turn. */
const dirty = new Set<C2SStream>();
let flushScheduled = false;
function flushAll(): void {
  flushScheduled = false;
  for (const s of dirty) s.flush();
  dirty.clear();
}

/**
 * XEP-0198 §4 leaves it to the server when to send <r/>. Asking after every stanza doubles the
 * traffic of a chat; so a session asks at once only when many stanzas are waiting, and otherwise
 * within ACK_DELAY_MS, by one timer for all sessions.
 */
const ACK_BATCH = 10;
/** A connected session may hold this many times max_unacked before it counts as not acknowledging at all. */
const CONNECTED_UNACKED_FACTOR = 10;
const ACK_DELAY_MS = 1000;
const ackDue = new Set<C2SStream>();
let ackTimer: NodeJS.Timeout | undefined;
function requestDueAcks(): void {
  ackTimer = undefined;
  const due = [...ackDue];
  ackDue.clear();
  for (const s of due) s.requestAckIfDue();
}

export class C2SStream implements Session {
  readonly id = randomBytes(9).toString('base64url');
  readonly state = new Map<symbol, unknown>();
  jid?: Jid;
  username?: string;
  /** SASL ANONYMOUS (RFC 4505); set with username on success. */
  anonymous = false;
  available = false;
  priority = 0;
  presence?: Element;
  rosterInterested = false;

  private socket: Socket;
  private parser: XmlStreamParser;
  private phase: Phase = 'await-header';
  private hostObj?: Host;
  private headerSent = false;
  private authenticated = false;
  private mechanism?: SaslMechanism;
  private saslFailures = 0;
  private cbTypeRefused = false;
  private lastUsername?: string;
  /** The SASL2 request while its exchange runs (SASL2 framing for challenges and the outcome). */
  private sasl2Req?: AuthenticateRequest;
  /** XEP-0388 <user-agent id/>: identifies the client installation (FAST tokens, Bind 2 resources). */
  clientId?: string;
  private out: string[] = [];
  /** Inbound elements in order, one at a time. */
  private readonly inbound = new InOrder<Element>({
    handle: (el) => this.dispatch(el),
    failed: (err) => this.failed(err),
    closed: () => this._closed,
    pause: () => this.socket.pause(),
    resume: () => this.socket.resume(),
  });
  private authTimer?: NodeJS.Timeout;
  private logger?: Logger;
  private _closed = false;
  private sm?: SmState;
  private hib = false;
  private hibTimer?: NodeJS.Timeout;
  /** Accounting callbacks of the listener that accepted the current connection. */
  private conn: Pick<C2SConfig, 'onClose' | 'onTakeover'>;
  private readonly parserHandler;

  constructor(socket: Socket, private readonly cfg: C2SConfig, private isSecure: boolean) {
    this.socket = socket;
    this.conn = { onClose: cfg.onClose, onTakeover: cfg.onTakeover };
    this.parserHandler = {
      streamStart: (name: string, attrs: Record<string, string>) => this.onStreamStart(name, attrs),
      stanza: (el: Element) => this.onElement(el),
      streamEnd: () => this.close(),
      error: (err: StreamError) => this.streamError(err),
    };
    this.parser = new XmlStreamParser(cfg.limits, this.parserHandler);
    this.attach(socket);
    if (cfg.limits.authTimeoutMs > 0) {
      this.authTimer = setTimeout(() => this.streamError(new StreamError('connection-timeout', 'authentication took too long')), cfg.limits.authTimeoutMs);
      this.authTimer.unref();
    }
  }

  get host(): string { return this.hostObj?.domain ?? ''; }
  get secure(): boolean { return this.isSecure; }
  get closed(): boolean { return this._closed; }
  get remoteAddress(): string { return this.socket.remoteAddress ?? ''; }
  get log(): Logger {
    // Created on first use: a child logger per idle connection costs memory we do not need to pay.
    if (!this.logger) this.logger = this.cfg.log.child({ session: this.id, ip: this.remoteAddress, jid: this.jid?.toString() });
    return this.logger;
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.parser.write(chunk));
    socket.on('error', (err) => this.log.debug({ err }, 'socket error'));
    socket.on('close', () => this.onSocketClosed());
    if (this.cfg.limits.idleTimeoutMs > 0) {
      socket.setTimeout(this.cfg.limits.idleTimeoutMs, () => {
        // A silent connection of a resumable session is most likely a dead mobile link.
        if (this.resumable()) this.hibernate();
        else this.streamError(new StreamError('connection-timeout'));
      });
    }
    if (this.inbound.busy) socket.pause();
  }

  // ---- output ----

  outboundFilter?: (stanza: Element) => boolean;

  get hibernated(): boolean { return this.hib; }

  send(stanza: Element): void {
    if (this.outboundFilter?.(stanza)) return;
    this.sendDirect(stanza);
  }

  sendDirect(stanza: Element): void {
    if (this._closed) return;
    const sm = this.sm;
    if (sm) {
      sm.queue.push(stanza, Date.now());
      // A live client acknowledges a burst only after it has read it; a hibernated one cannot.
      const limit = this.hib ? this.cfg.sm.maxUnacked : this.cfg.sm.maxUnacked * CONNECTED_UNACKED_FACTOR;
      if (sm.queue.length > limit) return this.overflow();
      if (this.hib) return;
    }
    this.write(stanza.toString());
  }

  private write(data: string): void {
    if (this._closed) return;
    this.out.push(data);
    dirty.add(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  }

  /** Writes everything queued; called once per event-loop turn. */
  flush(): void {
    if (this.out.length === 0 || this.socket.destroyed) {
      this.out.length = 0;
      return;
    }
    let data = this.out.length === 1 ? this.out[0]! : this.out.join('');
    this.out.length = 0;
    const sm = this.sm;
    if (sm && !sm.requested && sm.queue.length > 0 && !this._closed) {
      if (sm.queue.length >= ACK_BATCH) data += this.requestAck(sm);
      else {
        ackDue.add(this);
        ackTimer ??= setTimeout(requestDueAcks, ACK_DELAY_MS).unref();
      }
    }
    this.socket.write(data);
    if (this.socket.writableLength > MAX_QUEUED_BYTES) {
      this.socket.destroy();
    }
  }

  private writeNow(data: string): void {
    this.out.push(data);
    this.flush();
    dirty.delete(this);
  }

  // ---- stream level ----

  private onStreamStart(name: string, attrs: Record<string, string>): void {
    const to = attrs.to;
    const host = to !== undefined ? this.cfg.hostFor(Jid.tryParse(to)?.domain ?? to) : undefined;
    this.sendHeader(host?.domain ?? this.hostObj?.domain ?? to ?? '', attrs);
    if (name !== 'stream:stream' && name.endsWith(':stream')) return this.streamError(new StreamError('bad-namespace-prefix'));
    if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS_STREAM) return this.streamError(new StreamError('invalid-namespace'));
    if (attrs.xmlns !== 'jabber:client') return this.streamError(new StreamError('invalid-namespace'));
    if (!host) return this.streamError(new StreamError('host-unknown'));
    if (this.hostObj && host !== this.hostObj) return this.streamError(new StreamError('host-unknown', 'the domain changed on restart'));
    const version = attrs.version;
    if (!version || Number.parseInt(version.split('.')[0]!, 10) < 1) return this.streamError(new StreamError('unsupported-version'));
    this.hostObj = host;
    this.phase = 'negotiating';
    this.sendFeatures();
  }

  private sendHeader(from: string, attrs: Record<string, string>): void {
    const a: string[] = [`xmlns='jabber:client'`, `xmlns:stream='${NS_STREAM}'`, `id='${this.id}'`, `version='1.0'`, `xml:lang='en'`];
    if (from) a.push(`from='${escapeAttr(from)}'`);
    const client = Jid.tryParse(attrs.from);
    if (client) a.push(`to='${escapeAttr(client.toString())}'`);
    this.write(`<?xml version='1.0'?><stream:stream ${a.join(' ')}>`);
    this.headerSent = true;
  }

  private sendFeatures(): void {
    const host = this.hostObj!;
    const features = xml('stream:features');
    if (!this.authenticated) {
      const tlsPossible = !this.isSecure && this.cfg.starttls !== 'off' && this.cfg.secureContext(host.domain) !== undefined;
      if (tlsPossible) {
        const st = xml('starttls', { xmlns: NS_TLS });
        if (this.cfg.starttls === 'required') st.append(xml('required'));
        features.append(st);
      }
      if (this.authAllowed()) {
        const mechs = xml('mechanisms', { xmlns: NS_SASL });
        for (const m of this.offeredMechanisms()) mechs.append(xml('mechanism', {}, m));
        features.append(mechs);
        const v2 = this.sasl2Feature();
        if (v2) features.append(v2);
        const cbTypes = this.channelBindingTypes();
        if (cbTypes.length) features.append(xml('sasl-channel-binding', { xmlns: NS_SASL_CB }, ...cbTypes.map((t) => xml('channel-binding', { type: t }))));
        if (host.services.maybe('registration')?.offeredTo(this)) features.append(xml('register', { xmlns: 'http://jabber.org/features/iq-register' }));
      }
    } else if (this.phase !== 'bound') {
      features.append(xml('bind', { xmlns: NS_BIND }));
      features.append(xml('session', { xmlns: NS_SESSION }, xml('optional')));
      features.append(xml('sm', { xmlns: NS_SM }));
    } else if (!this.sm) {
      // After a Bind 2 without <enable/>: SM can still be enabled the RFC way.
      features.append(xml('sm', { xmlns: NS_SM }));
    }
    const extra = host.bus.fold('stream/features', [], { session: this, authenticated: this.authenticated, bound: this.phase === 'bound' });
    for (const f of extra) features.append(f);
    // Written, not sent: after a SASL2 resume or Bind 2 with SM these are not stanzas to count.
    this.write(features.toString());
  }

  /** XEP-0388 §2.1 with XEP-0386 §2, XEP-0198 (inline resume) and XEP-0484 §3.1 inline. */
  private sasl2Feature(): Element | undefined {
    if (!this.cfg.sasl2) return undefined;
    const mechs = this.offeredMechanisms();
    if (mechs.length === 0) return undefined;
    const vars = this.hostObj!.bus.fold('bind2/features', [], { session: this });
    const inline = [
      xml('bind', { xmlns: NS_BIND2 }, xml('inline', {}, ...[NS_SM, ...vars].map((v) => xml('feature', { var: v })))),
      xml('sm', { xmlns: NS_SM }),
    ];
    const fast = this.fastMechanisms();
    if (fast.length) inline.push(xml('fast', { xmlns: NS_FAST }, ...fast.map((m) => xml('mechanism', {}, m))));
    return sasl2.authenticationFeature(mechs, inline);
  }

  /** HT mechanisms whose channel binding this connection has (XEP-0484 §3.1). */
  private fastMechanisms(): FastMechanismName[] {
    if (!this.hostObj?.services.maybe('fast')) return [];
    const types = this.channelBindingTypes();
    return FAST_MECHANISM_NAMES.filter((m) => {
      const b = HT_BINDING[m];
      return b === undefined || types.includes(b);
    });
  }

  /** SASL is offered once the stream is encrypted, or on a listener configured for plaintext on loopback. */
  private authAllowed(): boolean {
    return this.isSecure || this.cfg.allowPlaintextAuth || this.cfg.starttls === 'optional';
  }

  private offeredMechanisms(): string[] {
    const cb = this.channelBindingTypes().length > 0;
    const offered = this.cfg.mechanisms.filter((m) => {
      if (!(m in MECHANISMS)) return false;
      if (m.endsWith('-PLUS')) return cb;
      if (m === 'PLAIN') return this.isSecure || this.cfg.allowPlaintextAuth;
      return true;
    });
    // XEP-0175 §3: only where the operator enabled it for this host (the anonymous module), and only encrypted.
    if (this.isSecure && this.hostObj?.services.maybe('anonymousLogin')) offered.push('ANONYMOUS');
    return offered;
  }

  private channelBindingTypes(): Array<'tls-exporter' | 'tls-server-end-point'> {
    if (!(this.socket instanceof tls.TLSSocket)) return [];
    const types: Array<'tls-exporter' | 'tls-server-end-point'> = [];
    // RFC 9266 §3: tls-exporter is defined for TLS 1.3 (and 1.2 with extended master secret, which Node cannot report).
    if (this.socket.getProtocol() === 'TLSv1.3') types.push('tls-exporter');
    if (this.socket.getCertificate()) types.push('tls-server-end-point');
    return types;
  }

  private channelBindingData(type: 'tls-exporter' | 'tls-server-end-point'): Buffer | undefined {
    const s = this.socket;
    if (!(s instanceof tls.TLSSocket)) return undefined;
    if (type === 'tls-exporter') return s.getProtocol() === 'TLSv1.3' ? s.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)) : undefined;
    return serverEndPoint(s);
  }

  // ---- elements ----

  private onElement(el: Element): void {
    this.inbound.push(el);
  }

  private failed(err: unknown): void {
    if (err instanceof StreamError) return this.streamError(err);
    this.log.error({ err }, 'stream handler failed');
    this.streamError(new StreamError('internal-server-error'));
  }

  private dispatch(el: Element): void | Promise<void> {
    if (this.phase === 'bound') {
      if (el.attrs.xmlns === NS_SM) return this.smElement(el);
      if (this.sm && (el.name === 'message' || el.name === 'presence' || el.name === 'iq')) this.sm.inbound = (this.sm.inbound + 1) >>> 0;
      if (el.name === 'iq' && el.attrs.type === 'set' && iqPayload(el)?.attrs.xmlns === NS_SESSION) {
        this.send(iqResult(el));
        return;
      }
      if (el.name !== 'message' && el.name !== 'presence' && el.name !== 'iq') return this.nonza(el);
      return this.cfg.router.process(this, el);
    }
    if (this.phase !== 'negotiating') return;
    const ns = el.attrs.xmlns;
    if (!this.authenticated) {
      // XEP-0388 §2.5: while a SASL2 exchange runs, only <response/> and <abort/> may come.
      if (this.sasl2Req && this.mechanism && !(ns === NS_SASL2 && (el.name === 'response' || el.name === 'abort'))) {
        throw new StreamError('policy-violation', 'only <response/> or <abort/> during SASL2 authentication');
      }
      if (ns === NS_SASL2 && this.cfg.sasl2) {
        if (!this.authAllowed()) return this.saslFail(new SaslFailure('encryption-required'), false, true);
        if (el.name === 'authenticate') return this.sasl2Authenticate(el);
        if (el.name === 'response') return this.sasl2Response(el);
        if (el.name === 'abort') return this.saslAbort(true);
      }
      if (el.name === 'starttls' && ns === NS_TLS) return this.startTls();
      if (ns === NS_SASL) {
        // RFC 6120 §6.5.4: a mechanism refused until the stream is encrypted.
        if (!this.authAllowed()) return this.saslFail(new SaslFailure('encryption-required'), false);
        if (el.name === 'auth') return this.saslAuth(el);
        if (el.name === 'response') return this.saslResponse(el);
        if (el.name === 'abort') return this.saslAbort(false);
      }
      if (el.name === 'iq' && iqPayload(el)?.attrs.xmlns === NS_REGISTER) return this.preAuthRegister(el);
      throw new StreamError('not-authorized');
    }
    if (el.name === 'iq' && el.attrs.type === 'set' && iqPayload(el)?.attrs.xmlns === NS_BIND) return this.bind(el);
    if (ns === NS_SM && el.name === 'resume') return this.resume(el);
    // XEP-0198 §3: enabling needs a bound resource.
    if (ns === NS_SM && el.name === 'enable') return this.smFailed('unexpected-request');
    throw new StreamError('not-authorized', 'bind a resource first');
  }

  /** Stream-level elements of extensions (XEP-0352 CSI); nobody taking one is RFC 6120 §4.9.3.23. */
  private nonza(el: Element): void | Promise<void> {
    const r = this.hostObj!.bus.fire('stream/nonza', { session: this, element: el });
    if (r === HANDLED) return;
    if (r instanceof Promise) return r.then((v) => { if (v !== HANDLED) throw new StreamError('unsupported-stanza-type'); });
    throw new StreamError('unsupported-stanza-type');
  }

  // ---- stream management (XEP-0198) ----

  private smElement(el: Element): void {
    const sm = this.sm;
    switch (el.name) {
      case 'enable': return this.enableSm(el);
      case 'r':
        if (!sm) throw new StreamError('unsupported-stanza-type', 'stream management is not enabled');
        this.write(`<a xmlns='${NS_SM}' h='${sm.inbound}'/>`);
        return;
      case 'a': {
        if (!sm) throw new StreamError('unsupported-stanza-type', 'stream management is not enabled');
        const h = parseH(el.attrs.h);
        if (h === undefined) throw new StreamError('invalid-xml', "'h' must be an unsigned 32-bit integer");
        if (!sm.queue.ack(h)) return this.countTooHigh(h);
        sm.requested = false;
        if (sm.ackTimer) clearTimeout(sm.ackTimer);
        sm.ackTimer = undefined;
        return;
      }
      // §5: resumption happens instead of binding, never on a bound stream.
      case 'resume': return this.smFailed('unexpected-request');
      default: throw new StreamError('unsupported-stanza-type');
    }
  }

  private enableSm(el: Element): void {
    if (this.sm) return this.smFailed('unexpected-request');
    this.write(this.startSm(el).toString());
  }

  /** XEP-0198 §3: sets up the state and returns <enabled/> (written at once, or inline in Bind 2's <bound/>). */
  private startSm(el: Element): Element {
    const wantsResume = el.attrs.resume === 'true' || el.attrs.resume === '1';
    const maxS = Math.floor(this.cfg.sm.resumeTimeoutMs / 1000);
    const asked = Number.parseInt(el.attrs.max ?? '', 10);
    // §3: the client's max is a preference; the server's limit wins.
    const timeoutS = Number.isFinite(asked) && asked > 0 ? Math.min(asked, maxS) : maxS;
    const resumable = wantsResume && timeoutS > 0;
    const sm: SmState = { timeoutMs: timeoutS * 1000, inbound: 0, queue: new OutboundQueue(), requested: false };
    if (resumable) {
      sm.id = randomBytes(18).toString('base64url');
      this.cfg.sm.registry.add(sm.id, this);
    }
    this.sm = sm;
    return resumable ? xml('enabled', { xmlns: NS_SM, id: sm.id!, resume: 'true', max: String(timeoutS) }) : xml('enabled', { xmlns: NS_SM });
  }

  private smFailed(condition: string): void {
    this.write(smFailure(condition).toString());
  }

  /** §4: the peer acknowledged stanzas never sent; the stream cannot be trusted any more. */
  private countTooHigh(h: number): void {
    const sent = this.sm!.queue.sent;
    this.log.info({ h, sent }, 'stream error: handled-count-too-high');
    this.writeNow(`<stream:error><undefined-condition xmlns='${NS_STREAMS}'/><handled-count-too-high xmlns='${NS_SM}' h='${h}' send-count='${sent}'/></stream:error></stream:stream>`);
    this.shutdown('undefined-condition');
  }

  requestAckIfDue(): void {
    const sm = this.sm;
    if (sm && !sm.requested && sm.queue.length > 0 && !this._closed && !this.hib) this.write(this.requestAck(sm));
  }

  /** Sent when stanzas are waiting for an acknowledgement. */
  private requestAck(sm: SmState): string {
    sm.requested = true;
    if (this.cfg.sm.ackTimeoutMs > 0) {
      sm.ackTimer = setTimeout(() => {
        sm.ackTimer = undefined;
        this.log.debug('no acknowledgement in time');
        if (this.resumable()) this.hibernate();
        else this.streamError(new StreamError('connection-timeout', 'no acknowledgement'));
      }, this.cfg.sm.ackTimeoutMs);
      sm.ackTimer.unref();
    }
    return `<r xmlns='${NS_SM}'/>`;
  }

  private resumable(): boolean {
    return this.sm?.id !== undefined && this.phase === 'bound' && !this._closed;
  }

  /** Too much unacknowledged output: end the session (what it holds goes to offline storage). */
  private overflow(): void {
    if (this.hib) return this.endHibernated('unacknowledged queue full');
    this.log.info({ unacked: this.sm!.queue.length }, 'client does not acknowledge');
    this.streamError(new StreamError('resource-constraint', 'too many unacknowledged stanzas'));
  }

  /** §5: the connection is gone but the session waits for a resume. */
  private hibernate(): void {
    const sm = this.sm!;
    if (sm.queue.length > this.cfg.sm.maxUnacked) {
      this.dropConnection();
      this._closed = true;
      return this.release('unacknowledged queue too long to hibernate');
    }
    this.dropConnection();
    this.hib = true;
    sm.requested = false;
    if (sm.ackTimer) clearTimeout(sm.ackTimer);
    sm.ackTimer = undefined;
    this.hibTimer = setTimeout(() => this.endHibernated('resumption timed out'), sm.timeoutMs);
    this.hibTimer.unref();
    this.log.info({ unacked: sm.queue.length, timeoutMs: sm.timeoutMs }, 'session hibernated');
    this.hostObj!.bus.notify('session/hibernated', { session: this }).catch((err) => this.log.error({ err }, 'session/hibernated failed'));
  }

  private endHibernated(reason: string): void {
    if (this._closed) return;
    this._closed = true;
    this.release(reason);
  }

  /** Forgets the current connection without ending the session. */
  private dropConnection(): void {
    const s = this.socket;
    for (const ev of ['data', 'close', 'error', 'timeout', 'end']) s.removeAllListeners(ev);
    s.on('error', () => {});
    s.setTimeout(0);
    s.destroy();
    dirty.delete(this);
    this.out.length = 0;
    this.connectionGone();
  }

  private connectionGone(): void {
    const onClose = this.conn.onClose;
    this.conn = {};
    onClose?.(this);
  }

  /** On the new stream (still unbound): find the hibernated session and move this connection into it. */
  private resume(el: Element): void {
    const r = this.findResumable(el);
    if (typeof r === 'string') return this.smFailed(r);
    r.old.takeOver(this, r.h);
  }

  /** The session a <resume/> names, or the XEP-0198 §5 condition to fail it with. */
  private findResumable(el: Element): { old: C2SStream; h: number } | string {
    const h = parseH(el.attrs.h);
    const previd = el.attrs.previd;
    if (h === undefined || !previd) return 'bad-request';
    const old = this.cfg.sm.registry.get(previd);
    // The same answer for an unknown id and for someone else's: ids are not to be probed.
    if (!old || old._closed || old.username !== this.username || old.host !== this.host) return 'item-not-found';
    return { old, h };
  }

  /**
   * With `sasl2`, the resumption is inline in a SASL2 <authenticate/> (XEP-0198 §5, XEP-0388 §2.6.1):
   * <resumed/> goes inside the <success/> that `sasl2` builds, followed by the stream features.
   */
  private takeOver(from: C2SStream, h: number, sasl2Success?: (resumed: Element, jid: string) => Element): void {
    const sm = this.sm!;
    if (!sm.queue.ack(h)) {
      from.sm = sm; // for the error's send-count
      from.countTooHigh(h);
      from.sm = undefined;
      return this.endHibernated('resumed with an impossible count');
    }
    if (!this.hib) this.dropConnection();
    if (this.hibTimer) clearTimeout(this.hibTimer);
    this.hibTimer = undefined;
    this.hib = false;
    from.flush();
    const socket = from.handOver();
    this.socket = socket;
    this.isSecure = from.isSecure;
    this.parser = from.parser;
    this.parser.setHandler(this.parserHandler);
    this.conn = from.conn;
    from.conn = {};
    this.conn.onTakeover?.(from, this);
    this.clientId = from.clientId ?? this.clientId;
    this.logger = undefined;
    this.attach(socket);
    const resumed = xml('resumed', { xmlns: NS_SM, h: String(sm.inbound), previd: sm.id! });
    if (sasl2Success) {
      this.write(sasl2Success(resumed, this.jid!.toString()).toString());
      this.sendFeatures();
    } else {
      this.write(resumed.toString());
    }
    const domain = this.host;
    for (const u of sm.queue.pending()) this.write(delayed(u.stanza, domain, u.at).toString());
    this.log.info({ resent: sm.queue.length }, 'session resumed');
    this.hostObj!.bus.notify('session/resumed', { session: this }).catch((err) => this.log.error({ err }, 'session/resumed failed'));
  }

  /** This (unbound) stream gives its connection to a resumed session and ends quietly. */
  private handOver(): Socket {
    const s = this.socket;
    for (const ev of ['data', 'close', 'error', 'timeout', 'end']) s.removeAllListeners(ev);
    s.setTimeout(0);
    this._closed = true;
    this.released = true;
    if (this.authTimer) clearTimeout(this.authTimer);
    dirty.delete(this);
    this.out.length = 0;
    this.inbound.clear();
    return s;
  }

  /**
   * The session is over with stanzas never acknowledged (§4, end: "treat them as RFC 6120 says
   * for undeliverable stanzas"): messages that offline storage would take go there, IQ requests
   * get service-unavailable as for a resource that went away (RFC 6121 §8.5.3.2.1), and the rest
   * (presence, results, errors, chat states) is dropped.
   */
  private settleUnacked(sm: SmState): void {
    const items = sm.queue.drain();
    if (items.length === 0) return;
    const host = this.hostObj!;
    const offline = host.services.maybe('offline');
    let stored = 0;
    for (const { stanza } of items) {
      if (stanza.name === 'iq') {
        if (stanza.attrs.type === 'get' || stanza.attrs.type === 'set') this.cfg.router.reject(stanza, new StanzaError('service-unavailable'));
        continue;
      }
      if (stanza.name !== 'message' || !offline || !storable(stanza)) continue;
      stored++;
      this.cfg.sm.registry.track(offline.store(this.username!, stanza).catch((err) => this.log.warn({ err }, 'unacknowledged message could not be stored')));
    }
    this.log.info({ unacked: items.length, stored }, 'unacknowledged stanzas settled');
  }

  // ---- STARTTLS (RFC 6120 §5.4) ----

  private startTls(): void {
    const ctx = this.cfg.secureContext(this.host);
    if (this.isSecure || this.cfg.starttls === 'off' || !ctx) {
      this.writeNow(`<failure xmlns='${NS_TLS}'/></stream:stream>`);
      this.socket.end();
      return;
    }
    this.writeNow(`<proceed xmlns='${NS_TLS}'/>`);
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.setTimeout(0);
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: ctx, minVersion: this.cfg.minTlsVersion, SNICallback: undefined });
    this.socket = secure;
    this.parser.reset();
    this.phase = 'await-header';
    this.isSecure = true;
    secure.once('secure', () => this.log.debug({ protocol: secure.getProtocol() }, 'tls established'));
    this.attach(secure);
  }

  // ---- SASL (RFC 6120 §6.4) ----

  private async saslAuth(el: Element): Promise<void> {
    const name = el.attrs.mechanism as string | undefined;
    if (this.mechanism) return this.saslFail(new SaslFailure('malformed-request', 'an exchange is already in progress'));
    if (!name || !this.offeredMechanisms().includes(name)) return this.saslFail(new SaslFailure('invalid-mechanism'));
    if (this.cfg.throttle.ipBlocked(this.remoteAddress)) return this.saslFail(new SaslFailure('temporary-auth-failure', 'too many failed attempts'), false);
    this.mechanism = MECHANISMS[name]!(this.saslContext());
    const text = el.getText();
    if (text === '') return this.saslStep(Buffer.alloc(0), true);
    return this.saslStep(decodeSasl(text));
  }

  private saslContext() {
    const host = this.hostObj!;
    const accounts = host.services.get('accounts');
    const admit = (username: string) => {
      this.lastUsername = username;
      if (this.cfg.throttle.accountBlocked(`${username}@${host.domain}`)) throw new SaslFailure('temporary-auth-failure', 'too many failed attempts');
    };
    return {
      lookup: async (username: string) => {
        admit(username);
        return accounts.credentials(username);
      },
      /** XEP-0484 tokens of this client; a failure counts toward throttling like a wrong password. */
      tokens: async (username: string, mechanism: FastMechanismName) => {
        admit(username);
        const fast = host.services.maybe('fast');
        const client = this.sasl2Req?.userAgent?.id;
        const local = Jid.tryParse(`${username}@${host.domain}`)?.local;
        if (!fast || !client || !local) return [];
        return fast.candidates(local, client, mechanism);
      },
      channelBinding: (type: 'tls-exporter' | 'tls-server-end-point') => this.channelBindingData(type),
      channelBindingTypes: this.channelBindingTypes(),
      plusAdvertised: !this.cbTypeRefused && this.offeredMechanisms().some((m) => m.endsWith('-PLUS')),
      /** XEP-0175 §3: logins per address are limited; the localpart is fresh and reserved until release(). */
      anonymous: async () => {
        const anon = host.services.maybe('anonymousLogin');
        if (!anon) throw new SaslFailure('invalid-mechanism');
        if (!anon.admit(this.remoteAddress)) throw new SaslFailure('temporary-auth-failure', 'too many anonymous logins from this address');
        const name = await anon.allocate();
        if (this._closed) {
          void anon.release(name);
          throw new SaslFailure('aborted');
        }
        return name;
      },
    };
  }

  // ---- SASL2 (XEP-0388) ----

  private async sasl2Authenticate(el: Element): Promise<void> {
    if (this.mechanism) return this.saslFail(new SaslFailure('malformed-request', 'an exchange is already in progress'), false, true);
    let req: AuthenticateRequest;
    try {
      req = sasl2.parseAuthenticate(el);
    } catch (err) {
      if (err instanceof SaslFailure) return this.saslFail(err, false, true);
      throw err;
    }
    const name = req.mechanism;
    const fast = (FAST_MECHANISM_NAMES as readonly string[]).includes(name) ? name as FastMechanismName : undefined;
    // §2.3: a mechanism not offered in the feature fails the authentication.
    if (fast ? !this.fastMechanisms().includes(fast) : !this.offeredMechanisms().includes(name)) return this.saslFail(new SaslFailure('invalid-mechanism'), false, true);
    if (this.cfg.throttle.ipBlocked(this.remoteAddress)) return this.saslFail(new SaslFailure('temporary-auth-failure', 'too many failed attempts'), false, true);
    this.sasl2Req = req;
    this.mechanism = fast ? createHt(fast, this.saslContext()) : MECHANISMS[name]!(this.saslContext());
    if (req.initial === undefined) return this.saslStep(Buffer.alloc(0), true);
    return this.saslStep(req.initial);
  }

  private async sasl2Response(el: Element): Promise<void> {
    if (!this.mechanism || !this.sasl2Req) return this.saslFail(new SaslFailure('malformed-request', 'no exchange in progress'), false, true);
    return this.saslStep(sasl2.decodeSaslData(el.getText()));
  }

  /**
   * §2.6.1: what the <authenticate/> asked for besides authentication, in XEP-0386's order: a
   * FAST token (XEP-0484), then <resume/> (XEP-0198 §5; when it works, the rest is skipped),
   * then Bind 2 with its inline features; then <success/> and the stream features, no restart.
   */
  private async sasl2Succeeded(user: string, done: SaslResult, req: AuthenticateRequest): Promise<void> {
    const host = this.hostObj!;
    const extra: Element[] = [];
    const fast = host.services.maybe('fast');
    const client = req.userAgent?.id;
    const fastEl = req.inline.find((c) => c.name === 'fast' && c.attrs.xmlns === NS_FAST);
    const requested = req.inline.find((c) => c.name === 'request-token' && c.attrs.xmlns === NS_FAST)?.attrs.mechanism as string | undefined;
    // No FAST token for an anonymous session: its identity ends with it (XEP-0175).
    let issueFor = !done.anonymous && requested !== undefined && (this.fastMechanisms() as string[]).includes(requested) ? requested as FastMechanismName : undefined;
    if (done.token && fast && client) {
      const invalidate = fastEl?.attrs.invalidate === 'true' || fastEl?.attrs.invalidate === '1';
      const { rotate } = await fast.used(user, client, done.token, { invalidate });
      // §3.5: the server may rotate on its own; §3.6: never after an invalidation unless asked.
      if (rotate && !issueFor) issueFor = req.mechanism as FastMechanismName;
    }
    if (issueFor && fast && client) {
      const t = await fast.issue(user, client, issueFor, done.token);
      extra.push(xml('token', { xmlns: NS_FAST, expiry: t.expiry.toISOString(), token: t.token }));
    }
    if (this._closed) return;
    this.cfg.throttle.recordSuccess(`${user}@${host.domain}`);
    this.username = user;
    this.authenticated = true;
    this.clientId = client;
    this.log.info({ user, host: host.domain, mechanism: req.mechanism }, 'authenticated (SASL2)');

    const resume = req.inline.find((c) => c.name === 'resume' && c.attrs.xmlns === NS_SM);
    if (resume) {
      const r = this.findResumable(resume);
      if (typeof r !== 'string') {
        // This stream ends either way: its connection moves into the old session, or (an
        // impossible count) both end with a stream error.
        r.old.takeOver(this, r.h, (resumed, jid) => sasl2.success(jid, done.additionalData, [...extra, resumed]));
        return;
      }
      // XEP-0386 §3.2: the failure is reported, then the bind goes ahead.
      extra.push(smFailure(r));
    }

    const bindEl = req.inline.find((c) => c.name === 'bind' && c.attrs.xmlns === NS_BIND2);
    if (!bindEl) {
      this.writeNow(sasl2.success(`${user}@${host.domain}`, done.additionalData, extra).toString());
      this.sendFeatures();
      return;
    }
    const bind = parseBind(bindEl);
    const resource = chooseResource(user, bind.tag, client, (r) => {
      const s = host.sessions.resourcesOf(user)?.get(r);
      // A hibernated holder gives way, as in RFC 6120 binding: its client is not there to object.
      if (s === undefined || s.hibernated) return undefined;
      return s instanceof C2SStream ? s.clientId ?? '' : '';
    });
    // §3.2: a new bind from the same client ends its earlier sessions.
    if (client) {
      for (const s of host.sessions.sessionsOf(user)) {
        if (s instanceof C2SStream && s !== this && s.clientId === client && s.jid?.resource !== resource) s.close(new StreamError('conflict', 'replaced by a new session of the same client'));
      }
    }
    this.bindResource(resource);
    const bound: Element[] = [];
    if (bind.smEnable) bound.push(this.sm ? smFailure('unexpected-request') : this.startSm(bind.smEnable));
    for (const element of bind.features) {
      try {
        await host.bus.fire('bind2/inline', { session: this, element, bound });
      } catch (err) {
        this.log.warn({ err, feature: element.attrs.xmlns }, 'bind 2 inline feature failed');
      }
    }
    if (this._closed) return;
    extra.push(xml('bound', { xmlns: NS_BIND2 }, ...bound));
    this.writeNow(sasl2.success(this.jid!.toString(), done.additionalData, extra).toString());
    this.sendFeatures();
    await host.bus.notify('session/bound', { session: this });
  }

  private async saslResponse(el: Element): Promise<void> {
    if (!this.mechanism) return this.saslFail(new SaslFailure('malformed-request', 'no exchange in progress'));
    return this.saslStep(decodeSasl(el.getText()));
  }

  private saslAbort(v2: boolean): void {
    this.mechanism = undefined;
    this.sasl2Req = undefined;
    this.writeNow(v2 ? sasl2.failure(new SaslFailure('aborted')).toString() : `<failure xmlns='${NS_SASL}'><aborted/></failure>`);
  }

  private async saslStep(input: Buffer | undefined, noInitialResponse = false): Promise<void> {
    const mech = this.mechanism!;
    try {
      if (!input) throw new SaslFailure('incorrect-encoding');
      // No initial response: send an empty challenge, the client answers with the first message.
      if (noInitialResponse) {
        this.write(this.sasl2Req ? sasl2.challenge(Buffer.alloc(0)).toString() : xml('challenge', { xmlns: NS_SASL }).toString());
        return;
      }
      const step = await mech.step(input);
      if (this._closed) return;
      if (step.challenge) {
        if (this.sasl2Req) this.write(sasl2.challenge(step.challenge).toString());
        else this.write(xml('challenge', { xmlns: NS_SASL }, step.challenge.length ? step.challenge.toString('base64') : '=').toString());
        return;
      }
      if (step.done) {
        if (step.done.anonymous) {
          // Set before anything else can fail, so release() frees the name whatever happens next.
          this.anonymous = true;
          this.username = step.done.username;
        }
        return this.saslSucceeded(step.done.username, step.done.authzid, step.done.additionalData, step.done);
      }
    } catch (err) {
      if (err instanceof ChannelBindingUnsupported) {
        this.cbTypeRefused = true;
        return this.saslFail(err, false);
      }
      if (err instanceof SaslFailure) return this.saslFail(err);
      throw err;
    }
  }

  private async saslSucceeded(username: string, authzid: string | undefined, additional: Buffer | undefined, done: SaslResult): Promise<void> {
    const host = this.hostObj!;
    this.mechanism = undefined;
    let user: string;
    try {
      user = Jid.of(username, host.domain).local;
    } catch {
      return this.saslFail(new SaslFailure('not-authorized'));
    }
    if (authzid) {
      const z = Jid.tryParse(authzid);
      if (!z || z.bareString !== `${user}@${host.domain}` || z.resource) return this.saslFail(new SaslFailure('invalid-authzid'));
    }
    const req = this.sasl2Req;
    if (req) {
      this.sasl2Req = undefined;
      return this.sasl2Succeeded(user, done, req);
    }
    this.cfg.throttle.recordSuccess(`${user}@${host.domain}`);
    this.username = user;
    this.authenticated = true;
    this.writeNow(additional && additional.length ? `<success xmlns='${NS_SASL}'>${additional.toString('base64')}</success>` : `<success xmlns='${NS_SASL}'/>`);
    this.parser.reset();
    this.phase = 'await-header';
    this.log.info({ user, host: host.domain }, 'authenticated');
  }

  private saslFail(f: SaslFailure, count = true, v2 = this.sasl2Req !== undefined): void {
    this.mechanism = undefined;
    this.sasl2Req = undefined;
    if (this.anonymous && !this.authenticated && this.hostObj) {
      // A made-up name whose login did not complete is freed at once.
      void this.releaseAnonymous(this.hostObj);
      this.anonymous = false;
      this.username = undefined;
    }
    if (count && (f.condition === 'not-authorized' || f.condition === 'invalid-authzid')) {
      this.saslFailures++;
      this.cfg.throttle.recordFailure(this.remoteAddress, this.lastUsername ? `${this.lastUsername}@${this.host}` : undefined);
      this.log.info({ condition: f.condition }, 'authentication failed');
    }
    const text = f.text ? `<text xml:lang='en'>${escapeText(f.text)}</text>` : '';
    this.writeNow(v2 ? sasl2.failure(f).toString() : `<failure xmlns='${NS_SASL}'><${f.condition}/>${text}</failure>`);
    if (this.saslFailures >= MAX_SASL_ATTEMPTS) this.streamError(new StreamError('policy-violation', 'too many failed authentication attempts'));
  }

  private async preAuthRegister(el: Element): Promise<void> {
    const reg = this.hostObj!.services.maybe('registration');
    if (!reg || !this.authAllowed()) {
      this.send(errorReply(el, new StanzaError('service-unavailable')));
      return;
    }
    this.send(await reg.preAuth(el, this));
  }

  // ---- resource binding (RFC 6120 §7) ----

  private async bind(el: Element): Promise<void> {
    const host = this.hostObj!;
    const requested = iqPayload(el)!.getChildText('resource');
    let resource: string;
    try {
      resource = requested ? prepareResource(requested) : randomBytes(6).toString('base64url');
    } catch (err) {
      if (err instanceof JidError) {
        this.send(errorReply(el, new StanzaError('bad-request', 'the resource cannot be prepared')));
        return;
      }
      throw err;
    }
    this.bindResource(resource);
    this.send(iqResult(el, xml('bind', { xmlns: NS_BIND }, xml('jid', {}, this.jid!.toString()))));
    await host.bus.notify('session/bound', { session: this });
  }

  private bindResource(resource: string): void {
    const host = this.hostObj!;
    this.jid = Jid.of(this.username!, host.domain, resource);
    this.logger = undefined;
    const replaced = host.sessions.bind(this.username!, resource, this);
    if (replaced && replaced !== this) replaced.close(new StreamError('conflict', 'replaced by a new session'));
    this.phase = 'bound';
    if (this.authTimer) clearTimeout(this.authTimer);
  }

  // ---- closing ----

  streamError(err: StreamError): void {
    if (this.hib) return this.endHibernated(err.condition);
    if (this._closed) return;
    if (!this.headerSent) this.sendHeader(this.hostObj?.domain ?? '', {});
    const text = err.text ? `<text xmlns='${NS_STREAMS}' xml:lang='en'>${escapeText(err.text)}</text>` : '';
    this.log.info({ condition: err.condition, text: err.text }, 'stream error');
    this.writeNow(`<stream:error><${err.condition} xmlns='${NS_STREAMS}'/>${text}</stream:error></stream:stream>`);
    this.shutdown(err.condition, err);
  }

  close(error?: StreamError): void {
    if (this.hib) return this.endHibernated(error?.condition ?? 'closed');
    if (error) return this.streamError(error);
    if (this._closed) return;
    if (!this.headerSent) this.sendHeader(this.hostObj?.domain ?? '', {});
    this.writeNow('</stream:stream>');
    this.shutdown('closed');
  }

  private shutdown(reason: string, error?: Error): void {
    if (this._closed) return;
    this._closed = true;
    this.socket.end();
    // A peer that never closes its side must not hold the socket forever.
    setTimeout(() => this.socket.destroy(), 5_000).unref();
    this.release(reason, error);
  }

  private onSocketClosed(): void {
    if (this.resumable()) return this.hibernate();
    if (!this._closed) {
      this._closed = true;
      this.release('disconnected');
    }
  }

  private async releaseAnonymous(host: Host): Promise<void> {
    const user = this.username;
    if (!user) return;
    try {
      await host.services.maybe('anonymousLogin')?.release(user);
    } catch (err) {
      this.log.error({ err }, 'purging an anonymous session failed');
    }
  }

  private released = false;
  private release(reason: string, error?: Error): void {
    if (this.released) return;
    this.released = true;
    if (this.authTimer) clearTimeout(this.authTimer);
    if (this.hibTimer) clearTimeout(this.hibTimer);
    dirty.delete(this);
    ackDue.delete(this);
    this.inbound.clear();
    this.connectionGone();
    const host = this.hostObj;
    if (host && !this.jid && this.anonymous) void this.releaseAnonymous(host);
    if (!host || !this.jid) return;
    const sm = this.sm;
    if (sm) {
      if (sm.ackTimer) clearTimeout(sm.ackTimer);
      if (sm.id) this.cfg.sm.registry.delete(sm.id, this);
      this.settleUnacked(sm);
    }
    const wasBound = host.sessions.unbind(this);
    if (wasBound || this.phase === 'bound') {
      const closed = host.bus.notify('session/closed', { session: this, reason, error }).catch((err) => this.log.error({ err }, 'session/closed failed'));
      // After every module has had the session/closed event (the last module writes then), its data is purged.
      if (this.anonymous) void closed.then(() => this.releaseAnonymous(host));
    } else if (this.anonymous) {
      void this.releaseAnonymous(host);
    }
  }
}

function smFailure(condition: string): Element {
  return xml('failed', { xmlns: NS_SM }, xml(condition, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }));
}

/** A message or presence re-sent after resumption says when it was first sent (XEP-0203). */
function delayed(stanza: Element, domain: string, at: number): Element {
  if (stanza.name === 'iq' || stanza.getChild('delay', NS_DELAY)) return stanza;
  const copy = withAttrs(stanza, {});
  copy.append(xml('delay', { xmlns: NS_DELAY, from: domain, stamp: new Date(at).toISOString() }));
  return copy;
}

/** What offline storage takes (XEP-0160 §3 and XEP-0334 hints): chat and normal messages with a body. */
function storable(m: Element): boolean {
  const type = m.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  if (m.getChild('no-store', NS_HINTS) || m.getChild('no-permanent-store', NS_HINTS)) return false;
  return m.getChild('body') !== undefined;
}

function decodeSasl(text: string): Buffer | undefined {
  const t = text.trim();
  if (t === '=') return Buffer.alloc(0);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) return undefined;
  return Buffer.from(t, 'base64');
}

/** RFC 5929 §4.1: hash of the server certificate with its signature's hash (SHA-256 for MD5/SHA-1). */
function serverEndPoint(s: tls.TLSSocket): Buffer | undefined {
  const cert = s.getCertificate();
  if (!cert || !('raw' in cert) || !cert.raw) return undefined;
  return createHash(endPointHash(cert.fingerprint256, cert.raw)).update(cert.raw).digest();
}

const endPointHashes = new Map<string, string>();
function endPointHash(fingerprint: string, raw: Buffer): string {
  let algo = endPointHashes.get(fingerprint);
  if (!algo) {
    const oid = forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(raw.toString('binary')))).siginfo.algorithmOid;
    const name = forge.pki.oids[oid] ?? '';
    algo = /sha384/i.test(name) ? 'sha384' : /sha512/i.test(name) ? 'sha512' : 'sha256';
    endPointHashes.set(fingerprint, algo);
  }
  return algo;
}

function escapeAttr(s: string): string {
  return s.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
function escapeText(s: string): string {
  return s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

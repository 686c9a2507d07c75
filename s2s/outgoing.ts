/**
 * An outgoing s2s stream from a local domain to a remote one (RFC 6120 §4, §5, §6; XEP-0178;
 * XEP-0220; XEP-0368 for direct TLS targets). Set up once and reused for every stanza of that
 * domain pair; stanzas wait in a queue meanwhile and bounce if it cannot be set up
 * (remote-server-not-found, or remote-server-timeout when it took too long; RFC 6120 §8.3.3.14–15).
 *
 *   connect → header → [features: STARTTLS → TLS → header] → features:
 *     certificate valid for the remote domain and EXTERNAL offered → SASL EXTERNAL → header → ready
 *     else, where the policy allows → <db:result/> with our key → type='valid' → ready
 * <db:verify/> requests (we are the receiving server checking a key) ride on this stream once it
 * is past TLS, authenticated or not (XEP-0220 §2.3).
 */
import net from 'node:net';
import tls from 'node:tls';
import xml, { type Element } from '@xmpp/xml';
import { type StanzaErrorCondition, StreamError } from '../server/core/errors.js';
import { childElements } from '../server/core/stanza.js';
import { Connection, escapeAttr, NS_DIALBACK, NS_DIALBACK_FEATURE, NS_SASL, NS_SERVER, NS_STREAM, NS_TLS } from './connection.js';
import type { Federation } from './federation.js';
import { certProblem, certValidFor } from './identity.js';
import { resolveTargets, type Target } from './resolve.js';

type State = 'connecting' | 'negotiating' | 'ready' | 'failed';

interface PendingVerify { id: string; key: string; resolve(valid: boolean | undefined): void }

export class OutgoingStream {
  state: State = 'connecting';
  authMethod?: 'sasl-external' | 'dialback';
  private conn?: OutgoingConnection;
  private readonly queue: Element[] = [];
  private readonly verifies: PendingVerify[] = [];
  private readonly sentVerifies: PendingVerify[] = [];
  private verifyReady = false;
  private timer?: NodeJS.Timeout;

  /** Read through a getter: the state changes behind awaits, which narrowing does not see. */
  private get failed(): boolean { return this.state === 'failed'; }

  constructor(readonly local: string, readonly remote: string, private readonly fed: Federation) {}

  get log() { return this.fed.log.child({ direction: 'out', local: this.local, remote: this.remote }); }

  start(): void {
    this.timer = setTimeout(() => this.fail('remote-server-timeout', 'stream setup timed out'), this.fed.opts.connectTimeoutMs);
    this.timer.unref();
    void this.connect();
  }

  private async connect(): Promise<void> {
    let targets: Target[];
    try {
      targets = await resolveTargets(this.remote, this.fed.opts.domains[this.remote], this.fed.opts.resolver);
    } catch (err) {
      this.log.info({ err }, 'resolution failed');
      return this.fail('remote-server-not-found', 'no address for the domain');
    }
    for (const t of targets) {
      if (this.failed) return;
      const socket = await this.tryConnect(t);
      if (this.failed) {
        socket?.destroy();
        return;
      }
      if (!socket) continue;
      this.log.info({ host: t.host, port: t.port, directTls: t.directTls }, 's2s connected');
      this.state = 'negotiating';
      this.conn = new OutgoingConnection(socket, this, this.fed);
      this.conn.sendHeader();
      return;
    }
    this.fail('remote-server-not-found', 'no address could be reached');
  }

  private tryConnect(t: Target): Promise<net.Socket | undefined> {
    return new Promise((resolve) => {
      const onError = (err: Error) => {
        this.log.info({ host: t.host, port: t.port, err: err.message }, 'connect failed');
        resolve(undefined);
      };
      if (t.directTls) {
        const s = tls.connect({ ...this.fed.clientTls(this.local, this.remote), host: t.host, port: t.port, ALPNProtocols: ['xmpp-server'] });
        s.once('error', onError);
        s.once('secureConnect', () => { s.off('error', onError); resolve(s); });
      } else {
        const s = net.connect({ host: t.host, port: t.port });
        s.once('error', onError);
        s.once('connect', () => { s.off('error', onError); resolve(s); });
      }
    });
  }

  /** Queues or sends a stanza for the remote domain. */
  send(stanza: Element): void {
    if (this.state === 'ready' && this.conn && !this.conn.closed) {
      this.conn.send(stanza);
      return;
    }
    if (this.state === 'failed') {
      this.fed.bounce(stanza, 'remote-server-not-found');
      return;
    }
    if (this.queue.length >= this.fed.opts.maxQueued) {
      this.fed.bounce(stanza, 'resource-constraint');
      return;
    }
    this.queue.push(stanza);
  }

  /** Asks the remote (authoritative) server whether it issued `key` for stream `id` (XEP-0220 §2.3). */
  verify(id: string, key: string): Promise<boolean | undefined> {
    return new Promise((resolve) => {
      if (this.state === 'failed') return resolve(undefined);
      const v = { id, key, resolve };
      this.verifies.push(v);
      this.flushVerifies();
    });
  }

  private flushVerifies(): void {
    if (!this.verifyReady || !this.conn) return;
    for (const v of this.verifies.splice(0)) {
      this.sentVerifies.push(v);
      this.conn.write(`<db:verify from='${escapeAttr(this.local)}' to='${escapeAttr(this.remote)}' id='${escapeAttr(v.id)}'>${escapeAttr(v.key)}</db:verify>`);
    }
  }

  // ---- called by the connection ----

  /** Negotiation reached authentication: verify requests may go now. */
  authPhase(): void {
    this.verifyReady = true;
    this.flushVerifies();
  }

  verified(el: Element): void {
    const i = this.sentVerifies.findIndex((v) => v.id === el.attrs.id);
    if (i < 0) return;
    const [v] = this.sentVerifies.splice(i, 1);
    v!.resolve(el.attrs.type === 'valid' ? true : el.attrs.type === 'invalid' ? false : undefined);
  }

  ready(method: 'sasl-external' | 'dialback'): void {
    if (this.state !== 'negotiating') return;
    clearTimeout(this.timer);
    this.state = 'ready';
    this.authMethod = method;
    this.log.info({ auth: method, secure: this.conn?.secure }, 's2s stream authenticated');
    for (const s of this.queue.splice(0)) this.conn!.send(s);
  }

  fail(condition: StanzaErrorCondition, why: string): void {
    if (this.state === 'failed') return;
    const wasReady = this.state === 'ready';
    this.state = 'failed';
    clearTimeout(this.timer);
    if (wasReady) this.log.info({ why }, 's2s stream closed');
    else this.log.info({ why, condition }, 's2s stream failed');
    this.fed.forget(this);
    for (const s of this.queue.splice(0)) this.fed.bounce(s, condition);
    for (const v of [...this.verifies.splice(0), ...this.sentVerifies.splice(0)]) v.resolve(undefined);
    if (this.conn && !this.conn.closed) this.conn.close();
  }
}

class OutgoingConnection extends Connection {
  private streamId?: string;
  private sasl = false;
  private dialbackTried = false;
  private dbPrefix = false;

  constructor(socket: net.Socket, private readonly out: OutgoingStream, private readonly fed: Federation) {
    super(socket, fed.opts.limits, out.log);
  }

  sendHeader(): void {
    this.headerSent = true;
    this.write(`<?xml version='1.0'?><stream:stream xmlns='${NS_SERVER}' xmlns:stream='${NS_STREAM}' xmlns:db='${NS_DIALBACK}' from='${escapeAttr(this.out.local)}' to='${escapeAttr(this.out.remote)}' version='1.0'>`);
  }

  protected errorHeader(): string { return ''; }

  protected override idle(): void {
    super.idle();
  }

  protected onClosed(): void {
    this.out.fail('remote-server-not-found', 'connection closed');
  }

  protected onStreamStart(name: string, attrs: Record<string, string>): void {
    if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS_STREAM || attrs.xmlns !== NS_SERVER) throw new StreamError('invalid-namespace');
    this.streamId = attrs.id;
    this.dbPrefix = attrs['xmlns:db'] === NS_DIALBACK;
    // RFC 6120 §4.7.5: without version 1.0 there are no features; only dialback can follow.
    if (!attrs.version || Number.parseInt(attrs.version, 10) < 1) {
      this.out.authPhase();
      this.authenticate(undefined);
    }
  }

  private isDb(el: Element, local: string): boolean {
    return (el.name === `db:${local}` && this.dbPrefix) || (el.name === local && el.attrs.xmlns === NS_DIALBACK);
  }

  protected handle(el: Element): void {
    if (el.name === 'stream:features') return this.features(el);
    if (el.name === 'stream:error') {
      const cond = childElements(el)[0]?.name ?? 'undefined-condition';
      this.out.fail('remote-server-not-found', `stream error ${cond}`);
      return;
    }
    if (el.attrs.xmlns === NS_TLS) {
      if (el.name === 'proceed') return this.startTls();
      return this.out.fail('remote-server-not-found', 'STARTTLS refused');
    }
    if (el.attrs.xmlns === NS_SASL) {
      if (el.name === 'success') {
        this.sasl = true;
        this.restart();
        this.sendHeader();
        return;
      }
      this.log.info('SASL EXTERNAL refused');
      return this.dialback(`SASL EXTERNAL failed`);
    }
    if (this.isDb(el, 'result')) {
      if (el.attrs.type === 'valid' && el.attrs.from === this.out.remote && el.attrs.to === this.out.local) return this.out.ready('dialback');
      return this.out.fail('remote-server-not-found', `dialback ${el.attrs.type ?? 'answer without type'}`);
    }
    if (this.isDb(el, 'verify')) return this.out.verified(el);
    // Nothing else is expected on an outgoing stream (stanzas come on the peer's own stream).
  }

  private features(el: Element): void {
    const starttls = el.getChild('starttls', NS_TLS);
    if (this.sasl) return this.out.ready('sasl-external');
    if (!this.secure && starttls && this.fed.canTls(this.out.local)) {
      this.write(`<starttls xmlns='${NS_TLS}'/>`);
      return;
    }
    if (!this.secure && this.fed.opts.encryption === 'required') return this.out.fail('remote-server-not-found', 'the peer offers no TLS and encryption is required');
    this.out.authPhase();
    this.authenticate(el);
  }

  private authenticate(features: Element | undefined): void {
    const remote = this.out.remote;
    const valid = this.socket instanceof tls.TLSSocket && certValidFor(this.socket, remote);
    const mechs = features?.getChild('mechanisms', NS_SASL)?.getChildren('mechanism').map((m) => m.getText().trim()) ?? [];
    if (valid && mechs.includes('EXTERNAL')) {
      // XEP-0178 §3 step 9: the authorization identity is our domain.
      this.write(`<auth xmlns='${NS_SASL}' mechanism='EXTERNAL'>${Buffer.from(this.out.local).toString('base64')}</auth>`);
      return;
    }
    const why = !this.secure ? 'no TLS' : valid ? 'peer offers no SASL EXTERNAL' : `certificate: ${this.socket instanceof tls.TLSSocket ? certProblem(this.socket, remote) : 'none'}`;
    const dialbackOffered = !features || features.getChild('dialback', NS_DIALBACK_FEATURE) !== undefined || this.dbPrefix;
    if (!dialbackOffered) return this.out.fail('remote-server-not-found', `${why}, and no dialback offered`);
    this.dialback(why);
  }

  private dialback(why: string): void {
    const policy = this.fed.policyFor(this.out.remote);
    if (policy !== 'allow_dialback' || this.dialbackTried) return this.out.fail('remote-server-not-found', `cannot authenticate: ${why} (policy ${policy})`);
    if (!this.streamId) return this.out.fail('remote-server-not-found', 'no stream id for dialback');
    this.dialbackTried = true;
    this.log.debug({ why }, 'authenticating with dialback');
    const key = this.fed.keys.key(this.out.remote, this.out.local, this.streamId);
    this.send(xml('db:result', { from: this.out.local, to: this.out.remote }, key));
  }

  private startTls(): void {
    const secure = tls.connect({ ...this.fed.clientTls(this.out.local, this.out.remote), socket: this.socket });
    secure.once('secureConnect', () => this.sendHeader());
    this.upgrade(secure);
  }
}

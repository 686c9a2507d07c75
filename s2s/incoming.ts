/**
 * An incoming s2s stream (RFC 6120 §4–§6, §8.1.1.2): the peer proves its domain with a
 * certificate and SASL EXTERNAL (XEP-0178) or with Server Dialback (XEP-0220 §2.2, §2.4), and may
 * ask us to verify keys we issued (<db:verify/>, §2.3, answered from the HMAC, XEP-0185). Every
 * stanza must come from a domain authenticated on this stream (invalid-from otherwise) and go to
 * a domain we serve (host-unknown otherwise); it then goes through the router's delivery side.
 */
import tls from 'node:tls';
import type net from 'node:net';
import xml, { type Element } from '@xmpp/xml';
import { NS_STANZAS, StanzaError, StreamError } from '../server/core/errors.js';
import type { StanzaKind } from '../server/core/events.js';
import { Jid } from '../server/core/jid.js';
import { Connection, escapeAttr, newStreamId, NS_DIALBACK, NS_DIALBACK_FEATURE, NS_SASL, NS_SERVER, NS_STREAM, NS_TLS } from './connection.js';
import type { Federation } from './federation.js';
import { certValidFor } from './identity.js';

const KINDS = new Set(['message', 'presence', 'iq']);
const IQ_TYPES = new Set(['get', 'set', 'result', 'error']);

export class IncomingStream extends Connection {
  /** Remote domains authenticated on this stream, with how. */
  readonly authenticated = new Map<string, 'sasl-external' | 'dialback'>();
  private streamId = newStreamId();
  private to?: string;
  private from?: string;
  private dbPrefix = false;
  private saslDone = false;

  constructor(socket: net.Socket, private readonly fed: Federation) {
    super(socket, { ...fed.opts.limits, rateBytesPerS: fed.opts.rateBytesPerS }, fed.log.child({ direction: 'in', ip: socket.remoteAddress }));
  }

  get localDomain(): string | undefined { return this.to; }

  protected errorHeader(): string {
    return `<?xml version='1.0'?><stream:stream xmlns='${NS_SERVER}' xmlns:stream='${NS_STREAM}' id='${this.streamId}' version='1.0'>`;
  }

  protected onClosed(): void {
    this.fed.incomingClosed(this);
  }

  protected onStreamStart(name: string, attrs: Record<string, string>): void {
    this.streamId = newStreamId();
    const to = attrs.to ? Jid.tryParse(attrs.to)?.domain : undefined;
    const from = attrs.from ? Jid.tryParse(attrs.from)?.domain : undefined;
    const a = [`xmlns='${NS_SERVER}'`, `xmlns:stream='${NS_STREAM}'`, `xmlns:db='${NS_DIALBACK}'`, `id='${this.streamId}'`, `version='1.0'`];
    if (to) a.push(`from='${escapeAttr(to)}'`);
    if (from) a.push(`to='${escapeAttr(from)}'`);
    this.write(`<?xml version='1.0'?><stream:stream ${a.join(' ')}>`);
    this.headerSent = true;
    if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS_STREAM) throw new StreamError('invalid-namespace');
    if (attrs.xmlns !== NS_SERVER) throw new StreamError('invalid-namespace');
    if (!to || !this.fed.serves(to)) throw new StreamError('host-unknown');
    if (this.to && this.to !== to) throw new StreamError('host-unknown', 'the domain changed on restart');
    if (this.from && from !== this.from) throw new StreamError('invalid-from', 'the domain changed on restart');
    this.to = to;
    this.from = from;
    this.dbPrefix = attrs['xmlns:db'] === NS_DIALBACK;
    if (from && this.fed.policyFor(from) === 'deny') throw new StreamError('policy-violation', 'federation with this domain is not allowed');
    if (attrs.version && Number.parseInt(attrs.version, 10) >= 1) this.sendFeatures();
  }

  private certValid(domain: string): boolean {
    return this.socket instanceof tls.TLSSocket && certValidFor(this.socket, domain);
  }

  private mustEncrypt(): boolean {
    return !this.secure && this.fed.opts.encryption === 'required';
  }

  private sendFeatures(): void {
    const f = xml('stream:features');
    if (!this.secure && this.fed.canTls(this.to!)) {
      const st = xml('starttls', { xmlns: NS_TLS });
      if (this.fed.opts.encryption === 'required') st.append(xml('required'));
      f.append(st);
    }
    if (!this.saslDone && this.from && this.secure && this.certValid(this.from)) {
      f.append(xml('mechanisms', { xmlns: NS_SASL }, xml('mechanism', {}, 'EXTERNAL')));
    }
    if (!this.mustEncrypt()) f.append(xml('dialback', { xmlns: NS_DIALBACK_FEATURE }, xml('errors')));
    this.send(f);
  }

  private isDb(el: Element, local: string): boolean {
    return (el.name === `db:${local}` && this.dbPrefix) || (el.name === local && el.attrs.xmlns === NS_DIALBACK);
  }

  protected handle(el: Element): void | Promise<void> {
    if (KINDS.has(el.name)) return this.stanza(el);
    if (el.name === 'starttls' && el.attrs.xmlns === NS_TLS) return this.startTls();
    if (el.name === 'auth' && el.attrs.xmlns === NS_SASL) return this.saslExternal(el);
    if (this.isDb(el, 'result')) {
      // Not awaited: the stream keeps flowing (the peer may need to send <db:verify/> on it meanwhile).
      this.dialbackResult(el).catch((err) => (err instanceof StreamError ? this.streamError(err) : this.log.error({ err }, 'dialback failed')));
      return;
    }
    if (this.isDb(el, 'verify')) return this.dialbackVerify(el);
    if (el.name === 'stream:error') {
      this.log.info({ error: el.toString() }, 'peer sent a stream error');
      return this.close();
    }
    throw new StreamError('unsupported-stanza-type');
  }

  private startTls(): void {
    const ctx = this.fed.serverContext(this.to!);
    if (this.secure || !ctx) {
      this.write(`<failure xmlns='${NS_TLS}'/>`);
      return this.close();
    }
    this.write(`<proceed xmlns='${NS_TLS}'/>`);
    // The peer's certificate is requested and checked ourselves: a missing or unknown one still allows dialback.
    const secure = new tls.TLSSocket(this.socket, { isServer: true, secureContext: ctx, requestCert: true, rejectUnauthorized: false });
    this.upgrade(secure);
  }

  /** XEP-0178 §3 step 10.2: a failure, then the stream is closed. */
  private saslFailure(condition: string): void {
    this.log.info({ remote: this.from, condition }, 'SASL EXTERNAL refused');
    this.write(`<failure xmlns='${NS_SASL}'><${condition}/></failure>`);
    this.close();
  }

  private saslExternal(el: Element): void {
    if (el.attrs.mechanism !== 'EXTERNAL' || this.saslDone) return this.saslFailure('invalid-mechanism');
    if (!this.secure || !this.from) return this.saslFailure('not-authorized');
    const text = el.getText().trim();
    let authzid = this.from;
    if (text !== '' && text !== '=') {
      // Trimmed: XEP-0178's own example encodes a trailing newline.
      const decoded = Buffer.from(text, 'base64').toString('utf8').trim();
      authzid = Jid.tryParse(decoded)?.domain ?? decoded;
    }
    // XEP-0178 §3 step 10: the authorization identity must be the stream's 'from'.
    if (authzid !== this.from) return this.saslFailure('invalid-authzid');
    if (!this.certValid(authzid) || this.fed.policyFor(authzid) === 'deny') return this.saslFailure('not-authorized');
    this.saslDone = true;
    this.authenticated.set(authzid, 'sasl-external');
    this.log.info({ remote: authzid, local: this.to, auth: 'sasl-external' }, 's2s stream authenticated');
    this.write(`<success xmlns='${NS_SASL}'/>`);
    this.restart();
  }

  private dbResultReply(from: string, to: string, type: string, condition?: string): void {
    const r = xml('db:result', { from, to, type });
    if (condition) r.append(xml('error', { type: 'cancel' }, xml(condition, { xmlns: NS_STANZAS })));
    this.send(r);
  }

  /** XEP-0220 §2.2–§2.4: the originating server's key, checked with its authoritative server. */
  private async dialbackResult(el: Element): Promise<void> {
    const remote = Jid.tryParse(el.attrs.from)?.domain;
    const local = Jid.tryParse(el.attrs.to)?.domain;
    const key = el.getText().trim();
    if (!remote || !local || !key) throw new StreamError('improper-addressing');
    if (el.attrs.type) return; // a receiving server's answer does not belong on an incoming stream
    if (!this.fed.serves(local)) return this.dbResultReply(local, remote, 'error', 'item-not-found');
    if (this.mustEncrypt()) return this.dbResultReply(local, remote, 'error', 'policy-violation');
    const policy = this.fed.policyFor(remote);
    if (policy === 'deny') return this.dbResultReply(local, remote, 'error', 'policy-violation');
    const certOk = this.certValid(remote);
    if (policy === 'require_valid_cert' && !certOk) return this.dbResultReply(local, remote, 'error', 'not-acceptable');
    let valid: boolean | undefined;
    if (certOk) {
      // XEP-0344 §2.4: a certificate that authenticates the domain makes the callback unnecessary.
      valid = true;
    } else {
      valid = await this.fed.verifyKey(local, remote, this.streamId, key);
    }
    if (this.closed) return;
    if (valid === undefined) return this.dbResultReply(local, remote, 'error', 'remote-server-not-found');
    if (!valid) {
      this.log.info({ remote, local }, 'dialback key invalid');
      return this.dbResultReply(local, remote, 'invalid');
    }
    this.authenticated.set(remote, 'dialback');
    this.log.info({ remote, local, auth: 'dialback', secure: this.secure }, 's2s stream authenticated');
    this.dbResultReply(local, remote, 'valid');
  }

  /** XEP-0220 §2.3: we are the authoritative server; only keys we issued (the HMAC) are valid. */
  private dialbackVerify(el: Element): void {
    const receiving = Jid.tryParse(el.attrs.from)?.domain;
    const originating = Jid.tryParse(el.attrs.to)?.domain;
    const id = el.attrs.id;
    if (!receiving || !originating || !id) throw new StreamError('improper-addressing');
    const valid = this.fed.serves(originating) && this.fed.keys.verify(receiving, originating, id, el.getText());
    this.log.info({ receiving, originating, valid }, 'dialback verify request');
    this.send(xml('db:verify', { from: originating, to: receiving, id, type: valid ? 'valid' : 'invalid' }));
  }

  private stanza(el: Element): void | Promise<void> {
    if (this.authenticated.size === 0) throw new StreamError('not-authorized');
    const ns = el.attrs.xmlns;
    if (ns !== undefined && ns !== NS_SERVER) throw new StreamError('invalid-namespace');
    if (!el.attrs.from || !el.attrs.to) throw new StreamError('improper-addressing');
    const from = Jid.tryParse(el.attrs.from);
    // RFC 6120 §4.9.3.9: a 'from' the stream has not authenticated.
    if (!from || !this.authenticated.has(from.domain)) throw new StreamError('invalid-from');
    const to = Jid.tryParse(el.attrs.to);
    if (!to) {
      this.fed.router.reject(el, new StanzaError('jid-malformed'));
      return;
    }
    if (!this.fed.serves(to.domain)) throw new StreamError('host-unknown');
    if (ns !== undefined) delete el.attrs.xmlns;
    el.attrs.from = from.toString();
    el.attrs.to = to.toString();
    const kind = el.name as StanzaKind;
    const type = el.attrs.type;
    if (kind === 'iq' && (!el.attrs.id || !IQ_TYPES.has(type))) {
      this.fed.router.reject(el, new StanzaError('bad-request', 'iq needs an id and a type'));
      return;
    }
    return this.fed.router.routeEvent({ stanza: el, kind, from, to });
  }
}

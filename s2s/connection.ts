/**
 * What incoming s2s, outgoing s2s and component streams share: one socket (swapped for a TLS one
 * on STARTTLS, RFC 6120 §5.4.3.3), the core XML parser with the c2s limits (RFC 6120 §11, and
 * policy-violation beyond the limits), stream errors (§4.9), an idle timeout, and inbound elements
 * handled one at a time (the socket is paused while a handler awaits, as in c2s).
 */
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import { NS_STREAMS, StreamError } from '../server/core/errors.js';
import { type XmlLimits, XmlStreamParser } from '../server/core/stream/xml-parser.js';
import { InOrder } from '../server/core/stream/in-order.js';

export const NS_STREAM = 'http://etherx.jabber.org/streams';
export const NS_SERVER = 'jabber:server';
export const NS_DIALBACK = 'jabber:server:dialback';
export const NS_DIALBACK_FEATURE = 'urn:xmpp:features:dialback';
export const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
export const NS_COMPONENT = 'jabber:component:accept';

export interface ConnectionLimits extends XmlLimits {
  idleTimeoutMs: number;
  /** Bytes per second read from the peer (a token bucket holding one second's worth); 0: unlimited. */
  rateBytesPerS?: number;
}

export function escapeAttr(s: string): string {
  return s.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Stream ids (and so dialback keys) must not be guessable (XEP-0220 §4.3, RFC 6120 §4.7.3). */
export function newStreamId(): string {
  return randomBytes(15).toString('base64url');
}

/** Stanzas are serialised in the stream's default namespace; one parsed from a client stream may name jabber:client. */
export function serialise(stanza: Element): string {
  const ns = stanza.attrs.xmlns;
  if (ns !== 'jabber:client' && ns !== 'jabber:server' && ns !== NS_COMPONENT) return stanza.toString();
  delete stanza.attrs.xmlns;
  try {
    return stanza.toString();
  } finally {
    stanza.attrs.xmlns = ns;
  }
}

export abstract class Connection {
  protected socket: net.Socket;
  protected readonly parser: XmlStreamParser;
  protected headerSent = false;
  /** Inbound elements in order, one at a time; reading resumes only when the rate limit allows too. */
  private readonly inbound = new InOrder<Element>({
    handle: (el) => this.handle(el),
    failed: (err) => this.failed(err),
    closed: () => this._closed,
    pause: () => this.socket.pause(),
    resume: () => { if (!this.throttled) this.socket.resume(); },
  });
  private _closed = false;

  constructor(socket: net.Socket, protected readonly limits: ConnectionLimits, readonly log: Logger) {
    this.socket = socket;
    this.tokens = limits.rateBytesPerS ?? 0;
    this.parser = new XmlStreamParser(limits, {
      streamStart: (name, attrs) => this.guard(() => this.onStreamStart(name, attrs)),
      stanza: (el) => this.onElement(el),
      streamEnd: () => this.close(),
      error: (err) => this.streamError(err),
    });
    this.attach(socket);
  }

  get closed(): boolean { return this._closed; }
  get secure(): boolean { return this.socket instanceof tls.TLSSocket && this.socket.encrypted; }
  get remoteAddress(): string { return this.socket.remoteAddress ?? ''; }

  protected abstract onStreamStart(name: string, attrs: Record<string, string>): void;
  protected abstract handle(el: Element): void | Promise<void>;
  /** The header to send before a stream error when none was sent yet (RFC 6120 §4.9.1.1). */
  protected abstract errorHeader(): string;
  protected abstract onClosed(): void;

  protected attach(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => this.take(chunk));
    socket.on('error', (err) => this.log.debug({ err }, 'socket error'));
    socket.on('close', () => this.gone());
    if (this.limits.idleTimeoutMs > 0) socket.setTimeout(this.limits.idleTimeoutMs, () => this.idle());
    if (this.inbound.busy || this.throttled) socket.pause();
  }

  private tokens = 0;
  private refilled = Date.now();
  private throttled = false;
  /** Bytes read past the budget, parsed once the bucket has refilled. */
  private held?: Buffer;

  /**
   * Per-peer rate limit (a token bucket holding one second's worth): only what the budget allows
   * of a read is parsed now; the rest waits, with reading stopped, until the bucket has refilled. So
   * a flooding peer is slowed down (TCP back-pressure), never cut off, even when one read carries
   * more than the whole budget.
   */
  private take(chunk: Buffer): void {
    const rate = this.limits.rateBytesPerS ?? 0;
    if (rate <= 0) return this.parser.write(chunk);
    if (this.held) {
      this.held = Buffer.concat([this.held, chunk]);
      return;
    }
    const now = Date.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilled) / 1000) * rate);
    this.refilled = now;
    const allowed = Math.min(chunk.length, Math.max(0, Math.floor(this.tokens)));
    this.tokens -= allowed;
    if (allowed > 0) this.parser.write(allowed === chunk.length ? chunk : chunk.subarray(0, allowed));
    if (allowed === chunk.length || this._closed) return;
    this.held = chunk.subarray(allowed);
    this.throttled = true;
    this.socket.pause();
    const wait = Math.ceil((Math.min(this.held.length, rate) / rate) * 1000);
    setTimeout(() => {
      this.throttled = false;
      const rest = this.held!;
      this.held = undefined;
      if (this._closed) return;
      this.take(rest);
      if (!this.throttled && !this.inbound.busy && !this._closed) this.socket.resume();
    }, wait).unref();
  }

  /** No traffic for the idle timeout: s2s streams are closed quietly (RFC 6120 §4.4), a peer reconnects when it needs to. */
  protected idle(): void {
    this.log.info('closing idle stream');
    this.close();
  }

  /** Detaches the plain socket and continues over TLS on it; the parser starts a new stream. */
  protected upgrade(secure: tls.TLSSocket): void {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.setTimeout(0);
    this.socket = secure;
    this.parser.reset();
    this.attach(secure);
  }

  protected restart(): void {
    this.parser.reset();
  }

  write(data: string): void {
    if (this._closed || this.socket.destroyed) return;
    this.socket.write(data);
  }

  send(el: Element): void {
    this.write(serialise(el));
  }

  private onElement(el: Element): void {
    if (this._closed) return;
    this.inbound.push(el);
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    if (err instanceof StreamError) return this.streamError(err);
    this.log.error({ err }, 's2s stream handler failed');
    this.streamError(new StreamError('internal-server-error'));
  }

  streamError(err: StreamError): void {
    if (this._closed) return;
    this.log.info({ condition: err.condition, text: err.text }, 'stream error');
    let out = this.headerSent ? '' : this.errorHeader();
    this.headerSent = true;
    out += `<stream:error><${err.condition} xmlns='${NS_STREAMS}'/>`;
    if (err.text) out += `<text xmlns='${NS_STREAMS}'>${err.text.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`)}</text>`;
    out += '</stream:error>';
    this.write(out);
    this.close();
  }

  close(): void {
    if (this._closed) return;
    if (this.headerSent) this.write('</stream:stream>');
    this._closed = true;
    this.socket.end();
    // A peer that does not close its side is not waited for long.
    setTimeout(() => this.socket.destroy(), 2000).unref();
    this.gone();
  }

  private goneOnce = false;
  private gone(): void {
    this._closed = true;
    if (this.goneOnce) return;
    this.goneOnce = true;
    this.onClosed();
  }
}

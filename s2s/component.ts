/**
 * External components (XEP-0114 1.6 §3): the component opens a `jabber:component:accept` stream
 * to its own domain, proves the shared secret with <handshake/> = HEX(SHA-1(stream id + secret))
 * (§3.1; a wrong one is the not-authorized stream error), and is then routed to as that domain
 * (router.addComponent) until it disconnects. A `version='1.0'` header is tolerated: real
 * components (Kamailio's xmpp module) send it, and no stream features are offered either way.
 * Stanzas from the component must come from its domain or a JID at it (invalid-from otherwise).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import { StanzaError, StreamError } from '../server/core/errors.js';
import type { Disposable } from '../server/core/events.js';
import { Jid } from '../server/core/jid.js';
import type { Router } from '../server/core/router.js';
import { Connection, type ConnectionLimits, escapeAttr, newStreamId, NS_COMPONENT, NS_STREAM } from './connection.js';

const KINDS = new Set(['message', 'presence', 'iq']);

export interface ComponentOptions {
  router: Router;
  secrets: ReadonlyMap<string, string>;
  limits: ConnectionLimits;
  log: Logger;
}

export function handshakeDigest(streamId: string, secret: string): string {
  return createHash('sha1').update(streamId + secret).digest('hex');
}

export class ComponentStream extends Connection {
  private readonly streamId = newStreamId();
  private domain?: string;
  private route?: Disposable;

  constructor(socket: net.Socket, private readonly opts: ComponentOptions, private readonly onGone: (s: ComponentStream) => void) {
    super(socket, opts.limits, opts.log.child({ ip: socket.remoteAddress }));
  }

  protected errorHeader(): string {
    return `<?xml version='1.0'?><stream:stream xmlns='${NS_COMPONENT}' xmlns:stream='${NS_STREAM}' id='${this.streamId}'>`;
  }

  protected onClosed(): void {
    this.route?.dispose();
    if (this.route) this.log.info({ domain: this.domain }, 'component disconnected');
    this.route = undefined;
    this.onGone(this);
  }

  protected onStreamStart(name: string, attrs: Record<string, string>): void {
    const to = attrs.to ? Jid.tryParse(attrs.to)?.domain : undefined;
    const a = [`xmlns='${NS_COMPONENT}'`, `xmlns:stream='${NS_STREAM}'`, `id='${this.streamId}'`];
    if (to) a.push(`from='${escapeAttr(to)}'`);
    this.write(`<?xml version='1.0'?><stream:stream ${a.join(' ')}>`);
    this.headerSent = true;
    if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS_STREAM || attrs.xmlns !== NS_COMPONENT) throw new StreamError('invalid-namespace');
    if (!to || !this.opts.secrets.has(to)) throw new StreamError('host-unknown');
    this.domain = to;
  }

  protected handle(el: Element): void | Promise<void> {
    if (!this.route) {
      if (el.name !== 'handshake') throw new StreamError('not-authorized');
      return this.handshake(el);
    }
    if (!KINDS.has(el.name)) throw new StreamError('unsupported-stanza-type');
    return this.stanza(el);
  }

  private handshake(el: Element): void {
    const domain = this.domain!;
    const expected = Buffer.from(handshakeDigest(this.streamId, this.opts.secrets.get(domain)!));
    const got = Buffer.from(el.getText().trim().toLowerCase());
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      this.log.info({ domain }, 'component handshake failed');
      throw new StreamError('not-authorized');
    }
    try {
      this.route = this.opts.router.addComponent(domain, { deliver: (stanza) => this.send(stanza) });
    } catch {
      throw new StreamError('conflict', 'the domain is already connected');
    }
    this.log.info({ domain }, 'component connected');
    this.write('<handshake/>');
  }

  private stanza(el: Element): void | Promise<void> {
    const ns = el.attrs.xmlns;
    if (ns !== undefined && ns !== NS_COMPONENT) throw new StreamError('invalid-namespace');
    const from = Jid.tryParse(el.attrs.from);
    if (!from || from.domain !== this.domain) throw new StreamError('invalid-from');
    const to = Jid.tryParse(el.attrs.to);
    if (!to) {
      this.opts.router.reject(el, new StanzaError(el.attrs.to ? 'jid-malformed' : 'bad-request'));
      return;
    }
    if (ns !== undefined) delete el.attrs.xmlns;
    el.attrs.from = from.toString();
    el.attrs.to = to.toString();
    return this.opts.router.routeEvent({ stanza: el, kind: el.name as 'message' | 'presence' | 'iq', from, to });
  }
}

export interface ComponentListener { port: number; close(): Promise<void> }

export async function listenComponents(host: string, port: number, opts: ComponentOptions): Promise<ComponentListener> {
  const streams = new Set<ComponentStream>();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    streams.add(new ComponentStream(socket, opts, (s) => streams.delete(s)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => { server.off('error', reject); resolve(); });
  });
  const actual = (server.address() as net.AddressInfo).port;
  opts.log.info({ host, port: actual, components: [...opts.secrets.keys()] }, 'component listener ready');
  return {
    port: actual,
    close: async () => {
      for (const s of streams) s.streamError(new StreamError('system-shutdown'));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The router: process → route (Prosody's stanza_router, RFC 6120 §8 and §10, RFC 6121 §8).
 *
 * process(): a stanza from a bound client session. Checks the stanza name and namespace, enforces
 * that 'from' is the session's JID (RFC 6120 §8.1.2.1, else <invalid-from/>), stamps 'from',
 * prepares 'to' (RFC 7622; unpreparable → jid-malformed), validates IQ shape (§8.2.3), then fires
 * `pre-<kind>/<addr>` on the sender's host.
 * route(): delivery side. Local host → `<kind>/<addr>` on that host; registered component domain →
 * the component; anything else → `route/remote` on the global bus (s2s), else remote-server-not-found.
 */
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import { StanzaError, StreamError } from './errors.js';
import { type AddressKind, type Disposable, type EventName, HANDLED, type HookBus, type HookResult, type StanzaEvent, type StanzaKind } from './events.js';
import type { Host } from './host.js';
import { Jid } from './jid.js';
import type { Session } from './sessions.js';
import { errorReply, iqPayload, mustNotBounce } from './stanza.js';

export interface Component {
  deliver(stanza: Element, from: Jid, to: Jid): void;
}

/**
 * Another address a session may send under on its own host (an alias, PP2-25): given the claimed
 * 'from', returns the JID to stamp, or undefined (then the claim stays invalid-from). Synchronous:
 * it runs for every stanza with a foreign 'from'.
 */
export type SenderAlias = (session: Session, claimed: Jid, kind: StanzaKind) => Jid | undefined;

const KINDS = new Set<string>(['message', 'presence', 'iq']);
const IQ_TYPES = new Set(['get', 'set', 'result', 'error']);
const PRESENCE_TYPES = new Set(['unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'probe', 'error']);

type EventTable = Record<StanzaKind, Record<AddressKind, EventName>>;
function table(prefix: string): EventTable {
  const t = {} as EventTable;
  for (const k of ['message', 'presence', 'iq'] as const) {
    t[k] = {} as Record<AddressKind, EventName>;
    for (const a of ['full', 'bare', 'host', 'self'] as const) t[k][a] = `${prefix}${k}/${a}` as EventName;
  }
  return t;
}
const PRE = table('pre-');
const POST = table('');

export function addressKind(to: Jid): AddressKind {
  if (!to.local) return 'host';
  return to.resource ? 'full' : 'bare';
}

function isThenable(v: unknown): v is Promise<HookResult> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

export class Router {
  private readonly hosts = new Map<string, Host>();
  private readonly components = new Map<string, Component>();
  private readonly senderAliases = new Map<string, SenderAlias>();

  constructor(private readonly global: HookBus, private readonly log: Logger) {}

  addHost(host: Host): void { this.hosts.set(host.domain, host); }
  host(domain: string): Host | undefined { return this.hosts.get(domain); }
  isLocal(domain: string): boolean { return this.hosts.has(domain) || this.components.has(domain); }
  get localDomains(): string[] { return [...this.hosts.keys(), ...this.components.keys()]; }

  addComponent(domain: string, c: Component): Disposable {
    if (this.isLocal(domain)) throw new Error(`domain ${domain} is already routed locally`);
    this.components.set(domain, c);
    return { dispose: () => { if (this.components.get(domain) === c) this.components.delete(domain); } };
  }

  /** Lets sessions of `domain` send under other addresses the resolver vouches for (one resolver per domain). */
  addSenderAlias(domain: string, resolve: SenderAlias): Disposable {
    if (this.senderAliases.has(domain)) throw new Error(`sender aliases for ${domain} are already resolved`);
    this.senderAliases.set(domain, resolve);
    return { dispose: () => { if (this.senderAliases.get(domain) === resolve) this.senderAliases.delete(domain); } };
  }

  /**
   * A stanza from a bound client session. Throws StreamError for stream-level violations; the
   * caller closes the stream. Returns a promise only when some handler is asynchronous.
   */
  process(session: Session, stanza: Element): void | Promise<void> {
    const kind = stanza.name;
    if (!KINDS.has(kind)) throw new StreamError('unsupported-stanza-type');
    const ns = stanza.attrs.xmlns;
    if (ns !== undefined && ns !== 'jabber:client') throw new StreamError('invalid-namespace');
    const self = session.jid!;
    const claimed = stanza.attrs.from;
    // The sender's own hooks see the account; receivers see the alias it chose to send under.
    let alias: Jid | undefined;
    if (claimed !== undefined && claimed !== self.toString() && claimed !== self.bareString) {
      const parsed = Jid.tryParse(claimed);
      if (!parsed || !(parsed.equals(self) || parsed.equals(self.bare))) {
        alias = parsed && KINDS.has(kind) ? this.senderAliases.get(self.domain)?.(session, parsed, kind as StanzaKind) : undefined;
        if (!alias) throw new StreamError('invalid-from');
      }
    }
    stanza.attrs.from = (alias ?? self).toString();

    let to: Jid;
    let addr: AddressKind;
    const rawTo = stanza.attrs.to;
    if (rawTo === undefined || rawTo === '') {
      delete stanza.attrs.to;
      to = self.bare;
      addr = kind === 'message' ? 'bare' : 'self';
    } else {
      const parsed = Jid.tryParse(rawTo);
      if (!parsed) return this.reject(stanza, new StanzaError('jid-malformed'));
      to = parsed;
      stanza.attrs.to = to.toString();
      addr = kind === 'iq' && to.local === self.local && to.domain === self.domain && !to.resource ? 'self' : addressKind(to);
    }

    const invalid = validate(kind as StanzaKind, stanza);
    if (invalid) return this.reject(stanza, invalid);

    const ev: StanzaEvent = { stanza, kind: kind as StanzaKind, from: self, to, origin: session };
    const host = this.hosts.get(self.domain)!;
    if (alias) {
      const as = alias;
      return this.chain(host.bus, PRE[kind as StanzaKind][addr], ev, () => this.deliver({ ...ev, from: as }, addr));
    }
    return this.chain(host.bus, PRE[kind as StanzaKind][addr], ev, () => this.deliver(ev, addr));
  }

  /** Routes a stanza generated by the server or a module (its 'from' and 'to' must be set). */
  route(stanza: Element, origin?: Session): void | Promise<void> {
    const to = Jid.tryParse(stanza.attrs.to);
    const from = Jid.tryParse(stanza.attrs.from);
    if (!to || !from) {
      this.log.warn({ to: stanza.attrs.to, from: stanza.attrs.from, name: stanza.name }, 'dropping stanza with unroutable addresses');
      return;
    }
    return this.routeEvent({ stanza, kind: stanza.name as StanzaKind, from, to, origin });
  }

  /** Delivery side for a stanza whose addresses are already prepared (used by s2s for inbound stanzas too). */
  routeEvent(ev: StanzaEvent): void | Promise<void> {
    return this.deliver(ev, addressKind(ev.to));
  }

  private deliver(ev: StanzaEvent, addr: AddressKind): void | Promise<void> {
    const domain = ev.to.domain;
    const host = this.hosts.get(domain);
    if (host) return this.chain(host.bus, POST[ev.kind][addr], ev, () => this.unhandled(host, ev, addr));
    const component = this.components.get(domain);
    if (component) {
      component.deliver(ev.stanza, ev.from, ev.to);
      return;
    }
    return this.chain(this.global, 'route/remote', ev, () => this.reject(ev.stanza, new StanzaError('remote-server-not-found')));
  }

  /** Runs a hook chain, turning thrown StanzaErrors into error replies; `otherwise` runs if nobody handled it. */
  private chain(bus: HookBus, name: EventName, ev: StanzaEvent, otherwise: () => void | Promise<void>): void | Promise<void> {
    let r: HookResult | Promise<HookResult>;
    try {
      r = bus.fire(name, ev);
    } catch (err) {
      return this.handlerFailed(ev, name, err);
    }
    if (isThenable(r)) {
      return r.then((v) => (v === HANDLED ? undefined : otherwise()), (err) => this.handlerFailed(ev, name, err));
    }
    if (r !== HANDLED) return otherwise();
  }

  private handlerFailed(ev: StanzaEvent, name: string, err: unknown): void {
    if (err instanceof StreamError) throw err;
    if (err instanceof StanzaError) return this.reject(ev.stanza, err);
    this.log.error({ err, event: name }, 'stanza handler failed');
    this.reject(ev.stanza, new StanzaError('internal-server-error'));
  }

  /** Defaults when no module took the stanza (RFC 6121 §8.5, §8.3 for unknown namespaces). */
  private unhandled(host: Host, ev: StanzaEvent, addr: AddressKind): void | Promise<void> {
    const { stanza, kind } = ev;
    if (addr === 'full') {
      const session = host.sessions.byFull(ev.to);
      if (session) {
        session.send(stanza);
        return;
      }
    }
    if (kind === 'presence') return; // RFC 6121 §8.5.2.2.1/§8.5.3.2.3: presence nobody takes is dropped
    this.reject(stanza, new StanzaError('service-unavailable'));
  }

  /** Sends the error reply for a stanza, unless it is itself an error or a result. */
  reject(stanza: Element, err: StanzaError): void {
    if (mustNotBounce(stanza)) return;
    const sender = Jid.tryParse(stanza.attrs.from);
    if (!sender) return;
    const reply = errorReply(stanza, err);
    // A malformed 'to' cannot be the reply's 'from': the sender's server answers instead.
    if (!Jid.tryParse(reply.attrs.from)) reply.attrs.from = sender.domain;
    const r = this.route(reply);
    if (isThenable(r)) r.catch((e) => this.log.error({ err: e }, 'error reply failed'));
  }
}

function validate(kind: StanzaKind, stanza: Element): StanzaError | undefined {
  const type = stanza.attrs.type;
  if (kind === 'iq') {
    if (!stanza.attrs.id) return new StanzaError('bad-request', 'iq needs an id');
    if (!IQ_TYPES.has(type)) return new StanzaError('bad-request', 'unknown iq type');
    if (type === 'get' || type === 'set') {
      let n = 0;
      for (const c of stanza.children) if (typeof c !== 'string') n++;
      if (n !== 1 || !iqPayload(stanza)) return new StanzaError('bad-request', 'get and set carry exactly one child');
    }
  } else if (kind === 'presence') {
    if (type !== undefined && !PRESENCE_TYPES.has(type)) return new StanzaError('bad-request', 'unknown presence type');
  }
  return undefined;
}

/**
 * HookBus: typed, closed event names with priorities (Prosody's router events, Fastify's closed hook
 * list, ejabberd's run/run_fold). Handlers run highest priority first; returning HANDLED stops the
 * chain. A host bus inherits the global bus: firing on a host runs both lists merged by priority.
 *
 * The fire path stays synchronous until a handler returns a promise, so stanzas whose handlers are
 * synchronous cost no promise allocation (the hot path of routing).
 */
import type { Element } from '@xmpp/xml';
import type { Jid } from './jid.js';
import type { Session } from './sessions.js';

export const HANDLED = Symbol('handled');
export type HookResult = typeof HANDLED | void | undefined;

export const Priority = {
  /** Checks that must see every stanza first (spoofing, rate limits). */
  Security: 1000,
  /** Blocking and privacy rules decide before anything is delivered. */
  Privacy: 500,
  /** Features that take a stanza over before ordinary delivery (carbons, archive). */
  Intercept: 100,
  Default: 0,
  /** Last resort: errors for what nobody handled. */
  Fallback: -1000,
} as const;
export type PriorityValue = number;

export type StanzaKind = 'message' | 'presence' | 'iq';
/**
 * full/bare/host: the destination's form. self: a client's IQ to its own account (no 'to', or its
 * own bare JID), or its presence broadcast (presence with no 'to').
 */
export type AddressKind = 'full' | 'bare' | 'host' | 'self';

export interface StanzaEvent {
  stanza: Element;
  kind: StanzaKind;
  from: Jid;
  to: Jid;
  /** The local client session it arrived on, if any. */
  origin?: Session;
}

export interface SessionEvent { session: Session }
/** A top-level element of a bound client stream that is not a stanza (XEP-0352's <active/>, say). */
export interface NonzaEvent { session: Session; element: Element }
/** A message handed to a local user's sessions (RFC 6121 §8.5), naming the sessions that got it. */
export interface DeliveredEvent { stanza: Element; username: string; sessions: readonly Session[] }
export interface SessionClosedEvent { session: Session; reason: string; error?: Error }
export interface UserEvent { host: string; username: string }
/**
 * XEP-0386 Bind 2: one child of the client's <bind xmlns='urn:xmpp:bind:0'/> request in another
 * namespace (<enable xmlns='urn:xmpp:carbons:2'/>, <inactive xmlns='urn:xmpp:csi:0'/>…).
 * Contract: fired once per child, in document order, after the resource is bound (session.jid is
 * set and the session is in the registry, SM enabled if asked) and before the SASL2 <success/>
 * goes out; 'session/bound' follows the <success/>. Nothing may be sent to the session from the
 * handler (the stream is still negotiating): set state only. The module that owns the namespace enables
 * the feature for `session`, may push answer elements to `bound` (they go inside <bound/>), and
 * returns HANDLED. A child nobody handles is ignored, as XEP-0386 leaves it. A handler that throws
 * is logged and the child ignored; the bind itself still succeeds.
 */
export interface Bind2InlineEvent { session: Session; element: Element; bound: Element[] }
export interface ServerEvent { reason?: string }

type StanzaEventName = `${'pre-' | ''}${StanzaKind}/${AddressKind}`;

/** Every event name the server knows. Adding one is a deliberate change here. */
export type EventMap = { [N in StanzaEventName]: StanzaEvent } & {
  /** A stanza for a domain that is neither local nor a registered component (s2s handles it). */
  'route/remote': StanzaEvent;
  /** Fired synchronously by the message module after live delivery (carbons, archives). */
  'message/delivered': DeliveredEvent;
  'session/bound': SessionEvent;
  /** XEP-0386: a child of a Bind 2 request (see Bind2InlineEvent for the contract). */
  'bind2/inline': Bind2InlineEvent;
  /** A non-stanza element on a bound stream; a handler that takes it returns HANDLED, else unsupported-stanza-type. */
  'stream/nonza': NonzaEvent;
  /** A session sent its initial available presence (RFC 6121 §4.2). */
  'session/initial-presence': SessionEvent;
  'session/closed': SessionClosedEvent;
  /** XEP-0198: the session's connection is gone and it waits for a resume (push notifications build on it). */
  'session/hibernated': SessionEvent;
  /** XEP-0198: a hibernated session was resumed on a new connection. */
  'session/resumed': SessionEvent;
  /** The offline module stored a message for a user (push notifications build on it). */
  'message/offline': { stanza: Element; username: string };
  'user/created': UserEvent;
  /** An account's password was changed: credentials derived from the old one (FAST tokens) must go. */
  'user/password-changed': UserEvent;
  /** An account is being removed: modules delete what they keep for it. */
  'user/deleting': UserEvent;
  'server/started': ServerEvent;
  'server/stopping': ServerEvent;
};
export type EventName = keyof EventMap;

export interface FeatureContext { session: Session; authenticated: boolean; bound: boolean }
export interface DiscoContext { to: Jid; from: Jid; node?: string }
export interface DiscoInfo { identities: Array<{ category: string; type: string; name?: string }>; features: string[]; extensions: Element[] }

/** Fold hooks: each handler takes the accumulated value and returns the next one. */
export type FoldMap = {
  'stream/features': { value: Element[]; ctx: FeatureContext };
  /**
   * XEP-0386 §2: the 'var's advertised in <bind xmlns='urn:xmpp:bind:0'><inline/>, one per feature a
   * module can enable inline (its disco feature name). A module adding a var here MUST handle the
   * matching 'bind2/inline' element.
   */
  'bind2/features': { value: string[]; ctx: { session: Session } };
  'disco/info/host': { value: DiscoInfo; ctx: DiscoContext };
  'disco/info/account': { value: DiscoInfo; ctx: DiscoContext };
  'disco/items/host': { value: Element[]; ctx: DiscoContext };
};
export type FoldName = keyof FoldMap;

export type Handler<N extends EventName> = (ev: EventMap[N]) => HookResult | Promise<HookResult>;
export type FoldHandler<N extends FoldName> = (value: FoldMap[N]['value'], ctx: FoldMap[N]['ctx']) => FoldMap[N]['value'];

export interface Disposable { dispose(): void }

interface Entry<F> { fn: F; priority: number; seq: number }

let seqCounter = 0;

function insert<F>(list: Entry<F>[], entry: Entry<F>): Entry<F>[] {
  const next = [...list, entry];
  next.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
  return next;
}

function isPromise(v: unknown): v is Promise<HookResult> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

export type HandlerErrorReporter = (event: string, err: unknown) => void;

export class HookBus {
  private readonly handlers = new Map<string, Entry<Handler<EventName>>[]>();
  private readonly folds = new Map<string, Entry<FoldHandler<FoldName>>[]>();
  private readonly merged = new Map<string, Entry<Handler<EventName>>[]>();
  private readonly mergedFolds = new Map<string, Entry<FoldHandler<FoldName>>[]>();
  private readonly children = new Set<HookBus>();

  constructor(private readonly parent?: HookBus, private readonly reportError: HandlerErrorReporter = () => {}) {
    parent?.children.add(this);
  }

  on<N extends EventName>(name: N, fn: Handler<N>, priority: number = Priority.Default): Disposable {
    const entry = { fn: fn as Handler<EventName>, priority, seq: seqCounter++ };
    this.handlers.set(name, insert(this.handlers.get(name) ?? [], entry));
    this.invalidate(name);
    return {
      dispose: () => {
        const list = this.handlers.get(name);
        if (!list) return;
        this.handlers.set(name, list.filter((e) => e !== entry));
        this.invalidate(name);
      },
    };
  }

  onFold<N extends FoldName>(name: N, fn: FoldHandler<N>, priority: number = Priority.Default): Disposable {
    const entry = { fn: fn as unknown as FoldHandler<FoldName>, priority, seq: seqCounter++ };
    this.folds.set(name, insert(this.folds.get(name) ?? [], entry));
    this.invalidate(name);
    return {
      dispose: () => {
        const list = this.folds.get(name);
        if (!list) return;
        this.folds.set(name, list.filter((e) => e !== entry));
        this.invalidate(name);
      },
    };
  }

  has(name: EventName): boolean {
    return this.list(name).length > 0;
  }

  /**
   * Runs the chain; stops at the first HANDLED. Throws what a handler throws (the router turns a
   * StanzaError into the error reply). Returns a promise only if some handler did.
   */
  fire<N extends EventName>(name: N, ev: EventMap[N]): HookResult | Promise<HookResult> {
    const list = this.list(name);
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!.fn(ev);
      if (r === HANDLED) return HANDLED;
      if (isPromise(r)) return this.continueAsync(list, i, r, ev);
    }
    return undefined;
  }

  private async continueAsync(list: Entry<Handler<EventName>>[], at: number, pending: Promise<HookResult>, ev: unknown): Promise<HookResult> {
    if ((await pending) === HANDLED) return HANDLED;
    for (let i = at + 1; i < list.length; i++) {
      if ((await list[i]!.fn(ev as never)) === HANDLED) return HANDLED;
    }
    return undefined;
  }

  /**
   * For notifications: every handler runs, a failing one is reported and does not stop the
   * others (ejabberd's crash isolation). Resolves when all have finished.
   */
  async notify<N extends EventName>(name: N, ev: EventMap[N]): Promise<void> {
    for (const e of this.list(name)) {
      try {
        await e.fn(ev);
      } catch (err) {
        this.reportError(name, err);
      }
    }
  }

  fold<N extends FoldName>(name: N, value: FoldMap[N]['value'], ctx: FoldMap[N]['ctx']): FoldMap[N]['value'] {
    let acc = value;
    for (const e of this.foldList(name)) {
      try {
        acc = (e.fn as unknown as FoldHandler<N>)(acc, ctx);
      } catch (err) {
        this.reportError(name, err);
      }
    }
    return acc;
  }

  private list(name: string): Entry<Handler<EventName>>[] {
    let m = this.merged.get(name);
    if (!m) {
      const own = this.handlers.get(name) ?? [];
      const inherited = this.parent ? this.parent.list(name) : [];
      m = inherited.length === 0 ? own : own.length === 0 ? inherited : [...own, ...inherited].sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      this.merged.set(name, m);
    }
    return m;
  }

  private foldList(name: string): Entry<FoldHandler<FoldName>>[] {
    let m = this.mergedFolds.get(name);
    if (!m) {
      const own = this.folds.get(name) ?? [];
      const inherited = this.parent ? this.parent.foldList(name) : [];
      m = [...own, ...inherited].sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      this.mergedFolds.set(name, m);
    }
    return m;
  }

  private invalidate(name: string): void {
    this.merged.delete(name);
    this.mergedFolds.delete(name);
    for (const c of this.children) c.invalidate(name);
  }

  detach(): void {
    this.parent?.children.delete(this);
  }
}

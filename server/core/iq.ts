/**
 * IQ dispatch by (type, namespace, element) with the return-value contract of xmpp.js iq/callee
 * (RFC 6120 §8.2.3: every get/set gets exactly one result or error):
 *   Element → result with that child; true → empty result; undefined → service-unavailable;
 *   throw StanzaError → that error; any other throw → internal-server-error, logged, never leaked.
 * Also tracks IQs the server itself sends and matches their results.
 */
import { randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import { internalStanzaError, StanzaError } from './errors.js';
import { type Disposable, HANDLED, type HookResult, type StanzaEvent } from './events.js';
import { Jid } from './jid.js';
import type { Session } from './sessions.js';
import { errorReply, iqPayload, iqResult, newId } from './stanza.js';

/** host: IQs to the server's domain. self: to the sender's own account. bare: to any local account (including one's own). */
export type IqTarget = 'host' | 'self' | 'bare';

export interface IqRequest {
  stanza: Element;
  payload: Element;
  type: 'get' | 'set';
  from: Jid;
  to: Jid;
  origin?: Session;
}

export type IqReturn = Element | true | undefined | void;
export type IqHandler = (req: IqRequest) => IqReturn | Promise<IqReturn>;

type Send = (stanza: Element) => void;

function key(type: string, ns: string | undefined, name: string): string {
  return `${type} ${ns ?? ''} ${name}`;
}

export class IqDispatcher {
  private readonly handlers = { host: new Map<string, IqHandler>(), self: new Map<string, IqHandler>(), bare: new Map<string, IqHandler>() };
  private readonly pending = new Map<string, { to: string; resolve(el: Element): void; reject(err: Error): void; timer: NodeJS.Timeout }>();

  constructor(private readonly send: Send, private readonly log: Logger) {}

  register(type: 'get' | 'set', ns: string, name: string, target: IqTarget, handler: IqHandler): Disposable {
    const map = this.handlers[target];
    const k = key(type, ns, name);
    if (map.has(k)) throw new Error(`IQ handler for ${k} on ${target} already registered`);
    map.set(k, handler);
    return { dispose: () => { if (map.get(k) === handler) map.delete(k); } };
  }

  /** Namespaces with a handler for `target`, for disco. */
  namespaces(target: IqTarget): string[] {
    return [...new Set([...this.handlers[target].keys()].map((k) => k.split(' ')[1]!))];
  }

  /** Hook body for iq/host, iq/self and iq/bare. */
  dispatch(target: IqTarget, ev: StanzaEvent): HookResult | Promise<HookResult> {
    const { stanza } = ev;
    const type = stanza.attrs.type;
    if (type === 'result' || type === 'error') {
      const p = this.pending.get(stanza.attrs.id);
      // RFC 6120 §8.2.3: the response comes from the entity asked; anyone else's is not an answer.
      if (p && answersFrom(p.to, ev.from)) {
        this.pending.delete(stanza.attrs.id);
        clearTimeout(p.timer);
        if (type === 'result') p.resolve(stanza);
        else p.reject(Object.assign(new Error('iq error'), { stanza }));
      }
      return HANDLED; // results nobody waits for are dropped, never bounced
    }
    const payload = iqPayload(stanza);
    if (!payload) return undefined;
    const k = key(type, payload.attrs.xmlns, payload.name);
    let handler = this.handlers[target].get(k);
    if (!handler && target === 'self') handler = this.handlers.bare.get(k);
    if (!handler) return undefined;
    const req: IqRequest = { stanza, payload, type: type as 'get' | 'set', from: ev.from, to: ev.to, origin: ev.origin };
    // A request with no 'to' was for the sender's own account: the answer comes from its bare JID.
    const from = stanza.attrs.to ?? ev.to.toString();
    let out: IqReturn | Promise<IqReturn>;
    try {
      out = handler(req);
    } catch (err) {
      this.fail(stanza, from, err);
      return HANDLED;
    }
    if (out instanceof Promise) {
      return out.then((v) => { this.reply(stanza, from, v); return HANDLED; }, (err) => { this.fail(stanza, from, err); return HANDLED; });
    }
    this.reply(stanza, from, out);
    return HANDLED;
  }

  private reply(stanza: Element, from: string, v: IqReturn): void {
    const r = v === undefined ? errorReply(stanza, new StanzaError('service-unavailable')) : iqResult(stanza, v === true ? undefined : v);
    r.attrs.from = from;
    this.send(r);
  }

  private fail(stanza: Element, from: string, err: unknown): void {
    let e: StanzaError;
    if (err instanceof StanzaError) {
      e = err;
    } else {
      this.log.error({ err, ns: iqPayload(stanza)?.attrs.xmlns }, 'iq handler failed');
      e = internalStanzaError(err);
    }
    const r = errorReply(stanza, e);
    r.attrs.from = from;
    this.send(r);
  }

  /** Sends an IQ get/set from the server and resolves with the result stanza. */
  request(iq: Element, timeoutMs = 30_000): Promise<Element> {
    // Unguessable, so that nobody can answer for the entity asked (the 'from' is checked as well).
    if (!iq.attrs.id) iq.attrs.id = `${newId()}-${randomBytes(6).toString('base64url')}`;
    const id = iq.attrs.id as string;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new StanzaError('remote-server-timeout'));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { to: iq.attrs.to ?? '', resolve, reject, timer });
      this.send(iq);
    });
  }

  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('shutting down'));
    }
    this.pending.clear();
  }
}

/** Whether `from` may answer a request sent to `to`: the same entity, or for a bare JID any of its resources. */
function answersFrom(to: string, from: Jid): boolean {
  const asked = Jid.tryParse(to);
  if (!asked) return false;
  if (asked.equals(from)) return true;
  return asked.isBare && asked.local !== '' && from.bareString === asked.bareString;
}

/**
 * What each client session advertised in its available presence (XEP-0115 §4), and the features
 * behind each 'ver', learnt from a disco#info query to one session that advertised it (§6.2) and
 * kept only if the answer verifies (§5.4). The cache is keyed by hash and 'ver' (not by node:
 * the hash alone names the feature set) and bounded, least recently used first out.
 *
 * A client whose answer does not match its own 'ver' (Profanity 0.13 advertises a hash of
 * features it does not list yet) is still the authority on itself: its answer serves that session
 * only, never the shared cache (§5.4: an unverified 'ver' MUST NOT be accepted for others).
 */
import xml, { type Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import type { Session } from '../../core/sessions.js';
import { type CapsInfo, NS_INFO, parseDiscoInfo, supportedHash, verifies } from './verification.js';

declare module '../../core/module.js' {
  interface Services { caps: CapsService }
}

export interface CapsRecord {
  node: string;
  ver: string;
  /** Absent in the legacy (pre-1.4) format, which carries no hash and is not resolved. */
  hash?: string;
}

export interface CapsService {
  /** The <c/> of the session's current available presence. */
  of(session: Session): CapsRecord | undefined;
  /** The session's features if its 'ver' is already verified; no query. */
  known(session: Session): ReadonlySet<string> | undefined;
  /**
   * The session's features, asking the client (disco#info on node#ver) if its 'ver' is new.
   * undefined: no caps, a hash we do not verify, or an answer that failed verification.
   */
  features(session: Session): Promise<ReadonlySet<string> | undefined>;
}

export interface Caps extends CapsService {
  /** From the session's available presence (§4.1); `c` absent means it advertised nothing. */
  record(session: Session, c: Element | undefined): void;
  forget(session: Session): void;
}

export interface CapsDeps {
  host: string;
  maxCached: number;
  timeoutMs: number;
  request(iq: Element, timeoutMs: number): Promise<Element>;
  log: Logger;
}

const RECORD = Symbol('caps record');
/** Session state: the 'ver' this session failed to verify, so it is not asked again for it. */
const FAILED = Symbol('caps failed');
/** Session state: what a session said of itself when its answer did not verify. */
const OWN = Symbol('caps own answer');

interface Entry { features: ReadonlySet<string>; info: CapsInfo }

export function createCaps(d: CapsDeps): Caps {
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Entry | undefined>>();
  const keyOf = (r: CapsRecord) => `${r.hash} ${r.ver}`;

  const lookup = (key: string): Entry | undefined => {
    const e = cache.get(key);
    if (e) {
      cache.delete(key);
      cache.set(key, e);
    }
    return e;
  };
  const remember = (key: string, e: Entry) => {
    cache.set(key, e);
    while (cache.size > d.maxCached) cache.delete(cache.keys().next().value!);
  };

  const query = async (session: Session, r: CapsRecord): Promise<Entry | undefined> => {
    const jid = session.jid!.toString();
    const node = `${r.node}#${r.ver}`;
    let result: Element;
    try {
      result = await d.request(xml('iq', { type: 'get', from: d.host, to: jid }, xml('query', { xmlns: NS_INFO, node })), d.timeoutMs);
    } catch (err) {
      d.log.debug({ err, ver: r.ver, jid }, 'caps query failed');
      return undefined;
    }
    // Only the session that was asked may answer for it.
    const q = result.attrs.from === jid ? result.getChild('query', NS_INFO) : undefined;
    const info = q ? verifies(q, r.hash!, r.ver) : undefined;
    if (!info) {
      d.log.info({ ver: r.ver, node: r.node, jid }, 'caps verification failed');
      const own = q ? parseDiscoInfo(q) : 'ill-formed';
      if (own !== 'ill-formed') session.state.set(OWN, { key: `${r.hash} ${r.ver}`, entry: { features: new Set(own.features), info: own } });
      return undefined;
    }
    const e: Entry = { features: new Set(info.features), info };
    remember(keyOf(r), e);
    d.log.debug({ ver: r.ver, node: r.node, features: info.features.length }, 'caps verified');
    return e;
  };

  const of = (session: Session) => session.state.get(RECORD) as CapsRecord | undefined;
  /** The session's own unverified answer for its current 'ver', if that is all there is. */
  const own = (session: Session, key: string): Entry | undefined => {
    const o = session.state.get(OWN) as { key: string; entry: Entry } | undefined;
    return o?.key === key ? o.entry : undefined;
  };

  const resolve = (session: Session): Promise<Entry | undefined> | Entry | undefined => {
    const r = of(session);
    if (!r || !supportedHash(r.hash) || !session.jid || session.closed) return undefined;
    const key = keyOf(r);
    const hit = lookup(key);
    if (hit) return hit;
    const pending = inflight.get(key);
    if (pending) return pending.then((e) => e ?? own(session, key));
    if (session.state.get(FAILED) === key) return own(session, key);
    const p = query(session, r).then((e) => {
      if (!e) session.state.set(FAILED, key);
      return e;
    }).finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p.then((e) => e ?? own(session, key));
  };

  return {
    of,
    known: (session) => {
      const r = of(session);
      if (!r || !supportedHash(r.hash)) return undefined;
      const key = keyOf(r);
      return (lookup(key) ?? own(session, key))?.features;
    },
    features: async (session) => (await resolve(session))?.features,
    record(session, c) {
      const node = c?.attrs.node as string | undefined;
      const ver = c?.attrs.ver as string | undefined;
      // §4.1: 'node' and 'ver' are required; without them there is nothing to resolve.
      if (!c || !node || !ver) {
        session.state.delete(RECORD);
        return;
      }
      const r: CapsRecord = { node, ver };
      if (c.attrs.hash) r.hash = c.attrs.hash;
      session.state.set(RECORD, r);
      // Learnt now rather than when first needed: PEP notifications should not wait for a round trip.
      const p = resolve(session);
      if (p instanceof Promise) p.catch(() => {});
    },
    forget(session) {
      session.state.delete(RECORD);
    },
  };
}

/**
 * Client sessions and the per-host registry of bound resources (RFC 6120 §7, RFC 6121 §4).
 * Transports (TCP, later WebSocket/BOSH) implement Session; modules see only this interface.
 */
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import type { StreamError } from './errors.js';
import type { Jid } from './jid.js';

export interface Session {
  readonly id: string;
  readonly host: string;
  readonly remoteAddress: string;
  readonly secure: boolean;
  readonly log: Logger;
  /** Full JID once bound. */
  jid?: Jid;
  /** Prepared localpart once authenticated. */
  username?: string;
  /** Authenticated with SASL ANONYMOUS (RFC 4505): a throwaway localpart whose stored data goes at logout. */
  readonly anonymous: boolean;
  /** Set by the presence module: true between initial presence and unavailable. */
  available: boolean;
  /** Priority of the last available presence (RFC 6121 §4.7.2.3). */
  priority: number;
  /** Last broadcast available presence, as sent (with 'from'). */
  presence?: Element;
  /** True once the client has requested its roster (RFC 6121 §2.1.6: roster pushes go to interested resources). */
  rosterInterested: boolean;
  /** Per-module session state, keyed by a symbol each module owns. */
  readonly state: Map<symbol, unknown>;
  readonly closed: boolean;
  /**
   * XEP-0198 §5: true while the session waits for its client to resume. It stays bound; what is
   * sent to it now is queued for the resumed stream (or, if that never comes, for offline storage).
   */
  readonly hibernated: boolean;
  /**
   * XEP-0352: sees every outbound stanza first and returns true when it holds the stanza back; it
   * releases what it held with sendDirect (the CSI module sets it while the client is inactive).
   */
  outboundFilter?: (stanza: Element) => boolean;
  /** Sends through outboundFilter. */
  send(stanza: Element): void;
  /** Sends without outboundFilter. */
  sendDirect(stanza: Element): void;
  close(error?: StreamError): void;
}

export class SessionRegistry {
  private readonly byResource = new Map<string, Map<string, Session>>();
  private total = 0;

  /** Bound sessions of one user, keyed by resource. */
  resourcesOf(username: string): ReadonlyMap<string, Session> | undefined {
    return this.byResource.get(username);
  }

  sessionsOf(username: string): Session[] {
    const m = this.byResource.get(username);
    return m ? [...m.values()] : [];
  }

  /** Sessions that have sent initial presence and not gone unavailable. */
  availableOf(username: string): Session[] {
    const m = this.byResource.get(username);
    if (!m) return [];
    const out: Session[] = [];
    for (const s of m.values()) if (s.available) out.push(s);
    return out;
  }

  byFull(jid: Jid): Session | undefined {
    return this.byResource.get(jid.local)?.get(jid.resource);
  }

  get count(): number { return this.total; }

  /** Registers a bound session. Returns the session it replaced (to be closed with `conflict`). */
  bind(username: string, resource: string, session: Session): Session | undefined {
    let m = this.byResource.get(username);
    if (!m) {
      m = new Map();
      this.byResource.set(username, m);
    }
    const old = m.get(resource);
    m.set(resource, session);
    if (!old) this.total++;
    return old;
  }

  unbind(session: Session): boolean {
    const jid = session.jid;
    if (!jid) return false;
    const m = this.byResource.get(jid.local);
    if (!m || m.get(jid.resource) !== session) return false;
    m.delete(jid.resource);
    this.total--;
    if (m.size === 0) this.byResource.delete(jid.local);
    return true;
  }

  *all(): IterableIterator<Session> {
    for (const m of this.byResource.values()) yield* m.values();
  }
}

/**
 * Which messages go into which archive, and the XEP-0359 stamp on what is delivered.
 *
 * - Incoming (message/bare, message/full on the recipient's host, before delivery): spoofed
 *   stanza-ids with the recipient's bare JID as 'by' are always removed (XEP-0359 §5). An
 *   archivable message (eligible.ts) the recipient's preferences allow is appended to the
 *   recipient's archive, and the event's stanza is replaced by a copy carrying
 *   <stanza-id by='user@domain' id='ARCHIVE-ID'/>, so the live copy, the offline copy and the
 *   carbons all carry the archive id. Messages the delivery rules will reject (no such account;
 *   a normal message to a resource that is not online, RFC 6121 §8.5.3.2.1) are not archived.
 * - Outgoing (pre-message/bare, pre-message/full on the sender's host): the message as the
 *   client sent it (with its origin-id, if any) goes into the sender's archive. The outgoing
 *   stanza is not stamped: XEP-0313 §3.5 forbids showing the archive id to the contact.
 * - A message to oneself is archived once, on the incoming side (XEP-0313 §5.1.1: one copy).
 * - A storage failure never stops a message: it is logged and delivered without a stamp.
 */
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import type { KeyValueStore } from '../../../storage/types.js';
import type { HookResult, StanzaEvent } from '../../core/events.js';
import type { Jid } from '../../core/jid.js';
import type { SessionRegistry } from '../../core/sessions.js';
import { archivable } from './eligible.js';
import { decide, DEFAULT_PREFS, type Prefs } from './prefs.js';
import type { Archive } from './query.js';
import { stamp, stripSpoofed } from './stanza-id.js';

export interface ArchiverDeps {
  archive: Archive;
  prefs: KeyValueStore<Prefs>;
  sessions: SessionRegistry;
  accountExists(username: string): Promise<boolean>;
  /** Whether `contact` (a bare JID) is in the user's roster; false without a roster module. */
  inRoster(username: string, contact: string): Promise<boolean>;
  log: Logger;
  now?: () => number;
}

export interface Archiver {
  incoming(ev: StanzaEvent, full: boolean): HookResult | Promise<HookResult>;
  outgoing(ev: StanzaEvent): HookResult | Promise<HookResult>;
}

export function createArchiver(d: ArchiverDeps): Archiver {
  const now = d.now ?? Date.now;

  const allowed = async (username: string, peer: Jid): Promise<boolean> => {
    const p = (await d.prefs.get(username)) ?? DEFAULT_PREFS;
    const v = decide(p, peer);
    if (v === 'roster') return d.inRoster(username, peer.bareString);
    return v === 'yes';
  };

  /** Appends, or logs and returns undefined: archiving never costs a message. */
  const append = async (username: string, peer: Jid, stanza: Element): Promise<string | undefined> => {
    try {
      if (!(await allowed(username, peer))) return undefined;
      return await d.archive.append(username, { when: now(), with: peer.bareString, value: stanza.toString() });
    } catch (err) {
      d.log.error({ err, user: username }, 'archiving a message failed');
      return undefined;
    }
  };

  return {
    incoming(ev, full) {
      const by = ev.to.bareString;
      const clean = stripSpoofed(ev.stanza, by);
      if (clean !== ev.stanza) ev.stanza = clean;
      if (!archivable(clean)) return;
      const username = ev.to.local;
      // RFC 6121 §8.5.3.2.1: only chat to an absent resource falls back to the bare JID; the rest bounce.
      if (full && !d.sessions.byFull(ev.to) && clean.attrs.type !== 'chat') return;
      return (async () => {
        if (!d.sessions.resourcesOf(username) && !(await d.accountExists(username))) return;
        const id = await append(username, ev.from, clean);
        if (id !== undefined) ev.stanza = stamp(clean, by, id);
      })();
    },

    outgoing(ev) {
      if (!ev.origin?.username || !ev.to.local) return;
      // Archived once, as received (XEP-0313 §5.1.1).
      if (ev.to.bareString === ev.from.bareString) return;
      if (!archivable(ev.stanza)) return;
      const username = ev.from.local;
      return append(username, ev.to, stripSpoofed(ev.stanza, ev.from.bareString)).then(() => undefined);
    },
  };
}

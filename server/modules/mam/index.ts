/**
 * Message archive for 1:1 chats:
 *   XEP-0313 Message Archive Management 1.1.3 (urn:xmpp:mam:2 and urn:xmpp:mam:2#extended):
 *     §3.5 stanza-id on archived messages; §4.1 filters with/start/end and the #extended
 *     before-id/after-id/ids; §4.1.5 form discovery; §4.2 results; §4.3 RSM paging (XEP-0059)
 *     incl. the last page and flip-page; §5 archive metadata; §5.1.1 what a user archive holds;
 *     §6 support advertised on the account; §8.1 only the owner reads an archive (forbidden).
 *   XEP-0441 MAM Preferences 0.2.0: <prefs/> GET/SET, obeyed when archiving.
 *   XEP-0359 Unique and Stable Stanza IDs 0.7.0: §3 stamping, §5 removal of spoofed stanza-ids.
 *   XEP-0334 hints: <store/>, <no-store/>, <no-permanent-store/>.
 * Logic: eligible.ts (what is archived), archiver.ts (hooks and stamping), form.ts (query
 * parsing), query.ts (paging), results.ts (what goes on the wire), prefs.ts.
 *
 * Deleting one's archive (no XEP defines it; the seed's network repository PP-16..20), Tern's
 * own IQ, answered only for the user's own account:
 *   <iq type='set'><delete xmlns='urn:x-tern:mam-delete:0'>
 *     [<x xmlns='jabber:x:data' type='submit'> the same fields as a query </x>]
 *   </delete></iq>
 *   → <iq type='result'><deleted xmlns='urn:x-tern:mam-delete:0' count='N'/></iq>
 * Without a form it deletes the whole archive; with one, exactly what the same query would list
 * (all pages). Unknown UIDs → item-not-found, bad fields → as for queries. Deleted ids are never
 * reused (XEP-0313 §3.2). Account deletion removes the archive and the preferences.
 *
 * Page size: <max/> above 250 is clamped to 250 (complete='false' tells the client to page on);
 * a query without <max/> gets 50.
 */
import { StanzaError } from '../../core/errors.js';
import { Priority } from '../../core/events.js';
import type { IqRequest } from '../../core/iq.js';
import { archive, defineModule, keyval } from '../../core/module.js';
import { type Element, xml } from '../../core/stanza.js';
import { createArchiver } from './archiver.js';
import { NS_MAM, NS_MAM_EXTENDED, parseQuery, queryForm } from './form.js';
import { DEFAULT_PREFS, parsePrefs, type Prefs, prefsElement } from './prefs.js';
import { filterQuery, runQuery } from './query.js';
import { finElement, metadataElement, resultMessage } from './results.js';
import type {} from './service.js';
import { NS_SID, stamp, stripSpoofed } from './stanza-id.js';

export const NS_DELETE = 'urn:x-tern:mam-delete:0';

export default defineModule({
  name: 'mam',
  xeps: [
    { number: 313, version: '1.1.3', status: 'complete', note: '1:1 user archives; a full JID in "with" matches by its bare JID; no RSM <index/>' },
    { number: 441, version: '0.2.0', status: 'complete' },
    { number: 359, version: '0.7.0', status: 'complete', note: 'stanza-id on archived messages; origin-id kept as sent' },
    { number: 59, version: '1.0.0', status: 'partial', note: 'max/after/before/count/first index for MAM; no <index/> requests' },
  ],
  depends: ['accounts'],
  // Deferred durability: a crash may lose the last second of archive copies, never a message,
  // since delivery and offline storage do not depend on them (storage/types.ts ArchiveOptions).
  stores: { messages: archive<string>('mam', { durability: 'deferred' }), prefs: keyval<Prefs>('mam_prefs') },
  setup(ctx) {
    const messages = ctx.stores.messages;
    const prefs = ctx.stores.prefs;
    for (const ns of [NS_MAM, NS_MAM_EXTENDED, NS_SID, NS_DELETE]) ctx.features.add(ns, { account: true });

    const archiver = createArchiver({
      archive: messages,
      prefs,
      sessions: ctx.sessions,
      accountExists: (username) => ctx.services.get('accounts').exists(username),
      inRoster: async (username, contact) => (await ctx.services.maybe('roster')?.item(username, contact)) !== undefined,
      log: ctx.log,
    });
    ctx.provide('mam', {
      queryForm, parseQuery, resultMessage, finElement, stamp, stripSpoofed,
      runQuery: (archive, key, q) => runQuery(archive, key, q.filters, q.paging),
    });

    // After privacy (blocked messages are not archived), before delivery (which sends ev.stanza).
    ctx.hook('message/bare', (ev) => archiver.incoming(ev, false), Priority.Intercept);
    ctx.hook('message/full', (ev) => archiver.incoming(ev, true), Priority.Intercept);
    ctx.hook('pre-message/bare', archiver.outgoing, Priority.Intercept);
    ctx.hook('pre-message/full', archiver.outgoing, Priority.Intercept);

    /** XEP-0313 §8.1: a user archive is its owner's alone. */
    const owner = (req: IqRequest): string => {
      if (req.from.domain !== ctx.host || req.from.local !== req.to.local || !req.to.local) throw new StanzaError('forbidden');
      return req.to.local;
    };

    ctx.iq.get(NS_MAM, 'query', (req) => {
      owner(req);
      return queryForm();
    }, 'bare');

    ctx.iq.set(NS_MAM, 'query', async (req) => {
      const username = owner(req);
      const q = parseQuery(req.payload);
      const page = await runQuery(messages, username, q.filters, q.paging);
      const from = req.to.bareString;
      const to = req.from.toString();
      // The client is waiting for these, and they must precede the <fin/>: a client state
      // filter (XEP-0352) holding them back while the IQ result goes out would break §4.2.
      const send = req.origin ? (el: Element) => req.origin!.sendDirect(el) : (el: Element) => ctx.send(el);
      const order = q.flip ? [...page.items].reverse() : page.items;
      for (const rec of order) {
        const m = resultMessage(rec, from, to, q.queryid);
        if (m) send(m);
        else ctx.log.warn({ user: username, id: rec.id }, 'skipping an archived message that does not parse');
      }
      return finElement(page);
    }, 'bare');

    ctx.iq.get(NS_MAM, 'metadata', async (req) => {
      const username = owner(req);
      const first = async (reverse: boolean) => {
        for await (const r of messages.find(username, { limit: 1, reverse })) return r;
        return undefined;
      };
      return metadataElement(await first(false), await first(true));
    }, 'bare');

    ctx.iq.get(NS_MAM, 'prefs', async (req) => prefsElement((await prefs.get(owner(req))) ?? DEFAULT_PREFS), 'bare');
    ctx.iq.set(NS_MAM, 'prefs', async (req) => {
      const username = owner(req);
      const p = parsePrefs(req.payload);
      await prefs.set(username, p);
      return prefsElement(p);
    }, 'bare');

    ctx.iq.set(NS_DELETE, 'delete', async (req) => {
      const username = owner(req);
      const q = parseQuery(req.payload);
      if (q.flip || Object.keys(q.paging).length > 0) throw new StanzaError('bad-request', 'delete takes only a form');
      const filter = await filterQuery(messages, username, q.filters);
      const n = await messages.delete(username, filter);
      return xml('deleted', { xmlns: NS_DELETE, count: String(n) });
    }, 'bare');

    ctx.hook('user/deleting', async ({ username }) => {
      await messages.delete(username);
      await prefs.set(username, undefined);
    });
  },
});

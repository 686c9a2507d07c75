/**
 * XEP-0402 PEP Native Bookmarks 1.2.0 with its §5.3 compatibility with XEP-0048 Bookmarks 1.2:
 * the bookmarks live in the user's `urn:xmpp:bookmarks:1` PEP node (one item per room, whitelist,
 * persistent, max_items max — the pep module stores and notifies). Here:
 * - #compat: XEP-0049 private XML `storage:bookmarks` is a view of that node: a get builds the
 *   <storage/> from its items, a set publishes the rooms added or changed and retracts the others;
 * - #compat-pep: a client publishing the legacy PEP node `storage:bookmarks` (XEP-0048 §3.2 via
 *   XEP-0223) updates the node the same way, and each change of the node republishes the legacy
 *   node if the user has one, so legacy PEP clients are notified too.
 */
import type {} from '../pep/types.js';
import type {} from '../private/service.js';
import { defineModule } from '../../core/module.js';
import type { PepService } from '../pep/types.js';
import { type Bookmark, fromItem, fromLegacy, NS_BOOKMARKS2, NS_LEGACY, sameBookmark, toItem, toLegacy } from './convert.js';

/** XEP-0402 §3 / XEP-0223 §4: the node's configuration. */
const NODE_CONFIG = { persistItems: true, maxItems: 'max' as const, sendLastPublishedItem: 'never' as const, accessModel: 'whitelist' as const };
const ME = 'bookmarks';

async function current(pep: PepService, username: string): Promise<Bookmark[]> {
  const items = (await pep.items(username, NS_BOOKMARKS2)) ?? [];
  return items.map((i) => fromItem(i.id, i.payload)).filter((b): b is Bookmark => b !== undefined);
}

/** Makes the node hold exactly `wanted`: publishes what is new or changed, retracts what is gone. */
async function replaceAll(pep: PepService, username: string, wanted: Bookmark[], origin: string): Promise<void> {
  const have = new Map((await current(pep, username)).map((b) => [b.jid, b]));
  const exists = (await pep.config(username, NS_BOOKMARKS2)) !== undefined;
  for (const b of wanted) {
    const old = have.get(b.jid);
    have.delete(b.jid);
    if (old && sameBookmark(old, b)) continue;
    await pep.publish(username, NS_BOOKMARKS2, toItem(b), { id: b.jid, origin: { module: origin }, ...(exists ? {} : { config: NODE_CONFIG }) });
  }
  for (const jid of have.keys()) await pep.retract(username, NS_BOOKMARKS2, jid, { module: origin });
}

export default defineModule({
  name: 'bookmarks',
  xeps: [
    { number: 402, version: '1.2.0', status: 'complete', note: 'with the #compat (private XML) and #compat-pep conversions of §5.3' },
    { number: 48, version: '1.2', status: 'complete', note: 'through XEP-0402 §5.3: private XML and PEP storage:bookmarks views of the same bookmarks; URL bookmarks are not kept' },
  ],
  depends: ['pep', 'private'],
  setup(ctx) {
    const pep = ctx.services.get('pep');
    ctx.features.add(`${NS_BOOKMARKS2}#compat`, { account: true });
    ctx.features.add(`${NS_BOOKMARKS2}#compat-pep`, { account: true });

    const stop = ctx.services.get('private').handle(NS_LEGACY, {
      get: async (username) => toLegacy(await current(pep, username)),
      set: (username, storage) => replaceAll(pep, username, fromLegacy(storage), ME),
    });

    const legacySync = `${ME}-legacy`;
    const stopListening = pep.onChange(async (change) => {
      if (change.node === NS_LEGACY && change.kind === 'publish' && change.origin.module === undefined) {
        const storage = change.item.payload;
        if (storage.name === 'storage' && storage.attrs.xmlns === NS_LEGACY) await replaceAll(pep, change.username, fromLegacy(storage), legacySync);
        return;
      }
      if (change.node !== NS_BOOKMARKS2 || change.origin.module === legacySync) return;
      // Keep the legacy node, if the user has one, showing the same rooms.
      if ((await pep.config(change.username, NS_LEGACY)) === undefined) return;
      await pep.publish(change.username, NS_LEGACY, toLegacy(await current(pep, change.username)), { id: 'current', origin: { module: ME } });
    });
    ctx.onUnload(() => { stop.dispose(); stopListening.dispose(); });
  },
});

/**
 * vCards and what hangs off them:
 *   XEP-0054 vcard-temp 1.3.0 (handlers.ts: get own/others', set own only, size limit);
 *   XEP-0153 vCard-based avatars 1.1.1 with XEP-0398 1.0.0 §4 (presence.ts: the server puts the
 *   avatar hash into the user's available presence, broadcast and directed);
*   XEP-0398 §3.1 and §3.2 vCard ⇄ PEP avatars (pep.ts, when the pep module is loaded);
 *   through profile.setPhoto;
 *   XEP-0172 user nickname 1.1: <nick/> in subscription requests and messages passes through the
 *   router untouched; the registered nickname is the vCard's NICKNAME (the `profile` service);
 *   PP2-22 alternative contact information: TEL/EMAIL/URL, several of each, stored as sent.
 */
import { Priority, type StanzaEvent } from '../../core/events.js';
import { defineModule, keyval } from '../../core/module.js';
import { NS_VCARD } from './codec.js';
import { vcardHandlers } from './handlers.js';
import { avatarToVcard, isOwnChange, NS_AVATAR_METADATA, NS_PEP_VCARD_CONVERSION, publishAvatar } from './pep.js';
import { withPhotoHash } from './presence.js';
import type {} from './service.js';
import { type VcardRecord, Vcards } from './vcards.js';

export default defineModule({
  name: 'vcard',
  xeps: [
    { number: 54, version: '1.3.0', status: 'complete', note: 'own vCard empty if unset; others\' missing vCard and missing accounts both service-unavailable; size limit (vcard.max_bytes)' },
    { number: 153, version: '1.1.1', status: 'complete', note: 'the server adds or fixes the photo hash in available presence (XEP-0398 §4)' },
    { number: 172, version: '1.1', status: 'partial', note: '<nick/> passes through in subscriptions and messages; vCard NICKNAME is the registered nickname (profile service); no PEP nick node here' },
    { number: 398, version: '1.0.0', status: 'complete', note: 'presence hash injection; vCard ⇄ PEP avatars both ways when the pep module is loaded' },
  ],
  stores: { vcards: keyval<VcardRecord>('vcard') },
  options: (host) => ({ maxBytes: host.vcard.max_bytes }),
  setup(ctx) {
    const vcards = new Vcards({
      store: ctx.stores.vcards,
      stored: async (username, _vcard, photo) => {
        const pep = ctx.services.maybe('pep');
        if (!pep) return;
        try {
          await publishAvatar(pep, username, photo, true);
        } catch (err) {
          // The vCard is stored; a failed conversion must not turn the set into an error.
          ctx.log.warn({ err, username }, 'vCard → PEP avatar conversion failed');
        }
      },
    });
    const profile = vcards.service();
    ctx.provide('profile', profile);
    // The PEP module loads before this one (modules/index.ts order) when it is enabled.
    const pep = ctx.services.maybe('pep');
    if (pep) {
      const sub = pep.onChange(async (change) => {
        if (change.kind !== 'publish' || change.node !== NS_AVATAR_METADATA || isOwnChange(change.origin)) return;
        try {
          await avatarToVcard(pep, profile, change.username, change.item.payload);
        } catch (err) {
          ctx.log.warn({ err, username: change.username }, 'PEP avatar → vCard conversion failed');
        }
      });
      ctx.onUnload(() => sub.dispose());
    }

    const h = vcardHandlers({ host: ctx.host, vcards, maxBytes: ctx.options.maxBytes });
    ctx.iq.get(NS_VCARD, 'vCard', h.get, 'bare');
    ctx.iq.set(NS_VCARD, 'vCard', h.set, 'bare');
    ctx.features.add(NS_VCARD);
    ctx.features.add(NS_VCARD, { account: true });
    ctx.fold('disco/info/account', (info, c) => (ctx.services.maybe('pep') && c.from.bareString === c.to.bareString
      ? { ...info, features: [...info.features, NS_PEP_VCARD_CONVERSION] } : info));

    const inject = async (ev: StanzaEvent): Promise<undefined> => {
      if (ev.stanza.attrs.type !== undefined || !ev.origin?.username) return undefined;
      const hash = await vcards.hash(ev.origin.username);
      if (hash === undefined) return undefined;
      const next = withPhotoHash(ev.stanza, hash ?? '');
      if (next) ev.stanza = next;
      return undefined;
    };
    for (const name of ['pre-presence/self', 'pre-presence/bare', 'pre-presence/full', 'pre-presence/host'] as const) {
      ctx.hook(name, inject, Priority.Intercept);
    }
    ctx.hook('user/deleting', ({ username }) => { vcards.forget(username); });
  },
});

/**
 * User directory search, XEP-0055 1.3 on the host's own JID (no extra subdomain, so no certificate
 * name to add): §2 legacy fields (first, last, nick, email) and §3 the jabber:x:data form
 * (FORM_TYPE jabber:iq:search; username, nick, fn, first, last, email). Matching rules in query.ts.
 * Privacy: only users who opted in are listed (directory.ts). The opt-in is a private per-user
 * setting through an IQ to one's own account (Tern namespace; XEP-0077 registration is not the place):
 *   <iq type='set'><directory xmlns='urn:tern:directory:0' searchable='true'/></iq>
 *   <iq type='get'><directory xmlns='urn:tern:directory:0'/></iq> → the current setting.
 * Results are capped at search.max_results (no RSM paging).
 * With the msisdn module loaded the form also has `msisdn` (issue 8): the number is resolved as the
 * phone-number gateway would for a local user (verified and discoverable numbers only) and finds its
 * owner only if the owner is also listed in the directory; an invalid number is not-acceptable.
 */
import { StanzaError } from '../../core/errors.js';
import { defineModule, keyval } from '../../core/module.js';
import { xml } from '../../core/stanza.js';
import { Directory, type DirectoryPref } from './directory.js';
import { formResults, legacyResults, searchForm } from './forms.js';
import { NS_DATA, NS_SEARCH, parseQuery, type Term } from './query.js';

export const NS_DIRECTORY = 'urn:tern:directory:0';

export default defineModule({
  name: 'search',
  xeps: [{ number: 55, version: '1.3', status: 'complete', note: 'on the host JID; legacy fields and data form; only opted-in users (urn:tern:directory:0); at most search.max_results results' }],
  depends: ['vcard'],
  stores: { prefs: keyval<DirectoryPref>('directory') },
  options: (host) => ({ maxResults: host.search.max_results }),
  setup(ctx) {
    const profile = ctx.services.get('profile');
    const dir = new Directory({ prefs: ctx.stores.prefs, card: (u) => profile.card(u) });
    const stop = profile.onChange((u) => { dir.changed(u).catch((err) => ctx.log.warn({ err }, 'directory update failed')); });
    ctx.onUnload(() => stop.dispose());

    /** The msisdn term becomes an exact username term for the number's local owner (undefined: nobody). */
    const resolveNumbers = async (terms: Term[]): Promise<Term[] | undefined> => {
      const out: Term[] = [];
      for (const t of terms) {
        if (t.field !== 'msisdn') { out.push(t); continue; }
        const msisdn = ctx.services.maybe('msisdn');
        if (!msisdn) throw new StanzaError('bad-request', 'unknown field msisdn');
        const e164 = msisdn.normalise(t.value);
        if (!e164) throw new StanzaError('not-acceptable', 'not a valid phone number');
        const owner = await msisdn.lookup(e164);
        if (!owner || owner.domain !== ctx.host || !owner.local) return undefined;
        out.push({ field: 'username', value: owner.local, prefix: false });
      }
      return out;
    };
    ctx.iq.get(NS_SEARCH, 'query', () => searchForm(ctx.services.maybe('msisdn') !== undefined));
    ctx.iq.set(NS_SEARCH, 'query', async ({ payload }) => {
      const terms = await resolveNumbers(parseQuery(payload));
      const found = terms ? await dir.search(terms, ctx.options.maxResults) : [];
      return payload.getChild('x', NS_DATA) ? formResults(found, ctx.host) : legacyResults(found, ctx.host);
    });
    // The feature only: the host stays one server/im identity (a directory/user identity is for a dedicated search service).
    ctx.features.add(NS_SEARCH);

    ctx.iq.get(NS_DIRECTORY, 'directory', async ({ from }) =>
      xml('directory', { xmlns: NS_DIRECTORY, searchable: String(await dir.searchable(from.local)) }), 'self');
    ctx.iq.set(NS_DIRECTORY, 'directory', async ({ from, payload, origin }) => {
      if (!origin) throw new StanzaError('forbidden');
      const v = payload.attrs.searchable;
      if (v !== 'true' && v !== 'false' && v !== '1' && v !== '0') throw new StanzaError('bad-request', 'searchable must be true or false');
      await dir.setSearchable(from.local, v === 'true' || v === '1');
      return true as const;
    }, 'self');
    ctx.hook('user/deleting', async ({ username }) => { await dir.removed(username); });
  },
});

/**
 * XEP-0049 Private XML Storage 1.2: a user stores and reads XML fragments keyed by namespace, on its
 * own account only (§3: anyone else's is forbidden). §3.1 set stores each child; §3.2 get returns
 * what is stored, or the requested element empty when nothing is; jabber:client, jabber:server and
 * jabber:iq:private itself are not-acceptable (§3.3), as is a child with no namespace. A namespace
 * may be served by another module through the `private` service (bookmarks conversion).
 */
import { StanzaError } from '../../core/errors.js';
import type { IqRequest } from '../../core/iq.js';
import { defineModule, map } from '../../core/module.js';
import { childElements, type Element, xml } from '../../core/stanza.js';
import { parseFragment } from './xml.js';
import type { PrivateNamespaceHandler } from './service.js';

export const NS_PRIVATE = 'jabber:iq:private';
const RESERVED = new Set(['jabber:client', 'jabber:server', NS_PRIVATE]);

export default defineModule({
  name: 'private',
  xeps: [{ number: 49, version: '1.2', status: 'complete' }],
  stores: { data: map<string>('private') },
  options: () => ({ maxBytesPerNamespace: 64 * 1024, maxNamespaces: 128 }),
  setup(ctx) {
    const handlers = new Map<string, PrivateNamespaceHandler>();
    ctx.provide('private', {
      handle: (ns, handler) => {
        handlers.set(ns, handler);
        return { dispose: () => { if (handlers.get(ns) === handler) handlers.delete(ns); } };
      },
    });

    const own = (req: IqRequest): string => {
      if (req.from.domain !== ctx.host || req.from.local !== req.to.local) throw new StanzaError('forbidden');
      return req.to.local;
    };
    const namespaceOf = (el: Element): string => {
      const ns = el.attrs.xmlns as string | undefined;
      if (!ns || RESERVED.has(ns)) throw new StanzaError('not-acceptable');
      return ns;
    };

    ctx.iq.get(NS_PRIVATE, 'query', async (req) => {
      const username = own(req);
      const wanted = childElements(req.payload);
      if (wanted.length !== 1) throw new StanzaError('not-acceptable');
      const ns = namespaceOf(wanted[0]!);
      const h = handlers.get(ns);
      const stored = h ? await h.get(username) : await ctx.stores.data.get(username, ns).then((s) => (s === undefined ? undefined : parseFragment(s)));
      return xml('query', { xmlns: NS_PRIVATE }, stored ?? xml(wanted[0]!.name, { xmlns: ns }));
    }, 'bare');

    ctx.iq.set(NS_PRIVATE, 'query', async (req): Promise<true> => {
      const username = own(req);
      const parts = childElements(req.payload);
      if (parts.length === 0) throw new StanzaError('not-acceptable');
      const writes: Array<[string, string]> = [];
      for (const el of parts) {
        const ns = namespaceOf(el);
        const s = el.toString();
        if (Buffer.byteLength(s) > ctx.options.maxBytesPerNamespace) throw new StanzaError('not-acceptable');
        writes.push([ns, s]);
      }
      for (const [ns] of writes) {
        const h = handlers.get(ns);
        if (h) await h.set(username, parts.find((p) => p.attrs.xmlns === ns)!);
      }
      const plain = writes.filter(([ns]) => !handlers.has(ns));
      if (plain.length > 0) {
        const existing = await ctx.stores.data.all(username);
        const fresh = plain.filter(([ns]) => !existing.has(ns)).length;
        if (existing.size + fresh > ctx.options.maxNamespaces) throw new StanzaError('resource-constraint', undefined, 'wait');
        await ctx.stores.data.setMany(username, plain);
      }
      return true;
    }, 'bare');
  },
});

/**
 * XEP-0363 HTTP File Upload: a service on its own domain (upload.<domain>), listed in the host's
 * disco#items (§3), handing out slots (§4, errors §5) whose PUT and GET URLs the server's HTTPS
 * listener serves (§6; see http.ts), with the same certificates as XMPP. Per-file size limit,
 * per-user quota and slot rate limit, unguessable URLs, expiry of old files (§8 security notes).
 */
import path from 'node:path';
import { Priority } from '../../core/events.js';
import { Jid } from '../../core/jid.js';
import { defineModule, map } from '../../core/module.js';
import { xml } from '../../core/stanza.js';
import { FileStore } from './files.js';
import { uploadHandler } from './http.js';
import { handleStanza, storeFile, type SlotDeps } from './service.js';
import { type FileRecord, type Slot, SlotRateLimit } from './slots.js';

export default defineModule({
  name: 'upload',
  xeps: [{ number: 363, version: '1.1.0', status: 'complete', note: 'service on upload.<domain>; size limit, quota, expiry; PUT once, GET/HEAD with nosniff and CSP' }],
  options: (h) => h.upload,
  stores: { files: map<FileRecord>('upload') },
  async setup(ctx) {
    const o = ctx.options;
    if (!o.enabled) return;
    const https = ctx.services.maybe('https');
    if (!https || !ctx.config.listeners.http_upload.enabled) {
      ctx.log.info('listeners.http_upload is disabled: no file upload service');
      return;
    }
    const files = new FileStore(path.join(ctx.config.data_dir, 'upload', ctx.host), ctx.stores.files);
    await files.load();
    const slots = new Map<string, Slot>();
    const rate = new SlotRateLimit(o.slots_per_minute);
    const now = () => Date.now();
    const expired = (r: FileRecord, t: number) => o.max_age_s > 0 && r.created + o.max_age_s * 1000 <= t;

    const deps: SlotDeps = {
      host: ctx.host,
      domain: o.domain,
      options: o,
      slots,
      rate,
      usage: (owner) => files.usage(owner),
      baseUrl: () => {
        const pub = https.publicUrl;
        if (pub) return pub.replace(/\/+$/, '');
        const port = https.port;
        if (port === undefined) return undefined;
        return port === 443 ? `https://${o.domain}` : `https://${o.domain}:${port}`;
      },
      now,
    };

    const me = Jid.of('', o.domain);
    ctx.onUnload(() => component.dispose());
    const component = ctx.router.addComponent(o.domain, {
      deliver: (stanza, from) => {
        handleStanza(deps, stanza, from).then((reply) => {
          if (reply) {
            reply.attrs.from = me.toString();
            ctx.send(reply);
          }
        }, (err) => ctx.log.error({ err }, 'upload request failed'));
      },
    });

    ctx.provide('upload', { storeFile: (owner, file) => storeFile(deps, files, owner, file) });

    const prefix = `/upload/${ctx.host}/`;
    const route = https.route(prefix, uploadHandler({
      prefix, files, now, expired, log: ctx.log,
      slots: { peek: (id) => slots.get(id), take: (id) => { slots.delete(id); } },
    }));
    ctx.onUnload(() => route.dispose());

    // §3: the user's server lists the upload service among its items.
    ctx.fold('disco/items/host', (items, c) => (c.node === undefined ? [...items, xml('item', { jid: o.domain, name: 'HTTP File Upload' })] : items), Priority.Default);

    ctx.interval(o.sweep_interval_s * 1000, () => {
      const t = now();
      for (const [id, s] of slots) if (s.expires < t) slots.delete(id);
      rate.prune(t);
      if (o.max_age_s === 0) return;
      files.sweep(t - o.max_age_s * 1000).then((n) => {
        if (n) ctx.log.info({ deleted: n }, 'expired uploads deleted');
      }, (err) => ctx.log.error({ err }, 'upload sweep failed'));
    });

    ctx.hook('user/deleting', async ({ username }) => {
      for (const [id, s] of slots) if (s.owner === username) slots.delete(id);
      await files.removeUser(username);
    });
  },
});

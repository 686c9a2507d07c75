/**
 * WSI Instant Inboxes (seed 5.15/5.16, Appendix B §7, WSI-5..12, 24, 25, 28, 31): the accounts in
 * hosts[].wsi.inboxes take every message addressed to them (from local users, and through the same
 * router path from federated users and the SIP gateway) into a durable, sequenced inbox
 * (gateways/wsi/inbox.ts) instead of ordinary delivery; a web service reads it and sends messages
 * over the REST/JSON binding (gateways/wsi/http.ts, OpenAPI at /wsi/<host>/openapi.json) or the
 * SOAP 1.1 binding (gateways/wsi/soap.ts, WSDL at /wsi/<host>/<inbox>/soap?wsdl) on the HTTPS
 * listener, both calling one service (gateways/wsi/service.ts).
 * Errors that come back for messages the service sent are its per-recipient statuses. sip:
 * recipients go through the SIP gateway's `sip-gateway` service when it runs on the host. Large
 * non-text content goes through the upload service (its `upload` service, XEP-0363 limits) as an
 * XEP-0066 URL. WSI-28: the inbox is an ordinary account, so its JID is also its presence identity
 * (an XMPP session of the account has presence as usual; messages still go to the inbox).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Priority, HANDLED, type HookResult, type StanzaEvent } from '../../core/events.js';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { archive, defineModule } from '../../core/module.js';
import { createInbox } from '../../../gateways/wsi/inbox.js';
import { wsiHandler } from '../../../gateways/wsi/http.js';
import { createWsiService, type RecipientStatus } from '../../../gateways/wsi/service.js';
import { buildMessage, fileNameFor, isText, resolveRecipient } from '../../../gateways/wsi/send.js';

const RESOURCE = 'wsi';

export default defineModule({
  name: 'wsi',
  options: (h) => h.wsi,
  stores: { inbox: archive<string>('wsi_inbox') },
  setup(ctx) {
    const o = ctx.options;
    if (o.inboxes.length === 0) return;
    const tokens = new Map(o.inboxes.map((i) => [i.username, Buffer.from(i.token_sha256, 'hex')]));
    const inbox = createInbox({ archive: ctx.stores.inbox, maxPending: o.max_pending });
    ctx.onUnload(() => inbox.close());

    /** Sends awaiting a possible error, by message id. */
    const pending = new Map<string, (condition: string) => void>();

    const intercept = (ev: StanzaEvent): HookResult | Promise<HookResult> => {
      const username = ev.to.local;
      if (!tokens.has(username)) return undefined;
      const s = ev.stanza;
      if (s.attrs.type === 'error' && s.attrs.id && pending.has(s.attrs.id)) {
        const err = s.getChild('error');
        const cond = err?.children.find((c) => typeof c !== 'string' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas');
        pending.get(s.attrs.id)!(typeof cond === 'string' || !cond ? 'undefined-condition' : cond.name);
        return HANDLED;
      }
      return inbox.store(username, s).then((): HookResult => HANDLED);
    };
    ctx.hook('message/bare', intercept, Priority.Intercept);
    ctx.hook('message/full', intercept, Priority.Intercept);
    ctx.hook('user/deleting', ({ username }) => { if (tokens.has(username)) void ctx.stores.inbox.delete(username); });

    const sendOne = async (from: string, to: string, stanzaFor: (id: string) => ReturnType<typeof buildMessage>, waitMs: number): Promise<string | undefined> => {
      const id = `wsi-${randomBytes(9).toString('base64url')}`;
      let condition: string | undefined;
      let wake: () => void = () => {};
      pending.set(id, (c) => { condition = c; wake(); });
      try {
        await ctx.router.route(stanzaFor(id));
        // A local refusal is routed back at once; one more turn lets a queued reply land.
        await new Promise<void>((r) => setImmediate(r));
        if (condition === undefined && waitMs > 0) {
          await new Promise<void>((r) => { const t = setTimeout(r, waitMs); wake = () => { clearTimeout(t); r(); }; });
        }
      } finally {
        pending.delete(id);
      }
      void to;
      return condition;
    };

    const https = ctx.services.maybe('https');
    if (!https || !ctx.config.listeners.http_upload.enabled) {
      ctx.log.info('listeners.http_upload is disabled: WSI inboxes store messages but have no web-service binding');
      return;
    }
    const prefix = `/wsi/${ctx.host}/`;
    const service = createWsiService({
      tokens,
      inbox,
      now: Date.now,
      limits: { requestsPerMinute: o.requests_per_minute, maxRequestBytes: o.max_request_bytes, maxRecipients: o.max_recipients, maxWaitS: o.max_wait_s },
      send: async (user, req) => {
        const from = Jid.of(user, ctx.host, RESOURCE).toString();
        const msisdn = ctx.services.maybe('msisdn');
        const sip = ctx.services.maybe('sip-gateway');
        const jobs: Array<Promise<RecipientStatus>> = [];
        const upload = ctx.services.maybe('upload');
        req.messages.forEach((m, i) => {
          // Large non-text content is stored once per message, whatever its number of recipients.
          const bytes = isText(m.contentType) ? undefined : Buffer.from(m.body, 'base64');
          const stored = upload && bytes && bytes.length > o.inline_max_bytes
            ? upload.storeFile(user, { filename: fileNameFor(m, i), contentType: m.contentType, bytes })
              .catch((err: unknown) => { if (err instanceof StanzaError) return { condition: err.condition }; throw err; })
            : undefined;
          for (const recipient of m.to) {
            jobs.push((async (): Promise<RecipientStatus> => {
              const url = await stored;
              if (typeof url === 'object') return { message: i, recipient, status: 'error', condition: url.condition };
              const target = await resolveRecipient(recipient, msisdn, sip);
              if (!(target instanceof Jid)) return { message: i, recipient, status: 'error', condition: target.condition };
              const jid = target.toString();
              const cond = await sendOne(from, jid, (id) => buildMessage(m, from, jid, id, url), req.waitMs);
              return cond === undefined ? { message: i, recipient, jid, status: 'accepted' } : { message: i, recipient, jid, status: 'error', condition: cond };
            })());
          }
        });
        return Promise.all(jobs);
      },
    });
    // WSDL addresses and the OpenAPI server URL: the operator's public URL, else the host asked for.
    const base = (req: IncomingMessage) => https.publicUrl?.replace(/\/$/, '') ?? `https://${req.headers.host ?? `${ctx.host}:${https.port}`}`;
    const route = https.route(prefix, wsiHandler(service, prefix, base, ctx.log));
    ctx.onUnload(() => route.dispose());
  },
});

/** The token digest as hosts[].wsi.inboxes[].token_sha256 wants it. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

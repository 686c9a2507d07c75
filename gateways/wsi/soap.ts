/**
 * The SOAP 1.1 document/literal binding of the WSI service (WSI-8/9/10: "using one SOAP request"),
 * per inbox at POST /wsi/<host>/<inbox>/soap, its WSDL at GET …/soap?wsdl (wsdl.ts). Operations
 * GetMessages, SendMessages and Acknowledge, dispatched on the Body's element (SOAPAction is not
 * needed). The envelope is parsed with ltx (no DTDs, no entity expansion: a DOCTYPE is malformed).
 *
 * Credentials: the HTTP `Authorization: Bearer <token>`, or a WS-Security 1.0 UsernameToken with
 * a PasswordText password (Username = the inbox, Password = its token). Errors are SOAP 1.1 Faults:
 * faultcode soap:Client (the request) or soap:Server, a faultstring, and in <detail> an
 * <error xmlns='urn:tern:wsi:soap:0'> with the same <reason/> REST uses and the <field/> if one is
 * wrong. HTTP 500 as SOAP 1.1 says, except 401/403/413/429, which keep their own status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Element } from '@xmpp/xml';
import { xml } from '../../server/core/stanza.js';
import * as ltx from 'ltx';
import type { Logger } from 'pino';
import { bearerOf, readBody, WsiError, type Credentials, type GetOptions, type WsiService } from './service.js';
import { SOAP_NS, wsdl } from './wsdl.js';

export { SOAP_NS };

export const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const PASSWORD_TEXT = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';

const bad = (field: string, message: string) => new WsiError(400, 'bad-request', message, field);

function envelope(body: Element): string {
  return `<?xml version="1.0" encoding="utf-8"?>${xml('soap:Envelope', { 'xmlns:soap': SOAP_ENV }, xml('soap:Body', {}, body)).toString()}`;
}

function send(res: ServerResponse, status: number, body: Element): void {
  // 413: the rest of the body was not read, so the connection cannot be reused.
  res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', 'Cache-Control': 'no-store', ...(status === 413 ? { Connection: 'close' } : {}) }).end(envelope(body));
}

function fault(res: ServerResponse, code: 'Client' | 'Server' | 'VersionMismatch', message: string, reason: string, field?: string, status = 500): void {
  const detail = xml('error', { xmlns: SOAP_NS }, xml('reason', {}, reason));
  if (field !== undefined) detail.append(xml('field', {}, field));
  send(res, status, xml('soap:Fault', {}, xml('faultcode', {}, `soap:${code}`), xml('faultstring', {}, message), xml('detail', {}, detail)));
}

/** Children of `el` by local name, whatever prefix the client chose (ours or none). */
const kids = (el: ltx.Element, name: string) => el.getChildElements().filter((c) => c.getName() === name);
const text = (el: ltx.Element, name: string): string | undefined => kids(el, name)[0]?.text().trim();

function int(el: ltx.Element, name: string): number | undefined {
  const t = text(el, name);
  if (t === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(t)) throw bad(name, `${name} must be a non-negative integer`);
  return Number(t);
}

function credentials(req: IncomingMessage, env: ltx.Element): Credentials {
  const bearer = bearerOf(req);
  if (bearer !== undefined) return { bearer };
  const token = env.getChild('Header', SOAP_ENV)?.getChild('Security', WSSE)?.getChild('UsernameToken', WSSE);
  const pw = token?.getChild('Password', WSSE);
  if (!token || !pw || (pw.attrs.Type !== undefined && pw.attrs.Type !== PASSWORD_TEXT)) return {};
  return { username: token.getChildText('Username', WSSE)?.trim() ?? '', password: pw.text() };
}

/** SendMessagesRequest → the JSON shape send.ts checks; its field names say message[i] like the XML. */
function sendBody(op: ltx.Element): unknown {
  const body: { messages: unknown[]; waitMs?: number } = {
    messages: kids(op, 'message').map((m) => {
      const o: Record<string, unknown> = { to: kids(m, 'to').map((t) => t.text().trim()) };
      for (const f of ['contentType', 'body', 'subject']) {
        const v = kids(m, f)[0];
        // Text bodies are taken verbatim; base64 may be wrapped by the client's serialiser.
        if (v) o[f] = f === 'body' ? v.text() : v.text().trim();
      }
      if (typeof o.body === 'string' && typeof o.contentType === 'string' && !/^text\/plain/i.test(o.contentType)) o.body = (o.body as string).replace(/\s+/g, '');
      return o;
    }),
  };
  const w = int(op, 'waitMs');
  if (w !== undefined) body.waitMs = w;
  return body;
}

async function operate(svc: WsiService, inbox: string, op: ltx.Element): Promise<Element> {
  switch (op.getName()) {
    case 'GetMessagesRequest': {
      const o: GetOptions = {};
      const max = int(op, 'max'); if (max !== undefined) o.max = max;
      const after = int(op, 'after'); if (after !== undefined) o.after = after;
      const wait = int(op, 'wait'); if (wait !== undefined) o.waitS = wait;
      const consume = text(op, 'consume');
      if (consume !== undefined && !['true', 'false', '1', '0'].includes(consume)) throw bad('consume', 'consume must be a boolean');
      o.consume = consume === 'true' || consume === '1';
      const r = await svc.getMessages(inbox, o);
      const out = xml('GetMessagesResponse', { xmlns: SOAP_NS });
      for (const m of r.messages) {
        const e = xml('message', {}, xml('seq', {}, String(m.seq)), xml('when', {}, new Date(m.when).toISOString()));
        if (m.from !== undefined) e.append(xml('from', {}, m.from));
        e.append(xml('contentType', {}, m.contentType));
        e.append(xml('body', {}, m.body));
        if (m.subject !== undefined) e.append(xml('subject', {}, m.subject));
        if (m.url !== undefined) e.append(xml('url', {}, m.url));
        e.append(xml('stanza', {}, m.stanza));
        out.append(e);
      }
      out.append(xml('next', {}, String(r.next)));
      out.append(xml('pending', {}, String(r.pending)));
      return out;
    }
    case 'AcknowledgeRequest': {
      const upTo = int(op, 'upTo');
      if (upTo === undefined) throw bad('upTo', 'upTo must be a sequence number');
      const r = await svc.acknowledge(inbox, upTo);
      return xml('AcknowledgeResponse', { xmlns: SOAP_NS }, xml('removed', {}, String(r.removed)), xml('pending', {}, String(r.pending)));
    }
    case 'SendMessagesRequest': {
      let results;
      try {
        results = await svc.sendMessages(inbox, sendBody(op));
      } catch (err) {
        if (err instanceof WsiError && err.field !== undefined) {
          throw new WsiError(err.status, err.reason, err.message.replace(/messages/g, 'message'), err.field.replace(/^messages/, 'message'));
        }
        throw err;
      }
      const out = xml('SendMessagesResponse', { xmlns: SOAP_NS });
      for (const r of results) {
        const e = xml('result', {}, xml('message', {}, String(r.message)), xml('recipient', {}, r.recipient));
        if (r.jid !== undefined) e.append(xml('jid', {}, r.jid));
        e.append(xml('status', {}, r.status));
        if (r.condition !== undefined) e.append(xml('condition', {}, r.condition));
        out.append(e);
      }
      return out;
    }
    default:
      throw bad('Body', `unknown operation ${op.getName()}`);
  }
}

export function soapHandler(svc: WsiService, log: Logger) {
  return async (req: IncomingMessage, res: ServerResponse, inbox: string, location: string): Promise<void> => {
    const q = new URL(req.url ?? '/', 'https://x').searchParams;
    if (req.method === 'GET' && (q.has('wsdl') || q.has('WSDL'))) {
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Cache-Control': 'max-age=300' }).end(wsdl(location));
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'GET, POST', 'Content-Type': 'text/plain; charset=utf-8' }).end('POST a SOAP 1.1 envelope, or GET ?wsdl\n');
      return;
    }
    try {
      const raw = await readBody(req, svc.limits.maxRequestBytes);
      let env: ltx.Element;
      try { env = ltx.parse(raw); } catch { throw bad('Envelope', 'the request is not well-formed XML'); }
      if (env.getName() !== 'Envelope') throw bad('Envelope', 'the request is not a SOAP envelope');
      if (env.getNS() !== SOAP_ENV) return fault(res, 'VersionMismatch', 'only SOAP 1.1 envelopes are understood', 'bad-request', 'Envelope');
      const op = env.getChild('Body', SOAP_ENV)?.getChildElements()[0];
      if (!op) throw bad('Body', 'the envelope has no Body element');
      if (op.getNS() !== SOAP_NS) throw bad('Body', `operations are in the namespace ${SOAP_NS}`);
      svc.authorize(inbox, credentials(req, env));
      send(res, 200, await operate(svc, inbox, op));
    } catch (err) {
      if (!(err instanceof WsiError)) {
        log.error({ err }, 'WSI SOAP request failed');
        return fault(res, 'Server', 'internal error', 'internal');
      }
      const keep = err.status === 401 || err.status === 403 || err.status === 413 || err.status === 429;
      if (err.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="wsi"');
      fault(res, err.status >= 500 ? 'Server' : 'Client', err.message, err.reason, err.field, keep ? err.status : 500);
    }
  };
}

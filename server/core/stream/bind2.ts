/**
 * XEP-0386 Bind 2 (1.0.0): reading the <bind xmlns='urn:xmpp:bind:0'/> request of a SASL2
 * <authenticate/> (§3.2) and choosing the resource (§3.2.1). The stream (c2s.ts) binds it, enables
 * stream management and hands the other children to modules through the 'bind2/inline' event.
 *
 * Resource choice: the client's <tag/> as is (prepared per RFC 7622) when no other client holds
 * it (or only a hibernated XEP-0198 session does, which is replaced as RFC 6120 binding would),
 * which keeps resources readable and stable for a client that reconnects; when another connected
 * client (another <user-agent id/>, or none) holds it, §3.2.1's recommended `tag/id` form. The id
 * is derived from the user-agent id with a process secret (stable across reconnects, never
 * revealing the user-agent id, as §3.2.1 requires), or random without one.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { JidError, prepareResource } from '../jid.js';
import { NS_SM } from './sm.js';

export interface BindRequest {
  tag?: string;
  /** XEP-0198 <enable/> inline. */
  smEnable?: Element;
  /** Children for modules (carbons, CSI…). */
  features: Element[];
}

export function parseBind(el: Element): BindRequest {
  const req: BindRequest = { features: [] };
  for (const c of el.getChildElements()) {
    if (c.name === 'tag' && (c.attrs.xmlns === undefined || c.attrs.xmlns === el.attrs.xmlns)) req.tag = c.getText();
    else if (c.name === 'enable' && c.attrs.xmlns === NS_SM) req.smEnable ??= c;
    else if (c.attrs.xmlns && c.attrs.xmlns !== el.attrs.xmlns) req.features.push(c);
  }
  return req;
}

const SECRET = randomBytes(32);
const MAX_TAG_CHARS = 64;

/**
 * `holder(resource)`: undefined when nobody holds it, else the user-agent id of the session that
 * does ('' for a session without one).
 */
export function chooseResource(username: string, tag: string | undefined, client: string | undefined, holder: (resource: string) => string | undefined): string {
  const id = client
    ? createHmac('sha256', SECRET).update(`${username}\0${client}\0${tag ?? ''}`).digest('base64url').slice(0, 12)
    : randomBytes(9).toString('base64url');
  const prepared = tag && [...tag].length <= MAX_TAG_CHARS ? prepareTag(tag) : undefined;
  if (!prepared) return id;
  const h = holder(prepared);
  if (h === undefined || (client !== undefined && h === client)) return prepared;
  return prepareTag(`${prepared}/${id}`) ?? id;
}

/** A tag that cannot be a resource (prohibited characters, too long, empty) is dropped. */
function prepareTag(tag: string): string | undefined {
  try {
    const r = prepareResource(tag);
    return r || undefined;
  } catch (err) {
    if (err instanceof JidError) return undefined;
    throw err;
  }
}

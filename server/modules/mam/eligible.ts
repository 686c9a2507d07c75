/**
 * What goes into a user archive (XEP-0313 §5.1.1, with the XEP-0334 hints): messages of type
 * 'chat' or 'normal' with a <body>, or with a <store/> hint; never errors, headlines or
 * groupchat; never messages hinted <no-store/> or <no-permanent-store/>. So chat states,
 * receipts and other body-less messages stay out unless the sender asks with <store/>.
 */
import type { Element } from '@xmpp/xml';

export const NS_HINTS = 'urn:xmpp:hints';

export function archivable(m: Element): boolean {
  const type = m.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  let body = false;
  let store = false;
  for (const c of m.children) {
    if (typeof c === 'string') continue;
    if (c.attrs.xmlns === NS_HINTS) {
      if (c.name === 'no-store' || c.name === 'no-permanent-store') return false;
      if (c.name === 'store') store = true;
    } else if (c.name === 'body' && (c.attrs.xmlns === undefined || c.attrs.xmlns === 'jabber:client')) {
      body = true;
    }
  }
  return body || store;
}

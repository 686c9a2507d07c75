/**
 * What the client receives for a query (XEP-0313 §4.2): one <message/> per item from the
 * archive's address (the user's bare JID) carrying <result queryid id><forwarded> (XEP-0297) with
 * a XEP-0203 <delay/> of when the server archived it, then <fin/> with the RSM set (XEP-0059 §2)
 * as the IQ result; and the #extended <metadata/> answer.
 */
import xml, { type Element } from '@xmpp/xml';
import type { ArchiveRecord } from '../../../storage/types.js';
import { newId, parseElement, withAttrs } from '../../core/stanza.js';
import { NS_MAM, NS_RSM } from './form.js';
import type { Page } from './query.js';

export const NS_FORWARD = 'urn:xmpp:forward:0';
export const NS_DELAY = 'urn:xmpp:delay';


const stamp = (when: number) => new Date(when).toISOString();

export function resultMessage(rec: ArchiveRecord<string>, archive: string, to: string, queryid: string | undefined): Element | undefined {
  const original = parseElement(rec.value);
  if (!original) return undefined;
  const attrs: Record<string, string> = { xmlns: NS_MAM, id: rec.id };
  if (queryid !== undefined) attrs.queryid = queryid;
  return xml('message', { from: archive, to, id: newId() },
    xml('result', attrs,
      xml('forwarded', { xmlns: NS_FORWARD },
        xml('delay', { xmlns: NS_DELAY, stamp: stamp(rec.when) }),
        withAttrs(original, { xmlns: 'jabber:client' }))));
}

export function finElement(page: Page): Element {
  const set = xml('set', { xmlns: NS_RSM });
  const { items } = page;
  if (items.length > 0) {
    set.append(xml('first', { index: String(page.index ?? 0) }, items[0]!.id));
    set.append(xml('last', {}, items[items.length - 1]!.id));
  }
  set.append(xml('count', {}, String(page.count)));
  const attrs: Record<string, string> = { xmlns: NS_MAM };
  if (page.complete) attrs.complete = 'true';
  return xml('fin', attrs, set);
}

export function metadataElement(first: ArchiveRecord<string> | undefined, last: ArchiveRecord<string> | undefined): Element {
  const md = xml('metadata', { xmlns: NS_MAM });
  if (first && last) {
    md.append(xml('start', { id: first.id, timestamp: stamp(first.when) }));
    md.append(xml('end', { id: last.id, timestamp: stamp(last.when) }));
  }
  return md;
}

/**
 * The `mam` service: the XEP-0313 query machinery of this module (form parsing §4.1, paging §4.3
 * with XEP-0059 RSM, the result and <fin/> elements §4.2, XEP-0359 stamping) for another archive
 * than the users' own, e.g. the MUC service's room archives (XEP-0313 §5.1.2). Pure functions over
 * an ArchiveStore the caller owns; access control stays with the caller.
 */
import type { Element } from '@xmpp/xml';
import type { ArchiveRecord } from '../../../storage/types.js';
import type { ParsedQuery } from './form.js';
import type { Archive, Page } from './query.js';

export interface MamService {
  /** The fields a client may query by (§4.1.5), as the <query/> payload. */
  queryForm(): Element;
  /** Parses a <query xmlns='urn:xmpp:mam:2'/>; throws the StanzaError §4.1 names. */
  parseQuery(query: Element): ParsedQuery;
  /** One page of `key`'s items of the archive (§4.3); throws item-not-found for unknown UIDs. */
  runQuery(archive: Archive, key: string, q: ParsedQuery): Promise<Page>;
  /** The <message><result><forwarded/></result></message> for one item, from `archiveJid`. */
  resultMessage(rec: ArchiveRecord<string>, archiveJid: string, to: string, queryid: string | undefined): Element | undefined;
  finElement(page: Page): Element;
  /** A copy with stanza-ids by `by` removed and <stanza-id by id/> added (XEP-0359 §3, §5). */
  stamp(m: Element, by: string, id: string): Element;
  /** A copy without stanza-ids claiming to be by `by` (XEP-0359 §5). */
  stripSpoofed(m: Element, by: string): Element;
}

declare module '../../core/module.js' {
  interface Services { mam: MamService }
}

/**
 * Reading an archive query (XEP-0313 §4.1 filters as a XEP-0004 form, §4.3 paging with XEP-0059
 * RSM, the #extended <flip-page/>) and the form a client gets when it asks which fields exist
 * (§4.1.5). Pure functions: every problem is a StanzaError with the condition the XEPs name.
 *
 * Conditions:
 *   a form that is not type 'submit', a FORM_TYPE other than urn:xmpp:mam:2, a field given twice
 *   or with several values where one is expected, an unparsable 'with', a 'start'/'end' that is
 *   not a XEP-0082 DateTime, an RSM <max> that is not a non-negative integer, an empty <after/>
 *   → bad-request;
 *   a field this server does not know → feature-not-implemented (XEP-0313 §4.1.5 says so; this
 *   includes 'include-groupchat', which we do not advertise);
 *   RSM <index/> (XEP-0059 §2.4, optional) → feature-not-implemented.
 * A missing FORM_TYPE is accepted: the fields are unambiguous inside a MAM <query/>.
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended';
export const NS_DATA = 'jabber:x:data';
export const NS_RSM = 'http://jabber.org/protocol/rsm';

/** Filters of the form (ids as the client gave them; checked against the archive later). */
export interface Filters {
  with?: Jid;
  start?: number;
  end?: number;
  afterId?: string;
  beforeId?: string;
  ids?: string[];
}

export interface Paging {
  /** Requested page size; undefined when the client sent no <max/>. */
  max?: number;
  after?: string;
  /** '' = the last page (XEP-0059 §2.5); a UID = the page before it. */
  before?: string;
}

export interface ParsedQuery {
  filters: Filters;
  paging: Paging;
  queryid?: string;
  flip: boolean;
}

const bad = (text: string) => new StanzaError('bad-request', text);

/** XEP-0082 DateTime: CCYY-MM-DDThh:mm:ss[.sss]TZD, TZD = Z or ±hh:mm. */
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function parseDateTime(s: string): number | undefined {
  const m = DATETIME.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, , tz] = m;
  const nums = [Number(mo), Number(d), Number(h), Number(mi), Number(se)];
  if (nums[0]! < 1 || nums[0]! > 12 || nums[1]! < 1 || nums[1]! > 31 || nums[2]! > 23 || nums[3]! > 59 || nums[4]! > 60) return undefined;
  if (tz !== 'Z') {
    const [th, tm] = tz!.slice(1).split(':').map(Number);
    if (th! > 23 || tm! > 59) return undefined;
  }
  const t = Date.parse(s);
  if (!Number.isFinite(t)) return undefined;
  // Date.parse rolls 2024-02-30 over to March: a date that does not exist is not a DateTime.
  const dayCheck = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (dayCheck.getUTCDate() !== Number(d)) return undefined;
  return t;
}

function childElements(el: Element): Element[] {
  return el.children.filter((c): c is Element => typeof c !== 'string');
}

function values(field: Element): string[] {
  return field.getChildren('value').map((v) => v.getText());
}

function single(field: Element, name: string): string {
  const v = values(field);
  if (v.length !== 1) throw bad(`field '${name}' takes exactly one value`);
  return v[0]!.trim();
}

function parseForm(x: Element): Filters {
  const type = x.attrs.type;
  if (type !== undefined && type !== 'submit') throw bad("the form must be of type 'submit'");
  const f: Filters = {};
  const seen = new Set<string>();
  for (const field of x.getChildren('field')) {
    const name: string | undefined = field.attrs.var;
    if (name === undefined) throw bad('a field without a var');
    if (seen.has(name)) throw bad(`field '${name}' given twice`);
    seen.add(name);
    switch (name) {
      case 'FORM_TYPE':
        if (single(field, name) !== NS_MAM) throw bad(`FORM_TYPE must be ${NS_MAM}`);
        break;
      case 'with': {
        const jid = Jid.tryParse(single(field, name));
        if (!jid) throw bad("'with' is not a valid JID");
        f.with = jid;
        break;
      }
      case 'start':
      case 'end': {
        const t = parseDateTime(single(field, name));
        if (t === undefined) throw bad(`'${name}' is not a XEP-0082 DateTime`);
        f[name] = t;
        break;
      }
      case 'after-id': f.afterId = single(field, name); break;
      case 'before-id': f.beforeId = single(field, name); break;
      case 'ids': {
        const ids = values(field).map((v) => v.trim());
        if (ids.some((v) => v === '')) throw bad("'ids' has an empty value");
        f.ids = ids;
        break;
      }
      default:
        throw new StanzaError('feature-not-implemented', `unknown field '${name}'`);
    }
  }
  return f;
}

function parseRsm(set: Element): Paging {
  const p: Paging = {};
  for (const c of childElements(set)) {
    switch (c.name) {
      case 'max': {
        const t = c.getText().trim();
        if (!/^\d{1,9}$/.test(t)) throw bad('<max/> must be a non-negative integer');
        p.max = Number(t);
        break;
      }
      case 'after': {
        const t = c.getText().trim();
        if (t === '') throw bad('<after/> needs a UID');
        p.after = t;
        break;
      }
      case 'before': p.before = c.getText().trim(); break;
      case 'index': throw new StanzaError('feature-not-implemented', 'RSM <index/> is not supported; page with <after/> and <before/>');
      default: throw bad(`unknown RSM element <${c.name}/>`);
    }
  }
  return p;
}

/** The <query/> of an IQ set. */
export function parseQuery(query: Element): ParsedQuery {
  let filters: Filters = {};
  let paging: Paging = {};
  let flip = false;
  let forms = 0;
  let sets = 0;
  for (const c of childElements(query)) {
    if (c.name === 'x' && c.attrs.xmlns === NS_DATA) {
      if (forms++) throw bad('more than one form');
      filters = parseForm(c);
    } else if (c.name === 'set' && c.attrs.xmlns === NS_RSM) {
      if (sets++) throw bad('more than one RSM set');
      paging = parseRsm(c);
    } else if (c.name === 'flip-page' && (c.attrs.xmlns === undefined || c.attrs.xmlns === NS_MAM)) {
      flip = true;
    } else {
      throw bad(`unexpected <${c.name}/> in the query`);
    }
  }
  if (query.attrs.node !== undefined) throw new StanzaError('feature-not-implemented', 'a user archive has no nodes');
  const out: ParsedQuery = { filters, paging, flip };
  if (query.attrs.queryid !== undefined) out.queryid = String(query.attrs.queryid);
  return out;
}

/** §4.1.5: the fields this archive understands (none of them required). */
export function queryForm(): Element {
  const field = (v: string, type: string) => xml('field', { var: v, type });
  return xml('query', { xmlns: NS_MAM },
    xml('x', { xmlns: NS_DATA, type: 'form' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)),
      field('with', 'jid-single'),
      field('start', 'text-single'),
      field('end', 'text-single'),
      field('before-id', 'text-single'),
      field('after-id', 'text-single'),
      field('ids', 'text-multi')));
}

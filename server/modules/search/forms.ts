/** The search form (XEP-0055 §2 with the §3 data form, FORM_TYPE jabber:iq:search) and its results. */
import { type Element, xml } from '../../core/stanza.js';
import { type Entry, NS_DATA, NS_SEARCH } from './query.js';

const LABELS: Record<string, string> = {
  username: 'Username', nick: 'Nickname', fn: 'Full name', first: 'Given name', last: 'Family name', email: 'E-mail address',
  msisdn: 'Phone number',
};
const INSTRUCTIONS = 'Fill in one or more fields. Matching ignores case; end a value with * to match its beginning. Only users who chose to be listed are found.';

function field(v: string, type: string, value?: string): Element {
  const f = xml('field', { var: v, type, ...(LABELS[v] ? { label: LABELS[v] } : {}) });
  if (value !== undefined) f.append(xml('value', {}, value));
  return f;
}

/** `withMsisdn`: the phone-number service is loaded, so the form offers its field. */
export function searchForm(withMsisdn = false): Element {
  return xml('query', { xmlns: NS_SEARCH },
    xml('instructions', {}, INSTRUCTIONS),
    xml('first'), xml('last'), xml('nick'), xml('email'),
    xml('x', { xmlns: NS_DATA, type: 'form' },
      xml('title', {}, 'User directory'),
      xml('instructions', {}, INSTRUCTIONS),
      field('FORM_TYPE', 'hidden', NS_SEARCH),
      ...['username', 'nick', 'fn', 'first', 'last', 'email', ...(withMsisdn ? ['msisdn'] : [])].map((v) => field(v, 'text-single'))));
}

export function formResults(entries: readonly Entry[], host: string): Element {
  const cols = ['jid', 'username', 'fn', 'nick', 'email'];
  return xml('query', { xmlns: NS_SEARCH },
    xml('x', { xmlns: NS_DATA, type: 'result' },
      field('FORM_TYPE', 'hidden', NS_SEARCH),
      xml('reported', {}, ...cols.map((c) => xml('field', { var: c, label: c === 'jid' ? 'JID' : LABELS[c]!, type: c === 'jid' ? 'jid-single' : 'text-single' }))),
      ...entries.map((e) => xml('item', {},
        ...[['jid', `${e.username}@${host}`], ['username', e.username], ['fn', e.fn ?? ''], ['nick', e.nick ?? ''], ['email', e.emails[0] ?? '']]
          .map(([k, v]) => xml('field', { var: k! }, xml('value', {}, v!)))))));
}

export function legacyResults(entries: readonly Entry[], host: string): Element {
  return xml('query', { xmlns: NS_SEARCH }, ...entries.map((e) => xml('item', { jid: `${e.username}@${host}` },
    xml('first', {}, e.first ?? ''), xml('last', {}, e.last ?? ''), xml('nick', {}, e.nick ?? ''), xml('email', {}, e.emails[0] ?? ''))));
}

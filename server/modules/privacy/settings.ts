/**
 * Per-user privacy settings (the seed's GU-5 opt-in policy, 5.6 alternative flow, 5.10, PP-22/23)
 * and their XEP-0004 form, which the `privacy` ad-hoc command (XEP-0050) shows and takes back.
 *
 * messages  who may send me messages: everyone | contacts (anyone on my roster, whatever the
 *           subscription: "users on my list") | nobody
 * refused   what a refused message gets: drop (silently) | bounce (service-unavailable, the same as
 *           for an account that does not exist) | notify (bounce, and the server tells me who tried)
 * presence  who may probe my presence without a subscription: contacts (RFC 6121: subscribers
 *           only) | everyone (probes from anyone are answered with my current presence)
 * anonymous whether messages from anonymous senders are accepted (only where the host offers them)
 */
import type { Element } from '@xmpp/xml';
import type { KeyValueStore } from '../../../storage/types.js';
import { StanzaError } from '../../core/errors.js';
import { xml } from '../../core/stanza.js';

export const NS_PRIVACY = 'urn:x-tern:privacy:0';
const NS_DATA = 'jabber:x:data';
const NS_COMMANDS = 'http://jabber.org/protocol/commands';

export interface PrivacySettings {
  messages: 'everyone' | 'contacts' | 'nobody';
  refused: 'drop' | 'bounce' | 'notify';
  presence: 'contacts' | 'everyone';
  anonymous: boolean;
}

export const DEFAULTS: Readonly<PrivacySettings> = Object.freeze({ messages: 'everyone', refused: 'bounce', presence: 'contacts', anonymous: false });

const CHOICES = {
  messages: [['everyone', 'Everyone'], ['contacts', 'Only people in my contact list'], ['nobody', 'Nobody']],
  refused: [['drop', 'Drop it silently'], ['bounce', 'Tell the sender I am unavailable'], ['notify', 'Tell the sender I am unavailable, and tell me who tried']],
  presence: [['contacts', 'Only contacts I have approved'], ['everyone', 'Anyone who asks']],
} as const;
const LABELS = {
  messages: 'Who may send me messages',
  refused: 'What happens to a message I do not accept',
  presence: 'Who may see my presence without a subscription',
};

function listField(name: keyof typeof CHOICES, value: string): Element {
  return xml('field', { var: name, type: 'list-single', label: LABELS[name] },
    xml('value', {}, value),
    ...CHOICES[name].map(([v, label]) => xml('option', { label }, xml('value', {}, v))));
}

export function settingsForm(s: PrivacySettings, anonymousOffered: boolean): Element {
  const form = xml('x', { xmlns: NS_DATA, type: 'form' },
    xml('title', {}, 'Privacy settings'),
    xml('instructions', {}, 'Choose who may reach you and what happens to messages you do not accept.'),
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_PRIVACY)),
    listField('messages', s.messages),
    listField('refused', s.refused),
    listField('presence', s.presence));
  if (anonymousOffered) form.append(xml('field', { var: 'anonymous', type: 'boolean', label: 'Accept messages from anonymous senders' }, xml('value', {}, s.anonymous ? '1' : '0')));
  return form;
}

const badPayload = () => new StanzaError('bad-request', undefined, 'modify', { name: 'bad-payload', xmlns: NS_COMMANDS });

/** The submitted form over the current settings; fields left out keep their value. */
export function parseSubmission(form: Element, current: PrivacySettings, anonymousOffered: boolean): PrivacySettings {
  const values = new Map<string, string>();
  for (const f of form.getChildren('field')) {
    const v = f.getChild('value');
    if (f.attrs.var && v) values.set(f.attrs.var as string, v.text());
  }
  const type = values.get('FORM_TYPE');
  if (type !== undefined && type !== NS_PRIVACY) throw badPayload();
  const next: PrivacySettings = { ...current };
  for (const name of ['messages', 'refused', 'presence'] as const) {
    const v = values.get(name);
    if (v === undefined) continue;
    if (!CHOICES[name].some(([c]) => c === v)) throw badPayload();
    (next as unknown as Record<string, string>)[name] = v;
  }
  const anon = values.get('anonymous');
  if (anon !== undefined) {
    if (!['0', '1', 'true', 'false'].includes(anon)) throw badPayload();
    if (!anonymousOffered && (anon === '1' || anon === 'true')) throw new StanzaError('not-allowed', 'anonymous messages are not offered by this server');
    next.anonymous = anon === '1' || anon === 'true';
  }
  return next;
}

/** Settings on a keyval store with a bounded cache (read for every inbound message). */
export function createSettingsStore(store: KeyValueStore<PrivacySettings>, maxCached: number) {
  const cache = new Map<string, PrivacySettings>();
  const remember = (u: string, s: PrivacySettings) => {
    cache.delete(u);
    cache.set(u, s);
    if (cache.size > maxCached) cache.delete(cache.keys().next().value as string);
  };
  return {
    get(username: string): PrivacySettings | Promise<PrivacySettings> {
      const hit = cache.get(username);
      if (hit) return hit;
      return store.get(username).then((s) => {
        const v = { ...DEFAULTS, ...(s ?? {}) };
        remember(username, v);
        return v;
      }, () => { throw new StanzaError('internal-server-error', undefined, 'wait'); });
    },
    async set(username: string, s: PrivacySettings): Promise<void> {
      try {
        await store.set(username, s);
      } catch {
        throw new StanzaError('internal-server-error', undefined, 'wait');
      }
      remember(username, s);
    },
    async forget(username: string): Promise<void> {
      cache.delete(username);
      await store.set(username, undefined);
    },
  };
}
export type SettingsStore = ReturnType<typeof createSettingsStore>;

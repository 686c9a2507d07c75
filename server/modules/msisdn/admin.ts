/**
 * The operator's provisioning as an XEP-0050 command for the host's admins (issue 8: "and an admin
 * command"), beside `tern msisdn`: link a number to an account (verified), verify a user's claim,
 * or unlink. One form, one submission.
 */
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { xml } from '../../core/stanza.js';
import type { Services } from '../../core/module.js';
import type { MsisdnService } from './service.js';

type AdhocCommand = Parameters<Services['adhoc']['register']>[0];

export const ADMIN_NODE = 'urn:x-tern:msisdn:0#provision';
const NS_DATA = 'jabber:x:data';

function form(): Element {
  return xml('x', { xmlns: NS_DATA, type: 'form' },
    xml('title', {}, 'Phone numbers'),
    xml('instructions', {}, 'Link a number to an account (verified), verify a number a user claimed, or unlink it.'),
    xml('field', { var: 'action', type: 'list-single', label: 'Action' }, xml('value', {}, 'link'),
      ...['link', 'verify', 'unlink'].map((a) => xml('option', { label: a }, xml('value', {}, a)))),
    xml('field', { var: 'number', type: 'text-single', label: 'Phone number' }, xml('required')),
    xml('field', { var: 'jid', type: 'jid-single', label: 'Account (for link)' }));
}

const value = (f: Element, v: string) => f.getChildren('field').find((x) => x.attrs.var === v)?.getChildText('value') ?? undefined;

export function provisionCommand(d: { host: string; admins: ReadonlySet<string>; msisdn: () => MsisdnService }): AdhocCommand {
  return {
    node: ADMIN_NODE,
    name: 'Phone numbers (provisioning)',
    allowed: (from) => d.admins.has(from.bareString),
    execute: () => ({ status: 'executing', form: form() }),
    submit: async (_from, f) => {
      const svc = d.msisdn();
      const action = value(f, 'action') ?? 'link';
      const e164 = svc.normalise(value(f, 'number') ?? '');
      if (!e164) throw new StanzaError('bad-request', 'not a valid phone number');
      if (action === 'link') {
        const owner = Jid.tryParse(value(f, 'jid') ?? '');
        if (!owner || !owner.local || owner.domain !== d.host) throw new StanzaError('bad-request', `the account must be a bare JID on ${d.host}`);
        await svc.link(owner.local, e164);
        return { status: 'completed', note: { type: 'info', text: `${e164} → ${owner.bareString} (verified)` } };
      }
      if (action !== 'verify' && action !== 'unlink') throw new StanzaError('bad-request', 'action must be link, verify or unlink');
      const user = action === 'verify' ? await svc.verify(e164) : await svc.unlink(e164);
      return { status: 'completed', note: { type: 'info', text: `${e164} ${action === 'verify' ? 'verified for' : 'removed from'} ${user}@${d.host}` } };
    },
  };
}

/**
 * XEP-0050 command execution (§2.4, §3.3, §3.4, §4): an execute without a sessionid starts a
 * session; a stage that is not final answers status='executing' with the one action it accepts
 * (complete); complete/execute/next with the sessionid submits the form; cancel ends the session.
 * Sessions belong to the full JID that started them, are few per host and expire.
 * Errors of §4.4: item-not-found (unknown node), forbidden (not allowed), bad-request with
 * <malformed-action/>, <bad-action/>, <bad-sessionid/> or <bad-payload/>.
 */
import { randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import type { Jid } from '../../core/jid.js';
import { xml } from '../../core/stanza.js';
import type { AdhocCommand, AdhocStep } from './service.js';

export const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const NS_DATA = 'jabber:x:data';
const ACTIONS = new Set(['execute', 'cancel', 'prev', 'next', 'complete']);

interface CommandSession { node: string; owner: string; expires: number }

export const badRequest = (condition: string) => new StanzaError('bad-request', undefined, 'modify', { name: condition, xmlns: NS_COMMANDS });

export interface ExecutorOptions { maxSessions: number; sessionTtlMs: number; now?: () => number }

export function createExecutor(commands: ReadonlyMap<string, AdhocCommand>, o: ExecutorOptions) {
  const sessions = new Map<string, CommandSession>();
  const now = o.now ?? Date.now;

  const sweep = () => {
    const t = now();
    for (const [id, s] of sessions) if (s.expires <= t) sessions.delete(id);
  };

  const answer = (node: string, sessionid: string, step: AdhocStep | { status: 'canceled' }): Element => {
    const cmd = xml('command', { xmlns: NS_COMMANDS, node, sessionid, status: step.status });
    if (step.status === 'executing') cmd.append(xml('actions', { execute: 'complete' }, xml('complete')));
    if ('note' in step && step.note) cmd.append(xml('note', { type: step.note.type }, step.note.text));
    if ('form' in step && step.form) cmd.append(step.form);
    return cmd;
  };

  return {
    async run(from: Jid, payload: Element): Promise<Element> {
      const node = payload.attrs.node as string | undefined;
      const command = node === undefined ? undefined : commands.get(node);
      if (!command) throw new StanzaError('item-not-found');
      if (!command.allowed(from)) throw new StanzaError('forbidden');
      const action = (payload.attrs.action as string | undefined) ?? 'execute';
      if (!ACTIONS.has(action)) throw badRequest('malformed-action');
      sweep();
      const sid = payload.attrs.sessionid as string | undefined;

      if (sid === undefined) {
        if (action !== 'execute') throw badRequest('bad-action');
        const step = await command.execute(from);
        const id = randomBytes(9).toString('base64url');
        if (step.status === 'executing') {
          if (sessions.size >= o.maxSessions) throw new StanzaError('resource-constraint');
          sessions.set(id, { node: command.node, owner: from.toString(), expires: now() + o.sessionTtlMs });
        }
        return answer(command.node, id, step);
      }

      const s = sessions.get(sid);
      if (!s || s.node !== command.node || s.owner !== from.toString()) throw badRequest('bad-sessionid');
      if (action === 'cancel') {
        sessions.delete(sid);
        return answer(command.node, sid, { status: 'canceled' });
      }
      if (action === 'prev') throw badRequest('bad-action');
      const form = payload.getChild('x', NS_DATA);
      if (!form || form.attrs.type !== 'submit') throw badRequest('bad-payload');
      const step = await command.submit(from, form);
      if (step.status === 'completed') sessions.delete(sid);
      else s.expires = now() + o.sessionTtlMs;
      return answer(command.node, sid, step);
    },
  };
}

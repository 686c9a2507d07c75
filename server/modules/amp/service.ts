/**
 * Where XEP-0079 rules meet the server: on arrival at the recipient's host (validate, then apply
 * with delivery "now") and, through the `amp` service, when the offline module delivers a stored
 * message or finds it expired (§7: a server with offline storage must not deliver expired ones).
 */
import type { Element } from '@xmpp/xml';
import type { Services } from '../../core/module.js';
import { Jid } from '../../core/jid.js';
import { deadline, evaluate, eventMessage, problemMessage, reports, ruleSetOf, validate } from './rules.js';

declare module '../../core/module.js' {
  interface Services { amp: AmpService }
}

export interface AmpService {
  /** When the message's rules would stop its delivery (a stored message's expiry), if ever. */
  deadline(stanza: Element): number | undefined;
  /**
   * Applies the rules to a message delivered (or found undeliverable) at `at`, sending the
   * sender what they ask for; false when a rule stops delivery. Notify rules already met at
   * `reportedAt` (the message's arrival) were reported then.
   */
  apply(stanza: Element, at: number, reportedAt?: number): boolean;
}

export interface AmpDeps {
  host: string;
  send(stanza: Element): void;
  roster(): Services['roster'] | undefined;
  now?: () => number;
}

export interface Amp extends AmpService {
  /** On arrival: false when the message was answered (a validation error) or stopped by a rule. */
  arrive(stanza: Element): boolean | Promise<boolean>;
}

export function createAmp(d: AmpDeps): Amp {
  const now = d.now ?? Date.now;

  /** §9: reports go only to senders allowed to see the recipient's presence (from/both), or to the user themselves. */
  const mayReport = async (stanza: Element): Promise<boolean> => {
    const from = Jid.tryParse(stanza.attrs.from);
    const to = Jid.tryParse(stanza.attrs.to);
    if (!from || !to) return false;
    if (from.bareString === to.bareString) return true;
    const item = await d.roster()?.item(to.local, from.bareString);
    return item?.subscription === 'from' || item?.subscription === 'both';
  };

  const apply = (stanza: Element, at: number, reportedAt?: number): boolean => {
    const set = ruleSetOf(stanza);
    if (!set || set.status !== undefined) return true;
    const out = evaluate(set, at, reportedAt);
    for (const r of out.fired) d.send(eventMessage(stanza, r, d.host));
    return out.decided === undefined;
  };

  return {
    deadline(stanza) {
      const set = ruleSetOf(stanza);
      return set && set.status === undefined ? deadline(set) : undefined;
    },
    apply,
    arrive(stanza) {
      const set = ruleSetOf(stanza);
      // A report (status set) is not a request; errors are never answered (RFC 6120 §8.3.1).
      if (!set || set.status !== undefined || stanza.attrs.type === 'error' || set.rules.length === 0) return true;
      const decide = (allowed: boolean): boolean => {
        // §1.3: the id relates the request to any report; without one there is nothing to relate.
        const problem = !stanza.attrs.id
          ? { condition: 'bad-request' as const, rules: [] }
          : validate(set, allowed);
        if (problem) {
          d.send(problemMessage(stanza, set, problem, d.host));
          return false;
        }
        return apply(stanza, now());
      };
      return reports(set) ? mayReport(stanza).then(decide) : decide(true);
    },
  };
}

/**
 * XEP-0079 rule sets as pure functions: parsing (§4), validation (§2.2.1, errors §6.1), rule
 * processing (§2.2.3: in order, the first met rule decides, except that `notify` lets processing
 * go on, §3.4.4) and the messages sent back to the sender (§2.2.5 return events, §3.4 actions).
 *
 * Supported: condition expire-at (§3.3.2); actions alert, drop, error, notify (§3.4.1–3.4.4).
 * deliver and match-resource are answered with unsupported-conditions, except that
 * match-resource in a per-hop rule set is ignored, as §3.3.3 requires of every server.
 */
import type { Element } from '@xmpp/xml';
import { NS_STANZAS } from '../../core/errors.js';
import { xml } from '../../core/stanza.js';

export const NS_AMP = 'http://jabber.org/protocol/amp';
export const NS_AMP_ERRORS = 'http://jabber.org/protocol/amp#errors';

export const ACTIONS = ['alert', 'drop', 'error', 'notify'] as const;
export const CONDITIONS = ['expire-at'] as const;
/** Actions that send something back to the sender, and so can reveal the recipient's presence (§9). */
const REPORTING = new Set<string>(['alert', 'error', 'notify']);

export interface Rule { condition: string; action: string; value: string }
export interface RuleSet {
  rules: Rule[];
  perHop: boolean;
  /** Set on return events (§4.1); a rule set with a status is a report, not a request. */
  status?: string;
}

/** The <amp/> child of a message, if any. */
export function ruleSetOf(stanza: Element): RuleSet | undefined {
  const amp = stanza.getChild('amp', NS_AMP);
  if (!amp) return undefined;
  const rules = amp.getChildren('rule').map((r) => ({
    condition: String(r.attrs.condition ?? ''),
    action: String(r.attrs.action ?? ''),
    value: String(r.attrs.value ?? ''),
  }));
  const set: RuleSet = { rules, perHop: amp.attrs['per-hop'] === 'true' };
  if (amp.attrs.status !== undefined) set.status = String(amp.attrs.status);
  return set;
}

/** XEP-0082 DateTime, which §3.3.2 requires to be in UTC; undefined when it is not one. */
export function parseUtcDateTime(s: string): number | undefined {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]00:00)$/.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

export type Problem =
  | { condition: 'bad-request'; child?: 'unsupported-actions' | 'unsupported-conditions'; rules: Rule[] }
  | { condition: 'not-acceptable'; child: 'invalid-rules'; rules: Rule[] };

/** Rules this server acts on: a per-hop match-resource rule is ignored (§3.3.3). */
function applicable(set: RuleSet): Rule[] {
  return set.rules.filter((r) => !(set.perHop && r.condition === 'match-resource'));
}

/**
 * §2.2.1: every rule checked before answering. One error carries one specific condition (§6.1),
 * so unsupported actions are reported first, then unsupported conditions, then unacceptable rules
 * (a value that is not a UTC DateTime, or, when `mayReport` is false, an action that would tell
 * the sender about the recipient's presence, §9's RECOMMENDED answer).
 */
export function validate(set: RuleSet, mayReport: boolean): Problem | undefined {
  const rules = applicable(set);
  const badActions = rules.filter((r) => !(ACTIONS as readonly string[]).includes(r.action));
  if (badActions.length > 0) return { condition: 'bad-request', child: 'unsupported-actions', rules: badActions };
  const badConditions = rules.filter((r) => !(CONDITIONS as readonly string[]).includes(r.condition));
  if (badConditions.length > 0) return { condition: 'bad-request', child: 'unsupported-conditions', rules: badConditions };
  const invalid = rules.filter((r) => parseUtcDateTime(r.value) === undefined || (!mayReport && REPORTING.has(r.action)));
  if (invalid.length > 0) return { condition: 'not-acceptable', child: 'invalid-rules', rules: invalid };
  return undefined;
}

/** Whether any rule would report back to the sender (the only ones §9 restricts). */
export function reports(set: RuleSet): boolean {
  return applicable(set).some((r) => REPORTING.has(r.action));
}

export interface Outcome {
  /** Met rules whose action sends something back, in order (notify ones, then the deciding one). */
  fired: Rule[];
  /** The met rule that overrides the default delivery (alert, drop, error), if any. */
  decided?: Rule;
}

/**
 * §2.2.3 for a message that would be delivered at `at`: expire-at is met when `at` is on or after
 * its value (§3.3.2). Notify rules already met at `reportedAt` were reported then and are skipped.
 */
export function evaluate(set: RuleSet, at: number, reportedAt?: number): Outcome {
  const out: Outcome = { fired: [] };
  for (const r of applicable(set)) {
    const t = parseUtcDateTime(r.value);
    if (r.condition !== 'expire-at' || t === undefined || at < t) continue;
    if (r.action === 'notify') {
      if (reportedAt === undefined || reportedAt < t) out.fired.push(r);
      continue;
    }
    if (r.action !== 'drop') out.fired.push(r);
    out.decided = r;
    break;
  }
  return out;
}

/** The earliest moment a rule would stop delivery: when a stored message's fate changes. */
export function deadline(set: RuleSet): number | undefined {
  let min: number | undefined;
  for (const r of applicable(set)) {
    if (r.condition !== 'expire-at' || r.action === 'notify') continue;
    const t = parseUtcDateTime(r.value);
    if (t !== undefined && (min === undefined || t < min)) min = t;
  }
  return min;
}

const ruleElement = (r: Rule): Element => xml('rule', { action: r.action, condition: r.condition, value: r.value });

/** Routing addresses of a return event: from the server to the original sender, with the original id (§1.3). */
function eventAttrs(original: Element, host: string, type?: string): Record<string, string> {
  const attrs: Record<string, string> = { from: host, to: String(original.attrs.from) };
  if (original.attrs.id !== undefined) attrs.id = String(original.attrs.id);
  if (type) attrs.type = type;
  return attrs;
}

/**
 * §2.2.5 and §3.4: alert and notify send <amp status=action from=… to=…> with the met rule;
 * error sends a type='error' message with <failed-rules/> (§3.4.3, §6.1: modify/undefined-condition).
 * None of them carries the original body.
 */
export function eventMessage(original: Element, rule: Rule, host: string): Element {
  const amp = xml('amp', { xmlns: NS_AMP, status: rule.action, from: String(original.attrs.from), to: String(original.attrs.to) }, ruleElement(rule));
  if (rule.action !== 'error') return xml('message', eventAttrs(original, host), amp);
  return xml('message', eventAttrs(original, host, 'error'), amp,
    xml('error', { type: 'modify', code: '500' },
      xml('undefined-condition', { xmlns: NS_STANZAS }),
      xml('failed-rules', { xmlns: NS_AMP_ERRORS }, ruleElement(rule))));
}

/** §6.2: the validation error, echoing the rule set and naming the rules at issue. */
export function problemMessage(original: Element, set: RuleSet, problem: Problem, host: string): Element {
  const error = xml('error', { type: 'modify', code: problem.condition === 'bad-request' ? '400' : '405' }, xml(problem.condition, { xmlns: NS_STANZAS }));
  if (problem.child) error.append(xml(problem.child, { xmlns: NS_AMP }, ...problem.rules.map(ruleElement)));
  const amp = xml('amp', set.perHop ? { xmlns: NS_AMP, 'per-hop': 'true' } : { xmlns: NS_AMP }, ...set.rules.map(ruleElement));
  return xml('message', eventAttrs(original, host, 'error'), amp, error);
}

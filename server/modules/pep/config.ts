/**
 * Node configuration: PEP defaults (XEP-0163 §6.1), the node_config form (XEP-0060 §8.2) with the
 * fields PEP clients use, and publish-options preconditions (XEP-0060 §7.1.5).
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { type AccessModel, type NodeConfig, NS_DATA, NS_NODE_CONFIG, NS_PUBSUB_ERRORS, type SendLast } from './types.js';

const ACCESS = new Set<AccessModel>(['open', 'presence', 'roster', 'whitelist']);
const SEND_LAST = new Set<SendLast>(['never', 'on_sub', 'on_sub_and_presence']);

export const NODE_AVATAR_DATA = 'urn:xmpp:avatar:data';

/**
 * XEP-0163 §6.1: presence access, persistent, last item sent on presence. One item kept unless asked
 * otherwise. XEP-0084 §4.1: the data node is fetched on demand after its metadata, so its last item
 * is not pushed on presence (a contact coming online would otherwise get the image bytes unasked).
 */
export function defaultConfig(node: string): NodeConfig {
  return {
    accessModel: 'presence', rosterGroups: [], maxItems: 1, persistItems: true,
    sendLastPublishedItem: node === NODE_AVATAR_DATA ? 'never' : 'on_sub_and_presence', notifyRetract: true,
  };
}

/** The effective cap: 'max' and larger numbers become the service's limit. */
export function effectiveMax(c: NodeConfig, limit: number): number {
  return c.maxItems === 'max' ? limit : Math.min(c.maxItems, limit);
}

interface Field { name: keyof NodeConfig; parse(values: string[]): NodeConfig[keyof NodeConfig] | undefined; render(c: NodeConfig): Element }

const bool = (v: string | undefined): boolean | undefined => (v === '1' || v === 'true' ? true : v === '0' || v === 'false' ? false : undefined);
const field = (v: string, type: string, label: string, values: string[], options?: string[]) => xml('field', { var: v, type, label },
  ...(options ?? []).map((o) => xml('option', {}, xml('value', {}, o))), ...values.map((x) => xml('value', {}, x)));

const FIELDS: Record<string, Field> = {
  'pubsub#access_model': {
    name: 'accessModel',
    parse: ([v]) => (ACCESS.has(v as AccessModel) ? v as AccessModel : undefined),
    render: (c) => field('pubsub#access_model', 'list-single', 'Who may subscribe and retrieve items', [c.accessModel], [...ACCESS]),
  },
  'pubsub#roster_groups_allowed': {
    name: 'rosterGroups',
    parse: (vs) => vs,
    render: (c) => field('pubsub#roster_groups_allowed', 'list-multi', 'Roster groups allowed (roster access model)', c.rosterGroups),
  },
  'pubsub#max_items': {
    name: 'maxItems',
    parse: ([v]) => (v === 'max' ? 'max' : v !== undefined && /^\d{1,9}$/.test(v) && Number(v) >= 1 ? Number(v) : undefined),
    render: (c) => field('pubsub#max_items', 'text-single', 'Maximum number of items to keep', [String(c.maxItems)]),
  },
  'pubsub#persist_items': {
    name: 'persistItems',
    parse: ([v]) => bool(v),
    render: (c) => field('pubsub#persist_items', 'boolean', 'Keep items in storage', [c.persistItems ? '1' : '0']),
  },
  'pubsub#send_last_published_item': {
    name: 'sendLastPublishedItem',
    parse: ([v]) => (SEND_LAST.has(v as SendLast) ? v as SendLast : undefined),
    render: (c) => field('pubsub#send_last_published_item', 'list-single', 'When to send the last published item', [c.sendLastPublishedItem], [...SEND_LAST]),
  },
  'pubsub#notify_retract': {
    name: 'notifyRetract',
    parse: ([v]) => bool(v),
    render: (c) => field('pubsub#notify_retract', 'boolean', 'Notify when items are retracted', [c.notifyRetract ? '1' : '0']),
  },
  'pubsub#title': {
    name: 'title',
    parse: ([v]) => v ?? '',
    render: (c) => field('pubsub#title', 'text-single', 'A friendly name for the node', c.title ? [c.title] : []),
  },
};
/** Fixed in PEP: always on. Accepted when asked for, refused if asked off. */
const FIXED_TRUE = new Set(['pubsub#deliver_notifications', 'pubsub#deliver_payloads', 'pubsub#presence_based_delivery']);

/** The owner's configure form (XEP-0060 §8.2.1). */
export function configForm(c: NodeConfig): Element {
  return xml('x', { xmlns: NS_DATA, type: 'form' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_NODE_CONFIG)),
    ...Object.values(FIELDS).map((f) => f.render(c)),
    ...[...FIXED_TRUE].map((v) => field(v, 'boolean', v, ['1'])));
}

/** Values of a submitted form by var; undefined when `x` is not a node_config submission. */
export function formValues(x: Element | undefined, formType: string): Map<string, string[]> | undefined {
  if (!x || x.attrs.xmlns !== NS_DATA) return undefined;
  const out = new Map<string, string[]>();
  for (const f of x.getChildren('field')) {
    const v = f.attrs.var as string | undefined;
    if (v) out.set(v, f.getChildren('value').map((e) => e.text()));
  }
  const ft = out.get('FORM_TYPE')?.[0];
  if (ft !== undefined && ft !== formType) return undefined;
  out.delete('FORM_TYPE');
  return out;
}

/**
 * A submitted node_config form (§8.2.4) as changes; an unknown field or a bad value is not-acceptable
 * (§8.2.5.3 says the request is refused as a whole).
 */
export function parseConfig(values: Map<string, string[]>): Partial<NodeConfig> {
  const out: Partial<NodeConfig> = {};
  for (const [v, vals] of values) {
    if (FIXED_TRUE.has(v)) {
      if (bool(vals[0]) === false) throw new StanzaError('not-acceptable');
      continue;
    }
    const f = FIELDS[v];
    if (!f) throw new StanzaError('not-acceptable');
    const parsed = f.parse(vals);
    if (parsed === undefined) throw new StanzaError('not-acceptable');
    (out as Record<string, unknown>)[f.name] = parsed;
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  return a === b;
}

/**
 * XEP-0060 §7.1.5: every precondition must equal the node's value, else conflict with
 * <precondition-not-met/>. An option the service does not know is also a failed precondition.
 */
export function checkPreconditions(c: NodeConfig, wanted: Partial<NodeConfig>): void {
  for (const [k, v] of Object.entries(wanted)) {
    if (!same(c[k as keyof NodeConfig], v)) throw preconditionNotMet();
  }
}

export function preconditionNotMet(): StanzaError {
  return new StanzaError('conflict', undefined, 'cancel', { name: 'precondition-not-met', xmlns: NS_PUBSUB_ERRORS });
}

/** publish-options (§7.1.5): a field the service does not know cannot be met. */
export function parsePublishOptions(values: Map<string, string[]>): Partial<NodeConfig> {
  try {
    return parseConfig(values);
  } catch {
    throw preconditionNotMet();
  }
}

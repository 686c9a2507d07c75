/**
 * The roster as the presence module sees it: through the `roster` service only (modules do not
 * import each other), so its types are derived from the service declaration.
 */
import type { Services } from '../../core/module.js';

export type RosterService = Services['roster'];
export type RosterItem = NonNullable<Awaited<ReturnType<RosterService['item']>>>;

export const NS_DELAY = 'urn:xmpp:delay';
export const NS_PRE_APPROVAL_FEATURE = 'urn:xmpp:features:pre-approval';

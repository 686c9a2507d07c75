/**
 * Which registrations a message wakes. A registration remembers the resource that enabled it
 * (as Prosody's mod_cloud_notify ties it to the enabling session), because "is the device
 * reachable?" is a question about that device's session, not about the account:
 *
 * - the message went to offline storage (`message/offline`): no device of the user took it, so
 *   every registration is notified;
 * - the message was handed to sessions (`message/delivered`): only registrations whose resource is
 *   one of those sessions and that session is hibernated (XEP-0198: its connection is gone and the
 *   message waits in its queue). A message a connected device received needs no push, and one
 *   that went to the user's desktop does not wake the phone (the phone's client catches up from
 *   its own session or the archive when opened).
 *
 * A device that enables push again from another resource moves its registration there (the last
 * request wins, §5). Not deduplicated yet: a message pushed while queued for a hibernated session
 * and later moved to offline storage (when stream management gives up on the session) is counted
 * and pushed again.
 */
import type { Session } from '../../core/sessions.js';
import type { Registration } from './registrations.js';

export function offlineTargets(regs: readonly Registration[]): Registration[] {
  return [...regs];
}

export function deliveredTargets(regs: readonly Registration[], sessions: readonly Session[]): Registration[] {
  const hibernated = new Set<string>();
  for (const s of sessions) if (s.hibernated && s.jid) hibernated.add(s.jid.resource);
  if (hibernated.size === 0) return [];
  return regs.filter((r) => hibernated.has(r.resource));
}

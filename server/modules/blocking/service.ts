/** The `blocking` service: whether a user blocks a JID (the privacy module and others ask it). */
import type { Jid } from '../../core/jid.js';

declare module '../../core/module.js' {
  interface Services { blocking: BlockingService }
}

export interface BlockingService {
  /** Whether `username` (of this host) has blocked `jid` under the XEP-0016 matching rules. */
  isBlocked(username: string, jid: Jid): boolean | Promise<boolean>;
}

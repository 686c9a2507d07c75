/**
 * The `adhoc` service: other modules register XEP-0050 commands on the host (the privacy settings
 * now; admin commands later). A command is one form and its submission: `execute` answers the
 * first request (a form to fill in, or a completed result), `submit` gets the filled-in form.
 */
import type { Element } from '@xmpp/xml';
import type { Disposable } from '../../core/events.js';
import type { Jid } from '../../core/jid.js';

declare module '../../core/module.js' {
  interface Services { adhoc: AdhocService }
}

export interface AdhocNote { type: 'info' | 'warn' | 'error'; text: string }

export type AdhocStep =
  | { status: 'executing'; form: Element; note?: AdhocNote }
  | { status: 'completed'; form?: Element; note?: AdhocNote };

export interface AdhocCommand {
  node: string;
  name: string;
  /** Whether `from` may see and run the command; synchronous, since disco folds are. */
  allowed(from: Jid): boolean;
  execute(from: Jid): AdhocStep | Promise<AdhocStep>;
  /** The submitted jabber:x:data form; throw a StanzaError for a form that does not fit. */
  submit(from: Jid, form: Element): AdhocStep | Promise<AdhocStep>;
}

export interface AdhocService {
  register(command: AdhocCommand): Disposable;
}

/**
 * XEP-0357 §5 (enabling) and §6 (disabling): reading the two requests, and a user's registrations
 * in a map store keyed by (app server JID, node).
 *
 * - §5: 'jid' MUST be present; the XML schema (§11) makes 'node' required too, and a XEP-0060
 *   publish cannot be made without one, so both are checked (bad-request). Enabling the same
 *   (jid, node) again replaces the earlier registration: "the server SHOULD use the last received
 *   request for any publish options".
 * - §6: without 'node', every registration for that JID goes; disabling what is not enabled is
 *   not an error (the end state is the one asked for).
 * - A registration remembers the resource that enabled it (see notify.ts for how that is used).
 */
import type { Element } from '@xmpp/xml';
import type { MapStore } from '../../../storage/types.js';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';

export const NS_PUSH = 'urn:xmpp:push:0';
export const NS_DATA = 'jabber:x:data';
/** A publish-options form carries a secret or two; anything this large is not one. */
export const MAX_OPTIONS_BYTES = 4096;

export interface Registration {
  /** The app server's JID, prepared. */
  jid: string;
  node: string;
  /** The publish-options data form given when enabling, as XML text. */
  options?: string;
  /** Resource of the session that enabled it. */
  resource: string;
  enabledAt: number;
}

export interface EnableRequest { jid: string; node: string; options?: string }
export interface DisableRequest { jid: string; node?: string }

export function registrationKey(jid: string, node: string): string {
  return JSON.stringify([jid, node]);
}

function serviceJid(raw: string | undefined, self: Jid): string {
  if (raw === undefined || raw === '') throw new StanzaError('bad-request', "the 'jid' attribute is required");
  const jid = Jid.tryParse(raw);
  if (!jid) throw new StanzaError('bad-request', "'jid' is not a valid JID");
  // Publishing to one's own account would only make the server send IQs to the user's own sessions.
  if (jid.bare.equals(self.bare)) throw new StanzaError('bad-request', "'jid' must be the app server, not the account itself");
  return jid.toString();
}

export function parseEnable(enable: Element, self: Jid): EnableRequest {
  const jid = serviceJid(enable.attrs.jid, self);
  const node = enable.attrs.node as string | undefined;
  if (node === undefined || node === '') throw new StanzaError('bad-request', "the 'node' attribute is required");
  const form = enable.getChild('x', NS_DATA);
  if (!form) return { jid, node };
  const options = form.toString();
  if (Buffer.byteLength(options) > MAX_OPTIONS_BYTES) throw new StanzaError('not-acceptable', 'the publish options are too large');
  return { jid, node, options };
}

export function parseDisable(disable: Element, self: Jid): DisableRequest {
  const jid = serviceJid(disable.attrs.jid, self);
  const node = disable.attrs.node as string | undefined;
  return node === undefined || node === '' ? { jid } : { jid, node };
}

export interface RegistrationStore {
  list(username: string): Promise<Registration[]>;
  /** Stores the registration; returns the ones dropped to stay within the limit. */
  enable(username: string, req: EnableRequest, resource: string, now: number): Promise<Registration[]>;
  /** Returns what was removed. */
  disable(username: string, req: DisableRequest): Promise<Registration[]>;
  /** Removes exactly this registration, unless it has since been enabled again (a newer one). */
  drop(username: string, reg: Registration): Promise<boolean>;
}

const storageFailed = () => new StanzaError('internal-server-error', undefined, 'wait');

/** Callers serialise per user (index.ts): every change is a read followed by one atomic write. */
export function registrationStore(store: MapStore<Registration>, maxPerUser: number): RegistrationStore {
  const all = async (username: string) => {
    try {
      return await store.all(username);
    } catch {
      throw storageFailed();
    }
  };
  const write = async (username: string, entries: Array<[string, Registration | undefined]>) => {
    if (entries.length === 0) return;
    try {
      await store.setMany(username, entries);
    } catch {
      throw storageFailed();
    }
  };
  return {
    list: async (username) => [...(await all(username)).values()],

    async enable(username, req, resource, now) {
      const key = registrationKey(req.jid, req.node);
      const reg: Registration = { jid: req.jid, node: req.node, resource, enabledAt: now };
      if (req.options !== undefined) reg.options = req.options;
      const others = [...(await all(username))].filter(([k]) => k !== key).sort((a, b) => a[1].enabledAt - b[1].enabledAt);
      const dropped: Array<[string, Registration]> = [];
      while (others.length + 1 > maxPerUser) dropped.push(others.shift()!);
      await write(username, [[key, reg], ...dropped.map(([k]) => [k, undefined] as [string, undefined])]);
      return dropped.map(([, r]) => r);
    },

    async disable(username, req) {
      const gone = [...(await all(username))].filter(([, r]) => r.jid === req.jid && (req.node === undefined || r.node === req.node));
      await write(username, gone.map(([k]) => [k, undefined]));
      return gone.map(([, r]) => r);
    },

    async drop(username, reg) {
      const key = registrationKey(reg.jid, reg.node);
      const current = (await all(username)).get(key);
      if (!current || current.enabledAt !== reg.enabledAt) return false;
      await write(username, [[key, undefined]]);
      return true;
    },
  };
}

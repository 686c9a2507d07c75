/**
 * XEP-0388 Extensible SASL Profile (SASL2, 1.0): the framing around the same mechanism objects the
 * RFC 6120 profile uses. §2.1 the <authentication/> feature with its <inline/> features, §2.3
 * <authenticate/> with <initial-response/> and <user-agent/>, §2.5 challenges and responses, §2.6
 * <success/> (authorization identifier, additional data, inline results) or <failure/> with an
 * RFC 6120 §6.5 condition; no stream restart. The stream (c2s.ts) keeps the state; this file only
 * reads and writes elements.
 */
import xml, { type Element } from '@xmpp/xml';
import { NS_SASL, SaslFailure } from '../errors.js';

export const NS_SASL2 = 'urn:xmpp:sasl:2';
export const NS_BIND2 = 'urn:xmpp:bind:0';
export const NS_FAST = 'urn:xmpp:fast:0';

/** §2.3: a stable per-installation id (UUIDs in practice); bounded, as it keys stored tokens. */
const MAX_USER_AGENT_ID = 128;

export interface AuthenticateRequest {
  mechanism: string;
  /** undefined: no initial response; an empty buffer: an empty one. */
  initial?: Buffer;
  userAgent?: { id?: string; software?: string; device?: string };
  /** Children in other namespaces (bind, resume, fast, request-token…). */
  inline: Element[];
}

/** Throws SaslFailure for what the client got wrong. */
export function parseAuthenticate(el: Element): AuthenticateRequest {
  const mechanism = el.attrs.mechanism as string | undefined;
  if (!mechanism) throw new SaslFailure('invalid-mechanism');
  let initial: Buffer | undefined;
  const ir = el.getChild('initial-response');
  if (ir) {
    initial = decodeSaslData(ir.getText());
    if (!initial) throw new SaslFailure('incorrect-encoding');
  }
  let userAgent: AuthenticateRequest['userAgent'];
  const ua = el.getChild('user-agent');
  if (ua) {
    const id = ua.attrs.id as string | undefined;
    if (id !== undefined && (id.length === 0 || id.length > MAX_USER_AGENT_ID)) throw new SaslFailure('malformed-request', 'bad user-agent id');
    userAgent = { id, software: ua.getChildText('software') ?? undefined, device: ua.getChildText('device') ?? undefined };
  }
  const inline = el.getChildElements().filter((c) => c.attrs.xmlns !== undefined && c.attrs.xmlns !== NS_SASL2);
  return { mechanism, initial, userAgent, inline };
}

/** §2.2: base64 without line breaks; whitespace around it is tolerated, '=' has no special meaning. */
export function decodeSaslData(text: string): Buffer | undefined {
  const t = text.replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(t)) return undefined;
  return Buffer.from(t, 'base64');
}

export function authenticationFeature(mechanisms: readonly string[], inline: Element[]): Element {
  const el = xml('authentication', { xmlns: NS_SASL2 }, ...mechanisms.map((m) => xml('mechanism', {}, m)));
  if (inline.length) el.append(xml('inline', {}, ...inline));
  return el;
}

export function challenge(data: Buffer): Element {
  return xml('challenge', { xmlns: NS_SASL2 }, data.toString('base64'));
}

export function success(authzid: string, additional: Buffer | undefined, extra: Element[]): Element {
  const el = xml('success', { xmlns: NS_SASL2 });
  if (additional && additional.length) el.append(xml('additional-data', {}, additional.toString('base64')));
  el.append(xml('authorization-identifier', {}, authzid));
  for (const e of extra) el.append(e);
  return el;
}

/** §2.6.2: the RFC 6120 condition, in its own namespace. */
export function failure(f: SaslFailure): Element {
  const el = xml('failure', { xmlns: NS_SASL2 }, xml(f.condition, { xmlns: NS_SASL }));
  if (f.text) el.append(xml('text', { 'xml:lang': 'en' }, f.text));
  return el;
}

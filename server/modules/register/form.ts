/**
 * The jabber:iq:register payloads: the fields of XEP-0077 §3.1, the equivalent XEP-0004 form that
 * §4 recommends beside them, and reading what a client submitted (§6: a form, when present, takes
 * precedence over the plain fields).
 */
import xml, { type Element } from '@xmpp/xml';

export const NS_REGISTER = 'jabber:iq:register';
export const NS_DATA = 'jabber:x:data';

export interface Submission {
  username?: string;
  password?: string;
  remove: boolean;
  /** Child elements of <query/> other than the one <remove/> (§3.2: then it is a bad request). */
  others: number;
}

/** §3.1 fields and the same fields as a data form, for an entity that has not registered yet. */
export function registrationForm(instructions: string): Element {
  return xml('query', { xmlns: NS_REGISTER },
    xml('instructions', {}, instructions),
    xml('username'),
    xml('password'),
    xml('x', { xmlns: NS_DATA, type: 'form' },
      xml('title', {}, 'Account registration'),
      xml('instructions', {}, instructions),
      xml('field', { type: 'hidden', var: 'FORM_TYPE' }, xml('value', {}, NS_REGISTER)),
      xml('field', { type: 'text-single', var: 'username', label: 'Username' }, xml('required')),
      xml('field', { type: 'text-private', var: 'password', label: 'Password' }, xml('required'))));
}

/** §3.1: what an authenticated entity learns about its own registration (never the password). */
export function registeredInfo(username: string, instructions: string): Element {
  return xml('query', { xmlns: NS_REGISTER },
    xml('registered'),
    xml('instructions', {}, instructions),
    xml('username', {}, username),
    xml('password'));
}

function formValue(form: Element, name: string): string | undefined {
  const field = form.getChildren('field').find((f) => f.attrs.var === name);
  return field?.getChildText('value') ?? undefined;
}

/** Reads a set request. An element left empty counts as not provided (§3.1 footnote, §3.3). */
export function readSubmission(query: Element): Submission {
  const children = query.children.filter((c): c is Element => typeof c !== 'string');
  const remove = children.some((c) => c.name === 'remove');
  const form = query.getChild('x', NS_DATA);
  const source = form && form.attrs.type === 'submit'
    ? { username: formValue(form, 'username'), password: formValue(form, 'password') }
    : { username: query.getChildText('username') ?? undefined, password: query.getChildText('password') ?? undefined };
  return {
    username: source.username || undefined,
    password: source.password || undefined,
    remove,
    others: children.length - (remove ? 1 : 0),
  };
}

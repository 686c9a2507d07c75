/** XEP-0092 §2: the <query/> answer. The OS is optional and off unless configured (§5: it helps attackers). */
import { release, type } from 'node:os';
import xml, { type Element } from '@xmpp/xml';

export const NS_VERSION = 'jabber:iq:version';

export interface VersionOptions {
  name: string;
  version: string;
  /** Whether to disclose the operating system. */
  includeOs: boolean;
}

export function operatingSystem(): string {
  return `${type()} ${release()}`;
}

export function versionElement(o: VersionOptions, os: () => string = operatingSystem): Element {
  const q = xml('query', { xmlns: NS_VERSION }, xml('name', {}, o.name), xml('version', {}, o.version));
  if (o.includeOs) q.append(xml('os', {}, os()));
  return q;
}

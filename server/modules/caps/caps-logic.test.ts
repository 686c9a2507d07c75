/** XEP-0115 verification strings against the published examples (§5.2, §5.3), §5.4 checks, and the service's cache. */
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import pino from 'pino';
import { RecordingSession } from '../../../test/harness/in-process.js';
import { Jid } from '../../core/jid.js';
import { parseElement } from '../../core/stanza.js';
import { createCaps } from './service.js';
import { capsVer, parseDiscoInfo, verificationString, verifies } from './verification.js';

const parse = (s: string): Element => parseElement(s)!;

// §5.2 Simple Generation Example.
const SIMPLE = `<query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#QgayPKawpkPSDYmwT/WM94uAlu0='>
  <identity category='client' name='Exodus 0.9.1' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
</query>`;

// §5.3 Complex Generation Example (two languages, an extended form).
const COMPLEX = `<query xmlns='http://jabber.org/protocol/disco#info' node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>
  <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
  <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
  <x xmlns='jabber:x:data' type='result'>
    <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
    <field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value></field>
    <field var='os'><value>Mac</value></field>
    <field var='os_version'><value>10.5.1</value></field>
    <field var='software'><value>Psi</value></field>
    <field var='software_version'><value>0.11</value></field>
  </x>
</query>`;

const info = (xmlText: string) => {
  const i = parseDiscoInfo(parse(xmlText));
  assert.notEqual(i, 'ill-formed');
  return i as Exclude<typeof i, 'ill-formed'>;
};

describe('XEP-0115 verification string (§5)', () => {
  it('§5.2 simple example: S and ver', () => {
    const i = info(SIMPLE);
    assert.equal(verificationString(i), 'client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<');
    assert.equal(capsVer(i), 'QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('§5.3 complex example: S and ver', () => {
    const i = info(COMPLEX);
    assert.equal(verificationString(i), 'client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<ip_version<ipv4<ipv6<os<Mac<os_version<10.5.1<software<Psi<software_version<0.11<');
    assert.equal(capsVer(i), 'q07IKJEyjvHSyhy//CH0CxmKi8w=');
  });

  it('does not depend on the order of the answer', () => {
    const shuffled = COMPLEX.split('\n');
    const body = shuffled.slice(1, 7).reverse();
    const reordered = [shuffled[0], ...body, ...shuffled.slice(7)].join('\n');
    assert.equal(capsVer(info(reordered)), 'q07IKJEyjvHSyhy//CH0CxmKi8w=');
  });

  it('other SHA hashes; MD5 and unknown names are not verified', () => {
    assert.match(capsVer(info(SIMPLE), 'sha-256')!, /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(capsVer(info(SIMPLE), 'md5'), undefined);
    assert.equal(capsVer(info(SIMPLE), 'crc32'), undefined);
  });

  it('sorts by UTF-8 octets ("i;octet"), not UTF-16 code units', () => {
    // U+FF5E (UTF-8 EF BD 9E) sorts before U+1F600 (F0 9F 98 80) by octets, after it in UTF-16.
    const i = { identities: [], features: ['\u{1F600}', '\uFF5E'], forms: [] };
    assert.equal(verificationString(i), '\uFF5E<\u{1F600}<');
  });

  it('§5.4: the answer is ill-formed with a repeated identity, feature or FORM_TYPE, or a FORM_TYPE with two values', () => {
    const dupId = SIMPLE.replace("<feature var='http://jabber.org/protocol/caps'/>", "<identity category='client' name='Exodus 0.9.1' type='pc'/>");
    const dupFeature = SIMPLE.replace("<feature var='http://jabber.org/protocol/muc'/>", "<feature var='http://jabber.org/protocol/caps'/>");
    const form = COMPLEX.slice(COMPLEX.indexOf('<x '), COMPLEX.indexOf('</x>') + 4);
    const dupForm = COMPLEX.replace('</query>', `${form}</query>`);
    const twoTypes = COMPLEX.replace('<value>urn:xmpp:dataforms:softwareinfo</value>', '<value>urn:xmpp:dataforms:softwareinfo</value><value>urn:other</value>');
    for (const bad of [dupId, dupFeature, dupForm, twoTypes]) assert.equal(parseDiscoInfo(parse(bad)), 'ill-formed');
    assert.equal(verifies(parse(dupFeature), 'sha-1', 'QgayPKawpkPSDYmwT/WM94uAlu0='), undefined);
  });

  it('§5.4: a form whose FORM_TYPE is not hidden is left out, and the rest is still processed', () => {
    const notHidden = COMPLEX.replace("<field var='FORM_TYPE' type='hidden'>", "<field var='FORM_TYPE'>");
    assert.deepEqual(info(notHidden).forms, []);
    // Same as the answer without the form.
    const without = COMPLEX.slice(0, COMPLEX.indexOf('<x ')) + '</query>';
    assert.equal(capsVer(info(notHidden)), capsVer(info(without)));
  });

  it('verifies() accepts only the matching ver', () => {
    assert.ok(verifies(parse(SIMPLE), 'sha-1', 'QgayPKawpkPSDYmwT/WM94uAlu0='));
    assert.equal(verifies(parse(SIMPLE), 'sha-1', 'q07IKJEyjvHSyhy//CH0CxmKi8w='), undefined);
  });
});

describe('caps service cache', () => {
  const C = (ver: string, hash = 'sha-1') => parse(`<c xmlns='http://jabber.org/protocol/caps' node='http://code.google.com/p/exodus' ver='${ver}' hash='${hash}'/>`);
  const GOOD = 'QgayPKawpkPSDYmwT/WM94uAlu0=';

  /** Plays the clients: answers each disco#info with the §5.2 example, from the asked JID. */
  const setup = (answer: (to: string) => string | undefined = () => SIMPLE) => {
    const asked: string[] = [];
    const caps = createCaps({
      host: 'localhost', maxCached: 2, timeoutMs: 1000, log: pino({ level: 'silent' }),
      request: async (iq) => {
        asked.push(`${iq.attrs.to} ${iq.getChild('query')!.attrs.node}`);
        const a = answer(iq.attrs.to);
        if (a === undefined) throw new Error('timeout');
        return parse(`<iq type='result' from='${iq.attrs.to}' to='localhost' id='${iq.attrs.id}'>${a}</iq>`);
      },
    });
    return { caps, asked };
  };
  const session = (res: string) => new RecordingSession(Jid.parse(`alice@localhost/${res}`), 'alice');

  it('asks one session per ver, once, and shares the answer', async () => {
    const { caps, asked } = setup();
    const a = session('a');
    const b = session('b');
    caps.record(a, C(GOOD));
    caps.record(b, C(GOOD));
    const [fa, fb] = await Promise.all([caps.features(a), caps.features(b)]);
    assert.deepEqual(asked, [`alice@localhost/a http://code.google.com/p/exodus#${GOOD}`]);
    assert.ok(fa?.has('http://jabber.org/protocol/muc'));
    assert.equal(fa, fb);
    assert.equal(caps.known(b), fa);
    assert.deepEqual(caps.of(a), { node: 'http://code.google.com/p/exodus', ver: GOOD, hash: 'sha-1' });
  });

  it('an answer that does not match its ver serves that session only: not cached, not asked again', async () => {
    const { caps, asked } = setup();
    const a = session('a');
    const b = session('b');
    const BAD = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    caps.record(a, C(BAD));
    assert.ok((await caps.features(a))?.has('http://jabber.org/protocol/muc'), 'the session is the authority on itself');
    assert.ok((await caps.features(a))?.has('http://jabber.org/protocol/muc'));
    assert.equal(asked.length, 1);
    assert.ok(caps.known(a)?.has('http://jabber.org/protocol/muc'));
    caps.record(b, C(BAD));
    assert.equal(caps.known(b), undefined, 'another session with the same unverified ver learns nothing from it');
    await caps.features(b);
    assert.equal(asked.length, 2, 'the other session is asked itself');
  });

  it('an answer from someone else is not taken', async () => {
    const a = session('a');
    const caps2 = createCaps({
      host: 'localhost', maxCached: 2, timeoutMs: 1000, log: pino({ level: 'silent' }),
      request: async (iq) => parse(`<iq type='result' from='mallory@localhost/x' to='localhost' id='${iq.attrs.id}'>${SIMPLE}</iq>`),
    });
    caps2.record(a, C(GOOD));
    assert.equal(await caps2.features(a), undefined);
  });

  it('legacy caps (no hash), unsupported hashes and no caps are not resolved', async () => {
    const { caps, asked } = setup();
    const a = session('a');
    caps.record(a, parse(`<c xmlns='http://jabber.org/protocol/caps' node='n' ver='1.0'/>`));
    assert.equal(await caps.features(a), undefined);
    caps.record(a, C(GOOD, 'md5'));
    assert.equal(await caps.features(a), undefined);
    caps.record(a, undefined);
    assert.equal(caps.of(a), undefined);
    assert.equal(await caps.features(a), undefined);
    assert.deepEqual(asked, []);
  });

  it('the cache is bounded: the least recently used ver goes first', async () => {
    const vers = ['v1', 'v2', 'v3'];
    const answerFor = (v: string) => `<query xmlns='http://jabber.org/protocol/disco#info'><feature var='${v}'/></query>`;
    const verOf = (v: string) => capsVer(info(answerFor(v)))!;
    const byJid = new Map(vers.map((v) => [`alice@localhost/${v}`, answerFor(v)]));
    const { caps, asked } = setup((to) => byJid.get(to));
    const s = vers.map((v) => session(v));
    for (let i = 0; i < 3; i++) {
      caps.record(s[i]!, C(verOf(vers[i]!)));
      await caps.features(s[i]!);
    }
    assert.equal(asked.length, 3);
    assert.equal(caps.known(s[0]!), undefined, 'v1 was evicted');
    assert.ok(caps.known(s[2]!)?.has('v3'));
  });
});

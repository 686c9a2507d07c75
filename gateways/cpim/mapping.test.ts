import assert from 'node:assert/strict';
import { Jid } from '../../server/core/jid.js';
import { parseElement } from '../../server/core/stanza.js';
import { parseCpim, serializeCpim } from './codec.js';
import { vector } from './vectors/index.js';
import { cpimToMessage, escapeLocal, jidToUri, MappingError, messageToCpim, NS_ATTACHMENT, NS_RECEIPTS, pidfToPresence, presenceToPidf, unescapeLocal, uriToJid } from './mapping.js';

const el = (s: string) => parseElement(s)!;
const fixed = { now: () => new Date('2004-10-01T12:00:00Z') };

describe('RFC 3922 mapping', () => {
  describe('§3 addresses', () => {
    const table: Array<[string, string, string]> = [
      // JID, im: URI, JID read back
      ['juliet@example.com/balcony', 'im:juliet@example.com', 'juliet@example.com'],
      ['o\\27hara@example.com', "im:o'hara@example.com", 'o\\27hara@example.com'],
      ['tom\\26jerry@example.com', 'im:tom&jerry@example.com', 'tom\\26jerry@example.com'],
      ['a\\2fb@example.com', 'im:a/b@example.com', 'a\\2fb@example.com'],
      ['d\\20art\\40x@example.com', 'im:d%20art%40x@example.com', 'd\\20art\\40x@example.com'],
      ['jürgen@example.com', 'im:j%C3%BCrgen@example.com', 'jürgen@example.com'],
      ['100%@example.com', 'im:100%25@example.com', '100%@example.com'],
      ['user@bücher.example', 'im:user@xn--bcher-kva.example', 'user@bücher.example'],
    ];
    for (const [jid, uri, back] of table) {
      it(`${jid} ⇄ ${uri}`, () => {
        assert.equal(jidToUri(Jid.parse(jid)), uri);
        assert.equal(uriToJid(uri).toString(), back);
      });
    }
    it('pres: for presence', () => assert.equal(jidToUri(Jid.parse('romeo@example.net/orchard'), 'pres'), 'pres:romeo@example.net'));
    it('XEP-0106 escaping only touches the ten sequences', () => {
      assert.equal(unescapeLocal('a\\5cb\\zz'), 'a\\b\\zz');
      assert.equal(escapeLocal('a\\zz'), 'a\\zz');
      assert.equal(escapeLocal('a\\27'), 'a\\5c27');
      assert.equal(unescapeLocal(escapeLocal('a\\27')), 'a\\27');
    });
    const bad: Array<[string, RegExp]> = [['mailto:a@b', /not an im:/], ['im:%zz@example.com', /percent-encoding/], ['im:a@b@c', /not an im:/], ['im:a@', /not an im:/]];
    for (const [uri, why] of bad) {
      it(`rejects ${uri}`, () => assert.throws(() => uriToJid(uri), (e: unknown) => e instanceof MappingError && e.condition === 'jid-malformed' && why.test(e.text ?? '')));
    }
  });

  describe('§4 XMPP → CPIM', () => {
    it('TV-CPIM-1 from its source stanza, byte for byte, with what was dropped', () => {
      const stanza = el(`<message from='juliet@example.com/balcony' to='romeo@example.net/orchard' id='x1' type='chat'>
  <subject>Hi!</subject><subject xml:lang='cz'>Ahoj!</subject>
  <thread>t1</thread><body>Wherefore art thou, Romeo?</body></message>`);
      const names: Record<string, string> = { 'juliet@example.com': 'Juliet Capulet', 'romeo@example.net': 'Romeo Montague' };
      const { doc, dropped } = messageToCpim(stanza, { ...fixed, contentId: () => '123456789@example.net', displayName: (j) => names[j.bareString] });
      assert.ok(serializeCpim(doc).equals(vector('TV-CPIM-1.cpim')), serializeCpim(doc).toString());
      assert.deepEqual(dropped, ['from resource', 'to resource', "type 'chat'", 'id (not globally unique)', 'thread']);
    });
    it('without a minted Content-ID none is emitted; control characters in a subject are escaped', () => {
      const { doc } = messageToCpim(el(`<message from='a@x' to='b@y'><subject>two\nlines</subject><body>hi</body></message>`), fixed);
      assert.equal(serializeCpim(doc).toString(), 'From: <im:a@x>\r\nTo: <im:b@y>\r\nDateTime: 2004-10-01T12:00:00Z\r\nSubject: two\\nlines\r\n\r\nContent-type: text/plain; charset=utf-8\r\n\r\nhi');
    });
    it('one body: the one without xml:lang wins, the others are listed as dropped', () => {
      const { doc, dropped } = messageToCpim(el(`<message from='a@x' to='b@y'><body xml:lang='de'>Hallo</body><body>Hello</body><x xmlns='jabber:x:foo'/></message>`), fixed);
      assert.equal(doc.content.toString(), 'Hello');
      assert.deepEqual(dropped, ["body xml:lang='de'", "<x xmlns='jabber:x:foo'>"]);
    });
    it('an XEP-0184 request becomes imdn positive-delivery with the stanza id as Message-ID', () => {
      const { doc } = messageToCpim(el(`<message from='alice@example.com' to='bob@example.com' id='34jk324j'><body>Hello World</body><request xmlns='urn:xmpp:receipts'/></message>`), fixed);
      const text = serializeCpim(doc).toString();
      assert.match(text, /\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn\.Message-ID: 34jk324j\r\nimdn\.Disposition-Notification: positive-delivery\r\n\r\n/);
    });
    it('an XEP-0184 receipt becomes an IMDN delivery notification', () => {
      const { doc } = messageToCpim(el(`<message from='bob@example.com' to='alice@example.com' id='r1'><received xmlns='urn:xmpp:receipts' id='34jk324j'/></message>`), { ...fixed, messageId: () => 'dd2' });
      const text = serializeCpim(doc).toString();
      assert.match(text, /imdn\.Message-ID: dd2\r\n\r\nContent-type: message\/imdn\+xml\r\nContent-Disposition: notification\r\n\r\n/);
      assert.match(text, /<message-id>34jk324j<\/message-id><datetime>2004-10-01T12:00:00Z<\/datetime><delivery-notification><status><delivered\/><\/status><\/delivery-notification>/);
      // …and back
      const back = cpimToMessage(parseCpim(serializeCpim(doc)));
      assert.equal(back.getChild('received', NS_RECEIPTS)?.attrs.id, '34jk324j');
      assert.equal(back.getChild('body'), undefined);
    });
  });

  describe('§4 CPIM → XMPP', () => {
    it('TV-CPIM-1: subjects with languages, the body, the Content-ID as id', () => {
      const m = cpimToMessage(parseCpim(vector('TV-CPIM-1.cpim')));
      assert.equal(m.toString(), `<message from="juliet@example.com" to="romeo@example.net" id="123456789@example.net"><subject>Hi!</subject><subject xml:lang="cz">Ahoj!</subject><body>Wherefore art thou, Romeo?</body></message>`);
    });
    it('TV-CPIM-2: Require of an unknown header is refused (feature-not-implemented, SIP 488)', () => {
      assert.throws(() => cpimToMessage(parseCpim(vector('TV-CPIM-2.cpim'))), (e: unknown) => {
        assert.ok(e instanceof MappingError);
        assert.equal(e.condition, 'feature-not-implemented');
        assert.equal(e.sipStatus, 488);
        assert.match(e.text!, /MyFeatures\.VitalMessageOption/);
        return true;
      });
    });
    it('TV-CPIM-2 when the header is understood: text/xml never lands in <body/>, it is an attachment', () => {
      const m = cpimToMessage(parseCpim(vector('TV-CPIM-2.cpim')), { understood: new Set(['mid:MessageFeatures@id.foo.com VitalMessageOption']) });
      assert.equal(m.getChild('body'), undefined);
      const a = m.getChild('cpim-attachment', NS_ATTACHMENT)!;
      assert.deepEqual(a.attrs, { xmlns: NS_ATTACHMENT, type: 'text/xml; charset=utf-8', 'content-id': '1234567890@foo.com', encoding: 'base64' });
      assert.equal(Buffer.from(a.text(), 'base64').toString(), '<body>\r\nHere is the text of my message.\r\n</body>');
      assert.deepEqual(m.getChildren('subject').map((s) => [s.attrs['xml:lang'], s.text()]), [[undefined, 'the weather will be fine today'], ['fr', "beau temps prevu pour aujourd'hui"]]);
    });
    it('TV-CPIM-4: positive-delivery becomes an XEP-0184 request, the imdn Message-ID the stanza id', () => {
      const m = cpimToMessage(parseCpim(vector('TV-CPIM-4.cpim')));
      assert.equal(m.toString(), `<message from="alice@example.com" to="bob@example.com" id="34jk324j"><body>Hello World\n</body><request xmlns="urn:xmpp:receipts"/></message>`);
    });
    const errors: Array<[string, string, string, number]> = [
      ['no From', 'To: <im:b@y>\r\n\r\nContent-type: text/plain\r\n\r\nx', 'bad-request', 400],
      ['unknown charset', 'From: <im:a@x>\r\nTo: <im:b@y>\r\n\r\nContent-type: text/plain; charset=x-klingon\r\n\r\nx', 'bad-request', 415],
      ['invalid UTF-8 body', 'From: <im:a@x>\r\nTo: <im:b@y>\r\n\r\nContent-type: text/plain; charset=utf-8\r\n\r\n\u00ff', 'bad-request', 400],
      ['unmappable address', 'From: <mailto:a@x>\r\nTo: <im:b@y>\r\n\r\nContent-type: text/plain\r\n\r\nx', 'jid-malformed', 400],
      ['Require of an unknown core header', 'From: <im:a@x>\r\nTo: <im:b@y>\r\nRequire: Priority\r\n\r\nContent-type: text/plain\r\n\r\nx', 'feature-not-implemented', 488],
    ];
    for (const [label, doc, condition, sip] of errors) {
      it(`${label} → ${condition} (SIP ${sip})`, () => {
        const bytes = label === 'invalid UTF-8 body' ? Buffer.concat([Buffer.from(doc.slice(0, -1)), Buffer.from([0xff])]) : Buffer.from(doc);
        assert.throws(() => cpimToMessage(parseCpim(bytes)), (e: unknown) => e instanceof MappingError && e.condition === condition && e.sipStatus === sip);
      });
    }
    it('latin-1 text is decoded into the body', () => {
      const m = cpimToMessage(parseCpim(Buffer.concat([Buffer.from('From: <im:a@x>\r\nTo: <im:b@y>\r\n\r\nContent-type: text/plain; charset=iso-8859-1\r\n\r\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9])])));
      assert.equal(m.getChildText('body'), 'café');
    });
  });

  describe('§5 presence ⇄ PIDF (RFC 3863)', () => {
    it('available with a status', () => {
      const pidf = presenceToPidf(el(`<presence from='juliet@example.com/balcony'><show>away</show><status xml:lang='en'>sleeping</status></presence>`));
      assert.equal(pidf, `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:juliet@example.com"><tuple id="r62616c636f6e79"><status><basic>open</basic></status><note xml:lang="en">sleeping</note></tuple></presence>`);
      const back = pidfToPresence(pidf, Jid.parse('juliet@example.com'), Jid.parse('romeo@example.net'));
      assert.equal(back.toString(), `<presence from="juliet@example.com" to="romeo@example.net"><status xml:lang="en">sleeping</status></presence>`);
    });
    it('unavailable is closed', () => {
      const pidf = presenceToPidf(el(`<presence from='juliet@example.com' type='unavailable'/>`));
      assert.match(pidf, /<basic>closed<\/basic>/);
      assert.equal(pidfToPresence(pidf, Jid.parse('juliet@example.com'), Jid.parse('romeo@example.net')).attrs.type, 'unavailable');
    });
    it('not PIDF → bad-request', () => {
      assert.throws(() => pidfToPresence('<foo/>', Jid.parse('a@x'), Jid.parse('b@y')), (e: unknown) => e instanceof MappingError && e.condition === 'bad-request');
    });
  });
});

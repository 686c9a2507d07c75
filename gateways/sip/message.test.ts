import assert from 'node:assert/strict';
import { Jid } from '../../server/core/jid.js';
import { jidToSipUri, jidToSipUser, sipStatusToCondition, sipUriToJid, sipUserToJid } from './gateway.js';
import { contentTypeOf, header, headerList, parseNameAddr, parseSip, parseSipUri, responseTo, SipParseError, SipStreamFramer, serializeSip } from './message.js';

const REQ = 'MESSAGE sip:alice@tern.test SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nMax-Forwards: 70\r\nf: "Romeo" <sip:romeo@sip.example>;tag=a1\r\nt: <sip:alice@tern.test>\r\ni: c1@x\r\nCSeq: 1 MESSAGE\r\nSubject: a\r\n  folded\r\nc: text/plain; charset=UTF-8\r\nl: 5\r\n\r\nhello';

describe('SIP message subset (RFC 3261)', () => {
  it('parses a request: compact forms expanded, folded lines joined, body by Content-Length', () => {
    const m = parseSip(Buffer.from(REQ));
    assert.equal(m.method, 'MESSAGE');
    assert.equal(m.uri, 'sip:alice@tern.test');
    assert.equal(header(m, 'via'), 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1');
    assert.equal(header(m, 'From'), '"Romeo" <sip:romeo@sip.example>;tag=a1');
    assert.equal(header(m, 'Subject'), 'a folded');
    assert.deepEqual(contentTypeOf(m), { type: 'text/plain', charset: 'utf-8' });
    assert.equal(m.body.toString(), 'hello');
  });
  it('responses copy Via, From, Call-ID, CSeq and tag the To', () => {
    const res = responseTo(parseSip(Buffer.from(REQ)), 404, 't9');
    assert.equal(serializeSip(res).toString(), 'SIP/2.0 404 Not Found\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nFrom: "Romeo" <sip:romeo@sip.example>;tag=a1\r\nTo: <sip:alice@tern.test>;tag=t9\r\nCall-ID: c1@x\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n');
    const again = parseSip(serializeSip(res));
    assert.equal(again.status, 404);
    assert.equal(again.reason, 'Not Found');
  });
  const bad: Array<[string, string, RegExp]> = [
    ['no blank line', 'MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\n', /no empty line/],
    ['bad start line', 'HELLO\r\n\r\n', /bad start line/],
    ['missing Call-ID', 'MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\nCSeq: 1 MESSAGE\r\n\r\n', /missing Call-ID/],
    ['short body', REQ.replace('l: 5', 'l: 50'), /only 5 bytes follow/],
    ['bad CSeq', REQ.replace('CSeq: 1 MESSAGE', 'CSeq: one'), /bad CSeq/],
    ['bad header', REQ.replace('Max-Forwards: 70', 'Max Forwards 70'), /bad header/],
  ];
  for (const [label, input, why] of bad) it(`rejects: ${label}`, () => assert.throws(() => parseSip(Buffer.from(input)), (e: unknown) => e instanceof SipParseError && why.test(e.message)));
  it('frames a TCP stream split anywhere, skipping keep-alive CRLFs; requires Content-Length', () => {
    const two = Buffer.from(`\r\n\r\n${REQ}${REQ}`);
    for (let cut = 1; cut < two.length; cut += 37) {
      const f = new SipStreamFramer();
      const got = [...f.push(two.subarray(0, cut)), ...f.push(two.subarray(cut))];
      assert.equal(got.length, 2);
      assert.equal(got[1]!.body.toString(), 'hello');
    }
    assert.throws(() => new SipStreamFramer().push(Buffer.from(REQ.replace('l: 5\r\n', ''))), /Content-Length is required/);
  });
  it('URIs and name-addrs', () => {
    assert.deepEqual(parseSipUri('sip:j%20d@Sip.Example:5070;transport=tcp'), { scheme: 'sip', user: 'j d', host: 'sip.example', port: 5070, params: { transport: 'tcp' } });
    assert.equal(parseSipUri('tel:+1555'), undefined);
    assert.deepEqual(parseNameAddr('"R \\"M\\"" <sip:r@x>;tag=1'), { name: 'R "M"', uri: 'sip:r@x', params: { tag: '1' } });
    assert.deepEqual(parseNameAddr('sip:r@x;tag=2'), { uri: 'sip:r@x', params: { tag: '2' } });
    assert.deepEqual(headerList(parseSip(Buffer.from(REQ.replace('Max-Forwards: 70', 'Require: a, b\r\nRequire: c'))), 'Require'), ['a', 'b', 'c']);
  });
});

describe('RFC 7247 addresses and errors', () => {
  const addrs: Array<[string, string, string]> = [
    // SIP user, SIP domain, gateway JID
    ['romeo', 'sip.example', 'romeo%sip.example@sip.tern.test'],
    ["o'hara", 'sip.example', 'o\\27hara%sip.example@sip.tern.test'],
    ['a b', 'sip.example', 'a\\20b%sip.example@sip.tern.test'],
  ];
  for (const [user, domain, jid] of addrs) {
    it(`sip:${user}@${domain} ⇄ ${jid}`, () => {
      assert.equal(sipUserToJid(user, domain, 'sip.tern.test').toString(), jid);
      assert.deepEqual(jidToSipUser(Jid.parse(jid)), { user, domain });
    });
  }
  it('Tern users are sip:user@host; gateway JIDs map back to the SIP user', () => {
    assert.equal(jidToSipUri(Jid.parse('alice@tern.test/phone'), 'sip.tern.test'), 'sip:alice@tern.test');
    assert.equal(jidToSipUri(Jid.parse('a\\20b%sip.example@sip.tern.test'), 'sip.tern.test'), 'sip:a%20b@sip.example');
    assert.equal(jidToSipUser(Jid.parse('plain@sip.tern.test')), undefined);
  });
  const codes: Array<[number, string]> = [
    [302, 'redirect'], [400, 'bad-request'], [401, 'not-authorized'], [403, 'forbidden'], [404, 'item-not-found'], [405, 'feature-not-implemented'],
    [408, 'remote-server-timeout'], [410, 'gone'], [413, 'policy-violation'], [415, 'bad-request'], [480, 'recipient-unavailable'], [486, 'recipient-unavailable'],
    [488, 'not-acceptable'], [500, 'internal-server-error'], [501, 'feature-not-implemented'], [502, 'remote-server-not-found'], [503, 'service-unavailable'],
    [504, 'remote-server-timeout'], [599, 'internal-server-error'], [603, 'service-unavailable'], [604, 'item-not-found'], [499, 'undefined-condition'],
  ];
  for (const [code, cond] of codes) it(`SIP ${code} → ${cond}`, () => assert.equal(sipStatusToCondition(code), cond));
});

describe('sip:/sips: URI → gateway JID (RFC 7247 §5.1)', () => {
  it('escapes the user part, keeps the host, drops port, parameters and headers', () => {
    assert.equal(sipUriToJid('sip:romeo@sip.example', 'sip.tern.test')?.toString(), 'romeo%sip.example@sip.tern.test');
    assert.equal(sipUriToJid('sips:Romeo@SIP.Example:5061;transport=tls?subject=x', 'sip.tern.test')?.toString(), 'romeo%sip.example@sip.tern.test');
    const j = sipUriToJid('sip:o%27brien%20x@sip.example', 'sip.tern.test')!;
    assert.equal(j.local, "o\\27brien\\20x%sip.example");
    assert.deepEqual(jidToSipUser(j), { user: "o'brien x", domain: 'sip.example' });
  });
  it('is undefined without a user part, for another scheme, a bad escape or an IP literal host', () => {
    for (const u of ['sip:sip.example', 'sip:@sip.example', 'tel:+441234', 'sip:%zz@sip.example', 'sip:a@[::1]', 'sip:']) {
      assert.equal(sipUriToJid(u, 'sip.tern.test'), undefined, u);
    }
  });
});

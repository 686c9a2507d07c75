/** XEP-0363 slot rules as plain functions: names, media types, limits. */
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { dispositionFor, NS_UPLOAD, parseRequest, sameMediaType, sanitizeFilename, SlotRateLimit, UploadError, validMediaType } from './slots.js';

describe('upload slot rules', () => {
  it('keeps only a harmless last path component of a file name', () => {
    const cases: Array<[string, string]> = [
      ['photo.jpg', 'photo.jpg'],
      ['../../etc/passwd', 'passwd'],
      ['C:\\Users\\x\\report.pdf', 'report.pdf'],
      ['..', 'file'],
      ['.htaccess', 'htaccess'],
      ['a\u0000b\nc.txt', 'a_b_c.txt'],
      ['über "quoted".txt', 'über _quoted_.txt'],
      ['/', 'file'],
    ];
    for (const [raw, want] of cases) assert.equal(sanitizeFilename(raw), want, raw);
    assert.equal([...sanitizeFilename('x'.repeat(500))].length, 200);
  });

  it('accepts media types by RFC 9110 syntax and compares them case-insensitively', () => {
    for (const t of ['image/png', 'application/vnd.tern.sample+cbor; version=2', 'text/plain; charset="utf-8"']) assert.ok(validMediaType(t), t);
    for (const t of ['png', 'image/', 'text/html\r\nX: y', 'a/b; c']) assert.ok(!validMediaType(t), t);
    assert.ok(sameMediaType('Image/PNG', 'image/png'));
    assert.ok(!sameMediaType('image/png', 'image/jpeg'));
  });

  it('refuses a request over the limit with the §5 element', () => {
    try {
      parseRequest(xml('request', { xmlns: NS_UPLOAD, filename: 'a', size: '11' }), 10);
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof UploadError);
      assert.equal(err.condition, 'not-acceptable');
      assert.equal(err.extra.getChildText('max-file-size'), '10');
    }
    assert.throws(() => parseRequest(xml('request', { xmlns: NS_UPLOAD, filename: 'a', size: '0' }), 10), /bad-request/);
    assert.throws(() => parseRequest(xml('request', { xmlns: NS_UPLOAD, size: '5' }), 10), /bad-request/);
  });

  it('downloads anything but plain media as an attachment', () => {
    assert.match(dispositionFor('image/png', 'a.png'), /^inline/);
    assert.match(dispositionFor('text/html', 'a.html'), /^attachment/);
    assert.match(dispositionFor('image/svg+xml', 'a.svg'), /^attachment/);
    assert.match(dispositionFor('application/pdf', 'é.pdf'), /filename="_\.pdf"; filename\*=UTF-8''%C3%A9\.pdf$/);
  });

  it('counts slot requests in a sliding minute', () => {
    const r = new SlotRateLimit(2);
    assert.equal(r.take('u', 0), undefined);
    assert.equal(r.take('u', 1000), undefined);
    assert.equal(r.take('u', 2000), 60_000);
    assert.equal(r.take('v', 2000), undefined);
    assert.equal(r.take('u', 60_001), undefined);
  });
});

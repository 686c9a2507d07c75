import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI } from '../../test/harness/server.js';
import { vector } from './vectors/index.js';

function tern(args: string[], stdin: Buffer | string): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    p.stdin.end(stdin);
  });
}

describe('tern cpim decode|encode (black box, compiled CLI)', function () {
  this.timeout(20000);

  it('decode prints the stanza of TV-CPIM-1', async () => {
    const r = await tern(['cpim', 'decode'], vector('TV-CPIM-1.cpim'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), '<message from="juliet@example.com" to="romeo@example.net" id="123456789@example.net"><subject>Hi!</subject><subject xml:lang="cz">Ahoj!</subject><body>Wherefore art thou, Romeo?</body></message>\n');
  });

  it('decode refuses TV-CPIM-2 (Require of an unknown header) with exit 1 and the reason', async () => {
    const r = await tern(['cpim', 'decode'], vector('TV-CPIM-2.cpim'));
    assert.equal(r.code, 1);
    assert.equal(r.stdout.length, 0);
    assert.match(r.stderr, /^tern: feature-not-implemented \(SIP 488\): Require lists headers this gateway does not understand: MyFeatures\.VitalMessageOption\n$/);
  });

  it('decode of malformed CPIM says what and where', async () => {
    const r = await tern(['cpim', 'decode'], 'From:<im:a@x>\r\n\r\n\r\n');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "tern: invalid message/cpim: line 1, column 6: missing space after 'From:'\n");
  });

  it('encode gives the CPIM bytes and lists what it dropped', async () => {
    const r = await tern(['cpim', 'encode', '--date', '2004-10-01T12:00:00Z'], `<message from='juliet@example.com/balcony' to='romeo@example.net' type='chat'><thread>t</thread><body>hi</body></message>`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), 'From: <im:juliet@example.com>\r\nTo: <im:romeo@example.net>\r\nDateTime: 2004-10-01T12:00:00Z\r\n\r\nContent-type: text/plain; charset=utf-8\r\n\r\nhi');
    assert.equal(r.stderr, "dropped: from resource; type 'chat'; thread\n");
  });

  it('encode of something that is not XML fails with 1; a missing subcommand is usage (2)', async () => {
    const bad = await tern(['cpim', 'encode'], '<message');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not one well-formed XML element/);
    const usage = await tern(['cpim'], '');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /cpim needs a subcommand/);
  });
});

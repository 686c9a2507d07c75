/** XEP-0050 execution rules (§2.4, §4.4) on the executor alone, with a clock of our own. */
import assert from 'node:assert/strict';
import type { Element } from '@xmpp/xml';
import { StanzaError } from '../../core/errors.js';
import { Jid } from '../../core/jid.js';
import { xml } from '../../core/stanza.js';
import { createExecutor, NS_COMMANDS } from './executor.js';
import type { AdhocCommand } from './service.js';

const alice = Jid.parse('alice@example.com/phone');
const stranger = Jid.parse('eve@elsewhere.example/x');
const form = (type: string) => xml('x', { xmlns: 'jabber:x:data', type });

function setup(maxSessions = 10) {
  let t = 0;
  const submitted: Element[] = [];
  const cmd: AdhocCommand = {
    node: 'n', name: 'N',
    allowed: (from) => from.domain === 'example.com',
    execute: () => ({ status: 'executing', form: form('form') }),
    submit: (_from, f) => { submitted.push(f); return { status: 'completed', note: { type: 'info', text: 'ok' } }; },
  };
  const ex = createExecutor(new Map([['n', cmd]]), { maxSessions, sessionTtlMs: 1000, now: () => t });
  return { ex, submitted, tick: (ms: number) => { t += ms; } };
}

const command = (attrs: Record<string, string>, ...children: Element[]) => xml('command', { xmlns: NS_COMMANDS, node: 'n', ...attrs }, ...children);

async function fails(p: Promise<unknown>, condition: string, app?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StanzaError);
    assert.equal(err.condition, condition);
    assert.equal(err.appCondition?.name, app);
    return true;
  });
}

describe('ad-hoc command executor (XEP-0050)', () => {
  it('runs execute → form → complete, and forgets the session afterwards', async () => {
    const { ex, submitted } = setup();
    const first = await ex.run(alice, command({ action: 'execute' }));
    assert.equal(first.attrs.status, 'executing');
    const sid = first.attrs.sessionid as string;
    const done = await ex.run(alice, command({ sessionid: sid, action: 'complete' }, form('submit')));
    assert.equal(done.attrs.status, 'completed');
    assert.equal(done.getChildText('note'), 'ok');
    assert.equal(submitted.length, 1);
    await fails(ex.run(alice, command({ sessionid: sid, action: 'complete' }, form('submit'))), 'bad-request', 'bad-sessionid');
  });

  it('forbids requesters the command does not allow (§4.4 forbidden)', async () => {
    await fails(setup().ex.run(stranger, command({})), 'forbidden');
  });

  it('names unknown nodes item-not-found and bad actions bad-request', async () => {
    const { ex } = setup();
    await fails(ex.run(alice, xml('command', { xmlns: NS_COMMANDS, node: 'other' })), 'item-not-found');
    await fails(ex.run(alice, command({ action: 'fly' })), 'bad-request', 'malformed-action');
    await fails(ex.run(alice, command({ action: 'complete' })), 'bad-request', 'bad-action');
    const sid = (await ex.run(alice, command({}))).attrs.sessionid as string;
    await fails(ex.run(alice, command({ sessionid: sid, action: 'prev' })), 'bad-request', 'bad-action');
    await fails(ex.run(alice, command({ sessionid: sid, action: 'complete' }, form('form'))), 'bad-request', 'bad-payload');
  });

  it('binds a session to the full JID that started it, and expires it', async () => {
    const { ex, tick } = setup();
    const sid = (await ex.run(alice, command({}))).attrs.sessionid as string;
    await fails(ex.run(Jid.parse('alice@example.com/desk'), command({ sessionid: sid, action: 'complete' }, form('submit'))), 'bad-request', 'bad-sessionid');
    tick(1001);
    await fails(ex.run(alice, command({ sessionid: sid, action: 'complete' }, form('submit'))), 'bad-request', 'bad-sessionid');
  });

  it('bounds the open sessions', async () => {
    const { ex } = setup(2);
    await ex.run(alice, command({}));
    await ex.run(alice, command({}));
    await fails(ex.run(alice, command({})), 'resource-constraint');
  });
});

import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { HANDLED, HookBus, Priority, type StanzaEvent } from './events.js';

const ev = () => ({ stanza: xml('message'), kind: 'message', from: {}, to: {} }) as unknown as StanzaEvent;

describe('HookBus', () => {
  it('runs handlers by priority, highest first, in registration order within a priority', () => {
    const bus = new HookBus();
    const seen: string[] = [];
    bus.on('message/bare', () => { seen.push('default-1'); });
    bus.on('message/bare', () => { seen.push('fallback'); }, Priority.Fallback);
    bus.on('message/bare', () => { seen.push('privacy'); }, Priority.Privacy);
    bus.on('message/bare', () => { seen.push('default-2'); });
    assert.equal(bus.fire('message/bare', ev()), undefined);
    assert.deepEqual(seen, ['privacy', 'default-1', 'default-2', 'fallback']);
  });

  it('stops at HANDLED and stays synchronous when handlers are', () => {
    const bus = new HookBus();
    let after = false;
    bus.on('message/bare', () => HANDLED);
    bus.on('message/bare', () => { after = true; }, Priority.Fallback);
    assert.equal(bus.fire('message/bare', ev()), HANDLED);
    assert.equal(after, false);
  });

  it('continues asynchronously after a handler returns a promise', async () => {
    const bus = new HookBus();
    const seen: number[] = [];
    bus.on('message/bare', async () => { await new Promise((r) => setTimeout(r, 5)); seen.push(1); }, 10);
    bus.on('message/bare', () => { seen.push(2); return HANDLED; }, 5);
    bus.on('message/bare', () => { seen.push(3); }, 1);
    const r = bus.fire('message/bare', ev());
    assert.ok(r instanceof Promise);
    assert.equal(await r, HANDLED);
    assert.deepEqual(seen, [1, 2]);
  });

  it('merges global handlers into a host bus by priority, and forgets disposed ones', () => {
    const global = new HookBus();
    const host = new HookBus(global);
    const seen: string[] = [];
    global.on('message/bare', () => { seen.push('global-high'); }, 10);
    const d = host.on('message/bare', () => { seen.push('host-mid'); }, 5);
    global.on('message/bare', () => { seen.push('global-low'); }, 1);
    host.fire('message/bare', ev());
    assert.deepEqual(seen, ['global-high', 'host-mid', 'global-low']);
    d.dispose();
    seen.length = 0;
    host.fire('message/bare', ev());
    assert.deepEqual(seen, ['global-high', 'global-low']);
    global.on('message/bare', () => { seen.push('late'); }, 0);
    seen.length = 0;
    host.fire('message/bare', ev());
    assert.deepEqual(seen, ['global-high', 'global-low', 'late'], 'a later global registration reaches the host bus');
  });

  it('notify runs every handler even when one fails, and reports the failure', async () => {
    const errors: unknown[] = [];
    const bus = new HookBus(undefined, (_e, err) => errors.push(err));
    let ran = false;
    bus.on('server/started', () => { throw new Error('boom'); }, 10);
    bus.on('server/started', () => { ran = true; });
    await bus.notify('server/started', {});
    assert.ok(ran);
    assert.equal((errors[0] as Error).message, 'boom');
  });

  it('folds values through handlers by priority', () => {
    const bus = new HookBus();
    bus.onFold('stream/features', (v) => [...v, xml('b')], 1);
    bus.onFold('stream/features', (v) => [...v, xml('a')], 2);
    const out = bus.fold('stream/features', [], {} as never);
    assert.deepEqual(out.map((e) => e.name), ['a', 'b']);
  });
});

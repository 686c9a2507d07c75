import assert from 'node:assert/strict';
import { defineModule, orderModules, ServiceRegistry } from './module.js';

const mod = (name: string, depends: string[] = []) => defineModule({ name, depends, setup() {} });

describe('module loader', () => {
  it('orders modules after their dependencies', () => {
    const order = orderModules([mod('presence', ['roster']), mod('offline'), mod('roster', ['accounts']), mod('accounts')]).map((m) => m.name);
    assert.ok(order.indexOf('accounts') < order.indexOf('roster'));
    assert.ok(order.indexOf('roster') < order.indexOf('presence'));
  });

  it('names a missing dependency and a cycle', () => {
    assert.throws(() => orderModules([mod('a', ['b'])]), /TERN_ERR_MODULE_DEPENDENCY: module a needs b/);
    assert.throws(() => orderModules([mod('a', ['b']), mod('b', ['a'])]), /cycle: a → b → a/);
    assert.throws(() => orderModules([mod('a'), mod('a')]), /TERN_ERR_MODULE_DUPLICATE/);
  });

  it('services: provided once, looked up through the parent, gone after dispose', () => {
    const global = new ServiceRegistry();
    const host = new ServiceRegistry(global);
    const d = global.provide('accounts' as never, { x: 1 } as never);
    assert.deepEqual(host.get('accounts' as never), { x: 1 });
    assert.throws(() => global.provide('accounts' as never, {} as never), /provided twice/);
    d.dispose();
    assert.equal(host.maybe('accounts' as never), undefined);
    assert.throws(() => host.get('accounts' as never), /TERN_ERR_SERVICE_MISSING/);
  });
});

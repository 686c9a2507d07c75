/**
 * A served domain (a virtual host): its event bus (child of the global bus), bound sessions, IQ
 * dispatcher, disco features and loaded modules. Per-host child contexts as in Fastify.
 */
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import type { StorageProvider } from '../../storage/types.js';
import type { HostConfig, TernConfig } from '../config/schema.js';
import { type Disposable, HookBus, Priority } from './events.js';
import { IqDispatcher, type IqTarget } from './iq.js';
import { type ModuleContext, type ModuleDefinition, openStores, orderModules, ServiceRegistry } from './module.js';
import type { Router } from './router.js';
import { SessionRegistry } from './sessions.js';

interface LoadedModule { def: ModuleDefinition<any, any>; disposables: Array<Disposable | (() => void | Promise<void>)> }

export class Host {
  readonly bus: HookBus;
  readonly sessions = new SessionRegistry();
  readonly iq: IqDispatcher;
  readonly services: ServiceRegistry;
  /** disco#info features of the server's domain and of its accounts (XEP-0030). */
  readonly hostFeatures = new Set<string>();
  readonly accountFeatures = new Set<string>();
  readonly modules = new Map<string, LoadedModule>();

  constructor(
    readonly domain: string,
    readonly config: HostConfig,
    readonly serverConfig: TernConfig,
    readonly router: Router,
    private readonly globalBus: HookBus,
    globalServices: ServiceRegistry,
    readonly storage: StorageProvider,
    readonly log: Logger,
  ) {
    this.bus = new HookBus(globalBus, (event, err) => log.error({ err, event }, 'hook handler failed'));
    this.services = new ServiceRegistry(globalServices);
    this.iq = new IqDispatcher((s) => this.send(s), log.child({ part: 'iq' }));
    for (const target of ['host', 'self', 'bare'] as const) {
      this.bus.on(`iq/${target}`, (ev) => this.iq.dispatch(target, ev), Priority.Default);
    }
  }

  send(stanza: Element): void {
    const r = this.router.route(stanza);
    if (r) r.catch((err) => this.log.error({ err }, 'routing failed'));
  }

  async loadModules(defs: readonly ModuleDefinition<any, any>[]): Promise<void> {
    const disabled = new Set(this.config.modules_disabled ?? []);
    for (const def of orderModules(defs.filter((d) => !disabled.has(d.name)))) {
      await this.load(def);
    }
  }

  private async load(def: ModuleDefinition<any, any>): Promise<void> {
    const loaded: LoadedModule = { def, disposables: [] };
    const keep = (d: Disposable) => { loaded.disposables.push(d); };
    const log = this.log.child({ module: def.name });
    const iqReg = (type: 'get' | 'set') => (ns: string, name: string, handler: Parameters<IqDispatcher['register']>[4], target: IqTarget = 'host') =>
      keep(this.iq.register(type, ns, name, target, handler));
    const ctx: ModuleContext<unknown, Record<string, unknown>> = {
      name: def.name,
      host: this.domain,
      options: def.options ? def.options(this.config, this.serverConfig) : {},
      stores: openStores(this.storage, this.domain, def.stores),
      log,
      config: this.serverConfig,
      hostConfig: this.config,
      sessions: this.sessions,
      services: this.services,
      router: this.router,
      hook: (name, fn, priority) => keep(this.bus.on(name, fn, priority)),
      // A global hook registered by a host module still ends with that module.
      hookGlobal: (name, fn, priority) => keep(this.globalBus.on(name, fn, priority)),
      fold: (name, fn, priority) => keep(this.bus.onFold(name, fn, priority)),
      foldValue: (name, value, c) => this.bus.fold(name, value, c),
      iq: { get: iqReg('get'), set: iqReg('set'), request: (iq, ms) => this.iq.request(iq, ms) },
      features: {
        add: (ns, opts) => {
          const set = opts?.account ? this.accountFeatures : this.hostFeatures;
          set.add(ns);
          keep({ dispose: () => set.delete(ns) });
        },
        list: (opts) => [...(opts?.account ? this.accountFeatures : this.hostFeatures)].sort(),
      },
      fire: (name, ev) => {
        try {
          const r = this.bus.fire(name, ev);
          if (r instanceof Promise) r.catch((err) => log.error({ err, event: name }, 'hook handler failed'));
        } catch (err) {
          log.error({ err, event: name }, 'hook handler failed');
        }
      },
      notify: (name, ev) => this.bus.notify(name, ev),
      purgeUser: (username) => this.storage.purgeUser(this.domain, username),
      provide: (name, impl) => keep(this.services.provide(name, impl)),
      send: (stanza) => this.send(stanza),
      timer: (ms, fn) => {
        const t = setTimeout(fn, ms);
        t.unref();
        const d = { dispose: () => clearTimeout(t) };
        keep(d);
        return d;
      },
      interval: (ms, fn) => {
        const t = setInterval(fn, ms);
        t.unref();
        const d = { dispose: () => clearInterval(t) };
        keep(d);
        return d;
      },
      onUnload: (fn) => { loaded.disposables.push(fn); },
    };
    await def.setup(ctx as ModuleContext<any, any>);
    this.modules.set(def.name, loaded);
    log.debug('module loaded');
  }

  async unloadAll(): Promise<void> {
    for (const name of [...this.modules.keys()].reverse()) {
      const m = this.modules.get(name)!;
      for (const d of m.disposables.reverse()) {
        try {
          if (typeof d === 'function') await d();
          else d.dispose();
        } catch (err) {
          this.log.error({ err, module: name }, 'module teardown failed');
        }
      }
      this.modules.delete(name);
    }
    this.iq.close();
    this.bus.detach();
  }
}

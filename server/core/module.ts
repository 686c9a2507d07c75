/**
 * Modules (Prosody's mod_*, ejabberd's gen_mod): a module declares what it is (XEPs, dependencies,
 * stores) and registers everything through its context in setup(). The loader checks dependencies,
 * orders modules, and undoes every registration when a module unloads.
 */
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import type { ArchiveOptions, ArchiveStore, KeyValueStore, MapStore, StorageProvider } from '../../storage/types.js';
import type { HostConfig, TernConfig } from '../config/schema.js';
import { ServerError } from './errors.js';
import type { Disposable, EventMap, EventName, FoldHandler, FoldMap, FoldName, Handler, HookBus } from './events.js';
import type { IqHandler, IqTarget } from './iq.js';
import type { Router } from './router.js';
import type { SessionRegistry } from './sessions.js';

export interface XepInfo { number: number; version: string; status: 'complete' | 'partial'; note?: string }

/** Services modules offer each other; each module augments this interface (declaration merging). */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Services {}
export type ServiceName = keyof Services;

export class ServiceRegistry {
  private readonly impls = new Map<string, unknown>();
  constructor(private readonly parent?: ServiceRegistry) {}

  provide<K extends ServiceName>(name: K, impl: Services[K]): Disposable {
    if (this.impls.has(name)) throw new ServerError('TERN_ERR_MODULE_DUPLICATE', `service ${String(name)} provided twice`);
    this.impls.set(name, impl);
    return { dispose: () => { if (this.impls.get(name) === impl) this.impls.delete(name); } };
  }

  get<K extends ServiceName>(name: K): Services[K] {
    const v = this.maybe(name);
    if (v === undefined) throw new ServerError('TERN_ERR_SERVICE_MISSING', `service ${String(name)} is not available`);
    return v;
  }

  maybe<K extends ServiceName>(name: K): Services[K] | undefined {
    return (this.impls.get(name) as Services[K] | undefined) ?? this.parent?.maybe(name);
  }
}

type Shape = 'keyval' | 'map' | 'archive';
export interface StoreDecl<S extends Shape, T> { readonly shape: S; readonly name: string; readonly archive?: ArchiveOptions; readonly _type?: T }
export const keyval = <T>(name: string): StoreDecl<'keyval', T> => ({ shape: 'keyval', name });
export const map = <T>(name: string): StoreDecl<'map', T> => ({ shape: 'map', name });
export const archive = <T>(name: string, opts: ArchiveOptions = {}): StoreDecl<'archive', T> => ({ shape: 'archive', name, archive: opts });

type StoreOf<D> = D extends StoreDecl<'keyval', infer T> ? KeyValueStore<T>
  : D extends StoreDecl<'map', infer T> ? MapStore<T>
  : D extends StoreDecl<'archive', infer T> ? ArchiveStore<T> : never;
export type StoreDecls = Record<string, StoreDecl<Shape, unknown>>;
export type Stores<D extends StoreDecls> = { [K in keyof D]: StoreOf<D[K]> };

export interface ModuleContext<O, S> {
  readonly name: string;
  readonly host: string;
  readonly options: Readonly<O>;
  readonly stores: S;
  readonly log: Logger;
  readonly config: TernConfig;
  readonly hostConfig: HostConfig;
  readonly sessions: SessionRegistry;
  readonly services: ServiceRegistry;
  readonly router: Router;
  hook<N extends EventName>(name: N, fn: Handler<N>, priority?: number): void;
  hookGlobal<N extends EventName>(name: N, fn: Handler<N>, priority?: number): void;
  /** Adds a step to a fold hook. */
  fold<N extends FoldName>(name: N, fn: FoldHandler<N>, priority?: number): void;
  /** Runs a fold hook over `value` (for the module that owns the accumulation). */
  foldValue<N extends FoldName>(name: N, value: FoldMap[N]['value'], ctx: FoldMap[N]['ctx']): FoldMap[N]['value'];
  readonly iq: {
    get(ns: string, name: string, handler: IqHandler, target?: IqTarget): void;
    set(ns: string, name: string, handler: IqHandler, target?: IqTarget): void;
    /** Sends an IQ from this host (or a module-chosen 'from') and resolves with the result. */
    request(iq: Element, timeoutMs?: number): Promise<Element>;
  };
  /** Disco#info features of the host (and of accounts with `account`). */
  readonly features: { add(ns: string, opts?: { account?: boolean }): void; list(opts?: { account?: boolean }): string[] };
  /** Runs an event's handlers now, without waiting for asynchronous ones; failures are logged. */
  fire<N extends EventName>(name: N, ev: EventMap[N]): void;
  /** Fires a notification on this host; every handler runs, failures are logged. */
  notify<N extends EventName>(name: N, ev: EventMap[N]): Promise<void>;
  /** Removes everything every store keeps for one user of this host (account deletion). */
  purgeUser(username: string): Promise<void>;
  provide<K extends ServiceName>(name: K, impl: Services[K]): void;
  /** Routes a stanza (its 'from' and 'to' set) as the server. */
  send(stanza: Element): void;
  timer(ms: number, fn: () => void): Disposable;
  interval(ms: number, fn: () => void): Disposable;
  onUnload(fn: () => void | Promise<void>): void;
}

export interface ModuleDefinition<O = unknown, D extends StoreDecls = StoreDecls> {
  readonly name: string;
  readonly description?: string;
  readonly xeps?: readonly XepInfo[];
  /** RFC sections implemented, for the compliance table. */
  readonly rfcs?: readonly string[];
  readonly depends?: readonly string[];
  readonly options?: (host: HostConfig, config: TernConfig) => O;
  readonly stores?: D;
  setup(ctx: ModuleContext<O, Stores<D>>): void | Promise<void>;
}

export function defineModule<O = Record<string, never>, D extends StoreDecls = Record<string, never>>(def: ModuleDefinition<O, D>): ModuleDefinition<O, D> {
  return def;
}

/** Topological order by `depends`; unknown or cyclic dependencies are configuration errors. */
export function orderModules(defs: readonly ModuleDefinition<any, any>[]): ModuleDefinition<any, any>[] {
  const byName = new Map(defs.map((d) => [d.name, d]));
  if (byName.size !== defs.length) throw new ServerError('TERN_ERR_MODULE_DUPLICATE', 'two modules share a name');
  const out: ModuleDefinition<any, any>[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (d: ModuleDefinition<any, any>, path: string[]) => {
    const s = state.get(d.name);
    if (s === 'done') return;
    if (s === 'visiting') throw new ServerError('TERN_ERR_MODULE_DEPENDENCY', `module dependency cycle: ${[...path, d.name].join(' → ')}`);
    state.set(d.name, 'visiting');
    for (const dep of d.depends ?? []) {
      const dd = byName.get(dep);
      if (!dd) throw new ServerError('TERN_ERR_MODULE_DEPENDENCY', `module ${d.name} needs ${dep}, which is not loaded`);
      visit(dd, [...path, d.name]);
    }
    state.set(d.name, 'done');
    out.push(d);
  };
  for (const d of defs) visit(d, []);
  return out;
}

export interface ModuleRuntime {
  bus: HookBus;
  globalBus: HookBus;
  storage: StorageProvider;
}

export function openStores(storage: StorageProvider, host: string, decls: StoreDecls | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(decls ?? {})) {
    out[k] = d.shape === 'keyval' ? storage.keyval(host, d.name) : d.shape === 'map' ? storage.map(host, d.name) : storage.archive(host, d.name, d.archive);
  }
  return out;
}

/** The `aliases` service: admin operations (the `tern alias` CLI) and lookups. */
declare module '../../core/module.js' {
  interface Services {
    aliases: AliasService;
  }
}

export interface AliasService {
  /** Throws StanzaError conflict if the name is an account or already an alias, item-not-found if the owner is no account. */
  add(alias: string, owner: string): Promise<void>;
  /** Throws item-not-found if there is no such alias. */
  remove(alias: string): Promise<void>;
  /** Aliases with their owners; only `owner`'s with one. */
  list(owner?: string): Promise<Array<{ alias: string; owner: string }>>;
  /** From the in-memory table: the owner of an alias, if it is one. */
  ownerOf(alias: string): string | undefined;
}

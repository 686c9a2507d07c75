import { StanzaError } from '../../core/errors.js';
import { JidError, prepareLocal } from '../../core/jid.js';
import type { AccountService } from '../../core/accounts.js';
import { deriveAllCredentials, type StoredCredentials } from '../../core/sasl/credentials.js';
import type { KeyValueStore } from '../../../storage/types.js';

export interface AccountRecord { scram: StoredCredentials; created: number }

export interface Policy { min_length: number; max_length: number; pattern: string | null }

export interface AccountOptions { iterations: number; username: Policy; password: Policy }

export interface AccountDeps {
  store: KeyValueStore<AccountRecord>;
  options: AccountOptions;
  onCreated(username: string): Promise<void>;
  onDeleting(username: string): Promise<void>;
  /** After the new keys are stored: what was derived from the old password (FAST tokens) must go. */
  onPasswordChanged?(username: string): Promise<void>;
  onDeleted(username: string): Promise<void>;
  /** Whether another feature holds this localpart (an alias); such a name is taken. */
  reserved?(username: string): boolean | Promise<boolean>;
}

/** Checks a value against a length/pattern policy; returns the reason it fails, if it does. */
export function policyProblem(what: string, value: string, p: Policy): string | undefined {
  const n = [...value].length;
  if (n < p.min_length) return `${what} must be at least ${p.min_length} characters`;
  if (n > p.max_length) return `${what} must be at most ${p.max_length} characters`;
  if (p.pattern && !new RegExp(p.pattern, 'u').test(value)) return `${what} does not match the required pattern`;
  return undefined;
}

export function createAccountService(d: AccountDeps): AccountService {
  const prepare = (username: string): string => {
    try {
      return prepareLocal(username);
    } catch (err) {
      if (err instanceof JidError) throw new StanzaError('not-acceptable', 'the username is not valid');
      throw err;
    }
  };
  const checkPassword = (password: string) => {
    const problem = policyProblem('the password', password, d.options.password);
    if (problem) throw new StanzaError('not-acceptable', problem);
  };
  return {
    async exists(username) {
      return (await d.store.get(username)) !== undefined;
    },
    async credentials(username) {
      return (await d.store.get(username))?.scram;
    },
    async create(rawUsername, password) {
      // The policy applies to what the user typed (the seed's "letters and digits, case sensitive" example).
      const problem = policyProblem('the username', rawUsername, d.options.username);
      if (problem) throw new StanzaError('not-acceptable', problem);
      const username = prepare(rawUsername);
      checkPassword(password);
      if (await d.store.get(username) || await d.reserved?.(username)) throw new StanzaError('conflict', 'the username is taken');
      await d.store.set(username, { scram: deriveAllCredentials(password, d.options.iterations), created: Date.now() });
      await d.onCreated(username);
    },
    async setPassword(username, password) {
      const rec = await d.store.get(username);
      if (!rec) throw new StanzaError('item-not-found', 'no such account');
      checkPassword(password);
      await d.store.set(username, { ...rec, scram: deriveAllCredentials(password, d.options.iterations) });
      await d.onPasswordChanged?.(username);
    },
    async delete(username) {
      if (!(await d.store.get(username))) throw new StanzaError('item-not-found', 'no such account');
      await d.onDeleting(username);
      await d.store.set(username, undefined);
      await d.onDeleted(username);
    },
    users() {
      return d.store.users();
    },
  };
}

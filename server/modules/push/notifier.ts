/**
 * Sending XEP-0357 §7 notifications: per-user summaries, per-registration coalescing, and what the
 * app server's answer does to the registration (§7.1).
 *
 * Coalescing: at most one publish per registration every `intervalMs`. The first message after a
 * quiet period is published at once (the device wakes without delay); messages arriving within
 * the interval after that are held, and one publish at the end of it carries the count and the
 * latest sender. A burst of 20 messages thus costs the app server (and the phone's battery) two
 * publishes, not 20. The XEP leaves the rate to the server; app servers such as Conversations'
 * rate-limit on their side too.
 *
 * message-count (§10.3 "the number of unread or undelivered messages") is counted per user since a
 * device of the user was last online (initial presence or a XEP-0198 resume), in memory: after a
 * restart it starts again from the next message. A held publish whose count was reset meanwhile
 * (the user came online) is not sent.
 *
 * Failures (§7.1): errors of type cancel, auth or modify disable the registration at once; wait
 * errors keep it; `maxTimeouts` unanswered publishes in a row disable it too (an app server that
 * never answers would otherwise cost a pending IQ per message forever). Any answer resets the
 * timeout count.
 */
import { randomBytes } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import { Jid } from '../../core/jid.js';
import { classifyFailure, errorConditionOf, publishIq, type Summary } from './notification.js';
import { type Registration, registrationKey } from './registrations.js';

export interface NotifierDeps {
  domain: string;
  intervalMs: number;
  timeoutMs: number;
  maxTimeouts: number;
  includeBody: boolean;
  includeSender: boolean;
  /** Sends an IQ and resolves with the result; rejects with the error stanza or a timeout. */
  request(iq: Element, timeoutMs: number): Promise<Element>;
  /** The registration failed for good: remove it from storage. */
  disable(username: string, reg: Registration, reason: string): Promise<void>;
  log: Logger;
  now?: () => number;
}

interface RegState {
  reg: Registration;
  lastSent: number;
  timer?: NodeJS.Timeout;
  timeouts: number;
}

export class Notifier {
  private readonly summaries = new Map<string, Summary>();
  private readonly regs = new Map<string, RegState>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly d: NotifierDeps) {
    this.now = d.now ?? Date.now;
  }

  /** A message for `username` that no active device of theirs got: count it, notify `targets`. */
  message(username: string, stanza: Element, targets: readonly Registration[]): void {
    if (this.closed || targets.length === 0) return;
    const s = this.summaries.get(username) ?? { count: 0 };
    s.count++;
    if (this.d.includeSender) {
      const from = Jid.tryParse(stanza.attrs.from);
      if (from) s.sender = from.bare.toString();
    }
    if (this.d.includeBody) {
      const body = stanza.getChildText('body');
      if (body !== null) s.body = body;
      else delete s.body;
    }
    this.summaries.set(username, s);
    for (const reg of targets) this.trigger(username, reg);
  }

  /** A device of the user is online again: what was counted has been seen or delivered. */
  reset(username: string): void {
    this.summaries.delete(username);
  }

  /** The registration is gone (disabled, replaced, dropped). */
  forget(username: string, reg: Pick<Registration, 'jid' | 'node'>): void {
    const k = stateKey(username, reg);
    const st = this.regs.get(k);
    if (st?.timer) clearTimeout(st.timer);
    this.regs.delete(k);
  }

  forgetUser(username: string): void {
    this.summaries.delete(username);
    for (const [k, st] of this.regs) {
      if (k.startsWith(`${JSON.stringify(username)},`)) {
        if (st.timer) clearTimeout(st.timer);
        this.regs.delete(k);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const st of this.regs.values()) if (st.timer) clearTimeout(st.timer);
    this.regs.clear();
    this.summaries.clear();
  }

  private trigger(username: string, reg: Registration): void {
    const k = stateKey(username, reg);
    let st = this.regs.get(k);
    if (!st || st.reg.enabledAt !== reg.enabledAt) {
      if (st?.timer) clearTimeout(st.timer);
      st = { reg, lastSent: -Infinity, timeouts: 0 };
      this.regs.set(k, st);
    }
    if (st.timer) return; // the held publish will carry this message in its count
    const wait = st.lastSent + this.d.intervalMs - this.now();
    if (wait <= 0) {
      this.send(username, st);
      return;
    }
    const held = st;
    held.timer = setTimeout(() => {
      held.timer = undefined;
      if (this.regs.get(k) === held) this.send(username, held);
    }, wait);
    held.timer.unref();
  }

  private send(username: string, st: RegState): void {
    const summary = this.summaries.get(username);
    if (!summary || this.closed) return;
    st.lastSent = this.now();
    const { reg } = st;
    const iq = publishIq({ id: `push-${randomBytes(12).toString('base64url')}`, from: `${username}@${this.d.domain}`, reg, summary: { ...summary } });
    this.d.request(iq, this.d.timeoutMs).then(
      () => { st.timeouts = 0; },
      (err: unknown) => this.failed(username, st, err),
    );
  }

  private failed(username: string, st: RegState, err: unknown): void {
    const { reg } = st;
    const outcome = classifyFailure(err, reg.jid);
    if (outcome === 'ignore') return;
    if (outcome === 'transient') {
      st.timeouts = 0;
      this.d.log.debug({ appServer: reg.jid, condition: errorConditionOf((err as { stanza?: Element }).stanza) }, 'push: transient error from app server');
      return;
    }
    let reason: string;
    if (outcome === 'timeout') {
      if (++st.timeouts < this.d.maxTimeouts) return;
      reason = `${st.timeouts} publishes unanswered`;
    } else {
      reason = `error ${errorConditionOf((err as { stanza?: Element }).stanza) ?? 'undefined-condition'}`;
    }
    if (this.regs.get(stateKey(username, reg)) === st) this.forget(username, reg);
    this.d.disable(username, reg, reason).catch((e: unknown) => this.d.log.error({ err: e }, 'push: could not remove a failed registration'));
  }
}

function stateKey(username: string, reg: Pick<Registration, 'jid' | 'node'>): string {
  return `${JSON.stringify(username)},${registrationKey(reg.jid, reg.node)}`;
}

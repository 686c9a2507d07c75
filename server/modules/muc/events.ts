/**
 * The room event bus of one MUC service (Prosody's muc-* events): the room core fires these and
 * the room options (options/*.ts) and later extensions hook them. Names are a closed, typed set.
 * Handlers run highest priority first, synchronously; a `pre-` handler refuses by throwing a
 * StanzaError, any handler may stop the chain by returning HANDLED.
 */
import type { Element } from '@xmpp/xml';
import { HANDLED, type HookResult, Priority } from '../../core/events.js';
import type { Jid } from '../../core/jid.js';
import type { FormField } from './form.js';
import type { Role } from './ns.js';
import type { Occupant, Room } from './room.js';

export interface JoinEvent {
  room: Room; stanza: Element; from: Jid; nick: string;
  /** The <x xmlns='…muc'/> of the join, if any. */
  x?: Element;
  /** The role the occupant will get; a handler may lower or raise it. */
  role: Role;
  /** Status codes for the self-presence (§7.2.3, §7.2.12); handlers add theirs. */
  codes: Set<string>;
}
export interface OccupantEvent { room: Room; occupant: Occupant }
export interface MessageEvent { room: Room; occupant: Occupant; stanza: Element }
export interface PrivateMessageEvent { room: Room; occupant: Occupant; to: Occupant; stanza: Element }
export interface InviteEvent { room: Room; from: Jid; occupant?: Occupant; invitee: Jid; stanza: Element }
export interface FormEvent { room: Room; fields: FormField[]; actor: Jid }
export interface SubmitEvent { room: Room; values: Map<string, string[]>; actor: Jid; /** Status codes for the configuration-change notice (§10.2.1). */ codes: Set<string> }
export interface InfoEvent { room: Room; features: string[]; fields: FormField[]; from: Jid }
/** A stanza about to leave the room on behalf of an occupant (presence or message): decorate the copy. */
export interface OutgoingEvent { room: Room; occupant?: Occupant; stanza: Element; to: Jid }
export interface RoomEvent { room: Room }
export interface OccupantIqEvent { room: Room; stanza: Element; from: Jid; nick: string }

export interface RoomEventMap {
  /** Before an entry is accepted (§7.2): throw the XEP's error to refuse. `occupant` is set once built. */
  'room/pre-join': JoinEvent;
  /** After self-presence, history and subject were sent. */
  'room/joined': OccupantEvent;
  /** After the occupant's unavailable presence went out. */
  'room/left': OccupantEvent;
  /** A groupchat message from an occupant, before fan-out (§7.4); throw to refuse. */
  'room/pre-message': MessageEvent;
  /** A groupchat message accepted for broadcast, before it is archived and sent: handlers may replace `stanza` with a decorated copy (occupant id). */
  'room/decorate-message': MessageEvent;
  /** After fan-out, with the stanza as broadcast (archives, push). */
  'room/message': MessageEvent;
  /** A non-groupchat message to the room itself from an occupant (voice requests, §7.13); HANDLED if taken, else bad-request. */
  'room/message-to-room': MessageEvent;
  /** A subject change (§8.1) before it is applied; throw to refuse. */
  'room/pre-subject': MessageEvent;
  /** A private message within the room (§7.5); throw to refuse. */
  'room/pre-private-message': PrivateMessageEvent;
  /** A mediated invitation (§7.8.2) before it is sent; throw to refuse. */
  'room/pre-invite': InviteEvent;
  'room/invited': InviteEvent;
  /** Collects the muc#roomconfig fields (§10.2). */
  'room/config-form': FormEvent;
  /** Applies a submitted muc#roomconfig form; throw not-acceptable for a value out of policy. */
  'room/config-submit': SubmitEvent;
  /** Collects disco#info features and muc#roominfo fields (§6.4). */
  'room/info': InfoEvent;
  'room/outgoing': OutgoingEvent;
  /** An IQ to room/nick (XEP-0410 self-ping and IQ proxying hook here); HANDLED if answered. */
  'room/occupant-iq': OccupantIqEvent;
  'room/created': RoomEvent;
  'room/destroyed': RoomEvent;
}
export type RoomEventName = keyof RoomEventMap;
export type RoomHandler<N extends RoomEventName> = (ev: RoomEventMap[N]) => HookResult;

interface Entry { fn: RoomHandler<RoomEventName>; priority: number; seq: number }

export class RoomEvents {
  private readonly lists = new Map<string, Entry[]>();
  private seq = 0;

  on<N extends RoomEventName>(name: N, fn: RoomHandler<N>, priority: number = Priority.Default): () => void {
    const entry = { fn: fn as RoomHandler<RoomEventName>, priority, seq: this.seq++ };
    const next = [...(this.lists.get(name) ?? []), entry].sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.lists.set(name, next);
    return () => { this.lists.set(name, (this.lists.get(name) ?? []).filter((e) => e !== entry)); };
  }

  fire<N extends RoomEventName>(name: N, ev: RoomEventMap[N]): HookResult {
    const list = this.lists.get(name);
    if (!list) return undefined;
    for (const e of list) if (e.fn(ev) === HANDLED) return HANDLED;
    return undefined;
  }
}

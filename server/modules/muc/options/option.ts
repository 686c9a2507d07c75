/**
 * A room option (Prosody's muc/*.lua, one per muc#roomconfig field): its default, and the room
 * event handlers that contribute its form field (room/config-form), apply a submitted value
 * (room/config-submit), describe it in disco#info (room/info) and enforce it.
 * Extensions add keys to RoomConfig by declaration merging and register their own options.
 */
import type { Jid } from '../../../core/jid.js';
import type { RoomEvents } from '../events.js';

export interface RoomConfig {
  name: string;
  description: string;
  language: string;
  public: boolean;
  persistent: boolean;
  password: string;
  membersOnly: boolean;
  moderated: boolean;
  maxUsers: number;
  whois: 'moderators' | 'anyone';
  changeSubject: boolean;
  allowInvites: boolean;
  allowPm: 'anyone' | 'participants' | 'moderators' | 'none';
  historyLength: number;
  logging: boolean;
  voiceRequests: boolean;
}

/** What the service lets options know: its operator limits. */
export interface OptionEnv {
  maxOccupants: number;
  maxHistory: number;
  /** hosts[].muc.public_rooms: false turns public chat (listed rooms) off server-wide. */
  publicRooms: boolean;
  /** Whether this full JID is a session of this server logged in with SASL ANONYMOUS. */
  isAnonymous?(jid: Jid): boolean;
}

export interface RoomOption {
  name: string;
  defaults: Partial<RoomConfig>;
  install(events: RoomEvents, env: OptionEnv): void;
}

export const defineOption = (o: RoomOption): RoomOption => o;

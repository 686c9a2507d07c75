/** The `muc` service other modules (push, bookmarks) and the extension step use: the room events and lookups. */
import type { Jid } from '../../core/jid.js';
import type { RoomEvents } from './events.js';
import type { Room } from './room.js';

declare module '../../core/module.js' {
  interface Services { muc: MucApi }
}

export interface MucApi {
  domain: string;
  events: RoomEvents;
  room(jid: Jid): Room | undefined;
}

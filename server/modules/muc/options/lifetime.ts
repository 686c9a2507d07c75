/**
 * tern#roomconfig_lifetime (Tern's own field, seed 5.12 temporary groups): seconds the room lives
 * after its creation, 0 = no limit (at most one year). Once the lifetime has passed the room is
 * destroyed as soon as no occupant remains (room/left here; a periodic sweep of the service for a
 * room that is already empty); never while occupied. The service also retracts the room's
 * bookmark (XEP-0402) of its local members when a temporary group ends (index.ts).
 */
import { StanzaError } from '../../../core/errors.js';
import { single } from '../form.js';
import type { Room } from '../room.js';
import { defineOption } from './option.js';

declare module './option.js' {
  interface RoomConfig {
    /** Seconds after `createdAt`; 0 = forever. */
    lifetime: number;
    /** ms since the epoch; set when the room is created. */
    createdAt?: number;
    /** Bare JID of who created the room. */
    creator?: string;
  }
}

export const VAR_LIFETIME = 'tern#roomconfig_lifetime';
const MAX = 365 * 24 * 3600;

export function expired(room: Room, now = Date.now()): boolean {
  const { lifetime, createdAt } = room.config;
  return lifetime > 0 && createdAt !== undefined && now >= createdAt + lifetime * 1000;
}

/** Destroys the room if its lifetime has passed and nobody is in it. */
export function reap(room: Room, now = Date.now()): boolean {
  if (room.destroyed || room.occupantCount > 0 || !expired(room, now)) return false;
  room.destroy({ reason: 'this temporary group has ended' });
  return true;
}

export default defineOption({
  name: 'lifetime',
  defaults: { lifetime: 0 },
  install(events) {
    events.on('room/created', ({ room }) => {
      room.config.createdAt = Date.now();
      room.config.creator = room.owners()[0];
    });
    events.on('room/config-form', ({ room, fields }) => {
      fields.push({ var: VAR_LIFETIME, type: 'text-single', label: 'Lifetime of this group in seconds (0: no limit)', values: [String(room.config.lifetime)] });
    });
    events.on('room/config-submit', ({ room, values }) => {
      const v = single(values.get(VAR_LIFETIME));
      if (v === undefined) return;
      const n = Number(v.trim() || '0');
      if (!Number.isInteger(n) || n < 0 || n > MAX) throw new StanzaError('not-acceptable', `${VAR_LIFETIME} is a number of seconds from 0 to ${MAX}`);
      room.config.lifetime = n;
    });
    events.on('room/info', ({ room, fields }) => {
      if (room.config.lifetime > 0 && room.config.createdAt !== undefined) {
        fields.push({ var: 'tern#roominfo_expires', values: [new Date(room.config.createdAt + room.config.lifetime * 1000).toISOString()] });
      }
    });
    events.on('room/left', ({ room }) => { reap(room); });
  },
});

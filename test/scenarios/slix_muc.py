"""slixmpp's own XEP-0045 plugin as Romeo: joins a room (with history), reports what it saw,
speaks in the room, waits for 'bye' and leaves. Exit code 0 only if all of that happened."""
import asyncio
import sys

import slixmpp

from slix_common import parse_args, run


class Romeo(slixmpp.ClientXMPP):
    def __init__(self, jid, password, room):
        super().__init__(jid, password)
        self.room = room
        self.register_plugin('xep_0045')
        self.register_plugin('xep_0203')
        self.done = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('groupchat_message', self.on_groupchat)
        self.add_event_handler('failed_all_auth', lambda _: self.done.done() or self.done.set_exception(RuntimeError('auth failed')))

    async def start(self, _event):
        self.send_presence()
        # slixmpp 1.8: (own presence, subject message, occupants' presences, history messages).
        pres, _subject, _presences, history = await self.plugin['xep_0045'].join_muc_wait(self.room, 'Romeo', maxstanzas=5, timeout=10)
        self.history = [m['body'] for m in history]
        codes = sorted(pres['muc']['status_codes'])
        print(f"joined role={pres['muc']['role']} affiliation={pres['muc']['affiliation']} codes={codes}", flush=True)
        print(f"history: {','.join(self.history)}", flush=True)
        print(f"roster: {','.join(sorted(self.plugin['xep_0045'].get_roster(self.room)))}", flush=True)
        self.send_message(mto=self.room, mbody='hello from slixmpp', mtype='groupchat')

    def on_groupchat(self, msg):
        body = msg['body']
        if body == 'bye' and msg['mucnick'] == 'Julia' and not self.done.done():
            self.done.set_result(body)


async def main():
    a = parse_args('room')
    xmpp = Romeo(a.jid, a.password, a.room)

    async def body():
        await asyncio.wait_for(xmpp.done, 20)
        print('got bye', flush=True)
        xmpp.plugin['xep_0045'].leave_muc(a.room, 'Romeo')
        await asyncio.sleep(0.3)
    return await run(xmpp, a, body)


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))

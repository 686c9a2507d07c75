"""An independent client for interop tests: slixmpp logs in (STARTTLS, SCRAM), sends one chat
message to a peer, waits for a reply and prints it. Exit code 0 only if the reply arrived."""
import asyncio
import sys

import slixmpp

from slix_common import parse_args, run


class Chat(slixmpp.ClientXMPP):
    def __init__(self, jid, password, peer):
        super().__init__(jid, password)
        self.peer = peer
        self.got = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('message', self.on_message)
        # failed_auth fires per mechanism tried; only running out of mechanisms is final.
        self.add_event_handler('failed_all_auth', lambda _: self.got.done() or self.got.set_exception(RuntimeError('auth failed')))

    async def start(self, _event):
        self.send_presence()
        self.send_message(mto=self.peer, mbody='hello from slixmpp', mtype='chat')

    def on_message(self, msg):
        if msg['type'] in ('chat', 'normal') and msg['body'] and not self.got.done():
            self.got.set_result(msg['body'])


async def main():
    a = parse_args('peer')
    xmpp = Chat(a.jid, a.password, a.peer)

    async def body():
        got = await asyncio.wait_for(xmpp.got, 15)
        print(f'received: {got}', flush=True)
    return await run(xmpp, a, body)


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))

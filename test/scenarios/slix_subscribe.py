"""An independent client for interop tests: slixmpp logs in (STARTTLS, SCRAM), asks to subscribe to
a peer's presence, and waits until the peer has approved and its presence has arrived.
Exit code 0 only if both happened."""
import asyncio
import sys

import slixmpp

from slix_common import parse_args, run


class Subscriber(slixmpp.ClientXMPP):
    def __init__(self, jid, password, peer):
        super().__init__(jid, password)
        self.peer = slixmpp.JID(peer).bare
        loop = asyncio.get_event_loop()
        self.approved = loop.create_future()
        self.seen = loop.create_future()
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('presence_subscribed', self.on_subscribed)
        self.add_event_handler('presence_available', self.on_available)
        # slixmpp tries its mechanisms in turn: only running out of them is a failure.
        self.add_event_handler('failed_all_auth', lambda _: self.fail(RuntimeError('auth failed')))

    def fail(self, err):
        for f in (self.approved, self.seen):
            if not f.done():
                f.set_exception(err)

    async def start(self, _event):
        await self.get_roster()
        self.send_presence()
        self.send_presence(pto=self.peer, ptype='subscribe')

    def on_subscribed(self, pres):
        if pres['from'].bare == self.peer and not self.approved.done():
            self.approved.set_result(True)

    def on_available(self, pres):
        if pres['from'].bare == self.peer and not self.seen.done():
            self.seen.set_result(str(pres['from']))


async def main():
    a = parse_args('peer')
    xmpp = Subscriber(a.jid, a.password, a.peer)

    async def body():
        await asyncio.wait_for(xmpp.approved, 15)
        who = await asyncio.wait_for(xmpp.seen, 15)
        item = xmpp.client_roster[xmpp.peer]
        print(f'subscribed: to={item["to"]}', flush=True)
        print(f'available: {who}', flush=True)
    return await run(xmpp, a, body)


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))

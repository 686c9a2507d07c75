"""An independent client for the XEP-0115 test: slixmpp with its xep_0115 plugin logs in, sends
available presence (which the plugin annotates with <c/>), answers disco#info on node#ver as the
plugin does, prints the ver it advertised, and stays online 3 s."""
import asyncio
import sys

import slixmpp

from slix_common import parse_args, run


class Caps(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        self.register_plugin('xep_0030')
        self.register_plugin('xep_0115')
        self.register_plugin('xep_0199')
        self.ready = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('failed_all_auth', lambda _: self.ready.done() or self.ready.set_exception(RuntimeError('auth failed')))

    async def start(self, _event):
        await self['xep_0115'].update_caps()
        self.send_presence()
        if not self.ready.done():
            self.ready.set_result(True)


async def main():
    a = parse_args()
    xmpp = Caps(a.jid, a.password)

    async def body():
        await asyncio.wait_for(xmpp.ready, 15)
        await asyncio.sleep(0.5)
        jid = xmpp.boundjid.full
        ver = await xmpp['xep_0115'].get_verstring(jid)
        print(f'online {jid} ver={ver}', flush=True)
        await asyncio.sleep(3)
    return await run(xmpp, a, body)


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))

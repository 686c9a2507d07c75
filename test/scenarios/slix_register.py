"""An independent client for interop tests: slixmpp registers the account in-band with its XEP-0077
plugin (the server advertises the stream feature after STARTTLS), then logs in with SASL on the
same stream and pings the server (XEP-0199). Exit code 0 only if all three happened; what it saw
is printed for the test to check."""
import asyncio
import sys

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

from slix_common import parse_args, run


class Registrar(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        for plugin in ('xep_0030', 'xep_0004', 'xep_0066', 'xep_0077', 'xep_0199'):
            self.register_plugin(plugin)
        loop = asyncio.get_event_loop()
        self.registered = loop.create_future()
        self.done = loop.create_future()
        self.mechanism = None
        # slixmpp 1.8.3 (Debian's) holds back every IQ until the session starts, registration IQs
        # included; later releases let them through. Until registration is done, let them pass.
        self._always_send_everything = True
        self.add_event_handler('register', self.register)
        self.add_event_handler('auth_success', self.on_auth)
        self.add_event_handler('session_start', self.start)
        # slixmpp tries its mechanisms in turn: only running out of them is a failure.
        self.add_event_handler('failed_all_auth', lambda _: self.fail(RuntimeError('auth failed')))

    def fail(self, err):
        for f in (self.registered, self.done):
            if not f.done():
                f.set_exception(err)

    async def register(self, form):
        query = form['register']
        print(f"form: fields={'username' in query.get_fields()},{'password' in query.get_fields()} "
              f"dataform={query.xml.find('{jabber:x:data}x') is not None}", flush=True)
        resp = self.Iq()
        resp['type'] = 'set'
        resp['register']['username'] = self.boundjid.user
        resp['register']['password'] = self.password
        try:
            await resp.send()
        except (IqError, IqTimeout) as e:
            self.fail(RuntimeError(f'registration refused: {e}'))
            self.disconnect()
            return
        self._always_send_everything = False
        if not self.registered.done():
            self.registered.set_result(True)

    def on_auth(self, _stanza):
        self.mechanism = self['feature_mechanisms'].mech.name

    async def start(self, _event):
        try:
            # send_ping, not ping: ping() counts an error from the own server as a pong.
            pong = await self['xep_0199'].send_ping(self.boundjid.host, timeout=10)
        except (IqError, IqTimeout) as e:
            self.fail(RuntimeError(f'ping failed: {e}'))
            return
        if not self.done.done():
            self.done.set_result(pong['type'])


async def main():
    a = parse_args()
    xmpp = Registrar(a.jid, a.password)

    async def body():
        await asyncio.wait_for(xmpp.registered, 15)
        pong = await asyncio.wait_for(xmpp.done, 15)
        print('registered: True', flush=True)
        print(f'mechanism: {xmpp.mechanism}', flush=True)
        print(f'bound: {xmpp.boundjid}', flush=True)
        print(f'pong: {pong}', flush=True)
    return await run(xmpp, a, body)


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))

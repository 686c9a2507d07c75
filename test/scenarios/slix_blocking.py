"""An independent client for interop tests: slixmpp's XEP-0191 plugin blocks a peer, reads the list
back, and unblocks everything. Exit code 0 only if every step got the answer XEP-0191 describes."""
import asyncio
import sys

import slixmpp

from slix_common import Outcome, parse_args, run


class Blocker(slixmpp.ClientXMPP):
    def __init__(self, jid, password, peer):
        super().__init__(jid, password)
        self.peer = peer
        self.register_plugin('xep_0191')
        self.outcome = Outcome()
        self.done = self.outcome.done
        self.finish = self.outcome.finish
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('failed_all_auth', lambda _: self.finish(RuntimeError('auth failed')))

    async def start(self, _event):
        try:
            plugin = self['xep_0191']
            first = await plugin.get_blocked()
            print(f'initial: {sorted(str(j) for j in first["blocklist"]["items"])}', flush=True)
            await plugin.block([self.peer])
            listed = await plugin.get_blocked()
            print(f'blocked: {sorted(str(j) for j in listed["blocklist"]["items"])}', flush=True)
            await plugin.unblock([])
            after = await plugin.get_blocked()
            print(f'after unblock: {sorted(str(j) for j in after["blocklist"]["items"])}', flush=True)
            self.finish()
        except Exception as e:  # noqa: BLE001 - any failure is a test failure
            self.finish(e)


async def main():
    a = parse_args('peer')
    xmpp = Blocker(a.jid, a.password, a.peer)
    return await run(xmpp, a, lambda: asyncio.wait_for(xmpp.done, 15))


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))

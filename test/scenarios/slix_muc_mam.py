"""slixmpp's XEP-0045 and XEP-0313 plugins on a room archive: joins the room, asks the room's
MAM query form, pages through the room archive two at a time, prints the bodies with their
archive ids, then the stanza-id (by the room) of its own live message. Exit code 0 only if
every step answered."""
import asyncio
import sys

import slixmpp

from slix_common import connect, parse_args


class Reader(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        for p in ('xep_0004', 'xep_0030', 'xep_0045', 'xep_0059', 'xep_0297', 'xep_0313', 'xep_0359'):
            self.register_plugin(p)
        self.ready = asyncio.get_event_loop().create_future()
        self.echo = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', lambda _: self.ready.done() or self.ready.set_result(True))
        self.add_event_handler('groupchat_message', self.on_groupchat)
        self.add_event_handler('failed_all_auth', lambda _: self.ready.done() or self.ready.set_exception(RuntimeError('auth failed')))

    def on_groupchat(self, msg):
        if msg['body'] == 'from slixmpp' and not self.echo.done():
            self.echo.set_result(msg)


async def main():
    a = parse_args('room')
    xmpp = Reader(a.jid, a.password)
    connect(xmpp, a)
    try:
        await asyncio.wait_for(xmpp.ready, 15)
        xmpp.send_presence()
        await xmpp['xep_0045'].join_muc_wait(a.room, 'Slix', maxstanzas=0, timeout=10)
        form = await xmpp['xep_0313'].get_fields(jid=a.room, timeout=10)
        print('fields: ' + ','.join(sorted(f['var'] for f in form['fields'])), flush=True)
        got = []
        async for m in xmpp['xep_0313'].iterate(jid=a.room, rsm={'max': 2}):
            fwd = m['mam_result']['forwarded']['stanza']
            got.append(f"{fwd['from'].resource}:{fwd['body']}")
        print('archive: ' + '|'.join(got), flush=True)
        xmpp.send_message(mto=a.room, mbody='from slixmpp', mtype='groupchat')
        echo = await asyncio.wait_for(xmpp.echo, 10)
        sid = echo['stanza_id']
        print(f"stanza-id by={sid['by']} id={sid['id']}", flush=True)
        last = None
        async for m in xmpp['xep_0313'].iterate(jid=a.room, rsm={'max': 1}, reverse=True):
            last = m
            break
        print(f"last archived id={last['mam_result']['id']} body={last['mam_result']['forwarded']['stanza']['body']}", flush=True)
    except Exception as e:  # noqa: BLE001 - any failure is a test failure, reported on stderr
        print(f'failed: {e!r}', file=sys.stderr)
        return 1
    xmpp.disconnect()
    await asyncio.sleep(0.2)
    return 0


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))

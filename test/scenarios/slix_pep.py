"""An independent client for the PEP tests: slixmpp publishes an avatar with its xep_0084 plugin
(and reads it back), stores XEP-0048 bookmarks in PEP with its xep_0223 profile (whitelist,
persistent), then reads the bookmarks back through XEP-0049 private storage with its xep_0048
plugin, which the server converts through XEP-0402. Prints one line per step."""
import asyncio
import hashlib
import sys

import slixmpp
from slixmpp.plugins.xep_0048.stanza import Bookmarks

from slix_common import connect, parse_args


class Pep(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        for p in ('xep_0030', 'xep_0060', 'xep_0163', 'xep_0223', 'xep_0084', 'xep_0049', 'xep_0048'):
            self.register_plugin(p)
        self.ready = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', lambda _: self.ready.done() or self.ready.set_result(True))
        self.add_event_handler('failed_all_auth', lambda _: self.ready.done() or self.ready.set_exception(RuntimeError('auth failed')))


async def main():
    a = parse_args()
    xmpp = Pep(a.jid, a.password)
    connect(xmpp, a)
    try:
        await asyncio.wait_for(xmpp.ready, 15)
        data = b'\x89PNG\r\n\x1a\nnot really an image'
        await xmpp['xep_0084'].publish_avatar(data)
        sha1 = hashlib.sha1(data).hexdigest()
        got = await xmpp['xep_0084'].retrieve_avatar(xmpp.boundjid.bare, sha1)
        item = got['pubsub']['items']['item']
        print(f"avatar id={item['id']} same={item['payload'].text is not None and __import__('base64').b64decode(item['payload'].text) == data}", flush=True)

        bm = Bookmarks()
        bm.add_conference('room@conference.example', 'Slix', name='Slix room', autojoin=True)
        await xmpp['xep_0223'].store(bm, node='storage:bookmarks', id='current')
        print('stored bookmarks in pep', flush=True)
        await asyncio.sleep(0.5)
        iq = await xmpp['xep_0048'].get_bookmarks(method='xep_0049')
        confs = iq['private']['bookmarks']['conferences']
        print('private view: ' + ' '.join(f"{c['jid']}|{c['nick']}|{c['autojoin']}" for c in confs), flush=True)
    except Exception as e:  # noqa: BLE001 - any failure is a test failure, reported on stderr
        print(f'failed: {e!r}', file=sys.stderr)
        return 1
    finally:
        xmpp.disconnect()
    return 0


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))

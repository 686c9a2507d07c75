"""An independent client for the archive: slixmpp logs in, asks the XEP-0313 query form, then pages
through its archive with its XEP-0313/XEP-0059 plugins forward and backward (two per page), and
prints what it got. Exit code 0 only if every step answered."""
import asyncio
import sys

import slixmpp

from slix_common import connect, parse_args


class Mam(slixmpp.ClientXMPP):
    def __init__(self, jid, password):
        super().__init__(jid, password)
        for p in ('xep_0004', 'xep_0030', 'xep_0059', 'xep_0297', 'xep_0313'):
            self.register_plugin(p)
        self.ready = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', lambda _: self.ready.done() or self.ready.set_result(True))
        self.add_event_handler('failed_all_auth', lambda _: self.ready.done() or self.ready.set_exception(RuntimeError('auth failed')))


async def main():
    a = parse_args()
    xmpp = Mam(a.jid, a.password)
    connect(xmpp, a)
    try:
        await asyncio.wait_for(xmpp.ready, 15)
        form = await xmpp['xep_0313'].get_fields(timeout=10)
        print('fields: ' + ','.join(sorted(f['var'] for f in form['fields'])), flush=True)
        forward = []
        async for m in xmpp['xep_0313'].iterate(rsm={'max': 2}):
            forward.append(m['mam_result']['forwarded']['stanza']['body'])
        print('forward: ' + '|'.join(forward), flush=True)
        # Backward: slixmpp 1.8.3's RSM iterator sends the empty <before/> for the last page but
        # then stops, because first index + page size equals the count (true of the newest page in
        # reverse); and retrieve() cannot send an empty <before/>. So: the iterator for the last
        # page, then retrieve() before its first id until <fin complete='true'/>.
        newest = []
        async for m in xmpp['xep_0313'].iterate(rsm={'max': 2}, reverse=True):
            newest.append((m['mam_result']['id'], m['mam_result']['forwarded']['stanza']['body']))
        newest.reverse()
        print('last page: ' + '|'.join(b for _, b in newest), flush=True)
        backward = [b for _, b in newest]
        before = newest[0][0]
        for _ in range(10):
            r = await xmpp['xep_0313'].retrieve(rsm={'max': '2', 'before': before}, timeout=10)
            page = [m['mam_result']['forwarded']['stanza']['body'] for m in r['mam']['results']]
            backward = page + backward
            fin = r['mam_fin']
            print(f"page: {'|'.join(page)} first-index={fin['rsm']['first_index']} count={fin['rsm']['count']} complete={fin.xml.get('complete')}", flush=True)
            if fin.xml.get('complete') == 'true':
                break
            before = fin['rsm']['first']
        print('backward: ' + '|'.join(backward), flush=True)
    except Exception as e:  # noqa: BLE001 - any failure is a test failure, reported on stderr
        print(f'failed: {e!r}', file=sys.stderr)
        return 1
    xmpp.disconnect()
    await asyncio.sleep(0.2)
    return 0


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))

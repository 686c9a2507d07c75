"""An independent client for XEP-0363: slixmpp's xep_0363 plugin finds the upload service through
disco (items of the server, then the service's identity and max-file-size form) and requests a
slot; the file then goes up with the slot's headers and comes back over HTTPS, checked against the
test CA for upload.<domain>. The plugin's own upload_file() needs aiohttp and DNS for
upload.localhost, neither of which this machine has, so the HTTP part uses Python's http.client,
connecting to 127.0.0.1 with the URL's host name for SNI and certificate checks. Its
find_upload_service() fails on Python 3.11 (see start()), so discovery uses xep_0030 directly."""
import asyncio
import hashlib
import http.client
import os
import ssl
import sys
import types
from urllib.parse import urlsplit

try:
    import aiohttp  # noqa: F401  (the plugin imports ClientSession at load time)
except ImportError:
    stub = types.ModuleType('aiohttp')
    stub.ClientSession = None
    sys.modules['aiohttp'] = stub

import slixmpp

from slix_common import connect, parse_args


def https(ca, url, method, body=None, headers=None):
    parts = urlsplit(url)
    ctx = ssl.create_default_context(cafile=ca)
    conn = http.client.HTTPSConnection('127.0.0.1', parts.port, context=ctx, timeout=10)
    # Connect by address, verify (and send SNI) for the URL's name.
    conn.sock = ctx.wrap_socket(__import__('socket').create_connection(('127.0.0.1', parts.port), 10), server_hostname=parts.hostname)
    conn.request(method, parts.path, body=body, headers={'Host': parts.netloc, **(headers or {})})
    res = conn.getresponse()
    data = res.read()
    conn.close()
    return res.status, res.getheader('Content-Type'), data


class Uploader(slixmpp.ClientXMPP):
    def __init__(self, jid, password, ca):
        super().__init__(jid, password)
        self.ca = ca
        for plugin in ('xep_0030', 'xep_0004', 'xep_0128', 'xep_0363'):
            self.register_plugin(plugin)
        self.done = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('failed_all_auth', lambda _: self.done.set_exception(RuntimeError('auth failed')))

    async def start(self, _event):
        try:
            self.send_presence()
            # find_upload_service() of slixmpp 1.8.3 hands asyncio.wait() bare coroutines, which
            # Python 3.11 refuses: the same discovery (XEP-0363 §3), step by step.
            items = await self['xep_0030'].get_items(jid=self.boundjid.domain, timeout=10)
            info = None
            for jid, _node, _name in items['disco_items']['items']:
                cand = await self['xep_0030'].get_info(jid=jid, timeout=10)
                ids = cand['disco_info']['identities']
                if any(i[0] == 'store' and i[1] == 'file' for i in ids) and 'urn:xmpp:http:upload:0' in cand['disco_info']['features']:
                    info = cand
                    break
            if info is None:
                raise RuntimeError('no upload service found through disco')
            service = info['from']
            max_size = None
            for form in info['disco_info'].iterables:
                values = form['values']
                if values.get('FORM_TYPE') == ['urn:xmpp:http:upload:0']:
                    max_size = int(values['max-file-size'])
            print(f'service={service} max-file-size={max_size}', flush=True)
            data = os.urandom(123_457)
            slot_iq = await self['xep_0363'].request_slot(service, 'photo.jpg', len(data), 'image/jpeg', timeout=10)
            slot = slot_iq['http_upload_slot']
            headers = {h['name']: h['value'] for h in slot['put']['headers']}
            status, _, _ = https(self.ca, slot['put']['url'], 'PUT', data, {**headers, 'Content-Type': 'image/jpeg', 'Content-Length': str(len(data))})
            if status != 201:
                raise RuntimeError(f'PUT answered {status}')
            status, ctype, back = https(self.ca, slot['get']['url'], 'GET')
            if status != 200 or ctype != 'image/jpeg' or hashlib.sha256(back).digest() != hashlib.sha256(data).digest():
                raise RuntimeError(f'GET answered {status} {ctype} with {len(back)} bytes')
            print(f'uploaded and fetched back {len(back)} identical bytes', flush=True)
            self.done.set_result(True)
        except Exception as e:  # noqa: BLE001
            self.done.set_exception(e)
        finally:
            self.disconnect()


async def main():
    args = parse_args()
    xmpp = Uploader(args.jid, args.password, args.ca)
    connect(xmpp, args)
    try:
        await asyncio.wait_for(xmpp.done, 30)
    except Exception as e:  # noqa: BLE001
        print(f'failed: {e!r}', flush=True)
        sys.exit(1)
    await asyncio.sleep(0.2)


asyncio.get_event_loop().run_until_complete(main())

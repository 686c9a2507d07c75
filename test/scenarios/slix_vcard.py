"""slixmpp's XEP-0054 plugin publishes a vCard with two phone numbers, two e-mail addresses and a
photo, reads it back from the server, and reads another user's (--other) vCard. Prints what it saw."""
import asyncio
import base64

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

from slix_common import connect, parse_args

PNG = bytes.fromhex('89504e470d0a1a0a0000000d4948445200000001000000010806000000')


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, other):
        super().__init__(jid, password)
        for plugin in ('xep_0030', 'xep_0054', 'xep_0153'):
            self.register_plugin(plugin)
        self.other = other
        self.done = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', self.start)

    async def start(self, _):
        try:
            self.send_presence()
            v = self['xep_0054'].make_vcard()
            v['FN'] = 'Slix Tester'
            v['NICKNAME'] = 'slixy'
            for number in ('+1 555 0001', '+1 555 0002'):
                el = self['xep_0054'].stanza.Telephone()
                el['NUMBER'] = number
                v.append(el)
            for addr in ('slix@example.org', 'slix@work.example'):
                em = self['xep_0054'].stanza.Email()
                em['USERID'] = addr
                v.append(em)
            v['PHOTO']['TYPE'] = 'image/png'
            v['PHOTO']['BINVAL'] = PNG
            await self['xep_0054'].publish_vcard(v)
            got = await self['xep_0054'].get_vcard(self.boundjid.bare, cached=False, local=False)
            card = got['vcard_temp']
            tels = [t.findtext('{vcard-temp}NUMBER') for t in card.xml.findall('{vcard-temp}TEL')]
            mails = [e.findtext('{vcard-temp}USERID') for e in card.xml.findall('{vcard-temp}EMAIL')]
            print(f"own: fn={card['FN']} nick={card['NICKNAME']} tels={','.join(tels)} emails={','.join(mails)} "
                  f"photo={base64.b64encode(card['PHOTO']['BINVAL']).decode() == base64.b64encode(PNG).decode()}", flush=True)
            try:
                await self['xep_0054'].get_vcard(self.other, cached=False, local=False)
                print('other: result', flush=True)
            except IqError as e:
                print(f"other: {e.iq['error']['condition']}", flush=True)
            self.done.set_result(True)
        except (IqError, IqTimeout) as e:
            self.done.set_exception(RuntimeError(f'iq failed: {e}'))
        finally:
            self.disconnect()


def main():
    args = parse_args('other')
    xmpp = Client(args.jid, args.password, args.other)
    connect(xmpp, args)
    loop = asyncio.get_event_loop()
    loop.run_until_complete(xmpp.disconnected)
    exit(0 if xmpp.done.done() and not xmpp.done.exception() else 1)


if __name__ == '__main__':
    main()

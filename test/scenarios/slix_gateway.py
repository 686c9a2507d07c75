"""An independent client for XEP-0100 §6.3 address translation: slixmpp sends raw jabber:iq:gateway
IQs to the msisdn.<domain> service (its xep_0100 plugin is the gateway side, not the client side)
and prints what came back: the prompt, the JID for a known number, the error conditions otherwise."""
import asyncio
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

from slix_common import connect, parse_args

NS = 'jabber:iq:gateway'


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, gateway, numbers):
        super().__init__(jid, password)
        self.gateway = gateway
        self.numbers = numbers
        self.done = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('failed_all_auth', lambda _: self.done.set_exception(RuntimeError('auth failed')))

    async def start(self, _event):
        try:
            iq = self.make_iq_get(queryxmlns=NS, ito=self.gateway)
            res = await iq.send(timeout=10)
            q = res.xml.find(f'{{{NS}}}query')
            print(f"prompt: {q.findtext(f'{{{NS}}}prompt')}", flush=True)
            for n in self.numbers:
                iq = self.make_iq_set(ito=self.gateway)
                q = ET.Element(f'{{{NS}}}query')
                ET.SubElement(q, f'{{{NS}}}prompt').text = n
                iq.append(q)
                try:
                    res = await iq.send(timeout=10)
                    print(f"{n}: jid {res.xml.find(f'{{{NS}}}query').findtext(f'{{{NS}}}jid')}", flush=True)
                except IqError as e:
                    print(f"{n}: {e.iq['error']['condition']}", flush=True)
            self.done.set_result(True)
        except (IqError, IqTimeout) as e:
            self.done.set_exception(RuntimeError(f'iq failed: {e}'))
        finally:
            self.disconnect()


def main():
    args = parse_args('gateway', 'numbers')
    xmpp = Client(args.jid, args.password, args.gateway, args.numbers.split(','))
    connect(xmpp, args)
    asyncio.get_event_loop().run_until_complete(xmpp.disconnected)
    exit(0 if xmpp.done.done() and not xmpp.done.exception() else 1)


if __name__ == '__main__':
    main()

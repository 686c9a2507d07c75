"""An independent client for interop tests: slixmpp lists the server's ad-hoc commands (XEP-0050
§2.2), runs the privacy settings command, and submits the form it got back with 'messages' and
'refused' changed (every other field as the server filled it in). Exit code 0 only if the command
completed."""
import asyncio
import sys

import slixmpp

from slix_common import Outcome, parse_args, run

NODE = 'urn:x-tern:privacy:0#settings'


class Runner(slixmpp.ClientXMPP):
    def __init__(self, jid, password, messages, refused):
        super().__init__(jid, password)
        self.choice = {'messages': messages, 'refused': refused}
        for p in ('xep_0030', 'xep_0004', 'xep_0050'):
            self.register_plugin(p)
        self.outcome = Outcome()
        self.done = self.outcome.done
        self.finish = self.outcome.finish
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('failed_all_auth', lambda _: self.finish(RuntimeError('auth failed')))

    async def start(self, _event):
        try:
            server = self.boundjid.domain
            items = await self['xep_0050'].get_commands(server)
            nodes = [i[1] for i in items['disco_items']['items']]
            print(f'commands: {nodes}', flush=True)
            first = await self['xep_0050'].send_command(server, NODE)
            cmd = first['command']
            print(f'status: {cmd["status"]}', flush=True)
            form = cmd['form']
            answer = self['xep_0004'].make_form(ftype='submit')
            for var, field in form.get_fields().items():
                answer.add_field(var=var, value=self.choice.get(var, field['value']))
            done = await self['xep_0050'].send_command(server, NODE, action='complete', payload=answer, sessionid=cmd['sessionid'])
            print(f'status: {done["command"]["status"]}', flush=True)
            self.finish()
        except Exception as e:  # noqa: BLE001 - any failure is a test failure
            self.finish(e)


async def main():
    a = parse_args('messages', 'refused')
    xmpp = Runner(a.jid, a.password, a.messages, a.refused)
    return await run(xmpp, a, lambda: asyncio.wait_for(xmpp.done, 15))


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))

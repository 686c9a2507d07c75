"""Interop for XEP-0198: slixmpp's stream management plugin enables resumption, gets a message,
loses its TCP connection without closing the stream, reconnects and resumes. The peer sends a
message while the connection is down; slixmpp must get it after resuming, and none twice."""
import asyncio
import sys

import slixmpp

from slix_common import connect, parse_args


class Resumer(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.peer = args.peer
        self.bodies = []
        self.resumed = asyncio.get_event_loop().create_future()
        self.done = asyncio.get_event_loop().create_future()
        self.register_plugin('xep_0198')
        self.plugin['xep_0198'].allow_resume = True
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('session_resumed', self.on_resumed)
        self.add_event_handler('sm_enabled', lambda e: print(f"enabled: resume={e['resume']}", flush=True))
        self.add_event_handler('message', self.on_message)

    async def start(self, _event):
        print('session started', flush=True)
        self.send_presence()
        self.send_message(mto=self.peer, mbody='ready', mtype='chat')

    def on_resumed(self, _event):
        print('resumed', flush=True)
        if not self.resumed.done():
            self.resumed.set_result(True)

    def on_message(self, msg):
        if msg['type'] not in ('chat', 'normal') or not msg['body']:
            return
        body = msg['body']
        self.bodies.append(body)
        print(f'got: {body}', flush=True)
        if body == 'before-drop':
            # The radio dies: no </stream:stream>, just the TCP connection gone.
            print('dropping', flush=True)
            self.transport.abort()
        if body == 'last':
            self.send_message(mto=self.peer, mbody='bodies: ' + ','.join(self.bodies), mtype='chat')
            if not self.done.done():
                self.done.set_result(True)


async def main():
    a = parse_args('peer')
    xmpp = Resumer(a)

    def on_disconnected(_event):
        if not xmpp.resumed.done():
            print('reconnecting', flush=True)
            connect(xmpp, a)

    xmpp.add_event_handler('disconnected', on_disconnected)
    connect(xmpp, a)
    try:
        await asyncio.wait_for(xmpp.resumed, 20)
        await asyncio.wait_for(xmpp.done, 20)
    except Exception as e:  # noqa: BLE001 - any failure is a test failure, reported on stderr
        print(f'failed: {e!r}', file=sys.stderr)
        return 1
    await asyncio.sleep(0.5)
    xmpp.disconnect()
    await asyncio.sleep(0.2)
    return 0


if __name__ == '__main__':
    sys.exit(asyncio.run(main()))

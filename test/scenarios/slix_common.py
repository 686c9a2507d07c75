"""What every slixmpp test script shares: its command line and how it connects to the test server
(STARTTLS to 127.0.0.1 with the test CA trusted, the JID's domain used for certificate checks)."""
import argparse
import asyncio
import logging
import os
import sys


def parse_args(*extra):
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--ca', required=True)
    ap.add_argument('--jid', required=True)
    ap.add_argument('--password', required=True)
    for name in extra:
        ap.add_argument(f'--{name}', required=True)
    args = ap.parse_args()
    logging.basicConfig(level=getattr(logging, os.environ.get('SLIX_LOG', 'WARNING')))
    return args


def connect(xmpp, args):
    xmpp.ca_certs = args.ca
    xmpp.connect(('127.0.0.1', args.port))


async def run(xmpp, args, body):
    """Connects `xmpp` and awaits `body()`. Any exception is the script's failure: reported on
    stderr as 'failed: ...', exit status 1. Otherwise disconnects and lets the close go out."""
    connect(xmpp, args)
    try:
        await body()
    except Exception as e:  # noqa: BLE001 - any failure is a test failure, reported on stderr
        print(f'failed: {e!r}', file=sys.stderr)
        return 1
    xmpp.disconnect()
    await asyncio.sleep(0.2)
    return 0


class Outcome:
    """One result per script run: finish() once, with an error or without; later calls are ignored."""

    def __init__(self):
        self.done = asyncio.get_event_loop().create_future()

    def finish(self, err=None):
        if self.done.done():
            return
        if err:
            self.done.set_exception(err)
        else:
            self.done.set_result(True)

"""One WSI SOAP call with Debian's python3-zeep, an independent SOAP client built from the WSDL the
server serves. Prints one JSON line: {"ok": <the response as plain data>} or {"fault": {...}} with
the faultcode, faultstring, the <detail> reason and field, and the HTTP status.

  zeep_wsi.py --wsdl URL --ca FILE [--token T | --user U --password P] --op GetMessages --args '{"max": 1}'
"""
import argparse
import json
import sys

import requests
from lxml import etree
from zeep import Client, helpers
from zeep.exceptions import Fault
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

NS = 'urn:tern:wsi:soap:0'

ap = argparse.ArgumentParser()
ap.add_argument('--wsdl', required=True)
ap.add_argument('--ca', required=True)
ap.add_argument('--token')
ap.add_argument('--user')
ap.add_argument('--password')
ap.add_argument('--op', required=True)
ap.add_argument('--args', default='{}')
a = ap.parse_args()

session = requests.Session()
session.verify = a.ca
# Else REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE from the environment would win over session.verify; loopback needs no proxy.
session.trust_env = False
if a.token:
    session.headers['Authorization'] = f'Bearer {a.token}'
statuses = []
session.hooks['response'].append(lambda r, *_, **__: statuses.append(r.status_code))
wsse = UsernameToken(a.user, a.password) if a.user else None
client = Client(a.wsdl, transport=Transport(session=session), wsse=wsse)


def plain(x):
    if isinstance(x, (list, tuple)):
        return [plain(i) for i in x]
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items() if v is not None}
    if hasattr(x, 'isoformat'):
        return x.isoformat()
    return x


try:
    result = plain(helpers.serialize_object(getattr(client.service, a.op)(**json.loads(a.args)), dict))
    # zeep unwraps a response element with a single child (SendMessagesResponse: its results).
    if isinstance(result, list):
        result = {'result': result}
    print(json.dumps({'ok': result, 'status': statuses[-1]}))
except Fault as f:
    detail = f.detail
    err = detail.find(f'{{{NS}}}error') if detail is not None else None
    print(json.dumps({'fault': {
        'code': f.code, 'string': f.message, 'status': statuses[-1],
        'reason': err.findtext(f'{{{NS}}}reason') if err is not None else None,
        'field': err.findtext(f'{{{NS}}}field') if err is not None else None,
    }}))
sys.stdout.flush()

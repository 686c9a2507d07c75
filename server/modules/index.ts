/** Every module the server loads on each host, in no particular order (the loader sorts by `depends`). */
import type { ModuleDefinition } from '../core/module.js';
import accounts from './accounts/index.js';
import adhoc from './adhoc/index.js';
import aliases from './aliases/index.js';
import amp from './amp/index.js';
import anonymous from './anonymous/index.js';
import blocking from './blocking/index.js';
import bookmarks from './bookmarks/index.js';
import caps from './caps/index.js';
import carbons from './carbons/index.js';
import csi from './csi/index.js';
import disco from './disco/index.js';
import fast from './fast/index.js';
import last from './last/index.js';
import mam from './mam/index.js';
import message from './message/index.js';
import msisdn from './msisdn/index.js';
import multicast from './multicast/index.js';
import muc from './muc/index.js';
import offline from './offline/index.js';
import pep from './pep/index.js';
import ping from './ping/index.js';
import presence from './presence/index.js';
import privacy from './privacy/index.js';
import privateStorage from './private/index.js';
import push from './push/index.js';
import register from './register/index.js';
import roster from './roster/index.js';
import search from './search/index.js';
import sipGateway from './sip-gateway/index.js';
import time from './time/index.js';
import upload from './upload/index.js';
import vcard from './vcard/index.js';
import version from './version/index.js';
import wsi from './wsi/index.js';

export const allModules: readonly ModuleDefinition<any, any>[] = [
  accounts, fast, anonymous, adhoc, amp, register, roster, presence, blocking, privacy, message, offline, carbons, mam, push, csi, disco, caps,
  pep, privateStorage, bookmarks, vcard, search, aliases, upload, msisdn, sipGateway, multicast, muc, ping, version, time, last, wsi,
];

-- Prosody 0.12 for Tern's comparison benchmark (bench/servers.ts starts it; loopback only).
-- Settings after ../shared/bench/prosody (xmppbench): no TLS, plaintext password storage so login
-- cost is protocol cost, file storage, backlog 1024, offline storage on, MAM/carbons/SM off.
local run = os.getenv("TERN_BENCH_RUN") or error("set TERN_BENCH_RUN (bench/servers.ts does)")
local port = tonumber(os.getenv("TERN_BENCH_PORT") or "16222")

run_as_root = true
daemonize = false
pidfile = run .. "/prosody.pid"
data_path = run .. "/data"
log = { warn = run .. "/prosody.log" }
network_backend = "epoll"
-- TCP_NODELAY as ejabberd and Tern set it; Prosody's default (Nagle on) stalls request/response
-- traffic by 40 ms (see ../shared/bench/README.md).
network_settings = { tcp_backlog = 1024; nagle = os.getenv("TERN_BENCH_NAGLE") == "1" }

interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { port }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
s2s_direct_tls_ports = { }
http_ports = { }
https_ports = { }
component_ports = { }

c2s_require_encryption = false
s2s_require_encryption = false
s2s_secure_auth = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "internal"
allow_registration = true
c2s_stanza_size_limit = 262144

modules_enabled = { "roster"; "saslauth"; "disco"; "ping"; "register"; "offline"; "posix"; }
modules_disabled = { "tls"; "bosh"; "websocket"; "carbons"; "pep"; "vcard_legacy"; "smacks"; "mam"; "csi_simple" }
statistics = nil

VirtualHost "bench.local"

Component "conference.bench.local" "muc"
	muc_room_locking = false
	muc_room_default_history_length = 0
	restrict_room_creation = false
	max_history_messages = 0

-- Copied from the shared test peers (/work/shared/peers/prosody/), used only by s2s tests.
-- mod_s2s_static_route: static outgoing s2s routes for Prosody 0.12 (no DNS needed).
-- Config:  s2s_static_routes = { ["b.test"] = { "127.0.0.1", 36269 } }
-- Wraps net.resolvers.service.new (which mod_s2s calls per new outgoing connection)
-- so that configured domains resolve to a fixed IP/port; other domains are untouched.
module:set_global();
local service = require "net.resolvers.service";
local basic = require "net.resolvers.basic";
local routes = module:get_option("s2s_static_routes", {});

local none_mt = { __index = { next = function(_, cb) cb(nil); end } };

if not service._static_route_orig then
	service._static_route_orig = service.new;
end
local orig_new = service._static_route_orig;

service.new = function(hostname, service_name, conn_type, extra)
	local route = routes[hostname];
	if route then
		if service_name == "xmpp-server" then
			module:log("debug", "static s2s route for %s -> %s:%d", hostname, route[1], route[2]);
			return basic.new(route[1], route[2], conn_type, extra);
		elseif service_name == "xmpps-server" then
			return setmetatable({}, none_mt); -- no direct TLS for static routes
		end
	end
	return orig_new(hostname, service_name, conn_type, extra);
end

function module.unload()
	service.new = orig_new;
end

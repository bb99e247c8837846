"""Every tool of the catalogue, called through the official Python MCP SDK against the demo
(`--emulator VERSION`, the emulator's model of HAProxy), each effect read back with the matching
read tool, and bad input answered with HAProxy's own refusal for that version.

Usage: demo_every_tool.py <server-binary> <version>. Prints one line per tool and exits non-zero
on the first failure. tests/e2e_python.rs runs it for every bundled version.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

# The demo's target is the emulated master CLI: every tool, reload included, takes effect.

# The recorded certificates (fixtures/tls, served by the capture's configuration).
TLS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "tls")
SITE = "/usr/local/etc/haproxy/tls/site.pem"
API = "/usr/local/etc/haproxy/tls/api.pem"
CRT_LIST = "/usr/local/etc/haproxy/tls/crt-list.txt"


def version_tuple(v):
    return tuple(int(x) for x in v.split("."))


async def main(binary, version):
    params = StdioServerParameters(
        command=binary, args=["--emulator", version, "--log-level", "warn",
                              "--certificates-dir", TLS_DIR]
    )
    called = set()
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            listed = {t.name for t in (await s.list_tools()).tools}

            async def call(name, **args):
                called.add(name)
                res = await s.call_tool(name, args)
                text = res.content[0].text if res.content else ""
                return res, text

            async def ok(name, **args):
                res, text = await call(name, **args)
                assert not res.is_error, f"{version} {name} {args} failed: {text}"
                print(f"ok   {name}: {text.splitlines()[0][:110]}")
                return res.structured_content or {}

            async def err(name, expect, **args):
                res, text = await call(name, **args)
                assert res.is_error, f"{version} {name} {args} should have failed: {text}"
                assert expect in text, f"{version} {name}: expected {expect!r} in: {text}"
                print(f"err  {name}: {text.splitlines()[0][:110]}")
                return text

            def server(listing, name):
                return next(x for x in listing["servers"] if x["name"] == name)

            # ---- reads -------------------------------------------------------------------
            for name in ["health_summary", "show_activity", "show_info", "show_stat",
                         "list_acls", "list_backends", "list_frontends", "list_maps",
                         "list_servers", "list_tables", "show_servers_conn",
                         "show_servers_state", "show_errors", "help", "list_targets"]:
                await ok(name)
            await ok("get_backend", backend="be_app")
            out = await ok("echo", text="hello from the demo")
            if version_tuple(version) >= (3, 1):
                assert "hello from the demo" in json.dumps(out), out
            else:
                # No `echo` before 3.1: the tool measures a `show version` instead.
                assert out["method"] != "echo", out
            info = await ok("show_info")
            maps = await ok("list_maps")
            map_id = maps["items"][0]["reference"]

            # ---- servers -------------------------------------------------------------------
            await ok("set_weight", backend="be_app", server="app1", weight=7)
            got = await ok("get_server", backend="be_app", server="app1")
            assert got["server"]["weight"] == 7, got
            # The same change as a rollout over every target (the demo has one).
            rolled = await ok("rolling_change", target="*", tool="set_weight",
                              arguments={"backend": "be_app", "server": "app1", "weight": 8})
            assert [c["target"] for c in rolled["changed"]] == ["emulated"], rolled
            got = await ok("get_server", backend="be_app", server="app1")
            assert got["server"]["weight"] == 8, got
            await ok("set_weight", backend="be_app", server="app1", weight=7)
            preview = await ok("preview_reload")
            assert any(d.startswith("server be_app/app1: weight 7, configured")
                       for d in preview["drops"]), preview
            await err("set_weight", "only accepts weights '0%' and '100%'",
                      backend="be_static", server="static1", weight=50)
            await ok("set_server_state", backend="be_app", server="app1", state="drain")
            got = await ok("get_server", backend="be_app", server="app1")
            assert got["server"]["status"] == "DRAIN", got
            await ok("set_server_state", backend="be_app", server="app1", state="ready")
            await ok("disable_server", backend="be_app", server="app1")
            assert server(await ok("list_servers", backend="be_app"), "app1")["state"] == "maint"
            await ok("enable_server", backend="be_app", server="app1")
            assert server(await ok("list_servers", backend="be_app"), "app1")["state"] == "up"
            out = await ok("drain_server", backend="be_app", server="app2", timeout_secs=10)
            assert out["drained"] is True, out
            await ok("set_server_state", backend="be_app", server="app2", state="ready")
            await ok("add_server", backend="be_app", server="canary", address="192.0.2.10",
                     port=9000, weight=3)
            canary = server(await ok("list_servers", backend="be_app"), "canary")
            assert canary["state"] == "up" and canary["weight"] == 3, canary
            await err("add_server", "No such backend", backend="be_nope", server="x",
                      address="192.0.2.11", port=9000)
            await ok("set_server_addr", backend="be_app", server="canary",
                     address="192.0.2.12", port=9001)
            got = await ok("get_server", backend="be_app", server="canary")
            assert got["server"]["address"] == "192.0.2.12", got
            await ok("set_maxconn_server", backend="be_app", server="canary", maxconn=50)
            rows = (await ok("show_stat", proxy="be_app", fields=["svname", "slim"],
                             limit=50))["rows"]
            assert any(r["svname"] == "canary" and r["slim"] == 50 for r in rows), rows
            await err("del_server", "Only servers in maintenance mode can be deleted",
                      backend="be_app", server="canary")
            await ok("del_server", backend="be_app", server="canary", drain_first=True,
                     timeout_secs=10)
            assert all(x["name"] != "canary"
                       for x in (await ok("list_servers", backend="be_app"))["servers"])
            await ok("set_maxconn_frontend", frontend="fe_main", maxconn=321)
            fe = (await ok("list_frontends"))["frontends"]
            assert any(f["name"] == "fe_main" and f["session_limit"] == 321 for f in fe), fe
            await ok("set_maxconn_global", maxconn=777)
            assert (await ok("show_info"))["fields"]["Maxconn"] == 777
            await err("set_maxconn_global", "Value out of range",
                      maxconn=info["fields"]["Hard_maxconn"] + 1)

            # ---- health and agents --------------------------------------------------------
            await ok("disable_health", backend="be_app", server="app1")
            got = await ok("get_server", backend="be_app", server="app1")
            assert got["server"]["checks_enabled"] is False, got
            await ok("enable_health", backend="be_app", server="app1")
            await ok("set_server_check_port", backend="be_app", server="app1", port=8099)
            got = await ok("get_server", backend="be_app", server="app1")
            assert got["details"]["check_port"] == 8099, got
            if version_tuple(version) >= (3, 4):
                # HAProxy 3.4 refuses every check-addr (recorded from 3.4.7); the tool says so.
                await err("set_server_check_port", "refuses every address for check-addr",
                          backend="be_app", server="app1", address="127.0.0.1")
            else:
                await ok("set_server_check_port", backend="be_app", server="app1",
                         address="127.0.0.1", port=8098)
                got = await ok("get_server", backend="be_app", server="app1")
                assert (got["details"]["check_addr"], got["details"]["check_port"]) == \
                    ("127.0.0.1", 8098), got
            await ok("set_server_check_port", backend="be_api", server="api1", agent=True,
                     address="127.0.0.1", port=9777)
            got = await ok("get_server", backend="be_api", server="api1")
            assert (got["details"]["agent_addr"], got["details"]["agent_port"]) == \
                ("127.0.0.1", 9777), got
            await err("set_server_check_port", "agent checks are not enabled on this server",
                      backend="be_app", server="app1", agent=True, port=9777)
            out = await ok("set_server_addr", backend="be_dns", server="dns1",
                           fqdn="other.svc.test")
            assert "changed its FQDN from app.svc.test to other.svc.test" in out["haproxy_says"], out
            got = await ok("get_server", backend="be_dns", server="dns1")
            assert got["details"]["fqdn"] == "other.svc.test", got
            await err("set_server_addr", "no resolution is configured",
                      backend="be_app", server="app1", fqdn="app.svc.test")
            await ok("set_server_health", backend="be_api", server="api2", state="down")
            got = await ok("get_server", backend="be_api", server="api2")
            assert got["server"]["state"] == "down", got
            await ok("set_server_health", backend="be_api", server="api2", state="up")
            await ok("disable_agent", backend="be_api", server="api1")
            got = await ok("get_server", backend="be_api", server="api1")
            assert got["details"]["agent_enabled"] is False, got
            await ok("enable_agent", backend="be_api", server="api1")
            await ok("set_server_agent", backend="be_api", server="api1", state="up")
            await ok("set_agent_send", backend="be_api", server="api1", text="ready")
            await err("enable_agent", "Agent was not configured", backend="be_app", server="app1")

            # ---- maps and ACLs ------------------------------------------------------------
            await ok("add_map_entry", map=map_id, key="demo.example.net", value="be_api")
            assert (await ok("get_map", map=map_id, value="demo.example.net"))["value"] == "be_api"
            await ok("set_map_entry", map=map_id, key="demo.example.net", value="be_static")
            entries = (await ok("show_map", map=map_id))["entries"]
            assert {"demo.example.net": "be_static"}.items() <= {e["key"]: e["value"] for e in entries}.items(), entries
            await ok("del_map_entry", map=map_id, key="demo.example.net")
            await err("del_map_entry", "Key not found", map=map_id, key="demo.example.net")
            await ok("replace_map", map=map_id, entries=[{"key": "a.example.net", "value": "be_app"}])
            assert [e["key"] for e in (await ok("show_map", map=map_id))["entries"]] == ["a.example.net"]
            await ok("clear_map", map=map_id)
            assert (await ok("show_map", map=map_id))["entries"] == []
            await ok("add_acl_entry", acl="#0", pattern="198.18.9.9")
            assert (await ok("get_acl", acl="#0", value="198.18.9.9"))["matched"] is True
            await err("add_acl_entry", "is not a valid IPv4 or IPv6 address", acl="#0", pattern="notanip")
            await ok("del_acl_entry", acl="#0", pattern="198.18.9.9")
            await ok("replace_acl", acl="#0", patterns=["198.18.0.0/16"])
            patterns = [p["pattern"] for p in (await ok("show_acl", acl="#0"))["patterns"]]
            assert patterns == ["198.18.0.0/16"], patterns
            await ok("clear_acl", acl="#0")

            # ---- stick tables -------------------------------------------------------------
            await ok("set_table_entry", table="st_clients", key="198.18.7.7",
                     data=[{"data_type": "gpc0", "value": 9}])
            rows = (await ok("show_table", table="st_clients", key="198.18.7.7"))["entries"]
            assert rows and rows[0]["data"]["gpc0"] == 9, rows
            await ok("clear_table", table="st_clients", key="198.18.7.7")
            assert not (await ok("show_table", table="st_clients", key="198.18.7.7"))["entries"]

            # ---- sessions -----------------------------------------------------------------
            sessions = (await ok("show_sessions"))["sessions"]
            victim = sessions[0]["id"]
            await ok("show_session", id=victim)
            await ok("shutdown_session", id=victim)
            assert victim not in [x["id"] for x in (await ok("show_sessions"))["sessions"]]
            await err("shutdown_session", "No such session", id="0xdeadbeef")
            await ok("shutdown_server_sessions", backend="be_tcp", server="tcp1")
            left = (await ok("show_sessions"))["sessions"]
            assert all(x.get("backend") != "be_tcp" for x in left), left
            await ok("clear_counters")

            # ---- runtime backends (3.4; before, each tool names the version it needs) -------
            backend_tools = [("add_backend", {"backend": "be_new", "from": "web"}),
                             ("publish_backend", {"backend": "be_new"}),
                             ("unpublish_backend", {"backend": "be_new"}),
                             ("del_backend", {"backend": "be_new"})]
            if version_tuple(version) >= (3, 4):
                out = await ok("add_backend", backend="be_new", **{"from": "web"})
                assert out["status_after"] == "UP (UNPUB)", out
                await err("add_backend", "Cannot find default proxy", backend="be_x",
                          **{"from": "nosuch"})
                await ok("add_server", backend="be_new", server="s1", address="192.0.2.20",
                         port=80, check=False)
                assert server(await ok("list_servers", backend="be_new"), "s1")
                out = await ok("publish_backend", backend="be_new")
                assert out["status_after"] == "UP", out
                await err("del_backend", "must be unpublished", backend="be_new")
                await ok("unpublish_backend", backend="be_new")
                # its only server: the last-UP rail refuses without force
                await ok("del_server", backend="be_new", server="s1", drain_first=True,
                         force=True, timeout_secs=10)
                await ok("del_backend", backend="be_new")
                assert "be_new" not in [b["name"] for b in (await ok("list_backends"))["backends"]]
            else:
                for name, args in backend_tools:
                    await err(name, "needs HAProxy 3.4 or later", **args)

            # ---- frontends, rate limits, resolvers, peers, processes -------------------------
            out = await ok("set_frontend_state", frontend="fe_tcp", state="paused")
            assert (out["status_before"], out["status_after"]) == ("OPEN", "PAUSED"), out
            fes = (await ok("list_frontends"))["frontends"]
            assert [f["status"] for f in fes if f["name"] == "fe_tcp"] == ["PAUSED"], fes
            await ok("set_frontend_state", frontend="fe_tcp", state="open")
            await err("set_frontend_state", "cannot be undone", frontend="fe_tcp",
                      state="stopped")
            out = await ok("set_rate_limit", limit="connections", value=100)
            assert (out["before"], out["after"]) == (0, 100), out
            await ok("set_rate_limit", limit="connections", value=0)
            await err("set_rate_limit", "at most", limit="http_compression", value=3000000)
            # Dynamic cookies: the model computes each server's as HAProxy does (XXH64 of the
            # key from the certificates folder, the address and the port).
            out = await ok("set_dynamic_cookies", backend="be_app", key_file="cookie.key",
                           enabled=True)
            after = [s.get("after") for s in out["servers"]]
            assert after and all(c and len(c) == 16 for c in after), out
            assert len(set(after)) == 2, out  # app4 alone has another port
            assert "demo-dynamic-cookie-key" not in json.dumps(out), out
            out = await ok("set_dynamic_cookies", backend="be_app", enabled=False)
            assert all("after" not in s for s in out["servers"]), out
            out = await ok("show_resolvers")
            assert "localdns" in [s["name"] for s in out["sections"]], out
            out = await ok("show_peers")
            assert out["sections"][0]["name"] == "mesh", out
            # The demo's target is the master CLI: the master, its one worker, no reload yet.
            out = await ok("show_processes")
            assert out["master"]["reloads"] == 0 and len(out["workers"]) == 1, out
            assert not out["old_workers"] and "note" not in out, out

            # ---- certificates (read as recorded) -------------------------------------------
            certs = await ok("list_certificates", limit=50)
            names = [c["name"] for c in certs["certificates"]]
            assert SITE in names, names
            days = [c["days_left"] for c in certs["certificates"]]
            assert days == sorted(days) and days[0] < 0, f"soonest expiry first, expired one: {days}"
            soon = await ok("list_certificates", expiring_within_days=0)
            # old.pem expired before the capture; the others expire later (or, as the
            # calendar moves past the recorded notAfter dates, also count as expired).
            assert soon["certificates"] and all(c["days_left"] <= 0 for c in soon["certificates"])
            assert any(c["name"].endswith("/old.pem") for c in soon["certificates"]), soon
            site_before = next(c for c in certs["certificates"] if c["name"] == SITE)
            health = await ok("health_summary")
            assert any("/old.pem" in p and "expired" in p for p in health["certificates"]), health

            # ---- OCSP stapling: site.pem's response as HAProxy recorded it; a response for
            # another certificate refused before anything is sent; a response HAProxy would take
            # is not executed by the model (it cannot decode OCSP), which says so --------------
            stapled = site_before["ocsp"]
            assert stapled["cert_status"] == "good" and stapled["next_update"], site_before
            await err("refresh_ocsp_response", "is not a response for", certificate=SITE,
                      file="api.ocsp.b64")
            await err("refresh_ocsp_response", "no stapled OCSP response", certificate=API,
                      file="site-good.ocsp")
            await err("refresh_ocsp_response", "emulator:", certificate=SITE,
                      file="site-revoked.ocsp")
            if version_tuple(version) < (2, 8):
                await err("refresh_ocsp_response", "needs HAProxy 2.8", certificate=SITE)
            after = await ok("list_certificates", certificate=SITE)
            assert after["certificates"][0]["ocsp"] == stapled, after

            # ---- ACME: the demo renews nothing through ACME (3.2+), and before 3.2 HAProxy has
            # no ACME client; both refused before anything is sent ---------------------------
            if version_tuple(version) < (3, 2):
                await err("renew_acme_certificate", "needs HAProxy 3.2", certificate=SITE)
            else:
                await err("renew_acme_certificate", "not renewed through ACME", certificate=SITE)

            # ---- certificates changed on the model -----------------------------------------
            # A key that is not the certificate's: HAProxy refuses the commit, nothing changes.
            res, text = await call("rotate_certificate", certificate=SITE, file="wrong-key.pem")
            assert res.is_error and "inconsistencies between private key and certificate" in text, text
            print(f"err  rotate_certificate: {text.splitlines()[0][:110]}")
            after = await ok("list_certificates", certificate=SITE)
            assert after["certificates"][0]["serial"] == site_before["serial"], after
            out = await ok("rotate_certificate", certificate=SITE, file="site-next.pem")
            assert out["after"]["serial"] != out["before"]["serial"], out
            after = await ok("list_certificates", certificate=SITE)
            assert after["certificates"][0]["serial"] == out["after"]["serial"], after
            new = "/usr/local/etc/haproxy/tls/new.pem"
            out = await ok("add_certificate", certificate=new, file="new.pem", crt_list=CRT_LIST,
                           sni=["new.example.test"], options="alpn h2")
            assert "new.example.test" in out["crt_list_line"], out
            listed_now = await ok("list_certificates", limit=50)
            added = [c for c in listed_now["certificates"] if c["name"] == new]
            assert added and added[0]["crt_lists"], listed_now
            await err("add_certificate", "already holds a certificate", certificate=new, file="new.pem",
                      crt_list=CRT_LIST, sni=["new.example.test"])
            out = await ok("remove_certificate", certificate=API)
            assert out["removed_lines"], out
            left = await ok("list_certificates", limit=50)
            assert API not in [c["name"] for c in left["certificates"]], left
            await err("remove_certificate", "default certificate", certificate=SITE)

            # CA and CRL files (the same authority and list again: a rotation read back).
            out = await ok("rotate_certificate", certificate="/usr/local/etc/haproxy/tls/ca.pem",
                           file="ca.pem")
            assert out["after"]["subject"], out
            out = await ok("rotate_certificate", certificate="/usr/local/etc/haproxy/tls/crl.pem",
                           file="crl.pem")
            assert out["after"]["subject"], out
            # New CA and CRL files, made and deleted again; a file a bind uses stays.
            for name, file in (("clients-ca.pem", "ca.pem"), ("clients-crl.pem", "crl.pem")):
                path = "/usr/local/etc/haproxy/tls/" + name
                out = await ok("rotate_certificate", certificate=path, file=file, create=True)
                assert out["after"]["subject"], out
                inventory = await ok("list_certificates", limit=50)
                assert path in json.dumps(inventory), inventory
                await ok("remove_certificate", certificate=path)
                inventory = await ok("list_certificates", limit=50)
                assert path not in json.dumps(inventory), inventory
            await err("remove_certificate", "in use",
                      certificate="/usr/local/etc/haproxy/tls/ca.pem")

            # ---- the master CLI: a reload drops the runtime changes ---------------------------
            got = await ok("get_server", backend="be_app", server="app1")
            assert got["server"]["weight"] == 7, got
            before = (await ok("show_processes"))["workers"][0]["pid"]
            out = await ok("reload")
            assert out["success"] and out["new_workers"] and before not in out["new_workers"], out
            assert any(d.startswith("server be_app/app1: weight 7") for d in out["dropped"]), out
            got = await ok("get_server", backend="be_app", server="app1")
            assert got["server"]["weight"] != 7, f"the reload kept a runtime weight: {got}"
            after = await ok("show_processes")
            assert after["master"]["reloads"] == 1, after
            assert [w["pid"] for w in after["workers"]] == out["new_workers"], (after, out)

    missing = listed - called
    assert not missing, f"{version}: tools never called: {sorted(missing)}"
    print(f"{version}: all {len(listed)} tools called")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

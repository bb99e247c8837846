"""The eleven everyday jobs of issue 13, done through the official Python MCP SDK against the
built binary (stdio, master CLI mode) on a live HAProxy that tests/e2e_python.rs started, and
every answer checked against HAProxy itself: raw Runtime API replies on its admin socket and
master CLI, TLS handshakes (the certificate a client is served), HTTP responses.

Usage: operator_jobs.py <server-binary> <spec-json>. The spec gives the version, the admin and
master CLI ports, the HTTPS ports and the folders (see the Rust test). Prints one line per job
and exits non-zero on the first failure.
"""

import asyncio
import json
import os
import socket
import ssl
import subprocess
import sys
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def raw(port, command):
    """One command on a HAProxy CLI socket (admin socket or master CLI), its whole reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((command + "\n").encode())
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks).decode(errors="replace")


def stat_rows(port, proxy=None):
    """`show stat` as dicts, HAProxy's own CSV."""
    reply = raw(port, f"show stat {proxy} -1 -1" if proxy else "show stat")
    lines = [l for l in reply.splitlines() if l.strip()]
    header = lines[0].lstrip("# ").split(",")
    return [dict(zip(header, l.split(","))) for l in lines[1:]]


def stat_row(port, proxy, name):
    return next(r for r in stat_rows(port, proxy) if r["svname"] == name)


def https(port, sni, path="/", headers=None):
    """An HTTPS request with SNI `sni`: (status, notAfter of the certificate served)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with ctx.wrap_socket(sock, server_hostname=sni) as tls:
            der = tls.getpeercert(binary_form=True)
            head = {"Host": sni, "Connection": "close", **(headers or {})}
            req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items())
            tls.sendall((req + "\r\n").encode())
            data = b""
            while True:
                b = tls.recv(65536)
                if not b:
                    break
                data += b
    status = int(data.split(b" ", 2)[1])
    return status, not_after_of_pem(ssl.DER_cert_to_PEM_cert(der))


def not_after_of_pem(pem):
    out = subprocess.run(["openssl", "x509", "-noout", "-enddate"], input=pem.encode(),
                         capture_output=True, check=True)
    return out.stdout.decode().strip().removeprefix("notAfter=")


def pids(show_proc):
    """The process ids `show proc` lists (its lines that start with one)."""
    return {int(l.split()[0]) for l in show_proc.splitlines() if l[:1].isdigit()}


def eventually(what, check, seconds=20):
    deadline = time.time() + seconds
    while True:
        try:
            value = check()
            if value:
                return value
        except (AssertionError, StopIteration, KeyError):
            pass
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.25)


async def main(binary, spec):
    v = spec["version"]
    admin, master = spec["admin_port"], spec["master_port"]
    conf, certs = spec["conf_dir"], spec["certs_dir"]
    params = StdioServerParameters(command=binary, args=[
        "--runtime-mode", "master", "--haproxy-host", "127.0.0.1",
        "--haproxy-port", str(master), "--certificates-dir", certs, "--log-level", "warn"])
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()

            async def call(name, **args):
                res = await s.call_tool(name, args)
                text = res.content[0].text if res.content else ""
                assert not res.is_error, f"{v} {name} {args} failed: {text}"
                return res.structured_content or {}, text

            def done(job, text):
                print(f"job {job:>2} ok: {text.splitlines()[0][:150]}")

            # The health checks, the resolvers and the peer have had time to say something.
            eventually("app1..app3 UP and dead DOWN", lambda: [
                stat_row(admin, "be_app", n)["status"] for n in ["app1", "app2", "app3", "dead"]
            ] == ["UP", "UP", "UP", "DOWN"])

            # 1. Health overview: servers, certificates, peers, resolvers in one call.
            for _ in range(80):
                health, text = await call("health_summary")
                if any("dns2" in p for p in health["dns_and_peers"]) and \
                        any("hap2" in p for p in health["dns_and_peers"]):
                    break
                await asyncio.sleep(0.25)
            be_app = next(b for b in health["backends"] if b["name"] == "be_app")
            assert [i["server"] for i in be_app["not_serving"]] == ["dead"], be_app
            assert stat_row(admin, "be_app", "dead")["status"] == "DOWN"
            problems = health["certificates"]
            assert len(problems) == 3 and "old.pem" in problems[0] and "expired" in problems[0], problems
            assert "api.pem" in problems[1] and "expires in 9 days" in problems[1], problems
            assert "site.pem" in problems[2] and "expires in 24 days" in problems[2], problems
            dnp = " ".join(health["dns_and_peers"])
            assert "localdns/dns2" in dnp and "mesh/hap2" in dnp, health["dns_and_peers"]
            assert "hap2" in raw(admin, "show peers") and "last_status=ESTA" not in raw(admin, "show peers")
            assert "(list_certificates)" in text and "(show_resolvers, show_peers)" in text, text
            done(1, text)

            # 2. Certificates expiring within 30 days, with their frontends and SNIs.
            out, text = await call("list_certificates", expiring_within_days=30)
            names = [c["name"] for c in out["certificates"]]
            assert names == [f"{conf}/old.pem", f"{conf}/api.pem", f"{conf}/site.pem"], names
            for c in out["certificates"]:
                mine = raw(admin, f"show ssl cert {c['name']}")
                assert f"notAfter: {c['not_after']}" in mine, (c, mine)
            site = out["certificates"][2]
            assert site["crt_lists"][0]["snis"] == ["www.example.test", "example.test"], site
            assert out["certificates"][0]["crt_lists"][0]["excluded_snis"] == ["*.internal"], out
            # `show ssl sni` (where this version has it) says which frontend serves what: api.pem
            # is in fe_https's crt-list and fe_api's `crt`.
            if raw(admin, "show ssl sni").startswith("#"):
                assert site["frontends"] == ["fe_https"], site
                assert out["certificates"][1]["frontends"] == ["fe_https", "fe_api"], out
            else:
                assert out["frontends_known"] is False, out
            done(2, text)

            # 3. Rotate a certificate without a reload: a TLS client is served the new one.
            _, before = https(spec["https_port"], "www.example.test")
            with open(os.path.join(certs, "site-next.pem")) as f:
                next_after = not_after_of_pem(f.read())
            out, text = await call("rotate_certificate", certificate=f"{conf}/site.pem",
                                   file="site-next.pem")
            status, served = https(spec["https_port"], "www.example.test")
            assert status == 200 and served == next_after != before, (served, next_after, before)
            assert "# transaction" not in raw(admin, "show ssl cert")
            done(3, text)

            # 4. Drain -> maintenance -> back.
            out, text = await call("drain_server", backend="be_app", server="app1",
                                   timeout_secs=5)
            assert out["drained"] and out["state_now"] == "drain", out
            assert stat_row(admin, "be_app", "app1")["status"] == "DRAIN"
            await call("set_server_state", backend="be_app", server="app1", state="maint")
            assert stat_row(admin, "be_app", "app1")["status"] == "MAINT"
            out, text = await call("set_server_state", backend="be_app", server="app1",
                                   state="ready")
            eventually("app1 UP again", lambda: stat_row(admin, "be_app", "app1")["status"] == "UP")
            done(4, text)

            # 5. Add a server, canary weight, full weight.
            out, text = await call("add_server", backend="be_app", server="new1",
                                   address="127.0.0.1", port=spec["origin_port"],
                                   check=True, enable=True, weight=1)
            assert out["enabled"] and out["checks_enabled"], out
            eventually("new1 UP", lambda: stat_row(admin, "be_app", "new1")["status"] == "UP")
            await call("set_weight", backend="be_app", server="new1", weight=10)
            assert raw(admin, "get weight be_app/new1").startswith("10 (initial 1)")
            out, text = await call("set_weight", backend="be_app", server="new1", weight=100)
            assert raw(admin, "get weight be_app/new1").startswith("100 (initial 1)")
            assert out["after"] == {"current": 100, "initial": 1}, out
            done(5, text)

            # 6. Top talkers of the rate-limit table, then block the top one.
            for ip, n in [("198.51.100.7", 8), ("203.0.113.5", 3), ("192.0.2.1", 1)]:
                for _ in range(n):
                    assert https(spec["https_port"], "www.example.test",
                                 headers={"X-Forwarded-For": ip})[0] == 200
            out, text = await call("show_table", table="mesh/st_clients")
            keys = [e["key"] for e in out["entries"]]
            assert keys[:3] == ["198.51.100.7", "203.0.113.5", "192.0.2.1"], out
            table = raw(admin, "show table mesh/st_clients key 198.51.100.7")
            assert "http_req_cnt=8" in table, table
            assert out["entries"][0]["data"]["http_req_cnt"] == 8, out
            await call("add_acl_entry", acl=f"{conf}/blocklist.acl", pattern="198.51.100.7")
            assert https(spec["https_port"], "www.example.test",
                         headers={"X-Forwarded-For": "198.51.100.7"})[0] == 403
            assert https(spec["https_port"], "www.example.test",
                         headers={"X-Forwarded-For": "203.0.113.5"})[0] == 200
            done(6, text)

            # 7. Route a host by map, and know it does not survive a reload.
            stot = int(stat_row(admin, "be_api", "BACKEND")["stot"])
            out, text = await call("add_map_entry", map=f"{conf}/hosts.map",
                                   key="shop.example.test", value="be_api")
            assert "running HAProxy only" in text and "file on disk is unchanged" in text, text
            assert https(spec["https_port"], "shop.example.test")[0] == 200
            assert int(stat_row(admin, "be_api", "BACKEND")["stot"]) == stot + 1
            with open(os.path.join(spec["host_dir"], "hosts.map")) as f:
                assert "shop.example.test" not in f.read()
            done(7, text)

            # 8. Stop accepting traffic on a frontend; lower a global rate limit.
            out, text = await call("set_frontend_state", frontend="fe_api", state="paused")
            assert out["status_after"] == stat_row(admin, "fe_api", "FRONTEND")["status"], out
            assert out["status_after"] != "OPEN", out
            await call("set_frontend_state", frontend="fe_api", state="open")
            assert stat_row(admin, "fe_api", "FRONTEND")["status"] == "OPEN"
            out, text = await call("set_rate_limit", limit="connections", value=500)
            assert "ConnRateLimit: 500" in raw(admin, "show info"), out
            assert out["before"] == 0 and out["after"] == 500, out
            await call("set_rate_limit", limit="connections", value=out["before"])
            assert "ConnRateLimit: 0" in raw(admin, "show info")
            done(8, text)

            # 9. DNS resolvers and peers synchronisation.
            out, text = await call("show_resolvers")
            ns = {n["name"]: n for n in out["sections"][0]["nameservers"]}
            # dns1 answers (dnsmasq refuses the AAAA queries for a name it only has an A record
            # for, which HAProxy counts, so it may be `unreliable`); dns2 never does.
            assert ns["dns1"]["condition"] != "failing" and ns["dns1"]["valid"] > 0, ns
            assert ns["dns2"]["condition"] == "failing" and ns["dns2"]["valid"] == 0, ns
            dump = raw(admin, "show resolvers localdns").split(" nameserver dns2:")[1]
            counter = {k.strip(): int(n) for k, n in
                       (l.split(":") for l in dump.splitlines() if l.count(":") == 1)}
            assert counter["valid"] == 0 and counter["sent"] >= ns["dns2"]["sent"] > 0, (dump, ns)
            out2, text2 = await call("show_peers")
            hap2 = next(p for p in out2["sections"][0]["peers"] if p["name"] == "hap2")
            assert hap2["connected"] is False, hap2
            assert any("st_clients" in t["name"] for t in hap2["tables"]), hap2
            done(9, text + " / " + text2)

            # 10. Error rates and the slowest backends.
            for path in ["/", "/", "/fail", "/", "/fail"]:
                https(spec["https_port"], "www.example.test", path)
            for _ in range(3):
                https(spec["api_port"], "api.example.test")
            # Since start (window_secs=0), to compare with HAProxy's own counters; without it
            # the answer covers the interval since the previous health_summary call.
            health, _ = await call("health_summary", limit=10, window_secs=0)
            assert health["period"] == "since counters were last cleared", health["period"]
            be_app = next(b for b in health["backends"] if b["name"] == "be_app")
            row = stat_row(admin, "be_app", "BACKEND")
            answered = sum(int(row[k] or 0) for k in
                           ["hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"])
            assert be_app["http_5xx"] == int(row["hrsp_5xx"]) == 2, (be_app, row)
            assert abs(be_app["http_5xx_pct"] - 100 * 2 / answered) < 0.1, (be_app, answered)
            out, text = await call("list_backends")
            assert "Slowest" in text and text.split("Slowest")[1].split(":")[1].strip().startswith("be_api"), text
            be_api = next(b for b in out["backends"] if b["name"] == "be_api")
            assert be_api["avg_total_ms"] == int(stat_row(admin, "be_api", "BACKEND")["ttime"]), be_api
            done(10, text)

            # 11. Know what a reload drops, reload, and know whether it worked.
            preview, ptext = await call("preview_reload")
            drops = preview["drops"]
            assert "server be_app/new1: added at run time through this server; a reload removes it" in drops, preview
            assert not any("be_app/app1" in d for d in drops), preview  # back as configured
            assert not any("st_clients" in d for d in drops), preview  # peers hand it over
            if os.path.isfile(f"{conf}/hosts.map"):
                # This machine sees HAProxy's files (native HAProxy): compared with them.
                assert f"map {conf}/hosts.map: 1 entry only at run time (shop.example.test → be_api); a reload loads the file" in drops, preview
                assert any(d.startswith(f"ACL {conf}/blocklist.acl: 1 entry only at run time (198.51.100.7)") for d in drops), preview
                assert any(d.startswith(f"certificate {conf}/site.pem: HAProxy serves one") for d in drops), preview
                assert not any("api.pem" in d for d in drops), preview
            else:
                # HAProxy in a container: its paths are not this machine's, and it says so.
                assert any(n.startswith(f"map {conf}/hosts.map: not readable here") for n in preview["not_compared"]), preview
            before = pids(raw(master, "show proc"))
            out, text = await call("reload")
            assert out["dropped"] == drops, (out["dropped"], drops)
            assert out["success"] and out["new_workers"], out
            after = pids(raw(master, "show proc"))
            for pid in out["new_workers"]:
                assert pid in after and pid not in before, (out, before, after)
            procs, ptext = await call("show_processes")
            assert [w["pid"] for w in procs["workers"]] == out["new_workers"], (procs, out)
            # Runtime-only changes are gone, as the answers of jobs 5 and 7 said.
            assert "new1" not in raw(admin, "show servers state be_app")
            assert "shop.example.test" not in raw(admin, f"show map {conf}/hosts.map")
            done(11, text + " / " + ptext)

    print(f"{v}: all 11 jobs done")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], json.loads(sys.argv[2])))

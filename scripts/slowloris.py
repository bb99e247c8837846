#!/usr/bin/env python3
"""Measures /healthz and an authenticated MCP call while N half-open HTTP connections are held.

Usage: scripts/slowloris.py PORT TOKEN [N] [ADDRESSES]
  N          half-open connections to open (default 10000)
  ADDRESSES  how many source addresses (127.0.3.1, 127.0.3.2, ...) to spread them over
             (default 1; every 127.0.0.0/8 address is local on Linux)

Raise the file-descriptor limit first (ulimit -n 20000). The server is expected on 127.0.0.1.
"""
import http.client
import json
import socket
import statistics
import sys
import time

port, token = int(sys.argv[1]), sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
addresses = int(sys.argv[4]) if len(sys.argv) > 4 else 1


def timed(fn, rounds=20):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        status = fn()
        times.append((time.perf_counter() - t) * 1000)
        assert status == 200, status
    return statistics.median(times), max(times)


def healthz():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/healthz")
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def mcp_initialize():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "slowloris-measure", "version": "0"}}})
    c.request("POST", "/mcp", body, {
        "Authorization": f"Bearer {token}", "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream"})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


print("before: /healthz median %.1f ms, max %.1f ms" % timed(healthz))
print("before: MCP initialize median %.1f ms, max %.1f ms" % timed(mcp_initialize))
held = []
t = time.perf_counter()
for i in range(n):
    s = socket.socket()
    s.setblocking(True)
    s.bind((f"127.0.3.{i % addresses + 1}", 0))
    try:
        s.connect(("127.0.0.1", port))
        s.send(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    except OSError:
        pass
    held.append(s)
print(f"opened {n} half-open connections from {addresses} address(es) in {time.perf_counter() - t:.1f} s")
print("during: /healthz median %.1f ms, max %.1f ms" % timed(healthz))
print("during: MCP initialize median %.1f ms, max %.1f ms" % timed(mcp_initialize))
still_open = 0
for s in held:
    s.setblocking(False)
    try:
        if s.recv(1) == b"":
            continue
    except BlockingIOError:
        still_open += 1
    except OSError:
        pass
print(f"half-open connections the server still holds: {still_open}")

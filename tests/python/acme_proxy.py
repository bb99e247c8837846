"""An HTTPS front for Pebble (the ACME test server) that HAProxy 3.2's ACME client can use.

HAProxy before 3.3 sends its ACME POSTs chunked, with no Content-Length (3.3 commit f07f0ee21
"httpclient: add a Content-Length when the payload is known"); Pebble refuses those ("missing
Content-Length header on POST") where Let's Encrypt accepts them. This front reads each body
whole and forwards it with a Content-Length. It passes its own address as Host, so Pebble's
URLs point back at it and the whole exchange goes through it. It serves HTTPS because Pebble
checks each request's JWS `url` against an https:// URL.

Usage: acme_proxy.py <listen port> <pebble https port> <PEM with certificate and key>.
Prints "ready" once listening.
"""

import http.client
import http.server
import ssl
import sys

LISTEN, UPSTREAM, PEM = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def read_body(handler):
    """The request body, whatever its framing."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                # Trailers (none expected) up to the empty line.
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += handler.rfile.read(size)
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length", "0"))
    return handler.rfile.read(length) if length else b""


class Front(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        body = read_body(self) if self.command == "POST" else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = f"127.0.0.1:{LISTEN}"
        if body is not None:
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPSConnection(
            "127.0.0.1", UPSTREAM, context=ssl._create_unverified_context(), timeout=30
        )
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_HEAD = do_POST = forward

    def log_message(self, fmt, *args):
        sys.stderr.write("acme_proxy: " + fmt % args + "\n")


server = http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Front)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(PEM)
server.socket = tls.wrap_socket(server.socket, server_side=True)
print("ready", flush=True)
server.serve_forever()

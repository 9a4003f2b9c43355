#!/usr/bin/env python3
# http_client.py — the live runtime's HTTP/1.1 client (rt_http_invoke),
# driven through the test service's /relay route, against python's threaded
# http.server and against the live server itself: Content-Length, chunked
# and close-delimited responses, HEAD, keep-alive reuse, the retry on a
# stale keep-alive connection, timeouts, size limit, unreachable and
# unresolvable addresses, and a client disconnect cancelling the relayed
# call down the chain. Bounded: every wait has a timeout.
import http.client, http.server, os, sys, threading, time, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httplib import Service, Sock, check  # noqa: E402

ports_seen = []


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Test", "from-python")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.reply(200, b"x" * 1234)

    def do_GET(self):
        ports_seen.append(self.client_address[1])
        p = self.path
        if p == "/plain":
            self.reply(200, ("got X-Test=%s Host=%s" % (self.headers["X-Test"],
                                                        self.headers["Host"])).encode())
        elif p == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
                time.sleep(0.01)
            self.wfile.write(b"0\r\nX-Trailer: t\r\n\r\n")
        elif p == "/eof":
            # HTTP/1.0-style: no length, the end is the close
            self.wfile.write(b"HTTP/1.0 200 OK\r\nX-Test: eof\r\n\r\nuntil the close")
            self.close_connection = True
        elif p == "/big":
            n = 17 * 1024 * 1024
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            try:
                self.wfile.write(b"b" * n)
            except OSError:
                pass
        elif p == "/slow":
            time.sleep(1.5)
            try:
                self.reply(200, b"late")
            except OSError:
                pass
        elif p == "/bye":
            # keep-alive response, then the server closes the connection
            # anyway: the client's next request on it must be retried
            self.reply(200, b"bye")
            self.close_connection = True
        elif p == "/404":
            self.reply(404, b"nope")
        else:
            self.reply(200, b"other")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.reply(201, b"posted %d: %s" % (n, body[:20]))


def relay(svc, addr, path, method="GET", body=None, timeout_ms=0, conn=None):
    q = urllib.parse.urlencode({"addr": addr, "path": path, "method": method,
                                "timeout_ms": timeout_ms})
    c = conn or http.client.HTTPConnection("127.0.0.1", svc.port, timeout=20)
    c.request("POST" if body is not None else "GET", "/relay?" + q, body=body)
    r = c.getresponse()
    return r.status, r, r.read()


def main():
    up = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    up.daemon_threads = True
    threading.Thread(target=up.serve_forever, daemon=True).start()
    ua = "127.0.0.1:%d" % up.server_address[1]
    svc = Service(LOG_LEVEL="info")
    try:
        st, r, b = relay(svc, ua, "/plain")
        check(st == 200 and r.getheader("X-Upstream-Status") == "200", "plain: %d" % st)
        check(b == ("got X-Test=relayed Host=%s" % ua).encode(), "request headers: %r" % b)
        check(r.getheader("X-Upstream-X-Test") == "from-python", "response header names lower-cased")
        del ports_seen[:]
        for _ in range(5):
            relay(svc, ua, "/plain")
        check(len(set(ports_seen)) == 1, "keep-alive: one connection for 5: %s" % ports_seen)
        st, r, b = relay(svc, ua, "/plain", method="POST", body=b"form=1")
        check(r.getheader("X-Upstream-Status") == "201" and b == b"posted 6: form=1", "POST")
        st, r, b = relay(svc, ua, "/chunked")
        check(b == b"hello chunked world", "chunked response: %r" % b)
        st, r, b = relay(svc, ua, "/eof")
        check(b == b"until the close" and r.getheader("X-Upstream-X-Test") == "eof",
              "close-delimited response: %r" % b)
        st, r, b = relay(svc, ua, "/x", method="HEAD")
        check(st == 200 and b == b"" and r.getheader("X-Upstream-Status") == "200", "HEAD")
        st, r, b = relay(svc, ua, "/404")
        check(st == 200 and r.getheader("X-Upstream-Status") == "404" and b == b"nope",
              "an HTTP error status is a response")
        # stale keep-alive: /bye closes after answering; the next request
        # goes out on that connection, fails without a byte, is retried
        relay(svc, ua, "/bye")
        time.sleep(0.1)
        st, r, b = relay(svc, ua, "/plain")
        check(st == 200 and r.getheader("X-Upstream-Status") == "200", "stale retry: %d %r" % (st, b))
        st, r, b = relay(svc, ua, "/big")
        check(st == 429 and b"too large" in b, "size limit: %d %r" % (st, b))
        t0 = time.time()
        st, r, b = relay(svc, ua, "/slow", timeout_ms=300)
        check(st == 504 and time.time() - t0 < 1.4, "timeout: %d %r" % (st, b))
        st, r, b = relay(svc, ua, "/plain")
        check(st == 200, "pool usable after a timeout")
        # concurrency: 12 slow requests at once, at most 8 connections
        del ports_seen[:]
        results = []
        def one():
            results.append(relay(svc, ua, "/slow")[0])
        ths = [threading.Thread(target=one) for _ in range(12)]
        [t.start() for t in ths]
        [t.join(30) for t in ths]
        check(results == [200] * 12, "12 concurrent: %s" % results)
        check(len(set(ports_seen)) <= 8, "at most 8 connections: %d" % len(set(ports_seen)))
        # unreachable, unresolvable, bad address
        dead = Sock(svc.port)  # find a free port: bind and close
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
        s.close()
        dead.close()
        st, r, b = relay(svc, "127.0.0.1:%d" % free, "/")
        check(st == 503 and b"cannot connect" in b, "refused: %d %r" % (st, b))
        st, r, b = relay(svc, "no-such-host.invalid:80", "/")
        check(st == 503 and b"resolve" in b, "unresolvable: %d %r" % (st, b))
        st, r, b = relay(svc, "nocolon", "/")
        check(st == 400, "bad address refused: %d" % st)
        # against ourselves, by name
        me = "localhost:%d" % svc.port
        st, r, b = relay(svc, me, "/echo?z=1", method="PUT", body=b"to myself")
        check(r.getheader("X-Upstream-Status") == "200" and b == b"to myself", "ourselves")
        # a gRPC child of an HTTP call: nothing listens there
        c = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=20)
        c.request("GET", "/grpc?addr=127.0.0.1:%d" % free)
        r = c.getresponse()
        check(r.status == 503 and b"grpc:" in r.read(), "gRPC child of an HTTP call")
        # client disconnect: the relay's child request to our own /slow is
        # cancelled, so the inner /slow call is cancelled too
        s = Sock(svc.port)
        q = urllib.parse.urlencode({"addr": "127.0.0.1:%d" % svc.port, "path": "/slow?ms=5000"})
        s.sendall(b"GET /relay?" + q.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.4)
        s.close()
        check(svc.wait_log("slow call cancelled", 3), "cancellation went down the chain")
    finally:
        svc.stop()
        up.shutdown()
    print("http_client: ok")


if __name__ == "__main__":
    main()

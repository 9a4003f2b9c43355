#!/usr/bin/env python3
# http_server.py — the live runtime's HTTP/1.1 server against real clients
# (python's http.client, curl, raw sockets): bodies, keep-alive, pipelining,
# chunked requests, 100-continue, HEAD, HTTP/1.0, any-token methods, the
# runtime's own answers (400, 408, 413, 417, 431), rt_fail mapping, header
# validation, client disconnect cancelling the call, idle timeout, SIGTERM
# drain. Bounded: every wait has a timeout.
import http.client, os, shutil, signal, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httplib import Service, Sock, read_response, check  # noqa: E402


def conn(svc):
    return http.client.HTTPConnection("127.0.0.1", svc.port, timeout=10)


def test_basics(svc):
    c = conn(svc)
    c.request("GET", "/echo?x=1&y=%20")
    r = c.getresponse()
    body = r.read()
    check(r.status == 200 and body == b"", "GET /echo")
    check(r.getheader("X-Path") == "/echo" and r.getheader("X-Query") == "x=1&y=%20",
          "path/query split: %s" % r.getheaders())
    check(r.getheader("Date") and r.getheader("Content-Length") == "0", "Date, Content-Length")
    check(r.msg.get_all("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"], "two Set-Cookie")
    check(r.getheader("X-Injected") is None and r.getheader("X-Evil") is None
          and r.getheader("Bad") is None, "invalid headers dropped")
    remote = r.getheader("X-Remote")
    payload = bytes(range(256)) * 1000
    c.request("POST", "/echo", body=payload, headers={"Content-Type": "application/x"})
    r = c.getresponse()
    check(r.status == 200 and r.read() == payload, "POST body echoed")
    check(r.getheader("X-Content-Type") == "application/x", "header seen")
    check(r.getheader("X-Remote") == remote, "keep-alive: same connection")
    c.request("GET", "/nowhere")
    r = c.getresponse()
    check(r.status == 404 and r.read() == b"no route for /nowhere", "404")
    check(r.getheader("Content-Type").startswith("text/plain"), "rt_fail is text/plain")
    # rt_fail mapping
    for code, want in ((3, 400), (5, 404), (7, 403), (8, 429), (14, 503), (4, 504),
                       (16, 401), (12, 501), (13, 500), (6, 409)):
        c.request("GET", "/fail?code=%d" % code)
        r = c.getresponse()
        check(r.status == want and r.read() == b"failed here", "code %d -> %d" % (code, r.status))
    c.request("GET", "/reply")
    r = c.getresponse()
    check(r.status == 500, "rt_reply on HTTP call: 500")
    r.read()
    # HEAD: headers of the GET, no body
    c.request("HEAD", "/hello")
    r = c.getresponse()
    check(r.status == 200 and int(r.getheader("Content-Length")) > 50 and r.read() == b"", "HEAD")
    c.request("GET", "/status?s=204")
    r = c.getresponse()
    check(r.status == 204 and r.getheader("Content-Length") is None and r.read() == b"", "204")
    c.request("GET", "/hello")
    r = c.getresponse()
    check(r.status == 200 and b"Hello" in r.read(), "GET after HEAD and 204 on one connection")
    # any token is a method
    c.request("FROB", "/echo")
    r = c.getresponse()
    check(r.status == 200 and r.getheader("X-Method") == "FROB", "custom method")
    r.read()
    c.close()


def test_pipelining_and_chunked(svc):
    s = Sock(svc.port)
    s.sendall(b"GET /echo?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /slow?ms=100 HTTP/1.1\r\nHost: x\r\n\r\n"
              b"POST /echo?n=3 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
              b"POST /echo?n=4 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n"
              b"PURGE /echo?n=5 HTTP/1.1\r\nHost: x\r\n\r\n")
    st, h, b = read_response(s)
    check(st == 200 and h["x-query"] == ["n=1"], "pipelined 1")
    st, h, b = read_response(s)
    check(st == 200 and b == b"slept\n", "pipelined 2 (slow) in order")
    st, h, b = read_response(s)
    check(h["x-query"] == ["n=3"] and b == b"hello", "pipelined 3")
    st, h, b = read_response(s)
    check(h["x-query"] == ["n=4"] and b == b"hello, world" and h["x-te"] == ["chunked"],
          "chunked request de-chunked: %r %r" % (h, b))
    st, h, b = read_response(s)
    check(h["x-method"] == ["PURGE"], "pipelined custom method")
    # one request split across many writes
    for part in (b"GE", b"T /echo?n=6 HT", b"TP/1.1\r\nHo", b"st: x\r\nContent-Le",
                 b"ngth: 3\r\n\r", b"\nab", b"c"):
        s.sendall(part)
        time.sleep(0.02)
    st, h, b = read_response(s)
    check(b == b"abc" and h["x-query"] == ["n=6"], "fragmented request")
    s.close()


def test_expect_continue(svc):
    s = Sock(svc.port)
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
              b"Expect: 100-continue\r\n\r\n")
    st, h, b = read_response(s)
    check(st == 100, "100 Continue first: %d" % st)
    s.sendall(b"data")
    st, h, b = read_response(s)
    check(st == 200 and b == b"data", "body after 100")
    s.close()
    s = Sock(svc.port)
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n"
              b"Expect: 100-continue\r\n\r\n")
    st, h, b = read_response(s)
    check(st == 417 and h["connection"] == ["close"], "417 over the limit")
    check(s.read_eof(), "closed after 417")
    s.close()
    if shutil.which("curl"):
        out = subprocess.run(["curl", "-sv", "-H", "Expect: 100-continue", "--data-binary",
                              "x" * 2000, "http://127.0.0.1:%d/echo" % svc.port],
                             capture_output=True, text=True, timeout=20)
        check("100 Continue" in out.stderr and out.stdout == "x" * 2000, "curl 100-continue")


def test_errors(svc):
    cases = [
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, "TLS hello"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, "bad header line"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "CL+TE"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" + b"x" * 2000, 413, "413"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + b"x" * 2000
         + b"\r\n0\r\n\r\n", 413, "413 chunked"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431, "431"),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(300)) + b"\r\n", 431, "431 count"),
        (b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: bananas\r\n\r\n", 417, "unknown expectation"),
        (b"GETTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTTT / HTTP/1.1\r\n\r\n", 400, "method too long"),
    ]
    for req, want, what in cases:
        s = Sock(svc.port)
        s.sendall(req)
        st, h, b = read_response(s)
        check(st == want, "%s: got %d, want %d" % (what, st, want))
        check(h.get("connection") == ["close"], "%s: Connection: close" % what)
        check(s.read_eof(), "%s: connection closed" % what)
        s.close()
    # Over the limit with many more bytes still coming: the client still
    # reads the 413 (lingering close), not a reset.
    s = Sock(svc.port)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n")
    try:
        s.sendall(b"y" * 200000)
    except OSError:
        pass
    st, h, b = read_response(s)
    check(st == 413, "413 with body in flight")
    s.close()


def test_http10_and_close(svc):
    s = Sock(svc.port)
    s.sendall(b"GET /hello HTTP/1.0\r\n\r\n")
    st, h, b = read_response(s)
    check(st == 200 and h["connection"] == ["close"] and b"Hello" in b, "1.0 closes")
    check(s.read_eof(), "1.0 connection closed")
    s = Sock(svc.port)
    s.sendall(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    st, h, b = read_response(s)
    check(h["connection"] == ["keep-alive"], "1.0 keep-alive")
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    st, h, b = read_response(s)
    check(st == 200 and h["connection"] == ["close"], "Connection: close honoured")
    check(s.read_eof(), "closed after Connection: close")


def test_disconnect_cancels(svc):
    before = svc.count_log("slow call cancelled")
    s = Sock(svc.port)
    s.sendall(b"GET /slow?ms=5000 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    s.close()
    check(svc.wait_log("slow call cancelled", 3) and
          svc.count_log("slow call cancelled") == before + 1, "disconnect cancels the call")
    # a pipelined request after a slow one, client gone: no crash, next works
    c = conn(svc)
    c.request("GET", "/stats")
    r = c.getresponse()
    check(r.status == 200 and b"cancels=" in r.read(), "alive after cancel")


def test_curl(svc):
    if not shutil.which("curl"):
        print("curl missing: curl checks skipped")
        return
    url = "http://127.0.0.1:%d" % svc.port
    out = subprocess.run(["curl", "-sv", url + "/hello", url + "/echo?a=b", "-o", "/dev/null",
                          "-o", "/dev/null"], capture_output=True, text=True, timeout=20)
    check(out.returncode == 0 and "Re-using existing connection" in out.stderr,
          "curl keep-alive reuse: %s" % out.stderr[-500:])
    out = subprocess.run(["curl", "-s", "-F", "file=@-;filename=x.bin", url + "/echo"],
                         input="picture bytes", capture_output=True, text=True, timeout=20)
    check("picture bytes" in out.stdout and "form-data" in out.stdout, "curl multipart")
    out = subprocess.run(["curl", "-s", "-I", url + "/hello"], capture_output=True, text=True,
                         timeout=20)
    check(out.stdout.startswith("HTTP/1.1 200"), "curl HEAD")
    out = subprocess.run(["curl", "-s", "-H", "Transfer-Encoding: chunked", "--data-binary",
                          "@-", url + "/echo"], input="z" * 70000, capture_output=True,
                         text=True, timeout=20)
    check(out.stdout == "z" * 70000, "curl chunked upload")


def test_timeouts():
    svc = Service(HTTP_REQUEST_TIMEOUT_SECONDS=1, HTTP_IDLE_TIMEOUT_SECONDS=1)
    try:
        s = Sock(svc.port)
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
        t0 = time.time()
        st, h, b = read_response(s)
        dt = time.time() - t0
        check(st == 408 and 0.8 < dt < 3, "408 after ~1 s (%.2f)" % dt)
        check(s.read_eof(), "closed after 408")
        s = Sock(svc.port)
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        read_response(s)
        t0 = time.time()
        check(s.read_eof(4) and time.time() - t0 < 3, "idle keep-alive closed")
    finally:
        svc.stop()


def test_drain():
    svc = Service(SHUTDOWN_GRACE_SECONDS=3)
    try:
        idle = Sock(svc.port)
        idle.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        read_response(idle)
        busy = Sock(svc.port)
        busy.sendall(b"GET /slow?ms=800 HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        svc.p.send_signal(signal.SIGTERM)
        check(idle.read_eof(2), "idle keep-alive connection closed on SIGTERM")
        st, h, b = read_response(busy)
        check(st == 200 and b == b"slept\n" and h["connection"] == ["close"],
              "in-flight request finishes, Connection: close")
        check(busy.read_eof(2), "then its connection closes")
        svc.p.wait(10)
        check(svc.p.returncode == 0, "exit 0 after drain")
    finally:
        svc.stop()
    # grace over: the request still running gets 503
    svc = Service(SHUTDOWN_GRACE_SECONDS=1)
    try:
        busy = Sock(svc.port)
        busy.sendall(b"GET /slow?ms=10000 HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        svc.p.send_signal(signal.SIGTERM)
        st, h, b = read_response(busy)
        check(st == 503, "503 when the grace period is over: %d" % st)
        svc.p.wait(10)
        check(svc.p.returncode == 0, "exit 0 after the grace period")
        check(svc.wait_log("slow call cancelled", 5),
              "call cancelled at the end of the grace period")
    finally:
        svc.stop()


def main():
    svc = Service(HTTP_MAX_BODY_BYTES=1000000)
    try:
        test_basics(svc)
        test_pipelining_and_chunked(svc)
        test_expect_continue(svc)
        test_http10_and_close(svc)
        test_disconnect_cancels(svc)
        test_curl(svc)
    finally:
        svc.stop()
    svc = Service(HTTP_MAX_BODY_BYTES=1000)
    try:
        test_errors(svc)
    finally:
        svc.stop()
    test_timeouts()
    test_drain()
    print("http_server: ok")


if __name__ == "__main__":
    main()

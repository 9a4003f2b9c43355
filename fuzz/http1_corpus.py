#!/usr/bin/env python3
# http1_corpus.py DIR — writes the seed corpora of the HTTP/1.1 fuzz targets
# into DIR/http1_server and DIR/http1_client. Requests are captured from
# real clients (curl, when installed, and python's http.client) by a socket
# that records what they send; responses from python's http.server; plus
# hand-written edge cases (chunked with extensions and trailers, pipelining,
# 100-continue, HTTP/1.0, malformed). Byte 0 of every file is the target's
# mode byte (see fuzz/http1_server.c and fuzz/http1_client.c).
import http.client, http.server, os, shutil, socket, subprocess, sys, threading


def capture_requests(run):
    """Runs |run(port)| against a socket that records the request bytes and
    answers each with a small keep-alive-less response."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    port = srv.getsockname()[1]
    got = []

    def serve():
        srv.settimeout(10)
        try:
            while True:
                c, _ = srv.accept()
                c.settimeout(1)
                data = b""
                try:
                    while True:
                        d = c.recv(65536)
                        if not d:
                            break
                        data += d
                        if b"Expect: 100-continue" in data and b"100 Continue" not in data \
                                and data.endswith(b"\r\n\r\n"):
                            c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                            data += b"<100 Continue>"
                except socket.timeout:
                    pass
                got.append(data.replace(b"<100 Continue>", b""))
                try:
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass
                c.close()
        except (socket.timeout, OSError):
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        run(port)
    except Exception as e:  # a missing tool: fewer seeds
        print("http1_corpus: %s" % e, file=sys.stderr)
    srv.close()
    t.join(15)
    return got


def curl_requests(port):
    url = "http://127.0.0.1:%d" % port
    cmds = [
        ["curl", "-s", "-m", "3", url + "/"],
        ["curl", "-s", "-m", "3", "-d", "currency_code=EUR&x=%20y", url + "/setCurrency"],
        ["curl", "-s", "-m", "3", "-F", "name=Vintage camera", "-F",
         "picture=@-;filename=cam.jpg;type=image/jpeg", url + "/business/products"],
        ["curl", "-s", "-m", "3", "-H", "Transfer-Encoding: chunked", "--data-binary",
         "chunked upload body", url + "/upload"],
        ["curl", "-s", "-m", "3", "-I", url + "/static/styles.css"],
        ["curl", "-s", "-m", "3", "-H", "Expect: 100-continue", "-d", "a=1", url + "/cart"],
        ["curl", "-s", "-m", "3", "-b", "shop_session-id=abc; shop_currency=USD",
         url + "/cart?x=1"],
        ["curl", "-s", "-m", "3", "-X", "DELETE", url + "/cart/empty"],
    ]
    if not shutil.which("curl"):
        return
    for c in cmds:
        subprocess.run(c, input=b"\xff\xd8\xff\xe0 fake jpeg", capture_output=True, timeout=10)


def python_requests(port):
    for method, path, body, hdrs in [
            ("GET", "/product/OLJCESPC7Z", None, {}),
            ("POST", "/cart", b"product_id=OLJCESPC7Z&quantity=2",
             {"Content-Type": "application/x-www-form-urlencoded"}),
            ("POST", "/cart/checkout", b"email=a%40b.c&street_address=1+Main",
             {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "a=b"})]:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        c.request(method, path, body=body, headers=hdrs)
        try:
            c.getresponse().read()
        except Exception:
            pass
        c.close()


HANDWRITTEN_REQUESTS = {
    "pipelined": b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /hold HTTP/1.1\r\nHost: x\r\n\r\n"
                 b"POST /b?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcHEAD /c HTTP/1.1\r\n\r\n",
    "chunked_trailers": b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n",
    "http10_keepalive": b"GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /y HTTP/1.0\r\n\r\n",
    "custom_method": b"PROPFIND /dav HTTP/1.1\r\nHost: x\r\nDepth: 1\r\n\r\nFROB / HTTP/1.1\r\n\r\n",
    "absolute_form": b"GET http://example.com/path?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "options_star": b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    "upgrade": b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello",
    "connect": b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    "expect_bad": b"POST /x HTTP/1.1\r\nHost: x\r\nExpect: nope\r\nContent-Length: 1\r\n\r\nx",
    "cancel_then_more": b"GET /cancel HTTP/1.1\r\nHost: x\r\n\r\nGET /fail?q HTTP/1.1\r\n\r\n",
    "fail": b"POST /fail?why HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n12345",
    "cl_te": b"POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bad_chunk": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "bad_version": b"GET / HTTP/9.9\r\n\r\n",
    "no_version": b"GET /\r\n\r\n",
    "leading_crlf": b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "obs_fold": b"GET / HTTP/1.1\r\nX-Fold: a\r\n  b\r\nHost: x\r\n\r\n",
    "empty_value": b"GET / HTTP/1.1\r\nX-Empty:\r\nX-Sp:   \r\nHost: x\r\n\r\n",
    "tls_hello": b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
    "h2_preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "big_header": b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 300 + b"\r\n\r\n",
    "big_body": b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + b"b" * 100,
    "partial": b"GET /slow HTTP/1.1\r\nHost: x\r\nX-Par",
}


def capture_responses():
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            if self.path == "/chunked":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"5\r\nhello\r\n0\r\n\r\n")
            elif self.path == "/eof":
                self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end")
                self.close_connection = True
            else:
                body = b"<html>ok</html>"
                self.send_response(200 if self.path != "/404" else 404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Set-Cookie", "a=1")
                self.send_header("Set-Cookie", "b=2")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    out = {}
    for path in ("/", "/404", "/chunked", "/eof"):
        s = socket.create_connection(srv.server_address, timeout=3)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode())
        data = b""
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
        except socket.timeout:
            pass
        s.close()
        out["python" + path.replace("/", "_")] = data
    srv.shutdown()
    return out


HANDWRITTEN_RESPONSES = {
    "keepalive_two": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\n\r\n",
    "continue_then_final": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx",
    "head_like": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
    "not_modified": b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
    "chunked_trailer": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"3;x=y\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
    "switching": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
    "too_big": b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
    "garbage": b"HTTX/1.1 200 OK\r\n\r\n",
    "close": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nzstray",
}


def write(d, name, mode, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes([mode]) + data)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus"
    sd, cd = os.path.join(root, "http1_server"), os.path.join(root, "http1_client")
    os.makedirs(sd, exist_ok=True)
    os.makedirs(cd, exist_ok=True)
    n = 0
    for i, req in enumerate(capture_requests(curl_requests)):
        write(sd, "curl_%d" % i, 0, req)
        write(sd, "curl_%d_split" % i, 3, req)  # chunks of 21 bytes
        n += 2
    for i, req in enumerate(capture_requests(python_requests)):
        write(sd, "python_%d" % i, 0x40, req)
        n += 1
    for name, req in HANDWRITTEN_REQUESTS.items():
        write(sd, name, 0, req)
        write(sd, name + "_small", 0x81, req)  # small limits, 7-byte chunks
        n += 2
    for name, resp in list(capture_responses().items()) + list(HANDWRITTEN_RESPONSES.items()):
        write(cd, name, 0, resp)
        write(cd, name + "_split", 0x82, resp)
        n += 2
    write(cd, "head_like_head", 0x40, HANDWRITTEN_RESPONSES["head_like"])
    print("http1_corpus: %d seeds" % (n + 1))


if __name__ == "__main__":
    main()

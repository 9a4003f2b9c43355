#!/usr/bin/env python3
"""Helpers for bench/frontend_bench.sh (standard library only).

  frontend_bench_util.py wait STATE COUNT SECONDS UPPID
      wait until STATE/status lists COUNT services, all SERVING (at most
      SECONDS, and only while process UPPID lives); print "name pid address"
      per service
  frontend_bench_util.py pages PORT OUTDIR
      open a session on the frontend at 127.0.0.1:PORT (GET /), then fetch
      the home page and one product page with that session's cookie and
      shop_currency=USD, as a returning visitor's browser would, over one
      keep-alive connection; write OUTDIR/home.html, OUTDIR/product.html
      (the bodies) and OUTDIR/cookie (the Cookie header value); print
      "<product path> <home body bytes> <home response bytes>
       <product body bytes> <product response bytes>"
  frontend_bench_util.py size PORT PATH COOKIE
      one keep-alive GET; print "<status> <body bytes> <response bytes>"
  frontend_bench_util.py checkout PORT N SECONDS WARMUP OUT
      a returning visitor on one keep-alive connection: per iteration add
      one product to the cart (POST /cart) and check out (POST
      /cart/checkout with a valid form), at most N measured iterations
      after WARMUP unmeasured ones, stopping after SECONDS; writes OUT
      (JSON: latencies, order ids, failures)
  frontend_bench_util.py journal DB OUT
      read the checkout service's order journal read-only: the state of
      every order in OUT's order ids, and counts per state over the journal
  frontend_bench_util.py pct FILE
      percentiles of OUT's latencies, as "key value" lines
"""
import http.client
import json
import os
import re
import socket
import sqlite3
import sys
import time
import urllib.parse

CHECKOUT_FORM = {
    "email": "someone@example.com", "street_address": "1600 Amphitheatre Parkway",
    "zip_code": "94043", "city": "Mountain View", "state": "CA", "country": "United States",
    "credit_card_number": "4432-8015-6152-0454", "credit_card_expiration_month": "1",
    "credit_card_expiration_year": str(time.gmtime().tm_year + 1), "credit_card_cvv": "672",
}


def status_rows(state):
    rows = []
    try:
        with open(os.path.join(state, "status")) as f:
            for line in f.readlines()[1:]:
                p = line.split()
                if len(p) >= 6:
                    rows.append((p[0], p[2], p[1], p[3]))
    except OSError:
        pass
    return rows


def cmd_wait(state, count, seconds, uppid):
    deadline = time.monotonic() + float(seconds)
    while True:
        rows = status_rows(state)
        if len(rows) == int(count) and all(r[3] == "SERVING" for r in rows):
            for name, pid, addr, _ in rows:
                print(name, pid, addr)
            return 0
        try:
            os.kill(int(uppid), 0)
        except OSError:
            sys.stderr.write("meshsim up exited before the shop was serving\n")
            return 1
        if time.monotonic() > deadline:
            sys.stderr.write("the shop was not serving within %s s; status:\n" % seconds)
            for r in rows:
                sys.stderr.write("  %s\n" % " ".join(r))
            return 1
        time.sleep(0.2)


def raw_get(sock, path, cookie):
    """One GET on an open keep-alive socket; returns (status, headers, body,
    response bytes on the wire)."""
    req = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % path
    if cookie:
        req += "Cookie: %s\r\n" % cookie
    sock.sendall((req + "\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            raise OSError("connection closed in the headers")
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = []
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers.append((k.strip().lower(), v.strip()))
    length = int(dict(headers).get("content-length", "0"))
    while len(rest) < length:
        d = sock.recv(65536)
        if not d:
            raise OSError("connection closed in the body")
        rest += d
    if len(rest) != length:
        raise OSError("more bytes than Content-Length (pipelined garbage?)")
    return status, headers, rest, len(head) + 4 + length


def cmd_pages(port, outdir):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    try:
        st, h, body, _ = raw_get(s, "/", None)
        sid = None
        for k, v in h:
            if k == "set-cookie" and v.startswith("shop_session-id="):
                sid = v.split("=", 1)[1].split(";", 1)[0]
        if st != 200 or not sid:
            sys.stderr.write("GET / gave %d and no session cookie\n" % st)
            return 1
        cookie = "shop_session-id=%s; shop_currency=USD" % sid
        st, h, home, home_total = raw_get(s, "/", cookie)
        if st != 200 or any(k == "set-cookie" for k, _ in h):
            sys.stderr.write("GET / with the session gave %d (or set a cookie again)\n" % st)
            return 1
        ids = re.findall(rb'href="(/product/[A-Za-z0-9]+)"', home)
        if not ids:
            sys.stderr.write("no product link on the home page\n")
            return 1
        ppath = ids[0].decode()
        st, h, prod, prod_total = raw_get(s, ppath, cookie)
        if st != 200:
            sys.stderr.write("GET %s gave %d\n" % (ppath, st))
            return 1
    finally:
        s.close()
    with open(os.path.join(outdir, "home.html"), "wb") as f:
        f.write(home)
    with open(os.path.join(outdir, "product.html"), "wb") as f:
        f.write(prod)
    with open(os.path.join(outdir, "cookie"), "w") as f:
        f.write(cookie)
    with open(os.path.join(outdir, "products"), "w") as f:
        f.write("\n".join(sorted(set(i.decode().rsplit("/", 1)[1] for i in ids))) + "\n")
    print(ppath, len(home), home_total, len(prod), prod_total)
    return 0


def cmd_size(port, path, cookie):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    try:
        st, _, body, total = raw_get(s, path, cookie)
    finally:
        s.close()
    print(st, len(body), total)
    return 0


class Client:
    """One keep-alive connection with a cookie jar; reconnects if the server
    closes it. Never follows redirects."""

    def __init__(self, port):
        self.port = port
        self.conn = None
        self.cookies = {}
        self.opened = 0

    def request(self, method, path, form=None):
        h = {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.opened += 1
            try:
                t0 = time.perf_counter()
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                dt = time.perf_counter() - t0
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        if r.getheader("connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return r.status, r.getheader("location", ""), data, dt


def pct(values, p):
    """Nearest rank."""
    if not values:
        return 0.0
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(-(-p * len(v) // 100)) - 1))
    return v[k]


def cmd_checkout(port, n, seconds, warmup, out):
    n, seconds, warmup = int(n), float(seconds), int(warmup)
    c = Client(int(port))
    st, _, home, _ = c.request("GET", "/")
    if st != 200:
        sys.stderr.write("GET / gave %d\n" % st)
        return 1
    c.cookies["shop_currency"] = "USD"
    products = sorted(set(re.findall(rb'href="/product/([A-Za-z0-9]+)"', home)))
    products = [p.decode() for p in products] or ["OLJCESPC7Z"]
    res = {"checkout_s": [], "add_s": [], "orders": [], "warmup_orders": [],
           "failures": [], "iterations": 0}
    start = None
    deadline = time.monotonic() + seconds
    i = 0
    while i < warmup + n and time.monotonic() < deadline:
        measured = i >= warmup
        if measured and start is None:
            start = time.perf_counter()
        pid = products[i % len(products)]
        st, loc, _, dt_add = c.request("POST", "/cart", form={"product_id": pid, "quantity": "1"})
        if st != 302:
            res["failures"].append("add %s: HTTP %d" % (pid, st))
            i += 1
            continue
        st, _, page, dt = c.request("POST", "/cart/checkout", form=CHECKOUT_FORM)
        m = re.search(rb"Confirmation #</dt><dd><code>([^<]+)<", page)
        if st != 200 or not m:
            res["failures"].append("checkout: HTTP %d %s" % (st, page[:200].decode("utf-8", "replace")))
            i += 1
            continue
        if measured:
            res["checkout_s"].append(dt)
            res["add_s"].append(dt_add)
            res["orders"].append(m.group(1).decode())
        else:
            res["warmup_orders"].append(m.group(1).decode())
        i += 1
    res["wall_s"] = (time.perf_counter() - start) if start else 0.0
    res["iterations"] = max(0, i - warmup)
    res["timed_out"] = i < warmup + n
    res["reconnects"] = max(0, c.opened - 1)
    res["session"] = c.cookies.get("shop_session-id", "")
    with open(out, "w") as f:
        json.dump(res, f)
    lat = res["checkout_s"]
    sys.stderr.write("checkout: %d ok, %d failed in %.1f s; p50 %.1f ms p99 %.1f ms\n" % (
        len(lat), len(res["failures"]), res["wall_s"], 1000 * pct(lat, 50), 1000 * pct(lat, 99)))
    return 0


def cmd_pct(path):
    with open(path) as f:
        res = json.load(f)
    lat, add = res["checkout_s"], res["add_s"]
    ok = len(lat)
    print("ok", ok)
    print("failed", len(res["failures"]))
    print("iterations", res["iterations"])
    print("timed_out", int(res["timed_out"]))
    print("reconnects", res["reconnects"])
    print("wall_s", "%.2f" % res["wall_s"])
    print("orders_per_s", "%.1f" % (ok / res["wall_s"] if res["wall_s"] > 0 else 0))
    for name, v in (("checkout", lat), ("add", add)):
        for p in (50, 90, 99):
            print("%s_p%d_ms" % (name, p), "%.2f" % (1000 * pct(v, p)))
        print("%s_max_ms" % name, "%.2f" % (1000 * max(v) if v else 0))
        print("%s_mean_ms" % name, "%.2f" % (1000 * sum(v) / len(v) if v else 0))
    if res["failures"]:
        print("first_failure", res["failures"][0].replace("\n", " ")[:200])
    return 0


def cmd_journal(db, out):
    with open(out) as f:
        res = json.load(f)
    mine = res["orders"] + res["warmup_orders"]
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        counts = dict(con.execute("SELECT state, COUNT(*) FROM orders GROUP BY state").fetchall())
        states = {}
        for oid in mine:
            row = con.execute("SELECT state FROM orders WHERE order_id = ?", (oid,)).fetchone()
            s = row[0] if row else "missing"
            states[s] = states.get(s, 0) + 1
    finally:
        con.close()
    print("ours", len(mine))
    print("ours_states", " ".join("%s=%d" % kv for kv in sorted(states.items())))
    print("journal_states", " ".join("%s=%d" % kv for kv in sorted(counts.items())))
    print("all_confirmed", int(states.get("confirmed", 0) == len(mine) and set(counts) <= {"confirmed"}))
    return 0


def main(argv):
    cmds = {"wait": (cmd_wait, 4), "pages": (cmd_pages, 2), "size": (cmd_size, 3),
            "checkout": (cmd_checkout, 5), "journal": (cmd_journal, 2), "pct": (cmd_pct, 1)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))

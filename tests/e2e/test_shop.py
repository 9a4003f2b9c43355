#!/usr/bin/env python3
"""End to end: the whole shop up with `meshsim up`, driven as a person and
as the load tools would drive it.

One shop (twelve processes on their own loopback net, the frontend on a free
port of 127.0.0.1) serves every test in order: browse, set the currency, add
to the cart, check out (the confirmation's order id, tracking id and total in
EUR checked against an independent computation), sell a product through
business and find it in the catalog and on the home page, 20 load-generator
users for 60 s with zero failures, every order in the journal complete,
kill -9 of cartservice losing no acknowledged item while the supervisor
brings it back, and a headless Locust run with zero failures.
"""
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))
import harness  # noqa: E402
from harness import grpc, demo_pb2 as pb, demo_pb2_grpc as rpc  # noqa: E402
from test_leaves import upstream_convert, PRODUCTS  # noqa: E402

B = harness.BUILDDIR
S = harness.SRCDIR
NET = "127.0.9"
LOAD_SECONDS = int(os.environ.get("E2E_LOAD_SECONDS", "60"))
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a4d200"
    "00000049454e44ae426082")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A tiny HTTP client with a cookie jar; never follows redirects, so the
    tests see every 302."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None, form=None):
        h = dict(headers or {})
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    value = rest.split(";", 1)[0]
                    if "max-age=0" in v.lower() or "expires=thu, 01 jan 1970" in v.lower():
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = value
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
        finally:
            c.close()


def multipart(fields, files):
    boundary = "----meshsim" + uuid.uuid4().hex
    out = b""
    for name, value in fields:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                % (boundary, name, value)).encode()
    for name, filename, ctype, data in files:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                "Content-Type: %s\r\n\r\n" % (boundary, name, filename, ctype)).encode()
        out += data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return out, "multipart/form-data; boundary=" + boundary


def status_table(state):
    rows = {}
    try:
        with open(os.path.join(state, "status")) as f:
            for line in f.readlines()[1:]:
                p = line.split()
                if len(p) >= 6:
                    rows[p[0]] = {"addr": p[1], "pid": p[2], "state": p[3], "restarts": int(p[-1])}
    except OSError:
        pass
    return rows


CHECKOUT_FORM = {
    "email": "someone@example.com", "street_address": "1600 Amphitheatre Parkway",
    "zip_code": "94043", "city": "Mountain View", "state": "CA", "country": "United States",
    "credit_card_number": "4432-8015-6152-0454", "credit_card_expiration_month": "1",
    "credit_card_expiration_year": str(time.gmtime().tm_year + 1), "credit_card_cvv": "672",
}


class Shop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="meshsim-e2e-")
        cls.state = os.path.join(cls.tmp, "state")
        cls.port = free_port()
        cls.out = open(os.path.join(cls.tmp, "up.out"), "w+")
        cls.up = subprocess.Popen(
            [os.path.join(B, "meshsim"), "up", "--state-dir", cls.state, "--net", NET,
             "--port", str(cls.port), "--users", "0", "--restart-backoff", "1", "--grace", "3"],
            stdout=cls.out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            rows = status_table(cls.state)
            if len(rows) == 11 and all(r["state"] == "SERVING" for r in rows.values()):
                break
            if cls.up.poll() is not None or time.monotonic() > deadline:
                cls.out.seek(0)
                cls.tearDownClass()
                raise AssertionError("the shop did not come up:\n" + cls.out.read())
            time.sleep(0.2)
        cls.rows = rows
        cls.catalog = grpc.insecure_channel(rows["productcatalogservice"]["addr"])

    @classmethod
    def tearDownClass(cls):
        if cls.up.poll() is None:
            cls.up.send_signal(signal.SIGTERM)
            try:
                cls.up.wait(30)
            except subprocess.TimeoutExpired:
                cls.up.kill()
                cls.up.wait()
        cls.out.close()
        import shutil
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def browser(self):
        return Browser(self.port)

    def test_1_browse(self):
        b = self.browser()
        st, h, body = b.request("GET", "/")
        self.assertEqual(st, 200)
        self.assertIn("shop_session-id", b.cookies)
        self.assertRegex(b.cookies["shop_session-id"], r"^[0-9a-f-]{36}$")
        page = body.decode()
        for name, _, _ in PRODUCTS.values():
            self.assertIn(name.replace("&", "&amp;"), page)
        st, _, body = b.request("GET", "/product/OLJCESPC7Z")
        self.assertEqual(st, 200)
        self.assertIn(b"Sunglasses", body)
        self.assertEqual(b.request("GET", "/_healthz")[::2], (200, b"ok"))
        self.assertEqual(b.request("GET", "/robots.txt")[0], 200)
        self.assertEqual(b.request("GET", "/product/NOSUCHTHING")[0], 404)

    def test_2_currency_cart_checkout(self):
        b = self.browser()
        b.request("GET", "/")
        st, h, _ = b.request("POST", "/setCurrency", form={"currency_code": "EUR"},
                             headers={"Referer": "http://127.0.0.1:%d/" % self.port})
        self.assertEqual(st, 302)
        self.assertEqual(b.cookies.get("shop_currency"), "EUR")
        self.assertIn("€".encode(), b.request("GET", "/")[2])
        for pid, qty in (("OLJCESPC7Z", 2), ("6E92ZMYYFZ", 1)):
            st, h, _ = b.request("POST", "/cart", form={"product_id": pid, "quantity": str(qty)})
            self.assertEqual(st, 302)
            self.assertTrue(h["location"].endswith("/cart"), h["location"])
        st, _, body = b.request("GET", "/cart")
        self.assertEqual(st, 200)
        self.assertIn(b"Sunglasses", body)
        self.assertIn(b"Mug", body)
        self.assertEqual(b.request("POST", "/cart/checkout", form=dict(
            CHECKOUT_FORM, credit_card_expiration_month="13"))[0], 422)

        st, _, body = b.request("POST", "/cart/checkout", form=CHECKOUT_FORM)
        page = body.decode()
        self.assertEqual(st, 200, page[:2000])
        self.assertRegex(page, r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
        self.assertRegex(page, r"[A-Z]{2}-\d{5}-\d{9}")
        # The total, computed independently: each unit price and the 8.99 USD
        # shipping converted as upstream converts, times quantities, summed.
        def eur(units, nanos):
            u, n = upstream_convert(units, nanos, "USD", "EUR")
            return u * 10**9 + n
        total = 2 * eur(19, 990000000) + eur(8, 990000000) + eur(8, 990000000)
        expect = "€%d.%02d" % (total // 10**9, (total % 10**9) // 10**7)
        m = re.search(r"Total paid</dt><dd[^>]*>([^<]+)<", page)
        self.assertIsNotNone(m, page[:3000])
        self.assertEqual(m.group(1).strip(), expect)
        # The cart was emptied by checkout.
        self.assertIn(b"Your shopping cart is empty", b.request("GET", "/cart")[2])

    def test_3_sell(self):
        b = self.browser()
        st, _, body = b.request("GET", "/business")
        self.assertEqual(st, 200)
        name = "E2E Walnut Bowl %d" % os.getpid()
        data, ctype = multipart(
            [("listing_id", str(uuid.uuid4())), ("seller_email", "maker@example.com"),
             ("product_name", name), ("description", "Turned from one piece of walnut."),
             ("categories", "kitchen"), ("price", "24.00"), ("currency", "USD")],
            [("picture", "bowl.png", "image/png", PNG)])
        st, h, body = b.request("POST", "/business", body=data, headers={"Content-Type": ctype})
        self.assertIn(st, (200, 201), body[:2000])
        stub = rpc.ProductCatalogServiceStub(self.catalog)
        mine = [p for p in stub.ListProducts(pb.Empty(), timeout=5).products if p.name == name]
        self.assertEqual(len(mine), 1)
        self.assertEqual((mine[0].price_usd.units, mine[0].price_usd.nanos), (24, 0))
        st, _, home = b.request("GET", "/")
        self.assertIn(name.encode(), home)
        st, _, page = b.request("GET", "/product/" + mine[0].id)
        self.assertEqual(st, 200)
        self.assertIn(name.encode(), page)
        st, h, pic = b.request("GET", mine[0].picture)
        self.assertEqual((st, pic), (200, PNG))

    def test_4_load_generator(self):
        report = os.path.join(self.tmp, "load.json")
        p = subprocess.run(
            [os.path.join(B, "loadgenerator"), "--frontend-addr", "127.0.0.1:%d" % self.port,
             "--users", "20", "--rate", "5", "--duration", "%ds" % LOAD_SECONDS,
             "--max-failure-ratio", "0", "--stats-interval", "0", "--json", report],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=LOAD_SECONDS + 60)
        self.assertEqual(p.returncode, 0, p.stdout[-4000:])
        with open(report) as f:
            stats = json.load(f)
        text = json.dumps(stats)
        self.assertRegex(text, r'"failures": 0\b')
        print(p.stdout[-2500:])

    def test_5_journal_complete(self):
        db = os.path.join(self.state, "checkoutservice", "orders.db")
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        try:
            rows = con.execute("SELECT state, COUNT(*) FROM orders GROUP BY state").fetchall()
        finally:
            con.close()
        states = dict(rows)
        self.assertGreaterEqual(states.get("confirmed", 0), 1, states)
        self.assertEqual(set(states), {"confirmed"}, states)

    def test_6_cart_survives_kill9(self):
        b = self.browser()
        b.request("GET", "/")
        added = {"1YMWWN1N4O": 3, "L9ECAV7KIM": 1, "2ZYFJ3GM2N": 2, "0PUK6V6EV0": 4, "LS4PSXUNUM": 1}
        for pid, q in added.items():
            self.assertEqual(b.request("POST", "/cart", form={"product_id": pid,
                                                             "quantity": str(q)})[0], 302)
        before = status_table(self.state)["cartservice"]
        os.kill(int(before["pid"]), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            now = status_table(self.state).get("cartservice", {})
            if (now.get("state") == "SERVING" and now.get("pid") != before["pid"]
                    and now.get("restarts", 0) > before["restarts"]):
                break
            self.assertLess(time.monotonic(), deadline, "cartservice not back: %s" % now)
            time.sleep(0.2)
        # Every acknowledged item is there, read straight from the cart.
        cart = rpc.CartServiceStub(grpc.insecure_channel(now["addr"]))
        got = cart.GetCart(pb.GetCartRequest(user_id=b.cookies["shop_session-id"]), timeout=5)
        self.assertEqual({i.product_id: i.quantity for i in got.items}, added)
        self.assertEqual(b.request("GET", "/cart")[0], 200)

    def test_7_locust(self):
        env = dict(os.environ, THINK_MIN="1", THINK_MAX="3")
        p = subprocess.run(
            ["sh", os.path.join(S, "tests", "locust", "run_locust.sh"),
             "http://127.0.0.1:%d" % self.port, "10", "30"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120, env=env)
        self.assertNotEqual(p.returncode, 77, "locust is not installed (scripts/setup.sh installs python3-locust)")
        self.assertEqual(p.returncode, 0, p.stdout[-4000:])
        print(p.stdout[-1500:])


if __name__ == "__main__":
    unittest.main(verbosity=2)

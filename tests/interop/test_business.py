#!/usr/bin/env python3
"""Interop: the real business binary with the real email, catalog and
currency services on loopback. A seller posts the HTML form (multipart, with
a PNG) over plain HTTP/1.1 (urllib); the product then shows up in the
catalog through real gRPC (python3-grpcio), its picture is served back by
business, it survives a catalog restart, and deleting the listing removes
it from the catalog."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import unittest
import urllib.error
import urllib.request
import uuid

import harness
from harness import demo_pb2 as pb, demo_pb2_grpc as rpc

import catalog_admin_pb2 as admin_pb  # noqa: E402
import catalog_admin_pb2_grpc as admin_rpc  # noqa: E402

# A 1x1 PNG.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


class HttpService(harness.Service):
    """A service that serves HTTP/1.1: the same start-up and log reading as
    harness.Service, without a gRPC channel."""

    def __init__(self, binary, env=None):
        path = os.path.join(harness.BUILDDIR, binary)
        if not os.access(path, os.X_OK):
            raise AssertionError("service binary not built: " + path)
        self.binary = binary
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "PORT": "0", "BIND_ADDR": "127.0.0.1"}
        full_env.update(env or {})
        self.lines = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen([path], env=full_env, cwd="/", stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        line = self.wait_for_log(lambda o: o.get("message") == "listening", harness.START_TIMEOUT)
        self.port = int(line["port"])
        self.addr = "127.0.0.1:%d" % self.port
        self.channel = None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        if self.proc.stdout:
            self.proc.stdout.close()

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers, body bytes); never raises for 4xx/5xx."""
        req = urllib.request.Request("http://%s%s" % (self.addr, path), data=body,
                                     method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


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


class Business(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="meshsim-business-")
        cls.catalog_db = os.path.join(cls.tmp, "seller-products.db")
        cls.started = []
        try:
            cls.catalog = cls.start(harness.Service, "productcatalogservice",
                                    {"SELLER_PRODUCTS_DB": cls.catalog_db})
            cls.email = cls.start(harness.Service, "emailservice", {})
            cls.currency = cls.start(harness.Service, "currencyservice", {})
            cls.business = cls.start(HttpService, "business", {
                "EMAIL_SERVICE": cls.email.addr,
                "PRODUCT_CATALOG_SERVICE_ADDR": cls.catalog.addr,
                "CURRENCY_SERVICE_ADDR": cls.currency.addr,
                "BUSINESS_DB_PATH": os.path.join(cls.tmp, "business.db"),
            })
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def start(cls, kind, binary, env):
        s = kind(binary, env)
        cls.started.append(s)
        return s

    @classmethod
    def tearDownClass(cls):
        for s in reversed(cls.started):
            s.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def catalog_stub(self):
        return rpc.ProductCatalogServiceStub(self.catalog.channel)

    def sell(self, name, price="12.50", currency="USD", picture=PNG):
        body, ctype = multipart(
            [("listing_id", str(uuid.uuid4())), ("seller_email", "seller@example.com"),
             ("product_name", name), ("description", "Made by hand in a small workshop."),
             ("categories", "home"), ("categories", "decor"), ("price", price),
             ("currency", currency)],
            [("picture", "lamp.png", "image/png", picture)])
        return self.business.request("POST", "/business", body, {"Content-Type": ctype})

    def test_1_form(self):
        status, headers, body = self.business.request("GET", "/business")
        self.assertEqual(status, 200)
        self.assertIn("text/html", headers["Content-Type"])
        self.assertIn(b"Sell your product", body)
        status, _, body = self.business.request("GET", "/_healthz")
        self.assertEqual((status, body), (200, b"ok"))

    def test_2_sell_and_buy(self):
        status, headers, body = self.sell("Interop Paper Lamp")
        self.assertEqual(status, 201, body)
        self.assertIn(b"Your product is listed", body)
        listing_id = headers["Location"].rsplit("/", 1)[1]

        # The catalog serves it beside the nine built-in products.
        products = self.catalog_stub().ListProducts(pb.Empty(), timeout=5).products
        self.assertEqual(len([p for p in products if not p.id.startswith("S")]), 9)
        mine = [p for p in products if p.name == "Interop Paper Lamp"]
        self.assertEqual(len(mine), 1)
        p = mine[0]
        self.assertRegex(p.id, r"^S[0-9A-Z]{9}$")
        self.assertEqual(p.picture, "/business/pictures/" + listing_id)
        self.assertEqual((p.price_usd.currency_code, p.price_usd.units, p.price_usd.nanos),
                         ("USD", 12, 500000000))
        self.assertEqual(list(p.categories), ["decor", "home"])
        self.assertIn(("/product/" + p.id).encode(), body)
        got = self.catalog_stub().GetProduct(pb.GetProductRequest(id=p.id), timeout=5)
        self.assertEqual(got.name, p.name)
        hits = self.catalog_stub().SearchProducts(pb.SearchProductsRequest(query="workshop"),
                                                  timeout=5).results
        self.assertEqual([h.id for h in hits], [p.id])

        # The picture URL the catalog holds is served by business.
        status, headers, pic = self.business.request("GET", p.picture)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "image/png")
        self.assertEqual(pic, PNG)

        # The seller was sent the verification e-mail.
        self.email.wait_for_log(lambda o: o.get("message") == "would send verification email"
                                and o.get("to") == "seller@example.com", 5)

        # The JSON API agrees.
        status, _, body = self.business.request("GET", "/business/api/listings/" + listing_id)
        self.assertEqual(status, 200)
        listing = json.loads(body)["listing"]
        self.assertEqual(listing["state"], "listed")
        self.assertEqual(listing["catalog_product_id"], p.id)

    def test_3_converted_price(self):
        status, _, body = self.sell("Interop Euro Mat", price="10.00", currency="EUR")
        self.assertEqual(status, 201, body)
        products = self.catalog_stub().ListProducts(pb.Empty(), timeout=5).products
        p = [p for p in products if p.name == "Interop Euro Mat"][0]
        # What the currency service makes of 10 EUR (upstream's double
        # arithmetic gives 11.304999999 USD), rounded to the nearest cent.
        usd = rpc.CurrencyServiceStub(self.currency.channel).Convert(
            pb.CurrencyConversionRequest(**{"from": pb.Money(currency_code="EUR", units=10)},
                                         to_code="USD"), timeout=5)
        cents = usd.units * 100 + (usd.nanos + 5000000) // 10000000
        self.assertEqual((p.price_usd.units, p.price_usd.nanos),
                         (cents // 100, cents % 100 * 10000000))
        self.assertEqual((p.price_usd.units, p.price_usd.nanos), (11, 300000000))

    def test_4_durable_and_delete(self):
        status, headers, body = self.sell("Interop Doomed Vase")
        self.assertEqual(status, 201, body)
        listing_id = headers["Location"].rsplit("/", 1)[1]
        # The catalog restarts on the same database: the product is still there.
        old = self.catalog
        old.stop()
        self.started.remove(old)
        port = old.port
        type(self).catalog = self.start(harness.Service, "productcatalogservice",
                                        {"SELLER_PRODUCTS_DB": self.catalog_db, "PORT": str(port)})
        names = [p.name for p in self.catalog_stub().ListProducts(pb.Empty(), timeout=5).products]
        self.assertIn("Interop Doomed Vase", names)
        # Deleting the listing removes the product.
        status, _, body = self.business.request("DELETE", "/business/api/listings/" + listing_id)
        self.assertEqual(status, 204, body)
        names = [p.name for p in self.catalog_stub().ListProducts(pb.Empty(), timeout=5).products]
        self.assertNotIn("Interop Doomed Vase", names)
        status, _, _ = self.business.request("GET", "/business/pictures/" + listing_id)
        self.assertEqual(status, 404)

    def test_5_refusals(self):
        status, _, body = self.sell("Interop Bad Picture", picture=b"not an image at all")
        self.assertEqual(status, 422)
        self.assertIn(b"JPEG, PNG, GIF, WebP or SVG", body)
        status, _, body = self.business.request(
            "POST", "/business/api/listings", b'{"seller_email":"x"}',
            {"Content-Type": "application/json"})
        self.assertEqual(status, 422)
        self.assertEqual(json.loads(body)["field"], "seller_email")

    def test_6_admin_rpc(self):
        """ProductCatalogAdmin over real gRPC: validation and idempotency."""
        stub = admin_rpc.ProductCatalogAdminStub(self.catalog.channel)
        req = admin_pb.AddProductRequest(
            listing_id="interop-admin-1", seller_email="a@b.example",
            product=pb.Product(name="Admin Cup", price_usd=pb.Money(currency_code="USD", units=3)))
        a = stub.AddProduct(req, timeout=5)
        b = stub.AddProduct(req, timeout=5)
        self.assertEqual(a.id, b.id)
        req.product.price_usd.currency_code = "EUR"
        with self.assertRaises(harness.grpc.RpcError) as cm:
            stub.AddProduct(req, timeout=5)
        self.assertEqual(cm.exception.code(), harness.grpc.StatusCode.INVALID_ARGUMENT)
        ids = [p.id for p in stub.ListSellerProducts(pb.Empty(), timeout=5).products]
        self.assertIn(a.id, ids)
        stub.RemoveProduct(admin_pb.RemoveProductRequest(listing_id="interop-admin-1"), timeout=5)


if __name__ == "__main__":
    harness.main()

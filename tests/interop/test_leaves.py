#!/usr/bin/env python3
"""Interop: every method of every leaf service, called with real gRPC
(python3-grpcio), with its error codes, limits and deadlines."""
import math
import random
import re
import unittest

import harness
from harness import grpc, demo_pb2 as pb, demo_pb2_grpc as rpc

# Rates per 1 EUR, restated from BOUTIQUE.md (written independently of the
# service's data file, so a typo in either shows up here).
RATES = {
    "EUR": "1.0", "USD": "1.1305", "JPY": "126.40", "BGN": "1.9558",
    "CZK": "25.592", "DKK": "7.4609", "GBP": "0.85970", "HUF": "315.51",
    "PLN": "4.2996", "RON": "4.7463", "SEK": "10.5375", "CHF": "1.1360",
    "ISK": "136.80", "NOK": "9.8040", "HRK": "7.4210", "RUB": "74.4208",
    "TRY": "6.1247", "AUD": "1.6072", "BRL": "4.2682", "CAD": "1.5128",
    "CNY": "7.5857", "HKD": "8.8743", "IDR": "15999.40", "ILS": "4.0875",
    "INR": "79.4320", "KRW": "1275.05", "MXN": "21.7999", "MYR": "4.6289",
    "NZD": "1.6679", "PHP": "59.083", "SGD": "1.5349", "THB": "36.012",
    "ZAR": "16.0583",
}

PRODUCTS = {
    "OLJCESPC7Z": ("Sunglasses", 19, 990000000),
    "66VCHSJNUP": ("Tank Top", 18, 990000000),
    "1YMWWN1N4O": ("Watch", 109, 990000000),
    "L9ECAV7KIM": ("Loafers", 89, 990000000),
    "2ZYFJ3GM2N": ("Hairdryer", 24, 990000000),
    "0PUK6V6EV0": ("Candle Holder", 18, 990000000),
    "LS4PSXUNUM": ("Salt & Pepper Shakers", 18, 490000000),
    "9SIQT8TOJO": ("Bamboo Glass Jar", 5, 490000000),
    "6E92ZMYYFZ": ("Mug", 8, 990000000),
}


def js_round(x):
    """JavaScript Math.round: nearest integer, ties toward +infinity."""
    f = math.floor(x)
    return f + 1 if x - f >= 0.5 else f


def js_carry(units, nanos):
    """Upstream currency service's carry step, in JS double arithmetic
    (% keeps the dividend's sign in JS, as math.fmod does)."""
    frac = 1e9
    nanos = nanos + math.fmod(units, 1) * frac
    units = math.floor(units) + math.floor(nanos / frac)
    nanos = math.fmod(nanos, frac)
    return units, nanos


def upstream_convert(units, nanos, src, dst):
    eu, en = js_carry(units / float(RATES[src]), nanos / float(RATES[src]))
    en = js_round(en)
    ru, rn = js_carry(eu * float(RATES[dst]), en * float(RATES[dst]))
    return int(math.floor(ru)), int(math.floor(rn))


def expect_error(test, code, fn, *args, **kw):
    with test.assertRaises(grpc.RpcError) as cm:
        fn(*args, **kw)
    test.assertEqual(cm.exception.code(), code, cm.exception.details())
    return cm.exception.details()


class ProductCatalog(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.svc = harness.Service("productcatalogservice")
        cls.stub = cls.svc.stub(rpc.ProductCatalogServiceStub)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()

    def test_list(self):
        r = self.stub.ListProducts(pb.Empty(), timeout=5)
        got = {p.id: (p.name, p.price_usd.units, p.price_usd.nanos) for p in r.products}
        self.assertEqual(got, PRODUCTS)
        for p in r.products:
            self.assertEqual(p.price_usd.currency_code, "USD")
            self.assertTrue(p.picture.startswith("/static/img/products/"), p.picture)
            self.assertTrue(p.description)
            self.assertTrue(p.categories)

    def test_get(self):
        p = self.stub.GetProduct(pb.GetProductRequest(id="L9ECAV7KIM"), timeout=5)
        self.assertEqual(p.name, "Loafers")
        self.assertEqual(list(p.categories), ["footwear"])
        details = expect_error(self, grpc.StatusCode.NOT_FOUND, self.stub.GetProduct,
                               pb.GetProductRequest(id="NOPE"), timeout=5)
        self.assertIn("NOPE", details)

    def test_search(self):
        r = self.stub.SearchProducts(pb.SearchProductsRequest(query="mUg"), timeout=5)
        self.assertIn("6E92ZMYYFZ", [p.id for p in r.results])
        r = self.stub.SearchProducts(pb.SearchProductsRequest(query="zzzz-nothing"), timeout=5)
        self.assertEqual(len(r.results), 0)

    def test_unknown_method_and_service(self):
        for path in ("/hipstershop.ProductCatalogService/Nope", "/hipstershop.Nope/ListProducts"):
            call = self.svc.channel.unary_unary(path)
            expect_error(self, grpc.StatusCode.UNIMPLEMENTED, call, b"", timeout=5)

    def test_undecodable_request(self):
        call = self.svc.channel.unary_unary("/hipstershop.ProductCatalogService/GetProduct")
        with self.assertRaises(grpc.RpcError) as cm:
            call(b"\x0a\xff\xff\xff\xff\x0f", timeout=5)
        self.assertIn(cm.exception.code(), (grpc.StatusCode.INVALID_ARGUMENT,
                                            grpc.StatusCode.INTERNAL))
        self.assertTrue(cm.exception.details())

    def test_message_too_large(self):
        call = self.svc.channel.unary_unary("/hipstershop.ProductCatalogService/SearchProducts")
        big = pb.SearchProductsRequest(query="x" * (4 * 1024 * 1024 + 10)).SerializeToString()
        expect_error(self, grpc.StatusCode.RESOURCE_EXHAUSTED, call, big, timeout=10)
        # The connection is still usable afterwards.
        self.stub.ListProducts(pb.Empty(), timeout=5)

    def test_compressed_request_refused(self):
        # gzip is not an encoding we accept: gRPC says UNIMPLEMENTED.
        expect_error(self, grpc.StatusCode.UNIMPLEMENTED, self.stub.SearchProducts,
                     pb.SearchProductsRequest(query="mug" * 100), timeout=5,
                     compression=grpc.Compression.Gzip)

    def test_many_concurrent_calls(self):
        futs = [self.stub.GetProduct.future(pb.GetProductRequest(id=pid), timeout=10)
                for pid in list(PRODUCTS) * 30]
        for f, pid in zip(futs, list(PRODUCTS) * 30):
            self.assertEqual(f.result().id, pid)


class ProductCatalogLatency(unittest.TestCase):
    def test_extra_latency_and_deadline(self):
        svc = harness.Service("productcatalogservice", env={"EXTRA_LATENCY": "300ms"})
        try:
            stub = svc.stub(rpc.ProductCatalogServiceStub)
            expect_error(self, grpc.StatusCode.DEADLINE_EXCEEDED, stub.ListProducts,
                         pb.Empty(), timeout=0.1)
            t0 = harness.time.monotonic()
            stub.ListProducts(pb.Empty(), timeout=5)
            self.assertGreaterEqual(harness.time.monotonic() - t0, 0.28)
        finally:
            svc.stop()

    def test_bad_latency_exits_2(self):
        rc, out = harness.run_binary("productcatalogservice",
                                     {"PORT": "0", "BIND_ADDR": "127.0.0.1",
                                      "EXTRA_LATENCY": "soon"})
        self.assertEqual(rc, 2, out)
        self.assertIn("EXTRA_LATENCY", out)
        self.assertIn("soon", out)

    def test_bad_catalog_file_named(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write('{"products": [\n  {"id": "X", "name": \n')
        rc, out = harness.run_binary("productcatalogservice",
                                     {"PORT": "0", "BIND_ADDR": "127.0.0.1",
                                      "PRODUCT_CATALOG_PATH": f.name})
        harness.os.unlink(f.name)
        self.assertEqual(rc, 2, out)
        self.assertIn(f.name, out)


class Currency(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.svc = harness.Service("currencyservice")
        cls.stub = cls.svc.stub(rpc.CurrencyServiceStub)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()

    def test_supported(self):
        r = self.stub.GetSupportedCurrencies(pb.Empty(), timeout=5)
        self.assertEqual(sorted(r.currency_codes), sorted(RATES))

    def test_convert_matches_upstream(self):
        rng = random.Random(7)
        codes = sorted(RATES)
        amounts = [(0, 0), (1, 0), (19, 990000000), (0, 1), (123456, 999999999)]
        amounts += [(rng.randrange(0, 100000), rng.randrange(0, 10**9)) for _ in range(40)]
        futs = []
        for src in codes:
            for dst in codes:
                for units, nanos in rng.sample(amounts, 6):
                    req = pb.CurrencyConversionRequest(
                        **{"from": pb.Money(currency_code=src, units=units, nanos=nanos)},
                        to_code=dst)
                    futs.append((src, dst, units, nanos, self.stub.Convert.future(req, timeout=20)))
        for src, dst, units, nanos, f in futs:
            m = f.result()
            self.assertEqual(m.currency_code, dst)
            self.assertEqual((m.units, m.nanos), upstream_convert(units, nanos, src, dst),
                             "%s %d.%09d -> %s" % (src, units, nanos, dst))

    def test_unknown_code(self):
        for src, dst in (("XXX", "EUR"), ("USD", "ABC")):
            req = pb.CurrencyConversionRequest(
                **{"from": pb.Money(currency_code=src, units=1)}, to_code=dst)
            details = expect_error(self, grpc.StatusCode.INVALID_ARGUMENT,
                                   self.stub.Convert, req, timeout=5)
            self.assertTrue("XXX" in details or "ABC" in details, details)


ADDRESS = pb.Address(street_address="1600 Amphitheatre Parkway", city="Mountain View",
                     state="CA", country="United States", zip_code=94043)


class Shipping(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.svc = harness.Service("shippingservice")
        cls.stub = cls.svc.stub(rpc.ShippingServiceStub)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()

    def test_quote(self):
        r = self.stub.GetQuote(pb.GetQuoteRequest(address=ADDRESS), timeout=5)
        self.assertEqual((r.cost_usd.units, r.cost_usd.nanos), (0, 0))
        r = self.stub.GetQuote(pb.GetQuoteRequest(
            address=ADDRESS, items=[pb.CartItem(product_id="6E92ZMYYFZ", quantity=3)]), timeout=5)
        self.assertEqual((r.cost_usd.currency_code, r.cost_usd.units, r.cost_usd.nanos),
                         ("USD", 8, 990000000))

    def test_ship(self):
        salt = "%s, %s, %s" % (ADDRESS.street_address, ADDRESS.city, ADDRESS.state)
        r = self.stub.ShipOrder(pb.ShipOrderRequest(
            address=ADDRESS, items=[pb.CartItem(product_id="6E92ZMYYFZ", quantity=1)]), timeout=5)
        pat = r"^[A-Z]{2}-%d\d{3}-%d\d{7}$" % (len(salt), len(salt) // 2)
        self.assertRegex(r.tracking_id, pat)


def luhn_ok(num):
    digits = [int(c) for c in num][::-1]
    s = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2)
            for i, d in enumerate(digits))
    return s % 10 == 0


class Payment(unittest.TestCase):
    VISA = "4432801561520454"
    MASTERCARD = "5555555555554444"
    AMEX = "378282246310005"

    @classmethod
    def setUpClass(cls):
        cls.svc = harness.Service("paymentservice")
        cls.stub = cls.svc.stub(rpc.PaymentServiceStub)
        cls.year = harness.time.gmtime().tm_year

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()

    def charge(self, number, year, month=1):
        return self.stub.Charge(pb.ChargeRequest(
            amount=pb.Money(currency_code="USD", units=10, nanos=500000000),
            credit_card=pb.CreditCardInfo(credit_card_number=number, credit_card_cvv=123,
                                          credit_card_expiration_year=year,
                                          credit_card_expiration_month=month)), timeout=5)

    def test_valid_cards(self):
        self.assertTrue(luhn_ok(self.VISA) and luhn_ok(self.MASTERCARD))
        ids = set()
        for num in (self.VISA, self.MASTERCARD, "4432-8015-6152-0454"):
            r = self.charge(num, self.year + 1)
            self.assertRegex(r.transaction_id,
                             r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
            ids.add(r.transaction_id)
        self.assertEqual(len(ids), 3)

    def test_invalid(self):
        d = expect_error(self, grpc.StatusCode.INVALID_ARGUMENT, self.charge,
                         "4432801561520455", self.year + 1)
        self.assertEqual(d, "Credit card info is invalid")

    def test_unaccepted_type(self):
        d = expect_error(self, grpc.StatusCode.INVALID_ARGUMENT, self.charge,
                         self.AMEX, self.year + 1)
        self.assertRegex(d, r"^Sorry, we cannot process \S+ credit cards\. "
                            r"Only VISA or MasterCard is accepted\.$")

    def test_expired(self):
        d = expect_error(self, grpc.StatusCode.INVALID_ARGUMENT, self.charge,
                         self.VISA, self.year - 1, 3)
        self.assertEqual(d, "Your credit card (ending 0454) expired on 3/%d" % (self.year - 1))


class Email(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.svc = harness.Service("emailservice")
        cls.stub = cls.svc.stub(rpc.EmailServiceStub)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()

    def test_order_confirmation(self):
        order = pb.OrderResult(
            order_id="1b9c5e0a-0000-4000-8000-000000000001", shipping_tracking_id="AB-1234-5678",
            shipping_cost=pb.Money(currency_code="USD", units=8, nanos=990000000),
            shipping_address=ADDRESS,
            items=[pb.OrderItem(item=pb.CartItem(product_id="6E92ZMYYFZ", quantity=2),
                                cost=pb.Money(currency_code="USD", units=8, nanos=990000000))])
        r = self.stub.SendOrderConfirmation(
            pb.SendOrderConfirmationRequest(email="someone@example.com", order=order), timeout=5)
        self.assertEqual(r, pb.Empty())
        line = self.svc.wait_for_log(lambda o: "someone@example.com" in json_text(o), 5)
        self.assertIn("1b9c5e0a-0000-4000-8000-000000000001", json_text(line))

    def test_verification(self):
        r = self.stub.SendVerificationEmail(pb.SendVerificationRequest(
            email="seller@example.com", product_name="Teapot", price=12.5), timeout=5)
        self.assertTrue(r.success)
        self.assertTrue(r.message.startswith(
            "Verification email sent to seller@example.com for Teapot of price 12.5"), r.message)
        self.assertTrue(r.message.endswith("."))


def json_text(o):
    return harness.json.dumps(o)


class Ad(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.svc = harness.Service("adservice")
        cls.stub = cls.svc.stub(rpc.AdServiceStub)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()

    def test_by_category(self):
        r = self.stub.GetAds(pb.AdRequest(context_keys=["clothing"]), timeout=5)
        self.assertEqual([a.redirect_url for a in r.ads], ["/product/66VCHSJNUP"])
        r = self.stub.GetAds(pb.AdRequest(context_keys=["kitchen"]), timeout=5)
        self.assertEqual(sorted(a.redirect_url for a in r.ads),
                         ["/product/6E92ZMYYFZ", "/product/9SIQT8TOJO"])
        r = self.stub.GetAds(pb.AdRequest(context_keys=["hair"]), timeout=5)
        self.assertEqual(r.ads[0].text, "Hairdryer for sale. 50% off.")

    def test_random(self):
        for keys in ([], ["no-such-category"]):
            r = self.stub.GetAds(pb.AdRequest(context_keys=keys), timeout=5)
            self.assertEqual(len(r.ads), 2)
            for a in r.ads:
                self.assertRegex(a.redirect_url, r"^/product/[0-9A-Z]{10}$")
                self.assertTrue(a.text)


class Recommendation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.catalog = harness.Service("productcatalogservice")
        cls.svc = harness.Service("recommendationservice",
                                  env={"PRODUCT_CATALOG_SERVICE_ADDR": cls.catalog.addr})
        cls.stub = cls.svc.stub(rpc.RecommendationServiceStub)

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()
        cls.catalog.stop()

    def test_recommend(self):
        exclude = ["OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O"]
        seen = set()
        for _ in range(20):
            r = self.stub.ListRecommendations(pb.ListRecommendationsRequest(
                user_id="u1", product_ids=exclude), timeout=5)
            ids = list(r.product_ids)
            self.assertLessEqual(len(ids), 5)
            self.assertGreater(len(ids), 0)
            self.assertEqual(len(set(ids)), len(ids))
            for i in ids:
                self.assertIn(i, PRODUCTS)
                self.assertNotIn(i, exclude)
            seen.update(ids)
        self.assertGreater(len(seen), 5)  # random order and choice across calls

    def test_missing_catalog_addr_exits_2(self):
        rc, out = harness.run_binary("recommendationservice",
                                     {"PORT": "0", "BIND_ADDR": "127.0.0.1"})
        self.assertEqual(rc, 2, out)
        self.assertIn("PRODUCT_CATALOG_SERVICE_ADDR", out)


class BadEnvironment(unittest.TestCase):
    def test_bad_port(self):
        for binary in ("currencyservice", "shippingservice", "adservice"):
            for bad in ("abc", "70000", "-1"):
                rc, out = harness.run_binary(binary, {"PORT": bad, "BIND_ADDR": "127.0.0.1"})
                self.assertEqual(rc, 2, "%s PORT=%s: %s" % (binary, bad, out))
                self.assertIn("PORT", out)
                self.assertIn(bad, out)

    def test_help(self):
        rc, out = harness.run_binary("currencyservice", {}, args=["--help"])
        self.assertEqual(rc, 0, out)
        self.assertIn("PORT", out)


if __name__ == "__main__":
    harness.main()

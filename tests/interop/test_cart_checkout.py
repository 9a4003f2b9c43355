#!/usr/bin/env python3
"""Interop: cartservice and checkoutservice over real gRPC (python3-grpcio).

Cart: the three methods, validation, durability of acknowledged writes
across kill -9, and exact sums under concurrent AddItem (from threads, and
from two cartservice processes on one database file).
Checkout: end to end against the real leaf binaries and a real cartservice:
an order in EUR whose totals equal an independent computation from the
catalog prices and upstream's conversion formula; the order journal read
with Python's own sqlite3 module; a declined card."""
import os
import shutil
import signal
import sqlite3
import tempfile
import threading
import time
import unittest

import harness
from harness import grpc, demo_pb2 as pb, demo_pb2_grpc as rpc
from test_leaves import PRODUCTS, upstream_convert

UUID4 = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
NANOS = 10 ** 9


def expect_error(test, code, fn, *args, **kw):
    with test.assertRaises(grpc.RpcError) as cm:
        fn(*args, **kw)
    test.assertEqual(cm.exception.code(), code, cm.exception.details())
    return cm.exception.details()


def add(stub, user, pid, q):
    stub.AddItem(pb.AddItemRequest(user_id=user, item=pb.CartItem(product_id=pid, quantity=q)),
                 timeout=10)


def cart_of(stub, user):
    c = stub.GetCart(pb.GetCartRequest(user_id=user), timeout=10)
    return c.user_id, {i.product_id: i.quantity for i in c.items}


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="meshsim-shop-")
        self.services = []

    def tearDown(self):
        for s in reversed(self.services):
            s.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, binary, env):
        s = harness.Service(binary, env=env)
        self.services.append(s)
        return s

    def start_cart(self, path=None):
        path = path or os.path.join(self.dir, "carts.db")
        return self.start("cartservice", {"CART_DB_PATH": path})


class Cart(TempDirTest):
    def test_methods(self):
        svc = self.start_cart()
        stub = svc.stub(rpc.CartServiceStub)
        svc.wait_for_log(lambda o: o.get("message") == "cart database open"
                         and o.get("path") == os.path.join(self.dir, "carts.db"), 5)
        self.assertEqual(cart_of(stub, "nobody"), ("nobody", {}))
        add(stub, "u1", "OLJCESPC7Z", 2)
        add(stub, "u1", "66VCHSJNUP", 1)
        add(stub, "u1", "OLJCESPC7Z", 5)
        self.assertEqual(cart_of(stub, "u1"), ("u1", {"OLJCESPC7Z": 7, "66VCHSJNUP": 1}))
        stub.EmptyCart(pb.EmptyCartRequest(user_id="u1"), timeout=10)
        self.assertEqual(cart_of(stub, "u1"), ("u1", {}))

    def test_validation(self):
        stub = self.start_cart().stub(rpc.CartServiceStub)
        for user, pid, q in (("", "X", 1), ("u1", "", 1), ("u1", "X", 0), ("u1", "X", -2)):
            expect_error(self, grpc.StatusCode.INVALID_ARGUMENT, add, stub, user, pid, q)
        self.assertEqual(cart_of(stub, "u1"), ("u1", {}))

    def test_kill_9_keeps_acknowledged_writes(self):
        path = os.path.join(self.dir, "carts.db")
        svc = self.start_cart(path)
        stub = svc.stub(rpc.CartServiceStub)
        n = 60
        for i in range(n):
            add(stub, "durable", "L9ECAV7KIM", 1)
            if i % 10 == 0:
                add(stub, "durable", "P%02d" % i, i + 1)
        # The writes are in the WAL, not yet checkpointed into the main file:
        # what makes them survive is the commit, not a clean shutdown.
        self.assertTrue(os.path.exists(path + "-wal"))
        self.assertEqual(svc.terminate(signal.SIGKILL), -signal.SIGKILL)
        svc2 = self.start_cart(path)
        _, items = cart_of(svc2.stub(rpc.CartServiceStub), "durable")
        want = {"L9ECAV7KIM": n}
        want.update({"P%02d" % i: i + 1 for i in range(0, n, 10)})
        self.assertEqual(items, want)
        # A clean stop closes the database (exit 0).
        self.assertEqual(svc2.terminate(signal.SIGTERM), 0)

    def test_concurrent_adds_are_exact(self):
        svc = self.start_cart()
        stub = svc.stub(rpc.CartServiceStub)
        threads, per, errors = 8, 50, []

        def worker(k):
            try:
                for i in range(per):
                    add(stub, "busy", "6E92ZMYYFZ", 1 + (k + i) % 3)
            except Exception as e:  # reported below
                errors.append(e)
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        want = sum(1 + (k + i) % 3 for k in range(threads) for i in range(per))
        self.assertEqual(cart_of(stub, "busy")[1], {"6E92ZMYYFZ": want})

    def test_two_processes_one_file(self):
        path = os.path.join(self.dir, "carts.db")
        stubs = [self.start_cart(path).stub(rpc.CartServiceStub) for _ in range(2)]
        errors = []

        def worker(k):
            try:
                for _ in range(50):
                    add(stubs[k % 2], "shared", "0PUK6V6EV0", 1)
            except Exception as e:
                errors.append(e)
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        for s in stubs:
            self.assertEqual(cart_of(s, "shared")[1], {"0PUK6V6EV0": 400})

    def test_bad_db_path_exits_2(self):
        blocker = os.path.join(self.dir, "file")
        open(blocker, "w").close()
        bad = os.path.join(blocker, "carts.db")
        rc, out = harness.run_binary("cartservice", {"PORT": "0", "BIND_ADDR": "127.0.0.1",
                                                     "CART_DB_PATH": bad})
        self.assertEqual(rc, 2, out)
        self.assertIn(bad, out)
        self.assertIn("CART_DB_PATH", out)


ADDRESS = pb.Address(street_address="1600 Amphitheatre Parkway", city="Mountain View",
                     state="CA", country="United States", zip_code=94043)


class Checkout(TempDirTest):
    VISA = "4432801561520454"

    def setUp(self):
        super().setUp()
        leaves = {}
        for name in ("productcatalogservice", "currencyservice", "shippingservice",
                     "paymentservice", "emailservice"):
            leaves[name] = self.start(name, {})
        self.cart = self.start_cart()
        self.journal = os.path.join(self.dir, "orders.db")
        self.svc = self.start("checkoutservice", {
            "PRODUCT_CATALOG_SERVICE_ADDR": leaves["productcatalogservice"].addr,
            "CURRENCY_SERVICE_ADDR": leaves["currencyservice"].addr,
            "SHIPPING_SERVICE_ADDR": leaves["shippingservice"].addr,
            "PAYMENT_SERVICE_ADDR": leaves["paymentservice"].addr,
            "EMAIL_SERVICE_ADDR": leaves["emailservice"].addr,
            "CART_SERVICE_ADDR": self.cart.addr,
            "ORDER_JOURNAL_PATH": self.journal,
        })
        self.stub = self.svc.stub(rpc.CheckoutServiceStub)
        self.cart_stub = self.cart.stub(rpc.CartServiceStub)
        self.year = time.gmtime().tm_year

    def place(self, user, currency, year, number=VISA):
        return self.stub.PlaceOrder(pb.PlaceOrderRequest(
            user_id=user, user_currency=currency, address=ADDRESS, email="buyer@example.com",
            credit_card=pb.CreditCardInfo(credit_card_number=number, credit_card_cvv=672,
                                          credit_card_expiration_year=year,
                                          credit_card_expiration_month=1)), timeout=20)

    def journal_rows(self):
        db = sqlite3.connect("file:%s?mode=ro" % self.journal, uri=True)
        try:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM orders ORDER BY created_at")]
        finally:
            db.close()

    def test_order_in_eur(self):
        basket = {"OLJCESPC7Z": 3, "1YMWWN1N4O": 1, "9SIQT8TOJO": 7, "66VCHSJNUP": 2}
        for pid, q in basket.items():
            add(self.cart_stub, "buyer-1", pid, q)
        r = self.place("buyer-1", "EUR", self.year + 1).order
        self.assertRegex(r.order_id, UUID4)
        salt = "%s, %s, %s" % (ADDRESS.street_address, ADDRESS.city, ADDRESS.state)
        self.assertRegex(r.shipping_tracking_id,
                         r"^[A-Z]{2}-%d\d{3}-%d\d{7}$" % (len(salt), len(salt) // 2))
        self.assertEqual(r.shipping_address, ADDRESS)

        # Independently: each USD price through upstream's formula, then
        # shipping + sum(price * quantity) in nanos.
        total = 0
        self.assertEqual([i.item.product_id for i in r.items], list(basket))
        for item in r.items:
            _, units, nanos = PRODUCTS[item.item.product_id]
            want = upstream_convert(units, nanos, "USD", "EUR")
            self.assertEqual((item.cost.currency_code, item.cost.units, item.cost.nanos),
                             ("EUR",) + want)
            self.assertEqual(item.item.quantity, basket[item.item.product_id])
            total += (want[0] * NANOS + want[1]) * item.item.quantity
        ship = upstream_convert(8, 990000000, "USD", "EUR")
        self.assertEqual((r.shipping_cost.currency_code, r.shipping_cost.units,
                          r.shipping_cost.nanos), ("EUR",) + ship)
        total += ship[0] * NANOS + ship[1]

        # The cart is emptied.
        self.assertEqual(cart_of(self.cart_stub, "buyer-1"), ("buyer-1", {}))

        # The journal: confirmed, with the total charged and each step's time.
        rows = self.journal_rows()
        self.assertEqual(len(rows), 1)
        j = rows[0]
        self.assertEqual(j["order_id"], r.order_id)
        self.assertEqual(j["state"], "confirmed")
        self.assertEqual((j["currency"], j["total_units"], j["total_nanos"]),
                         ("EUR", total // NANOS, total % NANOS))
        self.assertEqual(j["tracking_id"], r.shipping_tracking_id)
        self.assertRegex(j["transaction_id"], UUID4)
        times = [j[k] for k in ("created_at", "charging_at", "charged_at", "shipped_at",
                                "cart_emptied_at", "emailed_at", "confirmed_at")]
        self.assertEqual(times, sorted(times))
        self.assertLess(abs(j["created_at"] / 1e9 - time.time()), 120)

        # The payment service saw the same total (its log), and the order
        # can be followed through checkout's log by its id.
        line = self.svc.wait_for_log(lambda o: o.get("message") == "charging"
                                     and o.get("order_id") == r.order_id, 5)
        self.assertEqual(line["user_id"], "buyer-1")
        self.assertEqual(line["amount"], "%d.%02d EUR" % (total // NANOS, total % NANOS // 10**7))

    def test_declined_card(self):
        add(self.cart_stub, "buyer-2", "6E92ZMYYFZ", 2)
        details = expect_error(self, grpc.StatusCode.INTERNAL, self.place,
                               "buyer-2", "USD", self.year - 1)
        self.assertTrue(details.startswith(
            "failed to charge card: could not charge the card: rpc error: code = "
            "InvalidArgument desc = Your credit card (ending 0454) expired on 1/%d"
            % (self.year - 1)), details)
        j = self.journal_rows()[-1]
        self.assertEqual(j["state"], "charge_failed")
        self.assertIsNone(j["charged_at"])
        self.assertIsNone(j["shipped_at"])
        self.assertEqual(j["error"], details)
        # Nothing shipped, cart kept.
        self.assertEqual(cart_of(self.cart_stub, "buyer-2")[1], {"6E92ZMYYFZ": 2})

    def test_cart_down(self):
        self.cart.terminate(signal.SIGKILL)
        details = expect_error(self, grpc.StatusCode.INTERNAL, self.place,
                               "buyer-3", "EUR", self.year + 1)
        self.assertTrue(details.startswith(
            "cart failure: failed to get user cart during checkout: rpc error: code = "
            "Unavailable desc = "), details)
        self.assertEqual(self.journal_rows()[-1]["state"], "failed")

    def test_unknown_currency(self):
        add(self.cart_stub, "buyer-4", "2ZYFJ3GM2N", 1)
        details = expect_error(self, grpc.StatusCode.INTERNAL, self.place,
                               "buyer-4", "XXX", self.year + 1)
        self.assertEqual(details,
                         'failed to prepare order: failed to convert price of "2ZYFJ3GM2N" to XXX')


class CheckoutConfig(unittest.TestCase):
    def test_missing_addresses_exit_2(self):
        rc, out = harness.run_binary("checkoutservice", {"PORT": "0", "BIND_ADDR": "127.0.0.1"})
        self.assertEqual(rc, 2, out)
        for name in ("PRODUCT_CATALOG_SERVICE_ADDR", "SHIPPING_SERVICE_ADDR",
                     "PAYMENT_SERVICE_ADDR", "EMAIL_SERVICE_ADDR",
                     "CURRENCY_SERVICE_ADDR", "CART_SERVICE_ADDR"):
            self.assertIn(name, out)


if __name__ == "__main__":
    harness.main()

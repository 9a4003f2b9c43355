#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/svc_shop.c into fuzz/corpus/svc_shop/.

Each file is one byte choosing the method (index into the table in
svc_shop.c: 0 AddItem, 1 GetCart, 2 EmptyCart, 3 PlaceOrder), plus 4 * mode
(0 normal, 1 a 1 ms deadline, 2 cancelled after 1 ms), plus 12 * the
failing downstream service for PlaceOrder (0 none, 1 cart, 2 catalog,
3 currency, 4 quote, 5 payment, 6 ship, 7 empty cart, 8 email), followed by
a valid protobuf request for that method.
Usage: fuzz/svc_shop_corpus.py [SRCDIR]  (needs protoc and python3-protobuf)
"""
import os
import subprocess
import sys
import tempfile

srcdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(srcdir, "fuzz", "corpus", "svc_shop")
gen = tempfile.mkdtemp()
subprocess.check_call(["protoc", "-I", os.path.join(srcdir, "proto"), "--python_out=" + gen,
                       os.path.join(srcdir, "proto", "demo.proto")])
sys.path.insert(0, gen)
import demo_pb2 as pb  # noqa: E402

N_TARGETS, N_MODES, N_FAILS = 4, 3, 9

addr = pb.Address(street_address="1600 Amphitheatre Parkway", city="Mountain View",
                  state="CA", country="USA", zip_code=94043)
card = pb.CreditCardInfo(credit_card_number="4432801561520454", credit_card_cvv=672,
                         credit_card_expiration_year=2030, credit_card_expiration_month=1)


def place(currency, **kw):
    return pb.PlaceOrderRequest(user_id="u1", user_currency=currency, address=addr,
                                email="someone@example.com", credit_card=card, **kw)


seeds = {
    0: [pb.AddItemRequest(user_id="u1", item=pb.CartItem(product_id="OLJCESPC7Z", quantity=2)),
        pb.AddItemRequest(user_id="u1", item=pb.CartItem(product_id="OLJCESPC7Z", quantity=2147483647)),
        pb.AddItemRequest(user_id="", item=pb.CartItem(product_id="X", quantity=1)),
        pb.AddItemRequest(user_id="u2", item=pb.CartItem(product_id="Y", quantity=-4)),
        pb.AddItemRequest(user_id="u3")],
    1: [pb.GetCartRequest(user_id="u1"), pb.GetCartRequest(user_id="")],
    2: [pb.EmptyCartRequest(user_id="u1")],
    3: [place("EUR"), place("USD"), place(""), pb.PlaceOrderRequest(user_id="u1")],
}

os.makedirs(out, exist_ok=True)
for old in os.listdir(out):  # our seeds only: fuzzer finds (sha1 names) stay
    if old.startswith("m") and old.endswith(".bin"):
        os.unlink(os.path.join(out, old))
count = 0
for idx, msgs in sorted(seeds.items()):
    for k, m in enumerate(msgs):
        variants = [(mode, 0) for mode in range(N_MODES)] if k == 0 else [(0, 0)]
        if idx == 3 and k == 0:  # every failure point of PlaceOrder
            variants += [(0, f) for f in range(1, N_FAILS)]
        for mode, fail in variants:
            b = idx + N_TARGETS * mode + N_TARGETS * N_MODES * fail
            name = "m%d-%d-%d-%d.bin" % (idx, k, mode, fail)
            with open(os.path.join(out, name), "wb") as f:
                f.write(bytes([b]) + m.SerializeToString())
            count += 1
print("svc_shop corpus: %d files in %s" % (count, out))

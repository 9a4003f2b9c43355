#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/svc_request.c into fuzz/corpus/svc_request/.

Each file is one byte choosing the method (index into the table in
svc_request.c, plus 12 * mode: 0 normal, 1 a 1 ms deadline, 2 cancelled
after 1 ms) followed by a valid protobuf request for that method.
Files named by a SHA-1 are inputs the fuzzer found (libFuzzer -merge=1),
kept because they reach code the seeds do not.
Usage: fuzz/svc_request_corpus.py [SRCDIR]  (needs protoc and python3-protobuf)
"""
import os
import subprocess
import sys
import tempfile

srcdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(srcdir, "fuzz", "corpus", "svc_request")
gen = tempfile.mkdtemp()
subprocess.check_call(["protoc", "-I", os.path.join(srcdir, "proto"), "--python_out=" + gen,
                       os.path.join(srcdir, "proto", "demo.proto")])
sys.path.insert(0, gen)
import demo_pb2 as pb  # noqa: E402

N = 12  # methods in svc_request.c's table


def money(code, units, nanos):
    return pb.Money(currency_code=code, units=units, nanos=nanos)


addr = pb.Address(street_address="1600 Amphitheatre Parkway", city="Mountain View",
                  state="CA", country="USA", zip_code=94043)
items = [pb.CartItem(product_id="OLJCESPC7Z", quantity=2), pb.CartItem(product_id="6E92ZMYYFZ", quantity=1)]
card = pb.CreditCardInfo(credit_card_number="4111111111111111", credit_card_cvv=123,
                         credit_card_expiration_year=2030, credit_card_expiration_month=1)
order = pb.OrderResult(order_id="0b5c3c6c-1b1c-4c5b-9d0a-000000000001", shipping_tracking_id="AB-441234-221234567",
                       shipping_cost=money("USD", 8, 990000000), shipping_address=addr,
                       items=[pb.OrderItem(item=items[0], cost=money("USD", 19, 990000000))])

seeds = {
    0: [pb.Empty()],
    1: [pb.GetProductRequest(id="OLJCESPC7Z"), pb.GetProductRequest(id="NOPE")],
    2: [pb.SearchProductsRequest(query="glass"), pb.SearchProductsRequest(query="")],
    3: [pb.Empty()],
    4: [pb.CurrencyConversionRequest(**{"from": money("USD", 19, 990000000)}, to_code="EUR"),
        pb.CurrencyConversionRequest(**{"from": money("JPY", 9223372036854775807, 999999999)}, to_code="IDR"),
        pb.CurrencyConversionRequest(**{"from": money("EUR", -5, -500000000)}, to_code="XXX")],
    5: [pb.GetQuoteRequest(address=addr, items=items), pb.GetQuoteRequest()],
    6: [pb.ShipOrderRequest(address=addr, items=items)],
    7: [pb.ChargeRequest(amount=money("USD", 42, 0), credit_card=card),
        pb.ChargeRequest(amount=money("USD", 1, 0), credit_card=pb.CreditCardInfo(
            credit_card_number="378282246310005", credit_card_expiration_year=2019,
            credit_card_expiration_month=3))],
    8: [pb.SendOrderConfirmationRequest(email="buyer@example.com", order=order),
        pb.SendOrderConfirmationRequest(email="")],
    9: [pb.SendVerificationRequest(email="seller@example.com", product_name="Lamp", price=19.99)],
    10: [pb.AdRequest(context_keys=["kitchen", "hair"]), pb.AdRequest()],
    11: [pb.ListRecommendationsRequest(user_id="u1", product_ids=["OLJCESPC7Z", "66VCHSJNUP"])],
}

os.makedirs(out, exist_ok=True)
for old in os.listdir(out):  # our seeds only: fuzzer finds (sha1 names) stay
    if old.startswith("m") and old.endswith(".bin"):
        os.unlink(os.path.join(out, old))
count = 0
for idx, msgs in sorted(seeds.items()):
    for k, m in enumerate(msgs):
        for mode in range(3) if k == 0 else [0]:
            name = "m%02d-%d-%d.bin" % (idx, k, mode)
            with open(os.path.join(out, name), "wb") as f:
                f.write(bytes([idx + N * mode]) + m.SerializeToString())
            count += 1
print("svc_request corpus: %d files in %s" % (count, out))

#!/usr/bin/env python3
"""Interop, the other direction: our client (inside recommendationservice)
calling a python3-grpcio server that stands in for the product catalog.
Proves our client speaks real gRPC: requests, responses, error statuses,
deadline propagation (grpc-timeout) and reconnecting after the server
restarts."""
import concurrent.futures
import threading
import time
import unittest

import harness
from harness import grpc, demo_pb2 as pb, demo_pb2_grpc as rpc

IDS = ["AAAAAAAAA%d" % i for i in range(8)]


class FakeCatalog(rpc.ProductCatalogServiceServicer):
    def __init__(self):
        self.mode = "ok"
        self.remaining = []
        self.calls = 0
        self.lock = threading.Lock()

    def ListProducts(self, request, context):
        with self.lock:
            self.calls += 1
            self.remaining.append(context.time_remaining())
        if self.mode == "fail":
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "catalog is sad: ünïcode % 100")
        if self.mode == "slow":
            time.sleep(2.0)
        return pb.ListProductsResponse(products=[
            pb.Product(id=i, name="P" + i, price_usd=pb.Money(currency_code="USD", units=1))
            for i in IDS])


def start_server(servicer, port=0):
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=8))
    rpc.add_ProductCatalogServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    return server, port


class OurClientAgainstPython(unittest.TestCase):
    def setUp(self):
        self.fake = FakeCatalog()
        self.server, self.port = start_server(self.fake)
        self.svc = harness.Service("recommendationservice", env={
            "PRODUCT_CATALOG_SERVICE_ADDR": "127.0.0.1:%d" % self.port})
        self.stub = self.svc.stub(rpc.RecommendationServiceStub)

    def tearDown(self):
        self.svc.stop()
        self.server.stop(0)

    def recommend(self, timeout=5):
        return self.stub.ListRecommendations(pb.ListRecommendationsRequest(
            user_id="u", product_ids=[IDS[0]]), timeout=timeout)

    def test_calls_python_server(self):
        r = self.recommend()
        self.assertTrue(set(r.product_ids) <= set(IDS[1:]))
        self.assertEqual(len(r.product_ids), 5)
        self.assertGreaterEqual(self.fake.calls, 1)

    def test_many_calls_share_connection(self):
        # 50 concurrent calls through our client end up as 50 calls on the
        # python server; reuse of one connection is checked in tests/live.
        futs = [self.stub.ListRecommendations.future(pb.ListRecommendationsRequest(
            user_id="u"), timeout=10) for _ in range(50)]
        for f in futs:
            self.assertEqual(len(f.result().product_ids), 5)
        self.assertEqual(self.fake.calls, 50)

    def test_remote_error_is_reported(self):
        self.fake.mode = "fail"
        with self.assertRaises(grpc.RpcError) as cm:
            self.recommend()
        self.assertNotEqual(cm.exception.code(), grpc.StatusCode.OK)
        self.assertIn("productcatalog", cm.exception.details().lower())

    def test_deadline_propagates(self):
        # grpc's client rounds the grpc-timeout it sends up to a coarser unit,
        # so the remaining time seen downstream may exceed the nominal timeout
        # by a few milliseconds; two different timeouts show it is propagated.
        for timeout in (1.5, 4.0):
            self.recommend(timeout=timeout)
            rem = self.fake.remaining[-1]
            self.assertIsNotNone(rem, "no grpc-timeout reached the catalog")
            self.assertLessEqual(rem, timeout + 0.1)
            self.assertGreater(rem, timeout - 1.0)

    def test_slow_upstream_deadline(self):
        self.fake.mode = "slow"
        t0 = time.monotonic()
        with self.assertRaises(grpc.RpcError) as cm:
            self.recommend(timeout=0.5)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        self.assertLess(time.monotonic() - t0, 1.5)

    def test_reconnects_after_restart(self):
        self.recommend()
        self.server.stop(0)
        with self.assertRaises(grpc.RpcError) as cm:
            self.recommend(timeout=2)
        # A server caught mid-stop may take the stream and then reset it
        # (RST_STREAM CANCEL, which gRPC maps to CANCELLED): the service
        # passes its dependency's status through.
        self.assertIn(cm.exception.code(), (grpc.StatusCode.UNAVAILABLE,
                                            grpc.StatusCode.DEADLINE_EXCEEDED,
                                            grpc.StatusCode.INTERNAL,
                                            grpc.StatusCode.CANCELLED))
        self.server, _ = start_server(self.fake, self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.recommend(timeout=2)
                break
            except grpc.RpcError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


if __name__ == "__main__":
    harness.main()

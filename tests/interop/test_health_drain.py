#!/usr/bin/env python3
"""Interop: grpc.health.v1 Check and Watch, and the SIGTERM drain
(stop accepting, GOAWAY, in-flight calls finish, NOT_SERVING, exit 0)."""
import signal
import socket
import threading
import time
import unittest

import harness
from harness import grpc, demo_pb2 as pb, demo_pb2_grpc as rpc
from harness import health_pb2 as hpb, health_pb2_grpc as hrpc

SERVING = hpb.HealthCheckResponse.SERVING
NOT_SERVING = hpb.HealthCheckResponse.NOT_SERVING

LEAVES = {
    "productcatalogservice": "hipstershop.ProductCatalogService",
    "currencyservice": "hipstershop.CurrencyService",
    "shippingservice": "hipstershop.ShippingService",
    "paymentservice": "hipstershop.PaymentService",
    "emailservice": "hipstershop.EmailService",
    "adservice": "hipstershop.AdService",
}


class HealthCheck(unittest.TestCase):
    def test_every_leaf(self):
        for binary, service in LEAVES.items():
            svc = harness.Service(binary)
            try:
                h = svc.stub(hrpc.HealthStub)
                for name in ("", service):
                    r = h.Check(hpb.HealthCheckRequest(service=name), timeout=5)
                    self.assertEqual(r.status, SERVING, "%s %r" % (binary, name))
                with self.assertRaises(grpc.RpcError) as cm:
                    h.Check(hpb.HealthCheckRequest(service="no.such.Service"), timeout=5)
                self.assertEqual(cm.exception.code(), grpc.StatusCode.NOT_FOUND)
                self.assertEqual(svc.terminate(), 0, "\n".join(svc.logs()))
            finally:
                svc.stop()


class Drain(unittest.TestCase):
    def test_watch_sees_not_serving_and_inflight_call_finishes(self):
        svc = harness.Service("productcatalogservice", env={"EXTRA_LATENCY": "1s"})
        try:
            h = svc.stub(hrpc.HealthStub)
            stream = h.Watch(hpb.HealthCheckRequest(service=""), timeout=20)
            statuses = []

            def watch():
                try:
                    for r in stream:
                        statuses.append(r.status)
                except grpc.RpcError:
                    pass
            w = threading.Thread(target=watch, daemon=True)
            w.start()
            deadline = time.monotonic() + 5
            while not statuses and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertEqual(statuses[:1], [SERVING])

            stub = svc.stub(rpc.ProductCatalogServiceStub)
            inflight = stub.ListProducts.future(pb.Empty(), timeout=10)
            time.sleep(0.3)  # the call is inside its 1 s EXTRA_LATENCY now
            t0 = time.monotonic()
            svc.proc.send_signal(signal.SIGTERM)

            # New connections are refused once the listener is closed.
            refused = False
            while time.monotonic() - t0 < 0.6:
                try:
                    socket.create_connection(("127.0.0.1", svc.port), timeout=0.2).close()
                except OSError:
                    refused = True
                    break
                time.sleep(0.02)
            self.assertTrue(refused, "the server still accepts connections while draining")

            r = inflight.result()  # finishes despite SIGTERM
            self.assertEqual(len(r.products), 9)
            self.assertEqual(svc.proc.wait(10), 0, "\n".join(svc.logs()))
            w.join(5)
            self.assertIn(NOT_SERVING, statuses)
        finally:
            svc.stop()

    def test_grace_period_bounds_shutdown(self):
        svc = harness.Service("productcatalogservice",
                              env={"EXTRA_LATENCY": "30s", "SHUTDOWN_GRACE_SECONDS": "1"})
        try:
            stub = svc.stub(rpc.ProductCatalogServiceStub)
            inflight = stub.ListProducts.future(pb.Empty(), timeout=60)
            time.sleep(0.3)
            t0 = time.monotonic()
            svc.proc.send_signal(signal.SIGTERM)
            self.assertEqual(svc.proc.wait(10), 0, "\n".join(svc.logs()))
            self.assertLess(time.monotonic() - t0, 3.0)
            with self.assertRaises(grpc.RpcError):
                inflight.result(timeout=10)
        finally:
            svc.stop()

    def test_bad_grace_exits_2(self):
        rc, out = harness.run_binary("shippingservice",
                                     {"PORT": "0", "BIND_ADDR": "127.0.0.1",
                                      "SHUTDOWN_GRACE_SECONDS": "forever"})
        self.assertEqual(rc, 2, out)
        self.assertIn("SHUTDOWN_GRACE_SECONDS", out)


if __name__ == "__main__":
    harness.main()

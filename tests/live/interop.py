#!/bin/sh
# interop.py — the live runtime against a real gRPC implementation (python
# grpcio): unary calls, error status and message, deadline, UNIMPLEMENTED,
# message size limit, 200 concurrent calls, health Check and Watch, and a
# SIGTERM drain while a call is in flight. Skips (77) without grpcio/protoc.
# Runs under the first python3 that has grpcio (the system one, typically).
''':'
for py in /usr/bin/python3 python3; do
  if "$py" -c 'import grpc' 2>/dev/null; then exec "$py" "$0" "$@"; fi
done
echo "interop.py: no python3 with grpcio; skipped"; exit 77
'''
import os, re, shutil, signal, subprocess, sys, tempfile, threading, time

try:
    import grpc
except ImportError:  # e.g. run by a python3 without grpcio: try the system one
    py = "/usr/bin/python3"
    if (os.path.exists(py) and os.path.realpath(py) != os.path.realpath(sys.executable)
            and subprocess.call([py, "-c", "import grpc"], stderr=subprocess.DEVNULL) == 0):
        os.execv(py, [py] + sys.argv)
    print("interop.py: no python3 with grpcio; skipped")
    sys.exit(77)

srcdir = os.environ.get("srcdir", ".")
binary = sys.argv[1] if len(sys.argv) > 1 else "./tests/live/live_testsvc"
protoc = shutil.which("protoc")
plugin = shutil.which("grpc_python_plugin")
if not protoc or not plugin:
    print("interop.py: protoc or grpc_python_plugin missing; skipped")
    sys.exit(77)
gen = tempfile.mkdtemp(prefix="live-interop-")
try:
    subprocess.check_call([protoc, "-I" + os.path.join(srcdir, "proto"),
                           "--python_out=" + gen,
                           "--plugin=protoc-gen-grpc_python=" + plugin,
                           "--grpc_python_out=" + gen, "demo.proto", "health.proto"])
    sys.path.insert(0, gen)
    import demo_pb2, demo_pb2_grpc, health_pb2, health_pb2_grpc
finally:
    pass

env = dict(os.environ, PORT="0", BIND_ADDR="127.0.0.1",
           SHUTDOWN_GRACE_SECONDS="2", LOG_LEVEL="info")
p = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, text=True)
killer = threading.Timer(50, p.kill)  # bounded, whatever happens
killer.start()
try:
    port = None
    for line in p.stdout:
        m = re.search(r'"message":"listening".*"port":"(\d+)"', line)
        if m:
            port = m.group(1)
            break
    assert port, "no listening line"
    threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
    target = "127.0.0.1:" + port
    ch = grpc.insecure_channel(target)
    cur = demo_pb2_grpc.CurrencyServiceStub(ch)
    Money, Req = demo_pb2.Money, demo_pb2.CurrencyConversionRequest

    def conv(to, units=3, timeout=5):
        return cur.Convert(Req(**{"from": Money(currency_code="USD", units=units, nanos=5)},
                               to_code=to), timeout=timeout)

    def expect(code, fn, *a):
        try:
            fn(*a)
        except grpc.RpcError as e:
            assert e.code() == code, (e.code(), e.details())
            return e.details()
        raise AssertionError("no error, wanted %s" % code)

    r = conv("EUR")
    assert (r.currency_code, r.units, r.nanos) == ("EUR", 3, 5), r
    assert list(cur.GetSupportedCurrencies(demo_pb2.Empty(), timeout=5).currency_codes) == ["EUR", "USD"]
    d = expect(grpc.StatusCode.INVALID_ARGUMENT, conv, "ERR")
    assert d == 'bad "input": 100% wrong\nline 2 \u2014 \u00fcn\u00efcode', repr(d)
    expect(grpc.StatusCode.DEADLINE_EXCEEDED, conv, "SLOW", 500, 0.1)
    raw = ch.unary_unary("/hipstershop.Nope/X", request_serializer=lambda x: x,
                         response_deserializer=lambda x: x)
    expect(grpc.StatusCode.UNIMPLEMENTED, raw, b"", 5)
    raw = ch.unary_unary("/hipstershop.CurrencyService/Convert",
                         request_serializer=lambda x: x, response_deserializer=lambda x: x)
    expect(grpc.StatusCode.RESOURCE_EXHAUSTED, raw, b"\x12\x80\x80\x80\x03" + b"x" * (6 << 20), 10)
    futs = [cur.Convert.future(Req(**{"from": Money(units=i)}, to_code="EUR"), timeout=10)
            for i in range(200)]
    assert [f.result().units for f in futs] == list(range(200))

    H = health_pb2.HealthCheckResponse
    h = health_pb2_grpc.HealthStub(ch)
    assert h.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status == H.SERVING
    assert h.Check(health_pb2.HealthCheckRequest(service="hipstershop.CurrencyService"),
                   timeout=5).status == H.SERVING
    expect(grpc.StatusCode.NOT_FOUND, h.Check, health_pb2.HealthCheckRequest(service="x"), 5)

    watch = health_pb2_grpc.HealthStub(grpc.insecure_channel(target)).Watch(
        health_pb2.HealthCheckRequest(service=""), timeout=20)
    assert next(watch).status == H.SERVING
    slow = cur.Convert.future(Req(**{"from": Money(units=800)}, to_code="SLOW"), timeout=10)
    time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    assert next(watch).status == H.NOT_SERVING
    assert slow.result().units == 800  # in flight at SIGTERM: completes
    try:
        for _ in watch:
            pass
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.UNAVAILABLE, e.code()
    rc = p.wait(timeout=10)
    assert rc == 0, rc
    print("interop: ok")
finally:
    killer.cancel()
    if p.poll() is None:
        p.kill()
    shutil.rmtree(gen, ignore_errors=True)

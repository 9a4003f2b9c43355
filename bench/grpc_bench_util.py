#!/usr/bin/env python3
"""Helpers for bench/grpc_bench.sh (standard library only; uses the
protobuf runtime and protoc when both are there, so the request bodies come
from proto/demo.proto itself, and a hand encoder otherwise).

  grpc_bench_util.py port
      print a free TCP port on 127.0.0.1
  grpc_bench_util.py bodies PROTO_DIR OUT_DIR
      write OUT_DIR/convert.bin (CurrencyConversionRequest, 42.50 USD -> EUR)
      and OUT_DIR/empty.bin (Empty), each one gRPC length-prefixed message;
      prints how they were encoded
  grpc_bench_util.py decode money|products FILE
      decode one gRPC-framed response body and print it in one line
  grpc_bench_util.py stats LOG
      per-request durations from an h2load --log-file: print
      "<ok> <other> <p50_us> <p90_us> <p99_us> <max_us>" over the rows with
      HTTP status 200 (rows with status 0 were cut off by the end of the run)
  grpc_bench_util.py cpu PID
      print the process's user+system CPU time in seconds (all threads)
"""
import os
import socket
import struct
import subprocess
import sys


def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_varint(num, n):
    return varint(num << 3) + varint(n)


def frame(msg):
    """One gRPC message: uncompressed flag, 4-byte big-endian length."""
    return b"\0" + struct.pack(">I", len(msg)) + msg


def hand_encoded():
    money = field_bytes(1, b"USD") + field_varint(2, 42) + field_varint(3, 500000000)
    return field_bytes(1, money) + field_bytes(2, b"EUR"), b""


def protoc_encoded(proto_dir, out_dir):
    """Encode with classes generated from demo.proto; None if unavailable."""
    try:
        import google.protobuf  # noqa: F401
    except ImportError:
        return None
    gen = os.path.join(out_dir, "pb")
    os.makedirs(gen, exist_ok=True)
    try:
        subprocess.run(["protoc", "-I", proto_dir, "--python_out=" + gen,
                        os.path.join(proto_dir, "demo.proto")],
                       check=True, capture_output=True, timeout=60)
        sys.path.insert(0, gen)
        import demo_pb2
        req = demo_pb2.CurrencyConversionRequest(
            to_code="EUR",
            **{"from": demo_pb2.Money(currency_code="USD", units=42, nanos=500000000)})
        return req.SerializeToString(), demo_pb2.Empty().SerializeToString()
    except (OSError, subprocess.SubprocessError, ImportError) as e:
        sys.stderr.write("protoc/protobuf encoding unavailable (%s)\n" % e)
        return None


def cmd_bodies(proto_dir, out_dir):
    hand = hand_encoded()
    gen = protoc_encoded(proto_dir, out_dir)
    if gen is not None:
        if gen != hand:
            sys.exit("request bodies from protoc differ from the hand encoder: "
                     "%r vs %r" % (gen, hand))
        how = "protoc --python_out from demo.proto (matches the hand encoder)"
    else:
        gen = hand
        how = "hand encoder (protobuf runtime or protoc not available)"
    with open(os.path.join(out_dir, "convert.bin"), "wb") as f:
        f.write(frame(gen[0]))
    with open(os.path.join(out_dir, "empty.bin"), "wb") as f:
        f.write(frame(gen[1]))
    print(how)


def read_varint(buf, i):
    shift = n = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def fields(buf):
    """Yield (number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 2:
            n, i = read_varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


def signed(n, bits):
    n &= (1 << 64) - 1
    if n >= 1 << 63:
        n -= 1 << 64
    if bits == 32:
        n = (n + (1 << 31)) % (1 << 32) - (1 << 31)
    return n


def cmd_decode(kind, path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 5:
        sys.exit("no gRPC message in the response (%d bytes)" % len(data))
    flag, n = data[0], struct.unpack(">I", data[1:5])[0]
    if flag != 0 or len(data) != 5 + n:
        sys.exit("bad gRPC framing: flag %d, length %d, %d bytes" % (flag, n, len(data)))
    msg = data[5:]
    if kind == "money":
        code, units, nanos = "", 0, 0
        for num, wt, v in fields(msg):
            if num == 1 and wt == 2:
                code = v.decode()
            elif num == 2 and wt == 0:
                units = signed(v, 64)
            elif num == 3 and wt == 0:
                nanos = signed(v, 32)
        print("Money{%s %d units %d nanos}" % (code, units, nanos))
    elif kind == "products":
        ids = []
        for num, wt, v in fields(msg):
            if num == 1 and wt == 2:
                pid = next((x for fn, fw, x in fields(v) if fn == 1 and fw == 2), b"")
                ids.append(pid.decode())
        print("ListProductsResponse{%d products: %s} %d bytes"
              % (len(ids), " ".join(ids), len(msg)))
    else:
        sys.exit("decode: unknown kind %r" % kind)


def cmd_stats(path):
    durs, other = [], 0
    with open(path) as f:
        for line in f:
            cols = line.split("\t")
            if len(cols) < 3:
                continue
            if cols[1] == "200":
                durs.append(int(cols[2]))
            else:
                other += 1
    if not durs:
        print("0 %d 0 0 0 0" % other)
        return
    durs.sort()

    def pct(p):  # nearest rank
        k = max(1, -(-len(durs) * p // 100))
        return durs[int(k) - 1]
    print("%d %d %d %d %d %d" % (len(durs), other, pct(50), pct(90), pct(99), durs[-1]))


def cmd_cpu(pid):
    with open("/proc/%s/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    ticks = int(rest[11]) + int(rest[12])  # utime, stime (fields 14, 15)
    print("%.3f" % (ticks / os.sysconf("SC_CLK_TCK")))


def cmd_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def main(argv):
    if len(argv) >= 2 and argv[1] == "port":
        cmd_port()
    elif len(argv) == 4 and argv[1] == "bodies":
        cmd_bodies(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "decode":
        cmd_decode(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "stats":
        cmd_stats(argv[2])
    elif len(argv) == 3 and argv[1] == "cpu":
        cmd_cpu(argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

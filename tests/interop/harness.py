"""Interop test harness: starts our real service binaries on loopback and
talks to them with real gRPC (Debian's python3-grpcio), using stubs that
protoc generated from our own proto/ files at build time.

Every service is started with PORT=0 (an ephemeral port) and BIND_ADDR
127.0.0.1; the harness reads the port from the service's JSON "listening"
log line. Every process started here is stopped when the test ends.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

BUILDDIR = os.environ.get("MESHSIM_BUILDDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
SRCDIR = os.environ.get("MESHSIM_SRCDIR") or BUILDDIR
sys.path.insert(0, os.path.join(BUILDDIR, "tests", "interop", "gen"))

import grpc  # noqa: E402
import demo_pb2  # noqa: E402,F401
import demo_pb2_grpc  # noqa: E402,F401
import health_pb2  # noqa: E402,F401
import health_pb2_grpc  # noqa: E402,F401

START_TIMEOUT = 10.0


class Service:
    """One of our service binaries running as a child process."""

    def __init__(self, binary, env=None, port=0):
        self.binary = binary
        path = os.path.join(BUILDDIR, binary)
        if not os.access(path, os.X_OK):
            raise AssertionError("service binary not built: " + path)
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "PORT": str(port), "BIND_ADDR": "127.0.0.1"}
        full_env.update(env or {})
        self.lines = []
        self._cond = threading.Condition()
        # Each service runs in a scratch directory of its own (like a pod's
        # writable volume), removed when it stops.
        import tempfile
        self.workdir = tempfile.mkdtemp(prefix="meshsim-%s-" % binary)
        self.proc = subprocess.Popen(
            [path], env=full_env, cwd=self.workdir, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = None
        line = self.wait_for_log(lambda o: o.get("message") == "listening",
                                 START_TIMEOUT)
        self.port = int(line["port"])
        self.addr = "127.0.0.1:%d" % self.port
        self.channel = grpc.insecure_channel(self.addr)
        grpc.channel_ready_future(self.channel).result(timeout=START_TIMEOUT)

    def _read(self):
        for raw in self.proc.stdout:
            with self._cond:
                self.lines.append(raw.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def logs(self):
        with self._cond:
            return list(self.lines)

    def json_logs(self):
        out = []
        for l in self.logs():
            try:
                out.append(json.loads(l))
            except ValueError:
                pass
        return out

    def wait_for_log(self, pred, timeout):
        """Waits for a JSON log line matching pred; returns it as a dict."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                while seen < len(self.lines):
                    l = self.lines[seen]
                    seen += 1
                    try:
                        o = json.loads(l)
                    except ValueError:
                        continue
                    if pred(o):
                        return o
                if self.proc.poll() is not None and seen >= len(self.lines):
                    raise AssertionError("%s exited (%s) before the expected log line; output:\n%s"
                                         % (self.binary, self.proc.returncode, "\n".join(self.lines)))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("%s: timed out waiting for a log line; output:\n%s"
                                         % (self.binary, "\n".join(self.lines)))
                self._cond.wait(min(left, 0.2))

    def stub(self, cls):
        return cls(self.channel)

    def terminate(self, sig=signal.SIGTERM, timeout=15.0):
        """Sends sig and waits; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("%s did not exit within %.0fs of signal %d"
                                 % (self.binary, timeout, sig))

    def stop(self):
        try:
            self.channel.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        import shutil
        shutil.rmtree(self.workdir, ignore_errors=True)


def run_binary(binary, env, timeout=10.0, args=()):
    """Runs a binary to completion; returns (exit status, combined output)."""
    path = os.path.join(BUILDDIR, binary)
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    full_env.update(env)
    p = subprocess.run([path] + list(args), env=full_env, cwd="/",
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout


def main():
    unittest.main(verbosity=2)

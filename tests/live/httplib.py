# httplib.py — helpers for the HTTP/1.1 tests of the live runtime: start
# tests/live/live_httpsvc on an ephemeral port, raw-socket requests, and a
# bounded wait for log lines. Every wait has a timeout.
import os, re, socket, subprocess, threading, time

BUILDDIR = os.environ.get("MESHSIM_BUILDDIR", ".")
BINARY = os.path.join(BUILDDIR, "tests", "live", "live_httpsvc")


class Service:
    """tests/live/live_httpsvc as a process; logs collected in self.lines."""

    def __init__(self, **env):
        e = dict(os.environ, PORT="0", BIND_ADDR="127.0.0.1",
                 SHUTDOWN_GRACE_SECONDS="3", LOG_LEVEL="debug")
        e.update({k: str(v) for k, v in env.items()})
        self.p = subprocess.Popen([BINARY], env=e, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self.cv = threading.Condition()
        self.killer = threading.Timer(120, self.p.kill)
        self.killer.start()
        threading.Thread(target=self._read, daemon=True).start()
        m = self.wait_log(r'"message":"listening".*"port":"(\d+)"', 10)
        if not m:
            self.stop()
            raise SystemExit("no listening line: %s" % self.lines)
        self.port = int(m.group(1))
        assert '"protocol":"http"' in m.string, m.string

    def _read(self):
        for line in self.p.stdout:
            with self.cv:
                self.lines.append(line)
                self.cv.notify_all()

    def wait_log(self, pattern, timeout):
        """The first log line matching |pattern| (a match object), or None."""
        rx = re.compile(pattern)
        end = time.time() + timeout
        with self.cv:
            while True:
                for line in self.lines:
                    m = rx.search(line)
                    if m:
                        return m
                left = end - time.time()
                if left <= 0:
                    return None
                self.cv.wait(left)

    def count_log(self, pattern):
        rx = re.compile(pattern)
        with self.cv:
            return sum(1 for l in self.lines if rx.search(l))

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.killer.cancel()
        return self.p.returncode


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_response(s, head=False):
    """Reads one response from socket |s| (Content-Length framed).
    Returns (status, headers dict of lists, body, rest-of-buffer-prefix) or
    None at EOF before any byte."""
    buf = getattr(s, "_pending", b"")
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            if not buf:
                return None
            raise AssertionError("EOF inside headers: %r" % buf)
        buf += d
    head_bytes, buf = buf.split(b"\r\n\r\n", 1)
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, v = l.split(":", 1)
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    n = 0 if head or status in (100, 204, 304) else int(headers.get("content-length", ["0"])[0])
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            raise AssertionError("EOF inside body")
        buf += d
    s._pending = buf[n:]
    return status, headers, buf[:n]


class Sock:
    """A socket wrapper so read_response can keep leftover bytes."""

    def __init__(self, port, timeout=10):
        self.s = connect(port, timeout)
        self._pending = b""

    def sendall(self, b):
        self.s.sendall(b)

    def recv(self, n):
        return self.s.recv(n)

    def settimeout(self, t):
        self.s.settimeout(t)

    def close(self):
        self.s.close()

    def read_eof(self, timeout=5):
        """True when the server closes (EOF or reset) within |timeout|."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def check(cond, what):
    if not cond:
        raise AssertionError(what)

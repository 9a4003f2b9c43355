#!/usr/bin/env python3
"""A small stand-in for the Online Boutique frontend, for testing load
generators (ours and the Locust file) without the whole shop.

It answers the routes upstream's load generator uses, with the frontend's
cookies, redirects and form checks (BOUTIQUE.md), and counts what it saw:
GET /_fake_stats returns the counters as JSON.

usage: fake_frontend.py [--port N] [--port-file F] [--fail-status CODE]
  --port 0 (default) picks a free port; --port-file writes it there once
  listening. --fail-status answers every shop route with that status.
"""
import argparse
import datetime
import json
import re
import signal
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PRODUCTS = {"OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM", "2ZYFJ3GM2N",
            "0PUK6V6EV0", "LS4PSXUNUM", "9SIQT8TOJO", "6E92ZMYYFZ"}
CURRENCIES = {"USD", "EUR", "CAD", "JPY", "GBP", "TRY"}
FIELDS = ("email", "street_address", "zip_code", "city", "state", "country",
          "credit_card_number", "credit_card_expiration_month",
          "credit_card_expiration_year", "credit_card_cvv")

lock = threading.Lock()
stats = {"requests": 0, "sessions": 0, "without_session": 0, "unprocessable": 0,
         "routes": {}, "checkouts": 0, "problems": []}


def luhn(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        v = int(c)
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def checkout_problem(form):
    """Why the frontend/payment would refuse this checkout form, or None."""
    for f in FIELDS:
        if not form.get(f, [""])[0]:
            return "missing " + f
    get = lambda k: form[k][0]
    if "@" not in get("email"):
        return "bad email"
    try:
        int(get("zip_code"))
        month = int(get("credit_card_expiration_month"))
        year = int(get("credit_card_expiration_year"))
        int(get("credit_card_cvv"))
    except ValueError:
        return "a number field is not a number"
    if not 1 <= month <= 12:
        return "bad month"
    now = datetime.datetime.utcnow()
    if year * 12 + month < now.year * 12 + now.month:
        return "card expired"
    card = get("credit_card_number").replace(" ", "").replace("-", "")
    if not re.fullmatch(r"\d{13,19}", card) or not luhn(card):
        return "Credit card info is invalid"
    if not (card.startswith("4") or re.match(r"5[1-5]|2[2-7]", card)):
        return "only VISA or MasterCard"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per response, no Nagle: otherwise delayed ACKs add ~40 ms.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    fail_status = 0

    def log_message(self, *args):
        pass

    def cookies(self):
        jar = {}
        for part in (self.headers.get("Cookie") or "").split(";"):
            if "=" in part:
                k, v = part.strip().split("=", 1)
                jar[k] = v
        return jar

    def send(self, status, body=b"", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def count(self, route):
        with lock:
            stats["requests"] += 1
            stats["routes"][route] = stats["routes"].get(route, 0) + 1

    def handle_one(self):
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        if path == "/_fake_stats":
            with lock:
                return self.send(200, json.dumps(stats))
        if path == "/_healthz":
            return self.send(200, "ok")
        jar = self.cookies()
        extra = []
        if "shop_session-id" not in jar:
            with lock:
                stats["sessions"] += 1
                stats["without_session"] += 1
            extra.append(("Set-Cookie", "shop_session-id=%s; Path=/; Max-Age=172800"
                          % uuid.uuid4()))
        route = self.command + " " + re.sub(r"^/product/.*", "/product/[id]", path)
        self.count(route)
        if self.fail_status:
            return self.send(self.fail_status, "<h1>HTTP %d</h1>" % self.fail_status, extra)
        form = parse_qs(body, keep_blank_values=True)

        def unprocessable(why):
            with lock:
                stats["unprocessable"] += 1
                if len(stats["problems"]) < 20:
                    stats["problems"].append("%s: %s" % (route, why))
            return self.send(422, why, extra)

        if self.command == "GET" and path == "/":
            return self.send(200, "<html>home: 9 products</html>", extra)
        if self.command == "GET" and path.startswith("/product/"):
            if path[9:] not in PRODUCTS:
                return self.send(404, "no such product", extra)
            return self.send(200, "<html>product %s</html>" % path[9:], extra)
        if self.command == "GET" and path == "/cart":
            return self.send(200, "<html>cart</html>", extra)
        if self.command == "GET" and path == "/logout":
            extra += [("Set-Cookie", "shop_session-id=; Path=/; Max-Age=0"),
                      ("Set-Cookie", "shop_currency=; Path=/; Max-Age=0"),
                      ("Location", "/")]
            return self.send(302, "", extra)
        if self.command == "POST" and path == "/setCurrency":
            code = form.get("currency_code", [""])[0]
            if code not in CURRENCIES:
                return unprocessable("bad currency %r" % code)
            extra += [("Set-Cookie", "shop_currency=%s; Path=/; Max-Age=172800" % code),
                      ("Location", self.headers.get("Referer") or "/")]
            return self.send(302, "", extra)
        if self.command == "POST" and path == "/cart":
            pid = form.get("product_id", [""])[0]
            try:
                qty = int(form.get("quantity", [""])[0])
            except ValueError:
                qty = 0
            if pid not in PRODUCTS or not 1 <= qty <= 10:
                return unprocessable("bad product or quantity %r %r" % (pid, qty))
            return self.send(302, "", extra + [("Location", "/cart")])
        if self.command == "POST" and path == "/cart/empty":
            return self.send(302, "", extra + [("Location", "/")])
        if self.command == "POST" and path == "/cart/checkout":
            why = checkout_problem(form)
            if why:
                return unprocessable(why)
            with lock:
                stats["checkouts"] += 1
            return self.send(200, "<html>Your order is complete!</html>", extra)
        return self.send(404, "not found", extra)

    do_GET = do_POST = do_HEAD = handle_one


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--fail-status", type=int, default=0)
    args = ap.parse_args()
    Handler.fail_status = args.fail_status
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=srv.shutdown).start())
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    srv.server_close()


if __name__ == "__main__":
    sys.exit(main())

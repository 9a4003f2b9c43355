#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/multipart.c and fuzz/business_request.c
into fuzz/corpus/multipart/ and fuzz/corpus/business_request/.

multipart: a Content-Type line, then a body (see fuzz/multipart.c).
business_request: requests separated by "\\n----next----\\n", each
"METHOD TARGET", header lines, an empty line, the body.
Usage: fuzz/business_corpus.py [SRCDIR]  (plain python3, no modules)
"""
import base64
import os
import sys

srcdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
B = "BoUnDaRy"
CT = "multipart/form-data; boundary=" + B


def field(name, value):
    return (b"--" + B.encode() + b'\r\nContent-Disposition: form-data; name="' + name.encode() +
            b'"\r\n\r\n' + value + b"\r\n")


def filepart(name, filename, ctype, data):
    return (b"--" + B.encode() + b'\r\nContent-Disposition: form-data; name="' + name.encode() +
            b'"; filename="' + filename.encode() + b'"\r\nContent-Type: ' + ctype.encode() +
            b"\r\n\r\n" + data + b"\r\n")


def form(listing_id=None, email=b"seller@example.com", name=b"Paper Lamp", price=b"12.50",
         currency=b"USD", cats=(b"home", b"decor"), pic=PNG, extra=b""):
    body = b""
    if listing_id:
        body += field("listing_id", listing_id)
    body += field("seller_email", email) + field("product_name", name)
    body += field("description", b"Folded paper.\nWarm light.")
    for c in cats:
        body += field("categories", c)
    body += field("price", price) + field("currency", currency)
    if pic is not None:
        body += filepart("picture", "p.png", "image/png", pic)
    return body + extra + b"--" + B.encode() + b"--\r\n"


multipart = {
    "form": CT.encode() + b"\n" + form(),
    "form_quoted_boundary": b'multipart/form-data; boundary="' + B.encode() + b'"\n' + form(pic=GIF),
    "preamble_epilogue": CT.encode() + b"\npreamble\r\n" + form() + b"epilogue",
    "empty": CT.encode() + b"\n--" + B.encode() + b"--\r\n",
    "truncated": CT.encode() + b"\n" + form()[:-20],
    "folded_header": CT.encode() + b"\n--" + B.encode() + b"\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nx\r\n--" + B.encode() + b"--",
    "no_boundary": b"multipart/form-data\n--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--XyZ--",
    "bad_delimiter": CT.encode() + b"\n--" + B.encode() + b"junk\r\n",
    "escaped_name": CT.encode() + b'\n--' + B.encode() + b'\r\nContent-Disposition: form-data; name="a\\"b"; filename="c\\\\d"\r\n\r\nx\r\n--' + B.encode() + b"--",
    "many_parts": CT.encode() + b"\n" + b"".join(field("f%d" % i, b"v") for i in range(10)) + b"--" + B.encode() + b"--",
}

SEP = b"\n----next----\n"


def req(method, target, headers=(), body=b""):
    h = b"".join(k.encode() + b": " + v.encode() + b"\n" for k, v in headers)
    return method.encode() + b" " + target.encode() + b"\n" + h + b"\n" + body


MP = [("Content-Type", CT)]
JS = [("Content-Type", "application/json")]
LID = "6f1c2b9e-3d4a-4b5c-8d6e-7f8091a2b3c4"
api_body = (b'{"seller_email":"ann@shop.example","product_name":"Mat","categories":["home"],'
            b'"price":"10.00","currency":"EUR","listing_id":"' + LID.encode() +
            b'","picture_base64":"' + base64.b64encode(PNG) + b'"}')
requests = {
    "get_form": req("GET", "/business"),
    "healthz": req("GET", "/_healthz"),
    "post_form": req("POST", "/business", MP, form()),
    "post_form_svg_eur": req("POST", "/business", MP, form(pic=SVG, currency=b"EUR")),
    "post_form_invalid": req("POST", "/business", MP, form(email=b"nope", price=b"1.234", cats=(b"toys",))),
    "post_form_no_picture": req("POST", "/business", MP, form(pic=None)),
    "post_form_text_picture": req("POST", "/business", MP, form(pic=b"not an image")),
    "post_not_multipart": req("POST", "/business", JS, b"{}"),
    "post_then_read": SEP.join([
        req("POST", "/business", MP, form(listing_id=LID.encode())),
        req("POST", "/business", MP, form(listing_id=LID.encode())),
        req("GET", "/business/listings/" + LID),
        req("GET", "/business/pictures/" + LID),
        req("POST", "/business/listings/" + LID + "/retry"),
        req("GET", "/business/api/listings?seller_email=seller%40example.com"),
    ]),
    "api_create_delete": SEP.join([
        req("POST", "/business/api/listings", JS, api_body),
        req("GET", "/business/api/listings"),
        req("GET", "/business/api/listings/" + LID),
        req("POST", "/business/api/listings/" + LID + "/retry"),
        req("DELETE", "/business/api/listings/" + LID),
        req("DELETE", "/business/api/listings/" + LID),
    ]),
    "api_errors": SEP.join([
        req("POST", "/business/api/listings", JS, b"{nope"),
        req("POST", "/business/api/listings", JS, b'{"price":0.125,"categories":"home, kitchen","x":1}'),
        req("POST", "/business/api/listings", JS, b'{"picture_base64":"!!","price":4.5}'),
        req("PATCH", "/business/api/listings"),
        req("GET", "/business/api/nope"),
    ]),
    "conflict": SEP.join([
        req("POST", "/business", MP, form(listing_id=LID.encode())),
        req("POST", "/business", MP, form(listing_id=LID.encode(), price=b"13")),
    ]),
}

for name, corpus in (("multipart", multipart), ("business_request", requests)):
    d = os.path.join(srcdir, "fuzz", "corpus", name)
    os.makedirs(d, exist_ok=True)
    for k, v in corpus.items():
        with open(os.path.join(d, k), "wb") as f:
            f.write(v)
    print("%s: %d seeds" % (name, len(corpus)))

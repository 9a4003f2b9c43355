/*
 * business_request.c — fuzz target: HTTP requests to the business service,
 * run on the test runtime with stubbed e-mail, catalog and currency
 * services (each answering success) and an in-memory database.
 *
 * Input: one or more requests separated by a line "----next----". Each is
 * "METHOD TARGET" on the first line, then "name: value" header lines, an
 * empty line, and the body (the rest). Sequences let a corpus create a
 * listing and then read, retry, or delete it (ids are deterministic: the
 * runtime's randomness is seeded). A crash, a sanitizer report, a call the
 * handler never ends or a status outside 100..599 is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "business/business.h"
#include "proto/catalog_admin.pb-c.h"
#include "proto/demo.pb-c.h"
#include "rt_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rt_status_t email_fn(void *user, const ProtobufCMessage *m,
                            const ProtobufCMessage **resp, char *msg,
                            size_t n) {
  static Hipstershop__SendVerificationResponse out =
      HIPSTERSHOP__SEND_VERIFICATION_RESPONSE__INIT;
  out.success = 1;
  out.message = (char *)"sent";
  *resp = &out.base;
  return RT_OK;
}

static rt_status_t add_fn(void *user, const ProtobufCMessage *m,
                          const ProtobufCMessage **resp, char *msg, size_t n) {
  static Hipstershop__Product out = HIPSTERSHOP__PRODUCT__INIT;
  out.id = (char *)"S000000001";
  *resp = &out.base;
  return RT_OK;
}

static rt_status_t remove_fn(void *user, const ProtobufCMessage *m,
                             const ProtobufCMessage **resp, char *msg,
                             size_t n) {
  static Hipstershop__Empty out = HIPSTERSHOP__EMPTY__INIT;
  *resp = &out.base;
  return RT_OK;
}

static rt_status_t convert_fn(void *user, const ProtobufCMessage *m,
                              const ProtobufCMessage **resp, char *msg,
                              size_t n) {
  const Hipstershop__CurrencyConversionRequest *r =
      (const Hipstershop__CurrencyConversionRequest *)m;
  static Hipstershop__Money out = HIPSTERSHOP__MONEY__INIT;
  out.currency_code = (char *)"USD";
  out.units = r->from ? r->from->units : 0;
  out.nanos = r->from ? r->from->nanos : 0;
  *resp = &out.base;
  return RT_OK;
}

#define MAX_HEADERS 16

static void one(rt_test_t *t, const char *req, size_t len) {
  const char *end = req + len;
  const char *eol = memchr(req, '\n', len);
  if (!eol)
    return;
  char line[512];
  size_t ll = (size_t)(eol - req);
  if (ll >= sizeof line)
    return;
  memcpy(line, req, ll);
  line[ll] = '\0';
  char *sp = strchr(line, ' ');
  if (!sp)
    return;
  *sp = '\0';
  const char *method = line, *target = sp + 1;
  if (!*method || *target != '/')
    return;

  rt_http_header_t h[MAX_HEADERS];
  char hbuf[MAX_HEADERS][2][256];
  size_t nh = 0;
  const char *p = eol + 1;
  while (p < end) {
    const char *e = memchr(p, '\n', (size_t)(end - p));
    if (!e)
      e = end;
    if (e == p) { /* empty line: the body follows */
      p++;
      break;
    }
    const char *colon = memchr(p, ':', (size_t)(e - p));
    if (colon && nh < MAX_HEADERS && (size_t)(colon - p) < 255 &&
        (size_t)(e - colon) < 256) {
      snprintf(hbuf[nh][0], 256, "%.*s", (int)(colon - p), p);
      const char *v = colon + 1;
      while (v < e && *v == ' ')
        v++;
      snprintf(hbuf[nh][1], 256, "%.*s", (int)(e - v), v);
      /* Only what the runtime would hand a service: a non-empty name
       * without CR (the test runtime aborts on a malformed header, as a
       * contract violation by the caller, not the service). */
      if (colon > p && strlen(hbuf[nh][0]) == (size_t)(colon - p) &&
          strlen(hbuf[nh][1]) == (size_t)(e - v) &&
          !strpbrk(hbuf[nh][0], "\r") && !strpbrk(hbuf[nh][1], "\r")) {
        for (char *c = hbuf[nh][0]; *c; c++)
          if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
        h[nh] = (rt_http_header_t){hbuf[nh][0], hbuf[nh][1]};
        nh++;
      }
    }
    p = e + 1;
  }
  if (p > end)
    p = end;
  rt_test_http_result_t res;
  if (rt_test_http(t, method, target, h, nh, p, (size_t)(end - p), 0, &res) !=
      0) {
    fprintf(stderr, "business_request: %s\n", res.error);
    abort();
  }
  if (res.status < 100 || res.status > 599)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const env[] = {
      "EMAIL_SERVICE=email:5000", "PRODUCT_CATALOG_SERVICE_ADDR=catalog:3550",
      "CURRENCY_SERVICE_ADDR=currency:7000", "BUSINESS_DB_PATH=:memory:",
      "BUSINESS_PICTURE_MAX_BYTES=65536", NULL};
  rt_test_t *t = rt_test_new(&business_service, env, 1);
  if (!t)
    abort();
  rt_test_stub(t, "*", "hipstershop.EmailService", "SendVerificationEmail",
               &hipstershop__send_verification_request__descriptor, email_fn,
               NULL);
  rt_test_stub(t, "*", "hipstershop.ProductCatalogAdmin", "AddProduct",
               &hipstershop__add_product_request__descriptor, add_fn, NULL);
  rt_test_stub(t, "*", "hipstershop.ProductCatalogAdmin", "RemoveProduct",
               &hipstershop__remove_product_request__descriptor, remove_fn,
               NULL);
  rt_test_stub(t, "*", "hipstershop.CurrencyService", "Convert",
               &hipstershop__currency_conversion_request__descriptor,
               convert_fn, NULL);
  static const char sep[] = "\n----next----\n";
  const char *s = (const char *)data, *end = s + size;
  for (int i = 0; s < end && i < 8; i++) {
    const char *n = memmem(s, (size_t)(end - s), sep, sizeof sep - 1);
    size_t len = n ? (size_t)(n - s) : (size_t)(end - s);
    one(t, s, len);
    s = n ? n + sizeof sep - 1 : end;
  }
  rt_test_free(t);
  return 0;
}

/*
 * svc_json.c — fuzz target: the services' JSON data loading
 * (services/common/svc_json.c) and the loaders that read it: the product
 * catalogue (services/productcatalog) and the currency rates
 * (services/currency).
 *
 * Input: a JSON text (data/products.json and data/currency_conversion.json
 * are seeds as they are).
 *  1. svc_json_doc_parse() from an exactly-sized copy. On success, the path
 *     of each of the first 64 values of the tree (keys without '.', '[', ']')
 *     is located in the text: it must be found to its full depth when the
 *     text has no escapes (svc_json_locate matches keys as written), and
 *     svc_json_field_message() must name the source.
 *     On failure the message must start with the source.
 *  2. The text is written to a scratch file and given to the service that
 *     reads documents of its shape (an object with "products": the catalog
 *     through PRODUCT_CATALOG_PATH; any other object: the currency service
 *     through CURRENCY_DATA_PATH), started on the test runtime. The service
 *     either starts, and answers one call, or reports a configuration error
 *     that names the file with a line and column.
 * A crash, a sanitizer report (leaks included: a failed init must clean
 * up) or a broken invariant is a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/svc_json.h"
#include "currency/currency.h"
#include "productcatalog/productcatalog.h"
#include "proto/demo.pb-c.h"
#include "rt_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SOURCE "data/fuzz.json"
#define MAX_PATHS 64

typedef struct walk {
  const svc_json_doc_t *doc;
  int left;
} walk_t;

static int plain_key(const char *k) {
  return *k && !strpbrk(k, ".[]\\\"");
}

/* Locates |v| at |path| (|depth| components), then its children. */
static void walk(walk_t *w, json_t *v, char *path, size_t plen, size_t cap,
                 int depth) {
  if (w->left-- <= 0)
    return;
  int line = 0, col = 0;
  int got = svc_json_locate(w->doc->text, w->doc->len, path, &line, &col);
  if (got > depth || line < 1 || col < 1)
    abort();
  /* Keys are matched as written: exact when the text has no escapes. */
  if (got != depth && !memchr(w->doc->text, '\\', w->doc->len))
    abort();
  char msg[256];
  svc_json_field_message(w->doc, path, "fuzz", msg, sizeof msg);
  if (strncmp(msg, SOURCE ":", sizeof SOURCE) != 0)
    abort();
  if (json_is_object(v)) {
    const char *k;
    json_t *c;
    json_object_foreach(v, k, c) {
      /* svc_json_locate matches raw key text, so keys needing escapes
       * or containing path syntax cannot be named by a path. */
      if (!plain_key(k))
        continue;
      int n = snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "", k);
      if (n < 0 || (size_t)n >= cap - plen)
        continue;
      walk(w, c, path, plen + (size_t)n, cap, depth + 1);
      path[plen] = '\0';
    }
  } else if (json_is_array(v)) {
    for (size_t i = 0; i < json_array_size(v); i++) {
      int n = snprintf(path + plen, cap - plen, "[%zu]", i);
      if (n < 0 || (size_t)n >= cap - plen)
        break;
      walk(w, json_array_get(v, i), path, plen + (size_t)n, cap, depth + 1);
      path[plen] = '\0';
    }
  }
}

static char scratch[256];

static void scratch_remove(void) {
  if (scratch[0])
    unlink(scratch);
}

/* Writes the input to the scratch file (created on first use). */
static int scratch_write(const uint8_t *data, size_t size) {
  if (!scratch[0]) {
    const char *dir = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/svc_json_fuzz.XXXXXX",
             dir && *dir ? dir : "/tmp");
    int fd = mkstemp(scratch);
    if (fd < 0) {
      scratch[0] = '\0';
      return -1;
    }
    close(fd);
    atexit(scratch_remove);
  }
  FILE *f = fopen(scratch, "wb");
  if (!f)
    return -1;
  size_t w = fwrite(data, 1, size, f);
  return fclose(f) == 0 && w == size ? 0 : -1;
}

static void run_service(const rt_service_t *svc, const char *var) {
  char env0[320];
  snprintf(env0, sizeof env0, "%s=%s", var, scratch);
  const char *env[] = {env0, NULL};
  rt_test_t *t = rt_test_new(svc, env, 1);
  if (!t) {
    /* "VAR=PATH: PATH:LINE:COL: ..." */
    const char *e = rt_test_last_init_error();
    char want[300];
    snprintf(want, sizeof want, ": %s:", scratch);
    const char *at = strstr(e, want);
    int line = 0, col = 0;
    if (!at || sscanf(at + strlen(want), "%d:%d:", &line, &col) != 2 ||
        line < 1 || col < 1)
      abort();
    return;
  }
  rt_status_t st;
  ProtobufCMessage *resp = NULL;
  if (svc == &productcatalog_service) {
    Hipstershop__Empty req = HIPSTERSHOP__EMPTY__INIT;
    if (rt_test_call(t, "ProductCatalogService", "ListProducts", &req.base,
                     &hipstershop__list_products_response__descriptor, 0, &st,
                     NULL, &resp) != 0 ||
        st != RT_OK)
      abort();
  } else {
    Hipstershop__Money m = HIPSTERSHOP__MONEY__INIT;
    m.currency_code = (char *)"EUR";
    m.units = 123456789;
    m.nanos = 990000000;
    Hipstershop__CurrencyConversionRequest req =
        HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
    req.from = &m;
    req.to_code = (char *)"USD";
    if (rt_test_call(t, "CurrencyService", "Convert", &req.base,
                     &hipstershop__money__descriptor, 0, &st, NULL,
                     &resp) != 0)
      abort();
  }
  rt_msg_free(resp);
  rt_test_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *copy = malloc(size ? size : 1);
  if (!copy)
    return 0;
  memcpy(copy, data, size);
  svc_json_doc_t doc;
  char err[512];
  memset(err, 'x', sizeof err);
  int rc = svc_json_doc_parse(&doc, SOURCE, copy, size, err, sizeof err);
  free(copy);
  if (rc != 0) {
    if (rc != -1 || !memchr(err, '\0', sizeof err) ||
        strncmp(err, SOURCE ":", sizeof SOURCE) != 0 || doc.root || doc.text)
      abort();
    return 0;
  }
  if (!doc.root || !doc.text || doc.len != size)
    abort();
  char path[512] = "";
  walk_t w = {&doc, MAX_PATHS};
  walk(&w, doc.root, path, 0, sizeof path, 0);
  const rt_service_t *svc = NULL;
  const char *var = NULL;
  if (json_is_object(doc.root)) {
    if (json_object_get(doc.root, "products")) {
      svc = &productcatalog_service;
      var = "PRODUCT_CATALOG_PATH";
    } else {
      svc = &currency_service;
      var = "CURRENCY_DATA_PATH";
    }
  }
  svc_json_doc_free(&doc);
  if (svc && scratch_write(data, size) == 0)
    run_service(svc, var);
  return 0;
}

/*
 * productcatalog.c — productcatalogservice. The catalog is read once at init
 * and served from memory; every field of a bad catalog is reported with its
 * file, line and column.
 */
#include "productcatalog/productcatalog.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"
#include "common/svc_data.h"
#include "common/svc_duration.h"
#include "common/svc_json.h"
#include "proto/demo.pb-c.h"

typedef struct catalog {
  size_t n;
  Hipstershop__Product *products;
  Hipstershop__Product **ptrs; /* products[i] for ListProductsResponse */
  Hipstershop__Money *prices;
  rt_time_t latency;
} catalog_t;

typedef void (*catalog_fn)(rt_call_t *call, const ProtobufCMessage *req,
                           catalog_t *cat);

/* ---- handlers proper ---- */

static void do_list(rt_call_t *call, const ProtobufCMessage *req,
                     catalog_t *cat) {
  Hipstershop__ListProductsResponse resp =
      HIPSTERSHOP__LIST_PRODUCTS_RESPONSE__INIT;
  resp.n_products = cat->n;
  resp.products = cat->ptrs;
  rt_reply(call, &resp.base);
}

static void do_get(rt_call_t *call, const ProtobufCMessage *msg,
                   catalog_t *cat) {
  const Hipstershop__GetProductRequest *req =
      (const Hipstershop__GetProductRequest *)msg;
  for (size_t i = 0; i < cat->n; i++)
    if (strcmp(cat->products[i].id, req->id) == 0) {
      rt_reply(call, &cat->products[i].base);
      return;
    }
  rt_fail(call, RT_NOT_FOUND, "no product with ID %s", req->id);
}

/* ASCII case-insensitive substring test ("" is in everything). */
static int contains_fold(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++) {
    size_t i = 0;
    while (i < n && hay[i] &&
           tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
      i++;
    if (i == n)
      return 1;
  }
  return n == 0;
}

static void do_search(rt_call_t *call, const ProtobufCMessage *msg,
                      catalog_t *cat) {
  const Hipstershop__SearchProductsRequest *req =
      (const Hipstershop__SearchProductsRequest *)msg;
  Hipstershop__Product **hits = calloc(cat->n ? cat->n : 1, sizeof *hits);
  if (!hits) {
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  size_t k = 0;
  for (size_t i = 0; i < cat->n; i++)
    if (contains_fold(cat->products[i].name, req->query) ||
        contains_fold(cat->products[i].description, req->query))
      hits[k++] = &cat->products[i];
  Hipstershop__SearchProductsResponse resp =
      HIPSTERSHOP__SEARCH_PRODUCTS_RESPONSE__INIT;
  resp.n_results = k;
  resp.results = hits;
  rt_reply(call, &resp.base);
  free(hits);
}

/* ---- EXTRA_LATENCY: answer from a timer; a cancelled call ends at once ---- */

typedef struct delayed {
  rt_call_t *call;
  const ProtobufCMessage *req;
  catalog_t *cat;
  catalog_fn fn;
  rt_timer_t *timer;
} delayed_t;

static void delayed_fire(void *arg) {
  delayed_t *d = arg;
  d->fn(d->call, d->req, d->cat);
  free(d);
}

static void delayed_cancel(rt_call_t *call, void *arg) {
  delayed_t *d = arg;
  rt_timer_cancel(d->timer);
  rt_fail(call, RT_CANCELLED, "call cancelled");
  free(d);
}

static void handle(rt_call_t *call, const ProtobufCMessage *req, void *user,
                   catalog_fn fn) {
  catalog_t *cat = user;
  if (cat->latency <= 0) {
    fn(call, req, cat);
    return;
  }
  delayed_t *d = calloc(1, sizeof *d);
  if (!d) {
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  *d = (delayed_t){call, req, cat, fn, NULL};
  d->timer = rt_timer_start(rt_call_rt(call), cat->latency, delayed_fire, d);
  if (!d->timer) {
    free(d);
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  rt_call_on_cancel(call, delayed_cancel, d);
}

static void on_list(rt_call_t *call, const ProtobufCMessage *req, void *user) {
  handle(call, req, user, do_list);
}
static void on_get(rt_call_t *call, const ProtobufCMessage *req, void *user) {
  handle(call, req, user, do_get);
}
static void on_search(rt_call_t *call, const ProtobufCMessage *req,
                      void *user) {
  handle(call, req, user, do_search);
}

static const rt_method_t catalog_methods[] = {
    {"ListProducts", &hipstershop__empty__descriptor,
     &hipstershop__list_products_response__descriptor, on_list},
    {"GetProduct", &hipstershop__get_product_request__descriptor,
     &hipstershop__product__descriptor, on_get},
    {"SearchProducts", &hipstershop__search_products_request__descriptor,
     &hipstershop__search_products_response__descriptor, on_search},
};

static const rt_service_def_t catalog_def = {
    "hipstershop.ProductCatalogService", catalog_methods,
    sizeof catalog_methods / sizeof *catalog_methods};

/* ---- loading ---- */

static void catalog_free(catalog_t *cat) {
  if (!cat)
    return;
  for (size_t i = 0; i < cat->n; i++) {
    Hipstershop__Product *p = &cat->products[i];
    free(p->id);
    free(p->name);
    free(p->description);
    free(p->picture);
    free(cat->prices[i].currency_code);
    for (size_t j = 0; j < p->n_categories; j++)
      free(p->categories[j]);
    free(p->categories);
  }
  free(cat->products);
  free(cat->ptrs);
  free(cat->prices);
  free(cat);
}

/* Reads an optional string member; NULL |*out| on error. */
static int get_string(rt_t *rt, const svc_json_doc_t *doc, json_t *obj,
                      const char *key, const char *path, int required,
                      char **out) {
  json_t *v = json_object_get(obj, key);
  char fp[128];
  snprintf(fp, sizeof fp, "%s.%s", path, key);
  if (!v) {
    if (required) {
      svc_json_field_error(rt, doc, fp, "missing (a string is required)");
      return -1;
    }
    *out = strdup("");
  } else if (!json_is_string(v)) {
    svc_json_field_error(rt, doc, fp, "expected a string");
    return -1;
  } else {
    *out = strdup(json_string_value(v));
  }
  if (!*out) {
    svc_json_field_error(rt, doc, fp, "out of memory");
    return -1;
  }
  return 0;
}

/* protojson writes int64 as a string and accepts either form. */
static int get_int(json_t *v, long long lo, long long hi, long long *out) {
  long long x;
  if (json_is_integer(v)) {
    x = json_integer_value(v);
  } else if (json_is_string(v)) {
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    x = strtoll(s, &end, 10);
    if (!*s || *end || errno)
      return -1;
  } else {
    return -1;
  }
  if (x < lo || x > hi)
    return -1;
  *out = x;
  return 0;
}

static int load_product(rt_t *rt, const svc_json_doc_t *doc, json_t *o,
                        size_t i, catalog_t *cat) {
  char path[64], fp[128];
  snprintf(path, sizeof path, "products[%zu]", i);
  Hipstershop__Product *p = &cat->products[i];
  Hipstershop__Money *price = &cat->prices[i];
  hipstershop__product__init(p);
  hipstershop__money__init(price);
  /* init points strings at a shared "": NULL them so catalog_free can free. */
  p->id = p->name = p->description = p->picture = NULL;
  price->currency_code = NULL;
  cat->n = i + 1; /* so catalog_free frees what this product got */
  if (!json_is_object(o)) {
    svc_json_field_error(rt, doc, path, "expected a product object");
    return -1;
  }
  if (get_string(rt, doc, o, "id", path, 1, &p->id) ||
      get_string(rt, doc, o, "name", path, 1, &p->name) ||
      get_string(rt, doc, o, "description", path, 0, &p->description) ||
      get_string(rt, doc, o, "picture", path, 0, &p->picture))
    return -1;
  snprintf(fp, sizeof fp, "%s.id", path);
  if (!*p->id) {
    svc_json_field_error(rt, doc, fp, "must not be empty");
    return -1;
  }
  for (size_t j = 0; j < i; j++)
    if (strcmp(cat->products[j].id, p->id) == 0) {
      char why[160];
      snprintf(why, sizeof why, "duplicate id \"%s\" (also products[%zu])",
               p->id, j);
      svc_json_field_error(rt, doc, fp, why);
      return -1;
    }

  json_t *pr = json_object_get(o, "priceUsd");
  snprintf(fp, sizeof fp, "%s.priceUsd", path);
  if (!json_is_object(pr)) {
    svc_json_field_error(rt, doc, fp,
                         pr ? "expected an object {currencyCode, units, nanos}"
                            : "missing (an object {currencyCode, units, "
                              "nanos} is required)");
    return -1;
  }
  if (get_string(rt, doc, pr, "currencyCode", fp, 1, &price->currency_code))
    return -1;
  long long units = 0, nanos = 0;
  json_t *u = json_object_get(pr, "units"), *n = json_object_get(pr, "nanos");
  char sub[160];
  snprintf(sub, sizeof sub, "%s.units", fp);
  if (u && get_int(u, INT64_MIN, INT64_MAX, &units) != 0) {
    svc_json_field_error(rt, doc, sub, "expected an integer");
    return -1;
  }
  snprintf(sub, sizeof sub, "%s.nanos", fp);
  if (n && get_int(n, -999999999, 999999999, &nanos) != 0) {
    svc_json_field_error(rt, doc, sub,
                         "expected an integer in -999999999..999999999");
    return -1;
  }
  price->units = units;
  price->nanos = (int32_t)nanos;
  if (!money_valid(price)) {
    svc_json_field_error(rt, doc, fp,
                         "units and nanos must have the same sign");
    return -1;
  }
  p->price_usd = price;

  json_t *cats = json_object_get(o, "categories");
  snprintf(fp, sizeof fp, "%s.categories", path);
  if (cats && !json_is_array(cats)) {
    svc_json_field_error(rt, doc, fp, "expected an array of strings");
    return -1;
  }
  size_t nc = cats ? json_array_size(cats) : 0;
  if (nc) {
    p->categories = calloc(nc, sizeof *p->categories);
    if (!p->categories) {
      svc_json_field_error(rt, doc, fp, "out of memory");
      return -1;
    }
  }
  for (size_t j = 0; j < nc; j++) {
    json_t *c = json_array_get(cats, j);
    snprintf(sub, sizeof sub, "%s[%zu]", fp, j);
    if (!json_is_string(c)) {
      svc_json_field_error(rt, doc, sub, "expected a string");
      return -1;
    }
    p->categories[j] = strdup(json_string_value(c));
    if (!p->categories[j])
      return -1;
    p->n_categories = j + 1;
  }
  return 0;
}

static int catalog_load(rt_t *rt, catalog_t *cat) {
  svc_json_doc_t doc;
  if (svc_json_doc_load(rt, &doc, "PRODUCT_CATALOG_PATH", "products.json",
                        svc_data_products_json,
                        svc_data_products_json_len) != 0)
    return -1;
  int rc = -1;
  json_t *arr = json_object_get(doc.root, "products");
  if (!json_is_object(doc.root) || !json_is_array(arr)) {
    svc_json_field_error(rt, &doc, json_is_object(doc.root) ? "products" : "",
                         "expected {\"products\": [ ... ]}");
    goto out;
  }
  size_t n = json_array_size(arr);
  cat->products = calloc(n ? n : 1, sizeof *cat->products);
  cat->ptrs = calloc(n ? n : 1, sizeof *cat->ptrs);
  cat->prices = calloc(n ? n : 1, sizeof *cat->prices);
  if (!cat->products || !cat->ptrs || !cat->prices) {
    rt_log(rt, RT_ERROR, "out of memory loading the catalog", NULL);
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    if (load_product(rt, &doc, json_array_get(arr, i), i, cat) != 0)
      goto out;
    cat->ptrs[i] = &cat->products[i];
  }
  rc = 0;
out:
  svc_json_doc_free(&doc);
  return rc;
}

static int catalog_init(rt_t *rt) {
  catalog_t *cat = calloc(1, sizeof *cat);
  if (!cat) {
    rt_log(rt, RT_ERROR, "out of memory", NULL);
    return -1;
  }
  const char *lat = rt_env(rt, "EXTRA_LATENCY");
  if (lat && *lat) {
    const char *why;
    if (svc_duration_parse(lat, &cat->latency, &why) != 0) {
      char msg[200];
      snprintf(msg, sizeof msg,
               "%s: expected a Go duration such as \"5.5s\" or \"200ms\"",
               why);
      rt_config_error(rt, "EXTRA_LATENCY", lat, msg);
      free(cat);
      return -1;
    }
    if (cat->latency < 0) /* like time.Sleep: a negative delay is none */
      cat->latency = 0;
  }
  if (catalog_load(rt, cat) != 0 ||
      rt_serve(rt, &catalog_def, cat) != 0) {
    catalog_free(cat);
    return -1;
  }
  char num[32], latbuf[32];
  snprintf(num, sizeof num, "%zu", cat->n);
  snprintf(latbuf, sizeof latbuf, "%lld", (long long)cat->latency);
  rt_log(rt, RT_INFO, "catalog loaded", "products", num, "extra_latency_ns",
         latbuf, NULL);
  rt_set_user(rt, cat);
  return 0;
}

static void catalog_fini(rt_t *rt) {
  catalog_free(rt_get_user(rt));
  rt_set_user(rt, NULL);
}

const rt_service_t productcatalog_service = {
    "productcatalogservice", 3550, catalog_init, catalog_fini};

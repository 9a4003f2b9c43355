/*
 * productcatalog.c — productcatalogservice. The catalog is read once at init
 * and served from memory; every field of a bad catalog is reported with its
 * file, line and column.
 *
 * Beside upstream's catalog it keeps seller products, added through
 * hipstershop.ProductCatalogAdmin (proto/catalog_admin.proto) by the business
 * service and stored durably (seller_store.h); List, Get and Search return
 * them after the built-in products.
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
#include "proto/catalog_admin.pb-c.h"
#include "proto/demo.pb-c.h"
#include "productcatalog/seller_store.h"

/* A seller product: the Product served, and what the admin API keys it by. */
typedef struct seller {
  Hipstershop__Product product;
  Hipstershop__Money price;
  char *listing_id;
  char *seller_email;
} seller_t;

typedef struct catalog {
  size_t n; /* built-in products */
  Hipstershop__Product *products;
  Hipstershop__Product **ptrs; /* products[i] for ListProductsResponse */
  Hipstershop__Money *prices;
  rt_time_t latency;
  /* Seller products, oldest first, and |all|: the built-in products then the
   * seller products, rebuilt on every change (what List answers). */
  seller_t **sellers;
  size_t n_sellers;
  Hipstershop__Product **all;
  size_t n_all;
  seller_store_t *store;
} catalog_t;

typedef void (*catalog_fn)(rt_call_t *call, const ProtobufCMessage *req,
                           catalog_t *cat);

/* ---- handlers proper ---- */

static void do_list(rt_call_t *call, const ProtobufCMessage *req,
                     catalog_t *cat) {
  Hipstershop__ListProductsResponse resp =
      HIPSTERSHOP__LIST_PRODUCTS_RESPONSE__INIT;
  resp.n_products = cat->n_all;
  resp.products = cat->all;
  rt_reply(call, &resp.base);
}

static void do_get(rt_call_t *call, const ProtobufCMessage *msg,
                   catalog_t *cat) {
  const Hipstershop__GetProductRequest *req =
      (const Hipstershop__GetProductRequest *)msg;
  for (size_t i = 0; i < cat->n_all; i++)
    if (strcmp(cat->all[i]->id, req->id) == 0) {
      rt_reply(call, &cat->all[i]->base);
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
  Hipstershop__Product **hits =
      calloc(cat->n_all ? cat->n_all : 1, sizeof *hits);
  if (!hits) {
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  size_t k = 0;
  for (size_t i = 0; i < cat->n_all; i++)
    if (contains_fold(cat->all[i]->name, req->query) ||
        contains_fold(cat->all[i]->description, req->query))
      hits[k++] = cat->all[i];
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

/* ---- seller products (hipstershop.ProductCatalogAdmin) ---- */

static void seller_free(seller_t *s) {
  if (!s)
    return;
  Hipstershop__Product *p = &s->product;
  free(p->id);
  free(p->name);
  free(p->description);
  free(p->picture);
  for (size_t j = 0; j < p->n_categories; j++)
    free(p->categories[j]);
  free(p->categories);
  free(s->listing_id);
  free(s->seller_email);
  free(s);
}

/* Rebuilds |all| (built-in then seller products). Returns 0 or -1 (out of
 * memory; |all| is left as it was). */
static int catalog_rebuild(catalog_t *cat) {
  size_t n = cat->n + cat->n_sellers;
  Hipstershop__Product **all = malloc((n ? n : 1) * sizeof *all);
  if (!all)
    return -1;
  for (size_t i = 0; i < cat->n; i++)
    all[i] = &cat->products[i];
  for (size_t i = 0; i < cat->n_sellers; i++)
    all[cat->n + i] = &cat->sellers[i]->product;
  free(cat->all);
  cat->all = all;
  cat->n_all = n;
  return 0;
}

static int catalog_has_id(const catalog_t *cat, const char *id) {
  for (size_t i = 0; i < cat->n; i++)
    if (strcmp(cat->products[i].id, id) == 0)
      return 1;
  for (size_t i = 0; i < cat->n_sellers; i++)
    if (strcmp(cat->sellers[i]->product.id, id) == 0)
      return 1;
  return 0;
}

static seller_t *seller_by_listing(const catalog_t *cat, const char *listing,
                                   size_t *index) {
  for (size_t i = 0; i < cat->n_sellers; i++)
    if (strcmp(cat->sellers[i]->listing_id, listing) == 0) {
      if (index)
        *index = i;
      return cat->sellers[i];
    }
  return NULL;
}

/* A new seller product id: "S" and 9 of [0-9A-Z] from an FNV-1a hash of the
 * listing id (the same listing gets the same id from an empty database),
 * rehashed while it collides with an id in use. */
static void seller_make_id(const catalog_t *cat, const char *listing,
                           char out[11]) {
  static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  uint64_t h = 14695981039346656037ull;
  for (const char *c = listing; *c; c++)
    h = (h ^ (unsigned char)*c) * 1099511628211ull;
  for (;;) {
    uint64_t x = h;
    out[0] = 'S';
    for (int i = 1; i < 10; i++, x /= 36)
      out[i] = digits[x % 36];
    out[10] = '\0';
    if (!catalog_has_id(cat, out))
      return;
    h = (h ^ 0x9e3779b97f4a7c15ull) * 1099511628211ull;
  }
}

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF): proto3
 * strings must be UTF-8, and one bad product would make upstream's Go
 * frontend fail to decode every ListProducts answer. */
static int utf8_valid(const char *z) {
  const unsigned char *s = (const unsigned char *)z;
  while (*s) {
    unsigned c = *s;
    int n;
    unsigned min;
    if (c < 0x80) {
      s++;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, min = 0x80, c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, min = 0x800, c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, min = 0x10000, c &= 0x07;
    } else {
      return 0;
    }
    for (int i = 1; i <= n; i++) {
      if ((s[i] & 0xc0) != 0x80)
        return 0;
      c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
      return 0;
    s += n + 1;
  }
  return 1;
}

/* Text without control characters (other than newline and tab when
 * |multiline|), valid UTF-8, of at most |max| bytes. */
static int text_ok(const char *z, size_t max, int multiline) {
  if (strlen(z) > max || !utf8_valid(z))
    return 0;
  for (const unsigned char *s = (const unsigned char *)z; *s; s++)
    if ((*s < 0x20 && !(multiline && (*s == '\n' || *s == '\t' ||
                                       *s == '\r'))) ||
        *s == 0x7f)
      return 0;
  return 1;
}

#define ADMIN_MAX_NAME 400        /* bytes: 100 characters of up to 4 */
#define ADMIN_MAX_DESCRIPTION 8000
#define ADMIN_MAX_PICTURE 2048
#define ADMIN_MAX_CATEGORIES 16
#define ADMIN_MAX_CATEGORY 64
#define ADMIN_MAX_LISTING_ID 64
#define ADMIN_MAX_EMAIL 254

/* Checks an AddProduct request; NULL when good, else the reason. */
static const char *admin_check(const Hipstershop__AddProductRequest *req) {
  const Hipstershop__Product *p = req->product;
  size_t n = strlen(req->listing_id);
  if (n == 0 || n > ADMIN_MAX_LISTING_ID)
    return "listing_id: 1 to 64 characters of [A-Za-z0-9_-] required";
  for (const char *c = req->listing_id; *c; c++)
    if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
      return "listing_id: 1 to 64 characters of [A-Za-z0-9_-] required";
  if (!*req->seller_email || !text_ok(req->seller_email, ADMIN_MAX_EMAIL, 0) ||
      !strchr(req->seller_email, '@'))
    return "seller_email: an e-mail address is required";
  if (!p)
    return "product: required";
  if (!*p->name || !text_ok(p->name, ADMIN_MAX_NAME, 0))
    return "product.name: 1 to 400 bytes of UTF-8 text without control "
           "characters required";
  if (!text_ok(p->description, ADMIN_MAX_DESCRIPTION, 1))
    return "product.description: at most 8000 bytes of UTF-8 text";
  if (!text_ok(p->picture, ADMIN_MAX_PICTURE, 0))
    return "product.picture: at most 2048 bytes of UTF-8 text";
  if (!p->price_usd || strcmp(p->price_usd->currency_code, "USD") != 0)
    return "product.price_usd: an amount in USD is required";
  if (!money_is_positive(p->price_usd))
    return "product.price_usd: must be a valid amount greater than zero";
  if (p->n_categories > ADMIN_MAX_CATEGORIES)
    return "product.categories: at most 16";
  for (size_t i = 0; i < p->n_categories; i++)
    if (!*p->categories[i] ||
        !text_ok(p->categories[i], ADMIN_MAX_CATEGORY, 0))
      return "product.categories: each 1 to 64 bytes of text";
  return NULL;
}

/* A seller_t from the fields of a row; NULL when out of memory. */
static seller_t *seller_new(const seller_row_t *r) {
  seller_t *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  Hipstershop__Product *p = &s->product;
  hipstershop__product__init(p);
  hipstershop__money__init(&s->price);
  p->id = strdup(r->product_id);
  p->name = strdup(r->name);
  p->description = strdup(r->description);
  p->picture = strdup(r->picture);
  s->listing_id = strdup(r->listing_id);
  s->seller_email = strdup(r->seller_email);
  s->price.currency_code = (char *)"USD";
  s->price.units = r->units;
  s->price.nanos = r->nanos;
  p->price_usd = &s->price;
  int ok = p->id && p->name && p->description && p->picture &&
           s->listing_id && s->seller_email;
  size_t nc = 0;
  for (const char *c = r->categories; *r->categories && c; c = strchr(c, '\n'))
    nc++, c++;
  if (ok && nc) {
    p->categories = calloc(nc, sizeof *p->categories);
    ok = p->categories != NULL;
    const char *c = r->categories;
    for (size_t i = 0; ok && i < nc; i++) {
      const char *e = strchr(c, '\n');
      size_t len = e ? (size_t)(e - c) : strlen(c);
      ok = (p->categories[i] = strndup(c, len)) != NULL;
      p->n_categories = i + 1;
      c = e ? e + 1 : c + len;
    }
  }
  if (!ok) {
    if (!p->categories)
      p->n_categories = 0;
    seller_free(s);
    return NULL;
  }
  return s;
}

/* Appends |s| (taking ownership on success) or replaces the seller at
 * |replace| (< n_sellers). Returns 0 or -1 (out of memory). */
static int catalog_put_seller(catalog_t *cat, seller_t *s, size_t replace) {
  if (replace < cat->n_sellers) {
    seller_t *old = cat->sellers[replace];
    cat->sellers[replace] = s;
    if (catalog_rebuild(cat) != 0) {
      cat->sellers[replace] = old;
      return -1;
    }
    seller_free(old);
    return 0;
  }
  seller_t **a =
      realloc(cat->sellers, (cat->n_sellers + 1) * sizeof *cat->sellers);
  if (!a)
    return -1;
  cat->sellers = a;
  a[cat->n_sellers++] = s;
  if (catalog_rebuild(cat) != 0) {
    cat->n_sellers--;
    return -1;
  }
  return 0;
}

static int load_seller_cb(void *user, const seller_row_t *r) {
  catalog_t *cat = user;
  seller_t *s = seller_new(r);
  if (!s || catalog_put_seller(cat, s, SIZE_MAX) != 0) {
    seller_free(s);
    return 1;
  }
  return 0;
}

static void do_add(rt_call_t *call, const ProtobufCMessage *msg,
                   catalog_t *cat) {
  const Hipstershop__AddProductRequest *req =
      (const Hipstershop__AddProductRequest *)msg;
  const char *why = admin_check(req);
  if (why) {
    rt_fail(call, RT_INVALID_ARGUMENT, "%s", why);
    return;
  }
  const Hipstershop__Product *p = req->product;
  size_t at = SIZE_MAX;
  const seller_t *old = seller_by_listing(cat, req->listing_id, &at);
  int existed = old != NULL;
  char id[11];
  if (old)
    snprintf(id, sizeof id, "%s", old->product.id);
  else
    seller_make_id(cat, req->listing_id, id);
  if (*p->id && strcmp(p->id, id) != 0) {
    rt_fail(call, RT_INVALID_ARGUMENT,
            "product.id: assigned by the catalog; leave it empty%s%s",
            old ? " or send " : "", old ? id : "");
    return;
  }
  /* Categories joined with '\n' for the row (none contains one: checked). */
  size_t clen = 1;
  for (size_t i = 0; i < p->n_categories; i++)
    clen += strlen(p->categories[i]) + 1;
  char *cats = malloc(clen);
  if (!cats) {
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  cats[0] = '\0';
  for (size_t i = 0, k = 0; i < p->n_categories; i++)
    k += (size_t)sprintf(cats + k, "%s%s", i ? "\n" : "", p->categories[i]);
  seller_row_t row = {req->listing_id, id,           req->seller_email,
                      p->name,         p->description, p->picture,
                      cats,            p->price_usd->units,
                      p->price_usd->nanos};
  seller_t *s = seller_new(&row);
  char err[256];
  rt_t *rt = rt_call_rt(call);
  if (!s) {
    free(cats);
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  /* Disk first: the product is served only once it is durable. */
  if (seller_store_put(cat->store, &row, err, sizeof err) != 0) {
    free(cats);
    seller_free(s);
    rt_log(rt, RT_ERROR, "cannot store seller product", "error", err, NULL);
    rt_fail(call, RT_UNAVAILABLE, "cannot store the product: %s", err);
    return;
  }
  free(cats);
  if (catalog_put_seller(cat, s, at) != 0) {
    seller_free(s);
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  rt_log(rt, RT_INFO, existed ? "seller product updated" : "seller product added",
         "id", id, "listing_id", req->listing_id, NULL);
  rt_reply(call, &s->product.base);
}

static void do_remove(rt_call_t *call, const ProtobufCMessage *msg,
                      catalog_t *cat) {
  const Hipstershop__RemoveProductRequest *req =
      (const Hipstershop__RemoveProductRequest *)msg;
  size_t at = SIZE_MAX;
  if (*req->listing_id) {
    seller_by_listing(cat, req->listing_id, &at);
  } else {
    for (size_t i = 0; i < cat->n_sellers; i++)
      if (strcmp(cat->sellers[i]->product.id, req->product_id) == 0)
        at = i;
  }
  if (at == SIZE_MAX) {
    rt_fail(call, RT_NOT_FOUND, "no seller product for %s %s",
            *req->listing_id ? "listing" : "ID",
            *req->listing_id ? req->listing_id : req->product_id);
    return;
  }
  seller_t *s = cat->sellers[at];
  char err[256];
  if (seller_store_delete(cat->store, s->listing_id, err, sizeof err) < 0) {
    rt_fail(call, RT_UNAVAILABLE, "cannot remove the product: %s", err);
    return;
  }
  memmove(&cat->sellers[at], &cat->sellers[at + 1],
          (cat->n_sellers - at - 1) * sizeof *cat->sellers);
  cat->n_sellers--;
  /* Shrinking |all| in place cannot fail. */
  cat->n_all = cat->n;
  for (size_t i = 0; i < cat->n_sellers; i++)
    cat->all[cat->n_all++] = &cat->sellers[i]->product;
  rt_log(rt_call_rt(call), RT_INFO, "seller product removed", "id",
         s->product.id, "listing_id", s->listing_id, NULL);
  seller_free(s);
  Hipstershop__Empty resp = HIPSTERSHOP__EMPTY__INIT;
  rt_reply(call, &resp.base);
}

static void do_list_sellers(rt_call_t *call, const ProtobufCMessage *req,
                            catalog_t *cat) {
  Hipstershop__ListProductsResponse resp =
      HIPSTERSHOP__LIST_PRODUCTS_RESPONSE__INIT;
  resp.n_products = cat->n_sellers;
  resp.products = cat->all + cat->n;
  rt_reply(call, &resp.base);
}

static void on_add(rt_call_t *call, const ProtobufCMessage *req, void *user) {
  handle(call, req, user, do_add);
}
static void on_remove(rt_call_t *call, const ProtobufCMessage *req,
                      void *user) {
  handle(call, req, user, do_remove);
}
static void on_list_sellers(rt_call_t *call, const ProtobufCMessage *req,
                            void *user) {
  handle(call, req, user, do_list_sellers);
}

static const rt_method_t admin_methods[] = {
    {"AddProduct", &hipstershop__add_product_request__descriptor,
     &hipstershop__product__descriptor, on_add},
    {"RemoveProduct", &hipstershop__remove_product_request__descriptor,
     &hipstershop__empty__descriptor, on_remove},
    {"ListSellerProducts", &hipstershop__empty__descriptor,
     &hipstershop__list_products_response__descriptor, on_list_sellers},
};

static const rt_service_def_t admin_def = {
    "hipstershop.ProductCatalogAdmin", admin_methods,
    sizeof admin_methods / sizeof *admin_methods};

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
  for (size_t i = 0; i < cat->n_sellers; i++)
    seller_free(cat->sellers[i]);
  free(cat->sellers);
  free(cat->all);
  seller_store_close(cat->store);
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

/* Opens SELLER_PRODUCTS_DB and loads its products. Unset, seller products
 * are kept in memory only: the catalog then starts from any directory, as
 * upstream's stateless one does (read-only root filesystems included);
 * meshsim up and the charts set a path on a writable volume. */
static int sellers_load(rt_t *rt, catalog_t *cat) {
  const char *path = rt_env(rt, "SELLER_PRODUCTS_DB");
  if (!path || !*path) {
    path = ":memory:";
    rt_log(rt, RT_INFO,
           "seller products are kept in memory only; set SELLER_PRODUCTS_DB "
           "to a file to keep them",
           NULL);
  }
  char err[512];
  cat->store = seller_store_open(path, err, sizeof err);
  if (!cat->store) {
    rt_config_error(rt, "SELLER_PRODUCTS_DB", path, err);
    return -1;
  }
  int rc = seller_store_load(cat->store, load_seller_cb, cat, err, sizeof err);
  if (rc != 0) {
    rt_config_error(rt, "SELLER_PRODUCTS_DB", path,
                    rc < 0 ? err : "out of memory loading seller products");
    return -1;
  }
  for (size_t i = 0; i < cat->n_sellers; i++)
    for (size_t j = 0; j < cat->n; j++)
      if (strcmp(cat->sellers[i]->product.id, cat->products[j].id) == 0) {
        snprintf(err, sizeof err,
                 "seller product %s (listing %s) has the id of a built-in "
                 "product",
                 cat->products[j].id, cat->sellers[i]->listing_id);
        rt_config_error(rt, "SELLER_PRODUCTS_DB", path, err);
        return -1;
      }
  return catalog_rebuild(cat);
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
  if (catalog_load(rt, cat) != 0 || sellers_load(rt, cat) != 0 ||
      rt_serve(rt, &catalog_def, cat) != 0 ||
      rt_serve(rt, &admin_def, cat) != 0) {
    catalog_free(cat);
    return -1;
  }
  char num[32], nsel[32], latbuf[32];
  snprintf(num, sizeof num, "%zu", cat->n);
  snprintf(nsel, sizeof nsel, "%zu", cat->n_sellers);
  snprintf(latbuf, sizeof latbuf, "%lld", (long long)cat->latency);
  rt_log(rt, RT_INFO, "catalog loaded", "products", num, "seller_products",
         nsel, "extra_latency_ns", latbuf, NULL);
  rt_set_user(rt, cat);
  return 0;
}

static void catalog_fini(rt_t *rt) {
  catalog_free(rt_get_user(rt));
  rt_set_user(rt, NULL);
}

static const char productcatalog_env_help[] =
    "  PRODUCT_CATALOG_PATH    the catalog, a JSON file (default: the built-in nine\n"
    "                          products)\n"
    "  EXTRA_LATENCY           added to every call, a Go duration such as 5.5s\n"
    "                          (default 0)\n"
    "  SELLER_PRODUCTS_DB      SQLite file keeping seller products (default: in\n"
    "                          memory only)\n";

const rt_service_t productcatalog_service = {
    "productcatalogservice", 3550, catalog_init, catalog_fini, productcatalog_env_help};

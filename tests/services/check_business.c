/*
 * check_business.c — the business service on the test runtime, with stubs
 * for the e-mail, catalog and currency services: the form, multipart
 * submissions and every validation rule, picture types and size, a failing
 * e-mail or catalog step recorded and reported, retries, idempotency, the
 * JSON API, pictures, durability across a restart, configuration errors.
 */
#include <jansson.h>

#include "business/business.h"
#include "check_util.h"
#include "proto/catalog_admin.pb-c.h"

/* ---- stubs ---- */

typedef struct backends {
  rt_status_t email_status; /* RT_OK: answer success */
  int email_refuse;         /* answer success = 0 */
  rt_status_t catalog_status;
  rt_status_t remove_status;
  /* What they were sent last. */
  char email[256], product_name[256];
  float price;
  char listing_id[64], picture[256], name[256], seller[256], cats[128];
  char currency_from[8];
  int64_t units;
  int32_t nanos;
  char removed[64];
  rt_test_stub_t *s_email, *s_add, *s_remove, *s_convert;
} backends_t;

static rt_status_t email_fn(void *user, const ProtobufCMessage *m,
                            const ProtobufCMessage **resp, char *msg,
                            size_t n) {
  backends_t *b = user;
  const Hipstershop__SendVerificationRequest *r =
      (const Hipstershop__SendVerificationRequest *)m;
  snprintf(b->email, sizeof b->email, "%s", r->email);
  snprintf(b->product_name, sizeof b->product_name, "%s", r->product_name);
  b->price = r->price;
  if (b->email_status != RT_OK) {
    snprintf(msg, n, "mail server down");
    return b->email_status;
  }
  static Hipstershop__SendVerificationResponse out =
      HIPSTERSHOP__SEND_VERIFICATION_RESPONSE__INIT;
  out.success = !b->email_refuse;
  out.message = b->email_refuse ? (char *)"mailbox does not exist"
                                : (char *)"Verification email sent.";
  *resp = &out.base;
  return RT_OK;
}

static rt_status_t add_fn(void *user, const ProtobufCMessage *m,
                          const ProtobufCMessage **resp, char *msg, size_t n) {
  backends_t *b = user;
  const Hipstershop__AddProductRequest *r =
      (const Hipstershop__AddProductRequest *)m;
  snprintf(b->listing_id, sizeof b->listing_id, "%s", r->listing_id);
  snprintf(b->seller, sizeof b->seller, "%s", r->seller_email);
  snprintf(b->picture, sizeof b->picture, "%s", r->product->picture);
  snprintf(b->name, sizeof b->name, "%s", r->product->name);
  b->cats[0] = '\0';
  for (size_t i = 0; i < r->product->n_categories; i++)
    snprintf(b->cats + strlen(b->cats), sizeof b->cats - strlen(b->cats),
             "%s%s", i ? "," : "", r->product->categories[i]);
  b->units = r->product->price_usd->units;
  b->nanos = r->product->price_usd->nanos;
  ck_assert_str_eq(r->product->price_usd->currency_code, "USD");
  if (b->catalog_status != RT_OK) {
    snprintf(msg, n, "catalog database locked");
    return b->catalog_status;
  }
  static Hipstershop__Product out = HIPSTERSHOP__PRODUCT__INIT;
  static Hipstershop__Money price = HIPSTERSHOP__MONEY__INIT;
  /* The stub must own what it answers: |r| is freed before packing. */
  price.currency_code = (char *)"USD";
  price.units = b->units;
  price.nanos = b->nanos;
  out.name = b->name;
  out.picture = b->picture;
  out.price_usd = &price;
  out.id = (char *)"S0A1B2C3D4";
  *resp = &out.base;
  return RT_OK;
}

static rt_status_t remove_fn(void *user, const ProtobufCMessage *m,
                             const ProtobufCMessage **resp, char *msg,
                             size_t n) {
  backends_t *b = user;
  const Hipstershop__RemoveProductRequest *r =
      (const Hipstershop__RemoveProductRequest *)m;
  snprintf(b->removed, sizeof b->removed, "%s", r->listing_id);
  if (b->remove_status != RT_OK) {
    snprintf(msg, n, "no luck");
    return b->remove_status;
  }
  static Hipstershop__Empty out = HIPSTERSHOP__EMPTY__INIT;
  *resp = &out.base;
  return RT_OK;
}

/* EUR -> USD at 1.1305 (truncated to nanos), anything else refused. */
static rt_status_t convert_fn(void *user, const ProtobufCMessage *m,
                              const ProtobufCMessage **resp, char *msg,
                              size_t n) {
  backends_t *b = user;
  const Hipstershop__CurrencyConversionRequest *r =
      (const Hipstershop__CurrencyConversionRequest *)m;
  snprintf(b->currency_from, sizeof b->currency_from, "%s",
           r->from->currency_code);
  ck_assert_str_eq(r->to_code, "USD");
  if (strcmp(r->from->currency_code, "EUR") != 0) {
    snprintf(msg, n, "unsupported");
    return RT_INVALID_ARGUMENT;
  }
  static Hipstershop__Money out = HIPSTERSHOP__MONEY__INIT;
  __int128 nanos = ((__int128)r->from->units * 1000000000 + r->from->nanos) *
                   11305 / 10000;
  out.currency_code = (char *)"USD";
  out.units = (int64_t)(nanos / 1000000000);
  out.nanos = (int32_t)(nanos % 1000000000);
  *resp = &out.base;
  return RT_OK;
}

static backends_t *stubs(rt_test_t *t) {
  backends_t *b = calloc(1, sizeof *b);
  b->s_email = rt_test_stub(t, "email:5000", "hipstershop.EmailService",
                            "SendVerificationEmail",
                            &hipstershop__send_verification_request__descriptor,
                            email_fn, b);
  b->s_add = rt_test_stub(t, "catalog:3550", "hipstershop.ProductCatalogAdmin",
                          "AddProduct",
                          &hipstershop__add_product_request__descriptor,
                          add_fn, b);
  b->s_remove = rt_test_stub(
      t, "catalog:3550", "hipstershop.ProductCatalogAdmin", "RemoveProduct",
      &hipstershop__remove_product_request__descriptor, remove_fn, b);
  b->s_convert = rt_test_stub(
      t, "currency:7000", "hipstershop.CurrencyService", "Convert",
      &hipstershop__currency_conversion_request__descriptor, convert_fn, b);
  return b;
}

#define BASE_ENV                                                             \
  "EMAIL_SERVICE=email:5000", "PRODUCT_CATALOG_SERVICE_ADDR=catalog:3550",   \
      "CURRENCY_SERVICE_ADDR=currency:7000"

static rt_test_t *start(const char *db, backends_t **b) {
  char env0[400];
  snprintf(env0, sizeof env0, "BUSINESS_DB_PATH=%s", db ? db : ":memory:");
  const char *env[] = {BASE_ENV, env0, "BUSINESS_PICTURE_MAX_BYTES=4096",
                       NULL};
  rt_test_t *t = rt_test_new(&business_service, env, 7);
  ck_assert_msg(t != NULL, "init: %s", rt_test_last_init_error());
  *b = stubs(t);
  return t;
}

/* ---- multipart bodies ---- */

typedef struct body {
  char *data;
  size_t len, cap;
} body_t;

static void put(body_t *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 256;
    b->data = realloc(b->data, b->cap);
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}
static void puts_(body_t *b, const char *s) { put(b, s, strlen(s)); }

static void field(body_t *b, const char *name, const char *value) {
  puts_(b, "--BoUnDaRy\r\nContent-Disposition: form-data; name=\"");
  puts_(b, name);
  puts_(b, "\"\r\n\r\n");
  puts_(b, value);
  puts_(b, "\r\n");
}

static void file(body_t *b, const char *name, const char *filename,
                 const char *type, const void *data, size_t len) {
  puts_(b, "--BoUnDaRy\r\nContent-Disposition: form-data; name=\"");
  puts_(b, name);
  puts_(b, "\"; filename=\"");
  puts_(b, filename);
  puts_(b, "\"\r\nContent-Type: ");
  puts_(b, type);
  puts_(b, "\r\n\r\n");
  put(b, data, len);
  puts_(b, "\r\n");
}

static const uint8_t png[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D',
    'R', 0,    0,   0,   1,    0,    0,    0,    1, 8, 6, 0,  0,   0,   0x1f,
    0x15, 0xc4, 0x89, '\r', '\n', '-', '-', 'B', 'o'};

/* The fields of a good submission; |skip| leaves one out, |over| replaces
 * one (name=value). */
typedef struct form {
  const char *listing_id, *email, *name, *description, *price, *currency;
  const char *cats[3];
  const void *pic;
  size_t pic_len;
  const char *pic_type, *pic_filename;
  const char *extra_name, *extra_value;
} form_t;

static form_t good_form(void) {
  form_t f = {NULL,         "seller@example.com",
              "Paper Lamp", "A lamp of folded paper.\nWarm light.",
              "12.50",      "USD",
              {"home", "decor", NULL},
              png,          sizeof png,
              "image/png",  "lamp.png",
              NULL,         NULL};
  return f;
}

static body_t encode(const form_t *f) {
  body_t b = {0};
  if (f->listing_id)
    field(&b, "listing_id", f->listing_id);
  if (f->email)
    field(&b, "seller_email", f->email);
  if (f->name)
    field(&b, "product_name", f->name);
  if (f->description)
    field(&b, "description", f->description);
  for (int i = 0; i < 3 && f->cats[i]; i++)
    field(&b, "categories", f->cats[i]);
  if (f->price)
    field(&b, "price", f->price);
  if (f->currency)
    field(&b, "currency", f->currency);
  if (f->pic)
    file(&b, "picture", f->pic_filename, f->pic_type, f->pic, f->pic_len);
  if (f->extra_name)
    field(&b, f->extra_name, f->extra_value);
  puts_(&b, "--BoUnDaRy--\r\n");
  return b;
}

static rt_test_http_result_t res;
static const rt_http_header_t mp_hdr[] = {
    {"content-type", "multipart/form-data; boundary=BoUnDaRy"}};
static const rt_http_header_t json_hdr[] = {
    {"content-type", "application/json"}};

static int post_form(rt_test_t *t, const form_t *f) {
  body_t b = encode(f);
  int rc = rt_test_http(t, "POST", "/business", mp_hdr, 1, b.data, b.len, 0,
                        &res);
  free(b.data);
  ck_assert_int_eq(rc, 0);
  return res.status;
}

static int http(rt_test_t *t, const char *method, const char *target,
                const char *json) {
  int rc = rt_test_http(t, method, target, json ? json_hdr : NULL,
                        json ? 1 : 0, json, json ? strlen(json) : 0, 0, &res);
  ck_assert_int_eq(rc, 0);
  return res.status;
}

static const char *body(void) { return (const char *)res.body; }
#define HAS(s) ck_assert_msg(strstr(body(), (s)) != NULL, "no %s in: %s", (s), body())
#define HASNT(s) ck_assert_msg(strstr(body(), (s)) == NULL, "%s in: %s", (s), body())

/* The listing id from a Location header ".../<id>". */
static void location_id(char id[64]) {
  const char *loc = rt_test_http_result_header(&res, "location");
  ck_assert_ptr_nonnull(loc);
  snprintf(id, 64, "%s", strrchr(loc, '/') + 1);
  ck_assert_uint_eq(strlen(id), 36);
}

/* GET /business/api/listings/<id> parsed; caller decrefs. */
static json_t *api_get(rt_test_t *t, const char *id) {
  char target[128];
  snprintf(target, sizeof target, "/business/api/listings/%s", id);
  ck_assert_int_eq(http(t, "GET", target, NULL), 200);
  json_t *j = json_loads(body(), 0, NULL);
  ck_assert_ptr_nonnull(j);
  json_t *l = json_incref(json_object_get(j, "listing"));
  json_decref(j);
  return l;
}

static const char *jstr(json_t *o, const char *k) {
  json_t *v = json_object_get(o, k);
  return json_is_string(v) ? json_string_value(v) : "(not a string)";
}

/* ---- tests ---- */

START_TEST(test_form_and_routes) {
  backends_t *b;
  rt_test_t *t = start(NULL, &b);
  ck_assert_int_eq(http(t, "GET", "/business", NULL), 200);
  ck_assert_str_eq(rt_test_http_result_header(&res, "content-type"),
                   "text/html; charset=utf-8");
  HAS("Sell your product");
  HAS("enctype=\"multipart/form-data\"");
  HAS("name=\"listing_id\" value=\"");
  HAS("name=\"seller_email\"");
  HAS("name=\"product_name\"");
  HAS("name=\"description\"");
  HAS("name=\"categories\" value=\"kitchen\"");
  HAS("name=\"price\"");
  HAS("<option selected>USD</option>");
  HAS("type=\"file\"");
  HAS("at most 4 KiB");
  ck_assert_ptr_nonnull(
      rt_test_http_result_header(&res, "content-security-policy"));
  ck_assert_int_eq(http(t, "HEAD", "/business", NULL), 200);
  ck_assert_int_eq(http(t, "GET", "/business/", NULL), 200);
  ck_assert_int_eq(http(t, "GET", "/_healthz", NULL), 200);
  ck_assert_str_eq(body(), "ok");
  ck_assert_int_eq(http(t, "GET", "/nope", NULL), 404);
  ck_assert_int_eq(http(t, "GET", "/business/api/nope", NULL), 404);
  ck_assert_str_eq(rt_test_http_result_header(&res, "content-type"),
                   "application/json");
  ck_assert_int_eq(http(t, "PUT", "/business", NULL), 405);
  ck_assert_str_eq(rt_test_http_result_header(&res, "allow"),
                   "GET, HEAD, POST");
  ck_assert_int_eq(http(t, "DELETE", "/business/pictures/x", NULL), 405);
  ck_assert_int_eq(http(t, "GET", "/business/pictures/not-a-uuid", NULL), 404);
  ck_assert_int_eq(
      http(t, "GET",
           "/business/api/listings/00000000-0000-4000-8000-000000000000",
           NULL),
      404);
  ck_assert_str_eq(body(), "{\"error\":\"no such listing\"}");
  ck_assert_int_eq(http(t, "GET", "/business/api/listings", NULL), 200);
  ck_assert_str_eq(body(), "{\"listings\":[]}");
  ck_assert_uint_eq(rt_test_stub_calls(b->s_email), 0);
  rt_test_free(t);
  free(b);
}
END_TEST

START_TEST(test_submit) {
  backends_t *b;
  rt_test_t *t = start(NULL, &b);
  form_t f = good_form();
  ck_assert_int_eq(post_form(t, &f), 201);
  HAS("Your product is listed");
  HAS("href=\"/product/S0A1B2C3D4\"");
  HAS("Paper Lamp");
  HAS("12.50 USD");
  char id[64];
  location_id(id);

  /* The e-mail, then the catalog, with every field. */
  ck_assert_uint_eq(rt_test_stub_calls(b->s_email), 1);
  ck_assert_str_eq(b->email, "seller@example.com");
  ck_assert_str_eq(b->product_name, "Paper Lamp");
  ck_assert(b->price > 12.49f && b->price < 12.51f);
  ck_assert_uint_eq(rt_test_stub_calls(b->s_add), 1);
  ck_assert_uint_eq(rt_test_stub_calls(b->s_convert), 0);
  ck_assert_str_eq(b->listing_id, id);
  ck_assert_str_eq(b->seller, "seller@example.com");
  ck_assert_str_eq(b->name, "Paper Lamp");
  ck_assert_str_eq(b->cats, "decor,home");
  ck_assert_int_eq(b->units, 12);
  ck_assert_int_eq(b->nanos, 500000000);
  char want[128];
  snprintf(want, sizeof want, "/business/pictures/%s", id);
  ck_assert_str_eq(b->picture, want);
  ck_assert(rt_test_stub_last_deadline(b->s_add) != RT_TIME_INFINITE);

  /* The picture as uploaded, with its sniffed type. */
  ck_assert_int_eq(http(t, "GET", want, NULL), 200);
  ck_assert_uint_eq(res.body_len, sizeof png);
  ck_assert_int_eq(memcmp(res.body, png, sizeof png), 0);
  ck_assert_str_eq(rt_test_http_result_header(&res, "content-type"),
                   "image/png");
  ck_assert_str_eq(rt_test_http_result_header(&res, "cache-control"),
                   "public, max-age=86400");

  /* The listing, as JSON and as a page. */
  json_t *l = api_get(t, id);
  ck_assert_str_eq(jstr(l, "state"), "listed");
  ck_assert_str_eq(jstr(l, "catalog_product_id"), "S0A1B2C3D4");
  ck_assert_str_eq(jstr(l, "product_url"), "/product/S0A1B2C3D4");
  ck_assert_str_eq(jstr(l, "description"),
                   "A lamp of folded paper.\nWarm light.");
  ck_assert_str_eq(jstr(l, "picture_type"), "image/png");
  ck_assert_str_eq(jstr(l, "picture_url"), want);
  ck_assert_str_eq(jstr(l, "price_text"), "12.50 USD");
  ck_assert_str_eq(jstr(l, "created_at"), "2026-01-01T00:00:00.000Z");
  ck_assert_int_eq(json_array_size(json_object_get(l, "categories")), 2);
  json_decref(l);
  snprintf(want, sizeof want, "/business/listings/%s", id);
  ck_assert_int_eq(http(t, "GET", want, NULL), 200);
  HAS("listed in the catalog");
  HASNT("Try again");
  ck_assert_int_ge(rt_test_log_find(t, "listing added to the catalog"), 0);
  rt_test_free(t);
  free(b);
}
END_TEST

typedef struct bad_case {
  const char *field, *value; /* field to replace (NULL value: leave out) */
  int status;
  const char *says;
} bad_case_t;

START_TEST(test_validation) {
  backends_t *b;
  rt_test_t *t = start(NULL, &b);
  char long_name[200];
  memset(long_name, 'x', 101);
  long_name[101] = '\0';
  static const bad_case_t cases[] = {
      {"email", NULL, 422, "Please enter your e-mail address."},
      {"email", "not-an-address", 422, "does not look valid"},
      {"email", "a@b", 422, "does not look valid"},
      {"email", "a..b@example.com", 422, "does not look valid"},
      {"name", NULL, 422, "Please enter the product&#39;s name."},
      {"name", "   ", 422, "Please enter the product&#39;s name."},
      {"name", "long", 422, "at most 100 are allowed"},
      {"name", "bad\x01name", 422, "plain text"},
      {"name", "bad \xc3(", 422, "plain text"},
      {"price", NULL, 422, "Please enter a price."},
      {"price", "0", 422, "must be greater than zero"},
      {"price", "0.00", 422, "must be greater than zero"},
      {"price", "1.234", 422, "more than 2 decimal places"},
      {"price", "-5", 422, "not a number"},
      {"price", "1e3", 422, "not a number"},
      {"price", "1000000.01", 422, "more than 1000000"},
      {"price", "99999999999999999999", 422, "more than 1000000"},
      {"currency", "XYZ", 422, "not supported"},
      {"cats", NULL, 422, "at least one category"},
      {"cats", "toys", 422, "Unknown category &quot;toys&quot;"},
      {"extra", "x", 422, "unknown field &quot;colour&quot;"},
      {"listing_id", "123", 422, "lowercase UUID"},
      {"pic", "text", 422, "JPEG, PNG, GIF, WebP or SVG"},
      {"pic", "big", 413, "larger than the 4096 bytes allowed"},
  };
  uint8_t big[5000];
  memset(big, 0, sizeof big);
  memcpy(big, png, sizeof png);
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const bad_case_t *c = &cases[i];
    form_t f = good_form();
    f.name = "Lamp <b>bold</b>";
    if (strcmp(c->field, "email") == 0)
      f.email = c->value;
    else if (strcmp(c->field, "name") == 0)
      f.name = c->value && strcmp(c->value, "long") == 0 ? long_name : c->value;
    else if (strcmp(c->field, "price") == 0)
      f.price = c->value;
    else if (strcmp(c->field, "currency") == 0)
      f.currency = c->value;
    else if (strcmp(c->field, "cats") == 0)
      f.cats[0] = c->value, f.cats[1] = NULL;
    else if (strcmp(c->field, "extra") == 0)
      f.extra_name = "colour", f.extra_value = c->value;
    else if (strcmp(c->field, "listing_id") == 0)
      f.listing_id = c->value;
    else if (strcmp(c->value, "text") == 0)
      f.pic = "just text, named .png", f.pic_len = 21;
    else
      f.pic = big, f.pic_len = sizeof big;
    int st = post_form(t, &f);
    ck_assert_msg(st == c->status, "case %zu (%s): status %d", i, c->field,
                  st);
    ck_assert_msg(strstr(body(), c->says) != NULL, "case %zu: no \"%s\" in %s",
                  i, c->says, body());
    if (st == 422 && strcmp(c->field, "name") != 0 && c->status != 413) {
      /* The form comes back with the seller's values, escaped. */
      HAS("Sell your product");
      HAS("value=\"Lamp &lt;b&gt;bold&lt;/b&gt;\"");
      HASNT("<b>bold");
    }
  }
  /* Nothing was stored or sent. */
  ck_assert_uint_eq(rt_test_stub_calls(b->s_email), 0);
  ck_assert_int_eq(http(t, "GET", "/business/api/listings", NULL), 200);
  ck_assert_str_eq(body(), "{\"listings\":[]}");

  /* Not multipart, malformed multipart, a field sent twice. */
  ck_assert_int_eq(rt_test_http(t, "POST", "/business", json_hdr, 1, "{}", 2,
                                0, &res),
                   0);
  ck_assert_int_eq(res.status, 415);
  HAS("multipart/form-data");
  static const char broken[] = "--BoUnDaRy\r\nContent-Disposition: form-data; "
                               "name=\"price\"\r\n\r\n12";
  ck_assert_int_eq(rt_test_http(t, "POST", "/business", mp_hdr, 1, broken,
                                sizeof broken - 1, 0, &res),
                   0);
  ck_assert_int_eq(res.status, 400);
  HAS("part 1 (&quot;price&quot;): the body ends before the closing boundary");
  form_t f = good_form();
  f.extra_name = "price", f.extra_value = "13";
  ck_assert_int_eq(post_form(t, &f), 422);
  HAS("sent twice");
  rt_test_free(t);
  free(b);
}
END_TEST

/* A BOM, an XML declaration and a comment before <svg: still SVG. */
#define SVG_DOC                                                          \
  "\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- c -->\n<svg "                 \
  "xmlns=\"http://www.w3.org/2000/svg\"/>"

START_TEST(test_picture_types) {
  backends_t *b;
  rt_test_t *t = start(NULL, &b);
  static const struct {
    const char *bytes;
    size_t len;
    const char *type;
  } pics[] = {
      {"\xff\xd8\xff\xe0\0\x10JFIF", 10, "image/jpeg"},
      {"GIF89a\x01\0\x01\0", 10, "image/gif"},
      {"RIFF\x10\0\0\0WEBPVP8 ", 16, "image/webp"},
      {SVG_DOC, sizeof SVG_DOC - 1, "image/svg+xml"},
      /* PNG bytes declared as a GIF named .jpg: the bytes win. */
      {(const char *)png, sizeof png, "image/png"},
  };
  for (size_t i = 0; i < sizeof pics / sizeof *pics; i++) {
    form_t f = good_form();
    f.pic = pics[i].bytes;
    f.pic_len = pics[i].len;
    f.pic_type = "image/gif";
    f.pic_filename = "x.jpg";
    ck_assert_int_eq(post_form(t, &f), 201);
    char id[64], target[128];
    location_id(id);
    snprintf(target, sizeof target, "/business/pictures/%s", id);
    ck_assert_int_eq(http(t, "GET", target, NULL), 200);
    ck_assert_str_eq(rt_test_http_result_header(&res, "content-type"),
                     pics[i].type);
    ck_assert_uint_eq(res.body_len, pics[i].len);
  }
  /* HTML is not an SVG; no picture at all gets a placeholder. */
  form_t f = good_form();
  f.pic = "<html><svg></svg></html>";
  f.pic_len = 24;
  ck_assert_int_eq(post_form(t, &f), 422);
  f.pic = "";
  f.pic_len = 0; /* an empty file input */
  ck_assert_int_eq(post_form(t, &f), 201);
  char id[64], target[128];
  location_id(id);
  snprintf(target, sizeof target, "/business/pictures/%s", id);
  ck_assert_int_eq(http(t, "GET", target, NULL), 200);
  ck_assert_str_eq(rt_test_http_result_header(&res, "content-type"),
                   "image/svg+xml");
  HAS("<svg");
  json_t *l = api_get(t, id);
  ck_assert(json_is_null(json_object_get(l, "picture_type")));
  json_decref(l);
  rt_test_free(t);
  free(b);
}
END_TEST

START_TEST(test_email_failure) {
  backends_t *b;
  rt_test_t *t = start(NULL, &b);
  b->email_status = RT_UNAVAILABLE;
  form_t f = good_form();
  ck_assert_int_eq(post_form(t, &f), 502);
  HAS("emailservice");
  HAS("mail server down");
  HAS("Your listing is saved");
  HAS("Try again");
  ck_assert_uint_eq(rt_test_stub_calls(b->s_add), 0);
  /* Recorded on the listing. */
  ck_assert_int_eq(http(t, "GET", "/business/api/listings", NULL), 200);
  json_t *j = json_loads(body(), 0, NULL);
  json_t *l = json_array_get(json_object_get(j, "listings"), 0);
  ck_assert_str_eq(jstr(l, "state"), "verification_failed");
  ck_assert_str_eq(jstr(l, "failed_service"), "emailservice");
  ck_assert_str_eq(jstr(l, "error"), "UNAVAILABLE: mail server down");
  char id[64], target[128];
  snprintf(id, sizeof id, "%s", jstr(l, "id"));
  json_decref(j);

  /* The e-mail service says no: also a failure, with its message. */
  b->email_status = RT_OK;
  b->email_refuse = 1;
  snprintf(target, sizeof target, "/business/listings/%s/retry", id);
  ck_assert_int_eq(http(t, "POST", target, NULL), 502);
  HAS("mailbox does not exist");
  /* Fixed: the retry lists it. */
  b->email_refuse = 0;
  ck_assert_int_eq(http(t, "POST", target, NULL), 200);
  HAS("Your product is listed");
  ck_assert_uint_eq(rt_test_stub_calls(b->s_email), 3);
  ck_assert_uint_eq(rt_test_stub_calls(b->s_add), 1);
  l = api_get(t, id);
  ck_assert_str_eq(jstr(l, "state"), "listed");
  ck_assert_str_eq(jstr(l, "error"), "");
  ck_assert_str_eq(jstr(l, "failed_service"), "");
  json_decref(l);
  rt_test_free(t);
  free(b);
}
END_TEST

START_TEST(test_catalog_failure) {
  backends_t *b;
  rt_test_t *t = start(NULL, &b);
  b->catalog_status = RT_UNAVAILABLE;
  form_t f = good_form();
  char key[] = "6f1c2b9e-3d4a-4b5c-8d6e-7f8091a2b3c4";
  f.listing_id = key;
  ck_assert_int_eq(post_form(t, &f), 502);
  HAS("productcatalogservice");
  HAS("We could not add your product to the shop.");
  json_t *l = api_get(t, key);
  ck_assert_str_eq(jstr(l, "state"), "catalog_failed");
  ck_assert_str_eq(jstr(l, "failed_service"), "productcatalogservice");
  json_decref(l);
  /* The same form again (the browser's retry) resumes: no second e-mail. */
  b->catalog_status = RT_OK;
  ck_assert_int_eq(post_form(t, &f), 200);
  HAS("Your product is listed");
  ck_assert_uint_eq(rt_test_stub_calls(b->s_email), 1);
  ck_assert_uint_eq(rt_test_stub_calls(b->s_add), 2);
  /* Once listed, again is a no-op answered with the listing. */
  ck_assert_int_eq(post_form(t, &f), 200);
  ck_assert_uint_eq(rt_test_stub_calls(b->s_add), 2);
  /* The same id with other content is a conflict. */
  f.price = "13.00";
  ck_assert_int_eq(post_form(t, &f), 409);
  HAS("A different listing with this id exists");
  rt_test_free(t);
  free(b);
}
END_TEST

START_TEST(test_cancelled) {
  backends_t *b;
  rt_test_t *t = start(NULL, &b);
  rt_test_stub_set_delay(b->s_email, 5 * RT_SEC);
  form_t f = good_form();
  body_t bd = encode(&f);
  ck_assert_int_eq(rt_test_http_ex(t, "POST", "/business", mp_hdr, 1, bd.data,
                                   bd.len, 0, RT_SEC, &res),
                   0);
  free(bd.data);
  ck_assert_int_eq(res.status, 0);
  ck_assert_uint_eq(rt_test_stub_cancelled(b->s_email), 1);
  ck_assert_int_eq(http(t, "GET", "/business/api/listings", NULL), 200);
  HAS("\"state\":\"verification_failed\"");
  HAS("CANCELLED");
  rt_test_free(t);
  free(b);
}
END_TEST

START_TEST(test_api) {
  backends_t *b;
  rt_test_t *t = start(NULL, &b);
  /* Create: EUR, converted through the currency service and rounded. */
  ck_assert_int_eq(
      http(t, "POST", "/business/api/listings",
           "{\"seller_email\":\"ann@shop.example\",\"product_name\":\"Mat\","
           "\"description\":\"Yoga mat\",\"categories\":[\"home\"],"
           "\"price\":\"10.00\",\"currency\":\"eur\","
           "\"picture_base64\":\"iVBORw0KGgoAAAANSUhEUgAAAAE=\"}"),
      201);
  char id[64];
  location_id(id);
  json_t *j = json_loads(body(), 0, NULL);
  json_t *l = json_object_get(j, "listing");
  ck_assert_str_eq(jstr(l, "state"), "listed");
  ck_assert_str_eq(jstr(l, "price_text"), "10.00 EUR");
  ck_assert_int_eq(json_integer_value(json_object_get(
                       json_object_get(l, "price_usd"), "units")),
                   11);
  ck_assert_int_eq(json_integer_value(json_object_get(
                       json_object_get(l, "price_usd"), "nanos")),
                   310000000);
  ck_assert_str_eq(jstr(l, "picture_type"), "image/png");
  json_decref(j);
  ck_assert_str_eq(b->currency_from, "EUR");
  ck_assert_int_eq(b->units, 11);
  ck_assert_int_eq(b->nanos, 310000000);

  /* A number price, categories as a string. */
  ck_assert_int_eq(
      http(t, "POST", "/business/api/listings",
           "{\"seller_email\":\"bob@shop.example\",\"product_name\":\"Cup\","
           "\"categories\":\"kitchen, home\",\"price\":4.5}"),
      201);
  HAS("\"price_text\":\"4.50 USD\"");
  char id2[64];
  location_id(id2);

  /* List, newest first; filtered by seller. */
  ck_assert_int_eq(http(t, "GET", "/business/api/listings", NULL), 200);
  j = json_loads(body(), 0, NULL);
  ck_assert_uint_eq(json_array_size(json_object_get(j, "listings")), 2);
  ck_assert_str_eq(
      jstr(json_array_get(json_object_get(j, "listings"), 0), "id"), id2);
  json_decref(j);
  ck_assert_int_eq(http(t, "GET",
                        "/business/api/listings?seller_email=ann%40shop.example",
                        NULL),
                   200);
  j = json_loads(body(), 0, NULL);
  ck_assert_uint_eq(json_array_size(json_object_get(j, "listings")), 1);
  json_decref(j);

  /* Errors. */
  ck_assert_int_eq(http(t, "POST", "/business/api/listings", "{nope"), 400);
  HAS("invalid JSON");
  ck_assert_int_eq(http(t, "POST", "/business/api/listings", "[1]"), 400);
  ck_assert_int_eq(
      rt_test_http(t, "POST", "/business/api/listings", mp_hdr, 1, "x", 1, 0,
                   &res),
      0);
  ck_assert_int_eq(res.status, 415);
  ck_assert_int_eq(http(t, "POST", "/business/api/listings",
                        "{\"seller_email\":\"a@b.example\",\"colour\":1}"),
                   422);
  ck_assert_str_eq(body(), "{\"error\":\"unknown field \\\"colour\\\"\"}");
  ck_assert_int_eq(
      http(t, "POST", "/business/api/listings",
           "{\"seller_email\":\"a@b.example\",\"product_name\":\"x\","
           "\"categories\":[\"home\"],\"price\":0.125}"),
      422);
  HAS("\"field\":\"price\"");
  ck_assert_int_eq(
      http(t, "POST", "/business/api/listings",
           "{\"seller_email\":\"a@b.example\",\"product_name\":\"x\","
           "\"categories\":[\"home\"],\"price\":\"1\","
           "\"picture_base64\":\"!!\"}"),
      422);
  HAS("\"field\":\"picture\"");
  ck_assert_int_eq(
      http(t, "POST", "/business/api/listings",
           "{\"seller_email\":7,\"product_name\":\"x\"}"),
      422);
  HAS("\"field\":\"seller_email\"");

  /* Delete: removed from the catalog, then gone. */
  char target[128];
  snprintf(target, sizeof target, "/business/api/listings/%s", id);
  b->remove_status = RT_UNAVAILABLE;
  ck_assert_int_eq(http(t, "DELETE", target, NULL), 502);
  HAS("\"service\":\"productcatalogservice\"");
  ck_assert_int_eq(http(t, "GET", target, NULL), 200);
  b->remove_status = RT_NOT_FOUND; /* already gone there: fine */
  ck_assert_int_eq(http(t, "DELETE", target, NULL), 204);
  ck_assert_str_eq(b->removed, id);
  ck_assert_int_eq(http(t, "GET", target, NULL), 404);
  ck_assert_int_eq(http(t, "DELETE", target, NULL), 404);
  snprintf(target, sizeof target, "/business/pictures/%s", id);
  ck_assert_int_eq(http(t, "GET", target, NULL), 404);
  ck_assert_int_eq(http(t, "PATCH", "/business/api/listings", NULL), 405);

  /* A failed listing can be retried through the API too. */
  b->email_status = RT_UNAVAILABLE;
  ck_assert_int_eq(
      http(t, "POST", "/business/api/listings",
           "{\"seller_email\":\"c@shop.example\",\"product_name\":\"Pot\","
           "\"categories\":[\"kitchen\"],\"price\":\"3\"}"),
      502);
  HAS("\"service\":\"emailservice\"");
  HAS("\"state\":\"verification_failed\"");
  j = json_loads(body(), 0, NULL);
  snprintf(target, sizeof target, "/business/api/listings/%s/retry",
           jstr(json_object_get(j, "listing"), "id"));
  json_decref(j);
  b->email_status = RT_OK;
  ck_assert_int_eq(http(t, "POST", target, NULL), 200);
  HAS("\"state\":\"listed\"");
  rt_test_free(t);
  free(b);
}
END_TEST

START_TEST(test_durable) {
  char path[256];
  const char *dir = getenv("TMPDIR");
  snprintf(path, sizeof path, "%s/meshsim-business-XXXXXX",
           dir && *dir ? dir : "/tmp");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  close(fd);
  unlink(path);
  backends_t *b;
  rt_test_t *t = start(path, &b);
  b->catalog_status = RT_UNAVAILABLE;
  form_t f = good_form();
  ck_assert_int_eq(post_form(t, &f), 502);
  ck_assert_int_eq(http(t, "POST", "/business/api/listings",
                        "{\"seller_email\":\"d@shop.example\",\"product_name\":"
                        "\"Rug\",\"categories\":[\"decor\"],\"price\":\"30\"}"),
                   502);
  rt_test_free(t);
  free(b);

  /* A new instance on the same file: both listings, their state and the
   * picture; the failed one can be finished. */
  t = start(path, &b);
  ck_assert_int_eq(http(t, "GET", "/business/api/listings", NULL), 200);
  json_t *j = json_loads(body(), 0, NULL);
  json_t *a = json_object_get(j, "listings");
  ck_assert_uint_eq(json_array_size(a), 2);
  json_t *lamp = json_array_get(a, 1);
  ck_assert_str_eq(jstr(lamp, "product_name"), "Paper Lamp");
  ck_assert_str_eq(jstr(lamp, "state"), "catalog_failed");
  char id[64], target[128];
  snprintf(id, sizeof id, "%s", jstr(lamp, "id"));
  json_decref(j);
  snprintf(target, sizeof target, "/business/pictures/%s", id);
  ck_assert_int_eq(http(t, "GET", target, NULL), 200);
  ck_assert_uint_eq(res.body_len, sizeof png);
  snprintf(target, sizeof target, "/business/api/listings/%s/retry", id);
  ck_assert_int_eq(http(t, "POST", target, NULL), 200);
  HAS("\"state\":\"listed\"");
  ck_assert_uint_eq(rt_test_stub_calls(b->s_email), 0);
  rt_test_free(t);
  free(b);
  char p[300];
  unlink(path);
  snprintf(p, sizeof p, "%s-wal", path);
  unlink(p);
  snprintf(p, sizeof p, "%s-shm", path);
  unlink(p);
}
END_TEST

START_TEST(test_config) {
  static const struct {
    const char *var, *want;
  } bad[] = {
      {"PUBLIC_URL_PREFIX=business", "PUBLIC_URL_PREFIX=business: expected"},
      {"PUBLIC_URL_PREFIX=/a b", "PUBLIC_URL_PREFIX=/a b: expected"},
      {"BUSINESS_PICTURE_MAX_BYTES=2M", "BUSINESS_PICTURE_MAX_BYTES=2M: "},
      {"BUSINESS_PICTURE_MAX_BYTES=0", "BUSINESS_PICTURE_MAX_BYTES=0: "},
      {"EMAIL_SERVICE=emailservice", "EMAIL_SERVICE=emailservice: expected "
                                     "host:port"},
      {"CURRENCY_SERVICE_ADDR=c:99999", "CURRENCY_SERVICE_ADDR=c:99999: "},
      {"BUSINESS_DB_PATH=/nonexistent/dir/b.db",
       "BUSINESS_DB_PATH=/nonexistent/dir/b.db: cannot open"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *env[] = {bad[i].var, "BUSINESS_DB_PATH=:memory:", NULL};
    ck_assert_ptr_null(rt_test_new(&business_service, env, 1));
    ck_assert_msg(strncmp(rt_test_last_init_error(), bad[i].want,
                          strlen(bad[i].want)) == 0,
                  "%s", rt_test_last_init_error());
  }
  /* EMAIL_SERVICE_ADDR works too, and an absolute picture URL prefix. */
  const char *env[] = {"EMAIL_SERVICE_ADDR=email:5000",
                       "PRODUCT_CATALOG_SERVICE_ADDR=catalog:3550",
                       "BUSINESS_DB_PATH=:memory:",
                       "PUBLIC_URL_PREFIX=http://shop.example/business/",
                       NULL};
  rt_test_t *t = rt_test_new(&business_service, env, 1);
  ck_assert_ptr_nonnull(t);
  backends_t *b = stubs(t);
  form_t f = good_form();
  ck_assert_int_eq(post_form(t, &f), 201);
  char id[64], want[200];
  location_id(id);
  snprintf(want, sizeof want, "http://shop.example/business/pictures/%s", id);
  ck_assert_str_eq(b->picture, want);
  rt_test_free(t);
  free(b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("business");
  TCase *tc = tcase_create("business");
  tcase_add_test(tc, test_form_and_routes);
  tcase_add_test(tc, test_submit);
  tcase_add_test(tc, test_validation);
  tcase_add_test(tc, test_picture_types);
  tcase_add_test(tc, test_email_failure);
  tcase_add_test(tc, test_catalog_failure);
  tcase_add_test(tc, test_cancelled);
  tcase_add_test(tc, test_api);
  tcase_add_test(tc, test_durable);
  tcase_add_test(tc, test_config);
  suite_add_tcase(s, tc);
  return check_run(s);
}

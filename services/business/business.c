/*
 * business.c — the business service: routes, the submission flow and the
 * JSON API (see business.h).
 */
#include "business/business.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "business/listing.h"
#include "business/pages.h"
#include "business/store.h"
#include "common/multipart.h"
#include "common/svc_uuid.h"
#include "proto/catalog_admin.pb-c.h"
#include "proto/demo.pb-c.h"

#define DEFAULT_PICTURE_MAX ((size_t)2 * 1024 * 1024)
#define MAX_PICTURE_MAX ((size_t)64 * 1024 * 1024)
#define RPC_TIMEOUT (10 * RT_SEC)
#define LIST_LIMIT 500

typedef struct flow flow_t;

typedef struct business {
  biz_store_t *store;
  char *email_addr, *catalog_addr, *currency_addr;
  char *prefix; /* PUBLIC_URL_PREFIX, no trailing '/' */
  size_t picture_max;
  flow_t *flows; /* in progress, one per listing at most */
} business_t;

/* ---- responses ---- */

static const char html_csp[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'";

static void respond(rt_call_t *call, int status, const char *type,
                    const void *body, size_t len, const char *location) {
  rt_http_header_t h[5] = {{"Content-Type", type},
                           {"X-Content-Type-Options", "nosniff"},
                           {"Cache-Control", "no-store"}};
  size_t n = 3;
  if (strncmp(type, "text/html", 9) == 0)
    h[n++] = (rt_http_header_t){"Content-Security-Policy", html_csp};
  if (location)
    h[n++] = (rt_http_header_t){"Location", location};
  rt_http_respond(call, status, h, n, body, len);
}

/* Sends a page (freeing it); NULL means the page could not be built. */
static void respond_page(rt_call_t *call, int status, char *page, size_t len,
                         const char *location) {
  if (!page) {
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  respond(call, status, "text/html; charset=utf-8", page, len, location);
  free(page);
}

static void respond_error_page(rt_call_t *call, int status, const char *title,
                               const char *message, const listing_t *l) {
  size_t len;
  char *page = page_error(title, message, l, &len);
  respond_page(call, status, page, len, NULL);
}

/* Sends |j| (taking it). */
static void respond_json(rt_call_t *call, int status, json_t *j,
                         const char *location) {
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!text) {
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  respond(call, status, "application/json", text, strlen(text), location);
  free(text);
}

static void respond_json_error(rt_call_t *call, int status, const char *error,
                               const char *field) {
  json_t *j = json_pack("{s:s}", "error", error);
  if (j && field && *field)
    json_object_set_new(j, "field", json_string(field));
  respond_json(call, status, j, NULL);
}

/* ---- listings as JSON ---- */

static json_t *money_json(const char *code, int64_t units, int32_t nanos) {
  return json_pack("{s:s,s:I,s:i}", "currency_code", code, "units",
                   (json_int_t)units, "nanos", (int)nanos);
}

static json_t *time_json(rt_time_t t) {
  time_t secs = (time_t)(t / RT_SEC);
  struct tm tm;
  char buf[96];
  if (!gmtime_r(&secs, &tm))
    return json_null();
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, (int)((t % RT_SEC) / RT_MSEC));
  return json_string(buf);
}

static char *picture_url(const business_t *biz, const char *id) {
  size_t n = strlen(biz->prefix) + strlen(id) + 16;
  char *u = malloc(n);
  if (u)
    snprintf(u, n, "%s/pictures/%s", biz->prefix, id);
  return u;
}

static json_t *listing_json(const business_t *biz, const listing_t *l) {
  json_t *cats = json_array();
  for (size_t i = 0; i < listing_n_categories; i++)
    if (l->categories & (1u << i))
      json_array_append_new(cats, json_string(listing_categories[i]));
  char amount[48], text[64];
  snprintf(text, sizeof text, "%s %s",
           listing_format_amount(l->units, l->nanos, amount, sizeof amount),
           l->currency);
  char *url = picture_url(biz, l->id);
  char product[40];
  snprintf(product, sizeof product, "/product/%s", l->catalog_id);
  json_t *j = json_pack(
      "{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:s?,s:o,s:I,s:s,s:s,s:s,s:s,s:o,"
      "s:o,s:o,s:o}",
      "id", l->id, "seller_email", l->seller_email, "product_name",
      l->product_name, "description", l->description, "categories", cats,
      "price", money_json(l->currency, l->units, l->nanos), "price_text",
      text, "price_usd",
      l->has_usd ? money_json("USD", l->usd_units, l->usd_nanos) : json_null(),
      "picture_url", url, "picture_type",
      *l->picture_type ? json_string(l->picture_type) : json_null(),
      "picture_bytes", (json_int_t)l->picture_len, "state",
      listing_state_name(l->state), "state_text",
      listing_state_text(l->state), "error", l->error ? l->error : "",
      "failed_service", l->failed_service, "catalog_product_id",
      *l->catalog_id ? json_string(l->catalog_id) : json_null(),
      "product_url", *l->catalog_id ? json_string(product) : json_null(),
      "created_at", time_json(l->created), "updated_at",
      time_json(l->updated));
  free(url);
  return j;
}

/* ---- the flow: verify, convert, list ---- */

struct flow {
  business_t *biz;
  rt_call_t *call;
  rt_t *rt;
  int api;     /* answer JSON (else HTML) */
  int created; /* a new listing (201) rather than a resumed one (200) */
  int remove;  /* DELETE: remove from the catalog, then from the store */
  listing_t l;
  flow_t *next;
};

static flow_t *flow_find(business_t *biz, const char *id) {
  for (flow_t *f = biz->flows; f; f = f->next)
    if (strcmp(f->l.id, id) == 0)
      return f;
  return NULL;
}

static void flow_end(flow_t *f) {
  for (flow_t **pp = &f->biz->flows; *pp; pp = &(*pp)->next)
    if (*pp == f) {
      *pp = f->next;
      break;
    }
  listing_clear(&f->l);
  free(f);
}

static void set_error(listing_t *l, const char *service, const char *msg) {
  free(l->error);
  l->error = strdup(msg ? msg : "");
  if (!l->error) /* keep the field a string; the message is lost */
    l->error = calloc(1, 1);
  snprintf(l->failed_service, sizeof l->failed_service, "%s",
           service ? service : "");
}

/* Saves the listing's progress. Returns 0, or -1 after answering 500. */
static int flow_save(flow_t *f) {
  char err[300];
  f->l.updated = rt_now(f->rt);
  if (biz_store_update(f->biz->store, &f->l, err, sizeof err) == 0)
    return 0;
  rt_log(f->rt, RT_ERROR, "cannot save listing", "listing_id", f->l.id,
         "error", err, NULL);
  if (f->api)
    respond_json_error(f->call, 500, "cannot save the listing", NULL);
  else
    respond_error_page(f->call, 500, "Something went wrong",
                       "Your listing could not be saved. Please try again.",
                       NULL);
  flow_end(f);
  return -1;
}

static void flow_succeed(flow_t *f) {
  char location[80];
  snprintf(location, sizeof location, "%s/%s",
           f->api ? "/business/api/listings" : "/business/listings", f->l.id);
  int status = f->created ? 201 : 200;
  if (f->api) {
    json_t *j = json_pack("{s:o}", "listing", listing_json(f->biz, &f->l));
    respond_json(f->call, status, j, location);
  } else {
    char url[80];
    snprintf(url, sizeof url, "/business/pictures/%s", f->l.id);
    size_t len;
    char *page = page_listing(&f->l, url, &len);
    respond_page(f->call, status, page, len, location);
  }
  flow_end(f);
}

/* A step failed: the listing (already saved) and a 502 naming the service. */
static void flow_fail(flow_t *f) {
  char msg[400];
  snprintf(msg, sizeof msg, "%s: %s", f->l.failed_service, f->l.error);
  rt_log(f->rt, RT_WARNING, "listing step failed", "listing_id", f->l.id,
         "state", listing_state_name(f->l.state), "service",
         f->l.failed_service, "error", f->l.error, NULL);
  if (f->api) {
    json_t *j = json_pack("{s:s,s:s,s:o}", "error", msg, "service",
                          f->l.failed_service, "listing",
                          listing_json(f->biz, &f->l));
    respond_json(f->call, 502, j, NULL);
  } else {
    char text[600];
    snprintf(text, sizeof text,
             "%s The %s did not answer as expected (%s).",
             f->l.state == LISTING_VERIFICATION_FAILED
                 ? "We could not send the verification e-mail."
                 : "We could not add your product to the shop.",
             f->l.failed_service, f->l.error);
    respond_error_page(f->call, 502, "Your listing is not live yet", text,
                       &f->l);
  }
  flow_end(f);
}

static void flow_step(flow_t *f);

static char *status_text(rt_status_t st, const char *message) {
  size_t n = strlen(message) + 48;
  char *s = malloc(n);
  if (s)
    snprintf(s, n, "%s: %s", rt_status_name(st), message);
  return s;
}

static void on_verified(void *user, rt_status_t st, const char *message,
                        ProtobufCMessage *msg) {
  flow_t *f = user;
  Hipstershop__SendVerificationResponse *resp =
      (Hipstershop__SendVerificationResponse *)msg;
  if (st == RT_OK && resp->success) {
    f->l.state = LISTING_VERIFIED;
    set_error(&f->l, "", "");
    rt_log(f->rt, RT_INFO, "verification e-mail sent", "listing_id", f->l.id,
           "message", resp->message, NULL);
    rt_msg_free(msg);
    if (flow_save(f) == 0)
      flow_step(f);
    return;
  }
  char *text = st == RT_OK ? NULL : status_text(st, message);
  f->l.state = LISTING_VERIFICATION_FAILED;
  set_error(&f->l, "emailservice",
            st == RT_OK ? (*resp->message ? resp->message
                                          : "the e-mail was not sent")
                        : text ? text : message);
  free(text);
  rt_msg_free(msg);
  if (flow_save(f) == 0)
    flow_fail(f);
}

static void on_added(void *user, rt_status_t st, const char *message,
                     ProtobufCMessage *msg) {
  flow_t *f = user;
  if (st == RT_OK) {
    Hipstershop__Product *p = (Hipstershop__Product *)msg;
    snprintf(f->l.catalog_id, sizeof f->l.catalog_id, "%s", p->id);
    f->l.state = LISTING_LISTED;
    set_error(&f->l, "", "");
    rt_log(f->rt, RT_INFO, "listing added to the catalog", "listing_id",
           f->l.id, "product_id", p->id, NULL);
    rt_msg_free(msg);
    if (flow_save(f) == 0)
      flow_succeed(f);
    return;
  }
  char *text = status_text(st, message);
  f->l.state = LISTING_CATALOG_FAILED;
  set_error(&f->l, "productcatalogservice", text ? text : message);
  free(text);
  if (flow_save(f) == 0)
    flow_fail(f);
}

static void on_converted(void *user, rt_status_t st, const char *message,
                         ProtobufCMessage *msg) {
  flow_t *f = user;
  Hipstershop__Money *m = (Hipstershop__Money *)msg;
  if (st == RT_OK && strcmp(m->currency_code, "USD") == 0 && m->units >= 0 &&
      m->nanos >= 0) {
    /* The catalog shows cents: round to the nearest, and never to zero. */
    int64_t cents = (m->nanos + 5000000) / 10000000;
    f->l.usd_units = m->units + cents / 100;
    f->l.usd_nanos = (int32_t)(cents % 100) * 10000000;
    if (f->l.usd_units == 0 && f->l.usd_nanos == 0)
      f->l.usd_nanos = 10000000;
    f->l.has_usd = 1;
    rt_msg_free(msg);
    if (flow_save(f) == 0)
      flow_step(f);
    return;
  }
  char *text = st == RT_OK ? NULL : status_text(st, message);
  f->l.state = LISTING_CATALOG_FAILED;
  set_error(&f->l, "currencyservice",
            st == RT_OK ? "the conversion to USD returned an invalid amount"
                        : text ? text : message);
  free(text);
  rt_msg_free(msg);
  if (flow_save(f) == 0)
    flow_fail(f);
}

static void on_removed(void *user, rt_status_t st, const char *message,
                       ProtobufCMessage *msg) {
  flow_t *f = user;
  rt_msg_free(msg);
  if (st != RT_OK && st != RT_NOT_FOUND) {
    char *text = status_text(st, message);
    json_t *j = json_pack("{s:s,s:s,s:o}", "error",
                          text ? text : message, "service",
                          "productcatalogservice", "listing",
                          listing_json(f->biz, &f->l));
    free(text);
    respond_json(f->call, 502, j, NULL);
    flow_end(f);
    return;
  }
  char err[300];
  if (biz_store_delete(f->biz->store, f->l.id, err, sizeof err) < 0) {
    respond_json_error(f->call, 500, err, NULL);
  } else {
    rt_log(f->rt, RT_INFO, "listing deleted", "listing_id", f->l.id, NULL);
    rt_http_respond(f->call, 204, NULL, 0, NULL, 0);
  }
  flow_end(f);
}

/* Starts an outgoing call; on a synchronous refusal, fails the step. */
static void flow_invoke(flow_t *f, const char *addr, const char *service,
                        const char *method, const ProtobufCMessage *req,
                        const ProtobufCMessageDescriptor *type,
                        rt_invoke_cb cb, const char *who) {
  rt_invoke_opts_t opts = {RPC_TIMEOUT, f->call};
  if (rt_invoke(f->rt, addr, service, method, req, type, &opts, cb, f))
    return;
  char text[200];
  snprintf(text, sizeof text, "cannot call %s at %s: %s", method, addr,
           strerror(errno));
  if (f->remove) {
    respond_json_error(f->call, 502, text, NULL);
    flow_end(f);
    return;
  }
  f->l.state = f->l.state == LISTING_PENDING ||
                       f->l.state == LISTING_VERIFICATION_FAILED
                   ? LISTING_VERIFICATION_FAILED
                   : LISTING_CATALOG_FAILED;
  set_error(&f->l, who, text);
  if (flow_save(f) == 0)
    flow_fail(f);
}

static void flow_step(flow_t *f) {
  business_t *biz = f->biz;
  if (f->remove) {
    Hipstershop__RemoveProductRequest req =
        HIPSTERSHOP__REMOVE_PRODUCT_REQUEST__INIT;
    req.listing_id = f->l.id;
    flow_invoke(f, biz->catalog_addr, "hipstershop.ProductCatalogAdmin",
                "RemoveProduct", &req.base, &hipstershop__empty__descriptor,
                on_removed, "productcatalogservice");
    return;
  }
  switch (f->l.state) {
  case LISTING_PENDING:
  case LISTING_VERIFICATION_FAILED: {
    Hipstershop__SendVerificationRequest req =
        HIPSTERSHOP__SEND_VERIFICATION_REQUEST__INIT;
    req.email = f->l.seller_email;
    req.product_name = f->l.product_name;
    req.price = (float)((double)f->l.units + f->l.nanos / 1e9);
    flow_invoke(f, biz->email_addr, "hipstershop.EmailService",
                "SendVerificationEmail", &req.base,
                &hipstershop__send_verification_response__descriptor,
                on_verified, "emailservice");
    return;
  }
  case LISTING_VERIFIED:
  case LISTING_CATALOG_FAILED:
    if (!f->l.has_usd) {
      Hipstershop__Money from = HIPSTERSHOP__MONEY__INIT;
      from.currency_code = f->l.currency;
      from.units = f->l.units;
      from.nanos = f->l.nanos;
      Hipstershop__CurrencyConversionRequest req =
          HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
      req.from = &from;
      req.to_code = (char *)"USD";
      flow_invoke(f, biz->currency_addr, "hipstershop.CurrencyService",
                  "Convert", &req.base, &hipstershop__money__descriptor,
                  on_converted, "currencyservice");
      return;
    }
    {
      char *c[16];
      size_t nc = 0;
      for (size_t i = 0; i < listing_n_categories; i++)
        if (f->l.categories & (1u << i))
          c[nc++] = (char *)listing_categories[i];
      Hipstershop__Money price = HIPSTERSHOP__MONEY__INIT;
      price.currency_code = (char *)"USD";
      price.units = f->l.usd_units;
      price.nanos = f->l.usd_nanos;
      char *url = picture_url(biz, f->l.id);
      if (!url) {
        rt_fail(f->call, RT_RESOURCE_EXHAUSTED, "out of memory");
        flow_end(f);
        return;
      }
      Hipstershop__Product p = HIPSTERSHOP__PRODUCT__INIT;
      p.name = f->l.product_name;
      p.description = f->l.description;
      p.picture = url;
      p.price_usd = &price;
      p.categories = c;
      p.n_categories = nc;
      Hipstershop__AddProductRequest req =
          HIPSTERSHOP__ADD_PRODUCT_REQUEST__INIT;
      req.product = &p;
      req.seller_email = f->l.seller_email;
      req.listing_id = f->l.id;
      flow_invoke(f, biz->catalog_addr, "hipstershop.ProductCatalogAdmin",
                  "AddProduct", &req.base, &hipstershop__product__descriptor,
                  on_added, "productcatalogservice");
      free(url);
      return;
    }
  case LISTING_LISTED:
    flow_succeed(f);
    return;
  }
  flow_succeed(f);
}

/* Starts a flow for |l| (taking its contents). */
static void flow_start(business_t *biz, rt_call_t *call, int api, int created,
                       int remove, listing_t *l) {
  flow_t *f = calloc(1, sizeof *f);
  if (!f) {
    listing_clear(l);
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  *f = (flow_t){biz, call, rt_call_rt(call), api, created, remove, *l,
                biz->flows};
  memset(l, 0, sizeof *l);
  biz->flows = f;
  flow_step(f);
}

/* ---- submissions ---- */

/* Answers a refused submission: the form again (HTML) or a JSON error. */
static void refuse(rt_call_t *call, business_t *biz, int api,
                   const listing_input_t *in, const listing_error_t *err) {
  if (api) {
    respond_json_error(call, err->status, err->message, err->field);
    return;
  }
  char id[SVC_UUID_LEN + 1];
  const char *key = in && in->listing_id && listing_id_valid(in->listing_id)
                        ? in->listing_id
                        : svc_uuid4(rt_call_rt(call), id);
  size_t len;
  char *page = page_form(in, err, key, biz->picture_max, &len);
  respond_page(call, err->status, page, len, NULL);
}

/* Validates |in|, stores the listing (or finds the same one stored before)
 * and runs its flow. */
static void submit(rt_call_t *call, business_t *biz, int api,
                   const listing_input_t *in) {
  rt_t *rt = rt_call_rt(call);
  listing_t l;
  listing_error_t err;
  if (listing_validate(in, biz->picture_max, &l, &err) != 0) {
    if (err.status == 500) {
      rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
      return;
    }
    refuse(call, biz, api, in, &err);
    return;
  }
  if (!l.id[0])
    svc_uuid4(rt, l.id);
  if (flow_find(biz, l.id)) {
    listing_clear(&l);
    err = (listing_error_t){409, "listing_id",
                            "This listing is being processed right now; "
                            "try again in a moment."};
    refuse(call, biz, api, in, &err);
    return;
  }
  char dberr[300];
  for (int attempt = 0; attempt < 2; attempt++) {
    listing_t old;
    int found = biz_store_get(biz->store, l.id, &old, dberr, sizeof dberr);
    if (found < 0)
      break;
    if (found) {
      if (strcmp(old.fingerprint, l.fingerprint) != 0) {
        listing_clear(&old);
        listing_clear(&l);
        err = (listing_error_t){409, "listing_id",
                                "A different listing with this id exists "
                                "already; leave the id out to create a new "
                                "one."};
        refuse(call, biz, api, in, &err);
        return;
      }
      /* The same submission again: resume it where it stopped. */
      listing_clear(&l);
      rt_log(rt, RT_INFO, "listing resubmitted", "listing_id", old.id,
             "state", listing_state_name(old.state), NULL);
      flow_start(biz, call, api, 0, 0, &old);
      return;
    }
    l.created = l.updated = rt_now(rt);
    int rc = biz_store_insert(biz->store, &l, in->picture,
                              l.picture_len ? in->picture_len : 0, dberr,
                              sizeof dberr);
    if (rc == 0) {
      char price[48];
      rt_log(rt, RT_INFO, "listing stored", "listing_id", l.id, "price",
             listing_format_amount(l.units, l.nanos, price, sizeof price),
             "currency", l.currency, "picture_type", l.picture_type, NULL);
      flow_start(biz, call, api, 1, 0, &l);
      return;
    }
    if (rc < 0)
      break;
    /* rc 1: stored meanwhile by another process; look again. */
  }
  listing_clear(&l);
  rt_log(rt, RT_ERROR, "cannot store listing", "error", dberr, NULL);
  if (api)
    respond_json_error(call, 500, "cannot store the listing", NULL);
  else
    respond_error_page(call, 500, "Something went wrong",
                       "Your listing could not be saved. Please try again.",
                       NULL);
}

static char *part_text(const multipart_part_t *p) {
  return strndup((const char *)p->data, p->len);
}

static void on_form_post(rt_call_t *call, const rt_http_request_t *req,
                         business_t *biz) {
  char boundary[MULTIPART_MAX_BOUNDARY + 1];
  const char *ct = rt_http_header(req, "content-type");
  int rc = multipart_boundary(ct, boundary);
  if (rc != 0) {
    char msg[200];
    snprintf(msg, sizeof msg,
             "The form must be sent as multipart/form-data (%s).",
             multipart_strerror(rc));
    respond_error_page(call, rc == MULTIPART_ENOT_MULTIPART ? 415 : 400,
                       "The form could not be read", msg, NULL);
    return;
  }
  multipart_limits_t lim = {32, 8192, 16384, biz->picture_max};
  multipart_t mp;
  multipart_error_t merr;
  rc = multipart_parse(req->body, req->body_len, boundary, &lim, &mp, &merr);
  if (rc != 0) {
    char msg[300];
    if (rc == MULTIPART_EFILE_TOO_LARGE) {
      listing_error_t err = {413, "picture", ""};
      snprintf(err.message, sizeof err.message,
               "The picture is larger than the %zu bytes allowed.",
               biz->picture_max);
      refuse(call, biz, 0, NULL, &err);
      return;
    }
    if (rc == MULTIPART_ENOMEM) {
      rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
      return;
    }
    multipart_error_format(&merr, msg, sizeof msg);
    respond_error_page(call, rc == MULTIPART_EFIELD_TOO_LARGE ? 413 : 400,
                       "The form could not be read", msg, NULL);
    return;
  }

  /* Every field of the form, each once (categories may repeat). */
  static const char *const names[] = {"listing_id", "seller_email",
                                      "product_name", "description", "price",
                                      "currency"};
  char *vals[6] = {0};
  listing_input_t in = {0};
  listing_error_t err = {422, "", ""};
  int bad = 0;
  for (size_t i = 0; i < mp.n_parts && !bad; i++) {
    const multipart_part_t *p = &mp.parts[i];
    if (strcmp(p->name, "picture") == 0) {
      if (in.picture) {
        snprintf(err.message, sizeof err.message,
                 "Please send one picture only.");
        err.field = "picture", bad = 1;
      }
      in.picture = p->data;
      in.picture_len = p->len;
      if (!p->len)
        in.picture = NULL; /* an empty file input */
      continue;
    }
    if (memchr(p->data, '\0', p->len)) {
      snprintf(err.message, sizeof err.message,
               "The field \"%.40s\" contains a NUL byte.", p->name);
      bad = 1;
      break;
    }
    if (strcmp(p->name, "categories") == 0) {
      if (in.n_categories == LISTING_MAX_CATEGORY_FIELDS) {
        snprintf(err.message, sizeof err.message, "Too many categories.");
        err.field = "categories", bad = 1;
        break;
      }
      char *v = part_text(p);
      if (!v)
        break;
      in.categories[in.n_categories++] = v;
      continue;
    }
    size_t k = 0;
    while (k < 6 && strcmp(names[k], p->name) != 0)
      k++;
    if (k == 6) {
      snprintf(err.message, sizeof err.message,
               "The form has an unknown field \"%.40s\".", p->name);
      bad = 1;
    } else if (vals[k]) {
      snprintf(err.message, sizeof err.message,
               "The field \"%s\" was sent twice.", names[k]);
      err.field = names[k], bad = 1;
    } else if (!(vals[k] = part_text(p))) {
      bad = 2;
    }
  }
  in.listing_id = vals[0];
  in.seller_email = vals[1];
  in.product_name = vals[2];
  in.description = vals[3];
  in.price = vals[4];
  in.currency = vals[5];
  if (bad == 1)
    refuse(call, biz, 0, &in, &err);
  else if (bad == 2)
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
  else
    submit(call, biz, 0, &in);
  for (size_t k = 0; k < 6; k++)
    free(vals[k]);
  for (size_t i = 0; i < in.n_categories; i++)
    free((char *)in.categories[i]);
  multipart_free(&mp);
}

/* Decodes standard base64 (padding optional, whitespace skipped) into a
 * malloc'ed buffer. Returns it, or NULL (bad input, or out of memory). */
static uint8_t *base64_decode(const char *s, size_t *outlen) {
  size_t n = strlen(s);
  uint8_t *out = malloc(n / 4 * 3 + 3);
  if (!out)
    return NULL;
  uint32_t acc = 0;
  int bits = 0, pad = 0;
  size_t k = 0;
  for (; *s; s++) {
    int v;
    unsigned char c = (unsigned char)*s;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=') {
      pad++;
      continue;
    } else if (isspace(c))
      continue;
    else
      goto bad;
    if (pad)
      goto bad; /* data after padding */
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[k++] = (uint8_t)(acc >> bits);
    }
  }
  if (bits >= 6 || pad > 2) /* a lone sextet cannot encode a byte */
    goto bad;
  *outlen = k;
  return out;
bad:
  free(out);
  return NULL;
}

static void on_api_create(rt_call_t *call, const rt_http_request_t *req,
                          business_t *biz) {
  const char *ct = rt_http_header(req, "content-type");
  if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
      (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
    respond_json_error(call, 415, "the body must be application/json", NULL);
    return;
  }
  json_error_t jerr;
  json_t *root = json_loadb((const char *)req->body, req->body_len,
                            JSON_REJECT_DUPLICATES, &jerr);
  if (!root || !json_is_object(root)) {
    char msg[300];
    if (root)
      snprintf(msg, sizeof msg, "the body must be a JSON object");
    else
      snprintf(msg, sizeof msg, "invalid JSON at line %d, column %d: %s",
               jerr.line, jerr.column, jerr.text);
    json_decref(root);
    respond_json_error(call, 400, msg, NULL);
    return;
  }
  listing_input_t in = {0};
  listing_error_t err = {422, "", ""};
  char price[64] = "";
  uint8_t *picture = NULL;
  const char *key;
  json_t *v;
  int bad = 0;
  json_object_foreach(root, key, v) {
    const char **slot = strcmp(key, "listing_id") == 0     ? &in.listing_id
                        : strcmp(key, "seller_email") == 0 ? &in.seller_email
                        : strcmp(key, "product_name") == 0 ? &in.product_name
                        : strcmp(key, "description") == 0  ? &in.description
                        : strcmp(key, "currency") == 0     ? &in.currency
                                                           : NULL;
    if (slot) {
      if (json_is_null(v))
        continue;
      if (!json_is_string(v) ||
          strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(err.message, sizeof err.message,
                 "%s must be a string without NUL characters", key);
        err.field = key, bad = 1;
        break;
      }
      *slot = json_string_value(v);
    } else if (strcmp(key, "categories") == 0) {
      if (json_is_string(v)) {
        in.categories[in.n_categories++] = json_string_value(v);
        continue;
      }
      size_t i;
      json_t *c;
      if (!json_is_array(v) ||
          json_array_size(v) > LISTING_MAX_CATEGORY_FIELDS) {
        snprintf(err.message, sizeof err.message,
                 "categories must be an array of at most %d strings",
                 LISTING_MAX_CATEGORY_FIELDS);
        err.field = "categories", bad = 1;
        break;
      }
      json_array_foreach(v, i, c) {
        if (!json_is_string(c)) {
          snprintf(err.message, sizeof err.message,
                   "categories must be an array of strings");
          err.field = "categories", bad = 1;
          break;
        }
        in.categories[in.n_categories++] = json_string_value(c);
      }
      if (bad)
        break;
    } else if (strcmp(key, "price") == 0) {
      if (json_is_string(v)) {
        snprintf(price, sizeof price, "%s", json_string_value(v));
      } else if (json_is_integer(v)) {
        snprintf(price, sizeof price, "%lld",
                 (long long)json_integer_value(v));
      } else if (json_is_real(v)) {
        /* Only amounts that are whole cents: 12.5 yes, 0.125 no. */
        double x = json_real_value(v), c = x * 100.0;
        long long cents = (long long)(c + (c >= 0 ? 0.5 : -0.5));
        if (x < 0 || x > 1e7 || c - (double)cents > 1e-6 ||
            (double)cents - c > 1e-6)
          snprintf(price, sizeof price, "%.17g", x);
        else
          snprintf(price, sizeof price, "%lld.%02lld", cents / 100,
                   cents % 100);
      } else {
        snprintf(err.message, sizeof err.message,
                 "price must be a string such as \"12.50\" or a number");
        err.field = "price", bad = 1;
        break;
      }
      in.price = price;
    } else if (strcmp(key, "picture_base64") == 0) {
      if (json_is_null(v))
        continue;
      if (!json_is_string(v) ||
          !(picture = base64_decode(json_string_value(v), &in.picture_len))) {
        snprintf(err.message, sizeof err.message,
                 "picture_base64 must be a base64 string");
        err.field = "picture", bad = 1;
        break;
      }
      in.picture = picture;
    } else {
      snprintf(err.message, sizeof err.message, "unknown field \"%.40s\"",
               key);
      err.field = "", bad = 1;
      break;
    }
  }
  if (bad)
    refuse(call, biz, 1, &in, &err);
  else
    submit(call, biz, 1, &in);
  free(picture);
  json_decref(root);
}

/* ---- reading, retrying, deleting ---- */

/* Loads listing |id| or answers 404/500 (JSON when |api|). */
static int load(rt_call_t *call, business_t *biz, int api, const char *id,
                listing_t *l) {
  char err[300];
  int rc = listing_id_valid(id)
               ? biz_store_get(biz->store, id, l, err, sizeof err)
               : 0;
  if (rc == 1)
    return 0;
  if (rc == 0) {
    if (api)
      respond_json_error(call, 404, "no such listing", NULL);
    else
      respond_error_page(call, 404, "Not found", "There is no such listing.",
                         NULL);
  } else {
    rt_log(rt_call_rt(call), RT_ERROR, "cannot read listing", "error", err,
           NULL);
    if (api)
      respond_json_error(call, 500, "cannot read the listing", NULL);
    else
      rt_fail(call, RT_INTERNAL, "cannot read the listing");
  }
  return -1;
}

static void on_retry(rt_call_t *call, business_t *biz, int api,
                     const char *id) {
  listing_t l;
  if (flow_find(biz, id)) {
    if (api)
      respond_json_error(call, 409, "the listing is being processed", NULL);
    else
      respond_error_page(call, 409, "Please wait",
                         "This listing is being processed right now.", NULL);
    return;
  }
  if (load(call, biz, api, id, &l) == 0)
    flow_start(biz, call, api, 0, 0, &l);
}

static void on_delete(rt_call_t *call, business_t *biz, const char *id) {
  listing_t l;
  if (flow_find(biz, id)) {
    respond_json_error(call, 409, "the listing is being processed", NULL);
    return;
  }
  if (load(call, biz, 1, id, &l) != 0)
    return;
  /* Only a listing that never reached the catalog skips RemoveProduct: an
   * AddProduct whose answer was lost may still have added it. */
  if (l.state == LISTING_PENDING || l.state == LISTING_VERIFICATION_FAILED) {
    char err[300];
    if (biz_store_delete(biz->store, l.id, err, sizeof err) < 0)
      respond_json_error(call, 500, err, NULL);
    else
      rt_http_respond(call, 204, NULL, 0, NULL, 0);
    listing_clear(&l);
    return;
  }
  flow_start(biz, call, 1, 0, 1, &l);
}

static void on_api_list(rt_call_t *call, const rt_http_request_t *req,
                        business_t *biz) {
  /* ?seller_email=<address> (percent-decoded; '+' is a space). */
  char seller[LISTING_MAX_EMAIL + 1] = "";
  int filter = 0;
  for (const char *q = req->query; *q;) {
    const char *amp = strchr(q, '&');
    size_t n = amp ? (size_t)(amp - q) : strlen(q);
    if (n > 13 && strncmp(q, "seller_email=", 13) == 0) {
      size_t k = 0;
      filter = 1;
      for (size_t i = 13; i < n && k < sizeof seller - 1; i++) {
        char c = q[i];
        if (c == '%' && i + 2 < n + 0 && isxdigit((unsigned char)q[i + 1]) &&
            isxdigit((unsigned char)q[i + 2])) {
          char hex[3] = {q[i + 1], q[i + 2], 0};
          c = (char)strtol(hex, NULL, 16);
          i += 2;
        } else if (c == '+') {
          c = ' ';
        }
        seller[k++] = c;
      }
      seller[k] = '\0';
    }
    q += n + (amp ? 1 : 0);
  }
  listing_t *a;
  char err[300];
  long n = biz_store_list(biz->store, filter ? seller : NULL, LIST_LIMIT, &a,
                          err, sizeof err);
  if (n < 0) {
    respond_json_error(call, 500, err, NULL);
    return;
  }
  json_t *arr = json_array();
  for (long i = 0; i < n; i++) {
    json_array_append_new(arr, listing_json(biz, &a[i]));
    listing_clear(&a[i]);
  }
  free(a);
  respond_json(call, 200, json_pack("{s:o}", "listings", arr), NULL);
}

/* ---- pictures ---- */

/* Shown for a listing without a picture: a neutral box, no seller text. */
static const char placeholder_svg[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"400\" "
    "viewBox=\"0 0 400 400\"><rect width=\"400\" height=\"400\" "
    "fill=\"#e4e7eb\"/><path d=\"M120 270l60-80 45 55 30-35 45 60z\" "
    "fill=\"#9aa5b1\"/><circle cx=\"250\" cy=\"150\" r=\"22\" "
    "fill=\"#9aa5b1\"/></svg>\n";

static void on_picture(rt_call_t *call, business_t *biz, const char *id) {
  listing_t l;
  if (load(call, biz, 0, id, &l) != 0)
    return;
  uint8_t *data = NULL;
  size_t len = 0;
  char err[300];
  int rc = *l.picture_type
               ? biz_store_picture(biz->store, id, &data, &len, err,
                                   sizeof err)
               : 0;
  if (rc < 0) {
    listing_clear(&l);
    rt_fail(call, RT_INTERNAL, "cannot read the picture");
    return;
  }
  /* Pictures never change under an id (a different submission cannot
   * reuse it), so caches may keep them. An SVG is a document: the CSP keeps
   * any script in it from running if someone opens it directly. */
  rt_http_header_t h[] = {
      {"Content-Type", rc ? l.picture_type : "image/svg+xml"},
      {"Cache-Control", "public, max-age=86400"},
      {"X-Content-Type-Options", "nosniff"},
      {"Content-Security-Policy",
       "default-src 'none'; style-src 'unsafe-inline'; sandbox"}};
  if (rc)
    rt_http_respond(call, 200, h, 4, data, len);
  else
    rt_http_respond(call, 200, h, 4, placeholder_svg,
                    sizeof placeholder_svg - 1);
  free(data);
  listing_clear(&l);
}

/* ---- routing ---- */

static int is_read(const char *m) {
  return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

static void not_allowed(rt_call_t *call, const char *allow, int api) {
  rt_http_header_t h[] = {{"Allow", allow},
                          {"Content-Type", api ? "application/json"
                                               : "text/plain; charset=utf-8"}};
  const char *body = api ? "{\"error\":\"method not allowed\"}"
                         : "method not allowed\n";
  rt_http_respond(call, 405, h, 2, body, strlen(body));
}

/* If |path| is |prefix| followed by one segment (and optionally |suffix|),
 * copies the segment into |seg| and returns 1. */
static int match(const char *path, const char *prefix, const char *suffix,
                 char *seg, size_t size) {
  size_t n = strlen(prefix);
  if (strncmp(path, prefix, n) != 0)
    return 0;
  const char *s = path + n, *e = strchr(s, '/');
  size_t len = e ? (size_t)(e - s) : strlen(s);
  if (len == 0 || len >= size)
    return 0;
  if (suffix ? !e || strcmp(e, suffix) != 0 : e != NULL)
    return 0;
  memcpy(seg, s, len);
  seg[len] = '\0';
  return 1;
}

static void on_http(rt_call_t *call, const rt_http_request_t *req,
                    void *user) {
  business_t *biz = user;
  const char *path = req->path, *m = req->method;
  char id[64];
  if (strcmp(path, "/_healthz") == 0) {
    if (!is_read(m))
      {
      not_allowed(call, "GET, HEAD", 0);
      return;
    }
    rt_http_header_t h[] = {{"Content-Type", "text/plain; charset=utf-8"}};
    rt_http_respond(call, 200, h, 1, "ok", 2);
  } else if (strcmp(path, "/business") == 0 ||
             strcmp(path, "/business/") == 0) {
    if (strcmp(m, "POST") == 0)
      {
      on_form_post(call, req, biz);
      return;
    }
    if (!is_read(m))
      {
      not_allowed(call, "GET, HEAD, POST", 0);
      return;
    }
    char key[SVC_UUID_LEN + 1];
    size_t len;
    char *page = page_form(NULL, NULL, svc_uuid4(rt_call_rt(call), key),
                           biz->picture_max, &len);
    respond_page(call, 200, page, len, NULL);
  } else if (match(path, "/business/pictures/", NULL, id, sizeof id)) {
    if (!is_read(m))
      {
      not_allowed(call, "GET, HEAD", 0);
      return;
    }
    on_picture(call, biz, id);
  } else if (match(path, "/business/listings/", "/retry", id, sizeof id)) {
    if (strcmp(m, "POST") != 0)
      {
      not_allowed(call, "POST", 0);
      return;
    }
    on_retry(call, biz, 0, id);
  } else if (match(path, "/business/listings/", NULL, id, sizeof id)) {
    if (!is_read(m))
      {
      not_allowed(call, "GET, HEAD", 0);
      return;
    }
    listing_t l;
    if (load(call, biz, 0, id, &l) != 0)
      return;
    char url[80];
    snprintf(url, sizeof url, "/business/pictures/%s", l.id);
    size_t len;
    char *page = page_listing(&l, url, &len);
    listing_clear(&l);
    respond_page(call, 200, page, len, NULL);
  } else if (strcmp(path, "/business/api/listings") == 0) {
    if (strcmp(m, "POST") == 0)
      {
      on_api_create(call, req, biz);
      return;
    }
    if (!is_read(m))
      {
      not_allowed(call, "GET, HEAD, POST", 1);
      return;
    }
    on_api_list(call, req, biz);
  } else if (match(path, "/business/api/listings/", "/retry", id,
                   sizeof id)) {
    if (strcmp(m, "POST") != 0)
      {
      not_allowed(call, "POST", 1);
      return;
    }
    on_retry(call, biz, 1, id);
  } else if (match(path, "/business/api/listings/", NULL, id, sizeof id)) {
    if (strcmp(m, "DELETE") == 0)
      {
      on_delete(call, biz, id);
      return;
    }
    if (!is_read(m))
      {
      not_allowed(call, "GET, HEAD, DELETE", 1);
      return;
    }
    listing_t l;
    if (load(call, biz, 1, id, &l) != 0)
      return;
    respond_json(call, 200, json_pack("{s:o}", "listing", listing_json(biz, &l)),
                 NULL);
    listing_clear(&l);
  } else if (strncmp(path, "/business/api/", 14) == 0) {
    respond_json_error(call, 404, "no such API route", NULL);
  } else {
    respond_error_page(call, 404, "Not found",
                       "There is no such page here.", NULL);
  }
}

/* ---- configuration ---- */

/* "host:port" with a non-empty host and a port in 1..65535. */
static int addr_valid(const char *a) {
  const char *colon = strrchr(a, ':');
  if (!colon || colon == a || !colon[1])
    return 0;
  for (const char *c = a; c < colon; c++)
    if (isspace((unsigned char)*c) || iscntrl((unsigned char)*c) || *c == '/')
      return 0;
  char *end;
  errno = 0;
  long port = strtol(colon + 1, &end, 10);
  return !*end && !errno && port >= 1 && port <= 65535 &&
         isdigit((unsigned char)colon[1]);
}

static char *config_addr(rt_t *rt, const char *const *names,
                         const char *fallback) {
  const char *v = NULL, *name = names[0];
  for (const char *const *n = names; *n; n++)
    if ((v = rt_env(rt, *n)) && *v) {
      name = *n;
      break;
    }
  if (!v || !*v)
    v = fallback;
  if (!addr_valid(v)) {
    rt_config_error(rt, name, v, "expected host:port, e.g. emailservice:5000");
    return NULL;
  }
  char *copy = strdup(v);
  if (!copy)
    rt_config_error(rt, name, v, "out of memory");
  return copy;
}

static void business_free(business_t *biz) {
  if (!biz)
    return;
  biz_store_close(biz->store);
  free(biz->email_addr);
  free(biz->catalog_addr);
  free(biz->currency_addr);
  free(biz->prefix);
  free(biz);
}

static int business_init(rt_t *rt) {
  business_t *biz = calloc(1, sizeof *biz);
  if (!biz) {
    rt_log(rt, RT_ERROR, "out of memory", NULL);
    return -1;
  }
  static const char *const email_names[] = {"EMAIL_SERVICE",
                                            "EMAIL_SERVICE_ADDR", NULL};
  static const char *const catalog_names[] = {"PRODUCT_CATALOG_SERVICE_ADDR",
                                              NULL};
  static const char *const currency_names[] = {"CURRENCY_SERVICE_ADDR", NULL};
  if (!(biz->email_addr =
            config_addr(rt, email_names, "emailservice:5000")) ||
      !(biz->catalog_addr = config_addr(rt, catalog_names,
                                        "productcatalogservice:3550")) ||
      !(biz->currency_addr =
            config_addr(rt, currency_names, "currencyservice:7000")))
    goto fail;

  biz->picture_max = DEFAULT_PICTURE_MAX;
  const char *v = rt_env(rt, "BUSINESS_PICTURE_MAX_BYTES");
  if (v && *v) {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!isdigit((unsigned char)*v) || *end || errno || x < 1 ||
        x > MAX_PICTURE_MAX) {
      rt_config_error(rt, "BUSINESS_PICTURE_MAX_BYTES", v,
                      "expected a number of bytes from 1 to 67108864");
      goto fail;
    }
    biz->picture_max = (size_t)x;
  }

  v = rt_env(rt, "PUBLIC_URL_PREFIX");
  if (!v || !*v)
    v = "/business";
  int ok = v[0] == '/' || strncmp(v, "http://", 7) == 0 ||
           strncmp(v, "https://", 8) == 0;
  for (const char *c = v; *c && ok; c++)
    if ((unsigned char)*c <= ' ' || *c == '"' || *c == '\'' || *c == '<' ||
        *c == '>' || *c == '\\' || *c == 0x7f)
      ok = 0;
  if (!ok || strlen(v) > 512) {
    rt_config_error(rt, "PUBLIC_URL_PREFIX", v,
                    "expected a path such as /business or an http(s) URL, "
                    "without spaces or quotes");
    goto fail;
  }
  size_t n = strlen(v);
  while (n > 1 && v[n - 1] == '/')
    n--;
  if (n == 1 && v[0] == '/')
    n = 0; /* "/" alone: pictures at /pictures/<id> */
  if (!(biz->prefix = strndup(v, n)))
    goto fail;

  v = rt_env(rt, "BUSINESS_DB_PATH");
  if (!v || !*v)
    v = "business.db";
  char err[512];
  if (!(biz->store = biz_store_open(v, err, sizeof err))) {
    rt_config_error(rt, "BUSINESS_DB_PATH", v, err);
    goto fail;
  }
  if (rt_serve_http(rt, on_http, biz) != 0) {
    rt_log(rt, RT_ERROR, "cannot serve HTTP", "error", strerror(errno), NULL);
    goto fail;
  }
  char max[32];
  snprintf(max, sizeof max, "%zu", biz->picture_max);
  rt_log(rt, RT_INFO, "business ready", "db", v, "email", biz->email_addr,
         "catalog", biz->catalog_addr, "currency", biz->currency_addr,
         "picture_max_bytes", max, "public_url_prefix", biz->prefix, NULL);
  rt_set_user(rt, biz);
  return 0;
fail:
  business_free(biz);
  return -1;
}

static void business_fini(rt_t *rt) {
  business_t *biz = rt_get_user(rt);
  /* The runtime ends every call first, so no flow is left. */
  business_free(biz);
  rt_set_user(rt, NULL);
}

static const char business_env_help[] =
    "  EMAIL_SERVICE           host:port of emailservice (the seed's name;\n"
    "                          EMAIL_SERVICE_ADDR also works)\n"
    "  PRODUCT_CATALOG_SERVICE_ADDR, CURRENCY_SERVICE_ADDR\n"
    "                          host:port of the catalog and currency services\n"
    "  BUSINESS_DB_PATH        SQLite file of the listings (default business.db in\n"
    "                          the working directory)\n"
    "  BUSINESS_PICTURE_MAX_BYTES  largest picture upload (default 2097152)\n"
    "  PUBLIC_URL_PREFIX       where the shop's ingress serves business (default\n"
    "                          /business)\n";

const rt_service_t business_service = {"business", 5055, business_init,
                                       business_fini, business_env_help};

/*
 * fe.h — the frontend's internals, shared by its files:
 *   frontend.c  configuration, routing, per-request context, responses,
 *               static files, the /business forwarder;
 *   fe_backend.c  backend calls and the join that runs a page's next step
 *               once a batch of parallel calls has completed;
 *   fe_shop.c   the shop's routes as chains of steps;
 *   fe_pages.c  the HTML templates.
 *
 * One request is one fe_req_t, from the handler until its response: it owns
 * every backend response it collected (freed with it) and the parsed form.
 * Steps run one batch of backend calls at a time; a batch's callbacks all
 * run before the next step, so when a response is sent no callback is
 * outstanding and the request can be freed at once.
 */
#ifndef MESHSIM_FE_H
#define MESHSIM_FE_H

#include <stddef.h>

#include "common/form.h"
#include "common/html.h"
#include "proto/demo.pb-c.h"
#include "rt.h"

#define FE_SESSION_MAX 64   /* longest session id we accept from a cookie */
#define FE_REQID_MAX 64     /* longest x-request-id we reuse */
#define FE_ID_MAX 128       /* longest product id in a URL or form */
#define FE_MAX_RECS 4       /* recommendations shown, as upstream */
#define FE_MAX_CART_ITEMS 100 /* cart lines shown (bounds the fan-out) */
#define FE_MAX_COOKIES 3    /* Set-Cookie lines one response may carry */

/* Backend names as they appear on error pages and in logs. */
#define FE_CATALOG "productcatalogservice"
#define FE_CURRENCY "currencyservice"
#define FE_CART "cartservice"
#define FE_RECO "recommendationservice"
#define FE_SHIPPING "shippingservice"
#define FE_CHECKOUT "checkoutservice"
#define FE_AD "adservice"
#define FE_BUSINESS "business"

typedef struct fe {
  const char *catalog_addr, *currency_addr, *cart_addr, *reco_addr,
      *shipping_addr, *checkout_addr, *ad_addr;
  const char *business_addr; /* NULL: /business is not forwarded */
  rt_time_t timeout;         /* per backend call */
  const char *platform;      /* "aws": the CSS class of the banner */
  const char *platform_name; /* "AWS" */
  char (*etags)[24];         /* one per static file: "\"<hash>\"" */
} fe_t;

typedef struct fe_req fe_req_t;
typedef void (*fe_step_fn)(fe_req_t *r);

struct fe_req {
  fe_t *fe;
  rt_t *rt;
  rt_call_t *call;
  /* Valid only until the call ends (rt_http_respond/rt_fail): what the
   * access log needs afterwards is copied into log_method/log_path. */
  const rt_http_request_t *http;
  char log_method[16];
  char log_path[128];
  rt_time_t start;
  char session[FE_SESSION_MAX + 1]; /* "" until the route needs one */
  int new_session;                  /* set the session cookie */
  char currency[4];                 /* one of the offered codes */
  char request_id[FE_REQID_MAX + 1];
  char *cookies[FE_MAX_COOKIES];    /* extra Set-Cookie values, owned */
  size_t n_cookies;

  /* The join: callbacks pending in the current batch (+1 while it is being
   * issued), and the step to run when they are done. */
  unsigned pending;
  fe_step_fn next;
  /* The first failed required call of the request. */
  int failed;
  rt_status_t fail_code;
  char fail_svc[32];
  char fail_msg[256];

  /* Every response received, owned, freed with the request. */
  ProtobufCMessage **owned;
  size_t n_owned, cap_owned;

  /* Route data. Backend responses are kept as ProtobufCMessage * and cast
   * by their reader (the base is every message's first member). */
  form_t form;
  char product_id[FE_ID_MAX + 1];
  int quantity;
  ProtobufCMessage *currencies; /* GetSupportedCurrenciesResponse */
  ProtobufCMessage *products;   /* ListProductsResponse */
  ProtobufCMessage *product;    /* Product */
  ProtobufCMessage *price;      /* Money: |product|'s price, converted */
  ProtobufCMessage *cart;       /* Cart */
  ProtobufCMessage *ads;        /* AdResponse */
  ProtobufCMessage *recs;       /* ListRecommendationsResponse */
  ProtobufCMessage *rec_products[FE_MAX_RECS]; /* Product, NULL if missing */
  ProtobufCMessage **prices;    /* Money per product (home) or cart line */
  ProtobufCMessage **items;     /* Product per cart line */
  size_t n_lines;               /* entries in prices/items */
  ProtobufCMessage *quote;      /* GetQuoteResponse */
  ProtobufCMessage *shipping;   /* Money: the quote, converted */
  ProtobufCMessage *order;      /* PlaceOrderResponse */
  ProtobufCMessage *empty;      /* Empty replies land here */
  Hipstershop__Address address; /* the checkout form, parsed */
  Hipstershop__CreditCardInfo card;
  const char *email;
};

/* ---- currencies offered to shoppers (upstream's whitelist) ---- */
extern const char *const fe_currencies[];
extern const size_t fe_n_currencies;
int fe_currency_offered(const char *code);

/* ---- frontend.c: responses (each ends the request and frees |r|) ---- */

/* Answers with |body| of |ctype|; |cache| is the Cache-Control value
 * (NULL: "no-store", as pages are per session). */
void fe_respond(fe_req_t *r, int status, const char *ctype, const char *cache,
                const void *body, size_t len);
/* Answers with the page in |b| (text/html); 500 if |b| failed. */
void fe_send_page(fe_req_t *r, int status, html_buf_t *b);
/* 302 to |location| (a path: must be printable ASCII). */
void fe_redirect(fe_req_t *r, const char *location);
/* An error page: |status|, a title and a message (untrusted: escaped). */
void fe_error_page(fe_req_t *r, int status, const char *title,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The error page for the request's failed backend: 500 naming it. */
void fe_backend_error(fe_req_t *r);
/* Adds a Set-Cookie value to the response. Returns 0 or -1. */
int fe_add_cookie(fe_req_t *r, const char *name, const char *value,
                  int64_t max_age);
/* Makes sure the request has a session, creating one (and its cookie). */
void fe_ensure_session(fe_req_t *r);

/* ---- fe_backend.c ---- */

/* Flags for fe_call(). */
#define FE_OPTIONAL 1 /* a failure is logged, not fatal to the page */

/* Starts a batch: |next| runs once every call issued until fe_join_end()
 * has completed (at once, from fe_join_end(), when none is pending). */
void fe_join_begin(fe_req_t *r, fe_step_fn next);
void fe_join_end(fe_req_t *r);

/* One backend call in the current batch: on success the response goes to
 * |*slot| (owned by |r|; NULL |slot| drops it), on failure of a required
 * call the request records the first failure (fail_svc, code, message). */
void fe_call(fe_req_t *r, int flags, const char *svc, const char *addr,
             const char *service, const char *method,
             const ProtobufCMessage *req,
             const ProtobufCMessageDescriptor *resp_type,
             ProtobufCMessage **slot);

void fe_get_currencies(fe_req_t *r, int flags);
void fe_list_products(fe_req_t *r);
void fe_get_product(fe_req_t *r, int flags, const char *id,
                    ProtobufCMessage **slot);
void fe_get_cart(fe_req_t *r);
/* Converts |from| to the user's currency into |*slot|. */
void fe_convert(fe_req_t *r, const Hipstershop__Money *from,
                ProtobufCMessage **slot);
void fe_get_ads(fe_req_t *r, char **keys, size_t n);
void fe_list_recs(fe_req_t *r, int flags, char **ids, size_t n);
/* Fetches the products of the recommendations in r->recs (up to
 * FE_MAX_RECS, optional: a missing product is left out). */
void fe_get_rec_products(fe_req_t *r);

/* ---- fe_pages.c ---- */
void fe_page_home(fe_req_t *r, html_buf_t *b);
void fe_page_product(fe_req_t *r, html_buf_t *b);
void fe_page_cart(fe_req_t *r, html_buf_t *b);
/* |total|: what the order cost, computed by the caller. */
void fe_page_order(fe_req_t *r, html_buf_t *b,
                   const Hipstershop__Money *total);
void fe_page_error(fe_req_t *r, html_buf_t *b, int status, const char *title,
                   const char *message);
/* "$19.99", "€1.50", "¥126.00". */
void fe_money_html(html_buf_t *b, const Hipstershop__Money *m);
/* The cart's total quantity (0 when the cart was not fetched). */
long fe_cart_size(const fe_req_t *r);

/* ---- fe_shop.c: route handlers (each ends the request eventually) ---- */
void fe_route_home(fe_req_t *r);
void fe_route_product(fe_req_t *r, const char *id);
void fe_route_cart(fe_req_t *r);
void fe_route_add_to_cart(fe_req_t *r);
void fe_route_empty_cart(fe_req_t *r);
void fe_route_checkout(fe_req_t *r);
void fe_route_set_currency(fe_req_t *r);
void fe_route_logout(fe_req_t *r);

/* ---- fe_static_data.c (generated by embed_static.sh) ---- */
typedef struct fe_static_file {
  const char *path; /* "/static/styles.css" */
  const char *type; /* Content-Type */
  const unsigned char *data;
  size_t len;
} fe_static_file_t;
extern const fe_static_file_t fe_static_files[];
extern const size_t fe_n_static_files;

#endif /* MESHSIM_FE_H */

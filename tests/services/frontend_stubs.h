/*
 * frontend_stubs.h — every backend of the frontend, stubbed on the test
 * runtime, for tests/services/check_frontend.c and fuzz/frontend_request.c.
 *
 *   catalog   the nine products (plus fe_stubs_t.extra, e.g. a seller's);
 *             GetProduct of another id is NOT_FOUND
 *   currency  the 33 codes; Convert to USD is the identity, to any other
 *             code adds 1 to the units (19.99 USD -> 20.99 EUR): known
 *             values to look for on pages
 *   cart      per-user carts in memory (AddItem adds up, EmptyCart clears)
 *   reco      the first up-to-5 catalog ids not asked about
 *   shipping  GetQuote 8.99 USD for a non-empty cart, 0 otherwise
 *   checkout  PlaceOrder from the user's cart: item costs converted as
 *             above, shipping 8.99 converted, ids "order-<n>", "TR-<n>"
 *   ads       one ad per category asked, "Ad for <category>"; none -> 2
 * Any backend can be made to fail with fe_stubs_t.fail[FS_*] (a status
 * code, message fail_msg). Business is an HTTP stub echoing the request.
 */
#ifndef MESHSIM_FRONTEND_STUBS_H
#define MESHSIM_FRONTEND_STUBS_H

#include <stdio.h>
#include <string.h>

#include "proto/demo.pb-c.h"
#include "rt_test.h"

enum { FS_CATALOG, FS_CURRENCY, FS_CART, FS_RECO, FS_SHIPPING, FS_CHECKOUT,
       FS_AD, FS_N };

#define FS_MAX_USERS 8
#define FS_MAX_ITEMS 16

typedef struct fs_cart {
  char user[80];
  Hipstershop__CartItem items[FS_MAX_ITEMS];
  Hipstershop__CartItem *pitems[FS_MAX_ITEMS];
  char ids[FS_MAX_ITEMS][140];
  size_t n;
} fs_cart_t;

typedef struct fe_stubs {
  rt_status_t fail[FS_N];
  const char *fail_msg;
  Hipstershop__Product *extra; /* one more catalog product, or NULL */
  fs_cart_t carts[FS_MAX_USERS];
  size_t n_carts;
  unsigned orders;
  /* The last PlaceOrder request seen (strings copied). */
  char last_currency[8], last_user[80], last_email[300], last_card[80];
  int32_t last_zip, last_month, last_year, last_cvv;
  /* The last request the business stub saw. */
  char biz_method[16], biz_target[256], biz_xff[128], biz_body[256];
  int biz_has_connection, biz_has_cookie;
  /* Scratch the stubs answer from (encoded at once by the runtime). */
  Hipstershop__Product products[10], *pproducts[10];
  Hipstershop__Money prices[10];
  char *cats[10][2];
  Hipstershop__ListProductsResponse list;
  Hipstershop__Money money;
  Hipstershop__Cart cart;
  char cart_user[80];
  Hipstershop__ListRecommendationsResponse recs;
  char *rec_ids[5];
  Hipstershop__GetQuoteResponse quote;
  Hipstershop__Money quote_cost;
  Hipstershop__PlaceOrderResponse por;
  Hipstershop__OrderResult order;
  Hipstershop__OrderItem oitems[FS_MAX_ITEMS], *poitems[FS_MAX_ITEMS];
  Hipstershop__CartItem ocart[FS_MAX_ITEMS];
  Hipstershop__Money ocost[FS_MAX_ITEMS], oship;
  char order_id[32], tracking[32], ocode[8];
  Hipstershop__AdResponse adr;
  Hipstershop__Ad ad[8], *pad[8];
  char ad_text[8][160];
  char ad_url[8][160];
  Hipstershop__GetSupportedCurrenciesResponse cur;
  Hipstershop__Empty empty;
} fe_stubs_t;

static const struct fs_product {
  const char *id, *name, *slug, *cat1, *cat2;
  int64_t units;
  int32_t nanos;
} fs_catalog[9] = {
    {"OLJCESPC7Z", "Sunglasses", "sunglasses", "accessories", NULL, 19,
     990000000},
    {"66VCHSJNUP", "Tank Top", "tank-top", "clothing", "tops", 18, 990000000},
    {"1YMWWN1N4O", "Watch", "watch", "accessories", NULL, 109, 990000000},
    {"L9ECAV7KIM", "Loafers", "loafers", "footwear", NULL, 89, 990000000},
    {"2ZYFJ3GM2N", "Hairdryer", "hairdryer", "hair", "beauty", 24, 990000000},
    {"0PUK6V6EV0", "Candle Holder", "candle-holder", "decor", "home", 18,
     990000000},
    {"LS4PSXUNUM", "Salt & Pepper Shakers", "salt-and-pepper-shakers",
     "kitchen", NULL, 18, 490000000},
    {"9SIQT8TOJO", "Bamboo Glass Jar", "bamboo-glass-jar", "kitchen", NULL, 5,
     490000000},
    {"6E92ZMYYFZ", "Mug", "mug", "kitchen", NULL, 8, 990000000},
};

static char fs_pictures[9][80];

#define FS_FAIL(s, which, m, n)                                      \
  do {                                                               \
    if ((s)->fail[which] != RT_OK) {                                 \
      snprintf((m), (n), "%s", (s)->fail_msg ? (s)->fail_msg : "stub failure"); \
      return (s)->fail[which];                                       \
    }                                                                \
  } while (0)

static size_t fs_products(fe_stubs_t *s) {
  for (size_t i = 0; i < 9; i++) {
    Hipstershop__Product *p = &s->products[i];
    hipstershop__product__init(p);
    p->id = (char *)fs_catalog[i].id;
    p->name = (char *)fs_catalog[i].name;
    p->description = (char *)"A fine thing.";
    snprintf(fs_pictures[i], sizeof fs_pictures[i],
             "/static/img/products/%s.jpg", fs_catalog[i].slug);
    p->picture = fs_pictures[i];
    hipstershop__money__init(&s->prices[i]);
    s->prices[i].currency_code = (char *)"USD";
    s->prices[i].units = fs_catalog[i].units;
    s->prices[i].nanos = fs_catalog[i].nanos;
    p->price_usd = &s->prices[i];
    s->cats[i][0] = (char *)fs_catalog[i].cat1;
    s->cats[i][1] = (char *)fs_catalog[i].cat2;
    p->categories = s->cats[i];
    p->n_categories = fs_catalog[i].cat2 ? 2 : 1;
    s->pproducts[i] = p;
  }
  size_t n = 9;
  if (s->extra)
    s->pproducts[n++] = s->extra;
  return n;
}

static const Hipstershop__Product *fs_find(fe_stubs_t *s, const char *id) {
  size_t n = fs_products(s);
  for (size_t i = 0; i < n; i++)
    if (strcmp(s->pproducts[i]->id, id) == 0)
      return s->pproducts[i];
  return NULL;
}

static rt_status_t fs_list_products(void *u, const ProtobufCMessage *req,
                                    const ProtobufCMessage **resp, char *m,
                                    size_t n) {
  fe_stubs_t *s = u;
  FS_FAIL(s, FS_CATALOG, m, n);
  hipstershop__list_products_response__init(&s->list);
  s->list.n_products = fs_products(s);
  s->list.products = s->pproducts;
  *resp = &s->list.base;
  return RT_OK;
}

static rt_status_t fs_get_product(void *u, const ProtobufCMessage *req,
                                  const ProtobufCMessage **resp, char *m,
                                  size_t n) {
  fe_stubs_t *s = u;
  FS_FAIL(s, FS_CATALOG, m, n);
  const Hipstershop__GetProductRequest *q =
      (const Hipstershop__GetProductRequest *)req;
  const Hipstershop__Product *p = fs_find(s, q->id);
  if (!p) {
    snprintf(m, n, "no product with ID %s", q->id);
    return RT_NOT_FOUND;
  }
  *resp = &p->base;
  return RT_OK;
}

static rt_status_t fs_currencies(void *u, const ProtobufCMessage *req,
                                 const ProtobufCMessage **resp, char *m,
                                 size_t n) {
  static char *codes[] = {(char *)"EUR", (char *)"USD", (char *)"JPY",
                          (char *)"GBP", (char *)"TRY", (char *)"CAD",
                          (char *)"CHF"};
  fe_stubs_t *s = u;
  FS_FAIL(s, FS_CURRENCY, m, n);
  hipstershop__get_supported_currencies_response__init(&s->cur);
  s->cur.currency_codes = codes;
  s->cur.n_currency_codes = sizeof codes / sizeof *codes;
  *resp = &s->cur.base;
  return RT_OK;
}

static void fs_convert_money(const Hipstershop__Money *from, const char *to,
                             Hipstershop__Money *out) {
  hipstershop__money__init(out);
  out->currency_code = (char *)to;
  out->units = from->units + (strcmp(to, "USD") == 0 ? 0 : 1);
  out->nanos = from->nanos;
}

static rt_status_t fs_convert(void *u, const ProtobufCMessage *req,
                              const ProtobufCMessage **resp, char *m,
                              size_t n) {
  fe_stubs_t *s = u;
  FS_FAIL(s, FS_CURRENCY, m, n);
  const Hipstershop__CurrencyConversionRequest *q =
      (const Hipstershop__CurrencyConversionRequest *)req;
  if (!q->from || strlen(q->to_code) != 3) {
    snprintf(m, n, "bad conversion request");
    return RT_INVALID_ARGUMENT;
  }
  static char code[4];
  memcpy(code, q->to_code, 4);
  fs_convert_money(q->from, code, &s->money);
  *resp = &s->money.base;
  return RT_OK;
}

static fs_cart_t *fs_cart(fe_stubs_t *s, const char *user, int create) {
  for (size_t i = 0; i < s->n_carts; i++)
    if (strcmp(s->carts[i].user, user) == 0)
      return &s->carts[i];
  if (!create || s->n_carts == FS_MAX_USERS)
    return NULL;
  fs_cart_t *c = &s->carts[s->n_carts++];
  memset(c, 0, sizeof *c);
  snprintf(c->user, sizeof c->user, "%s", user);
  return c;
}

static rt_status_t fs_add_item(void *u, const ProtobufCMessage *req,
                               const ProtobufCMessage **resp, char *m,
                               size_t n) {
  fe_stubs_t *s = u;
  FS_FAIL(s, FS_CART, m, n);
  const Hipstershop__AddItemRequest *q =
      (const Hipstershop__AddItemRequest *)req;
  fs_cart_t *c = fs_cart(s, q->user_id, 1);
  if (!c || !q->item) {
    snprintf(m, n, "cart full");
    return RT_RESOURCE_EXHAUSTED;
  }
  size_t i;
  for (i = 0; i < c->n; i++)
    if (strcmp(c->ids[i], q->item->product_id) == 0)
      break;
  if (i == c->n) {
    if (c->n == FS_MAX_ITEMS) {
      snprintf(m, n, "cart full");
      return RT_RESOURCE_EXHAUSTED;
    }
    c->n++;
    snprintf(c->ids[i], sizeof c->ids[i], "%s", q->item->product_id);
    hipstershop__cart_item__init(&c->items[i]);
    c->items[i].product_id = c->ids[i];
  }
  c->items[i].quantity += q->item->quantity;
  hipstershop__empty__init(&s->empty);
  *resp = &s->empty.base;
  return RT_OK;
}

static rt_status_t fs_get_cart(void *u, const ProtobufCMessage *req,
                               const ProtobufCMessage **resp, char *m,
                               size_t n) {
  fe_stubs_t *s = u;
  FS_FAIL(s, FS_CART, m, n);
  const Hipstershop__GetCartRequest *q =
      (const Hipstershop__GetCartRequest *)req;
  fs_cart_t *c = fs_cart(s, q->user_id, 0);
  hipstershop__cart__init(&s->cart);
  /* The request is freed before the reply is encoded: copy. */
  snprintf(s->cart_user, sizeof s->cart_user, "%s", q->user_id);
  s->cart.user_id = s->cart_user;
  if (c) {
    for (size_t i = 0; i < c->n; i++)
      c->pitems[i] = &c->items[i];
    s->cart.items = c->pitems;
    s->cart.n_items = c->n;
  }
  *resp = &s->cart.base;
  return RT_OK;
}

static rt_status_t fs_empty_cart(void *u, const ProtobufCMessage *req,
                                 const ProtobufCMessage **resp, char *m,
                                 size_t n) {
  fe_stubs_t *s = u;
  FS_FAIL(s, FS_CART, m, n);
  const Hipstershop__EmptyCartRequest *q =
      (const Hipstershop__EmptyCartRequest *)req;
  fs_cart_t *c = fs_cart(s, q->user_id, 0);
  if (c)
    c->n = 0;
  hipstershop__empty__init(&s->empty);
  *resp = &s->empty.base;
  return RT_OK;
}

static rt_status_t fs_recs(void *u, const ProtobufCMessage *req,
                           const ProtobufCMessage **resp, char *m, size_t n) {
  fe_stubs_t *s = u;
  FS_FAIL(s, FS_RECO, m, n);
  const Hipstershop__ListRecommendationsRequest *q =
      (const Hipstershop__ListRecommendationsRequest *)req;
  hipstershop__list_recommendations_response__init(&s->recs);
  size_t k = 0;
  for (size_t i = 0; i < 9 && k < 5; i++) {
    int asked = 0;
    for (size_t j = 0; j < q->n_product_ids; j++)
      asked |= strcmp(q->product_ids[j], fs_catalog[i].id) == 0;
    if (!asked)
      s->rec_ids[k++] = (char *)fs_catalog[i].id;
  }
  s->recs.product_ids = s->rec_ids;
  s->recs.n_product_ids = k;
  *resp = &s->recs.base;
  return RT_OK;
}

static rt_status_t fs_quote(void *u, const ProtobufCMessage *req,
                            const ProtobufCMessage **resp, char *m, size_t n) {
  fe_stubs_t *s = u;
  FS_FAIL(s, FS_SHIPPING, m, n);
  const Hipstershop__GetQuoteRequest *q =
      (const Hipstershop__GetQuoteRequest *)req;
  hipstershop__get_quote_response__init(&s->quote);
  hipstershop__money__init(&s->quote_cost);
  s->quote_cost.currency_code = (char *)"USD";
  if (q->n_items) {
    s->quote_cost.units = 8;
    s->quote_cost.nanos = 990000000;
  }
  s->quote.cost_usd = &s->quote_cost;
  *resp = &s->quote.base;
  return RT_OK;
}

static rt_status_t fs_place_order(void *u, const ProtobufCMessage *req,
                                  const ProtobufCMessage **resp, char *m,
                                  size_t n) {
  fe_stubs_t *s = u;
  FS_FAIL(s, FS_CHECKOUT, m, n);
  const Hipstershop__PlaceOrderRequest *q =
      (const Hipstershop__PlaceOrderRequest *)req;
  snprintf(s->last_currency, sizeof s->last_currency, "%s", q->user_currency);
  snprintf(s->last_user, sizeof s->last_user, "%s", q->user_id);
  snprintf(s->last_email, sizeof s->last_email, "%s", q->email);
  s->last_zip = q->address ? q->address->zip_code : -1;
  if (q->credit_card) {
    snprintf(s->last_card, sizeof s->last_card, "%s",
             q->credit_card->credit_card_number);
    s->last_month = q->credit_card->credit_card_expiration_month;
    s->last_year = q->credit_card->credit_card_expiration_year;
    s->last_cvv = q->credit_card->credit_card_cvv;
  }
  fs_cart_t *c = fs_cart(s, q->user_id, 0);
  if (!c || c->n == 0) {
    snprintf(m, n, "failed to prepare order: cart is empty");
    return RT_INTERNAL;
  }
  snprintf(s->ocode, sizeof s->ocode, "%.3s", q->user_currency);
  s->orders++;
  snprintf(s->order_id, sizeof s->order_id, "order-%u", s->orders);
  snprintf(s->tracking, sizeof s->tracking, "TR-%u", s->orders);
  hipstershop__place_order_response__init(&s->por);
  hipstershop__order_result__init(&s->order);
  s->order.order_id = s->order_id;
  s->order.shipping_tracking_id = s->tracking;
  Hipstershop__Money ship = HIPSTERSHOP__MONEY__INIT;
  ship.currency_code = (char *)"USD";
  ship.units = 8;
  ship.nanos = 990000000;
  fs_convert_money(&ship, s->ocode, &s->oship);
  s->order.shipping_cost = &s->oship;
  for (size_t i = 0; i < c->n; i++) {
    const Hipstershop__Product *p = fs_find(s, c->ids[i]);
    hipstershop__order_item__init(&s->oitems[i]);
    s->ocart[i] = c->items[i];
    s->oitems[i].item = &s->ocart[i];
    if (p)
      fs_convert_money(p->price_usd, s->ocode, &s->ocost[i]);
    else
      hipstershop__money__init(&s->ocost[i]);
    s->oitems[i].cost = &s->ocost[i];
    s->poitems[i] = &s->oitems[i];
  }
  s->order.items = s->poitems;
  s->order.n_items = c->n;
  c->n = 0;
  s->por.order = &s->order;
  *resp = &s->por.base;
  return RT_OK;
}

static rt_status_t fs_ads(void *u, const ProtobufCMessage *req,
                          const ProtobufCMessage **resp, char *m, size_t n) {
  fe_stubs_t *s = u;
  FS_FAIL(s, FS_AD, m, n);
  const Hipstershop__AdRequest *q = (const Hipstershop__AdRequest *)req;
  hipstershop__ad_response__init(&s->adr);
  size_t k = 0;
  for (size_t i = 0; i < q->n_context_keys && k < 8; i++, k++) {
    snprintf(s->ad_text[k], sizeof s->ad_text[k], "Ad for %.100s",
             q->context_keys[i]);
    snprintf(s->ad_url[k], sizeof s->ad_url[k], "/product/%s",
             fs_catalog[k % 9].id);
  }
  if (k == 0) {
    snprintf(s->ad_text[0], sizeof s->ad_text[0], "Mug for sale. 50%% off.");
    snprintf(s->ad_url[0], sizeof s->ad_url[0], "/product/6E92ZMYYFZ");
    snprintf(s->ad_text[1], sizeof s->ad_text[1], "Watch for sale. 20%% off.");
    snprintf(s->ad_url[1], sizeof s->ad_url[1], "javascript:alert(1)");
    k = 2;
  }
  for (size_t i = 0; i < k; i++) {
    hipstershop__ad__init(&s->ad[i]);
    s->ad[i].text = s->ad_text[i];
    s->ad[i].redirect_url = s->ad_url[i];
    s->pad[i] = &s->ad[i];
  }
  s->adr.ads = s->pad;
  s->adr.n_ads = k;
  *resp = &s->adr.base;
  return RT_OK;
}

static rt_status_t fs_business(void *u, const rt_http_request_t *req,
                               rt_test_http_reply_t *reply, char *m,
                               size_t n) {
  fe_stubs_t *s = u;
  static const rt_http_header_t h[] = {
      {"content-type", "text/html; charset=utf-8"},
      {"connection", "keep-alive"},
      {"x-business", "yes"},
      {"set-cookie", "biz=1; Path=/business"}};
  static char body[512];
  snprintf(s->biz_method, sizeof s->biz_method, "%s", req->method);
  snprintf(s->biz_target, sizeof s->biz_target, "%s", req->target);
  const char *xff = rt_http_header(req, "x-forwarded-for");
  snprintf(s->biz_xff, sizeof s->biz_xff, "%s", xff ? xff : "");
  snprintf(s->biz_body, sizeof s->biz_body, "%.*s",
           (int)(req->body_len < 200 ? req->body_len : 200),
           (const char *)req->body);
  s->biz_has_connection = rt_http_header(req, "connection") != NULL;
  s->biz_has_cookie = rt_http_header(req, "cookie") != NULL;
  snprintf(body, sizeof body, "<h1>Sell your product</h1>%s %s",
           req->method, req->target);
  reply->status = strcmp(req->method, "POST") == 0 ? 201 : 200;
  reply->headers = h;
  reply->n_headers = sizeof h / sizeof *h;
  reply->body = body;
  reply->body_len = strlen(body);
  return RT_OK;
}

/* The environment the tests run the frontend with. */
static const char *const fs_env[] = {
    "PRODUCT_CATALOG_SERVICE_ADDR=productcatalogservice:3550",
    "CURRENCY_SERVICE_ADDR=currencyservice:7000",
    "CART_SERVICE_ADDR=cartservice:7070",
    "RECOMMENDATION_SERVICE_ADDR=recommendationservice:8080",
    "SHIPPING_SERVICE_ADDR=shippingservice:50051",
    "CHECKOUT_SERVICE_ADDR=checkoutservice:5050",
    "AD_SERVICE_ADDR=adservice:9555",
    "BUSINESS_ADDR=business:5055",
    "ENV_PLATFORM=aws",
    NULL};

/* Installs every stub on |t|, answering from |s|. */
static inline void fe_stubs_install(rt_test_t *t, fe_stubs_t *s) {
  static const struct {
    const char *addr, *svc, *method;
    const ProtobufCMessageDescriptor *req;
    rt_test_stub_fn fn;
  } tab[] = {
      {"productcatalogservice:3550", "hipstershop.ProductCatalogService",
       "ListProducts", &hipstershop__empty__descriptor, fs_list_products},
      {"productcatalogservice:3550", "hipstershop.ProductCatalogService",
       "GetProduct", &hipstershop__get_product_request__descriptor,
       fs_get_product},
      {"currencyservice:7000", "hipstershop.CurrencyService",
       "GetSupportedCurrencies", &hipstershop__empty__descriptor,
       fs_currencies},
      {"currencyservice:7000", "hipstershop.CurrencyService", "Convert",
       &hipstershop__currency_conversion_request__descriptor, fs_convert},
      {"cartservice:7070", "hipstershop.CartService", "AddItem",
       &hipstershop__add_item_request__descriptor, fs_add_item},
      {"cartservice:7070", "hipstershop.CartService", "GetCart",
       &hipstershop__get_cart_request__descriptor, fs_get_cart},
      {"cartservice:7070", "hipstershop.CartService", "EmptyCart",
       &hipstershop__empty_cart_request__descriptor, fs_empty_cart},
      {"recommendationservice:8080", "hipstershop.RecommendationService",
       "ListRecommendations",
       &hipstershop__list_recommendations_request__descriptor, fs_recs},
      {"shippingservice:50051", "hipstershop.ShippingService", "GetQuote",
       &hipstershop__get_quote_request__descriptor, fs_quote},
      {"checkoutservice:5050", "hipstershop.CheckoutService", "PlaceOrder",
       &hipstershop__place_order_request__descriptor, fs_place_order},
      {"adservice:9555", "hipstershop.AdService", "GetAds",
       &hipstershop__ad_request__descriptor, fs_ads},
  };
  for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
    rt_test_stub(t, tab[i].addr, tab[i].svc, tab[i].method, tab[i].req,
                 tab[i].fn, s);
  rt_test_http_stub(t, "business:5055", fs_business, s);
}

#endif /* MESHSIM_FRONTEND_STUBS_H */

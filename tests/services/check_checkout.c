/*
 * check_checkout.c — checkoutservice on the test runtime with a stub for
 * every service it calls: the happy path with exact totals in EUR
 * (computed here independently, in nanos), each failure point with
 * upstream's code and message, deadlines and cancellation carried to the
 * children, the journal's rows and counts after each scenario, the charge
 * gate (no second charge for one order id), configuration errors, and the
 * Money arithmetic against upstream's Sum/MultiplySlow.
 */
#include <sqlite3.h>

#include "check_util.h"
#include "checkout/checkout.h"
#include "checkout/journal.h"
#include "common/money.h"

#define NS_PER_UNIT 1000000000LL

static rt_status_t st;
static const char *msg;
static char dir[256], jpath[300], jenv[320];

static const char *const addrs[] = {
    "SHIPPING_SERVICE_ADDR=shippingservice:50051",
    "PRODUCT_CATALOG_SERVICE_ADDR=productcatalogservice:3550",
    "CART_SERVICE_ADDR=cartservice:7070",
    "CURRENCY_SERVICE_ADDR=currencyservice:7000",
    "EMAIL_SERVICE_ADDR=emailservice:5000",
    "PAYMENT_SERVICE_ADDR=paymentservice:50051",
};

static void setup(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/meshsim-checkout-XXXXXX",
           tmp && *tmp ? tmp : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(jpath, sizeof jpath, "%s/orders.db", dir);
  snprintf(jenv, sizeof jenv, "ORDER_JOURNAL_PATH=%s", jpath);
}

static void teardown(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
}

/* ------------------------------------------------------------------ */
/* The world around checkout: one stub per downstream method. */

enum { M_CART, M_PRODUCT, M_CONVERT, M_QUOTE, M_CHARGE, M_SHIP, M_EMPTY,
       M_EMAIL, M_N };

typedef struct product {
  const char *id;
  int64_t units;
  int32_t nanos;
} product_t;

static const product_t catalog[] = {
    {"OLJCESPC7Z", 19, 990000000}, {"66VCHSJNUP", 18, 990000000},
    {"1YMWWN1N4O", 109, 990000000}, {"9SIQT8TOJO", 5, 490000000},
    {"6E92ZMYYFZ", 8, 990000000},   {"NINES00000", 0, 999999999},
};
#define N_CATALOG (sizeof catalog / sizeof *catalog)

typedef struct world {
  rt_test_t *t;
  rt_test_stub_t *stub[M_N];
  rt_status_t fail[M_N];
  const char *fail_msg[M_N];
  unsigned convert_calls, convert_fail_at; /* 1-based; 0: never */
  const char *answer_code; /* Convert answers this code instead */
  /* The cart GetCart answers. */
  size_t n_items;
  Hipstershop__CartItem items[8], *ptrs[8];
  Hipstershop__Cart cart;
  /* Response storage (encoded at once by the runtime). */
  Hipstershop__Product product;
  Hipstershop__Money money;
  char code[16];
  Hipstershop__GetQuoteResponse quote;
  Hipstershop__Money quote_cost;
  Hipstershop__ChargeResponse charge;
  Hipstershop__ShipOrderResponse ship;
  Hipstershop__Empty empty;
  /* What the stubs saw. */
  int64_t charged_units;
  int32_t charged_nanos;
  char charged_code[16], card[32], email_to[64], email_order[64];
  size_t ship_items, quote_items, email_items;
  char ship_street[64], empty_user[32], cart_user[32];
  /* Called from the GetCart stub (the gate test). */
  void (*on_get_cart)(struct world *);
} world_t;

static world_t W;

static rt_status_t failing(world_t *w, int m, char *buf, size_t n) {
  if (w->fail[m] == RT_OK)
    return RT_OK;
  snprintf(buf, n, "%s", w->fail_msg[m] ? w->fail_msg[m] : "stub failure");
  return w->fail[m];
}

static rt_status_t s_cart(void *u, const ProtobufCMessage *req,
                          const ProtobufCMessage **resp, char *m, size_t n) {
  world_t *w = u;
  const Hipstershop__GetCartRequest *r = (const void *)req;
  snprintf(w->cart_user, sizeof w->cart_user, "%s", r->user_id);
  if (w->on_get_cart)
    w->on_get_cart(w);
  rt_status_t s = failing(w, M_CART, m, n);
  if (s != RT_OK)
    return s;
  hipstershop__cart__init(&w->cart);
  w->cart.user_id = w->cart_user; /* a copy: |req| is freed before |resp| is encoded */
  w->cart.n_items = w->n_items;
  for (size_t i = 0; i < w->n_items; i++)
    w->ptrs[i] = &w->items[i];
  w->cart.items = w->ptrs;
  *resp = &w->cart.base;
  return RT_OK;
}

static rt_status_t s_product(void *u, const ProtobufCMessage *req,
                             const ProtobufCMessage **resp, char *m,
                             size_t n) {
  world_t *w = u;
  const Hipstershop__GetProductRequest *r = (const void *)req;
  rt_status_t s = failing(w, M_PRODUCT, m, n);
  if (s != RT_OK)
    return s;
  for (size_t i = 0; i < N_CATALOG; i++)
    if (strcmp(catalog[i].id, r->id) == 0) {
      hipstershop__product__init(&w->product);
      w->product.id = (char *)catalog[i].id;
      w->product.name = (char *)"thing";
      money_set(&w->money, "USD", catalog[i].units, catalog[i].nanos);
      w->product.price_usd = &w->money;
      *resp = &w->product.base;
      return RT_OK;
    }
  snprintf(m, n, "no product with ID %s", r->id);
  return RT_NOT_FOUND;
}

/* USD -> EUR at 0.9, exactly, rounding down to the nano; USD -> USD as is. */
static int64_t usd_to_eur_nanos(int64_t nanos) { return nanos * 9 / 10; }

static rt_status_t s_convert(void *u, const ProtobufCMessage *req,
                             const ProtobufCMessage **resp, char *m,
                             size_t n) {
  world_t *w = u;
  const Hipstershop__CurrencyConversionRequest *r = (const void *)req;
  w->convert_calls++;
  if (w->convert_fail_at && w->convert_calls == w->convert_fail_at) {
    snprintf(m, n, "conversion service hiccup");
    return RT_INVALID_ARGUMENT;
  }
  rt_status_t s = failing(w, M_CONVERT, m, n);
  if (s != RT_OK)
    return s;
  if (!r->from || strcmp(r->from->currency_code, "USD") != 0 ||
      (strcmp(r->to_code, "EUR") != 0 && strcmp(r->to_code, "USD") != 0)) {
    snprintf(m, n, "unsupported currency code \"%s\"", r->to_code);
    return RT_INVALID_ARGUMENT;
  }
  int64_t v = r->from->units * NS_PER_UNIT + r->from->nanos;
  if (strcmp(r->to_code, "EUR") == 0)
    v = usd_to_eur_nanos(v);
  snprintf(w->code, sizeof w->code, "%s",
           w->answer_code ? w->answer_code : r->to_code);
  money_set(&w->money, w->code, v / NS_PER_UNIT, (int32_t)(v % NS_PER_UNIT));
  *resp = &w->money.base;
  return RT_OK;
}

static rt_status_t s_quote(void *u, const ProtobufCMessage *req,
                           const ProtobufCMessage **resp, char *m, size_t n) {
  world_t *w = u;
  const Hipstershop__GetQuoteRequest *r = (const void *)req;
  w->quote_items = r->n_items;
  rt_status_t s = failing(w, M_QUOTE, m, n);
  if (s != RT_OK)
    return s;
  hipstershop__get_quote_response__init(&w->quote);
  money_set(&w->quote_cost, "USD", r->n_items ? 8 : 0,
            r->n_items ? 990000000 : 0);
  w->quote.cost_usd = &w->quote_cost;
  *resp = &w->quote.base;
  return RT_OK;
}

static rt_status_t s_charge(void *u, const ProtobufCMessage *req,
                            const ProtobufCMessage **resp, char *m, size_t n) {
  world_t *w = u;
  const Hipstershop__ChargeRequest *r = (const void *)req;
  if (r->amount) {
    w->charged_units = r->amount->units;
    w->charged_nanos = r->amount->nanos;
    snprintf(w->charged_code, sizeof w->charged_code, "%s",
             r->amount->currency_code);
  }
  snprintf(w->card, sizeof w->card, "%s",
           r->credit_card ? r->credit_card->credit_card_number : "");
  rt_status_t s = failing(w, M_CHARGE, m, n);
  if (s != RT_OK)
    return s;
  hipstershop__charge_response__init(&w->charge);
  w->charge.transaction_id = (char *)"tx-0001";
  *resp = &w->charge.base;
  return RT_OK;
}

static rt_status_t s_ship(void *u, const ProtobufCMessage *req,
                          const ProtobufCMessage **resp, char *m, size_t n) {
  world_t *w = u;
  const Hipstershop__ShipOrderRequest *r = (const void *)req;
  w->ship_items = r->n_items;
  snprintf(w->ship_street, sizeof w->ship_street, "%s",
           r->address ? r->address->street_address : "");
  rt_status_t s = failing(w, M_SHIP, m, n);
  if (s != RT_OK)
    return s;
  hipstershop__ship_order_response__init(&w->ship);
  w->ship.tracking_id = (char *)"AB-271234-131234567";
  *resp = &w->ship.base;
  return RT_OK;
}

static rt_status_t s_empty(void *u, const ProtobufCMessage *req,
                           const ProtobufCMessage **resp, char *m, size_t n) {
  world_t *w = u;
  const Hipstershop__EmptyCartRequest *r = (const void *)req;
  snprintf(w->empty_user, sizeof w->empty_user, "%s", r->user_id);
  rt_status_t s = failing(w, M_EMPTY, m, n);
  if (s != RT_OK)
    return s;
  hipstershop__empty__init(&w->empty);
  *resp = &w->empty.base;
  return RT_OK;
}

static rt_status_t s_email(void *u, const ProtobufCMessage *req,
                           const ProtobufCMessage **resp, char *m, size_t n) {
  world_t *w = u;
  const Hipstershop__SendOrderConfirmationRequest *r = (const void *)req;
  snprintf(w->email_to, sizeof w->email_to, "%s", r->email);
  if (r->order) {
    snprintf(w->email_order, sizeof w->email_order, "%s", r->order->order_id);
    w->email_items = r->order->n_items;
  }
  rt_status_t s = failing(w, M_EMAIL, m, n);
  if (s != RT_OK)
    return s;
  hipstershop__empty__init(&w->empty);
  *resp = &w->empty.base;
  return RT_OK;
}

/* Starts checkout (seed |seed|) with every stub answering after 10 ms. */
static rt_test_t *start(uint64_t seed) {
  memset(&W, 0, sizeof W);
  const char *env[8];
  for (int i = 0; i < 6; i++)
    env[i] = addrs[i];
  env[6] = jenv;
  env[7] = NULL;
  rt_test_t *t = rt_test_new(&checkout_service, env, seed);
  ck_assert_msg(t != NULL, "init: %s", rt_test_last_init_error());
  W.t = t;
  struct {
    const char *addr, *svc, *method;
    const ProtobufCMessageDescriptor *req;
    rt_test_stub_fn fn;
  } s[M_N] = {
      [M_CART] = {"cartservice:7070", "hipstershop.CartService", "GetCart",
                  &hipstershop__get_cart_request__descriptor, s_cart},
      [M_PRODUCT] = {"productcatalogservice:3550",
                     "hipstershop.ProductCatalogService", "GetProduct",
                     &hipstershop__get_product_request__descriptor, s_product},
      [M_CONVERT] = {"currencyservice:7000", "hipstershop.CurrencyService",
                     "Convert",
                     &hipstershop__currency_conversion_request__descriptor,
                     s_convert},
      [M_QUOTE] = {"shippingservice:50051", "hipstershop.ShippingService",
                   "GetQuote", &hipstershop__get_quote_request__descriptor,
                   s_quote},
      [M_CHARGE] = {"paymentservice:50051", "hipstershop.PaymentService",
                    "Charge", &hipstershop__charge_request__descriptor,
                    s_charge},
      [M_SHIP] = {"shippingservice:50051", "hipstershop.ShippingService",
                  "ShipOrder", &hipstershop__ship_order_request__descriptor,
                  s_ship},
      [M_EMPTY] = {"cartservice:7070", "hipstershop.CartService", "EmptyCart",
                   &hipstershop__empty_cart_request__descriptor, s_empty},
      [M_EMAIL] = {"emailservice:5000", "hipstershop.EmailService",
                   "SendOrderConfirmation",
                   &hipstershop__send_order_confirmation_request__descriptor,
                   s_email},
  };
  for (int i = 0; i < M_N; i++) {
    W.stub[i] = rt_test_stub(t, s[i].addr, s[i].svc, s[i].method, s[i].req,
                             s[i].fn, &W);
    ck_assert_ptr_nonnull(W.stub[i]);
    rt_test_stub_set_delay(W.stub[i], 10 * RT_MSEC);
  }
  return t;
}

static void cart_add(const char *pid, int32_t q) {
  Hipstershop__CartItem *it = &W.items[W.n_items++];
  hipstershop__cart_item__init(it);
  it->product_id = (char *)pid;
  it->quantity = q;
}

static void default_cart(void) {
  cart_add("OLJCESPC7Z", 3);
  cart_add("1YMWWN1N4O", 2);
  cart_add("9SIQT8TOJO", 7);
}

static Hipstershop__Address address = HIPSTERSHOP__ADDRESS__INIT;
static Hipstershop__CreditCardInfo card = HIPSTERSHOP__CREDIT_CARD_INFO__INIT;

static Hipstershop__PlaceOrderResponse *place_ex(rt_test_t *t,
                                                 const char *currency,
                                                 rt_time_t timeout,
                                                 rt_time_t cancel_after) {
  address.street_address = (char *)"1600 Amphitheatre Parkway";
  address.city = (char *)"Mountain View";
  address.state = (char *)"CA";
  address.country = (char *)"United States";
  address.zip_code = 94043;
  card.credit_card_number = (char *)"4432801561520454";
  card.credit_card_cvv = 672;
  card.credit_card_expiration_year = 2030;
  card.credit_card_expiration_month = 1;
  Hipstershop__PlaceOrderRequest req = HIPSTERSHOP__PLACE_ORDER_REQUEST__INIT;
  req.user_id = (char *)"u1";
  req.user_currency = (char *)currency;
  req.address = &address;
  req.email = (char *)"someone@example.com";
  req.credit_card = &card;
  Hipstershop__PlaceOrderResponse *r = NULL;
  int rc = rt_test_call_ex(t, "CheckoutService", "PlaceOrder", &req.base,
                           &hipstershop__place_order_response__descriptor,
                           timeout, cancel_after, &st, &msg,
                           (ProtobufCMessage **)&r);
  ck_assert_msg(rc == 0, "rt_test_call: %s", msg);
  ck_assert_int_eq(st == RT_OK, r != NULL);
  return r;
}

static Hipstershop__PlaceOrderResponse *place(rt_test_t *t,
                                              const char *currency) {
  return place_ex(t, currency, 0, 0);
}

static unsigned calls(int m) { return rt_test_stub_calls(W.stub[m]); }

/* The only order in the journal (tests place one order per journal unless
 * they say otherwise). */
static void only_order(journal_order_t *o) {
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open_v2(jpath, &db, SQLITE_OPEN_READONLY, NULL),
                   SQLITE_OK);
  sqlite3_stmt *q;
  ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT order_id FROM orders", -1,
                                      &q, NULL),
                   SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
  char id[64];
  snprintf(id, sizeof id, "%s", sqlite3_column_text(q, 0));
  ck_assert_int_eq(sqlite3_step(q), SQLITE_DONE);
  sqlite3_finalize(q);
  sqlite3_close(db);
  char err[256];
  journal_t *j = journal_open(jpath, JOURNAL_READONLY, err, sizeof err);
  ck_assert_msg(j != NULL, "%s", err);
  ck_assert_int_eq(journal_get(j, id, o), 0);
  journal_close(j);
}

static journal_counts_t counts(void) {
  journal_counts_t c;
  char err[256];
  ck_assert_msg(journal_count_path(jpath, &c, err, sizeof err) == 0, "%s",
                err);
  return c;
}

static int is_uuid4(const char *s) {
  if (strlen(s) != 36)
    return 0;
  for (int i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return 0;
    } else if (!strchr("0123456789abcdef", s[i])) {
      return 0;
    }
  }
  return s[14] == '4' && strchr("89ab", s[19]);
}

/* Expected total, in nanos, computed without Money arithmetic. */
static __int128 expected_total_nanos(int eur) {
  __int128 sum = 0;
  for (size_t i = 0; i < W.n_items; i++)
    for (size_t k = 0; k < N_CATALOG; k++)
      if (strcmp(catalog[k].id, W.items[i].product_id) == 0) {
        int64_t p = catalog[k].units * NS_PER_UNIT + catalog[k].nanos;
        sum += (__int128)(eur ? usd_to_eur_nanos(p) : p) * W.items[i].quantity;
      }
  int64_t ship = W.n_items ? 8 * NS_PER_UNIT + 990000000 : 0;
  return sum + (eur ? usd_to_eur_nanos(ship) : ship);
}

/* ------------------------------------------------------------------ */

START_TEST(test_happy_path_eur) {
  rt_test_t *t = start(1);
  default_cart();
  rt_time_t t0 = rt_test_now(t);
  Hipstershop__PlaceOrderResponse *r = place(t, "EUR");
  ck_assert_msg(st == RT_OK, "%s", msg);
  const Hipstershop__OrderResult *o = r->order;
  ck_assert(is_uuid4(o->order_id));
  ck_assert_str_eq(o->shipping_tracking_id, "AB-271234-131234567");
  /* Shipping 8.99 USD -> 8.091 EUR. */
  ck_assert_str_eq(o->shipping_cost->currency_code, "EUR");
  ck_assert_int_eq(o->shipping_cost->units, 8);
  ck_assert_int_eq(o->shipping_cost->nanos, 91000000);
  ck_assert_str_eq(o->shipping_address->street_address,
                   "1600 Amphitheatre Parkway");
  ck_assert_int_eq(o->shipping_address->zip_code, 94043);
  /* Items: the cart's, with their converted unit prices. */
  ck_assert_uint_eq(o->n_items, 3);
  ck_assert_str_eq(o->items[0]->item->product_id, "OLJCESPC7Z");
  ck_assert_int_eq(o->items[0]->item->quantity, 3);
  ck_assert_str_eq(o->items[0]->cost->currency_code, "EUR");
  ck_assert_int_eq(o->items[0]->cost->units, 17);
  ck_assert_int_eq(o->items[0]->cost->nanos, 991000000);
  ck_assert_int_eq(o->items[1]->cost->units, 98);
  ck_assert_int_eq(o->items[2]->cost->nanos, 941000000);

  /* Charged: shipping + sum(price * quantity), with carries. */
  __int128 want = expected_total_nanos(1);
  ck_assert_str_eq(W.charged_code, "EUR");
  ck_assert_int_eq(W.charged_units, (int64_t)(want / NS_PER_UNIT));
  ck_assert_int_eq(W.charged_nanos, (int32_t)(want % NS_PER_UNIT));
  ck_assert_int_eq(W.charged_units, 294); /* 53.973+197.982+34.587+8.091 */
  ck_assert_int_eq(W.charged_nanos, 633000000);
  ck_assert_str_eq(W.card, "4432801561520454");

  /* Calls, in upstream's order and number. */
  ck_assert_str_eq(W.cart_user, "u1");
  ck_assert_uint_eq(calls(M_CART), 1);
  ck_assert_uint_eq(calls(M_PRODUCT), 3);
  ck_assert_uint_eq(calls(M_CONVERT), 4);
  ck_assert_uint_eq(calls(M_QUOTE), 1);
  ck_assert_uint_eq(W.quote_items, 3);
  ck_assert_uint_eq(calls(M_CHARGE), 1);
  ck_assert_uint_eq(calls(M_SHIP), 1);
  ck_assert_uint_eq(W.ship_items, 3);
  ck_assert_str_eq(W.ship_street, "1600 Amphitheatre Parkway");
  ck_assert_uint_eq(calls(M_EMPTY), 1);
  ck_assert_str_eq(W.empty_user, "u1");
  ck_assert_uint_eq(calls(M_EMAIL), 1);
  ck_assert_str_eq(W.email_to, "someone@example.com");
  ck_assert_str_eq(W.email_order, o->order_id);
  ck_assert_uint_eq(W.email_items, 3);
  /* 1 + 3*2 + 2 + 1 + 1 + 1 + 1 sequential calls of 10 ms each. */
  ck_assert_int_eq(rt_test_last_duration(t), 13 * 10 * RT_MSEC);

  /* The journal: confirmed, with every step and time in order. */
  journal_order_t jo;
  only_order(&jo);
  ck_assert_str_eq(jo.order_id, o->order_id);
  ck_assert_str_eq(jo.user_id, "u1");
  ck_assert_str_eq(jo.currency, "EUR");
  ck_assert_int_eq(jo.state, JOURNAL_CONFIRMED);
  ck_assert_int_eq(jo.total_units, 294);
  ck_assert_int_eq(jo.total_nanos, 633000000);
  ck_assert_str_eq(jo.transaction_id, "tx-0001");
  ck_assert_str_eq(jo.tracking_id, "AB-271234-131234567");
  ck_assert_ptr_null(jo.error);
  ck_assert_int_eq(jo.created_at, t0);
  /* Nine 10 ms calls before the charge (cart, 3 x (product, convert),
   * quote, convert), then one per step. */
  ck_assert_int_eq(jo.charging_at, t0 + 90 * RT_MSEC);
  ck_assert_int_eq(jo.charged_at, t0 + 100 * RT_MSEC);
  ck_assert_int_eq(jo.shipped_at, t0 + 110 * RT_MSEC);
  ck_assert_int_eq(jo.cart_emptied_at, t0 + 120 * RT_MSEC);
  ck_assert_int_eq(jo.emailed_at, t0 + 130 * RT_MSEC);
  ck_assert_int_eq(jo.confirmed_at, t0 + 130 * RT_MSEC);
  /* created, charging, charged, shipped, cart_emptied, email_sent, confirmed */
  ck_assert_uint_eq(jo.n_steps, 7);
  journal_order_clear(&jo);
  journal_counts_t c = counts();
  ck_assert_uint_eq(c.total, 1);
  ck_assert_uint_eq(c.by_state[JOURNAL_CONFIRMED], 1);
  ck_assert_uint_eq(c.charged_not_shipped, 0);

  /* Logs let one follow the order: id and user on its lines. */
  char needle[128];
  snprintf(needle, sizeof needle, "order_id=%s user_id=u1", o->order_id);
  ck_assert_int_ge(rt_test_log_find(t, needle), 0);
  ck_assert_int_ge(rt_test_log_find(t, "payment went through (transaction_id: tx-0001)"), 0);
  ck_assert_int_ge(rt_test_log_find(t, "order confirmation email sent to \"someone@example.com\""), 0);
  ck_assert_int_ge(rt_test_log_find(t, "[PlaceOrder] user_id=\"u1\" user_currency=\"EUR\""), 0);
  rt_msg_free(&r->base);

  /* A second order: a new id, a new row. */
  r = place(t, "USD");
  ck_assert_int_eq(st, RT_OK);
  want = expected_total_nanos(0);
  ck_assert_int_eq(W.charged_units, (int64_t)(want / NS_PER_UNIT));
  ck_assert_int_eq(W.charged_nanos, (int32_t)(want % NS_PER_UNIT));
  ck_assert_str_eq(W.charged_code, "USD");
  rt_msg_free(&r->base);
  ck_assert_uint_eq(counts().by_state[JOURNAL_CONFIRMED], 2);
  rt_test_free(t);
}
END_TEST

START_TEST(test_carry_and_empty_cart) {
  /* 0.999999999 USD * 7 and friends: carries across 1e9 nanos. */
  rt_test_t *t = start(2);
  cart_add("NINES00000", 7);
  cart_add("NINES00000", 1000000);
  cart_add("6E92ZMYYFZ", 3);
  Hipstershop__PlaceOrderResponse *r = place(t, "USD");
  ck_assert_msg(st == RT_OK, "%s", msg);
  __int128 want = expected_total_nanos(0);
  ck_assert_int_eq(W.charged_units, (int64_t)(want / NS_PER_UNIT));
  ck_assert_int_eq(W.charged_nanos, (int32_t)(want % NS_PER_UNIT));
  rt_msg_free(&r->base);
  r = place(t, "EUR");
  want = expected_total_nanos(1);
  ck_assert_int_eq(W.charged_units, (int64_t)(want / NS_PER_UNIT));
  ck_assert_int_eq(W.charged_nanos, (int32_t)(want % NS_PER_UNIT));
  rt_msg_free(&r->base);

  /* An empty cart: shipping quote 0, total 0 — charged anyway, as upstream. */
  W.n_items = 0;
  r = place(t, "EUR");
  ck_assert_int_eq(st, RT_OK);
  ck_assert_uint_eq(r->order->n_items, 0);
  ck_assert_int_eq(W.charged_units, 0);
  ck_assert_int_eq(W.charged_nanos, 0);
  rt_msg_free(&r->base);
  rt_test_free(t);
}
END_TEST

/* Runs one failing PlaceOrder and checks code, message, journal. */
static void expect_fail(rt_test_t *t, const char *currency, rt_status_t code,
                        const char *message, journal_state_t state) {
  Hipstershop__PlaceOrderResponse *r = place(t, currency);
  ck_assert_ptr_null(r);
  ck_assert_msg(st == code, "got %s: %s", rt_status_name(st), msg);
  ck_assert_str_eq(msg, message);
  journal_order_t jo;
  only_order(&jo);
  ck_assert_msg(jo.state == state, "journal state %s, want %s",
                journal_state_name(jo.state), journal_state_name(state));
  if (state == JOURNAL_FAILED || state == JOURNAL_CHARGE_FAILED ||
      state == JOURNAL_SHIP_FAILED || state == JOURNAL_CHARGE_UNKNOWN)
    ck_assert_str_eq(jo.error, message);
  journal_order_clear(&jo);
}

START_TEST(test_fail_cart) {
  rt_test_t *t = start(3);
  default_cart();
  W.fail[M_CART] = RT_UNAVAILABLE;
  W.fail_msg[M_CART] = "connection refused";
  expect_fail(t, "EUR", RT_INTERNAL,
              "cart failure: failed to get user cart during checkout: rpc "
              "error: code = Unavailable desc = connection refused",
              JOURNAL_FAILED);
  ck_assert_uint_eq(calls(M_PRODUCT), 0);
  ck_assert_uint_eq(calls(M_CHARGE), 0);
  journal_counts_t c = counts();
  ck_assert_uint_eq(c.by_state[JOURNAL_FAILED], 1);
  ck_assert_uint_eq(c.charged_not_shipped, 0);
  rt_test_free(t);
}
END_TEST

START_TEST(test_fail_catalog) {
  rt_test_t *t = start(4);
  cart_add("OLJCESPC7Z", 1);
  cart_add("NOPE", 1);
  expect_fail(t, "EUR", RT_INTERNAL,
              "failed to prepare order: failed to get product #\"NOPE\"",
              JOURNAL_FAILED);
  ck_assert_uint_eq(calls(M_PRODUCT), 2);
  ck_assert_uint_eq(calls(M_CONVERT), 1);
  ck_assert_uint_eq(calls(M_QUOTE), 0);
  ck_assert_uint_eq(calls(M_CHARGE), 0);
  ck_assert_int_ge(rt_test_log_find(t, "no product with ID NOPE"), 0);
  rt_test_free(t);
}
END_TEST

START_TEST(test_go_quoting) {
  /* Upstream formats ids with Go's %q: quotes and control bytes escaped. */
  rt_test_t *t = start(18);
  cart_add("we\"ird\\id\n\x01", 1);
  expect_fail(t, "EUR", RT_INTERNAL,
              "failed to prepare order: failed to get product "
              "#\"we\\\"ird\\\\id\\n\\x01\"",
              JOURNAL_FAILED);
  rt_test_free(t);
}
END_TEST

START_TEST(test_fail_convert) {
  rt_test_t *t = start(5);
  default_cart();
  expect_fail(t, "XXX", RT_INTERNAL,
              "failed to prepare order: failed to convert price of "
              "\"OLJCESPC7Z\" to XXX",
              JOURNAL_FAILED);
  ck_assert_uint_eq(calls(M_CHARGE), 0);
  rt_test_free(t);
}
END_TEST

START_TEST(test_fail_quote) {
  rt_test_t *t = start(6);
  default_cart();
  W.fail[M_QUOTE] = RT_INTERNAL;
  W.fail_msg[M_QUOTE] = "boom";
  expect_fail(t, "EUR", RT_INTERNAL,
              "shipping quote failure: failed to get shipping quote: rpc "
              "error: code = Internal desc = boom",
              JOURNAL_FAILED);
  ck_assert_uint_eq(calls(M_CHARGE), 0);
  rt_test_free(t);
}
END_TEST

START_TEST(test_fail_convert_shipping) {
  rt_test_t *t = start(7);
  default_cart();
  W.convert_fail_at = 4; /* three prices, then the quote */
  expect_fail(t, "EUR", RT_INTERNAL,
              "failed to convert shipping cost to currency: failed to "
              "convert currency: rpc error: code = InvalidArgument desc = "
              "conversion service hiccup",
              JOURNAL_FAILED);
  ck_assert_uint_eq(calls(M_CHARGE), 0);
  rt_test_free(t);
}
END_TEST

START_TEST(test_fail_charge) {
  rt_test_t *t = start(8);
  default_cart();
  W.fail[M_CHARGE] = RT_INVALID_ARGUMENT;
  W.fail_msg[M_CHARGE] = "Your credit card (ending 0454) expired on 3/2025";
  expect_fail(t, "EUR", RT_INTERNAL,
              "failed to charge card: could not charge the card: rpc error: "
              "code = InvalidArgument desc = Your credit card (ending 0454) "
              "expired on 3/2025",
              JOURNAL_CHARGE_FAILED);
  ck_assert_uint_eq(calls(M_CHARGE), 1);
  ck_assert_uint_eq(calls(M_SHIP), 0);
  ck_assert_uint_eq(calls(M_EMPTY), 0);
  ck_assert_uint_eq(calls(M_EMAIL), 0);
  journal_order_t jo;
  only_order(&jo);
  ck_assert_int_eq(jo.charged_at, 0);
  ck_assert_int_ne(jo.charging_at, 0);
  ck_assert_int_eq(jo.total_units, 294); /* what was to be charged */
  journal_order_clear(&jo);
  journal_counts_t c = counts();
  ck_assert_uint_eq(c.by_state[JOURNAL_CHARGE_FAILED], 1);
  ck_assert_uint_eq(c.charged_not_shipped, 0);
  ck_assert_uint_eq(c.charge_in_doubt, 0);
  rt_test_free(t);
}
END_TEST

START_TEST(test_fail_ship) {
  rt_test_t *t = start(9);
  default_cart();
  W.fail[M_SHIP] = RT_UNAVAILABLE;
  W.fail_msg[M_SHIP] = "no healthy upstream";
  expect_fail(t, "EUR", RT_UNAVAILABLE,
              "shipping error: shipment failed: rpc error: code = "
              "Unavailable desc = no healthy upstream",
              JOURNAL_SHIP_FAILED);
  ck_assert_uint_eq(calls(M_CHARGE), 1);
  ck_assert_uint_eq(calls(M_EMPTY), 0);
  ck_assert_uint_eq(calls(M_EMAIL), 0);
  journal_order_t jo;
  only_order(&jo);
  ck_assert_str_eq(jo.transaction_id, "tx-0001");
  ck_assert_int_ne(jo.charged_at, 0);
  ck_assert_int_eq(jo.shipped_at, 0);
  journal_order_clear(&jo);
  journal_counts_t c = counts();
  ck_assert_uint_eq(c.charged_not_shipped, 1);
  ck_assert_uint_eq(c.by_state[JOURNAL_SHIP_FAILED], 1);
  rt_test_free(t);
}
END_TEST

START_TEST(test_empty_cart_and_email_failures_ignored) {
  rt_test_t *t = start(10);
  default_cart();
  W.fail[M_EMPTY] = RT_UNAVAILABLE;
  W.fail_msg[M_EMPTY] = "cart is down";
  Hipstershop__PlaceOrderResponse *r = place(t, "EUR");
  ck_assert_msg(st == RT_OK, "%s", msg);
  ck_assert_uint_eq(calls(M_EMAIL), 1);
  ck_assert_int_ge(rt_test_log_find(t, "failed to empty user cart"), 0);
  journal_order_t jo;
  only_order(&jo);
  ck_assert_int_eq(jo.state, JOURNAL_CONFIRMED);
  ck_assert_int_eq(jo.cart_emptied_at, 0);
  ck_assert_int_ne(jo.emailed_at, 0);
  ck_assert_ptr_nonnull(strstr(jo.error, "cart is down"));
  journal_order_clear(&jo);
  rt_msg_free(&r->base);
  rt_test_free(t);

  /* Email failure: only logged. */
  teardown();
  setup();
  t = start(11);
  default_cart();
  W.fail[M_EMAIL] = RT_INTERNAL;
  W.fail_msg[M_EMAIL] = "smtp down";
  r = place(t, "EUR");
  ck_assert_msg(st == RT_OK, "%s", msg);
  ck_assert_str_eq(r->order->shipping_tracking_id, "AB-271234-131234567");
  ck_assert_int_ge(rt_test_log_find(t, "failed to send order confirmation to "
                                       "\"someone@example.com\": rpc error: "
                                       "code = Internal desc = smtp down"),
                   0);
  only_order(&jo);
  ck_assert_int_eq(jo.state, JOURNAL_CONFIRMED);
  ck_assert_int_ne(jo.cart_emptied_at, 0);
  ck_assert_int_eq(jo.emailed_at, 0);
  journal_order_clear(&jo);
  rt_msg_free(&r->base);
  rt_test_free(t);
}
END_TEST

START_TEST(test_deadline_propagated) {
  rt_test_t *t = start(12);
  default_cart();
  rt_time_t t0 = rt_test_now(t);
  Hipstershop__PlaceOrderResponse *r = place_ex(t, "EUR", 2 * RT_SEC, 0);
  ck_assert_int_eq(st, RT_OK);
  rt_msg_free(&r->base);
  for (int m = 0; m < M_N; m++)
    ck_assert_msg(rt_test_stub_last_deadline(W.stub[m]) == t0 + 2 * RT_SEC,
                  "stub %d", m);
  rt_test_free(t);

  /* A slow quote: the deadline ends the order before charging. */
  teardown();
  setup();
  t = start(13);
  default_cart();
  rt_test_stub_set_delay(W.stub[M_QUOTE], 5 * RT_SEC);
  r = place_ex(t, "EUR", 1 * RT_SEC, 0);
  ck_assert_int_eq(st, RT_DEADLINE_EXCEEDED);
  ck_assert_uint_eq(rt_test_stub_cancelled(W.stub[M_QUOTE]), 1);
  ck_assert_uint_eq(calls(M_CHARGE), 0);
  ck_assert_int_eq(counts().by_state[JOURNAL_FAILED], 1);
  rt_test_free(t);

  /* A charge that does not answer in time: it may have gone through. */
  teardown();
  setup();
  t = start(14);
  default_cart();
  rt_test_stub_set_delay(W.stub[M_CHARGE], 5 * RT_SEC);
  r = place_ex(t, "EUR", 1 * RT_SEC, 0);
  ck_assert_int_eq(st, RT_DEADLINE_EXCEEDED);
  journal_counts_t c = counts();
  ck_assert_uint_eq(c.by_state[JOURNAL_CHARGE_UNKNOWN], 1);
  ck_assert_uint_eq(c.charge_in_doubt, 1);
  ck_assert_uint_eq(c.charged_not_shipped, 0);
  rt_test_free(t);

  /* The client gives up while shipping: charged, not shipped. */
  teardown();
  setup();
  t = start(15);
  default_cart();
  rt_test_stub_set_delay(W.stub[M_SHIP], 5 * RT_SEC);
  r = place_ex(t, "EUR", 0, 1 * RT_SEC);
  ck_assert_int_eq(st, RT_CANCELLED);
  ck_assert_uint_eq(rt_test_stub_cancelled(W.stub[M_SHIP]), 1);
  ck_assert_uint_eq(calls(M_EMPTY), 0);
  c = counts();
  ck_assert_uint_eq(c.charged_not_shipped, 1);
  ck_assert_uint_eq(c.by_state[JOURNAL_SHIP_FAILED], 1);
  rt_test_free(t);
}
END_TEST

START_TEST(test_no_double_charge_replay) {
  /* The same seed on the same journal replays the same order id. */
  rt_test_t *t = start(42);
  default_cart();
  W.fail[M_SHIP] = RT_UNAVAILABLE;
  Hipstershop__PlaceOrderResponse *r = place(t, "EUR");
  ck_assert_int_eq(st, RT_UNAVAILABLE);
  ck_assert_uint_eq(calls(M_CHARGE), 1);
  rt_test_free(t);

  t = start(42);
  default_cart();
  r = place(t, "EUR");
  ck_assert_ptr_null(r);
  ck_assert_int_eq(st, RT_ALREADY_EXISTS);
  ck_assert_msg(strstr(msg, "already ship_failed") != NULL, "%s", msg);
  ck_assert_uint_eq(calls(M_CART), 0);
  ck_assert_uint_eq(calls(M_CHARGE), 0);
  journal_counts_t c = counts();
  ck_assert_uint_eq(c.total, 1);
  ck_assert_uint_eq(c.charged_not_shipped, 1);
  rt_test_free(t);
}
END_TEST

/* Another process takes the charge of the pending order between GetCart
 * and Charge. */
static void grab_charge(world_t *w) {
  (void)w;
  sqlite3 *db;
  ck_assert_int_eq(sqlite3_open_v2(jpath, &db, SQLITE_OPEN_READONLY, NULL),
                   SQLITE_OK);
  sqlite3_stmt *q;
  ck_assert_int_eq(sqlite3_prepare_v2(db,
                                      "SELECT order_id FROM orders WHERE "
                                      "state = 'pending'",
                                      -1, &q, NULL),
                   SQLITE_OK);
  ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
  char id[64];
  snprintf(id, sizeof id, "%s", sqlite3_column_text(q, 0));
  sqlite3_finalize(q);
  sqlite3_close(db);
  char err[256];
  journal_t *j = journal_open(jpath, 0, err, sizeof err);
  ck_assert_ptr_nonnull(j);
  ck_assert_int_eq(journal_charge_begin(j, id, 1, 0, 0, NULL), 0);
  journal_close(j);
}

START_TEST(test_no_double_charge_gate) {
  rt_test_t *t = start(43);
  default_cart();
  W.on_get_cart = grab_charge;
  Hipstershop__PlaceOrderResponse *r = place(t, "EUR");
  ck_assert_ptr_null(r);
  ck_assert_int_eq(st, RT_ALREADY_EXISTS);
  ck_assert_msg(strstr(msg, "already charging") != NULL, "%s", msg);
  ck_assert_uint_eq(calls(M_QUOTE), 1); /* got that far */
  ck_assert_uint_eq(calls(M_CHARGE), 0);
  journal_order_t jo;
  only_order(&jo);
  ck_assert_int_eq(jo.state, JOURNAL_CHARGING);
  ck_assert_uint_eq(jo.n_steps, 3); /* created, charging, charge_refused */
  journal_order_clear(&jo);
  rt_test_free(t);
}
END_TEST

START_TEST(test_journal_api) {
  char err[256];
  journal_t *j = journal_open(jpath, 0, err, sizeof err);
  ck_assert_msg(j != NULL, "%s", err);
  journal_state_t s;
  ck_assert_int_eq(journal_order_begin(j, "o1", "u", "EUR", 1, NULL), 0);
  ck_assert_int_eq(journal_order_begin(j, "o1", "u", "EUR", 2, &s),
                   JOURNAL_EEXIST);
  ck_assert_int_eq(s, JOURNAL_PENDING);
  /* Steps out of order change nothing. */
  ck_assert_int_eq(journal_record(j, "o1", JOURNAL_STEP_SHIPPED, "T", 3),
                   JOURNAL_ESTATE);
  ck_assert_ptr_nonnull(strstr(journal_errmsg(j), "does not apply"));
  ck_assert_int_eq(journal_record(j, "nope", JOURNAL_STEP_CHARGED, "x", 3),
                   JOURNAL_ENOENT);
  /* The gate: once. */
  ck_assert_int_eq(journal_charge_begin(j, "o1", 10, 500000000, 4, &s), 0);
  ck_assert_int_eq(s, JOURNAL_CHARGING);
  ck_assert_int_eq(journal_charge_begin(j, "o1", 10, 500000000, 5, &s),
                   JOURNAL_EALREADY);
  ck_assert_int_eq(s, JOURNAL_CHARGING);
  /* A definite refusal allows a retry; an unknown outcome does not. */
  ck_assert_int_eq(journal_record(j, "o1", JOURNAL_STEP_CHARGE_FAILED, "no", 6), 0);
  ck_assert_int_eq(journal_charge_begin(j, "o1", 10, 500000000, 7, NULL), 0);
  ck_assert_int_eq(journal_record(j, "o1", JOURNAL_STEP_CHARGE_UNKNOWN, "?", 8), 0);
  ck_assert_int_eq(journal_charge_begin(j, "o1", 10, 500000000, 9, &s),
                   JOURNAL_EALREADY);
  ck_assert_int_eq(s, JOURNAL_CHARGE_UNKNOWN);
  ck_assert_int_eq(journal_charge_begin(j, "zz", 1, 0, 9, NULL), JOURNAL_ENOENT);

  /* A full order, and the counts. */
  ck_assert_int_eq(journal_order_begin(j, "o2", "u", "USD", 10, NULL), 0);
  ck_assert_int_eq(journal_charge_begin(j, "o2", 1, 0, 11, NULL), 0);
  ck_assert_int_eq(journal_record(j, "o2", JOURNAL_STEP_CHARGED, "tx", 12), 0);
  ck_assert_int_eq(journal_charge_begin(j, "o2", 1, 0, 13, &s), JOURNAL_EALREADY);
  ck_assert_int_eq(s, JOURNAL_CHARGED);
  ck_assert_int_eq(journal_order_begin(j, "o3", "u", "USD", 10, NULL), 0);
  ck_assert_int_eq(journal_record(j, "o3", JOURNAL_STEP_FAILED, "bad", 11), 0);
  journal_counts_t c;
  ck_assert_int_eq(journal_counts(j, &c), 0);
  ck_assert_uint_eq(c.total, 3);
  ck_assert_uint_eq(c.by_state[JOURNAL_CHARGE_UNKNOWN], 1);
  ck_assert_uint_eq(c.by_state[JOURNAL_CHARGED], 1);
  ck_assert_uint_eq(c.by_state[JOURNAL_FAILED], 1);
  ck_assert_uint_eq(c.charged_not_shipped, 1);
  ck_assert_uint_eq(c.charge_in_doubt, 1);
  ck_assert_int_eq(journal_record(j, "o2", JOURNAL_STEP_SHIPPED, "T", 14), 0);
  ck_assert_int_eq(journal_record(j, "o2", JOURNAL_STEP_CONFIRMED, NULL, 15), 0);
  ck_assert_int_eq(journal_counts(j, &c), 0);
  ck_assert_uint_eq(c.charged_not_shipped, 0);
  ck_assert_uint_eq(c.by_state[JOURNAL_CONFIRMED], 1);
  journal_order_t o;
  ck_assert_int_eq(journal_get(j, "o2", &o), 0);
  ck_assert_int_eq(o.state, JOURNAL_CONFIRMED);
  ck_assert_int_eq(o.charged_at, 12);
  ck_assert_int_eq(o.shipped_at, 14);
  ck_assert_int_eq(o.confirmed_at, 15);
  ck_assert_str_eq(o.tracking_id, "T");
  ck_assert_uint_eq(o.n_steps, 6); /* created charging charged refused shipped confirmed */
  journal_order_clear(&o);
  ck_assert_int_eq(journal_get(j, "nope", &o), JOURNAL_ENOENT);
  for (int i = 0; i < JOURNAL_N_STATES; i++)
    ck_assert_int_eq(journal_state_parse(journal_state_name((journal_state_t)i)), i);
  ck_assert_int_eq(journal_state_parse("bogus"), -1);
  ck_assert_ptr_null(journal_state_name(JOURNAL_N_STATES));
  ck_assert_str_eq(journal_step_name(JOURNAL_STEP_CART_EMPTIED), "cart_emptied");
  ck_assert_str_eq(journal_strerror(JOURNAL_EALREADY),
                   "order already charged or being charged");
  journal_close(j);

  /* Read-only: counts while another handle writes; no file, no journal. */
  ck_assert_int_eq(journal_count_path(jpath, &c, err, sizeof err), 0);
  ck_assert_uint_eq(c.total, 3);
  char missing[400];
  snprintf(missing, sizeof missing, "%s/none.db", dir);
  ck_assert_int_eq(journal_count_path(missing, &c, err, sizeof err), JOURNAL_EDB);
  ck_assert_ptr_nonnull(strstr(err, missing));
}
END_TEST

START_TEST(test_config) {
  ck_assert_ptr_null(rt_test_new(&checkout_service, NULL, 1));
  const char *e = rt_test_last_init_error();
  for (int i = 0; i < 6; i++) {
    char name[64];
    snprintf(name, sizeof name, "%.*s=: required",
             (int)(strchr(addrs[i], '=') - addrs[i]), addrs[i]);
    ck_assert_msg(strstr(e, name) != NULL, "%s not in %s", name, e);
  }
  /* An unusable journal path is named. */
  char bad[400], blocker[320];
  snprintf(blocker, sizeof blocker, "%s/file", dir);
  FILE *f = fopen(blocker, "w");
  ck_assert_ptr_nonnull(f);
  fclose(f);
  snprintf(bad, sizeof bad, "ORDER_JOURNAL_PATH=%s/orders.db", blocker);
  const char *env[] = {addrs[0], addrs[1], addrs[2], addrs[3], addrs[4],
                       addrs[5], bad, NULL};
  ck_assert_ptr_null(rt_test_new(&checkout_service, env, 1));
  e = rt_test_last_init_error();
  ck_assert_msg(strstr(e, "ORDER_JOURNAL_PATH=") && strstr(e, "file/orders.db") &&
                    strstr(e, "cannot open order journal"),
                "%s", e);
  const char *env2[] = {addrs[0], addrs[1], addrs[2], addrs[3], addrs[4],
                        addrs[5], jenv, "ORDER_JOURNAL_SYNC=maybe", NULL};
  ck_assert_ptr_null(rt_test_new(&checkout_service, env2, 1));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), "ORDER_JOURNAL_SYNC=maybe"));
  const char *env3[] = {addrs[0], addrs[1], addrs[2], addrs[3], addrs[4],
                        "PAYMENT_SERVICE_ADDR=nocolon", jenv, NULL};
  ck_assert_ptr_null(rt_test_new(&checkout_service, env3, 1));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), "PAYMENT_SERVICE_ADDR=nocolon"));
}
END_TEST

START_TEST(test_bad_money_from_downstream) {
  /* A currency service answering another currency than asked: upstream
   * panics (money.Must); we fail the order before charging. */
  rt_test_t *t = start(16);
  default_cart();
  W.answer_code = "GBP";
  Hipstershop__PlaceOrderResponse *r = place(t, "EUR");
  ck_assert_ptr_null(r);
  ck_assert_int_eq(st, RT_INTERNAL);
  ck_assert_str_eq(msg, "failed to compute order total: mismatching currency codes");
  ck_assert_uint_eq(calls(M_CHARGE), 0);
  rt_test_free(t);
  /* A negative quantity from a cart: upstream would charge for 2^32-1. */
  teardown();
  setup();
  t = start(17);
  cart_add("OLJCESPC7Z", -1);
  r = place(t, "USD");
  ck_assert_int_eq(st, RT_INTERNAL);
  ck_assert_ptr_nonnull(strstr(msg, "failed to compute order total"));
  ck_assert_uint_eq(calls(M_CHARGE), 0);
  ck_assert_int_eq(counts().by_state[JOURNAL_FAILED], 1);
  rt_test_free(t);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Money, against upstream's money.Sum and MultiplySlow, restated. */

typedef struct up_money {
  int64_t u;
  int32_t n;
} up_money_t;

static int up_valid(up_money_t m) {
  if (m.n < -999999999 || m.n > 999999999)
    return 0;
  return !((m.u > 0 && m.n < 0) || (m.u < 0 && m.n > 0));
}

/* Go's int32 arithmetic wraps around. */
static int32_t go_int32(int64_t v) { return (int32_t)(uint32_t)(uint64_t)v; }

static up_money_t up_sum(up_money_t l, up_money_t r) {
  if (!up_valid(l) || !up_valid(r)) /* upstream: an error, Must panics */
    return (up_money_t){0, 2000000000};
  int64_t units = l.u + r.u;
  int32_t nanos = go_int32((int64_t)l.n + r.n);
  if ((units == 0 && nanos == 0) || (units > 0 && nanos >= 0) ||
      (units < 0 && nanos <= 0)) {
    units += nanos / 1000000000;
    nanos %= 1000000000;
  } else if (units > 0) {
    units--;
    nanos = go_int32((int64_t)nanos + 1000000000);
  } else {
    units++;
    nanos = go_int32((int64_t)nanos - 1000000000);
  }
  return (up_money_t){units, nanos};
}

static up_money_t up_mul(up_money_t m, uint32_t n) {
  up_money_t out = m;
  while (n > 1) {
    out = up_sum(out, m);
    n--;
  }
  return out;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static up_money_t random_money(void) {
  int64_t u = (int64_t)(next_rand() % 2000) - 1000;
  int32_t n = (int32_t)(next_rand() % 1000000000);
  switch (next_rand() % 5) {
  case 0: n = 999999999; break;
  case 1: n = 0; break;
  case 2: u = 0; break;
  default: break;
  }
  if (u < 0 || (u == 0 && next_rand() % 2))
    n = -n;
  return (up_money_t){u, n};
}

/* Check's assertions write a checkpoint per call; the loop below checks
 * quietly and reports the first failure with its operands. */
#define REQUIRE(c)                                                            \
  do {                                                                        \
    if (!(c))                                                                 \
      ck_abort_msg("%s: %lld.%09d %lld.%09d", #c, (long long)x.u, (int)x.n,   \
                   (long long)y.u, (int)y.n);                                 \
  } while (0)

START_TEST(test_money_matches_upstream) {
  Hipstershop__Money a, b, out;
  unsigned compared = 0;
  for (int i = 0; i < 200000; i++) {
    up_money_t x = random_money(), y = random_money();
    money_set(&a, "EUR", x.u, x.n);
    money_set(&b, "EUR", y.u, y.n);
    REQUIRE(money_valid(&a) && money_valid(&b));
    REQUIRE(money_add(&a, &b, &out) == 0);
    REQUIRE(money_valid(&out));
    /* Exact value, always. */
    __int128 want = (__int128)x.u * NS_PER_UNIT + x.n + (__int128)y.u * NS_PER_UNIT + y.n;
    REQUIRE(((__int128)out.units * NS_PER_UNIT + out.nanos) == want);
    /* Same representation as upstream wherever upstream's is valid. */
    up_money_t u = up_sum(x, y);
    if (up_valid(u)) {
      REQUIRE(out.units == u.u && out.nanos == u.n);
      compared++;
    }
    uint32_t q = (uint32_t)(next_rand() % 12) + 1;
    REQUIRE(money_mul(&a, q, &out) == 0);
    REQUIRE(((__int128)out.units * NS_PER_UNIT + out.nanos) ==
              ((__int128)x.u * NS_PER_UNIT + x.n) * q);
    up_money_t um = up_mul(x, q);
    if (up_valid(um)) {
      REQUIRE(out.units == um.u && out.nanos == um.n);
    }
  }
  ck_assert_uint_gt(compared, 150000);
  /* Edge cases by hand: carry across 1e9, signs, zero, mismatches. */
  money_set(&a, "USD", 0, 999999999);
  money_set(&b, "USD", 0, 1);
  ck_assert_int_eq(money_add(&a, &b, &out), 0);
  ck_assert_int_eq(out.units, 1);
  ck_assert_int_eq(out.nanos, 0);
  money_set(&a, "USD", -1, -500000000);
  money_set(&b, "USD", 2, 250000000);
  ck_assert_int_eq(money_add(&a, &b, &out), 0);
  ck_assert_int_eq(out.units, 0);
  ck_assert_int_eq(out.nanos, 750000000);
  money_set(&a, "USD", 5, 0);
  money_set(&b, "USD", -5, -1);
  ck_assert_int_eq(money_add(&a, &b, &out), 0);
  ck_assert_int_eq(out.units, 0);
  ck_assert_int_eq(out.nanos, -1);
  money_set(&a, "USD", 0, 999999999);
  ck_assert_int_eq(money_mul(&a, 3, &out), 0);
  ck_assert_int_eq(out.units, 2);
  ck_assert_int_eq(out.nanos, 999999997);
  money_set(&a, "USD", -2, -600000000);
  ck_assert_int_eq(money_mul(&a, 4, &out), 0);
  ck_assert_int_eq(out.units, -10);
  ck_assert_int_eq(out.nanos, -400000000);
  money_set(&b, "EUR", 1, 0);
  ck_assert_int_eq(money_add(&a, &b, &out), MONEY_ECURRENCY);
  money_set(&b, "USD", 1, -1);
  ck_assert_int_eq(money_add(&a, &b, &out), MONEY_EINVAL);
  money_set(&a, "USD", INT64_MAX, 0);
  money_set(&b, "USD", 1, 0);
  ck_assert_int_eq(money_add(&a, &b, &out), MONEY_ERANGE);
  ck_assert_int_eq(money_mul(&a, 2, &out), MONEY_ERANGE);
}
END_TEST

int main(void) {
  Suite *s = suite_create("checkout");
  TCase *tc = tcase_create("checkout");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_happy_path_eur);
  tcase_add_test(tc, test_carry_and_empty_cart);
  tcase_add_test(tc, test_fail_cart);
  tcase_add_test(tc, test_fail_catalog);
  tcase_add_test(tc, test_go_quoting);
  tcase_add_test(tc, test_fail_convert);
  tcase_add_test(tc, test_fail_quote);
  tcase_add_test(tc, test_fail_convert_shipping);
  tcase_add_test(tc, test_fail_charge);
  tcase_add_test(tc, test_fail_ship);
  tcase_add_test(tc, test_empty_cart_and_email_failures_ignored);
  tcase_add_test(tc, test_deadline_propagated);
  tcase_add_test(tc, test_no_double_charge_replay);
  tcase_add_test(tc, test_no_double_charge_gate);
  tcase_add_test(tc, test_journal_api);
  tcase_add_test(tc, test_config);
  tcase_add_test(tc, test_bad_money_from_downstream);
  tcase_add_test(tc, test_money_matches_upstream);
  suite_add_tcase(s, tc);
  return check_run(s);
}

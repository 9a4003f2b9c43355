/*
 * svc_shop.c — fuzz target: one request to cartservice or checkoutservice.
 *
 * Input: byte 0 picks the method (b % 4: AddItem, GetCart, EmptyCart,
 * PlaceOrder), how the call ends ((b / 4) % 3: normally, with a 1 ms
 * deadline, or cancelled after 1 ms) and, for PlaceOrder, which downstream
 * service fails ((b / 12) % 9: none, cart, catalog, currency, quote,
 * payment, ship, empty cart, email); the rest is the request,
 * protobuf-encoded. Undecodable requests are skipped. The services run on
 * the test runtime with their SQLite files in a temporary directory
 * (removed at exit); checkout's downstream services are stubs answering
 * after 1 ms. A crash, a sanitizer report, a call the handler never ends,
 * a reply that does not decode, or a journal that stops answering is a
 * finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cart/cart.h"
#include "checkout/checkout.h"
#include "checkout/journal.h"
#include "proto/demo.pb-c.h"
#include "rt_test.h"

typedef struct target {
  int checkout;
  const char *service, *method;
  const ProtobufCMessageDescriptor *req, *resp;
} target_t;

/* Keep in step with fuzz/svc_shop_corpus.py. */
static const target_t targets[] = {
    {0, "CartService", "AddItem", &hipstershop__add_item_request__descriptor,
     &hipstershop__empty__descriptor},
    {0, "CartService", "GetCart", &hipstershop__get_cart_request__descriptor,
     &hipstershop__cart__descriptor},
    {0, "CartService", "EmptyCart",
     &hipstershop__empty_cart_request__descriptor,
     &hipstershop__empty__descriptor},
    {1, "CheckoutService", "PlaceOrder",
     &hipstershop__place_order_request__descriptor,
     &hipstershop__place_order_response__descriptor},
};
#define N_TARGETS 4u
#define N_MODES 3u
#define N_FAILS 9u

enum { F_NONE, F_CART, F_CATALOG, F_CURRENCY, F_QUOTE, F_PAYMENT, F_SHIP,
       F_EMPTY, F_EMAIL };

static char dir[256], journal_path[300];
static int fail_at; /* the downstream service failing in this run */

static void cleanup(void) {
  if (!*dir)
    return;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "svc_shop: could not remove %s\n", dir);
}

/* ---- stubs: fixed good answers, or the chosen failure ----
 * A stub's response must not point into its request (the runtime frees the
 * request before it encodes the response): strings are copied here. */

static char *keep(int slot, const char *s) {
  static char *kept[3];
  free(kept[slot]);
  kept[slot] = strdup(s);
  if (!kept[slot])
    abort();
  return kept[slot];
}

static rt_status_t maybe_fail(int who, char *m, size_t n) {
  if (fail_at != who)
    return RT_OK;
  snprintf(m, n, "injected failure");
  return who == F_PAYMENT ? RT_INVALID_ARGUMENT : RT_UNAVAILABLE;
}

static Hipstershop__CartItem cart_items[2];
static Hipstershop__CartItem *cart_ptrs[2] = {&cart_items[0], &cart_items[1]};

static rt_status_t s_cart(void *u, const ProtobufCMessage *req,
                          const ProtobufCMessage **resp, char *m, size_t n) {
  static Hipstershop__Cart cart;
  rt_status_t s = maybe_fail(F_CART, m, n);
  if (s)
    return s;
  hipstershop__cart__init(&cart);
  cart.user_id = keep(0, ((const Hipstershop__GetCartRequest *)req)->user_id);
  for (int i = 0; i < 2; i++) {
    hipstershop__cart_item__init(&cart_items[i]);
    cart_items[i].product_id = (char *)(i ? "6E92ZMYYFZ" : "OLJCESPC7Z");
    cart_items[i].quantity = i ? 1 : 3;
  }
  cart.n_items = 2;
  cart.items = cart_ptrs;
  *resp = &cart.base;
  return RT_OK;
}

static rt_status_t s_product(void *u, const ProtobufCMessage *req,
                             const ProtobufCMessage **resp, char *m, size_t n) {
  static Hipstershop__Product p;
  static Hipstershop__Money price;
  rt_status_t s = maybe_fail(F_CATALOG, m, n);
  if (s)
    return s;
  hipstershop__product__init(&p);
  hipstershop__money__init(&price);
  p.id = keep(1, ((const Hipstershop__GetProductRequest *)req)->id);
  price.currency_code = (char *)"USD";
  price.units = 19;
  price.nanos = 990000000;
  p.price_usd = &price;
  *resp = &p.base;
  return RT_OK;
}

/* Converts by leaving the amount as it is, in the requested code. */
static rt_status_t s_convert(void *u, const ProtobufCMessage *req,
                             const ProtobufCMessage **resp, char *m, size_t n) {
  static Hipstershop__Money out;
  const Hipstershop__CurrencyConversionRequest *r = (const void *)req;
  rt_status_t s = maybe_fail(F_CURRENCY, m, n);
  if (s)
    return s;
  if (!r->from || !*r->to_code) {
    snprintf(m, n, "bad conversion request");
    return RT_INVALID_ARGUMENT;
  }
  hipstershop__money__init(&out);
  out.currency_code = keep(2, r->to_code);
  out.units = r->from->units;
  out.nanos = r->from->nanos;
  *resp = &out.base;
  return RT_OK;
}

static rt_status_t s_quote(void *u, const ProtobufCMessage *req,
                           const ProtobufCMessage **resp, char *m, size_t n) {
  static Hipstershop__GetQuoteResponse q;
  static Hipstershop__Money cost;
  rt_status_t s = maybe_fail(F_QUOTE, m, n);
  if (s)
    return s;
  hipstershop__get_quote_response__init(&q);
  hipstershop__money__init(&cost);
  cost.currency_code = (char *)"USD";
  cost.units = 8;
  cost.nanos = 990000000;
  q.cost_usd = &cost;
  *resp = &q.base;
  return RT_OK;
}

static rt_status_t s_charge(void *u, const ProtobufCMessage *req,
                            const ProtobufCMessage **resp, char *m, size_t n) {
  static Hipstershop__ChargeResponse r;
  rt_status_t s = maybe_fail(F_PAYMENT, m, n);
  if (s)
    return s;
  hipstershop__charge_response__init(&r);
  r.transaction_id = (char *)"fuzz-tx";
  *resp = &r.base;
  return RT_OK;
}

static rt_status_t s_ship(void *u, const ProtobufCMessage *req,
                          const ProtobufCMessage **resp, char *m, size_t n) {
  static Hipstershop__ShipOrderResponse r;
  rt_status_t s = maybe_fail(F_SHIP, m, n);
  if (s)
    return s;
  hipstershop__ship_order_response__init(&r);
  r.tracking_id = (char *)"AB-111234-551234567";
  *resp = &r.base;
  return RT_OK;
}

static rt_status_t s_empty_ok(int who, const ProtobufCMessage **resp, char *m,
                              size_t n) {
  static Hipstershop__Empty e;
  rt_status_t s = maybe_fail(who, m, n);
  if (s)
    return s;
  hipstershop__empty__init(&e);
  *resp = &e.base;
  return RT_OK;
}

static rt_status_t s_empty_cart(void *u, const ProtobufCMessage *req,
                                const ProtobufCMessage **resp, char *m,
                                size_t n) {
  return s_empty_ok(F_EMPTY, resp, m, n);
}

static rt_status_t s_email(void *u, const ProtobufCMessage *req,
                           const ProtobufCMessage **resp, char *m, size_t n) {
  return s_empty_ok(F_EMAIL, resp, m, n);
}

/* One instance of each service for the whole run. */
static rt_test_t *instance(int checkout) {
  static rt_test_t *inst[2];
  if (inst[checkout])
    return inst[checkout];
  if (!*dir) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/meshsim-fuzz-shop-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
      perror("svc_shop: mkdtemp");
      abort();
    }
    atexit(cleanup);
    snprintf(journal_path, sizeof journal_path, "%s/orders.db", dir);
  }
  char cart_env[320], journal_env[320];
  snprintf(cart_env, sizeof cart_env, "CART_DB_PATH=%s/carts.db", dir);
  snprintf(journal_env, sizeof journal_env, "ORDER_JOURNAL_PATH=%s",
           journal_path);
  const char *env[] = {
      cart_env,
      journal_env,
      "SHIPPING_SERVICE_ADDR=shippingservice:50051",
      "PRODUCT_CATALOG_SERVICE_ADDR=productcatalogservice:3550",
      "CART_SERVICE_ADDR=cartservice:7070",
      "CURRENCY_SERVICE_ADDR=currencyservice:7000",
      "EMAIL_SERVICE_ADDR=emailservice:5000",
      "PAYMENT_SERVICE_ADDR=paymentservice:50051",
      NULL};
  rt_test_t *t = rt_test_new(checkout ? &checkout_service : &cart_service,
                             env, 1);
  if (!t) {
    fprintf(stderr, "svc_shop: service does not start: %s\n",
            rt_test_last_init_error());
    abort();
  }
  if (checkout) {
    struct {
      const char *addr, *svc, *method;
      const ProtobufCMessageDescriptor *req;
      rt_test_stub_fn fn;
    } s[] = {
        {"cartservice:7070", "CartService", "GetCart",
         &hipstershop__get_cart_request__descriptor, s_cart},
        {"productcatalogservice:3550", "ProductCatalogService", "GetProduct",
         &hipstershop__get_product_request__descriptor, s_product},
        {"currencyservice:7000", "CurrencyService", "Convert",
         &hipstershop__currency_conversion_request__descriptor, s_convert},
        {"shippingservice:50051", "ShippingService", "GetQuote",
         &hipstershop__get_quote_request__descriptor, s_quote},
        {"paymentservice:50051", "PaymentService", "Charge",
         &hipstershop__charge_request__descriptor, s_charge},
        {"shippingservice:50051", "ShippingService", "ShipOrder",
         &hipstershop__ship_order_request__descriptor, s_ship},
        {"cartservice:7070", "CartService", "EmptyCart",
         &hipstershop__empty_cart_request__descriptor, s_empty_cart},
        {"emailservice:5000", "EmailService", "SendOrderConfirmation",
         &hipstershop__send_order_confirmation_request__descriptor, s_email},
    };
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
      rt_test_stub_t *st = rt_test_stub(t, s[i].addr, s[i].svc, s[i].method,
                                        s[i].req, s[i].fn, NULL);
      if (!st)
        abort();
      rt_test_stub_set_delay(st, RT_MSEC);
    }
  }
  inst[checkout] = t;
  return t;
}

/* Is |msg| one of the services' own database errors? Matched on the
 * message's start: the rest may quote fuzzed input. */
static int db_error(const char *msg) {
  const char *sp = strchr(msg, ' ');
  return strncmp(msg, "failed to record order: ", 24) == 0 ||
         (sp && strncmp(sp, " failed: cart database ", 23) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size - 1 > RT_MAX_MESSAGE)
    return 0;
  const target_t *tg = &targets[data[0] % N_TARGETS];
  unsigned mode = (data[0] / N_TARGETS) % N_MODES;
  fail_at = (int)((data[0] / (N_TARGETS * N_MODES)) % N_FAILS);
  ProtobufCMessage *req =
      protobuf_c_message_unpack(tg->req, NULL, size - 1, data + 1);
  if (!req)
    return 0;
  /* As in svc_request.c: skip what protobuf-c cannot read back once
   * re-encoded (the runtime re-encodes requests as the wire would). */
  size_t len = protobuf_c_message_get_packed_size(req);
  uint8_t *buf = malloc(len ? len : 1);
  ProtobufCMessage *again = NULL;
  if (buf) {
    protobuf_c_message_pack(req, buf);
    again = protobuf_c_message_unpack(tg->req, NULL, len, buf);
    free(buf);
  }
  if (!again) {
    protobuf_c_message_free_unpacked(req, NULL);
    return 0;
  }
  protobuf_c_message_free_unpacked(again, NULL);
  rt_test_t *t = instance(tg->checkout);
  rt_status_t st;
  const char *msg = NULL;
  ProtobufCMessage *resp = NULL;
  int rc = rt_test_call_ex(t, tg->service, tg->method, req, tg->resp,
                           mode == 1 ? RT_MSEC : 0, mode == 2 ? RT_MSEC : 0,
                           &st, &msg, &resp);
  if (rc != 0) {
    fprintf(stderr, "svc_shop: %s/%s: %s\n", tg->service, tg->method, msg);
    abort();
  }
  if ((st == RT_OK) != (resp != NULL))
    abort();
  /* A database error is a status, never a crash; but on our own temp file
   * none should happen at all. */
  if (msg && db_error(msg)) {
    fprintf(stderr, "svc_shop: %s/%s: %s\n", tg->service, tg->method, msg);
    abort();
  }
  rt_msg_free(resp);
  protobuf_c_message_free_unpacked(req, NULL);
  rt_test_log_clear(t);
  if (tg->checkout) {
    /* The journal stays readable and consistent with what happened. */
    journal_counts_t c;
    char err[256];
    if (journal_count_path(journal_path, &c, err, sizeof err) != 0) {
      fprintf(stderr, "svc_shop: journal: %s\n", err);
      abort();
    }
    if (c.by_state[JOURNAL_PENDING] || c.by_state[JOURNAL_CHARGING]) {
      fprintf(stderr, "svc_shop: an order was left pending or charging\n");
      abort();
    }
  }
  return 0;
}

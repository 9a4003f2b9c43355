/*
 * checkout.c — checkoutservice's PlaceOrder as a chain of callbacks over
 * one order_t per call (no blocking, no threads): each step's completion
 * starts the next downstream call or ends the PlaceOrder call. Every
 * function that starts a call or ends the order is a tail call: once it
 * returns, the order may be gone.
 *
 * The journal (journal.h) is written synchronously between steps; see
 * journal.h for why that is acceptable.
 */
#include "checkout/checkout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checkout/journal.h"
#include "common/money.h"
#include "common/svc_uuid.h"
#include "proto/demo.pb-c.h"

#define MSGLEN 2048

typedef struct checkout {
  /* From rt_env: they live as long as the runtime. */
  const char *catalog_addr, *cart_addr, *currency_addr, *shipping_addr,
      *payment_addr, *email_addr;
  journal_t *journal;
} checkout_t;

typedef struct order {
  checkout_t *co;
  rt_t *rt;
  rt_call_t *call;
  const Hipstershop__PlaceOrderRequest *req; /* owned by the runtime */
  char id[SVC_UUID_LEN + 1];
  Hipstershop__Cart *cart; /* GetCart's reply */
  size_t next;             /* the cart item being priced */
  Hipstershop__Money **prices; /* Convert replies, one per cart item */
  Hipstershop__Money *shipping; /* the converted quote */
  Hipstershop__Money total;     /* currency_code borrowed from req */
  char *txid, *tracking;
  /* The OrderResult, built after shipping. */
  Hipstershop__OrderItem *oitems;
  Hipstershop__OrderItem **oitem_ptrs;
  Hipstershop__OrderResult result;
} order_t;

/* ------------------------------------------------------------------ */
/* Helpers. */

/* Go's names of the gRPC codes (codes.Code.String()), which upstream's
 * messages carry. */
static const char *go_code(rt_status_t code) {
  static const char *const names[] = {
      "OK",           "Canceled",          "Unknown",
      "InvalidArgument", "DeadlineExceeded", "NotFound",
      "AlreadyExists", "PermissionDenied", "ResourceExhausted",
      "FailedPrecondition", "Aborted",      "OutOfRange",
      "Unimplemented", "Internal",          "Unavailable",
      "DataLoss",     "Unauthenticated"};
  return (unsigned)code < sizeof names / sizeof *names ? names[code]
                                                       : "Unknown";
}

/* Upstream wraps a downstream error with %+v of a gRPC status error. */
static const char *rpc_error(char *buf, size_t n, rt_status_t code,
                             const char *message) {
  snprintf(buf, n, "rpc error: code = %s desc = %s", go_code(code),
           message ? message : "");
  return buf;
}

/* Go's %q of |s| (strconv.Quote) for the ASCII range: quotes, with \\, \",
 * the C escapes and \xNN for other control bytes. Bytes >= 0x80 pass through
 * (Go keeps printable UTF-8 as it is). Truncates to fit |n|. */
static const char *go_quote(char *buf, size_t n, const char *s) {
  size_t k = 0;
  if (n < 3)
    return "";
  buf[k++] = '"';
  for (; *s && k + 6 < n; s++) {
    unsigned char c = (unsigned char)*s;
    const char *esc = NULL;
    switch (c) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\a': esc = "\\a"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case '\v': esc = "\\v"; break;
    default: break;
    }
    if (esc) {
      k += (size_t)snprintf(buf + k, n - k, "%s", esc);
    } else if (c < 0x20 || c == 0x7f) {
      k += (size_t)snprintf(buf + k, n - k, "\\x%02x", c);
    } else {
      buf[k++] = (char)c;
    }
  }
  buf[k++] = '"';
  buf[k] = '\0';
  return buf;
}

static void order_free(order_t *o) {
  if (o->prices) {
    size_t n = o->cart->n_items; /* prices exist only with a cart */
    for (size_t i = 0; i < n; i++)
      rt_msg_free(o->prices[i] ? &o->prices[i]->base : NULL);
    free(o->prices);
  }
  rt_msg_free(o->shipping ? &o->shipping->base : NULL);
  rt_msg_free(o->cart ? &o->cart->base : NULL);
  free(o->txid);
  free(o->tracking);
  free(o->oitems);
  free(o->oitem_ptrs);
  free(o);
}

static void olog(order_t *o, rt_severity_t sev, const char *msg,
                 const char *k1, const char *v1, const char *k2,
                 const char *v2) {
  rt_log(o->rt, sev, msg, "order_id", o->id, "user_id", o->req->user_id, k1,
         v1, k2, v2, NULL);
}

/* Records |step| in the journal; a journal failure after the charge can
 * only be logged (the money has moved; the order goes on). */
static void journal_note(order_t *o, journal_step_t step,
                         const char *detail) {
  journal_t *j = o->co->journal;
  int rc = journal_record(j, o->id, step, detail, rt_now(o->rt));
  if (rc != 0)
    olog(o, RT_ERROR, "order journal write failed", "step",
         journal_step_name(step), "error", journal_errmsg(j));
}

/* Ends the order with an error: journal |step| (unless negative), log,
 * rt_fail, free. */
static void order_fail(order_t *o, int step, rt_status_t code,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void order_fail(order_t *o, int step, rt_status_t code,
                       const char *fmt, ...) {
  char msg[MSGLEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (step >= 0)
    journal_note(o, (journal_step_t)step, msg);
  olog(o, RT_WARNING, "order failed", "code", rt_status_name((int)code),
       "error", msg);
  rt_fail(o->call, code, "%s", msg);
  order_free(o);
}

/* Starts a downstream call for |o| on behalf of its PlaceOrder call. When
 * the call cannot even start, |cb| runs now with UNAVAILABLE, so the chain
 * goes on the same way as for a call that failed later. */
static void call(order_t *o, const char *addr, const char *service,
                 const char *method, const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *resp_type, rt_invoke_cb cb) {
  rt_invoke_opts_t opts = {0, o->call};
  if (rt_invoke(o->rt, addr, service, method, req, resp_type, &opts, cb, o))
    return;
  char msg[256];
  snprintf(msg, sizeof msg, "cannot call %s at \"%s\"", service, addr);
  cb(o, RT_UNAVAILABLE, msg, NULL);
}

/* ------------------------------------------------------------------ */
/* The chain, in PlaceOrder's order. */

static void price_next(order_t *o);
static void on_product(void *user, rt_status_t status, const char *message,
                       ProtobufCMessage *resp);
static void on_price(void *user, rt_status_t status, const char *message,
                     ProtobufCMessage *resp);
static void on_quote(void *user, rt_status_t status, const char *message,
                     ProtobufCMessage *resp);
static void on_shipping_price(void *user, rt_status_t status,
                              const char *message, ProtobufCMessage *resp);
static void charge(order_t *o);
static void on_charge(void *user, rt_status_t status, const char *message,
                      ProtobufCMessage *resp);
static void on_ship(void *user, rt_status_t status, const char *message,
                    ProtobufCMessage *resp);
static void on_empty_cart(void *user, rt_status_t status, const char *message,
                          ProtobufCMessage *resp);
static void on_email(void *user, rt_status_t status, const char *message,
                     ProtobufCMessage *resp);

static void convert(order_t *o, const Hipstershop__Money *from,
                    rt_invoke_cb cb) {
  Hipstershop__CurrencyConversionRequest req =
      HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
  req.from = (Hipstershop__Money *)from;
  req.to_code = o->req->user_currency;
  call(o, o->co->currency_addr, "hipstershop.CurrencyService", "Convert",
       &req.base, &hipstershop__money__descriptor, cb);
}

static void on_cart(void *user, rt_status_t status, const char *message,
                    ProtobufCMessage *resp) {
  order_t *o = user;
  char e[MSGLEN];
  if (status != RT_OK) {
    order_fail(o, JOURNAL_STEP_FAILED, RT_INTERNAL,
               "cart failure: failed to get user cart during checkout: %s",
               rpc_error(e, sizeof e, status, message));
    return;
  }
  o->cart = (Hipstershop__Cart *)resp;
  if (o->cart->n_items &&
      !(o->prices = calloc(o->cart->n_items, sizeof *o->prices))) {
    order_fail(o, JOURNAL_STEP_FAILED, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  price_next(o);
}

/* Prices the cart's items one after the other, as upstream does. */
static void price_next(order_t *o) {
  if (o->next == o->cart->n_items) {
    Hipstershop__GetQuoteRequest req = HIPSTERSHOP__GET_QUOTE_REQUEST__INIT;
    req.address = o->req->address;
    req.n_items = o->cart->n_items;
    req.items = o->cart->items;
    call(o, o->co->shipping_addr, "hipstershop.ShippingService", "GetQuote",
         &req.base, &hipstershop__get_quote_response__descriptor, on_quote);
    return;
  }
  Hipstershop__GetProductRequest req = HIPSTERSHOP__GET_PRODUCT_REQUEST__INIT;
  req.id = o->cart->items[o->next]->product_id;
  call(o, o->co->catalog_addr, "hipstershop.ProductCatalogService",
       "GetProduct", &req.base, &hipstershop__product__descriptor, on_product);
}

static void on_product(void *user, rt_status_t status, const char *message,
                       ProtobufCMessage *resp) {
  order_t *o = user;
  const char *pid = o->cart->items[o->next]->product_id;
  if (status != RT_OK) {
    /* Upstream's message leaves the cause out; the log keeps it. */
    olog(o, RT_WARNING, "GetProduct failed", "product_id", pid, "error",
         message);
    char q[512];
    order_fail(o, JOURNAL_STEP_FAILED, RT_INTERNAL,
               "failed to prepare order: failed to get product #%s",
               go_quote(q, sizeof q, pid));
    return;
  }
  Hipstershop__Product *p = (Hipstershop__Product *)resp;
  convert(o, p->price_usd, on_price); /* the request is encoded: free now */
  rt_msg_free(resp);
}

static void on_price(void *user, rt_status_t status, const char *message,
                     ProtobufCMessage *resp) {
  order_t *o = user;
  if (status != RT_OK) {
    olog(o, RT_WARNING, "price conversion failed", "product_id",
         o->cart->items[o->next]->product_id, "error", message);
    char q[512];
    order_fail(o, JOURNAL_STEP_FAILED, RT_INTERNAL,
               "failed to prepare order: failed to convert price of %s to %s",
               go_quote(q, sizeof q, o->cart->items[o->next]->product_id),
               o->req->user_currency);
    return;
  }
  o->prices[o->next++] = (Hipstershop__Money *)resp;
  price_next(o);
}

static void on_quote(void *user, rt_status_t status, const char *message,
                     ProtobufCMessage *resp) {
  order_t *o = user;
  char e[MSGLEN];
  if (status != RT_OK) {
    order_fail(o, JOURNAL_STEP_FAILED, RT_INTERNAL,
               "shipping quote failure: failed to get shipping quote: %s",
               rpc_error(e, sizeof e, status, message));
    return;
  }
  Hipstershop__GetQuoteResponse *q = (Hipstershop__GetQuoteResponse *)resp;
  convert(o, q->cost_usd, on_shipping_price);
  rt_msg_free(resp);
}

/* total = shipping + sum(price * quantity), in upstream's order of sums.
 * Returns 0 or a money_* error (with the quantity check: -4). */
static int compute_total(order_t *o, const char **why) {
  Hipstershop__Money total;
  money_set(&total, o->req->user_currency, 0, 0);
  int rc = money_add(&total, o->shipping, &total);
  for (size_t i = 0; rc == 0 && i < o->cart->n_items; i++) {
    int32_t q = o->cart->items[i]->quantity;
    if (q < 0) {
      *why = "negative quantity in the cart";
      return -4;
    }
    Hipstershop__Money line;
    if ((rc = money_mul(o->prices[i], (uint32_t)q, &line)) == 0)
      rc = money_add(&total, &line, &total);
  }
  if (rc != 0) {
    *why = money_strerror(rc);
    return rc;
  }
  o->total = total;
  o->total.currency_code = o->req->user_currency;
  return 0;
}

static void on_shipping_price(void *user, rt_status_t status,
                              const char *message, ProtobufCMessage *resp) {
  order_t *o = user;
  char e[MSGLEN];
  if (status != RT_OK) {
    order_fail(o, JOURNAL_STEP_FAILED, RT_INTERNAL,
               "failed to convert shipping cost to currency: failed to "
               "convert currency: %s",
               rpc_error(e, sizeof e, status, message));
    return;
  }
  o->shipping = (Hipstershop__Money *)resp;
  const char *why = NULL;
  if (compute_total(o, &why) != 0) {
    order_fail(o, JOURNAL_STEP_FAILED, RT_INTERNAL,
               "failed to compute order total: %s", why);
    return;
  }
  charge(o);
}

static void charge(order_t *o) {
  journal_state_t state = JOURNAL_PENDING;
  int rc = journal_charge_begin(o->co->journal, o->id, o->total.units,
                                o->total.nanos, rt_now(o->rt), &state);
  if (rc == JOURNAL_EALREADY) {
    order_fail(o, -1, RT_ALREADY_EXISTS,
               "order %s is already %s in the order journal: not charging it "
               "again",
               o->id, journal_state_name(state));
    return;
  }
  if (rc != 0) {
    order_fail(o, rc == JOURNAL_EDB ? -1 : JOURNAL_STEP_FAILED, RT_INTERNAL,
               "failed to record order: %s", journal_errmsg(o->co->journal));
    return;
  }
  char amount[64];
  olog(o, RT_INFO, "charging", "amount",
       money_format(&o->total, amount, sizeof amount), NULL, NULL);
  Hipstershop__ChargeRequest req = HIPSTERSHOP__CHARGE_REQUEST__INIT;
  req.amount = &o->total;
  req.credit_card = o->req->credit_card;
  call(o, o->co->payment_addr, "hipstershop.PaymentService", "Charge",
       &req.base, &hipstershop__charge_response__descriptor, on_charge);
}

/* Did a failed Charge certainly not charge? Refusals by the payment service
 * (a bad card) are certain; an unanswered or broken call (deadline,
 * cancellation, connection lost, a crash over there) may have gone through. */
static int charge_in_doubt(rt_status_t status) {
  switch (status) {
  case RT_CANCELLED:
  case RT_UNKNOWN:
  case RT_DEADLINE_EXCEEDED:
  case RT_ABORTED:
  case RT_INTERNAL:
  case RT_UNAVAILABLE:
  case RT_DATA_LOSS:
    return 1;
  default:
    return 0;
  }
}

static void on_charge(void *user, rt_status_t status, const char *message,
                      ProtobufCMessage *resp) {
  order_t *o = user;
  char e[MSGLEN];
  if (status != RT_OK) {
    order_fail(o,
               charge_in_doubt(status) ? JOURNAL_STEP_CHARGE_UNKNOWN
                                       : JOURNAL_STEP_CHARGE_FAILED,
               RT_INTERNAL, "failed to charge card: could not charge the card: %s",
               rpc_error(e, sizeof e, status, message));
    return;
  }
  Hipstershop__ChargeResponse *r = (Hipstershop__ChargeResponse *)resp;
  o->txid = strdup(r->transaction_id);
  rt_msg_free(resp);
  if (!o->txid) {
    /* Charged, but we cannot even keep the id: record what we know. */
    journal_note(o, JOURNAL_STEP_CHARGED, "");
    order_fail(o, -1, RT_RESOURCE_EXHAUSTED, "out of memory after charging");
    return;
  }
  journal_note(o, JOURNAL_STEP_CHARGED, o->txid);
  char line[128];
  snprintf(line, sizeof line, "payment went through (transaction_id: %s)",
           o->txid);
  olog(o, RT_INFO, line, "transaction_id", o->txid, NULL, NULL);

  Hipstershop__ShipOrderRequest req = HIPSTERSHOP__SHIP_ORDER_REQUEST__INIT;
  req.address = o->req->address;
  req.n_items = o->cart->n_items;
  req.items = o->cart->items;
  call(o, o->co->shipping_addr, "hipstershop.ShippingService", "ShipOrder",
       &req.base, &hipstershop__ship_order_response__descriptor, on_ship);
}

static void on_ship(void *user, rt_status_t status, const char *message,
                    ProtobufCMessage *resp) {
  order_t *o = user;
  char e[MSGLEN];
  if (status != RT_OK) {
    order_fail(o, JOURNAL_STEP_SHIP_FAILED, RT_UNAVAILABLE,
               "shipping error: shipment failed: %s",
               rpc_error(e, sizeof e, status, message));
    return;
  }
  Hipstershop__ShipOrderResponse *r = (Hipstershop__ShipOrderResponse *)resp;
  o->tracking = strdup(r->tracking_id);
  rt_msg_free(resp);
  journal_note(o, JOURNAL_STEP_SHIPPED, o->tracking ? o->tracking : "");
  if (!o->tracking) {
    order_fail(o, -1, RT_RESOURCE_EXHAUSTED, "out of memory after shipping");
    return;
  }
  Hipstershop__EmptyCartRequest req = HIPSTERSHOP__EMPTY_CART_REQUEST__INIT;
  req.user_id = o->req->user_id;
  call(o, o->co->cart_addr, "hipstershop.CartService", "EmptyCart", &req.base,
       &hipstershop__empty__descriptor, on_empty_cart);
}

static void on_empty_cart(void *user, rt_status_t status, const char *message,
                          ProtobufCMessage *resp) {
  order_t *o = user;
  rt_msg_free(resp);
  if (status != RT_OK) {
    char e[MSGLEN], m[MSGLEN + 64];
    snprintf(m, sizeof m, "failed to empty user cart during checkout: %s",
             rpc_error(e, sizeof e, status, message));
    olog(o, RT_WARNING, "failed to empty user cart (ignored)", "error", m,
         NULL, NULL);
    journal_note(o, JOURNAL_STEP_CART_EMPTY_FAILED, m);
  } else {
    journal_note(o, JOURNAL_STEP_CART_EMPTIED, NULL);
  }

  /* The OrderResult: the cart's items with their converted unit prices. */
  size_t n = o->cart->n_items;
  if (n && (!(o->oitems = calloc(n, sizeof *o->oitems)) ||
            !(o->oitem_ptrs = calloc(n, sizeof *o->oitem_ptrs)))) {
    order_fail(o, -1, RT_RESOURCE_EXHAUSTED, "out of memory after shipping");
    return;
  }
  for (size_t i = 0; i < n; i++) {
    hipstershop__order_item__init(&o->oitems[i]);
    o->oitems[i].item = o->cart->items[i];
    o->oitems[i].cost = o->prices[i];
    o->oitem_ptrs[i] = &o->oitems[i];
  }
  Hipstershop__OrderResult *r = &o->result;
  hipstershop__order_result__init(r);
  r->order_id = o->id;
  r->shipping_tracking_id = o->tracking;
  r->shipping_cost = o->shipping;
  r->shipping_address = o->req->address;
  r->n_items = n;
  r->items = o->oitem_ptrs;

  Hipstershop__SendOrderConfirmationRequest req =
      HIPSTERSHOP__SEND_ORDER_CONFIRMATION_REQUEST__INIT;
  req.email = o->req->email;
  req.order = r;
  call(o, o->co->email_addr, "hipstershop.EmailService",
       "SendOrderConfirmation", &req.base, &hipstershop__empty__descriptor,
       on_email);
}

static void on_email(void *user, rt_status_t status, const char *message,
                     ProtobufCMessage *resp) {
  order_t *o = user;
  rt_msg_free(resp);
  char line[MSGLEN + 128];
  if (status != RT_OK) {
    char e[MSGLEN];
    rpc_error(e, sizeof e, status, message);
    char q[512];
    snprintf(line, sizeof line, "failed to send order confirmation to %s: %s",
             go_quote(q, sizeof q, o->req->email), e);
    olog(o, RT_WARNING, line, "email", o->req->email, NULL, NULL);
    journal_note(o, JOURNAL_STEP_EMAIL_FAILED, e);
  } else {
    char q[512];
    snprintf(line, sizeof line, "order confirmation email sent to %s",
             go_quote(q, sizeof q, o->req->email));
    olog(o, RT_INFO, line, "email", o->req->email, NULL, NULL);
    journal_note(o, JOURNAL_STEP_EMAIL_SENT, NULL);
  }
  journal_note(o, JOURNAL_STEP_CONFIRMED, NULL);
  char amount[64];
  olog(o, RT_INFO, "order placed", "total",
       money_format(&o->total, amount, sizeof amount), "tracking_id",
       o->tracking);
  Hipstershop__PlaceOrderResponse resp_msg =
      HIPSTERSHOP__PLACE_ORDER_RESPONSE__INIT;
  resp_msg.order = &o->result;
  rt_reply(o->call, &resp_msg.base);
  order_free(o);
}

/* ------------------------------------------------------------------ */
/* The handler. */

static void on_place_order(rt_call_t *rtcall, const ProtobufCMessage *msg,
                           void *user) {
  checkout_t *co = user;
  order_t *o = calloc(1, sizeof *o);
  if (!o) {
    rt_fail(rtcall, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  o->co = co;
  o->rt = rt_call_rt(rtcall);
  o->call = rtcall;
  o->req = (const Hipstershop__PlaceOrderRequest *)msg;
  svc_uuid4(o->rt, o->id);
  char line[512];
  char qu[256], qc[64];
  snprintf(line, sizeof line, "[PlaceOrder] user_id=%s user_currency=%s",
           go_quote(qu, sizeof qu, o->req->user_id),
           go_quote(qc, sizeof qc, o->req->user_currency));
  olog(o, RT_INFO, line, "user_currency", o->req->user_currency, NULL, NULL);

  journal_state_t state = JOURNAL_PENDING;
  int rc = journal_order_begin(co->journal, o->id, o->req->user_id,
                               o->req->user_currency, rt_now(o->rt), &state);
  if (rc == JOURNAL_EEXIST && state != JOURNAL_PENDING &&
      state != JOURNAL_FAILED && state != JOURNAL_CHARGE_FAILED) {
    /* A replayed order id that already reached the charge: placing it
     * again would charge twice. */
    order_fail(o, -1, RT_ALREADY_EXISTS,
               "order %s is already %s in the order journal: not placing it "
               "again",
               o->id, journal_state_name(state));
    return;
  }
  if (rc == JOURNAL_EEXIST) {
    olog(o, RT_WARNING, "order id already in the journal; retrying it",
         "state", journal_state_name(state), NULL, NULL);
  } else if (rc != 0) {
    order_fail(o, -1, RT_INTERNAL, "failed to record order: %s",
               journal_errmsg(co->journal));
    return;
  }
  Hipstershop__GetCartRequest req = HIPSTERSHOP__GET_CART_REQUEST__INIT;
  req.user_id = o->req->user_id;
  call(o, co->cart_addr, "hipstershop.CartService", "GetCart", &req.base,
       &hipstershop__cart__descriptor, on_cart);
}

static const rt_method_t checkout_methods[] = {
    {"PlaceOrder", &hipstershop__place_order_request__descriptor,
     &hipstershop__place_order_response__descriptor, on_place_order},
};

static const rt_service_def_t checkout_def = {
    "hipstershop.CheckoutService", checkout_methods,
    sizeof checkout_methods / sizeof *checkout_methods};

/* Reads a required "host:port"; reports it when missing. */
static const char *addr_env(rt_t *rt, const char *name, const char *example,
                            int *bad) {
  const char *v = rt_env(rt, name);
  if (!v || !*v || !strchr(v, ':')) {
    char why[160];
    snprintf(why, sizeof why, "required: the host:port of %s", example);
    rt_config_error(rt, name, v, why);
    *bad = 1;
  }
  return v;
}

static int checkout_init(rt_t *rt) {
  checkout_t *co = calloc(1, sizeof *co);
  if (!co)
    return -1;
  int bad = 0;
  /* Upstream's order of the checks; every missing one is reported. */
  co->shipping_addr = addr_env(rt, "SHIPPING_SERVICE_ADDR",
                               "shippingservice, e.g. shippingservice:50051", &bad);
  co->catalog_addr = addr_env(rt, "PRODUCT_CATALOG_SERVICE_ADDR",
                              "productcatalogservice, e.g. "
                              "productcatalogservice:3550",
                              &bad);
  co->cart_addr = addr_env(rt, "CART_SERVICE_ADDR",
                           "cartservice, e.g. cartservice:7070", &bad);
  co->currency_addr = addr_env(rt, "CURRENCY_SERVICE_ADDR",
                               "currencyservice, e.g. currencyservice:7000", &bad);
  co->email_addr = addr_env(rt, "EMAIL_SERVICE_ADDR",
                            "emailservice, e.g. emailservice:5000", &bad);
  co->payment_addr = addr_env(rt, "PAYMENT_SERVICE_ADDR",
                              "paymentservice, e.g. paymentservice:50051", &bad);
  unsigned flags = 0;
  const char *sync = rt_env(rt, "ORDER_JOURNAL_SYNC");
  if (sync && *sync) {
    if (strcasecmp(sync, "FULL") == 0) {
      flags |= JOURNAL_SYNC_FULL;
    } else if (strcasecmp(sync, "NORMAL") != 0) {
      rt_config_error(rt, "ORDER_JOURNAL_SYNC", sync,
                      "must be NORMAL (survives a process crash) or FULL "
                      "(also survives power loss)");
      bad = 1;
    }
  }
  if (bad) {
    free(co);
    return -1;
  }
  const char *path = rt_env(rt, "ORDER_JOURNAL_PATH");
  if (!path || !*path)
    path = "orders.db";
  char err[512];
  if (!(co->journal = journal_open(path, flags, err, sizeof err))) {
    rt_config_error(rt, "ORDER_JOURNAL_PATH", path, err);
    free(co);
    return -1;
  }
  if (rt_serve(rt, &checkout_def, co) != 0) {
    journal_close(co->journal);
    free(co);
    return -1;
  }
  rt_set_user(rt, co);
  rt_log(rt, RT_INFO, "order journal open", "path", path, "synchronous",
         flags & JOURNAL_SYNC_FULL ? "FULL" : "NORMAL", NULL);
  return 0;
}

static void checkout_fini(rt_t *rt) {
  checkout_t *co = rt_get_user(rt);
  if (co) {
    journal_close(co->journal);
    free(co);
  }
  rt_set_user(rt, NULL);
}

static const char checkout_env_help[] =
    "  PRODUCT_CATALOG_SERVICE_ADDR, SHIPPING_SERVICE_ADDR, PAYMENT_SERVICE_ADDR,\n"
    "  EMAIL_SERVICE_ADDR, CURRENCY_SERVICE_ADDR, CART_SERVICE_ADDR\n"
    "                          host:port of each service it calls (all required)\n"
    "  ORDER_JOURNAL_PATH      SQLite order journal (default orders.db in the\n"
    "                          working directory)\n"
    "  ORDER_JOURNAL_SYNC      NORMAL (default) or FULL\n";

const rt_service_t checkout_service = {"checkoutservice", 5050, checkout_init,
                                       checkout_fini, checkout_env_help};

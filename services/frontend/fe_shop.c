/*
 * fe_shop.c — the shop's routes, each a chain of steps (see fe_backend.c):
 * a step issues a batch of independent backend calls, the next step runs
 * when all have answered, the last one renders. Form input is validated
 * before any backend call: a bad field is a 422 page naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"
#include "frontend/fe.h"

/* ------------------------------------------------------------------ */
/* GET / : currencies, products, cart, an ad; then a price per product. */

static void home_render(fe_req_t *r) {
  if (r->failed) {
    fe_backend_error(r);
    return;
  }
  html_buf_t b;
  html_init(&b);
  fe_page_home(r, &b);
  fe_send_page(r, 200, &b);
}

static void home_convert(fe_req_t *r) {
  if (r->failed) {
    fe_backend_error(r);
    return;
  }
  const Hipstershop__ListProductsResponse *p =
      (const Hipstershop__ListProductsResponse *)r->products;
  r->n_lines = p->n_products;
  r->prices = calloc(p->n_products ? p->n_products : 1, sizeof *r->prices);
  if (!r->prices) {
    fe_error_page(r, 500, "Something went wrong", "out of memory");
    return;
  }
  fe_join_begin(r, home_render);
  for (size_t i = 0; i < p->n_products; i++)
    fe_convert(r, p->products[i]->price_usd, &r->prices[i]);
  fe_join_end(r);
}

void fe_route_home(fe_req_t *r) {
  fe_join_begin(r, home_convert);
  fe_get_currencies(r, 0);
  fe_list_products(r);
  fe_get_cart(r);
  fe_get_ads(r, NULL, 0);
  fe_join_end(r);
}

/* ------------------------------------------------------------------ */
/* GET /product/{id} : the product, currencies, cart, recommendations;
 * then its price, an ad for its categories, the recommended products. */

static void product_render(fe_req_t *r) {
  if (r->failed) {
    fe_backend_error(r);
    return;
  }
  html_buf_t b;
  html_init(&b);
  fe_page_product(r, &b);
  fe_send_page(r, 200, &b);
}

static void product_details(fe_req_t *r) {
  if (r->failed) {
    if (r->fail_code == RT_NOT_FOUND && strcmp(r->fail_svc, FE_CATALOG) == 0)
      fe_error_page(r, 404, "Product not found",
                    "There is no product with id \"%s\".", r->product_id);
    else
      fe_backend_error(r);
    return;
  }
  const Hipstershop__Product *p = (const Hipstershop__Product *)r->product;
  fe_join_begin(r, product_render);
  fe_convert(r, p->price_usd, &r->price);
  fe_get_ads(r, p->categories, p->n_categories);
  fe_get_rec_products(r);
  fe_join_end(r);
}

void fe_route_product(fe_req_t *r, const char *id) {
  snprintf(r->product_id, sizeof r->product_id, "%s", id);
  char *ids[1] = {r->product_id};
  fe_join_begin(r, product_details);
  fe_get_product(r, 0, r->product_id, &r->product);
  fe_get_currencies(r, 0);
  fe_get_cart(r);
  fe_list_recs(r, 0, ids, 1);
  fe_join_end(r);
}

/* ------------------------------------------------------------------ */
/* GET /cart : currencies, cart; then recommendations, a shipping quote and
 * each line's product; then the quote and each price converted. */

static void cart_render(fe_req_t *r) {
  if (r->failed) {
    fe_backend_error(r);
    return;
  }
  html_buf_t b;
  html_init(&b);
  fe_page_cart(r, &b);
  fe_send_page(r, 200, &b);
}

static void cart_prices(fe_req_t *r) {
  if (r->failed) {
    fe_backend_error(r);
    return;
  }
  const Hipstershop__GetQuoteResponse *q =
      (const Hipstershop__GetQuoteResponse *)r->quote;
  fe_join_begin(r, cart_render);
  fe_convert(r, q->cost_usd, &r->shipping);
  for (size_t i = 0; i < r->n_lines; i++) {
    const Hipstershop__Product *p = (const Hipstershop__Product *)r->items[i];
    fe_convert(r, p->price_usd, &r->prices[i]);
  }
  fe_get_rec_products(r);
  fe_join_end(r);
}

static void cart_lines(fe_req_t *r) {
  if (r->failed) {
    fe_backend_error(r);
    return;
  }
  const Hipstershop__Cart *c = (const Hipstershop__Cart *)r->cart;
  size_t n = c->n_items < FE_MAX_CART_ITEMS ? c->n_items : FE_MAX_CART_ITEMS;
  r->n_lines = n;
  r->prices = calloc(n ? n : 1, sizeof *r->prices);
  r->items = calloc(n ? n : 1, sizeof *r->items);
  char **ids = calloc(n ? n : 1, sizeof *ids);
  if (!r->prices || !r->items || !ids) {
    free(ids);
    fe_error_page(r, 500, "Something went wrong", "out of memory");
    return;
  }
  for (size_t i = 0; i < n; i++)
    ids[i] = c->items[i]->product_id;
  Hipstershop__GetQuoteRequest q = HIPSTERSHOP__GET_QUOTE_REQUEST__INIT;
  q.items = c->items;
  q.n_items = n;
  fe_join_begin(r, cart_prices);
  fe_list_recs(r, 0, ids, n);
  fe_call(r, 0, FE_SHIPPING, r->fe->shipping_addr,
          "hipstershop.ShippingService", "GetQuote", &q.base,
          &hipstershop__get_quote_response__descriptor, &r->quote);
  for (size_t i = 0; i < n; i++)
    fe_get_product(r, 0, ids[i], &r->items[i]);
  free(ids);
  fe_join_end(r);
}

void fe_route_cart(fe_req_t *r) {
  fe_join_begin(r, cart_lines);
  fe_get_currencies(r, 0);
  fe_get_cart(r);
  fe_join_end(r);
}

/* ------------------------------------------------------------------ */
/* Form validation. */

typedef struct field_errors {
  html_buf_t msg; /* "field: why" lines */
  int n;
} field_errors_t;

static void field_error(field_errors_t *e, const char *field,
                        const char *why) {
  if (e->n++)
    html_raw(&e->msg, "\n");
  html_raw(&e->msg, field);
  html_raw(&e->msg, ": ");
  html_raw(&e->msg, why);
}

/* Answers 422 with the collected errors. Returns 1 if there were any. */
static int reject_if_errors(fe_req_t *r, field_errors_t *e) {
  if (!e->n) {
    html_free(&e->msg);
    return 0;
  }
  const char *m = e->msg.data ? e->msg.data : "invalid input";
  rt_log(r->rt, RT_INFO, "invalid form input", "errors", m, "session",
         r->session, "request_id", r->request_id, NULL);
  fe_error_page(r, 422, "Please check your input", "%s", m);
  html_free(&e->msg);
  return 1;
}

/* Trims spaces around |s| in place (form values are ours to edit). */
static const char *trim(const char *s) {
  if (!s)
    return NULL;
  while (*s == ' ' || *s == '\t')
    s++;
  char *end = (char *)s + strlen(s);
  while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
    *--end = '\0';
  return s;
}

/* A required text field of at most |max| bytes, without control bytes. */
static const char *text_field(fe_req_t *r, field_errors_t *e,
                              const char *name, size_t max) {
  const char *v = trim(form_get(&r->form, name));
  if (!v || !*v) {
    field_error(e, name, "is required");
    return NULL;
  }
  size_t n = strlen(v);
  if (n > max) {
    char why[64];
    snprintf(why, sizeof why, "must be at most %zu characters", max);
    field_error(e, name, why);
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)v[i] < 0x20 || v[i] == 0x7F) {
      field_error(e, name, "must not contain control characters");
      return NULL;
    }
  return v;
}

/* A required decimal integer in [lo, hi], digits only, into |*out|. */
static int int_field(fe_req_t *r, field_errors_t *e, const char *name,
                     long lo, long hi, long *out) {
  const char *v = trim(form_get(&r->form, name));
  char why[96];
  if (!v || !*v) {
    field_error(e, name, "is required");
    return -1;
  }
  long x = 0;
  size_t i = 0;
  for (; v[i] >= '0' && v[i] <= '9' && i < 12; i++)
    x = x * 10 + (v[i] - '0');
  if (v[i] || i == 0) {
    field_error(e, name, "must be a whole number");
    return -1;
  }
  if (x < lo || x > hi) {
    snprintf(why, sizeof why, "must be between %ld and %ld", lo, hi);
    field_error(e, name, why);
    return -1;
  }
  *out = x;
  return 0;
}

/* A product id from a form: printable ASCII, at most FE_ID_MAX bytes. */
static int id_field(fe_req_t *r, field_errors_t *e, const char *name) {
  const char *v = trim(form_get(&r->form, name));
  if (!v || !*v) {
    field_error(e, name, "is required");
    return -1;
  }
  size_t n = strlen(v);
  int ok = n <= FE_ID_MAX;
  for (size_t i = 0; ok && i < n; i++)
    ok = (unsigned char)v[i] > 0x20 && (unsigned char)v[i] < 0x7F;
  if (!ok) {
    field_error(e, name, "is not a product id");
    return -1;
  }
  memcpy(r->product_id, v, n + 1);
  return 0;
}

/* ------------------------------------------------------------------ */
/* POST /cart : product_id, quantity -> GetProduct, AddItem, 302 /cart. */

static void add_done(fe_req_t *r) {
  if (r->failed) {
    fe_backend_error(r);
    return;
  }
  fe_redirect(r, "/cart");
}

static void add_item(fe_req_t *r) {
  if (r->failed) {
    if (r->fail_code == RT_NOT_FOUND && strcmp(r->fail_svc, FE_CATALOG) == 0)
      fe_error_page(r, 422, "Please check your input",
                    "product_id: there is no product \"%s\"", r->product_id);
    else
      fe_backend_error(r);
    return;
  }
  Hipstershop__CartItem item = HIPSTERSHOP__CART_ITEM__INIT;
  item.product_id = r->product_id;
  item.quantity = r->quantity;
  Hipstershop__AddItemRequest q = HIPSTERSHOP__ADD_ITEM_REQUEST__INIT;
  q.user_id = r->session;
  q.item = &item;
  fe_join_begin(r, add_done);
  fe_call(r, 0, FE_CART, r->fe->cart_addr, "hipstershop.CartService",
          "AddItem", &q.base, &hipstershop__empty__descriptor, NULL);
  fe_join_end(r);
}

void fe_route_add_to_cart(fe_req_t *r) {
  field_errors_t e = {{0}, 0};
  html_init(&e.msg);
  long qty = 0;
  id_field(r, &e, "product_id");
  int_field(r, &e, "quantity", 1, 10, &qty);
  if (reject_if_errors(r, &e))
    return;
  r->quantity = (int)qty;
  fe_join_begin(r, add_item);
  fe_get_product(r, 0, r->product_id, &r->product);
  fe_join_end(r);
}

/* ------------------------------------------------------------------ */
/* POST /cart/empty -> EmptyCart, 302 /. */

static void empty_done(fe_req_t *r) {
  if (r->failed) {
    fe_backend_error(r);
    return;
  }
  fe_redirect(r, "/");
}

void fe_route_empty_cart(fe_req_t *r) {
  Hipstershop__EmptyCartRequest q = HIPSTERSHOP__EMPTY_CART_REQUEST__INIT;
  q.user_id = r->session;
  fe_join_begin(r, empty_done);
  fe_call(r, 0, FE_CART, r->fe->cart_addr, "hipstershop.CartService",
          "EmptyCart", &q.base, &hipstershop__empty__descriptor, NULL);
  fe_join_end(r);
}

/* ------------------------------------------------------------------ */
/* POST /cart/checkout : the order form -> PlaceOrder in the user's
 * currency; then recommendations and currencies (both optional: the order
 * is placed, a missing extra must not hide that); then the recommended
 * products; then the confirmation. */

static void order_render(fe_req_t *r) {
  const Hipstershop__PlaceOrderResponse *pr =
      (const Hipstershop__PlaceOrderResponse *)r->order;
  const Hipstershop__OrderResult *o = pr->order;
  /* Total paid: shipping plus each line's cost times its quantity, with
   * the carry rules of money.h, as upstream's frontend computes it. */
  Hipstershop__Money total;
  money_set(&total, r->currency, 0, 0);
  int err = 0;
  if (o && o->shipping_cost)
    err = money_add(&total, o->shipping_cost, &total);
  for (size_t i = 0; o && !err && i < o->n_items; i++) {
    const Hipstershop__OrderItem *it = o->items[i];
    if (!it || !it->cost || !it->item)
      continue;
    Hipstershop__Money line;
    int32_t q = it->item->quantity;
    err = money_mul(it->cost, q > 0 ? (uint32_t)q : 0, &line);
    if (!err)
      err = money_add(&total, &line, &total);
  }
  if (err) {
    r->failed = 1;
    r->fail_code = RT_INTERNAL;
    snprintf(r->fail_svc, sizeof r->fail_svc, "%s", FE_CHECKOUT);
    snprintf(r->fail_msg, sizeof r->fail_msg,
             "the order's amounts do not add up: %s", money_strerror(err));
    fe_backend_error(r);
    return;
  }
  html_buf_t b;
  html_init(&b);
  fe_page_order(r, &b, &total);
  fe_send_page(r, 200, &b);
}

static void order_extras(fe_req_t *r) {
  fe_join_begin(r, order_render);
  fe_get_rec_products(r);
  fe_join_end(r);
}

static void order_placed(fe_req_t *r) {
  if (r->failed) {
    fe_backend_error(r);
    return;
  }
  const Hipstershop__PlaceOrderResponse *pr =
      (const Hipstershop__PlaceOrderResponse *)r->order;
  const Hipstershop__OrderResult *o = pr->order;
  rt_log(r->rt, RT_INFO, "order placed", "order_id",
         o && o->order_id ? o->order_id : "", "session", r->session,
         "request_id", r->request_id, NULL);
  fe_join_begin(r, order_extras);
  fe_list_recs(r, FE_OPTIONAL, NULL, 0);
  fe_get_currencies(r, FE_OPTIONAL);
  fe_join_end(r);
}

/* Luhn's checksum over the digits of |s| (spaces and dashes skipped). */
static int luhn_ok(const char *s) {
  int sum = 0, n = 0;
  for (const char *p = s + strlen(s); p-- > s;) {
    if (*p == ' ' || *p == '-')
      continue;
    int d = *p - '0';
    if (n++ % 2 == 1) {
      d *= 2;
      if (d > 9)
        d -= 9;
    }
    sum += d;
  }
  return sum % 10 == 0;
}

static const char *card_field(fe_req_t *r, field_errors_t *e) {
  const char *v = text_field(r, e, "credit_card_number", 64);
  if (!v)
    return NULL;
  int digits = 0;
  for (const char *p = v; *p; p++) {
    if (*p >= '0' && *p <= '9')
      digits++;
    else if (*p != ' ' && *p != '-') {
      field_error(e, "credit_card_number",
                  "may contain only digits, spaces and dashes");
      return NULL;
    }
  }
  if (digits < 12 || digits > 19) {
    field_error(e, "credit_card_number", "must have 12 to 19 digits");
    return NULL;
  }
  if (!luhn_ok(v)) {
    field_error(e, "credit_card_number", "is not a valid card number");
    return NULL;
  }
  return v;
}

/* A plausible e-mail address: local@domain with a dot in the domain, no
 * spaces or controls (the email service is the one to deliver it). */
static const char *email_field(fe_req_t *r, field_errors_t *e) {
  const char *v = text_field(r, e, "email", 254);
  if (!v)
    return NULL;
  const char *at = strchr(v, '@');
  int ok = at && at != v && !strchr(at + 1, '@') && strchr(at + 1, '.') &&
           at[1] != '.' && v[strlen(v) - 1] != '.' && !strpbrk(v, " \t<>\"");
  if (!ok) {
    field_error(e, "email", "must be an e-mail address like name@example.com");
    return NULL;
  }
  return v;
}

void fe_route_checkout(fe_req_t *r) {
  field_errors_t e = {{0}, 0};
  html_init(&e.msg);
  long zip = 0, month = 0, year = 0, cvv = 0;
  r->email = email_field(r, &e);
  r->address.street_address = (char *)text_field(r, &e, "street_address", 512);
  int_field(r, &e, "zip_code", 0, 2147483647L, &zip);
  r->address.city = (char *)text_field(r, &e, "city", 128);
  r->address.state = (char *)text_field(r, &e, "state", 128);
  r->address.country = (char *)text_field(r, &e, "country", 128);
  r->card.credit_card_number = (char *)card_field(r, &e);
  int_field(r, &e, "credit_card_expiration_month", 1, 12, &month);
  int_field(r, &e, "credit_card_expiration_year", 1970, 9999, &year);
  const char *cv = trim(form_get(&r->form, "credit_card_cvv"));
  if (cv && *cv && (strlen(cv) < 3 || strlen(cv) > 4))
    field_error(&e, "credit_card_cvv", "must have 3 or 4 digits");
  else
    int_field(r, &e, "credit_card_cvv", 0, 9999, &cvv);
  if (reject_if_errors(r, &e))
    return;
  r->address.zip_code = (int32_t)zip;
  r->card.credit_card_expiration_month = (int32_t)month;
  r->card.credit_card_expiration_year = (int32_t)year;
  r->card.credit_card_cvv = (int32_t)cvv;

  Hipstershop__PlaceOrderRequest q = HIPSTERSHOP__PLACE_ORDER_REQUEST__INIT;
  q.user_id = r->session;
  q.user_currency = r->currency;
  q.address = &r->address;
  q.email = (char *)r->email;
  q.credit_card = &r->card;
  fe_join_begin(r, order_placed);
  fe_call(r, 0, FE_CHECKOUT, r->fe->checkout_addr,
          "hipstershop.CheckoutService", "PlaceOrder", &q.base,
          &hipstershop__place_order_response__descriptor, &r->order);
  fe_join_end(r);
}

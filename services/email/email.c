/*
 * email.c — emailservice, demo mode: confirmations are rendered and logged,
 * never sent.
 */
#include "email/email.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/money.h"

const char *email_format_price(float f, char *buf, size_t size) {
  if (isnan(f)) {
    snprintf(buf, size, "nan");
    return buf;
  }
  if (isinf(f)) {
    snprintf(buf, size, f < 0 ? "-inf" : "inf");
    return buf;
  }
  /* Shortest mantissa that reads back as |f|. */
  char e[64];
  for (int p = 1; p <= 9; p++) {
    snprintf(e, sizeof e, "%.*e", p - 1, (double)f);
    if (strtof(e, NULL) == f)
      break;
  }
  /* e is "[-]d[.ddd]e[+-]xx": split into sign, digits and exponent. */
  const char *s = e;
  int neg = *s == '-';
  if (neg)
    s++;
  char digits[32];
  size_t nd = 0;
  for (; *s && *s != 'e'; s++)
    if (*s >= '0' && *s <= '9' && nd < sizeof digits - 1)
      digits[nd++] = *s;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';
  int exp = atoi(s + 1);
  char out[96];
  size_t n = 0;
  if (neg)
    out[n++] = '-';
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      n += (size_t)snprintf(out + n, sizeof out - n, "0.");
      for (int i = 0; i < -exp - 1; i++)
        out[n++] = '0';
      n += (size_t)snprintf(out + n, sizeof out - n, "%s", digits);
    } else {
      for (int i = 0; i <= exp; i++)
        out[n++] = (size_t)i < nd ? digits[i] : '0';
      out[n++] = '.';
      if ((size_t)exp + 1 < nd)
        n += (size_t)snprintf(out + n, sizeof out - n, "%s", digits + exp + 1);
      else
        out[n++] = '0';
    }
    out[n] = '\0';
  } else {
    snprintf(out + n, sizeof out - n, "%c%s%s%se%c%02d", digits[0],
             nd > 1 ? "." : "", digits + 1, "", exp < 0 ? '-' : '+',
             exp < 0 ? -exp : exp);
  }
  snprintf(buf, size, "%s", out);
  return buf;
}

/* A growing string. */
typedef struct sbuf {
  char *s;
  size_t n, cap;
  int oom;
} sbuf_t;

static void sb_printf(sbuf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf_t *b, const char *fmt, ...) {
  if (b->oom)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0,
                      fmt, ap);
    va_end(ap);
    if (k < 0) {
      b->oom = 1;
      return;
    }
    if (b->s && b->n + (size_t)k < b->cap) {
      b->n += (size_t)k;
      return;
    }
    size_t cap = (b->cap + (size_t)k + 1) * 2;
    char *ns = realloc(b->s, cap);
    if (!ns) {
      b->oom = 1;
      return;
    }
    b->s = ns;
    b->cap = cap;
  }
}

char *email_render_confirmation(const Hipstershop__OrderResult *order) {
  Hipstershop__OrderResult empty = HIPSTERSHOP__ORDER_RESULT__INIT;
  const Hipstershop__OrderResult *o = order ? order : &empty;
  sbuf_t b = {0};
  char m[96];
  sb_printf(&b, "Your order is complete!\n\n");
  sb_printf(&b, "Order ID: %s\n", o->order_id);
  sb_printf(&b, "Shipping tracking ID: %s\n", o->shipping_tracking_id);
  if (o->shipping_address) {
    const Hipstershop__Address *a = o->shipping_address;
    sb_printf(&b, "Ship to: %s, %s, %s %d, %s\n", a->street_address, a->city,
              a->state, (int)a->zip_code, a->country);
  }
  sb_printf(&b, "\nItems:\n");
  Hipstershop__Money total;
  const char *code = o->shipping_cost ? o->shipping_cost->currency_code : "";
  money_set(&total, code, 0, 0);
  int total_ok = 1;
  if (o->shipping_cost && money_add(&total, o->shipping_cost, &total) != 0)
    total_ok = 0;
  for (size_t i = 0; i < o->n_items; i++) {
    const Hipstershop__OrderItem *it = o->items[i];
    const char *pid = it->item ? it->item->product_id : "";
    int qty = it->item ? (int)it->item->quantity : 0;
    if (it->cost)
      money_format(it->cost, m, sizeof m);
    else
      snprintf(m, sizeof m, "?");
    sb_printf(&b, "  %s  x%d  at %s\n", pid, qty, m);
    Hipstershop__Money line;
    if (!it->cost || qty < 0 ||
        money_mul(it->cost, (uint32_t)qty, &line) != 0 ||
        money_add(&total, &line, &total) != 0)
      total_ok = 0;
  }
  if (o->shipping_cost)
    sb_printf(&b, "\nShipping: %s\n",
              money_format(o->shipping_cost, m, sizeof m));
  sb_printf(&b, "Total: %s\n",
            total_ok ? money_format(&total, m, sizeof m) : "unavailable");
  if (b.oom) {
    free(b.s);
    return NULL;
  }
  return b.s;
}

static void on_send_confirmation(rt_call_t *call, const ProtobufCMessage *msg,
                                 void *user) {
  const Hipstershop__SendOrderConfirmationRequest *req =
      (const Hipstershop__SendOrderConfirmationRequest *)msg;
  rt_t *rt = rt_call_rt(call);
  if (!*req->email) {
    rt_fail(call, RT_INVALID_ARGUMENT, "an e-mail address is required");
    return;
  }
  char *body = email_render_confirmation(req->order);
  if (!body) {
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  rt_log(rt, RT_INFO, "would send order confirmation", "to", req->email,
         "order_id", req->order ? req->order->order_id : "", NULL);
  rt_log(rt, RT_DEBUG, "order confirmation body", "body", body, NULL);
  free(body);
  Hipstershop__Empty resp = HIPSTERSHOP__EMPTY__INIT;
  rt_reply(call, &resp.base);
}

static void on_send_verification(rt_call_t *call, const ProtobufCMessage *msg,
                                 void *user) {
  const Hipstershop__SendVerificationRequest *req =
      (const Hipstershop__SendVerificationRequest *)msg;
  rt_t *rt = rt_call_rt(call);
  if (!*req->email) {
    rt_fail(call, RT_INVALID_ARGUMENT, "an e-mail address is required");
    return;
  }
  char price[48];
  email_format_price(req->price, price, sizeof price);
  size_t len = strlen(req->email) + strlen(req->product_name) + 96;
  char *text = malloc(len);
  if (!text) {
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  snprintf(text, len, "Verification email sent to %s for %s of price %s.",
           req->email, req->product_name, price);
  rt_log(rt, RT_INFO, "would send verification email", "to", req->email,
         "product", req->product_name, "price", price, NULL);
  Hipstershop__SendVerificationResponse resp =
      HIPSTERSHOP__SEND_VERIFICATION_RESPONSE__INIT;
  resp.success = 1;
  resp.message = text;
  rt_reply(call, &resp.base);
  free(text);
}

static const rt_method_t email_methods[] = {
    {"SendOrderConfirmation",
     &hipstershop__send_order_confirmation_request__descriptor,
     &hipstershop__empty__descriptor, on_send_confirmation},
    {"SendVerificationEmail",
     &hipstershop__send_verification_request__descriptor,
     &hipstershop__send_verification_response__descriptor,
     on_send_verification},
};

static const rt_service_def_t email_def = {
    "hipstershop.EmailService", email_methods,
    sizeof email_methods / sizeof *email_methods};

static int email_init(rt_t *rt) { return rt_serve(rt, &email_def, NULL); }

const rt_service_t email_service = {"emailservice", 8080, email_init, NULL};

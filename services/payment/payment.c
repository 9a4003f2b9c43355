/*
 * payment.c — paymentservice. Messages are upstream's, word for word; issuer
 * names are the lowercase ones upstream's card validator reports ("amex").
 */
#include "payment/payment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/svc_uuid.h"
#include "proto/demo.pb-c.h"

typedef struct issuer {
  const char *name;
  const char *prefixes; /* "51-55,2221-2720": prefixes or ranges of them */
  const char *lengths;  /* "13,16,19" or "16-19" */
} issuer_t;

static const issuer_t issuers[] = {
    {"visa", "4", "13,16,19"},
    {"mastercard", "51-55,2221-2720", "16"},
    {"amex", "34,37", "15"},
    {"discover", "6011,644-649,65,622126-622925", "16-19"},
    {"dinersclub", "300-305,36,38,39", "14-19"},
    {"jcb", "3528-3589", "16-19"},
};

/* Is |len| in the comma-separated list of numbers and ranges |spec|? */
static int length_in(size_t len, const char *spec) {
  while (*spec) {
    char *end;
    long lo = strtol(spec, &end, 10), hi = lo;
    if (*end == '-')
      hi = strtol(end + 1, &end, 10);
    if ((long)len >= lo && (long)len <= hi)
      return 1;
    spec = *end == ',' ? end + 1 : end;
  }
  return 0;
}

/* Does |d| start with a prefix in |spec| ("51-55,2221-2720")? A range's
 * ends have the same number of digits. */
static int prefix_in(const char *d, size_t len, const char *spec) {
  while (*spec) {
    size_t n = strcspn(spec, ",");
    const char *dash = memchr(spec, '-', n);
    size_t w = dash ? (size_t)(dash - spec) : n;
    if (len >= w) {
      if (!dash && memcmp(d, spec, w) == 0)
        return 1;
      if (dash && memcmp(d, spec, w) >= 0 && memcmp(d, dash + 1, w) <= 0)
        return 1;
    }
    spec += n;
    if (*spec == ',')
      spec++;
  }
  return 0;
}

static int luhn_ok(const char *d, size_t len) {
  int sum = 0;
  for (size_t i = 0; i < len; i++) {
    int v = d[len - 1 - i] - '0';
    if (i % 2 == 1) {
      v *= 2;
      if (v > 9)
        v -= 9;
    }
    sum += v;
  }
  return sum % 10 == 0;
}

const char *payment_card_type(const char *number) {
  char d[32];
  size_t len = 0;
  for (const char *p = number; *p; p++) {
    if (*p == ' ' || *p == '-')
      continue;
    if (*p < '0' || *p > '9' || len == sizeof d - 1)
      return NULL;
    d[len++] = *p;
  }
  d[len] = '\0';
  if (len < 12 || !luhn_ok(d, len))
    return NULL;
  for (size_t i = 0; i < sizeof issuers / sizeof *issuers; i++)
    if (length_in(len, issuers[i].lengths) &&
        prefix_in(d, len, issuers[i].prefixes))
      return issuers[i].name;
  return NULL;
}

/* The last four characters of |number| once its first '-' is removed, as
 * upstream prints them. */
static void last_four(const char *number, char out[5]) {
  char buf[256];
  size_t n = 0;
  int removed = 0;
  for (const char *p = number; *p && n < sizeof buf - 1; p++) {
    if (*p == '-' && !removed) {
      removed = 1;
      continue;
    }
    buf[n++] = *p;
  }
  size_t start = n > 4 ? n - 4 : 0;
  memcpy(out, buf + start, n - start);
  out[n - start] = '\0';
}

static void on_charge(rt_call_t *call, const ProtobufCMessage *msg,
                      void *user) {
  const Hipstershop__ChargeRequest *req =
      (const Hipstershop__ChargeRequest *)msg;
  rt_t *rt = rt_call_rt(call);
  const Hipstershop__CreditCardInfo *cc = req->credit_card;
  const char *number = cc ? cc->credit_card_number : "";
  const char *type = payment_card_type(number);
  if (!type) {
    rt_fail(call, RT_INVALID_ARGUMENT, "Credit card info is invalid");
    return;
  }
  if (strcmp(type, "visa") != 0 && strcmp(type, "mastercard") != 0) {
    rt_fail(call, RT_INVALID_ARGUMENT,
            "Sorry, we cannot process %s credit cards. Only VISA or "
            "MasterCard is accepted.",
            type);
    return;
  }
  /* The current month, UTC, from the runtime's clock. */
  time_t secs = (time_t)(rt_now(rt) / RT_SEC);
  struct tm tm;
  gmtime_r(&secs, &tm);
  long long now_m = (long long)(tm.tm_year + 1900) * 12 + (tm.tm_mon + 1);
  long long exp_m = (long long)cc->credit_card_expiration_year * 12 +
                    cc->credit_card_expiration_month;
  char last4[5];
  last_four(number, last4);
  if (now_m > exp_m) {
    rt_fail(call, RT_INVALID_ARGUMENT,
            "Your credit card (ending %s) expired on %d/%d", last4,
            (int)cc->credit_card_expiration_month,
            (int)cc->credit_card_expiration_year);
    return;
  }
  char id[SVC_UUID_LEN + 1];
  svc_uuid4(rt, id);
  char amount[64] = "";
  if (req->amount)
    snprintf(amount, sizeof amount, "%s%lld.%d", req->amount->currency_code,
             (long long)req->amount->units, (int)req->amount->nanos);
  rt_log(rt, RT_INFO, "transaction processed", "card_type", type, "ending",
         last4, "amount", amount, "transaction_id", id, NULL);
  Hipstershop__ChargeResponse resp = HIPSTERSHOP__CHARGE_RESPONSE__INIT;
  resp.transaction_id = id;
  rt_reply(call, &resp.base);
}

static const rt_method_t payment_methods[] = {
    {"Charge", &hipstershop__charge_request__descriptor,
     &hipstershop__charge_response__descriptor, on_charge},
};

static const rt_service_def_t payment_def = {
    "hipstershop.PaymentService", payment_methods,
    sizeof payment_methods / sizeof *payment_methods};

static int payment_init(rt_t *rt) { return rt_serve(rt, &payment_def, NULL); }

const rt_service_t payment_service = {"paymentservice", 50051, payment_init,
                                      NULL};

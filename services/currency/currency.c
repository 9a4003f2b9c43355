/*
 * currency.c — currencyservice. Convert reproduces upstream's Node.js
 * arithmetic exactly (IEEE doubles, same operations in the same order), so
 * our answers equal upstream's for every pair of codes; tests/services/
 * check_currency.c verifies that against an independent transcription.
 * Unlike upstream, an unknown code is INVALID_ARGUMENT with a clear message.
 */
#include "currency/currency.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/svc_data.h"
#include "common/svc_json.h"
#include "proto/demo.pb-c.h"

typedef struct currency_state {
  size_t n;
  char **codes;  /* in the data file's order, as upstream's Object.keys */
  double *rates; /* per 1 EUR */
} currency_state_t;

/* JavaScript's x % 1e9 and x % 1 are C's fmod; Math.floor is floor. */
static void js_carry(double *units, double *nanos) {
  const double fraction = 1e9;
  *nanos += fmod(*units, 1) * fraction;
  *units = floor(*units) + floor(*nanos / fraction);
  *nanos = fmod(*nanos, fraction);
}

/* Math.round: the nearest integer, ties toward +infinity. floor(x + 0.5)
 * would be wrong for 0.49999999999999994 and for large odd values. */
static double js_round(double x) {
  if (!isfinite(x))
    return x;
  double r = floor(x);
  return (x - r >= 0.5) ? r + 1 : r;
}

/* protobuf.js Long.fromNumber: NaN is 0, out of range saturates. */
static int64_t js_to_int64(double v) {
  if (isnan(v))
    return 0;
  if (v <= -9223372036854775808.0)
    return INT64_MIN;
  if (v + 1 >= 9223372036854775808.0)
    return INT64_MAX;
  return (int64_t)v;
}

/* protobuf.js int32 fields take value | 0 (ToInt32). */
static int32_t js_to_int32(double v) {
  if (!isfinite(v))
    return 0;
  double m = fmod(trunc(v), 4294967296.0);
  if (m < 0)
    m += 4294967296.0;
  uint32_t u = (uint32_t)m;
  return (int32_t)u;
}

void currency_convert(double from_rate, double to_rate, int64_t units,
                      int32_t nanos, int64_t *out_units, int32_t *out_nanos) {
  /* from -> EUR */
  double eu = (double)units / from_rate;
  double en = (double)nanos / from_rate;
  js_carry(&eu, &en);
  en = js_round(en);
  /* EUR -> to */
  double ru = eu * to_rate;
  double rn = en * to_rate;
  js_carry(&ru, &rn);
  ru = floor(ru);
  rn = floor(rn);
  *out_units = js_to_int64(ru);
  *out_nanos = js_to_int32(rn);
}

static int find_code(const currency_state_t *st, const char *code,
                     double *rate) {
  for (size_t i = 0; i < st->n; i++)
    if (strcmp(st->codes[i], code) == 0) {
      *rate = st->rates[i];
      return 0;
    }
  return -1;
}

static void on_get_supported(rt_call_t *call, const ProtobufCMessage *req,
                             void *user) {
  currency_state_t *st = user;
  Hipstershop__GetSupportedCurrenciesResponse resp =
      HIPSTERSHOP__GET_SUPPORTED_CURRENCIES_RESPONSE__INIT;
  resp.n_currency_codes = st->n;
  resp.currency_codes = st->codes;
  rt_log(rt_call_rt(call), RT_DEBUG, "getting supported currencies", NULL);
  rt_reply(call, &resp.base);
}

static void on_convert(rt_call_t *call, const ProtobufCMessage *msg,
                       void *user) {
  currency_state_t *st = user;
  const Hipstershop__CurrencyConversionRequest *req =
      (const Hipstershop__CurrencyConversionRequest *)msg;
  const char *from_code = req->from ? req->from->currency_code : "";
  double from_rate, to_rate;
  if (!req->from) {
    rt_fail(call, RT_INVALID_ARGUMENT, "missing amount to convert (from)");
    return;
  }
  if (find_code(st, from_code, &from_rate) != 0) {
    rt_fail(call, RT_INVALID_ARGUMENT,
            "unsupported currency code \"%s\" (from.currency_code)",
            from_code);
    return;
  }
  if (find_code(st, req->to_code, &to_rate) != 0) {
    rt_fail(call, RT_INVALID_ARGUMENT,
            "unsupported currency code \"%s\" (to_code)", req->to_code);
    return;
  }
  Hipstershop__Money out = HIPSTERSHOP__MONEY__INIT;
  currency_convert(from_rate, to_rate, req->from->units, req->from->nanos,
                   &out.units, &out.nanos);
  out.currency_code = req->to_code;
  rt_log(rt_call_rt(call), RT_DEBUG, "conversion request successful", "from",
         from_code, "to", req->to_code, NULL);
  rt_reply(call, &out.base);
}

static const rt_method_t currency_methods[] = {
    {"GetSupportedCurrencies", &hipstershop__empty__descriptor,
     &hipstershop__get_supported_currencies_response__descriptor,
     on_get_supported},
    {"Convert", &hipstershop__currency_conversion_request__descriptor,
     &hipstershop__money__descriptor, on_convert},
};

static const rt_service_def_t currency_def = {
    "hipstershop.CurrencyService", currency_methods,
    sizeof currency_methods / sizeof *currency_methods};

static void state_free(currency_state_t *st) {
  if (!st)
    return;
  for (size_t i = 0; i < st->n; i++)
    free(st->codes[i]);
  free(st->codes);
  free(st->rates);
  free(st);
}

/* A rate is a decimal string ("1.1305", upstream's form) or a number. */
static int parse_rate(json_t *v, double *out) {
  double r;
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    char *end;
    if (!*s)
      return -1;
    r = strtod(s, &end);
    if (*end)
      return -1;
  } else if (json_is_number(v)) {
    r = json_number_value(v);
  } else {
    return -1;
  }
  if (!isfinite(r) || r <= 0)
    return -1;
  *out = r;
  return 0;
}

static int currency_init(rt_t *rt) {
  svc_json_doc_t doc;
  if (svc_json_doc_load(rt, &doc, "CURRENCY_DATA_PATH",
                        "currency_conversion.json",
                        svc_data_currency_conversion_json,
                        svc_data_currency_conversion_json_len) != 0)
    return -1;
  if (!json_is_object(doc.root) || json_object_size(doc.root) == 0) {
    svc_json_field_error(rt, &doc, "",
                         "expected an object of currency code -> rate per "
                         "EUR, e.g. {\"EUR\": \"1.0\", \"USD\": \"1.1305\"}");
    svc_json_doc_free(&doc);
    return -1;
  }
  currency_state_t *st = calloc(1, sizeof *st);
  size_t n = json_object_size(doc.root);
  if (st) {
    st->codes = calloc(n, sizeof *st->codes);
    st->rates = calloc(n, sizeof *st->rates);
  }
  if (!st || !st->codes || !st->rates) {
    rt_log(rt, RT_ERROR, "out of memory loading currency data", NULL);
    state_free(st);
    svc_json_doc_free(&doc);
    return -1;
  }
  const char *key;
  json_t *val;
  json_object_foreach(doc.root, key, val) {
    double rate;
    if (!*key || parse_rate(val, &rate) != 0) {
      svc_json_field_error(rt, &doc, key,
                           *key ? "expected a positive rate per EUR, as a "
                                  "decimal string (\"1.1305\") or a number"
                                : "empty currency code");
      state_free(st);
      svc_json_doc_free(&doc);
      return -1;
    }
    st->codes[st->n] = strdup(key);
    st->rates[st->n] = rate;
    if (!st->codes[st->n]) {
      state_free(st);
      svc_json_doc_free(&doc);
      return -1;
    }
    st->n++;
  }
  svc_json_doc_free(&doc);
  if (rt_serve(rt, &currency_def, st) != 0) {
    rt_log(rt, RT_ERROR, "cannot serve hipstershop.CurrencyService", NULL);
    state_free(st);
    return -1;
  }
  rt_set_user(rt, st);
  return 0;
}

static void currency_fini(rt_t *rt) {
  state_free(rt_get_user(rt));
  rt_set_user(rt, NULL);
}

static const char currency_env_help[] =
    "  CURRENCY_DATA_PATH      rates per euro, a JSON file (default: the built-in\n"
    "                          33 ECB rates)\n";

const rt_service_t currency_service = {"currencyservice", 7000, currency_init,
                                       currency_fini, currency_env_help};

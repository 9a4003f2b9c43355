/*
 * check_currency.c — currencyservice: the 33 codes, Convert's results, errors,
 * CURRENCY_DATA_PATH, bad data files, and a differential test of Convert over
 * every ordered pair of codes against upstream's JavaScript arithmetic,
 * transcribed here on its own (not sharing code with the service).
 */
#include <math.h>

#include "check_util.h"
#include "currency/currency.h"

static const char *codes[33] = {
    "EUR", "USD", "JPY", "BGN", "CZK", "DKK", "GBP", "HUF", "PLN",
    "RON", "SEK", "CHF", "ISK", "NOK", "HRK", "RUB", "TRY", "AUD",
    "BRL", "CAD", "CNY", "HKD", "IDR", "ILS", "INR", "KRW", "MXN",
    "MYR", "NZD", "PHP", "SGD", "THB", "ZAR"};
static const char *rate_text[33] = {
    "1.0",    "1.1305", "126.40", "1.9558", "25.592",   "7.4609", "0.85970",
    "315.51", "4.2996", "4.7463", "10.5375", "1.1360",  "136.80", "9.8040",
    "7.4210", "74.4208", "6.1247", "1.6072", "4.2682",  "1.5128", "7.5857",
    "8.8743", "15999.40", "4.0875", "79.4320", "1275.05", "21.7999",
    "4.6289", "1.6679", "59.083", "1.5349", "36.012",  "16.0583"};

/* ---- upstream's convert(), step by step as JavaScript evaluates it ---- */

/* Number % Number: the IEEE remainder with the dividend's sign, computed
 * exactly (ECMA-262 Number::remainder) — what C calls fmod. */
static double js_remainder(double n, double d) { return fmod(n, d); }

/* Math.round: nearest integer, ties toward +Infinity. C's round() breaks
 * ties away from zero, so a negative tie is moved up by one. */
static double js_math_round(double x) {
  double r = round(x);
  if (x < 0 && r - x == -0.5)
    r += 1;
  return r;
}

typedef struct {
  double units, nanos;
} js_amount;

/* _carry(amount) */
static js_amount js_carry(js_amount a) {
  double fractionSize = pow(10, 9);
  a.nanos = a.nanos + js_remainder(a.units, 1) * fractionSize;
  a.units = floor(a.units) + floor(a.nanos / fractionSize);
  a.nanos = js_remainder(a.nanos, fractionSize);
  return a;
}

/* Long.fromValue(number) as protobuf.js encodes an int64 field. */
static int64_t js_long(double v) {
  if (v != v)
    return 0;
  if (v >= 0x1p63)
    return INT64_MAX;
  if (v <= -0x1p63)
    return INT64_MIN;
  return (int64_t)v;
}

static void reference(const char *from_rate_s, const char *to_rate_s,
                      int64_t units, int32_t nanos, int64_t *ou, int32_t *on) {
  /* data[code] is a string; division converts it with ToNumber, which is
   * correctly rounded, as strtod is. units arrives as a decimal string
   * (longs: String) and ToNumber rounds it to the nearest double. */
  char ubuf[32];
  snprintf(ubuf, sizeof ubuf, "%lld", (long long)units);
  double from_units = strtod(ubuf, NULL);
  double from_rate = strtod(from_rate_s, NULL);
  double to_rate = strtod(to_rate_s, NULL);
  js_amount euros = js_carry(
      (js_amount){from_units / from_rate, (double)nanos / from_rate});
  euros.nanos = js_math_round(euros.nanos);
  js_amount result =
      js_carry((js_amount){euros.units * to_rate, euros.nanos * to_rate});
  result.units = floor(result.units);
  result.nanos = floor(result.nanos);
  *ou = js_long(result.units);
  *on = (int32_t)result.nanos; /* |nanos| < 1e9 here */
}

/* ---- tests ---- */

static rt_status_t st;
static const char *msg;

static Hipstershop__Money *convert(rt_test_t *t, const char *from, int64_t u,
                                   int32_t n, const char *to) {
  Hipstershop__Money m = HIPSTERSHOP__MONEY__INIT;
  m.currency_code = (char *)from;
  m.units = u;
  m.nanos = n;
  Hipstershop__CurrencyConversionRequest req =
      HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
  req.from = &m;
  req.to_code = (char *)to;
  Hipstershop__Money *out = NULL;
  CALL(t, "CurrencyService", "Convert", &req.base,
       &hipstershop__money__descriptor, 0, &st, &msg, &out);
  return out;
}

START_TEST(test_supported) {
  rt_test_t *t = rt_test_new(&currency_service, NULL, 1);
  ck_assert_ptr_nonnull(t);
  Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
  Hipstershop__GetSupportedCurrenciesResponse *r = NULL;
  CALL(t, "CurrencyService", "GetSupportedCurrencies", &e.base,
       &hipstershop__get_supported_currencies_response__descriptor, 0, &st,
       &msg, &r);
  ck_assert_int_eq(st, RT_OK);
  ck_assert_uint_eq(r->n_currency_codes, 33);
  for (size_t i = 0; i < 33; i++)
    ck_assert_str_eq(r->currency_codes[i], codes[i]);
  rt_msg_free(&r->base);
  rt_test_free(t);
}
END_TEST

START_TEST(test_convert_examples) {
  rt_test_t *t = rt_test_new(&currency_service, NULL, 1);
  Hipstershop__Money *m = convert(t, "USD", 19, 990000000, "EUR");
  ck_assert_int_eq(st, RT_OK);
  /* 19.99 / 1.1305 = 17.6824413976... */
  ck_assert_str_eq(m->currency_code, "EUR");
  ck_assert_int_eq(m->units, 17);
  ck_assert_int_eq(m->nanos, 682441398); /* nanos rounded before x1.0 */
  rt_msg_free(&m->base);
  m = convert(t, "EUR", 1, 0, "JPY");
  ck_assert(m->units == 126 && m->nanos == 400000000);
  rt_msg_free(&m->base);
  m = convert(t, "EUR", 0, 0, "USD");
  ck_assert(m->units == 0 && m->nanos == 0);
  rt_msg_free(&m->base);

  ck_assert_ptr_null(convert(t, "XXX", 1, 0, "USD"));
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_str_eq(msg,
                   "unsupported currency code \"XXX\" (from.currency_code)");
  ck_assert_ptr_null(convert(t, "USD", 1, 0, "usd"));
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  ck_assert_str_eq(msg, "unsupported currency code \"usd\" (to_code)");
  Hipstershop__CurrencyConversionRequest req =
      HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
  req.to_code = (char *)"USD";
  Hipstershop__Money *out = NULL;
  CALL(t, "CurrencyService", "Convert", &req.base,
       &hipstershop__money__descriptor, 0, &st, &msg, &out);
  ck_assert_int_eq(st, RT_INVALID_ARGUMENT);
  rt_test_free(t);
}
END_TEST

/* xorshift for amounts: the test's own randomness, fixed seed. */
static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return rs;
}

#define AMOUNTS 2000

static void amount(int k, int64_t *u, int32_t *n) {
  switch (k) {
  case 0: *u = 0; *n = 0; return;
  case 1: *u = 0; *n = 1; return;
  case 2: *u = 1; *n = 0; return;
  case 3: *u = 0; *n = 999999999; return;
  case 4: *u = 9007199254740993LL; *n = 5; return; /* 2^53 + 1 */
  case 5: *u = INT64_MAX; *n = 999999999; return;  /* saturates */
  case 6: *u = -19; *n = -990000000; return;
  case 7: *u = 0; *n = -1; return;
  default: break;
  }
  uint64_t r = rnd();
  int kind = (int)(r % 8);
  switch (kind) {
  case 0: *u = (int64_t)(rnd() % 1000); break;
  case 1: *u = (int64_t)(rnd() % 1000000); break;
  case 2: *u = (int64_t)(rnd() % 1000000000000ull); break;
  case 3: *u = (int64_t)(rnd() % 1000000000000000000ull); break;
  case 4: *u = 0; break;
  case 5: *u = -(int64_t)(rnd() % 100000); break;
  default: *u = (int64_t)(rnd() % 200); break;
  }
  int nk = (int)((r >> 8) % 4);
  *n = nk == 0 ? (int32_t)(rnd() % 10)                     /* tiny */
       : nk == 1 ? (int32_t)(rnd() % 100) * 10000000       /* cents */
                 : (int32_t)(rnd() % 1000000000);
  if (*u < 0 || (*u == 0 && kind == 5))
    *n = -*n;
}

START_TEST(test_differential) {
  rt_test_t *t = rt_test_new(&currency_service, NULL, 1);
  long checked = 0;
  for (int f = 0; f < 33; f++)
    for (int g = 0; g < 33; g++, rt_test_log_clear(t))
      for (int k = 0; k < AMOUNTS; k++) {
        int64_t u, eu;
        int32_t n, en;
        amount(k, &u, &n);
        reference(rate_text[f], rate_text[g], u, n, &eu, &en);
        /* Plain ifs: each ck_assert costs Check a write(2). */
        Hipstershop__Money from = HIPSTERSHOP__MONEY__INIT;
        from.currency_code = (char *)codes[f];
        from.units = u;
        from.nanos = n;
        Hipstershop__CurrencyConversionRequest req =
            HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
        req.from = &from;
        req.to_code = (char *)codes[g];
        Hipstershop__Money *m = NULL;
        if (rt_test_call(t, "CurrencyService", "Convert", &req.base,
                         &hipstershop__money__descriptor, 0, &st, &msg,
                         (ProtobufCMessage **)&m) != 0 ||
            st != RT_OK)
          ck_abort_msg("Convert failed: %s", msg);
        if (m->units != eu || m->nanos != en || strcmp(m->currency_code,
                                                       codes[g]) != 0)
          ck_abort_msg("%s %lld.%09d -> %s: got %lld/%d, upstream %lld/%d",
                       codes[f], (long long)u, (int)n, codes[g],
                       (long long)m->units, (int)m->nanos, (long long)eu,
                       (int)en);
        rt_msg_free(&m->base);
        checked++;
      }
  ck_assert_int_eq(checked, 33L * 33 * AMOUNTS);
  fprintf(stderr, "currency: %ld conversions equal upstream's arithmetic\n",
          checked);
  rt_test_free(t);
}
END_TEST

START_TEST(test_data_path) {
  char path[256];
  check_write_tmp("rates", "{\"EUR\": \"1.0\", \"XTS\": 2}", path,
                  sizeof path);
  char env0[300];
  snprintf(env0, sizeof env0, "CURRENCY_DATA_PATH=%s", path);
  const char *env[] = {env0, NULL};
  rt_test_t *t = rt_test_new(&currency_service, env, 1);
  ck_assert_ptr_nonnull(t);
  Hipstershop__Money *m = convert(t, "EUR", 3, 0, "XTS");
  ck_assert(m->units == 6 && m->nanos == 0);
  rt_msg_free(&m->base);
  ck_assert_ptr_null(convert(t, "USD", 3, 0, "XTS"));
  rt_test_free(t);

  /* Syntax error: file, line and column. */
  check_write_tmp("rates", "{\n  \"EUR\": \"1.0\",\n  \"USD\" \"1.1\"\n}",
                  path, sizeof path);
  snprintf(env0, sizeof env0, "CURRENCY_DATA_PATH=%s", path);
  ck_assert_ptr_null(rt_test_new(&currency_service, env, 1));
  const char *e = rt_test_last_init_error();
  ck_assert_msg(strstr(e, "CURRENCY_DATA_PATH=") == e, "%s", e);
  char where[300];
  snprintf(where, sizeof where, "%s:3:", path);
  ck_assert_msg(strstr(e, where) != NULL, "%s", e);
  unlink(path);

  /* Bad value: the field and its line. */
  check_write_tmp("rates", "{\n  \"EUR\": \"1.0\",\n  \"USD\": \"abc\"\n}",
                  path, sizeof path);
  snprintf(env0, sizeof env0, "CURRENCY_DATA_PATH=%s", path);
  ck_assert_ptr_null(rt_test_new(&currency_service, env, 1));
  e = rt_test_last_init_error();
  snprintf(where, sizeof where, "%s:3:10: field USD: expected a positive rate",
           path);
  ck_assert_msg(strstr(e, where) != NULL, "%s", e);
  unlink(path);

  /* Missing file. */
  const char *env2[] = {"CURRENCY_DATA_PATH=/nonexistent/rates.json", NULL};
  ck_assert_ptr_null(rt_test_new(&currency_service, env2, 1));
  ck_assert_ptr_nonnull(
      strstr(rt_test_last_init_error(), "cannot open /nonexistent/rates.json"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("currency");
  TCase *tc = tcase_create("currency");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_supported);
  tcase_add_test(tc, test_convert_examples);
  tcase_add_test(tc, test_differential);
  tcase_add_test(tc, test_data_path);
  suite_add_tcase(s, tc);
  return check_run(s);
}

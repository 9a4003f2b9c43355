/*
 * check_common.c — services/common/: Money arithmetic (upstream checkout's
 * rules), UUIDv4, Go durations, JSON loading and field location.
 */
#include <math.h>

#include "check_util.h"
#include "common/money.h"
#include "common/svc_duration.h"
#include "common/svc_json.h"
#include "common/svc_uuid.h"

static Hipstershop__Money M(const char *c, int64_t u, int32_t n) {
  Hipstershop__Money m;
  money_set(&m, c, u, n);
  return m;
}

START_TEST(test_money_valid) {
  Hipstershop__Money m = M("USD", 1, 5);
  ck_assert(money_valid(&m));
  m = M("USD", -1, -5);
  ck_assert(money_valid(&m));
  m = M("USD", 0, -5);
  ck_assert(money_valid(&m));
  m = M("USD", 1, -5);
  ck_assert(!money_valid(&m));
  m = M("USD", 0, 1000000000);
  ck_assert(!money_valid(&m));
  m = M("USD", 0, -999999999);
  ck_assert(money_valid(&m));
  m = M("USD", 0, 0);
  ck_assert(money_is_zero(&m));
  ck_assert(!money_is_positive(&m) && !money_is_negative(&m));
  m = M("USD", 0, 1);
  ck_assert(money_is_positive(&m));
  money_negate(&m, &m);
  ck_assert(money_is_negative(&m));
  ck_assert_int_eq(m.nanos, -1);
  Hipstershop__Money a = M("USD", 1, 0), b = M("EUR", 1, 0), c = M("", 0, 0);
  ck_assert(!money_same_currency(&a, &b));
  ck_assert(!money_same_currency(&c, &c));
  ck_assert(money_same_currency(&a, &a));
  ck_assert(money_equal(&a, &a) && !money_equal(&a, &b));
}
END_TEST

START_TEST(test_money_add) {
  Hipstershop__Money r, a, b;
  /* Same sign: carry. */
  a = M("USD", 1, 600000000), b = M("USD", 2, 500000000);
  ck_assert_int_eq(money_add(&a, &b, &r), 0);
  ck_assert_int_eq(r.units, 4);
  ck_assert_int_eq(r.nanos, 100000000);
  ck_assert_str_eq(r.currency_code, "USD");
  a = M("USD", -1, -600000000), b = M("USD", -2, -500000000);
  ck_assert_int_eq(money_add(&a, &b, &r), 0);
  ck_assert_int_eq(r.units, -4);
  ck_assert_int_eq(r.nanos, -100000000);
  /* Different signs: borrow (upstream's cases). */
  a = M("USD", 5, 100000000), b = M("USD", -3, -900000000);
  ck_assert_int_eq(money_add(&a, &b, &r), 0);
  ck_assert_int_eq(r.units, 1);
  ck_assert_int_eq(r.nanos, 200000000);
  a = M("USD", -5, -100000000), b = M("USD", 3, 900000000);
  ck_assert_int_eq(money_add(&a, &b, &r), 0);
  ck_assert_int_eq(r.units, -1);
  ck_assert_int_eq(r.nanos, -200000000);
  /* Units cancel: the result stays valid (upstream's would not). */
  a = M("USD", 1, 300000000), b = M("USD", -1, -100000000);
  ck_assert_int_eq(money_add(&a, &b, &r), 0);
  ck_assert_int_eq(r.units, 0);
  ck_assert_int_eq(r.nanos, 200000000);
  a = M("USD", 0, 3), b = M("USD", 0, 2);
  ck_assert_int_eq(money_add(&a, &b, &r), 0);
  ck_assert(r.units == 0 && r.nanos == 5);
  a = M("USD", 0, 999999999), b = M("USD", 0, 1);
  ck_assert_int_eq(money_add(&a, &b, &r), 0);
  ck_assert(r.units == 1 && r.nanos == 0);
  /* Errors leave |out| alone. */
  r = M("X", 7, 7);
  a = M("USD", 1, -1);
  ck_assert_int_eq(money_add(&a, &b, &r), MONEY_EINVAL);
  a = M("EUR", 1, 0);
  ck_assert_int_eq(money_add(&a, &b, &r), MONEY_ECURRENCY);
  a = M("USD", INT64_MAX, 0), b = M("USD", 1, 0);
  ck_assert_int_eq(money_add(&a, &b, &r), MONEY_ERANGE);
  ck_assert(r.units == 7 && r.nanos == 7);
  ck_assert_str_eq(money_strerror(MONEY_ECURRENCY),
                   "mismatching currency codes");
}
END_TEST

START_TEST(test_money_mul) {
  Hipstershop__Money r, a = M("USD", 8, 990000000);
  ck_assert_int_eq(money_mul(&a, 3, &r), 0);
  ck_assert(r.units == 26 && r.nanos == 970000000);
  ck_assert_int_eq(money_mul(&a, 1, &r), 0);
  ck_assert(money_equal(&r, &a));
  ck_assert_int_eq(money_mul(&a, 0, &r), 0);
  ck_assert(money_is_zero(&r));
  a = M("USD", -1, -500000000);
  ck_assert_int_eq(money_mul(&a, 3, &r), 0);
  ck_assert(r.units == -4 && r.nanos == -500000000);
  /* Same as adding n times. */
  a = M("EUR", 12, 345678901);
  Hipstershop__Money s = M("EUR", 0, 0);
  for (int i = 0; i < 97; i++)
    ck_assert_int_eq(money_add(&s, &a, &s), 0);
  ck_assert_int_eq(money_mul(&a, 97, &r), 0);
  ck_assert(money_equal(&r, &s));
  a = M("USD", INT64_MAX / 2, 0);
  ck_assert_int_eq(money_mul(&a, 3, &r), MONEY_ERANGE);
  char buf[64];
  a = M("USD", 8, 990000000);
  ck_assert_str_eq(money_format(&a, buf, sizeof buf), "8.99 USD");
  a = M("EUR", -1, -500000000);
  ck_assert_str_eq(money_format(&a, buf, sizeof buf), "-1.50 EUR");
  a = M("EUR", 0, -5000000);
  ck_assert_str_eq(money_format(&a, buf, sizeof buf), "-0.00 EUR");
}
END_TEST

static int fake_init(rt_t *rt) { return 0; }
static const rt_service_t fake = {"fake", 1, fake_init, NULL};

START_TEST(test_uuid) {
  rt_test_t *t = rt_test_new(&fake, NULL, 7), *u = rt_test_new(&fake, NULL, 7);
  char a[SVC_UUID_LEN + 1], b[SVC_UUID_LEN + 1];
  for (int i = 0; i < 100; i++) {
    svc_uuid4(rt_test_rt(t), a);
    svc_uuid4(rt_test_rt(u), b);
    ck_assert_str_eq(a, b);
    ck_assert_uint_eq(strlen(a), 36);
    for (int k = 0; k < 36; k++) {
      if (k == 8 || k == 13 || k == 18 || k == 23)
        ck_assert_int_eq(a[k], '-');
      else
        ck_assert(strchr("0123456789abcdef", a[k]) != NULL);
    }
    ck_assert_int_eq(a[14], '4');
    ck_assert(strchr("89ab", a[19]) != NULL);
  }
  svc_uuid4(rt_test_rt(t), b);
  ck_assert_str_ne(a, b);
  rt_test_free(t);
  rt_test_free(u);
}
END_TEST

START_TEST(test_duration) {
  static const struct {
    const char *s;
    rt_time_t ns;
  } ok[] = {
      {"0", 0},
      {"5.5s", 5500 * RT_MSEC},
      {"200ms", 200 * RT_MSEC},
      {"1h30m", 5400 * RT_SEC},
      {"1.5us", 1500},
      {"3\xc2\xb5s", 3000},
      {"10ns", 10},
      {"-2s", -2 * RT_SEC},
      {"+1m", 60 * RT_SEC},
      {".5s", 500 * RT_MSEC},
      {"1s500ms", 1500 * RT_MSEC},
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    rt_time_t v = -1;
    const char *why = NULL;
    ck_assert_msg(svc_duration_parse(ok[i].s, &v, &why) == 0, "%s: %s",
                  ok[i].s, why);
    ck_assert_int_eq(v, ok[i].ns);
  }
  const char *bad[] = {"", "5", "fast", "5x", "1.s5", "s", ".s", "-",
                       "99999999999h"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    rt_time_t v;
    const char *why = NULL;
    ck_assert_msg(svc_duration_parse(bad[i], &v, &why) == -1, "%s", bad[i]);
    ck_assert_ptr_nonnull(why);
  }
}
END_TEST

START_TEST(test_json) {
  const char *text = "{\n  \"a\": [1, {\"b\": \"x\"},\n    {\"c\": {\"d\": 5}}],\n"
                     "  \"e\": true\n}\n";
  int line, col;
  ck_assert_int_eq(svc_json_locate(text, strlen(text), "a[2].c.d", &line, &col),
                   4);
  ck_assert_int_eq(line, 3);
  ck_assert_int_eq(col, 17);
  ck_assert_int_eq(svc_json_locate(text, strlen(text), "e", &line, &col), 1);
  ck_assert(line == 4 && col == 8);
  /* Missing members: the nearest parent. */
  ck_assert_int_eq(svc_json_locate(text, strlen(text), "a[1].zz", &line, &col),
                   2);
  ck_assert(line == 2 && col == 12);
  ck_assert_int_eq(svc_json_locate(text, strlen(text), "a[9]", &line, &col), 1);

  svc_json_doc_t doc;
  char err[512], msg[512];
  ck_assert_int_eq(svc_json_doc_parse(&doc, "x.json", text, strlen(text), err,
                                      sizeof err),
                   0);
  svc_json_field_message(&doc, "a[2].c.d", "expected a string", msg,
                         sizeof msg);
  ck_assert_str_eq(msg, "x.json:3:17: field a[2].c.d: expected a string");
  svc_json_doc_free(&doc);

  const char *broken = "{\n  \"a\": 1,\n  \"b\": ]\n}";
  ck_assert_int_eq(svc_json_doc_parse(&doc, "y.json", broken, strlen(broken),
                                      err, sizeof err),
                   -1);
  ck_assert_msg(strncmp(err, "y.json:3:", 9) == 0, "%s", err);
}
END_TEST

int main(void) {
  Suite *s = suite_create("common");
  TCase *tc = tcase_create("common");
  tcase_add_test(tc, test_money_valid);
  tcase_add_test(tc, test_money_add);
  tcase_add_test(tc, test_money_mul);
  tcase_add_test(tc, test_uuid);
  tcase_add_test(tc, test_duration);
  tcase_add_test(tc, test_json);
  suite_add_tcase(s, tc);
  return check_run(s);
}

/*
 * check_web.c — the web helpers in services/common/: the urlencoded form
 * parser (decoding, limits, errors), the Cookie parser and Set-Cookie
 * builder, and the HTML builder's escaping.
 */
#include <check.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#include "common/cookie.h"
#include "common/form.h"
#include "common/html.h"

static int parse(form_t *f, const char *s) {
  return form_parse(f, s, strlen(s), NULL);
}

START_TEST(test_form_basic) {
  form_t f;
  ck_assert_int_eq(parse(&f, "product_id=OLJCESPC7Z&quantity=3&email="
                             "a%40b.com&name=J+Doe%21&flag&&=x"),
                   0);
  ck_assert_uint_eq(f.n_fields, 6);
  ck_assert_str_eq(form_get(&f, "product_id"), "OLJCESPC7Z");
  ck_assert_str_eq(form_get(&f, "quantity"), "3");
  ck_assert_str_eq(form_get(&f, "email"), "a@b.com");
  ck_assert_str_eq(form_get(&f, "name"), "J Doe!");
  ck_assert_str_eq(form_get(&f, "flag"), "");
  ck_assert_str_eq(form_get(&f, ""), "x");
  ck_assert_ptr_null(form_get(&f, "missing"));
  form_free(&f);
  /* Repeated names: the first wins; '=' in a value stays. */
  ck_assert_int_eq(parse(&f, "a=1&a=2&b=x=y%3D"), 0);
  ck_assert_str_eq(form_get(&f, "a"), "1");
  ck_assert_str_eq(form_get(&f, "b"), "x=y=");
  form_free(&f);
  /* Empty input and only separators. */
  ck_assert_int_eq(parse(&f, ""), 0);
  ck_assert_uint_eq(f.n_fields, 0);
  form_free(&f);
  ck_assert_int_eq(parse(&f, "&&&"), 0);
  ck_assert_uint_eq(f.n_fields, 0);
  form_free(&f);
  /* Not NUL-terminated input. */
  const char buf[] = {'k', '=', 'v', 'X'};
  ck_assert_int_eq(form_parse(&f, buf, 3, NULL), 0);
  ck_assert_str_eq(form_get(&f, "k"), "v");
  form_free(&f);
  /* UTF-8 through escapes. */
  ck_assert_int_eq(parse(&f, "c=%E2%82%AC"), 0);
  ck_assert_str_eq(form_get(&f, "c"), "\xE2\x82\xAC");
  form_free(&f);
}
END_TEST

START_TEST(test_form_errors) {
  form_t f;
  ck_assert_int_eq(parse(&f, "a=%zz"), FORM_EESCAPE);
  ck_assert_ptr_null(f.fields);
  form_free(&f);
  ck_assert_int_eq(parse(&f, "a=%4"), FORM_EESCAPE);
  ck_assert_int_eq(parse(&f, "a=%"), FORM_EESCAPE);
  ck_assert_int_eq(parse(&f, "a%2=1"), FORM_EESCAPE);
  ck_assert_int_eq(parse(&f, "a=x%00y"), FORM_ENUL);
  /* Limits. */
  form_limits_t lim = {2, 4, 5};
  ck_assert_int_eq(form_parse(&f, "a=1&b=2", 7, &lim), 0);
  form_free(&f);
  ck_assert_int_eq(form_parse(&f, "a=1&b=2&c=3", 11, &lim), FORM_ETOOMANY);
  ck_assert_int_eq(form_parse(&f, "abcde=1", 7, &lim), FORM_ETOOLONG);
  ck_assert_int_eq(form_parse(&f, "a=123456", 8, &lim), FORM_ETOOLONG);
  /* A decoded length counts, not the encoded one. */
  ck_assert_int_eq(form_parse(&f, "a=%41%41%41%41%41", 17, &lim), 0);
  ck_assert_str_eq(form_get(&f, "a"), "AAAAA");
  form_free(&f);
  /* The error table. */
  ck_assert_str_eq(form_strerror(FORM_ETOOMANY), "too many form fields");
  ck_assert_str_eq(form_err_name(FORM_EESCAPE), "FORM_EESCAPE");
  ck_assert_str_eq(form_err_name(-99), "FORM_UNKNOWN");
  ck_assert_str_eq(form_strerror(0), "ok");
  /* A huge number of separators is cheap and bounded. */
  size_t n = 1 << 20;
  char *big = malloc(n);
  memset(big, '&', n);
  big[0] = 'a';
  ck_assert_int_eq(form_parse(&f, big, n, NULL), 0);
  ck_assert_uint_eq(f.n_fields, 1);
  form_free(&f);
  for (size_t i = 0; i < n; i += 2)
    big[i] = 'a';
  ck_assert_int_eq(form_parse(&f, big, n, NULL), FORM_ETOOMANY);
  free(big);
}
END_TEST

START_TEST(test_cookie_parse) {
  const char *v;
  size_t n;
  const char *h = "shop_currency=EUR; shop_session-id=\"abc-123\";"
                  "  spaced = yes ;novalue; =empty; last=";
  ck_assert(cookie_find(h, "shop_currency", &v, &n));
  ck_assert_int_eq((int)n, 3);
  ck_assert(strncmp(v, "EUR", n) == 0);
  ck_assert(cookie_find(h, "shop_session-id", &v, &n));
  ck_assert(n == 7 && strncmp(v, "abc-123", n) == 0);
  ck_assert(cookie_find(h, "spaced", &v, &n));
  ck_assert(n == 3 && strncmp(v, "yes", n) == 0);
  ck_assert(cookie_find(h, "last", &v, &n));
  ck_assert_uint_eq(n, 0);
  ck_assert(!cookie_find(h, "novalue", &v, &n));
  ck_assert(!cookie_find(h, "shop", &v, &n));
  ck_assert(!cookie_find(NULL, "a", &v, &n));
  ck_assert(!cookie_find("", "a", &v, &n));
  /* The first of two wins. */
  ck_assert(cookie_find("a=1; a=2", "a", &v, &n) && *v == '1');
  /* The iterator sees each well-formed pair once. */
  cookie_iter_t it;
  const char *nm;
  size_t nl;
  int count = 0;
  cookie_iter_init(&it, h);
  while (cookie_next(&it, &nm, &nl, &v, &n))
    count++;
  ck_assert_int_eq(count, 4);
}
END_TEST

START_TEST(test_cookie_build) {
  char buf[256];
  cookie_attrs_t a = {1, 172800, "/", NULL, 1, 0, COOKIE_SAME_SITE_LAX};
  int n = cookie_build(buf, sizeof buf, "shop_session-id",
                       "0b5b1f1e-2f4a-4c1e-9a55-4a0f8f3b8c11", &a);
  ck_assert_int_gt(n, 0);
  ck_assert_str_eq(buf, "shop_session-id=0b5b1f1e-2f4a-4c1e-9a55-4a0f8f3b8c11"
                        "; Path=/; Max-Age=172800; HttpOnly; SameSite=Lax");
  ck_assert_int_eq(n, (int)strlen(buf));
  /* Deleting: Max-Age=0, empty value. */
  a.max_age = -1;
  ck_assert_int_gt(cookie_build(buf, sizeof buf, "c", "", &a), 0);
  ck_assert_str_eq(buf, "c=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  ck_assert_int_gt(cookie_build(buf, sizeof buf, "c", "v", NULL), 0);
  ck_assert_str_eq(buf, "c=v");
  cookie_attrs_t s = {0, 0, NULL, "example.com", 0, 1,
                      COOKIE_SAME_SITE_STRICT};
  ck_assert_int_gt(cookie_build(buf, sizeof buf, "c", "v", &s), 0);
  ck_assert_str_eq(buf, "c=v; Domain=example.com; Secure; SameSite=Strict");
  /* Smuggling is refused. */
  ck_assert_int_eq(cookie_build(buf, sizeof buf, "c", "v\r\nX: y", NULL),
                   COOKIE_EINVAL);
  ck_assert_str_eq(buf, "");
  ck_assert_int_eq(cookie_build(buf, sizeof buf, "c", "a;b", NULL),
                   COOKIE_EINVAL);
  ck_assert_int_eq(cookie_build(buf, sizeof buf, "c", "a b", NULL),
                   COOKIE_EINVAL);
  ck_assert_int_eq(cookie_build(buf, sizeof buf, "a=b", "v", NULL),
                   COOKIE_EINVAL);
  ck_assert_int_eq(cookie_build(buf, sizeof buf, "", "v", NULL),
                   COOKIE_EINVAL);
  cookie_attrs_t bad = {0, 0, "/;x", NULL, 0, 0, 0};
  ck_assert_int_eq(cookie_build(buf, sizeof buf, "c", "v", &bad),
                   COOKIE_EINVAL);
  ck_assert_int_eq(cookie_build(buf, 4, "c", "value", NULL), COOKIE_ENOSPC);
  ck_assert_str_eq(buf, "");
}
END_TEST

static char *text_of(const char *s) {
  html_buf_t b;
  html_init(&b);
  html_text(&b, s);
  return html_take(&b, NULL);
}

START_TEST(test_html) {
  char *t = text_of("<script>alert('x') & \"y\"</script>");
  ck_assert_str_eq(t, "&lt;script&gt;alert(&#39;x&#39;) &amp; "
                      "&quot;y&quot;&lt;/script&gt;");
  free(t);
  /* Valid UTF-8 passes; broken bytes and controls become U+FFFD. */
  t = text_of("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  ck_assert_str_eq(t, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  free(t);
  t = text_of("a\xC3(b\x01" "c\x7F\xED\xA0\x80\xC0\xAF\tz\n");
  ck_assert_str_eq(t, "a\xEF\xBF\xBD(b\xEF\xBF\xBD" "c\xEF\xBF\xBD"
                      "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                      "\xEF\xBF\xBD\xEF\xBF\xBD\tz\n");
  free(t);
  html_buf_t b;
  html_init(&b);
  html_raw(&b, "<a href=\"/product/");
  html_url_component(&b, "A B/\"<x>?&=%");
  html_raw(&b, "\">");
  html_printf(&b, "%d-%s", 42, "ok");
  html_text(&b, NULL);
  html_raw(&b, NULL);
  html_textn(&b, "<<", 1);
  ck_assert(!html_failed(&b));
  size_t n;
  t = html_take(&b, &n);
  ck_assert_str_eq(t, "<a href=\"/product/A%20B%2F%22%3Cx%3E%3F%26%3D%25\">"
                      "42-ok&lt;");
  ck_assert_uint_eq(n, strlen(t));
  free(t);
  /* An untouched buffer gives "", a long printf grows the buffer. */
  html_init(&b);
  t = html_take(&b, &n);
  ck_assert_str_eq(t, "");
  free(t);
  char big[3000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  html_init(&b);
  html_printf(&b, "[%s]", big);
  t = html_take(&b, &n);
  ck_assert_uint_eq(n, sizeof big + 1);
  free(t);
  /* Past HTML_MAX_BYTES the buffer fails, and stays failed. */
  html_init(&b);
  char *huge = malloc(HTML_MAX_BYTES / 2 + 1);
  memset(huge, 'a', HTML_MAX_BYTES / 2);
  huge[HTML_MAX_BYTES / 2] = 0;
  html_raw(&b, huge);
  html_raw(&b, huge);
  html_raw(&b, "x");
  ck_assert(html_failed(&b));
  html_raw(&b, "y");
  ck_assert_ptr_null(html_take(&b, &n));
  ck_assert_uint_eq(n, 0);
  free(huge);
}
END_TEST

/* html_printf formats the common conversions itself and the rest with
 * vsnprintf: byte for byte what snprintf writes, either way. */
#define CHECK_PRINTF(...)                                   \
  do {                                                      \
    char want[512];                                         \
    snprintf(want, sizeof want, __VA_ARGS__);               \
    html_buf_t hb;                                          \
    html_init(&hb);                                         \
    html_printf(&hb, __VA_ARGS__);                          \
    char *got = html_take(&hb, NULL);                       \
    ck_assert_ptr_nonnull(got);                             \
    ck_assert_str_eq(got, want);                            \
    free(got);                                              \
  } while (0)

START_TEST(test_html_printf_conversions) {
  CHECK_PRINTF("plain, no conversion");
  CHECK_PRINTF("100%% sure");
  CHECK_PRINTF("<option value=\"%s\"%s>%s</option>", "EUR", " selected",
               "EUR");
  CHECK_PRINTF("%d|%d|%d|%i", 0, -1, 2147483647, -2147483647 - 1);
  CHECK_PRINTF("%ld|%lld|%llu|%lu", -9000000000L, -9223372036854775807LL - 1,
               18446744073709551615ULL, 42UL);
  CHECK_PRINTF("%u|%zu|%c%c", 4294967295u, (size_t)12345, 'o', 'k');
  CHECK_PRINTF("%02d|%02ld|%05d|%03d|%2d|%5d|%1d", 7, 9L, -42, 1234, 3, -17,
               55);
  CHECK_PRINTF("%llu.%02ld", 12ULL, 5L);
  /* Not ours: vsnprintf's. */
  CHECK_PRINTF("%5s|%-4d|%x|%.2f|%zd", "ab", 7, 255u, 1.5, (ssize_t)-3);
}
END_TEST

int main(void) {
  Suite *s = suite_create("web");
  TCase *tc = tcase_create("web");
  tcase_add_test(tc, test_form_basic);
  tcase_add_test(tc, test_form_errors);
  tcase_add_test(tc, test_cookie_parse);
  tcase_add_test(tc, test_cookie_build);
  tcase_add_test(tc, test_html);
  tcase_add_test(tc, test_html_printf_conversions);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

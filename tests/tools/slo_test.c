/* tests/tools/slo_test.c: unit tests of tools/slo.c, the SLO expressions
 * of `meshsim capacity` (Check, fork mode). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "slo.h"

static slo_t must_parse(const char *text)
{
	slo_t s;
	char err[256] = "";
	int rc = slo_parse(text, &s, err, sizeof err);
	ck_assert_msg(rc == 0, "'%s' refused: %s", text, err);
	return s;
}

/* |text| is refused and the message contains |want| and the text. */
static void must_refuse(const char *text, const char *want)
{
	slo_t s = {(slo_term_t *)1, 7};
	char err[256] = "";
	int rc = slo_parse(text, &s, err, sizeof err);
	ck_assert_msg(rc == -1, "'%s' was accepted", text);
	ck_assert_ptr_null(s.terms);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_msg(strstr(err, want), "'%s': message '%s' lacks '%s'", text,
	              err, want);
	char quoted[128];
	snprintf(quoted, sizeof quoted, "SLO '%s'", text);
	ck_assert_msg(!strncmp(err, quoted, strlen(quoted)),
	              "message '%s' does not name the text", err);
}

START_TEST(test_units_and_ops)
{
	slo_t s = must_parse("p99<300ms");
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(s.terms[0].metric, SLO_P99);
	ck_assert_int_eq(s.terms[0].inclusive, 0);
	ck_assert_double_eq(s.terms[0].limit, 300);
	ck_assert_str_eq(s.terms[0].route, "");
	ck_assert_str_eq(s.terms[0].text, "p99<300ms");
	slo_free(&s);

	s = must_parse("p95<=0.5s");
	ck_assert_int_eq(s.terms[0].metric, SLO_P95);
	ck_assert_int_eq(s.terms[0].inclusive, 1);
	ck_assert_double_eq(s.terms[0].limit, 500);
	ck_assert_str_eq(s.terms[0].text, "p95<=0.5s");
	slo_free(&s);

	s = must_parse(" p50 < 250 us ");
	ck_assert_int_eq(s.terms[0].metric, SLO_P50);
	ck_assert_double_eq_tol(s.terms[0].limit, 0.25, 1e-12);
	slo_free(&s);
}
END_TEST

START_TEST(test_several_terms_and_routes)
{
	slo_t s = must_parse("p99<300ms, errors<1%,GET /cart:p95<=200ms,"
	                     "max<2s,mean<50ms");
	ck_assert_uint_eq(s.n, 5);
	ck_assert_int_eq(s.terms[1].metric, SLO_ERRORS);
	ck_assert_double_eq_tol(s.terms[1].limit, 0.01, 1e-12);
	ck_assert_str_eq(s.terms[1].text, "errors<1%");
	ck_assert_str_eq(s.terms[2].route, "GET /cart");
	ck_assert_str_eq(s.terms[2].text, "GET /cart:p95<=200ms");
	ck_assert_int_eq(s.terms[3].metric, SLO_MAX);
	ck_assert_int_eq(s.terms[4].metric, SLO_MEAN);
	slo_free(&s);
	s = must_parse("errors<=0%");
	ck_assert_double_eq(s.terms[0].limit, 0);
	slo_free(&s);
}
END_TEST

START_TEST(test_refusals)
{
	must_refuse("", "empty");
	must_refuse("   ", "empty");
	must_refuse("p99<300", "needs a unit");
	must_refuse("p99<300 min", "unknown unit 'min'");
	must_refuse("p90<300ms", "unknown metric 'p90'");
	must_refuse("<300ms", "expected a metric");
	must_refuse("p99>300ms", "lower bound");
	must_refuse("p99=300ms", "cannot hold");
	must_refuse("p99 300ms", "expected '<' or '<='");
	must_refuse("p99<ms", "expected a number");
	must_refuse("p99<0ms", "can never hold");
	must_refuse("p99<-5ms", "expected a number");
	must_refuse("errors<1", "needs '%'");
	must_refuse("errors<1ms", "needs '%'");
	must_refuse("errors<0%", "can never hold");
	must_refuse("errors<101%", "more than 100%");
	must_refuse("p99<300ms,", "empty term");
	must_refuse("p99<300ms,,errors<1%", "empty term");
	must_refuse(":p99<300ms", "nothing before ':'");
	/* The bad term is named, not only the whole text. */
	slo_t s;
	char err[256];
	ck_assert_int_eq(slo_parse("p99<300ms,p95<2x", &s, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "term 'p95<2x'"), "%s", err);
	/* errsize 0: no write. */
	ck_assert_int_eq(slo_parse("bad", &s, NULL, 0), -1);
}
END_TEST

START_TEST(test_judging)
{
	slo_t s = must_parse("p99<300ms,GET /cart:p95<=200ms,errors<1%");
	slo_figures_t f = {.route = "GET /", .requests = 1000, .errors = 9,
	                   .p50_ms = 10, .p95_ms = 200, .p99_ms = 300};
	/* p99 300 is not below 300. */
	ck_assert_double_eq(slo_term_value(&s.terms[0], &f), 300);
	ck_assert_int_eq(slo_term_holds(&s.terms[0], 300), 0);
	ck_assert_int_eq(slo_term_holds(&s.terms[0], 299.9), 1);
	ck_assert_double_eq(slo_term_ratio(&s.terms[0], 150), 0.5);
	/* The route term only applies to its route; 200 meets <=200. */
	ck_assert_int_eq(slo_term_applies(&s.terms[1], &f), 0);
	f.route = "GET /cart";
	ck_assert_int_eq(slo_term_applies(&s.terms[1], &f), 1);
	ck_assert_int_eq(slo_term_holds(&s.terms[1],
	                                slo_term_value(&s.terms[1], &f)), 1);
	/* 9 errors in 1000: 0.9 % < 1 %; 10 would not be. */
	ck_assert_int_eq(slo_term_holds(&s.terms[2],
	                                slo_term_value(&s.terms[2], &f)), 1);
	f.errors = 10;
	ck_assert_int_eq(slo_term_holds(&s.terms[2],
	                                slo_term_value(&s.terms[2], &f)), 0);
	f.requests = 0;
	ck_assert_double_eq(slo_term_value(&s.terms[2], &f), 0);
	char buf[32];
	ck_assert_str_eq(slo_format_value(&s.terms[2], 0.0125, buf, sizeof buf),
	                 "1.25%");
	ck_assert_str_eq(slo_format_value(&s.terms[0], 312.44, buf, sizeof buf),
	                 "312.4 ms");
	slo_free(&s);
	s = must_parse("errors<=0%");
	ck_assert_int_eq(slo_term_holds(&s.terms[0], 0), 1);
	ck_assert_int_eq(slo_term_holds(&s.terms[0], 0.001), 0);
	ck_assert_double_eq(slo_term_ratio(&s.terms[0], 0), 0);
	ck_assert(slo_term_ratio(&s.terms[0], 0.001) > 1);
	slo_free(&s);
}
END_TEST

static Suite *slo_suite(void)
{
	Suite *s = suite_create("slo");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_units_and_ops);
	tcase_add_test(tc, test_several_terms_and_routes);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_judging);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(slo_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* tests/sim/slo_test.c: unit tests of sim/report/slo.c (Check, fork mode):
 * the expression syntax shared by `meshsim run --slo` and `meshsim capacity
 * --slo`, the values of a scenario's slo: entries, strict and inclusive
 * bounds, no requests failing, and the table and JSON. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slo.h"

static void expr_err(const char *expr, const char *want)
{
	slo_bound_t b[4];
	size_t n = 99;
	char err[256] = "";
	ck_assert_int_eq(slo_parse_expr(expr, b, 4, &n, err, sizeof err), -1);
	ck_assert_msg(strcmp(err, want) == 0, "%s:\ngot  \"%s\"\nwant \"%s\"",
	              expr, err, want);
}

START_TEST(test_expr)
{
	slo_bound_t b[8];
	size_t n = 0;
	char err[256] = "";
	ck_assert_int_eq(slo_parse_expr("p99<300ms,errors<1%", b, 8, &n, err,
	                                sizeof err),
	                 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(b[0].metric, SLO_P99);
	ck_assert_int_eq(b[0].strict, 1);
	ck_assert_double_eq(b[0].limit, 300);
	ck_assert_int_eq(b[1].metric, SLO_ERRORS);
	ck_assert_int_eq(b[1].strict, 1);
	ck_assert_double_eq(b[1].limit, 1);

	ck_assert_int_eq(slo_parse_expr(" p50 <= 0.5s , success>=99.5% ,"
	                                "max<250us,p95<2ms,mean<=10ms",
	                                b, 8, &n, err, sizeof err),
	                 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(b[0].metric, SLO_P50);
	ck_assert_int_eq(b[0].strict, 0);
	ck_assert_double_eq(b[0].limit, 500);
	ck_assert_int_eq(b[1].metric, SLO_SUCCESS);
	ck_assert_int_eq(b[1].strict, 0);
	ck_assert_double_eq(b[1].limit, 99.5);
	ck_assert_int_eq(b[2].metric, SLO_MAX);
	ck_assert_double_eq_tol(b[2].limit, 0.25, 1e-12);
	ck_assert_int_eq(b[3].metric, SLO_P95);
	ck_assert_int_eq(b[4].metric, SLO_MEAN);

	expr_err("", "an empty objective: expected e.g. p99<300ms,errors<1%");
	expr_err("p99<300ms,", "an empty objective (in \"\")");
	expr_err("p99<300", "\"p99<300\": \"300\" needs a unit: us, ms or s");
	expr_err("p99>300ms",
	         "\"p99>300ms\": p99 is an upper bound: use < or <=");
	expr_err("success<99%",
	         "\"success<99%\": success is a lower bound: use > or >=");
	expr_err("p98<1s", "\"p98<1s\": no figure \"p98\" (p50, p95, p99, max, "
	                   "mean, errors, success)");
	expr_err("errors<1", "\"errors<1\": \"1\" is not a percentage (write it "
	                     "with %: 1%)");
	expr_err("errors<150%", "\"errors<150%\": \"150%\" is more than 100%");
	expr_err("p99=1s", "\"p99=1s\": expected <, <=, > or >= after p99");
	expr_err("p99", "\"p99\": expected FIGURE<VALUE, e.g. p99<300ms");
	expr_err("p99<fast",
	         "\"p99<fast\": \"fast\" is not a duration (300ms)");
	expr_err("p99<-1ms", "\"p99<-1ms\": \"-1ms\" is negative");
	expr_err("p50<1s,p95<1s,p99<1s,max<1s,mean<1s",
	         "more than 4 objectives");
}
END_TEST

START_TEST(test_values)
{
	double v;
	char why[128];
	ck_assert_int_eq(slo_parse_value(SLO_P99, "500ms", &v, why, sizeof why),
	                 0);
	ck_assert_double_eq(v, 500);
	ck_assert_int_eq(slo_parse_value(SLO_P99, "1.5s", &v, why, sizeof why),
	                 0);
	ck_assert_double_eq(v, 1500);
	ck_assert_int_eq(slo_parse_value(SLO_ERRORS, "0%", &v, why, sizeof why),
	                 0);
	ck_assert_double_eq(v, 0);
	ck_assert_int_eq(slo_parse_value(SLO_P99, "1 s", &v, why, sizeof why),
	                 -1);
	ck_assert_int_eq(slo_parse_value(SLO_P99, "", &v, why, sizeof why), -1);
	ck_assert_int_eq(slo_parse_value(SLO_ERRORS, "1ms", &v, why, sizeof why),
	                 -1);
	ck_assert_int_eq(slo_metric_find("p95"), SLO_P95);
	ck_assert_int_eq(slo_metric_find("P95"), -1);
	ck_assert_str_eq(slo_metric_name(SLO_SUCCESS), "success");
	ck_assert_ptr_null(slo_metric_name(SLO_N_METRICS));
}
END_TEST

static const slo_figures_t figs = {
    .requests = 200, .errors = 2, .p50_ms = 3, .p95_ms = 8,
    .p99_ms = 300, .max_ms = 400, .mean_ms = 4,
};

static int holds(const char *expr, const slo_figures_t *f)
{
	slo_assert_t a = {0};
	size_t n;
	char err[128];
	ck_assert_int_eq(slo_parse_expr(expr, &a.bound, 1, &n, err, sizeof err),
	                 0);
	slo_result_t r;
	int pass = slo_eval(&a, f, &r);
	ck_assert_int_eq(pass, r.pass);
	ck_assert_uint_eq(r.requests, f->requests);
	return pass;
}

START_TEST(test_eval)
{
	/* Strict and inclusive at the limit. */
	ck_assert_int_eq(holds("p99<300ms", &figs), 0);
	ck_assert_int_eq(holds("p99<=300ms", &figs), 1);
	ck_assert_int_eq(holds("p99<=0.3s", &figs), 1);
	ck_assert_int_eq(holds("p99<=299ms", &figs), 0);
	ck_assert_int_eq(holds("p50<3.5ms", &figs), 1);
	ck_assert_int_eq(holds("p95<8ms", &figs), 0);
	ck_assert_int_eq(holds("max<401ms", &figs), 1);
	ck_assert_int_eq(holds("mean<4ms", &figs), 0);
	/* 2 of 200 failed: 1 % errors, 99 % success. */
	ck_assert_int_eq(holds("errors<=1%", &figs), 1);
	ck_assert_int_eq(holds("errors<1%", &figs), 0);
	ck_assert_int_eq(holds("success>=99%", &figs), 1);
	ck_assert_int_eq(holds("success>99%", &figs), 0);
	ck_assert_double_eq(slo_measure(SLO_ERRORS, &figs), 1);
	ck_assert_double_eq(slo_measure(SLO_SUCCESS, &figs), 99);
	/* Nothing measured: nothing shown, even for bounds that 0 meets. */
	slo_figures_t none = {0};
	ck_assert_int_eq(holds("errors<=100%", &none), 0);
	ck_assert_int_eq(holds("p99<1s", &none), 0);
}
END_TEST

START_TEST(test_write)
{
	slo_assert_t a[3] = {
	    {SLO_SCOPE_ALL, NULL, {SLO_P99, 0, 500}, 3},
	    {SLO_SCOPE_WORKLOAD, (char *)"frontend-canary", {SLO_SUCCESS, 0, 99}, 5},
	    {SLO_SCOPE_ROUTE, (char *)"GET \"x\"", {SLO_ERRORS, 1, 0.5}, 0},
	};
	slo_result_t r[3];
	slo_eval(&a[0], &figs, &r[0]);
	slo_eval(&a[1], &figs, &r[1]);
	slo_figures_t none = {0};
	slo_eval(&a[2], &none, &r[2]);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(slo_write_text(f, a, r, 3), 0);
	fclose(f);
	ck_assert_msg(strstr(buf, "all routes") &&
	                  strstr(buf, "p99 <= 500ms") &&
	                  strstr(buf, "300.00 ms") && strstr(buf, "PASS\n"),
	              "%s", buf);
	ck_assert_msg(strstr(buf, "workload frontend-canary") &&
	                  strstr(buf, "success >= 99%") &&
	                  strstr(buf, "99.00 %"),
	              "%s", buf);
	ck_assert_msg(strstr(buf, "errors < 0.5%") &&
	                  strstr(buf, "no requests") && strstr(buf, "FAIL\n"),
	              "%s", buf);
	ck_assert_msg(strstr(buf, "slo: 2 of 3 passed: FAIL\n"), "%s", buf);
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(slo_write_json(f, a, r, 3, 4), 0);
	fclose(f);
	const char *want =
	    "[\n"
	    "    {\"scope\": \"all\", \"metric\": \"p99\", \"op\": \"<=\", "
	    "\"limit\": 500, \"unit\": \"ms\", \"measured\": 300.000, "
	    "\"requests\": 200, \"pass\": true},\n"
	    "    {\"scope\": \"workload\", \"name\": \"frontend-canary\", "
	    "\"metric\": \"success\", \"op\": \">=\", \"limit\": 99, "
	    "\"unit\": \"%\", \"measured\": 99.000, \"requests\": 200, "
	    "\"pass\": true},\n"
	    "    {\"scope\": \"route\", \"name\": \"GET \\\"x\\\"\", "
	    "\"metric\": \"errors\", \"op\": \"<\", \"limit\": 0.5, "
	    "\"unit\": \"%\", \"measured\": null, \"requests\": 0, "
	    "\"pass\": false}\n"
	    "  ]";
	ck_assert_msg(strcmp(buf, want) == 0, "got\n%s\nwant\n%s", buf, want);
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(slo_write_json(f, a, r, 0, 4), 0);
	fclose(f);
	ck_assert_str_eq(buf, "[]");
	free(buf);
}
END_TEST

static Suite *slo_suite(void)
{
	Suite *s = suite_create("slo");
	TCase *tc = tcase_create("slo");
	tcase_add_test(tc, test_expr);
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_eval);
	tcase_add_test(tc, test_write);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(slo_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

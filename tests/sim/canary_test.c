/* tests/sim/canary_test.c: unit tests of sim/report/canary.c (Check, fork
 * mode): Flagger's analysis from figures to weights: start at stepWeight,
 * advance per passing check, cap at maxWeight, promote; failed checks
 * (bad success, slow p99, no requests) counted over the analysis, rollback
 * at the threshold; nothing after the end; the text and the JSON. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canary.h"

#define S_NS 1000000000LL

static const canary_cfg_t flagger = {60 * S_NS, 10, 50, 5, 99, 500};

static slo_figures_t fig(uint64_t n, uint64_t errors, double p99)
{
	slo_figures_t f = {0};
	f.requests = n;
	f.errors = errors;
	f.p99_ms = p99;
	return f;
}

static const slo_figures_t good = {1000, 5, 10, 20, 30, 40, 15};

START_TEST(test_promotes)
{
	canary_t c;
	ck_assert_int_eq(canary_init(&c, &flagger), 0);
	ck_assert_ptr_null(canary_check(&c, 0, &good)); /* not started */
	const canary_step_t *s = canary_start(&c, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->verdict, CANARY_START);
	ck_assert_int_eq(s->weight, 10);
	ck_assert_ptr_null(canary_start(&c, 0)); /* once */
	int want[] = {20, 30, 40, 50};
	for (int i = 0; i < 4; i++) {
		s = canary_check(&c, (i + 1) * 60 * S_NS, &good);
		ck_assert_int_eq(s->verdict, CANARY_ADVANCE);
		ck_assert_int_eq(s->weight_before, want[i] - 10);
		ck_assert_int_eq(s->weight, want[i]);
		ck_assert_double_eq(s->success, 99.5);
	}
	ck_assert_int_eq(c.result, CANARY_IN_PROGRESS);
	s = canary_check(&c, 300 * S_NS, &good);
	ck_assert_int_eq(s->verdict, CANARY_PROMOTE);
	ck_assert_int_eq(s->weight, 100);
	ck_assert_int_eq(c.result, CANARY_PROMOTED);
	ck_assert_int_eq(c.weight, 100);
	ck_assert_uint_eq(c.n_steps, 6);
	ck_assert_ptr_null(canary_check(&c, 360 * S_NS, &good)); /* over */
	canary_free(&c);
}
END_TEST

START_TEST(test_cap_at_max)
{
	canary_cfg_t cfg = flagger;
	cfg.step_weight = 20;
	cfg.max_weight = 50;
	canary_t c;
	ck_assert_int_eq(canary_init(&c, &cfg), 0);
	canary_start(&c, 0);
	ck_assert_int_eq(canary_check(&c, 1, &good)->weight, 40);
	ck_assert_int_eq(canary_check(&c, 2, &good)->weight, 50);
	ck_assert_int_eq(canary_check(&c, 3, &good)->verdict, CANARY_PROMOTE);
	canary_free(&c);
}
END_TEST

START_TEST(test_failed_checks_and_rollback)
{
	canary_t c;
	canary_cfg_t cfg = flagger;
	cfg.threshold = 3;
	ck_assert_int_eq(canary_init(&c, &cfg), 0);
	canary_start(&c, 0);
	/* 98.9 % success: fails; the weight stays. */
	slo_figures_t f = fig(1000, 11, 10);
	const canary_step_t *s = canary_check(&c, 1, &f);
	ck_assert_int_eq(s->verdict, CANARY_FAILED);
	ck_assert_int_eq(s->weight, 10);
	ck_assert_int_eq(s->failed_checks, 1);
	/* A pass in between does not reset the count (Flagger's
	 * failedChecks). Exactly at the bounds passes. */
	f = fig(1000, 10, 500);
	s = canary_check(&c, 2, &f);
	ck_assert_int_eq(s->verdict, CANARY_ADVANCE);
	ck_assert_int_eq(s->weight, 20);
	ck_assert_int_eq(s->failed_checks, 1);
	/* p99 over 500 ms fails. */
	f = fig(1000, 0, 500.5);
	s = canary_check(&c, 3, &f);
	ck_assert_int_eq(s->verdict, CANARY_FAILED);
	ck_assert_int_eq(s->weight, 20);
	/* No requests fails too: the third one rolls back. */
	f = fig(0, 0, 0);
	s = canary_check(&c, 4, &f);
	ck_assert_int_eq(s->verdict, CANARY_ROLLBACK);
	ck_assert_int_eq(s->weight_before, 20);
	ck_assert_int_eq(s->weight, 0);
	ck_assert_int_eq(s->failed_checks, 3);
	ck_assert_int_eq(c.result, CANARY_ROLLED_BACK);
	ck_assert_ptr_null(canary_check(&c, 5, &good));
	canary_free(&c);
}
END_TEST

START_TEST(test_bad_config)
{
	canary_t c;
	canary_cfg_t cfg = flagger;
	cfg.max_weight = 5;
	ck_assert_int_eq(canary_init(&c, &cfg), -1);
	cfg = flagger;
	cfg.step_weight = 0;
	ck_assert_int_eq(canary_init(&c, &cfg), -1);
	cfg = flagger;
	cfg.threshold = 0;
	ck_assert_int_eq(canary_init(&c, &cfg), -1);
	cfg = flagger;
	cfg.interval_ns = 0;
	ck_assert_int_eq(canary_init(&c, &cfg), -1);
	cfg = flagger;
	cfg.max_weight = 101;
	ck_assert_int_eq(canary_init(&c, &cfg), -1);
}
END_TEST

START_TEST(test_text_and_json)
{
	canary_t c;
	canary_cfg_t cfg = flagger;
	cfg.threshold = 2;
	canary_init(&c, &cfg);
	char buf[256];
	canary_step_format(&c, canary_start(&c, 10 * S_NS), buf, sizeof buf);
	ck_assert_str_eq(buf, "weight 0 -> 10: pods ready: start");
	slo_figures_t f = fig(200, 1, 12.34);
	canary_step_format(&c, canary_check(&c, 70 * S_NS, &f), buf,
	                   sizeof buf);
	ck_assert_str_eq(buf, "weight 10 -> 20: success 99.50 % (>= 99 %), p99 "
	                      "12.3 ms (<= 500 ms), 200 requests: advance");
	f = fig(0, 0, 0);
	canary_step_format(&c, canary_check(&c, 130 * S_NS, &f), buf,
	                   sizeof buf);
	ck_assert_str_eq(buf, "weight 20 -> 20: no requests: failed (1 of 2)");
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	ck_assert_int_eq(canary_write_json(m, &c, 10 * S_NS, 2), 0);
	fclose(m);
	ck_assert_str_eq(
	    out,
	    "{\"result\": \"in_progress\", \"weight\": 20, \"failed_checks\": 1, "
	    "\"interval_s\": 60.000, \"step_weight\": 10, \"max_weight\": 50, "
	    "\"threshold\": 2, \"success_min\": 99, \"p99_max_ms\": 500, "
	    "\"steps\": [\n"
	    "    {\"at_seconds\": 0.000, \"verdict\": \"start\", "
	    "\"weight_before\": 0, \"weight\": 10, \"requests\": 0, "
	    "\"success\": 0.0000, \"p99_ms\": 0.000, \"failed_checks\": 0},\n"
	    "    {\"at_seconds\": 60.000, \"verdict\": \"advance\", "
	    "\"weight_before\": 10, \"weight\": 20, \"requests\": 200, "
	    "\"success\": 99.5000, \"p99_ms\": 12.340, \"failed_checks\": 0},\n"
	    "    {\"at_seconds\": 120.000, \"verdict\": \"failed\", "
	    "\"weight_before\": 20, \"weight\": 20, \"requests\": 0, "
	    "\"success\": 0.0000, \"p99_ms\": 0.000, \"failed_checks\": 1}\n"
	    "  ]}");
	free(out);
	ck_assert_str_eq(canary_result_name(CANARY_ROLLED_BACK), "rolled_back");
	ck_assert_ptr_null(canary_verdict_name((canary_verdict_t)9));
	canary_free(&c);
}
END_TEST

static Suite *canary_suite(void)
{
	Suite *s = suite_create("canary");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_promotes);
	tcase_add_test(tc, test_cap_at_max);
	tcase_add_test(tc, test_failed_checks_and_rollback);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_text_and_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(canary_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

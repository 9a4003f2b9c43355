/* tests/sim/rng_test.c: unit tests of sim/des/rng.c (Check, fork mode).
 * Every statistical test uses a fixed seed, so it is deterministic; the
 * tolerances are several standard errors wide besides. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define N 1000000

START_TEST(test_reference_vector)
{
	/* xoshiro256** from a known state: the first outputs of the
	 * reference implementation (s = {1, 2, 3, 4}). */
	des_rng_t r = {{1, 2, 3, 4}, 0, 0};
	ck_assert_uint_eq(des_rng_u64(&r), 11520ULL);
	ck_assert_uint_eq(des_rng_u64(&r), 0ULL);
	ck_assert_uint_eq(des_rng_u64(&r), 1509978240ULL);
	ck_assert_uint_eq(des_rng_u64(&r), 1215971899390074240ULL);
}
END_TEST

START_TEST(test_same_seed_same_sequence)
{
	des_rng_t a, b, c;
	des_rng_stream(&a, 7, "cart");
	des_rng_stream(&b, 7, "cart");
	des_rng_stream(&c, 8, "cart");
	int differ = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = des_rng_u64(&a);
		ck_assert_uint_eq(x, des_rng_u64(&b));
		differ += x != des_rng_u64(&c);
	}
	ck_assert_int_gt(differ, 990);
}
END_TEST

START_TEST(test_stream_independence)
{
	/* The "cart" stream draws the same numbers whether or not other
	 * streams were created, and in whatever order. */
	uint64_t alone[100], crowded[100];
	des_rng_t cart;
	des_rng_stream(&cart, 99, "cart");
	for (int i = 0; i < 100; i++)
		alone[i] = des_rng_u64(&cart);

	des_rng_t others[3], cart2;
	des_rng_stream(&others[0], 99, "frontend");
	des_rng_substream(&others[1], 99, "checkout", 3);
	des_rng_stream(&cart2, 99, "cart");
	des_rng_stream(&others[2], 99, "payment");
	for (int i = 0; i < 100; i++) {
		for (int k = 0; k < 3; k++)
			des_rng_u64(&others[k]);
		crowded[i] = des_rng_u64(&cart2);
	}
	ck_assert_int_eq(memcmp(alone, crowded, sizeof alone), 0);

	/* Distinct names and family members give distinct streams. */
	des_rng_t x, y, z, w;
	des_rng_stream(&x, 99, "cart");
	des_rng_stream(&y, 99, "carts");
	des_rng_substream(&z, 99, "cart", 0);
	des_rng_substream(&w, 99, "cart", 1);
	uint64_t vx = des_rng_u64(&x), vy = des_rng_u64(&y);
	uint64_t vz = des_rng_u64(&z), vw = des_rng_u64(&w);
	ck_assert(vx != vy && vx != vz && vx != vw && vy != vz && vz != vw);
	ck_assert_uint_eq(des_rng_hash(""), 0xcbf29ce484222325ULL);
	ck_assert_uint_eq(des_rng_hash("a"), 0xaf63dc4c8601ec8cULL);
}
END_TEST

START_TEST(test_uniform)
{
	des_rng_t r;
	des_rng_stream(&r, 1, "uniform");
	double sum = 0, sum2 = 0;
	int bins[10] = {0};
	for (int i = 0; i < N; i++) {
		double u = des_rng_uniform(&r);
		ck_assert(u >= 0.0 && u < 1.0);
		sum += u;
		sum2 += u * u;
		bins[(int)(u * 10)]++;
	}
	double mean = sum / N, var = sum2 / N - mean * mean;
	ck_assert_double_eq_tol(mean, 0.5, 0.005);     /* se 0.0003 */
	ck_assert_double_eq_tol(var, 1.0 / 12, 0.002);
	for (int b = 0; b < 10; b++)
		ck_assert_int_lt(abs(bins[b] - N / 10), 2000); /* se 300 */
}
END_TEST

START_TEST(test_below_unbiased)
{
	des_rng_t r;
	des_rng_stream(&r, 2, "below");
	ck_assert_uint_eq(des_rng_below(&r, 0), 0);
	ck_assert_uint_eq(des_rng_below(&r, 1), 0);
	/* n = 3: a modulo reduction of 64 bits is biased by 2^-63, too
	 * little to see; the check is range and equal frequencies. */
	int cnt[7] = {0};
	for (int i = 0; i < N; i++) {
		uint64_t x = des_rng_below(&r, 7);
		ck_assert_uint_lt(x, 7);
		cnt[x]++;
	}
	for (int k = 0; k < 7; k++)
		ck_assert_int_lt(abs(cnt[k] - N / 7), 2500); /* se 350 */
	/* A huge n just above 2^63 takes the rejection path about half the
	 * time; x >= 2^62 about half the time too. */
	uint64_t n = (1ULL << 63) + 12345;
	int high = 0;
	for (int i = 0; i < 100000; i++) {
		uint64_t x = des_rng_below(&r, n);
		ck_assert_uint_lt(x, n);
		high += x >= (1ULL << 62);
	}
	ck_assert_int_lt(abs(high - 50000), 1500); /* se 158 */
}
END_TEST

START_TEST(test_exponential)
{
	des_rng_t r;
	des_rng_stream(&r, 3, "exp");
	double sum = 0, sum2 = 0, mean = 250.0;
	for (int i = 0; i < N; i++) {
		double x = des_rng_exp(&r, mean);
		ck_assert(x >= 0 && isfinite(x));
		sum += x;
		sum2 += x * x;
	}
	double m = sum / N, sd = sqrt(sum2 / N - m * m);
	ck_assert_double_eq_tol(m, mean, mean * 0.01);  /* se 0.1% */
	ck_assert_double_eq_tol(sd, mean, mean * 0.02);
	int64_t tot = 0;
	for (int i = 0; i < N; i++) {
		int64_t ns = des_rng_exp_ns(&r, 1000.0);
		ck_assert_int_ge(ns, 0);
		tot += ns;
	}
	ck_assert_double_eq_tol((double)tot / N, 1000.0, 10.0);
}
END_TEST

START_TEST(test_normal_lognormal)
{
	des_rng_t r;
	des_rng_stream(&r, 4, "normal");
	double sum = 0, sum2 = 0;
	int within1 = 0;
	for (int i = 0; i < N; i++) {
		double x = des_rng_normal(&r, 10.0, 2.0);
		sum += x;
		sum2 += x * x;
		within1 += fabs(x - 10.0) < 2.0;
	}
	double m = sum / N, sd = sqrt(sum2 / N - m * m);
	ck_assert_double_eq_tol(m, 10.0, 0.02);   /* se 0.002 */
	ck_assert_double_eq_tol(sd, 2.0, 0.02);
	ck_assert_double_eq_tol((double)within1 / N, 0.6827, 0.005);

	/* A service time of mean 5 ms, sd 2 ms. */
	double mu, sigma;
	des_rng_lognormal_params(5.0, 2.0, &mu, &sigma);
	sum = sum2 = 0;
	for (int i = 0; i < N; i++) {
		double x = des_rng_lognormal(&r, mu, sigma);
		ck_assert(x > 0);
		sum += x;
		sum2 += x * x;
	}
	m = sum / N;
	sd = sqrt(sum2 / N - m * m);
	ck_assert_double_eq_tol(m, 5.0, 0.05);
	ck_assert_double_eq_tol(sd, 2.0, 0.1);
}
END_TEST

static Suite *rng_suite(void)
{
	Suite *s = suite_create("rng");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_reference_vector);
	tcase_add_test(tc, test_same_seed_same_sequence);
	tcase_add_test(tc, test_stream_independence);
	tcase_add_test(tc, test_uniform);
	tcase_add_test(tc, test_below_unbiased);
	tcase_add_test(tc, test_exponential);
	tcase_add_test(tc, test_normal_lognormal);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rng_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

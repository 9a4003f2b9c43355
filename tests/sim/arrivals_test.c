/* tests/sim/arrivals_test.c: unit tests of sim/load/arrivals.c (Check, fork
 * mode): rate profiles, the arrival processes' counts and spacing with a
 * fixed seed (tolerances of several standard deviations), route names,
 * and the driver against a stand-in frontend on the virtual runtime: the
 * route mix, checkout sessions, the stop. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arrivals.h"

/* ---- profiles ------------------------------------------------------------ */

static const ld_point_t ramp[] = {{0, 0, 0}, {DES_S(100), 200, 1}};
static const ld_point_t spike[] = {
    {0, 10, 0}, {DES_S(10), 1000, 0}, {DES_S(15), 10, 0}};

START_TEST(test_profile_rate_and_integral)
{
	ck_assert_double_eq_tol(ld_profile_rate(ramp, 2, DES_S(50)), 100, 1e-9);
	ck_assert_double_eq_tol(ld_profile_rate(ramp, 2, DES_S(150)), 200, 1e-9);
	ck_assert_double_eq_tol(ld_profile_integral(ramp, 2, DES_S(100)),
	                        10000, 1e-6);
	ck_assert_double_eq_tol(ld_profile_integral(ramp, 2, DES_S(110)),
	                        12000, 1e-6);
	ck_assert_double_eq_tol(ld_profile_rate(spike, 3, DES_S(12)), 1000,
	                        1e-9);
	ck_assert_double_eq_tol(ld_profile_rate(spike, 3, DES_S(15)), 10, 1e-9);
	ck_assert_double_eq_tol(ld_profile_integral(spike, 3, DES_S(20)),
	                        100 + 5000 + 50, 1e-6);
	/* Before the first point the rate is 0. */
	ld_point_t late = {DES_S(5), 7, 0};
	ck_assert_double_eq(ld_profile_rate(&late, 1, DES_S(4)), 0);
	ck_assert_double_eq_tol(ld_profile_integral(&late, 1, DES_S(6)), 7,
	                        1e-9);
}
END_TEST

START_TEST(test_profile_check)
{
	char err[128];
	ld_point_t bad_order[] = {{DES_S(2), 1, 0}, {DES_S(1), 1, 0}};
	ld_point_t bad_rate = {0, -1, 0};
	ck_assert_int_eq(ld_profile_check(bad_order, 2, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "point 2"));
	ck_assert_int_eq(ld_profile_check(&bad_rate, 1, err, sizeof err), -1);
	ck_assert_int_eq(ld_profile_check(NULL, 0, err, sizeof err), -1);
	ck_assert_int_eq(ld_profile_check(ramp, 2, err, sizeof err), 0);
}
END_TEST

/* Arrivals of |p| in [0, until), counted per |bin| ns into |bins| (may be
 * NULL); returns the total. */
static uint64_t count(const ld_point_t *p, size_t n, int det, des_time_t until,
                      des_time_t bin, uint64_t *bins, size_t nbins,
                      double *cv)
{
	ld_arrivals_t a;
	des_rng_t r;
	des_rng_stream(&r, 12345, "load/arrivals");
	ck_assert_int_eq(ld_arrivals_init(&a, p, n, det, &r), 0);
	uint64_t k = 0;
	des_time_t prev = 0, t;
	double s = 0, ss = 0;
	while ((t = ld_arrivals_next(&a)) >= 0 && t < until) {
		ck_assert_int_ge(t, prev);
		if (k > 0) {
			double d = (double)(t - prev);
			s += d;
			ss += d * d;
		}
		if (bins && (size_t)(t / bin) < nbins)
			bins[t / bin]++;
		prev = t;
		k++;
	}
	if (cv && k > 2) {
		double m = s / (double)(k - 1);
		*cv = sqrt(ss / (double)(k - 1) - m * m) / m;
	}
	ld_arrivals_fini(&a);
	return k;
}

START_TEST(test_poisson_constant)
{
	ld_point_t c = {0, 100, 0};
	double cv = 0;
	uint64_t n = count(&c, 1, 0, DES_S(1000), 0, NULL, 0, &cv);
	/* 100000 expected, sd 316. */
	ck_assert_msg(fabs((double)n - 100000) < 4 * 316, "n %llu",
	              (unsigned long long)n);
	/* Exponential gaps: coefficient of variation 1. */
	ck_assert_msg(fabs(cv - 1) < 0.02, "cv %f", cv);
}
END_TEST

START_TEST(test_uniform_constant)
{
	ld_point_t c = {0, 250, 0};
	double cv = 1;
	uint64_t n = count(&c, 1, 1, DES_S(100), 0, NULL, 0, &cv);
	ck_assert_uint_eq(n, 25000);
	ck_assert_msg(cv < 1e-6, "cv %g", cv);
	/* The first arrival at once, then one every 4 ms. */
	ld_arrivals_t a;
	des_rng_t r;
	des_rng_seed(&r, 1);
	ld_arrivals_init(&a, &c, 1, 1, &r);
	ck_assert_int_eq(ld_arrivals_next(&a), 0);
	ck_assert_int_eq(ld_arrivals_next(&a), DES_MS(4));
	ld_arrivals_fini(&a);
}
END_TEST

START_TEST(test_poisson_ramp)
{
	uint64_t bins[2] = {0, 0};
	uint64_t n = count(ramp, 2, 0, DES_S(100), DES_S(50), bins, 2, NULL);
	/* 10000 expected: 2500 in the first half, 7500 in the second. */
	ck_assert_msg(fabs((double)n - 10000) < 4 * 100, "n %llu",
	              (unsigned long long)n);
	ck_assert_msg(fabs((double)bins[0] - 2500) < 4 * 50, "first %llu",
	              (unsigned long long)bins[0]);
	ck_assert_msg(fabs((double)bins[1] - 7500) < 4 * 87, "second %llu",
	              (unsigned long long)bins[1]);
	/* Evenly spaced on a ramp: exactly the integral. */
	ck_assert_uint_eq(count(ramp, 2, 1, DES_S(100), 0, NULL, 0, NULL),
	                  10000);
}
END_TEST

START_TEST(test_spike)
{
	uint64_t bins[4] = {0};
	count(spike, 3, 0, DES_S(20), DES_S(5), bins, 4, NULL);
	/* 50, 50, 5000, 50 expected. */
	ck_assert_msg(fabs((double)bins[0] - 50) < 4 * 7.1, "%llu",
	              (unsigned long long)bins[0]);
	ck_assert_msg(fabs((double)bins[2] - 5000) < 4 * 71, "%llu",
	              (unsigned long long)bins[2]);
	ck_assert_msg(fabs((double)bins[3] - 50) < 4 * 7.1, "%llu",
	              (unsigned long long)bins[3]);
}
END_TEST

START_TEST(test_rate_falls_to_zero)
{
	ld_point_t p[] = {{0, 10, 0}, {DES_S(10), 0, 0}};
	ld_arrivals_t a;
	des_rng_t r;
	des_rng_seed(&r, 3);
	ck_assert_int_eq(ld_arrivals_init(&a, p, 2, 1, &r), 0);
	int n = 0;
	des_time_t t;
	while ((t = ld_arrivals_next(&a)) >= 0) {
		ck_assert_int_le(t, DES_S(10));
		n++;
	}
	ck_assert_int_eq(n, 101); /* 0, 0.1 s, ..., 10 s */
	ck_assert_int_eq(ld_arrivals_next(&a), -1); /* and stays so */
	ld_arrivals_fini(&a);
}
END_TEST

START_TEST(test_same_stream_same_times)
{
	ld_point_t c = {0, 50, 0};
	ld_arrivals_t a, b;
	des_rng_t r;
	des_rng_stream(&r, 9, "load/arrivals");
	ld_arrivals_init(&a, &c, 1, 0, &r);
	ld_arrivals_init(&b, &c, 1, 0, &r);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(ld_arrivals_next(&a), ld_arrivals_next(&b));
	ld_arrivals_fini(&a);
	ld_arrivals_fini(&b);
}
END_TEST

START_TEST(test_route_names)
{
	char b[64];
	ld_route_of("GET /product/OLJCESPC7Z", b, sizeof b);
	ck_assert_str_eq(b, "GET /product/[id]");
	ld_route_of("GET /cart?x=1", b, sizeof b);
	ck_assert_str_eq(b, "GET /cart");
	ld_route_of("GET /static/img/a.svg", b, sizeof b);
	ck_assert_str_eq(b, "GET /static/[file]");
	ld_route_of("POST /cart/checkout", b, sizeof b);
	ck_assert_str_eq(b, "POST /cart/checkout");
	ld_route_of("GET /product/", b, sizeof b); /* nothing to fold */
	ck_assert_str_eq(b, "GET /product/");
	ld_route_of("GET /product/OLJCESPC7Z", b, 8);
	ck_assert_str_eq(b, "GET /pr");
	ck_assert_int_eq(ld_route_find("GET /cart"), LD_ROUTE_VIEW_CART);
	ck_assert_int_eq(ld_route_find("GET /nope"), -1);
	ck_assert_int_eq(ld_route_find("GET /business"), LD_ROUTE_BUSINESS);
	ck_assert_str_eq(ld_route_name(LD_ROUTE_PRODUCT), "GET /product/[id]");
	ck_assert_ptr_null(ld_route_name(LD_N_ROUTES));
}
END_TEST

/* ---- the driver against a stand-in frontend ------------------------------- */

typedef struct seen {
	uint64_t by_route[LD_N_ROUTES];
	uint64_t checkout_with_session, cart_with_session, other;
	uint64_t requests;
} seen_t;

static seen_t *g_seen;

static void stub_http(rt_call_t *call, const rt_http_request_t *req,
                      void *user)
{
	(void)user;
	char mp[128], route[128];
	snprintf(mp, sizeof mp, "%s %s", req->method, req->path);
	ld_route_of(mp, route, sizeof route);
	int r = ld_route_find(route);
	const char *cookie = rt_http_header(req, "cookie");
	g_seen->requests++;
	if (r < 0)
		g_seen->other++;
	else
		g_seen->by_route[r]++;
	if (r == LD_ROUTE_CHECKOUT) {
		ck_assert_ptr_nonnull(cookie);
		ck_assert_ptr_nonnull(strstr(cookie, "shop_session-id=load-"));
		ck_assert_ptr_nonnull(
		    strstr((const char *)req->body, "credit_card_number="));
		g_seen->checkout_with_session++;
	} else if (r == LD_ROUTE_ADD_TO_CART && cookie) {
		g_seen->cart_with_session++;
	}
	rt_http_respond(call, r == LD_ROUTE_ADD_TO_CART ? 302 : 200, NULL, 0,
	                "ok", 2);
}

static int stub_init(rt_t *rt) { return rt_serve_http(rt, stub_http, NULL); }

static const rt_service_t stub_service = {"frontend", 8080, stub_init, NULL,
                                          NULL};

START_TEST(test_driver_mix)
{
	seen_t seen = {{0}};
	g_seen = &seen;
	vrt_world_t *w = vrt_world_new(5, 0);
	vrt_pod_t *pod;
	ck_assert_int_eq(vrt_pod_start(w, &stub_service, "frontend-0", NULL,
	                               4, &pod),
	                 0);
	vrt_endpoints_t *eps = vrt_endpoints_new(w, "frontend", VRT_LB_ROUND_ROBIN);
	vrt_endpoints_add(eps, pod);
	vrt_world_bind(w, "frontend:80", eps);

	ld_point_t c = {0, 500, 0};
	ld_open_config_t cfg = {.addr = "frontend:80", .profile = &c,
	                        .n_points = 1, .route = -1,
	                        .duration = DES_S(100)};
	char err[128];
	ld_open_t *o = ld_open_new(w, &cfg, err, sizeof err);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(ld_open_start(o), 0);
	vrt_run(w, DES_S(110));
	uint64_t arrivals = ld_open_arrivals(o);
	ck_assert_msg(fabs((double)arrivals - 50000) < 4 * 224, "%llu",
	              (unsigned long long)arrivals);
	ck_assert_uint_eq(ld_open_inflight(o), 0);
	ck_assert_uint_eq(ld_open_sent(o), seen.requests);
	ck_assert_uint_eq(seen.other, 0);
	/* Arrival weights 1, 2, 13, 2, 3, 1 of 22; a checkout adds a POST
	 * /cart of its own session first. */
	static const double w22[LD_N_ROUTES] = {1, 2, 13, 2, 3, 1};
	uint64_t checkouts = seen.by_route[LD_ROUTE_CHECKOUT];
	for (int i = 0; i < LD_N_ROUTES; i++) {
		double exp = (double)arrivals * w22[i] / 22;
		double got = (double)seen.by_route[i];
		if (i == LD_ROUTE_ADD_TO_CART)
			got -= (double)checkouts;
		ck_assert_msg(fabs(got - exp) < 4 * sqrt(exp) + 1,
		              "%s: %.0f, expected %.0f", ld_route_name(i), got,
		              exp);
	}
	ck_assert_uint_eq(seen.cart_with_session, checkouts);
	ck_assert_uint_eq(seen.checkout_with_session, checkouts);
	ck_assert_uint_eq(seen.requests, arrivals + checkouts);

	/* Stopped: nothing more arrives. */
	ld_open_stop(o);
	uint64_t before = ld_open_arrivals(o);
	vrt_run(w, DES_S(120));
	ck_assert_uint_eq(ld_open_arrivals(o), before);
	vrt_world_free(w);
	ld_open_free(o);
}
END_TEST

START_TEST(test_driver_single_route_and_errors)
{
	seen_t seen = {{0}};
	g_seen = &seen;
	vrt_world_t *w = vrt_world_new(5, 0);
	ld_point_t c = {0, 100, 0};
	ld_open_config_t cfg = {.addr = "frontend:80", .profile = &c,
	                        .n_points = 1, .route = LD_ROUTE_VIEW_CART,
	                        .deterministic = 1, .duration = DES_S(10)};
	char err[128];
	/* No frontend at all: every request fails, none hangs. */
	ld_open_t *o = ld_open_new(w, &cfg, err, sizeof err);
	ck_assert_ptr_nonnull(o);
	ld_open_start(o);
	vrt_stats_t st;
	vrt_run(w, DES_S(20));
	vrt_world_stats(w, &st);
	ck_assert_uint_eq(ld_open_arrivals(o), 1000);
	ck_assert_uint_eq(st.by_status[RT_UNAVAILABLE], 1000);
	ck_assert_uint_eq(ld_open_inflight(o), 0);
	vrt_world_free(w);
	ld_open_free(o);

	cfg.route = LD_N_ROUTES;
	ck_assert_ptr_null(ld_open_new(w = vrt_world_new(1, 0), &cfg, err,
	                               sizeof err));
	cfg.route = -1;
	cfg.addr = "frontend";
	ck_assert_ptr_null(ld_open_new(w, &cfg, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "host:port"));
	vrt_world_free(w);
}
END_TEST

static Suite *arrivals_suite(void)
{
	Suite *s = suite_create("arrivals");
	TCase *tc = tcase_create("profiles");
	tcase_add_test(tc, test_profile_rate_and_integral);
	tcase_add_test(tc, test_profile_check);
	tcase_add_test(tc, test_poisson_constant);
	tcase_add_test(tc, test_uniform_constant);
	tcase_add_test(tc, test_poisson_ramp);
	tcase_add_test(tc, test_spike);
	tcase_add_test(tc, test_rate_falls_to_zero);
	tcase_add_test(tc, test_same_stream_same_times);
	tcase_add_test(tc, test_route_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("driver");
	tcase_add_test(tc, test_driver_mix);
	tcase_add_test(tc, test_driver_single_route_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(arrivals_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

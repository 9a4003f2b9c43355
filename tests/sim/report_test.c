/* tests/sim/report_test.c: unit tests of sim/report/report.c (Check, fork
 * mode): percentiles from the histograms, errors by status, grouping by
 * route, service and method, the window, CPU utilisation and the
 * bottleneck with the real currency service on the virtual runtime, and
 * the JSON's shape. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "currency/currency.h"
#include "proto/demo.pb-c.h"
#include "report.h"
#include "slo.h"

static int idle_init(rt_t *rt)
{
	(void)rt;
	return 0;
}
static const rt_service_t cart_stub = {"cartservice", 7070, idle_init, NULL,
                                       NULL};

/* The whole JSON of |r| as a string (the caller frees it). */
static char *json_of(rp_report_t *r, uint64_t seed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	rp_meta_t m = {.scenario = "t", .seed = seed, .load_kind = "rate"};
	ck_assert_int_eq(rp_write_json(r, &m, f), 0);
	fclose(f);
	return buf;
}

static char *text_of(rp_report_t *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	rp_meta_t m = {.scenario = "t", .seed = 1};
	ck_assert_int_eq(rp_write_text(r, &m, f), 0);
	fclose(f);
	return buf;
}

static vrt_obs_t http_obs(des_time_t start, des_time_t d, const char *mp,
                          rt_status_t st, int http)
{
	vrt_obs_t o = {.reporter = VRT_REPORT_CLIENT, .start = start,
	               .end = start + d, .addr = "frontend:80",
	               .service = "HTTP", .method = mp, .status = st,
	               .proto = VRT_PROTO_HTTP, .http_status = http};
	return o;
}

START_TEST(test_percentiles_and_status)
{
	vrt_world_t *w = vrt_world_new(1, 0);
	rp_report_t *r = rp_new(w);
	/* Before the window: not counted. */
	vrt_obs_t o = http_obs(0, DES_MS(5), "GET /", RT_OK, 200);
	rp_obs(r, &o);
	vrt_run(w, DES_S(10));
	rp_begin(r);
	ck_assert_uint_eq(rp_requests(r), 0);
	/* 1..1000 ms on the product page, ids folded into one route. */
	for (int i = 1; i <= 1000; i++) {
		o = http_obs(DES_S(10), DES_MS(i),
		             i % 2 ? "GET /product/OLJCESPC7Z"
		                   : "GET /product/66VCHSJNUP",
		             RT_OK, i <= 990 ? 200 : 500);
		rp_obs(r, &o);
	}
	o = http_obs(DES_S(10), DES_MS(3), "POST /cart", RT_OK, 302);
	rp_obs(r, &o);
	o = http_obs(DES_S(10), DES_S(10), "GET /cart", RT_DEADLINE_EXCEEDED, 0);
	rp_obs(r, &o);
	vrt_run(w, DES_S(110));
	rp_end(r);
	ck_assert_uint_eq(rp_requests(r), 1002);
	ck_assert_uint_eq(rp_errors(r), 11); /* ten 500s and the timeout */

	char *j = json_of(r, 7);
	ck_assert_msg(strstr(j, "\"seed\": 7,") == j + 4, "%s", j);
	ck_assert_ptr_nonnull(strstr(j, "\"virtual_seconds\": 100.000,"));
	ck_assert_ptr_nonnull(strstr(j, "\"requests\": 1002,"));
	ck_assert_ptr_nonnull(strstr(j, "\"errors\": 11,"));
	/* Within the histogram's 0.8 %: p50 500 ms, p95 950, p99 990. */
	const char *p = strstr(j, "{\"route\": \"GET /product/[id]\"");
	ck_assert_ptr_nonnull(p);
	double p50, p95, p99, mx;
	ck_assert_int_eq(sscanf(strstr(p, "\"p50_ms\""),
	                        "\"p50_ms\": %lf, \"p95_ms\": %lf, \"p99_ms\": "
	                        "%lf, \"max_ms\": %lf",
	                        &p50, &p95, &p99, &mx),
	                 4);
	ck_assert_msg(fabs(p50 - 500) <= 4, "p50 %f", p50);
	ck_assert_msg(fabs(p95 - 950) <= 8, "p95 %f", p95);
	ck_assert_msg(fabs(p99 - 990) <= 8, "p99 %f", p99);
	ck_assert_double_eq_tol(mx, 1000, 1e-9);
	ck_assert_ptr_nonnull(strstr(p, "\"requests\": 1000, \"errors\": 10, "
	                                "\"rps\": 10.000"));
	ck_assert_ptr_nonnull(strstr(p, "\"status\": {\"200\": 990, \"500\": 10}"));
	ck_assert_ptr_nonnull(
	    strstr(j, "\"route\": \"POST /cart\", \"requests\": 1, \"errors\": 0"));
	ck_assert_ptr_nonnull(strstr(j, "\"status\": {\"DEADLINE_EXCEEDED\": 1}"));
	ck_assert_ptr_nonnull(strstr(j, "\"bottleneck\": null"));
	free(j);
	char *t = text_of(r);
	ck_assert_ptr_nonnull(strstr(t, "GET /product/[id]"));
	ck_assert_ptr_nonnull(strstr(t, "Aggregated"));
	free(t);
	rp_free(r);
	vrt_world_free(w);
}
END_TEST

START_TEST(test_services_group_by_pod_service)
{
	vrt_world_t *w = vrt_world_new(1, 0);
	vrt_pod_t *a, *b;
	ck_assert_int_eq(vrt_pod_start(w, &cart_stub, "cart-a", NULL, 1, &a), 0);
	ck_assert_int_eq(vrt_pod_start(w, &cart_stub, "cart-b", NULL, 1, &b), 0);
	rp_report_t *r = rp_new(w);
	rp_begin(r);
	for (int i = 0; i < 30; i++) {
		vrt_obs_t o = {.reporter = VRT_REPORT_SERVER, .start = 0,
		               .end = DES_MS(1 + i % 3), .server = i % 2 ? a : b,
		               .service = "hipstershop.CartService",
		               .method = i % 3 ? "GetCart" : "AddItem",
		               .status = i == 0 ? RT_UNAVAILABLE : RT_OK};
		rp_obs(r, &o);
		o.reporter = VRT_REPORT_CLIENT; /* the caller's side: not a
		                                   service figure */
		rp_obs(r, &o);
	}
	vrt_run(w, DES_S(1));
	rp_end(r);
	char *j = json_of(r, 1);
	ck_assert_ptr_nonnull(strstr(j, "{\"service\": \"cartservice\", "
	                                "\"requests\": 30, \"errors\": 1,"));
	ck_assert_ptr_nonnull(strstr(
	    j, "{\"method\": \"hipstershop.CartService/AddItem\", "
	       "\"requests\": 10, \"errors\": 1,"));
	ck_assert_ptr_nonnull(strstr(
	    j, "{\"method\": \"hipstershop.CartService/GetCart\", "
	       "\"requests\": 20, \"errors\": 0,"));
	ck_assert_ptr_nonnull(strstr(j, "\"status\": {\"OK\": 9, \"UNAVAILABLE\": 1}"));
	/* Not entry requests. */
	ck_assert_ptr_nonnull(strstr(j, "\"requests\": 0,"));
	ck_assert_ptr_nonnull(strstr(j, "{\"pod\": \"cart-a\""));
	free(j);
	rp_free(r);
	vrt_world_free(w);
}
END_TEST

/* rp_watch_workload: a Deployment's pods by Kubernetes' names (a restarted
 * container's "#N" too), as their callers saw the calls, failures included;
 * "frontend" is not "frontend-canary". rp_figures for every scope. */
START_TEST(test_workloads_and_figures)
{
	vrt_world_t *w = vrt_world_new(1, 0);
	static const char *const names[] = {
	    "frontend-6646d75796-8zncg", "frontend-canary-6646d75796-58v9x",
	    "frontend-canary-6646d75796-58v9x#1", "frontend-x"};
	vrt_pod_t *p[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(
		    vrt_pod_start(w, &cart_stub, names[i], NULL, 1, &p[i]), 0);
	rp_report_t *r = rp_new(w);
	ck_assert_int_eq(rp_watch_workload(r, "frontend"), 0);
	ck_assert_int_eq(rp_watch_workload(r, "frontend-canary"), 0);
	ck_assert_int_eq(rp_watch_workload(r, "frontend"), 0); /* once */
	rp_begin(r);
	for (int i = 0; i < 40; i++) {
		/* 10 calls to each pod; the canary's restarted container
		 * refuses 5 of its 10. */
		vrt_obs_t o = http_obs(0, DES_MS(1 + i / 4), "GET /cart",
		                       i % 4 == 2 && i % 8 == 2 ? RT_UNAVAILABLE
		                                                : RT_OK,
		                       200);
		o.server = p[i % 4];
		rp_obs(r, &o);
		o.reporter = VRT_REPORT_SERVER; /* counted once, as the caller
		                                   saw it */
		rp_obs(r, &o);
	}
	vrt_run(w, DES_S(1));
	rp_end(r);
	slo_figures_t f;
	rp_figures(r, RP_WORKLOAD, "frontend", &f);
	ck_assert_uint_eq(f.requests, 10);
	ck_assert_uint_eq(f.errors, 0);
	rp_figures(r, RP_WORKLOAD, "frontend-canary", &f);
	ck_assert_uint_eq(f.requests, 20);
	ck_assert_uint_eq(f.errors, 5);
	ck_assert_double_eq_tol(f.max_ms, 10, 1e-9);
	ck_assert_double_eq_tol(f.mean_ms, 5.5, 1e-9);
	rp_figures(r, RP_WORKLOAD, "frontend-x", &f); /* not watched */
	ck_assert_uint_eq(f.requests, 0);
	rp_figures(r, RP_ALL, NULL, &f);
	ck_assert_uint_eq(f.requests, 40);
	ck_assert_uint_eq(f.errors, 5);
	ck_assert_double_eq_tol(f.p50_ms, 5, 0.05);
	ck_assert_double_eq_tol(f.p99_ms, 10, 0.1);
	rp_figures(r, RP_ROUTE, "GET /cart", &f);
	ck_assert_uint_eq(f.requests, 40);
	rp_figures(r, RP_ROUTE, "GET /", &f);
	ck_assert_uint_eq(f.requests, 0);
	rp_figures(r, RP_SERVICE, "cartservice", &f);
	ck_assert_uint_eq(f.requests, 40);
	/* The report's JSON and table do not change with watches. */
	char *j = json_of(r, 1);
	ck_assert_ptr_null(strstr(j, "canary\""));
	free(j);
	rp_free(r);
	vrt_world_free(w);
}
END_TEST

/* A closed loop of Convert calls on one currency pod of 0.5 core. */
typedef struct loop {
	vrt_world_t *w;
	Hipstershop__Money from;
	Hipstershop__CurrencyConversionRequest req;
	int stop;
} loop_t;

static void issue(loop_t *l);

static void on_done(void *user, rt_status_t st, const char *msg,
                    ProtobufCMessage *resp)
{
	(void)msg;
	loop_t *l = user;
	ck_assert_int_eq(st, l->stop ? st : RT_OK);
	rt_msg_free(resp);
	if (!l->stop)
		issue(l);
}

static void issue(loop_t *l)
{
	ck_assert_ptr_nonnull(vrt_client_call(
	    l->w, "currencyservice:7000", "hipstershop.CurrencyService",
	    "Convert", &l->req.base, &hipstershop__money__descriptor, RT_SEC,
	    on_done, l));
}

/* rp_window_take: per-interval figures of a watched workload, each take
 * starting the next interval; errors are 5xx and transport failures only
 * (Flagger's success rate), while rp_figures keeps the whole window with
 * every status >= 400. */
START_TEST(test_workload_windows)
{
	vrt_world_t *w = vrt_world_new(1, 0);
	vrt_pod_t *p;
	ck_assert_int_eq(vrt_pod_start(w, &cart_stub,
	                               "frontend-canary-6646d75796-58v9x", NULL,
	                               1, &p),
	                 0);
	rp_report_t *r = rp_new(w);
	ck_assert_int_eq(rp_watch_workload(r, "frontend-canary"), 0);
	rp_begin(r);
	slo_figures_t f;
	rp_window_take(r, "frontend-canary", &f);
	ck_assert_uint_eq(f.requests, 0);
	/* Interval 1: 10 calls of 1..10 ms, one 404 and one 503. */
	for (int i = 0; i < 10; i++) {
		vrt_obs_t o = http_obs(0, DES_MS(1 + i), "GET /", RT_OK,
		                       i == 3 ? 404 : i == 4 ? 503 : 200);
		o.server = p;
		rp_obs(r, &o);
	}
	rp_window_take(r, "frontend-canary", &f);
	ck_assert_uint_eq(f.requests, 10);
	ck_assert_uint_eq(f.errors, 1);
	ck_assert_double_eq_tol(f.max_ms, 10, 1e-9);
	/* Interval 2: 4 calls of 100 ms, one refused. */
	for (int i = 0; i < 4; i++) {
		vrt_obs_t o = http_obs(0, DES_MS(100), "GET /",
		                       i ? RT_OK : RT_UNAVAILABLE, i ? 200 : 0);
		o.server = p;
		rp_obs(r, &o);
	}
	rp_window_take(r, "frontend-canary", &f);
	ck_assert_uint_eq(f.requests, 4);
	ck_assert_uint_eq(f.errors, 1);
	ck_assert_double_eq_tol(f.p99_ms, 100, 1);
	ck_assert_double_eq_tol(f.mean_ms, 100, 1e-9);
	rp_window_take(r, "frontend-canary", &f);
	ck_assert_uint_eq(f.requests, 0);
	rp_window_take(r, "frontend", &f); /* not watched */
	ck_assert_uint_eq(f.requests, 0);
	vrt_run(w, DES_S(1));
	rp_end(r);
	rp_figures(r, RP_WORKLOAD, "frontend-canary", &f);
	ck_assert_uint_eq(f.requests, 14);
	ck_assert_uint_eq(f.errors, 3);
	rp_free(r);
	vrt_world_free(w);
}
END_TEST

START_TEST(test_cpu_and_bottleneck)
{
	vrt_world_t *w = vrt_world_new(1, 0);
	vrt_pod_t *cur, *cart;
	ck_assert_int_eq(vrt_pod_start(w, &currency_service, "currency-0", NULL,
	                               0.5, &cur),
	                 0);
	ck_assert_int_eq(vrt_pod_start(w, &cart_stub, "cart-0", NULL, 1, &cart),
	                 0);
	vrt_endpoints_t *eps = vrt_endpoints_new(w, "currency", VRT_LB_ROUND_ROBIN);
	vrt_endpoints_add(eps, cur);
	vrt_world_bind(w, "currencyservice:7000", eps);
	vrt_profile_t *pr = vrt_profile_new();
	vrt_profile_set(pr, NULL, VRT_DIST_CONSTANT, 100, 0);
	vrt_world_set_profile(w, pr);
	rp_report_t *r = rp_new(w);
	vrt_world_set_obs(w, rp_obs, r);
	loop_t l = {.w = w};
	hipstershop__money__init(&l.from);
	l.from.currency_code = (char *)"EUR";
	l.from.units = 10;
	hipstershop__currency_conversion_request__init(&l.req);
	l.req.from = &l.from;
	l.req.to_code = (char *)"USD";
	for (int i = 0; i < 8; i++)
		issue(&l);
	vrt_run(w, DES_S(5)); /* busy before the window: not counted */
	rp_begin(r);
	vrt_run(w, DES_S(15));
	rp_end(r);
	l.stop = 1;
	char *j = json_of(r, 1);
	if (getenv("REPORT_TEST_PRINT"))
		fputs(j, stderr);
	/* Eight calls of 100 us on half a core share the CPU and end
	 * together after 1.6 ms; then 0.4 ms of network round trip with the
	 * CPU idle: busy 80 % of the time, 4000 calls/s. */
	const char *p = strstr(j, "{\"pod\": \"currency-0\"");
	ck_assert_ptr_nonnull(p);
	double limit, cpu_s, util;
	ck_assert_int_eq(sscanf(strstr(p, "\"cpu_limit_cores\""),
	                        "\"cpu_limit_cores\": %lf, \"cpu_seconds\": %lf, "
	                        "\"utilisation\": %lf",
	                        &limit, &cpu_s, &util),
	                 3);
	ck_assert_double_eq_tol(limit, 0.5, 1e-9);
	ck_assert_msg(fabs(cpu_s - 4) < 0.01, "cpu %f", cpu_s);
	ck_assert_msg(fabs(util - 0.8) < 0.002, "util %f", util);
	ck_assert_ptr_nonnull(strstr(j, "\"bottleneck\": {\"service\": "
	                                "\"currencyservice\", \"pod\": "
	                                "\"currency-0\", \"utilisation\": 0.7999"));
	ck_assert_ptr_nonnull(strstr(j, "\"service\": \"currencyservice\", "
	                                "\"requests\": 39992,"));
	ck_assert_ptr_nonnull(strstr(j, "\"p99_ms\": 1.600"));
	free(j);
	rp_free(r);
	vrt_world_free(w);
}
END_TEST

START_TEST(test_pod_started_late)
{
	vrt_world_t *w = vrt_world_new(1, 0);
	rp_report_t *r = rp_new(w);
	rp_begin(r);
	vrt_run(w, DES_S(5));
	vrt_pod_t *pod;
	ck_assert_int_eq(vrt_pod_start(w, &cart_stub, "late-0", NULL, 1, &pod),
	                 0);
	rp_pod_started(r, pod);
	vrt_run(w, DES_S(10));
	rp_end(r);
	char *j = json_of(r, 1);
	ck_assert_ptr_nonnull(strstr(j, "{\"pod\": \"late-0\", \"service\": "
	                                "\"cartservice\", \"state\": \"READY\""));
	free(j);
	rp_free(r);
	vrt_world_free(w);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");
	tcase_add_test(tc, test_percentiles_and_status);
	tcase_add_test(tc, test_services_group_by_pod_service);
	tcase_add_test(tc, test_workloads_and_figures);
	tcase_add_test(tc, test_workload_windows);
	tcase_add_test(tc, test_cpu_and_bottleneck);
	tcase_add_test(tc, test_pod_started_late);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(report_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

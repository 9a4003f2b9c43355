/* tests/sim/scenario_test.c: unit tests of sim/scenario/scenario.c (Check,
 * fork mode): every key of the format, the shorthands for rate profiles,
 * the actions in time order, and errors that name FILE:LINE: FIELD; the
 * committed scenarios/ files parse. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

static sc_scenario_t *parse_ok(const char *text)
{
	sc_scenario_t *s = NULL;
	char err[512] = "";
	int rc = sc_parse("dir/t.yaml", text, strlen(text), &s, err, sizeof err);
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Parses |text|, which must fail with exactly |want|. */
static void parse_err(const char *text, const char *want)
{
	sc_scenario_t *s = (sc_scenario_t *)1;
	char err[512] = "";
	ck_assert_int_eq(sc_parse("t.yaml", text, strlen(text), &s, err,
	                          sizeof err),
	                 -1);
	ck_assert_ptr_null(s);
	ck_assert_msg(strcmp(err, want) == 0, "got  \"%s\"\nwant \"%s\"", err,
	              want);
}

START_TEST(test_full)
{
	sc_scenario_t *s = parse_ok("name: cart dies\n"
	                            "duration: 5m\n"
	                            "seed: 42\n"
	                            "charts: ../k8s/charts\n"
	                            "set:\n"
	                            "  - cartservice.replicaCount=2\n"
	                            "  - frontend.env.LOG_LEVEL=debug\n"
	                            "load:\n"
	                            "  users: 50\n"
	                            "  spawn_rate: 5\n"
	                            "actions:\n"
	                            "  - at: 2m\n"
	                            "    scale: cartservice\n"
	                            "    replicas: 3\n"
	                            "  - {at: 1m, kill: cartservice}\n"
	                            "  - {at: 2m, delete: frontend, grace: 0s}\n"
	                            "  - {at: 30s, drain: node-1}\n");
	ck_assert_str_eq(s->name, "cart dies");
	ck_assert_int_eq(s->has_duration, 1);
	ck_assert_int_eq(s->duration, DES_S(300));
	ck_assert_int_eq(s->has_seed, 1);
	ck_assert_uint_eq(s->seed, 42);
	ck_assert_str_eq(s->charts, "dir/../k8s/charts");
	ck_assert_uint_eq(s->n_set, 2);
	ck_assert_str_eq(s->set[1], "frontend.env.LOG_LEVEL=debug");
	ck_assert_ptr_null(s->set[2]);
	ck_assert_int_eq(s->load.kind, SC_LOAD_USERS);
	ck_assert_uint_eq(s->load.users, 50);
	ck_assert_double_eq(s->load.spawn_rate, 5);
	ck_assert_uint_eq(s->n_actions, 4);
	/* In time order; equal times keep the file's order. */
	ck_assert_int_eq(s->actions[0].kind, SC_ACTION_DRAIN);
	ck_assert_int_eq(s->actions[0].at, DES_S(30));
	ck_assert_int_eq(s->actions[1].kind, SC_ACTION_KILL);
	ck_assert_int_eq(s->actions[2].kind, SC_ACTION_SCALE);
	ck_assert_int_eq(s->actions[2].replicas, 3);
	ck_assert_str_eq(s->actions[2].target, "cartservice");
	ck_assert_int_eq(s->actions[3].kind, SC_ACTION_DELETE);
	ck_assert_int_eq(s->actions[3].grace_s, 0);
	ck_assert_int_eq(s->actions[1].grace_s, -1);
	ck_assert_int_eq(s->actions[1].line, 15);
	sc_free(s);
}
END_TEST

START_TEST(test_open_loop_forms)
{
	sc_scenario_t *s = parse_ok("load:\n  rate: 100\n  arrivals: uniform\n"
	                            "  route: GET /cart\n");
	ck_assert_int_eq(s->load.kind, SC_LOAD_RATE);
	ck_assert_uint_eq(s->load.n_points, 1);
	ck_assert_double_eq(s->load.points[0].rate, 100);
	ck_assert_int_eq(s->load.deterministic, 1);
	ck_assert_str_eq(s->load.route, "GET /cart");
	ck_assert_str_eq(s->name, "t"); /* the file's base name */
	ck_assert_int_eq(s->has_duration, 0);
	sc_free(s);

	s = parse_ok("load:\n  ramp: {from: 10, to: 1000, over: 10m}\n");
	ck_assert_uint_eq(s->load.n_points, 2);
	ck_assert_int_eq(s->load.points[1].at, DES_S(600));
	ck_assert_double_eq(s->load.points[1].rate, 1000);
	ck_assert_int_eq(s->load.points[1].ramp, 1);
	sc_free(s);

	s = parse_ok("load:\n  spike: {base: 50, peak: 500, at: 2m, for: 1m}\n");
	ck_assert_uint_eq(s->load.n_points, 3);
	ck_assert_int_eq(s->load.points[1].at, DES_S(120));
	ck_assert_double_eq(s->load.points[1].rate, 500);
	ck_assert_int_eq(s->load.points[2].at, DES_S(180));
	ck_assert_double_eq(s->load.points[2].rate, 50);
	ck_assert_int_eq(s->load.points[2].ramp, 0);
	sc_free(s);

	s = parse_ok("load:\n  profile:\n    - {at: 0s, rate: 1}\n"
	             "    - {at: 1m, rate: 9, ramp: true}\n");
	ck_assert_uint_eq(s->load.n_points, 2);
	ck_assert_int_eq(s->load.points[1].ramp, 1);
	sc_free(s);

	s = parse_ok("# nothing but a comment\n");
	ck_assert_int_eq(s->load.kind, SC_LOAD_CHART);
	sc_free(s);
}
END_TEST

START_TEST(test_errors_name_the_place)
{
	parse_err("duration: 10m\nload:\n  rate: fast\n",
	          "t.yaml:3: load.rate: \"fast\" is not a number");
	parse_err("duraton: 10m\n",
	          "t.yaml:1: duraton: unknown key (name, duration, seed, "
	          "charts, istio, mesh, node_cpu, set, load, actions, slo, "
	          "canary)");
	parse_err("mesh: maybe\n",
	          "t.yaml:1: mesh: \"maybe\" is not on or off");
	parse_err("node_cpu: 2\n",
	          "t.yaml:1: node_cpu: \"2\" is not on or off");
	parse_err("duration: soon\n",
	          "t.yaml:1: duration: \"soon\" is not a duration: not a "
	          "duration (e.g. \"1.5s\", \"500ms\", \"2m\" or seconds)");
	parse_err("load:\n  users: 5\n  rate: 3\n",
	          "t.yaml:2: load: users (closed loop) and a rate (open loop) "
	          "exclude each other");
	parse_err("load:\n  route: GET /\n",
	          "t.yaml:2: load: needs users: or a rate (rate, profile, "
	          "ramp or spike)");
	parse_err("load:\n  rate: 5\n  route: GET /nope\n",
	          "t.yaml:3: load.route: no route \"GET /nope\" (one of: GET /, "
	          "POST /setCurrency, GET /product/[id], POST /cart, GET "
	          "/cart, POST /cart/checkout, GET /business)");
	parse_err("actions:\n  - at: 1m\n    kill: a\n  - at: 2m\n    scale: b\n",
	          "t.yaml:4: actions[1]: scale needs replicas:");
	parse_err("actions:\n  - {at: 1m, kill: a, drain: b}\n",
	          "t.yaml:2: actions[0]: one action per entry (\"kill\" and "
	          "\"drain\")");
	parse_err("actions:\n  - {kill: a}\n", "t.yaml:2: actions[0]: needs at:");
	parse_err("actions:\n  - {at: 1m, explode: a}\n",
	          "t.yaml:2: actions[0]: unknown key \"explode\" (at, kill, "
	          "delete, scale, replicas, grace, hang, heal, drain, cordon, "
	          "uncordon)");
	parse_err("set:\n  - replicaCount\n",
	          "t.yaml:2: set: \"replicaCount\" is not "
	          "<chart>.<key>=<value>");
	parse_err("load:\n  profile:\n    - {at: 1m, rate: 1}\n"
	          "    - {at: 0s, rate: 2}\n",
	          "t.yaml:4: load.profile.at: points must be in time order");
	parse_err("seed: -3\n",
	          "t.yaml:1: seed: \"-3\" is not a non-negative integer");
	/* Found by fuzz/sim_scenario: at + for overflowed the clock (signed
	 * overflow), and a grace past INT_MAX seconds wrapped around. */
	parse_err("load:\n  spike: {base: 1, peak: 2, at: 2000000h, "
	          "for: 2000000h}\n",
	          "t.yaml:2: load.spike: at + for is past the end of the clock");
	parse_err("actions:\n  - {at: 1s, delete: a, grace: 2000000h}\n",
	          "t.yaml:2: actions[0].grace: longer than 2147483647 seconds");
	parse_err("load: [1, 2\n",
	          "t.yaml:2: did not find expected ',' or ']'");
}
END_TEST

START_TEST(test_slo)
{
	sc_scenario_t *s = parse_ok("slo:\n"
	                            "  - p99: 300ms\n"
	                            "    errors: 1%\n"
	                            "  - errors: 0.5%\n"
	                            "    route: GET /cart\n"
	                            "  - {service: cartservice, p50: 2s}\n"
	                            "  - workload: frontend-canary\n"
	                            "    success: 99%\n");
	ck_assert_uint_eq(s->n_slo, 5);
	ck_assert_int_eq(s->slo[0].scope, SLO_SCOPE_ALL);
	ck_assert_ptr_null(s->slo[0].name);
	ck_assert_int_eq(s->slo[0].bound.metric, SLO_P99);
	ck_assert_double_eq(s->slo[0].bound.limit, 300);
	ck_assert_int_eq(s->slo[0].bound.strict, 0);
	ck_assert_int_eq(s->slo[0].line, 2);
	ck_assert_int_eq(s->slo[1].bound.metric, SLO_ERRORS);
	ck_assert_double_eq(s->slo[1].bound.limit, 1);
	ck_assert_int_eq(s->slo[1].line, 3);
	/* The scope may follow the bounds. */
	ck_assert_int_eq(s->slo[2].scope, SLO_SCOPE_ROUTE);
	ck_assert_str_eq(s->slo[2].name, "GET /cart");
	ck_assert_double_eq(s->slo[2].bound.limit, 0.5);
	ck_assert_int_eq(s->slo[3].scope, SLO_SCOPE_SERVICE);
	ck_assert_str_eq(s->slo[3].name, "cartservice");
	ck_assert_double_eq(s->slo[3].bound.limit, 2000);
	ck_assert_int_eq(s->slo[4].scope, SLO_SCOPE_WORKLOAD);
	ck_assert_str_eq(s->slo[4].name, "frontend-canary");
	ck_assert_int_eq(s->slo[4].bound.metric, SLO_SUCCESS);
	ck_assert_double_eq(s->slo[4].bound.limit, 99);
	sc_free(s);
	s = parse_ok("duration: 1m\n");
	ck_assert_uint_eq(s->n_slo, 0);
	sc_free(s);

	parse_err("slo:\n  - p99: 300\n",
	          "t.yaml:2: slo[0].p99: \"300\" needs a unit: us, ms or s");
	parse_err("slo:\n  - {p99: 1s}\n  - errors: 1\n",
	          "t.yaml:3: slo[1].errors: \"1\" is not a percentage (write "
	          "it with %: 1%)");
	parse_err("slo:\n  - p98: 1s\n",
	          "t.yaml:2: slo[0]: unknown key \"p98\" (route, service, "
	          "workload, p50, p95, p99, max, mean, errors, success)");
	parse_err("slo:\n  - route: GET /\n",
	          "t.yaml:2: slo[0]: needs an objective (p50, p95, p99, max, "
	          "mean, errors, success)");
	parse_err("slo:\n  - {route: GET /, service: frontend, p99: 1s}\n",
	          "t.yaml:2: slo[0]: one scope per entry (route and service)");
	parse_err("slo:\n  - {route: /cart, p99: 1s}\n",
	          "t.yaml:2: slo[0].route: \"/cart\" is not METHOD /path "
	          "(\"GET /\", \"GET /product/[id]\", ...)");
	parse_err("slo:\n  - {success: 101%}\n",
	          "t.yaml:2: slo[0].success: \"101%\" is more than 100%");
	parse_err("slo: {p99: 1s}\n",
	          "t.yaml:1: slo: expected a list of {[route|service|workload], "
	          "p99: 300ms, errors: 1%, ...}");
}
END_TEST

START_TEST(test_canary)
{
	/* Defaults: Flagger's. */
	sc_scenario_t *s = parse_ok("duration: 1m\n"
	                            "canary:\n"
	                            "  service: frontend\n");
	ck_assert_int_eq(s->canary.set, 1);
	ck_assert_str_eq(s->canary.service, "frontend");
	ck_assert_int_eq(s->canary.line, 2);
	ck_assert_int_eq(s->canary.service_line, 3);
	ck_assert_int_eq(s->canary.interval, DES_S(60));
	ck_assert_int_eq(s->canary.step_weight, 10);
	ck_assert_int_eq(s->canary.max_weight, 50);
	ck_assert_int_eq(s->canary.threshold, 5);
	ck_assert_double_eq(s->canary.success_min, 99);
	ck_assert_double_eq(s->canary.p99_max_ms, 500);
	sc_free(s);
	s = parse_ok("canary:\n"
	             "  interval: 30s\n"
	             "  stepWeight: 20\n"
	             "  maxWeight: 100\n"
	             "  threshold: 2\n"
	             "  metrics: {p99: 1s, success: 99.5%}\n"
	             "  service: business\n");
	ck_assert_str_eq(s->canary.service, "business");
	ck_assert_int_eq(s->canary.interval, DES_S(30));
	ck_assert_int_eq(s->canary.step_weight, 20);
	ck_assert_int_eq(s->canary.max_weight, 100);
	ck_assert_int_eq(s->canary.threshold, 2);
	ck_assert_double_eq(s->canary.success_min, 99.5);
	ck_assert_double_eq(s->canary.p99_max_ms, 1000);
	sc_free(s);
	/* Without the key: no analysis. */
	s = parse_ok("duration: 1m\n");
	ck_assert_int_eq(s->canary.set, 0);
	sc_free(s);

	parse_err("canary: frontend\n", "t.yaml:1: canary: expected a mapping");
	parse_err("canary:\n  interval: 30s\n",
	          "t.yaml:2: canary.service: needs the canaried service "
	          "(e.g. frontend)");
	parse_err("canary:\n  service: \"\"\n",
	          "t.yaml:2: canary.service: expected a non-empty string");
	parse_err("canary:\n  service: frontend\n  interval: 500ms\n",
	          "t.yaml:3: canary.interval: must be at least 1s");
	parse_err("canary:\n  service: frontend\n  stepWeight: 101\n",
	          "t.yaml:3: canary.stepWeight: must be within 1..100");
	parse_err("canary:\n  service: frontend\n  maxWeight: 5\n",
	          "t.yaml:3: canary.maxWeight: 5 is less than stepWeight 10");
	parse_err("canary:\n  service: frontend\n  threshold: 0\n",
	          "t.yaml:3: canary.threshold: must be within 1..1000");
	parse_err("canary:\n  service: frontend\n  metrics: {p95: 1s}\n",
	          "t.yaml:3: canary.metrics: unknown key \"p95\" (success, "
	          "p99)");
	parse_err("canary:\n  service: frontend\n  metrics:\n    p99: 300\n",
	          "t.yaml:4: canary.metrics.p99: \"300\" needs a unit: us, ms "
	          "or s");
	parse_err("canary:\n  service: frontend\n  weight: 10\n",
	          "t.yaml:3: canary: unknown key \"weight\" (service, "
	          "interval, stepWeight, maxWeight, threshold, metrics)");
}
END_TEST

/* istio: before charts: both kept (charts: once freed istio's). */
START_TEST(test_istio_then_charts)
{
	sc_scenario_t *s = parse_ok("istio: ../mesh\ncharts: ../charts\n");
	ck_assert_str_eq(s->istio, "dir/../mesh");
	ck_assert_str_eq(s->charts, "dir/../charts");
	ck_assert_int_eq(s->node_cpu, 0);
	sc_free(s);
	s = parse_ok("node_cpu: on\n");
	ck_assert_int_eq(s->node_cpu, 1);
	sc_free(s);
}
END_TEST

START_TEST(test_missing_file)
{
	sc_scenario_t *s;
	char err[256];
	ck_assert_int_eq(sc_load("/nonexistent/x.yaml", &s, err, sizeof err), -1);
	ck_assert_str_eq(err, "/nonexistent/x.yaml: No such file or directory");
}
END_TEST

START_TEST(test_committed_scenarios_parse)
{
	const char *src = getenv("MESHSIM_SRCDIR");
	static const char *const files[] = {"default", "cart-pod-dies", "spike",
	                                    "ramp", "canary-frontend",
	                                    "canary-business", "autoscale"};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char path[4096], err[512];
		snprintf(path, sizeof path, "%s/scenarios/%s.yaml",
		         src ? src : ".", files[i]);
		sc_scenario_t *s;
		ck_assert_msg(sc_load(path, &s, err, sizeof err) == 0, "%s", err);
		ck_assert_str_eq(s->name, files[i]);
		sc_free(s);
	}
}
END_TEST

static Suite *scenario_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("scenario");
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_open_loop_forms);
	tcase_add_test(tc, test_errors_name_the_place);
	tcase_add_test(tc, test_slo);
	tcase_add_test(tc, test_canary);
	tcase_add_test(tc, test_istio_then_charts);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_committed_scenarios_parse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(scenario_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

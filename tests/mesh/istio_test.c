/* tests/mesh/istio_test.c: sim/mesh/yaml_doc.c and istio.c — real Istio
 * YAML into typed objects, strict errors with file, line and field, and
 * references resolved as Istio resolves them (Check, fork mode). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "istio.h"

/* Loads |yaml| as file "t.yaml" and resolves; returns the error count. */
static int load(mesh_config_t *cfg, mesh_diags_t *d, const char *yaml)
{
	mesh_config_init(cfg);
	memset(d, 0, sizeof *d);
	int n = mesh_config_load_string(cfg, "t.yaml", yaml, d);
	ck_assert_int_ge(n, 0);
	int m = mesh_config_resolve(cfg, d);
	ck_assert_int_ge(m, 0);
	return (int)d->nerrors;
}

static void dump(const mesh_diags_t *d)
{
	mesh_diags_print(d, stderr);
}

/* 1 if some finding is at |line| and contains every |needle| ("" ends). */
static int has(const mesh_diags_t *d, int line, const char *n1, const char *n2)
{
	for (size_t i = 0; i < d->n; i++)
		if ((line == 0 || d->v[i].line == line) && strstr(d->v[i].msg, n1) &&
		    (!n2 || strstr(d->v[i].msg, n2) || (d->v[i].fix && strstr(d->v[i].fix, n2))))
			return 1;
	dump(d);
	return 0;
}

START_TEST(test_yaml_lines_and_docs)
{
	const char *y = "# comment only\n---\n"
			"a: 1\n"
			"b:\n"
			"  - x\n"
			"  - &anc {k: v}\n"
			"c: *anc\n"
			"---\n"
			"# empty\n"
			"---\n"
			"z: \"quoted\"\n";
	yd_file_t *f;
	char err[256];
	ck_assert_int_eq(yd_load_string("y", y, strlen(y), &f, err, sizeof err), 0);
	ck_assert_uint_eq(f->ndocs, 2);
	const yd_node_t *r = f->docs[0].root;
	ck_assert_int_eq(f->docs[0].line, 3);
	ck_assert_int_eq(yd_get(r, "a")->line, 3);
	ck_assert_int_eq(yd_get(r, "a")->col, 4);
	ck_assert_int_eq(yd_get(r, "b")->items[1]->line, 6);
	ck_assert_str_eq(yd_str(r, "c.k"), "v");
	ck_assert_int_eq(yd_get(f->docs[1].root, "z")->plain, 0);
	ck_assert_int_eq(f->docs[1].index, 2); /* the comment-only document counts */
	yd_file_free(f);
}
END_TEST

START_TEST(test_yaml_errors)
{
	yd_file_t *f;
	char err[256];
	const char *dup = "a: 1\nb: 2\na: 3\n";
	ck_assert_int_eq(yd_load_string("d.yaml", dup, strlen(dup), &f, err, sizeof err), -1);
	ck_assert_ptr_null(f);
	ck_assert_msg(strstr(err, "d.yaml:3:1: duplicate key \"a\" (first at line 1)"), "%s", err);
	const char *bad = "a: [1, 2\nb: 3\n";
	ck_assert_int_eq(yd_load_string("s.yaml", bad, strlen(bad), &f, err, sizeof err), -1);
	ck_assert_msg(!strncmp(err, "s.yaml:", 7) && strstr(err, "YAML syntax"), "%s", err);
}
END_TEST

static const char *vs_full =
    "apiVersion: networking.istio.io/v1beta1\n"
    "kind: VirtualService\n"
    "metadata:\n"
    "  name: reviews\n"
    "  namespace: bookinfo\n"
    "spec:\n"
    "  hosts: [reviews]\n"
    "  http:\n"
    "  - match:\n"
    "    - headers:\n"
    "        end-user: {exact: jason}\n"
    "      uri: {prefix: /api}\n"
    "    fault:\n"
    "      delay: {fixedDelay: 7s, percentage: {value: 100}}\n"
    "    route:\n"
    "    - destination: {host: reviews, subset: v2}\n"
    "  - route:\n"
    "    - destination: {host: reviews, subset: v1, port: {number: 9080}}\n"
    "      weight: 75\n"
    "    - destination: {host: reviews, subset: v3}\n"
    "      weight: 25\n"
    "    timeout: 1.5s\n"
    "    retries: {attempts: 3, perTryTimeout: 500ms, retryOn: 5xx}\n"
    "---\n"
    "apiVersion: networking.istio.io/v1\n"
    "kind: DestinationRule\n"
    "metadata: {name: reviews, namespace: bookinfo}\n"
    "spec:\n"
    "  host: reviews\n"
    "  trafficPolicy:\n"
    "    loadBalancer: {simple: ROUND_ROBIN}\n"
    "    connectionPool:\n"
    "      tcp: {maxConnections: 100, connectTimeout: 30ms}\n"
    "      http: {http2MaxRequests: 1000, maxRequestsPerConnection: 10}\n"
    "    outlierDetection: {consecutive5xxErrors: 7, interval: 5m, baseEjectionTime: 15m}\n"
    "  subsets:\n"
    "  - {name: v1, labels: {version: v1}}\n"
    "  - name: v2\n"
    "    labels: {version: v2}\n"
    "    trafficPolicy:\n"
    "      loadBalancer:\n"
    "        consistentHash: {httpCookie: {name: user, ttl: 0s}}\n"
    "  - {name: v3, labels: {version: v3}}\n";

START_TEST(test_parse_vs_dr)
{
	mesh_config_t cfg;
	mesh_diags_t d;
	ck_assert_int_eq(load(&cfg, &d, vs_full), 0);
	ck_assert_uint_eq(cfg.nvs, 1);
	ck_assert_uint_eq(cfg.ndr, 1);
	const mesh_vs_t *v = cfg.vs[0];
	ck_assert_str_eq(v->fqdns[0], "reviews.bookinfo.svc.cluster.local");
	ck_assert_uint_eq(v->nhttp, 2);
	ck_assert_int_eq(v->http[0].has_fault, 1);
	ck_assert_int_eq(v->http[0].fault.delay_ms, 7000);
	ck_assert_double_eq(v->http[0].fault.delay_pct, 100);
	ck_assert_str_eq(v->http[0].match[0].headers[0].name, "end-user");
	ck_assert_int_eq(v->http[0].match[0].uri.kind, MESH_SM_PREFIX);
	ck_assert_int_eq(v->http[1].timeout_ms, 1500);
	ck_assert_int_eq(v->http[1].retries.attempts, 3);
	ck_assert_int_eq(v->http[1].retries.per_try_ms, 500);
	ck_assert_str_eq(v->http[1].retries.retry_on, "5xx");
	ck_assert_int_eq(v->http[1].route[0].weight, 75);
	ck_assert_int_eq(v->http[1].route[0].dest.port, 9080);
	ck_assert_str_eq(v->http[1].route[1].dest.fqdn, "reviews.bookinfo.svc.cluster.local");
	ck_assert_int_eq(v->http[1].line, 17);
	const mesh_dr_t *r = cfg.dr[0];
	ck_assert_int_eq(r->tp.lb.kind, MESH_LB_ROUND_ROBIN);
	ck_assert_int_eq(r->tp.pool.max_connections, 100);
	ck_assert_int_eq(r->tp.pool.connect_timeout_ms, 30);
	ck_assert_int_eq(r->tp.pool.max_requests_per_conn, 10);
	ck_assert_int_eq(r->tp.outlier.set, 1);
	ck_assert_int_eq(r->tp.outlier.consecutive_5xx, 7);
	ck_assert_int_eq(r->tp.outlier.interval_ms, 300000);
	ck_assert_int_eq(r->tp.outlier.max_ejection_pct, 10);
	ck_assert_int_eq(r->subsets[1].tp.lb.kind, MESH_LB_CONSISTENT_HASH);
	ck_assert_int_eq(r->subsets[1].tp.lb.hash_on, MESH_HASH_COOKIE);
	ck_assert_str_eq(r->subsets[1].tp.lb.hash_name, "user");
	ck_assert_ptr_eq(mesh_find_dr(&cfg, "reviews.bookinfo.svc.cluster.local"), r);
	mesh_diags_free(&d);
	mesh_config_free(&cfg);
}
END_TEST

/* Table: one bad manifest per row, the line of the finding and what its
 * message (or fix) must say. */
static const struct bad_row {
	const char *yaml;
	int line;
	const char *msg, *also;
} bad_rows[] = {
    /* a weight out of range names the whole field path */
    {"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: s, namespace: n}\n"
     "spec:\n  hosts: [a]\n  http:\n  - route:\n    - destination: {host: a}\n      weight: 60\n"
     "    - destination: {host: b}\n      weight: 140\n",
     11, "VirtualService n/s: field spec.http[0].route[1].weight: must be an integer 0..100", NULL},
    /* the seed's typo: lables */
    {"apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {name: f, namespace: f}\n"
     "spec:\n  host: f\n  subsets:\n  - name: canary\n    lables:\n      version: canary\n",
     8, "field spec.subsets[0].lables: unknown field", "did you mean \"labels\"?"},
    /* a bad enum */
    {"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: d, namespace: istio-system}\n"
     "spec:\n  mtls:\n    mode: STRIKT\n",
     6, "field spec.mtls.mode: must be one of UNSET DISABLE PERMISSIVE STRICT", NULL},
    /* a bad duration */
    {"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: s, namespace: n}\n"
     "spec:\n  hosts: [a]\n  http:\n  - timeout: 10 seconds\n    route:\n    - destination: {host: a}\n",
     7, "field spec.http[0].timeout: must be a duration", NULL},
    /* an AuthorizationPolicy port written as a number */
    {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: n}\n"
     "spec:\n  rules:\n  - to:\n    - operation:\n        ports: [8080]\n",
     8, "spec.rules[0].to[0].operation.ports[0]: must be a string", "quote it"},
    /* an unsupported version */
    {"apiVersion: security.istio.io/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: n}\n"
     "spec: {}\n",
     1, "field apiVersion: \"security.istio.io/v1alpha1\"", NULL},
    /* a dangling gateway (the seed's fault 2) */
    {"apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: my-gateway}\n"
     "spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n"
     "    hosts: ['*']\n---\n"
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: frontend, namespace: frontend}\n"
     "spec:\n  hosts: [frontend]\n  gateways: [my-gateway]\n  http:\n  - route:\n    - destination: {host: frontend}\n",
     15, "gateway \"my-gateway\" means frontend/my-gateway, and there is no such Gateway",
     "give Gateway my-gateway a metadata.namespace"},
    /* a subset no DestinationRule defines */
    {"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a, namespace: n}\n"
     "spec:\n  host: a\n  subsets: [{name: v1, labels: {v: '1'}}]\n---\n"
     "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a, namespace: n}\n"
     "spec:\n  hosts: [a]\n  http:\n  - route:\n    - destination: {host: a, subset: v2}\n",
     15, "subset \"v2\" is not defined by DestinationRule n/a", "define subset \"v2\""},
    /* a missing required field */
    {"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a, namespace: n}\n"
     "spec:\n  subsets: []\n",
     5, "field spec.host: required", NULL},
    /* a fault abort with both statuses */
    {"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: s, namespace: n}\n"
     "spec:\n  hosts: [a]\n  http:\n  - fault:\n      abort: {httpStatus: 503, grpcStatus: UNAVAILABLE}\n"
     "    route:\n    - destination: {host: a}\n",
     8, "spec.http[0].fault.abort: needs exactly one of httpStatus, grpcStatus", NULL},
    /* not a Kubernetes object */
    {"just: a map\n", 1, "document 1: not a Kubernetes object", NULL},
    /* null items in lists of objects (found by fuzz/mesh_istio: a nameless
     * subset and a route without a destination were accepted) */
    {"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a, namespace: n}\n"
     "spec:\n  host: a\n  subsets:\n  -\n",
     7, "field spec.subsets[0]: must be a mapping, not null", NULL},
    {"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: s, namespace: n}\n"
     "spec:\n  hosts: [a]\n  http:\n  - route:\n    -\n",
     8, "field spec.http[0].route[0]: must be a mapping, not null", NULL},
    {"apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g, namespace: n}\n"
     "spec:\n  servers: [null]\n",
     5, "field spec.servers[0]: must be a mapping, not null", NULL},
    {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: n}\n"
     "spec:\n  rules:\n  - to:\n    - ~\n",
     7, "field spec.rules[0].to[0]: must be a mapping, not null", NULL},
    /* an unknown condition key */
    {"apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: n}\n"
     "spec:\n  rules:\n  - when:\n    - key: request.colour\n      values: [red]\n",
     7, "unknown condition key \"request.colour\"", NULL},
};

START_TEST(test_bad_manifests)
{
	const struct bad_row *row = &bad_rows[_i];
	mesh_config_t cfg;
	mesh_diags_t d;
	ck_assert_int_ge(load(&cfg, &d, row->yaml), 1);
	ck_assert_msg(has(&d, row->line, row->msg, row->also), "row %d: no \"%s\" at line %d", _i,
		      row->msg, row->line);
	for (size_t i = 0; i < d.n; i++)
		ck_assert_str_eq(d.v[i].file, "t.yaml");
	mesh_diags_free(&d);
	mesh_config_free(&cfg);
}
END_TEST

START_TEST(test_broken_object_left_out)
{
	mesh_config_t cfg;
	mesh_diags_t d;
	load(&cfg, &d, bad_rows[0].yaml);
	ck_assert_uint_eq(cfg.nvs, 0);
	mesh_diags_free(&d);
	mesh_config_free(&cfg);
}
END_TEST

START_TEST(test_status_tolerated_and_k8s_kept)
{
	const char *y = "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\n"
			"metadata: {name: d, namespace: istio-system, creationTimestamp: '2024-01-01T00:00:00Z'}\n"
			"spec: {mtls: {mode: STRICT}}\nstatus: {whatever: [1]}\n---\n"
			"apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
			"spec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n---\n"
			"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
			"spec:\n  replicas: 3\n  template:\n    metadata:\n      labels: {app: web, version: v1}\n"
			"      annotations: {sidecar.istio.io/inject: 'false'}\n"
			"    spec: {serviceAccountName: web-sa}\n";
	mesh_config_t cfg;
	mesh_diags_t d;
	ck_assert_int_eq(load(&cfg, &d, y), 0);
	ck_assert_uint_eq(cfg.npa, 1);
	ck_assert_int_eq(cfg.pa[0]->mode, MESH_MTLS_STRICT);
	ck_assert_int_eq(cfg.pa[0]->meta.created, 1704067200);
	ck_assert_uint_eq(cfg.nobjs, 2);
	ck_assert_str_eq(cfg.objs[0]->meta.kind, "Service");
	ck_assert_int_eq(cfg.objs[0]->ports[0].target_port, 8080);
	ck_assert_str_eq(mesh_labels_get(&cfg.objs[0]->selector, "app"), "web");
	ck_assert_int_eq(cfg.objs[1]->replicas, 3);
	ck_assert_str_eq(cfg.objs[1]->service_account, "web-sa");
	ck_assert_str_eq(cfg.objs[1]->inject_annotation, "false");
	mesh_diags_free(&d);
	mesh_config_free(&cfg);
}
END_TEST

/* Istio's name resolution, row by row. */
START_TEST(test_host_and_gateway_resolution)
{
	char buf[256];
	ck_assert_str_eq(mesh_host_fqdn("reviews", "bookinfo", buf, sizeof buf),
			 "reviews.bookinfo.svc.cluster.local");
	ck_assert_str_eq(mesh_host_fqdn("reviews.bookinfo", "x", buf, sizeof buf), "reviews.bookinfo");
	ck_assert_str_eq(mesh_host_fqdn("*.example.com", "x", buf, sizeof buf), "*.example.com");
	ck_assert(mesh_host_matches("*", "a.b"));
	ck_assert(mesh_host_matches("*.b.svc.cluster.local", "a.b.svc.cluster.local"));
	ck_assert(!mesh_host_matches("*.b.svc.cluster.local", "b.svc.cluster.local"));
	ck_assert(mesh_host_matches("A.b", "a.B"));

	const char *y =
	    "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: istio-system}\n"
	    "spec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n"
	    "    hosts: ['*']\n---\n"
	    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a, namespace: istio-system}\n"
	    "spec:\n  hosts: ['*']\n  gateways: [gw, istio-system/gw, gw.istio-system.svc.cluster.local, mesh]\n"
	    "  http:\n  - route:\n    - destination: {host: web.shop.svc.cluster.local}\n---\n"
	    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: b, namespace: shop}\n"
	    "spec:\n  hosts: [web]\n  http:\n  - route:\n    - destination: {host: web}\n";
	mesh_config_t cfg;
	mesh_diags_t d;
	ck_assert_int_eq(load(&cfg, &d, y), 0);
	const mesh_vs_t *a = cfg.vs[0];
	ck_assert_str_eq(a->gw_refs[0], "istio-system/gw");
	ck_assert_str_eq(a->gw_refs[1], "istio-system/gw");
	ck_assert_str_eq(a->gw_refs[2], "istio-system/gw");
	ck_assert_str_eq(a->gw_refs[3], "mesh");
	ck_assert_ptr_nonnull(mesh_find_gateway(&cfg, "istio-system/gw"));
	ck_assert_str_eq(cfg.vs[1]->http[0].route[0].dest.fqdn, "web.shop.svc.cluster.local");
	mesh_diags_free(&d);
	mesh_config_free(&cfg);
}
END_TEST

/* Age: creationTimestamp first, then load order. */
START_TEST(test_age_order)
{
	const char *y = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
			"metadata: {name: late, namespace: n}\nspec: {mtls: {mode: STRICT}}\n---\n"
			"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
			"metadata: {name: new, namespace: n, creationTimestamp: '2025-01-01T00:00:00Z'}\n"
			"spec: {mtls: {mode: DISABLE}}\n---\n"
			"apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
			"metadata: {name: old, namespace: n, creationTimestamp: '2024-01-01T00:00:00+01:00'}\n"
			"spec: {mtls: {mode: PERMISSIVE}}\n";
	mesh_config_t cfg;
	mesh_diags_t d;
	ck_assert_int_eq(load(&cfg, &d, y), 0);
	ck_assert_uint_lt(cfg.pa[2]->meta.age, cfg.pa[1]->meta.age);
	ck_assert_uint_lt(cfg.pa[1]->meta.age, cfg.pa[0]->meta.age);
	ck_assert_int_eq(cfg.pa[2]->meta.created, 1704067200 - 3600);
	mesh_diags_free(&d);
	mesh_config_free(&cfg);
}
END_TEST

static const struct {
	const char *s;
	long long ms;
} dur_rows[] = {{"10s", 10000}, {"250ms", 250}, {"1.5s", 1500}, {"1m30s", 90000},
		{"2h", 7200000}, {"10us", 1},     {"0s", 0},      {"", -1},
		{"10", -1},     {"s", -1},       {"5 s", -1},    {"1d", -1}};

START_TEST(test_durations)
{
	ck_assert_int_eq(mesh_parse_duration_ms(dur_rows[_i].s), dur_rows[_i].ms);
}
END_TEST

/* Our real manifests parse with no error. */
START_TEST(test_real_manifests)
{
	const char *src = getenv("MESHSIM_SRCDIR");
	char path[1024];
	static const char *const files[] = {"namespaces.yaml", "mesh.yaml", "gateway.yaml",
					    "canary-frontend.yaml", "canary-business.yaml",
					    "authorization.yaml"};
	mesh_config_t cfg;
	mesh_diags_t d = {0};
	mesh_config_init(&cfg);
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(path, sizeof path, "%s/k8s/istio/%s", src ? src : ".", files[i]);
		ck_assert_int_eq(mesh_config_load(&cfg, path, &d), 0);
	}
	ck_assert_int_eq(mesh_config_resolve(&cfg, &d), 0);
	if (d.n)
		dump(&d);
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_uint_eq(cfg.ngateways, 1);
	ck_assert_uint_eq(cfg.nvs, 3);
	ck_assert_uint_eq(cfg.ndr, 2);
	ck_assert_uint_eq(cfg.npa, 1);
	ck_assert_uint_eq(cfg.nap, 12);
	ck_assert_uint_eq(cfg.nobjs, 13);
	mesh_diags_free(&d);
	mesh_config_free(&cfg);
}
END_TEST

static Suite *istio_suite(void)
{
	Suite *s = suite_create("istio");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_yaml_lines_and_docs);
	tcase_add_test(tc, test_yaml_errors);
	tcase_add_test(tc, test_parse_vs_dr);
	tcase_add_loop_test(tc, test_bad_manifests, 0, (int)(sizeof bad_rows / sizeof *bad_rows));
	tcase_add_test(tc, test_broken_object_left_out);
	tcase_add_test(tc, test_status_tolerated_and_k8s_kept);
	tcase_add_test(tc, test_host_and_gateway_resolution);
	tcase_add_test(tc, test_age_order);
	tcase_add_loop_test(tc, test_durations, 0, (int)(sizeof dur_rows / sizeof *dur_rows));
	tcase_add_test(tc, test_real_manifests);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(istio_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

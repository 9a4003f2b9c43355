/* tests/sim/metrics_test.c: unit tests of sim/metrics (Check, fork mode):
 * the registry, the exposition, the observation labels and the SQLite
 * store. Pods are opaque keys to the observer, so fake pointers stand for
 * vrt pods here. */
#include <check.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "serve.h"
#include "store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* The exposition of |reg| as a malloc'd string. */
static char *expo(const ms_registry_t *reg, const char *match)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ms_write_prometheus(reg, match, f), 0);
	fclose(f);
	return buf;
}

static ms_labels_t base_labels(void)
{
	ms_labels_t l = {
	    .reporter = "destination",
	    .source_workload = "frontend",
	    .source_workload_namespace = "frontend",
	    .source_principal = "unknown",
	    .source_app = "frontend",
	    .source_version = "stable",
	    .destination_workload = "cartservice",
	    .destination_workload_namespace = "cartservice",
	    .destination_principal = "unknown",
	    .destination_app = "cartservice",
	    .destination_version = "stable",
	    .destination_service = "cartservice.cartservice.svc.cluster.local",
	    .destination_service_name = "cartservice",
	    .destination_service_namespace = "cartservice",
	    .request_protocol = "grpc",
	    .response_code = "200",
	    .grpc_response_status = "0",
	    .response_flags = "-",
	    .connection_security_policy = "none",
	    .source_cluster = "Kubernetes",
	    .destination_cluster = "Kubernetes",
	};
	return l;
}

/* The value of the sample line starting with |prefix| (name and labels up
 * to where they differ); fails when absent. */
static double value_of(const char *text, const char *name,
                       const char *label_part)
{
	const char *p = text;
	size_t nl = strlen(name);
	while ((p = strstr(p, name)) != NULL) {
		const char *eol = strchr(p, '\n');
		ck_assert_ptr_nonnull(eol);
		if ((p == text || p[-1] == '\n') && p[nl] == '{') {
			char line[4096];
			size_t n = (size_t)(eol - p);
			ck_assert_uint_lt(n, sizeof line);
			memcpy(line, p, n);
			line[n] = 0;
			if (!label_part || strstr(line, label_part)) {
				const char *sp = strrchr(line, ' ');
				return strtod(sp + 1, NULL);
			}
		}
		p = eol;
	}
	ck_abort_msg("no sample %s with %s", name,
	             label_part ? label_part : "(any)");
	return NAN;
}

START_TEST(test_family_names)
{
	ck_assert_int_eq(ms_family_find("istio_requests_total"),
	                 MS_REQUESTS_TOTAL);
	ck_assert_int_eq(
	    ms_family_find("istio_request_duration_milliseconds_bucket"),
	    MS_REQUEST_DURATION);
	ck_assert_int_eq(ms_family_find("istio_response_bytes_sum"),
	                 MS_RESPONSE_BYTES);
	ck_assert_int_eq(ms_family_find("istio_requests_total_sum"), -1);
	ck_assert_int_eq(ms_family_find("istio_tcp_connections_closed_total"),
	                 MS_TCP_CLOSED);
	ck_assert_int_eq(ms_family_find("nope"), -1);
	/* MESH.md's duration buckets, exactly. */
	static const double want[] = {0.5,   1,      5,      10,     25,
	                              50,    100,    250,    500,    1000,
	                              2500,  5000,   10000,  30000,  60000,
	                              300000, 600000, 1800000, 3600000};
	ck_assert_int_eq(MS_DURATION_NBUCKETS, 19);
	for (int i = 0; i < MS_DURATION_NBUCKETS; i++)
		ck_assert(ms_duration_buckets[i] == want[i]);
}
END_TEST

START_TEST(test_escape)
{
	char buf[64];
	ck_assert_uint_eq(ms_escape_label("a\"b\\c\nd", buf, sizeof buf), 10);
	ck_assert_str_eq(buf, "a\\\"b\\\\c\\nd");
	/* Truncation as snprintf. */
	ck_assert_uint_eq(ms_escape_label("\"\"\"", buf, 4), 6);
	ck_assert_str_eq(buf, "\\\"\\");

	ms_registry_t *reg = ms_registry_new();
	ms_labels_t l = base_labels();
	l.response_flags = "we\"ird\\flag\nx";
	ck_assert_int_eq(ms_record_request(reg, &l, 1, 1, 1, 0, 0, 0), 0);
	char *t = expo(reg, "istio_requests_total");
	ck_assert_ptr_nonnull(
	    strstr(t, "response_flags=\"we\\\"ird\\\\flag\\nx\""));
	free(t);
	ms_registry_free(reg);
}
END_TEST

START_TEST(test_bucket_edges)
{
	ms_registry_t *reg = ms_registry_new();
	ms_labels_t l = base_labels();
	/* le is inclusive: exactly 0.5 ms is in le="0.5"; a hair above is
	 * not; exactly 3600000 is in the last finite bucket; above, +Inf. */
	ck_assert_int_eq(ms_record_request(reg, &l, 0.5, 1, 10, 1, 1, 1), 0);
	ck_assert_int_eq(ms_record_request(reg, &l, 0.5000001, 0, 11, 1, 1, 1),
	                 0);
	ck_assert_int_eq(ms_record_request(reg, &l, 3600000, 10000000,
	                                   10000001, 1, 1, 0),
	                 0);
	ck_assert_int_eq(ms_record_request(reg, &l, 3600000.5, 0, 0, 1, 1, 0),
	                 0);
	ck_assert_int_eq(ms_record_request(reg, &l, -1, 0, 0, 1, 1, 0),
	                 MS_EINVAL);
	char *t = expo(reg, NULL);
	const char *d = "istio_request_duration_milliseconds_bucket";
	ck_assert(value_of(t, d, "le=\"0.5\"") == 1);
	ck_assert(value_of(t, d, "le=\"1\"") == 2);
	ck_assert(value_of(t, d, "le=\"1800000\"") == 2);
	ck_assert(value_of(t, d, "le=\"3600000\"") == 3);
	ck_assert(value_of(t, d, "le=\"+Inf\"") == 4);
	ck_assert(value_of(t, "istio_request_duration_milliseconds_count",
	                   NULL) == 4);
	ck_assert(fabs(value_of(t, "istio_request_duration_milliseconds_sum",
	                        NULL) -
	               (0.5 + 0.5000001 + 3600000 + 3600000.5)) < 1e-6);
	const char *rb = "istio_request_bytes_bucket";
	ck_assert(value_of(t, rb, "le=\"1\"") == 3);    /* 1, 0, 0 */
	ck_assert(value_of(t, rb, "le=\"1000000\"") == 3);
	ck_assert(value_of(t, rb, "le=\"10000000\"") == 4);
	const char *pb = "istio_response_bytes_bucket";
	ck_assert(value_of(t, pb, "le=\"1\"") == 1);    /* 0 */
	ck_assert(value_of(t, pb, "le=\"10\"") == 2);   /* 10 */
	ck_assert(value_of(t, pb, "le=\"100\"") == 3);  /* 11 */
	ck_assert(value_of(t, pb, "le=\"10000000\"") == 3);
	ck_assert(value_of(t, pb, "le=\"+Inf\"") == 4); /* 10000001 */
	ck_assert(value_of(t, "istio_requests_total", NULL) == 4);
	ck_assert(value_of(t, "istio_request_messages_total", NULL) == 4);
	ck_assert(value_of(t, "istio_response_messages_total", NULL) == 2);
	/* Cumulative and ordered: le values ascend within the series. */
	const char *first = strstr(t, "le=\"0.5\"");
	const char *inf = strstr(t, "le=\"+Inf\"");
	ck_assert_ptr_nonnull(first);
	ck_assert(first < inf);
	free(t);
	ms_registry_free(reg);
}
END_TEST

START_TEST(test_series_and_format)
{
	ms_registry_t *reg = ms_registry_new();
	ms_labels_t a = base_labels(), b = base_labels();
	b.reporter = "source";
	b.connection_security_policy = "unknown";
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(ms_record_request(reg, &a, 3, 10, 20, 1, 1, 1),
		                 0);
		ck_assert_int_eq(ms_record_request(reg, &b, 4, 10, 20, 1, 1, 1),
		                 0);
	}
	ck_assert_uint_eq(ms_registry_series(reg), 2);
	ck_assert_uint_eq(ms_registry_records(reg), 2000);
	/* NULL is "unknown": the same series as the string. */
	ms_labels_t c = base_labels();
	c.source_principal = NULL;
	ck_assert_int_eq(ms_record_request(reg, &c, 3, 10, 20, 1, 1, 1), 0);
	ck_assert_uint_eq(ms_registry_series(reg), 2);
	char *t = expo(reg, NULL);
	/* HELP and TYPE once per family, families in order. */
	const char *h1 = strstr(t, "# HELP istio_requests_total ");
	const char *t1 = strstr(t, "# TYPE istio_requests_total counter\n");
	const char *t2 = strstr(
	    t, "# TYPE istio_request_duration_milliseconds histogram\n");
	const char *t3 = strstr(t, "# TYPE istio_request_bytes histogram\n");
	ck_assert(h1 && t1 && t2 && t3 && h1 < t1 && t1 < t2 && t2 < t3);
	ck_assert_ptr_null(strstr(t1 + 1, "# TYPE istio_requests_total"));
	/* No TCP family without TCP records. */
	ck_assert_ptr_null(strstr(t, "istio_tcp_"));
	/* Labels in MESH.md's order. */
	ck_assert_ptr_nonnull(strstr(
	    t, "istio_requests_total{reporter=\"destination\",source_workload="
	       "\"frontend\",source_workload_namespace=\"frontend\","
	       "source_principal=\"unknown\",source_app=\"frontend\","
	       "source_version=\"stable\",destination_workload=\"cartservice\","
	       "destination_workload_namespace=\"cartservice\","
	       "destination_principal=\"unknown\",destination_app="
	       "\"cartservice\",destination_version=\"stable\","
	       "destination_service=\"cartservice.cartservice.svc.cluster."
	       "local\",destination_service_name=\"cartservice\","
	       "destination_service_namespace=\"cartservice\","
	       "request_protocol=\"grpc\",response_code=\"200\","
	       "grpc_response_status=\"0\",response_flags=\"-\","
	       "connection_security_policy=\"none\",source_cluster="
	       "\"Kubernetes\",destination_cluster=\"Kubernetes\"} 1001\n"));
	/* Sorted by label text: destination before source. */
	ck_assert(strstr(t, "istio_requests_total{reporter=\"destination\"") <
	          strstr(t, "istio_requests_total{reporter=\"source\""));
	/* The same registry, the same bytes. */
	char *t_again = expo(reg, NULL);
	ck_assert_str_eq(t, t_again);
	free(t_again);
	free(t);
	ms_registry_free(reg);
}
END_TEST

START_TEST(test_tcp)
{
	ms_registry_t *reg = ms_registry_new();
	ms_labels_t l = base_labels();
	l.request_protocol = "tcp";
	l.response_code = "200"; /* not a TCP label: ignored */
	ck_assert_int_eq(ms_record_tcp(reg, &l, 100, 50, 1, 0), 0);
	l.response_code = "503";
	ck_assert_int_eq(ms_record_tcp(reg, &l, 1, 2, 0, 1), 0);
	ck_assert_uint_eq(ms_registry_series(reg), 1);
	char *t = expo(reg, NULL);
	ck_assert(value_of(t, "istio_tcp_sent_bytes_total", NULL) == 101);
	ck_assert(value_of(t, "istio_tcp_received_bytes_total", NULL) == 52);
	ck_assert(value_of(t, "istio_tcp_connections_opened_total", NULL) == 1);
	ck_assert(value_of(t, "istio_tcp_connections_closed_total", NULL) == 1);
	ck_assert_ptr_null(strstr(t, "response_code"));
	ck_assert_ptr_null(strstr(t, "grpc_response_status"));
	ck_assert_ptr_null(strstr(t, "istio_requests_total"));
	free(t);
	ms_registry_free(reg);
}
END_TEST

/* ---- observations -------------------------------------------------------- */

static char pod_front, pod_cart, pod_unknown;
#define FRONT ((const vrt_pod_t *)(void *)&pod_front)
#define CART ((const vrt_pod_t *)(void *)&pod_cart)
#define UNKNOWN ((const vrt_pod_t *)(void *)&pod_unknown)

static int resolve_calls;

static int resolve(void *user, const vrt_pod_t *pod, ms_pod_meta_t *out)
{
	(void)user;
	resolve_calls++;
	if (pod == FRONT) {
		*out = (ms_pod_meta_t){"frontend", "frontend", "frontend",
		                       "stable", "frontend", "frontend"};
		return 0;
	}
	if (pod == CART) {
		*out = (ms_pod_meta_t){"cartservice-canary", "cartservice",
		                       "cartservice", "canary", "cartservice",
		                       "cartservice"};
		return 0;
	}
	return -1;
}

static vrt_obs_t grpc_obs(vrt_reporter_t rep, rt_status_t st)
{
	vrt_obs_t o = {
	    .reporter = rep,
	    .id = 1,
	    .start = 1000000,
	    .end = 3500000, /* 2.5 ms */
	    .client = FRONT,
	    .server = CART,
	    .addr = "cartservice:7070",
	    .service = "hipstershop.CartService",
	    .method = "GetCart",
	    .status = st,
	    .req_bytes = 12,
	    .resp_bytes = 345,
	    .proto = VRT_PROTO_GRPC,
	    .response_flags = "-",
	};
	return o;
}

START_TEST(test_obs_both_reporters)
{
	ms_registry_t *reg = ms_registry_new();
	ms_observer_t *o = ms_observer_new(reg, resolve, NULL);
	resolve_calls = 0;
	vrt_obs_t c = grpc_obs(VRT_REPORT_CLIENT, RT_OK);
	vrt_obs_t s = grpc_obs(VRT_REPORT_SERVER, RT_OK);
	c.mtls = s.mtls = 1;
	for (int i = 0; i < 3; i++) {
		ms_obs_record(o, &c);
		ms_obs_record(o, &s);
	}
	ck_assert_int_eq(resolve_calls, 2); /* cached per pod */
	ck_assert_uint_eq(ms_observer_recorded(o), 6);
	char *t = expo(reg, "istio_requests_total");
	ck_assert(value_of(t, "istio_requests_total",
	                   "reporter=\"source\"") == 3);
	ck_assert(value_of(t, "istio_requests_total",
	                   "reporter=\"destination\"") == 3);
	/* Source reporter: Istio cannot tell the policy. */
	ck_assert_ptr_nonnull(strstr(t, "connection_security_policy="
	                                "\"unknown\""));
	ck_assert_ptr_nonnull(strstr(t, "connection_security_policy="
	                                "\"mutual_tls\""));
	ck_assert_ptr_nonnull(strstr(
	    t, "source_principal=\"spiffe://cluster.local/ns/frontend/sa/"
	       "frontend\""));
	ck_assert_ptr_nonnull(strstr(
	    t, "destination_principal=\"spiffe://cluster.local/ns/cartservice/"
	       "sa/cartservice\""));
	ck_assert_ptr_nonnull(strstr(
	    t, "destination_workload=\"cartservice-canary\",destination_"
	       "workload_namespace=\"cartservice\""));
	ck_assert_ptr_nonnull(strstr(t, "destination_version=\"canary\""));
	ck_assert_ptr_nonnull(strstr(
	    t, "destination_service=\"cartservice.cartservice.svc.cluster."
	       "local\",destination_service_name=\"cartservice\","
	       "destination_service_namespace=\"cartservice\""));
	ck_assert_ptr_nonnull(strstr(t, "request_protocol=\"grpc\""));
	ck_assert_ptr_null(strstr(t, "\"unknown\",source_app"));
	free(t);
	t = expo(reg, "istio_request_duration_milliseconds");
	ck_assert(value_of(t, "istio_request_duration_milliseconds_bucket",
	                   "le=\"1\"") == 0);
	ck_assert(value_of(t, "istio_request_duration_milliseconds_bucket",
	                   "le=\"5\"") == 3);
	ck_assert(value_of(t, "istio_request_duration_milliseconds_sum",
	                   NULL) == 7.5);
	free(t);

	/* Without mTLS: principals unknown, the destination says "none". */
	c.mtls = s.mtls = 0;
	ms_obs_record(o, &s);
	t = expo(reg, "istio_requests_total");
	ck_assert_ptr_nonnull(strstr(t, "connection_security_policy=\"none\""));
	ck_assert_ptr_nonnull(strstr(t, "source_principal=\"unknown\""));
	free(t);

	/* A client outside the mesh: no source report; the destination
	 * reports an unknown source. */
	c.client = s.client = NULL;
	uint64_t before = ms_observer_recorded(o);
	ms_obs_record(o, &c);
	ck_assert_uint_eq(ms_observer_recorded(o), before);
	ms_obs_record(o, &s);
	t = expo(reg, "istio_requests_total");
	ck_assert_ptr_nonnull(strstr(
	    t, "source_workload=\"unknown\",source_workload_namespace="
	       "\"unknown\",source_principal=\"unknown\",source_app="
	       "\"unknown\",source_version=\"unknown\""));
	free(t);
	ms_observer_free(o);
	ms_registry_free(reg);
}
END_TEST

/* Outside callers through the ingress gateway: the gateway reports them as
 * the source (reporter="source"), the frontend's sidecar names it as the
 * source, with its principal over mTLS; nothing is reported for the hop
 * into the gateway. Before and after: outside callers are "unknown". */
START_TEST(test_obs_ingress)
{
	static const char gw_src[] =
	    "source_workload=\"istio-ingressgateway\",source_workload_namespace="
	    "\"istio-system\",source_principal=\"spiffe://cluster.local/ns/"
	    "istio-system/sa/istio-ingressgateway\",source_app=\"istio-"
	    "ingressgateway\",source_version=\"unknown\",destination_workload="
	    "\"frontend\"";
	ms_registry_t *reg = ms_registry_new();
	ms_observer_t *o = ms_observer_new(reg, resolve, NULL);
	vrt_obs_t c = grpc_obs(VRT_REPORT_CLIENT, RT_OK);
	vrt_obs_t s = grpc_obs(VRT_REPORT_SERVER, RT_OK);
	c.client = s.client = NULL;
	c.server = s.server = FRONT;
	c.addr = s.addr = "frontend:80";
	c.proto = s.proto = VRT_PROTO_HTTP;
	c.http_status = s.http_status = 200;
	c.mtls = s.mtls = 1;

	/* No gateway yet: only the destination reports, source unknown (and
	 * the fast path remembers that series). */
	ms_obs_record(o, &c);
	ms_obs_record(o, &s);
	ck_assert_uint_eq(ms_observer_recorded(o), 1);

	ms_pod_meta_t gw = {"istio-ingressgateway", "istio-system",
	                    "istio-ingressgateway", NULL,
	                    "istio-ingressgateway", "istio-ingressgateway"};
	ck_assert_int_eq(ms_observer_set_ingress(NULL, &gw), MS_EINVAL);
	ck_assert_int_eq(ms_observer_set_ingress(o, &gw), 0);
	for (int i = 0; i < 2; i++) {
		ms_obs_record(o, &c);
		ms_obs_record(o, &s);
	}
	ck_assert_uint_eq(ms_observer_recorded(o), 5);
	char *t = expo(reg, "istio_requests_total");
	char want[1024];
	snprintf(want, sizeof want, "reporter=\"source\",%s", gw_src);
	ck_assert(value_of(t, "istio_requests_total", want) == 2);
	snprintf(want, sizeof want, "reporter=\"destination\",%s", gw_src);
	ck_assert(value_of(t, "istio_requests_total", want) == 2);
	ck_assert(value_of(t, "istio_requests_total",
	                   "reporter=\"destination\",source_workload="
	                   "\"unknown\"") == 1);
	/* The gateway is only ever a source. */
	ck_assert_ptr_null(strstr(t, "destination_workload=\"istio-"));
	free(t);

	/* Plaintext into the frontend: the gateway's principal unknown. */
	s.mtls = 0;
	ms_obs_record(o, &s);
	t = expo(reg, "istio_requests_total");
	ck_assert(value_of(t, "istio_requests_total",
	                   "source_workload=\"istio-ingressgateway\",source_"
	                   "workload_namespace=\"istio-system\",source_"
	                   "principal=\"unknown\"") == 1);
	free(t);

	/* Removed again: outside callers unknown, no source report. */
	ck_assert_int_eq(ms_observer_set_ingress(o, NULL), 0);
	s.mtls = 1;
	uint64_t before = ms_observer_recorded(o);
	ms_obs_record(o, &c);
	ck_assert_uint_eq(ms_observer_recorded(o), before);
	ms_obs_record(o, &s);
	t = expo(reg, "istio_requests_total");
	ck_assert(value_of(t, "istio_requests_total",
	                   "reporter=\"destination\",source_workload="
	                   "\"unknown\"") == 2);
	free(t);
	ms_observer_free(o);
	ms_registry_free(reg);
}
END_TEST

START_TEST(test_obs_status_codes)
{
	ms_registry_t *reg = ms_registry_new();
	ms_observer_t *o = ms_observer_new(reg, resolve, NULL);
	/* The service answered PERMISSION_DENIED: HTTP 200, grpc-status 7. */
	vrt_obs_t d = grpc_obs(VRT_REPORT_SERVER, RT_PERMISSION_DENIED);
	ck_assert_int_eq(ms_obs_response_code(&d), 200);
	ms_obs_record(o, &d);
	/* The server sidecar denied it (RBAC): 403 and grpc-status 7. */
	vrt_obs_t r = grpc_obs(VRT_REPORT_SERVER, RT_PERMISSION_DENIED);
	r.http_status = 403;
	ck_assert_int_eq(ms_obs_response_code(&r), 403);
	ms_obs_record(o, &r);
	/* No endpoint: Envoy's 503 with UH; grpc-status 14. */
	vrt_obs_t u = grpc_obs(VRT_REPORT_CLIENT, RT_UNAVAILABLE);
	u.server = NULL;
	u.response_flags = "UH";
	ck_assert_int_eq(ms_obs_response_code(&u), 503);
	ms_obs_record(o, &u);
	/* The caller gave up: no response at all. */
	vrt_obs_t x = grpc_obs(VRT_REPORT_CLIENT, RT_DEADLINE_EXCEEDED);
	ck_assert_int_eq(ms_obs_response_code(&x), 0);
	/* Plain HTTP: the status itself, no grpc status. */
	vrt_obs_t h = grpc_obs(VRT_REPORT_SERVER, RT_OK);
	h.proto = VRT_PROTO_HTTP;
	h.http_status = 403;
	h.addr = "frontend:80";
	h.response_flags = "UO,URX";
	ck_assert_int_eq(ms_obs_response_code(&h), 403);
	ms_obs_record(o, &h);
	/* HTTP without a response: 0; without an endpoint: 503. */
	vrt_obs_t h0 = h;
	h0.reporter = VRT_REPORT_CLIENT;
	h0.http_status = 0;
	h0.status = RT_DEADLINE_EXCEEDED;
	ck_assert_int_eq(ms_obs_response_code(&h0), 0);
	h0.status = RT_UNAVAILABLE;
	ck_assert_int_eq(ms_obs_response_code(&h0), 0); /* a server was dialled */
	h0.server = NULL;
	ck_assert_int_eq(ms_obs_response_code(&h0), 503);
	/* A server cut short by a cancellation answered nothing. */
	vrt_obs_t cs = grpc_obs(VRT_REPORT_SERVER, RT_CANCELLED);
	ck_assert_int_eq(ms_obs_response_code(&cs), 0);
	/* A service answering DEADLINE_EXCEEDED did answer. */
	cs.status = RT_DEADLINE_EXCEEDED;
	ck_assert_int_eq(ms_obs_response_code(&cs), 200);

	char *t = expo(reg, "istio_requests_total");
	ck_assert_ptr_nonnull(
	    strstr(t, "response_code=\"200\",grpc_response_status=\"7\","
	              "response_flags=\"-\""));
	ck_assert_ptr_nonnull(
	    strstr(t, "response_code=\"403\",grpc_response_status=\"7\","
	              "response_flags=\"-\""));
	/* No server pod: the host dialled names the service. */
	ck_assert_ptr_nonnull(strstr(
	    t, "destination_workload=\"unknown\",destination_workload_namespace"
	       "=\"unknown\",destination_principal=\"unknown\",destination_app="
	       "\"unknown\",destination_version=\"unknown\","
	       "destination_service=\"cartservice\",destination_service_name="
	       "\"cartservice\",destination_service_namespace=\"unknown\","
	       "request_protocol=\"grpc\",response_code=\"503\","
	       "grpc_response_status=\"14\",response_flags=\"UH\""));
	ck_assert_ptr_nonnull(
	    strstr(t, "request_protocol=\"http\",response_code=\"403\","
	              "grpc_response_status=\"\",response_flags=\"UO,URX\""));
	free(t);
	/* gRPC messages only for gRPC series; none back on a failure. */
	t = expo(reg, "istio_response_messages_total");
	ck_assert_ptr_null(strstr(t, "request_protocol=\"http\""));
	ck_assert(value_of(t, "istio_response_messages_total",
	                   "response_code=\"403\"") == 0);
	free(t);
	ms_observer_free(o);
	ms_registry_free(reg);
}
END_TEST

/* The host of a dotted address gives the namespace. */
START_TEST(test_obs_addr_namespace)
{
	ms_registry_t *reg = ms_registry_new();
	ms_observer_t *o = ms_observer_new(reg, NULL, NULL);
	vrt_obs_t u = grpc_obs(VRT_REPORT_SERVER, RT_OK);
	u.server = UNKNOWN;
	u.addr = "cartservice.shop.svc.cluster.local:7070";
	ms_obs_record(o, &u);
	char *t = expo(reg, NULL);
	ck_assert_ptr_nonnull(strstr(
	    t, "destination_service=\"cartservice.shop.svc.cluster.local\","
	       "destination_service_name=\"cartservice\","
	       "destination_service_namespace=\"shop\""));
	free(t);
	ms_observer_free(o);
	ms_registry_free(reg);
}
END_TEST

/* ---- the store ----------------------------------------------------------- */

START_TEST(test_store_roundtrip)
{
	char path[] = "/tmp/metrics_test_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	char err[256];
	ms_store_t *st;
	ck_assert_int_eq(ms_store_create(path, &st, err, sizeof err), 0);
	ck_assert_int_eq(ms_store_set_meta(st, "seed", "7"), 0);
	ms_registry_t *reg = ms_registry_new();
	ms_labels_t a = base_labels(), b = base_labels();
	b.reporter = "source";
	ms_record_request(reg, &a, 2, 10, 20, 1, 1, 1);
	ck_assert_int_eq(ms_store_snapshot(st, reg, 15000), 0);
	char *at15 = expo(reg, NULL);
	ms_record_request(reg, &b, 700, 10, 20, 1, 1, 1);
	ms_record_request(reg, &a, 2, 10, 20, 1, 1, 1);
	ck_assert_int_eq(ms_store_snapshot(st, reg, 30000), 0);
	/* Nothing changed: a scrape time, no samples. */
	ck_assert_int_eq(ms_store_snapshot(st, reg, 45000), 0);
	char *at45 = expo(reg, NULL);
	ck_assert_int_eq(ms_store_close(st), 0);

	ck_assert_int_eq(ms_store_open(path, &st, err, sizeof err), 0);
	int64_t last;
	ck_assert_int_eq(ms_store_last(st, &last), 0);
	ck_assert_int_eq(last, 45000);
	/* The stored exposition is the live one, byte for byte. */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(ms_store_write_prometheus(st, -1, NULL, f), 0);
	fclose(f);
	ck_assert_str_eq(buf, at45);
	free(buf);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(ms_store_write_prometheus(st, 20000, NULL, f), 0);
	fclose(f);
	ck_assert_str_eq(buf, at15);
	free(buf);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(ms_store_write_prometheus(st, 29999,
	                                           "istio_requests_total", f),
	                 0);
	fclose(f);
	ck_assert_ptr_null(strstr(buf, "_bucket"));
	ck_assert(value_of(buf, "istio_requests_total", NULL) == 1);
	free(buf);
	ck_assert_int_eq(ms_store_write_prometheus(st, -1, "nope", stdout),
	                 MS_EINVAL);
	ms_store_close(st);

	/* Read it with plain SQL, as a user would. */
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *q;
	ck_assert_int_eq(
	    sqlite3_prepare_v2(db,
	                       "SELECT v.value, s.labels_json FROM samples v "
	                       "JOIN series s ON s.id = v.series_id WHERE "
	                       "s.name = 'istio_requests_total' AND "
	                       "s.labels_json LIKE '%\"reporter\":\"destination\"%'"
	                       " ORDER BY v.t_ms",
	                       -1, &q, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert(sqlite3_column_double(q, 0) == 1);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert(sqlite3_column_double(q, 0) == 2);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM scrapes",
	                                    -1, &q, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(q, 0), 3);
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(at15);
	free(at45);
	ms_registry_free(reg);
	unlink(path);
}
END_TEST

START_TEST(test_store_rejects_other_files)
{
	char path[] = "/tmp/metrics_test_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hello", 5), 5);
	close(fd);
	ms_store_t *st = NULL;
	char err[256] = "";
	ck_assert_int_eq(ms_store_open(path, &st, err, sizeof err), MS_EDB);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(err, "not a metrics database"));
	unlink(path);
	ck_assert_str_eq(ms_err_name(MS_EDB), "MS_EDB");
	ck_assert_str_eq(ms_strerror(MS_ENOMEM), "out of memory");
}
END_TEST

/* ---- the scrape endpoint ------------------------------------------------- */

/* One HTTP exchange with 127.0.0.1:|port|; the whole answer, malloc'd. */
static char *http_get(int port, const char *request)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(send(fd, request, strlen(request), 0),
	                 (ssize_t)strlen(request));
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	for (int i = 0; i < 1000; i++) { /* bounded: the server closes */
		ssize_t k = recv(fd, buf + n, cap - n, 0);
		if (k <= 0)
			break;
		n += (size_t)k;
		ck_assert_uint_lt(n, cap);
	}
	buf[n] = 0;
	close(fd);
	return buf;
}

START_TEST(test_serve)
{
	char err[256];
	ms_server_t *srv = NULL;
	ck_assert_int_eq(ms_server_start("10.1.2.3:9100", &srv, err, sizeof err),
	                 MS_EINVAL);
	ck_assert_int_eq(ms_server_start("localhost", &srv, err, sizeof err),
	                 MS_EINVAL);
	ck_assert_int_eq(ms_server_start("127.0.0.1:0", &srv, err, sizeof err),
	                 0);
	int port = ms_server_port(srv);
	ck_assert_int_gt(port, 0);
	char *r = http_get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "HTTP/1.1 200 OK\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "Content-Length: 0\r\n"));
	free(r);
	static const char text[] = "# TYPE a_total counter\na_total 1\n";
	ck_assert_int_eq(ms_server_publish(srv, text, sizeof text - 1), 0);
	r = http_get(port, "GET /stats/prometheus HTTP/1.1\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(
	    r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	const char *body = strstr(r, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_str_eq(body + 4, text);
	free(r);
	r = http_get(port, "GET /nope HTTP/1.1\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "HTTP/1.1 404 "));
	free(r);
	r = http_get(port, "POST /metrics HTTP/1.1\r\n\r\n");
	ck_assert_ptr_nonnull(strstr(r, "HTTP/1.1 405 "));
	free(r);
	ck_assert_uint_eq(ms_server_requests(srv), 4);
	ms_server_stop(srv);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("registry");
	tcase_add_test(tc, test_family_names);
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_bucket_edges);
	tcase_add_test(tc, test_series_and_format);
	tcase_add_test(tc, test_tcp);
	suite_add_tcase(s, tc);
	tc = tcase_create("obs");
	tcase_add_test(tc, test_obs_both_reporters);
	tcase_add_test(tc, test_obs_ingress);
	tcase_add_test(tc, test_obs_status_codes);
	tcase_add_test(tc, test_obs_addr_namespace);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_test(tc, test_store_roundtrip);
	tcase_add_test(tc, test_store_rejects_other_files);
	suite_add_tcase(s, tc);
	tc = tcase_create("serve");
	tcase_add_test(tc, test_serve);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

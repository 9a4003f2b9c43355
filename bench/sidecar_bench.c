/* bench/sidecar_bench.c: the virtual data plane's speed (sim/dataplane/
 * sidecar.h), in wall-clock terms. Not part of `make check`; run with
 * `make bench-sidecar`.
 *
 *  1. Handshakes per wall second: SIDECAR_BENCH_PODS client pods each make
 *     one call to a currencyservice pod (mesh-wide STRICT mTLS), so every
 *     call opens a connection: with the handshake cache off (every
 *     handshake a real OpenSSL TLS 1.3 mutual handshake) and on (the first
 *     per certificate pair real, the rest replayed).
 *  2. Requests per wall second: a closed loop of 64 callers on 16 client
 *     pods calling CurrencyService/Convert on one pod (1 core, the
 *     committed profile), without a mesh and with sidecars (STRICT mTLS,
 *     an AuthorizationPolicy, a VirtualService with a subset), same calls,
 *     same run; the ratio is the data plane's cost in simulator speed.
 *
 *   bench/sidecar_bench [PROFILE.json]
 *   SIDECAR_BENCH_PODS (default 2000), SIDECAR_BENCH_CALLS (default 300000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "currency/currency.h"
#include "proto/demo.pb-c.h"
#include "sidecar.h"
#include "vrt.h"

#define EPOCH ((rt_time_t)1767225600 * RT_SEC)
#define CUR "currencyservice.currencyservice.svc.cluster.local"

static const char *const YAML =
    "apiVersion: security.istio.io/v1\n"
    "kind: PeerAuthentication\n"
    "metadata: {name: default, namespace: istio-system}\n"
    "spec: {mtls: {mode: STRICT}}\n"
    "---\n"
    "apiVersion: security.istio.io/v1\n"
    "kind: AuthorizationPolicy\n"
    "metadata: {name: currency, namespace: currencyservice}\n"
    "spec:\n"
    "  selector: {matchLabels: {app: currencyservice}}\n"
    "  action: ALLOW\n"
    "  rules:\n"
    "  - from: [{source: {principals: [cluster.local/ns/frontend/sa/frontend]}}]\n"
    "---\n"
    "apiVersion: networking.istio.io/v1\n"
    "kind: DestinationRule\n"
    "metadata: {name: currency, namespace: currencyservice}\n"
    "spec:\n"
    "  host: " CUR "\n"
    "  subsets: [{name: stable, labels: {version: stable}}]\n"
    "---\n"
    "apiVersion: networking.istio.io/v1\n"
    "kind: VirtualService\n"
    "metadata: {name: currency, namespace: currencyservice}\n"
    "spec:\n"
    "  hosts: [" CUR "]\n"
    "  http:\n"
    "  - route: [{destination: {host: " CUR ", subset: stable}}]\n";

static int identify(void *user, const vrt_pod_t *pod, dp_workload_t *out)
{
	(void)user;
	if (!strncmp(vrt_pod_name(pod), "cur", 3))
		*out = (dp_workload_t){"currencyservice", "currencyservice",
		                       "stable", "currencyservice", 1};
	else
		*out = (dp_workload_t){"frontend", "frontend", NULL, "frontend", 1};
	return 0;
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct bench {
	vrt_world_t *w;
	mesh_config_t cfg;
	dp_sidecars_t *sc;
	vrt_pod_t **clients;
	size_t nclients;
	long left, done, failed;
	size_t next;
	Hipstershop__Money from;
	Hipstershop__CurrencyConversionRequest req;
} bench_t;

static void die(const char *what)
{
	fprintf(stderr, "sidecar_bench: %s\n", what);
	exit(1);
}

static void setup(bench_t *b, size_t nclients, int mesh, int no_cache,
                  const char *profile)
{
	memset(b, 0, sizeof *b);
	b->w = vrt_world_new(1, EPOCH);
	if (!b->w)
		die("out of memory");
	if (profile) {
		vrt_profile_t *p;
		char err[512];
		if (vrt_profile_load(profile, &p, err, sizeof err) != 0)
			die(err);
		vrt_world_set_profile(b->w, p);
	}
	vrt_pod_t *cur;
	if (vrt_pod_start(b->w, &currency_service, "cur-0", NULL, 1.0, &cur))
		die("cannot start currencyservice");
	vrt_endpoints_t *eps = vrt_endpoints_new(
	    b->w, "currencyservice/currencyservice", VRT_LB_ROUND_ROBIN);
	if (!eps || vrt_endpoints_add(eps, cur) ||
	    vrt_world_bind(b->w, "currencyservice:7000", eps) ||
	    vrt_world_bind(b->w, CUR ":7000", eps))
		die("cannot bind");
	b->clients = calloc(nclients, sizeof *b->clients);
	b->nclients = nclients;
	for (size_t i = 0; i < nclients; i++) {
		char name[32];
		snprintf(name, sizeof name, "fe-%zu", i);
		if (vrt_pod_start(b->w, &currency_service, name, NULL, 1.0,
		                  &b->clients[i]))
			die("cannot start a client pod");
	}
	if (mesh) {
		mesh_diags_t d = {0};
		if (mesh_config_init(&b->cfg) ||
		    mesh_config_load_string(&b->cfg, "bench.yaml", YAML, &d) != 0 ||
		    mesh_config_resolve(&b->cfg, &d) != 0)
			die("bad mesh config");
		mesh_diags_free(&d);
		dp_config_t dc = {.mesh = &b->cfg, .identify = identify,
		                  .no_handshake_cache = no_cache};
		char err[256];
		if (dp_sidecars_new(b->w, &dc, &b->sc, err, sizeof err))
			die(err);
	}
	b->from = (Hipstershop__Money)HIPSTERSHOP__MONEY__INIT;
	b->from.currency_code = (char *)"EUR";
	b->from.units = 123;
	b->from.nanos = 450000000;
	b->req = (Hipstershop__CurrencyConversionRequest)
	    HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
	b->req.from = &b->from;
	b->req.to_code = (char *)"USD";
}

static void teardown(bench_t *b)
{
	dp_sidecars_free(b->sc);
	vrt_world_free(b->w);
	if (b->sc)
		mesh_config_free(&b->cfg);
	free(b->clients);
}

static void issue(bench_t *b);

static void on_done(void *user, rt_status_t st, const char *msg,
                    ProtobufCMessage *resp)
{
	bench_t *b = user;
	(void)msg;
	b->done++;
	if (st != RT_OK)
		b->failed++;
	rt_msg_free(resp);
	if (b->left > 0)
		issue(b);
}

static void issue(bench_t *b)
{
	b->left--;
	vrt_pod_t *c = b->clients[b->next++ % b->nclients];
	if (!rt_invoke(vrt_pod_rt(c), "currencyservice:7000",
	               "hipstershop.CurrencyService", "Convert", &b->req.base,
	               &hipstershop__money__descriptor, NULL, on_done, b))
		die("call refused");
}

/* One call from each client pod: a connection, so a handshake, each. */
static void handshakes(size_t pods, int no_cache, const char *profile)
{
	bench_t b;
	setup(&b, pods, 1, no_cache, profile);
	b.left = (long)pods;
	double t0 = wall();
	while (b.left > 0)
		issue(&b);
	vrt_run(b.w, DES_TIME_MAX);
	double dt = wall() - t0;
	dp_stats_t st;
	dp_sidecars_stats(b.sc, &st);
	printf("handshakes, cache %-3s  %6llu handshakes (%llu through OpenSSL), "
	       "%ld calls, %ld failed: %8.0f handshakes/s (%.1f us each)\n",
	       no_cache ? "off" : "on", (unsigned long long)st.handshakes,
	       (unsigned long long)st.handshakes_real, b.done, b.failed,
	       (double)st.handshakes / dt, dt / (double)st.handshakes * 1e6);
	teardown(&b);
}

static double requests(long calls, int mesh, const char *profile)
{
	bench_t b;
	setup(&b, 16, mesh, 0, profile);
	b.left = calls;
	double t0 = wall();
	for (int i = 0; i < 64; i++)
		issue(&b);
	vrt_run(b.w, DES_TIME_MAX);
	double dt = wall() - t0;
	uint64_t events = des_events_run(vrt_world_des(b.w));
	double rate = (double)b.done / dt;
	printf("requests, mesh %-3s     %ld calls, %ld failed, %.0f virtual ms: "
	       "%8.0f calls/s, %.2f events/call\n",
	       mesh ? "on" : "off", b.done, b.failed,
	       (double)des_now(vrt_world_des(b.w)) / 1e6, rate,
	       (double)events / (double)b.done);
	if (b.failed)
		die("calls failed");
	teardown(&b);
	return rate;
}

int main(int argc, char **argv)
{
	const char *profile = argc > 1 ? argv[1] : NULL;
	const char *e = getenv("SIDECAR_BENCH_PODS");
	size_t pods = e ? (size_t)atol(e) : 2000;
	e = getenv("SIDECAR_BENCH_CALLS");
	long calls = e ? atol(e) : 300000;
	handshakes(pods, 1, profile);
	handshakes(pods, 0, profile);
	double off = requests(calls, 0, profile);
	double on = requests(calls, 1, profile);
	printf("data plane cost: mesh on runs at %.2f of mesh off's speed "
	       "(%.2fx slower)\n",
	       on / off, off / on);
	return 0;
}

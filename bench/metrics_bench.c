/* bench/metrics_bench.c: the cost of one Istio metrics record in the
 * simulator's hot path (ms_obs_record: resolve the pods from the cache,
 * format the codes, hash the label set, find the series, bump a counter
 * and three histograms), and the exposition's size and time.
 *
 * The observations cycle through the call graph of the shop (12 workloads,
 * both reporters, a few status codes), so the series are all made in the
 * first pass and the steady state must not allocate: the bench counts the
 * heap in use before and after (mallinfo2) and fails (exit 1) if it grew.
 *
 *   bench/metrics_bench [RECORDS]   (default 5000000)
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

#define NPODS 12
static char pods[NPODS];
static const char *const apps[NPODS] = {
    "frontend",        "cartservice",        "productcatalogservice",
    "currencyservice", "paymentservice",     "shippingservice",
    "emailservice",    "checkoutservice",    "recommendationservice",
    "adservice",       "loadgenerator",      "business",
};

static int resolve(void *user, const vrt_pod_t *pod, ms_pod_meta_t *out)
{
	(void)user;
	int i = (int)((const char *)(const void *)pod - pods);
	if (i < 0 || i >= NPODS)
		return -1;
	*out = (ms_pod_meta_t){apps[i], apps[i], apps[i], "stable", apps[i],
	                       apps[i]};
	return 0;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000000;
	if (n < 1000)
		n = 1000;
	/* The edges of the shop's call graph (client -> server). */
	static const int edges[][2] = {
	    {0, 1}, {0, 2}, {0, 3}, {0, 5}, {0, 7}, {0, 8}, {0, 9},
	    {7, 1}, {7, 2}, {7, 3}, {7, 4}, {7, 5}, {7, 6}, {8, 2},
	    {10, 0}, {11, 0},
	};
	const int nedges = (int)(sizeof edges / sizeof edges[0]);
	static const rt_status_t st[] = {RT_OK, RT_OK, RT_OK, RT_OK,
	                                 RT_UNAVAILABLE, RT_PERMISSION_DENIED};
	static const char *const addrs[NPODS] = {
	    "frontend:80",           "cartservice:7070",
	    "productcatalogservice:3550", "currencyservice:7000",
	    "paymentservice:50051",  "shippingservice:50051",
	    "emailservice:5000",     "checkoutservice:5050",
	    "recommendationservice:8080", "adservice:9555",
	    "loadgenerator:80",      "business:80",
	};
	ms_registry_t *reg = ms_registry_new();
	ms_observer_t *o = reg ? ms_observer_new(reg, resolve, NULL) : NULL;
	if (!o)
		return 1;
	vrt_obs_t ob = {.response_flags = "-", .mtls = 1};
	/* Warm-up: every label set once. */
	long k = 0;
	for (int e = 0; e < nedges; e++)
		for (int s = 0; s < 6; s++)
			for (int r = 0; r < 2; r++, k++) {
				ob.reporter = r ? VRT_REPORT_SERVER : VRT_REPORT_CLIENT;
				ob.client = (const vrt_pod_t *)(void *)&pods[edges[e][0]];
				ob.server = (const vrt_pod_t *)(void *)&pods[edges[e][1]];
				ob.addr = addrs[edges[e][1]];
				ob.proto = edges[e][1] == 0 ? VRT_PROTO_HTTP : VRT_PROTO_GRPC;
				ob.http_status = ob.proto == VRT_PROTO_HTTP ? 200 : 0;
				ob.status = st[s];
				ob.start = 0;
				ob.end = 1000000 + k * 7919 % 50000000;
				ob.req_bytes = 100 + (size_t)(k % 5000);
				ob.resp_bytes = 1000 + (size_t)(k % 50000);
				ms_obs_record(o, &ob);
			}
	size_t series = ms_registry_series(reg);
	struct mallinfo2 m0 = mallinfo2();
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		int e = (int)(i % nedges), s = (int)(i / nedges % 6);
		ob.reporter = i & 1 ? VRT_REPORT_SERVER : VRT_REPORT_CLIENT;
		ob.client = (const vrt_pod_t *)(void *)&pods[edges[e][0]];
		ob.server = (const vrt_pod_t *)(void *)&pods[edges[e][1]];
		ob.addr = addrs[edges[e][1]];
		ob.proto = edges[e][1] == 0 ? VRT_PROTO_HTTP : VRT_PROTO_GRPC;
		ob.http_status = ob.proto == VRT_PROTO_HTTP ? 200 : 0;
		ob.status = st[s];
		ob.end = 1000000 + i * 7919 % 50000000;
		ob.req_bytes = 100 + (size_t)(i % 5000);
		ob.resp_bytes = 1000 + (size_t)(i % 50000);
		ms_obs_record(o, &ob);
	}
	double dt = now_s() - t0;
	struct mallinfo2 m1 = mallinfo2();
	if (ms_registry_series(reg) != series) {
		fprintf(stderr, "metrics_bench: series grew in the steady state\n");
		return 1;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	double t1 = now_s();
	if (!f || ms_write_prometheus(reg, NULL, f) != 0)
		return 1;
	fclose(f);
	double dx = now_s() - t1;
	printf("metrics_bench: %ld records over %zu series: %.1f ns/record "
	       "(%.2f M records/s)\n",
	       n, series, dt / (double)n * 1e9, (double)n / dt / 1e6);
	printf("metrics_bench: heap in use %zu -> %zu bytes in the steady "
	       "state\n",
	       m0.uordblks, m1.uordblks);
	printf("metrics_bench: exposition %zu bytes (%.1f KB per label set) "
	       "in %.2f ms\n",
	       len, (double)len / 1024.0 / (double)series, dx * 1e3);
	free(buf);
	ms_observer_free(o);
	ms_registry_free(reg);
	if (m1.uordblks != m0.uordblks) {
		fprintf(stderr, "metrics_bench: the steady state allocated\n");
		return 1;
	}
	return 0;
}

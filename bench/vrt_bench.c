/* bench/vrt_bench.c: simulated calls per wall-clock second through the
 * virtual runtime (sim/vrt): a closed loop of external clients calling
 * hipstershop.CurrencyService/Convert on one currencyservice pod, every
 * call going through the whole path (encode, network model, PS CPU,
 * decode, the real handler, reply, decode). Not part of `make check`; run
 * with `make bench-vrt`.
 *
 *   bench/vrt_bench [PROFILE.json]
 *   VRT_BENCH_CALLS (default 1000000), VRT_BENCH_CONCURRENCY (default 64)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "currency/currency.h"
#include "proto/demo.pb-c.h"
#include "vrt.h"

typedef struct loop {
	vrt_world_t *w;
	long left, done, failed;
	Hipstershop__Money from;
	Hipstershop__CurrencyConversionRequest req;
} loop_t;

static void issue(loop_t *l);

static void on_done(void *user, rt_status_t st, const char *msg,
                    ProtobufCMessage *resp)
{
	loop_t *l = user;
	(void)msg;
	l->done++;
	if (st != RT_OK)
		l->failed++;
	rt_msg_free(resp);
	if (l->left > 0)
		issue(l);
}

static void issue(loop_t *l)
{
	l->left--;
	if (!vrt_client_call(l->w, "currencyservice:7000",
	                     "hipstershop.CurrencyService", "Convert",
	                     &l->req.base, &hipstershop__money__descriptor,
	                     RT_SEC, on_done, l)) {
		fprintf(stderr, "vrt_bench: call refused\n");
		exit(1);
	}
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long env_long(const char *name, long def)
{
	const char *s = getenv(name);
	return s && *s ? strtol(s, NULL, 10) : def;
}

int main(int argc, char **argv)
{
	long calls = env_long("VRT_BENCH_CALLS", 1000000);
	long conc = env_long("VRT_BENCH_CONCURRENCY", 64);
	vrt_world_t *w = vrt_world_new(1, (rt_time_t)1767225600 * RT_SEC);
	if (!w)
		return 1;
	if (argc > 1) {
		char err[512];
		vrt_profile_t *p;
		if (vrt_profile_load(argv[1], &p, err, sizeof err) != 0) {
			fprintf(stderr, "vrt_bench: %s\n", err);
			return 1;
		}
		vrt_world_set_profile(w, p);
	}
	vrt_pod_t *pod;
	if (vrt_pod_start(w, &currency_service, "currencyservice-0", NULL, 1,
	                  &pod) != 0)
		return 1;
	vrt_endpoints_t *eps = vrt_endpoints_new(w, "currencyservice",
	                                         VRT_LB_ROUND_ROBIN);
	vrt_world_bind(w, "currencyservice:7000", eps);
	vrt_endpoints_add(eps, pod);
	loop_t l = {w, calls, 0, 0, HIPSTERSHOP__MONEY__INIT,
	            HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT};
	l.from.currency_code = (char *)"USD";
	l.from.units = 42;
	l.from.nanos = 500000000;
	l.req.from = &l.from;
	l.req.to_code = (char *)"EUR";
	double t0 = wall();
	for (long i = 0; i < conc && l.left > 0; i++)
		issue(&l);
	vrt_run(w, DES_TIME_MAX);
	double secs = wall() - t0;
	des_time_t busy;
	vrt_pod_cpu(pod, &busy, NULL, NULL);
	des_time_t vt = des_now(vrt_world_des(w));
	printf("vrt_bench: %ld Convert calls (%ld failed), concurrency %ld, "
	       "one pod of 1 core\n",
	       l.done, l.failed, conc);
	printf("  wall %.3f s: %.0f simulated calls/s, %.0f engine events/s "
	       "(%.1f events per call)\n",
	       secs, (double)l.done / secs,
	       (double)des_events_run(vrt_world_des(w)) / secs,
	       (double)des_events_run(vrt_world_des(w)) / (double)l.done);
	printf("  virtual %.3f s (%.2fx wall), pod CPU busy %.1f%%, mean "
	       "response %.1f us\n",
	       (double)vt / 1e9, (double)vt / 1e9 / secs,
	       100.0 * (double)busy / (double)vt,
	       (double)vt / 1e3 * (double)conc / (double)l.done);
	vrt_world_free(w);
	return l.failed ? 1 : 0;
}

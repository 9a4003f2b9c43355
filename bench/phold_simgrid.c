/* bench/phold_simgrid.c: the PHOLD of bench/phold.c on SimGrid's engine,
 * for a same-run comparison (SimGrid 3.32, Debian libsimgrid-dev; built by
 * `make bench-des` only when pkg-config finds simgrid; not in make check).
 *
 * N actors on one host, each sleeping exp(mean 1 us) in a loop: N timer
 * events pending, one fired per sleep, as ANCHORS.md measured SimGrid.
 * Usage: phold_simgrid N EVENTS SEED; prints events_per_sec=X.
 */
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "rng.h"

static uint64_t g_target, g_count, g_seed;

static void lp_main(int argc, char *argv[])
{
	des_rng_t r;
	des_rng_substream(&r, g_seed, "phold", strtoull(argv[1], NULL, 10));
	while (g_count < g_target) {
		sg_actor_sleep_for(des_rng_exp(&r, 1e-6));
		g_count++;
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char *argv[])
{
	if (argc != 4) {
		fprintf(stderr, "usage: phold_simgrid N EVENTS SEED\n");
		return 2;
	}
	size_t n = strtoull(argv[1], NULL, 10);
	g_target = strtoull(argv[2], NULL, 10);
	g_seed = strtoull(argv[3], NULL, 10);

	char plat[] = "/tmp/phold_simgrid_XXXXXX.xml";
	int fd = mkstemps(plat, 4);
	if (fd < 0) {
		perror("mkstemps");
		return 2;
	}
	FILE *f = fdopen(fd, "w");
	fprintf(f, "<?xml version='1.0'?>\n"
	           "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
	           "<platform version=\"4.1\"><zone id=\"z\" routing=\"Full\">"
	           "<host id=\"h\" speed=\"1Gf\"/></zone></platform>\n");
	fclose(f);

	/* SimGrid's default contexts, as ANCHORS.md measured it. (With them,
	 * 100k actors exceed Linux's default vm.max_map_count, so
	 * bench/phold runs this at 1k pending only.) */
	int sargc = 2;
	char *sargv[] = {argv[0], "--log=root.thres:critical", NULL};
	simgrid_init(&sargc, sargv);
	simgrid_load_platform(plat);
	unlink(plat);
	sg_host_t h = sg_host_by_name("h");
	for (size_t i = 0; i < n; i++) {
		char idx[32];
		snprintf(idx, sizeof idx, "%zu", i);
		char *av[] = {"lp", idx, NULL};
		sg_actor_create("lp", h, lp_main, 2, av);
	}
	double t0 = now_s();
	simgrid_run();
	double t1 = now_s();
	printf("events_per_sec=%.0f\nevents=%llu\nseconds=%.3f\n",
	       g_count / (t1 - t0), (unsigned long long)g_count, t1 - t0);
	return 0;
}

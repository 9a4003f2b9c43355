/*
 * cmd_metrics.c — `meshsim metrics --db FILE`: Istio's standard metrics of
 * a stored run (meshsim run --metrics-db) in Prometheus text format, at the
 * last snapshot or at a virtual time, printed or served on loopback.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgenerator/loadgen.h"
#include "meshsim.h"
#include "metrics.h"
#include "serve.h"
#include "store.h"

static volatile sig_atomic_t stop_serving;

static void on_signal(int sig)
{
	(void)sig;
	stop_serving = 1;
}

__attribute__((format(printf, 1, 2))) static int usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "meshsim metrics: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see meshsim metrics --help)\n");
	va_end(ap);
	return 2;
}

static int parse_dur(const char *v, rt_time_t *out, int allow_zero)
{
	const char *why;
	if (!v)
		return -1;
	if (allow_zero && !strcmp(v, "0")) {
		*out = 0;
		return 0;
	}
	return loadgen_parse_duration(v, out, &why) != 0 || *out <= 0 ? -1 : 0;
}

static int metrics_exec(int argc, char **argv)
{
	const char *db = NULL, *match = NULL, *listen = NULL;
	int64_t at_ms = -1;
	double serve_for = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		rt_time_t d;
		if (!strcmp(a, "--db") && v) {
			db = v;
		} else if (!strcmp(a, "--match") && v) {
			if (ms_family_find(v) < 0)
				return usage("--match: no Istio metric '%s'", v);
			match = v;
		} else if (!strcmp(a, "--at") && v) {
			if (parse_dur(v, &d, 1) != 0)
				return usage("--at: '%s' is not a virtual time "
				             "(e.g. 0, 90s, 10m)", v);
			at_ms = (int64_t)(d / RT_MSEC);
		} else if (!strcmp(a, "--listen") && v) {
			listen = v;
		} else if (!strcmp(a, "--serve-for") && v) {
			if (parse_dur(v, &d, 0) != 0)
				return usage("--serve-for: '%s' is not a positive "
				             "duration", v);
			serve_for = (double)d / 1e9;
		} else {
			return usage("unknown option or missing value: '%s'", a);
		}
		i++;
	}
	if (!db)
		return usage("--db FILE is required");
	if (serve_for > 0 && !listen)
		return usage("--serve-for goes with --listen");

	char err[512];
	ms_store_t *st;
	if (ms_store_open(db, &st, err, sizeof err) != 0) {
		fprintf(stderr, "meshsim metrics: %s\n", err);
		return 1;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc = f ? ms_store_write_prometheus(st, at_ms, match, f) : MS_ENOMEM;
	if (f && fclose(f) != 0 && rc == 0)
		rc = MS_EIO;
	if (rc != 0) {
		fprintf(stderr, "meshsim metrics: %s: %s (%s)\n", db,
		        ms_strerror(rc), ms_store_errmsg(st));
		ms_store_close(st);
		free(buf);
		return 1;
	}
	ms_store_close(st);
	if (!listen) {
		int ok = fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0;
		free(buf);
		if (!ok) {
			fprintf(stderr, "meshsim metrics: cannot write\n");
			return 1;
		}
		return 0;
	}
	ms_server_t *srv;
	if (ms_server_start(listen, &srv, err, sizeof err) != 0) {
		fprintf(stderr, "meshsim metrics: --listen %s\n", err);
		free(buf);
		return 1;
	}
	ms_server_publish(srv, buf, len);
	free(buf);
	const char *colon = strrchr(listen, ':');
	fprintf(stderr, "meshsim metrics: serving at http://%.*s:%d/metrics%s\n",
	        (int)(colon - listen), listen, ms_server_port(srv),
	        serve_for > 0 ? "" : " until interrupted");
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop_serving) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		double el = (double)(t.tv_sec - t0.tv_sec) +
		            (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
		if (serve_for > 0 && el >= serve_for)
			break;
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	ms_server_stop(srv);
	return 0;
}

const msim_cmd_t msim_cmd_metrics = {
    .name = "metrics",
    .args = "--db FILE [--at T] [--match NAME] [--listen HOST:PORT "
            "[--serve-for D]]",
    .summary = "Istio's standard metrics of a stored run, in Prometheus "
               "format",
    .help =
        "Prints the Istio standard metrics a run stored with\n"
        "`meshsim run --metrics-db FILE` (istio_requests_total,\n"
        "istio_request_duration_milliseconds, istio_request_bytes,\n"
        "istio_response_bytes, the gRPC message counters; the reporter=source\n"
        "and reporter=destination views of every call) in Prometheus text\n"
        "format 0.0.4, as a sidecar's /stats/prometheus shows them: each\n"
        "series' value at the last snapshot, or at virtual time T. The same\n"
        "database gives the same bytes.\n"
        "\n"
        "options:\n"
        "  --db FILE           the database (required; its schema is in\n"
        "                      sim/metrics/README.md, readable with sqlite3)\n"
        "  --at T              virtual time since the run's start: 0, 90s, 10m\n"
        "                      (default: the last snapshot)\n"
        "  --match NAME        only this metric (istio_requests_total, or a\n"
        "                      histogram's name or its _bucket/_sum/_count)\n"
        "  --listen HOST:PORT  instead of printing, serve them over HTTP at\n"
        "                      /metrics and /stats/prometheus (loopback only)\n"
        "                      until interrupted\n"
        "  --serve-for D       with --listen: stop after D of wall time (30s)\n"
        "\n"
        "To watch a run while it goes, serve from the run itself:\n"
        "  meshsim run --rate 50 --metrics-listen 127.0.0.1:9464 --pace 1\n"
        "\n"
        "Exit status: 0 done, 1 the database could not be read, 2 bad usage.\n",
    .exec = metrics_exec,
};

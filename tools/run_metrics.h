/*
 * run_metrics.h — Istio's metrics for `meshsim run` (sim/metrics on the
 * run's world and cluster): the --metrics-* options, snapshots to SQLite
 * every interval of virtual time, the final exposition to a file, and a
 * scrape endpoint on loopback paced to the wall clock.
 *
 * Nothing here writes to stdout, and recording only reads observations,
 * so the run's report is the same with or without these options.
 */
#ifndef MESHSIM_TOOLS_RUN_METRICS_H
#define MESHSIM_TOOLS_RUN_METRICS_H

#include <signal.h>
#include <stddef.h>

#include "cluster.h"
#include "des.h"
#include "sidecar.h"
#include "vrt.h"

typedef struct rm_opts {
	const char *db;      /* --metrics-db FILE */
	const char *out;     /* --metrics-out FILE */
	const char *listen;  /* --metrics-listen HOST:PORT */
	des_time_t interval; /* --metrics-interval D; default 15 s */
	double pace;         /* --pace X; 0: as fast as possible */
	double serve_for_s;  /* --serve-for D, wall seconds; 0: none */
} rm_opts_t;

/* The options' help lines, for `meshsim run --help`. */
#define RM_HELP                                                               \
	"  --metrics-db FILE   Istio's standard metrics as time series in SQLite\n" \
	"                      (replaced if it exists): a snapshot every\n"       \
	"                      --metrics-interval of virtual time and one at the\n" \
	"                      end; read it with `meshsim metrics --db FILE`\n"    \
	"  --metrics-interval D  virtual time between snapshots (default 15s,\n"  \
	"                      Prometheus's scrape interval)\n"                   \
	"  --metrics-out FILE  the final metrics in Prometheus text format\n"     \
	"  --metrics-listen HOST:PORT  serve the metrics while the run goes, at\n" \
	"                      http://HOST:PORT/metrics and /stats/prometheus\n"   \
	"                      (loopback only; port 0 picks one, printed on\n"    \
	"                      stderr)\n"                                          \
	"  --pace X            with --metrics-listen: X virtual seconds per wall\n" \
	"                      second (1: real time), so a scraper sees it move\n" \
	"  --serve-for D       with --metrics-listen: keep serving the final\n"   \
	"                      metrics for D of wall time after the run (Ctrl-C\n" \
	"                      ends it sooner)\n"

/* Parses option |a| with its value |v| (NULL when none follows). Returns 2
 * when |a| is one of ours and took |v|, 0 when |a| is not ours, and -1
 * for a bad value, with a message in |err|. */
int rm_parse_opt(rm_opts_t *o, const char *a, const char *v, char *err,
                 size_t errsize);

/* Whether any metrics option was given. */
int rm_enabled(const rm_opts_t *o);

/* Checks combinations (--pace and --serve-for need --metrics-listen).
 * 0, or -1 with a message in |err|. */
int rm_check(const rm_opts_t *o, char *err, size_t errsize);

typedef struct run_metrics run_metrics_t;

/* Starts recording on |w| (whose observation hook must currently be
 * |prev|/|prev_user|: it keeps being called, first) with pods resolved
 * through |cl|; creates the database and starts the server when asked.
 * |w| and |cl| must outlive the result. 0 and |*out| (rm_free), or -1
 * with a message in |err|. */
int rm_start(const rm_opts_t *o, vrt_world_t *w, cl_cluster_t *cl,
             vrt_obs_cb prev, void *prev_user, uint64_t seed,
             run_metrics_t **out, char *err, size_t errsize);

/* The run's data plane (NULL: none, --no-mesh): calls from outside then
 * come from its ingress gateway (dp_sidecars_gateway), which reports them
 * as their source, as Istio's gateway does; without a gateway they stay
 * "unknown". Call it after rm_start, before the run. 0, or -1 when out of
 * memory (a message in |err|). */
int rm_set_mesh(run_metrics_t *m, const dp_sidecars_t *dp, char *err,
                size_t errsize);

/* After each step of the run: snapshots when an interval has passed,
 * publishes to the server (at most once a second of wall time), and sleeps
 * to keep --pace. 0, or -1 when the database failed (then it stops
 * writing; the message goes to stderr once). */
int rm_tick(run_metrics_t *m);

/* At the end of the run: the last snapshot, --metrics-out, and serving
 * for --serve-for (until |*stop| becomes non-zero). 0, or -1 (a message on
 * stderr). */
int rm_finish(run_metrics_t *m, volatile sig_atomic_t *stop);

/* Stops the server, closes the database and restores the world's hook to
 * |prev|. NULL: no-op. */
void rm_free(run_metrics_t *m);

#endif /* MESHSIM_TOOLS_RUN_METRICS_H */

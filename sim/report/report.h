/* sim/report/report.h: what a simulated run measured, as a table for people
 * and as JSON for programs.
 *
 * A report collects the virtual runtime's observations (install rp_obs with
 * vrt_world_set_obs) inside a measurement window (rp_begin .. rp_end, in
 * virtual time; the shop's start-up before it is not counted) and reads
 * every pod's CPU account (vrt_pod_cpu) at both ends. It groups:
 *
 * - routes: the HTTP requests that enter the shop (the caller's side, from
 *   outside the cluster or from the loadgenerator's pods), by route name
 *   as the load generator names them ("GET /product/[id]", see
 *   ld_route_of); latency is what the caller saw;
 * - services: every call a pod served (the server's side), by the serving
 *   pod's service ("cartservice") and by method
 *   ("hipstershop.CartService/GetCart", or the route for HTTP); latency is
 *   from arrival at the server to its answer (CPU queueing included);
 * - pods: CPU seconds used in the window and utilisation of the CPU limit
 *   (used / (cores x the time the pod ran in the window));
 * - the bottleneck: the service of the pod with the highest CPU
 *   utilisation (with processor-sharing CPUs, the pod nearest 100 % is where
 *   queueing delay grows first as load rises).
 *
 * A request is an error when the transport failed or the HTTP status is
 * >= 400 (as the load generator and Locust count); a served gRPC call when
 * its status is not OK. Percentiles come from the load generator's
 * log-bucketed histograms (loadgen_stats.h: within 0.8 %).
 *
 * Nothing here reads a wall clock: the same run gives the same bytes.
 * Threads: none.
 */
#ifndef MESHSIM_SIM_REPORT_H
#define MESHSIM_SIM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "vrt.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rp_report rp_report_t;

/* A report on |w| (which must outlive it). NULL when out of memory. */
rp_report_t *rp_new(vrt_world_t *w);
void rp_free(rp_report_t *r);

/* The observation hook: vrt_world_set_obs(w, rp_obs, r). Observations
 * outside the window are ignored. */
void rp_obs(void *r, const vrt_obs_t *o);

/* Opens the window now (clears what was collected, takes every pod's CPU
 * baseline) / closes it now (reads the CPU accounts). */
void rp_begin(rp_report_t *r);
void rp_end(rp_report_t *r);

/* Tells the report that |pod| started now (pods started inside the window
 * are measured from then on, not from the window's start). */
void rp_pod_started(rp_report_t *r, const vrt_pod_t *pod);

/* Entry requests and their errors so far in the window. */
uint64_t rp_requests(const rp_report_t *r);
uint64_t rp_errors(const rp_report_t *r);

/* Also gathers the calls sent to the pods of Deployment |workload|
 * ("frontend-canary"), as their callers saw them (failed connections
 * included), for rp_figures(RP_WORKLOAD, ...). A pod belongs to it when
 * its name is "<workload>-<replicaset hash>-<suffix>" (Kubernetes' names;
 * a restart's "#N" ignored). Call before rp_begin(); costs nothing when
 * never called. 0, or -1 when out of memory. */
int rp_watch_workload(rp_report_t *r, const char *workload);

/* What rp_figures() sums up. */
typedef enum rp_scope {
	RP_ALL,      /* every entry request |name| unused */
	RP_ROUTE,    /* entry requests of route |name| ("GET /") */
	RP_SERVICE,  /* calls served by service |name| ("cartservice") */
	RP_WORKLOAD  /* calls sent to Deployment |name| (rp_watch_workload) */
} rp_scope_t;

/* The figures of a scope in the window (after rp_end()) into |*out|:
 * requests, errors, p50/p95/p99/max/mean latency in ms (as the report
 * prints them). A name nothing was measured for (or an unwatched workload)
 * gives zero requests. */
struct slo_figures;
void rp_figures(const rp_report_t *r, rp_scope_t scope, const char *name,
                struct slo_figures *out);

/* The calls sent to watched workload |workload| since the previous
 * rp_window_take() for it (or since rp_begin()), inside the window, into
 * |*out| as rp_figures(RP_WORKLOAD) gives them, except that an error is
 * what Flagger's request success rate counts against: a transport failure
 * or HTTP status >= 500 (a gRPC call: any status but OK); then starts the
 * next interval. For a canary analysis's per-interval checks
 * (sim/report/canary.h). An unwatched workload gives zero requests. */
void rp_window_take(rp_report_t *r, const char *workload,
                    struct slo_figures *out);

/* What the report says about the run besides its measurements. Strings
 * are the caller's; NULL ones are left out. */
typedef struct rp_meta {
	const char *scenario; /* "default" or the file */
	uint64_t seed;
	double warmup_s;      /* virtual seconds before the window */
	const char *load;     /* "10 users (closed loop)", ... */
	const char *load_kind;/* "users" or "rate" */
	double load_users, load_rate; /* as configured (0 when not) */
	uint64_t engine_events;
} rp_meta_t;

/* Writes the report as one JSON object (with a final newline) / as
 * readable tables. Call after rp_end(). 0, or -1 on a write error. */
int rp_write_json(const rp_report_t *r, const rp_meta_t *m, FILE *f);
int rp_write_text(const rp_report_t *r, const rp_meta_t *m, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_REPORT_H */

/*
 * cmd_run.c — `meshsim run [SCENARIO]`: the whole shop in virtual time.
 *
 * The charts under k8s/charts become a cluster (sim/cluster) on a virtual
 * runtime world (sim/vrt) running every service's real code; once every
 * Deployment is ready, the load starts (closed loop: the loadgenerator
 * chart's users; open loop: sim/load arrivals at the frontend), the
 * scenario's actions fire at their times, and at the end the report
 * (sim/report) goes to stdout as a table or JSON. Wall-clock figures only
 * ever go to stderr (the progress line), so the same seed gives the same
 * stdout and event log byte for byte.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ad/ad.h"
#include "arrivals.h"
#include "business/business.h"
#include "canary.h"
#include "cart/cart.h"
#include "checkout/checkout.h"
#include "cluster.h"
#include "currency/currency.h"
#include "email/email.h"
#include "frontend/frontend.h"
#include "loadgenerator/loadgen.h"
#include "meshsim.h"
#include "payment/payment.h"
#include "productcatalog/productcatalog.h"
#include "recommendation/recommendation.h"
#include "report.h"
#include "run_metrics.h"
#include "run_sidecars.h"
#include "scenario.h"
#include "shipping/shipping.h"
#include "sidecar.h"
#include "simrun.h"
#include "slo.h"
#include "vrt.h"

#ifndef MESHSIM_SRCDIR
#define MESHSIM_SRCDIR "."
#endif

/* Every service the charts can name: chart "<name>" runs the entry whose
 * ->name is <name>. */
static const rt_service_t *const services[] = {
    &productcatalog_service, &currency_service,       &shipping_service,
    &payment_service,        &email_service,          &ad_service,
    &recommendation_service, &cart_service,           &checkout_service,
    &frontend_service,       &business_service,       &loadgen_service,
    NULL,
};

/* The shop's charts, in install order; the load generator's comes last and
 * only once the shop is ready (its users would find no frontend before). */
static const char *const shop_charts[] = {
    "productcatalogservice", "currencyservice", "shippingservice",
    "paymentservice", "emailservice", "adservice", "recommendationservice",
    "cartservice", "checkoutservice", "frontend", "business", NULL,
};
#define LOADGEN_CHART "loadgenerator"

/* rt_now() at virtual time 0: 2026-01-01T00:00:00Z, fixed so that dates
 * the services print or check (card expiry) are the same in every run. */
#define RUN_EPOCH ((rt_time_t)1767225600 * RT_SEC)

/* Longest wait for the shop to become ready before the load starts. */
#define WARMUP_MAX DES_S(300)

typedef struct run {
	/* options */
	const char *scenario_path;
	sc_scenario_t *sc;
	uint64_t seed;
	des_time_t duration;
	int json, quiet;
	FILE *out; /* the report's stream: stdout, or msim_run_argv's */
	sc_load_kind_t load_kind;
	unsigned users;
	double spawn_rate;
	ld_point_t *points;
	size_t n_points;
	int deterministic, route;
	const char *charts;
	const char **sets;
	size_t n_sets;
	const char *event_log, *profile_path;
	int no_mesh;
	const char *istio; /* the mesh's manifests (NULL with no_mesh) */
	int istio_opt;     /* --istio given: wins over the scenario's mesh: off */
	rm_opts_t mopts; /* --metrics-*, --pace, --serve-for */
	const char *link; /* --link: NULL, "profile" or a latency */
	int node_cpu;     /* --node-cpu: a node's pods share its cores */
	int n_nodes;      /* --nodes N[xCPU]: 0, the cluster's default */
	int64_t node_cpu_m; /* their allocatable CPU (default a t2.medium's) */
	/* state */
	mesh_config_t mesh;
	int mesh_init;
	dp_sidecars_t *dp;
	run_sidecars_t *sidecars; /* the sidecars' CPU in the window (mesh on) */
	run_metrics_t *metrics;
	vrt_world_t *w;
	cl_cluster_t *cl;
	rp_report_t *rp;
	ld_open_t *open;
	FILE *elog;
	des_time_t load_start, warmup;
	int tty;
	struct timespec wall0;
	double last_draw;
	des_time_t last_line;
	char load_desc[160];
	char actions_json[8192];
	size_t actions_len;
	char actions_text[4096];
	size_t actions_text_len;
	/* service-level objectives: the scenario's, then --slo's (names
	 * point into the scenario); their outcomes after the run */
	slo_assert_t *slo;
	size_t n_slo;
	slo_result_t *slo_res;
	/* the scenario's canary: analysis, its workload ("frontend-canary")
	 * and the VirtualService host it shifts */
	canary_t canary;
	int canary_on;
	char canary_wl[192], canary_host[320];
	char canary_text[8192];
	size_t canary_text_len;
} run_t;

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double wall_since(const run_t *r)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - r->wall0.tv_sec) +
	       (double)(t.tv_nsec - r->wall0.tv_nsec) / 1e9;
}

/* ---- finding files ------------------------------------------------------ */

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* |rel| ("k8s/charts") next to the executable, in its parent, then in the
 * source tree it was built from. */
static int find_data(const char *rel, int dir, char *out, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	const char *bases[3] = {NULL, NULL, MESHSIM_SRCDIR};
	char b0[PATH_MAX], b1[PATH_MAX + 8];
	if (n > 0) {
		exe[n] = '\0';
		char *s = strrchr(exe, '/');
		if (s) {
			*s = '\0';
			snprintf(b0, sizeof b0, "%s", exe);
			bases[0] = b0;
			snprintf(b1, sizeof b1, "%s/..", exe);
			bases[1] = b1;
		}
	}
	for (int i = 0; i < 3; i++) {
		if (!bases[i])
			continue;
		snprintf(out, size, "%s/%s", bases[i], rel);
		if (dir ? is_dir(out) : is_file(out))
			return 0;
	}
	return -1;
}

/* ---- events and the event log ------------------------------------------- */

static void print_time(FILE *f, des_time_t t)
{
	fprintf(f, "%lld.%09lld", (long long)(t / DES_S(1)),
	        (long long)(t % DES_S(1)));
}

static void des_log(void *user, des_time_t t, uint64_t seq, const char *label)
{
	run_t *r = user;
	print_time(r->elog, t);
	fprintf(r->elog, " des %llu %s\n", (unsigned long long)seq,
	        label ? label : "-");
}

static void on_event(void *user, const cl_event_t *ev)
{
	run_t *r = user;
	if (r->elog) {
		print_time(r->elog, ev->t);
		fprintf(r->elog, " k8s %s %s %s%s%s %s: %s\n", ev->type,
		        ev->kind, ev->ns, *ev->ns ? "/" : "", ev->name,
		        ev->reason, ev->message);
	}
	if (r->rp && !strcmp(ev->kind, "Pod") && !strcmp(ev->reason, "Started"))
		rp_pod_started(r->rp, cl_pod_container(r->cl, ev->name));
}

/* ---- the scenario's actions --------------------------------------------- */

typedef struct act_ev {
	run_t *r;
	const sc_action_t *a;
} act_ev_t;

/* A pod named |target|, or the first running pod of Deployment |target|. */
static int pick_pod(run_t *r, const char *target, char *pod, size_t size)
{
	cl_snapshot_t *s = cl_cluster_snapshot(r->cl);
	int rc = -1;
	for (size_t i = 0; s && i < s->n_pods && rc; i++)
		if (!strcmp(s->pods[i].name, target)) {
			snprintf(pod, size, "%s", target);
			rc = 0;
		}
	for (size_t i = 0; s && i < s->n_pods && rc; i++)
		if (!strcmp(s->pods[i].deployment, target) &&
		    s->pods[i].phase == CL_POD_RUNNING &&
		    s->pods[i].container) {
			snprintf(pod, size, "%s", s->pods[i].name);
			rc = 0;
		}
	cl_snapshot_free(s);
	return rc;
}

static const char *deploy_ns(run_t *r, const char *name, char *ns,
                             size_t size)
{
	cl_snapshot_t *s = cl_cluster_snapshot(r->cl);
	const char *res = NULL;
	for (size_t i = 0; s && i < s->n_deploys && !res; i++)
		if (!strcmp(s->deploys[i].name, name)) {
			snprintf(ns, size, "%s", s->deploys[i].ns);
			res = ns;
		}
	cl_snapshot_free(s);
	return res;
}

static void run_action(des_t *des, void *user)
{
	act_ev_t *e = user;
	run_t *r = e->r;
	const sc_action_t *a = e->a;
	char pod[256] = "", ns[256], result[320];
	int rc = -1;
	const char *obj = a->target;
	switch (a->kind) {
	case SC_ACTION_KILL:
	case SC_ACTION_DELETE:
	case SC_ACTION_HANG:
	case SC_ACTION_HEAL:
		if (pick_pod(r, a->target, pod, sizeof pod) != 0) {
			snprintf(result, sizeof result, "no running pod");
			break;
		}
		obj = pod;
		if (a->kind == SC_ACTION_KILL)
			rc = cl_pod_kill(r->cl, pod);
		else if (a->kind == SC_ACTION_DELETE)
			rc = cl_pod_delete(r->cl, pod, a->grace_s);
		else
			rc = cl_pod_set_failing(r->cl, pod,
			                        a->kind == SC_ACTION_HANG);
		snprintf(result, sizeof result, "%s", rc ? cl_strerror(rc) : "ok");
		break;
	case SC_ACTION_SCALE:
		if (!deploy_ns(r, a->target, ns, sizeof ns)) {
			snprintf(result, sizeof result, "no such deployment");
			break;
		}
		rc = cl_deploy_scale(r->cl, ns, a->target, a->replicas);
		snprintf(result, sizeof result, "%s", rc ? cl_strerror(rc) : "ok");
		break;
	case SC_ACTION_DRAIN:
	case SC_ACTION_CORDON:
	case SC_ACTION_UNCORDON:
		rc = a->kind == SC_ACTION_DRAIN
		         ? cl_node_drain(r->cl, a->target)
		         : cl_node_cordon(r->cl, a->target,
		                          a->kind == SC_ACTION_CORDON);
		snprintf(result, sizeof result, "%s", rc ? cl_strerror(rc) : "ok");
		break;
	default:
		snprintf(result, sizeof result, "unknown action");
	}
	des_time_t at = des_now(des) - r->load_start;
	if (r->elog) {
		print_time(r->elog, des_now(des));
		if (a->kind == SC_ACTION_SCALE)
			fprintf(r->elog, " scenario scale %s to %d: %s\n", obj,
			        a->replicas, result);
		else
			fprintf(r->elog, " scenario %s %s: %s\n",
			        sc_action_name(a->kind), obj, result);
	}
	char scale[32] = "";
	if (a->kind == SC_ACTION_SCALE)
		snprintf(scale, sizeof scale, ", \"replicas\": %d", a->replicas);
	size_t room = sizeof r->actions_json - r->actions_len;
	int k = snprintf(r->actions_json + r->actions_len, room,
	                 "%s\n    {\"at_seconds\": %.3f, \"action\": \"%s\", "
	                 "\"target\": \"%s\"%s, \"result\": \"%s\"}",
	                 r->actions_len ? "," : "", (double)at / 1e9,
	                 sc_action_name(a->kind), obj, scale, result);
	if (k > 0 && (size_t)k < room)
		r->actions_len += (size_t)k;
	room = sizeof r->actions_text - r->actions_text_len;
	k = snprintf(r->actions_text + r->actions_text_len, room,
	             "  at %9.3f s: %s %s%s: %s\n", (double)at / 1e9,
	             sc_action_name(a->kind), obj, scale[0] ? " (scale)" : "",
	             result);
	if (k > 0 && (size_t)k < room)
		r->actions_text_len += (size_t)k;
	free(e);
}

/* ---- progress ------------------------------------------------------------ */

static void hms(char *buf, size_t size, des_time_t t)
{
	long long s = (long long)(t / DES_S(1));
	snprintf(buf, size, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60,
	         s % 60);
}

static void progress(run_t *r, int final)
{
	if (r->quiet)
		return;
	des_time_t now = des_now(vrt_world_des(r->w));
	des_time_t v = now - r->load_start;
	double wall = wall_since(r);
	if (!final) {
		if (r->tty) {
			if (wall - r->last_draw < 0.25)
				return;
		} else if (v - r->last_line < DES_S(600)) {
			return;
		}
	}
	r->last_draw = wall;
	r->last_line = v;
	char vt[64], dt[64];
	hms(vt, sizeof vt, v);
	hms(dt, sizeof dt, r->duration);
	double events = (double)des_events_run(vrt_world_des(r->w));
	double speed = wall > 0 ? (double)now / 1e9 / wall : 0;
	fprintf(stderr,
	        "%smeshsim run: %s%s / %s virtual, %.1fx real time, %.2f M "
	        "events/s, %llu requests, %llu errors%s",
	        r->tty && !final ? "\r" : (r->tty ? "\r" : ""),
	        final ? "done: " : "", vt, dt, speed,
	        wall > 0 ? events / wall / 1e6 : 0.0,
	        (unsigned long long)rp_requests(r->rp),
	        (unsigned long long)rp_errors(r->rp),
	        r->tty && !final ? "\033[K" : "\n");
	if (final)
		fprintf(stderr,
		        "meshsim run: %.0f virtual seconds (%.1f s start-up) in "
		        "%.2f s of wall time, %.0f engine events\n",
		        (double)now / 1e9, (double)r->warmup / 1e9, wall, events);
	if (final && r->dp) {
		dp_stats_t st;
		dp_sidecars_stats(r->dp, &st);
		fprintf(stderr,
		        "meshsim run: data plane: %llu connections, %llu mTLS "
		        "handshakes (%llu through OpenSSL, %llu failed), %llu "
		        "certificates issued, %llu retries, %llu denied\n",
		        (unsigned long long)st.connections,
		        (unsigned long long)st.handshakes,
		        (unsigned long long)st.handshakes_real,
		        (unsigned long long)st.handshake_failures,
		        (unsigned long long)st.certs_issued,
		        (unsigned long long)st.retries,
		        (unsigned long long)st.denied);
	}
}

/* ---- the data plane's report ---------------------------------------------- */

/* The data plane's counts into |st| and the response flags set in
 * |*nflags|; 1 when there is anything to report (a denial, a flag, a
 * failed or refused handshake), else 0: the report is then what it is
 * without a mesh. */
static int mesh_stats(const run_t *r, dp_stats_t *st, uint64_t *nflags)
{
	if (!r->dp)
		return 0;
	dp_sidecars_stats(r->dp, st);
	*nflags = 0;
	for (int i = 0; i < DP_FLAG_COUNT; i++)
		*nflags += st->flags[i];
	return st->denied || *nflags || st->handshake_failures ||
	       st->plaintext_refused;
}

/* Denials and response flags, only when there were any. */
static void mesh_report(const run_t *r, FILE *f)
{
	dp_stats_t st;
	uint64_t nflags;
	if (!mesh_stats(r, &st, &nflags))
		return;
	fprintf(f, "\nmesh: %llu denied by AuthorizationPolicy, %llu handshake "
	           "failures, %llu plaintext refused, %llu retries\n",
	        (unsigned long long)st.denied,
	        (unsigned long long)st.handshake_failures,
	        (unsigned long long)st.plaintext_refused,
	        (unsigned long long)st.retries);
	if (nflags) {
		fprintf(f, "response flags:");
		for (int i = 0; i < DP_FLAG_COUNT; i++)
			if (st.flags[i])
				fprintf(f, " %s %llu", dp_flag_name(i),
				        (unsigned long long)st.flags[i]);
		fprintf(f, "\n");
	}
}

/* The same as a JSON member line ("  \"mesh\": {...},\n"), or nothing. */
static void mesh_report_json(const run_t *r, FILE *f)
{
	dp_stats_t st;
	uint64_t nflags;
	if (!mesh_stats(r, &st, &nflags))
		return;
	fprintf(f, "  \"mesh\": {\"denied\": %llu, \"handshake_failures\": %llu, "
	           "\"plaintext_refused\": %llu, \"retries\": %llu, "
	           "\"response_flags\": {",
	        (unsigned long long)st.denied,
	        (unsigned long long)st.handshake_failures,
	        (unsigned long long)st.plaintext_refused,
	        (unsigned long long)st.retries);
	const char *sep = "";
	for (int i = 0; i < DP_FLAG_COUNT; i++)
		if (st.flags[i]) {
			fprintf(f, "%s\"%s\": %llu", sep, dp_flag_name(i),
			        (unsigned long long)st.flags[i]);
			sep = ", ";
		}
	fprintf(f, "}},\n");
}

/* ---- service-level objectives ------------------------------------------- */

/* A scope names a chart's service, or its Deployment (stable or canary). */
static int slo_check_names(const run_t *r)
{
	for (size_t i = 0; i < r->n_slo; i++) {
		const slo_assert_t *a = &r->slo[i];
		if (a->scope != SLO_SCOPE_SERVICE && a->scope != SLO_SCOPE_WORKLOAD)
			continue;
		int ok = 0;
		for (size_t k = 0; shop_charts[k] && !ok; k++) {
			size_t n = strlen(shop_charts[k]);
			ok = !strcmp(a->name, shop_charts[k]) ||
			     (a->scope == SLO_SCOPE_WORKLOAD &&
			      !strncmp(a->name, shop_charts[k], n) &&
			      !strcmp(a->name + n, "-canary"));
		}
		if (!ok) {
			fprintf(stderr,
			        "meshsim run: %s:%d: slo.%s: no %s \"%s\" (%s)\n",
			        r->scenario_path, a->line, slo_scope_name(a->scope),
			        a->scope == SLO_SCOPE_SERVICE ? "service"
			                                      : "Deployment",
			        a->name,
			        a->scope == SLO_SCOPE_SERVICE
			            ? "a chart's name: frontend, cartservice, ..."
			            : "a chart's name, or it and -canary");
			return -1;
		}
	}
	return 0;
}

/* Before the window opens: the report sums the Deployments named. */
static int slo_watch(run_t *r)
{
	for (size_t i = 0; i < r->n_slo; i++)
		if (r->slo[i].scope == SLO_SCOPE_WORKLOAD &&
		    rp_watch_workload(r->rp, r->slo[i].name) != 0)
			return -1;
	return 0;
}

/* After the window: each objective against the report's figures. The
 * number that failed. */
static size_t slo_check(run_t *r)
{
	static const rp_scope_t scopes[] = {
	    [SLO_SCOPE_ALL] = RP_ALL, [SLO_SCOPE_ROUTE] = RP_ROUTE,
	    [SLO_SCOPE_SERVICE] = RP_SERVICE, [SLO_SCOPE_WORKLOAD] = RP_WORKLOAD};
	size_t failed = 0;
	r->slo_res = calloc(r->n_slo + 1, sizeof *r->slo_res);
	for (size_t i = 0; r->slo_res && i < r->n_slo; i++) {
		slo_figures_t f;
		rp_figures(r->rp, scopes[r->slo[i].scope], r->slo[i].name, &f);
		failed += !slo_eval(&r->slo[i], &f, &r->slo_res[i]);
	}
	return r->slo_res ? failed : r->n_slo;
}

/* ---- progressive delivery (the scenario's canary:) ------------------------ */

/* Routes |weight| % of the canary's host to subset canary, the rest to
 * stable. */
static int canary_route(run_t *r, int weight)
{
	static const char *const subsets[2] = {"stable", "canary"};
	int w[2] = {100 - weight, weight};
	return dp_sidecars_set_weights(r->dp, r->canary_host, subsets, w, 2);
}

/* Logs a step: the event log and the report's canary section. */
static void canary_log(run_t *r, const canary_step_t *st)
{
	char line[320];
	canary_step_format(&r->canary, st, line, sizeof line);
	if (r->elog) {
		print_time(r->elog, st->t_ns);
		fprintf(r->elog, " canary %s %s\n", r->sc->canary.service, line);
	}
	size_t room = sizeof r->canary_text - r->canary_text_len;
	int k = snprintf(r->canary_text + r->canary_text_len, room,
	                 "  at %9.3f s: %s\n",
	                 (double)(st->t_ns - r->load_start) / 1e9, line);
	if (k > 0 && (size_t)k < room)
		r->canary_text_len += (size_t)k;
}

/* Every interval: the canary's figures over that interval, the verdict,
 * the new weights; again while the analysis goes on. */
static void canary_tick(des_t *des, void *user)
{
	run_t *r = user;
	slo_figures_t f;
	rp_window_take(r->rp, r->canary_wl, &f);
	const canary_step_t *st = canary_check(&r->canary, des_now(des), &f);
	if (!st)
		return;
	canary_route(r, st->weight);
	canary_log(r, st);
	if (r->canary.result == CANARY_IN_PROGRESS)
		des_schedule_full(des, des_now(des) + r->canary.cfg.interval_ns,
		                  DES_PRIO_MIN, "scenario.canary", canary_tick, r,
		                  NULL);
}

/* Before the shop starts: the canary's Deployment must exist in the
 * charts, the mesh must route its host between subsets stable and canary;
 * weight 0 until the analysis starts. 0, or 2 (bad input: the message
 * names the scenario's line), or 1. */
static int canary_setup(run_t *r)
{
	const sc_scenario_t *sc = r->sc;
	const char *svc = sc->canary.service;
	int known = 0;
	for (size_t k = 0; shop_charts[k]; k++)
		known |= !strcmp(svc, shop_charts[k]);
	if (!known) {
		fprintf(stderr,
		        "meshsim run: %s:%d: canary.service: no service \"%s\" "
		        "(a chart's name: frontend, business, ...)\n",
		        r->scenario_path, sc->canary.service_line, svc);
		return 2;
	}
	if (!r->dp) {
		fprintf(stderr,
		        "meshsim run: %s:%d: canary: needs the mesh (the weights "
		        "are its VirtualService's); drop mesh: off / --no-mesh\n",
		        r->scenario_path, sc->canary.line);
		return 2;
	}
	char ns[256];
	if (!deploy_ns(r, svc, ns, sizeof ns)) {
		fprintf(stderr, "meshsim run: %s:%d: canary.service: no "
		                "Deployment \"%s\" in the charts\n",
		        r->scenario_path, sc->canary.service_line, svc);
		return 2;
	}
	snprintf(r->canary_wl, sizeof r->canary_wl, "%s-canary", svc);
	char cns[256];
	if (!deploy_ns(r, r->canary_wl, cns, sizeof cns)) {
		fprintf(stderr,
		        "meshsim run: %s:%d: canary.service: no Deployment "
		        "\"%s\" (set %s.canary.enabled=true)\n",
		        r->scenario_path, sc->canary.service_line, r->canary_wl,
		        svc);
		return 2;
	}
	snprintf(r->canary_host, sizeof r->canary_host,
	         "%s.%s." MESH_DOMAIN_SUFFIX, svc, ns);
	if (canary_route(r, 0) < 0) {
		fprintf(stderr,
		        "meshsim run: %s:%d: canary.service: no VirtualService "
		        "route splits %s between subsets stable and canary (in "
		        "%s)\n",
		        r->scenario_path, sc->canary.service_line, r->canary_host,
		        r->istio);
		return 2;
	}
	canary_cfg_t cc = {
	    .interval_ns = sc->canary.interval,
	    .step_weight = sc->canary.step_weight,
	    .max_weight = sc->canary.max_weight,
	    .threshold = sc->canary.threshold,
	    .success_min = sc->canary.success_min,
	    .p99_max_ms = sc->canary.p99_max_ms,
	};
	if (canary_init(&r->canary, &cc) != 0) {
		fprintf(stderr, "meshsim run: %s:%d: canary: bad settings\n",
		        r->scenario_path, sc->canary.line);
		return 2;
	}
	r->canary_on = 1;
	return 0;
}

/* At the load's start (every pod ready): stepWeight, then a check every
 * interval. */
static int canary_begin(run_t *r)
{
	des_t *des = vrt_world_des(r->w);
	const canary_step_t *st = canary_start(&r->canary, des_now(des));
	if (!st || canary_route(r, st->weight) < 0)
		return -1;
	canary_log(r, st);
	return des_schedule_full(des, des_now(des) + r->canary.cfg.interval_ns,
	                         DES_PRIO_MIN, "scenario.canary", canary_tick, r,
	                         NULL);
}

/* ---- the run ------------------------------------------------------------- */

static int all_ready(run_t *r)
{
	cl_snapshot_t *s = cl_cluster_snapshot(r->cl);
	int ok = s != NULL;
	for (size_t i = 0; s && i < s->n_deploys; i++)
		if (s->deploys[i].ready < s->deploys[i].replicas)
			ok = 0;
	cl_snapshot_free(s);
	return ok;
}

/* The --set assignments for chart |chart| ("cartservice.replicaCount=2"
 * gives "replicaCount=2"), plus |extra| (NULL-terminated), in a new
 * NULL-terminated array pointing into the originals. */
static const char **chart_sets(const run_t *r, const char *chart,
                               const char *const *extra)
{
	size_t n = 0, cl = strlen(chart);
	const char **v = calloc(r->n_sets + 8, sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < r->n_sets; i++)
		if (!strncmp(r->sets[i], chart, cl) && r->sets[i][cl] == '.')
			v[n++] = r->sets[i] + cl + 1;
	for (size_t i = 0; extra && extra[i] && n < r->n_sets + 7; i++)
		v[n++] = extra[i];
	return v;
}

static int apply_chart(run_t *r, const char *chart, const char *const *extra)
{
	char path[PATH_MAX], err[1024];
	snprintf(path, sizeof path, "%s/%s/values.yaml", r->charts, chart);
	const char **sets = chart_sets(r, chart, extra);
	if (!sets) {
		fprintf(stderr, "meshsim run: out of memory\n");
		return -1;
	}
	int rc = cl_cluster_apply_file(r->cl, path, sets, err, sizeof err);
	free(sets);
	if (rc != 0) {
		fprintf(stderr, "meshsim run: %s\n", err);
		return -1;
	}
	return 0;
}

static int check_sets(const run_t *r)
{
	for (size_t i = 0; i < r->n_sets; i++) {
		const char *s = r->sets[i], *dot = strchr(s, '.');
		int known = 0;
		for (size_t k = 0; dot && shop_charts[k]; k++)
			if ((size_t)(dot - s) == strlen(shop_charts[k]) &&
			    !strncmp(s, shop_charts[k], (size_t)(dot - s)))
				known = 1;
		if (dot && (size_t)(dot - s) == strlen(LOADGEN_CHART) &&
		    !strncmp(s, LOADGEN_CHART, (size_t)(dot - s)))
			known = 1;
		if (!known || !strchr(s, '=')) {
			fprintf(stderr,
			        "meshsim run: --set %s: expected "
			        "<chart>.<key>=<value> with a chart of %s\n",
			        s, r->charts);
			return -1;
		}
	}
	return 0;
}

static int start_load(run_t *r)
{
	char err[512];
	if (r->load_kind == SC_LOAD_RATE) {
		ld_open_config_t oc = {
		    .addr = "frontend:80",
		    .profile = r->points,
		    .n_points = r->n_points,
		    .deterministic = r->deterministic,
		    .route = r->route,
		    .duration = r->duration,
		};
		r->open = ld_open_new(r->w, &oc, err, sizeof err);
		if (!r->open || ld_open_start(r->open) != 0) {
			fprintf(stderr, "meshsim run: load: %s\n", err);
			return -1;
		}
		return 0;
	}
	char users[48], rate[48];
	const char *extra[3] = {NULL, NULL, NULL};
	size_t n = 0;
	if (r->load_kind == SC_LOAD_USERS) {
		snprintf(users, sizeof users, "env.USERS=%u", r->users);
		extra[n++] = users;
	}
	if (r->spawn_rate > 0) {
		snprintf(rate, sizeof rate, "env.RATE=%g", r->spawn_rate);
		extra[n++] = rate;
	}
	return apply_chart(r, LOADGEN_CHART, extra);
}

static void describe_load(run_t *r)
{
	if (r->load_kind == SC_LOAD_RATE) {
		int ramp = 0;
		for (size_t i = 0; i < r->n_points; i++)
			ramp |= r->points[i].ramp || i > 0;
		char what[64];
		if (r->n_points == 1 && !ramp)
			snprintf(what, sizeof what, "%g arrivals/s",
			         r->points[0].rate);
		else
			snprintf(what, sizeof what,
			         "a profile of %zu points from %g arrivals/s",
			         r->n_points, r->points[0].rate);
		snprintf(r->load_desc, sizeof r->load_desc,
		         "open loop, %s (%s) at frontend:80, %s", what,
		         r->deterministic ? "evenly spaced" : "Poisson",
		         r->route >= 0 ? ld_route_name((ld_route_t)r->route)
		                       : "Locust request mix");
	} else if (r->load_kind == SC_LOAD_USERS) {
		snprintf(r->load_desc, sizeof r->load_desc,
		         "closed loop, %u users of the loadgenerator chart", r->users);
	} else {
		snprintf(r->load_desc, sizeof r->load_desc,
		         "closed loop, the loadgenerator chart's users as the "
		         "chart sets them");
	}
}

static int simulate(run_t *r)
{
	char err[1024];
	r->w = vrt_world_new(r->seed, RUN_EPOCH);
	r->rp = r->w ? rp_new(r->w) : NULL;
	if (!r->w || !r->rp) {
		fprintf(stderr, "meshsim run: out of memory\n");
		return 1;
	}
	des_t *des = vrt_world_des(r->w);
	if (r->elog)
		des_set_log(des, des_log, r);
	if (r->profile_path) {
		vrt_profile_t *p;
		if (vrt_profile_load(r->profile_path, &p, err, sizeof err) != 0) {
			fprintf(stderr, "meshsim run: %s\n", err);
			return 1;
		}
		if (r->link && !strcmp(r->link, "profile")) {
			vrt_link_t l;
			if (vrt_profile_link(p, &l) != 0) {
				fprintf(stderr, "meshsim run: --link profile: %s has "
				        "no \"link\" (made by meshsim calibrate)\n",
				        r->profile_path);
				vrt_profile_free(p);
				return 1;
			}
			vrt_world_set_link_default(r->w, l);
		}
		vrt_world_set_profile(r->w, p);
	} else if (r->link && !strcmp(r->link, "profile")) {
		fprintf(stderr, "meshsim run: --link profile: no profile\n");
		return 1;
	}
	if (r->link && strcmp(r->link, "profile")) {
		vrt_link_t l = VRT_LINK_DEFAULT;
		rt_time_t d = 0;
		const char *why;
		loadgen_parse_duration(r->link, &d, &why);
		l.latency = (des_time_t)d;
		vrt_world_set_link_default(r->w, l);
	}
	vrt_world_set_obs(r->w, rp_obs, r->rp);
	cl_config_t cfg;
	cl_config_init(&cfg);
	cfg.services = services;
	cfg.on_event = on_event;
	cfg.event_user = r;
	/* The services' SQLite files in memory: their pwrite and fcntl calls
	 * were a quarter of the run, for a disk the model does not have. */
	cfg.memory_volumes = 1;
	cfg.node_cpu = r->node_cpu;
	cl_node_spec_t *nodes = NULL;
	char (*names)[24] = NULL; /* "node-" and an int */
	if (r->n_nodes > 0) {
		nodes = calloc((size_t)r->n_nodes, sizeof *nodes);
		names = calloc((size_t)r->n_nodes, sizeof *names);
		if (!nodes || !names) {
			free(nodes);
			free(names);
			fprintf(stderr, "meshsim run: out of memory\n");
			return 1;
		}
		for (int i = 0; i < r->n_nodes; i++) {
			snprintf(names[i], sizeof names[i], "node-%d", i + 1);
			nodes[i] = (cl_node_spec_t){names[i], r->node_cpu_m,
			                            CL_NODE_T2_MEDIUM_MEM,
			                            CL_NODE_T2_MEDIUM_PODS};
		}
		cfg.nodes = nodes;
		cfg.n_nodes = (size_t)r->n_nodes;
	}
	int clrc = cl_cluster_new(r->w, &cfg, &r->cl, err, sizeof err);
	free(nodes); /* copied by the cluster */
	free(names);
	if (clrc != 0) {
		fprintf(stderr, "meshsim run: %s\n", err);
		return 1;
	}
	if (!r->no_mesh) {
		/* The data plane: a sidecar per pod and the ingress
		 * gateway, from the Istio manifests. */
		if (mesh_config_init(&r->mesh) != 0)
			return 1;
		r->mesh_init = 1;
		if (dp_mesh_load_dir(&r->mesh, r->istio, err, sizeof err) != 0) {
			fprintf(stderr, "meshsim run: --istio %s: %s\n", r->istio,
			        err);
			return 1;
		}
		dp_config_t dc = {.mesh = &r->mesh,
		                  .identify = dp_cluster_identify,
		                  .identify_user = r->cl};
		if (dp_sidecars_new(r->w, &dc, &r->dp, err, sizeof err) != 0) {
			fprintf(stderr, "meshsim run: data plane: %s\n", err);
			return 1;
		}
	}
	if (rm_enabled(&r->mopts) &&
	    rm_start(&r->mopts, r->w, r->cl, rp_obs, r->rp, r->seed,
	             &r->metrics, err, sizeof err) != 0) {
		fprintf(stderr, "meshsim run: %s\n", err);
		return 1;
	}
	if (r->metrics && rm_set_mesh(r->metrics, r->dp, err, sizeof err) != 0) {
		fprintf(stderr, "meshsim run: %s\n", err);
		return 1;
	}
	for (size_t i = 0; shop_charts[i]; i++)
		if (apply_chart(r, shop_charts[i], NULL) != 0)
			return 2; /* the charts' values: bad input */
	if (r->sc && r->sc->canary.set) {
		int crc = canary_setup(r);
		if (crc != 0)
			return crc;
		if (rp_watch_workload(r->rp, r->canary_wl) != 0)
			return 1;
	}

	/* Start-up: until every Deployment is ready (the frontend's
	 * readiness probe waits 10 s), at most WARMUP_MAX. */
	while (!all_ready(r) && des_now(des) < WARMUP_MAX && !interrupted) {
		vrt_run(r->w, des_now(des) + DES_S(1));
		if (r->metrics)
			rm_tick(r->metrics);
	}
	if (!all_ready(r))
		fprintf(stderr,
		        "meshsim run: not every Deployment was ready after %lld "
		        "virtual seconds; starting the load anyway\n",
		        (long long)(des_now(des) / DES_S(1)));
	r->warmup = r->load_start = des_now(des);
	if (slo_watch(r) != 0) {
		fprintf(stderr, "meshsim run: out of memory\n");
		return 1;
	}
	rp_begin(r->rp);
	int oom;
	r->sidecars = rs_begin(r->w, r->dp, &oom);
	if (oom)
		return 1;
	if (start_load(r) != 0)
		return 1;
	if (r->canary_on && canary_begin(r) != 0) {
		fprintf(stderr, "meshsim run: out of memory\n");
		return 1;
	}
	for (size_t i = 0; r->sc && i < r->sc->n_actions; i++) {
		act_ev_t *e = malloc(sizeof *e);
		if (!e)
			return 1;
		e->r = r;
		e->a = &r->sc->actions[i];
		if (des_schedule_full(des, r->load_start + e->a->at, DES_PRIO_MIN,
		                      "scenario.action", run_action, e,
		                      NULL) != 0) {
			free(e);
			return 1;
		}
	}
	des_time_t end = r->load_start + r->duration;
	while (des_now(des) < end && !interrupted) {
		des_time_t next = des_now(des) + DES_S(1);
		vrt_run(r->w, next < end ? next : end);
		if (r->metrics)
			rm_tick(r->metrics);
		progress(r, 0);
	}
	if (interrupted)
		fprintf(stderr, "\nmeshsim run: interrupted; reporting the "
		                "virtual time so far\n");
	rp_end(r->rp);
	rs_end(r->sidecars);
	if (r->open)
		ld_open_stop(r->open);
	progress(r, 1);

	rp_meta_t m = {
	    .scenario = r->sc ? r->sc->name : "default",
	    .seed = r->seed,
	    .warmup_s = (double)r->warmup / 1e9,
	    .load = r->load_desc,
	    .load_kind = r->load_kind == SC_LOAD_RATE ? "rate" : "users",
	    .load_users = r->load_kind == SC_LOAD_USERS ? r->users : 0,
	    .load_rate = r->load_kind == SC_LOAD_RATE && r->n_points == 1
	                     ? r->points[0].rate
	                     : 0,
	    .engine_events = des_events_run(des),
	};
	size_t slo_failed = slo_check(r);
	int rc;
	if (r->json) {
		/* The report's object, with the scenario's actions spliced in
		 * before its last member. */
		char *buf = NULL;
		size_t len = 0;
		FILE *mf = open_memstream(&buf, &len);
		if (!mf)
			return 1;
		rc = rp_write_json(r->rp, &m, mf);
		fclose(mf);
		const char *b = buf ? strstr(buf, "\n  \"bottleneck\"") : NULL;
		if (rc == 0 && b) {
			fwrite(buf, 1, (size_t)(b - buf) + 1, r->out);
			fprintf(r->out, "  \"actions\": [%.*s%s],\n", (int)r->actions_len,
			       r->actions_json, r->actions_len ? "\n  " : "");
			mesh_report_json(r, r->out);
			if (r->canary_on) {
				fputs("  \"canary\": ", r->out);
				canary_write_json(r->out, &r->canary, r->load_start, 2);
				fputs(",\n", r->out);
			}
			rs_write_json(r->sidecars, r->out);
			if (r->n_slo && r->slo_res) {
				fputs("  \"slo\": ", r->out);
				slo_write_json(r->out, r->slo, r->slo_res,
				               r->n_slo, 4);
				fputs(",\n", r->out);
			}
			fputs(b + 1, r->out);
		} else if (buf) {
			fputs(buf, r->out);
		}
		free(buf);
	} else {
		rc = rp_write_text(r->rp, &m, r->out);
		mesh_report(r, r->out);
		rs_write_text(r->sidecars, r->out);
		if (r->actions_text_len)
			fprintf(r->out, "\nactions:\n%.*s", (int)r->actions_text_len,
			       r->actions_text);
		if (r->canary_on)
			fprintf(r->out,
			        "\ncanary %s (interval %gs, stepWeight %d, "
			        "maxWeight %d, threshold %d): %s at weight %d, %d "
			        "failed checks\n%.*s",
			        r->sc->canary.service,
			        (double)r->canary.cfg.interval_ns / 1e9,
			        r->canary.cfg.step_weight, r->canary.cfg.max_weight,
			        r->canary.cfg.threshold,
			        canary_result_name(r->canary.result), r->canary.weight,
			        r->canary.failed_checks, (int)r->canary_text_len,
			        r->canary_text);
		if (r->n_slo && r->slo_res) {
			fputc('\n', r->out);
			slo_write_text(r->out, r->slo, r->slo_res, r->n_slo);
		}
	}
	if (fflush(r->out) != 0 || rc != 0) {
		fprintf(stderr, "meshsim run: cannot write the report: %s\n",
		        strerror(errno));
		return 1;
	}
	if (r->metrics && rm_finish(r->metrics, &interrupted) != 0)
		return 1;
	int failed = 0;
	if (r->canary_on && r->canary.result != CANARY_PROMOTED) {
		fprintf(stderr,
		        "meshsim run: canary %s %s (weight %d, %d of %d failed "
		        "checks)\n",
		        r->sc->canary.service,
		        r->canary.result == CANARY_ROLLED_BACK
		            ? "rolled back"
		            : "not promoted by the end of the run",
		        r->canary.weight, r->canary.failed_checks,
		        r->canary.cfg.threshold);
		failed = 1;
	}
	if (slo_failed) {
		fprintf(stderr, "meshsim run: %zu of %zu service-level "
		                "objectives failed\n",
		        slo_failed, r->n_slo);
		failed = 1;
	}
	return failed;
}

/* ---- options ------------------------------------------------------------- */

__attribute__((format(printf, 1, 2))) static int usage_err(const char *fmt,
                                                           ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "meshsim run: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see meshsim run --help)\n");
	va_end(ap);
	return 2;
}

int msim_run_argv(int argc, char **argv, FILE *out)
{
	run_t r = {.route = -1, .out = out};
/* Until the run is set up, leaving frees what parsing allocated. */
#define EARLY(code) \
	do { sc_free(r.sc); free(r.sets); free(r.slo); return (code); } while (0)
#define USAGE(...) \
	do { sc_free(r.sc); free(r.sets); free(r.slo); \
	     return usage_err(__VA_ARGS__); } while (0)
	char charts_buf[PATH_MAX], prof_buf[PATH_MAX], istio_buf[PATH_MAX];
	int have_seed = 0, have_duration = 0, have_users = 0, have_rate = 0;
	double rate = 0;
	const char *route = NULL;
	const char *charts_opt = NULL;
	r.sets = calloc((size_t)argc + 1, sizeof *r.sets);
	if (!r.sets)
		return 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end, merr[256];
		int mr = rm_parse_opt(&r.mopts, a, v, merr, sizeof merr);
		if (mr < 0)
			USAGE("%s", merr);
		if (mr == 2) {
			i++;
			continue;
		}
		if (!strcmp(a, "--json")) {
			r.json = 1;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			r.quiet = 1;
		} else if (!strcmp(a, "--uniform")) {
			r.deterministic = 1;
		} else if (!strcmp(a, "--no-mesh")) {
			r.no_mesh = 1;
		} else if (!strcmp(a, "--node-cpu")) {
			r.node_cpu = 1;
		} else if (a[0] == '-' && !v) {
			static const char *const valued[] = {
			    "--seed", "--duration", "--users", "--spawn-rate",
			    "--rate", "--route", "--charts", "--profile", "--set",
			    "--event-log", "--istio", "--slo", "--link", "--nodes",
			    NULL};
			int known = 0;
			for (const char *const *o = valued; *o; o++)
				known |= !strcmp(a, *o);
			if (known)
				USAGE("option '%s' needs a value%s", a, "");
			USAGE("unknown option '%s'%s", a, "");
		} else if (!strcmp(a, "--seed")) {
			errno = 0;
			unsigned long long s = strtoull(v, &end, 10);
			if (!*v || *end || errno || v[0] == '-')
				USAGE("--seed: '%s' is not a "
				                 "non-negative integer%s", v, "");
			r.seed = s;
			have_seed = 1;
			i++;
		} else if (!strcmp(a, "--duration")) {
			rt_time_t d;
			const char *why;
			if (loadgen_parse_duration(v, &d, &why) != 0 || d <= 0)
				USAGE("--duration: '%s' is not a "
				                 "positive duration (%s)", v,
				                 "e.g. 30s, 10m, 1h");
			r.duration = d;
			have_duration = 1;
			i++;
		} else if (!strcmp(a, "--users")) {
			long n = strtol(v, &end, 10);
			if (!*v || *end || n < 1 || n > 10000000)
				USAGE("--users: '%s' is not a whole "
				                 "number from 1%s", v, "");
			r.users = (unsigned)n;
			have_users = 1;
			i++;
		} else if (!strcmp(a, "--spawn-rate")) {
			r.spawn_rate = strtod(v, &end);
			if (!*v || *end || !(r.spawn_rate > 0))
				USAGE("--spawn-rate: '%s' is not a "
				                 "positive number%s", v, "");
			i++;
		} else if (!strcmp(a, "--rate")) {
			rate = strtod(v, &end);
			if (!*v || *end || !(rate > 0))
				USAGE("--rate: '%s' is not a positive "
				                 "number of requests per second%s",
				                 v, "");
			have_rate = 1;
			i++;
		} else if (!strcmp(a, "--route")) {
			route = v;
			if (ld_route_find(v) < 0)
				USAGE("--route: no route '%s'%s", v,
				                 " (GET /, POST /setCurrency, GET "
				                 "/product/[id], POST /cart, GET "
				                 "/cart, POST /cart/checkout, GET /business)");
			i++;
		} else if (!strcmp(a, "--charts")) {
			charts_opt = v;
			i++;
		} else if (!strcmp(a, "--profile")) {
			r.profile_path = v;
			i++;
		} else if (!strcmp(a, "--set")) {
			r.sets[r.n_sets++] = v;
			i++;
		} else if (!strcmp(a, "--event-log")) {
			r.event_log = v;
			i++;
		} else if (!strcmp(a, "--istio")) {
			r.istio = v;
			r.istio_opt = 1;
			i++;
		} else if (!strcmp(a, "--slo")) {
			/* Every route (the aggregate); added to the scenario's. */
			slo_bound_t b[16];
			size_t n;
			char why[256];
			if (slo_parse_expr(v, b, 16, &n, why, sizeof why) != 0)
				USAGE("--slo: %s", why);
			slo_assert_t *na =
			    realloc(r.slo, (r.n_slo + n) * sizeof *na);
			if (!na)
				EARLY(1);
			r.slo = na;
			for (size_t k = 0; k < n; k++)
				r.slo[r.n_slo++] =
				    (slo_assert_t){SLO_SCOPE_ALL, NULL, b[k], 0};
			i++;
		} else if (!strcmp(a, "--nodes")) {
			/* N, or NxCPU: N nodes of CPU allocatable ("940m",
			 * "1.5"), a t2.medium's memory and pod count. */
			char nbuf[32];
			const char *x = strchr(v, 'x');
			size_t nl = x ? (size_t)(x - v) : strlen(v);
			long n = -1;
			int64_t m = CL_NODE_T2_MEDIUM_CPU_M;
			if (nl > 0 && nl < sizeof nbuf) {
				memcpy(nbuf, v, nl);
				nbuf[nl] = '\0';
				n = strtol(nbuf, &end, 10);
				if (*end)
					n = -1;
			}
			if (n < 1 || n > 1000 ||
			    (x && (cl_quantity_cpu(x + 1, &m) != 0 || m <= 0)))
				USAGE("--nodes: '%s' is not N or NxCPU (e.g. 3, "
				      "1x940m, 2x1.5)%s", v, "");
			r.n_nodes = (int)n;
			r.node_cpu_m = m;
			i++;
		} else if (!strcmp(a, "--link")) {
			rt_time_t d;
			const char *why;
			if (strcmp(v, "profile") &&
			    (loadgen_parse_duration(v, &d, &why) != 0 || d < 0))
				USAGE("--link: '%s' is neither \"profile\" nor a "
				      "duration (%s)", v, "e.g. 20us, 0.2ms");
			r.link = v;
			i++;
		} else if (a[0] == '-') {
			USAGE("unknown option '%s'%s", a, "");
		} else if (!r.scenario_path) {
			r.scenario_path = a;
		} else {
			USAGE("one scenario at a time ('%s' and "
			                 "'%s')", r.scenario_path, a);
		}
	}
	if (have_users && have_rate)
		USAGE("--users (closed loop) and --rate (open loop) "
		                 "exclude each other%s%s", "", "");
	size_t n_cli_slo = r.n_slo;

	char err[1024];
	if (r.scenario_path &&
	    sc_load(r.scenario_path, &r.sc, err, sizeof err) != 0) {
		fprintf(stderr, "meshsim run: %s\n", err);
		EARLY(2);
	}
	/* The scenario's settings, then the command line's over them. */
	r.duration = have_duration ? r.duration
	             : r.sc && r.sc->has_duration ? r.sc->duration
	                                          : DES_S(3600);
	r.seed = have_seed ? r.seed : r.sc && r.sc->has_seed ? r.sc->seed : 1;
	ld_point_t one = {0, rate, 0};
	if (have_rate) {
		r.load_kind = SC_LOAD_RATE;
		r.points = &one;
		r.n_points = 1;
	} else if (have_users) {
		r.load_kind = SC_LOAD_USERS;
	} else if (r.sc) {
		r.load_kind = r.sc->load.kind;
		r.users = r.sc->load.users;
		if (r.spawn_rate <= 0)
			r.spawn_rate = r.sc->load.spawn_rate;
		r.points = r.sc->load.points;
		r.n_points = r.sc->load.n_points;
		r.deterministic |= r.sc->load.deterministic;
		if (!route && r.sc->load.route)
			route = r.sc->load.route;
	}
	if (route) {
		if (r.load_kind != SC_LOAD_RATE)
			USAGE("--route is for open-loop load "
			                 "(--rate)%s%s", "", "");
		r.route = ld_route_find(route);
	}
	if (r.sc && r.sc->n_set) {
		const char **ns = realloc(
		    r.sets, (r.n_sets + r.sc->n_set + 1) * sizeof *ns);
		if (!ns)
			EARLY(1);
		r.sets = ns;
	}
	if (r.sc)
		for (size_t i = 0; i < r.sc->n_set; i++) {
			/* The scenario's overrides go first: the command
			 * line's, applied later, win. */
			memmove(r.sets + 1, r.sets, r.n_sets * sizeof *r.sets);
			r.sets[0] = r.sc->set[r.sc->n_set - 1 - i];
			r.n_sets++;
		}
	if (charts_opt) {
		r.charts = charts_opt;
	} else if (r.sc && r.sc->charts) {
		r.charts = r.sc->charts;
	} else if (find_data("k8s/charts", 1, charts_buf, sizeof charts_buf) ==
	           0) {
		r.charts = charts_buf;
	} else {
		fprintf(stderr, "meshsim run: cannot find k8s/charts next to "
		                "meshsim, in its parent or in " MESHSIM_SRCDIR
		                "; pass --charts DIR\n");
		EARLY(2);
	}
	if (!is_dir(r.charts)) {
		fprintf(stderr, "meshsim run: --charts %s: not a directory\n",
		        r.charts);
		EARLY(2);
	}
	if (!r.profile_path &&
	    find_data("data/cost-profile.json", 0, prof_buf, sizeof prof_buf) == 0)
		r.profile_path = prof_buf;
	if (!r.istio && r.sc && r.sc->istio)
		r.istio = r.sc->istio;
	if (r.sc && r.sc->node_cpu)
		r.node_cpu = 1;
	if (r.sc && r.sc->mesh_off && !r.istio_opt)
		r.no_mesh = 1;
	if (!r.no_mesh && !r.istio) {
		if (find_data("k8s/istio", 1, istio_buf, sizeof istio_buf) != 0) {
			fprintf(stderr, "meshsim run: cannot find k8s/istio next to "
			                "meshsim, in its parent or in " MESHSIM_SRCDIR
			                "; pass --istio DIR or --no-mesh\n");
			EARLY(2);
		}
		r.istio = istio_buf;
	}
	if (!r.no_mesh && !is_dir(r.istio)) {
		fprintf(stderr, "meshsim run: --istio %s: not a directory\n",
		        r.istio);
		EARLY(2);
	}
	if (check_sets(&r) != 0)
		EARLY(2);
	if (r.sc && r.sc->n_slo) {
		/* The scenario's objectives first, then the command line's. */
		slo_assert_t *na =
		    realloc(r.slo, (r.sc->n_slo + n_cli_slo) * sizeof *na);
		if (!na)
			EARLY(1);
		memmove(na + r.sc->n_slo, na, n_cli_slo * sizeof *na);
		memcpy(na, r.sc->slo, r.sc->n_slo * sizeof *na);
		r.slo = na;
		r.n_slo = r.sc->n_slo + n_cli_slo;
	}
	if (slo_check_names(&r) != 0)
		EARLY(2);
	{
		char merr[256];
		if (rm_check(&r.mopts, merr, sizeof merr) != 0)
			USAGE("%s", merr);
	}
	describe_load(&r);

	if (r.event_log) {
		r.elog = fopen(r.event_log, "w");
		if (!r.elog) {
			fprintf(stderr, "meshsim run: --event-log %s: %s\n",
			        r.event_log, strerror(errno));
			EARLY(1);
		}
#undef EARLY
#undef USAGE
	}
	r.tty = isatty(STDERR_FILENO);
	/* Millions of short-lived call objects: without these, glibc gives
	 * the heap's top back to the kernel and takes it again thousands of
	 * times a second (brk and page faults were a fifth of the run). */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	/* Pods' volumes (the services' SQLite files) in memory when we can:
	 * the simulated disk should not wait for the real one. */
	if (!getenv("TMPDIR") && access("/dev/shm", W_OK | X_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	clock_gettime(CLOCK_MONOTONIC, &r.wall0);
	struct sigaction sa = {.sa_handler = on_sigint};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	int rc = simulate(&r);

	/* Metrics first: its hook resolves pods through the cluster. */
	rm_free(r.metrics);
	/* The sidecars next (they unhook themselves from the world), then
	 * the cluster (its volume directory goes), then the world
	 * (pending requests end, with their callbacks), then what those
	 * callbacks touch. */
	rs_free(r.sidecars);
	dp_sidecars_free(r.dp);
	cl_cluster_free(r.cl);
	vrt_world_free(r.w);
	if (r.mesh_init)
		mesh_config_free(&r.mesh);
	ld_open_free(r.open);
	rp_free(r.rp);
	if (r.elog && fclose(r.elog) != 0 && rc == 0) {
		fprintf(stderr, "meshsim run: --event-log %s: %s\n",
		        r.event_log, strerror(errno));
		rc = 1;
	}
	canary_free(&r.canary);
	sc_free(r.sc);
	free(r.sets);
	free(r.slo);
	free(r.slo_res);
	return rc;
}

static int run_exec(int argc, char **argv)
{
	return msim_run_argv(argc, argv, stdout);
}

int msim_run_interrupted(void)
{
	return interrupted != 0;
}

const char *const *msim_run_charts(void)
{
	return shop_charts;
}

int msim_find_data(const char *rel, int dir, char *out, size_t size)
{
	return find_data(rel, dir, out, size);
}

const msim_cmd_t msim_cmd_run = {
    .name = "run",
    .args = "[SCENARIO] [--seed N] [--duration D] [--json] [--users N | "
            "--rate R] [--charts DIR] [--set chart.key=value ...] "
            "[--event-log FILE] [--istio DIR | --no-mesh] [--slo EXPR ...] "
            "[--link profile|LATENCY] [--node-cpu] [--nodes N[xCPU]] "
            "[--quiet] [--metrics-db FILE] [--metrics-out FILE] "
            "[--metrics-listen HOST:PORT [--pace X] [--serve-for D]]",
    .summary = "simulate the whole shop in virtual time and report",
    .help =
        "Runs the Online Boutique from its Helm chart values in virtual time\n"
        "(every service's real code, a seeded discrete-event engine) and reports\n"
        "per route, per service and per pod: p50/p95/p99 latency, throughput,\n"
        "errors, CPU use, and the bottleneck. The same seed gives the same report\n"
        "and event log, byte for byte.\n"
        "\n"
        "Without SCENARIO: the default scenario, the whole shop with the\n"
        "loadgenerator chart's closed-loop users for one virtual hour. SCENARIO is\n"
        "a YAML file (see scenarios/README.md): duration, seed, charts, overrides,\n"
        "load, timed actions (kill a pod, scale a Deployment, ...), service-level\n"
        "objectives (slo:, checked after the report) and a canary analysis\n"
        "(canary:, Flagger's progressive delivery: weights shifted every interval\n"
        "while the canary's success rate and p99 hold, then promoted or rolled\n"
        "back); they decide the exit status.\n"
        "Options given here win over the scenario's.\n"
        "\n"
        "The load starts once every Deployment is ready; --duration and the\n"
        "actions' times count from then.\n"
        "\n"
        "options:\n"
        "  --seed N            the master seed (default 1, or the scenario's)\n"
        "  --duration D        virtual time of load: 90s, 10m, 1h (default 1h)\n"
        "  --json              the report as JSON on stdout (top level: seed,\n"
        "                      virtual_seconds, requests, errors, routes, services,\n"
        "                      pods, bottleneck, ...); no wall-clock figure in it\n"
        "  --users N           closed loop: N users of the loadgenerator chart\n"
        "  --spawn-rate R      with --users: users started per second\n"
        "  --rate R            open loop: R arrivals per second at the frontend\n"
        "                      (Poisson; the Locust request mix), no loadgenerator\n"
        "  --uniform           open loop: evenly spaced arrivals instead of Poisson\n"
        "  --route ROUTE       open loop: only this route (\"GET /\", ...)\n"
        "  --charts DIR        the charts (default: k8s/charts next to meshsim,\n"
        "                      in its parent directory, or in the source tree it\n"
        "                      was built from: " MESHSIM_SRCDIR "/k8s/charts)\n"
        "  --profile FILE      the cost profile (default: data/cost-profile.json,\n"
        "                      looked for in the same places)\n"
        "  --link L            the network's one-way latency instead of the 200 us\n"
        "                      cluster hop: a duration (20us), or \"profile\": the\n"
        "                      loopback link `meshsim calibrate` measured (the\n"
        "                      profile's \"link\": its latency, and its jitter, the\n"
        "                      wait of a woken process for a CPU), to compare\n"
        "                      with the live shop on that machine\n"
        "  --node-cpu          pods on a node share its cores: when their demand\n"
        "                      (each at most its CPU limit) exceeds the node's\n"
        "                      allocatable CPU, it is split in proportion to their\n"
        "                      CPU requests (cpu.shares); default: every pod has\n"
        "                      its limit to itself\n"
        "  --nodes N[xCPU]     N nodes (default 3 t2.medium), each with CPU\n"
        "                      allocatable (default 2000m), e.g. 1x940m\n"
        "  --set C.K=V         helm --set K=V for chart C (repeatable), e.g.\n"
        "                      --set cartservice.replicaCount=2\n"
        "  --istio DIR         the mesh's Istio manifests (default: k8s/istio,\n"
        "                      found as the charts are): every pod gets a sidecar\n"
        "                      (mTLS, AuthorizationPolicy, routing, retries) and\n"
        "                      outside traffic enters through the ingress gateway\n"
        "  --no-mesh           no sidecars: calls go straight from pod to pod\n"
        "  --event-log FILE    write every engine event, Kubernetes event and\n"
        "                      scenario action with its virtual time\n"
        "  --slo EXPR          service-level objectives over every route, e.g.\n"
        "                      p99<300ms,errors<1% (figures p50 p95 p99 max mean\n"
        "                      errors success; < and > strict, <= and >= not;\n"
        "                      repeatable, added to the scenario's slo: entries).\n"
        "                      The report then lists each with its measured value\n"
        "                      and PASS or FAIL (JSON: \"slo\": [...])\n"
        "  --quiet, -q         no progress line\n"
        RM_HELP
        "\n"
        "Progress goes to stderr: virtual time, speed-up over real time, events\n"
        "per second, requests so far (redrawn on a terminal, else a line every ten\n"
        "virtual minutes and one at the end). Ctrl-C stops early and reports the\n"
        "virtual time so far. Pods' volumes live in a temporary directory under\n"
        "$TMPDIR (or /dev/shm when TMPDIR is unset, else /tmp), removed at exit;\n"
        "the services' SQLite files in them are kept in memory.\n"
        "\n"
        "Exit status: 0 done, every service-level objective met and the canary\n"
        "(if any) promoted, 1 an objective failed, or the canary was rolled back\n"
        "or not promoted by the end (or the run itself failed: out of memory, the\n"
        "report not written; stderr says which), 2 bad usage or input (options,\n"
        "scenario, chart values).\n",
    .exec = run_exec,
};

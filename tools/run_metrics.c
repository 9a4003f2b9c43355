/*
 * run_metrics.c — Istio's metrics for `meshsim run`. See run_metrics.h.
 */
#include "run_metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgenerator/loadgen.h"
#include "metrics.h"
#include "serve.h"
#include "store.h"

struct run_metrics {
	rm_opts_t o;
	vrt_world_t *w;
	cl_cluster_t *cl;
	vrt_obs_cb prev;
	void *prev_user;
	ms_registry_t *reg;
	ms_observer_t *obs;
	ms_store_t *st;
	int db_failed;
	ms_server_t *srv;
	des_time_t next_snap;
	struct timespec wall0, last_pub;
	uint64_t published_records;
	des_time_t virt0;
	int paced;
};

static int parse_dur(const char *v, des_time_t *out)
{
	rt_time_t d;
	const char *why;
	if (!v || loadgen_parse_duration(v, &d, &why) != 0 || d <= 0)
		return -1;
	*out = (des_time_t)d;
	return 0;
}

int rm_parse_opt(rm_opts_t *o, const char *a, const char *v, char *err,
                 size_t errsize)
{
	const char **str = NULL;
	if (!strcmp(a, "--metrics-db"))
		str = &o->db;
	else if (!strcmp(a, "--metrics-out"))
		str = &o->out;
	else if (!strcmp(a, "--metrics-listen"))
		str = &o->listen;
	if (str) {
		if (!v || !*v) {
			snprintf(err, errsize, "%s needs a value", a);
			return -1;
		}
		*str = v;
		return 2;
	}
	if (!strcmp(a, "--metrics-interval")) {
		if (parse_dur(v, &o->interval) != 0) {
			snprintf(err, errsize,
			         "--metrics-interval: '%s' is not a positive "
			         "duration (e.g. 15s, 1m)", v ? v : "");
			return -1;
		}
		return 2;
	}
	if (!strcmp(a, "--serve-for")) {
		des_time_t d;
		if (parse_dur(v, &d) != 0) {
			snprintf(err, errsize,
			         "--serve-for: '%s' is not a positive duration "
			         "(e.g. 30s, 5m)", v ? v : "");
			return -1;
		}
		o->serve_for_s = (double)d / 1e9;
		return 2;
	}
	if (!strcmp(a, "--pace")) {
		char *end;
		double x = v ? strtod(v, &end) : 0;
		if (!v || !*v || *end || !(x > 0) || x > 1e6) {
			snprintf(err, errsize,
			         "--pace: '%s' is not a positive number (1: "
			         "real time, 10: ten times faster)", v ? v : "");
			return -1;
		}
		o->pace = x;
		return 2;
	}
	return 0;
}

int rm_enabled(const rm_opts_t *o)
{
	return o->db || o->out || o->listen;
}

int rm_check(const rm_opts_t *o, char *err, size_t errsize)
{
	if ((o->pace > 0 || o->serve_for_s > 0) && !o->listen) {
		snprintf(err, errsize, "--pace and --serve-for go with "
		                       "--metrics-listen");
		return -1;
	}
	if (o->interval && !o->db) {
		snprintf(err, errsize, "--metrics-interval goes with "
		                       "--metrics-db");
		return -1;
	}
	return 0;
}

static int resolve(void *user, const vrt_pod_t *pod, ms_pod_meta_t *out)
{
	cl_pod_meta_t m;
	if (cl_pod_meta(user, pod, &m) != 0)
		return -1;
	out->workload = m.workload;
	out->ns = m.ns;
	out->app = m.app;
	out->version = m.version;
	out->service_account = m.service_account;
	out->service = m.service;
	return 0;
}

static void tee_obs(void *user, const vrt_obs_t *obs)
{
	run_metrics_t *m = user;
	if (m->prev)
		m->prev(m->prev_user, obs);
	ms_obs_record(m->obs, obs);
}

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int rm_start(const rm_opts_t *o, vrt_world_t *w, cl_cluster_t *cl,
             vrt_obs_cb prev, void *prev_user, uint64_t seed,
             run_metrics_t **out, char *err, size_t errsize)
{
	*out = NULL;
	run_metrics_t *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	m->o = *o;
	if (!m->o.interval)
		m->o.interval = DES_S(15);
	m->w = w;
	m->cl = cl;
	m->prev = prev;
	m->prev_user = prev_user;
	m->reg = ms_registry_new();
	m->obs = m->reg ? ms_observer_new(m->reg, resolve, cl) : NULL;
	if (!m->obs) {
		snprintf(err, errsize, "out of memory");
		rm_free(m);
		return -1;
	}
	if (o->db) {
		char e[512];
		if (ms_store_create(o->db, &m->st, e, sizeof e) != 0) {
			snprintf(err, errsize, "--metrics-db %s", e);
			rm_free(m);
			return -1;
		}
		char s[32], iv[32];
		snprintf(s, sizeof s, "%" PRIu64, seed);
		snprintf(iv, sizeof iv, "%" PRId64,
		         (int64_t)(m->o.interval / DES_MS(1)));
		if (ms_store_set_meta(m->st, "seed", s) != 0 ||
		    ms_store_set_meta(m->st, "interval_ms", iv) != 0 ||
		    ms_store_set_meta(m->st, "clock",
		                      "virtual ms since the world started") != 0) {
			snprintf(err, errsize, "--metrics-db %s: %s", o->db,
			         ms_store_errmsg(m->st));
			rm_free(m);
			return -1;
		}
	}
	if (o->listen) {
		char e[512];
		if (ms_server_start(o->listen, &m->srv, e, sizeof e) != 0) {
			snprintf(err, errsize, "--metrics-listen %s", e);
			rm_free(m);
			return -1;
		}
		const char *colon = strrchr(o->listen, ':');
		fprintf(stderr,
		        "meshsim run: metrics at http://%.*s:%d/metrics\n",
		        (int)(colon - o->listen), o->listen,
		        ms_server_port(m->srv));
	}
	des_t *des = vrt_world_des(w);
	m->virt0 = des_now(des);
	m->next_snap = m->virt0 + m->o.interval;
	clock_gettime(CLOCK_MONOTONIC, &m->wall0);
	m->last_pub = m->wall0;
	vrt_world_set_obs(w, tee_obs, m);
	*out = m;
	return 0;
}

int rm_set_mesh(run_metrics_t *m, const dp_sidecars_t *dp, char *err,
                size_t errsize)
{
	dp_workload_t gw;
	if (!dp || dp_sidecars_gateway(dp, &gw) != 0)
		return 0;
	/* The gateway chart's Deployment, Service and app label are its
	 * release's name, the workload's app in the data plane. */
	ms_pod_meta_t meta = {.workload = gw.app,
	                      .ns = gw.ns,
	                      .app = gw.app,
	                      .version = gw.version,
	                      .service_account = gw.sa,
	                      .service = gw.app};
	if (ms_observer_set_ingress(m->obs, &meta) != 0) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

static void publish(run_metrics_t *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return;
	int rc = ms_write_prometheus(m->reg, NULL, f);
	if (fclose(f) == 0 && rc == 0)
		ms_server_publish(m->srv, buf, len);
	free(buf);
	clock_gettime(CLOCK_MONOTONIC, &m->last_pub);
	m->published_records = ms_registry_records(m->reg);
}

static int snapshot(run_metrics_t *m, des_time_t t)
{
	if (!m->st || m->db_failed)
		return m->db_failed ? -1 : 0;
	int rc = ms_store_snapshot(m->st, m->reg, (int64_t)(t / DES_MS(1)));
	if (rc != 0) {
		fprintf(stderr, "meshsim run: --metrics-db %s: %s (%s); no "
		                "more snapshots\n",
		        m->o.db, ms_strerror(rc), ms_store_errmsg(m->st));
		m->db_failed = 1;
		return -1;
	}
	return 0;
}

int rm_tick(run_metrics_t *m)
{
	des_time_t now = des_now(vrt_world_des(m->w));
	int rc = 0;
	if (now >= m->next_snap) {
		rc = snapshot(m, now);
		while (m->next_snap <= now) /* bounded: interval > 0 */
			m->next_snap += m->o.interval;
	}
	/* A few MB of text for a large registry: at most once a second of
	 * wall time (Prometheus scrapes every 15 s by default, 1 s at best),
	 * and only when something was recorded. */
	if (m->srv && since(&m->last_pub) >= 1.0 &&
	    ms_registry_records(m->reg) != m->published_records)
		publish(m);
	if (m->o.pace > 0) {
		/* Sleep until the wall clock catches up with virtual time. */
		double ahead = (double)(now - m->virt0) / 1e9 / m->o.pace -
		               since(&m->wall0);
		if (ahead > 0) {
			if (ahead > 10)
				ahead = 10;
			struct timespec ts = {
			    .tv_sec = (time_t)ahead,
			    .tv_nsec = (long)((ahead - (double)(time_t)ahead) *
			                      1e9)};
			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				break; /* a signal: let the run see it */
		}
	}
	return rc;
}

int rm_finish(run_metrics_t *m, volatile sig_atomic_t *stop)
{
	des_time_t now = des_now(vrt_world_des(m->w));
	int rc = snapshot(m, now);
	if (m->o.out) {
		FILE *f = fopen(m->o.out, "w");
		int wr = f ? ms_write_prometheus(m->reg, NULL, f) : MS_EIO;
		if (!f || fclose(f) != 0 || wr != 0) {
			fprintf(stderr, "meshsim run: --metrics-out %s: %s\n",
			        m->o.out, strerror(errno));
			rc = -1;
		}
	}
	if (m->srv) {
		publish(m);
		if (m->o.serve_for_s > 0) {
			fprintf(stderr,
			        "meshsim run: serving the final metrics for "
			        "%g s (Ctrl-C to stop)\n",
			        m->o.serve_for_s);
			struct timespec t0;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			while (!*stop && since(&t0) < m->o.serve_for_s) {
				struct timespec ts = {0, 100 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
		}
	}
	return rc;
}

void rm_free(run_metrics_t *m)
{
	if (!m)
		return;
	if (m->w && m->obs)
		vrt_world_set_obs(m->w, m->prev, m->prev_user);
	ms_server_stop(m->srv);
	if (m->st && ms_store_close(m->st) != 0)
		fprintf(stderr, "meshsim run: --metrics-db %s: cannot close\n",
		        m->o.db);
	ms_observer_free(m->obs);
	ms_registry_free(m->reg);
	free(m);
}

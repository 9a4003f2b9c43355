/* sim/cluster/cluster.c: nodes, Deployments, ReplicaSets, pods, Services,
 * rolling updates and HPAs on a vrt world (see cluster.h, README.md).
 *
 * Control loops. Kubernetes' controllers react to changes within
 * milliseconds; here they run in one "cl.sync" event, scheduled at the
 * current time whenever something they read changes (a spec, a pod's
 * readiness, a pod gone) and coalesced, in a fixed order: every
 * Deployment (creation order) sets its ReplicaSets' sizes, every
 * ReplicaSet creates or deletes pods, the scheduler places pending pods
 * (creation order), and terminated pods are reaped. The kubelet's side
 * (container start, probes, back-off) runs in per-pod events, and its
 * PLEG relist ("cl.relist", every second) notices containers that died or
 * finished terminating. */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster.h"
#include "memvol.h"
#include "rng.h"

#define RELIST_PERIOD DES_S(1)
#define HPA_PERIOD DES_S(15)
#define BACKOFF_FIRST DES_S(10)
#define BACKOFF_MAX DES_S(300)
#define BACKOFF_RESET DES_S(600)
#define HPA_TOLERANCE 0.1

/* k8s.io/apimachinery's "safe" alphabet: no vowels, no 0/1/3. */
static const char safe_chars[] = "bcdfghjklmnpqrstvwxz2456789";

typedef struct cl_node {
	char *name;
	int64_t cpu_m, mem;
	int max_pods;
	int64_t cpu_req, mem_req, cpu_lim;
	int pods;
	int cordoned;
	char **images; /* pulled, for pull_delay */
	size_t n_images;
	vrt_node_t *vn; /* with cfg.node_cpu: its pods' shared CPU */
} cl_node_t;

typedef struct cl_service {
	char *ns, *name;
	int port;
	vrt_endpoints_t *eps;
	char *addrs[4];
} cl_service_t;

struct cl_deploy;

typedef struct cl_rs {
	char *name;
	char *key;          /* the pod template, canonical text */
	struct cl_deploy *d;
	cl_values_t *tmpl;  /* the pod template (values, effective tag) */
	int replicas;       /* spec */
	int revision;
	des_rng_t names;
} cl_rs_t;

typedef struct cl_hpa_rec {
	des_time_t t;
	int rec;
} cl_hpa_rec_t;

typedef struct cl_deploy {
	cl_cluster_t *cl;
	char *ns, *name, *track;
	const rt_service_t *svc;
	cl_service_t *service;  /* NULL: no Service */
	cl_values_t *tmpl;      /* the current template */
	char *key;
	int replicas;
	int revision;
	int deleted;
	cl_rs_t **rs;           /* oldest first */
	size_t n_rs;
	/* HPA */
	int hpa;
	int hpa_min, hpa_max, hpa_target, hpa_window_s;
	int hpa_percent;        /* -1 before the first sync */
	des_event_t ev_hpa;
	cl_hpa_rec_t *hist;
	size_t n_hist, cap_hist;
} cl_deploy_t;

typedef enum {
	C_NONE,     /* no container yet (unscheduled or creating) */
	C_RUNNING,
	C_STOPPING, /* being stopped by the kubelet (liveness) */
	C_BACKOFF,  /* exited, waiting to restart */
	C_GONE      /* stopped for good (pod deleted) */
} cstate_t;

typedef struct cl_pod {
	cl_cluster_t *cl;
	char *name;
	cl_deploy_t *d;
	cl_rs_t *rs;
	cl_node_t *node;
	int terminating;
	des_time_t created, started, cstart, ready_since;
	cstate_t cstate;
	vrt_pod_t *vp;
	int restarts;
	des_time_t backoff;
	int ready, rsucc, rfail, lfail, failing;
	des_event_t ev_start, ev_ready, ev_live;
	char *sched_msg;  /* the last FailedScheduling message */
	char *reason;     /* why waiting */
	char *voldir;
	int pulled;       /* the image was pulled for this pod */
	/* HPA metrics baseline */
	vrt_pod_t *m_vp;
	double m_core_ns;
	des_time_t m_at;
} cl_pod_t;

struct cl_cluster {
	vrt_world_t *w;
	des_t *des;
	cl_config_t cfg;
	cl_node_t *nodes;
	size_t n_nodes;
	char **ns;
	size_t n_ns;
	cl_service_t **svcs;
	size_t n_svcs;
	cl_deploy_t **deps;
	size_t n_deps;
	cl_pod_t **pods; /* live pods, creation order */
	size_t n_pods, cap_pods;
	des_event_t ev_sync, ev_relist;
	char *voldir;
	int own_voldir;
};

/* ---- small helpers ------------------------------------------------------- */

static void *xgrow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	size_t nc = *cap ? *cap * 2 : 8;
	void *np = realloc(p, nc * size);
	if (np)
		*cap = nc;
	return np;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static void seterr(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t size, const char *fmt, ...)
{
	if (!err || !size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

static void emit(cl_cluster_t *cl, const char *type, const char *kind,
                 const char *ns, const char *name, const char *reason,
                 const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void emit(cl_cluster_t *cl, const char *type, const char *kind,
                 const char *ns, const char *name, const char *reason,
                 const char *fmt, ...)
{
	if (!cl->cfg.on_event)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cl_event_t ev = {des_now(cl->des), type, kind, ns ? ns : "", name,
	                 reason, msg};
	cl->cfg.on_event(cl->cfg.event_user, &ev);
}

static des_time_t secs(int s)
{
	return DES_S((des_time_t)s);
}

static void schedule(cl_cluster_t *cl, des_time_t delay, const char *label,
                     des_event_cb cb, void *user, des_event_t *ev)
{
	des_cancel(cl->des, *ev);
	*ev = DES_EVENT_NULL;
	/* Out of memory in the engine leaves the timer unarmed; the model
	 * degrades (a probe stops) rather than aborting a run. */
	des_schedule_full(cl->des, des_now(cl->des) + delay, DES_PRIO_DEFAULT,
	                  label, cb, user, ev);
}

static void cancel(cl_cluster_t *cl, des_event_t *ev)
{
	des_cancel(cl->des, *ev);
	*ev = DES_EVENT_NULL;
}

static void sync_cb(des_t *des, void *user);

/* Something a controller reads changed: run the control loops soon. */
static void mark_dirty(cl_cluster_t *cl)
{
	if (!des_pending(cl->des, cl->ev_sync))
		des_schedule_full(cl->des, des_now(cl->des), DES_PRIO_DEFAULT,
		                  "cl.sync", sync_cb, cl, &cl->ev_sync);
}

static int rmdir_cb(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void rm_rf(const char *path)
{
	if (path)
		nftw(path, rmdir_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int mkdir_p(const char *path)
{
	char buf[4096];
	if (strlen(path) >= sizeof buf)
		return -1;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0700) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* ---- templates ----------------------------------------------------------- */

static void probe_key(FILE *f, const char *what, const cl_probe_t *p)
{
	fprintf(f, "%s=%d,%d,%s,%d,%d,%d,%d,%d\n", what, (int)p->kind, p->port,
	        p->path ? p->path : "", p->initial_delay_s, p->period_s,
	        p->timeout_s, p->success_threshold, p->failure_threshold);
}

/* The pod template as canonical text: what makes a new ReplicaSet. */
static char *template_key(const cl_values_t *t)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	if (!f)
		return NULL;
	fprintf(f, "image=%s/%s:%s %s\n", t->image.registry ? t->image.registry : "",
	        t->image.repository ? t->image.repository : "",
	        t->image.tag ? t->image.tag : "",
	        t->image.pull_policy ? t->image.pull_policy : "");
	fprintf(f, "port=%d\n", t->service.target_port);
	fprintf(f, "cpu=%lld/%lld mem=%lld/%lld\n", (long long)t->cpu_request_m,
	        (long long)t->cpu_limit_m, (long long)t->mem_request,
	        (long long)t->mem_limit);
	for (size_t i = 0; i < t->n_env; i++)
		fprintf(f, "env %s=%s\n", t->env[i].name, t->env[i].value);
	probe_key(f, "readiness", &t->readiness);
	probe_key(f, "liveness", &t->liveness);
	fprintf(f, "grace=%d storage=%d,%s,%s\n", t->grace_s, t->storage.enabled,
	        t->storage.type ? t->storage.type : "",
	        t->storage.mount_path ? t->storage.mount_path : "");
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* Kubernetes' pod-template-hash: FNV-32a of the template, its decimal
 * digits mapped onto the safe alphabet (as SafeEncodeString does). */
static void template_hash(const char *key, char out[16])
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	char dec[16];
	snprintf(dec, sizeof dec, "%u", h);
	size_t i;
	for (i = 0; dec[i]; i++)
		out[i] = safe_chars[(unsigned char)dec[i] % (sizeof safe_chars - 1)];
	out[i] = '\0';
}

static const char *tmpl_image(const cl_values_t *t, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s:%s", t->image.registry && *t->image.registry
	                                     ? t->image.registry : "",
	         t->image.registry && *t->image.registry ? "/" : "",
	         t->image.repository ? t->image.repository : t->name,
	         t->image.tag ? t->image.tag : "latest");
	return buf;
}

/* ---- nodes and scheduling ------------------------------------------------ */

static int node_has_image(const cl_node_t *n, const char *img)
{
	for (size_t i = 0; i < n->n_images; i++)
		if (strcmp(n->images[i], img) == 0)
			return 1;
	return 0;
}

static void node_add_image(cl_node_t *n, const char *img)
{
	if (node_has_image(n, img))
		return;
	char **ni = realloc(n->images, (n->n_images + 1) * sizeof *ni);
	if (!ni)
		return;
	n->images = ni;
	if ((ni[n->n_images] = strdup(img)) != NULL)
		n->n_images++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void pod_start_cb(des_t *des, void *user);

/* Env values under the chart's storage mount path, re-rooted in the pod's
 * volume directory. */
static char *volume_path(const cl_pod_t *p, const char *value)
{
	const cl_values_t *t = p->rs->tmpl;
	if (!p->voldir || !t->storage.enabled || !t->storage.mount_path)
		return NULL;
	const char *mp = t->storage.mount_path;
	size_t l = strlen(mp);
	while (l > 1 && mp[l - 1] == '/')
		l--;
	if (strncmp(value, mp, l) != 0 || (value[l] && value[l] != '/'))
		return NULL;
	return xprintf("%s%s", p->voldir, value + l);
}

static void pod_volumes(cl_pod_t *p)
{
	cl_cluster_t *cl = p->cl;
	const cl_values_t *t = p->rs->tmpl;
	if (!t->storage.enabled || !t->storage.mount_path)
		return;
	int pvc = t->storage.type &&
	          strcmp(t->storage.type, "persistentVolumeClaim") == 0;
	/* emptyDir: per pod, gone with it; a claim: per Deployment, kept. */
	p->voldir = pvc ? xprintf("%s/%s/%s-data", cl->voldir, p->d->ns, p->d->name)
	                : xprintf("%s/%s/%s", cl->voldir, p->d->ns, p->name);
	if (!p->voldir || mkdir_p(p->voldir) != 0)
		emit(cl, "Warning", "Pod", p->d->ns, p->name, "FailedMount",
		     "MountVolume.SetUp failed for volume \"data\": %s",
		     p->voldir ? strerror(errno) : "out of memory");
}

/* Places |p| or says why not. 1 when placed. */
static int schedule_pod(cl_cluster_t *cl, cl_pod_t *p)
{
	const cl_values_t *t = p->rs->tmpl;
	size_t best = (size_t)-1;
	int64_t best_score = -1;
	int n_cordon = 0, n_pods = 0, n_cpu = 0, n_mem = 0;
	for (size_t i = 0; i < cl->n_nodes; i++) {
		cl_node_t *n = &cl->nodes[i];
		int fits = 1;
		if (n->cordoned) {
			n_cordon++;
			fits = 0;
		}
		if (n->max_pods && n->pods >= n->max_pods) {
			n_pods++;
			fits = 0;
		}
		if (n->cpu_req + t->cpu_request_m > n->cpu_m) {
			n_cpu++;
			fits = 0;
		}
		if (n->mem_req + t->mem_request > n->mem) {
			n_mem++;
			fits = 0;
		}
		if (!fits)
			continue;
		int64_t score;
		if (cl->cfg.placement == CL_PLACE_FIRST_FIT) {
			score = 1;
		} else {
			/* NodeResourcesFit, LeastAllocated: free fraction after
			 * placing, each of CPU and memory out of 100, averaged. */
			int64_t sc = n->cpu_m ? (n->cpu_m - n->cpu_req - t->cpu_request_m) *
			                            100 / n->cpu_m : 0;
			int64_t sm = n->mem ? (n->mem - n->mem_req - t->mem_request) / (n->mem / 100 ? n->mem / 100 : 1)
			                    : 0;
			score = (sc + sm) / 2 + 1;
		}
		if (score > best_score) {
			best_score = score;
			best = i;
		}
	}
	if (best == (size_t)-1) {
		/* "0/3 nodes are available: 3 Insufficient cpu." as kube-
		 * scheduler, reasons sorted as text. */
		char parts[4][64];
		char *pp[4];
		int k = 0;
		if (n_cpu)
			snprintf(parts[k++], 64, "%d Insufficient cpu", n_cpu);
		if (n_mem)
			snprintf(parts[k++], 64, "%d Insufficient memory", n_mem);
		if (n_pods)
			snprintf(parts[k++], 64, "%d Too many pods", n_pods);
		if (n_cordon)
			snprintf(parts[k++], 64, "%d node(s) were unschedulable",
			         n_cordon);
		for (int i = 0; i < k; i++)
			pp[i] = parts[i];
		qsort(pp, (size_t)k, sizeof pp[0], cmp_str);
		char msg[512];
		int off = snprintf(msg, sizeof msg, "0/%zu nodes are available",
		                   cl->n_nodes);
		for (int i = 0; i < k; i++)
			off += snprintf(msg + off, sizeof msg - (size_t)off, "%s%s",
			                i ? ", " : ": ", pp[i]);
		snprintf(msg + off, sizeof msg - (size_t)off, ".");
		if (!p->sched_msg || strcmp(p->sched_msg, msg) != 0) {
			free(p->sched_msg);
			p->sched_msg = strdup(msg);
			emit(cl, "Warning", "Pod", p->d->ns, p->name,
			     "FailedScheduling", "%s", msg);
		}
		free(p->reason);
		p->reason = strdup(msg);
		return 0;
	}
	cl_node_t *n = &cl->nodes[best];
	p->node = n;
	n->cpu_req += t->cpu_request_m;
	n->mem_req += t->mem_request;
	n->cpu_lim += t->cpu_limit_m;
	n->pods++;
	free(p->reason);
	p->reason = NULL;
	emit(cl, "Normal", "Pod", p->d->ns, p->name, "Scheduled",
	     "Successfully assigned %s/%s to %s", p->d->ns, p->name, n->name);
	pod_volumes(p);
	char img[512];
	tmpl_image(t, img, sizeof img);
	int always = t->image.pull_policy && !strcmp(t->image.pull_policy, "Always");
	des_time_t delay = cl->cfg.start_delay;
	/* pull_delay 0: every image is already on every node. */
	p->pulled = cl->cfg.pull_delay > 0 && (always || !node_has_image(n, img));
	if (p->pulled)
		delay += cl->cfg.pull_delay;
	schedule(cl, delay, "cl.start", pod_start_cb, p, &p->ev_start);
	return 1;
}

/* ---- pods: readiness, containers ----------------------------------------- */

static void set_ready(cl_pod_t *p, int ready)
{
	if (p->ready == ready)
		return;
	p->ready = ready;
	p->ready_since = des_now(p->cl->des);
	if (p->d->service && p->vp) {
		if (ready)
			vrt_endpoints_add(p->d->service->eps, p->vp);
		else
			vrt_endpoints_remove(p->d->service->eps, p->vp);
	}
	mark_dirty(p->cl);
}

static int probe_ok(const cl_pod_t *p)
{
	return !p->failing && p->vp && vrt_pod_serving(p->vp);
}

static const char *probe_what(const cl_probe_t *pr, char *buf, size_t size)
{
	switch (pr->kind) {
	case CL_PROBE_GRPC:
		snprintf(buf, size, "timeout: failed to connect service \":%d\" "
		                    "within %ds", pr->port, pr->timeout_s);
		break;
	case CL_PROBE_HTTP:
		snprintf(buf, size, "Get \"http://pod:%d%s\": context deadline "
		                    "exceeded", pr->port, pr->path ? pr->path : "/");
		break;
	default:
		snprintf(buf, size, "dial tcp :%d: connect: connection refused",
		         pr->port);
	}
	return buf;
}

static void container_exited(cl_pod_t *p, const char *why);

static void stop_probes(cl_pod_t *p)
{
	cancel(p->cl, &p->ev_ready);
	cancel(p->cl, &p->ev_live);
}

static void ready_cb(des_t *des, void *user)
{
	cl_pod_t *p = user;
	const cl_probe_t *pr = &p->rs->tmpl->readiness;
	p->ev_ready = DES_EVENT_NULL;
	if (probe_ok(p)) {
		p->rfail = 0;
		if (++p->rsucc >= pr->success_threshold)
			set_ready(p, 1);
	} else {
		char what[256];
		p->rsucc = 0;
		p->rfail++;
		emit(p->cl, "Warning", "Pod", p->d->ns, p->name, "Unhealthy",
		     "Readiness probe failed: %s", probe_what(pr, what, sizeof what));
		if (p->rfail >= pr->failure_threshold)
			set_ready(p, 0);
	}
	(void)des;
	schedule(p->cl, secs(pr->period_s), "cl.readiness", ready_cb, p,
	         &p->ev_ready);
}

static void live_cb(des_t *des, void *user)
{
	cl_pod_t *p = user;
	const cl_probe_t *pr = &p->rs->tmpl->liveness;
	(void)des;
	p->ev_live = DES_EVENT_NULL;
	if (probe_ok(p)) {
		p->lfail = 0;
	} else {
		char what[256];
		p->lfail++;
		emit(p->cl, "Warning", "Pod", p->d->ns, p->name, "Unhealthy",
		     "Liveness probe failed: %s", probe_what(pr, what, sizeof what));
		if (p->lfail >= pr->failure_threshold) {
			emit(p->cl, "Normal", "Pod", p->d->ns, p->name, "Killing",
			     "Container %s failed liveness probe, will be restarted",
			     p->rs->tmpl->name);
			stop_probes(p);
			set_ready(p, 0);
			p->cstate = C_STOPPING;
			if (p->vp && vrt_pod_state(p->vp) == VRT_POD_READY) {
				vrt_pod_terminate(p->vp, secs(p->rs->tmpl->grace_s));
			} else {
				container_exited(p, "Error");
			}
			return; /* the relist sees it stop */
		}
	}
	schedule(p->cl, secs(pr->period_s), "cl.liveness", live_cb, p,
	         &p->ev_live);
}

static void pod_start_cb(des_t *des, void *user)
{
	cl_pod_t *p = user;
	cl_cluster_t *cl = p->cl;
	const cl_values_t *t = p->rs->tmpl;
	(void)des;
	p->ev_start = DES_EVENT_NULL;
	if (p->terminating)
		return;
	char img[512];
	tmpl_image(t, img, sizeof img);
	if (p->restarts == 0 && p->cstate == C_NONE) {
		if (p->pulled) {
			emit(cl, "Normal", "Pod", p->d->ns, p->name, "Pulled",
			     "Successfully pulled image \"%s\"", img);
			node_add_image(p->node, img);
		} else {
			emit(cl, "Normal", "Pod", p->d->ns, p->name, "Pulled",
			     "Container image \"%s\" already present on machine", img);
		}
	} else {
		p->restarts++;
		p->failing = 0; /* a hang belongs to the container that hung */
	}
	/* The environment: the chart's, volume paths re-rooted, HOSTNAME. */
	size_t n = t->n_env;
	char **env = calloc(n + 2, sizeof *env);
	int bad = !env;
	for (size_t i = 0; !bad && i < n; i++) {
		char *vp = volume_path(p, t->env[i].value);
		env[i] = xprintf("%s=%s", t->env[i].name, vp ? vp : t->env[i].value);
		free(vp);
		bad = !env[i];
	}
	if (!bad) {
		env[n] = xprintf("HOSTNAME=%s", p->name);
		bad = !env[n];
	}
	char cname[300];
	if (p->restarts)
		snprintf(cname, sizeof cname, "%s#%d", p->name, p->restarts);
	else
		snprintf(cname, sizeof cname, "%s", p->name);
	/* The pod's CPU for the PS model is its limit; without one, the
	 * node's. With cfg.node_cpu the node's pods also share its cores
	 * (below); otherwise node contention is not modelled. */
	double cores = (double)(t->cpu_limit_m ? t->cpu_limit_m : p->node->cpu_m) /
	               1000.0;
	if (cores <= 0)
		cores = 0.001;
	vrt_pod_t *old = p->vp, *vp = NULL;
	int rc = bad ? VRT_ENOMEM
	             : vrt_pod_start(cl->w, p->d->svc, cname,
	                             (const char *const *)env, cores, &vp);
	for (size_t i = 0; env && i < n + 1; i++)
		free(env[i]);
	free(env);
	if (rc == 0 && p->node->vn) {
		/* The weight is the request (cpu.shares = request x 1024 /
		 * 1000, at least 2 shares: the kubelet's). */
		double weight = (double)t->cpu_request_m / 1000.0;
		if (weight < 2.0 / 1024.0)
			weight = 2.0 / 1024.0;
		rc = vrt_pod_set_node(vp, p->node->vn, weight);
		if (rc != 0) /* cannot happen on an idle, ready pod; exits */
			vrt_pod_kill(vp);
	}
	if (old)
		vrt_pod_set_data(old, NULL);
	p->vp = vp;
	if (vp)
		vrt_pod_set_data(vp, p);
	emit(cl, "Normal", "Pod", p->d->ns, p->name, "Created",
	     "Created container %s", t->name);
	if (p->started < 0)
		p->started = des_now(cl->des);
	p->cstart = des_now(cl->des);
	p->cstate = C_RUNNING;
	free(p->reason);
	p->reason = NULL;
	mark_dirty(cl);
	if (rc != 0) {
		const char *why = vp ? vrt_pod_error(vp) : vrt_strerror(rc);
		char line[512];
		snprintf(line, sizeof line, "%s", why);
		for (char *q = line; *q; q++)
			if (*q == '\n')
				*q = ';';
		size_t l = strlen(line);
		if (l && line[l - 1] == ';')
			line[l - 1] = '\0';
		emit(cl, "Warning", "Pod", p->d->ns, p->name, "Failed",
		     "Error: container %s exited with code 1: %s", t->name,
		     *line ? line : vrt_strerror(rc));
		container_exited(p, "Error");
		return;
	}
	emit(cl, "Normal", "Pod", p->d->ns, p->name, "Started",
	     "Started container %s", t->name);
	p->rsucc = p->rfail = p->lfail = 0;
	if (t->readiness.kind == CL_PROBE_NONE)
		set_ready(p, 1);
	else
		schedule(cl, secs(t->readiness.initial_delay_s), "cl.readiness",
		         ready_cb, p, &p->ev_ready);
	if (t->liveness.kind != CL_PROBE_NONE)
		schedule(cl, secs(t->liveness.initial_delay_s), "cl.liveness",
		         live_cb, p, &p->ev_live);
}

/* The current container has ended (|why|: "Error"): restart it after
 * the CrashLoopBackOff delay: 10 s, doubling to 5 min, back to 10 s after
 * 10 min of running. */
static void container_exited(cl_pod_t *p, const char *why)
{
	cl_cluster_t *cl = p->cl;
	stop_probes(p);
	set_ready(p, 0);
	if (p->vp && vrt_pod_state(p->vp) != VRT_POD_DEAD &&
	    vrt_pod_state(p->vp) != VRT_POD_FAILED)
		vrt_pod_kill(p->vp);
	des_time_t now = des_now(cl->des);
	if (now - p->cstart >= BACKOFF_RESET)
		p->backoff = 0;
	p->backoff = p->backoff ? p->backoff * 2 : BACKOFF_FIRST;
	if (p->backoff > BACKOFF_MAX)
		p->backoff = BACKOFF_MAX;
	p->cstate = C_BACKOFF;
	free(p->reason);
	p->reason = xprintf("CrashLoopBackOff (last state: Terminated, "
	                    "reason %s)", why);
	emit(cl, "Warning", "Pod", p->d->ns, p->name, "BackOff",
	     "Back-off restarting failed container %s in pod %s",
	     p->rs->tmpl->name, p->name);
	schedule(cl, p->backoff, "cl.start", pod_start_cb, p, &p->ev_start);
	mark_dirty(cl);
}

/* ---- pods: creation, deletion, reaping ----------------------------------- */

static cl_pod_t *find_pod(const cl_cluster_t *cl, const char *name)
{
	for (size_t i = 0; i < cl->n_pods; i++)
		if (strcmp(cl->pods[i]->name, name) == 0)
			return cl->pods[i];
	return NULL;
}

static cl_pod_t *pod_new(cl_cluster_t *cl, cl_rs_t *rs)
{
	char name[300];
	size_t base = (size_t)snprintf(name, sizeof name, "%s-", rs->name);
	if (base + 6 > sizeof name)
		return NULL;
	for (int tries = 0;; tries++) {
		for (int i = 0; i < 5; i++)
			name[base + (size_t)i] =
			    safe_chars[des_rng_below(&rs->names, sizeof safe_chars - 1)];
		name[base + 5] = '\0';
		if (!find_pod(cl, name) && !vrt_world_pod(cl->w, name))
			break;
		if (tries > 1000)
			return NULL;
	}
	void *np = xgrow(cl->pods, &cl->cap_pods, cl->n_pods, sizeof *cl->pods);
	if (!np)
		return NULL;
	cl->pods = np;
	cl_pod_t *p = calloc(1, sizeof *p);
	if (!p || !(p->name = strdup(name))) {
		free(p);
		return NULL;
	}
	p->cl = cl;
	p->d = rs->d;
	p->rs = rs;
	p->created = des_now(cl->des);
	p->started = -1;
	p->ready_since = p->created;
	cl->pods[cl->n_pods++] = p;
	return p;
}

static void pod_free(cl_pod_t *p)
{
	cl_cluster_t *cl = p->cl;
	cancel(cl, &p->ev_start);
	stop_probes(p);
	if (p->vp)
		vrt_pod_set_data(p->vp, NULL);
	free(p->name);
	free(p->sched_msg);
	free(p->reason);
	free(p->voldir);
	free(p);
}

/* Begins deleting |p| with |grace|: out of endpoints at once; the
 * container, if any, gets SIGTERM; the reaper frees the pod when it is
 * gone. */
static void pod_delete(cl_pod_t *p, des_time_t grace)
{
	cl_cluster_t *cl = p->cl;
	p->terminating = 1;
	cancel(cl, &p->ev_start);
	stop_probes(p);
	set_ready(p, 0);
	if (p->vp && vrt_pod_state(p->vp) == VRT_POD_READY &&
	    (p->cstate == C_RUNNING || p->cstate == C_STOPPING)) {
		emit(cl, "Normal", "Pod", p->d->ns, p->name, "Killing",
		     "Stopping container %s", p->rs->tmpl->name);
		if (grace > 0)
			vrt_pod_terminate(p->vp, grace);
		else
			vrt_pod_kill(p->vp);
	}
	p->cstate = C_GONE;
	mark_dirty(cl);
}

/* Frees terminating pods whose container has stopped, returning their
 * resources. 1 if any was reaped. */
static int reap(cl_cluster_t *cl)
{
	int any = 0;
	size_t j = 0;
	for (size_t i = 0; i < cl->n_pods; i++) {
		cl_pod_t *p = cl->pods[i];
		vrt_pod_state_t st = p->vp ? vrt_pod_state(p->vp) : VRT_POD_DEAD;
		if (!p->terminating ||
		    (st != VRT_POD_DEAD && st != VRT_POD_FAILED)) {
			cl->pods[j++] = p;
			continue;
		}
		if (p->node) {
			const cl_values_t *t = p->rs->tmpl;
			p->node->cpu_req -= t->cpu_request_m;
			p->node->mem_req -= t->mem_request;
			p->node->cpu_lim -= t->cpu_limit_m;
			p->node->pods--;
		}
		int pvc = p->rs->tmpl->storage.type &&
		          !strcmp(p->rs->tmpl->storage.type, "persistentVolumeClaim");
		if (p->voldir && !pvc) {
			if (cl->cfg.memory_volumes)
				cl_memvol_remove(p->voldir);
			rm_rf(p->voldir);
		}
		pod_free(p);
		any = 1;
	}
	cl->n_pods = j;
	return any;
}

/* ---- ReplicaSets and Deployments ----------------------------------------- */

typedef struct rs_count {
	int active;    /* not terminating */
	int available; /* ready, not terminating */
	int all;       /* terminating too */
} rs_count_t;

static rs_count_t rs_count(const cl_cluster_t *cl, const cl_rs_t *rs)
{
	rs_count_t c = {0, 0, 0};
	for (size_t i = 0; i < cl->n_pods; i++) {
		const cl_pod_t *p = cl->pods[i];
		if (p->rs != rs)
			continue;
		c.all++;
		if (!p->terminating) {
			c.active++;
			c.available += p->ready;
		}
	}
	return c;
}

static void rs_scale(cl_rs_t *rs, int to)
{
	if (rs->replicas == to)
		return;
	cl_deploy_t *d = rs->d;
	emit(d->cl, "Normal", "Deployment", d->ns, d->name, "ScalingReplicaSet",
	     "Scaled %s replica set %s from %d to %d",
	     to > rs->replicas ? "up" : "down", rs->name, rs->replicas, to);
	rs->replicas = to;
}

/* Rank for deletion, as the ReplicaSet controller: unscheduled, then
 * pending, then not ready, then more restarts, then newer, go first. */
static int delete_rank_cmp(const void *a, const void *b)
{
	const cl_pod_t *p = *(cl_pod_t *const *)a, *q = *(cl_pod_t *const *)b;
	if (!p->node != !q->node)
		return p->node ? 1 : -1;
	int pp = p->started < 0, qp = q->started < 0;
	if (pp != qp)
		return pp ? -1 : 1;
	if (p->ready != q->ready)
		return p->ready ? 1 : -1;
	if (p->restarts != q->restarts)
		return p->restarts > q->restarts ? -1 : 1;
	if (p->created != q->created)
		return p->created > q->created ? -1 : 1;
	return strcmp(p->name, q->name);
}

static void rs_sync(cl_cluster_t *cl, cl_rs_t *rs)
{
	rs_count_t c = rs_count(cl, rs);
	cl_deploy_t *d = rs->d;
	for (int i = c.active; i < rs->replicas; i++) {
		cl_pod_t *p = pod_new(cl, rs);
		if (!p)
			return;
		emit(cl, "Normal", "ReplicaSet", d->ns, rs->name, "SuccessfulCreate",
		     "Created pod: %s", p->name);
	}
	if (c.active <= rs->replicas)
		return;
	size_t n = 0;
	cl_pod_t **v = malloc((size_t)c.active * sizeof *v);
	if (!v)
		return;
	for (size_t i = 0; i < cl->n_pods; i++)
		if (cl->pods[i]->rs == rs && !cl->pods[i]->terminating)
			v[n++] = cl->pods[i];
	qsort(v, n, sizeof *v, delete_rank_cmp);
	for (int i = 0; i < c.active - rs->replicas; i++) {
		emit(cl, "Normal", "ReplicaSet", d->ns, rs->name, "SuccessfulDelete",
		     "Deleted pod: %s", v[i]->name);
		pod_delete(v[i], secs(v[i]->rs->tmpl->grace_s));
	}
	free(v);
}

static cl_rs_t *rs_new(cl_deploy_t *d)
{
	char hash[16];
	template_hash(d->key, hash);
	cl_rs_t *rs = calloc(1, sizeof *rs);
	cl_rs_t **nv = realloc(d->rs, (d->n_rs + 1) * sizeof *nv);
	if (!rs || !nv) {
		free(rs);
		if (nv)
			d->rs = nv;
		return NULL;
	}
	d->rs = nv;
	rs->d = d;
	rs->name = xprintf("%s-%s", d->name, hash);
	rs->key = strdup(d->key);
	rs->tmpl = cl_values_dup(d->tmpl);
	if (!rs->name || !rs->key || !rs->tmpl) {
		free(rs->name);
		free(rs->key);
		cl_values_free(rs->tmpl);
		free(rs);
		return NULL;
	}
	char stream[320];
	snprintf(stream, sizeof stream, "cl/%s", rs->name);
	des_rng_stream(&rs->names, vrt_world_seed(d->cl->w), stream);
	d->rs[d->n_rs++] = rs;
	return rs;
}

static int resolve_intstr(cl_intstr_t v, int total, int round_up)
{
	if (!v.percent)
		return v.value;
	int64_t x = (int64_t)v.value * total;
	return (int)(round_up ? (x + 99) / 100 : x / 100);
}

/* The Deployment controller: ReplicaSet sizes for a rollout or a scale. */
static void deploy_sync(cl_cluster_t *cl, cl_deploy_t *d)
{
	cl_rs_t *nrs = NULL;
	size_t ni = 0;
	for (size_t i = 0; i < d->n_rs; i++)
		if (strcmp(d->rs[i]->key, d->key) == 0) {
			nrs = d->rs[i];
			ni = i;
		}
	if (!nrs) {
		nrs = rs_new(d);
		if (!nrs)
			return;
		ni = d->n_rs - 1;
		nrs->revision = ++d->revision;
	} else if (ni != d->n_rs - 1) {
		/* A rollback to an older template: that ReplicaSet becomes the
		 * newest again, with a new revision. */
		memmove(d->rs + ni, d->rs + ni + 1,
		        (d->n_rs - ni - 1) * sizeof *d->rs);
		d->rs[d->n_rs - 1] = nrs;
		nrs->revision = ++d->revision;
	}
	int want = d->replicas;
	int old_total = 0, all_total = 0;
	for (size_t i = 0; i < d->n_rs; i++) {
		all_total += d->rs[i]->replicas;
		if (d->rs[i] != nrs)
			old_total += d->rs[i]->replicas;
	}
	if (d->deleted) {
		for (size_t i = 0; i < d->n_rs; i++)
			rs_scale(d->rs[i], 0);
		return;
	}
	if (d->tmpl->strategy.recreate) {
		if (old_total > 0) {
			for (size_t i = 0; i < d->n_rs; i++)
				if (d->rs[i] != nrs)
					rs_scale(d->rs[i], 0);
			return;
		}
		for (size_t i = 0; i < d->n_rs; i++)
			if (d->rs[i] != nrs && rs_count(cl, d->rs[i]).all > 0)
				return; /* Recreate: wait for the old pods to go */
		rs_scale(nrs, want);
		return;
	}
	int surge = resolve_intstr(d->tmpl->strategy.max_surge, want, 1);
	int unavail = resolve_intstr(d->tmpl->strategy.max_unavailable, want, 0);
	if (surge == 0 && unavail == 0)
		unavail = 1;
	/* The new ReplicaSet: up to replicas + maxSurge pods in all. */
	if (nrs->replicas > want) {
		all_total -= nrs->replicas - want;
		rs_scale(nrs, want);
	} else if (nrs->replicas < want) {
		int room = want + surge - all_total;
		if (room > 0) {
			int up = want - nrs->replicas < room ? want - nrs->replicas : room;
			all_total += up;
			rs_scale(nrs, nrs->replicas + up);
		}
	}
	if (old_total == 0)
		return;
	/* The old ones: down as far as keeps replicas - maxUnavailable
	 * available, unavailable pods first. */
	int min_avail = want - unavail;
	int new_unavail = nrs->replicas - rs_count(cl, nrs).available;
	if (new_unavail < 0)
		new_unavail = 0;
	int max_down = all_total - min_avail - new_unavail;
	if (max_down <= 0)
		return;
	int done = 0;
	for (size_t i = 0; i < d->n_rs && done < max_down; i++) {
		cl_rs_t *rs = d->rs[i];
		if (rs == nrs || rs->replicas == 0)
			continue;
		int unhealthy = rs->replicas - rs_count(cl, rs).available;
		if (unhealthy <= 0)
			continue;
		int k = unhealthy < max_down - done ? unhealthy : max_down - done;
		rs_scale(rs, rs->replicas - k);
		done += k;
	}
	int avail = 0;
	for (size_t i = 0; i < d->n_rs; i++)
		avail += rs_count(cl, d->rs[i]).available;
	int total_down = avail - min_avail;
	done = 0;
	for (size_t i = 0; i < d->n_rs && done < total_down; i++) {
		cl_rs_t *rs = d->rs[i];
		if (rs == nrs || rs->replicas == 0)
			continue;
		int k = rs->replicas < total_down - done ? rs->replicas
		                                         : total_down - done;
		rs_scale(rs, rs->replicas - k);
		done += k;
	}
}

static void sync_cb(des_t *des, void *user)
{
	cl_cluster_t *cl = user;
	(void)des;
	cl->ev_sync = DES_EVENT_NULL;
	for (size_t i = 0; i < cl->n_deps; i++)
		deploy_sync(cl, cl->deps[i]);
	for (size_t i = 0; i < cl->n_deps; i++)
		for (size_t j = 0; j < cl->deps[i]->n_rs; j++)
			rs_sync(cl, cl->deps[i]->rs[j]);
	if (reap(cl))
		mark_dirty(cl); /* freed room: the next pass schedules into it */
	for (size_t i = 0; i < cl->n_pods; i++) {
		cl_pod_t *p = cl->pods[i];
		if (!p->node && !p->terminating)
			schedule_pod(cl, p);
	}
}

/* The kubelet's relist: containers that died on their own, pods whose
 * termination has finished. */
static void relist_cb(des_t *des, void *user)
{
	cl_cluster_t *cl = user;
	(void)des;
	cl->ev_relist = DES_EVENT_NULL;
	for (size_t i = 0; i < cl->n_pods; i++) {
		cl_pod_t *p = cl->pods[i];
		if (!p->vp)
			continue;
		vrt_pod_state_t st = vrt_pod_state(p->vp);
		int dead = st == VRT_POD_DEAD || st == VRT_POD_FAILED;
		if (p->terminating) {
			if (dead)
				mark_dirty(cl);
		} else if (dead && (p->cstate == C_RUNNING || p->cstate == C_STOPPING)) {
			container_exited(p, "Error");
		}
	}
	schedule(cl, RELIST_PERIOD, "cl.relist", relist_cb, cl, &cl->ev_relist);
}

/* ---- HPA ----------------------------------------------------------------- */

static void hpa_cb(des_t *des, void *user)
{
	cl_deploy_t *d = user;
	cl_cluster_t *cl = d->cl;
	des_time_t now = des_now(des);
	d->ev_hpa = DES_EVENT_NULL;
	schedule(cl, HPA_PERIOD, "cl.hpa", hpa_cb, d, &d->ev_hpa);
	if (!d->hpa || d->deleted)
		return;
	/* Usage per pod: core-seconds over the last sync period, as
	 * metrics-server's rate; ready pods only. */
	double usage = 0, request = 0;
	int n = 0;
	for (size_t i = 0; i < cl->n_pods; i++) {
		cl_pod_t *p = cl->pods[i];
		if (p->d != d || p->terminating || !p->vp ||
		    vrt_pod_state(p->vp) != VRT_POD_READY)
			continue;
		double core_ns = 0;
		vrt_pod_cpu(p->vp, NULL, &core_ns, NULL);
		int have = p->m_vp == p->vp && p->m_at < now;
		if (have && p->ready) {
			usage += (core_ns - p->m_core_ns) / (double)(now - p->m_at);
			request += (double)p->rs->tmpl->cpu_request_m / 1000.0;
			n++;
		}
		p->m_vp = p->vp;
		p->m_core_ns = core_ns;
		p->m_at = now;
	}
	if (n == 0 || request <= 0)
		return;
	double util = usage / request * 100.0;
	d->hpa_percent = (int)lround(util);
	double ratio = util / d->hpa_target;
	int cur = d->replicas;
	int rec = fabs(ratio - 1.0) <= HPA_TOLERANCE ? cur
	                                             : (int)ceil(ratio * n - 1e-9);
	/* Scale-down stabilisation: the highest recommendation of the
	 * window (scale-up: none, window 0). */
	size_t j = 0;
	for (size_t i = 0; i < d->n_hist; i++)
		if (d->hist[i].t > now - secs(d->hpa_window_s))
			d->hist[j++] = d->hist[i];
	d->n_hist = j;
	void *nh = xgrow(d->hist, &d->cap_hist, d->n_hist, sizeof *d->hist);
	if (nh) {
		d->hist = nh;
		d->hist[d->n_hist++] = (cl_hpa_rec_t){now, rec};
	}
	int down = rec;
	for (size_t i = 0; i < d->n_hist; i++)
		if (d->hist[i].rec > down)
			down = d->hist[i].rec;
	int desired = cur;
	if (desired < rec)
		desired = rec;
	if (desired > down)
		desired = down;
	/* Scale-up policies (autoscaling/v2 defaults): at most +100 % or +4
	 * pods per 15 s, whichever is more. */
	int up_limit = cur * 2 > cur + 4 ? cur * 2 : cur + 4;
	if (desired > up_limit)
		desired = up_limit;
	if (desired < d->hpa_min)
		desired = d->hpa_min;
	if (desired > d->hpa_max)
		desired = d->hpa_max;
	if (desired == cur)
		return;
	emit(cl, "Normal", "HorizontalPodAutoscaler", d->ns, d->name,
	     "SuccessfulRescale",
	     "New size: %d; reason: %s", desired,
	     desired > cur ? "cpu resource utilization (percentage of request) "
	                     "above target"
	                   : "All metrics below target");
	d->replicas = desired;
	mark_dirty(cl);
}

/* ---- public: lifecycle ----------------------------------------------------- */

void cl_config_init(cl_config_t *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->start_delay = DES_S(2);
	cfg->pull_delay = 0;
	cfg->placement = CL_PLACE_LEAST_ALLOCATED;
	cfg->lb = VRT_LB_ROUND_ROBIN;
}

int cl_cluster_new(vrt_world_t *w, const cl_config_t *cfg, cl_cluster_t **out,
                   char *err, size_t errsize)
{
	static const cl_node_spec_t seed_nodes[] = {
	    {"node-1", CL_NODE_T2_MEDIUM_CPU_M, CL_NODE_T2_MEDIUM_MEM,
	     CL_NODE_T2_MEDIUM_PODS},
	    {"node-2", CL_NODE_T2_MEDIUM_CPU_M, CL_NODE_T2_MEDIUM_MEM,
	     CL_NODE_T2_MEDIUM_PODS},
	    {"node-3", CL_NODE_T2_MEDIUM_CPU_M, CL_NODE_T2_MEDIUM_MEM,
	     CL_NODE_T2_MEDIUM_PODS}};
	cl_config_t defaults;
	if (err && errsize)
		err[0] = '\0';
	if (!w || !out)
		return CL_EINVAL;
	*out = NULL;
	if (!cfg) {
		cl_config_init(&defaults);
		cfg = &defaults;
	}
	const cl_node_spec_t *nodes = cfg->nodes;
	size_t n_nodes = cfg->n_nodes;
	if (!nodes || !n_nodes) {
		nodes = seed_nodes;
		n_nodes = 3;
	}
	if (cfg->start_delay < 0 || cfg->pull_delay < 0) {
		seterr(err, errsize, "negative start or pull delay");
		return CL_EINVAL;
	}
	for (size_t i = 0; i < n_nodes; i++) {
		if (!nodes[i].name || nodes[i].cpu_m <= 0 || nodes[i].mem_bytes <= 0 ||
		    nodes[i].max_pods < 0) {
			seterr(err, errsize, "node %zu: a name, CPU > 0 and memory > 0 "
			                     "are required", i);
			return CL_EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(nodes[i].name, nodes[j].name) == 0) {
				seterr(err, errsize, "node %s: duplicate name", nodes[i].name);
				return CL_EINVAL;
			}
	}
	cl_cluster_t *cl = calloc(1, sizeof *cl);
	if (!cl)
		return CL_ENOMEM;
	cl->w = w;
	cl->des = vrt_world_des(w);
	cl->cfg = *cfg;
	cl->cfg.nodes = NULL;
	cl->cfg.n_nodes = 0;
	cl->cfg.volume_dir = NULL;
	cl->nodes = calloc(n_nodes, sizeof *cl->nodes);
	if (!cl->nodes) {
		free(cl);
		return CL_ENOMEM;
	}
	cl->n_nodes = n_nodes;
	for (size_t i = 0; i < n_nodes; i++) {
		cl->nodes[i].name = strdup(nodes[i].name);
		cl->nodes[i].cpu_m = nodes[i].cpu_m;
		cl->nodes[i].mem = nodes[i].mem_bytes;
		cl->nodes[i].max_pods = nodes[i].max_pods;
		if (cfg->node_cpu)
			cl->nodes[i].vn = vrt_node_new(w, nodes[i].name,
			                               (double)nodes[i].cpu_m / 1000.0);
		if (!cl->nodes[i].name || (cfg->node_cpu && !cl->nodes[i].vn)) {
			cl_cluster_free(cl);
			return CL_ENOMEM;
		}
	}
	if (cfg->volume_dir) {
		cl->voldir = strdup(cfg->volume_dir);
		if (!cl->voldir || mkdir_p(cl->voldir) != 0) {
			seterr(err, errsize, "%s: %s", cfg->volume_dir,
			       cl->voldir ? strerror(errno) : "out of memory");
			int rc = cl->voldir ? CL_EIO : CL_ENOMEM;
			cl_cluster_free(cl);
			return rc;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		cl->voldir = xprintf("%s/meshsim-cluster-XXXXXX",
		                     tmp && *tmp ? tmp : "/tmp");
		if (!cl->voldir || !mkdtemp(cl->voldir)) {
			seterr(err, errsize, "cannot make a volume directory: %s",
			       cl->voldir ? strerror(errno) : "out of memory");
			int rc = cl->voldir ? CL_EIO : CL_ENOMEM;
			cl_cluster_free(cl);
			return rc;
		}
		cl->own_voldir = 1;
	}
	if (cl->cfg.memory_volumes && cl_memvol_mount(cl->voldir) != 0) {
		seterr(err, errsize, "%s: cannot keep volumes in memory: %s",
		       cl->voldir, strerror(errno));
		cl->cfg.memory_volumes = 0;
		cl_cluster_free(cl);
		return CL_EIO;
	}
	schedule(cl, RELIST_PERIOD, "cl.relist", relist_cb, cl, &cl->ev_relist);
	*out = cl;
	return 0;
}

static void deploy_free(cl_deploy_t *d)
{
	des_cancel(d->cl->des, d->ev_hpa);
	for (size_t i = 0; i < d->n_rs; i++) {
		free(d->rs[i]->name);
		free(d->rs[i]->key);
		cl_values_free(d->rs[i]->tmpl);
		free(d->rs[i]);
	}
	free(d->rs);
	free(d->ns);
	free(d->name);
	free(d->track);
	free(d->key);
	free(d->hist);
	cl_values_free(d->tmpl);
	free(d);
}

void cl_cluster_free(cl_cluster_t *cl)
{
	if (!cl)
		return;
	if (cl->des) {
		des_cancel(cl->des, cl->ev_sync);
		des_cancel(cl->des, cl->ev_relist);
	}
	for (size_t i = 0; i < cl->n_pods; i++)
		pod_free(cl->pods[i]);
	free(cl->pods);
	for (size_t i = 0; i < cl->n_deps; i++)
		deploy_free(cl->deps[i]);
	free(cl->deps);
	for (size_t i = 0; i < cl->n_svcs; i++) {
		cl_service_t *s = cl->svcs[i];
		for (int j = 0; j < 4; j++) {
			if (s->addrs[j])
				vrt_world_bind(cl->w, s->addrs[j], NULL);
			free(s->addrs[j]);
		}
		free(s->ns);
		free(s->name);
		free(s);
	}
	free(cl->svcs);
	for (size_t i = 0; i < cl->n_ns; i++)
		free(cl->ns[i]);
	free(cl->ns);
	for (size_t i = 0; i < cl->n_nodes; i++) {
		free(cl->nodes[i].name);
		for (size_t j = 0; j < cl->nodes[i].n_images; j++)
			free(cl->nodes[i].images[j]);
		free(cl->nodes[i].images);
	}
	free(cl->nodes);
	if (cl->cfg.memory_volumes && cl->voldir)
		cl_memvol_unmount(cl->voldir);
	if (cl->own_voldir)
		rm_rf(cl->voldir);
	free(cl->voldir);
	free(cl);
}

vrt_world_t *cl_cluster_world(const cl_cluster_t *cl)
{
	return cl->w;
}

/* ---- public: apply ------------------------------------------------------- */

static cl_deploy_t *find_deploy(const cl_cluster_t *cl, const char *ns,
                                const char *name)
{
	for (size_t i = 0; i < cl->n_deps; i++)
		if (!strcmp(cl->deps[i]->ns, ns) && !strcmp(cl->deps[i]->name, name))
			return cl->deps[i];
	return NULL;
}

static cl_service_t *find_service(const cl_cluster_t *cl, const char *ns,
                                  const char *name)
{
	for (size_t i = 0; i < cl->n_svcs; i++)
		if (!strcmp(cl->svcs[i]->ns, ns) && !strcmp(cl->svcs[i]->name, name))
			return cl->svcs[i];
	return NULL;
}

static int add_namespace(cl_cluster_t *cl, const char *ns)
{
	for (size_t i = 0; i < cl->n_ns; i++)
		if (!strcmp(cl->ns[i], ns))
			return 0;
	char **nv = realloc(cl->ns, (cl->n_ns + 1) * sizeof *nv);
	if (!nv)
		return CL_ENOMEM;
	cl->ns = nv;
	if (!(nv[cl->n_ns] = strdup(ns)))
		return CL_ENOMEM;
	cl->n_ns++;
	return 0;
}

/* Creates or re-binds the chart's Service. */
static int apply_service(cl_cluster_t *cl, const cl_values_t *v,
                         cl_service_t **out, char *err, size_t errsize)
{
	cl_service_t *s = find_service(cl, v->namespace_, v->name);
	*out = NULL;
	if (!v->service.enabled)
		return 0; /* a Service once made stays (Helm would delete it) */
	char *addrs[4];
	addrs[0] = xprintf("%s:%d", v->name, v->service.port);
	addrs[1] = xprintf("%s.%s:%d", v->name, v->namespace_, v->service.port);
	addrs[2] = xprintf("%s.%s.svc:%d", v->name, v->namespace_, v->service.port);
	addrs[3] = xprintf("%s.%s.svc.cluster.local:%d", v->name, v->namespace_,
	                   v->service.port);
	int rc = 0;
	for (int i = 0; i < 4 && !rc; i++) {
		if (!addrs[i]) {
			rc = CL_ENOMEM;
			break;
		}
		vrt_endpoints_t *e = vrt_world_resolve(cl->w, addrs[i]);
		if (e && (!s || e != s->eps)) {
			seterr(err, errsize, "%s: Service %s/%s: address %s is already "
			                     "bound to %s", v->file ? v->file : v->name,
			       v->namespace_, v->name, addrs[i], vrt_endpoints_name(e));
			rc = CL_EEXIST;
		}
	}
	if (!rc && !s) {
		s = calloc(1, sizeof *s);
		char label[300];
		snprintf(label, sizeof label, "%s/%s", v->namespace_, v->name);
		cl_service_t **nv = realloc(cl->svcs, (cl->n_svcs + 1) * sizeof *nv);
		if (nv)
			cl->svcs = nv;
		if (!s || !nv || !(s->ns = strdup(v->namespace_)) ||
		    !(s->name = strdup(v->name)) ||
		    !(s->eps = vrt_endpoints_new(cl->w, label, cl->cfg.lb))) {
			if (s) {
				free(s->ns);
				free(s->name);
			}
			free(s);
			s = NULL;
			rc = CL_ENOMEM;
		} else {
			cl->svcs[cl->n_svcs++] = s;
		}
	}
	if (!rc && s->port != v->service.port) {
		for (int i = 0; i < 4; i++) {
			if (s->addrs[i])
				vrt_world_bind(cl->w, s->addrs[i], NULL);
			free(s->addrs[i]);
			s->addrs[i] = NULL;
		}
		for (int i = 0; i < 4 && !rc; i++) {
			if (vrt_world_bind(cl->w, addrs[i], s->eps) != 0)
				rc = CL_ENOMEM;
			s->addrs[i] = addrs[i];
			addrs[i] = NULL;
		}
		s->port = v->service.port;
	}
	for (int i = 0; i < 4; i++)
		free(addrs[i]);
	if (rc == CL_ENOMEM)
		seterr(err, errsize, "out of memory");
	*out = s;
	return rc;
}

/* Creates or updates one Deployment from |v| (already carrying the
 * track's tag and replicas). */
static int apply_deploy(cl_cluster_t *cl, const cl_values_t *v,
                        const char *name, const char *track, int replicas,
                        int deleted, const rt_service_t *svc,
                        cl_service_t *service)
{
	cl_deploy_t *d = find_deploy(cl, v->namespace_, name);
	if (!d && deleted)
		return 0;
	cl_values_t *tmpl = cl_values_dup(v);
	char *key = tmpl ? template_key(tmpl) : NULL;
	if (!key) {
		cl_values_free(tmpl);
		return CL_ENOMEM;
	}
	if (!d) {
		d = calloc(1, sizeof *d);
		cl_deploy_t **nv = realloc(cl->deps, (cl->n_deps + 1) * sizeof *nv);
		if (nv)
			cl->deps = nv;
		if (!d || !nv || !(d->ns = strdup(v->namespace_)) ||
		    !(d->name = strdup(name)) || !(d->track = strdup(track))) {
			if (d) {
				free(d->ns);
				free(d->name);
			}
			free(d);
			cl_values_free(tmpl);
			free(key);
			return CL_ENOMEM;
		}
		d->cl = cl;
		d->hpa_percent = -1;
		cl->deps[cl->n_deps++] = d;
	}
	cl_values_free(d->tmpl);
	free(d->key);
	d->tmpl = tmpl;
	d->key = key;
	d->svc = svc;
	d->service = service;
	d->deleted = deleted;
	int had_hpa = d->hpa;
	d->hpa = !deleted && strcmp(track, "stable") == 0 && v->hpa.enabled;
	if (d->hpa) {
		d->hpa_min = v->hpa.min_replicas;
		d->hpa_max = v->hpa.max_replicas;
		d->hpa_target = v->hpa.target_cpu_percent;
		d->hpa_window_s = v->hpa.scale_down_window_s;
		/* The HPA owns the replica count; the chart's only seeds it. */
		if (!had_hpa)
			d->replicas = replicas;
		if (d->replicas < d->hpa_min)
			d->replicas = d->hpa_min;
		if (d->replicas > d->hpa_max)
			d->replicas = d->hpa_max;
		if (!had_hpa)
			schedule(cl, HPA_PERIOD, "cl.hpa", hpa_cb, d, &d->ev_hpa);
	} else {
		cancel(cl, &d->ev_hpa);
		d->replicas = replicas;
	}
	return 0;
}

int cl_cluster_apply(cl_cluster_t *cl, const cl_values_t *v, char *err,
                     size_t errsize)
{
	if (err && errsize)
		err[0] = '\0';
	if (!cl || !v || !v->name || !v->namespace_)
		return CL_EINVAL;
	const rt_service_t *svc = NULL;
	for (const rt_service_t *const *s = cl->cfg.services; s && *s; s++)
		if (strcmp((*s)->name, v->name) == 0)
			svc = *s;
	if (!svc) {
		seterr(err, errsize, "%s: chart %s: no service named \"%s\" is "
		                     "registered with the cluster",
		       v->file ? v->file : v->name, v->name, v->name);
		return CL_ENOSVC;
	}
	int rc = add_namespace(cl, v->namespace_);
	if (rc) {
		seterr(err, errsize, "out of memory");
		return rc;
	}
	cl_service_t *service = NULL;
	if ((rc = apply_service(cl, v, &service, err, errsize)) != 0)
		return rc;
	/* A Service selects stable and canary pods alike. */
	if (!service)
		service = find_service(cl, v->namespace_, v->name);
	rc = apply_deploy(cl, v, v->name, "stable", v->replicas, 0, svc, service);
	if (!rc) {
		char cname[300];
		snprintf(cname, sizeof cname, "%s-canary", v->name);
		cl_values_t *cv = cl_values_dup(v);
		if (!cv) {
			rc = CL_ENOMEM;
		} else {
			if (v->canary.tag) {
				free(cv->image.tag);
				cv->image.tag = strdup(v->canary.tag);
			}
			cv->hpa.enabled = 0;
			if (v->canary.tag && !cv->image.tag)
				rc = CL_ENOMEM;
			else
				rc = apply_deploy(cl, cv, cname, "canary",
				                  v->canary.replicas, !v->canary.enabled,
				                  svc, service);
			cl_values_free(cv);
		}
	}
	if (rc)
		seterr(err, errsize, "out of memory");
	mark_dirty(cl);
	return rc;
}

int cl_cluster_apply_file(cl_cluster_t *cl, const char *path,
                          const char *const *overrides, char *err,
                          size_t errsize)
{
	cl_values_t *v = NULL;
	int rc = cl_values_load(path, overrides, &v, err, errsize);
	if (rc)
		return rc;
	rc = cl_cluster_apply(cl, v, err, errsize);
	cl_values_free(v);
	return rc;
}

/* ---- public: actions ----------------------------------------------------- */

int cl_deploy_scale(cl_cluster_t *cl, const char *ns, const char *name,
                    int replicas)
{
	cl_deploy_t *d = find_deploy(cl, ns, name);
	if (!d || d->deleted)
		return CL_ENOENT;
	if (replicas < 0)
		return CL_EINVAL;
	d->replicas = replicas;
	mark_dirty(cl);
	return 0;
}

static int retemplate(cl_deploy_t *d, cl_values_t *t)
{
	char *key = template_key(t);
	if (!key) {
		cl_values_free(t);
		return CL_ENOMEM;
	}
	cl_values_free(d->tmpl);
	free(d->key);
	d->tmpl = t;
	d->key = key;
	mark_dirty(d->cl);
	return 0;
}

int cl_deploy_set_image(cl_cluster_t *cl, const char *ns, const char *name,
                        const char *tag)
{
	cl_deploy_t *d = find_deploy(cl, ns, name);
	if (!d || d->deleted)
		return CL_ENOENT;
	if (!tag || !*tag)
		return CL_EINVAL;
	cl_values_t *t = cl_values_dup(d->tmpl);
	char *nt = strdup(tag);
	if (!t || !nt) {
		cl_values_free(t);
		free(nt);
		return CL_ENOMEM;
	}
	free(t->image.tag);
	t->image.tag = nt;
	return retemplate(d, t);
}

int cl_deploy_set_env(cl_cluster_t *cl, const char *ns, const char *name,
                      const char *var, const char *value)
{
	cl_deploy_t *d = find_deploy(cl, ns, name);
	if (!d || d->deleted)
		return CL_ENOENT;
	if (!var || !*var)
		return CL_EINVAL;
	cl_values_t *t = cl_values_dup(d->tmpl);
	if (!t)
		return CL_ENOMEM;
	size_t i;
	for (i = 0; i < t->n_env; i++)
		if (!strcmp(t->env[i].name, var))
			break;
	if (!value) {
		if (i < t->n_env) {
			free(t->env[i].name);
			free(t->env[i].value);
			memmove(t->env + i, t->env + i + 1,
			        (t->n_env - i - 1) * sizeof *t->env);
			t->n_env--;
		}
		return retemplate(d, t);
	}
	char *nv = strdup(value);
	if (!nv) {
		cl_values_free(t);
		return CL_ENOMEM;
	}
	if (i < t->n_env) {
		free(t->env[i].value);
		t->env[i].value = nv;
		return retemplate(d, t);
	}
	cl_env_t *ne = realloc(t->env, (t->n_env + 1) * sizeof *ne);
	char *nn = strdup(var);
	if (!ne || !nn) {
		if (ne)
			t->env = ne;
		free(nn);
		free(nv);
		cl_values_free(t);
		return CL_ENOMEM;
	}
	t->env = ne;
	t->env[t->n_env].name = nn;
	t->env[t->n_env].value = nv;
	t->n_env++;
	return retemplate(d, t);
}

int cl_pod_delete(cl_cluster_t *cl, const char *pod, int grace_s)
{
	cl_pod_t *p = find_pod(cl, pod);
	if (!p)
		return CL_ENOENT;
	if (p->terminating)
		return CL_ESTATE;
	pod_delete(p, secs(grace_s < 0 ? p->rs->tmpl->grace_s : grace_s));
	return 0;
}

int cl_pod_kill(cl_cluster_t *cl, const char *pod)
{
	cl_pod_t *p = find_pod(cl, pod);
	if (!p)
		return CL_ENOENT;
	if (p->terminating || p->cstate != C_RUNNING || !p->vp ||
	    vrt_pod_state(p->vp) != VRT_POD_READY)
		return CL_ESTATE;
	vrt_pod_kill(p->vp);
	container_exited(p, "Error");
	return 0;
}

int cl_pod_set_failing(cl_cluster_t *cl, const char *pod, int failing)
{
	cl_pod_t *p = find_pod(cl, pod);
	if (!p)
		return CL_ENOENT;
	p->failing = failing != 0;
	return 0;
}

static cl_node_t *find_node(cl_cluster_t *cl, const char *name)
{
	for (size_t i = 0; i < cl->n_nodes; i++)
		if (!strcmp(cl->nodes[i].name, name))
			return &cl->nodes[i];
	return NULL;
}

int cl_node_cordon(cl_cluster_t *cl, const char *node, int cordoned)
{
	cl_node_t *n = find_node(cl, node);
	if (!n)
		return CL_ENOENT;
	if (n->cordoned != (cordoned != 0))
		emit(cl, "Normal", "Node", "", n->name,
		     cordoned ? "NodeNotSchedulable" : "NodeSchedulable",
		     "Node %s status is now: %s", n->name,
		     cordoned ? "NodeNotSchedulable" : "NodeSchedulable");
	n->cordoned = cordoned != 0;
	mark_dirty(cl);
	return 0;
}

int cl_node_drain(cl_cluster_t *cl, const char *node)
{
	cl_node_t *n = find_node(cl, node);
	if (!n)
		return CL_ENOENT;
	cl_node_cordon(cl, node, 1);
	for (size_t i = 0; i < cl->n_pods; i++) {
		cl_pod_t *p = cl->pods[i];
		if (p->node == n && !p->terminating) {
			emit(cl, "Normal", "Pod", p->d->ns, p->name, "Evicted",
			     "Evicting pod %s from node %s (drain)", p->name, n->name);
			pod_delete(p, secs(p->rs->tmpl->grace_s));
		}
	}
	return 0;
}

/* ---- public: observation ------------------------------------------------- */

const char *cl_phase_name(cl_phase_t p)
{
	switch (p) {
	case CL_POD_PENDING:
		return "Pending";
	case CL_POD_RUNNING:
		return "Running";
	case CL_POD_TERMINATING:
		return "Terminating";
	}
	return "Unknown";
}

vrt_endpoints_t *cl_cluster_endpoints(const cl_cluster_t *cl, const char *ns,
                                      const char *name)
{
	cl_service_t *s = find_service(cl, ns, name);
	return s ? s->eps : NULL;
}

int cl_pod_meta(const cl_cluster_t *cl, const vrt_pod_t *vp,
                cl_pod_meta_t *out)
{
	const cl_pod_t *p = vp ? vrt_pod_data(vp) : NULL;
	/* vrt_pod_data is the cluster's only while the container is linked
	 * (start_container sets it, and clears it on the old container). */
	if (!p || p->cl != cl || p->vp != vp || !p->d)
		return CL_ENOENT;
	out->ns = p->d->ns;
	out->workload = p->d->name;
	out->app = p->rs && p->rs->tmpl ? p->rs->tmpl->name : p->d->name;
	out->version = p->d->track;
	out->service_account = out->app;
	out->service = p->d->service ? p->d->service->name : NULL;
	return 0;
}

vrt_pod_t *cl_pod_container(const cl_cluster_t *cl, const char *pod)
{
	cl_pod_t *p = find_pod(cl, pod);
	if (!p || !p->vp || p->cstate != C_RUNNING)
		return NULL;
	return p->vp;
}

int cl_pod_identity(const cl_cluster_t *cl, const vrt_pod_t *vp,
                    cl_pod_identity_t *out)
{
	void *data = vp ? vrt_pod_data(vp) : NULL;
	for (size_t i = 0; data && i < cl->n_pods; i++) {
		cl_pod_t *p = cl->pods[i];
		if ((void *)p != data || p->vp != vp)
			continue;
		out->ns = p->d->ns;
		out->pod = p->name;
		out->deployment = p->d->name;
		out->app = p->rs->tmpl->name;
		out->track = p->d->track;
		out->service_account = p->rs->tmpl->name;
		return 0;
	}
	return CL_ENOENT;
}

void cl_snapshot_free(cl_snapshot_t *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_nodes; i++)
		free(s->nodes[i].name);
	free(s->nodes);
	for (size_t i = 0; i < s->n_namespaces; i++)
		free(s->namespaces[i]);
	free(s->namespaces);
	for (size_t i = 0; i < s->n_deploys; i++) {
		free(s->deploys[i].ns);
		free(s->deploys[i].name);
		free(s->deploys[i].track);
		free(s->deploys[i].image_tag);
	}
	free(s->deploys);
	for (size_t i = 0; i < s->n_pods; i++) {
		cl_snap_pod_t *p = &s->pods[i];
		free(p->ns);
		free(p->name);
		free(p->deployment);
		free(p->replicaset);
		free(p->node);
		free(p->status);
		free(p->reason);
	}
	free(s->pods);
	for (size_t i = 0; i < s->n_services; i++) {
		free(s->services[i].ns);
		free(s->services[i].name);
	}
	free(s->services);
	free(s);
}

static int sdup(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst;
}

cl_snapshot_t *cl_cluster_snapshot(const cl_cluster_t *cl)
{
	cl_snapshot_t *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	int bad = 0;
	s->t = des_now(cl->des);
	s->nodes = calloc(cl->n_nodes + 1, sizeof *s->nodes);
	s->namespaces = calloc(cl->n_ns + 1, sizeof *s->namespaces);
	s->deploys = calloc(cl->n_deps + 1, sizeof *s->deploys);
	s->pods = calloc(cl->n_pods + 1, sizeof *s->pods);
	s->services = calloc(cl->n_svcs + 1, sizeof *s->services);
	if (!s->nodes || !s->namespaces || !s->deploys || !s->pods ||
	    !s->services) {
		cl_snapshot_free(s);
		return NULL;
	}
	for (size_t i = 0; i < cl->n_nodes; i++, s->n_nodes++) {
		const cl_node_t *n = &cl->nodes[i];
		cl_snap_node_t *o = &s->nodes[i];
		bad |= sdup(&o->name, n->name);
		o->cpu_m = n->cpu_m;
		o->mem_bytes = n->mem;
		o->cpu_requested_m = n->cpu_req;
		o->mem_requested = n->mem_req;
		o->cpu_limits_m = n->cpu_lim;
		o->pods = n->pods;
		o->max_pods = n->max_pods;
		o->cordoned = n->cordoned;
	}
	for (size_t i = 0; i < cl->n_ns; i++, s->n_namespaces++)
		bad |= sdup(&s->namespaces[i], cl->ns[i]);
	for (size_t i = 0; i < cl->n_deps; i++) {
		const cl_deploy_t *d = cl->deps[i];
		int all = 0;
		for (size_t j = 0; j < cl->n_pods; j++)
			all += cl->pods[j]->d == d;
		if (d->deleted && all == 0)
			continue;
		cl_snap_deploy_t *o = &s->deploys[s->n_deploys++];
		bad |= sdup(&o->ns, d->ns) | sdup(&o->name, d->name) |
		       sdup(&o->track, d->track) |
		       sdup(&o->image_tag, d->tmpl->image.tag);
		o->replicas = d->deleted ? 0 : d->replicas;
		o->revision = d->revision;
		for (size_t j = 0; j < cl->n_pods; j++) {
			const cl_pod_t *p = cl->pods[j];
			if (p->d != d || p->terminating)
				continue;
			o->current++;
			o->updated += strcmp(p->rs->key, d->key) == 0;
			o->ready += p->ready;
		}
		o->hpa = d->hpa;
		o->hpa_min = d->hpa_min;
		o->hpa_max = d->hpa_max;
		o->hpa_target_percent = d->hpa_target;
		o->hpa_current_percent = d->hpa_percent;
	}
	for (size_t i = 0; i < cl->n_pods; i++, s->n_pods++) {
		const cl_pod_t *p = cl->pods[i];
		cl_snap_pod_t *o = &s->pods[i];
		const char *status;
		if (p->terminating)
			status = "Terminating";
		else if (!p->node)
			status = "Pending";
		else if (p->cstate == C_NONE)
			status = "ContainerCreating";
		else if (p->cstate == C_BACKOFF)
			status = "CrashLoopBackOff";
		else
			status = "Running";
		bad |= sdup(&o->ns, p->d->ns) | sdup(&o->name, p->name) |
		       sdup(&o->deployment, p->d->name) |
		       sdup(&o->replicaset, p->rs->name) |
		       sdup(&o->node, p->node ? p->node->name : NULL) |
		       sdup(&o->status, status) | sdup(&o->reason, p->reason);
		o->phase = p->terminating ? CL_POD_TERMINATING
		           : p->started < 0 ? CL_POD_PENDING : CL_POD_RUNNING;
		o->ready = p->ready;
		o->ready_since = p->ready_since;
		o->restarts = p->restarts;
		o->created = p->created;
		o->started = p->started;
		o->container = p->vp;
		o->cpu_request_m = p->rs->tmpl->cpu_request_m;
		o->mem_request = p->rs->tmpl->mem_request;
	}
	for (size_t i = 0; i < cl->n_svcs; i++, s->n_services++) {
		const cl_service_t *v = cl->svcs[i];
		bad |= sdup(&s->services[i].ns, v->ns) |
		       sdup(&s->services[i].name, v->name);
		s->services[i].port = v->port;
		s->services[i].endpoints = vrt_endpoints_count(v->eps);
	}
	if (bad) {
		cl_snapshot_free(s);
		return NULL;
	}
	return s;
}

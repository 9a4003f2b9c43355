/* sim/vrt/pod.c: pods (one running instance of a service each): start,
 * kill, graceful termination, and the rt.h operations a service calls on
 * its instance (serve, timers, time, randomness, environment, logs). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrt_int.h"

struct vtimer {
	struct rt_timer head;
	vrt_pod_t *pod;
	des_event_t ev;
	rt_timer_cb cb;
	void *user;
	vtimer_t *prev, *next;
};

static void die(const char *what)
{
	fprintf(stderr, "vrt: %s\n", what);
	abort();
}

const char *vrt__pod_label(const vrt_pod_t *pod)
{
	return pod ? pod->name : "external";
}

const char *vrt_pod_state_name(vrt_pod_state_t s)
{
	switch (s) {
	case VRT_POD_STARTING:
		return "STARTING";
	case VRT_POD_READY:
		return "READY";
	case VRT_POD_TERMINATING:
		return "TERMINATING";
	case VRT_POD_DEAD:
		return "DEAD";
	case VRT_POD_FAILED:
		return "FAILED";
	}
	return "UNKNOWN";
}

/* ---- rt.h operations on the instance --------------------------------------- */

static int op_serve(rt_t *rt, const rt_service_def_t *def, void *user)
{
	vrt_pod_t *pod = (vrt_pod_t *)rt;
	if (!def || !def->name)
		return -1;
	if (pod->http_handler) { /* one protocol per port */
		errno = EBUSY;
		return -1;
	}
	for (size_t i = 0; i < pod->nserved; i++)
		if (strcmp(pod->served[i].def->name, def->name) == 0)
			return -1;
	vserved_t *ns = realloc(pod->served, (pod->nserved + 1) * sizeof *ns);
	if (!ns)
		return -1;
	pod->served = ns;
	vserved_t *s = &pod->served[pod->nserved];
	size_t n = def->n_methods ? def->n_methods : 1;
	s->def = def;
	s->user = user;
	s->cost = calloc(n, sizeof *s->cost);
	s->cost_gen = calloc(n, sizeof *s->cost_gen);
	if (!s->cost || !s->cost_gen) {
		free(s->cost);
		free(s->cost_gen);
		return -1;
	}
	pod->nserved++;
	return 0;
}

static rt_invoke_t *op_invoke(rt_t *rt, const char *addr, const char *service,
                              const char *method, const ProtobufCMessage *req,
                              const ProtobufCMessageDescriptor *resp_type,
                              const rt_invoke_opts_t *opts, rt_invoke_cb cb,
                              void *user)
{
	vrt_pod_t *pod = (vrt_pod_t *)rt;
	return vrt__invoke(pod->w, pod, addr, service, method, req, resp_type,
	                   opts, cb, user);
}

static void timer_unlink(vtimer_t *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		t->pod->timers = t->next;
	if (t->next)
		t->next->prev = t->prev;
}

static void ev_timer(des_t *des, void *arg)
{
	vtimer_t *t = arg;
	vrt_pod_t *pod = t->pod;
	des_time_t thaw = vrt__thaw(pod->w);
	if (thaw > 0 && des_schedule_full(des, thaw, DES_PRIO_DEFAULT, "vrt.timer", ev_timer,
	                                  t, &t->ev) == 0)
		return;
	timer_unlink(t);
	rt_timer_cb cb = t->cb;
	void *user = t->user;
	free(t);
	if (pod->w->trace)
		vrt__trace(pod->w, "timer %s", pod->name);
	cb(user);
}

static rt_timer_t *op_timer_start(rt_t *rt, rt_time_t delay, rt_timer_cb cb,
                                  void *user)
{
	vrt_pod_t *pod = (vrt_pod_t *)rt;
	if (pod->state == VRT_POD_DEAD || pod->state == VRT_POD_FAILED || !cb)
		return NULL;
	vtimer_t *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->head.ops = &vrt__pod_ops;
	t->pod = pod;
	t->cb = cb;
	t->user = user;
	des_t *des = pod->w->des;
	des_time_t at = delay > DES_TIME_MAX - des_now(des) ? DES_TIME_MAX
	                                                     : des_now(des) + delay;
	if (des_schedule_full(des, at, DES_PRIO_DEFAULT, "vrt.timer", ev_timer,
	                      t, &t->ev) != 0) {
		free(t);
		return NULL;
	}
	t->next = pod->timers;
	if (pod->timers)
		pod->timers->prev = t;
	pod->timers = t;
	return &t->head;
}

static void op_timer_cancel(rt_timer_t *timer)
{
	vtimer_t *t = (vtimer_t *)timer;
	des_cancel(t->pod->w->des, t->ev);
	timer_unlink(t);
	free(t);
}

static rt_time_t op_now(rt_t *rt)
{
	vrt_pod_t *pod = (vrt_pod_t *)rt;
	return pod->w->epoch + des_now(pod->w->des);
}

static uint64_t op_rand(rt_t *rt)
{
	return des_rng_u64(&((vrt_pod_t *)rt)->rng);
}

static const char *op_env(rt_t *rt, const char *name)
{
	vrt_pod_t *pod = (vrt_pod_t *)rt;
	size_t n = strlen(name);
	for (size_t i = 0; i < pod->nenv; i++)
		if (strncmp(pod->env[i], name, n) == 0 && pod->env[i][n] == '=')
			return pod->env[i] + n + 1;
	return NULL;
}

static void op_log(rt_t *rt, rt_severity_t sev, const char *msg,
                   const char *const *fields)
{
	vrt_pod_t *pod = (vrt_pod_t *)rt;
	vrt_world_t *w = pod->w;
	if ((unsigned)sev > RT_ERROR)
		sev = RT_ERROR;
	pod->logs[sev]++;
	if (w->log && sev >= w->log_min)
		w->log(w->log_user, des_now(w->des), pod, sev, msg, fields);
}

static void op_config_error(rt_t *rt, const char *name, const char *value,
                            const char *why)
{
	vrt_pod_t *pod = (vrt_pod_t *)rt;
	size_t old = pod->error ? strlen(pod->error) : 0;
	size_t need = strlen(name) + strlen(value) + strlen(why) + 5;
	char *ne = realloc(pod->error, old + need);
	if (!ne)
		return;
	pod->error = ne;
	snprintf(ne + old, need, "%s=%s: %s\n", name, value, why);
	const char *f[] = {"variable", name, "value", value, "error", why, NULL};
	op_log(rt, RT_ERROR, "invalid configuration", f);
}

const rt_ops_t vrt__pod_ops = {
    .serve = op_serve,
    .invoke = op_invoke,
    .timer_start = op_timer_start,
    .timer_cancel = op_timer_cancel,
    .now = op_now,
    .rand = op_rand,
    .env = op_env,
    .config_error = op_config_error,
    .log = op_log,
    .serve_http = vrt__pod_serve_http,
    .http_invoke = vrt__pod_http_invoke,
};

/* ---- lifecycle ------------------------------------------------------------ */

static void cancel_timers(vrt_pod_t *pod)
{
	while (pod->timers)
		op_timer_cancel(&pod->timers->head);
}

/* Stops the pod now (see vrt_pod_kill). |run_fini|: 0 after a failed init. */
static void pod_stop(vrt_pod_t *pod, const char *why, int run_fini)
{
	vrt_world_t *w = pod->w;
	vrt__cpu_sync(pod);
	pod->state = run_fini ? VRT_POD_DEAD : VRT_POD_FAILED;
	des_cancel(w->des, pod->ev_stop);
	des_cancel(w->des, pod->ev_grace);
	pod->ev_stop = pod->ev_grace = DES_EVENT_NULL;
	vrt__remove_everywhere(pod);
	if (w->trace)
		vrt__trace(w, "pod %s stop: %s", pod->name, why);
	vrt__cpu_drop_all(pod);
	vrt__rpc_pod_cut_incoming(pod, why);
	vrt__rpc_pod_drop_outgoing(pod, run_fini);
	cancel_timers(pod);
	if (run_fini && pod->base.service->fini)
		pod->base.service->fini(&pod->base);
	/* fini and on_cancel ran on a dead pod: whatever they tried to start
	 * was refused, and calls they kept are detached. */
	cancel_timers(pod);
	vrt__rpc_pod_drop_outgoing(pod, 0);
	vrt__rpc_pod_orphan_incoming(pod);
}

void vrt_pod_kill(vrt_pod_t *pod)
{
	if (!pod || pod->state == VRT_POD_DEAD || pod->state == VRT_POD_FAILED)
		return;
	pod_stop(pod, "pod killed", 1);
}

static void ev_stop(des_t *des, void *arg)
{
	vrt_pod_t *pod = arg;
	(void)des;
	pod->ev_stop = DES_EVENT_NULL;
	if (pod->state == VRT_POD_TERMINATING)
		pod_stop(pod, "terminated", 1);
}

static void ev_grace(des_t *des, void *arg)
{
	vrt_pod_t *pod = arg;
	(void)des;
	pod->ev_grace = DES_EVENT_NULL;
	if (pod->state == VRT_POD_TERMINATING)
		pod_stop(pod, "server shutting down", 1);
}

/* A terminating pod with nothing left to serve stops, from its own event:
 * this may be called from inside a handler's rt_reply, which must return
 * before fini frees the service's state. */
void vrt__pod_maybe_done(vrt_pod_t *pod)
{
	if (pod->state != VRT_POD_TERMINATING || pod->in.n || pod->ev_stop)
		return;
	des_t *des = pod->w->des;
	if (des_schedule_full(des, des_now(des), DES_PRIO_DEFAULT, "vrt.stop",
	                      ev_stop, pod, &pod->ev_stop) != 0)
		die("cannot schedule (out of memory)");
}

void vrt_pod_terminate(vrt_pod_t *pod, des_time_t grace)
{
	if (!pod || pod->state != VRT_POD_READY)
		return;
	vrt_world_t *w = pod->w;
	pod->state = VRT_POD_TERMINATING;
	vrt__remove_everywhere(pod);
	if (w->trace)
		vrt__trace(w, "pod %s terminate grace=%lldns", pod->name,
		           (long long)grace);
	if (grace < 0)
		grace = 0;
	des_time_t at = grace > DES_TIME_MAX - des_now(w->des)
	                    ? DES_TIME_MAX
	                    : des_now(w->des) + grace;
	if (des_schedule_full(w->des, at, DES_PRIO_DEFAULT, "vrt.grace",
	                      ev_grace, pod, &pod->ev_grace) != 0)
		die("cannot schedule (out of memory)");
	vrt__pod_maybe_done(pod);
}

void vrt__pod_free(vrt_pod_t *pod)
{
	for (size_t i = 0; i < pod->nenv; i++)
		free(pod->env[i]);
	free(pod->env);
	for (size_t i = 0; i < pod->nserved; i++) {
		free(pod->served[i].cost);
		free(pod->served[i].cost_gen);
	}
	free(pod->served);
	vrt__cpu_free(&pod->cpu);
	free(pod->error);
	free(pod->name);
	free(pod);
}

int vrt_pod_start(vrt_world_t *w, const rt_service_t *svc, const char *name,
                  const char *const *env, double cores, vrt_pod_t **out)
{
	if (out)
		*out = NULL;
	if (!w || !svc || !svc->init || !svc->name || !name || !*name ||
	    !(cores > 0) || strcmp(name, "external") == 0 ||
	    strcmp(name, "*") == 0)
		return VRT_EINVAL;
	if (vrt_world_pod(w, name))
		return VRT_EEXIST;
	if (w->npods == w->cappods) {
		size_t cap = w->cappods ? 2 * w->cappods : 16;
		vrt_pod_t **np = realloc(w->pods, cap * sizeof *np);
		if (!np)
			return VRT_ENOMEM;
		w->pods = np;
		w->cappods = cap;
	}
	vrt_pod_t *pod = calloc(1, sizeof *pod);
	if (!pod || !(pod->name = strdup(name))) {
		free(pod);
		return VRT_ENOMEM;
	}
	pod->base.ops = &vrt__pod_ops;
	pod->base.service = svc;
	pod->w = w;
	size_t n = 0;
	while (env && env[n])
		n++;
	pod->env = calloc(n ? n : 1, sizeof *pod->env);
	if (!pod->env) {
		vrt__pod_free(pod);
		return VRT_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(pod->env[i] = strdup(env[i]))) {
			pod->nenv = i;
			vrt__pod_free(pod);
			return VRT_ENOMEM;
		}
	}
	pod->nenv = n;
	des_rng_stream(&pod->rng, w->seed, name);
	char cname[512];
	snprintf(cname, sizeof cname, "%s/cpu", name);
	des_rng_stream(&pod->cpu_rng, w->seed, cname);
	snprintf(cname, sizeof cname, "%s/clientcpu", name);
	des_rng_stream(&pod->ccpu_rng, w->seed, cname);
	snprintf(cname, sizeof cname, "%s/freeze", name);
	des_rng_stream(&pod->fz_rng, w->seed, cname);
	snprintf(cname, sizeof cname, "%s/net", name);
	des_rng_stream(&pod->net_rng, w->seed, cname);
	vrt__cpu_init(&pod->cpu, cores);
	pod->cpu.last = des_now(w->des);
	pod->index = w->npods;
	w->pods[w->npods++] = pod;
	if (out)
		*out = pod;
	pod->state = VRT_POD_STARTING;
	if (w->trace)
		vrt__trace(w, "pod %s start %s cores=%g", name, svc->name, cores);
	if (svc->init(&pod->base) != 0) {
		/* As on the live runtime, fini is not called after a failed
		 * init: init cleans up after itself. */
		if (w->trace)
			vrt__trace(w, "pod %s failed: %s", name,
			           pod->error ? pod->error : "init failed\n");
		pod_stop(pod, "init failed", 0);
		if (!pod->error)
			pod->error = strdup("");
		return VRT_EINIT;
	}
	pod->state = VRT_POD_READY;
	return 0;
}

vrt_pod_state_t vrt_pod_state(const vrt_pod_t *pod) { return pod->state; }

int vrt_pod_serving(const vrt_pod_t *pod)
{
	return pod->state == VRT_POD_READY;
}

vrt_pod_t *vrt_world_pod(vrt_world_t *w, const char *name)
{
	for (size_t i = 0; i < w->npods; i++)
		if (strcmp(w->pods[i]->name, name) == 0)
			return w->pods[i];
	return NULL;
}

size_t vrt_world_pod_count(const vrt_world_t *w) { return w->npods; }

vrt_pod_t *vrt_world_pod_at(const vrt_world_t *w, size_t i)
{
	return i < w->npods ? w->pods[i] : NULL;
}

const char *vrt_pod_name(const vrt_pod_t *pod) { return pod->name; }
const char *vrt_pod_service(const vrt_pod_t *pod)
{
	return pod->base.service->name;
}
rt_t *vrt_pod_rt(vrt_pod_t *pod) { return &pod->base; }
double vrt_pod_cores(const vrt_pod_t *pod) { return pod->cpu.cores; }
vrt_world_t *vrt_pod_world(const vrt_pod_t *pod) { return pod->w; }

const char *vrt_pod_error(const vrt_pod_t *pod)
{
	return pod->error ? pod->error : "";
}

void vrt_pod_set_data(vrt_pod_t *pod, void *data) { pod->data = data; }
void *vrt_pod_data(const vrt_pod_t *pod) { return pod->data; }

size_t vrt_pod_active_calls(const vrt_pod_t *pod) { return pod->in.n; }

void vrt_pod_cpu(vrt_pod_t *pod, des_time_t *busy, double *core_ns,
                 uint64_t *jobs)
{
	if (pod->state != VRT_POD_DEAD && pod->state != VRT_POD_FAILED)
		vrt__cpu_sync(pod);
	if (busy)
		*busy = pod->cpu.busy;
	if (core_ns)
		*core_ns = pod->cpu.core_ns;
	if (jobs)
		*jobs = pod->cpu.jobs;
}

uint64_t vrt_pod_log_count(const vrt_pod_t *pod, rt_severity_t sev)
{
	return (unsigned)sev <= RT_ERROR ? pod->logs[sev] : 0;
}

/* sim/vrt/world.c: the world: engine, network model, resolver and endpoint
 * sets, hooks (observations, trace, logs). Pods are in pod.c, calls in
 * rpc.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vrt_int.h"

const char *vrt_strerror(int err)
{
	switch (err) {
#define VRT_STRERR_(name, val, msg) \
	case val:                   \
		return msg;
		VRT_ERRNO_MAP(VRT_STRERR_)
#undef VRT_STRERR_
	default:
		return "unknown error";
	}
}

const char *vrt_err_name(int err)
{
	switch (err) {
#define VRT_ERRNAME_(name, val, msg) \
	case val:                    \
		return "VRT_" #name;
		VRT_ERRNO_MAP(VRT_ERRNAME_)
#undef VRT_ERRNAME_
	default:
		return "VRT_UNKNOWN";
	}
}

vrt_world_t *vrt_world_new(uint64_t seed, rt_time_t epoch)
{
	vrt_world_t *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->des = des_new(NULL);
	w->profile = vrt_profile_new();
	if (!w->des || !w->profile) {
		des_free(w->des);
		vrt_profile_free(w->profile);
		free(w);
		return NULL;
	}
	des_set_seed(w->des, seed);
	w->seed = seed;
	w->epoch = epoch;
	w->link = VRT_LINK_DEFAULT;
	w->log_min = RT_DEBUG;
	des_rng_stream(&w->lb_rng, seed, "vrt/lb");
	des_rng_stream(&w->net_rng, seed, "vrt/net");
	return w;
}

void vrt_world_free(vrt_world_t *w)
{
	if (!w)
		return;
	w->freeing = 1;
	w->obs = NULL;
	w->trace = NULL;
	for (size_t i = 0; i < w->npods; i++)
		vrt_pod_kill(w->pods[i]);
	vrt__rpc_abandon_external(w);
	/* What is left pending (responses in flight, cancellations) is only
	 * memory now: drop the engine first, then the pods, whose free also
	 * frees the calls they still hold. */
	for (size_t i = 0; i < w->npods; i++)
		vrt__pod_free(w->pods[i]);
	vrt__rpc_free_all(w);
	free(w->pods);
	for (size_t i = 0; i < w->neps; i++) {
		free(w->eps[i]->name);
		free(w->eps[i]->pods);
		free(w->eps[i]);
	}
	free(w->eps);
	for (size_t i = 0; i < w->nnodes; i++)
		vrt__node_free(w->nodes[i]);
	free(w->nodes);
	for (size_t i = 0; i < w->capbinds; i++)
		free(w->binds[i].addr);
	free(w->binds);
	for (size_t i = 0; i < w->nlinks; i++) {
		free(w->links[i].from);
		free(w->links[i].to);
	}
	free(w->links);
	free(w->fz);
	vrt_profile_free(w->profile);
	des_free(w->des);
	free(w);
}

des_t *vrt_world_des(vrt_world_t *w) { return w->des; }
uint64_t vrt_world_seed(const vrt_world_t *w) { return w->seed; }
rt_time_t vrt_world_epoch(const vrt_world_t *w) { return w->epoch; }

rt_time_t vrt_world_now(const vrt_world_t *w)
{
	return w->epoch + des_now(w->des);
}

int vrt_run(vrt_world_t *w, des_time_t until)
{
	return des_run(w->des, until);
}

void vrt_world_set_profile(vrt_world_t *w, vrt_profile_t *p)
{
	if (!p) {
		p = vrt_profile_new();
		if (!p)
			return; /* keep the current one */
	}
	if (p != w->profile)
		vrt_profile_free(w->profile);
	w->profile = p;
	w->profile_gen++;
}

/* ---- network ------------------------------------------------------------ */

void vrt_world_set_net(vrt_world_t *w, vrt_net_fn fn, void *user)
{
	w->net = fn;
	w->net_user = user;
}

void vrt_world_set_link_default(vrt_world_t *w, vrt_link_t link)
{
	w->link = link;
}

int vrt_world_set_link(vrt_world_t *w, const char *from, const char *to,
                       vrt_link_t link)
{
	if (!from || !to || vrt_link_check(&link))
		return VRT_EINVAL;
	for (size_t i = 0; i < w->nlinks; i++)
		if (strcmp(w->links[i].from, from) == 0 &&
		    strcmp(w->links[i].to, to) == 0) {
			w->links[i].link = link;
			return 0;
		}
	vlinkov_t *nl = realloc(w->links, (w->nlinks + 1) * sizeof *nl);
	if (!nl)
		return VRT_ENOMEM;
	w->links = nl;
	char *f = strdup(from), *t = strdup(to);
	if (!f || !t) {
		free(f);
		free(t);
		return VRT_ENOMEM;
	}
	w->links[w->nlinks++] = (vlinkov_t){f, t, link};
	return 0;
}

static int name_match(const char *pat, const char *name)
{
	return strcmp(pat, name) == 0;
}

des_time_t vrt__transit(vrt_world_t *w, const vrt_pod_t *from,
                        const vrt_pod_t *to, size_t bytes)
{
	if (w->net) {
		des_time_t t = w->net(w->net_user, from, to, bytes);
		return t < 0 ? 0 : t;
	}
	const vrt_link_t *l = &w->link;
	if (w->nlinks) {
		const char *fn = vrt__pod_label(from), *tn = vrt__pod_label(to);
		int best = 0;
		for (size_t i = 0; i < w->nlinks; i++) {
			const vlinkov_t *o = &w->links[i];
			int fs = name_match(o->from, fn),
			    ts = name_match(o->to, tn);
			int fw = strcmp(o->from, "*") == 0,
			    tw = strcmp(o->to, "*") == 0;
			int score = fs && ts ? 4 : fs && tw ? 3 : fw && ts ? 2
			                                  : fw && tw ? 1 : 0;
			if (score > best) {
				best = score;
				l = &o->link;
			}
		}
	}
	des_time_t t = vrt_link_transit(l, bytes);
	if (!l->nbands)
		return t;
	if (!to) /* the outside world: as if it had slept long */
		return t + vrt_link_wake(l, DES_TIME_MAX, des_rng_uniform(&w->net_rng));
	/* The receiver's wake-up: none while it is running (its CPU has
	 * work); one shared by every message that arrives while it is
	 * waking; none for what the pod that woke it sends it in the same
	 * busy period (a live service answers every request it read in one
	 * wake-up with one write, however long each took); and otherwise a
	 * draw for how long it slept (since its CPU went idle or it last
	 * woke, the later), from its own stream (its draws do not depend on
	 * who else sends). */
	vrt_pod_t *tp = w->pods[to->index];
	const vrt_pod_t *fp = from ? w->pods[from->index] : NULL;
	des_time_t now = des_now(w->des), at = now + t;
	if (at < tp->wake_at)
		return tp->wake_at - now;
	int same_batch = fp && tp->woke_by == fp->index + 1 &&
	                 tp->woke_busy == fp->cpu.busy_seq &&
	                 (fp->cpu.n > 0 || fp->cpu.idle_since >= now);
	if (tp->cpu.n > 0 || same_batch) {
		tp->wake_at = at;
		return t;
	}
	des_time_t since = tp->cpu.idle_since > tp->wake_at ? tp->cpu.idle_since : tp->wake_at;
	des_time_t j = vrt_link_wake(l, at - since, des_rng_uniform(&tp->net_rng));
	tp->wake_at = at + j;
	tp->woke_by = fp ? fp->index + 1 : 0;
	tp->woke_busy = fp ? fp->cpu.busy_seq : 0;
	return t + j;
}

/* ---- endpoint sets and the resolver -------------------------------------- */

vrt_endpoints_t *vrt_endpoints_new(vrt_world_t *w, const char *name,
                                   vrt_lb_t lb)
{
	if (!w || !name || (lb != VRT_LB_ROUND_ROBIN && lb != VRT_LB_LEAST_REQUEST))
		return NULL;
	if (w->neps == w->capeps) {
		size_t cap = w->capeps ? 2 * w->capeps : 16;
		vrt_endpoints_t **ne = realloc(w->eps, cap * sizeof *ne);
		if (!ne)
			return NULL;
		w->eps = ne;
		w->capeps = cap;
	}
	vrt_endpoints_t *e = calloc(1, sizeof *e);
	if (!e || !(e->name = strdup(name))) {
		free(e);
		return NULL;
	}
	e->w = w;
	e->lb = lb;
	w->eps[w->neps++] = e;
	return e;
}

/* Every call resolves its address: des_rng_hash (made for seeding streams)
 * was 1.3 % of a whole-shop run here, and a byte-at-a-time hash is a chain
 * of multiplies. Eight bytes a step instead. The table is only looked up,
 * never iterated, so the hash cannot change any outcome. */
static uint64_t addr_hash(const char *s)
{
	return des_hash_str(0x9e3779b97f4a7c15u, s) | 1; /* 0: an empty slot */
}

static vbind_t *bind_find(vrt_world_t *w, const char *addr, uint64_t h)
{
	if (!w->capbinds)
		return NULL;
	size_t mask = w->capbinds - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		vbind_t *b = &w->binds[i];
		if (!b->hash)
			return NULL;
		if (b->hash == h && strcmp(b->addr, addr) == 0)
			return b;
	}
}

static int bind_grow(vrt_world_t *w)
{
	size_t cap = w->capbinds ? 2 * w->capbinds : 32;
	vbind_t *nb = calloc(cap, sizeof *nb);
	if (!nb)
		return VRT_ENOMEM;
	for (size_t i = 0; i < w->capbinds; i++) {
		vbind_t *b = &w->binds[i];
		if (!b->hash)
			continue;
		size_t j = (size_t)b->hash & (cap - 1);
		while (nb[j].hash)
			j = (j + 1) & (cap - 1);
		nb[j] = *b;
	}
	free(w->binds);
	w->binds = nb;
	w->capbinds = cap;
	return 0;
}

int vrt_world_bind(vrt_world_t *w, const char *addr, vrt_endpoints_t *eps)
{
	if (!w || !addr || !strchr(addr, ':') || (eps && eps->w != w))
		return VRT_EINVAL;
	uint64_t h = addr_hash(addr);
	vbind_t *b = bind_find(w, addr, h);
	if (b) {
		/* Unbinding keeps the slot (eps NULL) so probing stays simple. */
		b->eps = eps;
		return 0;
	}
	if (!eps)
		return 0;
	if ((w->nbinds + 1) * 2 > w->capbinds && bind_grow(w) != 0)
		return VRT_ENOMEM;
	char *a = strdup(addr);
	if (!a)
		return VRT_ENOMEM;
	size_t mask = w->capbinds - 1, i = (size_t)h & mask;
	while (w->binds[i].hash)
		i = (i + 1) & mask;
	w->binds[i] = (vbind_t){a, h, eps};
	w->nbinds++;
	return 0;
}

vrt_endpoints_t *vrt_world_resolve(vrt_world_t *w, const char *addr)
{
	vbind_t *b = bind_find(w, addr, addr_hash(addr));
	return b ? b->eps : NULL;
}

int vrt_endpoints_add(vrt_endpoints_t *eps, vrt_pod_t *pod)
{
	if (!eps || !pod || pod->w != eps->w)
		return VRT_EINVAL;
	if (pod->state == VRT_POD_DEAD || pod->state == VRT_POD_FAILED)
		return VRT_ESTATE;
	for (size_t i = 0; i < eps->n; i++)
		if (eps->pods[i] == pod)
			return VRT_EEXIST;
	if (eps->n == eps->cap) {
		size_t cap = eps->cap ? 2 * eps->cap : 8;
		vrt_pod_t **np = realloc(eps->pods, cap * sizeof *np);
		if (!np)
			return VRT_ENOMEM;
		eps->pods = np;
		eps->cap = cap;
	}
	eps->pods[eps->n++] = pod;
	return 0;
}

int vrt_endpoints_remove(vrt_endpoints_t *eps, vrt_pod_t *pod)
{
	if (!eps || !pod)
		return VRT_EINVAL;
	for (size_t i = 0; i < eps->n; i++)
		if (eps->pods[i] == pod) {
			memmove(&eps->pods[i], &eps->pods[i + 1],
			        (eps->n - i - 1) * sizeof *eps->pods);
			eps->n--;
			/* Keep the rotation on the pod that would have come
			 * next. */
			if (eps->rr > i)
				eps->rr--;
			if (eps->rr >= eps->n)
				eps->rr = 0;
			return 0;
		}
	return VRT_ENOENT;
}

size_t vrt_endpoints_count(const vrt_endpoints_t *eps) { return eps->n; }

vrt_pod_t *vrt_endpoints_pod(const vrt_endpoints_t *eps, size_t i)
{
	return i < eps->n ? eps->pods[i] : NULL;
}

const char *vrt_endpoints_name(const vrt_endpoints_t *eps)
{
	return eps->name;
}

void vrt__remove_everywhere(vrt_pod_t *pod)
{
	vrt_world_t *w = pod->w;
	for (size_t i = 0; i < w->neps; i++)
		vrt_endpoints_remove(w->eps[i], pod);
}

vrt_pod_t *vrt__pick(vrt_endpoints_t *eps)
{
	if (!eps || eps->n == 0)
		return NULL;
	if (eps->n == 1)
		return eps->pods[0];
	if (eps->lb == VRT_LB_LEAST_REQUEST) {
		/* Envoy's default for least_request: two random choices, the
		 * one with fewer active requests (the first on a tie). */
		des_rng_t *r = &eps->w->lb_rng;
		size_t a = (size_t)des_rng_below(r, eps->n);
		size_t b = (size_t)des_rng_below(r, eps->n - 1);
		if (b >= a)
			b++;
		vrt_pod_t *pa = eps->pods[a], *pb = eps->pods[b];
		return pb->outstanding < pa->outstanding ? pb : pa;
	}
	if (eps->rr >= eps->n)
		eps->rr = 0;
	vrt_pod_t *p = eps->pods[eps->rr];
	eps->rr = (eps->rr + 1) % eps->n;
	return p;
}

/* ---- hooks --------------------------------------------------------------- */

void vrt_world_set_mesh(vrt_world_t *w, const vrt_mesh_ops_t *ops, void *user)
{
	w->mesh = ops;
	w->mesh_user = ops ? user : NULL;
}

des_time_t vrt_world_transit(vrt_world_t *w, const vrt_pod_t *from,
                             const vrt_pod_t *to, size_t bytes)
{
	return vrt__transit(w, from, to, bytes);
}

size_t vrt_pod_outstanding(const vrt_pod_t *pod) { return pod->outstanding; }

void vrt_world_set_obs(vrt_world_t *w, vrt_obs_cb cb, void *user)
{
	w->obs = cb;
	w->obs_user = user;
}

void vrt_world_set_trace(vrt_world_t *w, vrt_trace_cb cb, void *user)
{
	w->trace = cb;
	w->trace_user = user;
}

void vrt__trace(vrt_world_t *w, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	w->trace(w->trace_user, des_now(w->des), line);
}

void vrt_world_set_log(vrt_world_t *w, rt_severity_t min, vrt_log_cb cb,
                       void *user)
{
	w->log_min = min;
	w->log = cb;
	w->log_user = user;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void vrt_log_json_file(void *user, des_time_t t, const vrt_pod_t *pod,
                       rt_severity_t sev, const char *msg,
                       const char *const *fields)
{
	vrt_log_file_t *lf = user;
	static const char *const sevs[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
	rt_time_t now = lf->w->epoch + t;
	time_t secs = (time_t)(now / RT_SEC);
	long ns = (long)(now % RT_SEC);
	if (ns < 0) {
		ns += RT_SEC;
		secs--;
	}
	struct tm tm;
	gmtime_r(&secs, &tm);
	char ts[64];
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(lf->f, "{\"time\":\"%s.%09ldZ\",\"severity\":\"%s\",\"service\":",
	        ts, ns, sevs[sev <= RT_ERROR ? sev : RT_ERROR]);
	json_str(lf->f, pod->base.service->name);
	fputs(",\"pod\":", lf->f);
	json_str(lf->f, pod->name);
	fputs(",\"message\":", lf->f);
	json_str(lf->f, msg);
	for (size_t i = 0; fields && fields[i] && fields[i + 1]; i += 2) {
		fputc(',', lf->f);
		json_str(lf->f, fields[i]);
		fputc(':', lf->f);
		json_str(lf->f, fields[i + 1]);
	}
	fputs("}\n", lf->f);
}

void vrt_world_stats(const vrt_world_t *w, vrt_stats_t *out)
{
	*out = w->stats;
}

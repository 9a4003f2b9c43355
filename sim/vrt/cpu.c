/* sim/vrt/cpu.c: a pod's CPU as an egalitarian processor-sharing server.
 *
 * With n jobs on c cores every job progresses at rate r(n) = min(1, c/n)
 * (ns of work per ns). Instead of updating every job's remaining work on
 * each change, the server keeps |vwork|, the work one job has received
 * since the busy period began (it grows at r(n)); a job arriving with
 * demand d gets the finish tag vwork + d and is done when vwork reaches
 * it. Tags never change, so the jobs sit in a binary min-heap on (tag,
 * seq) and each arrival or departure is O(log n); exactly one des event is
 * pending per pod, for the smallest tag, and it is moved when n changes.
 * vwork restarts at 0 whenever the pod goes idle, which keeps the doubles
 * small (precise) over long runs.
 *
 * Nodes (vrt_node_new, vrt_pod_set_node): pods on a node also share its
 * cores. A busy pod demands d = min(n, c) cores; when the node's busy pods
 * demand more than it has, it is split by weighted max-min fairness (water-
 * filling on d / weight), and the pod's jobs each progress at alloc / n.
 * Why weights, and these weights: Kubernetes sets a container's cgroup
 * cpu.shares from its CPU *request* (the kubelet's milliCPUToShares:
 * request x 1024 / 1000, at least 2; cgroup v2's cpu.weight is a map of
 * it), its limit only as a CFS quota (a cap), and the Kubernetes docs
 * ("Resource Management for Pods and Containers", how pods with limits
 * are run) say "The CPU request typically defines a weighting. If several
 * different containers (cgroups) want to run on a contended system,
 * workloads with larger CPU requests are allocated more CPU time than
 * workloads with small requests." CFS gives runnable cgroups time in
 * proportion to their shares, and a cgroup that cannot use its
 * proportion (fewer runnable threads, or its quota reached) leaves the
 * rest to the others: weighted max-min fairness, in the fluid limit. Not
 * modelled: the quota's 100 ms periods (throttling bursts; here a limit is
 * a steady cap), per-CPU run queues and their balancing, nice levels.
 *
 * The vwork trick holds per pod, as its rate is constant between changes:
 * on any arrival or departure on a node's pod, every busy pod of the node
 * is brought up to now at its old rate, the shares are recomputed, and the
 * pods whose share moved (and the pod that changed) get their one pending
 * event moved: O(b log b) for b busy pods on the node (b is a node's pods,
 * a dozen or so; the sort is an insertion sort). Without a node nothing of
 * this runs, and the arithmetic is the same as before nodes existed.
 *
 * Freezes (the profile's "freezes", sim/vrt/README.md): the machine stops,
 * every CPU of the world with it, for [at, end). Wake-ups begin them: each
 * demand added draws a Poisson count with the profile's mean per demand
 * (plus its rate per ns of the work; the pod's stream "NAME/freeze",
 * vrt__freeze_draw); their lengths start a freeze now, or lengthen the
 * one under way, so the world's freezes stay few, ordered and apart
 * (w->fz). A server's rate is unchanged; its work simply
 * does not progress inside a freeze: vrt__cpu_sync leaves the frozen time
 * out of vwork and the CPU used (not out of |busy|: its jobs are there),
 * and reschedule finds the end of the work left by walking over the
 * freezes ahead; a new freeze brings every busy server up to now first and
 * moves its event (O(pods), a few times a second). Those no busy server
 * can ask about again are dropped when the array is full. Without
 * freezes none of this runs, and the arithmetic is the same as before.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vrt_int.h"

static int job_less(const vjob_t *a, const vjob_t *b)
{
	return a->tag < b->tag || (a->tag == b->tag && a->seq < b->seq);
}

static void heap_up(vjob_t *h, size_t i)
{
	vjob_t x = h[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!job_less(&x, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

static void heap_down(vjob_t *h, size_t n, size_t i)
{
	vjob_t x = h[i];
	for (;;) {
		size_t l = 2 * i + 1, m;
		if (l >= n)
			break;
		m = (l + 1 < n && job_less(&h[l + 1], &h[l])) ? l + 1 : l;
		if (!job_less(&h[m], &x))
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = x;
}

void vrt__cpu_init(vcpu_t *c, double cores)
{
	c->cores = cores;
}

void vrt__cpu_free(vcpu_t *c)
{
	free(c->heap);
	c->heap = NULL;
	c->n = c->cap = 0;
}

/* A pod's demand in cores: min(jobs, limit). */
static double demand(const vcpu_t *c)
{
	return (double)c->n < c->cores ? (double)c->n : c->cores;
}

static double rate(const vcpu_t *c)
{
	if (c->node)
		return c->alloc / (double)c->n;
	return (double)c->n <= c->cores ? 1.0 : c->cores / (double)c->n;
}

/* ---- freezes ---------------------------------------------------------------- */

/* Drops the freezes that ended before every busy server's last sync (no
 * one will ask about them again). */
static void freeze_prune(vrt_world_t *w)
{
	des_time_t oldest = des_now(w->des);
	for (size_t i = 0; i < w->npods; i++) {
		const vcpu_t *c = &w->pods[i]->cpu;
		if (c->n > 0 && c->last < oldest)
			oldest = c->last;
	}
	size_t k = 0;
	while (k < w->nfz && w->fz[k].end <= oldest)
		k++;
	memmove(w->fz, w->fz + k, (w->nfz - k) * sizeof *w->fz);
	w->nfz -= k;
}

/* The first freeze that ends after |t|, or w->nfz when there is none. */
static size_t freeze_from(const vrt_world_t *w, des_time_t t)
{
	size_t lo = 0, hi = w->nfz;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->fz[mid].end <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* How long the machine was frozen in [a, b). */
static des_time_t frozen_in(const vrt_world_t *w, des_time_t a, des_time_t b)
{
	des_time_t f = 0;
	for (size_t i = freeze_from(w, a); i < w->nfz && w->fz[i].at < b; i++) {
		des_time_t s = w->fz[i].at > a ? w->fz[i].at : a;
		des_time_t e = w->fz[i].end < b ? w->fz[i].end : b;
		f += e - s;
	}
	return f;
}

/* When |left| ns of unfrozen time from |from| will have passed (the last
 * stretch rounded up to the ns, as without freezes). */
static des_time_t freeze_finish(const vrt_world_t *w, des_time_t from, double left)
{
	des_time_t cur = from;
	for (size_t i = freeze_from(w, from); i < w->nfz; i++) {
		const vfreeze_t f = w->fz[i];
		if (f.at > cur) {
			if ((double)(f.at - cur) >= left)
				break;
			left -= (double)(f.at - cur);
		}
		cur = f.end; /* in or at a freeze: on from its end */
	}
	des_time_t dt = left <= 0 ? 0 : (des_time_t)ceil(left - 1e-6);
	return cur + (dt < 0 ? 0 : dt);
}

des_time_t vrt__thaw(const vrt_world_t *w)
{
	if (w->nfz == 0)
		return 0;
	des_time_t now = des_now(w->des);
	size_t i = freeze_from(w, now);
	return i < w->nfz && w->fz[i].at <= now ? w->fz[i].end : 0;
}

static void reschedule(vrt_pod_t *pod);

/* |demand_ns| of work about to start on |pod|: whether it stops the
 * machine (a Poisson count, per demand plus per ns of its work, from the
 * pod's own stream), and if so for how long (the sum of that many
 * lengths), from now or from the end of the freeze under way. Every busy
 * server is brought up to now and its completion moves. 0, or VRT_ENOMEM. */
static int freeze_maybe(vrt_pod_t *pod, double demand_ns)
{
	vrt_world_t *w = pod->w;
	des_time_t len = vrt__freeze_draw(w->profile, demand_ns, &pod->fz_rng);
	if (len <= 0)
		return 0;
	des_time_t now = des_now(w->des);
	if (w->nfz > 0 && w->fz[w->nfz - 1].end >= now) {
		w->fz[w->nfz - 1].end += len;
	} else {
		if (w->nfz == w->capfz) {
			if (w->nfz > 0)
				freeze_prune(w);
			if (w->nfz == w->capfz) {
				size_t cap = w->capfz ? 2 * w->capfz : 16;
				vfreeze_t *nf = realloc(w->fz, cap * sizeof *nf);
				if (!nf)
					return VRT_ENOMEM;
				w->fz = nf;
				w->capfz = cap;
			}
		}
		w->fz[w->nfz++] = (vfreeze_t){now, now + len};
	}
	w->stats.freezes++;
	if (w->trace)
		vrt__trace(w, "freeze by %s until %" PRId64, pod->name, w->fz[w->nfz - 1].end);
	/* The freeze starts now (or lengthens one past now): a sync up to now
	 * leaves it out, so each server syncs and moves its event in one go. */
	for (size_t i = 0; i < w->npods; i++) {
		if (w->pods[i]->cpu.n > 0) {
			vrt__cpu_sync(w->pods[i]);
			reschedule(w->pods[i]);
		}
	}
	return 0;
}

/* Brings vwork and the accounting up to now. */
void vrt__cpu_sync(vrt_pod_t *pod)
{
	vcpu_t *c = &pod->cpu;
	des_time_t now = des_now(pod->w->des);
	if (c->n > 0 && now > c->last) {
		des_time_t dt = now - c->last;
		double run = (double)(pod->w->nfz ? dt - frozen_in(pod->w, c->last, now) : dt);
		c->vwork += run * rate(c);
		c->busy += dt;
		c->core_ns += run * (c->node ? c->alloc : demand(c));
	}
	c->last = now;
}

static void on_done(des_t *des, void *user);

static void reschedule(vrt_pod_t *pod)
{
	vcpu_t *c = &pod->cpu;
	des_t *des = pod->w->des;
	des_cancel(des, c->ev);
	c->ev = DES_EVENT_NULL;
	if (c->n == 0) {
		c->vwork = 0;
		return;
	}
	double left = (c->heap[0].tag - c->vwork) / rate(c);
	des_time_t at;
	if (pod->w->nfz > 0 && left < 1e15) {
		at = freeze_finish(pod->w, des_now(des), left);
	} else {
		des_time_t dt = left <= 0 ? 0 : (des_time_t)ceil(left - 1e-6);
		at = des_now(des) + (dt < 0 ? 0 : dt);
	}
	des_schedule_full(des, at, DES_PRIO_DEFAULT, "vrt.cpu", on_done, pod, &c->ev);
}

/* ---- nodes --------------------------------------------------------------- */

static void node_sync(vrt_node_t *nd)
{
	for (size_t i = 0; i < nd->nbusy; i++)
		vrt__cpu_sync(nd->busy[i]);
}

/* Room for one more busy pod (before anything changes). */
static int node_reserve(vrt_node_t *nd)
{
	if (nd->nbusy < nd->cap)
		return 0;
	size_t cap = nd->cap ? 2 * nd->cap : 16;
	vrt_pod_t **nb = realloc(nd->busy, cap * sizeof *nb);
	if (!nb)
		return VRT_ENOMEM;
	nd->busy = nb;
	size_t *no = realloc(nd->order, cap * sizeof *no);
	if (!no)
		return VRT_ENOMEM;
	nd->order = no;
	nd->cap = cap;
	return 0;
}

static void node_busy_remove(vrt_node_t *nd, vrt_pod_t *pod)
{
	for (size_t i = 0; i < nd->nbusy; i++) {
		if (nd->busy[i] == pod) {
			memmove(nd->busy + i, nd->busy + i + 1,
			        (nd->nbusy - i - 1) * sizeof *nd->busy);
			nd->nbusy--;
			return;
		}
	}
}

/* Recomputes the node's shares (every busy pod synced to now) and moves
 * the events of the pods whose share changed, and of |changed| (its jobs
 * changed, so its next completion did) if not NULL. */
static void node_share(vrt_node_t *nd, vrt_pod_t *changed)
{
	size_t b = nd->nbusy;
	double sum = 0;
	for (size_t i = 0; i < b; i++)
		sum += demand(&nd->busy[i]->cpu);
	double left = nd->cores, wl = 0;
	size_t k = b;
	if (sum > nd->cores) {
		/* Water-filling: ascending demand / weight (insertion sort,
		 * stable, so ties keep the busy order); a pod whose demand is
		 * within its weighted fair share of what is left gets it. */
		for (size_t i = 0; i < b; i++) {
			const vcpu_t *c = &nd->busy[i]->cpu;
			double key = demand(c) / c->weight;
			size_t j = i;
			while (j > 0) {
				const vcpu_t *o = &nd->busy[nd->order[j - 1]]->cpu;
				if (!(demand(o) / o->weight > key))
					break;
				nd->order[j] = nd->order[j - 1];
				j--;
			}
			nd->order[j] = i;
			wl += c->weight;
		}
		for (k = 0; k < b; k++) {
			const vcpu_t *c = &nd->busy[nd->order[k]]->cpu;
			double d = demand(c);
			if (!(d * wl <= left * c->weight))
				break;
			left -= d;
			wl -= c->weight;
		}
	}
	/* Uncontended: every pod gets its demand, in busy order. Contended:
	 * order[0..k) their demand, order[k..b) left * weight / wl. */
	for (size_t m = 0; m < b; m++) {
		size_t i = sum > nd->cores ? nd->order[m] : m;
		vrt_pod_t *p = nd->busy[i];
		vcpu_t *c = &p->cpu;
		double next = m < k ? demand(c) : left * c->weight / wl;
		if (p == changed || next != c->alloc) {
			c->alloc = next;
			reschedule(p);
		}
	}
	if (changed && changed->cpu.n == 0) {
		changed->cpu.alloc = 0;
		reschedule(changed);
	}
}

vrt_node_t *vrt_node_new(vrt_world_t *w, const char *name, double cores)
{
	if (!w || !name || !(cores > 0) || !isfinite(cores))
		return NULL;
	if (w->nnodes == w->capnodes) {
		size_t cap = w->capnodes ? 2 * w->capnodes : 8;
		vrt_node_t **nn = realloc(w->nodes, cap * sizeof *nn);
		if (!nn)
			return NULL;
		w->nodes = nn;
		w->capnodes = cap;
	}
	vrt_node_t *nd = calloc(1, sizeof *nd);
	if (!nd || !(nd->name = strdup(name))) {
		free(nd);
		return NULL;
	}
	nd->w = w;
	nd->cores = cores;
	w->nodes[w->nnodes++] = nd;
	return nd;
}

void vrt__node_free(vrt_node_t *nd)
{
	free(nd->busy);
	free(nd->order);
	free(nd->name);
	free(nd);
}

const char *vrt_node_name(const vrt_node_t *nd) { return nd->name; }
double vrt_node_cores(const vrt_node_t *nd) { return nd->cores; }

double vrt_node_used(const vrt_node_t *nd)
{
	double s = 0;
	for (size_t i = 0; i < nd->nbusy; i++)
		s += nd->busy[i]->cpu.alloc;
	return s;
}

vrt_node_t *vrt_pod_node(const vrt_pod_t *pod) { return pod->cpu.node; }

double vrt_pod_cpu_rate(vrt_pod_t *pod)
{
	const vcpu_t *c = &pod->cpu;
	if (c->n == 0)
		return 0;
	return c->node ? c->alloc : demand(c);
}

int vrt_pod_set_node(vrt_pod_t *pod, vrt_node_t *node, double weight)
{
	if (!pod)
		return VRT_EINVAL;
	if (node && (node->w != pod->w || !(weight > 0) || !isfinite(weight)))
		return VRT_EINVAL;
	if (node && (pod->state == VRT_POD_DEAD || pod->state == VRT_POD_FAILED))
		return VRT_ESTATE;
	vcpu_t *c = &pod->cpu;
	vrt_node_t *old = c->node;
	if (node && node != old && c->n > 0 && node_reserve(node) != 0)
		return VRT_ENOMEM;
	/* Everyone affected up to now at the old rates, then re-shared. */
	if (old)
		node_sync(old);
	vrt__cpu_sync(pod);
	if (node && node != old)
		node_sync(node);
	if (old && old != node && c->n > 0)
		node_busy_remove(old, pod);
	if (node && node != old && c->n > 0)
		node->busy[node->nbusy++] = pod;
	c->node = node;
	c->weight = node ? weight : 0;
	if (pod->w->trace)
		vrt__trace(pod->w, "pod %s node %s weight=%g", pod->name,
		           node ? node->name : "-", c->weight);
	if (old && old != node)
		node_share(old, NULL);
	if (node) {
		node_share(node, pod);
	} else {
		c->alloc = 0;
		reschedule(pod);
	}
	return 0;
}

/* ---- jobs ------------------------------------------------------------------ */

int vrt__cpu_add(vrt_pod_t *pod, vrpc_t *r, double demand_ns)
{
	vcpu_t *c = &pod->cpu;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		vjob_t *nh = realloc(c->heap, cap * sizeof *nh);
		if (!nh)
			return VRT_ENOMEM;
		c->heap = nh;
		c->cap = cap;
	}
	vrt_node_t *nd = c->node;
	if (nd && c->n == 0 && node_reserve(nd) != 0)
		return VRT_ENOMEM;
	if (freeze_maybe(pod, demand_ns) != 0)
		return VRT_ENOMEM;
	if (nd)
		node_sync(nd);
	vrt__cpu_sync(pod);
	if (!(demand_ns >= 0))
		demand_ns = 0;
	c->heap[c->n] = (vjob_t){c->vwork + demand_ns, c->seq++, r};
	heap_up(c->heap, c->n);
	if (c->n++ == 0)
		c->busy_seq++;
	if (nd) {
		if (c->n == 1)
			nd->busy[nd->nbusy++] = pod;
		node_share(nd, pod);
	} else {
		reschedule(pod);
	}
	return 0;
}

/* Jobs whose tags are within this much of vwork finish together (the
 * event time was rounded up to the ns, so they are done). */
#define TAG_EPS 1e-3

static void on_done(des_t *des, void *user)
{
	vrt_pod_t *pod = user;
	vcpu_t *c = &pod->cpu;
	(void)des;
	c->ev = DES_EVENT_NULL;
	if (c->node)
		node_sync(c->node);
	vrt__cpu_sync(pod);
	if (c->n == 0)
		return;
	if (c->vwork < c->heap[0].tag)
		c->vwork = c->heap[0].tag; /* rounding: this event is its end */
	/* Pop every finished job first, then dispatch them in tag order: the
	 * handlers may add jobs to this CPU (through the network, so later)
	 * and must see it consistent. */
	vjob_t small[8];
	vjob_t *done = small;
	size_t nd = 0, capd = 8;
	while (c->n > 0 && c->heap[0].tag <= c->vwork + TAG_EPS) {
		if (nd == capd) {
			vjob_t *nd_ = malloc(2 * capd * sizeof *nd_);
			if (!nd_)
				break; /* the rest finish in the next event */
			for (size_t i = 0; i < nd; i++)
				nd_[i] = done[i];
			if (done != small)
				free(done);
			done = nd_;
			capd *= 2;
		}
		done[nd++] = c->heap[0];
		c->n--;
		if (c->n > 0) {
			c->heap[0] = c->heap[c->n];
			heap_down(c->heap, c->n, 0);
		}
	}
	c->jobs += nd;
	if (c->n == 0)
		c->idle_since = des_now(pod->w->des);
	if (c->node) {
		if (c->n == 0)
			node_busy_remove(c->node, pod);
		node_share(c->node, pod);
	} else {
		reschedule(pod);
	}
	for (size_t i = 0; i < nd; i++) {
		if (done[i].rpc->ccpu)
			vrt__rpc_client_cpu_done(done[i].rpc);
		else
			vrt__rpc_cpu_done(done[i].rpc);
	}
	if (done != small)
		free(done);
}

static int by_seq(const void *a, const void *b)
{
	uint64_t x = ((const vjob_t *)a)->seq, y = ((const vjob_t *)b)->seq;
	return x < y ? -1 : x > y;
}

void vrt__cpu_drop_all(vrt_pod_t *pod)
{
	vcpu_t *c = &pod->cpu;
	if (c->node)
		node_sync(c->node);
	vrt__cpu_sync(pod);
	des_cancel(pod->w->des, c->ev);
	c->ev = DES_EVENT_NULL;
	/* In arrival order, so what the clients see does not depend on the
	 * heap's layout. */
	size_t n = c->n;
	vjob_t *jobs = c->heap;
	if (n > 1)
		qsort(jobs, n, sizeof *jobs, by_seq);
	c->heap = NULL;
	c->n = c->cap = 0;
	c->vwork = 0;
	if (c->node) {
		/* Its share goes back to the node's other pods. */
		if (n > 0)
			node_busy_remove(c->node, pod);
		node_share(c->node, pod);
	}
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].rpc->ccpu)
			vrt__rpc_client_cpu_dropped(jobs[i].rpc);
		else
			vrt__rpc_cpu_dropped(jobs[i].rpc);
	}
	free(jobs);
}

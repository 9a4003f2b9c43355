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
 */
#include <math.h>
#include <stdlib.h>

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

static double rate(const vcpu_t *c)
{
	return (double)c->n <= c->cores ? 1.0 : c->cores / (double)c->n;
}

/* Brings vwork and the accounting up to now. */
void vrt__cpu_sync(vrt_pod_t *pod)
{
	vcpu_t *c = &pod->cpu;
	des_time_t now = des_now(pod->w->des);
	if (c->n > 0 && now > c->last) {
		des_time_t dt = now - c->last;
		c->vwork += (double)dt * rate(c);
		c->busy += dt;
		c->core_ns += (double)dt *
		              ((double)c->n < c->cores ? (double)c->n : c->cores);
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
	des_time_t dt = left <= 0 ? 0 : (des_time_t)ceil(left - 1e-6);
	if (dt < 0)
		dt = 0;
	des_schedule_full(des, des_now(des) + dt, DES_PRIO_DEFAULT, "vrt.cpu",
	                  on_done, pod, &c->ev);
}

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
	vrt__cpu_sync(pod);
	if (!(demand_ns >= 0))
		demand_ns = 0;
	c->heap[c->n] = (vjob_t){c->vwork + demand_ns, c->seq++, r};
	heap_up(c->heap, c->n);
	c->n++;
	reschedule(pod);
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
	reschedule(pod);
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
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].rpc->ccpu)
			vrt__rpc_client_cpu_dropped(jobs[i].rpc);
		else
			vrt__rpc_cpu_dropped(jobs[i].rpc);
	}
	free(jobs);
}

/* tools/linkprobe.c — the loopback hop probe (linkprobe.h). */
#include "linkprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What the probe writes on its pipe: one record. */
typedef struct lp_msg {
	int ok;
	char err[200];
	lp_result_t r;
} lp_msg_t;

static const double lp_quantiles[] = {0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999};
#define LP_NQ (sizeof lp_quantiles / sizeof *lp_quantiles)
#define LP_TOP 5 /* the largest samples kept as they are */
/* The bands' bounds on the receiver's sleep, in us: the sender's gaps
 * (exponential, mean 2 ms at 500/s) put 5-40 % of the messages in each. */
static const double lp_bounds[LP_MAX_BANDS - 1] = {100, 300, 1000, 3000};

static long long mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* Appends (q, us) to |b| unless q is not above its last point; |us| is
 * raised to the last point's so the table never falls. */
static void push_point(lp_band_t *b, double q, double us)
{
	if (b->npoints && q <= b->q[b->npoints - 1])
		return;
	if (us < 0)
		us = 0;
	if (b->npoints && us < b->us[b->npoints - 1])
		us = b->us[b->npoints - 1];
	b->q[b->npoints] = q;
	b->us[b->npoints] = us;
	b->npoints++;
}

/* The band's quantile points: its body (up to its 99th percentile, each
 * quantile with LP_TOP of its |n| sorted one-way times |d| above it) from
 * its own messages; its tail from every message (|all|, |na| sorted), the
 * fixed quantiles above the body and then the LP_TOP largest at their own
 * empirical quantiles ((na - k + 1) / na for the k-th largest, 1 for the
 * largest), so that each rare long wait keeps its weight.
 *
 * Why the tail is shared: the long waits are the whole VM stalling (the
 * host runs another guest), whatever the receiver slept; and a stall
 * shortens the probe's next sleep (its receiver woke late), so a band's
 * own tail over-samples them in the shortest-sleep band (2 of 232
 * messages at 3-8 ms there, 1 in 5000 in the others, at 03:11). And why
 * not one segment from the body's last point up to the largest: that
 * spread the 5 % above 0.95 evenly up to 8 ms in a band of 306.
 * A scheduler's record of the shop's own wake-ups (LP_SCHED) has no such
 * bias: each band's tail is its own (|all| is |d|). */
static void band_points(lp_band_t *b, const long long *d, size_t n, const long long *all,
                        size_t na, double floor_us)
{
	b->n = n;
	b->median_us = (double)d[(n - 1) / 2] / 1e3;
	b->npoints = 0;
	for (size_t i = 0; i < LP_NQ && lp_quantiles[i] <= 0.99; i++) {
		double q = lp_quantiles[i];
		if ((1 - q) * (double)n < LP_TOP)
			break; /* fewer than LP_TOP samples above it: not resolved */
		push_point(b, q, (double)d[(size_t)llround(q * (double)(n - 1))] / 1e3 - floor_us);
	}
	size_t top = na < LP_TOP ? na : LP_TOP;
	double qtop = (double)(na - top + 1) / (double)na;
	for (size_t i = 0; i < LP_NQ && lp_quantiles[i] < qtop; i++) {
		size_t at = (size_t)llround(lp_quantiles[i] * (double)(na - 1));
		if (at > na - top)
			at = na - top;
		push_point(b, lp_quantiles[i], (double)all[at] / 1e3 - floor_us);
	}
	for (size_t k = top; k >= 1; k--)
		push_point(b, k == 1 ? 1 : (double)(na - k + 1) / (double)na,
		           (double)all[na - k] / 1e3 - floor_us);
}

int lp_summarise(const lp_sample_t *d, size_t n, lp_source_t src, lp_result_t *r)
{
	memset(r, 0, sizeof *r);
	if (n == 0)
		return 0;
	long long *v = malloc(n * sizeof *v), *all = malloc(n * sizeof *all);
	if (!v || !all) {
		free(v);
		free(all);
		return -1;
	}
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		all[i] = d[i].d;
		sum += (double)d[i].d;
	}
	qsort(all, n, sizeof *all, cmp_ll);
	r->n = n;
	r->floor_us = src == LP_PROBE ? (double)all[(n - 1) / 100] / 1e3 : 0;
	r->median_us = (double)all[(n - 1) / 2] / 1e3;
	r->p99_us = (double)all[(n - 1) * 99 / 100] / 1e3;
	r->mean_us = sum / (double)n / 1e3;
	r->max_us = (double)all[n - 1] / 1e3;
	/* The bands, shortest sleep first; a band too thin to resolve its
	 * tail joins the next (the last takes whatever is left). */
	double lo = 0;
	for (size_t b = 0; b < LP_MAX_BANDS; b++) {
		int last = b + 1 == LP_MAX_BANDS;
		double hi = last ? INFINITY : lp_bounds[b];
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			double slept = (double)d[i].slept / 1e3;
			if (slept >= lo && slept < hi)
				v[k++] = d[i].d;
		}
		if (!last && k < LP_MIN_BAND)
			continue; /* keep |lo|: these go to the next band */
		if (k == 0)
			break;
		qsort(v, k, sizeof *v, cmp_ll);
		lp_band_t *bd = &r->band[r->nbands++];
		if (src == LP_PROBE)
			band_points(bd, v, k, all, n, r->floor_us);
		else
			band_points(bd, v, k, v, k, 0);
		bd->slept_below_us = last ? 0 : hi;
		lo = hi;
	}
	if (r->nbands)
		r->band[r->nbands - 1].slept_below_us = 0; /* the last is unbounded */
	free(v);
	free(all);
	return 0;
}

/* xorshift64*: the sender's gaps need no quality beyond not beating. */
static double unit(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (double)((*s * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void die_with_parent(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

static void sender(const struct sockaddr_in *a, double seconds, double rate)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (const struct sockaddr *)a, sizeof *a) != 0)
		_exit(1);
	int one = 1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	long long end = mono_ns() + (long long)(seconds * 1e9);
	for (size_t i = 0; i < LP_MAX_SAMPLES; i++) {
		double gap = -log(1 - unit(&seed)) / rate;
		if (gap > 1)
			gap = 1;
		struct timespec ts = {(time_t)gap, (long)((gap - floor(gap)) * 1e9)};
		nanosleep(&ts, NULL);
		long long t = mono_ns();
		if (t >= end)
			break;
		if (write(s, &t, sizeof t) != (ssize_t)sizeof t)
			_exit(1);
	}
	close(s);
	_exit(0);
}

static int fail_msg(lp_msg_t *m, const char *what)
{
	snprintf(m->err, sizeof m->err, "link probe: %s: %s", what, strerror(errno));
	return -1;
}

/* The child's work: returns 0 with m->r set, or -1 with m->err. */
static int receiver(lp_msg_t *m, double seconds, double rate)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &al) != 0 || listen(l, 1) != 0)
		return fail_msg(m, "cannot listen on 127.0.0.1");
	pid_t me = getpid();
	pid_t s = fork();
	if (s < 0)
		return fail_msg(m, "fork");
	if (s == 0) {
		die_with_parent(me);
		close(l);
		sender(&a, seconds, rate);
	}
	size_t cap = (size_t)fmin(LP_MAX_SAMPLES, seconds * rate * 1.5 + 1000);
	lp_sample_t *d = malloc(cap * sizeof *d);
	int rc = -1;
	struct pollfd pl = {l, POLLIN, 0};
	int c = -1;
	if (!d) {
		snprintf(m->err, sizeof m->err, "link probe: out of memory");
		goto out;
	}
	if (poll(&pl, 1, 5000) != 1 || (c = accept(l, NULL, NULL)) < 0) {
		snprintf(m->err, sizeof m->err, "link probe: the sender did not connect");
		goto out;
	}
	size_t n = 0;
	unsigned char buf[4096];
	size_t have = 0;
	long long awake = 0; /* when this process last went back to poll() */
	long long deadline = mono_ns() + (long long)((seconds + 5) * 1e9);
	for (;;) {
		long long left = (deadline - mono_ns()) / 1000000;
		if (left <= 0)
			break;
		struct pollfd pc = {c, POLLIN, 0};
		int pr = poll(&pc, 1, (int)fmin(left, 1000));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			break;
		if (pr == 0)
			continue;
		ssize_t got = read(c, buf + have, sizeof buf - have);
		long long at = mono_ns();
		if (got <= 0)
			break;
		have += (size_t)got;
		size_t k = 0;
		for (; k + 8 <= have; k += 8) {
			long long t;
			memcpy(&t, buf + k, sizeof t);
			/* Only a message sent to a sleeping receiver is a
			 * wake-up: one sent before it had read the previous
			 * one (a stall held both) rode that wake-up, as the
			 * simulator has it. */
			if (n < cap && at >= t && awake > 0 && t > awake)
				d[n++] = (lp_sample_t){at - t, t - awake};
		}
		memmove(buf, buf + k, have - k);
		have -= k;
		awake = mono_ns();
	}
	int st = 0;
	waitpid(s, &st, 0);
	s = 0;
	if (n < 100) {
		snprintf(m->err, sizeof m->err,
		         "link probe: only %zu messages arrived (need 100)", n);
		goto out;
	}
	if (lp_summarise(d, n, LP_PROBE, &m->r) != 0) {
		snprintf(m->err, sizeof m->err, "link probe: out of memory");
		goto out;
	}
	rc = 0;
out:
	if (s > 0) {
		kill(s, SIGKILL);
		waitpid(s, NULL, 0);
	}
	if (c >= 0)
		close(c);
	close(l);
	free(d);
	return rc;
}

int lp_start(lp_probe_t *p, double seconds, double rate_hz, char *err, size_t errsize)
{
	p->pid = 0;
	p->fd = -1;
	if (!(seconds >= 0.1 && seconds <= 3600) || !(rate_hz >= 1 && rate_hz <= 10000)) {
		snprintf(err, errsize, "link probe: %g s at %g/s: the duration must be from "
		                       "0.1 to 3600 s and the rate from 1 to 10000 a second",
		         seconds, rate_hz);
		return -1;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, errsize, "link probe: pipe: %s", strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errsize, "link probe: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		die_with_parent(parent);
		close(fds[0]);
		signal(SIGPIPE, SIG_IGN);
		lp_msg_t m = {0};
		m.ok = receiver(&m, seconds, rate_hz) == 0;
		ssize_t w = write(fds[1], &m, sizeof m);
		_exit(w == (ssize_t)sizeof m ? 0 : 1);
	}
	close(fds[1]);
	p->pid = pid;
	p->fd = fds[0];
	p->seconds = seconds;
	p->start_ns = mono_ns();
	return 0;
}

void lp_kill(lp_probe_t *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	if (p->fd >= 0)
		close(p->fd);
	p->pid = 0;
	p->fd = -1;
}

int lp_finish(lp_probe_t *p, lp_result_t *r, double timeout_s, char *err, size_t errsize)
{
	lp_msg_t m;
	size_t have = 0;
	long long deadline = p->start_ns + (long long)((p->seconds + timeout_s) * 1e9);
	int rc = -1;
	if (p->pid <= 0 || p->fd < 0) {
		snprintf(err, errsize, "link probe: not running");
		return -1;
	}
	while (have < sizeof m) {
		long long left = (deadline - mono_ns()) / 1000000;
		struct pollfd pf = {p->fd, POLLIN, 0};
		int pr = left > 0 ? poll(&pf, 1, (int)fmin(left, 1000)) : 0;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0 && left > 0)
			continue;
		if (pr <= 0) {
			snprintf(err, errsize, "link probe: no result within %g s", p->seconds + timeout_s);
			goto out;
		}
		ssize_t got = read(p->fd, (char *)&m + have, sizeof m - have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			snprintf(err, errsize, "link probe: it ended without a result");
			goto out;
		}
		have += (size_t)got;
	}
	if (!m.ok) {
		m.err[sizeof m.err - 1] = 0;
		snprintf(err, errsize, "%s", m.err);
		goto out;
	}
	*r = m.r;
	rc = 0;
out:
	lp_kill(p);
	return rc;
}

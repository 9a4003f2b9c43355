/* tools/schedwake.c — wake-ups from `perf sched timehist --state` (schedwake.h). */
#include "schedwake.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SW_COMM 15           /* the kernel's TASK_COMM_LEN - 1 */
#define SW_LINE_MAX 65536    /* sw_read's longest line */
#define SW_MAX_MS 3600000.0  /* an hour: beyond it a figure is not a record's */
#define SW_MAX_CPU 65535     /* CPU numbers above it are not a machine's */
#define SW_MAX_S 1e9         /* 31 years: a later timestamp is not an uptime */

const char *const sw_shop_names[] = {
	"frontend", "productcatalogservice", "currencyservice", "cartservice",
	"recommendationservice", "shippingservice", "checkoutservice", "paymentservice",
	"emailservice", "adservice", "business", "loadgenerator", NULL};

/* A task's state when it last left the CPU (0: not seen). */
typedef struct sw_task {
	int tid; /* 0: empty slot */
	char state;
} sw_task_t;

/* What the record says of one CPU. */
typedef struct sw_cpu {
	int idle;        /* its idle task has a line: its runs' times are exact */
	size_t wakeups;  /* wake-ups kept on it */
	size_t stalls;   /* runs of a chosen task of stall_ns or more that were
	                  * not wake-ups (after R, D, ...) */
	long long busy;  /* ns the chosen tasks ran on it, stalls left out */
} sw_cpu_t;

/* A kept wake-up: the sample, and where and how long the task then ran;
 * or a stall: its end (the record's time, ns), how long and where. */
typedef struct sw_wake {
	lp_sample_t s;
	long long run;
	int cpu;
	long long at;
} sw_wake_t;

struct sw_reader {
	char *file;
	char (*names)[SW_COMM + 1];
	size_t nnames;
	long long stall_ns;
	sw_task_t *tasks; /* open addressing, linear probing */
	size_t cap, ntasks;
	sw_cpu_t *cpus;   /* by CPU number */
	size_t ncpus;
	sw_wake_t *w;     /* the wake-ups kept, in the record's order */
	size_t n, wcap;
	sw_wake_t *sl;    /* the stalls (run = length), wake-ups or not */
	size_t nsl, slcap;
	long long *lens;  /* sw_stall_lengths' and sw_freezes' answer */
	long long first, last; /* the record's earliest and latest time (ns) */
	lp_sample_t *out; /* sw_samples' answer */
	sw_stats_t st;
};

sw_reader_t *sw_new(const char *file, const char *const *names, size_t nnames)
{
	if (nnames > SW_MAX_NAMES)
		return NULL;
	sw_reader_t *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->file = strdup(file ? file : "-");
	r->names = nnames ? calloc(nnames, sizeof *r->names) : NULL;
	r->cap = 256;
	r->tasks = calloc(r->cap, sizeof *r->tasks);
	if (!r->file || (nnames && !r->names) || !r->tasks) {
		sw_free(r);
		return NULL;
	}
	for (size_t i = 0; i < nnames; i++)
		snprintf(r->names[i], sizeof r->names[i], "%s", names[i]);
	r->nnames = nnames;
	r->stall_ns = SW_STALL_NS;
	return r;
}

void sw_free(sw_reader_t *r)
{
	if (!r)
		return;
	free(r->file);
	free(r->names);
	free(r->tasks);
	free(r->cpus);
	free(r->w);
	free(r->sl);
	free(r->lens);
	free(r->out);
	free(r);
}

void sw_set_stall(sw_reader_t *r, long long stall_ns)
{
	r->stall_ns = stall_ns > 0 ? stall_ns : 0;
}

/* Whether the wake-ups on |cpu| are read: it has idle lines, or no CPU
 * of the record has (then none can be told apart, and all are kept). */
static int cpu_read(const sw_reader_t *r, int cpu, int any_idle)
{
	return !any_idle || ((size_t)cpu < r->ncpus && r->cpus[cpu].idle);
}

static int any_idle(const sw_reader_t *r)
{
	for (size_t i = 0; i < r->ncpus; i++)
		if (r->cpus[i].idle)
			return 1;
	return 0;
}

/* A stall: a run of stall_ns or more on a CPU whose runs are exact (one
 * that is read while some CPU has idle lines). */
static int stalled(const sw_reader_t *r, int cpu, long long run, int anyi)
{
	return r->stall_ns > 0 && run >= r->stall_ns && anyi && cpu_read(r, cpu, anyi);
}

const lp_sample_t *sw_samples(sw_reader_t *r, size_t *n)
{
	int anyi = any_idle(r);
	free(r->out);
	r->out = r->n ? malloc(r->n * sizeof *r->out) : NULL;
	*n = 0;
	if (!r->out)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		const sw_wake_t *w = &r->w[i];
		if (!cpu_read(r, w->cpu, anyi))
			continue;
		r->out[(*n)++] = w->s;
	}
	return r->out;
}

void sw_stats(const sw_reader_t *r, sw_stats_t *st)
{
	*st = r->st;
	st->tasks = r->ntasks;
	int anyi = any_idle(r);
	for (size_t i = 0; i < r->n; i++) {
		const sw_wake_t *w = &r->w[i];
		if (!cpu_read(r, w->cpu, anyi))
			st->unread++;
		else if (stalled(r, w->cpu, w->run, anyi))
			st->stalls++;
	}
	for (size_t i = 0; i < r->ncpus; i++) {
		if (!r->cpus[i].wakeups && !r->cpus[i].stalls && !r->cpus[i].idle)
			continue;
		st->cpus++;
		if (cpu_read(r, (int)i, anyi)) {
			if (anyi) /* cpus[].stalls counts only when stall_ns > 0 */
				st->stalls_running += r->cpus[i].stalls;
		} else {
			st->cpus_unread++;
		}
	}
}

const long long *sw_stall_lengths(sw_reader_t *r, size_t *n, long long *busy_ns)
{
	int anyi = any_idle(r);
	*n = 0;
	*busy_ns = 0;
	free(r->lens);
	r->lens = NULL;
	if (!anyi || r->stall_ns == 0)
		return NULL;
	for (size_t i = 0; i < r->ncpus; i++)
		if (r->cpus[i].idle)
			*busy_ns += r->cpus[i].busy;
	r->lens = r->nsl ? malloc(r->nsl * sizeof *r->lens) : NULL;
	if (!r->lens)
		return NULL;
	for (size_t i = 0; i < r->nsl; i++)
		if (stalled(r, r->sl[i].cpu, r->sl[i].run, anyi))
			r->lens[(*n)++] = r->sl[i].run;
	return r->lens;
}

static int by_start(const void *a, const void *b)
{
	const long long *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

const long long *sw_freezes(sw_reader_t *r, long long gap_ns, size_t *n, long long *span_ns)
{
	int anyi = any_idle(r);
	*n = 0;
	*span_ns = r->st.lines_timed ? r->last - r->first : 0;
	free(r->lens);
	r->lens = NULL;
	if (!anyi || r->stall_ns == 0 || r->nsl == 0)
		return NULL;
	/* The stalls read, as [start, end) pairs by start. */
	long long *iv = malloc(2 * r->nsl * sizeof *iv);
	if (!iv)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < r->nsl; i++) {
		if (!stalled(r, r->sl[i].cpu, r->sl[i].run, anyi))
			continue;
		iv[2 * k] = r->sl[i].at - r->sl[i].run;
		iv[2 * k + 1] = r->sl[i].at;
		k++;
	}
	qsort(iv, k, 2 * sizeof *iv, by_start);
	r->lens = k ? malloc(k * sizeof *r->lens) : NULL;
	if (!r->lens) {
		free(iv);
		return NULL;
	}
	/* Merged while the next starts less than gap_ns after the end so far. */
	for (size_t i = 0; i < k;) {
		long long s = iv[2 * i], e = iv[2 * i + 1];
		for (i++; i < k && iv[2 * i] - e < gap_ns; i++)
			if (iv[2 * i + 1] > e)
				e = iv[2 * i + 1];
		r->lens[(*n)++] = e - s;
	}
	free(iv);
	return r->lens;
}

/* The CPU |cpu|'s entry, the table grown to hold it; NULL when out of memory. */
static sw_cpu_t *cpu_of(sw_reader_t *r, int cpu)
{
	if ((size_t)cpu >= r->ncpus) {
		size_t n = r->ncpus ? r->ncpus : 8;
		while (n <= (size_t)cpu)
			n *= 2;
		sw_cpu_t *c = realloc(r->cpus, n * sizeof *c);
		if (!c)
			return NULL;
		memset(c + r->ncpus, 0, (n - r->ncpus) * sizeof *c);
		r->cpus = c;
		r->ncpus = n;
	}
	return &r->cpus[cpu];
}

static size_t slot_of(const sw_task_t *t, size_t cap, int tid)
{
	size_t i = ((uint32_t)tid * 2654435761u) & (cap - 1);
	while (t[i].tid && t[i].tid != tid)
		i = (i + 1) & (cap - 1);
	return i;
}

/* The task |tid|'s entry, created (state 0) if new; NULL when out of memory. */
static sw_task_t *task(sw_reader_t *r, int tid)
{
	if ((r->ntasks + 1) * 2 > r->cap) {
		size_t cap = r->cap * 2;
		sw_task_t *t = calloc(cap, sizeof *t);
		if (!t)
			return NULL;
		for (size_t i = 0; i < r->cap; i++)
			if (r->tasks[i].tid)
				t[slot_of(t, cap, r->tasks[i].tid)] = r->tasks[i];
		free(r->tasks);
		r->tasks = t;
		r->cap = cap;
	}
	size_t i = slot_of(r->tasks, r->cap, tid);
	if (!r->tasks[i].tid) {
		r->tasks[i].tid = tid;
		r->ntasks++;
	}
	return &r->tasks[i];
}

static int chosen(const sw_reader_t *r, const char *name, size_t len)
{
	if (!r->nnames)
		return 1;
	for (size_t i = 0; i < r->nnames; i++)
		if (strlen(r->names[i]) == len && memcmp(r->names[i], name, len) == 0)
			return 1;
	return 0;
}

/* A token: [*p, end) up to the next blank. */
typedef struct tok {
	const char *s;
	size_t len;
} tok_t;

/* A non-negative decimal ("12.345") of units of |unit_ns| as ns: 0, or -1
 * when |t| is not one (or is above |max| units). */
static int dec_ns(tok_t t, double unit_ns, double max, long long *ns)
{
	char buf[32];
	if (t.len == 0 || t.len >= sizeof buf)
		return -1;
	for (size_t i = 0; i < t.len; i++)
		if (!isdigit((unsigned char)t.s[i]) && t.s[i] != '.')
			return -1;
	memcpy(buf, t.s, t.len);
	buf[t.len] = 0;
	char *end;
	errno = 0;
	double v = strtod(buf, &end);
	if (errno || *end || !(v >= 0) || v > max)
		return -1;
	*ns = llround(v * unit_ns);
	return 0;
}

/* Milliseconds (perf's wait, delay and run; at most SW_MAX_MS) as ns. */
static int ms_ns(tok_t t, long long *ns) { return dec_ns(t, 1e6, SW_MAX_MS, ns); }

/* Seconds (perf's timestamp; at most SW_MAX_S) as ns. */
static int s_ns(tok_t t, long long *ns) { return dec_ns(t, 1e9, SW_MAX_S, ns); }

/* Appends |x| to the array |*a| (|*n| used of |*cap|). 0, or -1 when out
 * of memory. */
static int push(sw_wake_t **a, size_t *n, size_t *cap, sw_wake_t x)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		sw_wake_t *b = realloc(*a, c * sizeof *b);
		if (!b)
			return -1;
		*a = b;
		*cap = c;
	}
	(*a)[(*n)++] = x;
	return 0;
}

/* The idle task ran on |cpu|: its runs' times are exact. 0, or -1 when
 * out of memory. */
static int idle_seen(sw_reader_t *r, int cpu, char *err, size_t errsize)
{
	sw_cpu_t *c = cpu_of(r, cpu);
	if (!c) {
		snprintf(err, errsize, "%s:%zu: out of memory", r->file, r->st.lines);
		return -1;
	}
	c->idle = 1;
	return 0;
}

#define BAD(...)                                                                   \
	do {                                                                       \
		char why_[200];                                                    \
		snprintf(why_, sizeof why_, __VA_ARGS__);                          \
		snprintf(err, errsize, "%s:%zu: %s", r->file, r->st.lines, why_); \
		return -1;                                                         \
	} while (0)

int sw_feed(sw_reader_t *r, const char *line, size_t len, char *err, size_t errsize)
{
	r->st.lines++;
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	const char *p = line, *end = line + len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	/* Only a line that starts with a timestamp is a run. */
	if (p == end || !isdigit((unsigned char)*p))
		return 0;
	const char *ts = p;
	while (p < end && (isdigit((unsigned char)*p) || *p == '.'))
		p++;
	if (p < end && *p != ' ' && *p != '\t')
		return 0; /* not a timestamp ("1 sample lost"...): not a run */
	if (!memchr(ts, '.', (size_t)(p - ts)))
		return 0;
	tok_t tt = {ts, (size_t)(p - ts)};
	/* -w's wake-up and -M's migration events: not runs. */
	for (const char *c = p; c + 10 <= end; c++)
		if (c[0] == ' ' && (!memcmp(c, " awakened:", 10) || !memcmp(c, " migrated:", 10)))
			return 0;
	/* The last four tokens: WAIT SCH-DELAY RUN STATE. */
	tok_t t[4];
	const char *q = end;
	for (int i = 3; i >= 0; i--) {
		while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		const char *e = q;
		while (q > p && q[-1] != ' ' && q[-1] != '\t')
			q--;
		if (q == e)
			BAD("a run needs the fields wait time, sch delay, run time and state "
			    "after the task (perf sched timehist --state)");
		t[i] = (tok_t){q, (size_t)(e - q)};
	}
	/* Between the timestamp and those: "[CPU]  COMM[TID/PID]" (COMM may
	 * hold blanks and brackets; the last "[" opens the ids). */
	const char *a = p, *b = q;
	while (a < b && (*a == ' ' || *a == '\t'))
		a++;
	while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
		b--;
	long long at;
	if (s_ns(tt, &at))
		BAD("the time: \"%.*s\" is not seconds", (int)tt.len, tt.s);
	if (r->st.lines_timed++ == 0 || at < r->first)
		r->first = at;
	if (at > r->last)
		r->last = at;
	if (a == b || *a != '[')
		BAD("the CPU: expected \"[N]\" after the timestamp");
	const char *cpu_end = memchr(a, ']', (size_t)(b - a));
	if (!cpu_end)
		BAD("the CPU: no \"]\"");
	long cpu = 0;
	if (cpu_end == a + 1)
		BAD("the CPU: \"[]\" holds no number");
	for (const char *c = a + 1; c < cpu_end; c++) {
		if (!isdigit((unsigned char)*c))
			BAD("the CPU: \"%.*s\" is not a CPU number", (int)(cpu_end + 1 - a), a);
		cpu = cpu * 10 + (*c - '0');
		if (cpu > SW_MAX_CPU)
			BAD("the CPU: above %d", SW_MAX_CPU);
	}
	a = cpu_end + 1;
	while (a < b && (*a == ' ' || *a == '\t'))
		a++;
	if (a == b)
		BAD("the task: missing");
	if (b[-1] != ']')
		return idle_seen(r, (int)cpu, err, errsize); /* "<idle>": no ids */
	const char *open = NULL;
	for (const char *c = b - 1; c > a; c--)
		if (c[-1] == '[') {
			open = c - 1;
			break;
		}
	if (!open)
		BAD("the task: \"%.*s\" has a \"]\" and no \"[\"", (int)(b - a), a);
	const char *idp = open + 1;
	if (*idp == '-')
		return 0; /* a task perf lost track of (":-1[-1/PID]", exited) */
	long tid = 0;
	size_t digits = 0;
	for (; idp < b - 1 && isdigit((unsigned char)*idp); idp++, digits++) {
		tid = tid * 10 + (*idp - '0');
		if (tid > INT32_MAX)
			BAD("the task's id: too large");
	}
	if (!digits || (*idp != '/' && *idp != ']'))
		BAD("the task's id: expected \"[TID/PID]\" or \"[TID]\" after its name");
	if (tid == 0)
		return idle_seen(r, (int)cpu, err, errsize); /* however it is named */
	size_t nlen = (size_t)(open - a);
	while (nlen && (a[nlen - 1] == ' ' || a[nlen - 1] == '\t'))
		nlen--;
	if (nlen > SW_COMM)
		nlen = SW_COMM; /* perf may print more than the kernel keeps */
	long long wait, delay, run;
	if (ms_ns(t[0], &wait))
		BAD("the wait time: \"%.*s\" is not milliseconds", (int)t[0].len, t[0].s);
	if (ms_ns(t[1], &delay))
		BAD("the sch delay: \"%.*s\" is not milliseconds", (int)t[1].len, t[1].s);
	if (ms_ns(t[2], &run))
		BAD("the run time: \"%.*s\" is not milliseconds", (int)t[2].len, t[2].s);
	if (t[3].len > 2 || !isalpha((unsigned char)t[3].s[0]))
		BAD("the state: \"%.*s\" is not a task state (S, R, D, ...)", (int)t[3].len,
		    t[3].s);
	if (!chosen(r, a, nlen))
		return 0;
	r->st.runs++;
	sw_task_t *tk = task(r, (int)tid);
	if (!tk)
		BAD("out of memory");
	char prev = tk->state;
	tk->state = t[3].s[0];
	sw_cpu_t *cp = cpu_of(r, (int)cpu);
	if (!cp)
		BAD("out of memory");
	int stall = r->stall_ns > 0 && run >= r->stall_ns;
	if (stall) {
		if (r->nsl < LP_MAX_SAMPLES &&
		    push(&r->sl, &r->nsl, &r->slcap, (sw_wake_t){{0, 0}, run, (int)cpu, at}) != 0)
			BAD("out of memory");
	} else {
		cp->busy += run;
	}
	if (prev != 'S') {
		cp->stalls += stall;
		return 0;
	}
	r->st.wakeups++;
	if (r->n >= LP_MAX_SAMPLES) {
		r->st.dropped++;
		return 0;
	}
	if (push(&r->w, &r->n, &r->wcap,
	         (sw_wake_t){{delay, wait > delay ? wait - delay : 0}, run, (int)cpu, at}) != 0)
		BAD("out of memory");
	cp->wakeups++;
	return 0;
}

int sw_read(sw_reader_t *r, FILE *f, char *err, size_t errsize)
{
	char *buf = malloc(SW_LINE_MAX + 1);
	if (!buf) {
		snprintf(err, errsize, "%s: out of memory", r->file);
		return -1;
	}
	int rc = 0;
	while (fgets(buf, SW_LINE_MAX + 1, f)) {
		size_t len = strlen(buf);
		if (len == SW_LINE_MAX && buf[len - 1] != '\n' && !feof(f)) {
			snprintf(err, errsize, "%s:%zu: a line longer than %d bytes", r->file,
			         r->st.lines + 1, SW_LINE_MAX - 1);
			rc = -1;
			break;
		}
		if (sw_feed(r, buf, len, err, errsize) != 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errsize, "%s: read error: %s", r->file, strerror(errno));
		rc = -1;
	}
	free(buf);
	return rc;
}

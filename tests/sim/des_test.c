/* tests/sim/des_test.c: unit tests of sim/des/des.c (Check, fork mode). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "des.h"
#include "rng.h"

void des__set_seq_limit(des_t *des, uint64_t limit);

/* ---- a trace of fired events ------------------------------------------ */

#define TRACE_MAX 4096

typedef struct {
	int id[TRACE_MAX];
	des_time_t t[TRACE_MAX];
	int n;
} trace_t;

typedef struct {
	trace_t *tr;
	int id;
} tag_t;

static void record(des_t *des, void *user)
{
	tag_t *tag = user;
	trace_t *tr = tag->tr;
	ck_assert_int_lt(tr->n, TRACE_MAX);
	tr->id[tr->n] = tag->id;
	tr->t[tr->n] = des_now(des);
	tr->n++;
}

static void noop(des_t *des, void *user)
{
	(void)des;
	(void)user;
}

/* ---- ordering ------------------------------------------------------------ */

START_TEST(test_order_by_time)
{
	des_t *des = des_new(NULL);
	trace_t tr = {0};
	des_time_t at[] = {50, 10, 40, 20, 30};
	tag_t tags[5];
	for (int i = 0; i < 5; i++) {
		tags[i] = (tag_t){&tr, i};
		ck_assert_int_eq(des_schedule_at(des, at[i], record, &tags[i], NULL), 0);
	}
	ck_assert_uint_eq(des_count(des), 5);
	ck_assert_int_eq(des_run(des, DES_TIME_MAX), DES_RUN_EMPTY);
	int want[] = {1, 3, 4, 2, 0};
	ck_assert_int_eq(tr.n, 5);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(tr.id[i], want[i]);
		ck_assert_int_eq(tr.t[i], at[want[i]]);
	}
	ck_assert_int_eq(des_now(des), 50);
	ck_assert_uint_eq(des_events_run(des), 5);
	des_free(des);
}
END_TEST

START_TEST(test_ties_by_insertion_then_prio)
{
	des_t *des = des_new(NULL);
	trace_t tr = {0};
	tag_t tags[200];
	/* 100 events at the same time: insertion order. */
	for (int i = 0; i < 100; i++) {
		tags[i] = (tag_t){&tr, i};
		des_schedule_at(des, 7, record, &tags[i], NULL);
	}
	/* prio beats insertion order; equal prio falls back to it. */
	tags[100] = (tag_t){&tr, 100};
	tags[101] = (tag_t){&tr, 101};
	tags[102] = (tag_t){&tr, 102};
	ck_assert_int_eq(des_schedule_full(des, 7, DES_PRIO_MAX, "late", record,
	                                   &tags[100], NULL), 0);
	ck_assert_int_eq(des_schedule_full(des, 7, DES_PRIO_MIN, "early", record,
	                                   &tags[101], NULL), 0);
	ck_assert_int_eq(des_schedule_full(des, 7, DES_PRIO_MIN, "early2",
	                                   record, &tags[102], NULL), 0);
	des_run(des, DES_TIME_MAX);
	ck_assert_int_eq(tr.n, 103);
	ck_assert_int_eq(tr.id[0], 101);
	ck_assert_int_eq(tr.id[1], 102);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(tr.id[i + 2], i);
	ck_assert_int_eq(tr.id[102], 100);
	des_free(des);
}
END_TEST

START_TEST(test_invalid_args)
{
	des_t *des = des_new(NULL);
	ck_assert_int_eq(des_schedule_at(des, 0, NULL, NULL, NULL), DES_EINVAL);
	ck_assert_int_eq(des_schedule_in(des, -1, noop, NULL, NULL), DES_EINVAL);
	ck_assert_int_eq(des_schedule_full(des, 0, DES_PRIO_MAX + 1, NULL, noop,
	                                   NULL, NULL), DES_EINVAL);
	ck_assert_int_eq(des_schedule_full(des, 0, -1, NULL, noop, NULL, NULL),
	                 DES_EINVAL);
	des_schedule_at(des, 100, noop, NULL, NULL);
	des_run(des, DES_TIME_MAX);
	ck_assert_int_eq(des_schedule_at(des, 99, noop, NULL, NULL), DES_EINVAL);
	ck_assert_int_eq(des_schedule_in(des, DES_TIME_MAX, noop, NULL, NULL),
	                 DES_EOVERFLOW);
	ck_assert_int_eq(des_schedule_at(des, 100, noop, NULL, NULL), 0);
	ck_assert_str_eq(des_err_name(DES_EINVAL), "DES_EINVAL");
	ck_assert_str_eq(des_err_name(-99), "DES_UNKNOWN");
	ck_assert_ptr_nonnull(strstr(des_strerror(DES_ENOMEM), "memory"));
	des_free(des);
}
END_TEST

/* ---- cancel ------------------------------------------------------------ */

START_TEST(test_cancel_before_fire)
{
	des_t *des = des_new(NULL);
	trace_t tr = {0};
	tag_t a = {&tr, 1}, b = {&tr, 2};
	des_event_t ea, eb;
	des_schedule_at(des, 10, record, &a, &ea);
	des_schedule_at(des, 20, record, &b, &eb);
	ck_assert(ea != DES_EVENT_NULL && eb != DES_EVENT_NULL && ea != eb);
	ck_assert_int_eq(des_pending(des, ea), 1);
	ck_assert_int_eq(des_cancel(des, ea), 1);
	ck_assert_int_eq(des_pending(des, ea), 0);
	ck_assert_uint_eq(des_count(des), 1);
	des_time_t t;
	ck_assert_int_eq(des_peek(des, &t), 1);
	ck_assert_int_eq(t, 20);
	des_run(des, DES_TIME_MAX);
	ck_assert_int_eq(tr.n, 1);
	ck_assert_int_eq(tr.id[0], 2);
	des_free(des);
}
END_TEST

START_TEST(test_cancel_after_fire_and_double)
{
	des_t *des = des_new(NULL);
	des_event_t e1, e2;
	des_schedule_at(des, 10, noop, NULL, &e1);
	des_run(des, DES_TIME_MAX);
	ck_assert_int_eq(des_cancel(des, e1), 0); /* already fired */
	/* The slot is reused by the next event; the old handle stays dead. */
	des_schedule_at(des, 20, noop, NULL, &e2);
	ck_assert(e1 != e2);
	ck_assert_int_eq(des_cancel(des, e1), 0);
	ck_assert_int_eq(des_pending(des, e2), 1);
	ck_assert_int_eq(des_cancel(des, e2), 1);
	ck_assert_int_eq(des_cancel(des, e2), 0); /* double cancel */
	ck_assert_int_eq(des_cancel(des, DES_EVENT_NULL), 0);
	ck_assert_int_eq(des_cancel(des, (des_event_t)12345 << 32 | 999999), 0);
	ck_assert_uint_eq(des_count(des), 0);
	ck_assert_int_eq(des_run(des, DES_TIME_MAX), DES_RUN_EMPTY);
	ck_assert_uint_eq(des_events_run(des), 1);
	des_free(des);
}
END_TEST

typedef struct {
	des_event_t victim, self, child;
	int fired_victim, fired_child, self_cancel_rv;
	des_time_t child_at;
} cb_state_t;

static void victim_cb(des_t *des, void *user)
{
	((cb_state_t *)user)->fired_victim++;
}

static void child_cb(des_t *des, void *user)
{
	cb_state_t *st = user;
	st->fired_child++;
	st->child_at = des_now(des);
}

static void canceller_cb(des_t *des, void *user)
{
	cb_state_t *st = user;
	st->self_cancel_rv = des_cancel(des, st->self); /* running: not pending */
	ck_assert_int_eq(des_cancel(des, st->victim), 1);
	ck_assert_int_eq(des_schedule_in(des, 5, child_cb, st, &st->child), 0);
	/* At exactly now: runs in this same run, after this callback. */
	ck_assert_int_eq(des_schedule_in(des, 0, child_cb, st, NULL), 0);
}

START_TEST(test_cancel_and_schedule_from_callback)
{
	des_t *des = des_new(NULL);
	cb_state_t st = {0};
	des_schedule_at(des, 10, canceller_cb, &st, &st.self);
	des_schedule_at(des, 10, victim_cb, &st, &st.victim); /* same time, later */
	des_schedule_at(des, 12, victim_cb, &st, NULL);
	ck_assert_int_eq(des_run(des, DES_TIME_MAX), DES_RUN_EMPTY);
	ck_assert_int_eq(st.self_cancel_rv, 0);
	ck_assert_int_eq(st.fired_victim, 1); /* only the one at 12 */
	ck_assert_int_eq(st.fired_child, 2);
	ck_assert_int_eq(st.child_at, 15);
	ck_assert_int_eq(des_pending(des, st.child), 0);
	des_free(des);
}
END_TEST

START_TEST(test_cancel_heavy_compaction)
{
	/* Timeouts that almost never fire: the queue must not grow without
	 * bound, and what remains must still run in order. */
	des_t *des = des_new(NULL);
	trace_t tr = {0};
	tag_t tag = {&tr, 0};
	des_event_t keep[10];
	for (int i = 0; i < 10; i++)
		des_schedule_at(des, 1000000 + i, record, &tag, &keep[i]);
	for (int round = 0; round < 100000; round++) {
		des_event_t ev;
		ck_assert_int_eq(des_schedule_at(des, 500000 + round, noop, NULL, &ev), 0);
		ck_assert_int_eq(des_cancel(des, ev), 1);
	}
	ck_assert_uint_eq(des_count(des), 10);
	des_run(des, DES_TIME_MAX);
	ck_assert_int_eq(tr.n, 10);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(tr.t[i], 1000000 + i);
	des_free(des);
}
END_TEST

/* ---- running ------------------------------------------------------------- */

START_TEST(test_run_until)
{
	des_t *des = des_new(NULL);
	trace_t tr = {0};
	tag_t tags[4];
	des_time_t at[] = {10, 20, 20, 30};
	for (int i = 0; i < 4; i++) {
		tags[i] = (tag_t){&tr, i};
		des_schedule_at(des, at[i], record, &tags[i], NULL);
	}
	/* Inclusive horizon; the clock moves to it. */
	ck_assert_int_eq(des_run(des, 20), DES_RUN_HORIZON);
	ck_assert_int_eq(tr.n, 3);
	ck_assert_int_eq(des_now(des), 20);
	ck_assert_int_eq(des_run(des, 25), DES_RUN_HORIZON);
	ck_assert_int_eq(tr.n, 3);
	ck_assert_int_eq(des_now(des), 25);
	/* A horizon in the past does nothing. */
	ck_assert_int_eq(des_run(des, 5), DES_RUN_HORIZON);
	ck_assert_int_eq(des_now(des), 25);
	/* Past the last event: empty, and the clock at the horizon. */
	ck_assert_int_eq(des_run(des, 100), DES_RUN_EMPTY);
	ck_assert_int_eq(tr.n, 4);
	ck_assert_int_eq(des_now(des), 100);
	/* Relative scheduling is from the horizon. */
	des_schedule_in(des, 1, record, &tags[0], NULL);
	ck_assert_int_eq(des_run(des, DES_TIME_MAX), DES_RUN_EMPTY);
	ck_assert_int_eq(des_now(des), 101);
	des_free(des);
}
END_TEST

static void stopper_cb(des_t *des, void *user)
{
	des_stop(des);
}

static void reenter_cb(des_t *des, void *user)
{
	int *rv = user;
	rv[0] = des_run(des, DES_TIME_MAX);
	rv[1] = des_step(des);
}

START_TEST(test_stop_step_reentry)
{
	des_t *des = des_new(NULL);
	des_stop(des); /* outside a run: no effect on the next */
	des_schedule_at(des, 1, noop, NULL, NULL);
	des_schedule_at(des, 2, stopper_cb, NULL, NULL);
	des_schedule_at(des, 3, noop, NULL, NULL);
	ck_assert_int_eq(des_run(des, DES_TIME_MAX), DES_RUN_STOPPED);
	ck_assert_int_eq(des_now(des), 2);
	ck_assert_uint_eq(des_count(des), 1);
	ck_assert_int_eq(des_step(des), DES_RUN_STEPPED);
	ck_assert_int_eq(des_now(des), 3);
	ck_assert_int_eq(des_step(des), DES_RUN_EMPTY);
	int rv[2] = {0, 0};
	des_schedule_at(des, 4, reenter_cb, rv, NULL);
	des_run(des, DES_TIME_MAX);
	ck_assert_int_eq(rv[0], DES_EBUSY);
	ck_assert_int_eq(rv[1], DES_EBUSY);
	des_free(des);
}
END_TEST

typedef struct {
	des_rng_t rng;
	des_time_t last;
	int n, limit, backwards;
	char log[65536];
	size_t len;
} chain_t;

static void chain_cb(des_t *des, void *user)
{
	chain_t *c = user;
	if (des_now(des) < c->last)
		c->backwards++;
	c->last = des_now(des);
	if (++c->n >= c->limit)
		return;
	/* Two children sometimes, zero sometimes: a population that drifts. */
	int kids = (int)des_rng_below(&c->rng, 3);
	for (int k = 0; k < kids; k++)
		des_schedule_full(des, des_now(des) + des_rng_exp_ns(&c->rng, 50),
		                  (int)des_rng_below(&c->rng, 16), "chain",
		                  chain_cb, c, NULL);
}

static void log_hook(void *log_user, des_time_t t, uint64_t seq,
                     const char *label)
{
	chain_t *c = log_user;
	if (c->len + 64 < sizeof c->log)
		c->len += (size_t)snprintf(c->log + c->len, sizeof c->log - c->len,
		                           "%lld %llu %s\n", (long long)t,
		                           (unsigned long long)seq,
		                           label ? label : "-");
}

static void run_chain(uint64_t seed, chain_t *c)
{
	des_t *des = des_new(NULL);
	memset(c, 0, sizeof *c);
	des_set_seed(des, seed);
	des_rng_stream(&c->rng, des_seed(des), "chain");
	c->limit = 2000;
	des_set_log(des, log_hook, c);
	for (int i = 0; i < 20; i++)
		des_schedule_full(des, (des_time_t)des_rng_below(&c->rng, 100),
		                  DES_PRIO_DEFAULT, "root", chain_cb, c, NULL);
	des_run(des, DES_TIME_MAX);
	des_free(des);
}

START_TEST(test_clock_monotonic_and_reproducible)
{
	static chain_t a, b, d;
	run_chain(1234, &a);
	run_chain(1234, &b);
	run_chain(1235, &d);
	ck_assert_int_eq(a.backwards, 0);
	ck_assert_int_eq(d.backwards, 0);
	ck_assert_int_gt(a.n, 100);
	ck_assert_int_gt(a.len, 1000);
	/* Same seed: the identical trace, byte for byte. */
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_int_eq(memcmp(a.log, b.log, a.len), 0);
	/* Another seed: another trace. */
	ck_assert(a.len != d.len || memcmp(a.log, d.log, a.len) != 0);
}
END_TEST

START_TEST(test_seq_renumber_keeps_order)
{
	/* Force the 34-bit tie-break counter to run out every few schedules. */
	des_t *des = des_new(NULL);
	des__set_seq_limit(des, 8);
	trace_t tr = {0};
	tag_t tags[64];
	for (int i = 0; i < 64; i++) {
		tags[i] = (tag_t){&tr, i};
		ck_assert_int_eq(des_schedule_at(des, 100 - i % 4, record, &tags[i], NULL), 0);
	}
	des_run(des, DES_TIME_MAX);
	ck_assert_int_eq(tr.n, 64);
	int k = 0;
	for (int tm = 97; tm <= 100; tm++)
		for (int i = 0; i < 64; i++)
			if (100 - i % 4 == tm)
				ck_assert_int_eq(tr.id[k++], i);
	des_free(des);
}
END_TEST

/* ---- memory ------------------------------------------------------------- */

typedef struct {
	int calls, fail_at;
} failmem_t;

static void *fail_realloc(void *p, size_t n, void *ud)
{
	failmem_t *f = ud;
	if (++f->calls == f->fail_at)
		return NULL;
	return realloc(p, n);
}

static void fail_free(void *p, void *ud)
{
	free(p);
}

START_TEST(test_fail_every_allocation)
{
	/* Fail the Nth allocation for every N: each failure is reported as
	 * DES_ENOMEM (or NULL from des_new), and the engine stays usable. */
	for (int nth = 1; nth < 40; nth++) {
		failmem_t f = {0, nth};
		des_mem_t mem = {fail_realloc, fail_free, &f};
		des_t *des = des_new(&mem);
		if (des == NULL) {
			ck_assert_int_eq(nth, 1);
			continue;
		}
		int failures = 0, ok = 0;
		for (int i = 0; i < 5000; i++) {
			int rv = des_schedule_at(des, 5000 - i, noop, NULL, NULL);
			if (rv == DES_ENOMEM)
				failures++;
			else {
				ck_assert_int_eq(rv, 0);
				ok++;
			}
		}
		ck_assert_int_le(failures, 1);
		ck_assert_uint_eq(des_count(des), (size_t)ok);
		ck_assert_int_eq(des_run(des, DES_TIME_MAX), DES_RUN_EMPTY);
		ck_assert_uint_eq(des_events_run(des), (uint64_t)ok);
		des_free(des);
	}
}
END_TEST

/* ---- differential test against a sorted array ----------------------------- */

typedef struct {
	des_time_t t;
	int prio;
	uint64_t seq; /* the model's own insertion counter */
	int id;
	des_event_t ev;
} ref_ev_t;

#define REF_MAX 4096

typedef struct {
	ref_ev_t a[REF_MAX]; /* sorted by (t, prio, seq) */
	int n;
	uint64_t seq;
	int fired_id;
	des_time_t fired_t;
} ref_t;

static int ref_before(const ref_ev_t *x, const ref_ev_t *y)
{
	if (x->t != y->t)
		return x->t < y->t;
	if (x->prio != y->prio)
		return x->prio < y->prio;
	return x->seq < y->seq;
}

static void ref_insert(ref_t *r, ref_ev_t e)
{
	int i = r->n;
	while (i > 0 && ref_before(&e, &r->a[i - 1])) {
		r->a[i] = r->a[i - 1];
		i--;
	}
	r->a[i] = e;
	r->n++;
}

static ref_t *g_ref;
static int g_ids[1 << 20];

static void diff_cb(des_t *des, void *user)
{
	g_ref->fired_id = *(int *)user;
	g_ref->fired_t = des_now(des);
}

START_TEST(test_differential_random_ops)
{
	static ref_t ref;
	g_ref = &ref;
	memset(&ref, 0, sizeof ref);
	des_t *des = des_new(NULL);
	des_rng_t r;
	des_rng_stream(&r, 20240601, "differential");
	int next_id = 0, pops = 0, cancels = 0;
	for (int op = 0; op < 100000; op++) {
		uint64_t k = des_rng_below(&r, 100);
		if (k < 50 && ref.n < REF_MAX) {
			/* schedule: small time range and few prios, so ties abound */
			ref_ev_t e;
			e.t = des_now(des) + (des_time_t)des_rng_below(&r, 64);
			e.prio = (int)des_rng_below(&r, 3) + DES_PRIO_DEFAULT - 1;
			e.seq = ref.seq++;
			e.id = next_id;
			g_ids[next_id] = next_id;
			next_id++;
			ck_assert_int_eq(des_schedule_full(des, e.t, e.prio, NULL, diff_cb,
			                                   &g_ids[e.id], &e.ev), 0);
			ref_insert(&ref, e);
		} else if (k < 70 && ref.n > 0) {
			/* cancel a random pending event */
			int i = (int)des_rng_below(&r, (uint64_t)ref.n);
			ck_assert_int_eq(des_cancel(des, ref.a[i].ev), 1);
			ck_assert_int_eq(des_cancel(des, ref.a[i].ev), 0);
			memmove(&ref.a[i], &ref.a[i + 1], (size_t)(ref.n - i - 1) * sizeof ref.a[0]);
			ref.n--;
			cancels++;
		} else {
			/* pop */
			int rv = des_step(des);
			if (ref.n == 0) {
				ck_assert_int_eq(rv, DES_RUN_EMPTY);
				continue;
			}
			ck_assert_int_eq(rv, DES_RUN_STEPPED);
			ck_assert_int_eq(ref.fired_id, ref.a[0].id);
			ck_assert_int_eq(ref.fired_t, ref.a[0].t);
			ck_assert_int_eq(des_pending(des, ref.a[0].ev), 0);
			memmove(&ref.a[0], &ref.a[1], (size_t)(ref.n - 1) * sizeof ref.a[0]);
			ref.n--;
			pops++;
		}
		ck_assert_uint_eq(des_count(des), (size_t)ref.n);
	}
	ck_assert_int_gt(pops, 10000);
	ck_assert_int_gt(cancels, 10000);
	/* Drain: the rest in the same order. */
	for (int i = 0; i < ref.n; i++) {
		ck_assert_int_eq(des_step(des), DES_RUN_STEPPED);
		ck_assert_int_eq(ref.fired_id, ref.a[i].id);
	}
	ck_assert_int_eq(des_step(des), DES_RUN_EMPTY);
	des_free(des);
}
END_TEST

static Suite *des_suite(void)
{
	Suite *s = suite_create("des");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_order_by_time);
	tcase_add_test(tc, test_ties_by_insertion_then_prio);
	tcase_add_test(tc, test_invalid_args);
	tcase_add_test(tc, test_cancel_before_fire);
	tcase_add_test(tc, test_cancel_after_fire_and_double);
	tcase_add_test(tc, test_cancel_and_schedule_from_callback);
	tcase_add_test(tc, test_cancel_heavy_compaction);
	tcase_add_test(tc, test_run_until);
	tcase_add_test(tc, test_stop_step_reentry);
	tcase_add_test(tc, test_clock_monotonic_and_reproducible);
	tcase_add_test(tc, test_seq_renumber_keeps_order);
	tcase_add_test(tc, test_fail_every_allocation);
	tcase_add_test(tc, test_differential_random_ops);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(des_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* sim/des/des.c: the discrete-event engine (see des.h for the contract and
 * sim/des/README.md for the design and its measurements).
 *
 * Two arrays:
 *  - heap: a 4-ary implicit min-heap of 16-byte entries (time, key) with
 *    key = prio:4 | seq:34 | slot:26, so comparing (time, key) as one
 *    128-bit number orders by (time, prio, seq). Each node's four
 *    children fill exactly one 64-byte cache line (the array is offset so
 *    they are aligned), and comparisons read only this array.
 *  - slots: one per event, holding what to call. A slot is FREE (on the
 *    LIFO free list, so a steady state reuses warm memory and never
 *    allocates), PENDING, or DEAD: cancelled, its heap entry not yet
 *    removed. A DEAD slot goes back to the free list only when its entry
 *    leaves the heap (skipped at the top, or dropped by compaction), so
 *    an entry and its slot always correspond one to one. A slot's
 *    generation is bumped when its event runs or is cancelled, which
 *    kills the handle.
 *
 * seq has 34 bits: after 2^34 schedules (about half an hour at 10 M
 * events/s) the pending entries are sorted and renumbered 0..n-1, which
 * keeps their order (a sorted array is a valid heap).
 */
#include "des.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PRIO_SHIFT 60
#define SEQ_SHIFT 26
#define SEQ_BITS 34
#define SLOT_BITS 26
#define SLOT_MASK (((uint64_t)1 << SLOT_BITS) - 1)
#define SEQ_MASK (((uint64_t)1 << SEQ_BITS) - 1)
#define MAX_SLOTS ((size_t)1 << SLOT_BITS)

/* Slot states, kept in |next| (free slots hold the free-list link). */
#define SLOT_NIL UINT32_MAX
#define SLOT_PENDING (UINT32_MAX - 1)
#define SLOT_DEAD (UINT32_MAX - 2)

/* Compact only when dead entries are both many and the majority, so the
 * O(n) rebuild is amortised over at least as many O(1) cancels. */
#define COMPACT_MIN 256

typedef struct {
	des_time_t t;
	uint64_t key; /* prio << 60 | seq << 26 | slot */
} ent_t;

typedef struct {
	des_event_cb cb;
	void *user;
	const char *label;
	uint32_t gen;
	uint32_t next; /* free-list link, SLOT_PENDING or SLOT_DEAD */
} slot_t;

struct des {
	ent_t *heap;  /* heap[1..4] start a cache line */
	void *hraw;   /* the allocation heap points into */
	size_t n;     /* entries in the heap, live and dead (and the hole) */
	size_t hcap;
	size_t ndead; /* dead entries in the heap */
	slot_t *slots;
	uint32_t nslots;
	uint32_t free_head;
	size_t live; /* pending events */
	des_time_t now;
	uint64_t seq;
	uint64_t seq_limit;
	uint64_t events_run;
	uint64_t seed;
	bool running;
	bool stop;
	bool hole; /* heap[0] is the running event's spent entry */
	des_log_cb log_cb;
	void *log_user;
	des_mem_t mem;
};

/* ---- errors ------------------------------------------------------------ */

const char *des_strerror(int err)
{
	switch (err) {
#define DES_ERR_MSG_(name, val, msg)                                        \
	case DES_##name:                                                    \
		return msg;
		DES_ERRNO_MAP(DES_ERR_MSG_)
#undef DES_ERR_MSG_
	case 0:
		return "success";
	}
	return "unknown error";
}

const char *des_err_name(int err)
{
	switch (err) {
#define DES_ERR_NAME_(name, val, msg)                                       \
	case DES_##name:                                                    \
		return "DES_" #name;
		DES_ERRNO_MAP(DES_ERR_NAME_)
#undef DES_ERR_NAME_
	case 0:
		return "0";
	}
	return "DES_UNKNOWN";
}

/* ---- memory ------------------------------------------------------------ */

static void *std_realloc(void *p, size_t n, void *ud)
{
	(void)ud;
	return realloc(p, n);
}

static void std_free(void *p, void *ud)
{
	(void)ud;
	free(p);
}

#define LINE 64

/* Where heap[0] goes in a block at |raw|: 48 bytes past a line boundary,
 * so heap[4i+1..4i+4], the children of i, share one line. */
static size_t heap_offset(const void *raw)
{
	uintptr_t a = (uintptr_t)raw;
	uintptr_t h = ((a + LINE - 1) & ~(uintptr_t)(LINE - 1)) + LINE - sizeof(ent_t);
	if (h - a >= LINE)
		h -= LINE;
	return (size_t)(h - a);
}

static int grow_heap(des_t *des, size_t want)
{
	size_t cap = des->hcap ? des->hcap : 64;
	while (cap < want) {
		if (cap > SIZE_MAX / 4 / sizeof(ent_t))
			return DES_ENOMEM;
		cap *= 2;
	}
	size_t old_off = des->hraw ? (size_t)((char *)des->heap - (char *)des->hraw) : 0;
	char *raw = des->mem.realloc(des->hraw, cap * sizeof(ent_t) + LINE,
	                             des->mem.mem_user);
	if (raw == NULL)
		return DES_ENOMEM;
	/* realloc kept the bytes at the old offset; the new block may want
	 * another one. Both are below LINE, so the block holds either. */
	size_t off = heap_offset(raw);
	if (off != old_off && des->n > 0)
		memmove(raw + off, raw + old_off, des->n * sizeof(ent_t));
	des->hraw = raw;
	des->heap = (ent_t *)(void *)(raw + off);
	des->hcap = cap;
	return 0;
}

static int grow_slots(des_t *des, size_t want)
{
	size_t cap = des->nslots ? des->nslots : 64;
	while (cap < want)
		cap *= 2;
	if (cap > MAX_SLOTS)
		cap = MAX_SLOTS;
	if (cap < want || cap <= des->nslots)
		return DES_ENOMEM;
	slot_t *s = des->mem.realloc(des->slots, cap * sizeof(slot_t),
	                             des->mem.mem_user);
	if (s == NULL)
		return DES_ENOMEM;
	/* Chain the new slots so the lowest index is handed out first. */
	for (size_t i = des->nslots; i < cap; i++) {
		s[i].cb = NULL;
		s[i].user = NULL;
		s[i].label = NULL;
		s[i].gen = 0;
		s[i].next = i + 1 < cap ? (uint32_t)(i + 1) : des->free_head;
	}
	des->free_head = des->nslots;
	des->slots = s;
	des->nslots = (uint32_t)cap;
	return 0;
}

des_t *des_new(const des_mem_t *mem)
{
	des_mem_t m = {std_realloc, std_free, NULL};
	if (mem != NULL)
		m = *mem;
	des_t *des = m.realloc(NULL, sizeof(*des), m.mem_user);
	if (des == NULL)
		return NULL;
	memset(des, 0, sizeof(*des));
	des->mem = m;
	des->free_head = SLOT_NIL;
	des->seq_limit = (uint64_t)1 << SEQ_BITS;
	return des;
}

void des_free(des_t *des)
{
	if (des == NULL)
		return;
	des_mem_t m = des->mem;
	if (des->hraw != NULL)
		m.free(des->hraw, m.mem_user);
	if (des->slots != NULL)
		m.free(des->slots, m.mem_user);
	m.free(des, m.mem_user);
}

int des_reserve(des_t *des, size_t n)
{
	int rv;
	if (n > MAX_SLOTS)
		return DES_ENOMEM;
	/* Dead entries may reach the live count before a compaction. */
	if (2 * n + COMPACT_MIN > des->hcap &&
	    (rv = grow_heap(des, 2 * n + COMPACT_MIN)) < 0)
		return rv;
	if (n > des->nslots && (rv = grow_slots(des, n)) < 0)
		return rv;
	return 0;
}

/* ---- the heap ------------------------------------------------------------ */

/* (t, key) as one unsigned 128-bit number: the comparison compiles to a
 * compare and a subtract-with-borrow, no branch, which matters because at
 * equal times (common: many events per ns at 100k pending) a two-step
 * comparison mispredicts. */
__extension__ typedef unsigned __int128 u128;

static inline u128 ent_rank(const ent_t *e)
{
	return (u128)((uint64_t)e->t ^ ((uint64_t)1 << 63)) << 64 | e->key;
}

static inline size_t ent_less(const ent_t *a, const ent_t *b)
{
	return ent_rank(a) < ent_rank(b);
}

static inline uint32_t ent_slot(const ent_t *e)
{
	return (uint32_t)(e->key & SLOT_MASK);
}

/* Put |e| into the hole at |i| and move it up, no higher than |top|. */
static inline void sift_up(ent_t *h, size_t i, size_t top, ent_t e)
{
	u128 r = ent_rank(&e);
	while (i > top) {
		size_t p = (i - 1) >> 2;
		if (!(r < ent_rank(&h[p])))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = e;
}

/* Put |e| into the hole at |i| and restore heap order below it, bottom-up
 * (Floyd): move the hole down along the smallest children to a leaf, then
 * sift |e| up from there. The entries that fill holes (the heap's last
 * entry, a newly scheduled event) usually belong near the bottom, so this
 * costs 3 branch-free comparisons per level instead of 4 with a
 * data-dependent exit. */
static inline void sift_down(ent_t *h, size_t n, size_t i, ent_t e)
{
	size_t top = i, c;
	while ((c = 4 * i + 1) + 3 < n) {
		/* The grandchildren: four lines, loaded in parallel while this
		 * level is compared, instead of one miss per level in a chain. */
		if (16 * i + 5 < n) {
			__builtin_prefetch(&h[16 * i + 5]);
			__builtin_prefetch(&h[16 * i + 9]);
			__builtin_prefetch(&h[16 * i + 13]);
			__builtin_prefetch(&h[16 * i + 17]);
		}
		size_t b1 = c + ent_less(&h[c + 1], &h[c]);
		size_t b2 = c + 2 + ent_less(&h[c + 3], &h[c + 2]);
		size_t best = ent_less(&h[b2], &h[b1]) ? b2 : b1;
		h[i] = h[best];
		i = best;
	}
	if (c < n) {
		size_t best = c;
		for (size_t j = c + 1; j < n; j++)
			if (ent_less(&h[j], &h[best]))
				best = j;
		h[i] = h[best];
		i = best;
	}
	sift_up(h, i, top, e);
}

static inline void heap_pop(des_t *des)
{
	size_t n = --des->n;
	if (n > 0)
		sift_down(des->heap, n, 0, des->heap[n]);
}

/* While an event runs, its entry's place at the root is left as a hole,
 * so that the first event its callback schedules goes straight into the
 * root with one sift instead of a pop and a push (PHOLD's pattern, and
 * every process that schedules its own next step). Anything else that
 * needs the heap whole fills the hole first with the usual pop. */
static inline void fill_hole(des_t *des)
{
	if (des->hole) {
		des->hole = false;
		heap_pop(des);
	}
}

static inline void slot_free(des_t *des, uint32_t idx)
{
	slot_t *s = &des->slots[idx];
	s->cb = NULL;
	s->next = des->free_head;
	des->free_head = idx;
}

/* Drop every dead entry, free their slots, and re-heapify (Floyd, O(n)). */
static void compact(des_t *des)
{
	fill_hole(des);
	ent_t *h = des->heap;
	size_t n = 0;
	for (size_t i = 0; i < des->n; i++) {
		uint32_t idx = ent_slot(&h[i]);
		if (des->slots[idx].next == SLOT_DEAD)
			slot_free(des, idx);
		else
			h[n++] = h[i];
	}
	des->n = n;
	des->ndead = 0;
	if (n < 2)
		return;
	for (size_t i = (n - 2) / 4 + 1; i-- > 0;)
		sift_down(h, n, i, h[i]);
}

/* Pop dead entries off the top, so heap[0] (if any) is live. */
static inline void skip_dead(des_t *des)
{
	while (des->n > 0) {
		uint32_t idx = ent_slot(&des->heap[0]);
		if (des->slots[idx].next != SLOT_DEAD)
			break;
		heap_pop(des);
		slot_free(des, idx);
		des->ndead--;
	}
}

static int cmp_ent(const void *a, const void *b)
{
	u128 x = ent_rank(a), y = ent_rank(b);
	return (x > y) - (x < y);
}

/* seq ran out: sort the pending entries and number them 0..n-1 in order.
 * A sorted array is a heap, and the order among them is unchanged. */
static void renumber(des_t *des)
{
	fill_hole(des);
	qsort(des->heap, des->n, sizeof(ent_t), cmp_ent);
	for (size_t i = 0; i < des->n; i++) {
		uint64_t k = des->heap[i].key;
		des->heap[i].key = (k & ~(SEQ_MASK << SEQ_SHIFT)) |
		                   (uint64_t)i << SEQ_SHIFT;
	}
	des->seq = des->n;
}

void des__set_seq_limit(des_t *des, uint64_t limit);
void des__set_seq_limit(des_t *des, uint64_t limit)
{
	des->seq_limit = limit;
}

/* ---- scheduling ---------------------------------------------------------- */

static inline des_event_t make_handle(uint32_t idx, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint64_t)(idx + 1);
}

/* The slot of a pending event's handle, or NULL. */
static inline slot_t *handle_slot(const des_t *des, des_event_t ev)
{
	uint32_t lo = (uint32_t)ev;
	if (lo == 0 || lo > des->nslots)
		return NULL;
	slot_t *s = &des->slots[lo - 1];
	if (s->gen != (uint32_t)(ev >> 32) || s->next != SLOT_PENDING)
		return NULL;
	return s;
}

int des_schedule_full(des_t *des, des_time_t at, int prio, const char *label,
                      des_event_cb cb, void *user, des_event_t *ev)
{
	if (at < des->now || cb == NULL || prio < DES_PRIO_MIN ||
	    prio > DES_PRIO_MAX)
		return DES_EINVAL;
	int rv;
	if (des->seq >= des->seq_limit)
		renumber(des);
	if (!des->hole && des->n == des->hcap &&
	    (rv = grow_heap(des, des->n + 1)) < 0)
		return rv;
	if (des->free_head == SLOT_NIL &&
	    (rv = grow_slots(des, (size_t)des->nslots + 1)) < 0)
		return rv;

	uint32_t idx = des->free_head;
	slot_t *s = &des->slots[idx];
	des->free_head = s->next;
	s->cb = cb;
	s->user = user;
	s->label = label;
	s->next = SLOT_PENDING;
	des->live++;

	ent_t e = {at, (uint64_t)prio << PRIO_SHIFT | des->seq++ << SEQ_SHIFT | idx};
	if (des->hole) {
		des->hole = false;
		sift_down(des->heap, des->n, 0, e);
	} else {
		sift_up(des->heap, des->n++, 0, e);
	}
	if (ev != NULL)
		*ev = make_handle(idx, s->gen);
	return 0;
}

int des_schedule_at(des_t *des, des_time_t at, des_event_cb cb, void *user,
                    des_event_t *ev)
{
	return des_schedule_full(des, at, DES_PRIO_DEFAULT, NULL, cb, user, ev);
}

int des_schedule_in(des_t *des, des_time_t delay, des_event_cb cb, void *user,
                    des_event_t *ev)
{
	if (delay < 0)
		return DES_EINVAL;
	if (delay > DES_TIME_MAX - des->now)
		return DES_EOVERFLOW;
	return des_schedule_full(des, des->now + delay, DES_PRIO_DEFAULT, NULL,
	                         cb, user, ev);
}

int des_cancel(des_t *des, des_event_t ev)
{
	slot_t *s = handle_slot(des, ev);
	if (s == NULL)
		return 0;
	s->gen++;
	s->next = SLOT_DEAD;
	s->cb = NULL;
	s->user = NULL;
	des->live--;
	des->ndead++;
	/* Safe inside a callback too: run_top() holds no heap position
	 * across the call. */
	if (des->ndead >= COMPACT_MIN && des->ndead > des->live)
		compact(des);
	return 1;
}

int des_pending(const des_t *des, des_event_t ev)
{
	return handle_slot(des, ev) != NULL;
}

size_t des_count(const des_t *des)
{
	return des->live;
}

int des_peek(des_t *des, des_time_t *t)
{
	fill_hole(des);
	skip_dead(des);
	if (des->n == 0)
		return 0;
	if (t != NULL)
		*t = des->heap[0].t;
	return 1;
}

/* ---- running ------------------------------------------------------------- */

/* Pop the top (live) entry and run it. Precondition: heap[0] is live. */
static inline void run_top(des_t *des)
{
	ent_t top = des->heap[0];
	des->hole = true;
	/* The next event is most likely the root's smallest child (unless
	 * the callback schedules something earlier). Its slot is a cache miss
	 * when many events are pending: start loading it now, so the load
	 * overlaps the callback. The children are in cache (siblings of the
	 * entries compared when the root was filled). */
	if (des->n > 4) {
		const ent_t *h = des->heap;
		size_t b1 = 1 + ent_less(&h[2], &h[1]);
		size_t b2 = 3 + ent_less(&h[4], &h[3]);
		size_t b = ent_less(&h[b2], &h[b1]) ? b2 : b1;
		__builtin_prefetch(&des->slots[ent_slot(&h[b])]);
	}
	uint32_t idx = ent_slot(&top);
	slot_t *s = &des->slots[idx];
	des_event_cb cb = s->cb;
	void *user = s->user;
	const char *label = s->label;
	/* Freed before the call: the callback sees its own handle as dead
	 * and may reuse the slot for what it schedules. */
	s->gen++;
	slot_free(des, idx);
	des->live--;
	des->now = top.t;
	des->events_run++;
	if (des->log_cb != NULL)
		des->log_cb(des->log_user, top.t, top.key >> SEQ_SHIFT & SEQ_MASK,
		            label);
	cb(des, user);
	fill_hole(des);
}

int des_run(des_t *des, des_time_t until)
{
	if (des->running)
		return DES_EBUSY;
	if (until < des->now)
		return des->live ? DES_RUN_HORIZON : DES_RUN_EMPTY;
	des->running = true;
	des->stop = false;
	int rv;
	for (;;) {
		skip_dead(des);
		if (des->n == 0) {
			rv = DES_RUN_EMPTY;
			break;
		}
		if (des->heap[0].t > until) {
			rv = DES_RUN_HORIZON;
			break;
		}
		run_top(des);
		if (des->stop) {
			des->stop = false;
			des->running = false;
			return DES_RUN_STOPPED;
		}
	}
	if (until != DES_TIME_MAX)
		des->now = until;
	des->running = false;
	return rv;
}

int des_step(des_t *des)
{
	if (des->running)
		return DES_EBUSY;
	skip_dead(des);
	if (des->n == 0)
		return DES_RUN_EMPTY;
	des->running = true;
	des->stop = false;
	run_top(des);
	des->stop = false;
	des->running = false;
	return DES_RUN_STEPPED;
}

void des_stop(des_t *des)
{
	if (des->running)
		des->stop = true;
}

des_time_t des_now(const des_t *des)
{
	return des->now;
}

uint64_t des_events_run(const des_t *des)
{
	return des->events_run;
}

void des_set_log(des_t *des, des_log_cb cb, void *log_user)
{
	des->log_cb = cb;
	des->log_user = log_user;
}

void des_set_seed(des_t *des, uint64_t seed)
{
	des->seed = seed;
}

uint64_t des_seed(const des_t *des)
{
	return des->seed;
}

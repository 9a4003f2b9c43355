/* sim/des/des.h: the discrete-event engine.
 *
 * A priority queue of timestamped events and a virtual clock in
 * nanoseconds. The engine only picks the next event and advances the clock;
 * it knows nothing of Kubernetes, services or networks (those are models
 * built on top, in sim/cluster, sim/mesh, sim/dataplane).
 *
 * Order. Events run in increasing (time, prio, seq): time first; at equal
 * times the smaller |prio| first; at equal time and prio, in the order they
 * were scheduled (seq is a per-engine counter bumped by every successful
 * schedule; after 2^34 schedules the pending events are renumbered in
 * order, which keeps it). The order is total, so a run is a pure function of the
 * sequence of API calls: same seed and same model, same trace.
 *
 * Clock. des_now() never goes backwards: scheduling before now is refused,
 * and the clock only moves forward to the time of the event being run (or
 * to the horizon of des_run()). An event scheduled at exactly now from a
 * callback runs after every already-queued event of the same (time, prio).
 *
 * Handles. des_schedule_*() give back a des_event_t: a 64-bit value
 * (slot index + generation) owned by the caller, never a pointer. It stays
 * safe to use forever: cancelling an event that already fired or was
 * already cancelled is a harmless no-op, never a use-after-free. 0
 * (DES_EVENT_NULL) is never a valid handle, so a zeroed struct field is
 * "no timer". (The generation is 32 bits: a handle kept across 2^32 reuses
 * of the same slot could alias a new event; no model keeps one that long.)
 *
 * Cancel is lazy and O(1): the event's slot is freed at once and its queue
 * entry is skipped when it reaches the top. When dead entries outnumber
 * live ones the queue is compacted in O(n), so memory stays within 2x the
 * pending events and cancel-heavy models (timeouts that rarely fire) do not
 * grow the queue. A cancelled event's slot is reused once its entry has
 * left the queue. See sim/des/README.md for the measurements behind the
 * choice of a 4-ary implicit heap.
 *
 * Memory. Events live in a pool of slots that grows by doubling and is
 * reused through a free list: no allocation per event in steady state
 * (des_reserve() can pre-size it). The engine never owns |user| pointers:
 * it passes them back to callbacks and drops them, uncalled, at
 * des_free().
 *
 * Threads. One engine belongs to one thread; engines share nothing, so
 * separate engines may run in separate threads.
 */
#ifndef MESHSIM_SIM_DES_H
#define MESHSIM_SIM_DES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Virtual time and durations, in nanoseconds. */
typedef int64_t des_time_t;
#define DES_TIME_MAX INT64_MAX
#define DES_NS(x) ((des_time_t)(x))
#define DES_US(x) ((des_time_t)(x) * 1000)
#define DES_MS(x) ((des_time_t)(x) * 1000000)
#define DES_S(x) ((des_time_t)(x) * 1000000000)

/* Errors: 0 on success or one of these negative codes. */
#define DES_ERRNO_MAP(X)                                                    \
	X(EINVAL, -1, "invalid argument (time before now, delay < 0, "        \
	              "NULL callback or prio out of range)")                  \
	X(ENOMEM, -2, "out of memory")                                        \
	X(EBUSY, -3, "the engine is already running (des_run or des_step "    \
	             "called from inside a callback)")                        \
	X(EOVERFLOW, -4, "time overflow (now + delay past DES_TIME_MAX)")

typedef enum {
#define DES_ERR_ENUM_(name, val, msg) DES_##name = (val),
	DES_ERRNO_MAP(DES_ERR_ENUM_)
#undef DES_ERR_ENUM_
} des_errno_t;

/* A readable message / the symbolic name ("DES_EINVAL") for a code;
 * "unknown error" / "DES_UNKNOWN" for anything else. Static strings. */
const char *des_strerror(int err);
const char *des_err_name(int err);

typedef struct des des_t;

/* An event handle (see "Handles" above). */
typedef uint64_t des_event_t;
#define DES_EVENT_NULL ((des_event_t)0)

/* Priority classes among events at the same time: 0 runs first. Sixteen
 * classes (they share the queue entry's 64-bit key with the sequence
 * number and the slot), e.g. scenario actions before the default, metric
 * sampling after. */
#define DES_PRIO_MIN 0
#define DES_PRIO_MAX 15
#define DES_PRIO_DEFAULT 8

/* An event's action. The event is no longer pending when it runs (its own
 * handle is already dead: des_cancel() on it returns 0). A callback may
 * schedule, cancel, call des_stop(), and read des_now(); it must not call
 * des_run(), des_step() or des_free() on the same engine. */
typedef void (*des_event_cb)(des_t *des, void *user);

/* Optional trace hook, called just before each event runs, with the
 * engine's clock already at |t|. |label| is the string given at schedule
 * time (NULL when none) and |seq| the event's tie-break number; all three
 * are deterministic, so the hook can write golden logs. (|seq| restarts
 * from the pending count after each renumbering, every 2^34 schedules.) */
typedef void (*des_log_cb)(void *log_user, des_time_t t, uint64_t seq,
                           const char *label);

/* A pluggable allocator (nghttp2_mem style). |realloc| gets ptr NULL to
 * allocate; returning NULL is an out-of-memory the engine reports as
 * DES_ENOMEM, leaving itself unchanged. */
typedef struct des_mem {
	void *(*realloc)(void *ptr, size_t size, void *mem_user);
	void (*free)(void *ptr, void *mem_user);
	void *mem_user;
} des_mem_t;

/* Create an engine with its clock at 0 and nothing pending. |mem| may be
 * NULL for malloc/realloc/free; it is copied. Returns NULL when out of
 * memory. The caller owns the engine and frees it with des_free(). */
des_t *des_new(const des_mem_t *mem);

/* Free the engine. Pending events are dropped without being called; their
 * |user| pointers are the caller's to free. Must not be called from inside
 * a callback. NULL is a no-op. */
void des_free(des_t *des);

/* Pre-size the pools for |n| pending events, so that up to |n| pending
 * events never allocate (cancelled-but-unreached entries can still make
 * the pools grow). 0 or DES_ENOMEM (also for n > 2^26). O(n). */
int des_reserve(des_t *des, size_t n);

/* The virtual clock, in ns. O(1). */
des_time_t des_now(const des_t *des);

/* Schedule |cb(des, user)| at absolute time |at| (>= des_now()), with
 * priority class |prio| in [DES_PRIO_MIN, DES_PRIO_MAX] and a |label| for
 * the trace hook (not copied: it must outlive the event; usually a string
 * literal; may be NULL). On success stores the handle in |*ev| (if |ev| is
 * not NULL) and returns 0. Errors: DES_EINVAL (at < now, NULL cb, bad
 * prio), DES_ENOMEM (the pool could not grow, or 2^26 events are
 * already pending; nothing changed). O(log n), amortised. */
int des_schedule_full(des_t *des, des_time_t at, int prio, const char *label,
                      des_event_cb cb, void *user, des_event_t *ev);

/* des_schedule_full() with DES_PRIO_DEFAULT and no label, at absolute time
 * |at| / after |delay| ns from now (delay >= 0; DES_EOVERFLOW if now +
 * delay does not fit). */
int des_schedule_at(des_t *des, des_time_t at, des_event_cb cb, void *user,
                    des_event_t *ev);
int des_schedule_in(des_t *des, des_time_t delay, des_event_cb cb, void *user,
                    des_event_t *ev);

/* Cancel a pending event. Returns 1 if |ev| was pending (it will never
 * run), 0 if it was not: already run, already cancelled, currently
 * running, DES_EVENT_NULL, or not from this engine's live slots. Never
 * fails. O(1) amortised (see "Cancel" above). */
int des_cancel(des_t *des, des_event_t ev);

/* 1 if |ev| is pending (scheduled, not yet run, not cancelled), else 0. */
int des_pending(const des_t *des, des_event_t ev);

/* The number of pending events. O(1). */
size_t des_count(const des_t *des);

/* The time of the next pending event in |*t|: 1 if there is one, 0 if
 * nothing is pending. Amortised O(log n) (drops dead entries at the top). */
int des_peek(des_t *des, des_time_t *t);

/* How des_run() / des_step() ended (non-negative), or a DES_E* code. */
enum {
	DES_RUN_EMPTY = 0,   /* nothing is pending */
	DES_RUN_HORIZON = 1, /* every event at or before |until| has run */
	DES_RUN_STOPPED = 2, /* a callback called des_stop() */
	DES_RUN_STEPPED = 3  /* des_step() ran one event */
};

/* Run events in order while the next one is at or before |until|.
 * Returns DES_RUN_STOPPED if a callback called des_stop() (the clock stays
 * at that event's time, the rest stays pending); otherwise, if |until| is
 * not DES_TIME_MAX, advances the clock to |until| (the time span has
 * passed even where nothing happened) and returns DES_RUN_HORIZON if
 * events remain after |until| or DES_RUN_EMPTY if none. With |until| ==
 * DES_TIME_MAX runs until nothing is pending, leaving the clock at the
 * last event's time. An |until| before now runs nothing and leaves the
 * clock alone. DES_EBUSY when called from a callback. */
int des_run(des_t *des, des_time_t until);

/* Run exactly one event (the next), advancing the clock to its time.
 * DES_RUN_STEPPED, DES_RUN_EMPTY if nothing is pending, or DES_EBUSY when
 * called from a callback. */
int des_step(des_t *des);

/* Ask the running des_run() to return after the current event. Outside a
 * run it is a no-op (a later des_run() is not affected). */
void des_stop(des_t *des);

/* The number of events run since des_new(). */
uint64_t des_events_run(const des_t *des);

/* Install (or, with NULL, remove) the trace hook. */
void des_set_log(des_t *des, des_log_cb cb, void *log_user);

/* The engine's master seed (0 until set), from which models derive their
 * random streams with des_rng_stream(rng, des_seed(des), "name"). */
void des_set_seed(des_t *des, uint64_t seed);
uint64_t des_seed(const des_t *des);

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_SIM_DES_H */

/*
 * schedwake.h — the wake-ups of chosen processes, read from a scheduler's
 * record: the text `perf sched timehist --state` prints from a `perf
 * sched record` (or `perf record -e sched:sched_switch -e
 * sched:sched_wakeup -a`) taken while the live shop ran.
 *
 * Each line of that text is one time a task ran:
 *
 *   TIME [CPU]  COMM[TID/PID]  WAIT  SCH-DELAY  RUN  STATE
 *
 * in milliseconds: WAIT from the task's last switch-out to this switch-in
 * (it includes SCH-DELAY), SCH-DELAY from its wake-up to this switch-in,
 * RUN its time on the CPU, and STATE the state it left the CPU in (S
 * asleep, R preempted, D in I/O, ...). A wake-up is a run of a task whose
 * previous run ended in S: it had slept WAIT - SCH-DELAY and then waited
 * SCH-DELAY for a CPU, the wait the simulator draws as a link's jitter
 * (linkprobe.h, LP_SCHED). Runs after R (a preempted task's wait) or D,
 * and a task's first run in the record (what it did before is unknown),
 * are not wake-ups. Lines that do not start with a timestamp (perf's
 * headers) are skipped, as are the idle task (no [TID]), tasks perf lost
 * ("[-1/PID]"), and the event lines -w and -M add ("awakened:",
 * "migrated:").
 *
 * CPUs without idle lines. timehist starts a run at the CPU's previous
 * switch. On a CPU whose switches from idle the record lacks (seen on the
 * 2-vCPU PVM guests here: perf records none on CPU 1, so timehist prints
 * no "<idle>" line for it), a run then includes the idle time before it,
 * its SCH-DELAY reads 0 ("time travel": the wake-up came after that
 * switch) and its WAIT is cut short. So when some CPU of the record has
 * idle lines, the wake-ups on CPUs that have none are left out (counted
 * in sw_stats' |unread|); when no CPU has any, every one is read.
 *
 * Stalls. On a CPU with idle lines a run's length is exact, and the
 * shop's runs are short (in a 300-user live run, 2 of 39 000 reached 1.5
 * ms: a call's work is split at every wait for I/O). A run of
 * SW_STALL_NS or more (sw_set_stall) is a stall: the vCPU stopped under
 * the task (3-4 ms here: the hypervisor's slice), which the guest cannot
 * see (no steal time here; take the record on `perf record -k
 * CLOCK_MONOTONIC`, as perf's default sched_clock leaves out part of
 * it). Their lengths, and how often they come per second of the chosen
 * tasks' running: sw_stall_lengths. They come in bursts and on every
 * vCPU at once, so those close together are one freeze of the machine
 * (sw_freezes): the profile's "freezes" (sim/vrt/README.md). A wake-up's
 * sample keeps its SCH-DELAY only.
 *
 * Each run's line starts with its end: TIME, in seconds (perf's clock).
 *
 * A reader owns its samples; lines are fed one at a time, so a file of
 * any size is read in constant memory but for the samples (at most
 * LP_MAX_SAMPLES: the rest are counted, not kept).
 */
#ifndef MESHSIM_SCHEDWAKE_H
#define MESHSIM_SCHEDWAKE_H

#include <stddef.h>
#include <stdio.h>

#include "linkprobe.h"

/* The shortest run that counts as a stall (above), by default. */
#define SW_STALL_NS 1500000LL

/* The most names a reader chooses (sw_new's |nnames|, --wakeups-of). */
#define SW_MAX_NAMES 64

typedef struct sw_reader sw_reader_t;

typedef struct sw_stats {
	size_t lines;    /* lines fed */
	size_t lines_timed; /* of them, lines with a timestamp (runs, idle) */
	size_t runs;     /* of them, runs of a chosen process */
	size_t wakeups;  /* of them, wake-ups (kept or not) */
	size_t dropped;  /* wake-ups beyond LP_MAX_SAMPLES, not kept */
	size_t tasks;    /* distinct chosen tasks (threads) seen */
	size_t cpus;     /* CPUs with a chosen task's wake-up or stall, or idle */
	size_t cpus_unread;    /* of them, CPUs without idle lines, not read */
	size_t unread;   /* wake-ups kept on those CPUs, left out */
	size_t stalls;   /* wake-ups that began a stall */
	size_t stalls_running; /* stalls of running chosen tasks (after R, D) */
} sw_stats_t;

/* A reader of the record in |file| (named in errors, copied) keeping the
 * wake-ups of the tasks whose name (COMM, at most 15 characters: the
 * kernel's) is one of |names| cut to 15 characters; |nnames| 0 keeps
 * every task's, and at most SW_MAX_NAMES. The names are copied. NULL
 * when out of memory or |nnames| is above SW_MAX_NAMES. */
sw_reader_t *sw_new(const char *file, const char *const *names, size_t nnames);

/* Parses one line (|len| bytes, no newline needed; a trailing "\n" or
 * "\r\n" is ignored). 0, or -1 with |err| set to "FILE:LINE: why" naming
 * the field (a line that starts with a timestamp and is not the format
 * above, or out of memory); the reader is still usable after an error. */
int sw_feed(sw_reader_t *r, const char *line, size_t len, char *err, size_t errsize);

/* Feeds every line of |f| (until EOF). 0, or -1 with |err| set (the first
 * bad line, or a read error). Lines are bounded (64 KiB; a longer one is
 * an error). */
int sw_read(sw_reader_t *r, FILE *f, char *err, size_t errsize);

/* The shortest run that is a stall (above); 0: none is. Call it before
 * the first sw_feed. */
void sw_set_stall(sw_reader_t *r, long long stall_ns);

/* The stalls' lengths (ns) on the CPUs whose runs are exact (none when
 * no CPU has idle lines), owned by |r| and valid until the next call or
 * sw_free; their count in |*n|, and in |*busy_ns| how long the chosen
 * tasks ran on those CPUs besides. NULL with |*n| 0 when there are none
 * or when out of memory. */
const long long *sw_stall_lengths(sw_reader_t *r, size_t *n, long long *busy_ns);

/* The freezes: the stalls on the CPUs read (above) merged while the next
 * starts less than |gap_ns| after the end so far (on the VM here they come
 * in bursts, 3-5 back to back, and on every vCPU at once: the machine
 * stopped, not one task), each from its first stall's start to the
 * latest end. Their lengths (ns), owned by |r| and valid until the next
 * call, sw_stall_lengths or sw_free; their count in |*n|, and in
 * |*span_ns| how long the record is (its latest timestamp less its
 * earliest, any task's). NULL with |*n| 0 when there are none or when out
 * of memory. */
const long long *sw_freezes(sw_reader_t *r, long long gap_ns, size_t *n, long long *span_ns);

/* Stalls less than this far apart are one freeze (sw_freezes), by default. */
#define SW_FREEZE_GAP_NS 5000000LL

/* The wake-ups read so far, on the CPUs read (above): owned by |r|,
 * valid until the next sw_samples, feed or sw_free; their count in |*n|.
 * NULL with |*n| 0 when there are none, or when out of memory. */
const lp_sample_t *sw_samples(sw_reader_t *r, size_t *n);

void sw_stats(const sw_reader_t *r, sw_stats_t *st);

void sw_free(sw_reader_t *r);

/* The comm names of the shop's processes as `meshsim up` runs them (the
 * twelve services and the load generator), NULL-terminated. */
extern const char *const sw_shop_names[];

#endif

/*
 * linkprobe.h — measures this machine's process-to-process hop: how long a
 * small message on a loopback TCP connection takes to reach a process that
 * is asleep waiting for it, and so how long the woken process waits for a
 * CPU on a busy machine.
 *
 * A probe is a child process (fork) that forks a sender: the sender sleeps
 * exponentially distributed gaps (mean 1/rate, so it never beats in step
 * with the load around it), reads CLOCK_MONOTONIC and writes it (8 bytes,
 * TCP_NODELAY) to the child, which sleeps in poll() between messages and
 * records the one-way time of each. The live shop's hops are the same: a
 * service sleeping in epoll is sent a request or a reply on loopback TCP.
 * The probe itself costs a few microseconds of CPU per message.
 *
 * The result is the one-way times' distribution above its floor (the 1st
 * percentile: the kernel's own send and wake-up path with nothing in the
 * way, which the cost profile's CPU figures already include), at fixed
 * quantiles, in bands of how long the receiver had slept when the message
 * was sent (an idle vCPU is slower to wake): the simulator's link jitter
 * (vrt_link_t's bands, a cost profile's "link": {"jitter"}). A band with
 * fewer than LP_MIN_BAND messages joins the next longer one.
 *
 * Bounded: at most |seconds| (<= 3600) of sending, at most LP_MAX_SAMPLES
 * messages, and lp_finish's timeout. The child and the sender die with
 * their parent (PR_SET_PDEATHSIG). Linux only.
 */
#ifndef MESHSIM_LINKPROBE_H
#define MESHSIM_LINKPROBE_H

#include <stddef.h>
#include <sys/types.h>

#define LP_MAX_SAMPLES 2000000u
#define LP_MAX_POINTS 16 /* 9 fixed quantiles and the 5 largest: <= VRT_JITTER_MAX */
#define LP_MAX_BANDS 5
#define LP_MIN_BAND 200

/* One band: the messages to a receiver that had slept less than
 * |slept_below_us| (the last band: any longer). */
typedef struct lp_band {
	double slept_below_us; /* 0 in the last band */
	size_t n;
	double median_us;      /* one way, before the floor is taken off */
	unsigned npoints;
	double q[LP_MAX_POINTS];  /* increasing, the last 1 */
	double us[LP_MAX_POINTS]; /* the time above the floor at q[i], >= 0 */
} lp_band_t;

/* A summary (lp_summarise); for LP_SCHED samples "one-way time" reads
 * "wait for a CPU", and the floor is 0. */
typedef struct lp_result {
	size_t n;         /* messages measured */
	double floor_us;  /* their 1st percentile one-way time */
	double median_us; /* ... median, before the floor is taken off */
	double p99_us;    /* ... 99th percentile, before the floor is taken off */
	double mean_us;   /* ... mean, before the floor is taken off */
	double max_us;    /* ... largest, before the floor is taken off */
	unsigned nbands;
	lp_band_t band[LP_MAX_BANDS];
} lp_result_t;

/* One wake-up: |d| ns from the message's sending (LP_PROBE) or the
 * process's wake-up (LP_SCHED) until it ran, after |slept| ns asleep. */
typedef struct lp_sample {
	long long d, slept;
} lp_sample_t;

/* Where samples come from, which sets how they are summarised:
 * LP_PROBE  the probe's one-way times: the floor (1st percentile, the
 *           kernel's path) is taken off, and the bands share one tail
 *           (linkprobe.c, band_points: the probe over-samples stalls in
 *           its shortest-sleep band);
 * LP_SCHED  a scheduler's record of the woken processes' waits for a CPU
 *           (schedwake.h): no floor, and each band keeps its own tail. */
typedef enum lp_source { LP_PROBE, LP_SCHED } lp_source_t;

/* Summarises |n| samples (not modified) into |*r| (cleared first; n 0
 * gives no bands). 0, or -1 when out of memory. */
int lp_summarise(const lp_sample_t *s, size_t n, lp_source_t src, lp_result_t *r);

/* A running probe (owned by the caller until lp_finish or lp_kill). */
typedef struct lp_probe {
	pid_t pid;
	int fd; /* the result pipe's read end (close-on-exec) */
	double seconds;
	long long start_ns; /* CLOCK_MONOTONIC at lp_start */
} lp_probe_t;

/* Starts a probe sending |rate_hz| (1 to 10000) messages a second on
 * average for |seconds| (0.1 to 3600). Returns at once: the probe runs
 * beside the caller (fork; the child touches none of the caller's state).
 * 0, or -1 with |err| set (bad argument, fork or pipe failed). */
int lp_start(lp_probe_t *p, double seconds, double rate_hz, char *err,
             size_t errsize);

/* Waits up to |timeout_s| beyond the probe's own duration for its result,
 * then reaps it. 0 with |*r| set, or -1 with |err| set (the probe failed,
 * measured fewer than 100 messages, or ran over the timeout: it is killed).
 * Blocks; |p| is finished either way. */
int lp_finish(lp_probe_t *p, lp_result_t *r, double timeout_s, char *err,
              size_t errsize);

/* Stops a probe that is not wanted any more (SIGKILL and reap). */
void lp_kill(lp_probe_t *p);

#endif

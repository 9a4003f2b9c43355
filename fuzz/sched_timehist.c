/*
 * sched_timehist.c — fuzz target: a scheduler's record as `perf sched
 * timehist --state` prints it, read by tools/schedwake.c, and the jitter
 * tools/linkprobe.c summarises from its wake-ups (LP_SCHED).
 *
 * Input: the text, fed line by line (each line an exactly-sized copy with
 * no NUL after it: the reader must stay within |len|). The first byte
 * picks the names (odd: the shop's; even: every task's). Invariants:
 * sw_feed returns 0 or -1, and on -1 a NUL-terminated message that starts
 * with the file name and a line number; the samples kept are the
 * wake-ups less the dropped, each with a wait and a sleep >= 0; the
 * summary's bands have rising quantile points ending at 1 with times that
 * never fall. A crash, a sanitizer report or a broken invariant is a
 * finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linkprobe.h"
#include "schedwake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "sched.txt"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  size_t nshop = 0;
  while (sw_shop_names[nshop])
    nshop++;
  sw_reader_t *r = sw_new(FILE_NAME, sw_shop_names, data[0] & 1 ? nshop : 0);
  if (!r)
    return 0;
  if (data[0] & 2)
    sw_set_stall(r, 0); /* no run is a stall */
  const char *p = (const char *)data + 1, *end = (const char *)data + size;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
    char *line = malloc(len ? len : 1);
    if (!line)
      break;
    memcpy(line, p, len);
    char err[256];
    memset(err, 'x', sizeof err); /* no NUL: the reader must write one */
    int rc = sw_feed(r, line, len, err, sizeof err);
    free(line);
    if (rc != 0) {
      if (rc != -1 || !memchr(err, '\0', sizeof err) ||
          strncmp(err, FILE_NAME ":", strlen(FILE_NAME) + 1))
        abort();
    }
    p += len;
  }
  size_t n;
  const lp_sample_t *s = sw_samples(r, &n);
  sw_stats_t st;
  sw_stats(r, &st);
  if (n != st.wakeups - st.dropped - st.unread || st.wakeups > st.runs ||
      st.runs > st.lines || st.stalls > n || st.cpus_unread > st.cpus ||
      (st.unread && !st.cpus_unread) || ((data[0] & 2) && st.stalls))
    abort();
  for (size_t i = 0; i < n; i++)
    if (s[i].d < 0 || s[i].slept < 0)
      abort();
  size_t nl;
  long long busy;
  const long long *lens = sw_stall_lengths(r, &nl, &busy);
  if (busy < 0 || ((data[0] & 2) && nl) || nl > st.stalls + st.stalls_running)
    abort();
  long long sum_stalls = 0;
  for (size_t i = 0; i < nl; i++) {
    if (lens[i] < SW_STALL_NS)
      abort();
    sum_stalls += lens[i];
  }
  /* The freezes: the stalls merged, each at least as long as a stall, in
   * all no longer than the stalls and the gaps bridged (with a gap of 0
   * only overlapping stalls merge); the record's span not negative. */
  long long gap = data[0] & 4 ? 0 : SW_FREEZE_GAP_NS;
  size_t nf;
  long long span, sum_freezes = 0;
  const long long *fl = sw_freezes(r, gap, &nf, &span);
  if (nf > nl || (nl && !nf) || span < 0 || st.lines_timed > st.lines)
    abort();
  for (size_t i = 0; i < nf; i++) {
    if (fl[i] < SW_STALL_NS)
      abort();
    sum_freezes += fl[i];
  }
  if (sum_freezes > sum_stalls + (long long)(nl - nf) * gap)
    abort();
  lp_result_t res;
  if (lp_summarise(s, n, LP_SCHED, &res) == 0) {
    if (res.n != n || (n && !res.nbands) || res.nbands > LP_MAX_BANDS)
      abort();
    for (unsigned b = 0; b < res.nbands; b++) {
      const lp_band_t *bd = &res.band[b];
      if (!bd->npoints || bd->npoints > LP_MAX_POINTS || bd->q[bd->npoints - 1] != 1)
        abort();
      for (unsigned i = 1; i < bd->npoints; i++)
        if (!(bd->q[i] > bd->q[i - 1]) || bd->us[i] < bd->us[i - 1])
          abort();
    }
  }
  sw_free(r);
  return 0;
}

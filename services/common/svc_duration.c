/* svc_duration.c — a Go-compatible duration parser (see svc_duration.h). */
#include "common/svc_duration.h"

#include <string.h>

static const struct {
  const char *name;
  rt_time_t ns;
} units[] = {
    {"ns", 1},           {"us", RT_USEC},     {"\xc2\xb5s", RT_USEC},
    {"\xce\xbcs", RT_USEC}, {"ms", RT_MSEC},  {"s", RT_SEC},
    {"m", 60 * RT_SEC},  {"h", 3600 * RT_SEC},
};

int svc_duration_parse(const char *s, rt_time_t *out, const char **why) {
  const char *dummy;
  if (!why)
    why = &dummy;
  if (!s || !*s) {
    *why = "invalid duration";
    return -1;
  }
  int neg = 0;
  if (*s == '-' || *s == '+')
    neg = *s++ == '-';
  if (strcmp(s, "0") == 0) {
    *out = 0;
    return 0;
  }
  if (!*s) {
    *why = "invalid duration";
    return -1;
  }
  /* Accumulate in unsigned 64-bit; Go limits durations to int64 ns too. */
  unsigned __int128 total = 0;
  while (*s) {
    if (!((*s >= '0' && *s <= '9') || *s == '.')) {
      *why = "invalid duration";
      return -1;
    }
    unsigned __int128 whole = 0, frac = 0, scale = 1;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
      whole = whole * 10 + (unsigned)(*s++ - '0');
      if (whole > (unsigned __int128)INT64_MAX) {
        *why = "overflow";
        return -1;
      }
      digits++;
    }
    if (*s == '.') {
      s++;
      while (*s >= '0' && *s <= '9') {
        if (scale < (unsigned __int128)1000000000000000000ull) {
          frac = frac * 10 + (unsigned)(*s - '0');
          scale *= 10;
        }
        s++;
        digits++;
      }
    }
    if (digits == 0) {
      *why = "invalid duration";
      return -1;
    }
    size_t k = 0, best = 0;
    rt_time_t unit = 0;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
      size_t n = strlen(units[i].name);
      if (n > best && strncmp(s, units[i].name, n) == 0) {
        best = n;
        unit = units[i].ns;
      }
    }
    k = best;
    if (k == 0) {
      *why = (*s == '\0') ? "missing unit" : "unknown unit";
      return -1;
    }
    s += k;
    total += whole * (unsigned __int128)unit +
             frac * (unsigned __int128)unit / scale;
    if (total > (unsigned __int128)INT64_MAX) {
      *why = "overflow";
      return -1;
    }
  }
  *out = neg ? -(rt_time_t)total : (rt_time_t)total;
  return 0;
}

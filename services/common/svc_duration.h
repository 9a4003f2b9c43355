/*
 * svc_duration.h — Go's time.ParseDuration syntax, which upstream services
 * use for settings such as EXTRA_LATENCY: an optional sign, then one or more
 * decimal numbers each with a unit ("ns", "us", "µs", "μs", "ms", "s", "m",
 * "h"), e.g. "5.5s", "1h30m", "200ms"; "0" alone is allowed.
 */
#ifndef MESHSIM_SVC_DURATION_H
#define MESHSIM_SVC_DURATION_H

#include "rt.h"

/* Parses |s| into nanoseconds. Returns 0, or -1 with a static reason in
 * |*why| ("missing unit", "unknown unit", "overflow", "invalid duration"). */
int svc_duration_parse(const char *s, rt_time_t *out, const char **why);

#endif /* MESHSIM_SVC_DURATION_H */

/*
 * jsonlog.h — one log record as one line of JSON, without I/O:
 *   {"time":"2026-11-25T16:50:00.123Z","severity":"info","service":"x",
 *    "message":"...","key":"value",...}
 * Every string is escaped (control characters, quotes, backslashes; invalid
 * UTF-8 becomes U+FFFD), so any bytes give valid JSON.
 */
#ifndef MESHSIM_LIVE_JSONLOG_H
#define MESHSIM_LIVE_JSONLOG_H

#include <stddef.h>

#include "rt.h"

/* "debug", "info", "warning", "error". */
const char *jsonlog_severity_name(rt_severity_t sev);

/* Parses a LOG_LEVEL value (those names, case-insensitive). Returns 0 and
 * sets |*out|, or -1. */
int jsonlog_parse_level(const char *s, rt_severity_t *out);

/* Formats a record at |now| (ns since the epoch). |fields| is a
 * NULL-terminated key, value, ... array (may be NULL). Returns a malloc'd
 * NUL-terminated line ending in '\n' (caller frees) and its length in
 * |*len|, or NULL when out of memory. */
char *jsonlog_format(rt_time_t now, rt_severity_t sev, const char *service,
                     const char *msg, const char *const *fields, size_t *len);

#endif /* MESHSIM_LIVE_JSONLOG_H */

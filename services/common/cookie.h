/*
 * cookie.h — reading the Cookie request header and writing Set-Cookie
 * (RFC 6265). Pure: no I/O, no allocation.
 *
 * Parsing is lenient the way browsers and Go's net/http are: pairs are
 * separated by ';' with optional spaces, a pair without '=' or with an
 * empty name is skipped, a value wrapped in double quotes is unwrapped.
 * Building is strict: a name must be an RFC 7230 token and a value only
 * cookie-octets, so a Set-Cookie line can never carry CR, LF, ';' or a
 * space smuggled in from elsewhere.
 */
#ifndef MESHSIM_COOKIE_H
#define MESHSIM_COOKIE_H

#include <stddef.h>
#include <stdint.h>

/* Error codes: 0 is success. */
#define COOKIE_EINVAL (-1) /* name, value or attribute not allowed */
#define COOKIE_ENOSPC (-2) /* the output buffer is too small */

/* Walks the pairs of one Cookie header value. */
typedef struct cookie_iter {
  const char *p; /* next unread byte; NUL at the end */
} cookie_iter_t;

void cookie_iter_init(cookie_iter_t *it, const char *header);

/* The next pair: |*name| (|*nlen| bytes) and |*value| (|*vlen| bytes),
 * pointing into the header (not NUL-terminated). Returns 1, or 0 at the
 * end. */
int cookie_next(cookie_iter_t *it, const char **name, size_t *nlen,
                const char **value, size_t *vlen);

/* Finds the first cookie called |name| (case-sensitive) in |header| (NULL
 * is an empty header). Returns 1 and sets |*value|/|*vlen| (pointing into
 * |header|), or 0. */
int cookie_find(const char *header, const char *name, const char **value,
                size_t *vlen);

/* Non-zero when |name| (|n| bytes) is a valid cookie name (a token). */
int cookie_name_valid(const char *name, size_t n);
/* Non-zero when |value| (|n| bytes) contains only cookie-octets. */
int cookie_value_valid(const char *value, size_t n);

typedef enum cookie_same_site {
  COOKIE_SAME_SITE_NONE_SET, /* no SameSite attribute */
  COOKIE_SAME_SITE_LAX,
  COOKIE_SAME_SITE_STRICT,
  COOKIE_SAME_SITE_NONE
} cookie_same_site_t;

typedef struct cookie_attrs {
  int has_max_age;  /* write Max-Age */
  int64_t max_age;  /* seconds; <= 0 writes Max-Age=0 (delete now) */
  const char *path; /* NULL: none; else printable ASCII without ';' */
  const char *domain; /* NULL: none; same rule as path */
  int http_only;
  int secure;
  cookie_same_site_t same_site;
} cookie_attrs_t;

/* Writes the value of a Set-Cookie header ("name=value; Path=/; ...") for
 * |name| = |value| with |a| (NULL: no attributes) into |buf| (|size| bytes,
 * NUL-terminated). Returns the length written, COOKIE_EINVAL (the name is
 * not a token, the value has other than cookie-octets, or an attribute has
 * a control character or ';'), or COOKIE_ENOSPC; on error |buf| holds "". */
int cookie_build(char *buf, size_t size, const char *name, const char *value,
                 const cookie_attrs_t *a);

#endif /* MESHSIM_COOKIE_H */

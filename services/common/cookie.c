/* cookie.c — Cookie parsing and Set-Cookie building; see cookie.h. */
#include "common/cookie.h"
#include "common/decimal.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

void cookie_iter_init(cookie_iter_t *it, const char *header) {
  it->p = header ? header : "";
}

static int is_ows(char c) { return c == ' ' || c == '\t'; }

int cookie_next(cookie_iter_t *it, const char **name, size_t *nlen,
                const char **value, size_t *vlen) {
  const char *p = it->p;
  while (*p) {
    const char *start = p;
    while (*p && *p != ';')
      p++;
    const char *end = p;
    if (*p == ';')
      p++;
    /* Trim the pair, then split at the first '='. */
    while (start < end && is_ows(*start))
      start++;
    while (end > start && is_ows(end[-1]))
      end--;
    const char *eq = memchr(start, '=', (size_t)(end - start));
    if (!eq)
      continue;
    const char *ne = eq;
    while (ne > start && is_ows(ne[-1]))
      ne--;
    if (ne == start)
      continue;
    const char *v = eq + 1;
    while (v < end && is_ows(*v))
      v++;
    if (end - v >= 2 && *v == '"' && end[-1] == '"') {
      v++;
      end--;
    }
    it->p = p;
    *name = start;
    *nlen = (size_t)(ne - start);
    *value = v;
    *vlen = (size_t)(end - v);
    return 1;
  }
  it->p = p;
  return 0;
}

int cookie_find(const char *header, const char *name, const char **value,
                size_t *vlen) {
  cookie_iter_t it;
  const char *n, *v;
  size_t nl, vl;
  size_t want = strlen(name);
  cookie_iter_init(&it, header);
  while (cookie_next(&it, &n, &nl, &v, &vl))
    if (nl == want && memcmp(n, name, nl) == 0) {
      *value = v;
      *vlen = vl;
      return 1;
    }
  return 0;
}

int cookie_name_valid(const char *name, size_t n) {
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c <= 0x20 || c >= 0x7F || strchr("()<>@,;:\\\"/[]?={}", c))
      return 0;
  }
  return 1;
}

int cookie_value_valid(const char *value, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)value[i];
    /* cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E */
    if (c < 0x21 || c > 0x7E || c == '"' || c == ',' || c == ';' ||
        c == '\\')
      return 0;
  }
  return 1;
}

static int attr_valid(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7F || *s == ';')
      return 0;
  return 1;
}

/* Appends |s| to |buf| while it fits; *n counts the whole length, as
 * snprintf's return would. */
static void put(char *buf, size_t size, size_t *n, const char *s) {
  size_t l = strlen(s);
  if (*n + l < size)
    memcpy(buf + *n, s, l);
  *n += l;
}

/* The Set-Cookie value, assembled without snprintf (which with its ten
 * conversions was 1.2 % of a whole-shop simulation: the frontend sets a
 * cookie on every page). */
int cookie_build(char *buf, size_t size, const char *name, const char *value,
                 const cookie_attrs_t *a) {
  if (size)
    buf[0] = '\0';
  if (!name || !value || !cookie_name_valid(name, strlen(name)) ||
      !cookie_value_valid(value, strlen(value)) ||
      (a && a->path && !attr_valid(a->path)) ||
      (a && a->domain && !attr_valid(a->domain)))
    return COOKIE_EINVAL;
  char age[48] = "";
  if (a && a->has_max_age) {
    char digits[DEC_U64_MAX];
    size_t d = dec_u64(digits + sizeof digits,
                       a->max_age > 0 ? (uint64_t)a->max_age : 0);
    memcpy(age, "; Max-Age=", 10);
    memcpy(age + 10, digits + sizeof digits - d, d);
    age[10 + d] = '\0';
  }
  static const char *const same_site[] = {"", "; SameSite=Lax",
                                          "; SameSite=Strict",
                                          "; SameSite=None"};
  size_t n = 0;
  put(buf, size, &n, name);
  put(buf, size, &n, "=");
  put(buf, size, &n, value);
  if (a && a->path) {
    put(buf, size, &n, "; Path=");
    put(buf, size, &n, a->path);
  }
  if (a && a->domain) {
    put(buf, size, &n, "; Domain=");
    put(buf, size, &n, a->domain);
  }
  put(buf, size, &n, age);
  if (a && a->http_only)
    put(buf, size, &n, "; HttpOnly");
  if (a && a->secure)
    put(buf, size, &n, "; Secure");
  if (a && a->same_site <= COOKIE_SAME_SITE_NONE)
    put(buf, size, &n, same_site[a->same_site]);
  if (n >= size || n > INT_MAX) {
    if (size)
      buf[0] = '\0';
    return COOKIE_ENOSPC;
  }
  buf[n] = '\0';
  return (int)n;
}

/*
 * money.c — Money arithmetic; see money.h for the rules and the two places
 * where we normalise what upstream leaves invalid.
 */
#include "common/money.h"

#include <stdio.h>
#include <string.h>

const char *money_strerror(int err) {
  switch (err) {
  case 0:
    return "ok";
  case MONEY_EINVAL:
    return "one of the specified money values is invalid";
  case MONEY_ECURRENCY:
    return "mismatching currency codes";
  case MONEY_ERANGE:
    return "money value out of range";
  default:
    return "unknown money error";
  }
}

static const char *code_of(const Hipstershop__Money *m) {
  return m->currency_code ? m->currency_code : "";
}

Hipstershop__Money *money_set(Hipstershop__Money *m, const char *code,
                              int64_t units, int32_t nanos) {
  hipstershop__money__init(m);
  m->currency_code = (char *)(code ? code : "");
  m->units = units;
  m->nanos = nanos;
  return m;
}

int money_valid(const Hipstershop__Money *m) {
  if (!m || m->nanos < -MONEY_NANOS_MAX || m->nanos > MONEY_NANOS_MAX)
    return 0;
  return m->nanos == 0 || m->units == 0 || (m->nanos < 0) == (m->units < 0);
}

int money_is_zero(const Hipstershop__Money *m) {
  return m->units == 0 && m->nanos == 0;
}

int money_is_positive(const Hipstershop__Money *m) {
  return money_valid(m) && (m->units > 0 || (m->units == 0 && m->nanos > 0));
}

int money_is_negative(const Hipstershop__Money *m) {
  return money_valid(m) && (m->units < 0 || (m->units == 0 && m->nanos < 0));
}

int money_same_currency(const Hipstershop__Money *a,
                        const Hipstershop__Money *b) {
  return *code_of(a) && strcmp(code_of(a), code_of(b)) == 0;
}

int money_equal(const Hipstershop__Money *a, const Hipstershop__Money *b) {
  return strcmp(code_of(a), code_of(b)) == 0 && a->units == b->units &&
         a->nanos == b->nanos;
}

void money_negate(const Hipstershop__Money *m, Hipstershop__Money *out) {
  int64_t u = m->units == INT64_MIN ? INT64_MAX : -m->units;
  int32_t n = -m->nanos;
  money_set(out, code_of(m), u, n);
}

/* Normalises units + nanos (|nanos| < 2e9) so the signs agree. */
static int normalise(int64_t units, int64_t nanos, int64_t *ou, int32_t *on) {
  int64_t carry = nanos / MONEY_NANOS_MOD;
  nanos %= MONEY_NANOS_MOD;
  if (__builtin_add_overflow(units, carry, &units))
    return MONEY_ERANGE;
  if (units > 0 && nanos < 0) {
    units--;
    nanos += MONEY_NANOS_MOD;
  } else if (units < 0 && nanos > 0) {
    units++;
    nanos -= MONEY_NANOS_MOD;
  }
  *ou = units;
  *on = (int32_t)nanos;
  return 0;
}

int money_add(const Hipstershop__Money *a, const Hipstershop__Money *b,
              Hipstershop__Money *out) {
  if (!money_valid(a) || !money_valid(b))
    return MONEY_EINVAL;
  if (strcmp(code_of(a), code_of(b)) != 0)
    return MONEY_ECURRENCY;
  int64_t units;
  int32_t nanos;
  if (__builtin_add_overflow(a->units, b->units, &units))
    return MONEY_ERANGE;
  int rc = normalise(units, (int64_t)a->nanos + b->nanos, &units, &nanos);
  if (rc != 0)
    return rc;
  money_set(out, code_of(a), units, nanos);
  return 0;
}

int money_mul(const Hipstershop__Money *m, uint32_t n,
              Hipstershop__Money *out) {
  if (!money_valid(m))
    return MONEY_EINVAL;
  /* nanos * n fits easily in int64 (< 1e9 * 2^32 < 2^63). */
  int64_t nanos = (int64_t)m->nanos * n;
  int64_t units, carry = nanos / MONEY_NANOS_MOD;
  nanos %= MONEY_NANOS_MOD;
  if (__builtin_mul_overflow(m->units, (int64_t)n, &units) ||
      __builtin_add_overflow(units, carry, &units))
    return MONEY_ERANGE;
  int32_t on;
  int rc = normalise(units, nanos, &units, &on);
  if (rc != 0)
    return rc;
  money_set(out, code_of(m), units, on);
  return 0;
}

const char *money_format(const Hipstershop__Money *m, char *buf, size_t size) {
  int neg = m->units < 0 || (m->units == 0 && m->nanos < 0);
  uint64_t u = m->units < 0 ? (uint64_t)0 - (uint64_t)m->units
                            : (uint64_t)m->units;
  int32_t n = m->nanos < 0 ? -m->nanos : m->nanos;
  snprintf(buf, size, "%s%llu.%02d%s%s", neg ? "-" : "", (unsigned long long)u,
           (int)(n / 10000000), *code_of(m) ? " " : "", code_of(m));
  return buf;
}

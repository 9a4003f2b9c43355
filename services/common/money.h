/*
 * money.h — arithmetic on hipstershop.Money {currency_code, units, nanos},
 * with the semantics of upstream checkout's money package: a value is valid
 * when |nanos| <= 999999999 and nanos has the sign of units (either sign
 * when units is 0); sums carry whole billions of nanos into units and borrow
 * across a sign change so the result is valid again.
 *
 * Deviations from upstream, both where upstream returns an invalid value:
 *   - a sum whose units come to 0 with non-zero nanos (0.3 + -0.1) is
 *     normalised (upstream's Sum returns units 1, nanos -999999999-ish);
 *   - money_mul() by 0 is zero (upstream's MultiplySlow(m, 0) returns m).
 * Results' currency_code pointers borrow the left operand's string.
 */
#ifndef MESHSIM_MONEY_H
#define MESHSIM_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "proto/demo.pb-c.h"

#define MONEY_NANOS_MAX 999999999
#define MONEY_NANOS_MOD 1000000000

/* Error codes (0 is success). */
#define MONEY_EINVAL (-1)    /* an operand is not a valid amount */
#define MONEY_ECURRENCY (-2) /* currency codes differ */
#define MONEY_ERANGE (-3)    /* units would overflow int64 */

/* "one of the specified money values is invalid" etc.; static storage. */
const char *money_strerror(int err);

/* Fills |m| with |code| (borrowed), |units|, |nanos|. Returns |m|. */
Hipstershop__Money *money_set(Hipstershop__Money *m, const char *code,
                              int64_t units, int32_t nanos);

int money_valid(const Hipstershop__Money *m);
int money_is_zero(const Hipstershop__Money *m);
int money_is_positive(const Hipstershop__Money *m); /* valid and > 0 */
int money_is_negative(const Hipstershop__Money *m); /* valid and < 0 */
/* Both have the same non-empty code. */
int money_same_currency(const Hipstershop__Money *a,
                        const Hipstershop__Money *b);
/* Code, units and nanos equal; validity not checked. */
int money_equal(const Hipstershop__Money *a, const Hipstershop__Money *b);
/* |out| = -|m|; |out| may be |m|. */
void money_negate(const Hipstershop__Money *m, Hipstershop__Money *out);

/* |out| = |a| + |b|; |out| may alias an operand. Returns 0, MONEY_EINVAL
 * (an operand invalid), MONEY_ECURRENCY (codes differ; two empty codes
 * match), or MONEY_ERANGE; on error |out| is untouched. */
int money_add(const Hipstershop__Money *a, const Hipstershop__Money *b,
              Hipstershop__Money *out);

/* |out| = |m| * |n| (a cart quantity), exact. Returns 0, MONEY_EINVAL or
 * MONEY_ERANGE; on error |out| is untouched. */
int money_mul(const Hipstershop__Money *m, uint32_t n,
              Hipstershop__Money *out);

/* Formats as "<units>.<cents> <code>", cents truncated like upstream's
 * frontend ("8.99 USD", "-1.50 EUR"). Returns |buf|. */
const char *money_format(const Hipstershop__Money *m, char *buf, size_t size);

#endif /* MESHSIM_MONEY_H */

/*
 * decimal.h — an unsigned integer's decimal digits without snprintf, for
 * the per-request paths where snprintf showed in the whole-shop profile
 * (the access log's status and duration, the cookie's Max-Age, the HTML
 * builder's numbers). Header only; pure.
 */
#ifndef MESHSIM_DECIMAL_H
#define MESHSIM_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* The most digits a uint64_t has. */
#define DEC_U64_MAX 20

/* Writes |v|'s digits so that they end just before |end| (no NUL), right
 * to left; the caller has DEC_U64_MAX bytes before |end|. Returns how
 * many (1 to DEC_U64_MAX): they start at end - that. */
static inline size_t dec_u64(char *end, uint64_t v) {
  size_t n = 0;
  do
    end[-(ptrdiff_t)++n] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  return n;
}

#endif /* MESHSIM_DECIMAL_H */

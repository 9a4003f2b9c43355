/*
 * loadgen_fake.h — the fake shopper data the load generator checks out with
 * (upstream's locustfile uses the Faker library; these are our own small
 * word lists): e-mail, street, zip code, city, state, country, and a VISA
 * number that passes the payment service's checks (prefix 4, 16 digits,
 * Luhn-valid) with an expiry from next year on.
 *
 * Randomness only from rt_rand(), so a seeded runtime gives the same data.
 */
#ifndef MESHSIM_LOADGEN_FAKE_H
#define MESHSIM_LOADGEN_FAKE_H

#include <stddef.h>

#include "rt.h"

typedef struct loadgen_checkout_form {
  char email[96];
  char street_address[96];
  char zip_code[12];    /* 5 digits, no leading zero */
  char city[48];
  char state[4];        /* US state abbreviation */
  char country[48];
  char credit_card_number[20]; /* 16 digits */
  int credit_card_expiration_month; /* 1..12 */
  int credit_card_expiration_year;  /* current year + 1 .. + 70 */
  char credit_card_cvv[12];         /* 3 digits: 100..999 */
} loadgen_checkout_form_t;

/* Fills |f| with fresh fake data; the expiry years count from rt_now(). */
void loadgen_fake_checkout(rt_t *rt, loadgen_checkout_form_t *f);

/* Writes a VISA number into |out| (at least 17 bytes): "4", 14 random
 * digits and the Luhn check digit. */
void loadgen_fake_visa(rt_t *rt, char *out);

/* 1 when |digits| (only 0-9, at least 2) passes the Luhn check, else 0. */
int loadgen_luhn_valid(const char *digits);

/* The UTC calendar year of |t| (ns since the epoch). */
int loadgen_utc_year(rt_time_t t);

/* Appends "key=value" (with '&' when |buf| is not empty) to the
 * NUL-terminated |buf| of |size| bytes, form-urlencoding both
 * (application/x-www-form-urlencoded: space as '+', others %XX).
 * Returns 0, or -1 when it does not fit (|buf| is then unchanged). */
int loadgen_form_append(char *buf, size_t size, const char *key,
                        const char *value);

/* Encodes |f| as the frontend's checkout form into |buf|. Returns 0 or -1
 * when it does not fit. */
int loadgen_checkout_form_encode(const loadgen_checkout_form_t *f, char *buf,
                                 size_t size);

#endif /* MESHSIM_LOADGEN_FAKE_H */

/* loadgen_fake.c — fake checkout data (see loadgen_fake.h). */
#include "loadgenerator/loadgen_fake.h"

#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof *(a))

static const char *const first_names[] = {
    "james", "mary", "robert", "patricia", "john", "jennifer", "michael",
    "linda", "david", "elizabeth", "william", "barbara", "richard", "susan",
    "joseph", "jessica", "thomas", "sarah", "carlos", "maria", "wei", "aiko",
    "olga", "ahmed", "fatima", "lars", "ingrid", "raj", "priya", "kofi"};
static const char *const last_names[] = {
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller",
    "davis", "rodriguez", "martinez", "hernandez", "lopez", "gonzalez",
    "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin",
    "lee", "nguyen", "chen", "tanaka", "ivanova", "okafor", "larsen", "patel"};
static const char *const mail_domains[] = {"example.com", "example.org",
                                           "example.net"};
static const char *const street_names[] = {
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake",
    "Hill", "Park", "Sunset", "River", "Amphitheatre", "Church", "Highland",
    "Meadow", "Spring", "Willow", "Jackson", "Lincoln"};
static const char *const street_suffixes[] = {
    "Street", "Avenue", "Road", "Boulevard", "Lane", "Drive", "Court",
    "Parkway", "Way", "Place"};
static const char *const cities[] = {
    "Mountain View", "Springfield", "Riverside", "Franklin", "Greenville",
    "Bristol", "Clinton", "Fairview", "Salem", "Madison", "Georgetown",
    "Arlington", "Ashland", "Burlington", "Dover", "Oxford", "Jackson",
    "Milton", "Newport", "Winchester"};
static const char *const states[] = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID",
    "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS",
    "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
    "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY"};
static const char *const countries[] = {
    "United States", "Canada", "Mexico", "Brazil", "Argentina",
    "United Kingdom", "Ireland", "France", "Germany", "Spain", "Portugal",
    "Italy", "Netherlands", "Belgium", "Switzerland", "Austria", "Sweden",
    "Norway", "Denmark", "Finland", "Poland", "Czech Republic", "Turkey",
    "Japan", "South Korea", "India", "Australia", "New Zealand",
    "South Africa", "Nigeria", "Egypt", "Côte d'Ivoire"};

static const char *pick(rt_t *rt, const char *const *a, size_t n) {
  return a[rt_rand_below(rt, n)];
}

static int between(rt_t *rt, int lo, int hi) { /* inclusive */
  return lo + (int)rt_rand_below(rt, (uint64_t)(hi - lo + 1));
}

int loadgen_luhn_valid(const char *d) {
  size_t n = strlen(d);
  if (n < 2)
    return 0;
  int sum = 0;
  for (size_t i = 0; i < n; i++) {
    char c = d[n - 1 - i];
    if (c < '0' || c > '9')
      return 0;
    int v = c - '0';
    if (i % 2 == 1) {
      v *= 2;
      if (v > 9)
        v -= 9;
    }
    sum += v;
  }
  return sum % 10 == 0;
}

void loadgen_fake_visa(rt_t *rt, char *out) {
  out[0] = '4';
  for (int i = 1; i < 15; i++)
    out[i] = (char)('0' + rt_rand_below(rt, 10));
  /* The check digit makes the Luhn sum of all 16 a multiple of ten: over
   * the first 15 digits, those at even distance from the (future) last
   * digit's left neighbour are doubled. */
  int sum = 0;
  for (int i = 0; i < 15; i++) {
    int v = out[14 - i] - '0';
    if (i % 2 == 0) {
      v *= 2;
      if (v > 9)
        v -= 9;
    }
    sum += v;
  }
  out[15] = (char)('0' + (10 - sum % 10) % 10);
  out[16] = '\0';
}

int loadgen_utc_year(rt_time_t t) {
  /* Days to civil date (proleptic Gregorian), after H. Hinnant. */
  int64_t secs = t / RT_SEC - (t % RT_SEC < 0); /* floor */
  int64_t days = secs / 86400 - (secs % 86400 < 0);
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return (int)(y + (m <= 2));
}

void loadgen_fake_checkout(rt_t *rt, loadgen_checkout_form_t *f) {
  memset(f, 0, sizeof *f);
  const char *first = pick(rt, first_names, N(first_names));
  const char *last = pick(rt, last_names, N(last_names));
  snprintf(f->email, sizeof f->email, "%s.%s%d@%s", first, last,
           between(rt, 1, 99), pick(rt, mail_domains, N(mail_domains)));
  snprintf(f->street_address, sizeof f->street_address, "%d %s %s",
           between(rt, 1, 9999), pick(rt, street_names, N(street_names)),
           pick(rt, street_suffixes, N(street_suffixes)));
  snprintf(f->zip_code, sizeof f->zip_code, "%d", between(rt, 10000, 99999));
  snprintf(f->city, sizeof f->city, "%s", pick(rt, cities, N(cities)));
  snprintf(f->state, sizeof f->state, "%s", pick(rt, states, N(states)));
  snprintf(f->country, sizeof f->country, "%s",
           pick(rt, countries, N(countries)));
  loadgen_fake_visa(rt, f->credit_card_number);
  f->credit_card_expiration_month = between(rt, 1, 12);
  int year = loadgen_utc_year(rt_now(rt)) + 1;
  f->credit_card_expiration_year = between(rt, year, year + 69);
  snprintf(f->credit_card_cvv, sizeof f->credit_card_cvv, "%d",
           between(rt, 100, 999));
}

/* ---- form encoding ------------------------------------------------------ */

static size_t enc_len(const char *s) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
                *p == '_' || *p == '*' || *p == ' ';
    n += plain ? 1 : 3;
  }
  return n;
}

static char *enc(char *o, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
        (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
        *p == '*') {
      *o++ = (char)*p;
    } else if (*p == ' ') {
      *o++ = '+';
    } else {
      *o++ = '%';
      *o++ = hex[*p >> 4];
      *o++ = hex[*p & 15];
    }
  }
  return o;
}

int loadgen_form_append(char *buf, size_t size, const char *key,
                        const char *value) {
  size_t have = strlen(buf);
  size_t need = have + (have ? 1 : 0) + enc_len(key) + 1 + enc_len(value);
  if (need + 1 > size)
    return -1;
  char *o = buf + have;
  if (have)
    *o++ = '&';
  o = enc(o, key);
  *o++ = '=';
  o = enc(o, value);
  *o = '\0';
  return 0;
}

int loadgen_checkout_form_encode(const loadgen_checkout_form_t *f, char *buf,
                                 size_t size) {
  char month[16], year[16];
  snprintf(month, sizeof month, "%d", f->credit_card_expiration_month);
  snprintf(year, sizeof year, "%d", f->credit_card_expiration_year);
  if (size == 0)
    return -1;
  buf[0] = '\0';
  const char *kv[][2] = {
      {"email", f->email},
      {"street_address", f->street_address},
      {"zip_code", f->zip_code},
      {"city", f->city},
      {"state", f->state},
      {"country", f->country},
      {"credit_card_number", f->credit_card_number},
      {"credit_card_expiration_month", month},
      {"credit_card_expiration_year", year},
      {"credit_card_cvv", f->credit_card_cvv},
  };
  for (size_t i = 0; i < N(kv); i++)
    if (loadgen_form_append(buf, size, kv[i][0], kv[i][1]) != 0) {
      buf[0] = '\0';
      return -1;
    }
  return 0;
}

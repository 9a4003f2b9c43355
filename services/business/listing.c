/*
 * listing.c — the rules a listing must pass (see listing.h).
 */
#include "business/listing.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const listing_categories[] = {
    "accessories", "beauty", "clothing", "decor", "footwear",
    "hair",        "home",   "kitchen",  "tops"};
const size_t listing_n_categories =
    sizeof listing_categories / sizeof *listing_categories;

const char *const listing_currencies[] = {
    "USD", "EUR", "CAD", "JPY", "GBP", "TRY", "AUD", "BGN", "BRL",
    "CHF", "CNY", "CZK", "DKK", "HKD", "HRK", "HUF", "IDR", "ILS",
    "INR", "ISK", "KRW", "MXN", "MYR", "NOK", "NZD", "PHP", "PLN",
    "RON", "RUB", "SEK", "SGD", "THB", "ZAR"};
const size_t listing_n_currencies =
    sizeof listing_currencies / sizeof *listing_currencies;

static const char *const state_names[] = {
#define LISTING_STATE_NAME(name, text, desc) text,
    LISTING_STATE_MAP(LISTING_STATE_NAME)
#undef LISTING_STATE_NAME
};
static const char *const state_texts[] = {
#define LISTING_STATE_TEXT(name, text, desc) desc,
    LISTING_STATE_MAP(LISTING_STATE_TEXT)
#undef LISTING_STATE_TEXT
};
#define N_STATES (sizeof state_names / sizeof *state_names)

const char *listing_state_name(listing_state_t s) {
  return (unsigned)s < N_STATES ? state_names[s] : "unknown";
}

const char *listing_state_text(listing_state_t s) {
  return (unsigned)s < N_STATES ? state_texts[s] : "unknown";
}

int listing_state_parse(const char *name, listing_state_t *out) {
  for (size_t i = 0; i < N_STATES; i++)
    if (strcmp(state_names[i], name) == 0) {
      *out = (listing_state_t)i;
      return 0;
    }
  return -1;
}

void listing_clear(listing_t *l) {
  free(l->seller_email);
  free(l->product_name);
  free(l->description);
  free(l->error);
  memset(l, 0, sizeof *l);
}

/* ---- text ---- */

/* Counts the characters of strict UTF-8 |s| (n bytes); -1 when it is not
 * UTF-8 or holds a control character (newline, CR and tab allowed when
 * |multiline|). */
static long utf8_chars(const char *z, size_t n, int multiline) {
  const unsigned char *s = (const unsigned char *)z, *end = s + n;
  long count = 0;
  while (s < end) {
    unsigned c = *s;
    int k;
    unsigned min;
    if (c < 0x80) {
      if ((c < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t'))) ||
          c == 0x7f)
        return -1;
      s++, count++;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      k = 1, min = 0x80, c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      k = 2, min = 0x800, c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      k = 3, min = 0x10000, c &= 0x07;
    } else {
      return -1;
    }
    if (end - s <= k)
      return -1;
    for (int i = 1; i <= k; i++) {
      if ((s[i] & 0xc0) != 0x80)
        return -1;
      c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
        (c >= 0x80 && c < 0xa0)) /* C1 controls */
      return -1;
    s += k + 1, count++;
  }
  return count;
}

/* A trimmed copy of |s| (ASCII whitespace off both ends); NULL when out of
 * memory. */
static char *trim_dup(const char *s) {
  if (!s)
    s = "";
  while (*s && isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    n--;
  return strndup(s, n);
}

int listing_email_valid(const char *s) {
  size_t n = strlen(s);
  const char *at = strrchr(s, '@');
  if (n == 0 || n > LISTING_MAX_EMAIL || !at || at == s || at - s > 64)
    return 0;
  for (const char *c = s; c < at; c++) {
    if (*c == '.') {
      if (c == s || c + 1 == at || c[1] == '.')
        return 0;
    } else if (!isalnum((unsigned char)*c) &&
               !strchr("!#$%&'*+/=?^_`{|}~-", *c)) {
      return 0;
    }
  }
  /* Domain: LDH labels of 1..63, at least two, the last alphabetic. */
  const char *d = at + 1, *label = d;
  int labels = 0;
  for (const char *c = d;; c++) {
    if (*c == '.' || *c == '\0') {
      size_t len = (size_t)(c - label);
      if (len == 0 || len > 63 || label[0] == '-' || c[-1] == '-')
        return 0;
      labels++;
      if (*c == '\0') {
        if (len < 2)
          return 0;
        for (const char *t = label; t < c; t++)
          if (!isalpha((unsigned char)*t))
            return 0;
        break;
      }
      label = c + 1;
    } else if (!isalnum((unsigned char)*c) && *c != '-') {
      return 0;
    }
  }
  return labels >= 2;
}

int listing_id_valid(const char *s) {
  if (!s || strlen(s) != SVC_UUID_LEN)
    return 0;
  for (int i = 0; i < SVC_UUID_LEN; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-')
        return 0;
    } else if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f')) {
      return 0;
    }
  }
  return 1;
}

int listing_parse_price(const char *s, int64_t *units, int32_t *nanos,
                        const char **why) {
  while (*s == ' ')
    s++;
  const char *c = s;
  int64_t u = 0;
  int digits = 0;
  while (isdigit((unsigned char)*c)) {
    if (u > LISTING_MAX_PRICE_UNITS) {
      *why = "is more than 1000000";
      return -1;
    }
    u = u * 10 + (*c++ - '0');
    digits++;
  }
  int32_t cents = 0;
  if (*c == '.') {
    c++;
    int k = 0;
    while (isdigit((unsigned char)*c)) {
      if (++k > 2) {
        *why = "has more than 2 decimal places";
        return -1;
      }
      cents = cents * 10 + (*c++ - '0');
    }
    if (k == 1)
      cents *= 10;
    digits += k;
  }
  while (*c == ' ')
    c++;
  if (!digits || *c) {
    *why = "is not a number such as 12.50";
    return -1;
  }
  if (u > LISTING_MAX_PRICE_UNITS ||
      (u == LISTING_MAX_PRICE_UNITS && cents > 0)) {
    *why = "is more than 1000000";
    return -1;
  }
  if (u == 0 && cents == 0) {
    *why = "must be greater than zero";
    return -1;
  }
  *units = u;
  *nanos = cents * 10000000;
  return 0;
}

const char *listing_format_amount(int64_t units, int32_t nanos, char *buf,
                                  size_t size) {
  snprintf(buf, size, "%lld.%02d", (long long)units, (int)(nanos / 10000000));
  return buf;
}

const char *listing_categories_join(unsigned mask, const char *sep, char *buf,
                                    size_t size) {
  size_t k = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < listing_n_categories; i++)
    if (mask & (1u << i)) {
      int w = snprintf(buf + k, size - k, "%s%s", k ? sep : "",
                       listing_categories[i]);
      if (w < 0 || (size_t)w >= size - k)
        break;
      k += (size_t)w;
    }
  return buf;
}

int listing_categories_parse(const char *s, unsigned *mask, char *bad,
                             size_t badsize) {
  while (*s) {
    while (*s == ',' || isspace((unsigned char)*s))
      s++;
    const char *e = s;
    while (*e && *e != ',')
      e++;
    size_t n = (size_t)(e - s);
    while (n && isspace((unsigned char)s[n - 1]))
      n--;
    if (n) {
      size_t i = 0;
      for (; i < listing_n_categories; i++)
        if (strlen(listing_categories[i]) == n &&
            strncasecmp(listing_categories[i], s, n) == 0)
          break;
      if (i == listing_n_categories) {
        snprintf(bad, badsize, "%.*s", (int)(n > 40 ? 40 : n), s);
        return -1;
      }
      *mask |= 1u << i;
    }
    s = e;
  }
  return 0;
}

/* ---- pictures ---- */

const char *listing_sniff_picture(const uint8_t *p, size_t n) {
  if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
    return "image/jpeg";
  if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "image/png";
  if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
    return "image/gif";
  if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
    return "image/webp";
  /* SVG: text whose first element, after an optional BOM, XML declaration,
   * comments, processing instructions and doctype, is <svg. */
  size_t i = 0;
  if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
    i = 3;
  size_t limit = n < 4096 ? n : 4096;
  while (i < limit) {
    while (i < limit && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
                         p[i] == '\n'))
      i++;
    if (i >= limit || p[i] != '<')
      return NULL;
    if (limit - i >= 4 && memcmp(p + i, "<svg", 4) == 0 &&
        (limit - i == 4 || strchr(" \t\r\n>/", p[i + 4])))
      return "image/svg+xml";
    const char *close = NULL;
    if (limit - i >= 4 && memcmp(p + i, "<!--", 4) == 0)
      close = "-->";
    else if (limit - i >= 2 && (p[i + 1] == '?' || p[i + 1] == '!'))
      close = ">";
    else
      return NULL;
    const uint8_t *e = memmem(p + i + 2, limit - i - 2, close, strlen(close));
    if (!e)
      return NULL;
    i = (size_t)(e - p) + strlen(close);
  }
  return NULL;
}

/* ---- the whole submission ---- */

static int fail(listing_error_t *err, int status, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(listing_error_t *err, int status, const char *field,
                const char *fmt, ...) {
  err->status = status;
  err->field = field;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return -1;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
  const uint8_t *p = data;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

static uint64_t fnv_str(uint64_t h, const char *s) {
  return fnv(h, s, strlen(s) + 1); /* the NUL separates fields */
}

int listing_validate(const listing_input_t *in, size_t picture_max,
                     listing_t *out, listing_error_t *err) {
  memset(out, 0, sizeof *out);
  memset(err, 0, sizeof *err);
  int rc = -1;
  if (in->listing_id && *in->listing_id) {
    if (!listing_id_valid(in->listing_id)) {
      fail(err, 422, "listing_id",
           "The listing id must be a lowercase UUID (leave it out to get a "
           "new one).");
      goto out;
    }
    memcpy(out->id, in->listing_id, SVC_UUID_LEN + 1);
  }

  out->seller_email = trim_dup(in->seller_email);
  out->product_name = trim_dup(in->product_name);
  out->description = trim_dup(in->description);
  out->error = strdup("");
  if (!out->seller_email || !out->product_name || !out->description ||
      !out->error) {
    fail(err, 500, "", "Out of memory.");
    goto out;
  }
  if (!*out->seller_email) {
    fail(err, 422, "seller_email", "Please enter your e-mail address.");
    goto out;
  }
  if (!listing_email_valid(out->seller_email)) {
    fail(err, 422, "seller_email",
         "The e-mail address does not look valid (expected name@example.com).");
    goto out;
  }

  long nc = utf8_chars(out->product_name, strlen(out->product_name), 0);
  if (nc == 0) {
    fail(err, 422, "product_name", "Please enter the product's name.");
    goto out;
  }
  if (nc < 0) {
    fail(err, 422, "product_name",
         "The product name must be plain text (UTF-8, no control "
         "characters).");
    goto out;
  }
  if (nc > LISTING_MAX_NAME_CHARS) {
    fail(err, 422, "product_name",
         "The product name is %ld characters long; at most %d are allowed.",
         nc, LISTING_MAX_NAME_CHARS);
    goto out;
  }
  long nd = utf8_chars(out->description, strlen(out->description), 1);
  if (nd < 0) {
    fail(err, 422, "description",
         "The description must be plain text (UTF-8, no control "
         "characters other than line breaks).");
    goto out;
  }
  if (nd > LISTING_MAX_DESCRIPTION_CHARS) {
    fail(err, 422, "description",
         "The description is %ld characters long; at most %d are allowed.",
         nd, LISTING_MAX_DESCRIPTION_CHARS);
    goto out;
  }

  for (size_t i = 0; i < in->n_categories; i++) {
    char bad[48];
    if (in->categories[i] &&
        listing_categories_parse(in->categories[i], &out->categories, bad,
                                 sizeof bad) != 0) {
      char all[160];
      fail(err, 422, "categories", "Unknown category \"%s\"; choose from %s.",
           bad, listing_categories_join(~0u, ", ", all, sizeof all));
      goto out;
    }
  }
  if (!out->categories) {
    fail(err, 422, "categories", "Please choose at least one category.");
    goto out;
  }

  const char *why;
  if (!in->price || !*in->price) {
    fail(err, 422, "price", "Please enter a price.");
    goto out;
  }
  if (listing_parse_price(in->price, &out->units, &out->nanos, &why) != 0) {
    fail(err, 422, "price", "The price %s.", why);
    goto out;
  }
  const char *cur = in->currency && *in->currency ? in->currency : "USD";
  size_t ci = 0;
  for (; ci < listing_n_currencies; ci++)
    if (strcasecmp(listing_currencies[ci], cur) == 0)
      break;
  if (ci == listing_n_currencies) {
    fail(err, 422, "currency",
         "The currency \"%.8s\" is not supported; use a code such as USD, "
         "EUR or JPY.",
         cur);
    goto out;
  }
  memcpy(out->currency, listing_currencies[ci], 4);
  if (ci == 0) { /* USD: known at once */
    out->has_usd = 1;
    out->usd_units = out->units;
    out->usd_nanos = out->nanos;
  }

  if (in->picture && in->picture_len) {
    if (in->picture_len > picture_max) {
      fail(err, 413, "picture",
           "The picture is %zu bytes; at most %zu bytes are allowed.",
           in->picture_len, picture_max);
      goto out;
    }
    const char *type = listing_sniff_picture(in->picture, in->picture_len);
    if (!type) {
      fail(err, 422, "picture",
           "The picture must be a JPEG, PNG, GIF, WebP or SVG image.");
      goto out;
    }
    snprintf(out->picture_type, sizeof out->picture_type, "%s", type);
    out->picture_len = in->picture_len;
  }

  uint64_t h = 14695981039346656037ull;
  h = fnv_str(h, out->seller_email);
  h = fnv_str(h, out->product_name);
  h = fnv_str(h, out->description);
  char num[64];
  snprintf(num, sizeof num, "%u|%s|%lld|%d|%zu", out->categories,
           out->currency, (long long)out->units, (int)out->nanos,
           out->picture_len);
  h = fnv_str(h, num);
  if (out->picture_len)
    h = fnv(h, in->picture, in->picture_len);
  snprintf(out->fingerprint, sizeof out->fingerprint, "%016llx",
           (unsigned long long)h);
  out->state = LISTING_PENDING;
  rc = 0;
out:
  if (rc != 0)
    listing_clear(out);
  return rc;
}

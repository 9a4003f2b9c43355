/*
 * html.c — the HTML builder. Escaping works on runs: the bytes that need no
 * change are copied with one memcpy, so escaping mostly-plain text costs
 * little more than copying it.
 */
#include "common/html.h"
#include "common/decimal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void html_init(html_buf_t *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->failed = 0;
}

void html_free(html_buf_t *b) {
  free(b->data);
  html_init(b);
}

int html_failed(const html_buf_t *b) { return b->failed; }

/* reserve()'s slow path: checks the limit, grows the buffer. */
static int grow(html_buf_t *b, size_t n) {
  if (b->failed)
    return -1;
  if (n > HTML_MAX_BYTES || b->len + n > HTML_MAX_BYTES) {
    b->failed = 1;
    return -1;
  }
  size_t need = b->len + n + 1;
  if (need <= b->cap)
    return 0;
  /* Start at a page's size, not at 1 KB and a realloc (and a copy) per
   * doubling: 0.6 % of a whole-shop simulation. */
  size_t cap = b->cap ? b->cap : 16384;
  while (cap < need)
    cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p) {
    b->failed = 1;
    return -1;
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

/* Makes room for |n| more bytes plus the NUL. Returns 0, or -1 (sticky).
 * Inline for the common case, room already there: a page is thousands of
 * appends. */
static inline int reserve(html_buf_t *b, size_t n) {
  if (!b->failed && n < b->cap - b->len && b->len + n <= HTML_MAX_BYTES)
    return 0;
  return grow(b, n);
}

void html_rawn(html_buf_t *b, const char *s, size_t n) {
  if (!s || reserve(b, n) != 0)
    return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void html_raw(html_buf_t *b, const char *s) {
  if (s)
    html_rawn(b, s, strlen(s));
}

/* Length of the well-formed UTF-8 sequence at |s| (|n| bytes left), or 0
 * (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  return len;
}

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

void html_textn(html_buf_t *b, const char *s, size_t n) {
  if (!s)
    return;
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  while (p < end && !b->failed) {
    /* The run of bytes that are copied unchanged. */
    const unsigned char *run = p;
    while (p < end) {
      unsigned char c = *p;
      if (c >= 0x80) {
        size_t k = utf8_len(p, (size_t)(end - p));
        if (k == 0)
          break;
        p += k;
        continue;
      }
      if (c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' ||
          c == 0x7F || (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))
        break;
      p++;
    }
    html_rawn(b, (const char *)run, (size_t)(p - run));
    if (p >= end)
      break;
    switch (*p) {
    case '&':
      html_rawn(b, "&amp;", 5);
      break;
    case '<':
      html_rawn(b, "&lt;", 4);
      break;
    case '>':
      html_rawn(b, "&gt;", 4);
      break;
    case '"':
      html_rawn(b, "&quot;", 6);
      break;
    case '\'':
      html_rawn(b, "&#39;", 5);
      break;
    default: /* a control byte or a malformed UTF-8 byte */
      html_rawn(b, REPLACEMENT, 3);
      break;
    }
    p++;
  }
}

void html_text(html_buf_t *b, const char *s) {
  if (s)
    html_textn(b, s, strlen(s));
}

void html_url_component(html_buf_t *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  if (!s)
    return;
  for (const unsigned char *p = (const unsigned char *)s; *p && !b->failed;) {
    const unsigned char *run = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
           (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
           *p == '~')
      p++;
    html_rawn(b, (const char *)run, (size_t)(p - run));
    if (!*p)
      break;
    char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
    html_rawn(b, esc, 3);
    p++;
  }
}

/* html_printf's own formatting, for the conversions pages use: %%, %s, %c,
 * and %d %i %u with an optional '0' flag, a width, and l, ll (or z for
 * %u). vsnprintf costs about a microsecond a call, and a product page
 * makes ~40 of them (the currency menu, the quantity menu): 5 % of a
 * simulated shop's time. 1 when every conversion in |fmt| is one of these. */
static int fast_format(const char *fmt) {
  for (const char *p = fmt; (p = strchr(p, '%')) != NULL;) {
    p++;
    if (*p == '%') {
      p++;
      continue;
    }
    int mods = 0, z = 0;
    if (*p == '0')
      p++, mods = 1;
    while (*p >= '0' && *p <= '9')
      p++, mods = 1;
    if (*p == 'z') {
      p++, z = 1;
    } else {
      for (int l = 0; *p == 'l' && l < 2; l++)
        p++, mods = 1;
    }
    char c = *p++;
    if (c == 's' || c == 'c') {
      if (mods || z)
        return 0;
    } else if (!(c == 'u' || (!z && (c == 'd' || c == 'i')))) {
      return 0;
    }
  }
  return 1;
}

static void put_int(html_buf_t *b, unsigned long long v, int neg, int zero,
                    size_t width) {
  char d[DEC_U64_MAX];
  size_t n = dec_u64(d + sizeof d, v);
  size_t len = n + (neg ? 1 : 0);
  if (!zero)
    for (; width > len; width--)
      html_rawn(b, " ", 1);
  if (neg)
    html_rawn(b, "-", 1);
  if (zero)
    for (; width > len; width--)
      html_rawn(b, "0", 1);
  html_rawn(b, d + sizeof d - n, n);
}

static void format_fast(html_buf_t *b, const char *fmt, va_list ap) {
  const char *p = fmt;
  for (;;) {
    const char *q = strchr(p, '%');
    if (!q) {
      html_rawn(b, p, strlen(p));
      return;
    }
    if (q > p)
      html_rawn(b, p, (size_t)(q - p));
    q++;
    if (*q == '%') {
      html_rawn(b, "%", 1);
      p = q + 1;
      continue;
    }
    int zero = 0, len = 0;
    size_t width = 0;
    if (*q == '0')
      zero = 1, q++;
    while (*q >= '0' && *q <= '9')
      width = width * 10 + (size_t)(*q++ - '0');
    if (*q == 'z') {
      len = 3, q++;
    } else {
      while (*q == 'l' && len < 2)
        len++, q++;
    }
    char c = *q++;
    p = q;
    if (c == 's') {
      const char *s = va_arg(ap, const char *);
      html_raw(b, s ? s : "(null)"); /* glibc's */
    } else if (c == 'c') {
      char ch = (char)va_arg(ap, int);
      html_rawn(b, &ch, 1);
    } else if (c == 'u') {
      unsigned long long v = len == 0   ? va_arg(ap, unsigned)
                             : len == 1 ? va_arg(ap, unsigned long)
                             : len == 2 ? va_arg(ap, unsigned long long)
                                        : va_arg(ap, size_t);
      put_int(b, v, 0, zero, width);
    } else {
      long long v = len == 0   ? va_arg(ap, int)
                    : len == 1 ? va_arg(ap, long)
                               : va_arg(ap, long long);
      unsigned long long m = v < 0 ? 0ull - (unsigned long long)v
                                   : (unsigned long long)v;
      put_int(b, m, v < 0, zero, width);
    }
  }
}

void html_printf(html_buf_t *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  if (fast_format(fmt)) {
    va_start(ap, fmt);
    format_fast(b, fmt, ap);
    va_end(ap);
    return;
  }
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = 1;
    return;
  }
  if ((size_t)n < sizeof small) {
    html_rawn(b, small, (size_t)n);
    return;
  }
  if (reserve(b, (size_t)n) != 0)
    return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

char *html_take(html_buf_t *b, size_t *len) {
  if (b->failed) {
    html_free(b);
    if (len)
      *len = 0;
    return NULL;
  }
  if (!b->data && reserve(b, 0) != 0) {
    html_init(b);
    if (len)
      *len = 0;
    return NULL;
  }
  if (b->len == 0)
    b->data[0] = '\0';
  char *out = b->data;
  if (len)
    *len = b->len;
  html_init(b);
  return out;
}

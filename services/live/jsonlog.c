/*
 * jsonlog.c — JSON log lines (see jsonlog.h).
 */
#include "jsonlog.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct buf {
  char *p;
  size_t n, cap;
  int oom;
} buf_t;

static void put(buf_t *b, const char *s, size_t n) {
  if (b->oom)
    return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
}

static void puts_(buf_t *b, const char *s) { put(b, s, strlen(s)); }

/* Length of the valid UTF-8 sequence at |s| (of |n| bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  uint32_t cp;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

static void put_string(buf_t *b, const char *str) {
  const unsigned char *s = (const unsigned char *)(str ? str : "");
  size_t n = strlen((const char *)s);
  put(b, "\"", 1);
  size_t i = 0;
  while (i < n) {
    /* Copy the longest run that needs no escaping in one go. */
    size_t j = i;
    while (j < n && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '"' && s[j] != '\\')
      j++;
    put(b, (const char *)s + i, j - i);
    i = j;
    if (i >= n)
      break;
    unsigned char c = s[i];
    char esc[8];
    switch (c) {
    case '"':
      puts_(b, "\\\"");
      break;
    case '\\':
      puts_(b, "\\\\");
      break;
    case '\n':
      puts_(b, "\\n");
      break;
    case '\r':
      puts_(b, "\\r");
      break;
    case '\t':
      puts_(b, "\\t");
      break;
    default:
      if (c < 0x20 || c == 0x7f) {
        snprintf(esc, sizeof esc, "\\u%04x", c);
        puts_(b, esc);
      } else {
        size_t k = utf8_len(s + i, n - i);
        if (k) {
          put(b, (const char *)s + i, k);
          i += k;
          continue;
        }
        puts_(b, "\\ufffd");
      }
    }
    i++;
  }
  put(b, "\"", 1);
}

const char *jsonlog_severity_name(rt_severity_t sev) {
  switch (sev) {
  case RT_DEBUG:
    return "debug";
  case RT_INFO:
    return "info";
  case RT_WARNING:
    return "warning";
  default:
    return "error";
  }
}

int jsonlog_parse_level(const char *s, rt_severity_t *out) {
  static const rt_severity_t all[] = {RT_DEBUG, RT_INFO, RT_WARNING, RT_ERROR};
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(s, jsonlog_severity_name(all[i])) == 0) {
      *out = all[i];
      return 0;
    }
  }
  if (strcasecmp(s, "warn") == 0) {
    *out = RT_WARNING;
    return 0;
  }
  return -1;
}

char *jsonlog_format(rt_time_t now, rt_severity_t sev, const char *service,
                     const char *msg, const char *const *fields, size_t *len) {
  buf_t b = {0};
  time_t secs = (time_t)(now / RT_SEC);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char ts[64];
  snprintf(ts, sizeof ts, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
           tm.tm_sec, (int)(now % RT_SEC / RT_MSEC));
  puts_(&b, ts);
  puts_(&b, ",\"severity\":");
  put_string(&b, jsonlog_severity_name(sev));
  puts_(&b, ",\"service\":");
  put_string(&b, service);
  puts_(&b, ",\"message\":");
  put_string(&b, msg);
  for (size_t i = 0; fields && fields[i]; i += 2) {
    put(&b, ",", 1);
    put_string(&b, fields[i]);
    put(&b, ":", 1);
    put_string(&b, fields[i + 1]);
  }
  puts_(&b, "}\n");
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  if (len)
    *len = b.n;
  return b.p;
}

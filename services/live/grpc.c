/*
 * grpc.c — gRPC wire rules without I/O: framing, timeouts, percent-encoding.
 */
#include "grpc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *grpc_strerror(int err) {
  switch (err) {
  case 0:
    return "success";
#define GRPC_ERR_CASE(n, name, text) \
  case n:                            \
    return text;
    GRPC_ERR_MAP(GRPC_ERR_CASE)
#undef GRPC_ERR_CASE
  default:
    return "unknown error";
  }
}

void grpc_frame_prefix(uint8_t out[GRPC_PREFIX_LEN], int compressed,
                       uint32_t len) {
  out[0] = compressed ? 1 : 0;
  out[1] = (uint8_t)(len >> 24);
  out[2] = (uint8_t)(len >> 16);
  out[3] = (uint8_t)(len >> 8);
  out[4] = (uint8_t)len;
}

/* ---- Decoder ------------------------------------------------------------ */

void grpc_decoder_init(grpc_decoder_t *d, uint32_t max) {
  memset(d, 0, sizeof *d);
  d->max = max;
}

void grpc_decoder_free(grpc_decoder_t *d) {
  free(d->buf);
  d->buf = NULL;
  d->nhdr = 0;
  d->have = 0;
}

int grpc_decoder_partial(const grpc_decoder_t *d) { return d->nhdr != 0; }

ssize_t grpc_decoder_feed(grpc_decoder_t *d, const uint8_t *in, size_t n,
                          grpc_msg_t *out) {
  size_t used = 0;
  out->data = NULL;
  out->len = 0;
  out->compressed = 0;
  if (d->nhdr < GRPC_PREFIX_LEN) {
    size_t k = GRPC_PREFIX_LEN - d->nhdr;
    if (k > n)
      k = n;
    memcpy(d->hdr + d->nhdr, in, k);
    d->nhdr = (uint8_t)(d->nhdr + k);
    used = k;
    if (d->nhdr < GRPC_PREFIX_LEN)
      return (ssize_t)used;
    if (d->hdr[0] > 1)
      return GRPC_ERR_BAD_FLAG;
    d->compressed = d->hdr[0];
    d->len = (uint32_t)d->hdr[1] << 24 | (uint32_t)d->hdr[2] << 16 |
             (uint32_t)d->hdr[3] << 8 | d->hdr[4];
    if (d->len > d->max)
      return GRPC_ERR_TOO_LARGE;
    /* Allocate the exact size announced (bounded by max), +1 so an empty
     * message still gets a non-NULL buffer. */
    d->buf = malloc((size_t)d->len + 1);
    if (!d->buf)
      return GRPC_ERR_NOMEM;
    d->have = 0;
  }
  size_t k = d->len - d->have;
  if (k > n - used)
    k = n - used;
  memcpy(d->buf + d->have, in + used, k);
  d->have += (uint32_t)k;
  used += k;
  if (d->have == d->len) {
    out->data = d->buf;
    out->len = d->len;
    out->compressed = d->compressed;
    d->buf = NULL;
    d->nhdr = 0;
    d->have = 0;
  }
  return (ssize_t)used;
}

/* ---- grpc-timeout ------------------------------------------------------- */

static rt_time_t unit_ns(char u) {
  switch (u) {
  case 'H':
    return 3600 * RT_SEC;
  case 'M':
    return 60 * RT_SEC;
  case 'S':
    return RT_SEC;
  case 'm':
    return RT_MSEC;
  case 'u':
    return RT_USEC;
  case 'n':
    return RT_NSEC;
  default:
    return 0;
  }
}

int grpc_timeout_parse(const char *s, size_t n, rt_time_t *out) {
  if (n < 2 || n > 9)
    return GRPC_ERR_BAD_TIMEOUT;
  rt_time_t unit = unit_ns(s[n - 1]);
  if (!unit)
    return GRPC_ERR_BAD_TIMEOUT;
  int64_t v = 0;
  for (size_t i = 0; i + 1 < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return GRPC_ERR_BAD_TIMEOUT;
    v = v * 10 + (s[i] - '0');
  }
  /* 8 digits of hours overflow int64 nanoseconds: saturate. */
  if (v > (RT_TIME_INFINITE - 1) / unit)
    *out = RT_TIME_INFINITE - 1;
  else
    *out = v * unit;
  return 0;
}

size_t grpc_timeout_format(rt_time_t ns, char out[16]) {
  static const struct {
    char c;
    rt_time_t ns;
  } units[] = {{'n', RT_NSEC}, {'u', RT_USEC},     {'m', RT_MSEC},
               {'S', RT_SEC},  {'M', 60 * RT_SEC}, {'H', 3600 * RT_SEC}};
  if (ns <= 0)
    ns = 1;
  size_t i;
  int64_t v = 0;
  for (i = 0; i < sizeof units / sizeof *units; i++) {
    v = ns / units[i].ns + (ns % units[i].ns != 0); /* round up */
    if (v <= 99999999)
      break;
  }
  if (i == sizeof units / sizeof *units) { /* cannot happen for int64 */
    i--;
    v = 99999999;
  }
  char digits[16];
  size_t nd = 0;
  do {
    digits[nd++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  size_t len = 0;
  while (nd)
    out[len++] = digits[--nd];
  out[len++] = units[i].c;
  out[len] = '\0';
  return len;
}

/* ---- grpc-message percent-encoding -------------------------------------- */

static int keep_byte(unsigned char c) { return c >= 0x20 && c <= 0x7e && c != '%'; }

char *grpc_pct_encode(const char *in, size_t n, size_t *outlen) {
  static const char hex[] = "0123456789ABCDEF";
  size_t need = 0;
  for (size_t i = 0; i < n; i++)
    need += keep_byte((unsigned char)in[i]) ? 1 : 3;
  char *o = malloc(need + 1);
  if (!o)
    return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    if (keep_byte(c)) {
      o[k++] = (char)c;
    } else {
      o[k++] = '%';
      o[k++] = hex[c >> 4];
      o[k++] = hex[c & 15];
    }
  }
  o[k] = '\0';
  if (outlen)
    *outlen = k;
  return o;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

char *grpc_pct_decode(const char *in, size_t n, size_t *outlen) {
  char *o = malloc(n + 1);
  if (!o)
    return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    int hi, lo;
    if (in[i] == '%' && i + 2 < n &&
        (hi = hexval(in[i + 1])) >= 0 && (lo = hexval(in[i + 2])) >= 0) {
      o[k++] = (char)(hi << 4 | lo);
      i += 2;
    } else {
      o[k++] = in[i];
    }
  }
  o[k] = '\0';
  if (outlen)
    *outlen = k;
  return o;
}

/* ---- Headers ------------------------------------------------------------ */

int grpc_content_type_ok(const char *v, size_t n) {
  static const char base[] = "application/grpc";
  const size_t nb = sizeof base - 1;
  if (n < nb || strncasecmp(v, base, nb) != 0)
    return 0;
  v += nb;
  n -= nb;
  if (n >= 6 && strncasecmp(v, "+proto", 6) == 0) {
    v += 6;
    n -= 6;
  }
  return n == 0 || v[0] == ';';
}

rt_status_t grpc_status_from_http(int http) {
  switch (http) {
  case 400:
    return RT_INTERNAL;
  case 401:
    return RT_UNAUTHENTICATED;
  case 403:
    return RT_PERMISSION_DENIED;
  case 404:
    return RT_UNIMPLEMENTED;
  case 429:
  case 502:
  case 503:
  case 504:
    return RT_UNAVAILABLE;
  default:
    return RT_UNKNOWN;
  }
}

int grpc_status_parse(const char *v, size_t n) {
  if (n < 1 || n > 2)
    return -1;
  int code = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9')
      return -1;
    code = code * 10 + (v[i] - '0');
  }
  return code;
}

int grpc_path_split(const char *path, size_t n, size_t *svc_len,
                    const char **method, size_t *method_len) {
  if (n < 4 || path[0] != '/')
    return -1;
  const char *slash = memchr(path + 1, '/', n - 1);
  if (!slash || slash == path + 1 || slash == path + n - 1)
    return -1;
  if (memchr(slash + 1, '/', (size_t)(path + n - slash - 1)))
    return -1;
  *svc_len = (size_t)(slash - path - 1);
  *method = slash + 1;
  *method_len = (size_t)(path + n - slash - 1);
  return 0;
}

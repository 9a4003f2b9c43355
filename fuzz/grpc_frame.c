/*
 * grpc_frame.c — fuzz target for the pure gRPC decoders (services/live/
 * grpc.c): message framing in chunks, grpc-timeout, grpc-message percent
 * encoding, and the header checks. Byte 0 picks the decoder; checks that
 * round trips hold (a violation aborts).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grpc.h"

static void check(int cond) {
  if (!cond)
    abort();
}

static void fuzz_decoder(const uint8_t *data, size_t size) {
  if (size < 1)
    return;
  size_t chunk = data[0] ? data[0] : size + 1;
  data++;
  size--;
  grpc_decoder_t d;
  grpc_decoder_init(&d, 1 << 16); /* small limit: reach it */
  size_t off = 0, total = 0;
  while (off < size) {
    size_t n = size - off < chunk ? size - off : chunk;
    const uint8_t *p = data + off;
    off += n;
    while (n) {
      grpc_msg_t m;
      ssize_t k = grpc_decoder_feed(&d, p, n, &m);
      if (k < 0) {
        check(k == GRPC_ERR_TOO_LARGE || k == GRPC_ERR_BAD_FLAG);
        grpc_decoder_free(&d);
        return;
      }
      check((size_t)k <= n);
      check(k > 0 || m.data); /* progress */
      p += k;
      n -= (size_t)k;
      if (m.data) {
        check(m.len <= (1 << 16));
        total += m.len;
        free(m.data);
      }
    }
  }
  (void)grpc_decoder_partial(&d);
  grpc_decoder_free(&d);
}

static void fuzz_timeout(const uint8_t *data, size_t size) {
  rt_time_t v;
  if (grpc_timeout_parse((const char *)data, size, &v) != 0)
    return;
  check(v >= 0);
  char buf[16];
  size_t n = grpc_timeout_format(v, buf);
  check(n > 0 && n < 16 && strlen(buf) == n);
  rt_time_t back;
  check(grpc_timeout_parse(buf, n, &back) == 0);
  check(back >= v || v == 0);
}

static void fuzz_pct(const uint8_t *data, size_t size) {
  size_t n, m;
  char *d = grpc_pct_decode((const char *)data, size, &n);
  if (!d)
    return;
  check(n <= size);
  char *e = grpc_pct_encode(d, n, &m);
  if (e) {
    for (size_t i = 0; i < m; i++)
      check(e[i] >= 0x20 && e[i] <= 0x7e);
    char *back = grpc_pct_decode(e, m, &m);
    check(back && m == n && memcmp(back, d, n) == 0);
    free(back);
    free(e);
  }
  free(d);
}

static void fuzz_headers(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  (void)grpc_content_type_ok(s, size);
  int st = grpc_status_parse(s, size);
  check(st >= -1 && st <= 99);
  size_t sl, ml;
  const char *meth;
  if (grpc_path_split(s, size, &sl, &meth, &ml) == 0) {
    check(1 + sl + 1 + ml == size);
    check(meth == s + sl + 2);
    check(memchr(s + 1, '/', sl) == NULL && memchr(meth, '/', ml) == NULL);
  }
  if (size >= 2)
    (void)grpc_status_from_http(data[0] * 256 + data[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  /* Copies with exact sizes so ASan catches overreads of the string views. */
  uint8_t *copy = malloc(size - 1 ? size - 1 : 1);
  if (!copy)
    return 0;
  memcpy(copy, data + 1, size - 1);
  switch (data[0] & 3) {
  case 0:
    fuzz_decoder(copy, size - 1);
    break;
  case 1:
    fuzz_timeout(copy, size - 1);
    break;
  case 2:
    fuzz_pct(copy, size - 1);
    break;
  default:
    fuzz_headers(copy, size - 1);
  }
  free(copy);
  return 0;
}

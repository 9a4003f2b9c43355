/*
 * grpc_seedgen.c — writes the seed corpora of the grpc_server and
 * grpc_frame fuzz targets. The client side of each conversation is produced
 * by a real nghttp2 client session (HPACK and framing done by nghttp2), so
 * seeds are valid HTTP/2 wherever they are meant to be.
 *
 * Usage: fuzz/grpc_seedgen SRCDIR/fuzz/corpus
 */
#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "demo.pb-c.h"
#include "grpc.h"
#include "health.pb-c.h"

typedef struct buf {
  uint8_t *p;
  size_t n, cap;
} buf_t;

static void put(buf_t *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
    if (!b->p)
      abort();
  }
  memcpy(b->p + b->n, p, n);
  b->n += n;
}

static const char *outdir;

static void write_seed(const char *target, const char *name, uint8_t first,
                       const buf_t *b) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", outdir, target);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/%s/%s", outdir, target, name);
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    exit(1);
  }
  fwrite(&first, 1, 1, f);
  if (b->n)
    fwrite(b->p, 1, b->n, f);
  fclose(f);
}

/* ---- Client conversations ------------------------------------------ */

typedef struct body {
  buf_t b;
  size_t off;
} body_t;

static ssize_t read_cb(nghttp2_session *s, int32_t id, uint8_t *out,
                       size_t len, uint32_t *flags, nghttp2_data_source *src,
                       void *user) {
  body_t *body = src->ptr;
  size_t n = body->b.n - body->off;
  if (n > len)
    n = len;
  memcpy(out, body->b.p + body->off, n);
  body->off += n;
  if (body->off == body->b.n)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

static nghttp2_session *client(void) {
  nghttp2_session_callbacks *cbs;
  nghttp2_session *s;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_client_new(&s, cbs, NULL);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);
  return s;
}

static void flush(nghttp2_session *s, buf_t *out) {
  const uint8_t *p;
  ssize_t n;
  while ((n = nghttp2_session_mem_send(s, &p)) > 0)
    put(out, p, (size_t)n);
}

/* The framed message of |msg|; |flag| the compressed byte. */
static void framed(buf_t *b, const ProtobufCMessage *msg, uint8_t flag) {
  size_t len = protobuf_c_message_get_packed_size(msg);
  uint8_t pre[GRPC_PREFIX_LEN];
  grpc_frame_prefix(pre, flag, (uint32_t)len);
  pre[0] = flag;
  put(b, pre, sizeof pre);
  uint8_t *tmp = malloc(len + 1);
  protobuf_c_message_pack(msg, tmp);
  put(b, tmp, len);
  free(tmp);
}

static void convert_msg(buf_t *b, const char *to, uint8_t flag) {
  Hipstershop__Money from = HIPSTERSHOP__MONEY__INIT;
  from.currency_code = (char *)"USD";
  from.units = 12;
  from.nanos = 500000000;
  Hipstershop__CurrencyConversionRequest req =
      HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
  req.from = &from;
  req.to_code = (char *)to;
  framed(b, &req.base, flag);
}

#define NV(n, v)                                                         \
  {                                                                      \
    (uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v),                \
        NGHTTP2_NV_FLAG_NONE                                             \
  }

/* Submits one request: |extra| headers "name: value" pairs (NULL-ended). */
static int32_t request(nghttp2_session *s, const char *method,
                       const char *path, const char *ctype,
                       const char *const *extra, body_t *body) {
  nghttp2_nv nv[16];
  size_t n = 0;
  nv[n++] = (nghttp2_nv)NV(":method", method);
  nv[n++] = (nghttp2_nv)NV(":scheme", "http");
  nv[n++] = (nghttp2_nv)NV(":path", path);
  nv[n++] = (nghttp2_nv)NV(":authority", "localhost:7000");
  if (ctype)
    nv[n++] = (nghttp2_nv)NV("content-type", ctype);
  nv[n++] = (nghttp2_nv)NV("te", "trailers");
  for (size_t i = 0; extra && extra[i]; i += 2)
    nv[n++] = (nghttp2_nv)NV(extra[i], extra[i + 1]);
  nghttp2_data_provider prd = {.source.ptr = body, .read_callback = read_cb};
  return nghttp2_submit_request(s, NULL, nv, n, body ? &prd : NULL, NULL);
}

static void conversation(const char *name, const char *method,
                         const char *path, const char *ctype,
                         const char *const *extra, const buf_t *msg,
                         int rst) {
  nghttp2_session *s = client();
  body_t body = {{0}, 0};
  if (msg)
    put(&body.b, msg->p, msg->n);
  buf_t out = {0};
  int32_t id = request(s, method, path, ctype, extra, msg ? &body : NULL);
  flush(s, &out);
  if (rst) {
    nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    flush(s, &out);
  }
  write_seed("grpc_server", name, 0, &out);
  free(out.p);
  free(body.b.p);
  nghttp2_session_del(s);
}

static void server_seeds(void) {
  static const char *const grpc = "application/grpc";
  static const char *const conv = "/hipstershop.CurrencyService/Convert";
  buf_t m = {0};

  convert_msg(&m, "EUR", 0);
  conversation("unary_convert", "POST", conv, grpc, NULL, &m, 0);
  conversation("unary_cancelled", "POST", conv, grpc, NULL, &m, 1);
  {
    static const char *const ex[] = {"grpc-timeout", "abc", NULL};
    conversation("bad_timeout", "POST", conv, grpc, ex, &m, 0);
  }
  conversation("bad_content_type", "POST", conv, "text/plain", NULL, &m, 0);
  conversation("no_content_type", "POST", conv, NULL, NULL, &m, 0);
  conversation("method_get", "GET", conv, grpc, NULL, NULL, 0);
  conversation("unknown_service", "POST", "/no.Such/Thing", grpc, NULL, &m, 0);
  conversation("unknown_method", "POST",
               "/hipstershop.CurrencyService/Nope", grpc, NULL, &m, 0);
  conversation("bad_path", "POST", "/nopath", grpc, NULL, &m, 0);
  {
    /* Two messages on a unary call. */
    buf_t two = {0};
    put(&two, m.p, m.n);
    put(&two, m.p, m.n);
    conversation("two_messages", "POST", conv, grpc, NULL, &two, 0);
    /* Truncated: half a message, then END_STREAM. */
    two.n = m.n / 2;
    conversation("truncated", "POST", conv, grpc, NULL, &two, 0);
    free(two.p);
  }
  m.n = 0;
  convert_msg(&m, "ERR", 0);
  conversation("unary_error", "POST", conv, "application/grpc+proto", NULL,
               &m, 0);
  m.n = 0;
  convert_msg(&m, "HOLDC", 0);
  {
    static const char *const ex[] = {"grpc-timeout", "100m", NULL};
    conversation("deadline", "POST", conv, grpc, ex, &m, 0);
  }
  conversation("held_reset", "POST", conv, grpc, NULL, &m, 1);
  m.n = 0;
  convert_msg(&m, "HOLD", 0);
  {
    static const char *const ex[] = {"grpc-timeout", "1n", NULL};
    conversation("late_reply", "POST", conv, grpc, ex, &m, 0);
  }
  m.n = 0;
  convert_msg(&m, "EUR", 1);
  conversation("compressed_identity", "POST", conv, grpc, NULL, &m, 0);
  {
    static const char *const ex[] = {"grpc-encoding", "gzip", NULL};
    conversation("compressed_gzip", "POST", conv, grpc, ex, &m, 0);
  }
  {
    /* A prefix announcing 5 MiB, then a little. */
    buf_t big = {0};
    uint8_t pre[GRPC_PREFIX_LEN];
    grpc_frame_prefix(pre, 0, 5u << 20);
    put(&big, pre, sizeof pre);
    put(&big, "abcdefgh", 8);
    conversation("too_large", "POST", conv, grpc, NULL, &big, 0);
    /* Undecodable protobuf. */
    big.n = 0;
    grpc_frame_prefix(pre, 0, 3);
    put(&big, pre, sizeof pre);
    put(&big, "\xff\xff\xff", 3);
    conversation("bad_protobuf", "POST", conv, grpc, NULL, &big, 0);
    free(big.p);
  }
  {
    buf_t e = {0};
    Hipstershop__Empty empty = HIPSTERSHOP__EMPTY__INIT;
    framed(&e, &empty.base, 0);
    conversation("supported", "POST",
                 "/hipstershop.CurrencyService/GetSupportedCurrencies", grpc,
                 NULL, &e, 0);
    conversation("empty_body", "POST", conv, grpc, NULL, NULL, 0);
    e.n = 0;
    Grpc__Health__V1__HealthCheckRequest hc =
        GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    framed(&e, &hc.base, 0);
    conversation("health_check", "POST", "/grpc.health.v1.Health/Check", grpc,
                 NULL, &e, 0);
    conversation("health_watch", "POST", "/grpc.health.v1.Health/Watch", grpc,
                 NULL, &e, 0);
    e.n = 0;
    hc.service = (char *)"nope";
    framed(&e, &hc.base, 0);
    conversation("health_unknown", "POST", "/grpc.health.v1.Health/Check",
                 grpc, NULL, &e, 0);
    free(e.p);
  }
  {
    /* Many streams at once, a PING and a WINDOW_UPDATE, in one stream; and
     * the same fed in 3-byte chunks (flags byte 2). */
    nghttp2_session *s = client();
    body_t bodies[6];
    buf_t out = {0};
    for (int i = 0; i < 6; i++) {
      memset(&bodies[i], 0, sizeof bodies[i]);
      convert_msg(&bodies[i].b, i == 3 ? "ERR" : i == 4 ? "HOLDC" : "EUR", 0);
      request(s, "POST", conv, grpc, NULL, &bodies[i]);
    }
    nghttp2_submit_ping(s, NGHTTP2_FLAG_NONE, NULL);
    nghttp2_submit_window_update(s, NGHTTP2_FLAG_NONE, 0, 65536);
    flush(s, &out);
    write_seed("grpc_server", "multi_stream", 0, &out);
    write_seed("grpc_server", "multi_stream_chunked", 2, &out);
    /* With the preface cut off: flags byte 1 puts it back. */
    buf_t tail = {0};
    put(&tail, out.p + 24 + 9, out.n - 24 - 9);
    write_seed("grpc_server", "multi_stream_no_preface", 1, &tail);
    free(tail.p);
    free(out.p);
    for (int i = 0; i < 6; i++)
      free(bodies[i].b.p);
    nghttp2_session_del(s);
  }
  {
    buf_t g = {0};
    put(&g, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    write_seed("grpc_server", "http1", 0, &g);
    g.n = 0;
    /* A HEADERS frame of garbage HPACK on stream 1. */
    put(&g, "\x00\x00\x04\x01\x05\x00\x00\x00\x01\xff\xff\xff\xff", 13);
    write_seed("grpc_server", "bad_hpack", 1, &g);
    free(g.p);
  }
  free(m.p);
}

static void frame_seeds(void) {
  buf_t b = {0};
  uint8_t chunk;
  /* 0: decoder, first byte of the rest = chunk size. */
  chunk = 0;
  put(&b, &chunk, 1);
  convert_msg(&b, "EUR", 0);
  convert_msg(&b, "USD", 1);
  write_seed("grpc_frame", "decoder_two", 0, &b);
  b.p[0] = 3;
  write_seed("grpc_frame", "decoder_two_chunked", 0, &b);
  b.n = 1;
  uint8_t pre[GRPC_PREFIX_LEN];
  grpc_frame_prefix(pre, 0, 1u << 20);
  put(&b, pre, sizeof pre);
  write_seed("grpc_frame", "decoder_too_large", 0, &b);
  b.n = 1;
  put(&b, "\x07\x00\x00\x00\x00", 5);
  write_seed("grpc_frame", "decoder_bad_flag", 0, &b);
  static const char *timeouts[] = {"100m", "1H", "99999999H", "5S", "1n",
                                   "123456789u", "x"};
  for (size_t i = 0; i < sizeof timeouts / sizeof *timeouts; i++) {
    char name[32];
    b.n = 0;
    put(&b, timeouts[i], strlen(timeouts[i]));
    snprintf(name, sizeof name, "timeout_%zu", i);
    write_seed("grpc_frame", name, 1, &b);
  }
  b.n = 0;
  put(&b, "a%20b%zz%4%C3%A9%", 17);
  write_seed("grpc_frame", "pct", 2, &b);
  static const char *hdrs[] = {"/hipstershop.CurrencyService/Convert",
                               "application/grpc+proto", "14", "//x"};
  for (size_t i = 0; i < sizeof hdrs / sizeof *hdrs; i++) {
    char name[32];
    b.n = 0;
    put(&b, hdrs[i], strlen(hdrs[i]));
    snprintf(name, sizeof name, "header_%zu", i);
    write_seed("grpc_frame", name, 3, &b);
  }
  free(b.p);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  outdir = argv[1];
  mkdir(outdir, 0755);
  server_seeds();
  frame_seeds();
  return 0;
}

/*
 * http1_server.c — fuzz target: bytes from a client into one in-memory
 * HTTP/1.1 server connection (services/live/http1.c). The handler answers at
 * once (echoing method, path, query, headers and body, with Set-Cookie and
 * an invalid header the core must drop), fails through rt_fail, holds the
 * call until later ("/hold"), or holds it and stops on cancellation
 * ("/cancel"). Output is drained between chunks; every batch must start with
 * a status line. After the input: held calls are answered, the request and
 * idle timeouts fire, the server drains and cancels, and everything is freed.
 *
 * Input: byte 0 — bits 0-5: feed in chunks of that many bytes times 7 (0:
 * all at once); bit 6: end with the client's EOF; bit 7: small limits (64
 * bytes of body, 256 of header). The rest is the byte stream.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http1.h"
#include "rt.h"

typedef struct frt {
  struct rt base;
  rt_time_t now;
} frt_t;

static rt_time_t f_now(rt_t *rt) { return ((frt_t *)rt)->now; }

static void f_log(rt_t *rt, rt_severity_t sev, const char *msg,
                  const char *const *fields) {
  static int verbose = -1;
  if (verbose < 0)
    verbose = getenv("FUZZ_VERBOSE") != NULL;
  if (!verbose)
    return;
  fprintf(stderr, "  %s", msg);
  for (size_t i = 0; fields[i]; i += 2)
    fprintf(stderr, " %s=%s", fields[i], fields[i + 1]);
  fprintf(stderr, "\n");
}

static const rt_ops_t fake_ops = {.now = f_now, .log = f_log};
static const rt_service_t fake_svc = {"fuzzservice", 80, NULL, NULL};

#define MAX_HELD 64
static rt_call_t *held[MAX_HELD];
static size_t nheld;
static int want;

static void on_cancel(rt_call_t *call, void *user) {
  for (size_t i = 0; i < nheld; i++)
    if (held[i] == call) {
      held[i] = held[--nheld];
      break;
    }
  rt_fail(call, RT_CANCELLED, "cancelled");
}

static void handler(rt_call_t *call, const rt_http_request_t *req, void *u) {
  if (strcmp(rt_call_path(call), req->path) != 0)
    abort();
  /* The lookup agrees with the header list (the fuzzer can learn and send
   * any name, so check consistency rather than absence). */
  int listed = 0;
  for (size_t i = 0; i < req->n_headers; i++)
    listed |= strcasecmp(req->headers[i].name, "x-nothing") == 0;
  if (!rt_http_header(req, "x-nothing") != !listed)
    abort();
  if (strcmp(req->path, "/hold") == 0 || strcmp(req->path, "/cancel") == 0) {
    if (nheld < MAX_HELD) {
      held[nheld++] = call;
      if (req->path[1] == 'c')
        rt_call_on_cancel(call, on_cancel, NULL);
      return;
    }
  }
  if (strcmp(req->path, "/fail") == 0) {
    rt_fail(call, (rt_status_t)(req->body_len % 17), "failed: %s", req->query);
    return;
  }
  rt_http_header_t h[] = {
      {"X-Method", req->method},
      {"X-Query", req->query},
      {"X-First", req->n_headers ? req->headers[0].value : ""},
      {"Set-Cookie", "a=1"},
      {"Set-Cookie", req->n_headers ? req->headers[req->n_headers - 1].name
                                    : "b=2"},
      {"Bad Header", "x"},
  };
  int status = 200 + (int)(req->body_len % 7) * 50;
  rt_http_respond(call, status, h, sizeof h / sizeof *h, req->body,
                  req->body_len);
}

static void want_write(http1_conn_t *c, void *user) { want = 1; }

static void drain(http1_conn_t *c) {
  const uint8_t *p;
  ssize_t n;
  while ((n = http1_conn_send(c, &p)) > 0) {
    if (n < 12 || memcmp(p, "HTTP/1.1 ", 9) != 0)
      abort(); /* every batch starts with a status line */
    http1_conn_sent(c);
  }
  want = 0;
}

static void answer_held(void) {
  while (nheld) {
    rt_call_t *call = held[--nheld];
    rt_http_respond(call, 200, NULL, 0, "late", 4);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  frt_t rt;
  memset(&rt, 0, sizeof rt);
  rt.base.ops = &fake_ops;
  rt.base.service = &fake_svc;
  rt.now = 1767225600 * RT_SEC;
  http1_limits_t lim;
  http1_limits_default(&lim);
  if (data[0] & 0x80) {
    lim.max_body = 64;
    lim.max_header = 256;
  }
  static const http1_server_callbacks_t cbs = {want_write, NULL};
  http1_server_t *srv =
      http1_server_new(&rt.base, &lim, &cbs, NULL, handler, NULL);
  http1_conn_t *c = http1_conn_new(srv, NULL, "192.0.2.1:1");
  size_t chunk = (size_t)(data[0] & 0x3f) * 7;
  const uint8_t *p = data + 1;
  size_t left = size - 1;
  int round = 0;
  nheld = 0;
  while (left && http1_conn_want_io(c)) {
    size_t n = chunk && chunk < left ? chunk : left;
    if (http1_conn_want_read(c))
      http1_conn_recv(c, p, n);
    p += n;
    left -= n;
    rt.now += RT_MSEC;
    if (++round % 3 == 0)
      answer_held(); /* late answers let buffered requests go on */
    drain(c);
  }
  if (data[0] & 0x40)
    http1_conn_eof(c);
  drain(c);
  http1_conn_timeout(c, rt.now + 31 * RT_SEC); /* 408 for a partial one */
  drain(c);
  answer_held();
  drain(c);
  http1_conn_timeout(c, rt.now + 200 * RT_SEC); /* idle */
  drain(c);
  http1_server_set_draining(srv);
  drain(c);
  http1_server_cancel_all(srv, 503, "bye");
  drain(c);
  (void)http1_conn_deadline(c);
  (void)http1_conn_linger(c);
  http1_conn_free(c);
  answer_held(); /* detached calls are freed by their answer */
  http1_server_free(srv);
  return 0;
}

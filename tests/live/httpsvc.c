/*
 * httpsvc.c — a small HTTP service for the live runtime's tests (see
 * httpsvc.h for the routes). As a process: tests/live/live_httpsvc.
 */
#include "httpsvc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/demo.pb-c.h"

httpsvc_stats_t httpsvc_stats;

/* The value of |key| in a query string "a=1&b=2" into |out|; 0 or -1. */
static int query_get(const char *q, const char *key, char *out, size_t n) {
  size_t kl = strlen(key);
  while (*q) {
    const char *amp = strchr(q, '&');
    size_t len = amp ? (size_t)(amp - q) : strlen(q);
    if (len > kl && strncmp(q, key, kl) == 0 && q[kl] == '=') {
      /* percent-decoded */
      const char *v = q + kl + 1;
      size_t vl = len - kl - 1, o = 0;
      for (size_t i = 0; i < vl && o + 1 < n; i++) {
        unsigned x;
        if (v[i] == '%' && i + 2 < vl + 1 && sscanf(v + i + 1, "%2x", &x) == 1) {
          out[o++] = (char)x;
          i += 2;
        } else {
          out[o++] = v[i] == '+' ? ' ' : v[i];
        }
      }
      out[o] = '\0';
      return 0;
    }
    q += len + (amp != NULL);
  }
  return -1;
}

static long query_num(const rt_http_request_t *req, const char *key,
                      long dflt) {
  char v[32];
  return query_get(req->query, key, v, sizeof v) == 0 ? atol(v) : dflt;
}

typedef struct slow {
  rt_call_t *call;
  rt_timer_t *timer;
} slow_t;

static void slow_fire(void *arg) {
  slow_t *s = arg;
  static const rt_http_header_t h[] = {{"Content-Type", "text/plain"}};
  rt_http_respond(s->call, 200, h, 1, "slept\n", 6);
  free(s);
}

static void slow_cancel(rt_call_t *call, void *arg) {
  slow_t *s = arg;
  httpsvc_stats.cancels++;
  rt_log(rt_call_rt(call), RT_INFO, "slow call cancelled", "path",
         rt_call_path(call), NULL);
  rt_timer_cancel(s->timer);
  rt_fail(call, RT_CANCELLED, "cancelled"); /* dropped: the client is gone */
  free(s);
}

static void relay_done(void *user, rt_status_t st, const char *msg,
                       const rt_http_response_t *r) {
  rt_call_t *call = user;
  if (st != RT_OK) {
    rt_fail(call, st, "relay: %s: %s", rt_status_name(st), msg);
    return;
  }
  /* Upstream status and headers come back as X-Upstream-* headers. */
  rt_http_header_t h[40];
  char status[16], n[16];
  size_t k = 0;
  snprintf(status, sizeof status, "%d", r->status);
  snprintf(n, sizeof n, "%zu", r->n_headers);
  h[k++] = (rt_http_header_t){"X-Upstream-Status", status};
  h[k++] = (rt_http_header_t){"X-Upstream-Headers", n};
  for (size_t i = 0; i < r->n_headers && k < 40; i++)
    if (strcmp(r->headers[i].name, "x-test") == 0)
      h[k++] = (rt_http_header_t){"X-Upstream-X-Test", r->headers[i].value};
  rt_http_respond(call, 200, h, k, r->body, r->body_len);
}

static void grpc_done(void *user, rt_status_t st, const char *msg,
                      ProtobufCMessage *resp) {
  rt_call_t *call = user;
  rt_msg_free(resp);
  if (st != RT_OK)
    rt_fail(call, st, "grpc: %s", msg);
  else
    rt_http_respond(call, 200, NULL, 0, "ok\n", 3);
}

static void handle(rt_call_t *call, const rt_http_request_t *req, void *u) {
  rt_t *rt = rt_call_rt(call);
  httpsvc_stats.calls++;
  if (strcmp(req->path, "/hello") == 0) {
    static const rt_http_header_t h[] = {{"Content-Type", "text/html"}};
    static const char page[] =
        "<!doctype html><html><head><title>hello</title></head>"
        "<body><h1>Hello from meshsim</h1></body></html>\n";
    rt_http_respond(call, 200, h, 1, page, sizeof page - 1);
  } else if (strcmp(req->path, "/echo") == 0) {
    char nh[16], bl[16];
    snprintf(nh, sizeof nh, "%zu", req->n_headers);
    snprintf(bl, sizeof bl, "%zu", req->body_len);
    const char *ct = rt_http_header(req, "content-type");
    const char *te = rt_http_header(req, "transfer-encoding");
    rt_http_header_t h[] = {
        {"Content-Type", "application/octet-stream"},
        {"X-Method", req->method},
        {"X-Path", req->path},
        {"X-Query", req->query},
        {"X-Target", req->target},
        {"X-Headers", nh},
        {"X-Body-Len", bl},
        {"X-Content-Type", ct ? ct : "-"},
        {"X-Te", te ? te : "-"},
        {"X-Remote", req->remote},
        {"Set-Cookie", "a=1; Path=/"},
        {"Set-Cookie", "b=2; Path=/"},
        {"Bad\r\nHeader", "dropped"},
        {"X-Injected", "evil\r\nX-Evil: 1"},
    };
    rt_http_respond(call, 200, h, sizeof h / sizeof *h, req->body,
                    req->body_len);
  } else if (strcmp(req->path, "/slow") == 0) {
    slow_t *s = calloc(1, sizeof *s);
    s->call = call;
    s->timer = rt_timer_start(rt, query_num(req, "ms", 1000) * RT_MSEC,
                              slow_fire, s);
    rt_call_on_cancel(call, slow_cancel, s);
  } else if (strcmp(req->path, "/fail") == 0) {
    rt_fail(call, (rt_status_t)query_num(req, "code", 13), "failed here");
  } else if (strcmp(req->path, "/reply") == 0) {
    Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
    rt_reply(call, &e.base); /* a contract violation: the runtime says 500 */
  } else if (strcmp(req->path, "/status") == 0) {
    rt_http_respond(call, (int)query_num(req, "s", 200), NULL, 0, "body", 4);
  } else if (strcmp(req->path, "/stats") == 0) {
    char b[128];
    int n = snprintf(b, sizeof b, "calls=%d cancels=%d\n", httpsvc_stats.calls,
                     httpsvc_stats.cancels);
    rt_http_respond(call, 200, NULL, 0, b, (size_t)n);
  } else if (strcmp(req->path, "/relay") == 0) {
    /* /relay?addr=H:P&path=/x&method=GET&timeout_ms=N, request body passed
     * on, with an X-Test header. */
    char addr[128], path[256], method[16] = "GET";
    if (query_get(req->query, "addr", addr, sizeof addr) != 0 ||
        query_get(req->query, "path", path, sizeof path) != 0) {
      rt_fail(call, RT_INVALID_ARGUMENT, "need addr and path");
      return;
    }
    query_get(req->query, "method", method, sizeof method);
    rt_invoke_opts_t o = {query_num(req, "timeout_ms", 0) * RT_MSEC, call};
    rt_http_header_t h[] = {{"X-Test", "relayed"},
                            {"Content-Type", "text/plain"}};
    if (!rt_http_invoke(rt, addr, method, path, h, 2, req->body,
                        req->body_len, &o, relay_done, call))
      rt_fail(call, RT_INVALID_ARGUMENT, "rt_http_invoke refused");
  } else if (strcmp(req->path, "/grpc") == 0) {
    /* A gRPC child of an HTTP call: /grpc?addr=H:P (nothing listens). */
    char addr[128];
    if (query_get(req->query, "addr", addr, sizeof addr) != 0) {
      rt_fail(call, RT_INVALID_ARGUMENT, "need addr");
      return;
    }
    Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
    rt_invoke_opts_t o = {0, call};
    rt_invoke(rt, addr, "hipstershop.CurrencyService",
              "GetSupportedCurrencies", &e.base,
              &hipstershop__get_supported_currencies_response__descriptor, &o,
              grpc_done, call);
  } else {
    rt_fail(call, RT_NOT_FOUND, "no route for %s", req->path);
  }
}

static int httpsvc_init(rt_t *rt) {
  return rt_serve_http(rt, handle, NULL);
}

const rt_service_t httpsvc_service = {"httptestservice", 8080, httpsvc_init,
                                      NULL};

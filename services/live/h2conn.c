/*
 * h2conn.c — gRPC server connections over nghttp2 in memory mode.
 *
 * Per stream: request headers are checked when the HEADERS frame completes
 * (content-type, path, grpc-timeout); the call object and its deadline timer
 * are created then, so a deadline also covers a slow upload. DATA is fed to
 * the gRPC decoder; the handler runs when the client half-closes with exactly
 * one message. A response is HEADERS, one DATA message, trailers; an error
 * before any response is "trailers-only" (one HEADERS frame, END_STREAM).
 */
#include "h2conn.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc.h"
#include "h2mem.h"
#include "health.pb-c.h"

#define MAX_PATH_LEN 1024
#define MAX_CONCURRENT_STREAMS 1000
#define STREAM_WINDOW (1 << 20)
#define CONN_WINDOW (16 << 20)
/* Recycled stream and call objects kept per server (each list). */
#define POOL_MAX 256
/* A recycled stream keeps its response buffer up to this size. */
#define OUT_KEEP (64 * 1024)

typedef struct h2_stream h2_stream_t;
typedef struct h2_call h2_call_t;

typedef struct reg_service {
  const rt_service_def_t *def;
  void *user;
  char **paths; /* "/service/method" of each method, for its calls */
} reg_service_t;

struct h2_server {
  rt_t *rt;
  h2_server_callbacks_t cbs;
  void *user;
  reg_service_t *svcs;
  size_t nsvcs, capsvcs;
  int draining;
  int debug;
  size_t ncalls;
  h2_call_t *calls;      /* every call not yet ended */
  h2_stream_t *watches;  /* health Watch streams */
  h2conn_t *conns;
  /* recycled objects (singly linked through |next|) */
  h2_stream_t *free_streams;
  h2_call_t *free_calls;
  size_t nfree_streams, nfree_calls;
  /* nghttp2's and the request messages' small allocations */
  h2mem_pool_t mem;
};

struct h2conn {
  h2_server_t *srv;
  void *user;
  nghttp2_session *session;
  h2_stream_t *streams;
  h2_stream_t *hstream; /* the stream whose request headers arrive now */
  h2conn_t *prev, *next;
  uint64_t pings_acked;
  int fatal;
};

struct h2_call {
  rt_call_t head;
  rt_t *rt;
  h2_server_t *srv;     /* NULL once the server is gone */
  h2_stream_t *stream;  /* NULL once the stream is gone or answered */
  const rt_method_t *method;
  void *user;
  const char *path; /* the method's, or own_path once detached */
  char *own_path;
  rt_time_t start, deadline;
  rt_timer_t *timer;
  ProtobufCMessage *req;
  int cancelled, dispatched, cancel_pending;
  rt_cancel_cb on_cancel;
  void *on_cancel_user;
  h2_child_t children; /* list head */
  h2_call_t *prev, *next;
};

enum { S_HEADERS, S_BODY, S_DISPATCHED, S_WATCH, S_DONE };

struct h2_stream {
  h2conn_t *conn;
  int32_t id;
  h2_stream_t *prev, *next;   /* in conn->streams */
  h2_stream_t *wprev, *wnext; /* in srv->watches */
  int state;
  /* request */
  char *path; /* kept (with its capacity) when the stream is recycled */
  size_t pathlen, pathcap;
  unsigned post : 1, has_ct : 1, ct_ok : 1, has_timeout : 1, bad_timeout : 1,
      path_too_long : 1, req_done : 1, watch : 1, rst_after : 1, has_path : 1;
  char encoding[32];
  rt_time_t timeout;
  const reg_service_t *svc;
  const rt_method_t *method;
  grpc_decoder_t dec;
  grpc_msg_t msg;
  h2_call_t *call;
  /* response */
  uint8_t *out;
  size_t outlen, outoff, outcap;
  int out_fin, deferred, headers_sent;
  int status;
  char *message; /* percent-encoded */
  /* watch */
  char *watch_name;
  int watch_last;
};

static const rt_ops_t h2_call_ops;

/* ---- Health service ----------------------------------------------------- */

static void health_check(rt_call_t *call, const ProtobufCMessage *req,
                         void *user);

static const rt_method_t health_methods[] = {
    {"Check", &grpc__health__v1__health_check_request__descriptor,
     &grpc__health__v1__health_check_response__descriptor, health_check},
    /* Server streaming: handled by the connection itself (stream_watch). */
    {"Watch", &grpc__health__v1__health_check_request__descriptor,
     &grpc__health__v1__health_check_response__descriptor, NULL},
};
static const rt_service_def_t health_def = {"grpc.health.v1.Health",
                                            health_methods, 2};

static const reg_service_t *find_service(const h2_server_t *srv,
                                         const char *name, size_t n) {
  for (size_t i = 0; i < srv->nsvcs; i++) {
    const char *s = srv->svcs[i].def->name;
    if (strlen(s) == n && memcmp(s, name, n) == 0)
      return &srv->svcs[i];
  }
  return NULL;
}

/* The status of |name| for Check/Watch; SERVICE_UNKNOWN for unknown names. */
static int health_status(const h2_server_t *srv, const char *name) {
  if (name[0] && !find_service(srv, name, strlen(name)))
    return GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
  return srv->draining
             ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
             : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
}

static void health_check(rt_call_t *call, const ProtobufCMessage *req,
                         void *user) {
  h2_server_t *srv = user;
  const Grpc__Health__V1__HealthCheckRequest *r =
      (const Grpc__Health__V1__HealthCheckRequest *)req;
  const char *name = r->service ? r->service : "";
  int st = health_status(srv, name);
  if (st == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN) {
    rt_fail(call, RT_NOT_FOUND, "unknown service %s", name);
    return;
  }
  Grpc__Health__V1__HealthCheckResponse resp =
      GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
  resp.status = st;
  rt_reply(call, &resp.base);
}

/* ---- Server ------------------------------------------------------------- */

h2_server_t *h2_server_new(rt_t *rt, const h2_server_callbacks_t *cbs,
                           void *user) {
  h2_server_t *srv = calloc(1, sizeof *srv);
  if (!srv)
    return NULL;
  srv->rt = rt;
  srv->cbs = *cbs;
  srv->user = user;
  h2mem_pool_init(&srv->mem, POOL_MAX);
  if (h2_server_add(srv, &health_def, srv) != 0) {
    free(srv);
    return NULL;
  }
  return srv;
}

int h2_server_add(h2_server_t *srv, const rt_service_def_t *def, void *user) {
  if (!def || !def->name || find_service(srv, def->name, strlen(def->name)))
    return -1;
  if (srv->nsvcs == srv->capsvcs) {
    size_t cap = srv->capsvcs ? srv->capsvcs * 2 : 4;
    reg_service_t *a = realloc(srv->svcs, cap * sizeof *a);
    if (!a)
      return -1;
    srv->svcs = a;
    srv->capsvcs = cap;
  }
  char **paths = calloc(def->n_methods ? def->n_methods : 1, sizeof *paths);
  if (!paths)
    return -1;
  size_t sl = strlen(def->name);
  for (size_t i = 0; i < def->n_methods; i++) {
    const char *mn = def->methods[i].name ? def->methods[i].name : "";
    size_t ml = strlen(mn);
    paths[i] = malloc(sl + ml + 3);
    if (!paths[i]) {
      while (i--)
        free(paths[i]);
      free(paths);
      return -1;
    }
    paths[i][0] = '/';
    memcpy(paths[i] + 1, def->name, sl);
    paths[i][sl + 1] = '/';
    memcpy(paths[i] + sl + 2, mn, ml + 1);
  }
  srv->svcs[srv->nsvcs].def = def;
  srv->svcs[srv->nsvcs].user = user;
  srv->svcs[srv->nsvcs].paths = paths;
  srv->nsvcs++;
  return 0;
}

void h2_server_set_debug(h2_server_t *srv, int on) { srv->debug = on; }

size_t h2_server_active_calls(const h2_server_t *srv) { return srv->ncalls; }

/* ---- Stream output ------------------------------------------------------ */

static void want_write(h2conn_t *conn) {
  conn->srv->cbs.want_write(conn, conn->user);
}

static int out_append(h2_stream_t *s, const ProtobufCMessage *msg) {
  size_t len = protobuf_c_message_get_packed_size(msg);
  if (len > RT_MAX_MESSAGE)
    return -1;
  size_t need = s->outlen + GRPC_PREFIX_LEN + len;
  if (need > s->outcap) {
    size_t cap = s->outcap ? s->outcap : 256;
    while (cap < need)
      cap *= 2;
    uint8_t *p = realloc(s->out, cap);
    if (!p)
      return -1;
    s->out = p;
    s->outcap = cap;
  }
  grpc_frame_prefix(s->out + s->outlen, 0, (uint32_t)len);
  protobuf_c_message_pack(msg, s->out + s->outlen + GRPC_PREFIX_LEN);
  s->outlen += GRPC_PREFIX_LEN + len;
  return 0;
}

/* Formats |v| in decimal into |out| (at least 12 bytes), no NUL; returns the
 * length. */
static size_t fmt_int(char *out, int v) {
  char tmp[12];
  size_t n = 0, k = 0;
  unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    out[k++] = '-';
  while (n)
    out[k++] = tmp[--n];
  return k;
}

/* Names and values that never change are handed to nghttp2 without a copy. */
#define NV_STATIC(n, v)                                                    \
  {                                                                        \
    (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1,          \
        NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE       \
  }
#define NV_NAME(n) (uint8_t *)(n), NULL, sizeof(n) - 1, 0, NGHTTP2_NV_FLAG_NO_COPY_NAME

static const nghttp2_nv trailers_ok[] = {NV_STATIC("grpc-status", "0")};
static const nghttp2_nv headers_ok[] = {NV_STATIC(":status", "200"),
                                        NV_STATIC("content-type",
                                                  "application/grpc")};

/* Fills nv[0] (grpc-status) and, when the stream has one, nv[1]
 * (grpc-message) from |s|, using |code| for the digits. Returns the count. */
static size_t status_nv(const h2_stream_t *s, nghttp2_nv *nv, char *code) {
  nghttp2_nv a = {NV_NAME("grpc-status")};
  a.value = (uint8_t *)code;
  a.valuelen = fmt_int(code, s->status);
  nv[0] = a;
  if (!s->message)
    return 1;
  nghttp2_nv b = {NV_NAME("grpc-message")};
  b.value = (uint8_t *)s->message;
  b.valuelen = strlen(s->message);
  nv[1] = b;
  return 2;
}

static void submit_trailers(h2_stream_t *s) {
  if (s->status == RT_OK && !s->message) {
    nghttp2_submit_trailer(s->conn->session, s->id, trailers_ok, 1);
    return;
  }
  char code[12];
  nghttp2_nv nv[2];
  size_t n = status_nv(s, nv, code);
  nghttp2_submit_trailer(s->conn->session, s->id, nv, n);
}

static ssize_t data_read_cb(nghttp2_session *session, int32_t id, uint8_t *buf,
                            size_t length, uint32_t *flags,
                            nghttp2_data_source *source, void *user) {
  h2_stream_t *s = source->ptr;
  size_t n = s->outlen - s->outoff;
  if (n == 0 && !s->out_fin) {
    s->deferred = 1;
    return NGHTTP2_ERR_DEFERRED;
  }
  if (n > length)
    n = length;
  memcpy(buf, s->out + s->outoff, n);
  s->outoff += n;
  if (s->outoff == s->outlen) {
    s->outoff = s->outlen = 0;
    if (s->out_fin) {
      *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
      submit_trailers(s);
    }
  }
  return (ssize_t)n;
}

static int submit_headers(h2_stream_t *s, int http, int with_body) {
  char code[12], gs[12];
  nghttp2_nv nv[4];
  size_t n = 2;
  nv[0] = headers_ok[0];
  nv[1] = headers_ok[1];
  if (http != 200) {
    nv[0].value = (uint8_t *)code;
    nv[0].valuelen = fmt_int(code, http);
    nv[0].flags = NGHTTP2_NV_FLAG_NO_COPY_NAME;
  }
  s->headers_sent = 1;
  if (with_body) {
    nghttp2_data_provider prd;
    prd.source.ptr = s;
    prd.read_callback = data_read_cb;
    return nghttp2_submit_response(s->conn->session, s->id, nv, n, &prd);
  }
  /* Trailers-only: status in the one HEADERS frame, with END_STREAM. */
  n += status_nv(s, nv + 2, gs);
  return nghttp2_submit_response(s->conn->session, s->id, nv, n, NULL);
}

/* Ends the stream's response with |status|: trailers-only when nothing was
 * sent yet and |body| is NULL; else headers (if needed), |body|, trailers. */
static void stream_finish(h2_stream_t *s, int http, int status,
                          const char *message, const ProtobufCMessage *body) {
  if (s->state == S_DONE)
    return;
  s->state = S_DONE;
  s->status = status;
  if (message && *message && !s->message)
    s->message = grpc_pct_encode(message, strlen(message), NULL);
  if (body && out_append(s, body) != 0) {
    s->status = RT_INTERNAL;
    free(s->message);
    s->message = grpc_pct_encode("response too large or out of memory", 35, NULL);
    body = NULL;
  }
  s->out_fin = 1;
  if (s->headers_sent) {
    if (s->deferred) {
      s->deferred = 0;
      nghttp2_session_resume_data(s->conn->session, s->id);
    }
  } else if (body) {
    submit_headers(s, http, 1);
  } else {
    submit_headers(s, http, 0);
    /* The client is still sending: once the response is out, tell it to
     * stop, without error (RFC 9113 8.1). Not now: a RST_STREAM queued
     * before the HEADERS leave would make nghttp2 drop them. */
    if (!s->req_done)
      s->rst_after = 1;
  }
  want_write(s->conn);
}

/* ---- Calls -------------------------------------------------------------- */

static void call_log(h2_call_t *c, int status, const char *message) {
  if (!c->srv || !c->srv->debug)
    return;
  char code[16], ms[32];
  snprintf(code, sizeof code, "%d", status);
  snprintf(ms, sizeof ms, "%.3f",
           (double)(rt_now(c->rt) - c->start) / (double)RT_MSEC);
  rt_log(c->rt, RT_DEBUG, "call", "path", c->path, "grpc_status", code,
         "grpc_message", message ? message : "", "duration_ms", ms, NULL);
}

/* Frees |c| and forgets it: the handler has ended it (or never got it). */
static void call_end(h2_call_t *c) {
  if (c->timer)
    rt_timer_cancel(c->timer);
  while (c->children.next != &c->children)
    h2_child_unlink(c->children.next);
  if (c->stream)
    c->stream->call = NULL;
  h2_server_t *srv = c->srv;
  if (srv) {
    if (c->prev)
      c->prev->next = c->next;
    else
      srv->calls = c->next;
    if (c->next)
      c->next->prev = c->prev;
    srv->ncalls--;
  }
  if (c->req) {
    /* From the server's pool; a detached call's blocks go back to malloc. */
    ProtobufCAllocator a = h2mem_protobuf(srv ? &srv->mem : NULL);
    protobuf_c_message_free_unpacked(c->req, &a);
  }
  free(c->own_path);
  if (srv && srv->nfree_calls < POOL_MAX) {
    c->next = srv->free_calls;
    srv->free_calls = c;
    srv->nfree_calls++;
  } else {
    free(c);
  }
  if (srv && srv->draining && srv->ncalls == 0 && srv->cbs.idle)
    srv->cbs.idle(srv, srv->user);
}

/* The client is gone, or the deadline passed: answer |code| (when |message|
 * is non-NULL and the stream is still there), cancel children, run on_cancel.
 * |c| may be freed when this returns. */
static void call_cancel(h2_call_t *c, int code, const char *message) {
  if (c->cancelled)
    return;
  c->cancelled = 1;
  c->cancel_pending = 0;
  if (c->timer) {
    rt_timer_cancel(c->timer);
    c->timer = NULL;
  }
  if (c->stream) {
    h2_stream_t *s = c->stream;
    c->stream = NULL;
    s->call = NULL;
    if (message)
      stream_finish(s, 200, code, message, NULL);
  }
  call_log(c, code, message ? message : "client cancelled");
  if (!c->dispatched) { /* no handler has it: ours to free */
    call_end(c);
    return;
  }
  while (c->children.next != &c->children) {
    h2_child_t *ch = c->children.next;
    h2_child_unlink(ch);
    ch->cancel(ch);
  }
  if (c->on_cancel) {
    rt_cancel_cb cb = c->on_cancel;
    c->on_cancel = NULL;
    cb(&c->head, c->on_cancel_user); /* may end (free) the call */
  }
}

/* Cancels every call marked cancel_pending. The user code cancellation runs
 * may end other calls, so rescan from the head after each. */
static void cancel_pending_calls(h2_server_t *srv, int code,
                                 const char *message) {
  for (;;) {
    h2_call_t *c = srv->calls;
    while (c && !c->cancel_pending)
      c = c->next;
    if (!c)
      return;
    c->cancel_pending = 0;
    call_cancel(c, code, message);
  }
}

static void call_deadline_cb(void *arg) {
  h2_call_t *c = arg;
  c->timer = NULL;
  call_cancel(c, RT_DEADLINE_EXCEEDED, "deadline exceeded");
}

static void call_reply(rt_call_t *call, const ProtobufCMessage *resp) {
  h2_call_t *c = (h2_call_t *)call;
  if (c->stream && !c->cancelled) {
    h2_stream_t *s = c->stream;
    c->stream = NULL;
    s->call = NULL;
    stream_finish(s, 200, RT_OK, NULL, resp);
    call_log(c, s->status, NULL);
  }
  call_end(c);
}

static void call_fail(rt_call_t *call, rt_status_t code, const char *message) {
  h2_call_t *c = (h2_call_t *)call;
  if (c->stream && !c->cancelled) {
    h2_stream_t *s = c->stream;
    c->stream = NULL;
    s->call = NULL;
    stream_finish(s, 200, code, message, NULL);
    call_log(c, code, message);
  }
  call_end(c);
}

static rt_t *call_rt(const rt_call_t *call) {
  return ((const h2_call_t *)call)->rt;
}

static const char *call_path(const rt_call_t *call) {
  return ((const h2_call_t *)call)->path;
}

static rt_time_t call_deadline(const rt_call_t *call) {
  return ((const h2_call_t *)call)->deadline;
}

static int call_cancelled(const rt_call_t *call) {
  return ((const h2_call_t *)call)->cancelled;
}

static void call_on_cancel(rt_call_t *call, rt_cancel_cb cb, void *user) {
  h2_call_t *c = (h2_call_t *)call;
  c->on_cancel = cb;
  c->on_cancel_user = user;
}

static const rt_ops_t h2_call_ops = {
    .reply = call_reply,
    .fail = call_fail,
    .call_rt = call_rt,
    .call_path = call_path,
    .call_deadline = call_deadline,
    .call_cancelled = call_cancelled,
    .call_on_cancel = call_on_cancel,
};

int h2_call_link_child(rt_call_t *call, h2_child_t *child) {
  if (!call || call->ops != &h2_call_ops)
    return -1;
  h2_call_t *c = (h2_call_t *)call;
  if (c->cancelled)
    return 1;
  h2_child_link(&c->children, child);
  return 0;
}

void h2_child_link(h2_child_t *head, h2_child_t *child) {
  child->next = head->next;
  child->prev = head;
  head->next->prev = child;
  head->next = child;
}

void h2_child_unlink(h2_child_t *child) {
  if (!child->next)
    return;
  child->prev->next = child->next;
  child->next->prev = child->prev;
  child->next = child->prev = NULL;
}

void h2_server_cancel_all(h2_server_t *srv, rt_status_t code,
                          const char *message) {
  for (h2_call_t *c = srv->calls; c; c = c->next)
    c->cancel_pending = !c->cancelled;
  cancel_pending_calls(srv, code, message);
}

/* ---- Health Watch ------------------------------------------------------- */

static void watch_send(h2_stream_t *s, int status) {
  Grpc__Health__V1__HealthCheckResponse resp =
      GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
  resp.status = status;
  s->watch_last = status;
  if (out_append(s, &resp.base) != 0)
    return;
  if (s->deferred) {
    s->deferred = 0;
    nghttp2_session_resume_data(s->conn->session, s->id);
  }
  want_write(s->conn);
}

static void watch_unlink(h2_stream_t *s) {
  if (!s->watch)
    return;
  h2_server_t *srv = s->conn->srv;
  if (s->wprev)
    s->wprev->wnext = s->wnext;
  else
    srv->watches = s->wnext;
  if (s->wnext)
    s->wnext->wprev = s->wprev;
  s->watch = 0;
}

static void stream_watch(h2_stream_t *s, ProtobufCMessage *req) {
  Grpc__Health__V1__HealthCheckRequest *r =
      (Grpc__Health__V1__HealthCheckRequest *)req;
  h2_server_t *srv = s->conn->srv;
  s->watch_name = strdup(r->service ? r->service : "");
  ProtobufCAllocator a = h2mem_protobuf(&srv->mem);
  protobuf_c_message_free_unpacked(req, &a);
  if (!s->watch_name) {
    stream_finish(s, 200, RT_RESOURCE_EXHAUSTED, "out of memory", NULL);
    return;
  }
  s->state = S_WATCH;
  s->watch = 1;
  s->wnext = srv->watches;
  s->wprev = NULL;
  if (srv->watches)
    srv->watches->wprev = s;
  srv->watches = s;
  s->status = RT_OK;
  if (submit_headers(s, 200, 1) != 0) {
    watch_unlink(s);
    stream_finish(s, 200, RT_INTERNAL, "cannot start stream", NULL);
    return;
  }
  watch_send(s, health_status(srv, s->watch_name));
}

void h2_server_set_draining(h2_server_t *srv) {
  if (srv->draining)
    return;
  srv->draining = 1;
  for (h2_stream_t *s = srv->watches; s; s = s->wnext) {
    int st = health_status(srv, s->watch_name);
    if (st != s->watch_last)
      watch_send(s, st);
  }
  if (srv->ncalls == 0 && srv->cbs.idle)
    srv->cbs.idle(srv, srv->user);
}

void h2_server_end_watches(h2_server_t *srv, rt_status_t code,
                           const char *message) {
  while (srv->watches) {
    h2_stream_t *s = srv->watches;
    watch_unlink(s);
    stream_finish(s, 200, code, message, NULL);
  }
}

/* ---- Request handling --------------------------------------------------- */

/* Answers a stream that has no dispatched call yet with an error. */
static void stream_error(h2_stream_t *s, int http, int code,
                         const char *message) {
  if (s->call) { /* accepted but never dispatched: nobody else holds it */
    h2_call_t *c = s->call;
    s->call = NULL;
    c->stream = NULL;
    call_log(c, code, message);
    call_end(c);
  }
  stream_finish(s, http, code, message, NULL);
}

static void stream_headers_done(h2_stream_t *s) {
  h2_server_t *srv = s->conn->srv;
  char msg[256];
  if (s->state != S_HEADERS)
    return;
  if (!s->has_ct || !s->ct_ok) {
    stream_error(s, 415, RT_INTERNAL, "invalid gRPC request content-type");
    return;
  }
  if (!s->post) {
    stream_error(s, 405, RT_INTERNAL, "gRPC requires method POST");
    return;
  }
  if (s->bad_timeout) {
    stream_error(s, 200, RT_INTERNAL, "malformed grpc-timeout");
    return;
  }
  size_t svc_len, mlen;
  const char *mname;
  if (!s->has_path || s->path_too_long ||
      grpc_path_split(s->path, s->pathlen, &svc_len, &mname, &mlen) != 0) {
    stream_error(s, 200, RT_UNIMPLEMENTED, "malformed method path");
    return;
  }
  const reg_service_t *svc = find_service(srv, s->path + 1, svc_len);
  if (!svc) {
    snprintf(msg, sizeof msg, "unknown service %.*s", (int)svc_len,
             s->path + 1);
    stream_error(s, 200, RT_UNIMPLEMENTED, msg);
    return;
  }
  const rt_method_t *m = NULL;
  for (size_t i = 0; i < svc->def->n_methods; i++) {
    const char *n = svc->def->methods[i].name;
    if (strlen(n) == mlen && memcmp(n, mname, mlen) == 0) {
      m = &svc->def->methods[i];
      break;
    }
  }
  if (!m) {
    snprintf(msg, sizeof msg, "unknown method %.*s for service %s", (int)mlen,
             mname, svc->def->name);
    stream_error(s, 200, RT_UNIMPLEMENTED, msg);
    return;
  }
  s->svc = svc;
  s->method = m;
  s->state = S_BODY;
  if (svc->def == &health_def && m == &health_methods[1])
    return; /* Watch: no call object, no deadline */
  h2_call_t *c = srv->free_calls;
  if (c) {
    srv->free_calls = c->next;
    srv->nfree_calls--;
    memset(c, 0, sizeof *c);
  } else if (!(c = calloc(1, sizeof *c))) {
    stream_error(s, 200, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  c->path = svc->paths[m - svc->def->methods];
  c->head.ops = &h2_call_ops;
  c->rt = srv->rt;
  c->srv = srv;
  c->stream = s;
  c->method = m;
  c->user = svc->user;
  c->children.next = c->children.prev = &c->children;
  c->start = rt_now(srv->rt);
  c->deadline = RT_TIME_INFINITE;
  c->next = srv->calls;
  if (srv->calls)
    srv->calls->prev = c;
  srv->calls = c;
  srv->ncalls++;
  s->call = c;
  if (s->has_timeout) {
    c->deadline = s->timeout > RT_TIME_INFINITE - 1 - c->start
                      ? RT_TIME_INFINITE - 1
                      : c->start + s->timeout;
    c->timer = rt_timer_start(srv->rt, s->timeout, call_deadline_cb, c);
  }
}

static void stream_request_done(h2_stream_t *s) {
  s->req_done = 1;
  if (s->state != S_BODY)
    return;
  if (grpc_decoder_partial(&s->dec)) {
    stream_error(s, 200, RT_INTERNAL, "request ended inside a message");
    return;
  }
  if (!s->msg.data) {
    stream_error(s, 200, RT_INTERNAL, "no request message for unary call");
    return;
  }
  ProtobufCAllocator a = h2mem_protobuf(&s->conn->srv->mem);
  ProtobufCMessage *req =
      protobuf_c_message_unpack(s->method->input, &a, s->msg.len, s->msg.data);
  free(s->msg.data);
  s->msg.data = NULL;
  if (!req) {
    char msg[256];
    snprintf(msg, sizeof msg, "cannot decode request as %s",
             s->method->input->name);
    stream_error(s, 200, RT_INTERNAL, msg);
    return;
  }
  if (!s->method->handler) {
    stream_watch(s, req);
    return;
  }
  h2_call_t *c = s->call;
  s->state = S_DISPATCHED;
  c->req = req;
  c->dispatched = 1;
  c->method->handler(&c->head, req, c->user); /* may end |c| at once */
}

static void stream_data(h2_stream_t *s, const uint8_t *data, size_t len) {
  char msg[128];
  while (len && s->state == S_BODY) {
    grpc_msg_t m;
    ssize_t k = grpc_decoder_feed(&s->dec, data, len, &m);
    if (k < 0) {
      if (k == GRPC_ERR_TOO_LARGE) {
        snprintf(msg, sizeof msg,
                 "received message larger than max (%u vs. %u)", s->dec.len,
                 RT_MAX_MESSAGE);
        stream_error(s, 200, RT_RESOURCE_EXHAUSTED, msg);
      } else if (k == GRPC_ERR_NOMEM) {
        stream_error(s, 200, RT_RESOURCE_EXHAUSTED, "out of memory");
      } else {
        stream_error(s, 200, RT_INTERNAL, grpc_strerror((int)k));
      }
      return;
    }
    data += k;
    len -= (size_t)k;
    if (!m.data)
      continue;
    if (s->msg.data) {
      free(m.data);
      stream_error(s, 200, RT_INTERNAL,
                   "more than one request message for a unary call");
      return;
    }
    if (m.compressed) {
      free(m.data);
      if (!s->encoding[0] || strcmp(s->encoding, "identity") == 0) {
        stream_error(s, 200, RT_INTERNAL,
                     "compressed message without grpc-encoding");
      } else {
        snprintf(msg, sizeof msg, "grpc-encoding %s is not supported",
                 s->encoding);
        stream_error(s, 200, RT_UNIMPLEMENTED, msg);
      }
      return;
    }
    s->msg = m;
  }
}

/* ---- nghttp2 callbacks -------------------------------------------------- */

static int on_begin_headers(nghttp2_session *session, const nghttp2_frame *frame,
                            void *user) {
  h2conn_t *conn = user;
  if (frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  h2_server_t *srv = conn->srv;
  h2_stream_t *s = srv->free_streams;
  if (s) {
    srv->free_streams = s->next;
    srv->nfree_streams--;
    s->next = NULL; /* the rest was cleared when it was recycled */
  } else if (!(s = calloc(1, sizeof *s))) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* RST_STREAM */
  }
  s->conn = conn;
  s->id = frame->hd.stream_id;
  s->state = S_HEADERS;
  grpc_decoder_init(&s->dec, RT_MAX_MESSAGE);
  s->next = conn->streams;
  if (conn->streams)
    conn->streams->prev = s;
  conn->streams = s;
  conn->hstream = s;
  nghttp2_session_set_stream_user_data(session, s->id, s);
  return 0;
}

static int is(const uint8_t *p, size_t n, const char *lit) {
  return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame,
                     const uint8_t *name, size_t namelen, const uint8_t *value,
                     size_t valuelen, uint8_t flags, void *user) {
  if (frame->hd.type != NGHTTP2_HEADERS ||
      frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0; /* client trailers: ignored */
  h2conn_t *conn = user;
  h2_stream_t *s = conn->hstream;
  if (!s || s->id != frame->hd.stream_id)
    s = nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
  if (!s || s->state != S_HEADERS)
    return 0;
  if (is(name, namelen, ":path")) {
    if (valuelen > MAX_PATH_LEN || s->has_path) {
      s->path_too_long = 1;
      return 0;
    }
    if (valuelen + 1 > s->pathcap) {
      size_t cap = valuelen < 63 ? 64 : valuelen + 1;
      char *p = realloc(s->path, cap);
      if (!p)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      s->path = p;
      s->pathcap = cap;
    }
    memcpy(s->path, value, valuelen);
    s->path[valuelen] = '\0';
    s->pathlen = valuelen;
    s->has_path = 1;
    if (memchr(value, '\0', valuelen))
      s->path_too_long = 1;
  } else if (is(name, namelen, ":method")) {
    s->post = is(value, valuelen, "POST");
  } else if (is(name, namelen, "content-type")) {
    s->has_ct = 1;
    s->ct_ok = grpc_content_type_ok((const char *)value, valuelen);
  } else if (is(name, namelen, "grpc-timeout")) {
    s->has_timeout = 1;
    if (grpc_timeout_parse((const char *)value, valuelen, &s->timeout) != 0)
      s->bad_timeout = 1;
  } else if (is(name, namelen, "grpc-encoding")) {
    size_t n = valuelen < sizeof s->encoding - 1 ? valuelen
                                                 : sizeof s->encoding - 1;
    memcpy(s->encoding, value, n);
    s->encoding[n] = '\0';
    if (memchr(s->encoding, '\0', n)) /* keep it printable for messages */
      strcpy(s->encoding, "?");
  }
  return 0;
}

static int on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame,
                         void *user) {
  h2conn_t *conn = user;
  switch (frame->hd.type) {
  case NGHTTP2_PING:
    if (frame->hd.flags & NGHTTP2_FLAG_ACK)
      conn->pings_acked++;
    return 0;
  case NGHTTP2_HEADERS:
  case NGHTTP2_DATA:
    break;
  default:
    return 0;
  }
  h2_stream_t *s =
      nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
  if (!s)
    return 0;
  if (frame->hd.type == NGHTTP2_HEADERS &&
      frame->headers.cat == NGHTTP2_HCAT_REQUEST)
    stream_headers_done(s);
  if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)
    stream_request_done(s);
  return 0;
}

static int on_frame_send(nghttp2_session *session, const nghttp2_frame *frame,
                         void *user) {
  if (frame->hd.type != NGHTTP2_HEADERS ||
      !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
    return 0;
  h2_stream_t *s =
      nghttp2_session_get_stream_user_data(session, frame->hd.stream_id);
  if (s && s->rst_after && !s->req_done) {
    s->rst_after = 0;
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id,
                              NGHTTP2_NO_ERROR);
  }
  return 0;
}

static int on_data_chunk_recv(nghttp2_session *session, uint8_t flags,
                              int32_t stream_id, const uint8_t *data,
                              size_t len, void *user) {
  h2_stream_t *s = nghttp2_session_get_stream_user_data(session, stream_id);
  if (s)
    stream_data(s, data, len);
  return 0;
}

static void stream_free(h2_stream_t *s) {
  h2conn_t *conn = s->conn;
  if (conn->hstream == s)
    conn->hstream = NULL;
  watch_unlink(s);
  if (s->prev)
    s->prev->next = s->next;
  else
    conn->streams = s->next;
  if (s->next)
    s->next->prev = s->prev;
  grpc_decoder_free(&s->dec);
  free(s->msg.data);
  free(s->message);
  free(s->watch_name);
  h2_server_t *srv = conn->srv;
  if (srv->nfree_streams < POOL_MAX) {
    /* Recycle, keeping the path and response buffers. */
    char *path = s->path;
    size_t pathcap = s->pathcap;
    uint8_t *out = s->out;
    size_t outcap = s->outcap;
    if (outcap > OUT_KEEP) {
      free(out);
      out = NULL;
      outcap = 0;
    }
    memset(s, 0, sizeof *s);
    s->path = path;
    s->pathcap = pathcap;
    s->out = out;
    s->outcap = outcap;
    s->next = srv->free_streams;
    srv->free_streams = s;
    srv->nfree_streams++;
    return;
  }
  free(s->path);
  free(s->out);
  free(s);
}

static int on_stream_close(nghttp2_session *session, int32_t stream_id,
                           uint32_t error_code, void *user) {
  h2_stream_t *s = nghttp2_session_get_stream_user_data(session, stream_id);
  if (!s)
    return 0;
  nghttp2_session_set_stream_user_data(session, stream_id, NULL);
  h2_call_t *c = s->call;
  if (c) {
    s->call = NULL;
    c->stream = NULL;
  }
  stream_free(s);
  if (c) /* the client reset the stream or the connection failed */
    call_cancel(c, RT_CANCELLED, NULL);
  return 0;
}

/* ---- Connections -------------------------------------------------------- */

h2conn_t *h2conn_new(h2_server_t *srv, void *user) {
  h2conn_t *conn = calloc(1, sizeof *conn);
  if (!conn)
    return NULL;
  conn->srv = srv;
  conn->user = user;
  nghttp2_session_callbacks *cbs;
  if (nghttp2_session_callbacks_new(&cbs) != 0) {
    free(conn);
    return NULL;
  }
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
                                                            on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
  nghttp2_mem mem = h2mem_nghttp2(&srv->mem);
  int rv = nghttp2_session_server_new3(&conn->session, cbs, conn, NULL, &mem);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) {
    free(conn);
    return NULL;
  }
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_CONCURRENT_STREAMS},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
  };
  if (nghttp2_submit_settings(conn->session, NGHTTP2_FLAG_NONE, iv, 2) != 0 ||
      nghttp2_session_set_local_window_size(conn->session, NGHTTP2_FLAG_NONE, 0,
                                            CONN_WINDOW) != 0) {
    nghttp2_session_del(conn->session);
    free(conn);
    return NULL;
  }
  conn->next = srv->conns;
  if (srv->conns)
    srv->conns->prev = conn;
  srv->conns = conn;
  return conn;
}

void h2conn_free(h2conn_t *conn) {
  if (!conn)
    return;
  h2_server_t *srv = conn->srv;
  /* Detach every call first: the on_cancel callbacks run below may reply to
   * other calls of this connection, which must not reach the session. */
  for (h2_stream_t *s = conn->streams; s; s = s->next) {
    if (s->call) {
      s->call->stream = NULL;
      s->call->cancel_pending = 1;
      s->call = NULL;
    }
  }
  while (conn->streams)
    stream_free(conn->streams);
  nghttp2_session_del(conn->session);
  if (conn->prev)
    conn->prev->next = conn->next;
  else
    srv->conns = conn->next;
  if (conn->next)
    conn->next->prev = conn->prev;
  free(conn);
  cancel_pending_calls(srv, RT_CANCELLED, NULL);
}

void h2_server_free(h2_server_t *srv) {
  if (!srv)
    return;
  h2_server_cancel_all(srv, RT_UNAVAILABLE, "server stopped");
  /* Calls still held by handlers: detach, their end only frees them. */
  while (srv->calls) {
    h2_call_t *c = srv->calls;
    srv->calls = c->next;
    c->srv = NULL;
    c->prev = c->next = NULL;
    if (c->timer) {
      rt_timer_cancel(c->timer);
      c->timer = NULL;
    }
    /* Its path belongs to the server: keep a copy. */
    c->own_path = strdup(c->path);
    c->path = c->own_path ? c->own_path : "";
  }
  while (srv->free_calls) {
    h2_call_t *c = srv->free_calls;
    srv->free_calls = c->next;
    free(c);
  }
  while (srv->free_streams) {
    h2_stream_t *s = srv->free_streams;
    srv->free_streams = s->next;
    free(s->path);
    free(s->out);
    free(s);
  }
  for (size_t i = 0; i < srv->nsvcs; i++) {
    for (size_t j = 0; j < srv->svcs[i].def->n_methods; j++)
      free(srv->svcs[i].paths[j]);
    free(srv->svcs[i].paths);
  }
  free(srv->svcs);
  h2mem_pool_drain(&srv->mem);
  free(srv);
}

int h2conn_recv(h2conn_t *conn, const uint8_t *data, size_t len) {
  if (conn->fatal)
    return -1;
  ssize_t rv = nghttp2_session_mem_recv(conn->session, data, len);
  if (rv < 0) {
    conn->fatal = 1;
    return -1;
  }
  return 0;
}

ssize_t h2conn_send(h2conn_t *conn, const uint8_t **data) {
  ssize_t n = nghttp2_session_mem_send(conn->session, data);
  if (n < 0) {
    conn->fatal = 1;
    return -1;
  }
  return n;
}

int h2conn_want_io(const h2conn_t *conn) {
  if (conn->fatal)
    return 0;
  return nghttp2_session_want_read(conn->session) ||
         nghttp2_session_want_write(conn->session);
}

void h2conn_shutdown_notice(h2conn_t *conn) {
  nghttp2_submit_shutdown_notice(conn->session);
  want_write(conn);
}

void h2conn_goaway(h2conn_t *conn) {
  nghttp2_submit_goaway(conn->session, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(conn->session),
                        NGHTTP2_NO_ERROR, NULL, 0);
  want_write(conn);
}

int h2conn_ping(h2conn_t *conn) {
  if (nghttp2_submit_ping(conn->session, NGHTTP2_FLAG_NONE, NULL) != 0)
    return -1;
  want_write(conn);
  return 0;
}

uint64_t h2conn_pings_acked(const h2conn_t *conn) { return conn->pings_acked; }

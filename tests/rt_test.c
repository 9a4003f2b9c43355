/*
 * rt_test.c — the in-memory test runtime (see rt_test.h).
 *
 * Everything is an event in one binary heap ordered by (time, sequence):
 * handler dispatch, user timers, call deadlines, client cancellation, stub
 * answers and invoke completions. rt_test_call() pops events in order,
 * moving the virtual clock to each, until the call is over.
 */
#include "rt_test.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct tevent tevent_t;
typedef struct tcall tcall_t;
typedef struct tinv tinv_t;
typedef void (*tevent_fn)(rt_test_t *t, void *arg);

struct tevent {
  struct rt_timer head; /* user timers hand this out as rt_timer_t */
  rt_test_t *t;
  rt_time_t when;
  uint64_t seq;
  size_t idx; /* position in the heap */
  tevent_fn fn; /* internal event, or NULL for a user timer */
  void *arg;
  rt_timer_cb ucb;
  void *uuser;
};

/* An HTTP message owned by the runtime: every string and the body copied. */
typedef struct hmsg {
  int status;
  char *method, *target, *path, *query;
  rt_http_header_t *h;
  size_t nh;
  uint8_t *body; /* NUL-terminated, never NULL once set */
  size_t len;
} hmsg_t;

typedef struct served {
  const rt_service_def_t *def;
  void *user;
} served_t;

struct tcall {
  struct rt_call head;
  rt_test_t *t;
  const rt_method_t *m;
  void *user;
  char path[256];
  ProtobufCMessage *req;
  rt_time_t start, deadline, end;
  int cancelled, server_done, client_done;
  rt_status_t status;
  char *message;
  uint8_t *resp;
  size_t resp_len;
  rt_cancel_cb ccb;
  void *cuser;
  tevent_t *dispatch_ev, *deadline_ev, *cancel_ev;
  tcall_t *next, *prev;
  /* HTTP calls (m == NULL) */
  int http;
  hmsg_t hin;              /* the request, owned */
  rt_http_request_t hview; /* what the handler sees, pointing into hin */
  hmsg_t hout;             /* the response the client got */
};

struct rt_test_stub {
  rt_test_stub_t *next;
  char *addr, *service, *method;
  const ProtobufCMessageDescriptor *req_type;
  rt_test_stub_fn fn;
  void *user;
  rt_time_t delay;
  unsigned calls, cancelled;
  rt_time_t last_deadline;
  rt_test_http_stub_fn hfn; /* HTTP stub (service, method ""), or NULL */
};

struct tinv {
  struct rt_invoke head;
  rt_test_t *t;
  tcall_t *parent;
  rt_test_stub_t *stub;
  char addr[256];
  uint8_t *req;
  size_t req_len;
  const ProtobufCMessageDescriptor *resp_type;
  rt_invoke_cb cb;
  void *user;
  rt_time_t deadline;
  int done;
  rt_status_t status;
  char msg[512];
  uint8_t *resp;
  size_t resp_len;
  tevent_t *start_ev, *deliver_ev, *deadline_ev, *complete_ev;
  tinv_t *next, *prev;
  /* HTTP invokes */
  rt_http_invoke_cb hcb;
  hmsg_t hreq, hresp;
};

struct rt_test {
  struct rt base; /* first: rt_t * and rt_test_t * convert */
  rt_time_t now;
  uint64_t s[4];
  char **env;
  size_t nenv;
  served_t *served;
  size_t nserved;
  tevent_t **heap;
  size_t nheap, capheap;
  uint64_t seq;
  tcall_t *calls;
  tinv_t *invs;
  rt_test_stub_t *stubs;
  char **logs;
  size_t nlogs, caplogs;
  char *cfgerr;
  size_t cfglen;
  char *lastmsg;
  rt_time_t last_duration;
  int verbose;
  rt_http_handler_cb http_handler; /* set by rt_serve_http */
  void *http_user;
  hmsg_t hres; /* the last rt_test_http() response, for the result */
};

/* Responses larger than this fail an rt_http_invoke (as in the live client). */
#define TEST_HTTP_MAX_RESPONSE (16u * 1024u * 1024u)
/* Default request body limit (HTTP_MAX_BODY_BYTES), as in the live server. */
#define TEST_HTTP_MAX_BODY (8u * 1024u * 1024u)

static char last_init_error[4096];

static void die(const char *what) {
  fprintf(stderr, "rt_test: contract violation: %s\n", what);
  abort();
}

static void *xcalloc(size_t n, size_t sz) {
  void *p = calloc(n, sz);
  if (!p)
    die("out of memory");
  return p;
}

static char *xstrdup(const char *s) {
  char *p = strdup(s ? s : "");
  if (!p)
    die("out of memory");
  return p;
}

/* ---------------- HTTP messages ---------------- */

static void hmsg_clear(hmsg_t *m) {
  free(m->method);
  free(m->target);
  free(m->path);
  free(m->query);
  for (size_t i = 0; i < m->nh; i++) {
    free((char *)m->h[i].name);
    free((char *)m->h[i].value);
  }
  free(m->h);
  free(m->body);
  memset(m, 0, sizeof *m);
}

static int has_crlf(const char *s) { return strpbrk(s, "\r\n") != NULL; }

/* Copies |h| into |m|, names lower-cased. A header that could not go on the
 * wire (CR, LF, a ':' in the name) is a contract violation. */
static void hmsg_set_headers(hmsg_t *m, const rt_http_header_t *h, size_t n) {
  m->h = n ? xcalloc(n, sizeof *m->h) : NULL;
  m->nh = n;
  for (size_t i = 0; i < n; i++) {
    if (!h[i].name || !h[i].value || !*h[i].name)
      die("HTTP header with a NULL or empty name or value");
    if (has_crlf(h[i].name) || has_crlf(h[i].value) ||
        strchr(h[i].name, ':'))
      die("HTTP header with CR, LF or ':' in it");
    char *name = xstrdup(h[i].name);
    for (char *p = name; *p; p++)
      if (*p >= 'A' && *p <= 'Z')
        *p = (char)(*p - 'A' + 'a');
    m->h[i].name = name;
    m->h[i].value = xstrdup(h[i].value);
  }
}

static void hmsg_set_body(hmsg_t *m, const void *body, size_t len) {
  m->body = malloc(len + 1);
  if (!m->body)
    die("out of memory");
  if (len)
    memcpy(m->body, body, len);
  m->body[len] = 0;
  m->len = len;
}

static void hmsg_set_target(hmsg_t *m, const char *method,
                            const char *target) {
  m->method = xstrdup(method);
  m->target = xstrdup(target);
  const char *q = strchr(target, '?');
  m->path = q ? strndup(target, (size_t)(q - target)) : xstrdup(target);
  if (!m->path)
    die("out of memory");
  m->query = xstrdup(q ? q + 1 : "");
}

/* The server's view of |m|. */
static void hmsg_view(const hmsg_t *m, const char *remote,
                      rt_http_request_t *v) {
  v->method = m->method;
  v->target = m->target;
  v->path = m->path;
  v->query = m->query;
  v->headers = m->h;
  v->n_headers = m->nh;
  v->body = m->body;
  v->body_len = m->len;
  v->remote = remote;
}

/* ---------------- event heap ---------------- */

static int ev_less(const tevent_t *a, const tevent_t *b) {
  return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_swap(rt_test_t *t, size_t i, size_t j) {
  tevent_t *x = t->heap[i];
  t->heap[i] = t->heap[j];
  t->heap[j] = x;
  t->heap[i]->idx = i;
  t->heap[j]->idx = j;
}

static void heap_up(rt_test_t *t, size_t i) {
  while (i > 0 && ev_less(t->heap[i], t->heap[(i - 1) / 2])) {
    heap_swap(t, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
}

static void heap_down(rt_test_t *t, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < t->nheap && ev_less(t->heap[l], t->heap[m]))
      m = l;
    if (r < t->nheap && ev_less(t->heap[r], t->heap[m]))
      m = r;
    if (m == i)
      return;
    heap_swap(t, i, m);
    i = m;
  }
}

static void heap_remove(rt_test_t *t, tevent_t *e) {
  size_t i = e->idx;
  t->nheap--;
  if (i != t->nheap) {
    t->heap[i] = t->heap[t->nheap];
    t->heap[i]->idx = i;
    heap_up(t, i);
    heap_down(t, t->heap[i]->idx);
  }
}

static const rt_ops_t test_ops;

static tevent_t *ev_add(rt_test_t *t, rt_time_t when, tevent_fn fn,
                        void *arg) {
  tevent_t *e = xcalloc(1, sizeof *e);
  e->head.ops = &test_ops;
  e->t = t;
  e->when = when < t->now ? t->now : when;
  e->seq = t->seq++;
  e->fn = fn;
  e->arg = arg;
  if (t->nheap == t->capheap) {
    size_t cap = t->capheap ? t->capheap * 2 : 64;
    tevent_t **nh = realloc(t->heap, cap * sizeof *nh);
    if (!nh)
      die("out of memory");
    t->heap = nh;
    t->capheap = cap;
  }
  e->idx = t->nheap;
  t->heap[t->nheap++] = e;
  heap_up(t, e->idx);
  return e;
}

/* Removes and frees |*ep| if set; clears it. */
static void ev_cancel(rt_test_t *t, tevent_t **ep) {
  if (*ep) {
    heap_remove(t, *ep);
    free(*ep);
    *ep = NULL;
  }
}

/* Runs the next event if it is due by |limit|. Returns 1 if one ran. */
static int run_one(rt_test_t *t, rt_time_t limit) {
  if (t->nheap == 0 || t->heap[0]->when > limit)
    return 0;
  tevent_t *e = t->heap[0];
  heap_remove(t, e);
  if (e->when > t->now)
    t->now = e->when;
  if (e->fn) {
    tevent_fn fn = e->fn;
    void *arg = e->arg;
    free(e);
    fn(t, arg);
  } else {
    rt_timer_cb cb = e->ucb;
    void *user = e->uuser;
    free(e);
    cb(user);
  }
  return 1;
}

/* ---------------- logging ---------------- */

static void add_log(rt_test_t *t, const char *line) {
  if (t->nlogs == t->caplogs) {
    size_t cap = t->caplogs ? t->caplogs * 2 : 32;
    char **nl = realloc(t->logs, cap * sizeof *nl);
    if (!nl)
      die("out of memory");
    t->logs = nl;
    t->caplogs = cap;
  }
  t->logs[t->nlogs++] = xstrdup(line);
  if (t->verbose)
    fprintf(stderr, "[%lld.%09lld] %s\n", (long long)(t->now / RT_SEC),
            (long long)(t->now % RT_SEC), line);
}

static const char *sev_name(rt_severity_t sev) {
  switch (sev) {
  case RT_DEBUG:
    return "DEBUG";
  case RT_INFO:
    return "INFO";
  case RT_WARNING:
    return "WARNING";
  default:
    return "ERROR";
  }
}

static void op_log(rt_t *rt, rt_severity_t sev, const char *msg,
                   const char *const *fields) {
  rt_test_t *t = (rt_test_t *)rt;
  size_t cap = 256, n;
  char *buf = xcalloc(1, cap);
  n = (size_t)snprintf(buf, cap, "%s %s", sev_name(sev), msg);
  for (size_t i = 0; fields && fields[i] && fields[i + 1]; i += 2) {
    size_t need = n + strlen(fields[i]) + strlen(fields[i + 1]) + 3;
    if (need > cap) {
      cap = need * 2;
      char *nb = realloc(buf, cap);
      if (!nb)
        die("out of memory");
      buf = nb;
    }
    n += (size_t)snprintf(buf + n, cap - n, " %s=%s", fields[i],
                          fields[i + 1]);
  }
  add_log(t, buf);
  free(buf);
}

static void logf_(rt_test_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(rt_test_t *t, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  add_log(t, buf);
}

/* ---------------- serving ---------------- */

static int op_serve(rt_t *rt, const rt_service_def_t *def, void *user) {
  rt_test_t *t = (rt_test_t *)rt;
  if (t->http_handler) {
    errno = EBUSY; /* one protocol per port */
    return -1;
  }
  for (size_t i = 0; i < t->nserved; i++)
    if (strcmp(t->served[i].def->name, def->name) == 0)
      return -1;
  served_t *ns = realloc(t->served, (t->nserved + 1) * sizeof *ns);
  if (!ns)
    die("out of memory");
  t->served = ns;
  t->served[t->nserved].def = def;
  t->served[t->nserved].user = user;
  t->nserved++;
  return 0;
}

static void cancel_children(rt_test_t *t, tcall_t *c);

/* The client side learns the outcome (first one wins). */
static void client_outcome(tcall_t *c, rt_status_t st, const char *msg,
                           const uint8_t *resp, size_t len) {
  if (c->client_done)
    return;
  c->client_done = 1;
  c->end = c->t->now;
  c->status = st;
  c->message = xstrdup(msg);
  if (resp) {
    c->resp = malloc(len ? len : 1);
    if (!c->resp)
      die("out of memory");
    memcpy(c->resp, resp, len);
    c->resp_len = len;
  }
}

/* The client goes away: deadline or RST_STREAM. */
static void call_abandon(tcall_t *c, rt_status_t st, const char *msg) {
  rt_test_t *t = c->t;
  if (c->client_done)
    return;
  client_outcome(c, st, msg, NULL, 0);
  if (c->server_done)
    return;
  c->cancelled = 1;
  cancel_children(t, c);
  if (c->ccb) {
    rt_cancel_cb cb = c->ccb;
    c->ccb = NULL;
    cb(&c->head, c->cuser);
  }
}

static void ev_call_deadline(rt_test_t *t, void *arg) {
  tcall_t *c = arg;
  c->deadline_ev = NULL;
  call_abandon(c, RT_DEADLINE_EXCEEDED, "deadline exceeded");
}

static void ev_call_cancel(rt_test_t *t, void *arg) {
  tcall_t *c = arg;
  c->cancel_ev = NULL;
  call_abandon(c, RT_CANCELLED, "cancelled by client");
}

static void ev_call_dispatch(rt_test_t *t, void *arg) {
  tcall_t *c = arg;
  c->dispatch_ev = NULL;
  if (c->http)
    t->http_handler(&c->head, &c->hview, t->http_user);
  else
    c->m->handler(&c->head, c->req, c->user);
}

static void server_end(tcall_t *c, const char *what) {
  if (c->server_done)
    die(what);
  c->server_done = 1;
}

static void op_reply(rt_call_t *call, const ProtobufCMessage *resp) {
  tcall_t *c = (tcall_t *)call;
  if (c->http)
    die("rt_reply on an HTTP call");
  server_end(c, "call ended twice (rt_reply)");
  if (!resp || resp->descriptor != c->m->output)
    die("rt_reply with a message of the wrong type");
  if (c->client_done)
    return; /* dropped, as on the wire */
  size_t len = protobuf_c_message_get_packed_size(resp);
  if (len > RT_MAX_MESSAGE) {
    client_outcome(c, RT_RESOURCE_EXHAUSTED, "response too large", NULL, 0);
    return;
  }
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf)
    die("out of memory");
  protobuf_c_message_pack(resp, buf);
  client_outcome(c, RT_OK, "", buf, len);
  free(buf);
}

static void op_fail(rt_call_t *call, rt_status_t code, const char *message) {
  tcall_t *c = (tcall_t *)call;
  server_end(c, "call ended twice (rt_fail)");
  if (c->http && !c->client_done) {
    /* The client sees an HTTP response, as on the wire. */
    static const rt_http_header_t ct[] = {
        {"content-type", "text/plain; charset=utf-8"}};
    c->hout.status = rt_http_status_for(code);
    hmsg_set_headers(&c->hout, ct, 1);
    hmsg_set_body(&c->hout, message, strlen(message));
  }
  client_outcome(c, code, message, NULL, 0);
}

static int op_serve_http(rt_t *rt, rt_http_handler_cb handler, void *user) {
  rt_test_t *t = (rt_test_t *)rt;
  if (t->http_handler || t->nserved || !handler) {
    errno = t->http_handler || t->nserved ? EBUSY : EINVAL;
    return -1;
  }
  t->http_handler = handler;
  t->http_user = user;
  return 0;
}

static void op_http_respond(rt_call_t *call, int status,
                            const rt_http_header_t *headers, size_t n_headers,
                            const void *body, size_t body_len) {
  tcall_t *c = (tcall_t *)call;
  if (!c->http)
    die("rt_http_respond on a gRPC call");
  server_end(c, "call ended twice (rt_http_respond)");
  if (status < 100 || status > 599)
    die("rt_http_respond with a status outside 100..599");
  if (n_headers && !headers)
    die("rt_http_respond with n_headers but no headers");
  if (body_len && !body)
    die("rt_http_respond with body_len but no body");
  /* Validate even when the response is dropped: the bug is the same. */
  hmsg_t tmp = {0};
  hmsg_set_headers(&tmp, headers, n_headers);
  if (c->client_done) {
    hmsg_clear(&tmp);
    return; /* the client has gone: dropped, as on the wire */
  }
  c->hout = tmp;
  c->hout.status = status;
  int head = strcmp(c->hin.method, "HEAD") == 0;
  hmsg_set_body(&c->hout, body, head ? 0 : body_len);
  client_outcome(c, RT_OK, "", NULL, 0);
}

static rt_t *op_call_rt(const rt_call_t *call) {
  return &((const tcall_t *)call)->t->base;
}

static const char *op_call_path(const rt_call_t *call) {
  return ((const tcall_t *)call)->path;
}

static rt_time_t op_call_deadline(const rt_call_t *call) {
  return ((const tcall_t *)call)->deadline;
}

static int op_call_cancelled(const rt_call_t *call) {
  return ((const tcall_t *)call)->cancelled;
}

static void op_call_on_cancel(rt_call_t *call, rt_cancel_cb cb, void *user) {
  tcall_t *c = (tcall_t *)call;
  c->ccb = cb;
  c->cuser = user;
}

/* ---------------- invoking (stubs) ---------------- */

static int name_matches(const char *full, const char *want) {
  if (strcmp(full, want) == 0)
    return 1;
  const char *dot = strrchr(full, '.');
  if (dot && strcmp(dot + 1, want) == 0)
    return 1;
  dot = strrchr(want, '.');
  return dot && strcmp(dot + 1, full) == 0;
}

static rt_test_stub_t *find_stub(rt_test_t *t, const char *addr,
                                 const char *service, const char *method) {
  for (rt_test_stub_t *s = t->stubs; s; s = s->next)
    if (!s->hfn && (strcmp(s->addr, "*") == 0 || strcmp(s->addr, addr) == 0) &&
        name_matches(s->service, service) && strcmp(s->method, method) == 0)
      return s;
  return NULL;
}

static rt_test_stub_t *find_http_stub(rt_test_t *t, const char *addr) {
  rt_test_stub_t *any = NULL;
  for (rt_test_stub_t *s = t->stubs; s; s = s->next)
    if (s->hfn) {
      if (strcmp(s->addr, addr) == 0)
        return s;
      if (!any && strcmp(s->addr, "*") == 0)
        any = s;
    }
  return any;
}

static void inv_unlink(rt_test_t *t, tinv_t *v) {
  if (v->prev)
    v->prev->next = v->next;
  else
    t->invs = v->next;
  if (v->next)
    v->next->prev = v->prev;
}

static void inv_free(tinv_t *v) {
  free(v->req);
  free(v->resp);
  hmsg_clear(&v->hreq);
  hmsg_clear(&v->hresp);
  free(v);
}

static void ev_inv_complete(rt_test_t *t, void *arg) {
  tinv_t *v = arg;
  v->complete_ev = NULL;
  if (v->hcb) {
    inv_unlink(t, v);
    rt_http_response_t r = {v->hresp.status, v->hresp.h, v->hresp.nh,
                            v->hresp.body, v->hresp.len};
    int ok = v->status == RT_OK;
    v->hcb(v->user, v->status, ok ? "" : v->msg, ok ? &r : NULL);
    inv_free(v);
    return;
  }
  ProtobufCMessage *resp = NULL;
  rt_status_t st = v->status;
  if (st == RT_OK) {
    resp = protobuf_c_message_unpack(v->resp_type, NULL, v->resp_len, v->resp);
    if (!resp) {
      st = RT_INTERNAL;
      snprintf(v->msg, sizeof v->msg, "response does not decode as %s",
               v->resp_type->name);
    }
  }
  inv_unlink(t, v);
  v->cb(v->user, st, st == RT_OK ? "" : v->msg, resp);
  inv_free(v);
}

/* Decides the outcome of |v| once; its callback runs from a later event. */
static void inv_finish(tinv_t *v, rt_status_t st, const char *msg,
                       const uint8_t *resp, size_t len) {
  rt_test_t *t = v->t;
  if (v->done)
    return;
  v->done = 1;
  ev_cancel(t, &v->start_ev);
  ev_cancel(t, &v->deliver_ev);
  ev_cancel(t, &v->deadline_ev);
  v->status = st;
  snprintf(v->msg, sizeof v->msg, "%s", msg);
  if (resp) {
    v->resp = malloc(len ? len : 1);
    if (!v->resp)
      die("out of memory");
    memcpy(v->resp, resp, len);
    v->resp_len = len;
  }
  v->complete_ev = ev_add(t, t->now, ev_inv_complete, v);
}

static void ev_inv_deliver(rt_test_t *t, void *arg) {
  tinv_t *v = arg;
  v->deliver_ev = NULL;
  /* The stub's answer was stored in v->status/msg/resp by ev_inv_start. */
  uint8_t *resp = v->resp;
  v->resp = NULL;
  char msg[sizeof v->msg];
  memcpy(msg, v->msg, sizeof msg);
  inv_finish(v, v->status, msg, resp, v->resp_len);
  free(resp);
}

static void ev_inv_start(rt_test_t *t, void *arg) {
  tinv_t *v = arg;
  v->start_ev = NULL;
  rt_test_stub_t *s = v->stub;
  if (!s) {
    char msg[300];
    snprintf(msg, sizeof msg, "no route to %s", v->addr);
    inv_finish(v, RT_UNAVAILABLE, msg, NULL, 0);
    return;
  }
  s->calls++;
  s->last_deadline = v->deadline;
  if (v->hcb) {
    rt_http_request_t hr;
    hmsg_view(&v->hreq, "", &hr);
    rt_test_http_reply_t reply = {200, NULL, 0, NULL, 0};
    char hmsg[512] = "";
    rt_status_t hst = s->hfn(s->user, &hr, &reply, hmsg, sizeof hmsg);
    v->status = hst;
    snprintf(v->msg, sizeof v->msg, "%s", hst == RT_OK ? "" : hmsg);
    if (hst == RT_OK) {
      if (reply.status < 100 || reply.status > 599)
        die("HTTP stub answered a status outside 100..599");
      if (reply.body_len > TEST_HTTP_MAX_RESPONSE) {
        v->status = RT_RESOURCE_EXHAUSTED;
        snprintf(v->msg, sizeof v->msg, "response too large");
      } else {
        v->hresp.status = reply.status;
        hmsg_set_headers(&v->hresp, reply.headers, reply.n_headers);
        hmsg_set_body(&v->hresp, reply.body, reply.body_len);
      }
    }
    v->deliver_ev = ev_add(t, t->now + s->delay, ev_inv_deliver, v);
    return;
  }
  ProtobufCMessage *req =
      protobuf_c_message_unpack(s->req_type, NULL, v->req_len, v->req);
  if (!req) {
    inv_finish(v, RT_INTERNAL, "stub: request does not decode", NULL, 0);
    return;
  }
  const ProtobufCMessage *resp = NULL;
  char msg[512] = "";
  rt_status_t st = s->fn(s->user, req, &resp, msg, sizeof msg);
  protobuf_c_message_free_unpacked(req, NULL);
  v->status = st;
  snprintf(v->msg, sizeof v->msg, "%s", st == RT_OK ? "" : msg);
  if (st == RT_OK) {
    if (!resp)
      die("stub returned RT_OK without a response");
    v->resp_len = protobuf_c_message_get_packed_size(resp);
    v->resp = malloc(v->resp_len ? v->resp_len : 1);
    if (!v->resp)
      die("out of memory");
    protobuf_c_message_pack(resp, v->resp);
  }
  v->deliver_ev = ev_add(t, t->now + s->delay, ev_inv_deliver, v);
}

static void ev_inv_deadline(rt_test_t *t, void *arg) {
  tinv_t *v = arg;
  v->deadline_ev = NULL;
  if (v->stub)
    v->stub->cancelled++;
  inv_finish(v, RT_DEADLINE_EXCEEDED, "deadline exceeded", NULL, 0);
}

static rt_invoke_t *op_invoke(rt_t *rt, const char *addr, const char *service,
                              const char *method, const ProtobufCMessage *req,
                              const ProtobufCMessageDescriptor *resp_type,
                              const rt_invoke_opts_t *opts, rt_invoke_cb cb,
                              void *user) {
  rt_test_t *t = (rt_test_t *)rt;
  if (!addr || !service || !method || !req || !resp_type || !cb ||
      !strchr(addr, ':') || strlen(addr) >= 256) {
    errno = EINVAL;
    return NULL;
  }
  tinv_t *v = xcalloc(1, sizeof *v);
  v->head.ops = &test_ops;
  v->t = t;
  snprintf(v->addr, sizeof v->addr, "%s", addr);
  v->stub = find_stub(t, addr, service, method);
  v->req_len = protobuf_c_message_get_packed_size(req);
  v->req = malloc(v->req_len ? v->req_len : 1);
  if (!v->req)
    die("out of memory");
  protobuf_c_message_pack(req, v->req);
  v->resp_type = resp_type;
  v->cb = cb;
  v->user = user;
  v->deadline = RT_TIME_INFINITE;
  if (opts && opts->timeout > 0)
    v->deadline = t->now + opts->timeout;
  if (opts && opts->parent) {
    tcall_t *p = (tcall_t *)opts->parent;
    v->parent = p;
    if (p->deadline < v->deadline)
      v->deadline = p->deadline;
  }
  v->next = t->invs;
  if (t->invs)
    t->invs->prev = v;
  t->invs = v;
  if (v->parent && v->parent->cancelled) {
    if (v->stub)
      v->stub->cancelled++;
    inv_finish(v, RT_CANCELLED, "parent call cancelled", NULL, 0);
    return &v->head;
  }
  v->start_ev = ev_add(t, t->now, ev_inv_start, v);
  if (v->deadline != RT_TIME_INFINITE)
    v->deadline_ev = ev_add(t, v->deadline, ev_inv_deadline, v);
  return &v->head;
}

static int is_token(const char *s) {
  if (!*s)
    return 0;
  for (; *s; s++)
    if (!strchr("!#$%&'*+-.^_`|~", *s) && !(*s >= '0' && *s <= '9') &&
        !(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z'))
      return 0;
  return 1;
}

static rt_invoke_t *op_http_invoke(rt_t *rt, const char *addr,
                                   const char *method, const char *target,
                                   const rt_http_header_t *headers,
                                   size_t n_headers, const void *body,
                                   size_t body_len,
                                   const rt_invoke_opts_t *opts,
                                   rt_http_invoke_cb cb, void *user) {
  rt_test_t *t = (rt_test_t *)rt;
  if (!addr || !method || !target || !cb || !strchr(addr, ':') ||
      strlen(addr) >= 256 || !is_token(method) || target[0] != '/' ||
      has_crlf(target) || strchr(target, ' ') || (n_headers && !headers) ||
      (body_len && !body)) {
    errno = EINVAL;
    return NULL;
  }
  for (size_t i = 0; i < n_headers; i++)
    if (!headers[i].name || !headers[i].value || !is_token(headers[i].name) ||
        has_crlf(headers[i].value)) {
      errno = EINVAL;
      return NULL;
    }
  tinv_t *v = xcalloc(1, sizeof *v);
  v->head.ops = &test_ops;
  v->t = t;
  snprintf(v->addr, sizeof v->addr, "%s", addr);
  v->stub = find_http_stub(t, addr);
  hmsg_set_target(&v->hreq, method, target);
  hmsg_set_headers(&v->hreq, headers, n_headers);
  hmsg_set_body(&v->hreq, body, body_len);
  v->hcb = cb;
  v->user = user;
  v->deadline = RT_TIME_INFINITE;
  if (opts && opts->timeout > 0)
    v->deadline = t->now + opts->timeout;
  if (opts && opts->parent) {
    tcall_t *p = (tcall_t *)opts->parent;
    v->parent = p;
    if (p->deadline < v->deadline)
      v->deadline = p->deadline;
  }
  v->next = t->invs;
  if (t->invs)
    t->invs->prev = v;
  t->invs = v;
  if (v->parent && v->parent->cancelled) {
    if (v->stub)
      v->stub->cancelled++;
    inv_finish(v, RT_CANCELLED, "parent call cancelled", NULL, 0);
    return &v->head;
  }
  v->start_ev = ev_add(t, t->now, ev_inv_start, v);
  if (v->deadline != RT_TIME_INFINITE)
    v->deadline_ev = ev_add(t, v->deadline, ev_inv_deadline, v);
  return &v->head;
}

static void op_invoke_cancel(rt_invoke_t *inv) {
  tinv_t *v = (tinv_t *)inv;
  if (v->done)
    return;
  if (v->stub)
    v->stub->cancelled++;
  inv_finish(v, RT_CANCELLED, "cancelled", NULL, 0);
}

static void cancel_children(rt_test_t *t, tcall_t *c) {
  for (tinv_t *v = t->invs; v; v = v->next)
    if (v->parent == c && !v->done) {
      if (v->stub)
        v->stub->cancelled++;
      inv_finish(v, RT_CANCELLED, "parent call cancelled", NULL, 0);
    }
}

/* ---------------- timers, time, rand, env ---------------- */

static rt_timer_t *op_timer_start(rt_t *rt, rt_time_t delay, rt_timer_cb cb,
                                  void *user) {
  rt_test_t *t = (rt_test_t *)rt;
  tevent_t *e = ev_add(t, t->now + delay, NULL, NULL);
  e->ucb = cb;
  e->uuser = user;
  return &e->head;
}

static void op_timer_cancel(rt_timer_t *timer) {
  tevent_t *e = (tevent_t *)timer;
  heap_remove(e->t, e);
  free(e);
}

static rt_time_t op_now(rt_t *rt) { return ((rt_test_t *)rt)->now; }

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** */
static uint64_t op_rand(rt_t *rt) {
  uint64_t *s = ((rt_test_t *)rt)->s;
  uint64_t r = rotl(s[1] * 5, 7) * 9, x = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= x;
  s[3] = rotl(s[3], 45);
  return r;
}

static const char *op_env(rt_t *rt, const char *name) {
  rt_test_t *t = (rt_test_t *)rt;
  size_t n = strlen(name);
  for (size_t i = 0; i < t->nenv; i++)
    if (strncmp(t->env[i], name, n) == 0 && t->env[i][n] == '=')
      return t->env[i] + n + 1;
  return NULL;
}

static void op_config_error(rt_t *rt, const char *name, const char *value,
                            const char *why) {
  rt_test_t *t = (rt_test_t *)rt;
  size_t need = strlen(name) + strlen(value) + strlen(why) + 5;
  char *nb = realloc(t->cfgerr, t->cfglen + need);
  if (!nb)
    die("out of memory");
  t->cfgerr = nb;
  t->cfglen += (size_t)snprintf(t->cfgerr + t->cfglen, need, "%s=%s: %s\n",
                                name, value, why);
  logf_(t, "ERROR config error %s=%s: %s", name, value, why);
}

static const rt_ops_t test_ops = {
    .serve = op_serve,
    .reply = op_reply,
    .fail = op_fail,
    .call_rt = op_call_rt,
    .call_path = op_call_path,
    .call_deadline = op_call_deadline,
    .call_cancelled = op_call_cancelled,
    .call_on_cancel = op_call_on_cancel,
    .invoke = op_invoke,
    .invoke_cancel = op_invoke_cancel,
    .timer_start = op_timer_start,
    .timer_cancel = op_timer_cancel,
    .now = op_now,
    .rand = op_rand,
    .env = op_env,
    .config_error = op_config_error,
    .log = op_log,
    .serve_http = op_serve_http,
    .http_respond = op_http_respond,
    .http_invoke = op_http_invoke,
};

/* ---------------- public API ---------------- */

static void free_all(rt_test_t *t) {
  while (t->calls) {
    tcall_t *c = t->calls;
    t->calls = c->next;
    if (c->req)
      protobuf_c_message_free_unpacked(c->req, NULL);
    free(c->message);
    free(c->resp);
    hmsg_clear(&c->hin);
    hmsg_clear(&c->hout);
    free(c);
  }
  while (t->invs) {
    tinv_t *v = t->invs;
    t->invs = v->next;
    inv_free(v);
  }
  hmsg_clear(&t->hres);
  for (size_t i = 0; i < t->nheap; i++)
    free(t->heap[i]);
  free(t->heap);
  while (t->stubs) {
    rt_test_stub_t *s = t->stubs;
    t->stubs = s->next;
    free(s->addr);
    free(s->service);
    free(s->method);
    free(s);
  }
  for (size_t i = 0; i < t->nenv; i++)
    free(t->env[i]);
  free(t->env);
  for (size_t i = 0; i < t->nlogs; i++)
    free(t->logs[i]);
  free(t->logs);
  free(t->served);
  free(t->cfgerr);
  free(t->lastmsg);
  free(t);
}

rt_test_t *rt_test_new(const rt_service_t *svc, const char *const *env,
                       uint64_t seed) {
  last_init_error[0] = '\0';
  rt_test_t *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->base.ops = &test_ops;
  t->base.service = svc;
  t->now = RT_TEST_EPOCH;
  t->verbose = getenv("RT_TEST_VERBOSE") != NULL;
  /* splitmix64 spreads the seed over xoshiro's state. */
  uint64_t z = seed;
  for (int i = 0; i < 4; i++) {
    uint64_t x = (z += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    t->s[i] = x ^ (x >> 31);
  }
  for (size_t n = 0; env && env[n]; n++) {
    char **ne = realloc(t->env, (t->nenv + 1) * sizeof *ne);
    if (!ne) {
      free_all(t);
      return NULL;
    }
    t->env = ne;
    t->env[t->nenv++] = xstrdup(env[n]);
  }
  if (svc->init(&t->base) != 0) {
    /* As in the live runtime, fini is not called after a failed init: init
     * must clean up after itself (ASan's leak check holds it to that). */
    snprintf(last_init_error, sizeof last_init_error, "%s",
             t->cfgerr ? t->cfgerr : "");
    free_all(t);
    return NULL;
  }
  return t;
}

const char *rt_test_last_init_error(void) { return last_init_error; }

void rt_test_free(rt_test_t *t) {
  if (!t)
    return;
  if (t->base.service->fini)
    t->base.service->fini(&t->base);
  free_all(t);
}

rt_t *rt_test_rt(rt_test_t *t) { return &t->base; }

void rt_test_set_now(rt_test_t *t, rt_time_t now) { t->now = now; }

rt_time_t rt_test_now(const rt_test_t *t) { return t->now; }

size_t rt_test_advance(rt_test_t *t, rt_time_t delta) {
  rt_time_t limit = t->now + delta;
  size_t n = 0;
  while (run_one(t, limit))
    n++;
  t->now = limit;
  return n;
}

rt_time_t rt_test_last_duration(const rt_test_t *t) {
  return t->last_duration;
}

static int call_error(rt_test_t *t, const char **message, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));
static int call_error(rt_test_t *t, const char **message, const char *fmt,
                      ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  free(t->lastmsg);
  t->lastmsg = xstrdup(buf);
  if (message)
    *message = t->lastmsg;
  return -1;
}

static void call_free(rt_test_t *t, tcall_t *c) {
  ev_cancel(t, &c->dispatch_ev);
  ev_cancel(t, &c->deadline_ev);
  ev_cancel(t, &c->cancel_ev);
  for (tinv_t *v = t->invs; v; v = v->next)
    if (v->parent == c)
      v->parent = NULL;
  if (c->prev)
    c->prev->next = c->next;
  else
    t->calls = c->next;
  if (c->next)
    c->next->prev = c->prev;
  if (c->req)
    protobuf_c_message_free_unpacked(c->req, NULL);
  free(c->message);
  free(c->resp);
  hmsg_clear(&c->hin);
  hmsg_clear(&c->hout);
  free(c);
}

int rt_test_call_ex(rt_test_t *t, const char *service, const char *method,
                    const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *resp_type,
                    rt_time_t timeout, rt_time_t cancel_after,
                    rt_status_t *status, const char **message,
                    ProtobufCMessage **resp) {
  if (status)
    *status = RT_UNKNOWN;
  if (resp)
    *resp = NULL;
  const rt_method_t *m = NULL;
  void *user = NULL;
  const char *full = NULL;
  for (size_t i = 0; i < t->nserved && !m; i++) {
    const rt_service_def_t *d = t->served[i].def;
    if (!name_matches(d->name, service))
      continue;
    for (size_t j = 0; j < d->n_methods; j++)
      if (strcmp(d->methods[j].name, method) == 0) {
        m = &d->methods[j];
        user = t->served[i].user;
        full = d->name;
      }
  }
  if (!m)
    return call_error(t, message, "%s/%s is not served", service, method);
  if (req->descriptor != m->input)
    return call_error(t, message, "request is a %s, %s/%s takes %s",
                      req->descriptor->name, service, method, m->input->name);
  size_t len = protobuf_c_message_get_packed_size(req);
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf)
    die("out of memory");
  protobuf_c_message_pack(req, buf);
  ProtobufCMessage *dec = protobuf_c_message_unpack(m->input, NULL, len, buf);
  free(buf);
  if (!dec)
    return call_error(t, message, "request does not decode");

  tcall_t *c = xcalloc(1, sizeof *c);
  c->head.ops = &test_ops;
  c->t = t;
  c->m = m;
  c->user = user;
  snprintf(c->path, sizeof c->path, "/%s/%s", full, method);
  c->req = dec;
  c->start = t->now;
  c->deadline = timeout > 0 ? t->now + timeout : RT_TIME_INFINITE;
  c->next = t->calls;
  if (t->calls)
    t->calls->prev = c;
  t->calls = c;
  c->dispatch_ev = ev_add(t, t->now, ev_call_dispatch, c);
  if (timeout > 0)
    c->deadline_ev = ev_add(t, c->deadline, ev_call_deadline, c);
  if (cancel_after > 0)
    c->cancel_ev = ev_add(t, t->now + cancel_after, ev_call_cancel, c);

  while (!(c->client_done && c->server_done))
    if (!run_one(t, RT_TIME_INFINITE))
      break;
  if (!c->server_done) {
    /* Keep the call: the service may still hold it. rt_test_free frees it. */
    ev_cancel(t, &c->deadline_ev);
    ev_cancel(t, &c->cancel_ev);
    return call_error(t, message, "%s: the handler never ended the call",
                      c->path);
  }
  t->last_duration = c->end - c->start;
  if (status)
    *status = c->status;
  int rc = 0;
  free(t->lastmsg);
  t->lastmsg = xstrdup(c->message);
  if (message)
    *message = t->lastmsg;
  if (c->status == RT_OK && resp) {
    *resp = protobuf_c_message_unpack(resp_type, NULL, c->resp_len, c->resp);
    if (!*resp)
      rc = call_error(t, message, "response does not decode as %s",
                      resp_type->name);
  }
  call_free(t, c);
  return rc;
}

int rt_test_call(rt_test_t *t, const char *service, const char *method,
                 const ProtobufCMessage *req,
                 const ProtobufCMessageDescriptor *resp_type,
                 rt_time_t timeout, rt_status_t *status, const char **message,
                 ProtobufCMessage **resp) {
  return rt_test_call_ex(t, service, method, req, resp_type, timeout, 0,
                         status, message, resp);
}

/* ---------------- HTTP driver ---------------- */

static int http_error(rt_test_t *t, rt_test_http_result_t *out,
                      const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int http_error(rt_test_t *t, rt_test_http_result_t *out,
                      const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  free(t->lastmsg);
  t->lastmsg = xstrdup(buf);
  out->error = t->lastmsg;
  return -1;
}

/* The body limit the live server enforces, from the same variable. */
static size_t http_max_body(rt_test_t *t) {
  const char *v = op_env(&t->base, "HTTP_MAX_BODY_BYTES");
  char *end;
  if (v && *v) {
    unsigned long long n = strtoull(v, &end, 10);
    if (!*end && n > 0)
      return (size_t)n;
  }
  return TEST_HTTP_MAX_BODY;
}

int rt_test_http_ex(rt_test_t *t, const char *method, const char *target,
                    const rt_http_header_t *headers, size_t n,
                    const void *body, size_t len, rt_time_t timeout,
                    rt_time_t cancel_after, rt_test_http_result_t *out) {
  static const uint8_t nothing[1];
  hmsg_clear(&t->hres);
  memset(out, 0, sizeof *out);
  out->body = nothing;
  out->error = "";
  if (!t->http_handler)
    return http_error(t, out, "the service does not serve HTTP");
  if (!method || !target || !*method || !*target)
    return http_error(t, out, "no method or target");
  if (len > http_max_body(t)) {
    /* The runtime answers itself, without calling the handler. */
    t->hres.status = 413;
    hmsg_set_body(&t->hres, "", 0);
    out->status = 413;
    t->last_duration = 0;
    return 0;
  }

  tcall_t *c = xcalloc(1, sizeof *c);
  c->head.ops = &test_ops;
  c->t = t;
  c->http = 1;
  hmsg_set_target(&c->hin, method, target);
  hmsg_set_headers(&c->hin, headers, n);
  hmsg_set_body(&c->hin, body, len);
  hmsg_view(&c->hin, "192.0.2.1:49152", &c->hview);
  snprintf(c->path, sizeof c->path, "%s", c->hin.path);
  c->start = t->now;
  c->deadline = timeout > 0 ? t->now + timeout : RT_TIME_INFINITE;
  c->next = t->calls;
  if (t->calls)
    t->calls->prev = c;
  t->calls = c;
  c->dispatch_ev = ev_add(t, t->now, ev_call_dispatch, c);
  if (timeout > 0)
    c->deadline_ev = ev_add(t, c->deadline, ev_call_deadline, c);
  if (cancel_after > 0)
    c->cancel_ev = ev_add(t, t->now + cancel_after, ev_call_cancel, c);

  while (!(c->client_done && c->server_done))
    if (!run_one(t, RT_TIME_INFINITE))
      break;
  if (!c->server_done) {
    ev_cancel(t, &c->deadline_ev);
    ev_cancel(t, &c->cancel_ev);
    return http_error(t, out, "%s %s: the handler never ended the call",
                      method, target);
  }
  t->last_duration = c->end - c->start;
  out->fail_code = c->status;
  if (c->hout.status) {
    /* Move the response into |t| so it outlives the call. */
    t->hres = c->hout;
    memset(&c->hout, 0, sizeof c->hout);
    out->status = t->hres.status;
    out->headers = t->hres.h;
    out->n_headers = t->hres.nh;
    out->body = t->hres.body;
    out->body_len = t->hres.len;
  } else {
    free(t->lastmsg);
    t->lastmsg = xstrdup(c->message);
    out->error = t->lastmsg;
  }
  call_free(t, c);
  return 0;
}

int rt_test_http(rt_test_t *t, const char *method, const char *target,
                 const rt_http_header_t *headers, size_t n, const void *body,
                 size_t len, rt_time_t timeout, rt_test_http_result_t *out) {
  return rt_test_http_ex(t, method, target, headers, n, body, len, timeout, 0,
                         out);
}

const char *rt_test_http_result_header_nth(const rt_test_http_result_t *r,
                                           const char *name, size_t i) {
  for (size_t k = 0; k < r->n_headers; k++)
    if (strcasecmp(r->headers[k].name, name) == 0 && i-- == 0)
      return r->headers[k].value;
  return NULL;
}

const char *rt_test_http_result_header(const rt_test_http_result_t *r,
                                       const char *name) {
  return rt_test_http_result_header_nth(r, name, 0);
}

rt_test_stub_t *rt_test_http_stub(rt_test_t *t, const char *addr,
                                  rt_test_http_stub_fn fn, void *user) {
  rt_test_stub_t *s = NULL;
  for (rt_test_stub_t *p = t->stubs; p; p = p->next)
    if (p->hfn && strcmp(p->addr, addr) == 0)
      s = p;
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s)
      return NULL;
    s->addr = xstrdup(addr);
    s->service = xstrdup("");
    s->method = xstrdup("");
    s->next = t->stubs;
    t->stubs = s;
  }
  s->hfn = fn;
  s->user = user;
  s->last_deadline = RT_TIME_INFINITE;
  return s;
}

rt_test_stub_t *rt_test_stub(rt_test_t *t, const char *addr,
                             const char *service, const char *method,
                             const ProtobufCMessageDescriptor *req_type,
                             rt_test_stub_fn fn, void *user) {
  rt_test_stub_t *s = NULL;
  for (rt_test_stub_t *p = t->stubs; p; p = p->next)
    if (!p->hfn && strcmp(p->addr, addr) == 0 &&
        strcmp(p->service, service) == 0 && strcmp(p->method, method) == 0)
      s = p;
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s)
      return NULL;
    s->addr = xstrdup(addr);
    s->service = xstrdup(service);
    s->method = xstrdup(method);
    s->next = t->stubs;
    t->stubs = s;
  }
  s->req_type = req_type;
  s->fn = fn;
  s->user = user;
  s->last_deadline = RT_TIME_INFINITE;
  return s;
}

void rt_test_stub_set_delay(rt_test_stub_t *s, rt_time_t delay) {
  s->delay = delay < 0 ? 0 : delay;
}

unsigned rt_test_stub_calls(const rt_test_stub_t *s) { return s->calls; }

rt_time_t rt_test_stub_last_deadline(const rt_test_stub_t *s) {
  return s->last_deadline;
}

unsigned rt_test_stub_cancelled(const rt_test_stub_t *s) {
  return s->cancelled;
}

size_t rt_test_log_count(const rt_test_t *t) { return t->nlogs; }

const char *rt_test_log_line(const rt_test_t *t, size_t i) {
  return i < t->nlogs ? t->logs[i] : NULL;
}

long rt_test_log_find(const rt_test_t *t, const char *needle) {
  for (size_t i = 0; i < t->nlogs; i++)
    if (strstr(t->logs[i], needle))
      return (long)i;
  return -1;
}

void rt_test_log_clear(rt_test_t *t) {
  for (size_t i = 0; i < t->nlogs; i++)
    free(t->logs[i]);
  t->nlogs = 0;
}

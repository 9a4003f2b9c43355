/*
 * http1.c — HTTP/1.1 server connections and response parsing on
 * nodejs/http-parser, without I/O (see http1.h).
 *
 * Server connection states: IDLE (between requests; the idle timeout runs),
 * READING (a request has begun; the request timeout runs), BUSY (the handler
 * has the call; further input is only buffered), CLOSING (nothing more is
 * parsed; the connection ends when the queued output is out).
 *
 * http-parser knows a fixed list of methods; HTTP allows any token. A
 * request whose method is a token unknown to the parser is fed to it as GET
 * (the method does not change how a request is framed) and handed to the
 * handler with its own method.
 *
 * Steady state costs no allocation per request: each connection keeps one
 * call object (request storage included) and two output buffers, reused;
 * a call whose connection goes away is detached and freed when its handler
 * ends it.
 */
#include "http1.h"

#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_METHOD 32
#define MAX_HEADERS 256
#define MAX_BUFFERED (64 * 1024) /* pipelined input held while BUSY */
#define SHRINK_ABOVE (1024 * 1024)
#define CLIENT_MAX_HEADER (64 * 1024)

/* ---- Small helpers ------------------------------------------------------ */

static int is_tchar(unsigned char ch) {
  static const char extra[] = "!#$%&'*+-.^_`|~";
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
         (ch >= 'A' && ch <= 'Z') || (ch && strchr(extra, ch));
}

static int is_token(const char *s, size_t n) {
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!is_tchar((unsigned char)s[i]))
      return 0;
  return 1;
}

/* Field values: no CR, LF, NUL (NUL cannot occur in a C string) nor other
 * controls but HTAB. */
static int is_field_value(const char *s) {
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
      return 0;
  }
  return 1;
}

static int ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a, y = *b;
    if (x >= 'A' && x <= 'Z')
      x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z')
      y = (char)(y - 'A' + 'a');
    if (x != y)
      return 0;
  }
  return *a == *b;
}

static int grow(void *pp, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return 0;
  size_t n = *cap ? *cap : 16;
  while (n < need)
    n *= 2;
  void *p = realloc(*(void **)pp, n * elem);
  if (!p)
    return -1;
  *(void **)pp = p;
  *cap = n;
  return 0;
}

/* Header storage shared by requests and responses: names and values are
 * appended to one arena, NUL-terminated, and located by offsets (the arena
 * moves while it grows). */
typedef struct hoff {
  size_t no, vo; /* vo == SIZE_MAX: no value seen (empty) */
} hoff_t;

typedef struct hstore {
  char *a;
  size_t alen, acap;
  hoff_t *ho;
  size_t nh, caph;
  int in_value;
  rt_http_header_t *hv;
  size_t caphv;
} hstore_t;

static void hs_reset(hstore_t *h) {
  h->alen = 0;
  h->nh = 0;
  h->in_value = 0;
}

static void hs_free(hstore_t *h) {
  free(h->a);
  free(h->ho);
  free(h->hv);
  memset(h, 0, sizeof *h);
}

static int hs_append(hstore_t *h, const char *d, size_t n) {
  if (grow(&h->a, &h->acap, h->alen + n + 1, 1) != 0)
    return -1;
  memcpy(h->a + h->alen, d, n);
  h->alen += n;
  return 0;
}

static int hs_nul(hstore_t *h) { return hs_append(h, "", 1); }

static int hs_field(hstore_t *h, const char *d, size_t n) {
  if (h->in_value || h->nh == 0) {
    if (h->nh && hs_nul(h) != 0) /* ends the previous value */
      return -1;
    if (grow(&h->ho, &h->caph, h->nh + 1, sizeof *h->ho) != 0)
      return -1;
    h->ho[h->nh].no = h->alen;
    h->ho[h->nh].vo = SIZE_MAX;
    h->nh++;
    h->in_value = 0;
  }
  return hs_append(h, d, n);
}

static int hs_value(hstore_t *h, const char *d, size_t n) {
  if (h->nh == 0)
    return -1;
  if (!h->in_value) {
    if (hs_nul(h) != 0) /* ends the name */
      return -1;
    h->ho[h->nh - 1].vo = h->alen;
    h->in_value = 1;
  }
  return hs_append(h, d, n);
}

/* Terminates the last header and fills |hv|; lower-cases the names. */
static int hs_finish(hstore_t *h) {
  if (h->nh) {
    if (hs_nul(h) != 0)
      return -1;
    if (!h->in_value)
      h->ho[h->nh - 1].vo = SIZE_MAX; /* name without a value */
  }
  h->in_value = 0;
  if (grow(&h->hv, &h->caphv, h->nh + 1, sizeof *h->hv) != 0)
    return -1;
  for (size_t i = 0; i < h->nh; i++) {
    char *name = h->a + h->ho[i].no;
    for (char *p = name; *p; p++)
      if (*p >= 'A' && *p <= 'Z')
        *p = (char)(*p - 'A' + 'a');
    h->hv[i].name = name;
    h->hv[i].value = h->ho[i].vo == SIZE_MAX ? "" : h->a + h->ho[i].vo;
  }
  return 0;
}

/* A growable byte buffer. */
typedef struct bbuf {
  uint8_t *d;
  size_t len, cap;
} bbuf_t;

static int bb_reserve(bbuf_t *b, size_t extra) {
  return grow(&b->d, &b->cap, b->len + extra, 1);
}

static void bb_put(bbuf_t *b, const void *d, size_t n) {
  memcpy(b->d + b->len, d, n);
  b->len += n;
}

static void bb_str(bbuf_t *b, const char *s) { bb_put(b, s, strlen(s)); }

static void bb_uint(bbuf_t *b, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do
    tmp[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  while (n)
    b->d[b->len++] = (uint8_t)tmp[--n];
}

static void bb_shrink(bbuf_t *b) {
  if (b->cap > SHRINK_ABOVE && b->len == 0) {
    free(b->d);
    b->d = NULL;
    b->cap = 0;
  }
}

static const char *reason(int status) {
  switch (status) {
  case 100: return "Continue";
  case 101: return "Switching Protocols";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 206: return "Partial Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 411: return "Length Required";
  case 413: return "Content Too Large";
  case 415: return "Unsupported Media Type";
  case 417: return "Expectation Failed";
  case 422: return "Unprocessable Content";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 499: return "Client Closed Request";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "Unknown";
  }
}

/* "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n", formatted once a second. */
static const char *date_line(rt_time_t now) {
  static char buf[64];
  static int64_t sec = -1;
  int64_t s = now / RT_SEC;
  if (s != sec) {
    time_t t = (time_t)s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    sec = s;
  }
  return buf;
}

void http1_limits_default(http1_limits_t *lim) {
  lim->max_header = 16 * 1024;
  lim->max_body = 8 * 1024 * 1024;
  lim->request_timeout = 30 * RT_SEC;
  lim->idle_timeout = 60 * RT_SEC;
}

/* ---- Server ------------------------------------------------------------- */

typedef struct http1_call http1_call_t;

struct http1_server {
  rt_t *rt;
  http1_limits_t lim;
  http1_server_callbacks_t cbs;
  void *user;
  rt_http_handler_cb handler;
  void *huser;
  int draining, debug;
  size_t ncalls;
  http1_call_t *calls;
  http1_conn_t *conns;
};

struct http1_call {
  rt_call_t head;
  rt_t *rt;
  http1_server_t *srv; /* NULL once the server is gone */
  http1_conn_t *conn;  /* NULL once detached */
  int active, cancelled, cancel_pending, is_head, keep_alive, http10;
  rt_time_t start;
  rt_cancel_cb on_cancel;
  void *on_cancel_user;
  h2_child_t children;
  http1_call_t *prev, *next;
  /* the request */
  char method[MAX_METHOD + 1];
  hstore_t hs;
  size_t url_len;
  int url_done;
  bbuf_t body;
  rt_http_request_t req;
};

enum { ST_IDLE, ST_READING, ST_BUSY, ST_CLOSING };

struct http1_conn {
  http1_server_t *srv;
  void *user;
  http_parser p;
  http1_call_t *call;
  int state;
  int err_status; /* set by a callback that stopped the parser */
  int headers_done; /* later fields are trailers: counted, dropped */
  int linger, abort, resume, expect_continue;
  size_t hdr_bytes;
  bbuf_t in;
  size_t inoff;
  bbuf_t out[2];
  int cur, inflight;
  rt_time_t req_deadline, idle_deadline;
  char remote[64];
  http1_conn_t *prev, *next;
};

static const rt_ops_t http1_call_ops;
static const http_parser_settings server_settings;

static void conn_want_write(http1_conn_t *c) {
  c->srv->cbs.want_write(c, c->user);
}

http1_server_t *http1_server_new(rt_t *rt, const http1_limits_t *lim,
                                 const http1_server_callbacks_t *cbs,
                                 void *user, rt_http_handler_cb handler,
                                 void *handler_user) {
  http1_server_t *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->rt = rt;
  s->lim = *lim;
  s->cbs = *cbs;
  s->user = user;
  s->handler = handler;
  s->huser = handler_user;
  return s;
}

static void call_free(http1_call_t *k) {
  hs_free(&k->hs);
  free(k->body.d);
  free(k);
}

void http1_server_free(http1_server_t *srv) {
  if (!srv)
    return;
  /* Handlers still hold these: detach, so their answer only frees them. */
  for (http1_call_t *k = srv->calls; k; k = k->next) {
    k->srv = NULL;
    k->conn = NULL;
  }
  free(srv);
}

void http1_server_set_debug(http1_server_t *srv, int on) { srv->debug = on; }

size_t http1_server_active_calls(const http1_server_t *srv) {
  return srv->ncalls;
}

/* Appends a response to |c|'s output. |close| adds Connection: close. */
static void write_response(http1_conn_t *c, int status, int head, int http10,
                           int keep_alive, const rt_http_header_t *h,
                           size_t n, const void *body, size_t len) {
  bbuf_t *o = &c->out[c->cur];
  int has_date = 0, no_body = (status >= 100 && status < 200) ||
                              status == 204 || status == 304;
  size_t need = 128 + 48 + (head || no_body ? 0 : len);
  for (size_t i = 0; i < n; i++)
    need += strlen(h[i].name) + strlen(h[i].value) + 4;
  if (bb_reserve(o, need) != 0) {
    c->state = ST_CLOSING;
    c->abort = 1;
    return;
  }
  bb_str(o, "HTTP/1.1 ");
  bb_uint(o, (uint64_t)status);
  bb_put(o, " ", 1);
  bb_str(o, reason(status));
  bb_put(o, "\r\n", 2);
  for (size_t i = 0; i < n; i++) {
    const char *name = h[i].name, *value = h[i].value;
    if (!is_token(name, strlen(name)) || !is_field_value(value)) {
      rt_log(c->srv->rt, RT_ERROR, "response header dropped: not valid HTTP",
             "name", name, NULL);
      continue;
    }
    /* Framing is the runtime's. */
    if (ieq(name, "content-length") || ieq(name, "transfer-encoding") ||
        ieq(name, "connection"))
      continue;
    if (ieq(name, "date"))
      has_date = 1;
    bb_str(o, name);
    bb_put(o, ": ", 2);
    bb_str(o, value);
    bb_put(o, "\r\n", 2);
  }
  if (!no_body) {
    bb_str(o, "Content-Length: ");
    bb_uint(o, len);
    bb_put(o, "\r\n", 2);
  }
  if (!has_date)
    bb_str(o, date_line(rt_now(c->srv->rt)));
  if (!keep_alive)
    bb_str(o, "Connection: close\r\n");
  else if (http10)
    bb_str(o, "Connection: keep-alive\r\n");
  bb_put(o, "\r\n", 2);
  if (!head && !no_body && len)
    bb_put(o, body, len);
}

/* The runtime's own answer to a bad request; ends the connection. */
static void conn_error(http1_conn_t *c, int status) {
  static const rt_http_header_t ct[] = {
      {"Content-Type", "text/plain; charset=utf-8"}};
  char body[64];
  int n = snprintf(body, sizeof body, "%s\n", reason(status));
  write_response(c, status, 0, 0, 0, ct, 1, body, (size_t)n);
  c->state = ST_CLOSING;
  c->linger = 1;
  c->in.len = c->inoff = 0;
}

static void call_log(http1_call_t *k, int status) {
  if (!k->srv || !k->srv->debug)
    return;
  char st[16], ms[32];
  snprintf(st, sizeof st, "%d", status);
  snprintf(ms, sizeof ms, "%.3f",
           (double)(rt_now(k->srv->rt) - k->start) / (double)RT_MSEC);
  rt_log(k->srv->rt, RT_DEBUG, "http request", "method", k->method, "path",
         k->req.path, "status", st, "duration_ms", ms, NULL);
}

/* The handler has ended |k| (or it was cancelled and is ended now). */
static void call_end(http1_call_t *k) {
  http1_server_t *srv = k->srv;
  while (k->children.next != &k->children)
    h2_child_unlink(k->children.next);
  if (srv) {
    if (k->prev)
      k->prev->next = k->next;
    else
      srv->calls = k->next;
    if (k->next)
      k->next->prev = k->prev;
    srv->ncalls--;
  }
  k->prev = k->next = NULL;
  k->active = 0;
  k->on_cancel = NULL;
  http1_conn_t *c = k->conn;
  if (!c) {
    call_free(k); /* detached: nobody else has it */
  } else {
    bb_shrink(&k->body);
    if (c->state == ST_BUSY) {
      if (!k->keep_alive || (srv && srv->draining)) {
        c->state = ST_CLOSING;
      } else {
        c->state = ST_IDLE;
        c->idle_deadline = rt_now(srv->rt) + srv->lim.idle_timeout;
        c->resume = c->in.len > c->inoff;
      }
    }
    conn_want_write(c);
  }
  if (srv && srv->draining && srv->ncalls == 0 && srv->cbs.idle)
    srv->cbs.idle(srv, srv->user);
}

/* The client went away (or the server gives up on the call): cancel
 * children, run on_cancel. |k| may be freed when this returns. */
static void call_cancel(http1_call_t *k) {
  if (k->cancelled || !k->active)
    return;
  k->cancelled = 1;
  k->cancel_pending = 0;
  while (k->children.next != &k->children) {
    h2_child_t *ch = k->children.next;
    h2_child_unlink(ch);
    ch->cancel(ch);
  }
  if (k->on_cancel) {
    rt_cancel_cb cb = k->on_cancel;
    k->on_cancel = NULL;
    cb(&k->head, k->on_cancel_user); /* may end (free) the call */
  }
}

static void call_respond(rt_call_t *call, int status,
                         const rt_http_header_t *headers, size_t n,
                         const void *body, size_t len) {
  http1_call_t *k = (http1_call_t *)call;
  if (!k->active)
    return; /* ended twice: nothing sensible to do */
  if (status < 100 || status > 599 || (status < 200 && status != 101)) {
    if (k->srv)
      rt_log(k->srv->rt, RT_ERROR, "rt_http_respond: bad status, sent 500",
             "path", k->req.path, NULL);
    status = 500;
    n = 0;
    len = 0;
  }
  http1_conn_t *c = k->conn;
  if (c && !k->cancelled && c->state == ST_BUSY) {
    int keep = k->keep_alive && !c->srv->draining;
    k->keep_alive = keep;
    write_response(c, status, k->is_head, k->http10, keep, headers,
                   headers ? n : 0, body, body ? len : 0);
    call_log(k, status);
  }
  call_end(k);
}

static void call_fail(rt_call_t *call, rt_status_t code, const char *message) {
  static const rt_http_header_t ct[] = {
      {"Content-Type", "text/plain; charset=utf-8"}};
  call_respond(call, rt_http_status_for(code), ct, 1, message,
               strlen(message));
}

static void call_reply(rt_call_t *call, const ProtobufCMessage *resp) {
  http1_call_t *k = (http1_call_t *)call;
  if (k->srv)
    rt_log(k->srv->rt, RT_ERROR, "rt_reply on an HTTP call, sent 500", "path",
           k->req.path, NULL);
  call_fail(call, RT_INTERNAL, "internal error");
}

static rt_t *call_rt(const rt_call_t *call) {
  return ((const http1_call_t *)call)->rt;
}

static const char *call_path(const rt_call_t *call) {
  return ((const http1_call_t *)call)->req.path;
}

static rt_time_t call_deadline(const rt_call_t *call) {
  return RT_TIME_INFINITE;
}

static int call_cancelled(const rt_call_t *call) {
  return ((const http1_call_t *)call)->cancelled;
}

static void call_on_cancel(rt_call_t *call, rt_cancel_cb cb, void *user) {
  http1_call_t *k = (http1_call_t *)call;
  k->on_cancel = cb;
  k->on_cancel_user = user;
}

static const rt_ops_t http1_call_ops = {
    .reply = call_reply,
    .fail = call_fail,
    .call_rt = call_rt,
    .call_path = call_path,
    .call_deadline = call_deadline,
    .call_cancelled = call_cancelled,
    .call_on_cancel = call_on_cancel,
    .http_respond = call_respond,
};

int http1_call_link_child(rt_call_t *call, h2_child_t *child) {
  if (!call || call->ops != &http1_call_ops)
    return -1;
  http1_call_t *k = (http1_call_t *)call;
  if (k->cancelled || !k->active)
    return 1;
  h2_child_link(&k->children, child);
  return 0;
}

void http1_server_set_draining(http1_server_t *srv) {
  if (srv->draining)
    return;
  srv->draining = 1;
  for (http1_conn_t *c = srv->conns; c; c = c->next)
    if (c->state == ST_IDLE) {
      c->state = ST_CLOSING;
      c->in.len = c->inoff = 0;
      conn_want_write(c);
    }
  if (srv->ncalls == 0 && srv->cbs.idle)
    srv->cbs.idle(srv, srv->user);
}

void http1_server_cancel_all(http1_server_t *srv, int status,
                             const char *message) {
  static const rt_http_header_t ct[] = {
      {"Content-Type", "text/plain; charset=utf-8"}};
  for (http1_call_t *k = srv->calls; k; k = k->next)
    k->cancel_pending = !k->cancelled;
  /* Cancellation runs user code that may end other calls: rescan. */
  for (;;) {
    http1_call_t *k = srv->calls;
    while (k && !k->cancel_pending)
      k = k->next;
    if (!k)
      return;
    k->cancel_pending = 0;
    http1_conn_t *c = k->conn;
    if (c && c->state == ST_BUSY) {
      write_response(c, status, k->is_head, k->http10, 0, ct, 1, message,
                     strlen(message));
      call_log(k, status);
      c->state = ST_CLOSING;
      conn_want_write(c);
    }
    call_cancel(k);
  }
}

/* ---- Server connections: parsing ---------------------------------------- */

http1_conn_t *http1_conn_new(http1_server_t *srv, void *user,
                             const char *remote) {
  http1_conn_t *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->srv = srv;
  c->user = user;
  c->state = ST_IDLE;
  c->idle_deadline = rt_now(srv->rt) + srv->lim.idle_timeout;
  snprintf(c->remote, sizeof c->remote, "%s", remote ? remote : "");
  if (srv->draining)
    c->state = ST_CLOSING;
  c->next = srv->conns;
  if (srv->conns)
    srv->conns->prev = c;
  srv->conns = c;
  return c;
}

void http1_conn_free(http1_conn_t *c) {
  if (!c)
    return;
  http1_server_t *srv = c->srv;
  if (c->prev)
    c->prev->next = c->next;
  else
    srv->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  http1_call_t *k = c->call;
  c->call = NULL;
  if (k) {
    k->conn = NULL;
    if (k->active)
      call_cancel(k); /* the handler still owns it; may free it */
    else
      call_free(k);
  }
  free(c->in.d);
  free(c->out[0].d);
  free(c->out[1].d);
  free(c);
}

static int known_method(const char *m, size_t n) {
  static const char *const names[] = {
#define XX(num, name, string) #string,
      HTTP_METHOD_MAP(XX)
#undef XX
  };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strlen(names[i]) == n && memcmp(names[i], m, n) == 0)
      return 1;
  return 0;
}

/* Starts a request whose method token is |m| (|n| bytes, checked). */
static int begin_request(http1_conn_t *c, const char *m, size_t n) {
  if (!c->call) {
    http1_call_t *k = calloc(1, sizeof *k);
    if (!k)
      return -1;
    k->head.ops = &http1_call_ops;
    k->rt = c->srv->rt;
    k->srv = c->srv;
    k->conn = c;
    c->call = k;
  }
  http1_call_t *k = c->call;
  memcpy(k->method, m, n);
  k->method[n] = '\0';
  hs_reset(&k->hs);
  k->url_len = 0;
  k->url_done = 0;
  k->body.len = 0;
  k->cancelled = 0;
  c->hdr_bytes = n;
  c->err_status = 0;
  c->headers_done = 0;
  c->expect_continue = 0;
  http_parser_init(&c->p, HTTP_REQUEST);
  c->p.data = c;
  c->state = ST_READING;
  c->req_deadline = rt_now(c->srv->rt) + c->srv->lim.request_timeout;
  return 0;
}

static int count_header(http1_conn_t *c, size_t n) {
  c->hdr_bytes += n;
  if (c->hdr_bytes > c->srv->lim.max_header) {
    c->err_status = 431;
    return -1;
  }
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t n) {
  http1_conn_t *c = p->data;
  http1_call_t *k = c->call;
  if (count_header(c, n) != 0)
    return 1;
  if (hs_append(&k->hs, at, n) != 0)
    return 1;
  k->url_len += n;
  return 0;
}

/* The URL comes first in the arena; it ends where the first header starts. */
static int end_url(http1_call_t *k) {
  if (k->url_done)
    return 0;
  k->url_done = 1;
  return hs_nul(&k->hs);
}

static int on_header_field(http_parser *p, const char *at, size_t n) {
  http1_conn_t *c = p->data;
  http1_call_t *k = c->call;
  if (count_header(c, n + (k->hs.in_value || !k->hs.nh ? 4 : 0)) != 0)
    return 1;
  if (c->headers_done)
    return 0;
  if (end_url(k) != 0)
    return 1;
  if ((k->hs.in_value || !k->hs.nh) && k->hs.nh >= MAX_HEADERS) {
    c->err_status = 431;
    return 1;
  }
  return hs_field(&k->hs, at, n) != 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n) {
  http1_conn_t *c = p->data;
  if (count_header(c, n) != 0)
    return 1;
  if (c->headers_done)
    return 0;
  return hs_value(&c->call->hs, at, n) != 0;
}

static int on_headers_complete(http_parser *p) {
  http1_conn_t *c = p->data;
  http1_call_t *k = c->call;
  http1_server_t *srv = c->srv;
  if (end_url(k) != 0 || hs_finish(&k->hs) != 0)
    return -1;
  c->headers_done = 1;
  k->keep_alive = http_should_keep_alive(p) && !p->upgrade;
  k->http10 = p->http_major == 1 && p->http_minor == 0;
  k->is_head = strcmp(k->method, "HEAD") == 0;
  int chunked = (p->flags & F_CHUNKED) != 0;
  int too_big = !chunked && p->content_length != ULLONG_MAX &&
                p->content_length > srv->lim.max_body;
  const char *expect = NULL;
  for (size_t i = 0; i < k->hs.nh; i++)
    if (strcmp(k->hs.hv[i].name, "expect") == 0)
      expect = k->hs.hv[i].value;
  if (expect) {
    if (!ieq(expect, "100-continue") || too_big) {
      c->err_status = 417;
      return -1;
    }
    int body = chunked ||
               (p->content_length != ULLONG_MAX && p->content_length > 0);
    if (body && !(p->http_major == 1 && p->http_minor == 0))
      c->expect_continue = 1;
  }
  if (too_big) {
    c->err_status = 413;
    return -1;
  }
  if (c->expect_continue) {
    bbuf_t *o = &c->out[c->cur];
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (bb_reserve(o, sizeof cont) != 0)
      return -1;
    bb_put(o, cont, sizeof cont - 1);
    conn_want_write(c);
  }
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t n) {
  http1_conn_t *c = p->data;
  http1_call_t *k = c->call;
  if (k->body.len + n > c->srv->lim.max_body) {
    c->err_status = 413;
    return 1;
  }
  if (bb_reserve(&k->body, n + 1) != 0)
    return 1;
  bb_put(&k->body, at, n);
  return 0;
}

static int on_message_complete(http_parser *p) {
  http_parser_pause(p, 1); /* one request at a time */
  return 0;
}

static const http_parser_settings server_settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* Builds the handler's view of the parsed request and hands it over. */
static void dispatch(http1_conn_t *c) {
  http1_call_t *k = c->call;
  http1_server_t *srv = c->srv;
  hstore_t *hs = &k->hs;
  /* path and query as separate strings, after the headers in the arena */
  const char *url = hs->a;
  size_t ul = k->url_len, ps = 0, pe;
  if (ul >= 7 && (memcmp(url, "http://", 7) == 0 ||
                  (ul >= 8 && memcmp(url, "https://", 8) == 0))) {
    /* absolute-form: the path starts after the authority */
    const char *s = memchr(url + 8 - (url[4] == ':'), '/',
                           ul - (size_t)(8 - (url[4] == ':')));
    ps = s ? (size_t)(s - url) : ul;
  }
  const char *q = memchr(url + ps, '?', ul - ps);
  pe = q ? (size_t)(q - url) : ul;
  size_t ql = q ? ul - pe - 1 : 0;
  /* Reserve first: the copies come from the arena itself. */
  int bad = grow(&hs->a, &hs->acap, hs->alen + (pe - ps) + ql + 2, 1) != 0;
  size_t path_off = hs->alen, query_off = path_off + (pe - ps) + 1;
  if (!bad) {
    memcpy(hs->a + path_off, hs->a + ps, pe - ps);
    hs->a[query_off - 1] = '\0';
    memcpy(hs->a + query_off, hs->a + pe + 1, ql);
    hs->a[query_off + ql] = '\0';
    hs->alen = query_off + ql + 1;
  }
  if (!bad && !k->body.d)
    bad = bb_reserve(&k->body, 1) != 0;
  if (bad) {
    c->state = ST_CLOSING;
    c->abort = 1;
    return;
  }
  /* hs_finish set hv[] before the arena grew: point them again */
  for (size_t i = 0; i < hs->nh; i++) {
    hs->hv[i].name = hs->a + hs->ho[i].no;
    hs->hv[i].value = hs->ho[i].vo == SIZE_MAX ? "" : hs->a + hs->ho[i].vo;
  }
  k->body.d[k->body.len] = 0;
  rt_http_request_t *r = &k->req;
  r->method = k->method;
  r->target = hs->a;
  r->path = hs->a + path_off;
  r->query = hs->a + query_off;
  r->headers = hs->hv;
  r->n_headers = hs->nh;
  r->body = k->body.d;
  r->body_len = k->body.len;
  r->remote = c->remote;
  k->active = 1;
  k->cancelled = 0;
  k->on_cancel = NULL;
  k->children.next = k->children.prev = &k->children;
  k->start = rt_now(srv->rt);
  k->next = srv->calls;
  k->prev = NULL;
  if (srv->calls)
    srv->calls->prev = k;
  srv->calls = k;
  srv->ncalls++;
  c->state = ST_BUSY;
  if (c->p.upgrade)
    k->keep_alive = 0; /* the rest is another protocol: we do not speak it */
  srv->handler(&k->head, r, srv->huser);
}

/* Parses from |d| while requests can be served; returns the bytes used. */
static size_t parse_some(http1_conn_t *c, const uint8_t *d, size_t n) {
  size_t off = 0;
  while (off < n && (c->state == ST_IDLE || c->state == ST_READING)) {
    if (c->state == ST_IDLE) {
      while (off < n && (d[off] == '\r' || d[off] == '\n'))
        off++; /* tolerated between requests */
      if (off == n)
        break;
      size_t avail = n - off;
      const uint8_t *sp =
          memchr(d + off, ' ', avail < MAX_METHOD + 1 ? avail : MAX_METHOD + 1);
      if (!sp) {
        if (avail > MAX_METHOD || !is_token((const char *)d + off, avail))
          conn_error(c, 400); /* not a request line: no need to wait */
        break;              /* wait for the whole method */
      }
      size_t ml = (size_t)(sp - (d + off));
      if (!is_token((const char *)d + off, ml)) {
        conn_error(c, 400);
        break;
      }
      if (begin_request(c, (const char *)d + off, ml) != 0) {
        c->state = ST_CLOSING;
        c->abort = 1;
        break;
      }
      if (!known_method((const char *)d + off, ml)) {
        http_parser_execute(&c->p, &server_settings, "GET", 3);
        off += ml;
      }
    }
    size_t k = http_parser_execute(&c->p, &server_settings,
                                   (const char *)d + off, n - off);
    off += k;
    enum http_errno e = HTTP_PARSER_ERRNO(&c->p);
    if (e == HPE_PAUSED) {
      dispatch(c); /* may answer at once: then the loop goes on */
      continue;
    }
    if (e != HPE_OK) {
      conn_error(c, c->err_status ? c->err_status
                                  : e == HPE_HEADER_OVERFLOW ? 431 : 400);
      break;
    }
    if (k == 0)
      break;
  }
  return off;
}

static void buffer_input(http1_conn_t *c, const uint8_t *d, size_t n) {
  if (c->inoff) {
    memmove(c->in.d, c->in.d + c->inoff, c->in.len - c->inoff);
    c->in.len -= c->inoff;
    c->inoff = 0;
  }
  if (bb_reserve(&c->in, n) != 0) {
    c->state = ST_CLOSING;
    c->abort = 1;
    return;
  }
  bb_put(&c->in, d, n);
}

/* Parses buffered input. */
static void process_buffered(http1_conn_t *c) {
  if (c->in.len == c->inoff)
    return;
  c->inoff += parse_some(c, c->in.d + c->inoff, c->in.len - c->inoff);
  if (c->inoff >= c->in.len) {
    c->in.len = c->inoff = 0;
    bb_shrink(&c->in);
  }
}

void http1_conn_recv(http1_conn_t *c, const uint8_t *data, size_t len) {
  if (c->state == ST_CLOSING || len == 0)
    return;
  if (c->in.len > c->inoff || c->state == ST_BUSY) {
    buffer_input(c, data, len);
    if (c->state != ST_BUSY)
      process_buffered(c);
    return;
  }
  size_t k = parse_some(c, data, len);
  if (k < len && c->state != ST_CLOSING)
    buffer_input(c, data + k, len - k);
}

void http1_conn_eof(http1_conn_t *c) {
  c->in.len = c->inoff = 0;
  int busy = c->state == ST_BUSY;
  c->state = ST_CLOSING;
  c->linger = 0;
  if (busy && c->call)
    call_cancel(c->call); /* the late answer is dropped */
}

ssize_t http1_conn_send(http1_conn_t *c, const uint8_t **data) {
  if (c->resume && c->state == ST_IDLE) {
    c->resume = 0;
    process_buffered(c);
  }
  if (c->inflight)
    return 0;
  bbuf_t *o = &c->out[c->cur];
  if (o->len == 0)
    return 0;
  *data = o->d;
  c->inflight = 1;
  c->cur ^= 1;
  return (ssize_t)o->len;
}

void http1_conn_sent(http1_conn_t *c) {
  if (!c->inflight)
    return;
  bbuf_t *o = &c->out[c->cur ^ 1];
  o->len = 0;
  bb_shrink(o);
  c->inflight = 0;
}

int http1_conn_want_read(const http1_conn_t *c) {
  if (c->state == ST_CLOSING)
    return 0;
  if (c->state == ST_BUSY)
    return c->in.len - c->inoff < MAX_BUFFERED;
  return 1;
}

int http1_conn_want_io(const http1_conn_t *c) {
  if (c->abort)
    return 0;
  return !(c->state == ST_CLOSING && !c->inflight && c->out[c->cur].len == 0);
}

int http1_conn_linger(const http1_conn_t *c) { return c->linger; }

rt_time_t http1_conn_deadline(const http1_conn_t *c) {
  if (c->state == ST_READING)
    return c->req_deadline;
  if (c->state == ST_IDLE)
    return c->idle_deadline;
  return RT_TIME_INFINITE;
}

void http1_conn_timeout(http1_conn_t *c, rt_time_t now) {
  if (c->state == ST_READING && now >= c->req_deadline) {
    conn_error(c, 408);
    conn_want_write(c);
  } else if (c->state == ST_IDLE && now >= c->idle_deadline) {
    c->state = ST_CLOSING;
    c->abort = 1; /* also when the client does not read what we sent */
    conn_want_write(c);
  }
}

/* ---- Client ------------------------------------------------------------- */

uint8_t *http1_request_encode(const char *method, const char *target,
                              const char *host,
                              const rt_http_header_t *headers, size_t n,
                              const void *body, size_t body_len,
                              size_t *outlen) {
  if (!method || !target || !host || !is_token(method, strlen(method)) ||
      !*target || (n && !headers) || (body_len && !body)) {
    errno = EINVAL;
    return NULL;
  }
  for (const char *p = target; *p; p++)
    if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
      errno = EINVAL;
      return NULL;
    }
  size_t need = strlen(method) + strlen(target) + strlen(host) + 96 + body_len;
  for (size_t i = 0; i < n; i++) {
    if (!headers[i].name || !headers[i].value ||
        !is_token(headers[i].name, strlen(headers[i].name)) ||
        !is_field_value(headers[i].value)) {
      errno = EINVAL;
      return NULL;
    }
    need += strlen(headers[i].name) + strlen(headers[i].value) + 4;
  }
  bbuf_t b = {0};
  if (bb_reserve(&b, need) != 0) {
    errno = ENOMEM;
    return NULL;
  }
  bb_str(&b, method);
  bb_put(&b, " ", 1);
  bb_str(&b, target);
  bb_str(&b, " HTTP/1.1\r\nHost: ");
  bb_str(&b, host);
  bb_put(&b, "\r\n", 2);
  for (size_t i = 0; i < n; i++) {
    const char *name = headers[i].name;
    if (ieq(name, "host") || ieq(name, "content-length") ||
        ieq(name, "transfer-encoding") || ieq(name, "connection"))
      continue;
    bb_str(&b, name);
    bb_put(&b, ": ", 2);
    bb_str(&b, headers[i].value);
    bb_put(&b, "\r\n", 2);
  }
  if (body_len || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
      strcmp(method, "PATCH") == 0) {
    bb_str(&b, "Content-Length: ");
    bb_uint(&b, body_len);
    bb_put(&b, "\r\n", 2);
  }
  bb_put(&b, "\r\n", 2);
  if (body_len)
    bb_put(&b, body, body_len);
  *outlen = b.len;
  return b.d;
}

struct http1_client {
  http_parser p;
  size_t max_response;
  int head, done, keep, stray, status, hdone;
  rt_status_t err;
  const char *errmsg;
  size_t received, hdr_bytes;
  hstore_t hs;
  bbuf_t body;
};

struct http1_response {
  rt_http_response_t view;
  hstore_t hs;
  uint8_t *body;
};

static int cli_fail(http1_client_t *c, rt_status_t st, const char *msg) {
  c->err = st;
  c->errmsg = msg;
  return 1;
}

static int cli_on_message_begin(http_parser *p) {
  http1_client_t *c = p->data;
  hs_reset(&c->hs);
  c->body.len = 0;
  c->hdr_bytes = 0;
  c->hdone = 0;
  return 0;
}

static int cli_on_header_field(http_parser *p, const char *at, size_t n) {
  http1_client_t *c = p->data;
  if ((c->hdr_bytes += n + 4) > CLIENT_MAX_HEADER || c->hs.nh >= 1000)
    return cli_fail(c, RT_RESOURCE_EXHAUSTED, "response header too large");
  if (c->hdone)
    return 0; /* a trailer */
  return hs_field(&c->hs, at, n) != 0
             ? cli_fail(c, RT_RESOURCE_EXHAUSTED, "out of memory")
             : 0;
}

static int cli_on_header_value(http_parser *p, const char *at, size_t n) {
  http1_client_t *c = p->data;
  if ((c->hdr_bytes += n) > CLIENT_MAX_HEADER)
    return cli_fail(c, RT_RESOURCE_EXHAUSTED, "response header too large");
  if (c->hdone)
    return 0;
  return hs_value(&c->hs, at, n) != 0
             ? cli_fail(c, RT_RESOURCE_EXHAUSTED, "out of memory")
             : 0;
}

static int cli_on_headers_complete(http_parser *p) {
  http1_client_t *c = p->data;
  if (hs_finish(&c->hs) != 0) {
    cli_fail(c, RT_RESOURCE_EXHAUSTED, "out of memory");
    return -1;
  }
  c->hdone = 1;
  if (p->status_code < 100 || p->status_code > 599) {
    cli_fail(c, RT_UNAVAILABLE, "malformed response status");
    return -1;
  }
  if (p->status_code == 101) {
    cli_fail(c, RT_UNAVAILABLE, "unexpected 101 Switching Protocols");
    return -1;
  }
  if (p->content_length != ULLONG_MAX &&
      p->content_length > c->max_response && !c->head) {
    cli_fail(c, RT_RESOURCE_EXHAUSTED, "response too large");
    return -1;
  }
  /* A HEAD response has the headers of a GET, never a body. */
  return c->head && p->status_code >= 200 ? 1 : 0;
}

static int cli_on_body(http_parser *p, const char *at, size_t n) {
  http1_client_t *c = p->data;
  if (c->body.len + n > c->max_response)
    return cli_fail(c, RT_RESOURCE_EXHAUSTED, "response too large");
  if (bb_reserve(&c->body, n + 1) != 0)
    return cli_fail(c, RT_RESOURCE_EXHAUSTED, "out of memory");
  bb_put(&c->body, at, n);
  return 0;
}

static int cli_on_message_complete(http_parser *p) {
  http1_client_t *c = p->data;
  if (p->status_code >= 100 && p->status_code < 200)
    return 0; /* interim (100 Continue...): the final response follows */
  c->done = 1;
  c->status = p->status_code;
  c->keep = http_should_keep_alive(p);
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings client_settings = {
    .on_message_begin = cli_on_message_begin,
    .on_header_field = cli_on_header_field,
    .on_header_value = cli_on_header_value,
    .on_headers_complete = cli_on_headers_complete,
    .on_body = cli_on_body,
    .on_message_complete = cli_on_message_complete,
};

http1_client_t *http1_client_new(size_t max_response) {
  http1_client_t *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->max_response = max_response;
  http1_client_start(c, 0);
  return c;
}

void http1_client_free(http1_client_t *c) {
  if (!c)
    return;
  hs_free(&c->hs);
  free(c->body.d);
  free(c);
}

void http1_client_start(http1_client_t *c, int head) {
  http_parser_init(&c->p, HTTP_RESPONSE);
  c->p.data = c;
  c->head = head;
  c->done = c->keep = c->stray = c->status = 0;
  c->err = RT_OK;
  c->errmsg = NULL;
  c->received = 0;
  hs_reset(&c->hs);
  c->body.len = 0;
  bb_shrink(&c->body);
}

int http1_client_recv(http1_client_t *c, const uint8_t *data, size_t len) {
  if (c->err != RT_OK)
    return -1;
  if (c->done) {
    c->stray |= len > 0;
    return 1;
  }
  c->received += len;
  size_t k = http_parser_execute(&c->p, &client_settings, (const char *)data,
                                 len);
  enum http_errno e = HTTP_PARSER_ERRNO(&c->p);
  if (c->done) {
    if (k < len)
      c->stray = 1;
    return 1;
  }
  if (e != HPE_OK || c->err != RT_OK) {
    if (c->err == RT_OK)
      cli_fail(c, RT_UNAVAILABLE, http_errno_description(e));
    return -1;
  }
  return 0;
}

int http1_client_eof(http1_client_t *c) {
  if (c->done)
    return 1;
  if (c->err == RT_OK && c->received > 0) {
    http_parser_execute(&c->p, &client_settings, NULL, 0);
    if (c->done) {
      c->keep = 0;
      return 1;
    }
  }
  if (c->err == RT_OK)
    cli_fail(c, RT_UNAVAILABLE, "connection closed before the response");
  return -1;
}

rt_status_t http1_client_error(const http1_client_t *c, const char **message) {
  if (message)
    *message = c->errmsg ? c->errmsg : "";
  return c->err;
}

size_t http1_client_received(const http1_client_t *c) { return c->received; }

int http1_client_reusable(const http1_client_t *c) {
  return c->done && c->keep && !c->stray;
}

http1_response_t *http1_client_take(http1_client_t *c) {
  http1_response_t *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  if (bb_reserve(&c->body, 1) != 0) {
    free(r);
    return NULL;
  }
  c->body.d[c->body.len] = 0;
  r->hs = c->hs;
  memset(&c->hs, 0, sizeof c->hs);
  r->body = c->body.d;
  r->view.status = c->status;
  r->view.headers = r->hs.hv;
  r->view.n_headers = r->hs.nh;
  r->view.body = r->body;
  r->view.body_len = c->body.len;
  memset(&c->body, 0, sizeof c->body);
  return r;
}

const rt_http_response_t *http1_response_view(const http1_response_t *r) {
  return &r->view;
}

void http1_response_free(http1_response_t *r) {
  if (!r)
    return;
  hs_free(&r->hs);
  free(r->body);
  free(r);
}

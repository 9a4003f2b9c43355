/*
 * live.c — the live runtime: rt.h on libuv, real sockets and clock.
 *
 * This file only moves bytes and keeps time. The protocol lives in the
 * I/O-free cores: h2conn.c (server connections), h2cli.c (client
 * connections), grpc.c (framing), http1.c (HTTP/1.1 server connections and
 * response parsing); logging format in jsonlog.c.
 *
 * An instance serves gRPC (h2conn) or HTTP/1.1 (http1) on its port,
 * whichever its init asked for. HTTP/1.1 connections write straight from
 * the core's output buffer (one write in flight, no copy) and end with a
 * lingering close after an error answer, so the client reads the answer
 * rather than a reset. Outgoing HTTP requests go through a small pool of
 * keep-alive connections per address (h1pool_t), one request per
 * connection at a time.
 *
 * Deferred work: invoke callbacks never run from inside rt_invoke() nor from
 * inside nghttp2 callbacks. Completed invokes go on a queue and dirty
 * connections (new bytes to send) on a list; one uv_idle handle, started only
 * while either is non-empty, drains both. Reads flush their connection at
 * once.
 *
 * Freeing is asynchronous (libuv style): every uv handle or request the
 * instance owns is counted in |nhandles|; the instance struct is released by
 * the close callback that brings the count to zero after rt_live_free().
 */
#include "live.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>

#include "grpc.h"
#include "h2cli.h"
#include "h2conn.h"
#include "http1.h"
#include "jsonlog.h"

#define WRITE_CHUNK (64 * 1024)
#define PING_TIMEOUT_MS 20000
#define GOAWAY_DELAY_MS 1000
#define FINISH_CAP_MS 1000
#define BACKOFF_INITIAL (1 * RT_SEC)
#define BACKOFF_MAX (120 * RT_SEC)
#define H1_LINGER_MS 2000
#define H1_POOL_MAX 8                          /* connections per address */
#define H1_CLIENT_IDLE_MS 30000                /* below servers' usual 60 s */
#define H1_MAX_RESPONSE (16u * 1024u * 1024u)
#define H1_AI_TTL_MS 30000                     /* resolved addresses reused */

typedef struct live live_t;
typedef struct tconn tconn_t;
typedef struct channel channel_t;
typedef struct linv linv_t;
typedef struct ltimer ltimer_t;
typedef struct h1pool h1pool_t;

struct ltimer {
  rt_timer_t head;
  uv_timer_t h;
  live_t *rt;
  rt_timer_cb cb;
  void *user;
  ltimer_t *prev, *next;
};

/* One TCP connection, server side (h2s) or client side (h2c). */
struct tconn {
  uv_tcp_t tcp;
  uv_timer_t ka; /* keep-alive (server side) */
  live_t *rt;
  int server;
  h2conn_t *h2s;
  h2cli_t *h2c;
  channel_t *ch; /* client: its channel while it is the channel's current */
  tconn_t *prev, *next;
  tconn_t *dnext;
  int dirty, closing, fatal, connected, nclose, pinging, goaway_sent;
  /* HTTP/2: one output buffer, reused; while a uv_write of its bytes is in
   * flight (h2writing) nothing more is taken from the session. */
  uint8_t *obuf;
  size_t ocap;
  int h2writing;
  uv_write_t h2wr;
  uint64_t last_read, acked_before;
  uv_connect_t creq;
  /* HTTP/1.1 */
  http1_conn_t *h1s;   /* server side */
  http1_client_t *h1c; /* client side */
  h1pool_t *pool;      /* client: its pool while linked */
  linv_t *h1inv;       /* client: the request in flight */
  unsigned h1used;     /* client: responses received */
  int eof, lingering, reading, wr_active, in_read, h1connecting;
  uv_write_t wr;
  uv_shutdown_t sreq;
  rt_time_t timer_due;
  tconn_t *pprev, *pnext; /* in the pool */
};

/* Where a channel or an HTTP/1.1 pool connects: the address as the
 * service gave it ("cartservice:7070") and its halves for getaddrinfo.
 * The three strings are owned (peer_init, peer_free). */
typedef struct peer {
  char *addr, *host, *port;
} peer_t;

static void peer_free(peer_t *p) {
  free(p->addr);
  free(p->host);
  free(p->port);
  p->addr = p->host = p->port = NULL;
}

/* Copies the three strings into |p|: 0, or -1 (out of memory; |p| then
 * holds nothing). */
static int peer_init(peer_t *p, const char *addr, const char *host,
                     const char *port) {
  p->addr = strdup(addr);
  p->host = strdup(host);
  p->port = strdup(port);
  if (p->addr && p->host && p->port)
    return 0;
  peer_free(p);
  return -1;
}

/* Keep-alive HTTP/1.1 connections to one "host:port". */
struct h1pool {
  live_t *rt;
  peer_t peer;
  tconn_t *conns;
  size_t nconns, nconnecting;
  linv_t *whead, *wtail; /* waiting for a connection */
  size_t nwaiting;
  uv_getaddrinfo_t gai;
  int gai_active;
  struct addrinfo *ai;
  uint64_t ai_time;
  unsigned ai_idx, ai_fails;
  char last_error[160];
  h1pool_t *next;
};

enum { CH_IDLE, CH_CONNECTING, CH_READY, CH_BACKOFF };

/* All client connections to one "host:port". */
struct channel {
  live_t *rt;
  peer_t peer;
  int state;
  tconn_t *conn;
  linv_t *whead, *wtail; /* waiting for a connection */
  uv_getaddrinfo_t gai;
  int gai_active;
  struct addrinfo *ai, *ai_next;
  uv_timer_t backoff;
  rt_time_t backoff_ns;
  char last_error[160];
  channel_t *next;
};

enum { INV_NEW, INV_WAITING, INV_SENT, INV_DONE };

struct linv {
  rt_invoke_t head;
  live_t *rt;
  channel_t *ch;
  tconn_t *conn;
  int32_t stream_id;
  char *path;
  uint8_t *body;
  size_t len;
  const ProtobufCMessageDescriptor *resp_type;
  rt_invoke_cb cb;
  void *user;
  rt_time_t deadline;
  rt_timer_t *timer;
  h2_child_t child;
  int state, retried;
  rt_status_t status;
  char *message;
  ProtobufCMessage *resp;
  linv_t *wprev, *wnext; /* channel (or pool) waiting list */
  /* HTTP (rt_http_invoke): body holds the encoded request */
  h1pool_t *pool;
  rt_http_invoke_cb hcb;
  http1_response_t *hresp;
  int head_req;
  linv_t *qnext;         /* completion queue */
  linv_t *aprev, *anext; /* all invokes not yet delivered */
};

struct live {
  struct rt base;
  uv_loop_t *loop;
  rt_service_t own_svc; /* client instances: just the name */
  char *name;
  int client;
  rt_live_config_t cfg;
  uint64_t rng[4];
  int config_failed, init_ok, freeing;
  size_t nhandles;
  /* server */
  h2_server_t *srv;
  http1_server_t *h1srv; /* when the service serves HTTP */
  int grpc_served, stopping_conns;
  h1pool_t *pools;
  uv_tcp_t listener;
  int listener_open, port;
  /* lists */
  tconn_t *conns;
  channel_t *channels;
  ltimer_t *timers;
  linv_t *invokes;
  size_t ninvokes;
  /* deferred work */
  uv_idle_t idle;
  int idle_on;
  linv_t *qhead, *qtail;
  tconn_t *dirty;
  int drain_check, done_pending;
  /* shutdown */
  int shutting, finishing;
  uv_timer_t grace_timer, step_timer;
  rt_live_done_cb done;
  void *done_arg;
  /* run_until_idle */
  int run_timed_out;
  uint8_t rbuf[64 * 1024];
};

static const rt_ops_t live_ops;

static void tconn_flush(tconn_t *t);
static void tconn_close(tconn_t *t);
static void h1_flush(tconn_t *t);
static void h1c_closed(tconn_t *t);
static void pool_pump(h1pool_t *pool);
static void channel_connect(channel_t *ch);
static void invoke_complete(linv_t *inv, rt_status_t st, const char *msg,
                            ProtobufCMessage *resp);

/* ---- Basics: time, randomness, env, log -------------------------------- */

static rt_time_t live_now(rt_t *base) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (rt_time_t)ts.tv_sec * RT_SEC + ts.tv_nsec;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** (Blackman & Vigna). */
static uint64_t live_rand(rt_t *base) {
  live_t *rt = (live_t *)base;
  uint64_t *s = rt->rng;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static void seed_rng(live_t *rt) {
  uint64_t seed;
  if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
    seed = (uint64_t)live_now(NULL) ^ ((uint64_t)getpid() << 32);
  for (int i = 0; i < 4; i++)
    rt->rng[i] = splitmix64(&seed);
}

static const char *live_env(rt_t *base, const char *name) {
  return getenv(name);
}

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t k = write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    p += k;
    n -= (size_t)k;
  }
}

static void live_log(rt_t *base, rt_severity_t sev, const char *msg,
                     const char *const *fields) {
  live_t *rt = (live_t *)base;
  if (sev < rt->cfg.log_level)
    return;
  size_t len;
  char *line = jsonlog_format(live_now(base), sev, rt->base.service->name, msg,
                              fields, &len);
  if (line) {
    write_all(STDOUT_FILENO, line, len);
    free(line);
  }
}

static void live_config_error(rt_t *base, const char *name, const char *value,
                              const char *why) {
  live_t *rt = (live_t *)base;
  rt->config_failed = 1;
  fprintf(stderr, "%s: invalid configuration %s=%s: %s\n",
          rt->base.service->name, name, value, why);
  rt_log(base, RT_ERROR, "invalid configuration", "variable", name, "value",
         value, "reason", why, NULL);
}

/* ---- Handles and deferred work ----------------------------------------- */

static void maybe_free(live_t *rt) {
  if (!rt->freeing || rt->nhandles)
    return;
  while (rt->channels) {
    channel_t *ch = rt->channels;
    rt->channels = ch->next;
    if (ch->ai)
      uv_freeaddrinfo(ch->ai);
    peer_free(&ch->peer);
    free(ch);
  }
  while (rt->pools) {
    h1pool_t *pl = rt->pools;
    rt->pools = pl->next;
    if (pl->ai)
      uv_freeaddrinfo(pl->ai);
    peer_free(&pl->peer);
    free(pl);
  }
  free(rt->name);
  free(rt);
}

static void rt_handle_closed(uv_handle_t *h) {
  live_t *rt = h->data;
  rt->nhandles--;
  maybe_free(rt);
}

static void rt_handle_close(live_t *rt, uv_handle_t *h) {
  if (!uv_is_closing(h)) {
    h->data = rt;
    uv_close(h, rt_handle_closed);
  }
}

static void idle_cb(uv_idle_t *h);

static void kick(live_t *rt) {
  if (!rt->idle_on && !rt->freeing) {
    rt->idle_on = 1;
    uv_idle_start(&rt->idle, idle_cb);
  }
}

static void tconn_dirty(tconn_t *t) {
  if (t->dirty || t->closing)
    return;
  t->dirty = 1;
  t->dnext = t->rt->dirty;
  t->rt->dirty = t;
  kick(t->rt);
}

static void deliver(linv_t *inv) {
  live_t *rt = inv->rt;
  if (inv->aprev)
    inv->aprev->anext = inv->anext;
  else
    rt->invokes = inv->anext;
  if (inv->anext)
    inv->anext->aprev = inv->aprev;
  rt->ninvokes--;
  if (inv->hcb) {
    const rt_http_response_t *r =
        inv->status == RT_OK && inv->hresp ? http1_response_view(inv->hresp)
                                           : NULL;
    inv->hcb(inv->user, r ? RT_OK : inv->status,
             r ? "" : inv->message ? inv->message : "", r);
    http1_response_free(inv->hresp);
  } else {
    inv->cb(inv->user, inv->status, inv->message ? inv->message : "",
            inv->resp);
  }
  free(inv->message);
  free(inv->path);
  free(inv->body);
  free(inv);
}

static void shutdown_progress(live_t *rt);

static void idle_cb(uv_idle_t *h) {
  live_t *rt = h->data;
  /* Only what is queued now: a callback that invokes again at once waits for
   * the next round, so a retry loop cannot starve I/O. */
  linv_t *q = rt->qhead;
  rt->qhead = rt->qtail = NULL;
  while (q && !rt->freeing) {
    linv_t *next = q->qnext;
    deliver(q);
    q = next;
  }
  while (rt->dirty) {
    tconn_t *t = rt->dirty;
    rt->dirty = t->dnext;
    t->dirty = 0;
    tconn_flush(t);
  }
  if (rt->drain_check) {
    rt->drain_check = 0;
    shutdown_progress(rt);
  }
  if (rt->done_pending) {
    rt->done_pending = 0;
    if (rt->done)
      rt->done(&rt->base, rt->done_arg);
    return; /* |rt| may be freeing now */
  }
  if (!rt->qhead && !rt->dirty && !rt->drain_check && !rt->done_pending) {
    uv_idle_stop(&rt->idle);
    rt->idle_on = 0;
  }
}

/* ---- Timers ------------------------------------------------------------- */

static uint64_t ns_to_ms(rt_time_t ns) {
  if (ns <= 0)
    return 0;
  return (uint64_t)(ns / RT_MSEC + (ns % RT_MSEC != 0));
}

static void ltimer_closed(uv_handle_t *h) {
  ltimer_t *t = h->data;
  live_t *rt = t->rt;
  free(t);
  rt->nhandles--;
  maybe_free(rt);
}

static void ltimer_unlink(ltimer_t *t) {
  if (t->prev)
    t->prev->next = t->next;
  else
    t->rt->timers = t->next;
  if (t->next)
    t->next->prev = t->prev;
}

static void ltimer_cb(uv_timer_t *h) {
  ltimer_t *t = h->data;
  ltimer_unlink(t);
  uv_close((uv_handle_t *)&t->h, ltimer_closed);
  t->cb(t->user);
}

static rt_timer_t *live_timer_start(rt_t *base, rt_time_t delay,
                                    rt_timer_cb cb, void *user) {
  live_t *rt = (live_t *)base;
  if (rt->freeing || !cb)
    return NULL;
  ltimer_t *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->head.ops = &live_ops;
  t->rt = rt;
  t->cb = cb;
  t->user = user;
  uv_timer_init(rt->loop, &t->h);
  t->h.data = t;
  rt->nhandles++;
  uv_timer_start(&t->h, ltimer_cb, ns_to_ms(delay), 0);
  t->next = rt->timers;
  if (rt->timers)
    rt->timers->prev = t;
  rt->timers = t;
  return &t->head;
}

static void live_timer_cancel(rt_timer_t *head) {
  ltimer_t *t = (ltimer_t *)head;
  ltimer_unlink(t);
  uv_timer_stop(&t->h);
  uv_close((uv_handle_t *)&t->h, ltimer_closed);
}

/* ---- Connections: moving bytes ------------------------------------------ */

static void tconn_closed(uv_handle_t *h) {
  tconn_t *t = h->data;
  live_t *rt = t->rt;
  rt->nhandles--;
  if (--t->nclose == 0) {
    free(t->obuf);
    free(t);
  }
  maybe_free(rt);
}

static void tconn_unlink(tconn_t *t) {
  live_t *rt = t->rt;
  if (t->prev)
    t->prev->next = t->next;
  else
    rt->conns = t->next;
  if (t->next)
    t->next->prev = t->prev;
  t->prev = t->next = NULL;
  if (t->dirty) {
    tconn_t **pp = &rt->dirty;
    while (*pp && *pp != t)
      pp = &(*pp)->dnext;
    if (*pp)
      *pp = t->dnext;
    t->dirty = 0;
  }
}

static void tconn_close(tconn_t *t) {
  if (t->closing)
    return;
  live_t *rt = t->rt;
  t->closing = 1;
  tconn_unlink(t);
  if (t->ch && t->ch->conn == t) {
    t->ch->conn = NULL;
    if (t->ch->state == CH_READY)
      t->ch->state = CH_IDLE;
  }
  if (t->h2s) {
    h2conn_t *c = t->h2s;
    t->h2s = NULL;
    h2conn_free(c); /* cancels its calls: on_cancel callbacks run */
  }
  if (t->h2c) {
    h2cli_t *c = t->h2c;
    h2cli_fail_all(c, RT_UNAVAILABLE, "connection closed");
    t->h2c = NULL;
    h2cli_free(c);
  }
  if (t->h1s) {
    http1_conn_t *c = t->h1s;
    t->h1s = NULL;
    http1_conn_free(c); /* cancels its call: on_cancel runs */
  }
  if (t->h1c || t->pool)
    h1c_closed(t);
  t->nclose = 2;
  uv_close((uv_handle_t *)&t->tcp, tconn_closed);
  uv_close((uv_handle_t *)&t->ka, tconn_closed);
  if (t->server && rt->shutting) {
    rt->drain_check = 1;
    kick(rt);
  }
}

static int tconn_want_io(const tconn_t *t) {
  if (t->server)
    return t->h2s && h2conn_want_io(t->h2s);
  return t->h2c && h2cli_want_io(t->h2c);
}

static void write_cb(uv_write_t *req, int status) {
  tconn_t *t = req->data;
  t->h2writing = 0;
  if (t->closing)
    return;
  if (status < 0) {
    tconn_close(t);
    return;
  }
  tconn_flush(t);
}

/* Takes what the session has to send (at most about WRITE_CHUNK bytes) into
 * the connection's buffer. Returns the byte count; sets *more when the
 * session may have more. */
static size_t h2_gather(tconn_t *t, int *more) {
  size_t len = 0;
  *more = 0;
  for (;;) {
    const uint8_t *p;
    ssize_t k = t->server ? (t->h2s ? h2conn_send(t->h2s, &p) : 0)
                          : (t->h2c ? h2cli_send(t->h2c, &p) : 0);
    if (k < 0) {
      t->fatal = 1;
      break;
    }
    if (k == 0)
      break;
    if (len + (size_t)k > t->ocap) {
      size_t cap = t->ocap ? t->ocap * 2 : 16 * 1024;
      while (cap < len + (size_t)k)
        cap *= 2;
      uint8_t *nb = realloc(t->obuf, cap);
      if (!nb) {
        t->fatal = 1;
        break;
      }
      t->obuf = nb;
      t->ocap = cap;
    }
    memcpy(t->obuf + len, p, (size_t)k);
    len += (size_t)k;
    if (len >= WRITE_CHUNK) {
      *more = 1;
      break;
    }
  }
  return len;
}

/* HTTP/2 output: gather the session's frames into one buffer and write it in
 * this loop iteration with uv_try_write; only what the socket does not take
 * at once goes through uv_write (then the next gather waits for write_cb). */
static void tconn_flush(tconn_t *t) {
  if (t->closing)
    return;
  if (t->h1s) {
    h1_flush(t);
    return;
  }
  if (t->h1c)
    return; /* HTTP client connections write when a request starts */
  int more = 1;
  while (more && !t->h2writing && !t->fatal) {
    size_t len = h2_gather(t, &more);
    if (len == 0)
      break;
    uv_buf_t b = uv_buf_init((char *)t->obuf, (unsigned)len);
    int r = uv_try_write((uv_stream_t *)&t->tcp, &b, 1);
    if (r == (int)len)
      continue;
    if (r < 0 && r != UV_EAGAIN) {
      tconn_close(t);
      return;
    }
    if (r > 0) {
      b.base += r;
      b.len -= (size_t)r;
    }
    t->h2wr.data = t;
    if (uv_write(&t->h2wr, (uv_stream_t *)&t->tcp, &b, 1, write_cb) != 0) {
      t->fatal = 1;
      break;
    }
    t->h2writing = 1;
  }
  if (!t->h2writing && (t->fatal || !tconn_want_io(t)))
    tconn_close(t);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  tconn_t *t = h->data;
  *buf = uv_buf_init((char *)t->rt->rbuf, sizeof t->rt->rbuf);
}

static void h1_read(tconn_t *t, ssize_t nread, const uv_buf_t *buf);
static void h1c_read(tconn_t *t, ssize_t nread, const uv_buf_t *buf);

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  tconn_t *t = s->data;
  if (t->h1s || t->lingering) {
    h1_read(t, nread, buf);
    return;
  }
  if (t->h1c) {
    h1c_read(t, nread, buf);
    return;
  }
  if (nread < 0) {
    tconn_close(t);
    return;
  }
  if (nread == 0)
    return;
  t->last_read = uv_now(t->rt->loop);
  /* want_write from inside: the flush below covers it */
  t->in_read = 1;
  int r = t->server ? h2conn_recv(t->h2s, (const uint8_t *)buf->base,
                                  (size_t)nread)
                    : h2cli_recv(t->h2c, (const uint8_t *)buf->base,
                                 (size_t)nread);
  t->in_read = 0;
  if (t->closing)
    return;
  if (r < 0) {
    t->fatal = 1;
    uv_read_stop(s);
  }
  tconn_flush(t);
}

static tconn_t *tconn_new(live_t *rt, int server) {
  tconn_t *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->rt = rt;
  t->server = server;
  uv_tcp_init(rt->loop, &t->tcp);
  uv_timer_init(rt->loop, &t->ka);
  t->tcp.data = t;
  t->ka.data = t;
  t->creq.data = t;
  rt->nhandles += 2;
  t->next = rt->conns;
  if (rt->conns)
    rt->conns->prev = t;
  rt->conns = t;
  t->last_read = uv_now(rt->loop);
  return t;
}

/* ---- Server side -------------------------------------------------------- */

static void srv_want_write(h2conn_t *c, void *user) {
  tconn_t *t = user;
  if (!t->in_read)
    tconn_dirty(t);
}

static void srv_idle(h2_server_t *srv, void *user) {
  live_t *rt = user;
  rt->drain_check = 1;
  kick(rt);
}

/* Keep-alive: after cfg.keepalive without reading anything, send a PING;
 * no ACK within PING_TIMEOUT_MS closes the connection (its calls fail).
 * Both sides; a client connection pings only while it has calls in flight,
 * as gRPC clients do by default (servers such as grpc-go answer pings on a
 * connection without calls with GOAWAY "too_many_pings"). */
static uint64_t ka_interval_ms(const live_t *rt) {
  return rt->cfg.keepalive > 0 ? ns_to_ms(rt->cfg.keepalive) : 60000;
}

static void ka_cb(uv_timer_t *h) {
  tconn_t *t = h->data;
  live_t *rt = t->rt;
  if (t->closing || (!t->h2s && !t->h2c))
    return;
  uint64_t now = uv_now(rt->loop);
  uint64_t ka_ms = ka_interval_ms(rt);
  uint64_t acked = t->h2s ? h2conn_pings_acked(t->h2s)
                          : h2cli_pings_acked(t->h2c);
  if (t->pinging) {
    if (acked <= t->acked_before) {
      if (t->h2s)
        rt_log(&rt->base, RT_WARNING,
               "keepalive ping not acknowledged, closing", NULL);
      else
        rt_log(&rt->base, RT_WARNING,
               "keepalive ping not acknowledged, closing", "address",
               t->ch ? t->ch->peer.addr : "", NULL);
      tconn_close(t);
      return;
    }
    t->pinging = 0;
  }
  uint64_t idle = now - t->last_read;
  if (idle >= ka_ms) {
    int ping = t->h2s ? h2conn_ping(t->h2s) == 0
                      : h2cli_active(t->h2c) > 0 && h2cli_ping(t->h2c) == 0;
    if (ping) {
      t->acked_before = acked;
      t->pinging = 1;
      uv_timer_start(&t->ka, ka_cb, PING_TIMEOUT_MS, 0);
      return;
    }
    idle = 0;
  }
  uv_timer_start(&t->ka, ka_cb, ka_ms - idle, 0);
}

/* ---- HTTP/1.1 server side ---------------------------------------------- */

static void h1_timer_cb(uv_timer_t *h);

/* Arms the connection timer for the core's next deadline. Deadlines mostly
 * move later (each request pushes the idle one), so an armed timer is left
 * alone and simply re-checks when it fires. */
static void h1_rearm(tconn_t *t) {
  rt_time_t d = http1_conn_deadline(t->h1s);
  if (d == RT_TIME_INFINITE)
    return;
  if (t->timer_due && d >= t->timer_due)
    return;
  rt_time_t now = live_now(&t->rt->base);
  t->timer_due = d;
  uv_timer_start(&t->ka, h1_timer_cb, d > now ? ns_to_ms(d - now) : 0, 0);
}

static void h1_timer_cb(uv_timer_t *h) {
  tconn_t *t = h->data;
  t->timer_due = 0;
  if (t->closing)
    return;
  if (t->lingering || !t->h1s) {
    tconn_close(t);
    return;
  }
  http1_conn_timeout(t->h1s, live_now(&t->rt->base));
  h1_flush(t);
}

static void h1_shutdown_cb(uv_shutdown_t *req, int status) {}

/* The connection is over: close, or after an error answer linger (FIN, then
 * discard input until the client closes or H1_LINGER_MS pass). */
static void h1_end(tconn_t *t) {
  if (t->h1s && http1_conn_linger(t->h1s) && !t->eof && !t->lingering &&
      uv_shutdown(&t->sreq, (uv_stream_t *)&t->tcp, h1_shutdown_cb) == 0) {
    t->lingering = 1;
    if (!t->reading) {
      uv_read_start((uv_stream_t *)&t->tcp, alloc_cb, read_cb);
      t->reading = 1;
    }
    t->timer_due = 0;
    uv_timer_start(&t->ka, h1_timer_cb, H1_LINGER_MS, 0);
    return;
  }
  tconn_close(t);
}

static void h1_write_cb(uv_write_t *req, int status) {
  tconn_t *t = req->data;
  t->wr_active = 0;
  if (t->closing)
    return;
  if (status < 0 || !t->h1s) {
    tconn_close(t);
    return;
  }
  http1_conn_sent(t->h1s);
  h1_flush(t);
}

static void h1_flush(tconn_t *t) {
  if (t->closing || t->lingering)
    return;
  http1_conn_t *c = t->h1s;
  while (!t->wr_active) {
    const uint8_t *p;
    ssize_t k = http1_conn_send(c, &p);
    if (k <= 0)
      break;
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)k);
    int r = uv_try_write((uv_stream_t *)&t->tcp, &b, 1);
    if (r == (int)k) {
      http1_conn_sent(c);
      continue;
    }
    if (r < 0 && r != UV_EAGAIN) {
      tconn_close(t);
      return;
    }
    if (r > 0) {
      b.base += r;
      b.len -= (size_t)r;
    }
    t->wr.data = t;
    if (uv_write(&t->wr, (uv_stream_t *)&t->tcp, &b, 1, h1_write_cb) != 0) {
      tconn_close(t);
      return;
    }
    t->wr_active = 1;
  }
  if (!http1_conn_want_io(c)) {
    h1_end(t);
    return;
  }
  int want = http1_conn_want_read(c) && !t->eof;
  if (want && !t->reading) {
    uv_read_start((uv_stream_t *)&t->tcp, alloc_cb, read_cb);
    t->reading = 1;
  } else if (!want && t->reading) {
    uv_read_stop((uv_stream_t *)&t->tcp);
    t->reading = 0;
  }
  h1_rearm(t);
}

static void h1_read(tconn_t *t, ssize_t nread, const uv_buf_t *buf) {
  if (t->lingering) {
    if (nread < 0)
      tconn_close(t);
    return; /* discarded */
  }
  if (nread < 0) {
    t->eof = 1;
    uv_read_stop((uv_stream_t *)&t->tcp);
    t->reading = 0;
    http1_conn_eof(t->h1s); /* a call in progress is cancelled */
    if (!t->closing)
      h1_flush(t);
    return;
  }
  if (nread == 0)
    return;
  /* want_write from inside: this flush below covers it */
  t->in_read = 1;
  http1_conn_recv(t->h1s, (const uint8_t *)buf->base, (size_t)nread);
  t->in_read = 0;
  if (!t->closing)
    h1_flush(t);
}

static void h1_want_write(http1_conn_t *c, void *user) {
  tconn_t *t = user;
  if (!t->in_read)
    tconn_dirty(t);
}

static void h1_idle(http1_server_t *srv, void *user) {
  live_t *rt = user;
  rt->drain_check = 1;
  kick(rt);
}

static void h1_accept(live_t *rt, uv_stream_t *server, tconn_t *t) {
  char remote[64] = "";
  struct sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_accept(server, (uv_stream_t *)&t->tcp) != 0) {
    tconn_close(t);
    return;
  }
  if (uv_tcp_getpeername(&t->tcp, (struct sockaddr *)&ss, &len) == 0) {
    char ip[48] = "";
    int port = 0;
    if (ss.ss_family == AF_INET6) {
      uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
      port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
      snprintf(remote, sizeof remote, "[%s]:%d", ip, port);
    } else {
      uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
      port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
      snprintf(remote, sizeof remote, "%s:%d", ip, port);
    }
  }
  t->h1s = http1_conn_new(rt->h1srv, t, remote);
  if (!t->h1s) {
    tconn_close(t);
    return;
  }
  uv_tcp_nodelay(&t->tcp, 1);
  uv_read_start((uv_stream_t *)&t->tcp, alloc_cb, read_cb);
  t->reading = 1;
  h1_flush(t); /* closes at once while draining; arms the idle timer */
}

static int live_serve_http(rt_t *base, rt_http_handler_cb handler,
                           void *user) {
  live_t *rt = (live_t *)base;
  if (rt->client || !rt->srv) {
    errno = ENOSYS; /* a client instance has no port */
    return -1;
  }
  if (!handler) {
    errno = EINVAL;
    return -1;
  }
  if (rt->h1srv || rt->grpc_served) {
    errno = EBUSY;
    return -1;
  }
  http1_limits_t lim;
  http1_limits_default(&lim);
  lim.max_body = rt->cfg.http_max_body;
  lim.request_timeout = rt->cfg.http_request_timeout;
  lim.idle_timeout = rt->cfg.http_idle_timeout;
  static const http1_server_callbacks_t cbs = {h1_want_write, h1_idle};
  rt->h1srv = http1_server_new(base, &lim, &cbs, rt, handler, user);
  if (!rt->h1srv) {
    errno = ENOMEM;
    return -1;
  }
  http1_server_set_debug(rt->h1srv, rt->cfg.log_level <= RT_DEBUG);
  return 0;
}

/* A call of either protocol as the parent of an outgoing call. */
static int link_child(rt_call_t *parent, h2_child_t *child) {
  int r = h2_call_link_child(parent, child);
  return r < 0 ? http1_call_link_child(parent, child) : r;
}

static void on_connection(uv_stream_t *server, int status) {
  live_t *rt = server->data;
  if (status < 0) {
    rt_log(&rt->base, RT_WARNING, "accept failed", "error",
           uv_strerror(status), NULL);
    return;
  }
  tconn_t *t = tconn_new(rt, 1);
  if (!t)
    return;
  if (rt->h1srv) {
    h1_accept(rt, server, t);
    return;
  }
  if (uv_accept(server, (uv_stream_t *)&t->tcp) != 0 ||
      !(t->h2s = h2conn_new(rt->srv, t))) {
    tconn_close(t);
    return;
  }
  uv_tcp_nodelay(&t->tcp, 1);
  uv_read_start((uv_stream_t *)&t->tcp, alloc_cb, read_cb);
  uv_timer_start(&t->ka, ka_cb, ka_interval_ms(rt), 0);
  tconn_flush(t); /* our SETTINGS */
}

static int live_serve(rt_t *base, const rt_service_def_t *def, void *user) {
  live_t *rt = (live_t *)base;
  if (rt->client || !rt->srv)
    return -1;
  if (rt->h1srv) {
    errno = EBUSY; /* one protocol per port */
    return -1;
  }
  int r = h2_server_add(rt->srv, def, user);
  if (r == 0)
    rt->grpc_served = 1;
  return r;
}

/* ---- Client side -------------------------------------------------------- */

static void cli_want_write(h2cli_t *c, void *user) {
  tconn_t *t = user;
  if (!t->in_read)
    tconn_dirty(t);
}

static void channel_enqueue(channel_t *ch, linv_t *inv);

static void cli_on_done(h2cli_t *c, void *stream_user, rt_status_t status,
                        const char *message, const uint8_t *body, size_t len,
                        int refused) {
  linv_t *inv = stream_user;
  live_t *rt = inv->rt;
  inv->conn = NULL;
  if (inv->state == INV_DONE)
    return;
  if (refused && !inv->retried && !rt->freeing) {
    /* Never processed by the server (GOAWAY): retry once, transparently. */
    inv->retried = 1;
    inv->state = INV_NEW;
    channel_enqueue(inv->ch, inv);
    return;
  }
  ProtobufCMessage *resp = NULL;
  char buf[256];
  if (status == RT_OK) {
    resp = protobuf_c_message_unpack(inv->resp_type, NULL, len, body);
    if (!resp) {
      status = RT_INTERNAL;
      snprintf(buf, sizeof buf, "cannot decode response as %s",
               inv->resp_type->name);
      message = buf;
    }
  }
  invoke_complete(inv, status, message, resp);
}

static void cli_on_goaway(h2cli_t *c, void *user) {
  tconn_t *t = user;
  if (t->ch && t->ch->conn == t) {
    t->ch->conn = NULL;
    t->ch->state = CH_IDLE;
  }
  t->ch = NULL;
}

static const h2cli_callbacks_t cli_cbs = {cli_want_write, cli_on_done,
                                          cli_on_goaway};

static int invoke_submit(linv_t *inv, tconn_t *t) {
  rt_time_t timeout = 0;
  if (inv->deadline != RT_TIME_INFINITE) {
    timeout = inv->deadline - live_now(&inv->rt->base);
    if (timeout <= 0)
      timeout = 1;
  }
  int32_t id =
      h2cli_submit(t->h2c, inv->path, timeout, inv->body, inv->len, inv);
  if (id < 0)
    return -1;
  inv->conn = t;
  inv->stream_id = id;
  inv->state = INV_SENT;
  return 0;
}

static void waiting_unlink(linv_t *inv) {
  linv_t **head, **tail;
  if (inv->pool) {
    head = &inv->pool->whead;
    tail = &inv->pool->wtail;
    inv->pool->nwaiting--;
  } else {
    head = &inv->ch->whead;
    tail = &inv->ch->wtail;
  }
  if (inv->wprev)
    inv->wprev->wnext = inv->wnext;
  else
    *head = inv->wnext;
  if (inv->wnext)
    inv->wnext->wprev = inv->wprev;
  else
    *tail = inv->wprev;
  inv->wprev = inv->wnext = NULL;
}

static void channel_enqueue(channel_t *ch, linv_t *inv) {
  if (ch->state == CH_READY && ch->conn) {
    if (invoke_submit(inv, ch->conn) == 0)
      return;
    /* This connection takes no new streams: use a new one. */
    ch->conn->ch = NULL;
    ch->conn = NULL;
    ch->state = CH_IDLE;
  }
  inv->state = INV_WAITING;
  inv->wprev = ch->wtail;
  inv->wnext = NULL;
  if (ch->wtail)
    ch->wtail->wnext = inv;
  else
    ch->whead = inv;
  ch->wtail = inv;
  if (ch->state != CH_CONNECTING)
    channel_connect(ch);
}

static void backoff_cb(uv_timer_t *h) {
  channel_t *ch = h->data;
  if (ch->state == CH_BACKOFF) {
    ch->state = CH_IDLE;
    channel_connect(ch); /* reconnect in the background */
  }
}

static void channel_failed(channel_t *ch, const char *why) {
  live_t *rt = ch->rt;
  char msg[320];
  ch->state = CH_BACKOFF;
  ch->conn = NULL;
  if (ch->ai) {
    uv_freeaddrinfo(ch->ai);
    ch->ai = ch->ai_next = NULL;
  }
  snprintf(msg, sizeof msg, "cannot connect to %s: %s", ch->peer.addr, why);
  while (ch->whead)
    invoke_complete(ch->whead, RT_UNAVAILABLE, msg, NULL);
  if (rt->freeing)
    return;
  /* gRPC connection backoff: 1 s, x1.6, at most 120 s, jitter +-20%. */
  if (ch->backoff_ns == 0)
    ch->backoff_ns = BACKOFF_INITIAL;
  else if ((ch->backoff_ns = ch->backoff_ns * 8 / 5) > BACKOFF_MAX)
    ch->backoff_ns = BACKOFF_MAX;
  rt_time_t j = ch->backoff_ns / 5;
  rt_time_t delay = ch->backoff_ns - j + (rt_time_t)rt_rand_below(
                                             &rt->base, (uint64_t)(2 * j + 1));
  uv_timer_start(&ch->backoff, backoff_cb, ns_to_ms(delay), 0);
}

static void channel_try_next(channel_t *ch);

static void connect_cb(uv_connect_t *req, int status) {
  tconn_t *t = req->data;
  channel_t *ch = t->ch;
  if (t->closing || !ch)
    return;
  if (status < 0) {
    snprintf(ch->last_error, sizeof ch->last_error, "%s",
             uv_strerror(status));
    t->ch = NULL;
    ch->conn = NULL;
    tconn_close(t);
    channel_try_next(ch);
    return;
  }
  if (ch->ai) {
    uv_freeaddrinfo(ch->ai);
    ch->ai = ch->ai_next = NULL;
  }
  t->h2c = h2cli_new(&cli_cbs, t, ch->peer.addr);
  if (!t->h2c) {
    t->ch = NULL;
    ch->conn = NULL;
    tconn_close(t);
    channel_failed(ch, "out of memory");
    return;
  }
  t->connected = 1;
  uv_tcp_nodelay(&t->tcp, 1);
  uv_read_start((uv_stream_t *)&t->tcp, alloc_cb, read_cb);
  t->last_read = uv_now(t->rt->loop);
  uv_timer_start(&t->ka, ka_cb, ka_interval_ms(t->rt), 0);
  uv_unref((uv_handle_t *)&t->ka); /* never keeps a loop alive by itself */
  ch->state = CH_READY;
  ch->backoff_ns = 0;
  while (ch->whead && ch->conn == t) {
    linv_t *inv = ch->whead;
    waiting_unlink(inv);
    if (invoke_submit(inv, t) != 0)
      invoke_complete(inv, RT_UNAVAILABLE, "cannot start stream", NULL);
  }
  tconn_flush(t);
}

static void channel_try_next(channel_t *ch) {
  live_t *rt = ch->rt;
  while (ch->ai_next && !rt->freeing) {
    struct addrinfo *ai = ch->ai_next;
    ch->ai_next = ai->ai_next;
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
      continue;
    tconn_t *t = tconn_new(rt, 0);
    if (!t)
      break;
    t->ch = ch;
    ch->conn = t;
    int r = uv_tcp_connect(&t->creq, &t->tcp, ai->ai_addr, connect_cb);
    if (r == 0)
      return;
    snprintf(ch->last_error, sizeof ch->last_error, "%s", uv_strerror(r));
    t->ch = NULL;
    ch->conn = NULL;
    tconn_close(t);
  }
  channel_failed(ch, ch->last_error[0] ? ch->last_error : "no address");
}

static void gai_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  channel_t *ch = req->data;
  live_t *rt = ch->rt;
  ch->gai_active = 0;
  rt->nhandles--;
  if (rt->freeing) {
    if (res)
      uv_freeaddrinfo(res);
    maybe_free(rt);
    return;
  }
  if (status < 0) {
    char why[160];
    snprintf(why, sizeof why, "cannot resolve %s: %s", ch->peer.host,
             uv_strerror(status));
    channel_failed(ch, why);
    return;
  }
  ch->ai = ch->ai_next = res;
  ch->last_error[0] = '\0';
  channel_try_next(ch);
}

static void channel_connect(channel_t *ch) {
  live_t *rt = ch->rt;
  if (ch->state == CH_CONNECTING || ch->state == CH_READY || rt->freeing)
    return;
  if (ch->state == CH_BACKOFF)
    uv_timer_stop(&ch->backoff);
  ch->state = CH_CONNECTING;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ch->gai.data = ch;
  int r = uv_getaddrinfo(rt->loop, &ch->gai, gai_cb, ch->peer.host, ch->peer.port,
                         &hints);
  if (r != 0) {
    channel_failed(ch, uv_strerror(r));
    return;
  }
  ch->gai_active = 1;
  rt->nhandles++;
}

/* Splits "host:port" or "[v6]:port". Returns 0 or -1. */
static int split_addr(const char *addr, char *host, size_t hostcap,
                      char *port, size_t portcap) {
  const char *colon = strrchr(addr, ':');
  if (!colon || colon == addr)
    return -1;
  const char *h = addr;
  size_t hl = (size_t)(colon - addr);
  if (h[0] == '[') {
    if (hl < 3 || h[hl - 1] != ']')
      return -1;
    h++;
    hl -= 2;
  } else if (memchr(h, ':', hl)) {
    return -1; /* bare IPv6 needs brackets */
  }
  const char *p = colon + 1;
  size_t pl = strlen(p);
  if (hl == 0 || hl >= hostcap || pl == 0 || pl > 5 || pl >= portcap)
    return -1;
  long v = 0;
  for (size_t i = 0; i < pl; i++) {
    if (p[i] < '0' || p[i] > '9')
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  if (v < 1 || v > 65535)
    return -1;
  memcpy(host, h, hl);
  host[hl] = '\0';
  memcpy(port, p, pl + 1);
  return 0;
}

static channel_t *channel_get(live_t *rt, const char *addr, const char *host,
                              const char *port) {
  for (channel_t *ch = rt->channels; ch; ch = ch->next)
    if (strcmp(ch->peer.addr, addr) == 0)
      return ch;
  channel_t *ch = calloc(1, sizeof *ch);
  if (!ch)
    return NULL;
  if (peer_init(&ch->peer, addr, host, port) != 0) {
    free(ch);
    return NULL;
  }
  ch->rt = rt;
  uv_timer_init(rt->loop, &ch->backoff);
  ch->backoff.data = ch;
  /* Background reconnects must not keep a tool's loop alive. */
  uv_unref((uv_handle_t *)&ch->backoff);
  rt->nhandles++;
  ch->next = rt->channels;
  rt->channels = ch;
  return ch;
}

/* ---- HTTP/1.1 client side ---------------------------------------------- */

static void h1_invoke_complete(linv_t *inv, rt_status_t st, const char *msg,
                               http1_response_t *r) {
  if (inv->state == INV_DONE) {
    http1_response_free(r);
    return;
  }
  inv->conn = NULL;
  inv->hresp = r;
  invoke_complete(inv, st, msg, NULL);
}

static void pool_wait(h1pool_t *pool, linv_t *inv, int front) {
  inv->state = INV_WAITING;
  if (front) {
    inv->wprev = NULL;
    inv->wnext = pool->whead;
    if (pool->whead)
      pool->whead->wprev = inv;
    else
      pool->wtail = inv;
    pool->whead = inv;
  } else {
    inv->wnext = NULL;
    inv->wprev = pool->wtail;
    if (pool->wtail)
      pool->wtail->wnext = inv;
    else
      pool->whead = inv;
    pool->wtail = inv;
  }
  pool->nwaiting++;
}

static void h1c_write_cb(uv_write_t *req, int status) {
  tconn_t *t = req->data;
  t->wr_active = 0;
  if (t->closing)
    return;
  if (status < 0)
    tconn_close(t); /* the request in flight fails or is retried */
}

static void h1c_idle_cb(uv_timer_t *h) {
  tconn_t *t = h->data;
  if (!t->closing && !t->h1inv)
    tconn_close(t);
}

/* Starts |inv| on the idle connection |t|. */
static void h1c_submit(tconn_t *t, linv_t *inv) {
  t->h1inv = inv;
  inv->conn = t;
  inv->state = INV_SENT;
  uv_timer_stop(&t->ka);
  uv_ref((uv_handle_t *)&t->tcp);
  http1_client_start(t->h1c, inv->head_req);
  uv_buf_t b = uv_buf_init((char *)inv->body, (unsigned)inv->len);
  t->wr.data = t;
  if (uv_write(&t->wr, (uv_stream_t *)&t->tcp, &b, 1, h1c_write_cb) != 0) {
    tconn_close(t);
    return;
  }
  t->wr_active = 1;
}

static void h1c_make_idle(tconn_t *t) {
  /* An idle pooled connection must not keep a tool's loop alive. */
  uv_unref((uv_handle_t *)&t->tcp);
  uv_timer_start(&t->ka, h1c_idle_cb, H1_CLIENT_IDLE_MS, 0);
  uv_unref((uv_handle_t *)&t->ka);
}

static void pool_fail_waiting(h1pool_t *pool, const char *why) {
  char msg[320];
  snprintf(msg, sizeof msg, "cannot connect to %s: %s", pool->peer.addr, why);
  while (pool->whead)
    h1_invoke_complete(pool->whead, RT_UNAVAILABLE, msg, NULL);
}

static void h1c_connect_cb(uv_connect_t *req, int status) {
  tconn_t *t = req->data;
  if (t->closing || !t->pool)
    return;
  h1pool_t *pool = t->pool;
  t->h1connecting = 0;
  pool->nconnecting--;
  if (status < 0) {
    snprintf(pool->last_error, sizeof pool->last_error, "%s",
             uv_strerror(status));
    pool->ai_idx++; /* next time, the next address */
    pool->ai_fails++;
    tconn_close(t); /* pumps the pool: another address or failure */
    return;
  }
  pool->ai_fails = 0;
  t->connected = 1;
  uv_tcp_nodelay(&t->tcp, 1);
  uv_read_start((uv_stream_t *)&t->tcp, alloc_cb, read_cb);
  h1c_make_idle(t);
  pool_pump(pool);
}

static size_t ai_count(const struct addrinfo *ai) {
  size_t n = 0;
  for (; ai; ai = ai->ai_next)
    n += ai->ai_family == AF_INET || ai->ai_family == AF_INET6;
  return n;
}

static void pool_connect(h1pool_t *pool) {
  live_t *rt = pool->rt;
  size_t n = ai_count(pool->ai), want = pool->ai_idx % n;
  const struct addrinfo *ai = pool->ai;
  for (;; ai = ai->ai_next)
    if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) && want-- == 0)
      break;
  tconn_t *t = tconn_new(rt, 0);
  if (!t)
    return;
  t->h1c = http1_client_new(H1_MAX_RESPONSE);
  t->pool = pool;
  t->pnext = pool->conns;
  if (pool->conns)
    pool->conns->pprev = t;
  pool->conns = t;
  pool->nconns++;
  pool->nconnecting++;
  t->h1connecting = 1;
  int r = t->h1c ? uv_tcp_connect(&t->creq, &t->tcp, ai->ai_addr,
                                  h1c_connect_cb)
                 : UV_ENOMEM;
  if (r != 0) {
    snprintf(pool->last_error, sizeof pool->last_error, "%s", uv_strerror(r));
    pool->ai_idx++;
    pool->ai_fails++;
    tconn_close(t);
  }
}

static void pool_gai_cb(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res) {
  h1pool_t *pool = req->data;
  live_t *rt = pool->rt;
  pool->gai_active = 0;
  rt->nhandles--;
  if (rt->freeing) {
    if (res)
      uv_freeaddrinfo(res);
    maybe_free(rt);
    return;
  }
  if (status < 0 || ai_count(res) == 0) {
    char why[200];
    snprintf(why, sizeof why, "cannot resolve %s: %s", pool->peer.host,
             status < 0 ? uv_strerror(status) : "no address");
    if (res)
      uv_freeaddrinfo(res);
    pool_fail_waiting(pool, why);
    return;
  }
  if (pool->ai)
    uv_freeaddrinfo(pool->ai);
  pool->ai = res;
  pool->ai_time = uv_now(rt->loop);
  pool->ai_idx = pool->ai_fails = 0;
  pool_pump(pool);
}

/* Matches waiting requests with idle connections, and opens connections
 * (up to H1_POOL_MAX) for those still waiting. */
static void pool_pump(h1pool_t *pool) {
  live_t *rt = pool->rt;
  if (rt->freeing || rt->stopping_conns)
    return;
  for (tconn_t *t = pool->conns; t && pool->whead; t = t->pnext)
    if (t->connected && !t->h1inv && !t->closing && t->h1c) {
      linv_t *inv = pool->whead;
      waiting_unlink(inv);
      h1c_submit(t, inv);
    }
  if (!pool->whead || pool->gai_active)
    return;
  size_t na = pool->ai ? ai_count(pool->ai) : 0;
  if (pool->ai && pool->ai_fails >= na) {
    /* Every address failed in a row: fail the waiting requests unless a
     * connection may still serve them; resolve again next time. */
    if (pool->nconnecting == 0) {
      uv_freeaddrinfo(pool->ai);
      pool->ai = NULL;
      pool->ai_fails = 0;
      if (pool->nconns == 0)
        pool_fail_waiting(pool, pool->last_error[0] ? pool->last_error
                                                    : "no address");
    }
    return;
  }
  if (pool->ai && uv_now(rt->loop) - pool->ai_time > H1_AI_TTL_MS &&
      pool->nconnecting == 0) {
    uv_freeaddrinfo(pool->ai);
    pool->ai = NULL;
  }
  if (!pool->ai) {
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    pool->gai.data = pool;
    int r = uv_getaddrinfo(rt->loop, &pool->gai, pool_gai_cb, pool->peer.host,
                           pool->peer.port, &hints);
    if (r != 0) {
      pool_fail_waiting(pool, uv_strerror(r));
      return;
    }
    pool->gai_active = 1;
    rt->nhandles++;
    return;
  }
  while (pool->nwaiting > pool->nconnecting && pool->nconns < H1_POOL_MAX &&
         pool->ai && !rt->freeing) {
    size_t before = pool->nconns;
    pool_connect(pool);
    if (pool->nconns <= before)
      break; /* failed at once (and pumped again from tconn_close) */
  }
}

/* |t| (an HTTP client connection) is closing: leave the pool, fail or retry
 * its request. */
static void h1c_closed(tconn_t *t) {
  h1pool_t *pool = t->pool;
  linv_t *inv = t->h1inv;
  t->h1inv = NULL;
  if (pool) {
    if (t->pprev)
      t->pprev->pnext = t->pnext;
    else
      pool->conns = t->pnext;
    if (t->pnext)
      t->pnext->pprev = t->pprev;
    pool->nconns--;
    if (t->h1connecting)
      pool->nconnecting--;
    t->h1connecting = 0;
    t->pool = NULL;
  }
  if (inv && inv->state == INV_SENT) {
    const char *msg = "connection closed before the response";
    rt_status_t st = RT_UNAVAILABLE;
    if (t->h1c) {
      rt_status_t e = http1_client_error(t->h1c, &msg);
      if (e != RT_OK)
        st = e;
      else
        msg = "connection closed before the response";
    }
    /* A kept-alive connection the server closed before answering: the
     * request never ran. Retry it once on a fresh connection. */
    if (pool && st == RT_UNAVAILABLE && t->h1used > 0 && !inv->retried &&
        t->h1c && http1_client_received(t->h1c) == 0 &&
        !pool->rt->freeing && !pool->rt->stopping_conns) {
      inv->retried = 1;
      inv->conn = NULL;
      pool_wait(pool, inv, 1);
    } else {
      h1_invoke_complete(inv, st, msg, NULL);
    }
  }
  if (t->h1c) {
    http1_client_free(t->h1c);
    t->h1c = NULL;
  }
  if (pool)
    pool_pump(pool);
}

static void h1c_read(tconn_t *t, ssize_t nread, const uv_buf_t *buf) {
  if (nread == 0)
    return;
  linv_t *inv = t->h1inv;
  int r;
  if (nread < 0) {
    r = inv ? http1_client_eof(t->h1c) : -1;
  } else if (!inv) {
    r = -1; /* bytes on an idle connection: the server is confused */
  } else {
    r = http1_client_recv(t->h1c, (const uint8_t *)buf->base, (size_t)nread);
  }
  if (r == 0)
    return;
  if (r < 0) {
    tconn_close(t);
    return;
  }
  /* A complete response. */
  int reuse = http1_client_reusable(t->h1c) && nread > 0;
  http1_response_t *resp = http1_client_take(t->h1c);
  t->h1inv = NULL;
  t->h1used++;
  if (resp)
    h1_invoke_complete(inv, RT_OK, "", resp);
  else
    h1_invoke_complete(inv, RT_RESOURCE_EXHAUSTED, "out of memory", NULL);
  if (!reuse || t->wr_active) {
    tconn_close(t);
    return;
  }
  h1c_make_idle(t);
  pool_pump(t->pool);
}

static h1pool_t *pool_get(live_t *rt, const char *addr, const char *host,
                          const char *port) {
  for (h1pool_t *pl = rt->pools; pl; pl = pl->next)
    if (strcmp(pl->peer.addr, addr) == 0)
      return pl;
  h1pool_t *pl = calloc(1, sizeof *pl);
  if (!pl)
    return NULL;
  if (peer_init(&pl->peer, addr, host, port) != 0) {
    free(pl);
    return NULL;
  }
  pl->rt = rt;
  pl->next = rt->pools;
  rt->pools = pl;
  return pl;
}

/* ---- Invokes ------------------------------------------------------------ */

static void invoke_complete(linv_t *inv, rt_status_t st, const char *msg,
                            ProtobufCMessage *resp) {
  live_t *rt = inv->rt;
  if (inv->state == INV_DONE) {
    rt_msg_free(resp);
    return;
  }
  if (inv->state == INV_WAITING)
    waiting_unlink(inv);
  if (inv->timer) {
    rt_timer_cancel(inv->timer);
    inv->timer = NULL;
  }
  h2_child_unlink(&inv->child);
  inv->state = INV_DONE;
  inv->status = st;
  inv->message = strdup(msg ? msg : "");
  inv->resp = resp;
  inv->qnext = NULL;
  if (rt->qtail)
    rt->qtail->qnext = inv;
  else
    rt->qhead = inv;
  rt->qtail = inv;
  kick(rt);
}

/* Stops |inv| on the wire (if sent) and completes it with |st|. */
static void invoke_abort(linv_t *inv, rt_status_t st, const char *msg) {
  if (inv->hcb) {
    /* An HTTP/1.1 request cannot be stopped but by closing its connection. */
    tconn_t *t = inv->state == INV_SENT ? inv->conn : NULL;
    invoke_complete(inv, st, msg, NULL);
    if (t && !t->closing) {
      t->h1inv = NULL;
      tconn_close(t);
    }
    return;
  }
  if (inv->state == INV_SENT && inv->conn && inv->conn->h2c &&
      !inv->conn->closing)
    h2cli_cancel(inv->conn->h2c, inv->stream_id);
  invoke_complete(inv, st, msg, NULL);
}

static void invoke_deadline_cb(void *arg) {
  linv_t *inv = arg;
  inv->timer = NULL;
  invoke_abort(inv, RT_DEADLINE_EXCEEDED, "deadline exceeded");
}

static void invoke_parent_cancelled(h2_child_t *child) {
  linv_t *inv =
      (linv_t *)((char *)child - offsetof(linv_t, child));
  invoke_abort(inv, RT_CANCELLED, "parent call cancelled");
}

static void live_invoke_cancel(rt_invoke_t *head) {
  linv_t *inv = (linv_t *)head;
  if (inv->state == INV_DONE) {
    if (inv->status == RT_OK) { /* not delivered yet: cancel wins */
      rt_msg_free(inv->resp);
      inv->resp = NULL;
      http1_response_free(inv->hresp);
      inv->hresp = NULL;
      inv->status = RT_CANCELLED;
      free(inv->message);
      inv->message = strdup("call cancelled");
    }
    return;
  }
  invoke_abort(inv, RT_CANCELLED, "call cancelled");
}

/* Deadline, parent and size checks shared by both kinds of invoke. Returns
 * 0 to go on, 1 when |inv| is complete already (its callback is queued). */
static int invoke_begin(linv_t *inv, const rt_invoke_opts_t *opts) {
  rt_time_t now = live_now(&inv->rt->base);
  inv->deadline = RT_TIME_INFINITE;
  if (opts && opts->timeout > 0)
    inv->deadline = opts->timeout >= RT_TIME_INFINITE - now
                        ? RT_TIME_INFINITE - 1
                        : now + opts->timeout;
  if (opts && opts->parent) {
    rt_time_t pd = rt_call_deadline(opts->parent);
    if (pd < inv->deadline)
      inv->deadline = pd;
    int r = link_child(opts->parent, &inv->child);
    if (r == 1 || (r < 0 && rt_call_cancelled(opts->parent))) {
      invoke_complete(inv, RT_CANCELLED, "parent call cancelled", NULL);
      return 1;
    }
  }
  if (!inv->hcb && inv->len > RT_MAX_MESSAGE) {
    invoke_complete(inv, RT_RESOURCE_EXHAUSTED,
                    "request message larger than 4 MiB", NULL);
    return 1;
  }
  if (inv->deadline != RT_TIME_INFINITE) {
    if (inv->deadline <= now) {
      invoke_complete(inv, RT_DEADLINE_EXCEEDED,
                      "deadline exceeded before the call started", NULL);
      return 1;
    }
    inv->timer = live_timer_start(&inv->rt->base, inv->deadline - now,
                                  invoke_deadline_cb, inv);
  }
  return 0;
}

static rt_invoke_t *live_invoke(rt_t *base, const char *addr,
                                const char *service, const char *method,
                                const ProtobufCMessage *req,
                                const ProtobufCMessageDescriptor *resp_type,
                                const rt_invoke_opts_t *opts, rt_invoke_cb cb,
                                void *user) {
  live_t *rt = (live_t *)base;
  char host[256], port[8];
  if (!addr || !service || !method || !req || !resp_type || !cb ||
      split_addr(addr, host, sizeof host, port, sizeof port) != 0) {
    errno = EINVAL;
    return NULL;
  }
  if (rt->freeing) {
    errno = ECANCELED;
    return NULL;
  }
  channel_t *ch = channel_get(rt, addr, host, port);
  linv_t *inv = ch ? calloc(1, sizeof *inv) : NULL;
  size_t len = protobuf_c_message_get_packed_size(req);
  size_t plen = strlen(service) + strlen(method) + 3;
  if (inv) {
    inv->path = malloc(plen);
    inv->body = malloc(len + 1);
  }
  if (!inv || !inv->path || !inv->body) {
    if (inv) {
      free(inv->path);
      free(inv->body);
      free(inv);
    }
    errno = ENOMEM;
    return NULL;
  }
  snprintf(inv->path, plen, "/%s/%s", service, method);
  inv->len = protobuf_c_message_pack(req, inv->body);
  inv->head.ops = &live_ops;
  inv->rt = rt;
  inv->ch = ch;
  inv->resp_type = resp_type;
  inv->cb = cb;
  inv->user = user;
  inv->child.cancel = invoke_parent_cancelled;
  inv->anext = rt->invokes;
  if (rt->invokes)
    rt->invokes->aprev = inv;
  rt->invokes = inv;
  rt->ninvokes++;

  if (invoke_begin(inv, opts) != 0)
    return &inv->head;
  channel_enqueue(ch, inv);
  return &inv->head;
}

static rt_invoke_t *live_http_invoke(rt_t *base, const char *addr,
                                     const char *method, const char *target,
                                     const rt_http_header_t *headers,
                                     size_t n_headers, const void *body,
                                     size_t body_len,
                                     const rt_invoke_opts_t *opts,
                                     rt_http_invoke_cb cb, void *user) {
  live_t *rt = (live_t *)base;
  char host[256], port[8];
  if (!addr || !method || !target || !cb ||
      split_addr(addr, host, sizeof host, port, sizeof port) != 0) {
    errno = EINVAL;
    return NULL;
  }
  if (rt->freeing) {
    errno = ECANCELED;
    return NULL;
  }
  size_t len = 0;
  uint8_t *bytes = http1_request_encode(method, target, addr, headers,
                                        n_headers, body, body_len, &len);
  if (!bytes)
    return NULL; /* errno from the encoder */
  h1pool_t *pool = pool_get(rt, addr, host, port);
  linv_t *inv = pool ? calloc(1, sizeof *inv) : NULL;
  if (!inv) {
    free(bytes);
    errno = ENOMEM;
    return NULL;
  }
  inv->body = bytes;
  inv->len = len;
  inv->head.ops = &live_ops;
  inv->rt = rt;
  inv->pool = pool;
  inv->hcb = cb;
  inv->user = user;
  inv->head_req = strcmp(method, "HEAD") == 0;
  inv->child.cancel = invoke_parent_cancelled;
  inv->anext = rt->invokes;
  if (rt->invokes)
    rt->invokes->aprev = inv;
  rt->invokes = inv;
  rt->ninvokes++;
  if (invoke_begin(inv, opts) != 0)
    return &inv->head;
  pool_wait(pool, inv, 0);
  pool_pump(pool);
  return &inv->head;
}

size_t rt_live_pending_invokes(rt_t *base) {
  return ((live_t *)base)->ninvokes;
}

size_t rt_live_connections(rt_t *base) {
  size_t n = 0;
  for (const tconn_t *t = ((live_t *)base)->conns; t; t = t->next)
    n++;
  return n;
}

static void run_timeout_cb(void *arg) { ((live_t *)arg)->run_timed_out = 1; }

size_t rt_live_run_until_idle(rt_t *base, rt_time_t timeout) {
  live_t *rt = (live_t *)base;
  rt->run_timed_out = 0;
  rt_timer_t *t =
      timeout > 0 ? live_timer_start(base, timeout, run_timeout_cb, rt) : NULL;
  while (rt->ninvokes > 0 && !rt->run_timed_out) {
    if (uv_run(rt->loop, UV_RUN_ONCE) == 0 && rt->ninvokes > 0 &&
        !rt->idle_on)
      break; /* nothing left that could make progress */
  }
  if (t && !rt->run_timed_out)
    live_timer_cancel(t);
  return rt->ninvokes;
}

/* ---- Instances ---------------------------------------------------------- */

static const rt_ops_t live_ops = {
    .serve = live_serve,
    .invoke = live_invoke,
    .invoke_cancel = live_invoke_cancel,
    .timer_start = live_timer_start,
    .timer_cancel = live_timer_cancel,
    .now = live_now,
    .rand = live_rand,
    .env = live_env,
    .config_error = live_config_error,
    .log = live_log,
    .serve_http = live_serve_http,
    .http_invoke = live_http_invoke,
};

static int parse_uint(const char *s, long max, long *out) {
  if (!*s || strlen(s) > 9)
    return -1;
  long v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9')
      return -1;
    v = v * 10 + (*p - '0');
  }
  if (v > max)
    return -1;
  *out = v;
  return 0;
}

int rt_live_config_from_env(rt_live_config_t *cfg, const rt_service_t *svc,
                            char *err, size_t errlen) {
  memset(cfg, 0, sizeof *cfg);
  snprintf(cfg->bind_addr, sizeof cfg->bind_addr, "0.0.0.0");
  cfg->port = svc ? svc->default_port : 0;
  cfg->grace = 5 * RT_SEC;
  cfg->keepalive = 60 * RT_SEC;
  cfg->log_level = RT_INFO;
  cfg->http_max_body = 8u * 1024u * 1024u;
  cfg->http_request_timeout = 30 * RT_SEC;
  cfg->http_idle_timeout = 60 * RT_SEC;
  const char *v;
  long n;
  if ((v = getenv("PORT")) && *v) {
    if (parse_uint(v, 65535, &n) != 0) {
      snprintf(err, errlen, "PORT=%s: not a port number (0..65535)", v);
      return -1;
    }
    cfg->port = (int)n;
  }
  if ((v = getenv("BIND_ADDR")) && *v) {
    unsigned char tmp[16];
    if (strlen(v) >= sizeof cfg->bind_addr ||
        (uv_inet_pton(AF_INET, v, tmp) != 0 &&
         uv_inet_pton(AF_INET6, v, tmp) != 0)) {
      snprintf(err, errlen, "BIND_ADDR=%s: not an IPv4 or IPv6 address", v);
      return -1;
    }
    snprintf(cfg->bind_addr, sizeof cfg->bind_addr, "%s", v);
  }
  if ((v = getenv("SHUTDOWN_GRACE_SECONDS")) && *v) {
    if (parse_uint(v, 3600, &n) != 0) {
      snprintf(err, errlen,
               "SHUTDOWN_GRACE_SECONDS=%s: not a number of seconds (0..3600)",
               v);
      return -1;
    }
    cfg->grace = n * RT_SEC;
  }
  if ((v = getenv("GRPC_KEEPALIVE_SECONDS")) && *v) {
    if (parse_uint(v, 86400, &n) != 0 || n < 1) {
      snprintf(err, errlen,
               "GRPC_KEEPALIVE_SECONDS=%s: not a number of seconds (1..86400)",
               v);
      return -1;
    }
    cfg->keepalive = n * RT_SEC;
  }
  if ((v = getenv("HTTP_MAX_BODY_BYTES")) && *v) {
    if (parse_uint(v, 999999999, &n) != 0) {
      snprintf(err, errlen,
               "HTTP_MAX_BODY_BYTES=%s: not a number of bytes (0..999999999)",
               v);
      return -1;
    }
    cfg->http_max_body = (size_t)n;
  }
  if ((v = getenv("HTTP_REQUEST_TIMEOUT_SECONDS")) && *v) {
    if (parse_uint(v, 86400, &n) != 0 || n < 1) {
      snprintf(err, errlen,
               "HTTP_REQUEST_TIMEOUT_SECONDS=%s: not a number of seconds "
               "(1..86400)",
               v);
      return -1;
    }
    cfg->http_request_timeout = n * RT_SEC;
  }
  if ((v = getenv("HTTP_IDLE_TIMEOUT_SECONDS")) && *v) {
    if (parse_uint(v, 86400, &n) != 0 || n < 1) {
      snprintf(err, errlen,
               "HTTP_IDLE_TIMEOUT_SECONDS=%s: not a number of seconds "
               "(1..86400)",
               v);
      return -1;
    }
    cfg->http_idle_timeout = n * RT_SEC;
  }
  if ((v = getenv("LOG_LEVEL")) && *v) {
    if (jsonlog_parse_level(v, &cfg->log_level) != 0) {
      snprintf(err, errlen,
               "LOG_LEVEL=%s: not one of debug, info, warning, error", v);
      return -1;
    }
  }
  return 0;
}

static live_t *live_alloc(uv_loop_t *loop) {
  live_t *rt = calloc(1, sizeof *rt);
  if (!rt)
    return NULL;
  rt->base.ops = &live_ops;
  rt->loop = loop;
  seed_rng(rt);
  uv_idle_init(loop, &rt->idle);
  rt->idle.data = rt;
  uv_timer_init(loop, &rt->grace_timer);
  uv_timer_init(loop, &rt->step_timer);
  rt->grace_timer.data = rt;
  rt->step_timer.data = rt;
  rt->nhandles = 3;
  /* A peer closing a socket must not kill the process. */
  struct sigaction sa;
  if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
    signal(SIGPIPE, SIG_IGN);
  return rt;
}

rt_t *rt_live_client_new(uv_loop_t *loop, const char *name) {
  live_t *rt = live_alloc(loop);
  if (!rt)
    return NULL;
  rt->client = 1;
  rt->name = strdup(name ? name : "client");
  rt->own_svc.name = "client";
  rt->base.service = &rt->own_svc;
  if (!rt->name) {
    rt_live_free(&rt->base);
    return NULL;
  }
  rt->own_svc.name = rt->name;
  rt->base.service = &rt->own_svc;
  char err[256];
  rt_live_config_t cfg;
  if (rt_live_config_from_env(&cfg, NULL, err, sizeof err) != 0)
    cfg.log_level = RT_INFO; /* a client has no PORT etc. to be strict about */
  rt->cfg = cfg;
  return &rt->base;
}

rt_t *rt_live_server_new(uv_loop_t *loop, const rt_service_t *svc,
                         const rt_live_config_t *cfg, int *status) {
  int dummy;
  if (!status)
    status = &dummy;
  *status = 1;
  live_t *rt = live_alloc(loop);
  if (!rt)
    return NULL;
  rt->base.service = svc;
  if (cfg) {
    rt->cfg = *cfg;
  } else {
    char err[256];
    if (rt_live_config_from_env(&rt->cfg, svc, err, sizeof err) != 0) {
      rt->cfg.log_level = RT_INFO;
      fprintf(stderr, "%s: invalid configuration %s\n", svc->name, err);
      rt_log(&rt->base, RT_ERROR, "invalid configuration", "error", err, NULL);
      *status = 2;
      rt_live_free(&rt->base);
      return NULL;
    }
  }
  static const h2_server_callbacks_t scbs = {srv_want_write, srv_idle};
  rt->srv = h2_server_new(&rt->base, &scbs, rt);
  if (!rt->srv) {
    rt_live_free(&rt->base);
    return NULL;
  }
  h2_server_set_debug(rt->srv, rt->cfg.log_level <= RT_DEBUG);
  if (svc->init) {
    int r = svc->init(&rt->base);
    if (r != 0 || rt->config_failed) {
      *status = rt->config_failed ? 2 : 1;
      if (!rt->config_failed)
        rt_log(&rt->base, RT_ERROR, "service init failed", NULL);
      rt_live_free(&rt->base);
      return NULL;
    }
  }
  rt->init_ok = 1;

  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  if (uv_ip4_addr(rt->cfg.bind_addr, rt->cfg.port, (struct sockaddr_in *)&ss) !=
          0 &&
      uv_ip6_addr(rt->cfg.bind_addr, rt->cfg.port,
                  (struct sockaddr_in6 *)&ss) != 0) {
    fprintf(stderr, "%s: invalid configuration BIND_ADDR=%s\n", svc->name,
            rt->cfg.bind_addr);
    rt_log(&rt->base, RT_ERROR, "invalid configuration", "variable",
           "BIND_ADDR", "value", rt->cfg.bind_addr, NULL);
    *status = 2;
    rt_live_free(&rt->base);
    return NULL;
  }
  uv_tcp_init(loop, &rt->listener);
  rt->listener.data = rt;
  rt->listener_open = 1;
  rt->nhandles++;
  int r = uv_tcp_bind(&rt->listener, (struct sockaddr *)&ss, 0);
  if (r == 0)
    r = uv_listen((uv_stream_t *)&rt->listener, 511, on_connection);
  if (r != 0) {
    char port[16];
    snprintf(port, sizeof port, "%d", rt->cfg.port);
    rt_log(&rt->base, RT_ERROR, "cannot listen", "address", rt->cfg.bind_addr,
           "port", port, "error", uv_strerror(r), NULL);
    fprintf(stderr, "%s: cannot listen on %s port %s: %s\n", svc->name,
            rt->cfg.bind_addr, port, uv_strerror(r));
    rt_live_free(&rt->base);
    return NULL;
  }
  struct sockaddr_storage name;
  int namelen = sizeof name;
  rt->port = rt->cfg.port;
  if (uv_tcp_getsockname(&rt->listener, (struct sockaddr *)&name, &namelen) ==
      0)
    rt->port = ntohs(name.ss_family == AF_INET6
                         ? ((struct sockaddr_in6 *)&name)->sin6_port
                         : ((struct sockaddr_in *)&name)->sin_port);
  char port[16];
  snprintf(port, sizeof port, "%d", rt->port);
  if (rt->h1srv)
    rt_log(&rt->base, RT_INFO, "listening", "address", rt->cfg.bind_addr,
           "port", port, "protocol", "http", NULL);
  else
    rt_log(&rt->base, RT_INFO, "listening", "address", rt->cfg.bind_addr,
           "port", port, NULL);
  *status = 0;
  return &rt->base;
}

int rt_live_port(rt_t *base) {
  live_t *rt = (live_t *)base;
  return rt->client ? -1 : rt->port;
}

/* ---- Graceful shutdown -------------------------------------------------- */

static void finish_cap_cb(uv_timer_t *h) {
  live_t *rt = h->data;
  rt->done_pending = 1;
  kick(rt);
}

static void shutdown_finish(live_t *rt) {
  if (rt->finishing)
    return;
  rt->finishing = 1;
  uv_timer_stop(&rt->grace_timer);
  h2_server_end_watches(rt->srv, RT_UNAVAILABLE, "server shutting down");
  for (tconn_t *t = rt->conns; t; t = t->next) {
    if (t->server && t->h2s && !t->goaway_sent) {
      t->goaway_sent = 1;
      h2conn_goaway(t->h2s);
    }
  }
  /* HTTP: requests still arriving are dropped; answers still being written
   * go out, then their connections close. */
  for (tconn_t *t = rt->conns, *next; t; t = next) {
    next = t->next;
    if (t->server && t->h1s && !t->lingering) {
      t->eof = 1;
      http1_conn_eof(t->h1s);
      tconn_dirty(t);
    }
  }
  /* Give the last responses and GOAWAYs a moment to reach the clients. */
  uv_timer_start(&rt->step_timer, finish_cap_cb, FINISH_CAP_MS, 0);
  rt->drain_check = 1;
  kick(rt);
}

static int server_conns(const live_t *rt) {
  int n = 0;
  for (const tconn_t *t = rt->conns; t; t = t->next)
    n += t->server;
  return n;
}

static void shutdown_progress(live_t *rt) {
  if (!rt->shutting || rt->done_pending)
    return;
  if (!rt->finishing) {
    if (h2_server_active_calls(rt->srv) == 0 &&
        (!rt->h1srv || http1_server_active_calls(rt->h1srv) == 0))
      shutdown_finish(rt);
    return;
  }
  if (server_conns(rt) == 0 && !rt->done_pending && rt->done) {
    uv_timer_stop(&rt->step_timer);
    rt->done_pending = 1;
    kick(rt);
  }
}

static void goaway_cb(uv_timer_t *h) {
  live_t *rt = h->data;
  for (tconn_t *t = rt->conns; t; t = t->next) {
    if (t->server && t->h2s && !t->goaway_sent) {
      t->goaway_sent = 1;
      h2conn_goaway(t->h2s);
    }
  }
}

static void grace_cb(uv_timer_t *h) {
  live_t *rt = h->data;
  char n[32];
  snprintf(n, sizeof n, "%zu",
           h2_server_active_calls(rt->srv) +
               (rt->h1srv ? http1_server_active_calls(rt->h1srv) : 0));
  rt_log(&rt->base, RT_WARNING, "shutdown grace period over, failing calls",
         "calls", n, NULL);
  h2_server_cancel_all(rt->srv, RT_UNAVAILABLE, "server shutting down");
  if (rt->h1srv)
    http1_server_cancel_all(rt->h1srv, 503, "server shutting down\n");
  shutdown_finish(rt);
}

void rt_live_shutdown(rt_t *base, rt_live_done_cb done, void *arg) {
  live_t *rt = (live_t *)base;
  if (rt->client || rt->shutting || rt->freeing)
    return;
  rt->shutting = 1;
  rt->done = done;
  rt->done_arg = arg;
  char g[32];
  snprintf(g, sizeof g, "%lld", (long long)(rt->cfg.grace / RT_SEC));
  rt_log(base, RT_INFO, "shutting down", "grace_seconds", g, NULL);
  if (rt->listener_open) {
    rt->listener_open = 0;
    rt_handle_close(rt, (uv_handle_t *)&rt->listener);
  }
  for (tconn_t *t = rt->conns; t; t = t->next)
    if (t->server && t->h2s)
      h2conn_shutdown_notice(t->h2s);
  uint64_t grace_ms = ns_to_ms(rt->cfg.grace);
  uv_timer_start(&rt->step_timer, goaway_cb,
                 grace_ms < GOAWAY_DELAY_MS ? grace_ms / 2 : GOAWAY_DELAY_MS,
                 0);
  uv_timer_start(&rt->grace_timer, grace_cb, grace_ms, 0);
  if (rt->h1srv)
    http1_server_set_draining(rt->h1srv); /* closes idle connections */
  h2_server_set_draining(rt->srv); /* may report idle at once */
}

/* ---- Freeing ------------------------------------------------------------ */

void rt_live_client_free(rt_t *rt) { rt_live_free(rt); }

/* Drops every outgoing call without its callback. */
static void drop_invokes(live_t *rt) {
  while (rt->invokes) {
    linv_t *inv = rt->invokes;
    rt->invokes = inv->anext;
    if (inv->state == INV_WAITING)
      waiting_unlink(inv);
    if (inv->timer)
      live_timer_cancel(inv->timer);
    h2_child_unlink(&inv->child);
    rt_msg_free(inv->resp);
    http1_response_free(inv->hresp);
    free(inv->message);
    free(inv->path);
    free(inv->body);
    free(inv);
  }
  rt->ninvokes = 0;
  rt->qhead = rt->qtail = NULL;
}

void rt_live_free(rt_t *base) {
  if (!base)
    return;
  live_t *rt = (live_t *)base;
  if (rt->freeing)
    return;
  /* Calls in progress: cancelled, their on_cancel runs (service code may
   * still use the runtime here, and in fini below). */
  if (rt->srv)
    h2_server_cancel_all(rt->srv, RT_UNAVAILABLE, "server stopped");
  if (rt->listener_open) {
    rt->listener_open = 0;
    rt_handle_close(rt, (uv_handle_t *)&rt->listener);
  }
  rt->stopping_conns = 1; /* no pool opens a connection from here on */
  while (rt->conns)
    tconn_close(rt->conns);
  drop_invokes(rt);
  /* fini may cancel its own timers: it runs before the runtime reclaims the
   * remaining ones. */
  if (rt->init_ok && rt->base.service->fini) {
    rt->init_ok = 0;
    rt->base.service->fini(base);
  }
  rt->freeing = 1;
  while (rt->conns)
    tconn_close(rt->conns);
  drop_invokes(rt);
  while (rt->timers)
    live_timer_cancel(&rt->timers->head);
  for (channel_t *ch = rt->channels; ch; ch = ch->next) {
    ch->whead = ch->wtail = NULL;
    rt_handle_close(rt, (uv_handle_t *)&ch->backoff);
    if (ch->gai_active)
      uv_cancel((uv_req_t *)&ch->gai);
  }
  for (h1pool_t *pl = rt->pools; pl; pl = pl->next) {
    pl->whead = pl->wtail = NULL;
    pl->nwaiting = 0;
    if (pl->gai_active)
      uv_cancel((uv_req_t *)&pl->gai);
  }
  rt_handle_close(rt, (uv_handle_t *)&rt->idle);
  rt_handle_close(rt, (uv_handle_t *)&rt->grace_timer);
  rt_handle_close(rt, (uv_handle_t *)&rt->step_timer);
  h2_server_free(rt->srv);
  rt->srv = NULL;
  http1_server_free(rt->h1srv);
  rt->h1srv = NULL;
  maybe_free(rt);
}

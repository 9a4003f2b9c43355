/*
 * grpc_server.c — fuzz target: bytes from a client into one in-memory gRPC
 * server connection (services/live/h2conn.c), with a test service whose
 * handlers reply at once, fail, hold the call until the end, or stop on
 * cancellation. A fake runtime provides a clock and timers; after the input
 * is consumed every pending timer fires (deadlines), held calls are ended
 * late, the server drains, and everything is freed.
 *
 * Input: byte 0 selects the framing of the rest:
 *   bit 0     prepend the client connection preface and an empty SETTINGS
 *             frame (so mutations need not rediscover them); otherwise the
 *             rest is the raw byte stream, preface included;
 *   bits 1-7  feed in chunks of that many bytes times 3 (0: all at once).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.pb-c.h"
#include "h2conn.h"
#include "rt.h"

/* ---- A fake runtime: a clock and a list of timers -------------------- */

typedef struct ftimer {
  rt_timer_t head;
  rt_timer_cb cb;
  void *user;
  struct ftimer *next;
} ftimer_t;

typedef struct frt {
  struct rt base;
  rt_time_t now;
  ftimer_t *timers;
  uint64_t rng;
} frt_t;

static const rt_ops_t fake_ops;

static rt_timer_t *f_timer_start(rt_t *rt, rt_time_t delay, rt_timer_cb cb,
                                 void *user) {
  frt_t *f = (frt_t *)rt;
  ftimer_t *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->head.ops = &fake_ops;
  t->cb = cb;
  t->user = user;
  t->next = f->timers;
  f->timers = t;
  return &t->head;
}

static frt_t *the_rt;

static void f_timer_cancel(rt_timer_t *h) {
  ftimer_t **pp = &the_rt->timers;
  while (*pp && *pp != (ftimer_t *)h)
    pp = &(*pp)->next;
  if (*pp)
    *pp = (*pp)->next;
  free(h);
}

static rt_time_t f_now(rt_t *rt) { return ((frt_t *)rt)->now; }

static uint64_t f_rand(rt_t *rt) {
  return ((frt_t *)rt)->rng = ((frt_t *)rt)->rng * 6364136223846793005u + 1;
}

static const char *f_env(rt_t *rt, const char *name) { return NULL; }

static int verbose = -1;

/* FUZZ_VERBOSE=1 prints the per-call log lines: what a seed exercises. */
static void f_log(rt_t *rt, rt_severity_t sev, const char *msg,
                  const char *const *fields) {
  if (verbose < 0)
    verbose = getenv("FUZZ_VERBOSE") != NULL;
  if (!verbose)
    return;
  fprintf(stderr, "  %s", msg);
  for (size_t i = 0; fields[i]; i += 2)
    fprintf(stderr, " %s=%s", fields[i], fields[i + 1]);
  fprintf(stderr, "\n");
}

static const rt_ops_t fake_ops = {
    .timer_start = f_timer_start,
    .timer_cancel = f_timer_cancel,
    .now = f_now,
    .rand = f_rand,
    .env = f_env,
    .log = f_log,
};

static const rt_service_t fake_service = {"fuzzservice", 0, NULL, NULL};

/* ---- The service --------------------------------------------------- */

#define MAX_HELD 64
static rt_call_t *held[MAX_HELD];
static size_t nheld;

static void on_cancel(rt_call_t *call, void *user) {
  /* End it now: remove from the held list first. */
  for (size_t i = 0; i < nheld; i++) {
    if (held[i] == call) {
      held[i] = held[--nheld];
      break;
    }
  }
  rt_fail(call, RT_CANCELLED, "stopped");
}

static void convert(rt_call_t *call, const ProtobufCMessage *msg, void *user) {
  const Hipstershop__CurrencyConversionRequest *req =
      (const Hipstershop__CurrencyConversionRequest *)msg;
  const char *to = req->to_code ? req->to_code : "";
  (void)rt_call_path(call);
  (void)rt_call_deadline(call);
  (void)rt_call_cancelled(call);
  if (strcmp(to, "ERR") == 0) {
    rt_fail(call, RT_INVALID_ARGUMENT, "bad \"%s\"\n%%", to);
    return;
  }
  if ((strcmp(to, "HOLD") == 0 || strcmp(to, "HOLDC") == 0) &&
      nheld < MAX_HELD) {
    if (to[4] == 'C')
      rt_call_on_cancel(call, on_cancel, NULL);
    held[nheld++] = call;
    return;
  }
  Hipstershop__Money resp = HIPSTERSHOP__MONEY__INIT;
  resp.currency_code = (char *)to;
  resp.units = req->from ? req->from->units : 0;
  rt_reply(call, &resp.base);
}

static void supported(rt_call_t *call, const ProtobufCMessage *msg,
                      void *user) {
  static char *codes[] = {(char *)"EUR", (char *)"USD"};
  Hipstershop__GetSupportedCurrenciesResponse resp =
      HIPSTERSHOP__GET_SUPPORTED_CURRENCIES_RESPONSE__INIT;
  resp.n_currency_codes = 2;
  resp.currency_codes = codes;
  rt_reply(call, &resp.base);
}

static const rt_method_t methods[] = {
    {"GetSupportedCurrencies", &hipstershop__empty__descriptor,
     &hipstershop__get_supported_currencies_response__descriptor, supported},
    {"Convert", &hipstershop__currency_conversion_request__descriptor,
     &hipstershop__money__descriptor, convert},
};
static const rt_service_def_t def = {"hipstershop.CurrencyService", methods,
                                     2};

/* ---- Driver --------------------------------------------------------- */

static void want_write(h2conn_t *conn, void *user) {}

static void drain(h2conn_t *conn) {
  const uint8_t *p;
  /* Bounded: a session produces finite output for finite input. */
  for (int i = 0; i < 100000 && conn; i++)
    if (h2conn_send(conn, &p) <= 0)
      break;
}

static const uint8_t preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
                                 "\x00\x00\x00\x04\x00\x00\x00\x00\x00";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  frt_t f;
  memset(&f, 0, sizeof f);
  f.base.ops = &fake_ops;
  f.base.service = &fake_service;
  f.now = (rt_time_t)1795625400 * RT_SEC;
  the_rt = &f;
  nheld = 0;

  static const h2_server_callbacks_t cbs = {want_write, NULL};
  h2_server_t *srv = h2_server_new(&f.base, &cbs, NULL);
  if (!srv)
    return 0;
  h2_server_set_debug(srv, 1);
  h2_server_add(srv, &def, NULL);
  h2conn_t *conn = h2conn_new(srv, NULL);
  if (!conn) {
    h2_server_free(srv);
    return 0;
  }
  uint8_t flags = data[0];
  data++;
  size--;
  int ok = 0;
  if (flags & 1)
    ok = h2conn_recv(conn, preface, sizeof preface - 1);
  size_t chunk = (size_t)(flags >> 1) * 3;
  if (chunk == 0)
    chunk = size ? size : 1;
  for (size_t off = 0; ok == 0 && off < size; off += chunk) {
    size_t n = size - off < chunk ? size - off : chunk;
    ok = h2conn_recv(conn, data + off, n);
    drain(conn);
    f.now += RT_MSEC;
  }
  drain(conn);
  /* Deadlines: fire every timer, in creation order reversed. */
  for (int i = 0; i < 1000 && f.timers; i++) {
    ftimer_t *t = f.timers;
    f.timers = t->next;
    f.now += RT_SEC;
    t->cb(t->user);
    free(t);
  }
  drain(conn);
  /* Late replies for held calls (dropped when cancelled). */
  while (nheld) {
    rt_call_t *call = held[--nheld];
    Hipstershop__Money resp = HIPSTERSHOP__MONEY__INIT;
    rt_reply(call, &resp.base);
  }
  drain(conn);
  h2_server_set_draining(srv);
  h2conn_shutdown_notice(conn);
  h2conn_goaway(conn);
  (void)h2conn_want_io(conn);
  (void)h2conn_ping(conn);
  drain(conn);
  h2_server_end_watches(srv, RT_UNAVAILABLE, "bye");
  drain(conn);
  h2conn_free(conn);
  /* Calls held by HOLDC are ended by on_cancel; plain HOLD ones stay. */
  while (nheld) {
    rt_call_t *call = held[--nheld];
    rt_fail(call, RT_INTERNAL, "late");
  }
  h2_server_free(srv);
  while (f.timers) {
    ftimer_t *t = f.timers;
    f.timers = t->next;
    free(t);
  }
  return 0;
}

/*
 * testsvc.c — the live runtime's test service (see testsvc.h). Written only
 * against rt.h, like a real service.
 */
#include "testsvc.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "demo.pb-c.h"

testsvc_stats_t testsvc_stats = {.child_status = -1};

typedef struct slow {
  rt_call_t *call;
  rt_timer_t *timer;
  Hipstershop__Money resp;
  char code[8];
} slow_t;

static void slow_reply(void *arg) {
  slow_t *s = arg;
  if (rt_call_cancelled(s->call))
    testsvc_stats.late_replies++;
  rt_reply(s->call, &s->resp.base);
  free(s);
}

static void slow_cancelled(rt_call_t *call, void *arg) {
  slow_t *s = arg;
  testsvc_stats.cancels++;
  rt_timer_cancel(s->timer);
  rt_fail(call, RT_CANCELLED, "stopped");
  free(s);
}

typedef struct child {
  rt_call_t *call;
} child_t;

static void child_done(void *arg, rt_status_t st, const char *msg,
                       ProtobufCMessage *resp) {
  child_t *c = arg;
  testsvc_stats.child_status = st;
  if (st == RT_OK)
    rt_reply(c->call, resp);
  else
    rt_fail(c->call, st, "child: %s", msg);
  rt_msg_free(resp);
  free(c);
}

static void convert(rt_call_t *call, const ProtobufCMessage *msg, void *user) {
  const Hipstershop__CurrencyConversionRequest *req =
      (const Hipstershop__CurrencyConversionRequest *)msg;
  rt_t *rt = rt_call_rt(call);
  const char *to = req->to_code ? req->to_code : "";
  int64_t units = req->from ? req->from->units : 0;
  testsvc_stats.calls++;
  if (strcmp(to, "ERR") == 0) {
    rt_fail(call, RT_INVALID_ARGUMENT, "%s", TESTSVC_ERR_MSG);
    return;
  }
  if (strcmp(to, "SLOW") == 0 || strcmp(to, "SLOWC") == 0) {
    slow_t *s = calloc(1, sizeof *s);
    s->call = call;
    hipstershop__money__init(&s->resp);
    snprintf(s->code, sizeof s->code, "%s", to);
    s->resp.currency_code = s->code;
    s->resp.units = units;
    s->timer = rt_timer_start(rt, units * RT_MSEC, slow_reply, s);
    if (to[4] == 'C') {
      testsvc_stats.child_remaining = rt_call_deadline(call) - rt_now(rt);
      rt_call_on_cancel(call, slow_cancelled, s);
    }
    return;
  }
  if (strcmp(to, "CHILD") == 0) {
    child_t *c = calloc(1, sizeof *c);
    c->call = call;
    Hipstershop__Money from = HIPSTERSHOP__MONEY__INIT;
    from.units = units;
    Hipstershop__CurrencyConversionRequest creq = HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
    creq.from = &from;
    creq.to_code = (char *)"SLOWC";
    rt_invoke_opts_t opts = {.timeout = 0, .parent = call};
    const char *addr = rt_env(rt, "CHILD_ADDR");
    if (!rt_invoke(rt, addr ? addr : "", "hipstershop.CurrencyService",
                   "Convert", &creq.base, &hipstershop__money__descriptor, &opts,
                   child_done, c)) {
      free(c);
      rt_fail(call, RT_INTERNAL, "bad CHILD_ADDR");
    }
    return;
  }
  Hipstershop__Money resp = HIPSTERSHOP__MONEY__INIT;
  resp.currency_code = (char *)to;
  resp.units = units;
  resp.nanos = req->from ? req->from->nanos : 0;
  rt_reply(call, &resp.base);
}

static void supported(rt_call_t *call, const ProtobufCMessage *msg,
                      void *user) {
  static char *codes[] = {(char *)"EUR", (char *)"USD"};
  Hipstershop__GetSupportedCurrenciesResponse resp = HIPSTERSHOP__GET_SUPPORTED_CURRENCIES_RESPONSE__INIT;
  resp.n_currency_codes = 2;
  resp.currency_codes = codes;
  testsvc_stats.calls++;
  rt_reply(call, &resp.base);
}

static const rt_method_t methods[] = {
    {"GetSupportedCurrencies", &hipstershop__empty__descriptor,
     &hipstershop__get_supported_currencies_response__descriptor, supported},
    {"Convert", &hipstershop__currency_conversion_request__descriptor, &hipstershop__money__descriptor,
     convert},
};

static const rt_service_def_t def = {"hipstershop.CurrencyService", methods, 2};

static int init(rt_t *rt) {
  const char *v = rt_env(rt, "TESTSVC_FAIL");
  if (v && *v) {
    rt_config_error(rt, "TESTSVC_FAIL", v, "asked to fail");
    return -1;
  }
  return rt_serve(rt, &def, NULL);
}

const rt_service_t testsvc_service = {"testservice", 7000, init, NULL};

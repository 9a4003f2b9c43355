/*
 * httpsvc.h — a small HTTP/1.1 service for the live runtime's tests:
 *   /hello            a small static HTML page (benchmarks)
 *   /echo             200, the request body back, and X-Method, X-Path,
 *                     X-Query, X-Target, X-Headers, X-Body-Len,
 *                     X-Content-Type, X-Te, X-Remote headers, two Set-Cookie,
 *                     plus two invalid headers the runtime must drop
 *   /slow?ms=N        answers after N ms; on cancellation counts it, logs
 *                     "slow call cancelled" and ends the call (dropped)
 *   /fail?code=N      rt_fail(N, "failed here")
 *   /reply            rt_reply on an HTTP call (the runtime answers 500)
 *   /status?s=N       an empty-ish answer with status N
 *   /stats            "calls=N cancels=N"
 *   /relay?addr=H:P&path=/x[&method=M][&timeout_ms=N]
 *                     rt_http_invoke to H:P, answers 200 with the upstream
 *                     body and X-Upstream-Status/-Headers/-X-Test, or the
 *                     rt_fail mapping of the transport error
 *   /grpc?addr=H:P    a gRPC child call (parent: this call)
 *   anything else     404 through rt_fail(NOT_FOUND)
 */
#ifndef MESHSIM_TESTS_LIVE_HTTPSVC_H
#define MESHSIM_TESTS_LIVE_HTTPSVC_H

#include "rt.h"

typedef struct httpsvc_stats {
  int calls;
  int cancels;
} httpsvc_stats_t;

extern httpsvc_stats_t httpsvc_stats;
extern const rt_service_t httpsvc_service;

#endif

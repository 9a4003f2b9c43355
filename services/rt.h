/*
 * rt.h — the runtime API: the only world a meshsim service sees.
 *
 * A service is written once against this header and runs unchanged on every
 * runtime that implements it:
 *   - the live runtime (services/live/): libuv + nghttp2, real sockets, real
 *     clock; one process per service, the binary that ships to EKS;
 *   - the virtual runtime (sim/): discrete-event engine, virtual clock, seeded
 *     randomness, modelled CPU and network, all services in one process;
 *   - the test runtime (tests/rt_test.c): in memory, driven by unit tests.
 *
 * Rules for service code (enforced by tests/check_layering.sh):
 *   - time only from rt_now(), randomness only from rt_rand(), configuration
 *     only from rt_env(), other services only through rt_invoke();
 *   - no libuv, nghttp2, socket or thread headers; nothing blocks.
 *
 * Messages are protobuf-c messages generated from proto/. Every function here
 * is called on the runtime's single thread; none is thread-safe.
 *
 * Ownership, in one place:
 *   - A request handed to a handler is owned by the runtime and stays valid
 *     until the handler (or a later callback) calls rt_reply() or rt_fail()
 *     on that call; do not free it.
 *   - rt_reply() serialises the response before it returns: the caller keeps
 *     ownership of |resp| and may free or reuse it at once.
 *   - A request given to rt_invoke() is serialised before rt_invoke() returns:
 *     the caller keeps ownership.
 *   - A response handed to an rt_invoke_cb is owned by the callback, which
 *     must release it with rt_msg_free() (it may keep it as long as it likes).
 *   - Strings returned by rt_env(), rt_call_*() stay valid as long as the
 *     runtime (for rt_env) or the call (for rt_call_*) does.
 */
#ifndef MESHSIM_RT_H
#define MESHSIM_RT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Status codes: the gRPC codes, with the numbers gRPC puts on the wire. */

#define RT_STATUS_MAP(X)              \
  X(0, OK, "ok")                      \
  X(1, CANCELLED, "cancelled")        \
  X(2, UNKNOWN, "unknown")            \
  X(3, INVALID_ARGUMENT, "invalid argument") \
  X(4, DEADLINE_EXCEEDED, "deadline exceeded") \
  X(5, NOT_FOUND, "not found")        \
  X(6, ALREADY_EXISTS, "already exists") \
  X(7, PERMISSION_DENIED, "permission denied") \
  X(8, RESOURCE_EXHAUSTED, "resource exhausted") \
  X(9, FAILED_PRECONDITION, "failed precondition") \
  X(10, ABORTED, "aborted")           \
  X(11, OUT_OF_RANGE, "out of range") \
  X(12, UNIMPLEMENTED, "unimplemented") \
  X(13, INTERNAL, "internal")         \
  X(14, UNAVAILABLE, "unavailable")   \
  X(15, DATA_LOSS, "data loss")       \
  X(16, UNAUTHENTICATED, "unauthenticated")

typedef enum rt_status {
#define RT_STATUS_ENUM(n, name, text) RT_##name = n,
  RT_STATUS_MAP(RT_STATUS_ENUM)
#undef RT_STATUS_ENUM
} rt_status_t;

/* "DEADLINE_EXCEEDED" for RT_DEADLINE_EXCEEDED; "UNKNOWN_STATUS" when out of
 * range. Static storage. */
const char *rt_status_name(int code);

/* Times are nanoseconds. rt_now() counts from the Unix epoch (in the virtual
 * runtime, from the scenario's configured epoch). */
typedef int64_t rt_time_t;
#define RT_NSEC ((rt_time_t)1)
#define RT_USEC ((rt_time_t)1000)
#define RT_MSEC ((rt_time_t)1000000)
#define RT_SEC ((rt_time_t)1000000000)
/* "No deadline". */
#define RT_TIME_INFINITE INT64_MAX

/* ------------------------------------------------------------------ */
/* Opaque handles. */

/* One running instance of one service (one pod replica). */
typedef struct rt rt_t;
/* One incoming call being served. */
typedef struct rt_call rt_call_t;
/* One pending timer. */
typedef struct rt_timer rt_timer_t;
/* One outgoing call in flight. */
typedef struct rt_invoke rt_invoke_t;

/* ------------------------------------------------------------------ */
/* Serving. */

/* A handler for one unary method. |req| is the decoded request (owned by the
 * runtime, see above). The handler must eventually call rt_reply() or
 * rt_fail() on |call| exactly once, now or from a later callback. |user| is
 * the pointer given to rt_serve(). */
typedef void (*rt_handler_cb)(rt_call_t *call, const ProtobufCMessage *req,
                              void *user);

typedef struct rt_method {
  const char *name;                         /* "Convert" */
  const ProtobufCMessageDescriptor *input;  /* request type */
  const ProtobufCMessageDescriptor *output; /* response type */
  rt_handler_cb handler;
} rt_method_t;

typedef struct rt_service_def {
  const char *name; /* full gRPC service name: "hipstershop.CurrencyService" */
  const rt_method_t *methods;
  size_t n_methods;
} rt_service_def_t;

/* Serves every method of |def| on this instance's port. |def| must outlive
 * the runtime (use static storage). The runtime also serves
 * grpc.health.v1.Health for every instance.
 * Returns 0, or -1 when the service name is already served. */
int rt_serve(rt_t *rt, const rt_service_def_t *def, void *user);

/* Replies to |call| with |resp| (status OK). |resp| must be of the method's
 * output type; the caller keeps ownership. Ends the call: |call| is invalid
 * afterwards. If the client has gone (cancelled, deadline passed), the reply
 * is dropped silently. */
void rt_reply(rt_call_t *call, const ProtobufCMessage *resp);

/* Fails |call| with |code| (not RT_OK) and a printf-style message that the
 * client sees as grpc-message. Ends the call like rt_reply(). */
void rt_fail(rt_call_t *call, rt_status_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The instance that is serving |call|. */
rt_t *rt_call_rt(const rt_call_t *call);

/* "/hipstershop.CurrencyService/Convert". */
const char *rt_call_path(const rt_call_t *call);

/* The absolute deadline of |call| (RT_TIME_INFINITE when the client set none). */
rt_time_t rt_call_deadline(const rt_call_t *call);

/* Non-zero once the client has cancelled |call| or its deadline has passed:
 * further work for it is wasted. The handler must still end the call. */
int rt_call_cancelled(const rt_call_t *call);

/* Registers |cb| to run once if the call is cancelled by the client (RST_STREAM,
 * deadline) before the handler ends it. Outgoing calls made with this call as
 * parent are cancelled by the runtime first. One callback per call; a second
 * registration replaces the first. */
typedef void (*rt_cancel_cb)(rt_call_t *call, void *user);
void rt_call_on_cancel(rt_call_t *call, rt_cancel_cb cb, void *user);

/* ------------------------------------------------------------------ */
/* Calling other services. */

/* Completion of an outgoing call. On success |status| is RT_OK, |message| is
 * "" and |resp| is the decoded response, owned by the callback (free it with
 * rt_msg_free()). Otherwise |resp| is NULL and |message| says why (valid only
 * during the callback). Runs exactly once per successful rt_invoke(), never
 * from inside rt_invoke() itself. */
typedef void (*rt_invoke_cb)(void *user, rt_status_t status,
                             const char *message, ProtobufCMessage *resp);

typedef struct rt_invoke_opts {
  /* Per-call timeout; 0 means none. The effective deadline is the earlier of
   * now + timeout and the parent's deadline. */
  rt_time_t timeout;
  /* The call being served on whose behalf this call is made, or NULL. Its
   * deadline is propagated and its cancellation cancels this call. */
  rt_call_t *parent;
} rt_invoke_opts_t;

/* Calls |service|/|method| at |addr| ("host:port", as found in the
 * environment, e.g. "productcatalogservice:3550"), sending |req| and
 * expecting a message of type |resp_type|. |opts| may be NULL.
 * Returns a handle usable with rt_invoke_cancel() until |cb| runs, or NULL
 * with errno set (EINVAL for a malformed address or a NULL argument); on NULL
 * |cb| is never called. Failures after the call is under way (cannot connect,
 * deadline, remote error) come through |cb| with the gRPC status. */
rt_invoke_t *rt_invoke(rt_t *rt, const char *addr, const char *service,
                       const char *method, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *resp_type,
                       const rt_invoke_opts_t *opts, rt_invoke_cb cb,
                       void *user);

/* Cancels an outgoing call: its callback runs (later, not from inside this
 * function) with RT_CANCELLED unless it has already run. */
void rt_invoke_cancel(rt_invoke_t *inv);

/* Frees a message received through rt_invoke_cb. NULL is a no-op. */
void rt_msg_free(ProtobufCMessage *msg);

/* ------------------------------------------------------------------ */
/* HTTP/1.1 (frontend, business, the load generator).
 *
 * An HTTP request being served is an rt_call_t like a gRPC call: it can be
 * the parent of rt_invoke() calls (its cancellation, when the client goes
 * away, cancels them), rt_call_cancelled() and rt_call_on_cancel() work, and
 * rt_call_path() returns its path. It ends with rt_http_respond(), or with
 * rt_fail(), which answers with the HTTP status for the code (see
 * rt_http_status_for()) and the message as text/plain. rt_reply() on an HTTP
 * call is a contract violation. */

typedef struct rt_http_header {
  const char *name;
  const char *value;
} rt_http_header_t;

typedef struct rt_http_request {
  const char *method; /* "GET", as received (upper case) */
  const char *target; /* the request-target as received: "/cart?x=1" */
  const char *path;   /* target up to '?', not percent-decoded: "/cart" */
  const char *query;  /* after '?', not decoded; "" when none */
  const rt_http_header_t *headers; /* names lower-cased, in received order */
  size_t n_headers;
  const uint8_t *body; /* the whole body (de-chunked); size within limits */
  size_t body_len;
  const char *remote; /* "ip:port" of the client, for logs; "" if unknown */
} rt_http_request_t;

/* Handles every HTTP request to this instance; the handler routes. |req| and
 * everything it points to is owned by the runtime and valid until the call
 * ends. */
typedef void (*rt_http_handler_cb)(rt_call_t *call,
                                   const rt_http_request_t *req, void *user);

/* Serves HTTP/1.1 on this instance's port. An instance serves either gRPC
 * (rt_serve) or HTTP on its port, not both. The runtime owns the protocol:
 * keep-alive, limits on request size and time, and answers malformed or
 * oversized requests itself (400, 408, 413, 431) without calling |handler|.
 * Returns 0, or -1 when the instance already serves (errno EBUSY) or the
 * runtime has no HTTP support (ENOSYS). */
int rt_serve_http(rt_t *rt, rt_http_handler_cb handler, void *user);

/* The first header |name| (case-insensitive) of |req|, or NULL. */
const char *rt_http_header(const rt_http_request_t *req, const char *name);

/* Answers an HTTP call with |status| (100..599), |headers| (may repeat a name,
 * e.g. Set-Cookie) and |body|; all are copied before it returns. The runtime
 * adds Content-Length and Date (and Connection when closing). Ends the call. */
void rt_http_respond(rt_call_t *call, int status,
                     const rt_http_header_t *headers, size_t n_headers,
                     const void *body, size_t body_len);

/* The HTTP status rt_fail() uses for |code|: OK 200, INVALID_ARGUMENT and
 * OUT_OF_RANGE and FAILED_PRECONDITION 400, UNAUTHENTICATED 401,
 * PERMISSION_DENIED 403, NOT_FOUND 404, ALREADY_EXISTS and ABORTED 409,
 * RESOURCE_EXHAUSTED 429, CANCELLED 499, UNIMPLEMENTED 501, UNAVAILABLE 503,
 * DEADLINE_EXCEEDED 504, anything else 500. */
int rt_http_status_for(rt_status_t code);

/* A response received by rt_http_invoke(); valid only during the callback. */
typedef struct rt_http_response {
  int status;
  const rt_http_header_t *headers; /* names lower-cased */
  size_t n_headers;
  const uint8_t *body;
  size_t body_len;
} rt_http_response_t;

/* Completion of rt_http_invoke(). |status| is RT_OK when an HTTP response
 * arrived (whatever its HTTP status) and |resp| is it; otherwise the
 * transport failed (RT_UNAVAILABLE: cannot connect or connection lost;
 * RT_DEADLINE_EXCEEDED; RT_CANCELLED; RT_RESOURCE_EXHAUSTED: response too
 * large), |resp| is NULL and |message| says why. Runs exactly once per
 * successful rt_http_invoke(), never from inside it. */
typedef void (*rt_http_invoke_cb)(void *user, rt_status_t status,
                                  const char *message,
                                  const rt_http_response_t *resp);

/* Sends an HTTP/1.1 request |method| |target| ("/cart?x=1") to |addr|
 * ("host:port"), with |headers| and |body| (copied before it returns; the
 * runtime adds Host and Content-Length). Connections are kept alive and
 * reused per address. |opts| as for rt_invoke (timeout, parent). Returns a
 * handle for rt_invoke_cancel(), or NULL with errno set (EINVAL: bad
 * arguments; ENOSYS: no HTTP client in this runtime). */
rt_invoke_t *rt_http_invoke(rt_t *rt, const char *addr, const char *method,
                            const char *target, const rt_http_header_t *headers,
                            size_t n_headers, const void *body,
                            size_t body_len, const rt_invoke_opts_t *opts,
                            rt_http_invoke_cb cb, void *user);

/* ------------------------------------------------------------------ */
/* Timers, time, randomness, configuration, logging. */

typedef void (*rt_timer_cb)(void *user);

/* Runs |cb| once after |delay| (>= 0). Returns a handle valid until |cb|
 * runs or rt_timer_cancel() is called, or NULL when out of memory. */
rt_timer_t *rt_timer_start(rt_t *rt, rt_time_t delay, rt_timer_cb cb,
                           void *user);

/* Cancels a pending timer; |cb| will not run. The handle is freed. */
void rt_timer_cancel(rt_timer_t *t);

/* The current time (ns since the epoch). */
rt_time_t rt_now(rt_t *rt);

/* 64 uniformly random bits. In the virtual runtime, from this instance's own
 * seeded stream, so runs replay. */
uint64_t rt_rand(rt_t *rt);

/* A uniform integer in [0, n) for n > 0, without modulo bias. */
uint64_t rt_rand_below(rt_t *rt, uint64_t n);

/* The configuration value |name| (an environment variable on Kubernetes), or
 * NULL when unset. */
const char *rt_env(rt_t *rt, const char *name);

/* Reports that configuration |name| has the unusable |value|, with |why|.
 * The live runtime logs it and exits the process with status 2 before the
 * service serves; the virtual runtime fails the pod's start. Services call it
 * only from their init function, and must return -1 from init after it. */
void rt_config_error(rt_t *rt, const char *name, const char *value,
                     const char *why);

/* This instance's service name, e.g. "currencyservice". */
const char *rt_name(rt_t *rt);

typedef enum rt_severity {
  RT_DEBUG,
  RT_INFO,
  RT_WARNING,
  RT_ERROR
} rt_severity_t;

/* Logs |msg| with optional fields: pairs of (const char *key, const char
 * *value) ending with NULL. The live runtime writes one JSON object per line
 * to stdout: {"time","severity","service","message", fields...}.
 *   rt_log(rt, RT_INFO, "conversion request", "to", code, NULL); */
void rt_log(rt_t *rt, rt_severity_t sev, const char *msg, ...);

/* ------------------------------------------------------------------ */
/* A service, as a runtime loads it. */

typedef struct rt_service {
  const char *name;  /* "currencyservice": executable, log and pod name */
  int default_port;  /* upstream's container port, used when PORT is unset */
  /* Reads configuration, loads data, calls rt_serve(). Stores its state with
   * rt_set_user(). Returns 0, or -1 after logging or rt_config_error(). */
  int (*init)(rt_t *rt);
  /* Frees the state. Called once, after the last call has ended. May be NULL. */
  void (*fini)(rt_t *rt);
  /* The service's own configuration for --help: lines of the form
   * "  NAME   what it is (default ...)\n". NULL when it reads none. */
  const char *env_help;
} rt_service_t;

/* Per-instance service state. */
void rt_set_user(rt_t *rt, void *user);
void *rt_get_user(rt_t *rt);

/* ------------------------------------------------------------------ */
/* For runtime implementers only: the table of operations a runtime provides.
 * Service code never touches it. */

typedef struct rt_ops {
  int (*serve)(rt_t *rt, const rt_service_def_t *def, void *user);
  void (*reply)(rt_call_t *call, const ProtobufCMessage *resp);
  void (*fail)(rt_call_t *call, rt_status_t code, const char *message);
  rt_t *(*call_rt)(const rt_call_t *call);
  const char *(*call_path)(const rt_call_t *call);
  rt_time_t (*call_deadline)(const rt_call_t *call);
  int (*call_cancelled)(const rt_call_t *call);
  void (*call_on_cancel)(rt_call_t *call, rt_cancel_cb cb, void *user);
  rt_invoke_t *(*invoke)(rt_t *rt, const char *addr, const char *service,
                         const char *method, const ProtobufCMessage *req,
                         const ProtobufCMessageDescriptor *resp_type,
                         const rt_invoke_opts_t *opts, rt_invoke_cb cb,
                         void *user);
  void (*invoke_cancel)(rt_invoke_t *inv);
  rt_timer_t *(*timer_start)(rt_t *rt, rt_time_t delay, rt_timer_cb cb,
                             void *user);
  void (*timer_cancel)(rt_timer_t *t);
  rt_time_t (*now)(rt_t *rt);
  uint64_t (*rand)(rt_t *rt);
  const char *(*env)(rt_t *rt, const char *name);
  void (*config_error)(rt_t *rt, const char *name, const char *value,
                       const char *why);
  /* |fields| is a NULL-terminated key, value, key, value ... array. */
  void (*log)(rt_t *rt, rt_severity_t sev, const char *msg,
              const char *const *fields);
  /* HTTP; NULL in a runtime without HTTP support (rt.c then returns -1 or
   * NULL with errno ENOSYS). */
  int (*serve_http)(rt_t *rt, rt_http_handler_cb handler, void *user);
  void (*http_respond)(rt_call_t *call, int status,
                       const rt_http_header_t *headers, size_t n_headers,
                       const void *body, size_t body_len);
  rt_invoke_t *(*http_invoke)(rt_t *rt, const char *addr, const char *method,
                              const char *target,
                              const rt_http_header_t *headers, size_t n_headers,
                              const void *body, size_t body_len,
                              const rt_invoke_opts_t *opts,
                              rt_http_invoke_cb cb, void *user);
} rt_ops_t;

/* The common head of an instance: each runtime's instance struct embeds
 * struct rt as its first member, and casts between the two. */
struct rt {
  const rt_ops_t *ops;
  const rt_service_t *service;
  void *user; /* the service's state (rt_set_user) */
};

/* Every runtime's call struct starts with this head. */
struct rt_call {
  const rt_ops_t *ops;
};
/* Every runtime's timer and invoke structs start with this head. */
struct rt_timer {
  const rt_ops_t *ops;
};
struct rt_invoke {
  const rt_ops_t *ops;
};

/* The allocator for messages a runtime unpacks for services (rt_invoke_cb's
 * |resp|, which rt_msg_free() frees) and for its own use. Its blocks are
 * plain malloc() blocks, so free_unpacked with a NULL allocator, or free(),
 * is also right for them, and it frees blocks from malloc() too; freed
 * small blocks (up to 512 bytes) are kept on free lists per size for the
 * next unpack (at most 1024 per size; per thread). Why: a decoded
 * message is dozens of small blocks allocated and freed together, which
 * overflows glibc's per-thread cache (7 per size) and took ~10 % of a
 * simulated shop's time in malloc/free. */
ProtobufCAllocator *rt__msg_allocator(void);

/* Largest message (encoded) a runtime accepts or sends: 4 MiB, gRPC's default. */
#define RT_MAX_MESSAGE (4u * 1024u * 1024u)

#ifdef __cplusplus
}
#endif

#endif /* MESHSIM_RT_H */

/*
 * rt.c — the runtime API's dispatch: every public rt_* function forwards to
 * the operations table of the runtime that owns the object. The only logic
 * here is what is the same on every runtime (formatting, rejection sampling).
 */
#include "rt.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

const char *rt_status_name(int code) {
  switch (code) {
#define RT_STATUS_CASE(n, name, text) \
  case n:                             \
    return #name;
    RT_STATUS_MAP(RT_STATUS_CASE)
#undef RT_STATUS_CASE
  default:
    return "UNKNOWN_STATUS";
  }
}

int rt_serve(rt_t *rt, const rt_service_def_t *def, void *user) {
  return rt->ops->serve(rt, def, user);
}

void rt_reply(rt_call_t *call, const ProtobufCMessage *resp) {
  call->ops->reply(call, resp);
}

void rt_fail(rt_call_t *call, rt_status_t code, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (code == RT_OK) /* a failure must carry an error code */
    code = RT_UNKNOWN;
  call->ops->fail(call, code, buf);
}

rt_t *rt_call_rt(const rt_call_t *call) { return call->ops->call_rt(call); }

const char *rt_call_path(const rt_call_t *call) {
  return call->ops->call_path(call);
}

rt_time_t rt_call_deadline(const rt_call_t *call) {
  return call->ops->call_deadline(call);
}

int rt_call_cancelled(const rt_call_t *call) {
  return call->ops->call_cancelled(call);
}

void rt_call_on_cancel(rt_call_t *call, rt_cancel_cb cb, void *user) {
  call->ops->call_on_cancel(call, cb, user);
}

rt_invoke_t *rt_invoke(rt_t *rt, const char *addr, const char *service,
                       const char *method, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *resp_type,
                       const rt_invoke_opts_t *opts, rt_invoke_cb cb,
                       void *user) {
  return rt->ops->invoke(rt, addr, service, method, req, resp_type, opts, cb,
                         user);
}

void rt_invoke_cancel(rt_invoke_t *inv) {
  if (inv)
    inv->ops->invoke_cancel(inv);
}

/* Free lists of small malloc() blocks by size class (16-byte steps): a
 * block sits in class min(usable / 16, N): it serves any request of that
 * class or below. Each list is an array of pointers, not a chain through
 * the blocks: popping one must not wait for its (often cold) first line. */
#define MSG_POOL_CLASSES 32
#define MSG_POOL_MAX 1024

static _Thread_local struct {
  void **stack[MSG_POOL_CLASSES + 1];
  unsigned n[MSG_POOL_CLASSES + 1];
} msg_pool;

static void *msg_alloc(void *data, size_t size) {
  (void)data;
  size_t c = size ? (size + 15) / 16 : 1;
  if (c > MSG_POOL_CLASSES)
    return malloc(size);
  if (msg_pool.n[c])
    return msg_pool.stack[c][--msg_pool.n[c]];
  return malloc(c * 16);
}

static void msg_release(void *data, void *p) {
  (void)data;
  if (!p)
    return;
  size_t c = malloc_usable_size(p) / 16;
  if (c == 0 || c > MSG_POOL_CLASSES || msg_pool.n[c] >= MSG_POOL_MAX ||
      (!msg_pool.stack[c] &&
       !(msg_pool.stack[c] = malloc(MSG_POOL_MAX * sizeof(void *))))) {
    free(p);
    return;
  }
  msg_pool.stack[c][msg_pool.n[c]++] = p;
}

static ProtobufCAllocator msg_allocator = {msg_alloc, msg_release, NULL};

ProtobufCAllocator *rt__msg_allocator(void) { return &msg_allocator; }

void rt_msg_free(ProtobufCMessage *msg) {
  if (msg)
    protobuf_c_message_free_unpacked(msg, &msg_allocator);
}

rt_timer_t *rt_timer_start(rt_t *rt, rt_time_t delay, rt_timer_cb cb,
                           void *user) {
  if (delay < 0)
    delay = 0;
  return rt->ops->timer_start(rt, delay, cb, user);
}

void rt_timer_cancel(rt_timer_t *t) {
  if (t)
    t->ops->timer_cancel(t);
}

rt_time_t rt_now(rt_t *rt) { return rt->ops->now(rt); }

uint64_t rt_rand(rt_t *rt) { return rt->ops->rand(rt); }

uint64_t rt_rand_below(rt_t *rt, uint64_t n) {
  if (n <= 1)
    return 0;
  /* 2^64 mod n values would be over-represented: reject the lowest ones. */
  uint64_t threshold = (0 - n) % n;
  uint64_t r;
  do
    r = rt->ops->rand(rt);
  while (r < threshold);
  return r % n;
}

const char *rt_env(rt_t *rt, const char *name) {
  return rt->ops->env(rt, name);
}

void rt_config_error(rt_t *rt, const char *name, const char *value,
                     const char *why) {
  rt->ops->config_error(rt, name, value ? value : "", why);
}

const char *rt_name(rt_t *rt) { return rt->service->name; }

void rt_set_user(rt_t *rt, void *user) { rt->user = user; }

void *rt_get_user(rt_t *rt) { return rt->user; }

void rt_log(rt_t *rt, rt_severity_t sev, const char *msg, ...) {
  const char *fields[33];
  size_t n = 0;
  va_list ap;
  va_start(ap, msg);
  for (;;) {
    const char *k = va_arg(ap, const char *);
    if (!k)
      break;
    const char *v = va_arg(ap, const char *);
    if (n + 2 < sizeof fields / sizeof *fields) {
      fields[n++] = k;
      fields[n++] = v ? v : "";
    }
  }
  va_end(ap);
  fields[n] = NULL;
  rt->ops->log(rt, sev, msg, fields);
}

int rt_serve_http(rt_t *rt, rt_http_handler_cb handler, void *user) {
  if (!rt->ops->serve_http) {
    errno = ENOSYS;
    return -1;
  }
  return rt->ops->serve_http(rt, handler, user);
}

const char *rt_http_header(const rt_http_request_t *req, const char *name) {
  for (size_t i = 0; i < req->n_headers; i++)
    if (strcasecmp(req->headers[i].name, name) == 0)
      return req->headers[i].value;
  return NULL;
}

void rt_http_respond(rt_call_t *call, int status,
                     const rt_http_header_t *headers, size_t n_headers,
                     const void *body, size_t body_len) {
  call->ops->http_respond(call, status, headers, n_headers, body, body_len);
}

int rt_http_status_for(rt_status_t code) {
  switch (code) {
  case RT_OK:
    return 200;
  case RT_INVALID_ARGUMENT:
  case RT_OUT_OF_RANGE:
  case RT_FAILED_PRECONDITION:
    return 400;
  case RT_UNAUTHENTICATED:
    return 401;
  case RT_PERMISSION_DENIED:
    return 403;
  case RT_NOT_FOUND:
    return 404;
  case RT_ALREADY_EXISTS:
  case RT_ABORTED:
    return 409;
  case RT_RESOURCE_EXHAUSTED:
    return 429;
  case RT_CANCELLED:
    return 499;
  case RT_UNIMPLEMENTED:
    return 501;
  case RT_UNAVAILABLE:
    return 503;
  case RT_DEADLINE_EXCEEDED:
    return 504;
  default:
    return 500;
  }
}

rt_invoke_t *rt_http_invoke(rt_t *rt, const char *addr, const char *method,
                            const char *target, const rt_http_header_t *headers,
                            size_t n_headers, const void *body,
                            size_t body_len, const rt_invoke_opts_t *opts,
                            rt_http_invoke_cb cb, void *user) {
  if (!rt->ops->http_invoke) {
    errno = ENOSYS;
    return NULL;
  }
  return rt->ops->http_invoke(rt, addr, method, target, headers, n_headers,
                              body, body_len, opts, cb, user);
}

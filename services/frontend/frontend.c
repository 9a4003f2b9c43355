/*
 * frontend.c — the frontend service: configuration, the HTTP handler that
 * routes every request, the per-request context (session, currency,
 * request id), responses and their logging, static files, and the
 * /business forwarder. The shop's routes are in fe_shop.c, the pages in
 * fe_pages.c.
 */
#include "frontend/frontend.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cookie.h"
#include "common/decimal.h"
#include "common/svc_duration.h"
#include "common/svc_uuid.h"
#include "frontend/fe.h"

#define COOKIE_SESSION "shop_session-id"
#define COOKIE_CURRENCY "shop_currency"
#define COOKIE_MAX_AGE ((int64_t)48 * 3600) /* upstream: 48 h */
#define STATIC_CACHE "public, max-age=86400"
#define CSP                                                              \
  "default-src 'self'; img-src 'self' data: https:; style-src 'self'; " \
  "script-src 'none'; object-src 'none'; base-uri 'none'; "             \
  "form-action 'self'; frame-ancestors 'none'"

const char *const fe_currencies[] = {"USD", "EUR", "CAD", "JPY", "GBP", "TRY"};
const size_t fe_n_currencies = sizeof fe_currencies / sizeof *fe_currencies;

int fe_currency_offered(const char *code) {
  for (size_t i = 0; i < fe_n_currencies; i++)
    if (strcmp(code, fe_currencies[i]) == 0)
      return 1;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Requests: context, completion, logging. */

static void req_free(fe_req_t *r) {
  for (size_t i = 0; i < r->n_owned; i++)
    rt_msg_free(r->owned[i]);
  free(r->owned);
  for (size_t i = 0; i < r->n_cookies; i++)
    free(r->cookies[i]);
  form_free(&r->form);
  free(r->prices);
  free(r->items);
  free(r);
}

/* |v| in decimal into |buf| (at least 22 bytes); returns |buf|. snprintf
 * here, on every request, was 0.4 % of a whole-shop simulation. */
static char *fmt_i64(char *buf, int64_t v) {
  char t[1 + DEC_U64_MAX];
  size_t d = dec_u64(t + sizeof t, v < 0 ? -(uint64_t)v : (uint64_t)v);
  if (v < 0)
    t[sizeof t - ++d] = '-';
  memcpy(buf, t + sizeof t - d, d);
  buf[d] = '\0';
  return buf;
}

/* |src| into |dst| (|size| bytes), truncated as snprintf("%s") would. */
static void copy_trunc(char *dst, size_t size, const char *src) {
  size_t n = strnlen(src, size - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* Logs the request's outcome and frees it. */
static void req_finish(fe_req_t *r, int status) {
  char st[24], took[24];
  fmt_i64(st, status);
  rt_time_t dt = rt_now(r->rt) - r->start;
  fmt_i64(took, dt / RT_MSEC);
  /* The call has ended here, and r->http with it: use the copies. */
  rt_log(r->rt, status >= 500 ? RT_WARNING : RT_INFO, "request complete",
         "http.req.method", r->log_method, "http.req.path", r->log_path,
         "http.resp.status", st, "http.resp.took_ms", took, "session",
         r->session, "request_id", r->request_id, NULL);
  req_free(r);
}

/* The request-target chars we echo in headers and pages: printable ASCII. */
static int printable_ascii(const char *s, size_t max) {
  size_t n = 0;
  for (; *s; s++, n++)
    if (n >= max || (unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7F)
      return 0;
  return n > 0;
}

/* Session ids and request ids we accept from the client. */
static int id_ok(const char *s, size_t n, size_t max) {
  if (n == 0 || n > max)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return 0;
  }
  return 1;
}

/* Every Cookie header (a client may split them), first match wins. */
static int find_cookie(const rt_http_request_t *req, const char *name,
                       const char **v, size_t *n) {
  for (size_t i = 0; i < req->n_headers; i++)
    if (strcmp(req->headers[i].name, "cookie") == 0 &&
        cookie_find(req->headers[i].value, name, v, n))
      return 1;
  return 0;
}

int fe_add_cookie(fe_req_t *r, const char *name, const char *value,
                  int64_t max_age) {
  if (r->n_cookies >= FE_MAX_COOKIES)
    return -1;
  cookie_attrs_t a = {1, max_age, "/", NULL, 1, 0, COOKIE_SAME_SITE_LAX};
  char buf[512];
  if (cookie_build(buf, sizeof buf, name, value, &a) < 0)
    return -1;
  char *c = strdup(buf);
  if (!c)
    return -1;
  r->cookies[r->n_cookies++] = c;
  return 0;
}

void fe_ensure_session(fe_req_t *r) {
  if (r->session[0])
    return;
  svc_uuid4(r->rt, r->session);
  r->new_session = 1;
  fe_add_cookie(r, COOKIE_SESSION, r->session, COOKIE_MAX_AGE);
}

/* ------------------------------------------------------------------ */
/* Responses. */

static void respond_ex(fe_req_t *r, int status, const char *ctype,
                       const char *cache, const rt_http_header_t *extra,
                       size_t n_extra, const void *body, size_t len) {
  rt_http_header_t h[8 + FE_MAX_COOKIES + 4];
  size_t n = 0;
  if (ctype) {
    h[n++] = (rt_http_header_t){"Content-Type", ctype};
    h[n++] = (rt_http_header_t){"X-Content-Type-Options", "nosniff"};
  }
  if (ctype && strncmp(ctype, "text/html", 9) == 0) {
    h[n++] = (rt_http_header_t){"Content-Security-Policy", CSP};
    h[n++] = (rt_http_header_t){"Referrer-Policy", "same-origin"};
  }
  h[n++] = (rt_http_header_t){"Cache-Control", cache ? cache : "no-store"};
  for (size_t i = 0; i < r->n_cookies; i++)
    h[n++] = (rt_http_header_t){"Set-Cookie", r->cookies[i]};
  for (size_t i = 0; i < n_extra && n < sizeof h / sizeof *h; i++)
    h[n++] = extra[i];
  rt_http_respond(r->call, status, h, n, body, len);
  req_finish(r, status);
}

void fe_respond(fe_req_t *r, int status, const char *ctype, const char *cache,
                const void *body, size_t len) {
  respond_ex(r, status, ctype, cache, NULL, 0, body, len);
}

void fe_send_page(fe_req_t *r, int status, html_buf_t *b) {
  size_t len;
  char *page = html_take(b, &len);
  if (!page) {
    static const char oom[] = "out of memory\n";
    fe_respond(r, 500, "text/plain; charset=utf-8", NULL, oom,
               sizeof oom - 1);
    return;
  }
  fe_respond(r, status, "text/html; charset=utf-8", NULL, page, len);
  free(page);
}

void fe_redirect(fe_req_t *r, const char *location) {
  rt_http_header_t loc = {"Location", location};
  respond_ex(r, 302, NULL, NULL, &loc, 1, NULL, 0);
}

void fe_error_page(fe_req_t *r, int status, const char *title,
                   const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  html_buf_t b;
  html_init(&b);
  fe_page_error(r, &b, status, title, msg);
  fe_send_page(r, status, &b);
}

void fe_backend_error(fe_req_t *r) {
  if (r->fail_code == RT_CANCELLED && rt_call_cancelled(r->call)) {
    /* The client has gone: nobody reads the page. */
    rt_fail(r->call, RT_CANCELLED, "client went away");
    req_finish(r, rt_http_status_for(RT_CANCELLED));
    return;
  }
  char what[64];
  snprintf(what, sizeof what, "%s", rt_status_name((int)r->fail_code));
  for (char *p = what; *p; p++)
    *p = *p == '_' ? ' ' : (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
  rt_log(r->rt, RT_WARNING, "backend call failed", "backend", r->fail_svc,
         "code", rt_status_name((int)r->fail_code), "error", r->fail_msg,
         "session", r->session, "request_id", r->request_id, NULL);
  fe_error_page(r, 500, "Something went wrong", "%s: %s%s%s", r->fail_svc,
                what, r->fail_msg[0] ? ": " : "", r->fail_msg);
}

static void method_not_allowed(fe_req_t *r, const char *allow) {
  rt_http_header_t h = {"Allow", allow};
  static const char msg[] = "method not allowed\n";
  respond_ex(r, 405, "text/plain; charset=utf-8", NULL, &h, 1, msg,
             sizeof msg - 1);
}

static void text(fe_req_t *r, const char *body, const char *cache) {
  fe_respond(r, 200, "text/plain; charset=utf-8", cache, body, strlen(body));
}

/* ------------------------------------------------------------------ */
/* Static files, compiled in (fe_static_data.c). */

static uint64_t fnv1a(const unsigned char *p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

static long static_find(const char *path) {
  for (size_t i = 0; i < fe_n_static_files; i++)
    if (strcmp(fe_static_files[i].path, path) == 0)
      return (long)i;
  return -1;
}

/* Upstream's catalog names pictures /static/img/products/<slug>.jpg; ours
 * are SVG, served at both names (with their real type). */
static long static_lookup(const char *path) {
  long i = static_find(path);
  static const char prefix[] = "/static/img/products/";
  size_t n = strlen(path);
  if (i < 0 && n < 200 && strncmp(path, prefix, sizeof prefix - 1) == 0 &&
      n > 4 && strcmp(path + n - 4, ".jpg") == 0) {
    char alt[208];
    snprintf(alt, sizeof alt, "%.*s.svg", (int)(n - 4), path);
    i = static_find(alt);
  }
  return i;
}

static void serve_static(fe_req_t *r, const char *path) {
  long i = static_lookup(path);
  if (i < 0) {
    fe_error_page(r, 404, "Not found", "There is no file at %s.", path);
    return;
  }
  const fe_static_file_t *f = &fe_static_files[i];
  const char *etag = r->fe->etags[i];
  rt_http_header_t h = {"ETag", etag};
  const char *inm = rt_http_header(r->http, "if-none-match");
  if (inm && strstr(inm, etag)) {
    respond_ex(r, 304, NULL, STATIC_CACHE, &h, 1, NULL, 0);
    return;
  }
  respond_ex(r, 200, f->type, STATIC_CACHE, &h, 1, f->data, f->len);
}

/* ------------------------------------------------------------------ */
/* /business, forwarded to the business service when BUSINESS_ADDR is set
 * (on Kubernetes the ingress routes it there directly). */

static int hop_by_hop(const char *name, const char *connection) {
  static const char *const hop[] = {
      "connection", "keep-alive", "proxy-connection", "proxy-authenticate",
      "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
      "host", "content-length", "date"};
  for (size_t i = 0; i < sizeof hop / sizeof *hop; i++)
    if (strcmp(name, hop[i]) == 0)
      return 1;
  /* Headers the Connection header names are hop-by-hop too. */
  if (connection) {
    size_t n = strlen(name);
    for (const char *p = connection; *p;) {
      while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
      const char *s = p;
      while (*p && *p != ',' && *p != ' ' && *p != '\t')
        p++;
      if ((size_t)(p - s) == n && strncasecmp(s, name, n) == 0)
        return 1;
    }
  }
  return 0;
}

static int header_safe(const char *name, const char *value) {
  return name[0] && !strpbrk(name, "\r\n:") && !strpbrk(value, "\r\n");
}

static void on_forwarded(void *user, rt_status_t status, const char *message,
                         const rt_http_response_t *resp) {
  fe_req_t *r = user;
  if (status != RT_OK) {
    int code = status == RT_DEADLINE_EXCEEDED ? 504 : 502;
    if (status == RT_CANCELLED && rt_call_cancelled(r->call)) {
      rt_fail(r->call, RT_CANCELLED, "client went away");
      req_finish(r, rt_http_status_for(RT_CANCELLED));
      return;
    }
    fe_error_page(r, code, "The seller pages are unavailable",
                  "%s: %s: %s", FE_BUSINESS, rt_status_name((int)status),
                  message);
    return;
  }
  if (resp->status < 200 || resp->status > 599) {
    fe_error_page(r, 502, "The seller pages are unavailable",
                  "%s: unexpected HTTP status %d", FE_BUSINESS, resp->status);
    return;
  }
  const char *conn = NULL;
  for (size_t i = 0; i < resp->n_headers; i++)
    if (strcmp(resp->headers[i].name, "connection") == 0)
      conn = resp->headers[i].value;
  rt_http_header_t *h = calloc(resp->n_headers + 1, sizeof *h);
  if (!h) {
    rt_fail(r->call, RT_RESOURCE_EXHAUSTED, "out of memory");
    req_finish(r, 500);
    return;
  }
  size_t n = 0;
  for (size_t i = 0; i < resp->n_headers; i++)
    if (!hop_by_hop(resp->headers[i].name, conn) &&
        header_safe(resp->headers[i].name, resp->headers[i].value))
      h[n++] = resp->headers[i];
  rt_http_respond(r->call, resp->status, h, n, resp->body, resp->body_len);
  free(h);
  req_finish(r, resp->status);
}

static void forward_business(fe_req_t *r) {
  const rt_http_request_t *q = r->http;
  const char *conn = rt_http_header(q, "connection");
  rt_http_header_t *h = calloc(q->n_headers + 3, sizeof *h);
  if (!h) {
    rt_fail(r->call, RT_RESOURCE_EXHAUSTED, "out of memory");
    req_finish(r, 500);
    return;
  }
  size_t n = 0;
  const char *xff = NULL;
  for (size_t i = 0; i < q->n_headers; i++) {
    if (strcmp(q->headers[i].name, "x-forwarded-for") == 0) {
      xff = q->headers[i].value;
      continue;
    }
    if (!hop_by_hop(q->headers[i].name, conn) &&
        header_safe(q->headers[i].name, q->headers[i].value))
      h[n++] = q->headers[i];
  }
  /* X-Forwarded-For gets the client's address appended (without port). */
  char fwd[512];
  const char *remote = q->remote ? q->remote : "";
  const char *colon = strrchr(remote, ':');
  int rlen = colon ? (int)(colon - remote) : (int)strlen(remote);
  if (rlen > 0) {
    snprintf(fwd, sizeof fwd, "%s%s%.*s", xff ? xff : "", xff ? ", " : "",
             rlen, remote);
    h[n++] = (rt_http_header_t){"x-forwarded-for", fwd};
  } else if (xff)
    h[n++] = (rt_http_header_t){"x-forwarded-for", xff};
  const char *host = rt_http_header(q, "host");
  if (host && header_safe("x", host))
    h[n++] = (rt_http_header_t){"x-forwarded-host", host};
  h[n++] = (rt_http_header_t){"x-forwarded-proto", "http"};
  rt_invoke_opts_t opts = {r->fe->timeout, r->call};
  rt_invoke_t *inv = rt_http_invoke(r->rt, r->fe->business_addr, q->method,
                                    q->target, h, n, q->body, q->body_len,
                                    &opts, on_forwarded, r);
  free(h);
  if (!inv)
    fe_error_page(r, 502, "The seller pages are unavailable",
                  "%s: cannot call %s", FE_BUSINESS, r->fe->business_addr);
}

/* ------------------------------------------------------------------ */
/* Routing. */

static int is_get(const char *m) {
  return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

/* /product/{id}: the one segment after the prefix, percent-decoded, into
 * |out|. Returns 0, or -1 when it is not a plausible product id. */
static int product_id_from_path(const char *seg, char out[FE_ID_MAX + 1]) {
  size_t n = strlen(seg);
  if (n == 0 || n > 3 * FE_ID_MAX || strchr(seg, '/'))
    return -1;
  char tmp[3 * FE_ID_MAX + 1];
  long d = form_decode(seg, n, 0, tmp);
  if (d <= 0 || (size_t)d > FE_ID_MAX || !printable_ascii(tmp, FE_ID_MAX))
    return -1;
  memcpy(out, tmp, (size_t)d + 1);
  return 0;
}

/* Parses a POST's form body into r->form. Returns 0, or -1 after
 * answering (415 for another content type, 400 for a malformed body). */
static int parse_form(fe_req_t *r) {
  const char *ct = rt_http_header(r->http, "content-type");
  static const char urlenc[] = "application/x-www-form-urlencoded";
  if (ct && strncasecmp(ct, urlenc, sizeof urlenc - 1) != 0) {
    fe_error_page(r, 415, "Unsupported form encoding",
                  "Forms must be sent as %s.", urlenc);
    return -1;
  }
  int err = form_parse(&r->form, (const char *)r->http->body,
                       r->http->body_len, NULL);
  if (err != 0) {
    fe_error_page(r, 400, "Bad request", "%s.", form_strerror(err));
    return -1;
  }
  return 0;
}

static void route(fe_req_t *r) {
  static const struct {
    const char *path;
    void (*fn)(fe_req_t *r);
  } posts[] = {{"/cart/empty", fe_route_empty_cart},
               {"/cart/checkout", fe_route_checkout},
               {"/setCurrency", fe_route_set_currency}};
  const char *m = r->http->method, *path = r->http->path;
  int get = is_get(m), post = strcmp(m, "POST") == 0;

  if (strcmp(path, "/_healthz") == 0) {
    if (get)
      text(r, "ok", NULL);
    else
      method_not_allowed(r, "GET, HEAD");
  } else if (strcmp(path, "/robots.txt") == 0 ||
             strcmp(path, "/favicon.ico") == 0 ||
             strncmp(path, "/static/", 8) == 0) {
    if (!get)
      method_not_allowed(r, "GET, HEAD");
    else if (strcmp(path, "/robots.txt") == 0)
      serve_static(r, "/static/robots.txt");
    else if (strcmp(path, "/favicon.ico") == 0)
      serve_static(r, "/static/favicon.svg");
    else
      serve_static(r, path);
  } else if (strcmp(path, "/business") == 0 ||
             strncmp(path, "/business/", 10) == 0) {
    if (r->fe->business_addr)
      forward_business(r);
    else
      fe_error_page(r, 404, "Not found",
                    "Selling is not enabled on this shop.");
  } else if (strcmp(path, "/logout") == 0) {
    if (get)
      fe_route_logout(r);
    else
      method_not_allowed(r, "GET, HEAD");
  } else if (strcmp(path, "/") == 0) {
    if (get) {
      fe_ensure_session(r);
      fe_route_home(r);
    } else
      method_not_allowed(r, "GET, HEAD");
  } else if (strncmp(path, "/product/", 9) == 0) {
    char id[FE_ID_MAX + 1];
    if (product_id_from_path(path + 9, id) != 0)
      fe_error_page(r, 404, "Product not found", "There is no such product.");
    else if (!get)
      method_not_allowed(r, "GET, HEAD");
    else {
      fe_ensure_session(r);
      fe_route_product(r, id);
    }
  } else if (strcmp(path, "/cart") == 0) {
    if (get) {
      fe_ensure_session(r);
      fe_route_cart(r);
    } else if (post) {
      fe_ensure_session(r);
      if (parse_form(r) == 0)
        fe_route_add_to_cart(r);
    } else
      method_not_allowed(r, "GET, HEAD, POST");
  } else {
    for (size_t i = 0; i < sizeof posts / sizeof *posts; i++)
      if (strcmp(path, posts[i].path) == 0) {
        if (!post)
          method_not_allowed(r, "POST");
        else {
          fe_ensure_session(r);
          if (parse_form(r) == 0)
            posts[i].fn(r);
        }
        return;
      }
    fe_error_page(r, 404, "Page not found",
                  "There is nothing at this address.");
  }
}

static void on_http(rt_call_t *call, const rt_http_request_t *req,
                    void *user) {
  fe_t *fe = user;
  fe_req_t *r = calloc(1, sizeof *r);
  if (!r) {
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  r->fe = fe;
  r->rt = rt_call_rt(call);
  r->call = call;
  r->http = req;
  copy_trunc(r->log_method, sizeof r->log_method, req->method);
  copy_trunc(r->log_path, sizeof r->log_path, req->path);
  r->start = rt_now(r->rt);
  hipstershop__address__init(&r->address);
  hipstershop__credit_card_info__init(&r->card);

  /* A request id from the mesh (Envoy's x-request-id) is kept, so the
   * frontend's log lines join the sidecars' traces. */
  const char *rid = rt_http_header(req, "x-request-id");
  if (rid && id_ok(rid, strlen(rid), FE_REQID_MAX))
    snprintf(r->request_id, sizeof r->request_id, "%s", rid);
  else
    svc_uuid4(r->rt, r->request_id);

  const char *v;
  size_t n;
  if (find_cookie(req, COOKIE_SESSION, &v, &n) &&
      id_ok(v, n, FE_SESSION_MAX)) {
    memcpy(r->session, v, n);
    r->session[n] = '\0';
  }
  strcpy(r->currency, "USD");
  if (find_cookie(req, COOKIE_CURRENCY, &v, &n) && n == 3) {
    char code[4] = {v[0], v[1], v[2], 0};
    if (fe_currency_offered(code))
      memcpy(r->currency, code, 4);
  }
  rt_log(r->rt, RT_DEBUG, "request started", "http.req.method", req->method,
         "http.req.path", req->path, "session", r->session, "request_id",
         r->request_id, NULL);
  route(r);
}

/* ------------------------------------------------------------------ */
/* The routes that only set cookies. */

/* The same-site path of the Referer, or "/". |out| has |size| bytes. */
static void back_target(fe_req_t *r, char *out, size_t size) {
  snprintf(out, size, "/");
  const char *ref = rt_http_header(r->http, "referer");
  if (!ref || !printable_ascii(ref, 2048))
    return;
  const char *path = NULL;
  if (ref[0] == '/' && ref[1] != '/' && ref[1] != '\\')
    path = ref;
  else {
    const char *host = rt_http_header(r->http, "host");
    const char *rest = strncmp(ref, "http://", 7) == 0    ? ref + 7
                       : strncmp(ref, "https://", 8) == 0 ? ref + 8
                                                          : NULL;
    if (!rest || !host)
      return;
    size_t hl = strcspn(rest, "/?#");
    if (hl != strlen(host) || strncasecmp(rest, host, hl) != 0)
      return; /* another site: do not bounce the user there */
    path = rest[hl] == '/' ? rest + hl : "/";
  }
  if (path[0] != '/' || path[1] == '/' || path[1] == '\\')
    return;
  size_t len = strcspn(path, "#");
  if (len >= size)
    return;
  memcpy(out, path, len);
  out[len] = '\0';
}

void fe_route_set_currency(fe_req_t *r) {
  const char *code = form_get(&r->form, "currency_code");
  if (!code || !fe_currency_offered(code)) {
    fe_error_page(r, 422, "Invalid input",
                  "currency_code: must be one of USD, EUR, CAD, JPY, GBP, "
                  "TRY (got \"%.16s\")",
                  code ? code : "");
    return;
  }
  fe_add_cookie(r, COOKIE_CURRENCY, code, COOKIE_MAX_AGE);
  char target[2049];
  back_target(r, target, sizeof target);
  fe_redirect(r, target);
}

void fe_route_logout(fe_req_t *r) {
  fe_add_cookie(r, COOKIE_SESSION, "", 0);
  fe_add_cookie(r, COOKIE_CURRENCY, "", 0);
  fe_redirect(r, "/");
}

/* ------------------------------------------------------------------ */
/* Configuration. */

static const struct {
  const char *env, *name;
} platforms[] = {{"local", "local"},        {"gcp", "Google Cloud"},
                 {"aws", "AWS"},            {"azure", "Azure"},
                 {"onprem", "On-Premises"}, {"alibaba", "Alibaba Cloud"}};

static int addr_ok(const char *a) {
  const char *colon = a ? strrchr(a, ':') : NULL;
  return colon && colon != a && colon[1];
}

static int fe_init(rt_t *rt) {
  static const struct {
    const char *env, *svc;
    size_t off;
  } addrs[] = {
      {"PRODUCT_CATALOG_SERVICE_ADDR", FE_CATALOG, offsetof(fe_t, catalog_addr)},
      {"CURRENCY_SERVICE_ADDR", FE_CURRENCY, offsetof(fe_t, currency_addr)},
      {"CART_SERVICE_ADDR", FE_CART, offsetof(fe_t, cart_addr)},
      {"RECOMMENDATION_SERVICE_ADDR", FE_RECO, offsetof(fe_t, reco_addr)},
      {"SHIPPING_SERVICE_ADDR", FE_SHIPPING, offsetof(fe_t, shipping_addr)},
      {"CHECKOUT_SERVICE_ADDR", FE_CHECKOUT, offsetof(fe_t, checkout_addr)},
      {"AD_SERVICE_ADDR", FE_AD, offsetof(fe_t, ad_addr)},
  };
  fe_t *fe = calloc(1, sizeof *fe);
  if (!fe)
    return -1;
  int bad = 0;
  for (size_t i = 0; i < sizeof addrs / sizeof *addrs; i++) {
    const char *v = rt_env(rt, addrs[i].env);
    if (!addr_ok(v)) {
      char why[128];
      snprintf(why, sizeof why, "required: the host:port of %s",
               addrs[i].svc);
      rt_config_error(rt, addrs[i].env, v, why);
      bad = 1;
      continue;
    }
    *(const char **)((char *)fe + addrs[i].off) = v;
  }
  const char *b = rt_env(rt, "BUSINESS_ADDR");
  if (b && *b) {
    if (!addr_ok(b)) {
      rt_config_error(rt, "BUSINESS_ADDR", b,
                      "the host:port of the business service, or unset");
      bad = 1;
    }
    fe->business_addr = b;
  }
  fe->timeout = 3 * RT_SEC;
  const char *t = rt_env(rt, "BACKEND_TIMEOUT");
  if (t && *t) {
    const char *why = NULL;
    if (svc_duration_parse(t, &fe->timeout, &why) != 0 || fe->timeout <= 0) {
      rt_config_error(rt, "BACKEND_TIMEOUT", t,
                      why ? why : "must be a positive duration, e.g. 3s");
      bad = 1;
    }
  }
  fe->platform = "local";
  fe->platform_name = "local";
  const char *p = rt_env(rt, "ENV_PLATFORM");
  if (p && *p) {
    size_t i;
    for (i = 0; i < sizeof platforms / sizeof *platforms; i++)
      if (strcmp(p, platforms[i].env) == 0)
        break;
    if (i < sizeof platforms / sizeof *platforms) {
      fe->platform = platforms[i].env;
      fe->platform_name = platforms[i].name;
    } else /* as upstream: anything else is "local" */
      rt_log(rt, RT_WARNING, "unknown ENV_PLATFORM, using local", "value",
             p, NULL);
  }
  if (bad) {
    free(fe);
    return -1;
  }
  fe->etags = calloc(fe_n_static_files ? fe_n_static_files : 1,
                     sizeof *fe->etags);
  if (!fe->etags) {
    free(fe);
    return -1;
  }
  for (size_t i = 0; i < fe_n_static_files; i++)
    snprintf(fe->etags[i], sizeof fe->etags[i], "\"%016" PRIx64 "\"",
             fnv1a(fe_static_files[i].data, fe_static_files[i].len));
  if (rt_serve_http(rt, on_http, fe) != 0) {
    rt_log(rt, RT_ERROR, "cannot serve HTTP on this runtime", NULL);
    free(fe->etags);
    free(fe);
    return -1;
  }
  rt_set_user(rt, fe);
  return 0;
}

static void fe_fini(rt_t *rt) {
  fe_t *fe = rt_get_user(rt);
  if (fe) {
    free(fe->etags);
    free(fe);
  }
  rt_set_user(rt, NULL);
}

static const char frontend_env_help[] =
    "  PRODUCT_CATALOG_SERVICE_ADDR, CURRENCY_SERVICE_ADDR, CART_SERVICE_ADDR,\n"
    "  RECOMMENDATION_SERVICE_ADDR, SHIPPING_SERVICE_ADDR, CHECKOUT_SERVICE_ADDR,\n"
    "  AD_SERVICE_ADDR         host:port of each service it calls (all required)\n"
    "  BUSINESS_ADDR           host:port of business; /business is forwarded there\n"
    "                          when set (default: unset, 404)\n"
    "  ENV_PLATFORM            aws, gcp, azure, alibaba, onprem or local: the banner\n"
    "                          (default local)\n"
    "  BACKEND_TIMEOUT         per backend call, a Go duration (default 3s)\n";

const rt_service_t frontend_service = {"frontend", 8080, fe_init, fe_fini, frontend_env_help};

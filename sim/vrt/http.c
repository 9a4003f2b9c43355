/* sim/vrt/http.c: HTTP/1.1 calls (rt_serve_http, rt_http_respond,
 * rt_http_invoke, vrt_client_http).
 *
 * An HTTP call is a vrpc_t with |http| set: the wire, deadlines,
 * cancellation, parents and pods dying are rpc.c's, exactly as for gRPC.
 * This file builds the two messages and sizes them as the live runtime
 * serialises them (services/live/http1.c: start line, headers, body; the
 * runtime's Host, Content-Length and Date), routes the request to the
 * pod's handler, and charges its CPU under a profile key made from the
 * method and the path (see route_cost()). Messages cross as structures,
 * not bytes: HTTP/1.1 is text whose encoding here would only be parsed
 * back; what the model needs of it is its size.
 *
 * HTTP carries no deadline: the server's call has none (rt_call_deadline
 * is RT_TIME_INFINITE, as on the live runtime), and a client that gives up
 * (timeout, cancel, its pod dying) closes the connection, which cancels the
 * server's call one latency later (rpc.c's RST_STREAM).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "vrt_int.h"

/* The live server's limits (http1_limits_default). */
#define MAX_HEADER (16u * 1024u)
#define MAX_BODY_DEFAULT (8u * 1024u * 1024u)

struct vhttp {
	char *method, *target, *path, *query, *remote;
	rt_http_header_t *h; /* names lower-cased; strings owned */
	size_t nh;
	uint8_t *body; /* NUL-terminated */
	size_t len;
	size_t hdr_bytes; /* request line and header section */
	rt_http_request_t view;
};

struct vhresp {
	int status;
	rt_http_header_t *h; /* names lower-cased; strings owned */
	size_t nh;
	uint8_t *body;
	size_t len;
};

#define FROM_CALL(p) ((vrpc_t *)((char *)(p) - offsetof(vrpc_t, chead)))

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		vrt__die("out of memory");
	return p;
}

static int ieq(const char *a, const char *b) { return strcasecmp(a, b) == 0; }

/* RFC 9110's tchar. */
static const char TCHAR[] = "!#$%&'*+-.^_`|~0123456789"
                            "abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* strspn() with TCHAR built its table on every header of every message
 * (1 % of a whole-shop run); this one is built once. */
static int is_token(const char *s)
{
	static unsigned char tab[256];
	if (!tab['a'])
		for (const char *p = TCHAR; *p; p++)
			tab[(unsigned char)*p] = 1;
	if (!s || !*s)
		return 0;
	while (tab[(unsigned char)*s])
		s++;
	return *s == '\0';
}

static int is_field_value(const char *s)
{
	if (!s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return 0;
	return 1;
}

/* Framing is the runtime's: these never pass from the caller. */
static int is_framing(const char *name)
{
	/* By the first letter first: three strcasecmp per header of every
	 * message were 0.2 % of a whole-shop run. */
	switch (name[0] | 0x20) {
	case 'c':
		return ieq(name, "content-length") || ieq(name, "connection");
	case 't':
		return ieq(name, "transfer-encoding");
	default:
		return 0;
	}
}

/* Appends |name: value| to |h| (lower-cased name); returns its wire size
 * ("Name: value\r\n"). The name and the value share one block (the
 * name's), half the allocations of a message's headers. */
static size_t add_header(rt_http_header_t *h, size_t *n, const char *name,
                         const char *value)
{
	size_t ln = strlen(name), lv = strlen(value);
	char *nm = xmalloc(ln + 1 + lv + 1);
	for (size_t i = 0; i < ln; i++)
		nm[i] = name[i] >= 'A' && name[i] <= 'Z'
		            ? (char)(name[i] - 'A' + 'a')
		            : name[i];
	nm[ln] = '\0';
	memcpy(nm + ln + 1, value, lv + 1);
	h[*n].name = nm;
	h[*n].value = nm + ln + 1;
	(*n)++;
	return ln + 2 + lv + 2;
}

static void headers_free(rt_http_header_t *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)h[i].name);
	free(h);
}

static uint8_t *body_copy(const void *body, size_t len)
{
	uint8_t *b = xmalloc(len + 1);
	if (len)
		memcpy(b, body, len);
	b[len] = 0;
	return b;
}

void vrt__http_free(vhttp_t *h, vhresp_t *hr)
{
	if (h) {
		free(h->method); /* and the request line's other strings */
		headers_free(h->h, h->nh);
		free(h->body);
		free(h);
	}
	if (hr) {
		headers_free(hr->h, hr->nh);
		free(hr->body);
		free(hr);
	}
}

/* ---- the response ----------------------------------------------------- */

/* The reason phrase's length, as the live server writes it (only the size
 * matters here). */
static size_t reason_len(int status)
{
	static const struct {
		int status;
		const char *text;
	} reasons[] = {
	    {200, "OK"}, {201, "Created"}, {204, "No Content"},
	    {301, "Moved Permanently"}, {302, "Found"}, {303, "See Other"},
	    {304, "Not Modified"}, {400, "Bad Request"}, {404, "Not Found"},
	    {405, "Method Not Allowed"}, {413, "Payload Too Large"},
	    {422, "Unprocessable Entity"}, {500, "Internal Server Error"},
	    {503, "Service Unavailable"}, {504, "Gateway Timeout"}};
	for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
		if (reasons[i].status == status)
			return strlen(reasons[i].text);
	return 12; /* the median of the others */
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" for the world's rt_now(), formatted once
 * per virtual second. */
static const char *http_date(vrt_world_t *w)
{
	rt_time_t now = vrt_world_now(w);
	int64_t s = now / RT_SEC - (now % RT_SEC < 0);
	if (s != w->date_sec || !w->date[0]) {
		time_t t = (time_t)s;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(w->date, sizeof w->date, "%a, %d %b %Y %H:%M:%S GMT",
		         &tm);
		w->date_sec = s;
	}
	return w->date;
}

/* Builds the response as the live server writes it: the handler's valid
 * headers but framing ones, Content-Length, Date unless given, Connection:
 * close when |closing|; no body for HEAD, 1xx, 204, 304. Its wire size in
 * |*wire|. */
static vhresp_t *response_new(vrpc_t *r, int status,
                              const rt_http_header_t *headers, size_t n,
                              const void *body, size_t len, int closing,
                              size_t *wire)
{
	vrt_pod_t *pod = r->server;
	vhresp_t *hr = xmalloc(sizeof *hr);
	hr->status = status;
	hr->h = xmalloc((n + 3) * sizeof *hr->h); /* + the runtime's three */
	hr->nh = 0;
	int no_body = (status >= 100 && status < 200) || status == 204 ||
	              status == 304;
	int head = strcmp(r->http->method, "HEAD") == 0;
	size_t bytes = strlen("HTTP/1.1 200 \r\n") + reason_len(status);
	int has_date = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = headers[i].name, *value = headers[i].value;
		if (!is_token(name) || !is_field_value(value)) {
			rt_log(&pod->base, RT_ERROR,
			       "response header dropped: not valid HTTP", "name",
			       name ? name : "(null)", NULL);
			continue;
		}
		if (is_framing(name))
			continue;
		has_date |= ieq(name, "date");
		bytes += add_header(hr->h, &hr->nh, name, value);
	}
	if (!no_body) {
		char cl[32];
		snprintf(cl, sizeof cl, "%zu", len);
		bytes += add_header(hr->h, &hr->nh, "Content-Length", cl);
	}
	if (!has_date)
		bytes += add_header(hr->h, &hr->nh, "Date", http_date(r->w));
	if (closing)
		bytes += add_header(hr->h, &hr->nh, "Connection", "close");
	bytes += 2;
	hr->len = head || no_body ? 0 : len;
	hr->body = body_copy(body, hr->len);
	bytes += hr->len;
	*wire = bytes;
	return hr;
}

/* The server answers |status| and ends the call (|sst|: the server's
 * outcome for the observation). */
static void answer(vrpc_t *r, int status, const rt_http_header_t *headers,
                   size_t n, const void *body, size_t len, rt_status_t sst,
                   const char *why)
{
	if (r->sstate != VRT_S_HANDLER)
		vrt__die("call ended twice, or before its handler ran");
	size_t wire;
	vhresp_t *hr = response_new(r, status, headers, n, body, len, 0, &wire);
	r->http_status = status;
	r->resp_bytes = wire;
	int wanted = vrt__rpc_wanted(r);
	if (wanted) {
		r->hresp = hr;
		r->resp_wire = wire;
	} else {
		vrt__http_free(NULL, hr);
	}
	if (r->w->trace)
		vrt__trace(r->w, "call %llu respond %s %d%s%s resp=%zub%s",
		           (unsigned long long)r->id, r->server->name, status,
		           why ? " " : "", why ? why : "", wire,
		           wanted ? "" : " (dropped)");
	vrt__rpc_end(r, RT_OK, NULL, sst);
}

void vrt__http_respond(rt_call_t *call, int status,
                       const rt_http_header_t *headers, size_t n_headers,
                       const void *body, size_t body_len)
{
	vrpc_t *r = FROM_CALL(call);
	if (!r->http)
		vrt__die("rt_http_respond on a gRPC call");
	if (status < 100 || status > 599)
		vrt__die("rt_http_respond with a status outside 100..599");
	if ((n_headers && !headers) || (body_len && !body))
		vrt__die("rt_http_respond with a count but no array");
	answer(r, status, headers, n_headers, body, body_len, RT_OK, NULL);
}

void vrt__http_fail(vrpc_t *r, rt_status_t code, const char *msg)
{
	static const rt_http_header_t ct[] = {
	    {"Content-Type", "text/plain; charset=utf-8"}};
	char why[64];
	snprintf(why, sizeof why, "(rt_fail %s)", rt_status_name((int)code));
	answer(r, rt_http_status_for(code), ct, 1, msg, strlen(msg), code, why);
}

void vrt__http_callback(vrt_world_t *w, rt_http_invoke_cb cb, void *user,
                        rt_status_t st, const char *msg, vhresp_t *hr)
{
	if (!hr) {
		cb(user, st, msg, NULL);
		return;
	}
	rt_http_response_t v = {hr->status, hr->h, hr->nh, hr->body, hr->len};
	cb(user, st, msg, &v);
	vrt__http_free(NULL, hr);
}

/* ---- the server --------------------------------------------------------- */

int vrt__pod_serve_http(rt_t *rt, rt_http_handler_cb handler, void *user)
{
	vrt_pod_t *pod = (vrt_pod_t *)rt;
	if (pod->http_handler || pod->nserved) {
		errno = EBUSY;
		return -1;
	}
	if (!handler) {
		errno = EINVAL;
		return -1;
	}
	pod->http_handler = handler;
	pod->http_user = user;
	return 0;
}

/* The CPU demand's profile entry: "<service>/HTTP <METHOD> <path>" for the
 * whole path, then with a "*" in place of its last segment, then of the
 * last two, and so on: for GET /product/OLJ the keys "frontend/HTTP GET
 * /product/OLJ", "... GET /product/" + "*", "... GET /" + "*". HEAD looks
 * up GET; the profile's default when none matches. */
static const vrt_cost_t *route_cost(vrt_world_t *w, const char *service,
                                    const char *method, const char *path)
{
	char key[512];
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	/* "HTTP <method> <path>", with memcpy: once per request */
	size_t lm = strlen(method), lp = strlen(path);
	int base = (int)(5 + lm + 1), n = (int)lp;
	if (5 + lm + 1 + lp >= sizeof key - 2 || path[0] != '/')
		return vrt__profile_cost(w->profile, service, "");
	memcpy(key, "HTTP ", 5);
	memcpy(key + 5, method, lm);
	key[5 + lm] = ' ';
	memcpy(key + base, path, lp + 1);
	const vrt_cost_t *c = vrt__profile_find(w->profile, service, key);
	for (int end = base + n; !c;) {
		int slash = end - 1;
		while (slash > base && key[slash] != '/')
			slash--;
		key[slash + 1] = '*';
		key[slash + 2] = '\0';
		c = vrt__profile_find(w->profile, service, key);
		if (slash == base)
			break;
		end = slash;
	}
	return c ? c : vrt__profile_cost(w->profile, service, "");
}

/* The runtime's own answer to a request over its limits (no handler, no
 * CPU, the connection closes), as the live server's conn_error. */
static void refuse_status(vrpc_t *r, int status, const char *text)
{
	static const rt_http_header_t ct[] = {
	    {"Content-Type", "text/plain; charset=utf-8"}};
	size_t wire;
	r->hresp = response_new(r, status, ct, 1, text, strlen(text), 1, &wire);
	r->http_status = status;
	r->resp_bytes = r->resp_wire = wire;
	if (r->w->trace)
		vrt__trace(r->w, "call %llu refused %s: %d %s",
		           (unsigned long long)r->id, r->server->name, status,
		           text);
	vrt__rpc_refuse(r, RT_OK, NULL);
}

void vrt__http_view(const vrpc_t *r, const char **method, const char **target,
                    const rt_http_header_t **h, size_t *n)
{
	*method = r->http->method;
	*target = r->http->target;
	*h = r->http->h;
	*n = r->http->nh;
}

void vrt__http_local(vrpc_t *r, int status, const char *text)
{
	static const rt_http_header_t ct[] = {
	    {"Content-Type", "text/plain; charset=utf-8"}};
	size_t wire;
	if (r->hresp)
		vrt__http_free(NULL, r->hresp);
	r->hresp = response_new(r, status, ct, 1, text, strlen(text), 0, &wire);
	r->http_status = status;
	r->resp_bytes = r->resp_wire = wire;
}

static size_t max_body(vrt_pod_t *pod)
{
	const char *v = rt_env(&pod->base, "HTTP_MAX_BODY_BYTES");
	if (!v || !*v || strlen(v) > 9 || strspn(v, "0123456789") != strlen(v))
		return MAX_BODY_DEFAULT;
	return (size_t)strtoul(v, NULL, 10);
}

void vrt__http_arrive(vrpc_t *r)
{
	vrt_pod_t *pod = r->server;
	vhttp_t *h = r->http;
	if (!pod->http_handler) {
		/* nghttp2 reads the request line as a bad preface and closes
		 * the connection. */
		char m[400];
		snprintf(m, sizeof m,
		         "connection to %s (pod %s) lost: not an HTTP/1.1 server",
		         r->addr, pod->name);
		r->mlost = 1;
		vrt__rpc_refuse(r, RT_UNAVAILABLE, m);
		return;
	}
	if (h->hdr_bytes > MAX_HEADER) {
		refuse_status(r, 431, "Request Header Fields Too Large\n");
		return;
	}
	if (h->len > max_body(pod)) {
		refuse_status(r, 413, "Payload Too Large\n");
		return;
	}
	vrt__rpc_accept(r, route_cost(r->w, pod->base.service->name,
	                              h->method, h->path));
}

void vrt__http_dispatch(vrpc_t *r)
{
	vrt_pod_t *pod = r->server;
	pod->http_handler(&r->chead, &r->http->view, pod->http_user);
}

/* ---- the client --------------------------------------------------------- */

/* The request as the live client encodes it (http1_request_encode): Host
 * first, the caller's headers but Host and framing, Content-Length when
 * there is a body or the method is POST, PUT or PATCH. */
static vhttp_t *request_new(vrt_pod_t *client, const char *addr,
                            const char *method, const char *target,
                            const rt_http_header_t *headers, size_t n,
                            const void *body, size_t len)
{
	vhttp_t *h = xmalloc(sizeof *h);
	memset(h, 0, sizeof *h);
	/* method, target, path, query and remote in one block (method's). */
	const char *q = strchr(target, '?');
	const char *remote = client ? client->name : "external";
	size_t lm = strlen(method), lt = strlen(target), lr = strlen(remote);
	size_t lp = q ? (size_t)(q - target) : lt;
	size_t lq = q ? lt - lp - 1 : 0;
	char *sb = xmalloc(lm + 1 + lt + 1 + lp + 1 + lq + 1 + lr + 1);
	h->method = sb;
	h->target = (char *)memcpy(h->method + lm + 1, target, lt + 1);
	h->path = h->target + lt + 1;
	h->query = h->path + lp + 1;
	h->remote = h->query + lq + 1;
	memcpy(h->method, method, lm + 1);
	memcpy(h->path, target, lp);
	h->path[lp] = '\0';
	memcpy(h->query, q ? q + 1 : "", lq + 1);
	memcpy(h->remote, remote, lr + 1);
	h->h = xmalloc((n + 2) * sizeof *h->h);
	size_t bytes = lm + 1 + lt + strlen(" HTTP/1.1\r\n");
	bytes += add_header(h->h, &h->nh, "Host", addr);
	for (size_t i = 0; i < n; i++)
		if (!ieq(headers[i].name, "host") && !is_framing(headers[i].name))
			bytes += add_header(h->h, &h->nh, headers[i].name,
			                    headers[i].value);
	if (len || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "PATCH") == 0) {
		char cl[32];
		snprintf(cl, sizeof cl, "%zu", len);
		bytes += add_header(h->h, &h->nh, "Content-Length", cl);
	}
	bytes += 2;
	h->hdr_bytes = bytes;
	h->body = body_copy(body, len);
	h->len = len;
	h->view = (rt_http_request_t){h->method, h->target, h->path, h->query,
	                              h->h,      h->nh,     h->body, h->len,
	                              h->remote};
	return h;
}

static rt_invoke_t *http_invoke(vrt_world_t *w, vrt_pod_t *client,
                                const char *addr, const char *method,
                                const char *target,
                                const rt_http_header_t *headers, size_t n,
                                const void *body, size_t len,
                                const rt_invoke_opts_t *opts,
                                rt_http_invoke_cb cb, void *user)
{
	int ok = w && addr && strchr(addr, ':') && is_token(method) && target &&
	         *target && cb && (!n || headers) && (!len || body);
	for (const char *p = ok ? target : ""; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			ok = 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = is_token(headers[i].name) &&
		     is_field_value(headers[i].value);
	if (!ok) {
		errno = EINVAL;
		return NULL;
	}
	/* The observation's method: "GET /cart" (no query). */
	size_t lm = strlen(method), lp = strcspn(target, "?");
	char small[256];
	char *mp = lm + 1 + lp + 1 <= sizeof small ? small
	                                            : xmalloc(lm + 1 + lp + 1);
	memcpy(mp, method, lm);
	mp[lm] = ' ';
	memcpy(mp + lm + 1, target, lp);
	mp[lm + 1 + lp] = '\0';
	vrpc_t *r = vrt__rpc_new(w, client, opts, addr, "HTTP", mp,
	                         mp + lm + 1);
	if (mp != small)
		free(mp);
	if (!r)
		return NULL;
	r->http = request_new(client, addr, method, target, headers, n, body,
	                      len);
	r->hcb = cb;
	r->user = user;
	r->req_len = r->http->hdr_bytes + len;
	vrt__rpc_send(r);
	return &r->ihead;
}

rt_invoke_t *vrt__pod_http_invoke(rt_t *rt, const char *addr,
                                  const char *method, const char *target,
                                  const rt_http_header_t *headers,
                                  size_t n_headers, const void *body,
                                  size_t body_len,
                                  const rt_invoke_opts_t *opts,
                                  rt_http_invoke_cb cb, void *user)
{
	vrt_pod_t *pod = (vrt_pod_t *)rt;
	return http_invoke(pod->w, pod, addr, method, target, headers,
	                   n_headers, body, body_len, opts, cb, user);
}

rt_invoke_t *vrt_client_http(vrt_world_t *w, const char *addr,
                             const char *method, const char *target,
                             const rt_http_header_t *headers, size_t n,
                             const void *body, size_t len, rt_time_t timeout,
                             rt_http_invoke_cb cb, void *user)
{
	rt_invoke_opts_t opts = {timeout, NULL};
	return http_invoke(w, NULL, addr, method, target, headers, n, body, len,
	                   &opts, cb, user);
}

/* tests/sim/vrt_http_test.c: HTTP/1.1 in the virtual runtime (sim/vrt/http.c):
 * message sizes on the wire, rt_fail's answers, the runtime's limits, the
 * route -> cost-profile key mapping; then the real frontend with the whole
 * shop behind it (leaf services, cart, checkout), driven from outside with
 * vrt_client_http and by the load generator's virtual users as a pod;
 * deadlines, a killed frontend, determinism (Check, fork mode). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ad/ad.h"
#include "cart/cart.h"
#include "checkout/checkout.h"
#include "currency/currency.h"
#include "email/email.h"
#include "frontend/frontend.h"
#include "loadgenerator/loadgen.h"
#include "payment/payment.h"
#include "productcatalog/productcatalog.h"
#include "recommendation/recommendation.h"
#include "shipping/shipping.h"
#include "vrt.h"
#include "vrt_test_util.h"

#define FRONTEND "frontend:80"

/* ---- an HTTP outcome ------------------------------------------------------ */

typedef struct hres {
	vrt_world_t *w;
	int done;
	rt_status_t st;
	char msg[256];
	int status;
	char *body;
	size_t len;
	char location[256], cookie[256], ctype[128], clen[32], date[64];
	size_t nh;
	des_time_t at;
} hres_t;

static void on_http(void *user, rt_status_t st, const char *msg,
                    const rt_http_response_t *resp)
{
	hres_t *r = user;
	ck_assert_int_eq(r->done, 0);
	r->done = 1;
	r->st = st;
	snprintf(r->msg, sizeof r->msg, "%s", msg);
	r->at = des_now(vrt_world_des(r->w));
	ck_assert(st == RT_OK ? resp != NULL : resp == NULL);
	if (!resp)
		return;
	r->status = resp->status;
	r->nh = resp->n_headers;
	r->body = malloc(resp->body_len + 1);
	ck_assert_ptr_nonnull(r->body);
	memcpy(r->body, resp->body, resp->body_len);
	r->body[resp->body_len] = '\0';
	r->len = resp->body_len;
	for (size_t i = 0; i < resp->n_headers; i++) {
		const char *n = resp->headers[i].name, *v = resp->headers[i].value;
		if (strcmp(n, "location") == 0)
			snprintf(r->location, sizeof r->location, "%s", v);
		else if (strcmp(n, "content-type") == 0)
			snprintf(r->ctype, sizeof r->ctype, "%s", v);
		else if (strcmp(n, "content-length") == 0)
			snprintf(r->clen, sizeof r->clen, "%s", v);
		else if (strcmp(n, "date") == 0)
			snprintf(r->date, sizeof r->date, "%s", v);
		else if (strcmp(n, "set-cookie") == 0 &&
		         strncmp(v, "shop_session-id=", 16) == 0)
			snprintf(r->cookie, sizeof r->cookie, "%.*s",
			         (int)strcspn(v, ";"), v);
	}
}

static void hres_clear(hres_t *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

/* Sends a request from outside; |cookie| and |form| may be NULL. */
static rt_invoke_t *send_http(vrt_world_t *w, hres_t *r, const char *addr,
                              const char *method, const char *target,
                              const char *cookie, const char *form,
                              rt_time_t timeout)
{
	rt_http_header_t h[2];
	size_t n = 0;
	if (cookie)
		h[n++] = (rt_http_header_t){"Cookie", cookie};
	if (form)
		h[n++] = (rt_http_header_t){"Content-Type",
		                            "application/x-www-form-urlencoded"};
	hres_clear(r);
	r->w = w;
	rt_invoke_t *inv =
	    vrt_client_http(w, addr, method, target, h, n, form,
	                    form ? strlen(form) : 0, timeout, on_http, r);
	ck_assert_ptr_nonnull(inv);
	return inv;
}

/* Runs the world until |r| is done (at most a virtual minute). */
static void wait_for(vrt_world_t *w, hres_t *r)
{
	des_t *des = vrt_world_des(w);
	des_time_t limit = des_now(des) + DES_S(60);
	while (!r->done && des_now(des) < limit)
		vrt_run(w, des_now(des) + DES_MS(1));
	ck_assert_msg(r->done, "no answer within a virtual minute");
}

static void do_http(vrt_world_t *w, hres_t *r, const char *addr,
                    const char *method, const char *target,
                    const char *cookie, const char *form)
{
	send_http(w, r, addr, method, target, cookie, form, 10 * RT_SEC);
	wait_for(w, r);
}

/* ---- observations --------------------------------------------------------- */

#define MAX_OBS 256
typedef struct obs_log {
	int n;
	vrt_obs_t o[MAX_OBS];
	char method[MAX_OBS][96], server[MAX_OBS][64];
	char *text; /* every observation, one line each */
	size_t tlen, tcap;
} obs_log_t;

static void on_obs(void *user, const vrt_obs_t *o)
{
	obs_log_t *l = user;
	char line[512];
	int k = snprintf(
	    line, sizeof line, "%d %llu %lld %lld %s %s %s %s %s %d %zu %zu %d %d\n",
	    (int)o->reporter, (unsigned long long)o->id, (long long)o->start,
	    (long long)o->end, o->client ? vrt_pod_name(o->client) : "external",
	    o->server ? vrt_pod_name(o->server) : "-", o->addr, o->service,
	    o->method, (int)o->status, o->req_bytes, o->resp_bytes,
	    (int)o->proto, o->http_status);
	if (l->tlen + (size_t)k + 1 > l->tcap) {
		l->tcap = (l->tlen + (size_t)k + 1) * 2;
		l->text = realloc(l->text, l->tcap);
		ck_assert_ptr_nonnull(l->text);
	}
	memcpy(l->text + l->tlen, line, (size_t)k + 1);
	l->tlen += (size_t)k;
	if (l->n >= MAX_OBS)
		return;
	l->o[l->n] = *o;
	snprintf(l->method[l->n], 96, "%s", o->method);
	snprintf(l->server[l->n], 64, "%s",
	         o->server ? vrt_pod_name(o->server) : "-");
	l->o[l->n].method = l->method[l->n];
	l->o[l->n].service = o->proto == VRT_PROTO_HTTP ? "HTTP" : "";
	l->o[l->n].addr = "";
	l->n++;
}

static obs_log_t *obs_attach(vrt_world_t *w)
{
	obs_log_t *l = calloc(1, sizeof *l);
	ck_assert_ptr_nonnull(l);
	vrt_world_set_obs(w, on_obs, l);
	return l;
}

static void obs_free(obs_log_t *l)
{
	free(l->text);
	free(l);
}

/* The first observation by |who| of |method| (NULL: any), or NULL. */
static const vrt_obs_t *find_obs(const obs_log_t *l, vrt_reporter_t who,
                                 const char *method)
{
	for (int i = 0; i < l->n; i++)
		if (l->o[i].reporter == who &&
		    (!method || strcmp(l->o[i].method, method) == 0))
			return &l->o[i];
	return NULL;
}

/* ---- a tiny HTTP service of our own --------------------------------------- */

static void echo_http(rt_call_t *call, const rt_http_request_t *req,
                      void *user)
{
	(void)user;
	if (strcmp(req->path, "/fail") == 0) {
		rt_fail(call, RT_NOT_FOUND, "no %s here", req->query);
		return;
	}
	if (strcmp(req->path, "/reply") == 0) {
		rt_reply(call, NULL); /* a contract violation: 500 */
		return;
	}
	if (strcmp(req->path, "/hold") == 0)
		return; /* never answers: the client's deadline decides */
	static const rt_http_header_t h[] = {{"X-Seen", "1"},
	                                     {"Content-Length", "999"},
	                                     {"Bad Name", "dropped"}};
	const char *host = rt_http_header(req, "HOST");
	ck_assert_str_eq(host, "echo:80");
	if (req->body_len) {
		rt_http_respond(call, 200, h, 3, req->body, req->body_len);
		return;
	}
	rt_http_respond(call, 200, NULL, 0, "hi", 2);
}

static int echo_init(rt_t *rt)
{
	if (rt_serve_http(rt, echo_http, NULL) != 0)
		return -1;
	/* One protocol per port. */
	static const rt_service_def_t none = {"x.Y", NULL, 0};
	ck_assert_int_eq(rt_serve(rt, &none, NULL), -1);
	ck_assert_int_eq(rt_serve_http(rt, echo_http, NULL), -1);
	return 0;
}

static const rt_service_t echo_service = {"echo", 80, echo_init, NULL};

static vrt_world_t *echo_world(const char *const *env)
{
	vrt_world_t *w = world(1);
	vrt_profile_t *p = vrt_profile_new();
	ck_assert_int_eq(vrt_profile_set(p, NULL, VRT_DIST_CONSTANT, 10, 0), 0);
	vrt_world_set_profile(w, p);
	/* 100 us, 8 Mbit/s: one byte is one microsecond. */
	vrt_world_set_link_default(w, (vrt_link_t){DES_US(100), 8000000});
	start(w, &echo_service, "echo-0", env, 1, "echo:80");
	return w;
}

START_TEST(http_bytes_on_the_wire_are_exact)
{
	vrt_world_t *w = echo_world(NULL);
	obs_log_t *l = obs_attach(w);
	hres_t r = {0};
	do_http(w, &r, "echo:80", "GET", "/echo?x=1", NULL, NULL);
	ck_assert_int_eq(r.st, RT_OK);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "hi");
	ck_assert_str_eq(r.clen, "2");
	ck_assert_str_eq(r.date, "Thu, 01 Jan 2026 00:00:00 GMT");
	/* "GET /echo?x=1 HTTP/1.1\r\n" 24 + "Host: echo:80\r\n" 15 + "\r\n"
	 * 2; "HTTP/1.1 200 OK\r\n" 17 + "Content-Length: 2\r\n" 19 +
	 * "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n" 37 + 2 + "hi" 2. */
	const vrt_obs_t *c = find_obs(l, VRT_REPORT_CLIENT, "GET /echo");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->proto, VRT_PROTO_HTTP);
	ck_assert_str_eq(c->service, "HTTP");
	ck_assert_int_eq(c->http_status, 200);
	ck_assert_uint_eq(c->req_bytes, 41);
	ck_assert_uint_eq(c->resp_bytes, 77);
	/* 100 + 41 us there, 10 us of CPU, 100 + 77 us back. */
	ck_assert_int_eq(r.at, DES_US(141 + 10 + 177));
	const vrt_obs_t *s = find_obs(l, VRT_REPORT_SERVER, "GET /echo");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->status, RT_OK);
	ck_assert_int_eq(s->http_status, 200);
	ck_assert_int_eq(s->start, DES_US(141));

	/* A POST: Content-Length added; the handler's framing headers and
	 * invalid ones are not passed on. */
	do_http(w, &r, "echo:80", "POST", "/echo", NULL, "a=1");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "a=1");
	ck_assert_str_eq(r.clen, "3");
	ck_assert_uint_eq(r.nh, 3); /* x-seen, content-length, date */

	/* HEAD: no body, the length of the GET's. */
	do_http(w, &r, "echo:80", "HEAD", "/", NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_str_eq(r.clen, "2");
	hres_clear(&r);
	vrt_world_free(w);
	obs_free(l);
}
END_TEST

START_TEST(http_fail_reply_and_limits)
{
	static const char *const env[] = {"HTTP_MAX_BODY_BYTES=4", NULL};
	vrt_world_t *w = echo_world(env);
	obs_log_t *l = obs_attach(w);
	hres_t r = {0};
	do_http(w, &r, "echo:80", "GET", "/fail?cheese", NULL, NULL);
	ck_assert_int_eq(r.st, RT_OK);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(r.body, "no cheese here");
	ck_assert_str_eq(r.ctype, "text/plain; charset=utf-8");
	const vrt_obs_t *s = find_obs(l, VRT_REPORT_SERVER, "GET /fail");
	ck_assert_int_eq(s->status, RT_NOT_FOUND);
	ck_assert_int_eq(s->http_status, 404);
	ck_assert_int_eq(find_obs(l, VRT_REPORT_CLIENT, "GET /fail")->status,
	                 RT_OK);

	do_http(w, &r, "echo:80", "GET", "/reply", NULL, NULL);
	ck_assert_int_eq(r.status, 500);
	ck_assert_uint_eq(vrt_pod_log_count(vrt_world_pod(w, "echo-0"), RT_ERROR),
	                  1);

	/* Over HTTP_MAX_BODY_BYTES: 413 from the runtime, no handler. */
	do_http(w, &r, "echo:80", "POST", "/echo", NULL, "abcdef");
	ck_assert_int_eq(r.status, 413);
	/* Over 16 KiB of headers: 431. */
	char *big = malloc(17000);
	memset(big, 'x', 16999);
	big[16999] = '\0';
	do_http(w, &r, "echo:80", "GET", "/echo", big, NULL);
	ck_assert_int_eq(r.status, 431);
	free(big);
	ck_assert_uint_eq(vrt_pod_active_calls(vrt_world_pod(w, "echo-0")), 0);

	/* Bad arguments. */
	errno = 0;
	ck_assert_ptr_null(vrt_client_http(w, "echo:80", "GE T", "/", NULL, 0,
	                                   NULL, 0, 0, on_http, &r));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(vrt_client_http(w, "echo", "GET", "/", NULL, 0, NULL,
	                                   0, 0, on_http, &r));
	ck_assert_ptr_null(vrt_client_http(w, "echo:80", "GET", "/a b", NULL, 0,
	                                   NULL, 0, 0, on_http, &r));
	rt_http_header_t bad = {"X", "a\r\nb"};
	ck_assert_ptr_null(vrt_client_http(w, "echo:80", "GET", "/", &bad, 1,
	                                   NULL, 0, 0, on_http, &r));
	/* Unknown host, and HTTP to a gRPC pod. */
	do_http(w, &r, "nowhere:80", "GET", "/", NULL, NULL);
	ck_assert_int_eq(r.st, RT_UNAVAILABLE);
	ck_assert_str_eq(r.msg, "cannot connect to nowhere:80: unknown host");
	start(w, &currency_service, "currency-0", NULL, 1, "currency:7000");
	do_http(w, &r, "currency:7000", "GET", "/", NULL, NULL);
	ck_assert_int_eq(r.st, RT_UNAVAILABLE);
	ck_assert_msg(strstr(r.msg, "not an HTTP/1.1 server"), "%s", r.msg);
	hres_clear(&r);
	vrt_world_free(w);
	obs_free(l);
}
END_TEST

START_TEST(http_timeout_and_cancel_reach_the_server)
{
	vrt_world_t *w = echo_world(NULL);
	obs_log_t *l = obs_attach(w);
	vrt_pod_t *echo = vrt_world_pod(w, "echo-0");
	hres_t r = {0};
	send_http(w, &r, "echo:80", "GET", "/hold", NULL, NULL, 5 * RT_MSEC);
	wait_for(w, &r);
	ck_assert_int_eq(r.st, RT_DEADLINE_EXCEEDED);
	ck_assert_int_eq(r.at, DES_MS(5));
	/* The server's call has no deadline (HTTP carries none) ... */
	ck_assert_uint_eq(vrt_pod_active_calls(echo), 1);
	/* ... and is cancelled when the closed connection reaches it. */
	vrt_run(w, DES_MS(5) + DES_US(100));
	ck_assert_uint_eq(vrt_pod_active_calls(echo), 1); /* held, cancelled */
	const vrt_obs_t *c = find_obs(l, VRT_REPORT_CLIENT, "GET /hold");
	ck_assert_int_eq(c->status, RT_DEADLINE_EXCEEDED);
	ck_assert_int_eq(c->http_status, 0);

	/* An explicit cancel. */
	rt_invoke_t *inv =
	    send_http(w, &r, "echo:80", "GET", "/hold", NULL, NULL, 0);
	vrt_run(w, des_now(vrt_world_des(w)) + DES_MS(1));
	rt_invoke_cancel(inv);
	wait_for(w, &r);
	ck_assert_int_eq(r.st, RT_CANCELLED);
	hres_clear(&r);
	vrt_world_free(w);
	obs_free(l);
}
END_TEST

START_TEST(http_route_cost_keys)
{
	vrt_world_t *w = echo_world(NULL);
	vrt_profile_t *p = vrt_profile_new();
	ck_assert_int_eq(vrt_profile_set(p, NULL, VRT_DIST_CONSTANT, 1, 0), 0);
	ck_assert_int_eq(vrt_profile_set(p, "echo/HTTP GET /", VRT_DIST_CONSTANT,
	                                 10, 0), 0);
	ck_assert_int_eq(vrt_profile_set(p, "echo/HTTP GET /echo/*",
	                                 VRT_DIST_CONSTANT, 100, 0), 0);
	ck_assert_int_eq(vrt_profile_set(p, "echo/HTTP GET /echo/a/b",
	                                 VRT_DIST_CONSTANT, 1000, 0), 0);
	ck_assert_int_eq(vrt_profile_set(p, "echo/HTTP POST /*",
	                                 VRT_DIST_CONSTANT, 10000, 0), 0);
	vrt_world_set_profile(w, p);
	vrt_pod_t *echo = vrt_world_pod(w, "echo-0");
	static const struct {
		const char *method, *target;
		double us;
	} cases[] = {
	    {"GET", "/", 10},           {"HEAD", "/", 10},
	    {"GET", "/echo/x", 100},    {"GET", "/echo/a/c", 100},
	    {"GET", "/echo/a/b?q", 1000}, {"GET", "/other", 1},
	    {"POST", "/echo/x/y", 10000}, {"PUT", "/", 1},
	};
	hres_t r = {0};
	double before = 0;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		do_http(w, &r, "echo:80", cases[i].method, cases[i].target, NULL,
		        NULL);
		double core_ns;
		vrt_pod_cpu(echo, NULL, &core_ns, NULL);
		ck_assert_msg(core_ns - before == cases[i].us * 1e3,
		              "%s %s: %.0f ns", cases[i].method, cases[i].target,
		              core_ns - before);
		before = core_ns;
	}
	hres_clear(&r);
	vrt_world_free(w);
}
END_TEST

/* ---- the shop --------------------------------------------------------------- */

#define CATALOG "productcatalogservice:3550"
#define CURRENCY "currencyservice:7000"
#define CART "cartservice:7070"
#define RECO "recommendationservice:8080"
#define SHIPPING "shippingservice:50051"
#define CHECKOUT "checkoutservice:5050"
#define AD "adservice:9555"
#define PAYMENT "paymentservice:50051"
#define EMAIL "emailservice:5000"

typedef struct shop {
	vrt_world_t *w;
	char dir[64];
	char cart_db[128], journal[128], latency[64];
	vrt_pod_t *frontend, *catalog, *checkout;
} shop_t;

static void shop_up(shop_t *s, uint64_t seed, const char *catalog_latency)
{
	memset(s, 0, sizeof *s);
	snprintf(s->dir, sizeof s->dir, "/tmp/vrt_http_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(s->cart_db, sizeof s->cart_db, "CART_DB_PATH=%s/carts.db",
	         s->dir);
	snprintf(s->journal, sizeof s->journal,
	         "ORDER_JOURNAL_PATH=%s/orders.db", s->dir);
	snprintf(s->latency, sizeof s->latency, "EXTRA_LATENCY=%s",
	         catalog_latency ? catalog_latency : "");
	s->w = world(seed);
	char path[1024], err[512];
	snprintf(path, sizeof path, "%s/data/cost-profile.json", srcdir());
	vrt_profile_t *p = NULL;
	ck_assert_msg(vrt_profile_load(path, &p, err, sizeof err) == 0, "%s",
	              err);
	vrt_world_set_profile(s->w, p);

	const char *catalog_env[] = {s->latency, NULL};
	const char *reco_env[] = {"PRODUCT_CATALOG_SERVICE_ADDR=" CATALOG, NULL};
	const char *cart_env[] = {s->cart_db, NULL};
	const char *checkout_env[] = {
	    "PRODUCT_CATALOG_SERVICE_ADDR=" CATALOG,
	    "SHIPPING_SERVICE_ADDR=" SHIPPING,
	    "PAYMENT_SERVICE_ADDR=" PAYMENT,
	    "EMAIL_SERVICE_ADDR=" EMAIL,
	    "CURRENCY_SERVICE_ADDR=" CURRENCY,
	    "CART_SERVICE_ADDR=" CART,
	    s->journal,
	    NULL};
	const char *frontend_env[] = {
	    "PRODUCT_CATALOG_SERVICE_ADDR=" CATALOG,
	    "CURRENCY_SERVICE_ADDR=" CURRENCY,
	    "CART_SERVICE_ADDR=" CART,
	    "RECOMMENDATION_SERVICE_ADDR=" RECO,
	    "SHIPPING_SERVICE_ADDR=" SHIPPING,
	    "CHECKOUT_SERVICE_ADDR=" CHECKOUT,
	    "AD_SERVICE_ADDR=" AD,
	    NULL};
	s->catalog = start(s->w, &productcatalog_service,
	                   "productcatalogservice-0", catalog_env, 1, CATALOG);
	start(s->w, &currency_service, "currencyservice-0", NULL, 1, CURRENCY);
	start(s->w, &cart_service, "cartservice-0", cart_env, 1, CART);
	start(s->w, &recommendation_service, "recommendationservice-0",
	      reco_env, 1, RECO);
	start(s->w, &shipping_service, "shippingservice-0", NULL, 1, SHIPPING);
	start(s->w, &ad_service, "adservice-0", NULL, 1, AD);
	start(s->w, &payment_service, "paymentservice-0", NULL, 1, PAYMENT);
	start(s->w, &email_service, "emailservice-0", NULL, 1, EMAIL);
	s->checkout = start(s->w, &checkout_service, "checkoutservice-0",
	                    checkout_env, 1, CHECKOUT);
	s->frontend = start(s->w, &frontend_service, "frontend-0",
	                    frontend_env, 1, FRONTEND);
}

static void shop_down(shop_t *s)
{
	vrt_world_free(s->w);
	DIR *d = opendir(s->dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	char path[512];
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(s->dir);
}

static const char *order_form =
    "email=someone%40example.com&street_address=1600+Amphitheatre+Parkway&"
    "zip_code=94043&city=Mountain+View&state=CA&country=United+States&"
    "credit_card_number=4432-8015-6152-0454&credit_card_expiration_month=1&"
    "credit_card_expiration_year=2027&credit_card_cvv=672";

START_TEST(frontend_home_cart_and_checkout)
{
	shop_t s;
	shop_up(&s, 7, NULL);
	obs_log_t *l = obs_attach(s.w);
	hres_t r = {0};
	do_http(s.w, &r, FRONTEND, "GET", "/", NULL, NULL);
	ck_assert_int_eq(r.st, RT_OK);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strncmp(r.ctype, "text/html", 9) == 0, "%s", r.ctype);
	for (size_t i = 0; i < 9; i++) {
		char href[64];
		snprintf(href, sizeof href, "/product/%s", loadgen_products[i]);
		ck_assert_msg(strstr(r.body, href), "%s missing", href);
	}
	ck_assert_msg(strncmp(r.cookie, "shop_session-id=", 16) == 0 &&
	                  strlen(r.cookie) > 16,
	              "no session cookie");
	char cookie[256];
	snprintf(cookie, sizeof cookie, "%s", r.cookie);
	/* The page took the frontend's calls through the wire. */
	const vrt_obs_t *o = find_obs(l, VRT_REPORT_CLIENT, "GET /");
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->http_status, 200);
	ck_assert_ptr_nonnull(
	    find_obs(l, VRT_REPORT_CLIENT, "ListProducts"));
	ck_assert_ptr_nonnull(find_obs(l, VRT_REPORT_SERVER, "GetAds"));
	ck_assert_int_gt(r.at, DES_US(800)); /* two network round trips */
	/* Charged under "frontend/HTTP GET /" (180 us mean, not the 50 us
	 * default). */
	double core_ns;
	vrt_pod_cpu(s.frontend, NULL, &core_ns, NULL);
	ck_assert_msg(core_ns > 90e3 && core_ns < 500e3, "%.0f ns", core_ns);

	/* POST /cart, then GET /cart shows the item. */
	do_http(s.w, &r, FRONTEND, "POST", "/cart", cookie,
	        "product_id=OLJCESPC7Z&quantity=3");
	ck_assert_int_eq(r.status, 302);
	ck_assert_str_eq(r.location, "/cart");
	do_http(s.w, &r, FRONTEND, "GET", "/cart", cookie, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(r.body, "/product/OLJCESPC7Z"), "item missing");
	ck_assert_msg(strstr(r.body, "Sunglasses"), "item name missing");

	/* The whole checkout chain, in virtual time. */
	des_time_t t0 = des_now(vrt_world_des(s.w));
	do_http(s.w, &r, FRONTEND, "POST", "/cart/checkout", cookie,
	        order_form);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(r.body, "Your order is complete!"), "%s", r.body);
	ck_assert_msg(strstr(r.body, "someone@example.com"), "no email");
	ck_assert_int_gt(r.at - t0, DES_MS(2)); /* a dozen sequential hops */
	ck_assert_ptr_nonnull(find_obs(l, VRT_REPORT_SERVER, "PlaceOrder"));
	ck_assert_ptr_nonnull(find_obs(l, VRT_REPORT_SERVER, "Charge"));
	ck_assert_ptr_nonnull(
	    find_obs(l, VRT_REPORT_SERVER, "SendOrderConfirmation"));
	/* The cart is empty afterwards. */
	do_http(s.w, &r, FRONTEND, "GET", "/cart", cookie, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strstr(r.body, "/product/OLJCESPC7Z\""));
	hres_clear(&r);
	shop_down(&s);
	obs_free(l);
}
END_TEST

START_TEST(frontend_deadline_with_a_slow_catalog)
{
	shop_t s;
	shop_up(&s, 7, "2s");
	obs_log_t *l = obs_attach(s.w);
	hres_t r = {0};
	send_http(s.w, &r, FRONTEND, "GET", "/", NULL, NULL, 500 * RT_MSEC);
	wait_for(s.w, &r);
	ck_assert_int_eq(r.st, RT_DEADLINE_EXCEEDED);
	ck_assert_int_eq(r.at, DES_MS(500));
	vrt_run(s.w, DES_S(1));
	/* The frontend's call was cancelled one latency after the deadline,
	 * and with it its ListProducts (the catalog's call, in turn, one
	 * latency later). */
	const vrt_obs_t *fs = find_obs(l, VRT_REPORT_SERVER, "GET /");
	ck_assert_ptr_nonnull(fs);
	ck_assert_int_eq(fs->status, RT_CANCELLED);
	ck_assert_int_eq(fs->end, DES_MS(500) + DES_US(200));
	const vrt_obs_t *lp = find_obs(l, VRT_REPORT_CLIENT, "ListProducts");
	ck_assert_ptr_nonnull(lp);
	ck_assert_int_eq(lp->status, RT_CANCELLED);
	ck_assert_int_eq(lp->end, DES_MS(500) + DES_US(200));
	const vrt_obs_t *cs = find_obs(l, VRT_REPORT_SERVER, "ListProducts");
	ck_assert_ptr_nonnull(cs);
	ck_assert_int_eq(cs->status, RT_CANCELLED);
	ck_assert_int_eq(cs->end, DES_MS(500) + DES_US(400));
	ck_assert_uint_eq(vrt_pod_active_calls(s.frontend), 0);
	ck_assert_uint_eq(vrt_pod_active_calls(s.catalog), 0);

	/* The frontend's own backend timeout (3 s) against a 2 s catalog is
	 * fine: with no client timeout the page comes in ~2 s. */
	do_http(s.w, &r, FRONTEND, "GET", "/", NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	hres_clear(&r);
	shop_down(&s);
	obs_free(l);
}
END_TEST

static void kill_cb(des_t *des, void *user)
{
	(void)des;
	vrt_pod_kill(user);
}

START_TEST(killing_the_frontend_is_unavailable)
{
	shop_t s;
	shop_up(&s, 7, "1s");
	hres_t r = {0};
	send_http(s.w, &r, FRONTEND, "GET", "/", NULL, NULL, 5 * RT_SEC);
	ck_assert_int_eq(des_schedule_at(vrt_world_des(s.w), DES_MS(100),
	                                 kill_cb, s.frontend, NULL),
	                 0);
	wait_for(s.w, &r);
	ck_assert_int_eq(r.st, RT_UNAVAILABLE);
	ck_assert_int_eq(r.at, DES_MS(100) + DES_US(200));
	ck_assert_str_eq(r.msg, "connection to frontend:80 (pod frontend-0) "
	                        "lost: pod killed");
	vrt_run(s.w, DES_S(2));
	ck_assert_uint_eq(vrt_pod_active_calls(s.catalog), 0);
	do_http(s.w, &r, FRONTEND, "GET", "/", NULL, NULL);
	ck_assert_int_eq(r.st, RT_UNAVAILABLE);
	ck_assert_str_eq(r.msg, "cannot connect to frontend:80: no ready endpoint");
	hres_clear(&r);
	shop_down(&s);
}
END_TEST

/* ---- the load generator as a pod ------------------------------------------ */

typedef struct lg_run {
	uint64_t requests, failures, fnv;
	uint64_t by_route[16];
	size_t routes;
	double wall;
	uint64_t calls;
} lg_run_t;

static void drained(loadgen_t *lg, void *arg)
{
	(void)lg;
	*(int *)arg = 1;
}

static void run_loadgen(uint64_t seed, des_time_t dur, lg_run_t *out,
                        int print)
{
	shop_t s;
	shop_up(&s, seed, NULL);
	obs_log_t *l = obs_attach(s.w);
	static const char *const env[] = {
	    "FRONTEND_ADDR=" FRONTEND, "USERS=20", "RATE=5", "THINK_MIN=1s",
	    "THINK_MAX=3s", NULL};
	vrt_pod_t *pod = start(s.w, &loadgen_service, "loadgenerator-0", env, 1,
	                       NULL);
	loadgen_t *lg = rt_get_user(vrt_pod_rt(pod));
	ck_assert_ptr_nonnull(lg);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	vrt_run(s.w, dur);
	int done = 0;
	loadgen_stop(lg, drained, &done);
	while (!done && des_now(vrt_world_des(s.w)) < dur + DES_S(30))
		vrt_run(s.w, des_now(vrt_world_des(s.w)) + DES_MS(10));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert(done);
	const loadgen_stats_t *st = loadgen_stats(lg);
	const loadgen_route_t *tot = loadgen_stats_total(st);
	memset(out, 0, sizeof *out);
	out->requests = tot->requests;
	out->failures = tot->failures;
	out->routes = loadgen_stats_n_routes(st);
	for (size_t i = 0; i < out->routes && i < 16; i++)
		out->by_route[i] = loadgen_stats_route(st, i)->requests;
	for (size_t i = 0; i < loadgen_stats_n_errors(st); i++)
		fprintf(stderr, "loadgen error: %s\n",
		        loadgen_stats_error(st, i)->reason);
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < l->tlen; i++)
		h = (h ^ (unsigned char)l->text[i]) * 1099511628211ull;
	out->fnv = h;
	out->wall = (double)(b.tv_sec - a.tv_sec) +
	            (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	vrt_stats_t vs;
	vrt_world_stats(s.w, &vs);
	out->calls = vs.calls;
	if (print)
		fprintf(stderr,
		        "loadgen: %llu requests (%llu failed) in %.0f virtual s, "
		        "%llu calls in all, %.3f s of wall time\n",
		        (unsigned long long)out->requests,
		        (unsigned long long)out->failures, (double)dur / 1e9,
		        (unsigned long long)out->calls, out->wall);
	shop_down(&s);
	obs_free(l);
}

START_TEST(loadgen_users_for_a_virtual_minute)
{
	lg_run_t a, b, c;
	run_loadgen(42, DES_S(60), &a, 1);
	ck_assert_uint_eq(a.failures, 0);
	/* 20 users, a request every ~2-3 s each, for about a minute. */
	ck_assert_uint_gt(a.requests, 300);
	ck_assert_uint_ge(a.routes, 6);
	run_loadgen(42, DES_S(60), &b, 0);
	ck_assert_uint_eq(a.requests, b.requests);
	ck_assert_uint_eq(a.calls, b.calls);
	for (size_t i = 0; i < 16; i++)
		ck_assert_uint_eq(a.by_route[i], b.by_route[i]);
	ck_assert_uint_eq(a.fnv, b.fnv); /* identical observations */
	run_loadgen(43, DES_S(60), &c, 0);
	ck_assert_uint_ne(a.fnv, c.fnv);
	ck_assert_uint_eq(c.failures, 0);
}
END_TEST

/* Closed loop of external clients on GET /: virtual requests per wall
 * second (printed, not asserted: the machine is shared). */
typedef struct loop {
	vrt_world_t *w;
	int left, done;
} loop_t;

static void loop_send(loop_t *lp);

static void loop_done(void *user, rt_status_t st, const char *msg,
                      const rt_http_response_t *resp)
{
	loop_t *lp = user;
	(void)msg;
	ck_assert_int_eq(st, RT_OK);
	ck_assert_int_eq(resp->status, 200);
	lp->done++;
	loop_send(lp);
}

static void loop_send(loop_t *lp)
{
	if (lp->left <= 0)
		return;
	lp->left--;
	static const rt_http_header_t ck[] = {
	    {"Cookie", "shop_session-id=bench; shop_currency=EUR"}};
	ck_assert_ptr_nonnull(vrt_client_http(lp->w, FRONTEND, "GET", "/", ck,
	                                      1, NULL, 0, 10 * RT_SEC,
	                                      loop_done, lp));
}

START_TEST(home_page_speed)
{
	shop_t s;
	shop_up(&s, 3, NULL);
	loop_t lp = {s.w, 4000, 0};
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 16; i++)
		loop_send(&lp);
	vrt_run(s.w, DES_S(3600));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_int_eq(lp.done, 4000);
	double wall = (double)(b.tv_sec - a.tv_sec) +
	              (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	vrt_stats_t vs;
	vrt_world_stats(s.w, &vs);
	fprintf(stderr,
	        "home page: %d requests (%llu calls) in %.3f wall s: %.0f "
	        "requests/s, %.0f calls/s\n",
	        lp.done, (unsigned long long)vs.calls, wall, lp.done / wall,
	        (double)vs.calls / wall);
	shop_down(&s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vrt_http");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, http_bytes_on_the_wire_are_exact);
	tcase_add_test(tc, http_fail_reply_and_limits);
	tcase_add_test(tc, http_timeout_and_cancel_reach_the_server);
	tcase_add_test(tc, http_route_cost_keys);
	tcase_add_test(tc, frontend_home_cart_and_checkout);
	tcase_add_test(tc, frontend_deadline_with_a_slow_catalog);
	tcase_add_test(tc, killing_the_frontend_is_unavailable);
	tcase_add_test(tc, loadgen_users_for_a_virtual_minute);
	tcase_add_test(tc, home_page_speed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return run_suite(suite()); }

/* sim/load/arrivals.c: rate profiles, arrival processes and the open-loop
 * driver (see arrivals.h and sim/load/README.md). */
#include "arrivals.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loadgenerator/loadgen.h"

/* ---- profiles ------------------------------------------------------------ */

int ld_profile_check(const ld_point_t *p, size_t n, char *err, size_t errsize)
{
	if (!p || n == 0) {
		snprintf(err, errsize, "the rate profile has no point");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i].at < 0 || (i > 0 && p[i].at < p[i - 1].at)) {
			snprintf(err, errsize,
			         "point %zu: times must be >= 0 and in order", i + 1);
			return -1;
		}
		if (!(p[i].rate >= 0) || !isfinite(p[i].rate)) {
			snprintf(err, errsize, "point %zu: the rate must be >= 0",
			         i + 1);
			return -1;
		}
	}
	return 0;
}

/* Segment i runs from p[i].at to p[i+1].at (the last one for ever); its
 * rate starts at p[i].rate and ends at p[i+1].rate when p[i+1] ramps. */
static double seg_end_rate(const ld_point_t *p, size_t n, size_t i)
{
	return i + 1 < n && p[i + 1].ramp ? p[i + 1].rate : p[i].rate;
}

static double seg_len_s(const ld_point_t *p, size_t n, size_t i)
{
	return i + 1 < n ? (double)(p[i + 1].at - p[i].at) / 1e9 : INFINITY;
}

double ld_profile_rate(const ld_point_t *p, size_t n, des_time_t t)
{
	if (n == 0 || t < p[0].at)
		return 0;
	size_t i = 0;
	while (i + 1 < n && p[i + 1].at <= t)
		i++;
	double r0 = p[i].rate, r1 = seg_end_rate(p, n, i);
	if (i + 1 >= n || r0 == r1)
		return r0;
	double f = (double)(t - p[i].at) / (double)(p[i + 1].at - p[i].at);
	return r0 + (r1 - r0) * f;
}

double ld_profile_integral(const ld_point_t *p, size_t n, des_time_t t)
{
	double sum = 0;
	for (size_t i = 0; i < n && p[i].at < t; i++) {
		des_time_t end = i + 1 < n && p[i + 1].at < t ? p[i + 1].at : t;
		double s = (double)(end - p[i].at) / 1e9;
		double r1 = ld_profile_rate(p, n, end);
		if (i + 1 < n && end == p[i + 1].at)
			r1 = seg_end_rate(p, n, i);
		sum += s * (p[i].rate + r1) / 2;
	}
	return sum;
}

/* ---- arrival processes ---------------------------------------------------- */

int ld_arrivals_init(ld_arrivals_t *a, const ld_point_t *p, size_t n,
                     int deterministic, const des_rng_t *rng)
{
	char err[128];
	memset(a, 0, sizeof *a);
	if (ld_profile_check(p, n, err, sizeof err) != 0)
		return -1;
	a->p = malloc(n * sizeof *p);
	if (!a->p)
		return -1;
	memcpy(a->p, p, n * sizeof *p);
	a->n = n;
	a->deterministic = deterministic;
	a->rng = *rng;
	return 0;
}

void ld_arrivals_fini(ld_arrivals_t *a)
{
	free(a->p);
	a->p = NULL;
	a->n = 0;
}

des_time_t ld_arrivals_next(ld_arrivals_t *a)
{
	if (!a->p)
		return -1;
	/* Integrated rate, not time, is what advances: exp(1) (or exactly 1)
	 * per arrival; the time is where the integral reaches the target. */
	if (a->deterministic)
		a->target += a->started ? 1.0 : 0.0; /* the first at once */
	else
		a->target += des_rng_exp(&a->rng, 1.0);
	a->started = 1;
	for (;;) {
		size_t i = a->seg;
		double r0 = a->p[i].rate, r1 = seg_end_rate(a->p, a->n, i);
		double len = seg_len_s(a->p, a->n, i);
		double area = isinf(len) ? (r0 > 0 ? INFINITY : 0)
		                         : len * (r0 + r1) / 2;
		double need = a->target - a->level;
		if (need <= area) {
			/* Solve r0 s + b s^2 / 2 = need, b the slope, in the
			 * form that is stable for b of either sign and b = 0. */
			double b = isinf(len) ? 0 : (r1 - r0) / len;
			double disc = r0 * r0 + 2 * b * need;
			double den = r0 + sqrt(disc > 0 ? disc : 0);
			double s = den > 0 ? 2 * need / den : 0;
			if (!isinf(len) && s > len)
				s = len;
			des_time_t t = a->p[i].at + (des_time_t)(s * 1e9 + 0.5);
			if (t < a->last)
				t = a->last;
			a->last = t;
			return t;
		}
		if (i + 1 >= a->n) {
			ld_arrivals_fini(a); /* the rate stays 0: no more */
			return -1;
		}
		a->level += area;
		a->seg++;
	}
}

/* ---- routes --------------------------------------------------------------- */

static const char *const route_names[LD_N_ROUTES] = {
#define LD_ROUTE_NAME_(id, name, w) name,
    LD_ROUTE_MAP(LD_ROUTE_NAME_)
#undef LD_ROUTE_NAME_
};
static const unsigned route_weights[LD_N_ROUTES] = {
#define LD_ROUTE_W_(id, name, w) w,
    LD_ROUTE_MAP(LD_ROUTE_W_)
#undef LD_ROUTE_W_
};

const char *ld_route_name(ld_route_t r)
{
	return (unsigned)r < LD_N_ROUTES ? route_names[r] : NULL;
}

int ld_route_find(const char *name)
{
	for (int i = 0; i < LD_N_ROUTES; i++)
		if (strcmp(route_names[i], name) == 0)
			return i;
	return -1;
}

/* Copies |n| bytes of |s| to |*p| if they fit before |end| (one byte kept
 * for the NUL). */
static void put(char **p, char *end, const char *s, size_t n)
{
	if (n > (size_t)(end - *p) - 1)
		n = (size_t)(end - *p) - 1;
	memcpy(*p, s, n);
	*p += n;
}

void ld_route_of(const char *mp, char *buf, size_t size)
{
	if (size == 0)
		return;
	size_t q = strcspn(mp, "?");
	const char *sp = memchr(mp, ' ', q);
	const char *path = sp ? sp + 1 : mp;
	size_t plen = (size_t)(mp + q - path);
	static const struct {
		const char *prefix, *name;
		size_t len;
	} folds[] = {{"/product/", "/product/[id]", 9},
	             {"/static/", "/static/[file]", 8},
	             {"/business/", "/business/[path]", 10}};
	char *p = buf, *end = buf + size;
	put(&p, end, mp, (size_t)(path - mp));
	for (size_t i = 0; i < sizeof folds / sizeof *folds; i++)
		if (plen > folds[i].len &&
		    memcmp(path, folds[i].prefix, folds[i].len) == 0) {
			put(&p, end, folds[i].name, strlen(folds[i].name));
			*p = '\0';
			return;
		}
	put(&p, end, path, plen);
	*p = '\0';
}

/* ---- the driver ------------------------------------------------------------ */

struct ld_open {
	vrt_world_t *w;
	char *addr;
	int route;
	rt_time_t timeout;
	des_time_t start, duration;
	ld_arrivals_t arr;
	des_rng_t rng; /* routes, products, currencies, quantities */
	des_event_t ev;
	int running;
	uint64_t arrivals, sent, inflight;
	char checkout_form[1024];
};

typedef struct ld_req {
	ld_open_t *o;
	int route;
	uint64_t n; /* the arrival's number: its session for checkouts */
} ld_req_t;

static const rt_http_header_t form_header = {
    "Content-Type", "application/x-www-form-urlencoded"};

static void on_response(void *user, rt_status_t st, const char *msg,
                        const rt_http_response_t *resp);

static int send_req(ld_open_t *o, ld_req_t *q, const char *method,
                const char *target, const char *form, const char *cookie)
{
	rt_http_header_t h[2] = {{NULL, NULL}, {NULL, NULL}};
	size_t n = 0;
	char cbuf[64];
	if (form)
		h[n++] = form_header;
	if (cookie) {
		snprintf(cbuf, sizeof cbuf, "shop_session-id=%s", cookie);
		h[n++] = (rt_http_header_t){"Cookie", cbuf};
	}
	rt_invoke_t *inv =
	    vrt_client_http(o->w, o->addr, method, target, h, n, form,
	                    form ? strlen(form) : 0, o->timeout, on_response, q);
	if (!inv)
		return -1;
	o->sent++;
	o->inflight++;
	return 0;
}

static void session_id(const ld_req_t *q, char *buf, size_t size)
{
	snprintf(buf, size, "load-%016llx", (unsigned long long)q->n);
}

static void on_response(void *user, rt_status_t st, const char *msg,
                        const rt_http_response_t *resp)
{
	(void)msg;
	ld_req_t *q = user;
	ld_open_t *o = q->o;
	o->inflight--;
	if (q->route == LD_ROUTE_CHECKOUT && st == RT_OK && resp &&
	    resp->status < 400 && o->running >= 0) {
		/* The cart has its item: the session's second request. */
		char sid[32];
		session_id(q, sid, sizeof sid);
		q->route = -1;
		if (send_req(o, q, "POST", "/cart/checkout", o->checkout_form,
		         sid) == 0)
			return;
	}
	free(q);
}

static void arrive(des_t *des, void *user);

static void schedule_next(ld_open_t *o)
{
	des_time_t t = ld_arrivals_next(&o->arr);
	if (t < 0 || t >= o->duration) {
		o->running = 0;
		return;
	}
	if (des_schedule_full(vrt_world_des(o->w), o->start + t,
	                      DES_PRIO_DEFAULT, "load.arrival", arrive, o,
	                      &o->ev) != 0)
		o->running = 0;
}

static unsigned pick(des_rng_t *r, unsigned n)
{
	return (unsigned)des_rng_below(r, n);
}

static int pick_route(ld_open_t *o)
{
	if (o->route >= 0)
		return o->route;
	unsigned total = 0;
	for (int i = 0; i < LD_N_ROUTES; i++)
		total += route_weights[i];
	unsigned x = pick(&o->rng, total);
	for (int i = 0; i < LD_N_ROUTES; i++) {
		if (x < route_weights[i])
			return i;
		x -= route_weights[i];
	}
	return LD_ROUTE_INDEX;
}

static void arrive(des_t *des, void *user)
{
	(void)des;
	ld_open_t *o = user;
	o->ev = DES_EVENT_NULL;
	o->arrivals++;
	ld_req_t *q = malloc(sizeof *q);
	if (q) {
		q->o = o;
		q->route = pick_route(o);
		q->n = o->arrivals;
		char target[128], form[128] = "", sid[32];
		const char *product = loadgen_products[pick(&o->rng, 9)];
		int rc = -1;
		switch (q->route) {
		case LD_ROUTE_INDEX:
			rc = send_req(o, q, "GET", "/", NULL, NULL);
			break;
		case LD_ROUTE_SET_CURRENCY:
			loadgen_form_append(form, sizeof form, "currency_code",
			                    loadgen_currencies[pick(&o->rng, 6)]);
			rc = send_req(o, q, "POST", "/setCurrency", form, NULL);
			break;
		case LD_ROUTE_PRODUCT:
			snprintf(target, sizeof target, "/product/%s", product);
			rc = send_req(o, q, "GET", target, NULL, NULL);
			break;
		case LD_ROUTE_VIEW_CART:
			rc = send_req(o, q, "GET", "/cart", NULL, NULL);
			break;
		case LD_ROUTE_BUSINESS:
			rc = send_req(o, q, "GET", "/business", NULL, NULL);
			break;
		case LD_ROUTE_ADD_TO_CART:
		case LD_ROUTE_CHECKOUT: {
			char qty[8];
			snprintf(qty, sizeof qty, "%u", 1 + pick(&o->rng, 10));
			loadgen_form_append(form, sizeof form, "product_id",
			                    product);
			loadgen_form_append(form, sizeof form, "quantity", qty);
			session_id(q, sid, sizeof sid);
			rc = send_req(o, q, "POST", "/cart", form,
			          q->route == LD_ROUTE_CHECKOUT ? sid : NULL);
			break;
		}
		}
		if (rc != 0)
			free(q);
	}
	schedule_next(o);
}

ld_open_t *ld_open_new(vrt_world_t *w, const ld_open_config_t *cfg,
                       char *err, size_t errsize)
{
	if (!w || !cfg || !cfg->addr || !strchr(cfg->addr, ':')) {
		snprintf(err, errsize, "the frontend address must be host:port");
		return NULL;
	}
	if (ld_profile_check(cfg->profile, cfg->n_points, err, errsize) != 0)
		return NULL;
	if (cfg->route < -1 || cfg->route >= LD_N_ROUTES) {
		snprintf(err, errsize, "no such route");
		return NULL;
	}
	ld_open_t *o = calloc(1, sizeof *o);
	if (!o || !(o->addr = strdup(cfg->addr))) {
		free(o);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	des_rng_t r;
	uint64_t seed = vrt_world_seed(w);
	des_rng_stream(&r, seed, "load/arrivals");
	if (ld_arrivals_init(&o->arr, cfg->profile, cfg->n_points,
	                     cfg->deterministic, &r) != 0) {
		free(o->addr);
		free(o);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	des_rng_stream(&o->rng, seed, "load/routes");
	o->w = w;
	o->route = cfg->route;
	o->timeout = cfg->timeout > 0 ? cfg->timeout : 10 * RT_SEC;
	o->duration = cfg->duration > 0 ? cfg->duration : DES_TIME_MAX;

	/* One shopper's data for every checkout: the arrivals are
	 * independent, and a fixed, valid form keeps each checkout's work
	 * the same (the payment service checks the card and its expiry). */
	loadgen_checkout_form_t f = {
	    .email = "someone@example.com",
	    .street_address = "1600 Amphitheatre Parkway",
	    .zip_code = "94043",
	    .city = "Mountain View",
	    .state = "CA",
	    .country = "United States",
	    .credit_card_number = "4432801561520454",
	    .credit_card_expiration_month = 1,
	    .credit_card_expiration_year =
	        loadgen_utc_year(vrt_world_epoch(w)) + 2,
	    .credit_card_cvv = "672",
	};
	loadgen_checkout_form_encode(&f, o->checkout_form,
	                             sizeof o->checkout_form);
	return o;
}

int ld_open_start(ld_open_t *o)
{
	if (o->running)
		return -1;
	o->running = 1;
	o->start = des_now(vrt_world_des(o->w));
	schedule_next(o);
	return 0;
}

void ld_open_stop(ld_open_t *o)
{
	if (o->ev)
		des_cancel(vrt_world_des(o->w), o->ev);
	o->ev = DES_EVENT_NULL;
	o->running = -1;
}

void ld_open_free(ld_open_t *o)
{
	if (!o)
		return;
	ld_arrivals_fini(&o->arr);
	free(o->addr);
	free(o);
}

uint64_t ld_open_arrivals(const ld_open_t *o) { return o->arrivals; }
uint64_t ld_open_sent(const ld_open_t *o) { return o->sent; }
uint64_t ld_open_inflight(const ld_open_t *o) { return o->inflight; }

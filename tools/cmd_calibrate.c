/*
 * cmd_calibrate.c — `meshsim calibrate`: measures what one call costs the
 * live services' processes and writes the simulator's cost profile
 * (sim/vrt/README.md, "Cost profile").
 *
 * The shop runs as `meshsim up` runs it (the same specs, tools/cmd_up.c),
 * supervised, on a private loopback net (127.0.11.x by default). Once every
 * service is serving, each method (gRPC) and route (HTTP) is called
 * sequentially, one call at a time, from a live client on this process's
 * loop, in R rounds over every method: each round a few warm-up calls, then
 * N/R measured ones; each figure is the median of its rounds (a burst of
 * other tenants' load spoils a round, not the figure). The serving process's CPU
 * time (the sum over its threads of /proc/PID/task/TID/schedstat's
 * run time, in ns) is read before each call; a call's cost is the
 * difference to the next reading, so it covers everything the process did
 * for it: decoding, the handler, encoding, the transport, its log line, and
 * the calls it made as a client (the downstream services are other
 * processes). The mean is the total over the batch, less the process's idle
 * rate (its health probes: every 10 s once it serves) times the batch's
 * wall time; the sd is the per-call readings' spread. One call at a time
 * is what the shop sees at the loads we compare with (a few dozen
 * requests per second): no batching of syscalls between calls.
 *
 * The loopback link: for every call to a leaf (a server that calls nobody)
 * the wall time, less the server's and this client's CPU for it, halved, is
 * one hop's one-way transit. The profile's "link" is the median over the
 * gRPC leaf calls: what a typical hop waits, as the bench compares medians.
 * The mean is carried by rare, long scheduling delays (other runnable tasks
 * on a 2-vCPU VM: node-level CPU contention, not the link), which a
 * constant link would add to every hop of a many-hop request (a checkout
 * crosses ~28) although its median request meets few of them. On the
 * development VM the median is 0: the kernel's loopback work is in the two
 * processes' CPU, and this estimate cannot resolve less than ~20 us (its
 * lower quartile is about -20 us: a server's work after its reply lands in
 * its CPU reading). The quartiles and the mean are reported.
 *
 * The load generator's own CPU per request (the profile's "clients"
 * entry, which the simulator charges on the load generator's pod before
 * each request leaves): once the frontend's probes are done, the
 * `loadgenerator` program runs against the live shop with the bench's load
 * (--loadgen-users, --loadgen-rate, --loadgen-seconds) and reports its own
 * CPU time over the run ("cpu" in its --json); the figure is that over the
 * requests it made. Only the load generator gets a client cost: the other
 * services' measured costs already include the calls they make.
 *
 * Not measured: business's POST /business (a seller's upload: rare, and it
 * creates listings). Processes are not pinned; a SIGKILL of calibrate itself
 * leaves the services running (the supervisor has no parent-death signal).
 *
 * Every load loop is bounded: N calls per probe, a timeout per call, and
 * --timeout for the whole run. Children are stopped (SIGTERM, then SIGKILL)
 * on every exit path, including SIGINT/SIGTERM.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "demo.pb-c.h"
#include "health.pb-c.h"
#include "linkprobe.h"
#include "schedwake.h"
#include "live/live.h"
#include "loadgenerator/loadgen.h"
#include "loadgenerator/loadgen_fake.h"
#include "meshsim.h"
#include "supervisor.h"
#include "vrt.h"

/* protobuf-c's string fields are char *; ours are literals. */
#define STR(s) ((char *)(uintptr_t)(s))

#define CAL_WARMUP 20          /* unmeasured calls per probe */
#define CAL_CALL_TIMEOUT (5 * RT_SEC)
#define CAL_SETTLE_MS 30       /* after a batch, before the last reading */
#define CAL_IDLE_MS 1000       /* idle-rate window, once per run */

typedef struct cal cal_t;

/* One thing to measure: a gRPC method or an HTTP route of one process. */
typedef struct probe {
	const char *proc; /* the supervised process: "currencyservice" */
	const char *key;  /* the profile's key */
	/* Sends call |i| (0 .. warmup + n - 1). 0, or -1 (errno). */
	int (*send)(cal_t *c, size_t i);
	/* 1: a leaf (the server calls nobody): each call is one hop, and its
	 * wall time less both ends' CPU is the hop's transit */
	int link;
} probe_t;

typedef struct result {
	const probe_t *probe;
	double mean_us, sd_us;
	int has_link;   /* link_us is this probe's one-way transit: the mean */
	double link_us; /* of (wall - client CPU - server CPU) / 2, >= 0 */
	double wall_p50_us; /* the median call's wall time, seen by the client */
	size_t n;
} result_t;

struct cal {
	uv_loop_t *loop;
	sup_t *sup;
	rt_t *cli;
	uv_signal_t sigint, sigterm;
	uv_timer_t timer, overall;
	/* options */
	const char *out;
	size_t calls, warmup;
	size_t rounds, batch; /* calls = rounds x batch measured calls */
	int quiet;
	double timeout_s, ready_timeout_s;
	char cmdline[512];
	/* the run */
	const probe_t **probes;
	size_t n_probes, cur;
	size_t i;               /* call index in the current probe */
	int phase;              /* 0 idle-rate, 1 warm-up, 2 measuring, 3 settle */
	double *idle_rate;      /* ns of CPU per ns of wall, per shop entry */
	uint64_t *idle_cpu0;
	uint64_t idle_wall0;
	uint64_t cpu_start, cpu_prev, wall_start, call_wall0, call_cli0;
	double *samples, *lsamples, *walls;
	size_t n_samples, n_lsamples;
	double hop_sum, hop_http_sum; /* one-way transits of the leaf calls, ns */
	size_t hop_n, hop_http_n;
	double *hops;          /* every gRPC leaf call's transit, ns */
	size_t n_hops, cap_hops;
	/* the load generator's client cost */
	const char *bin_dir, *state;
	unsigned lg_users;
	double lg_rate, lg_seconds; /* lg_seconds 0: not measured */
	int lg_on, lg_running;
	uv_process_t lg_proc;
	char lg_json[4200];
	double lg_us, lg_user_us, lg_sys_us; /* per request */
	uint64_t lg_requests;
	int has_lg;
	/* the link's jitter: the probe runs beside the load generator */
	double link_seconds, link_rate; /* link_seconds < 0: lg_seconds */
	double stall_ms;                /* --wakeups-stall (schedwake.h) */
	size_t nstalls;                 /* stalls read from the record ... */
	double stall_rate;              /* ... per second of the tasks' CPU */
	lp_result_t stall_q;            /* their lengths (one band) */
	double stall_min_us;            /* the shortest */
	size_t nfreezes;                /* the stalls merged into freezes ... */
	double freeze_per_wakeup;       /* ... per wake-up of the tasks (every CPU's) */
	double freeze_rate;             /* ... per second of the tasks' CPU (said only) */
	lp_result_t freeze_q;           /* their lengths (one band) */
	double freeze_min_us;           /* the shortest */
	lp_probe_t lp;
	int lp_running, has_jitter;
	lp_result_t jit;
	result_t *results;    /* one per probe: the medians over the rounds */
	result_t *by_round;   /* [probe * rounds + round] */
	size_t n_results, round;
	int inflight; /* a call of the current probe is under way */
	int started, stopping, failed, measured;
	char year[8];
	char form[1024];
};


static void say(cal_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(cal_t *c, const char *fmt, ...)
{
	if (c->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("meshsim calibrate: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- CPU time of a process ------------------------------------------- */

/* The CPU time of every thread of |pid| in ns: the first field of
 * /proc/PID/task/TID/schedstat (exact, unlike the tick-based /proc/PID/stat).
 * 0, or -1 when the process is gone or schedstat is unavailable. */
static int proc_cpu_ns(int pid, uint64_t *ns)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	uint64_t sum = 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[96];
		snprintf(p, sizeof p, "/proc/%d/task/%.16s/schedstat", pid, e->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue; /* a thread that just ended */
		unsigned long long run = 0;
		if (fscanf(f, "%llu", &run) == 1) {
			sum += run;
			n++;
		}
		fclose(f);
	}
	closedir(d);
	if (n == 0)
		return -1;
	*ns = sum;
	return 0;
}

static uint64_t wall_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t self_cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ---- the shop -------------------------------------------------------- */

static size_t shop_index(const char *name)
{
	for (size_t i = 0; i < MSIM_SHOP_LEN; i++)
		if (!strcmp(msim_shop[i].name, name))
			return i;
	return (size_t)-1;
}

static sup_proc_t *find_proc(cal_t *c, const char *name)
{
	for (size_t i = 0; i < sup_count(c->sup); i++)
		if (!strcmp(sup_proc_name(sup_proc(c->sup, i)), name))
			return sup_proc(c->sup, i);
	return NULL;
}

static const char *addr_of(cal_t *c, const char *name)
{
	sup_proc_t *p = find_proc(c, name);
	return p ? sup_proc_addr(p) : "";
}

/* ---- the calls ------------------------------------------------------- */

static void next_step(cal_t *c);
static void start_loadgen(cal_t *c);
static void fail_run(cal_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void grpc_done(void *user, rt_status_t st, const char *msg,
                      ProtobufCMessage *resp)
{
	cal_t *c = user;
	rt_msg_free(resp);
	if (c->stopping)
		return;
	if (st != RT_OK) {
		fail_run(c, "%s: call %zu failed: %s: %s", c->probes[c->cur]->key,
		         c->i, rt_status_name(st), msg);
		return;
	}
	next_step(c);
}

static void http_done(void *user, rt_status_t st, const char *msg,
                      const rt_http_response_t *resp)
{
	cal_t *c = user;
	if (c->stopping)
		return;
	if (st != RT_OK) {
		fail_run(c, "%s: call %zu failed: %s: %s", c->probes[c->cur]->key,
		         c->i, rt_status_name(st), msg);
		return;
	}
	if (resp->status >= 400) {
		fail_run(c, "%s: call %zu answered HTTP %d: %.*s",
		         c->probes[c->cur]->key, c->i, resp->status,
		         (int)(resp->body_len > 200 ? 200 : resp->body_len),
		         (const char *)resp->body);
		return;
	}
	next_step(c);
}

static int grpc(cal_t *c, const char *proc, const char *svc, const char *method,
                const ProtobufCMessage *req, const ProtobufCMessageDescriptor *out)
{
	rt_invoke_opts_t o = {.timeout = CAL_CALL_TIMEOUT};
	return rt_invoke(c->cli, addr_of(c, proc), svc, method, req, out, &o,
	                 grpc_done, c) ? 0 : -1;
}

/* Session |i| of the frontend's probes: the same i is the same shopper in
 * every probe, so POST /cart fills the cart GET /cart shows and
 * POST /cart/checkout buys. */
static int http(cal_t *c, const char *proc, const char *method,
                const char *target, size_t i, const char *body)
{
	char cookie[160];
	snprintf(cookie, sizeof cookie,
	         "shop_session-id=0ca1b0a7-0000-4000-8000-%012zx; shop_currency=%s",
	         i, loadgen_currencies[i % 6]);
	rt_http_header_t h[3];
	size_t n = 0;
	h[n++] = (rt_http_header_t){"Cookie", cookie};
	h[n++] = (rt_http_header_t){"Accept", "text/html,*/*"};
	if (body)
		h[n++] = (rt_http_header_t){"Content-Type",
		                            "application/x-www-form-urlencoded"};
	rt_invoke_opts_t o = {.timeout = CAL_CALL_TIMEOUT};
	return rt_http_invoke(c->cli, addr_of(c, proc), method, target, h, n, body,
	                      body ? strlen(body) : 0, &o, http_done, c) ? 0 : -1;
}

static const char *product(size_t i) { return loadgen_products[i % 9]; }

static void user_id(char *buf, size_t size, size_t i)
{
	snprintf(buf, size, "calibrate-user-%zu", i);
}

static Hipstershop__Address *address(Hipstershop__Address *a)
{
	hipstershop__address__init(a);
	a->street_address = STR("1600 Amphitheatre Parkway");
	a->city = STR("Mountain View");
	a->state = STR("CA");
	a->country = STR("United States");
	a->zip_code = 94043;
	return a;
}

static Hipstershop__CreditCardInfo *card(cal_t *c, Hipstershop__CreditCardInfo *k)
{
	hipstershop__credit_card_info__init(k);
	k->credit_card_number = STR("4432801561520454");
	k->credit_card_cvv = 672;
	k->credit_card_expiration_year = atoi(c->year) + 2;
	k->credit_card_expiration_month = 1;
	return k;
}

static int s_health(cal_t *c, size_t i)
{
	(void)i;
	Grpc__Health__V1__HealthCheckRequest r = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	r.service = STR("");
	return grpc(c, "currencyservice", "grpc.health.v1.Health", "Check",
	            &r.base, &grpc__health__v1__health_check_response__descriptor);
}

static int s_convert(cal_t *c, size_t i)
{
	Hipstershop__Money m = HIPSTERSHOP__MONEY__INIT;
	m.currency_code = STR("USD");
	m.units = 10 + (int64_t)(i % 90);
	m.nanos = 990000000;
	Hipstershop__CurrencyConversionRequest r = HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
	r.from = &m;
	r.to_code = (char *)loadgen_currencies[i % 6];
	return grpc(c, "currencyservice", "hipstershop.CurrencyService", "Convert",
	            &r.base, &hipstershop__money__descriptor);
}

static int s_currencies(cal_t *c, size_t i)
{
	(void)i;
	Hipstershop__Empty r = HIPSTERSHOP__EMPTY__INIT;
	return grpc(c, "currencyservice", "hipstershop.CurrencyService",
	            "GetSupportedCurrencies", &r.base,
	            &hipstershop__get_supported_currencies_response__descriptor);
}

static int s_list_products(cal_t *c, size_t i)
{
	(void)i;
	Hipstershop__Empty r = HIPSTERSHOP__EMPTY__INIT;
	return grpc(c, "productcatalogservice", "hipstershop.ProductCatalogService",
	            "ListProducts", &r.base, &hipstershop__list_products_response__descriptor);
}

static int s_get_product(cal_t *c, size_t i)
{
	Hipstershop__GetProductRequest r = HIPSTERSHOP__GET_PRODUCT_REQUEST__INIT;
	r.id = (char *)product(i);
	return grpc(c, "productcatalogservice", "hipstershop.ProductCatalogService",
	            "GetProduct", &r.base, &hipstershop__product__descriptor);
}

static int s_search(cal_t *c, size_t i)
{
	static const char *const q[] = {"kitchen", "vintage", "glass", "watch"};
	Hipstershop__SearchProductsRequest r = HIPSTERSHOP__SEARCH_PRODUCTS_REQUEST__INIT;
	r.query = (char *)q[i % 4];
	return grpc(c, "productcatalogservice", "hipstershop.ProductCatalogService",
	            "SearchProducts", &r.base, &hipstershop__search_products_response__descriptor);
}

static int shipping(cal_t *c, size_t i, const char *method,
                    const ProtobufCMessageDescriptor *out)
{
	Hipstershop__Address a;
	Hipstershop__CartItem it = HIPSTERSHOP__CART_ITEM__INIT;
	it.product_id = (char *)product(i);
	it.quantity = 1 + (int32_t)(i % 3);
	Hipstershop__CartItem *items[1] = {&it};
	/* GetQuoteRequest and ShipOrderRequest have the same fields. */
	Hipstershop__GetQuoteRequest q = HIPSTERSHOP__GET_QUOTE_REQUEST__INIT;
	Hipstershop__ShipOrderRequest s = HIPSTERSHOP__SHIP_ORDER_REQUEST__INIT;
	q.address = address(&a);
	s.address = q.address;
	q.n_items = s.n_items = 1;
	q.items = items;
	s.items = items;
	return grpc(c, "shippingservice", "hipstershop.ShippingService", method,
	            !strcmp(method, "GetQuote") ? &q.base : &s.base, out);
}

static int s_quote(cal_t *c, size_t i)
{
	return shipping(c, i, "GetQuote", &hipstershop__get_quote_response__descriptor);
}

static int s_ship(cal_t *c, size_t i)
{
	return shipping(c, i, "ShipOrder", &hipstershop__ship_order_response__descriptor);
}

static int s_charge(cal_t *c, size_t i)
{
	Hipstershop__Money m = HIPSTERSHOP__MONEY__INIT;
	m.currency_code = STR("USD");
	m.units = 20 + (int64_t)(i % 50);
	Hipstershop__CreditCardInfo k;
	Hipstershop__ChargeRequest r = HIPSTERSHOP__CHARGE_REQUEST__INIT;
	r.amount = &m;
	r.credit_card = card(c, &k);
	return grpc(c, "paymentservice", "hipstershop.PaymentService", "Charge",
	            &r.base, &hipstershop__charge_response__descriptor);
}

static int s_confirm(cal_t *c, size_t i)
{
	char oid[64];
	snprintf(oid, sizeof oid, "calibrate-order-%zu", i);
	Hipstershop__Address a;
	Hipstershop__Money cost = HIPSTERSHOP__MONEY__INIT, ship = HIPSTERSHOP__MONEY__INIT;
	cost.currency_code = STR("USD");
	ship.currency_code = STR("USD");
	cost.units = 19;
	ship.units = 8;
	Hipstershop__CartItem it = HIPSTERSHOP__CART_ITEM__INIT;
	it.product_id = (char *)product(i);
	it.quantity = 1;
	Hipstershop__OrderItem oi = HIPSTERSHOP__ORDER_ITEM__INIT;
	oi.item = &it;
	oi.cost = &cost;
	Hipstershop__OrderItem *items[1] = {&oi};
	Hipstershop__OrderResult o = HIPSTERSHOP__ORDER_RESULT__INIT;
	o.order_id = oid;
	o.shipping_tracking_id = STR("CA-123-456");
	o.shipping_cost = &ship;
	o.shipping_address = address(&a);
	o.n_items = 1;
	o.items = items;
	Hipstershop__SendOrderConfirmationRequest r =
	    HIPSTERSHOP__SEND_ORDER_CONFIRMATION_REQUEST__INIT;
	r.email = STR("someone@example.com");
	r.order = &o;
	return grpc(c, "emailservice", "hipstershop.EmailService",
	            "SendOrderConfirmation", &r.base, &hipstershop__empty__descriptor);
}

static int s_verify(cal_t *c, size_t i)
{
	Hipstershop__SendVerificationRequest r = HIPSTERSHOP__SEND_VERIFICATION_REQUEST__INIT;
	r.email = STR("seller@example.com");
	r.product_name = (char *)product(i);
	r.price = 12.5f;
	return grpc(c, "emailservice", "hipstershop.EmailService",
	            "SendVerificationEmail", &r.base,
	            &hipstershop__send_verification_response__descriptor);
}

static int s_ads(cal_t *c, size_t i)
{
	static const char *const keys[] = {"kitchen", "accessories", "clothing", "footwear"};
	Hipstershop__AdRequest r = HIPSTERSHOP__AD_REQUEST__INIT;
	char *k[1] = {STR(keys[i % 4])};
	r.n_context_keys = 1;
	r.context_keys = k;
	return grpc(c, "adservice", "hipstershop.AdService", "GetAds", &r.base,
	            &hipstershop__ad_response__descriptor);
}

static int s_recommend(cal_t *c, size_t i)
{
	char uid[48];
	user_id(uid, sizeof uid, i);
	char *ids[1] = {(char *)product(i)};
	Hipstershop__ListRecommendationsRequest r =
	    HIPSTERSHOP__LIST_RECOMMENDATIONS_REQUEST__INIT;
	r.user_id = uid;
	r.n_product_ids = 1;
	r.product_ids = ids;
	return grpc(c, "recommendationservice", "hipstershop.RecommendationService",
	            "ListRecommendations", &r.base,
	            &hipstershop__list_recommendations_response__descriptor);
}

static int s_add_item(cal_t *c, size_t i)
{
	char uid[48];
	user_id(uid, sizeof uid, i);
	Hipstershop__CartItem it = HIPSTERSHOP__CART_ITEM__INIT;
	it.product_id = (char *)product(i);
	it.quantity = 1;
	Hipstershop__AddItemRequest r = HIPSTERSHOP__ADD_ITEM_REQUEST__INIT;
	r.user_id = uid;
	r.item = &it;
	return grpc(c, "cartservice", "hipstershop.CartService", "AddItem", &r.base,
	            &hipstershop__empty__descriptor);
}

static int s_get_cart(cal_t *c, size_t i)
{
	char uid[48];
	user_id(uid, sizeof uid, i);
	Hipstershop__GetCartRequest r = HIPSTERSHOP__GET_CART_REQUEST__INIT;
	r.user_id = uid;
	return grpc(c, "cartservice", "hipstershop.CartService", "GetCart", &r.base,
	            &hipstershop__cart__descriptor);
}

static int s_empty_cart(cal_t *c, size_t i)
{
	char uid[48];
	user_id(uid, sizeof uid, i);
	Hipstershop__EmptyCartRequest r = HIPSTERSHOP__EMPTY_CART_REQUEST__INIT;
	r.user_id = uid;
	return grpc(c, "cartservice", "hipstershop.CartService", "EmptyCart", &r.base,
	            &hipstershop__empty__descriptor);
}

/* After AddItem for the same users: each order has one line. */
static int s_place_order(cal_t *c, size_t i)
{
	char uid[48];
	user_id(uid, sizeof uid, i);
	Hipstershop__Address a;
	Hipstershop__CreditCardInfo k;
	Hipstershop__PlaceOrderRequest r = HIPSTERSHOP__PLACE_ORDER_REQUEST__INIT;
	r.user_id = uid;
	r.user_currency = (char *)loadgen_currencies[i % 6];
	r.address = address(&a);
	r.email = STR("someone@example.com");
	r.credit_card = card(c, &k);
	return grpc(c, "checkoutservice", "hipstershop.CheckoutService", "PlaceOrder",
	            &r.base, &hipstershop__place_order_response__descriptor);
}

static int s_fe_home(cal_t *c, size_t i) { return http(c, "frontend", "GET", "/", i, NULL); }

static int s_fe_product(cal_t *c, size_t i)
{
	char t[64];
	snprintf(t, sizeof t, "/product/%s", product(i));
	return http(c, "frontend", "GET", t, i, NULL);
}

static int s_fe_currency(cal_t *c, size_t i)
{
	char b[64];
	snprintf(b, sizeof b, "currency_code=%s", loadgen_currencies[(i + 1) % 6]);
	return http(c, "frontend", "POST", "/setCurrency", i, b);
}

static int s_fe_add(cal_t *c, size_t i)
{
	char b[96];
	snprintf(b, sizeof b, "product_id=%s&quantity=%zu", product(i), 1 + i % 3);
	return http(c, "frontend", "POST", "/cart", i, b);
}

static int s_fe_cart(cal_t *c, size_t i) { return http(c, "frontend", "GET", "/cart", i, NULL); }

static int s_fe_checkout(cal_t *c, size_t i)
{
	return http(c, "frontend", "POST", "/cart/checkout", i, c->form);
}

static int s_fe_empty(cal_t *c, size_t i)
{
	return http(c, "frontend", "POST", "/cart/empty", i, "");
}

static int s_fe_logout(cal_t *c, size_t i) { return http(c, "frontend", "GET", "/logout", i, NULL); }

static int s_fe_static(cal_t *c, size_t i)
{
	return http(c, "frontend", "GET", i % 2 ? "/static/styles.css" : "/static/favicon.svg", i, NULL);
}

static int s_fe_health(cal_t *c, size_t i) { return http(c, "frontend", "GET", "/_healthz", i, NULL); }

static int s_biz_form(cal_t *c, size_t i) { return http(c, "business", "GET", "/business", i, NULL); }

static int s_biz_api(cal_t *c, size_t i)
{
	return http(c, "business", "GET", "/business/api/listings", i, NULL);
}

/* In the order they run: carts are filled before they are read, bought
 * from and emptied. Every key of the committed profile, except business's
 * listing creation (POST /business: a seller's upload, rare and stateful). */
static const probe_t all_probes[] = {
    {"currencyservice", "grpc.health.v1.Health/Check", s_health, 1},
    {"currencyservice", "hipstershop.CurrencyService/Convert", s_convert, 1},
    {"currencyservice", "hipstershop.CurrencyService/GetSupportedCurrencies", s_currencies, 1},
    {"productcatalogservice", "hipstershop.ProductCatalogService/ListProducts", s_list_products, 1},
    {"productcatalogservice", "hipstershop.ProductCatalogService/GetProduct", s_get_product, 1},
    {"productcatalogservice", "hipstershop.ProductCatalogService/SearchProducts", s_search, 1},
    {"shippingservice", "hipstershop.ShippingService/GetQuote", s_quote, 1},
    {"shippingservice", "hipstershop.ShippingService/ShipOrder", s_ship, 1},
    {"paymentservice", "hipstershop.PaymentService/Charge", s_charge, 1},
    {"emailservice", "hipstershop.EmailService/SendOrderConfirmation", s_confirm, 1},
    {"emailservice", "hipstershop.EmailService/SendVerificationEmail", s_verify, 1},
    {"adservice", "hipstershop.AdService/GetAds", s_ads, 1},
    {"recommendationservice", "hipstershop.RecommendationService/ListRecommendations", s_recommend, 0},
    {"cartservice", "hipstershop.CartService/AddItem", s_add_item, 1},
    {"cartservice", "hipstershop.CartService/GetCart", s_get_cart, 1},
    {"checkoutservice", "hipstershop.CheckoutService/PlaceOrder", s_place_order, 0},
    {"cartservice", "hipstershop.CartService/EmptyCart", s_empty_cart, 1},
    {"frontend", "frontend/HTTP GET /_healthz", s_fe_health, 1},
    {"frontend", "frontend/HTTP POST /setCurrency", s_fe_currency, 1},
    {"frontend", "frontend/HTTP GET /", s_fe_home, 0},
    {"frontend", "frontend/HTTP GET /product/*", s_fe_product, 0},
    {"frontend", "frontend/HTTP POST /cart", s_fe_add, 0},
    {"frontend", "frontend/HTTP GET /cart", s_fe_cart, 0},
    {"frontend", "frontend/HTTP POST /cart/checkout", s_fe_checkout, 0},
    {"frontend", "frontend/HTTP POST /cart/empty", s_fe_empty, 0},
    {"frontend", "frontend/HTTP GET /logout", s_fe_logout, 1},
    {"frontend", "frontend/HTTP GET /static/*", s_fe_static, 1},
    {"business", "business/HTTP GET /business", s_biz_form, 0},
    {"business", "business/HTTP GET /business/api/listings", s_biz_api, 0},
};
#define N_ALL (sizeof all_probes / sizeof *all_probes)

/* ---- the measurement ------------------------------------------------- */

static int pid_of(cal_t *c, const char *name)
{
	sup_proc_t *p = find_proc(c, name);
	return p ? sup_proc_pid(p) : 0;
}

static int read_cpu(cal_t *c, const char *name, uint64_t *ns)
{
	int pid = pid_of(c, name);
	if (pid <= 0 || proc_cpu_ns(pid, ns) != 0) {
		fail_run(c, "cannot read the CPU time of %s (pid %d) from "
		            "/proc/PID/task/*/schedstat: %s",
		         name, pid, pid <= 0 ? "not running" : strerror(errno));
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void send_current(cal_t *c)
{
	const probe_t *p = c->probes[c->cur];
	if (p->send(c, c->i) != 0)
		fail_run(c, "%s: cannot send call %zu: %s", p->key, c->i, strerror(errno));
}

/* A measured call: its wall and client-CPU clocks start here. */
static void start_call(cal_t *c)
{
	c->inflight = 1;
	c->call_wall0 = wall_ns();
	c->call_cli0 = self_cpu_ns();
	send_current(c);
}

static void finish_probe(cal_t *c)
{
	const probe_t *p = c->probes[c->cur];
	uint64_t end;
	if (read_cpu(c, p->proc, &end) != 0)
		return;
	uint64_t wall = wall_ns() - c->wall_start;
	size_t k = shop_index(p->proc);
	double total = (double)(end - c->cpu_start) - c->idle_rate[k] * (double)wall;
	/* The last call's reading is the settled one. */
	c->samples[c->n_samples - 1] = (double)(end - c->cpu_prev);
	double mean = total / (double)c->batch / 1e3;
	if (mean < 0.1)
		mean = 0.1; /* idle noise larger than the call: keep it positive */
	double m = 0, v = 0;
	for (size_t j = 0; j < c->n_samples; j++)
		m += c->samples[j];
	m /= (double)c->n_samples;
	for (size_t j = 0; j < c->n_samples; j++)
		v += (c->samples[j] - m) * (c->samples[j] - m);
	double sd = c->n_samples > 1 ? sqrt(v / (double)(c->n_samples - 1)) / 1e3 : 0;
	qsort(c->walls, c->n_samples, sizeof *c->walls, cmp_double);
	result_t *r = &c->by_round[c->cur * c->rounds + c->round];
	*r = (result_t){.probe = p, .mean_us = mean, .sd_us = sd, .n = c->batch,
	                .wall_p50_us = c->walls[c->n_samples / 2] / 1e3};
	if (p->link && c->n_lsamples > 0) {
		/* The mean, not the median: a chain of n calls waits n times
		 * the mean (scheduling delays on a busy machine are rare but
		 * long, and the simulator's link is a constant). */
		double sum = 0;
		for (size_t j = 0; j < c->n_lsamples; j++)
			sum += c->lsamples[j];
		r->has_link = 1;
		r->link_us = fmax(0, sum / (double)c->n_lsamples / 1e3);
		if (strstr(p->key, "/HTTP ")) {
			c->hop_http_sum += sum;
			c->hop_http_n += c->n_lsamples;
		} else {
			c->hop_sum += sum;
			c->hop_n += c->n_lsamples;
			if (c->n_hops + c->n_lsamples > c->cap_hops) {
				size_t cap = 2 * (c->n_hops + c->n_lsamples);
				double *nh = realloc(c->hops, cap * sizeof *nh);
				if (!nh) {
					fail_run(c, "out of memory");
					return;
				}
				c->hops = nh;
				c->cap_hops = cap;
			}
			memcpy(c->hops + c->n_hops, c->lsamples,
			       c->n_lsamples * sizeof *c->hops);
			c->n_hops += c->n_lsamples;
		}
	}
	if (r->has_link)
		say(c, "%-54s CPU mean %7.1f us sd %7.1f  wall p50 %7.1f us  transit %.1f us",
		    p->key, r->mean_us, r->sd_us, r->wall_p50_us, r->link_us);
	else
		say(c, "%-54s CPU mean %7.1f us sd %7.1f  wall p50 %7.1f us", p->key, r->mean_us,
		    r->sd_us, r->wall_p50_us);
	c->cur++;
	if (c->cur == c->n_probes && c->round + 1 < c->rounds) {
		c->round++;
		c->cur = 0;
		say(c, "round %zu of %zu", c->round + 1, c->rounds);
	}
	c->i = 0;
	c->phase = 1;
	next_step(c);
}

static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Each probe's figures: the medians of its rounds' (a burst of other
 * tenants' load spoils one round, not the result). */
static void combine_rounds(cal_t *c)
{
	double m[64], sd[64], w[64], l[64];
	size_t R = c->rounds < 64 ? c->rounds : 64;
	for (size_t k = 0; k < c->n_probes; k++) {
		const result_t *a = &c->by_round[k * c->rounds];
		for (size_t j = 0; j < R; j++) {
			m[j] = a[j].mean_us;
			sd[j] = a[j].sd_us;
			w[j] = a[j].wall_p50_us;
			l[j] = a[j].link_us;
		}
		result_t *r = &c->results[k];
		*r = a[0];
		r->mean_us = median_of(m, R);
		r->sd_us = median_of(sd, R);
		r->wall_p50_us = median_of(w, R);
		r->link_us = median_of(l, R);
		r->n = c->batch * c->rounds;
	}
	c->n_results = c->n_probes;
}

static void timer_cb(uv_timer_t *t)
{
	cal_t *c = t->data;
	if (c->stopping)
		return;
	if (c->phase == 0) {
		/* The idle rate of every process. */
		uint64_t wall = wall_ns() - c->idle_wall0;
		for (size_t i = 0; i < sup_count(c->sup); i++) {
			sup_proc_t *p = sup_proc(c->sup, i);
			uint64_t now;
			if (proc_cpu_ns(sup_proc_pid(p), &now) != 0) {
				fail_run(c, "cannot read the CPU time of %s", sup_proc_name(p));
				return;
			}
			size_t k = shop_index(sup_proc_name(p));
			c->idle_rate[k] = (double)(now - c->idle_cpu0[k]) / (double)wall;
			say(c, "idle: %-22s %.1f us of CPU per second", sup_proc_name(p),
			    c->idle_rate[k] * 1e6);
		}
		c->phase = 1;
		c->i = 0;
		next_step(c);
		return;
	}
	if (c->phase == 5)
		fail_run(c, NULL);
	else if (c->phase == 3)
		finish_probe(c);
	else if (c->phase == 4) {
		/* Between warm-up and measurement: the warm-up's tail is done. */
		const probe_t *p = c->probes[c->cur];
		if (read_cpu(c, p->proc, &c->cpu_start) != 0)
			return;
		c->cpu_prev = c->cpu_start;
		c->wall_start = wall_ns();
		c->phase = 2;
		c->n_samples = c->n_lsamples = 0;
		start_call(c);
	}
}

/* ---- the load generator's own CPU -------------------------------------- */

static void lg_closed(uv_handle_t *h)
{
	(void)h;
}

/* Reads the program's --json: requests and its CPU over the run. */
static int lg_read(cal_t *c)
{
	json_error_t je;
	json_t *root = json_load_file(c->lg_json, 0, &je);
	if (!root) {
		fail_run(c, "loadgenerator: cannot read %s: %s", c->lg_json, je.text);
		return -1;
	}
	json_t *total = json_object_get(root, "total"), *cpu = json_object_get(root, "cpu");
	json_int_t req = json_integer_value(json_object_get(total, "requests"));
	json_int_t fails = json_integer_value(json_object_get(total, "failures"));
	json_int_t ns = json_integer_value(json_object_get(cpu, "total_ns"));
	json_int_t uns = json_integer_value(json_object_get(cpu, "user_ns"));
	json_int_t sns = json_integer_value(json_object_get(cpu, "sys_ns"));
	json_decref(root);
	if (req <= 0 || ns <= 0) {
		fail_run(c, "loadgenerator: %s has no requests or no \"cpu\" (an old "
		            "loadgenerator?)", c->lg_json);
		return -1;
	}
	if (fails * 20 > req) {
		fail_run(c, "loadgenerator: %lld of %lld requests failed", (long long)fails,
		         (long long)req);
		return -1;
	}
	c->lg_requests = (uint64_t)req;
	c->lg_us = (double)ns / (double)req / 1e3;
	c->lg_user_us = (double)uns / (double)req / 1e3;
	c->lg_sys_us = (double)sns / (double)req / 1e3;
	return 0;
}

static void say_jitter(cal_t *c, const lp_result_t *j, lp_source_t src)
{
	if (src == LP_PROBE)
		say(c, "%-54s one way: floor %.1f us, median %.1f, mean %.1f, p99 %.1f, max %.1f "
		       "(%zu messages)", "link (loopback TCP, a sleeping receiver)", j->floor_us,
		    j->median_us, j->mean_us, j->p99_us, j->max_us, j->n);
	else
		say(c, "%-54s wait for a CPU: median %.1f us, mean %.1f, p99 %.1f, max %.1f "
		       "(%zu wake-ups)", "wake-ups (the record's chosen processes)", j->median_us,
		    j->mean_us, j->p99_us, j->max_us, j->n);
	for (unsigned b = 0; b < j->nbands; b++) {
		const lp_band_t *bd = &j->band[b];
		char what[80], p99[32] = "";
		if (bd->slept_below_us > 0)
			snprintf(what, sizeof what, "  receiver asleep < %g us", bd->slept_below_us);
		else
			snprintf(what, sizeof what, "  receiver asleep longer");
		for (unsigned i = 0; i < bd->npoints; i++)
			if (bd->q[i] == 0.99)
				snprintf(p99, sizeof p99, ", p99 %.1f", j->floor_us + bd->us[i]);
		say(c, "%-54s median %.1f us%s (%zu %s)", what, bd->median_us, p99, bd->n,
		    src == LP_PROBE ? "messages" : "wake-ups");
	}
}

/* The profile's "link".jitter for |j| (a new reference). */
static json_t *jitter_json(const lp_result_t *j)
{
	json_t *bands = json_array();
	for (unsigned b = 0; b < j->nbands; b++) {
		const lp_band_t *bd = &j->band[b];
		json_t *pts = json_array(), *o = json_object();
		for (unsigned i = 0; i < bd->npoints; i++)
			json_array_append_new(pts, json_pack("[f,f]", bd->q[i],
			                                     round(bd->us[i] * 10) / 10));
		if (bd->slept_below_us > 0)
			json_object_set_new(o, "slept_below_us", json_real(bd->slept_below_us));
		json_object_set_new(o, "quantiles_us", pts);
		json_array_append_new(bands, o);
	}
	return bands;
}

static void lg_exit(uv_process_t *p, int64_t status, int sig)
{
	cal_t *c = p->data;
	c->lg_running = 0;
	uv_close((uv_handle_t *)p, lg_closed);
	if (c->stopping)
		return;
	if (status != 0 || sig != 0) {
		fail_run(c, "loadgenerator exited with status %lld (signal %d); see %s/loadgen.log",
		         (long long)status, sig, c->state);
		return;
	}
	if (lg_read(c) != 0)
		return;
	if (c->lp_running) {
		char err[256];
		c->lp_running = 0;
		if (lp_finish(&c->lp, &c->jit, 10, err, sizeof err) != 0) {
			fail_run(c, "%s", err);
			return;
		}
		c->has_jitter = 1;
		say_jitter(c, &c->jit, LP_PROBE);
	}
	c->has_lg = 1;
	say(c, "%-54s CPU %7.1f us per request (user %.1f, system %.1f; %llu requests)",
	    "loadgenerator (client)", c->lg_us, c->lg_user_us, c->lg_sys_us,
	    (unsigned long long)c->lg_requests);
	next_step(c);
}

/* Runs the loadgenerator program against the frontend with the bench's
 * load, its output in the state directory. */
static void start_loadgen(cal_t *c)
{
	char prog[PATH_MAX + 32], log[4200], users[32], rate[32], dur[32];
	snprintf(prog, sizeof prog, "%s/loadgenerator", c->bin_dir);
	snprintf(log, sizeof log, "%s/loadgen.log", c->state);
	snprintf(c->lg_json, sizeof c->lg_json, "%s/loadgen.json", c->state);
	snprintf(users, sizeof users, "%u", c->lg_users);
	snprintf(rate, sizeof rate, "%g", c->lg_rate);
	snprintf(dur, sizeof dur, "%gs", c->lg_seconds);
	char *args[] = {prog, STR("--frontend-addr"), STR(addr_of(c, "frontend")),
	                STR("--users"), users, STR("--rate"), rate, STR("--duration"), dur,
	                STR("--stats-interval"), STR("0"), STR("--max-failure-ratio"),
	                STR("0.05"), STR("--json"), c->lg_json, NULL};
	FILE *f = fopen(log, "w");
	if (!f) {
		fail_run(c, "cannot write %s: %s", log, strerror(errno));
		return;
	}
	uv_stdio_container_t io[3] = {
	    {.flags = UV_IGNORE},
	    {.flags = UV_INHERIT_FD, .data.fd = fileno(f)},
	    {.flags = UV_INHERIT_FD, .data.fd = fileno(f)},
	};
	uv_process_options_t o = {.exit_cb = lg_exit, .file = prog, .args = args,
	                          .stdio_count = 3, .stdio = io};
	c->lg_proc.data = c;
	say(c, "measuring the load generator: %u users at %g/s for %g s against %s", c->lg_users,
	    c->lg_rate, c->lg_seconds, addr_of(c, "frontend"));
	int rc = uv_spawn(c->loop, &c->lg_proc, &o);
	fclose(f);
	if (rc != 0) {
		fail_run(c, "cannot run %s: %s", prog, uv_strerror(rc));
		return;
	}
	c->lg_running = 1;
	if (c->link_seconds != 0) {
		double secs = c->link_seconds > 0 ? c->link_seconds : c->lg_seconds;
		char err[256];
		if (lp_start(&c->lp, secs, c->link_rate, err, sizeof err) != 0) {
			fail_run(c, "%s", err);
			return;
		}
		c->lp_running = 1;
		say(c, "measuring the link's jitter beside it: %g messages a second for %g s",
		    c->link_rate, secs);
	}
}

/* Called when the run is ready (phase 1, i = 0) and after every call. */
static void next_step(cal_t *c)
{
	if (c->stopping || c->phase == 5)
		return;
	if (c->cur >= c->n_probes) {
		if (c->lg_on && !c->has_lg) {
			if (!c->lg_running) {
				combine_rounds(c);
				start_loadgen(c);
			}
			return;
		}
		if (!c->lg_on)
			combine_rounds(c);
		c->measured = 1;
		fail_run(c, NULL); /* done: stop the shop */
		return;
	}
	const probe_t *p = c->probes[c->cur];
	int ended = c->inflight;
	c->inflight = 0;
	if (c->phase == 1) {
		if (ended)
			c->i++;
		else if (c->i == 0 &&
		         (c->cur == 0 || strcmp(p->proc, c->probes[c->cur - 1]->proc)))
			say(c, "measuring %s (pid %d)", p->proc, pid_of(c, p->proc));
		if (c->i < c->warmup) {
			c->inflight = 1;
			send_current(c);
			return;
		}
		c->phase = 4;
		uv_timer_start(&c->timer, timer_cb, CAL_SETTLE_MS, 0);
		return;
	}
	if (c->phase == 2 && ended) {
		/* Call c->i just ended. */
		uint64_t wall = wall_ns() - c->call_wall0;
		uint64_t cli = self_cpu_ns() - c->call_cli0;
		uint64_t now;
		if (read_cpu(c, p->proc, &now) != 0)
			return;
		double srv = (double)(now - c->cpu_prev);
		c->walls[c->n_samples] = (double)wall;
		c->samples[c->n_samples++] = srv;
		if (p->link)
			c->lsamples[c->n_lsamples++] =
			    ((double)wall - (double)cli - srv) / 2;

		c->cpu_prev = now;
		c->i++;
		if (c->i >= c->warmup + c->batch) {
			c->phase = 3;
			uv_timer_start(&c->timer, timer_cb, CAL_SETTLE_MS, 0);
			return;
		}
		start_call(c);
	}
}

/* ---- stopping ------------------------------------------------------- */

static void stopped(sup_t *s, void *user)
{
	(void)s;
	cal_t *c = user;
	uv_close((uv_handle_t *)&c->sigint, NULL);
	uv_close((uv_handle_t *)&c->sigterm, NULL);
	uv_close((uv_handle_t *)&c->timer, NULL);
	uv_close((uv_handle_t *)&c->overall, NULL);
	/* The supervisor's own client may still hold a connection (to a
	 * process that took our port, say): sup_free() closes it, so leave
	 * the loop now rather than wait for it. */
	uv_stop(c->loop);
}

/* Stops the run: with a message (a failure) or NULL (done). The shop gets
 * SIGTERM, then SIGKILL after the grace period; the loop then ends. */
static void fail_run(cal_t *c, const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		fputs("meshsim calibrate: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
		c->failed = 1;
	}
	if (c->stopping)
		return;
	c->stopping = 1;
	uv_timer_stop(&c->timer);
	uv_timer_stop(&c->overall);
	if (c->lg_running)
		uv_process_kill(&c->lg_proc, SIGKILL); /* its exit closes the handle */
	if (c->lp_running) {
		lp_kill(&c->lp);
		c->lp_running = 0;
	}
	if (c->cli) {
		rt_live_client_free(c->cli);
		c->cli = NULL;
	}
	if (!c->sup) {
		stopped(NULL, c);
		return;
	}
	say(c, "stopping the shop");
	sup_stop(c->sup, stopped, c);
}

static void signal_cb(uv_signal_t *h, int signum)
{
	cal_t *c = h->data;
	fail_run(c, "%s; stopping the shop", signum == SIGINT ? "interrupted" : "terminated");
}

static void overall_cb(uv_timer_t *t)
{
	cal_t *c = t->data;
	if (!c->started) {
		fail_run(c, "not every service became healthy within %.0f s:", c->ready_timeout_s);
		sup_print_table(c->sup, stderr);
		for (size_t i = 0; i < sup_count(c->sup); i++) {
			sup_proc_t *p = sup_proc(c->sup, i);
			if (sup_proc_state(p) != SUP_SERVING) {
				fprintf(stderr, "  %s (last lines of %s):\n", sup_proc_name(p),
				        sup_proc_log_path(p));
				sup_proc_log_tail(p, 5, stderr);
			}
		}
	} else {
		fail_run(c, "not done within --timeout %.0f s (at %s, call %zu)",
		         c->timeout_s, c->cur < c->n_probes ? c->probes[c->cur]->key : "-",
		         c->i);
	}
}

static void on_event(sup_t *s, sup_proc_t *p, const char *what, void *user)
{
	cal_t *c = user;
	if (c->stopping)
		return;
	if (!strcmp(what, "crashed") || !strcmp(what, "exited")) {
		int64_t status;
		int sig;
		sup_proc_last_exit(p, &status, &sig);
		fprintf(stderr, "meshsim calibrate: %s stopped (status %lld, signal %d); "
		                "last lines of %s:\n",
		        sup_proc_name(p), (long long)status, sig, sup_proc_log_path(p));
		sup_proc_log_tail(p, 5, stderr);
		/* Stop from the loop, not from inside the supervisor's callback:
		 * it arms the restart timer after telling us. */
		c->failed = 1;
		c->phase = 5;
		uv_timer_stop(&c->timer);
		uv_timer_start(&c->timer, timer_cb, 0, 0);
		return;
	}
	if (!strcmp(what, "serving") && !c->started && sup_all_serving(s)) {
		c->started = 1;
		say(c, "all %zu services are serving; measuring the idle rate for %d ms",
		    sup_count(s), CAL_IDLE_MS);
		uv_timer_stop(&c->overall);
		uv_timer_start(&c->overall, overall_cb, (uint64_t)(c->timeout_s * 1000), 0);
		for (size_t i = 0; i < sup_count(s); i++) {
			sup_proc_t *q = sup_proc(s, i);
			size_t k = shop_index(sup_proc_name(q));
			if (proc_cpu_ns(sup_proc_pid(q), &c->idle_cpu0[k]) != 0) {
				fail_run(c, "cannot read /proc/%d/task/*/schedstat (%s): the "
				            "kernel needs schedstats (CONFIG_SCHED_INFO)",
				         sup_proc_pid(q), sup_proc_name(q));
				return;
			}
		}
		c->idle_wall0 = wall_ns();
		c->phase = 0;
		uv_timer_start(&c->timer, timer_cb, CAL_IDLE_MS, 0);
	}
}

/* ---- the profile ----------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void machine(char *buf, size_t size)
{
	struct utsname u;
	char model[128] = "unknown CPU";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f) {
		char line[256];
		while (fgets(line, sizeof line, f))
			if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
				snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		fclose(f);
	}
	double la[3] = {0, 0, 0};
	if (getloadavg(la, 3) < 0)
		la[0] = la[1] = la[2] = -1;
	if (uname(&u) != 0)
		snprintf(u.sysname, sizeof u.sysname, "?");
	snprintf(buf, size, "%s %s %s, %ld CPUs (%s), load average %.2f %.2f %.2f at the end",
	         u.sysname, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN), model,
	         la[0], la[1], la[2]);
}

static int round_us(double x) { return x < 1 ? 1 : (int)lround(x); }

/* The mean of |v| without its lowest and highest |trim| fraction (sorts
 * |v|); 0 for no values. */
static double trimmed_mean(double *v, size_t n, double trim)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	size_t cut = (size_t)((double)n * trim);
	if (2 * cut >= n)
		cut = (n - 1) / 2;
	double sum = 0;
	for (size_t i = cut; i < n - cut; i++)
		sum += v[i];
	return sum / (double)(n - 2 * cut);
}

/* What the "link"'s jitter is, for the profile's comment. */
static void jitter_text(char *buf, size_t size, const lp_result_t *j, double rate)
{
	snprintf(buf, size,
	         "; its \"jitter\" (the quantiles of the wait of a woken process for a "
	         "CPU, in bands of how long it had slept) was measured beside that load by a "
	         "probe (tools/linkprobe.h): %zu messages at about %g a second on loopback "
	         "TCP to a sleeping process, one way: floor (1st percentile) %.1f us, "
	         "median %.1f, mean %.1f, p99 %.1f, largest %.1f; the points are the times "
	         "above the floor (the kernel's path, which the CPU figures include)",
	         j->n, rate, j->floor_us, j->median_us, j->mean_us, j->p99_us, j->max_us);
}

static int write_profile(cal_t *c)
{
	char tmp[PATH_MAX + 8];
	FILE *f = stdout;
	if (strcmp(c->out, "-")) {
		snprintf(tmp, sizeof tmp, "%s.tmp", c->out);
		f = fopen(tmp, "w");
		if (!f) {
			fprintf(stderr, "meshsim calibrate: cannot write %s: %s\n", tmp, strerror(errno));
			return -1;
		}
	}
	char when[64], mach[512];
	time_t now = time(NULL);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
	machine(mach, sizeof mach);
	double link_mean = c->hop_n ? fmax(0, c->hop_sum / (double)c->hop_n / 1e3) : 0;
	double link_trim = trimmed_mean(c->hops, c->n_hops, 0.10) / 1e3; /* sorts */
	double link = c->n_hops ? fmax(0, c->hops[c->n_hops / 2] / 1e3) : 0;
	if (c->n_hops >= 10)
		say(c, "gRPC leaf transits (us): p10 %.1f p25 %.1f p50 %.1f p75 %.1f p90 %.1f "
		       "p99 %.1f", c->hops[c->n_hops / 10] / 1e3, c->hops[c->n_hops / 4] / 1e3,
		    c->hops[c->n_hops / 2] / 1e3, c->hops[3 * c->n_hops / 4] / 1e3,
		    c->hops[9 * c->n_hops / 10] / 1e3, c->hops[99 * c->n_hops / 100] / 1e3);
	int n_link = c->hop_n > 0;
	char lgtext[1024] = "";
	if (c->has_lg)
		snprintf(lgtext, sizeof lgtext,
		         "\"clients\".loadgenerator is the load generator's own CPU per request "
		         "(charged by the simulator on its pod before each request leaves): the "
		         "`loadgenerator` program run against the live shop with %u users at %g/s "
		         "for %g s (1-10 s think times), its process CPU from the load's start to "
		         "the end of the drain over its %llu requests (user %.1f us, system %.1f "
		         "us); constant (sd 0): only the total is measured. ",
		         c->lg_users, c->lg_rate, c->lg_seconds,
		         (unsigned long long)c->lg_requests, c->lg_user_us, c->lg_sys_us);
	char jtext[1024] = "";
	if (c->has_jitter)
		jitter_text(jtext, sizeof jtext, &c->jit, c->link_rate);
	double means[N_ALL];
	size_t n_means = 0;
	for (size_t i = 0; i < c->n_results; i++) {
		if (!strstr(c->results[i].probe->key, "/HTTP "))
			means[n_means++] = c->results[i].mean_us;
	}
	char comment[6144];
	snprintf(comment, sizeof comment,
	         "CPU demand per served call, in microseconds of one core (sim/vrt), "
	         "measured by `meshsim calibrate` on %s: %s. Command: %s. "
	         "Each method or route was called %zu times in %zu rounds, one call at a "
	         "time, after %zu warm-up calls per round, against the live shop (every service as its own "
	         "process on loopback, supervised as by `meshsim up`); a call's cost is "
	         "the serving process's CPU time (/proc/PID/task/*/schedstat) over it, "
	         "including its transport, logging and the calls it makes as a client "
	         "(the services it calls are other processes); mean = total over the "
	         "batch less the process's idle rate, sd = the spread of the per-call "
	         "readings; each figure is the median over the rounds. The default is the median of the gRPC methods. "
	         "Not measured: business's POST /business (a listing upload). %s"
	         "\"link\" is the loopback link measured from the calls to leaf services "
	         "(gRPC; wall time less the server's and the client's CPU, halved; the "
	         "median over %zu calls: what a typical hop waits (quartiles %.1f and %.1f us, "
	         "10%% trimmed mean %.1f us); the mean, %.1f us, is carried by rare long "
	         "scheduling delays (node CPU contention) a constant link would add to every "
	         "hop; HTTP's mean: %.1f us)%s: "
	         "used only by `meshsim run --link profile`, to compare with the live "
	         "shop on this machine; by default the simulator keeps its 200 us "
	         "cluster hop. Other tenants' load on this machine makes these figures "
	         "noisy: compare runs made together.",
	         when, mach, c->cmdline, c->batch * c->rounds, c->rounds, c->warmup, lgtext,
	         c->n_hops, c->n_hops ? c->hops[c->n_hops / 4] / 1e3 : 0.0,
	         c->n_hops ? c->hops[3 * c->n_hops / 4] / 1e3 : 0.0, link_trim, link_mean,
	         c->hop_http_n ? c->hop_http_sum / (double)c->hop_http_n / 1e3 : 0.0, jtext);
	fprintf(f, "{\n  \"version\": 1,\n  \"comment\": ");
	json_str(f, comment);
	fprintf(f, ",\n");
	if (n_link > 0 || c->has_jitter) {
		fprintf(f, "  \"link\": {\"latency_us\": %.1f", link);
		if (c->has_jitter) {
			json_t *jj = jitter_json(&c->jit);
			char *txt = json_dumps(jj, JSON_COMPACT | JSON_PRESERVE_ORDER |
			                               JSON_REAL_PRECISION(12));
			json_decref(jj);
			if (!txt) {
				fprintf(stderr, "meshsim calibrate: out of memory\n");
				if (f != stdout)
					fclose(f);
				return -1;
			}
			fprintf(f, ", \"jitter\": %s", txt);
			free(txt);
		}
		fprintf(f, "},\n");
	}
	if (n_means > 0) {
		qsort(means, n_means, sizeof *means, cmp_double);
		double med = means[n_means / 2];
		fprintf(f, "  \"default\": {\"mean_us\": %d, \"sd_us\": %d},\n", round_us(med),
		        round_us(0.4 * med));
	} else {
		fprintf(f, "  \"default\": {\"mean_us\": 50, \"sd_us\": 20},\n");
	}
	if (c->has_lg)
		fprintf(f, "  \"clients\": {\"loadgenerator\": {\"mean_us\": %d, \"sd_us\": 0}},\n",
		        round_us(c->lg_us));
	fprintf(f, "  \"methods\": {\n");
	for (size_t i = 0; i < c->n_results; i++) {
		const result_t *r = &c->results[i];
		fprintf(f, "    ");
		json_str(f, r->probe->key);
		fprintf(f, ": {\"mean_us\": %d, \"sd_us\": %d}%s\n", round_us(r->mean_us),
		        (int)lround(r->sd_us), i + 1 < c->n_results ? "," : "");
	}
	fprintf(f, "  }\n}\n");
	if (f == stdout)
		return fflush(f) == 0 ? 0 : -1;
	if (fclose(f) != 0 || rename(tmp, c->out) != 0) {
		fprintf(stderr, "meshsim calibrate: cannot write %s: %s\n", c->out, strerror(errno));
		unlink(tmp);
		return -1;
	}
	say(c, "wrote %s (%zu methods and routes%s; link %.1f us one way, the median "
	       "over %zu gRPC calls; 10%% trimmed mean %.1f, mean %.1f; HTTP's mean %.1f us)",
	    c->out, c->n_results, c->has_lg ? ", the load generator's client cost" : "", link,
	    c->n_hops, link_trim, link_mean,
	    c->hop_http_n ? c->hop_http_sum / (double)c->hop_http_n / 1e3 : 0.0);
	return 0;
}

/* ---- --link-only ------------------------------------------------------ */

/* |base|'s "link".latency_us, or 0 when it has none. */
static double base_latency(json_t *root)
{
	json_t *l = json_object_get(json_object_get(root, "link"), "latency_us");
	return json_is_number(l) ? json_number_value(l) : 0;
}

/* The quantiles of |n| lengths (ns) in one band, and the shortest (us).
 * 0, or -1 when out of memory. */
static int summarise_lengths(const long long *v, size_t n, lp_result_t *q, double *min_us)
{
	lp_sample_t *ls = malloc(n * sizeof *ls);
	if (!ls)
		return -1;
	*min_us = (double)v[0] / 1e3;
	for (size_t i = 0; i < n; i++) {
		ls[i] = (lp_sample_t){v[i], 0};
		if ((double)v[i] / 1e3 < *min_us)
			*min_us = (double)v[i] / 1e3;
	}
	int rc = lp_summarise(ls, n, LP_SCHED, q);
	free(ls);
	return rc != 0 ? -1 : 0;
}

/* The jitter from the wake-ups in the scheduler's record |path| ("-":
 * stdin) of the processes named in |names| (comma-separated; NULL: the
 * shop's): c->jit, and the profile comment's words in |text|. 0, or 1
 * after saying why on stderr. */
static int wakeups_read(cal_t *c, const char *path, const char *names, char *text,
                        size_t size)
{
	const char *list[SW_MAX_NAMES];
	size_t n = 0;
	char buf[1024];
	if (names) {
		snprintf(buf, sizeof buf, "%s", names);
		for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && n < SW_MAX_NAMES;
		     t = strtok_r(NULL, ",", &save))
			list[n++] = t;
	} else {
		while (sw_shop_names[n])
			n++;
		memcpy(list, sw_shop_names, n * sizeof *list);
	}
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "meshsim calibrate: --wakeups: cannot open %s: %s\n", path,
		        strerror(errno));
		return 1;
	}
	sw_reader_t *r = sw_new(path, list, n);
	if (r)
		sw_set_stall(r, llround(c->stall_ms * 1e6));
	char err[512];
	int rc = !r ? (snprintf(err, sizeof err, "out of memory"), -1)
	            : sw_read(r, f, err, sizeof err);
	if (f != stdin)
		fclose(f);
	size_t ns = 0;
	const lp_sample_t *s = rc == 0 ? sw_samples(r, &ns) : NULL;
	sw_stats_t st = {0};
	if (r)
		sw_stats(r, &st);
	if (rc == 0 && ns < 100) {
		snprintf(err, sizeof err,
		         "%s: %zu wake-ups of the chosen processes (%zu lines, %zu runs of %zu "
		         "tasks); at least 100 are needed: was the record taken with the shop "
		         "running (perf sched record, or perf record -e sched:sched_switch -e "
		         "sched:sched_wakeup -a), and printed with perf sched timehist --state?",
		         path, ns, st.lines, st.runs, st.tasks);
		rc = -1;
	}
	if (rc == 0 && lp_summarise(s, ns, LP_SCHED, &c->jit) != 0) {
		snprintf(err, sizeof err, "out of memory");
		rc = -1;
	}
	long long busy = 0;
	size_t nl = 0;
	const long long *lens = rc == 0 ? sw_stall_lengths(r, &nl, &busy) : NULL;
	if (rc == 0 && nl > 0 && busy > 0) {
		if (summarise_lengths(lens, nl, &c->stall_q, &c->stall_min_us) != 0) {
			snprintf(err, sizeof err, "out of memory");
			rc = -1;
		}
		c->nstalls = nl;
		c->stall_rate = (double)nl / ((double)busy / 1e9);
	}
	long long span = 0;
	size_t nf = 0;
	const long long *fl = rc == 0 ? sw_freezes(r, SW_FREEZE_GAP_NS, &nf, &span) : NULL;
	double record_s = (double)span / 1e9;
	if (rc == 0 && nf > 0 && busy > 0 && st.wakeups > 0) {
		if (summarise_lengths(fl, nf, &c->freeze_q, &c->freeze_min_us) != 0) {
			snprintf(err, sizeof err, "out of memory");
			rc = -1;
		}
		c->nfreezes = nf;
		/* Seen on the CPUs read, counted against every CPU's wake-ups: a
		 * freeze stops the machine, and the simulation draws one per
		 * CPU demand of any pod (sim/vrt/README.md, "Freezes"). */
		c->freeze_per_wakeup = (double)nf / (double)st.wakeups;
		c->freeze_rate = (double)nf / ((double)busy / 1e9);
	}
	sw_free(r);
	if (rc != 0) {
		fprintf(stderr, "meshsim calibrate: --wakeups: %s\n", err);
		return 1;
	}
	if (st.dropped)
		say(c, "read %s: %zu lines, %zu wake-ups of %zu tasks (only the first %u kept)",
		    path, st.lines, st.wakeups, st.tasks, LP_MAX_SAMPLES);
	else
		say(c, "read %s: %zu lines, %zu wake-ups of %zu tasks", path, st.lines,
		    st.wakeups, st.tasks);
	if (st.cpus_unread)
		say(c, "%zu of %zu CPUs have no idle lines in the record (their runs' times "
		    "are not exact): their %zu wake-ups are left out, %zu read", st.cpus_unread,
		    st.cpus, st.unread, ns);
	char stxt[512] = "";
	if (c->stall_ms > 0) {
		say(c, "stalls (runs of %g ms or more: the vCPU stopped under the task): %zu, "
		    "%.2f per second of the processes' CPU (%zu began a wake-up's run, %zu hit "
		    "a running task); median %.0f us, largest %.0f", c->stall_ms, c->nstalls,
		    c->stall_rate, st.stalls, st.stalls_running,
		    c->nstalls ? c->stall_q.median_us : 0, c->nstalls ? c->stall_q.max_us : 0);
		say(c, "freezes (stalls less than %g ms apart: the machine stopped): %zu in the "
		    "record's %.1f s, %.3f per 1000 wake-ups of the processes (%zu on every CPU), "
		    "%.2f per second of their CPU; median %.0f us, largest %.0f",
		    SW_FREEZE_GAP_NS / 1e6, c->nfreezes, record_s, c->freeze_per_wakeup * 1000,
		    st.wakeups, c->freeze_rate, c->nfreezes ? c->freeze_q.median_us : 0,
		    c->nfreezes ? c->freeze_q.max_us : 0);
		snprintf(stxt, sizeof stxt, "; its \"freezes\" are the %zu runs of %g ms or more "
		         "in that record (the vCPU stopped under the task) merged while less than "
		         "%g ms apart: %zu, %.3f per 1000 wake-ups of the processes", c->nstalls,
		         c->stall_ms, SW_FREEZE_GAP_NS / 1e6, c->nfreezes, c->freeze_per_wakeup * 1000);
	}
	if (st.cpus_unread) {
		size_t l = strlen(stxt);
		snprintf(stxt + l, sizeof stxt - l, "; %zu CPU(s) without idle lines left out",
		         st.cpus_unread);
	}
	say_jitter(c, &c->jit, LP_SCHED);
	snprintf(text, size,
	         "; its \"jitter\" (the quantiles of the wait of a woken process for a CPU, "
	         "in bands of how long it had slept) is the wake-ups of the processes %s in a "
	         "scheduler's record (perf sched timehist --state, tools/schedwake.h), %zu of "
	         "them in %zu tasks: median %.1f us, mean %.1f, p99 %.1f, largest %.1f%s",
	         names ? names : "of the shop", ns, st.tasks, c->jit.median_us, c->jit.mean_us,
	         c->jit.p99_us, c->jit.max_us, stxt);
	return 0;
}

/* Measures the link alone for |secs| (or reads it from the record
 * |wakeups| of the processes |names|) and writes --out: |base| (a
 * profile) with its "link" replaced, or a profile of the link only. */
static int link_only_exec(cal_t *c, const char *base, double secs, const char *wakeups,
                          const char *names)
{
	json_t *root = NULL;
	if (base) {
		json_error_t je;
		root = json_load_file(base, JSON_REJECT_DUPLICATES, &je);
		if (!root || !json_is_object(root)) {
			fprintf(stderr, "meshsim calibrate: --base %s:%d:%d: %s\n", base, je.line,
			        je.column, root ? "not a JSON object" : je.text);
			json_decref(root);
			return 1;
		}
		/* Whatever else it holds is the simulator's to check: load it. */
		char err[512];
		vrt_profile_t *vp = NULL;
		char *text = json_dumps(root, JSON_COMPACT);
		int prc = text ? vrt_profile_parse(base, text, strlen(text), &vp, err, sizeof err) : -1;
		free(text);
		vrt_profile_free(vp);
		if (prc != 0) {
			fprintf(stderr, "meshsim calibrate: --base: %s\n", text ? err : "out of memory");
			json_decref(root);
			return 1;
		}
	} else {
		root = json_pack("{s:i}", "version", 1);
	}
	char err[512], jtext[1024];
	if (wakeups) {
		if (wakeups_read(c, wakeups, names, jtext, sizeof jtext) != 0) {
			json_decref(root);
			return 1;
		}
	} else {
		say(c, "measuring the link's jitter: %g messages a second for %g s", c->link_rate,
		    secs);
		lp_probe_t lp;
		if (lp_start(&lp, secs, c->link_rate, err, sizeof err) != 0 ||
		    lp_finish(&lp, &c->jit, 10, err, sizeof err) != 0) {
			fprintf(stderr, "meshsim calibrate: %s\n", err);
			json_decref(root);
			return 1;
		}
		say_jitter(c, &c->jit, LP_PROBE);
		jitter_text(jtext, sizeof jtext, &c->jit, c->link_rate);
	}
	json_object_set_new(root, "link", json_pack("{s:f,s:o}", "latency_us", base_latency(root),
	                                            "jitter", jitter_json(&c->jit)));
	/* The base's are not this record's ("stalls": the first model's). */
	json_object_del(root, "stalls");
	json_object_del(root, "freezes");
	if (wakeups && c->nfreezes > 0) {
		json_t *b = jitter_json(&c->freeze_q), *q = json_object_get(json_array_get(b, 0),
		                                                               "quantiles_us");
		/* The table rises from 0 at quantile 0 (vrt_jitter_at); a freeze
		 * is never shorter than the shortest seen: start there. */
		json_t *first = json_array_get(q, 0);
		if (json_real_value(json_array_get(first, 0)) > 1e-6)
			json_array_insert_new(q, 0, json_pack("[f,f]", 1e-6,
			                                      round(c->freeze_min_us * 10) / 10));
		json_object_set_new(root, "freezes",
		                    json_pack("{s:f,s:O}", "per_wakeup",
		                              round(c->freeze_per_wakeup * 1e9) / 1e9, "quantiles_us", q));
		json_decref(b);
	}
	char when[64], mach[512], note[3072];
	time_t now = time(NULL);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
	machine(mach, sizeof mach);
	json_t *old = json_object_get(root, "comment");
	snprintf(note, sizeof note, "%s%s\"link\" re-measured by `%s` on %s (%s)%s.",
	         json_is_string(old) ? json_string_value(old) : "",
	         json_is_string(old) ? " " : "", c->cmdline, when, mach, jtext);
	json_object_set_new(root, "comment", json_string(note));
	int rc = 0;
	size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12);
	if (!strcmp(c->out, "-")) {
		rc = json_dumpf(root, stdout, flags) == 0 && fputc('\n', stdout) != EOF ? 0 : 1;
	} else {
		char tmp[PATH_MAX + 8];
		snprintf(tmp, sizeof tmp, "%s.tmp", c->out);
		if (json_dump_file(root, tmp, flags) != 0 || rename(tmp, c->out) != 0) {
			fprintf(stderr, "meshsim calibrate: cannot write %s: %s\n", c->out,
			        strerror(errno));
			unlink(tmp);
			rc = 1;
		} else {
			say(c, "wrote %s", c->out);
		}
	}
	json_decref(root);
	return rc;
}

/* ---- the command ----------------------------------------------------- */

static int exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

static int rm_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return unlink(path);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	return rmdir(path);
}

/* Marks |name| and every service it calls (transitively) in |want|. */
static void want_closure(int *want, size_t k)
{
	if (want[k])
		return;
	want[k] = 1;
	for (const char *const(*a)[2] = msim_shop[k].addr_env; a && (*a)[0]; a++) {
		size_t j = shop_index((*a)[1]);
		if (j != (size_t)-1)
			want_closure(want, j);
	}
}

#define USAGE(...)                                                            \
	do {                                                                  \
		fprintf(stderr, "meshsim calibrate: " __VA_ARGS__);          \
		fprintf(stderr, " (see meshsim calibrate --help)\n");         \
		return 2;                                                     \
	} while (0)

static int calibrate_exec(int argc, char **argv)
{
	cal_t c = {.out = "cost-profile.json", .calls = 1000, .warmup = CAL_WARMUP,
	           .timeout_s = 600, .ready_timeout_s = 30, .rounds = 5,
	           .lg_users = 300, .lg_rate = 50, .lg_seconds = 20,
	           .link_seconds = -1, .link_rate = 500, .stall_ms = SW_STALL_NS / 1e6};
	const char *net = "127.0.11", *bin_dir = NULL, *only = NULL, *base = NULL;
	const char *wakeups = NULL, *wakeups_of = NULL;
	int keep = 0, link_only = 0, stall_set = 0;
	size_t len = 0;
	len += (size_t)snprintf(c.cmdline, sizeof c.cmdline, "meshsim");
	for (int i = 0; i < argc && len < sizeof c.cmdline; i++)
		len += (size_t)snprintf(c.cmdline + len, sizeof c.cmdline - len, " %s", argv[i]);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			c.quiet = 1;
			continue;
		}
		if (!strcmp(a, "--keep-state")) {
			keep = 1;
			continue;
		}
		if (!strcmp(a, "--link-only")) {
			link_only = 1;
			continue;
		}
		if (!v)
			USAGE("unknown or incomplete option '%s'", a);
		i++;
		if (!strcmp(a, "--out")) {
			c.out = v;
		} else if (!strcmp(a, "--rounds")) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || end == v || n < 1 || n > 64)
				USAGE("--rounds: '%s' is not a whole number from 1 to 64", v);
			c.rounds = (size_t)n;
		} else if (!strcmp(a, "--calls") || !strcmp(a, "--warmup")) {
			char *end;
			long n = strtol(v, &end, 10);
			long min = !strcmp(a, "--calls") ? 2 : 0;
			if (*end || end == v || n < min || n > 1000000)
				USAGE("%s: '%s' is not a whole number from %ld to 1000000", a, v, min);
			if (!strcmp(a, "--calls"))
				c.calls = (size_t)n;
			else
				c.warmup = (size_t)n;
		} else if (!strcmp(a, "--loadgen-users")) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end || end == v || n < 1 || n > 100000)
				USAGE("--loadgen-users: '%s' is not a whole number from 1 to 100000", v);
			c.lg_users = (unsigned)n;
		} else if (!strcmp(a, "--loadgen-rate") || !strcmp(a, "--loadgen-seconds")) {
			char *end;
			double x = strtod(v, &end);
			int secs = !strcmp(a, "--loadgen-seconds");
			if (*end || end == v || !isfinite(x) || x < (secs ? 0 : 0.01) || x > 3600)
				USAGE("%s: '%s' is not a number from %s to 3600", a, v, secs ? "0" : "0.01");
			if (secs)
				c.lg_seconds = x;
			else
				c.lg_rate = x;
		} else if (!strcmp(a, "--timeout") || !strcmp(a, "--ready-timeout")) {
			char *end;
			double s = strtod(v, &end);
			if (*end || end == v || !(s > 0) || s > 86400)
				USAGE("%s: '%s' is not a number of seconds from 0 to 86400", a, v);
			if (!strcmp(a, "--timeout"))
				c.timeout_s = s;
			else
				c.ready_timeout_s = s;
		} else if (!strcmp(a, "--net")) {
			unsigned b, d;
			char tail;
			if (sscanf(v, "127.%u.%u%c", &b, &d, &tail) != 2 || b > 255 || d > 255)
				USAGE("--net: '%s' is not of the form 127.B.C (a loopback /24)", v);
			net = v;
		} else if (!strcmp(a, "--link-seconds") || !strcmp(a, "--link-rate")) {
			char *end;
			double x = strtod(v, &end);
			int secs = !strcmp(a, "--link-seconds");
			if (*end || end == v || !isfinite(x) ||
			    (secs ? x != 0 && (x < 0.1 || x > 3600) : x < 1 || x > 10000))
				USAGE("%s: '%s' is not a number %s", a, v,
				      secs ? "from 0.1 to 3600 (or 0)" : "from 1 to 10000");
			if (secs)
				c.link_seconds = x;
			else
				c.link_rate = x;
		} else if (!strcmp(a, "--base")) {
			base = v;
		} else if (!strcmp(a, "--wakeups")) {
			wakeups = v;
		} else if (!strcmp(a, "--wakeups-stall")) {
			char *end;
			double x = strtod(v, &end);
			if (*end || end == v || !isfinite(x) || x < 0 || x > 1000)
				USAGE("--wakeups-stall: '%s' is not a number of milliseconds from 0 "
				      "to 1000", v);
			c.stall_ms = x;
			stall_set = 1;
		} else if (!strcmp(a, "--wakeups-of")) {
			if (!*v || strlen(v) >= 1024 || v[0] == ',' || v[strlen(v) - 1] == ',' ||
			    strstr(v, ",,"))
				USAGE("--wakeups-of: '%s' is not a comma-separated list of process "
				      "names", v);
			size_t names = 1;
			for (const char *p = v; *p; p++)
				names += *p == ',';
			if (names > SW_MAX_NAMES)
				USAGE("--wakeups-of: %zu names; at most %d", names, SW_MAX_NAMES);
			wakeups_of = v;
		} else if (!strcmp(a, "--bin-dir")) {
			bin_dir = v;
		} else if (!strcmp(a, "--services")) {
			only = v;
		} else {
			USAGE("unknown option '%s'", a);
		}
	}

	if (c.calls / c.rounds < 2)
		USAGE("--calls %zu is less than 2 per round (--rounds %zu)", c.calls, c.rounds);
	if (base && !link_only)
		USAGE("--base is for --link-only (a whole calibration writes every figure)");
	if ((wakeups || wakeups_of) && !link_only)
		USAGE("--wakeups and --wakeups-of are for --link-only");
	if (wakeups_of && !wakeups)
		USAGE("--wakeups-of chooses whose wake-ups --wakeups FILE reads");
	if (stall_set && !wakeups)
		USAGE("--wakeups-stall is for the runs --wakeups FILE reads");
	if (link_only) {
		if (c.link_seconds == 0 && !wakeups)
			USAGE("--link-only measures the link: --link-seconds 0 leaves nothing to do");
		return link_only_exec(&c, base, c.link_seconds > 0 ? c.link_seconds : 20, wakeups,
		                      wakeups_of);
	}

	/* Which services to measure, and which to run (with what they call). */
	int measure[MSIM_SHOP_LEN] = {0}, run[MSIM_SHOP_LEN] = {0};
	if (only) {
		char list[512];
		snprintf(list, sizeof list, "%s", only);
		for (char *save = NULL, *t = strtok_r(list, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			size_t k = shop_index(t);
			if (k == (size_t)-1 || k == MSIM_SHOP_LOADGEN)
				USAGE("--services: no service '%s' in the shop", t);
			measure[k] = 1;
		}
	} else {
		for (size_t k = 0; k < MSIM_SHOP_LEN; k++)
			measure[k] = k != MSIM_SHOP_LOADGEN;
	}
	for (size_t k = 0; k < MSIM_SHOP_LEN; k++)
		if (measure[k])
			want_closure(run, k);
	const probe_t *probes[N_ALL];
	size_t n_probes = 0;
	for (size_t i = 0; i < N_ALL; i++)
		if (measure[shop_index(all_probes[i].proc)])
			probes[n_probes++] = &all_probes[i];
	/* The health check is a property of the transport, measured on
	 * currencyservice: run it whatever is measured. */
	run[shop_index("currencyservice")] = 1;
	if (probes[0] != &all_probes[0]) {
		memmove(probes + 1, probes, n_probes * sizeof *probes);
		probes[0] = &all_probes[0];
		n_probes++;
	}

	char bbuf[PATH_MAX];
	if (!bin_dir) {
		if (exe_dir(bbuf, sizeof bbuf) != 0) {
			fprintf(stderr, "meshsim calibrate: cannot find my own directory; pass --bin-dir\n");
			return 1;
		}
		bin_dir = bbuf;
	}
	/* The load generator's client cost needs the frontend (and so the
	 * whole shop behind it). */
	c.lg_on = c.lg_seconds > 0 && measure[MSIM_SHOP_FRONTEND];
	if (c.lg_on)
		run[MSIM_SHOP_LOADGEN] = 1; /* checked below, never supervised */
	for (size_t k = 0; k < MSIM_SHOP_LEN; k++) {
		char p[PATH_MAX + 64];
		snprintf(p, sizeof p, "%s/%s", bin_dir, msim_shop[k].name);
		if (run[k] && access(p, X_OK) != 0) {
			fprintf(stderr, "meshsim calibrate: %s: %s (build the services, or pass --bin-dir%s)\n",
			        p, strerror(errno),
			        k == MSIM_SHOP_LOADGEN ? ", or --loadgen-seconds 0" : "");
			return 1;
		}
	}
	run[MSIM_SHOP_LOADGEN] = 0;
	c.bin_dir = bin_dir;
	if (strcmp(c.out, "-")) {
		/* Fail now rather than after the measurement; leave no empty file. */
		int existed = access(c.out, F_OK) == 0;
		FILE *t = fopen(c.out, "a");
		if (!t) {
			fprintf(stderr, "meshsim calibrate: --out %s: %s\n", c.out, strerror(errno));
			return 1;
		}
		fclose(t);
		if (!existed)
			unlink(c.out);
	}

	/* The shop's specs: the frontend on its own address of the net. */
	sup_spec_t specs[MSIM_SHOP_LEN];
	size_t n_specs = 0;
	for (size_t k = 0; k < MSIM_SHOP_LEN; k++)
		if (run[k]) {
			specs[n_specs] = msim_shop[k];
			specs[n_specs].host = NULL;
			n_specs++;
		}
	/* As `meshsim run` places its pods' volumes: SQLite's fdatasync on a
	 * disk would add I/O waits (and their CPU) the simulator never sees. */
	struct stat shm;
	const char *tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR")
	                     : stat("/dev/shm", &shm) == 0 && S_ISDIR(shm.st_mode) ? "/dev/shm"
	                                                                            : "/tmp";
	char state[PATH_MAX];
	snprintf(state, sizeof state, "%s/meshsim-calibrate.XXXXXX", tmpdir);
	if (!mkdtemp(state)) {
		fprintf(stderr, "meshsim calibrate: cannot create a directory in %s: %s\n", tmpdir,
		        strerror(errno));
		return 1;
	}
	time_t now = time(NULL);
	strftime(c.year, sizeof c.year, "%Y", gmtime(&now));
	loadgen_checkout_form_t form = {
	    .email = "someone@example.com",
	    .street_address = "1600 Amphitheatre Parkway",
	    .zip_code = "94043",
	    .city = "Mountain View",
	    .state = "CA",
	    .country = "United States",
	    .credit_card_number = "4432801561520454",
	    .credit_card_expiration_month = 1,
	    .credit_card_expiration_year = atoi(c.year) + 2,
	    .credit_card_cvv = "672",
	};
	loadgen_checkout_form_encode(&form, c.form, sizeof c.form);

	c.state = state;
	c.probes = probes;
	c.n_probes = n_probes;
	c.idle_rate = calloc(MSIM_SHOP_LEN, sizeof *c.idle_rate);
	c.idle_cpu0 = calloc(MSIM_SHOP_LEN, sizeof *c.idle_cpu0);
	c.batch = c.calls / c.rounds;
	c.samples = calloc(c.warmup + c.batch, sizeof *c.samples);
	c.lsamples = calloc(c.warmup + c.batch, sizeof *c.lsamples);
	c.walls = calloc(c.warmup + c.batch, sizeof *c.walls);
	c.by_round = calloc(n_probes * c.rounds, sizeof *c.by_round);
	c.results = calloc(N_ALL, sizeof *c.results);
	if (!c.idle_rate || !c.idle_cpu0 || !c.samples || !c.lsamples || !c.walls || !c.results ||
	    !c.by_round) {
		fprintf(stderr, "meshsim calibrate: out of memory\n");
		rm_tree(state);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	c.loop = uv_default_loop();
	/* A service that stops ends the run: no restarts meanwhile. */
	sup_opts_t o = {.bin_dir = bin_dir, .state_dir = state, .net = net,
	                .grace_seconds = 2, .backoff_initial_seconds = 300,
	                .on_event = on_event, .user = &c};
	char err[512];
	c.sup = sup_new(c.loop, specs, n_specs, &o, err, sizeof err);
	c.cli = rt_live_client_new(c.loop, "calibrate");
	if (!c.sup || !c.cli) {
		fprintf(stderr, "meshsim calibrate: %s\n", c.sup ? "out of memory" : err);
		if (c.cli)
			rt_live_client_free(c.cli);
		if (c.sup)
			sup_free(c.sup);
		uv_run(c.loop, UV_RUN_DEFAULT);
		rm_tree(state);
		return 1;
	}
	uv_signal_init(c.loop, &c.sigint);
	uv_signal_init(c.loop, &c.sigterm);
	uv_timer_init(c.loop, &c.timer);
	uv_timer_init(c.loop, &c.overall);
	c.sigint.data = c.sigterm.data = c.timer.data = c.overall.data = &c;
	uv_signal_start(&c.sigint, signal_cb, SIGINT);
	uv_signal_start(&c.sigterm, signal_cb, SIGTERM);
	say(&c, "starting %zu services on %s.x (state in %s); %zu probes, "
	    "%zu rounds of %zu calls", n_specs, net, state, n_probes, c.rounds, c.batch);
	if (sup_start(c.sup, err, sizeof err) != 0) {
		fprintf(stderr, "meshsim calibrate: %s\n", err);
		c.failed = 1;
		c.stopping = 1;
		rt_live_client_free(c.cli);
		c.cli = NULL;
		stopped(c.sup, &c);
		sup_free(c.sup);
		uv_run(c.loop, UV_RUN_DEFAULT); /* returns at once: uv_stop() */
		uv_run(c.loop, UV_RUN_DEFAULT);
		rm_tree(state);
		return 1;
	}
	uv_timer_start(&c.overall, overall_cb, (uint64_t)(c.ready_timeout_s * 1000), 0);
	uv_run(c.loop, UV_RUN_DEFAULT);
	sup_free(c.sup);
	uv_run(c.loop, UV_RUN_DEFAULT);
	uv_loop_close(c.loop);
	int rc = 1;
	if (c.measured && !c.failed)
		rc = write_profile(&c) == 0 ? 0 : 1;
	if (keep)
		fprintf(stderr, "meshsim calibrate: state and logs kept in %s\n", state);
	else
		rm_tree(state);
	free(c.idle_rate);
	free(c.idle_cpu0);
	free(c.samples);
	free(c.lsamples);
	free(c.walls);
	free(c.results);
	free(c.by_round);
	free(c.hops);
	return rc;
}

const msim_cmd_t msim_cmd_calibrate = {
    .name = "calibrate",
    .args = "[--out FILE] [--calls N] [--rounds R] [--warmup N] [--services A,B,...]\n"
            "                         [--net 127.B.C] [--bin-dir DIR] [--timeout S] [--ready-timeout S]\n"
            "                         [--loadgen-users N] [--loadgen-rate R] [--loadgen-seconds S]\n"
            "                         [--link-seconds S] [--link-rate R] [--keep-state] [--quiet]\n"
            "       meshsim calibrate --link-only [--base PROFILE] [--out FILE]\n"
            "                         [--link-seconds S] [--link-rate R] [--quiet]\n"
            "       meshsim calibrate --link-only --wakeups RECORD [--wakeups-of A,B]\n"
            "                         [--wakeups-stall MS]\n"
            "                         [--base PROFILE] [--out FILE] [--quiet]",
    .summary = "measure the live services' CPU per call and write a cost profile",
    .help =
        "Runs the shop's services as live processes on a private loopback net\n"
        "(as `meshsim up` does), calls every gRPC method and HTTP route one call at\n"
        "a time, and measures the serving process's CPU time per call (its threads'\n"
        "/proc/PID/task/*/schedstat: handler, encoding, transport, logging and the\n"
        "calls it makes as a client). Writes the simulator's cost profile (format:\n"
        "sim/vrt/README.md): mean and sd per method, the load generator's CPU per\n"
        "request (\"clients\", when the frontend is measured), and the loopback\n"
        "link (\"link\", used by `meshsim run --link profile`): its latency, the\n"
        "median transit of the leaf calls, and its jitter, the quantiles of the\n"
        "extra delay a message to a sleeping process meets on this machine while\n"
        "the load generator runs (a probe: loopback TCP between two processes; on\n"
        "a busy machine the woken process waits for a CPU, longer after a long\n"
        "sleep: quantiles per band of how long it slept). Progress and figures\n"
        "go to stderr.\n"
        "\n"
        "With --link-only, no shop runs: only the jitter is measured, under\n"
        "whatever load the machine has now (bench-simlive runs it beside the live\n"
        "shop's load when perf cannot record), and written into a copy of --base\n"
        "(or a profile with only the link).\n"
        "\n"
        "With --link-only --wakeups RECORD, nothing is measured: the jitter is the\n"
        "shop's own wake-ups, read from a scheduler's record taken while the live\n"
        "shop ran (on this machine or on a cluster's node): the text of\n"
        "  perf record -k CLOCK_MONOTONIC -e sched:sched_switch \\\n"
        "      -e sched:sched_wakeup -a -o P -- sleep 60\n"
        "  perf sched timehist --state -i P > RECORD\n"
        "Each time a chosen process woke from sleep, its wait for a CPU (perf's\n"
        "sch delay) after how long it slept. Better than the probe when you can\n"
        "take one: it is the services' own hops, under their own load\n"
        "(bench-simlive uses it when perf works). Only CPUs whose idle time\n"
        "the record has are read (perf records none on some VMs' CPUs, whose\n"
        "runs then hold idle time). The runs of 1.5 ms or more there are\n"
        "stalls, the vCPU stopped under the task; those less than 5 ms apart\n"
        "are one freeze of the machine. How many freezes began per second of\n"
        "the processes' CPU and their lengths become the profile's\n"
        "\"freezes\", in which the simulator stops every pod (sim/vrt/README.md).\n"
        "\n"
        "options:\n"
        "  --out FILE           the profile to write (default ./cost-profile.json;\n"
        "                       \"-\": stdout). Written only when every probe\n"
        "                       succeeded. `meshsim run --profile FILE` uses it; the\n"
        "                       shipped one is data/cost-profile.json\n"
        "  --calls N            measured calls per method (default 1000; about 40 s\n"
        "                       for the whole shop)\n"
        "  --rounds R           split them into R rounds over every method (default\n"
        "                       5); each figure is the median of its rounds'\n"
        "  --warmup N           unmeasured calls before each round's (default 20)\n"
        "  --services A,B       measure only these services (the services they call\n"
        "                       run too); default all twelve\n"
        "  --net 127.B.C        the loopback /24 of the services (default 127.0.11)\n"
        "  --bin-dir DIR        where the service programs are (default: beside meshsim)\n"
        "  --loadgen-users N    the load generator's client cost (its CPU per request,\n"
        "  --loadgen-rate R     the profile's \"clients\"): measured by running the\n"
        "  --loadgen-seconds S  loadgenerator program against the shop with N users\n"
        "                       started at R/s for S s (default 300, 50, 20, the\n"
        "                       bench's load); S 0 skips it (only when the frontend\n"
        "                       is measured)\n"
        "  --link-seconds S     how long the link probe runs (default: as long as\n"
        "                       the load generator; 20 with --link-only); 0 skips it\n"
        "  --link-rate R        its messages a second, on average (default 500)\n"
        "  --link-only          measure the link's jitter only (above)\n"
        "  --base PROFILE       with --link-only: the profile to copy (default: none)\n"
        "  --wakeups RECORD     with --link-only: the jitter from a scheduler's record\n"
        "                       (above; \"-\": stdin) instead of the probe\n"
        "  --wakeups-stall MS   with --wakeups: a run of MS or more on a CPU whose idle\n"
        "                       time the record has is a stall (the vCPU stopped),\n"
        "                       merged into the profile's \"freezes\" (default 1.5;\n"
        "                       0: none is, and the profile gets none;\n"
        "                       tools/schedwake.h)\n"
        "  --wakeups-of A,B     whose wake-ups (process names, as ps shows them; at\n"
        "                       most 15 characters count); default the shop's twelve\n"
        "                       services and the load generator\n"
        "  --timeout S          bound on the whole measurement (default 600)\n"
        "  --ready-timeout S    how long to wait for every service to be healthy (30)\n"
        "  --keep-state         keep the temporary state directory (logs, SQLite)\n"
        "  --quiet, -q          no progress on stderr (errors only)\n"
        "\n"
        "Services run in a temporary directory under $TMPDIR (or /dev/shm when\n"
        "TMPDIR is unset, as `meshsim run`'s volumes; else /tmp), removed at\n"
        "exit; they are stopped (SIGTERM, then SIGKILL) on every exit, Ctrl-C\n"
        "included. Measurements share the machine with whatever else runs: run it\n"
        "on a quiet machine, and compare figures taken together.\n"
        "\n"
        "Exit status: 0 written, 1 a service or a call failed, 2 bad usage.\n",
    .exec = calibrate_exec,
};

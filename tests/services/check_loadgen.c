/*
 * check_loadgen.c — the load generator on the in-memory runtime, with an
 * HTTP stub standing in for the frontend: task weights, think times, spawn
 * rate, cookies, redirects, the checkout form (Luhn-valid VISA, expiry in
 * the future), failure counting, stop and abort, percentiles, determinism.
 */
#include <ctype.h>
#include <math.h>

#include "check_util.h"
#include "loadgenerator/loadgen.h"

#define ADDR "frontend.frontend.svc.cluster.local:80"

/* ---- a fake frontend ---------------------------------------------------- */

typedef struct shop {
  rt_test_t *t;
  int fail_status;    /* answer every request with this when non-zero */
  int redirect_loop;  /* POST /setCurrency redirects to itself, forever */
  int expire_currency; /* GET /cart clears shop_currency */
  unsigned sessions;  /* session ids handed out */
  unsigned requests;
  unsigned without_session; /* requests arriving with no session cookie */
  unsigned get_cart, post_cart, post_setcurrency, post_checkout, get_product,
      get_index;
  unsigned with_currency; /* requests carrying shop_currency */
  unsigned bad_forms;     /* forms the checks below rejected */
  char last_checkout[2048];
  rt_time_t times[4096]; /* when requests arrived */
  unsigned n_times;
  char trace[1 << 16];    /* "METHOD target body\n"..., for determinism */
  size_t trace_len;
  /* the reply's storage */
  rt_http_header_t h[3];
  char cookie[128], cookie2[384];
} shop_t;

static int in_list(const char *s, const char *const *a, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(s, a[i]))
      return 1;
  return 0;
}

/* The value of |key| in the form |body| (decoded into |out|), or NULL. */
static const char *form_get(const char *body, const char *key, char *out,
                            size_t size) {
  size_t klen = strlen(key);
  for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
    if (!strncmp(p, key, klen) && p[klen] == '=') {
      const char *v = p + klen + 1;
      size_t o = 0;
      for (; *v && *v != '&' && o + 1 < size; v++) {
        if (*v == '+') {
          out[o++] = ' ';
        } else if (*v == '%' && isxdigit((unsigned char)v[1]) &&
                   isxdigit((unsigned char)v[2])) {
          char hex[3] = {v[1], v[2], 0};
          out[o++] = (char)strtol(hex, NULL, 16);
          v += 2;
        } else {
          out[o++] = *v;
        }
      }
      out[o] = '\0';
      return out;
    }
  }
  return NULL;
}

static int all_digits(const char *s, size_t n) {
  if (strlen(s) != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i]))
      return 0;
  return 1;
}

static rt_status_t shop_fn(void *user, const rt_http_request_t *req,
                           rt_test_http_reply_t *reply, char *msg,
                           size_t msgsize) {
  shop_t *s = user;
  rt_t *rt = rt_test_rt(s->t);
  s->requests++;
  if (s->n_times < sizeof s->times / sizeof *s->times)
    s->times[s->n_times++] = rt_now(rt);
  char body[2048];
  snprintf(body, sizeof body, "%.*s", (int)req->body_len,
           (const char *)req->body);
  int n = snprintf(s->trace + s->trace_len, sizeof s->trace - s->trace_len,
                   "%s %s %s\n", req->method, req->target, body);
  if (n > 0 && (size_t)n < sizeof s->trace - s->trace_len)
    s->trace_len += (size_t)n;
  const char *cookie = rt_http_header(req, "cookie");
  if (cookie && strstr(cookie, "shop_currency="))
    s->with_currency++;
  size_t nh = 0;
  if (!cookie || !strstr(cookie, "shop_session-id=")) {
    s->without_session++;
    snprintf(s->cookie, sizeof s->cookie,
             "shop_session-id=session-%u; Path=/; Max-Age=172800", ++s->sessions);
    s->h[nh++] = (rt_http_header_t){"Set-Cookie", s->cookie};
  }
  if (s->fail_status) {
    reply->status = s->fail_status;
    reply->body = "boom";
    reply->body_len = 4;
    reply->headers = s->h;
    reply->n_headers = nh;
    return RT_OK;
  }
  const char *ct = rt_http_header(req, "content-type");
  if (!strcmp(req->method, "POST") &&
      (!ct || strcmp(ct, "application/x-www-form-urlencoded")))
    s->bad_forms++;
  char v[256];
  reply->status = 200;
  reply->body = "<html>ok</html>";
  reply->body_len = 15;
  if (!strcmp(req->method, "GET") && !strcmp(req->path, "/")) {
    s->get_index++;
  } else if (!strcmp(req->method, "GET") && !strncmp(req->path, "/product/", 9)) {
    s->get_product++;
    if (!in_list(req->path + 9, loadgen_products, 9))
      s->bad_forms++;
  } else if (!strcmp(req->method, "GET") && !strcmp(req->path, "/cart")) {
    s->get_cart++;
    if (s->expire_currency) {
      snprintf(s->cookie2, sizeof s->cookie2,
               "shop_currency=; Path=/; Max-Age=0");
      s->h[nh++] = (rt_http_header_t){"Set-Cookie", s->cookie2};
    }
  } else if ((s->redirect_loop || !strcmp(req->method, "POST")) &&
             !strcmp(req->path, "/setCurrency")) {
    s->post_setcurrency++; /* in a loop, the GETs that follow too */
    if (!strcmp(req->method, "POST") &&
        (!form_get(body, "currency_code", v, sizeof v) ||
         !in_list(v, loadgen_currencies, 6)))
      s->bad_forms++;
    if (strcmp(req->method, "POST"))
      snprintf(v, sizeof v, "USD");
    snprintf(s->cookie2, sizeof s->cookie2, "shop_currency=%s; Path=/; Max-Age=172800", v);
    s->h[nh++] = (rt_http_header_t){"Set-Cookie", s->cookie2};
    s->h[nh++] = (rt_http_header_t){"Location",
                                    s->redirect_loop ? "/setCurrency" : "/"};
    reply->status = 302;
    reply->body_len = 0;
  } else if (!strcmp(req->method, "POST") && !strcmp(req->path, "/cart")) {
    s->post_cart++;
    char q[16];
    if (!form_get(body, "product_id", v, sizeof v) ||
        !in_list(v, loadgen_products, 9) ||
        !form_get(body, "quantity", q, sizeof q) || atoi(q) < 1 || atoi(q) > 10)
      s->bad_forms++;
    s->h[nh++] = (rt_http_header_t){"Location", "http://frontend/cart"};
    reply->status = 302;
    reply->body_len = 0;
  } else if (!strcmp(req->method, "POST") && !strcmp(req->path, "/cart/checkout")) {
    s->post_checkout++;
    snprintf(s->last_checkout, sizeof s->last_checkout, "%s", body);
  } else {
    reply->status = 404;
  }
  reply->headers = s->h;
  reply->n_headers = nh;
  (void)msg;
  (void)msgsize;
  return RT_OK;
}

static rt_test_t *start(const char *const *env, uint64_t seed, shop_t *s) {
  rt_test_t *t = rt_test_new(&loadgen_service, env, seed);
  ck_assert_msg(t != NULL, "init failed: %s", rt_test_last_init_error());
  if (s) {
    memset(s, 0, sizeof *s);
    s->t = t;
    ck_assert_ptr_nonnull(rt_test_http_stub(t, ADDR, shop_fn, s));
  }
  return t;
}

static loadgen_t *lg_of(rt_test_t *t) { return rt_get_user(rt_test_rt(t)); }

static shop_t shop; /* big: keep off the stack */

/* ---- tasks and timing ----------------------------------------------------- */

START_TEST(test_task_weights) {
  const char *env[] = {"FRONTEND_ADDR=" ADDR, "USERS=1", "THINK_MIN=1s",
                       "THINK_MAX=1s", NULL};
  rt_test_t *t = start(env, 42, &shop);
  rt_test_advance(t, 19000 * RT_SEC);
  loadgen_t *lg = lg_of(t);
  const unsigned w[LOADGEN_N_TASKS] = {1, 2, 10, 2, 3, 1};
  uint64_t total = 0;
  for (int i = 0; i < LOADGEN_N_TASKS; i++)
    total += loadgen_task_count(lg, (loadgen_task_t)i);
  ck_assert_uint_ge(total, 18990);
  double chi2 = 0;
  for (int i = 0; i < LOADGEN_N_TASKS; i++) {
    double expect = (double)total * w[i] / 19.0;
    double d = (double)loadgen_task_count(lg, (loadgen_task_t)i) - expect;
    chi2 += d * d / expect;
  }
  /* 5 degrees of freedom: P(chi2 > 20.5) = 0.001. Deterministic (seed). */
  ck_assert_msg(chi2 < 20.5, "chi-square %.2f", chi2);
  /* The requests match the tasks. */
  uint64_t browse = loadgen_task_count(lg, LOADGEN_TASK_BROWSE_PRODUCT),
           add = loadgen_task_count(lg, LOADGEN_TASK_ADD_TO_CART),
           co = loadgen_task_count(lg, LOADGEN_TASK_CHECKOUT);
  ck_assert_uint_eq(shop.get_product, browse + add + co);
  ck_assert_uint_eq(shop.post_cart, add + co);
  ck_assert_uint_eq(shop.post_checkout, co);
  ck_assert_uint_eq(shop.post_setcurrency,
                    loadgen_task_count(lg, LOADGEN_TASK_SET_CURRENCY));
  /* "/" once per user at start, plus index tasks and setCurrency's redirect. */
  ck_assert_uint_eq(shop.get_index, 1 + loadgen_task_count(lg, LOADGEN_TASK_INDEX) +
                                        shop.post_setcurrency);
  ck_assert_uint_eq(shop.bad_forms, 0);
  rt_test_free(t);
}
END_TEST

START_TEST(test_think_time_bounds) {
  const char *env[] = {"FRONTEND_ADDR=" ADDR, "USERS=1", NULL};
  rt_test_t *t = start(env, 7, &shop);
  const loadgen_config_t *cfg = loadgen_config(lg_of(t));
  ck_assert(cfg->think_min == 1 * RT_SEC && cfg->think_max == 10 * RT_SEC);
  rt_test_advance(t, 3000 * RT_SEC);
  /* The stub answers at once: requests of one task share an instant, and
   * the gaps between instants are the think times. */
  rt_time_t lo = RT_TIME_INFINITE, hi = 0;
  unsigned gaps = 0;
  double sum = 0;
  for (unsigned i = 1; i < shop.n_times; i++) {
    rt_time_t g = shop.times[i] - shop.times[i - 1];
    if (g == 0)
      continue;
    ck_assert_msg(g >= 1 * RT_SEC && g <= 10 * RT_SEC, "gap %lld ns",
                  (long long)g);
    lo = g < lo ? g : lo;
    hi = g > hi ? g : hi;
    sum += (double)g;
    gaps++;
  }
  ck_assert_uint_ge(gaps, 400);
  ck_assert(lo < 1200 * RT_MSEC && hi > 9800 * RT_MSEC);
  double mean = sum / gaps / (double)RT_SEC;
  ck_assert_msg(mean > 5.0 && mean < 6.0, "mean think %.2f s", mean);
  /* The first task follows the first "/" at once (Locust's TaskSet). */
  ck_assert_msg(shop.times[0] == RT_TEST_EPOCH && shop.times[1] == RT_TEST_EPOCH,
                "%lld %lld", (long long)(shop.times[0] - RT_TEST_EPOCH),
                (long long)(shop.times[1] - RT_TEST_EPOCH));
  rt_test_free(t);
}
END_TEST

START_TEST(test_spawn_rate) {
  const char *env[] = {"FRONTEND_ADDR=" ADDR, "USERS=5", "RATE=2",
                       "THINK_MIN=100s", "THINK_MAX=100s", NULL};
  rt_test_t *t = start(env, 1, &shop);
  loadgen_t *lg = lg_of(t);
  rt_test_advance(t, 0);
  ck_assert_uint_eq(loadgen_users_spawned(lg), 1);
  rt_test_advance(t, 1100 * RT_MSEC);
  ck_assert_uint_eq(loadgen_users_spawned(lg), 3);
  rt_test_advance(t, 5 * RT_SEC);
  ck_assert_uint_eq(loadgen_users_spawned(lg), 5);
  ck_assert_uint_eq(loadgen_users_active(lg), 5);
  /* One session per user; each user's first request is at i / RATE. */
  ck_assert_uint_eq(shop.sessions, 5);
  ck_assert_uint_eq(shop.without_session, 5);
  rt_test_free(t);
}
END_TEST

/* ---- cookies and redirects ---------------------------------------------- */

START_TEST(test_cookies) {
  const char *env[] = {"FRONTEND_ADDR=" ADDR, "USERS=3", "RATE=10",
                       "THINK_MIN=0", "THINK_MAX=2s", NULL};
  rt_test_t *t = start(env, 3, &shop);
  rt_test_advance(t, 600 * RT_SEC);
  ck_assert_uint_ge(shop.requests, 1000);
  /* Each user got one session and kept sending it. */
  ck_assert_uint_eq(shop.sessions, 3);
  ck_assert_uint_eq(shop.without_session, 3);
  /* shop_currency is sent back once set. */
  ck_assert_uint_gt(shop.post_setcurrency, 10);
  ck_assert_uint_gt(shop.with_currency, shop.requests / 2);
  rt_test_free(t);

  /* Max-Age=0 clears it: with GET /cart clearing it, fewer carry it. */
  t = start(env, 3, &shop);
  shop.expire_currency = 1;
  rt_test_advance(t, 600 * RT_SEC);
  unsigned cleared = shop.with_currency;
  ck_assert_uint_eq(shop.sessions, 3);
  rt_test_free(t);
  ck_assert_uint_gt(shop.requests, 0);
  t = start(env, 3, &shop);
  rt_test_advance(t, 600 * RT_SEC);
  ck_assert_uint_lt(cleared, shop.with_currency);
  rt_test_free(t);
}
END_TEST

START_TEST(test_redirects) {
  const char *env[] = {"FRONTEND_ADDR=" ADDR, "USERS=2", "RATE=10",
                       "THINK_MIN=1s", "THINK_MAX=2s", NULL};
  rt_test_t *t = start(env, 5, &shop);
  rt_test_advance(t, 2000 * RT_SEC);
  loadgen_t *lg = lg_of(t);
  const loadgen_stats_t *st = loadgen_stats(lg);
  const loadgen_route_t *post_cart = loadgen_stats_find(st, "POST", "/cart"),
                        *get_cart = loadgen_stats_find(st, "GET", "/cart"),
                        *setcur = loadgen_stats_find(st, "POST", "/setCurrency"),
                        *index = loadgen_stats_find(st, "GET", "/");
  ck_assert_ptr_nonnull(post_cart);
  ck_assert_ptr_nonnull(get_cart);
  ck_assert_ptr_nonnull(setcur);
  /* Each POST /cart was followed by a GET /cart (the absolute Location
   * too), counted under POST /cart only, like Locust. */
  ck_assert_uint_eq(post_cart->requests, shop.post_cart);
  ck_assert_uint_eq(shop.get_cart, shop.post_cart + get_cart->requests);
  ck_assert_uint_eq(get_cart->requests,
                    loadgen_task_count(lg, LOADGEN_TASK_VIEW_CART));
  ck_assert_uint_eq(setcur->requests, shop.post_setcurrency);
  ck_assert_uint_eq(index->requests,
                    2 + loadgen_task_count(lg, LOADGEN_TASK_INDEX));
  ck_assert_uint_eq(loadgen_stats_total(st)->failures, 0);
  /* A snapshot stands alone and agrees with the live figures. */
  loadgen_snapshot_t snap;
  ck_assert_int_eq(loadgen_snapshot(lg, 10, &snap), 0);
  ck_assert_uint_eq(snap.n_routes, loadgen_stats_n_routes(st));
  ck_assert_uint_eq(snap.total.requests, loadgen_stats_total(st)->requests);
  ck_assert_str_eq(snap.total.name, "Aggregated");
  ck_assert_uint_eq(snap.users_spawned, 2);
  ck_assert(snap.elapsed == 2000 * RT_SEC);
  uint64_t sum = 0;
  for (size_t i = 0; i < snap.n_routes; i++)
    sum += snap.routes[i].requests;
  ck_assert_uint_eq(sum, snap.total.requests);
  ck_assert(snap.total.rps > 0 && snap.total.p99_ms >= snap.total.p50_ms);
  ck_assert_uint_eq(snap.task_counts[LOADGEN_TASK_VIEW_CART],
                    loadgen_task_count(lg, LOADGEN_TASK_VIEW_CART));
  loadgen_snapshot_free(&snap);
  /* Routes come sorted by name, then method. */
  ck_assert_str_eq(loadgen_stats_route(st, 0)->name, "/");
  for (size_t i = 1; i < loadgen_stats_n_routes(st); i++) {
    const loadgen_route_t *a = loadgen_stats_route(st, i - 1),
                          *b = loadgen_stats_route(st, i);
    int c = strcmp(a->name, b->name);
    ck_assert(c < 0 || (c == 0 && strcmp(a->method, b->method) < 0));
  }
  rt_test_free(t);

  /* A redirect loop fails after 5 hops. */
  t = start(env, 5, &shop);
  shop.redirect_loop = 1;
  rt_test_advance(t, 500 * RT_SEC);
  st = loadgen_stats(lg_of(t));
  setcur = loadgen_stats_find(st, "POST", "/setCurrency");
  ck_assert_uint_gt(setcur->requests, 0);
  ck_assert_uint_eq(setcur->failures, setcur->requests);
  ck_assert_uint_eq(shop.post_setcurrency, 6 * setcur->requests);
  ck_assert_str_eq(loadgen_stats_error(st, 0)->reason, "too many redirects");
  rt_test_free(t);

  /* FOLLOW_REDIRECTS=0: a 302 is a success and is not followed. */
  const char *env2[] = {"FRONTEND_ADDR=" ADDR, "USERS=2", "RATE=10",
                        "THINK_MIN=1s", "THINK_MAX=2s", "FOLLOW_REDIRECTS=0",
                        NULL};
  t = start(env2, 5, &shop);
  rt_test_advance(t, 2000 * RT_SEC);
  st = loadgen_stats(lg_of(t));
  ck_assert_uint_eq(shop.get_cart,
                    loadgen_stats_find(st, "GET", "/cart")->requests);
  ck_assert_uint_eq(loadgen_stats_total(st)->failures, 0);
  rt_test_free(t);
}
END_TEST

/* ---- the checkout form -------------------------------------------------- */

START_TEST(test_checkout_form) {
  const char *env[] = {"FRONTEND_ADDR=" ADDR, "USERS=1", "THINK_MIN=1s",
                       "THINK_MAX=1s", NULL};
  rt_test_t *t = start(env, 11, &shop);
  unsigned seen = 0, last = 0;
  char v[256];
  while (seen < 50) {
    rt_test_advance(t, 1 * RT_SEC);
    if (shop.post_checkout == last)
      continue;
    last = shop.post_checkout;
    seen++;
    const char *b = shop.last_checkout;
    static const char *const fields[] = {
        "email", "street_address", "zip_code", "city", "state", "country",
        "credit_card_number", "credit_card_expiration_month",
        "credit_card_expiration_year", "credit_card_cvv"};
    for (size_t i = 0; i < 10; i++) {
      ck_assert_msg(form_get(b, fields[i], v, sizeof v) && v[0],
                    "field %s missing in %s", fields[i], b);
    }
    form_get(b, "email", v, sizeof v);
    ck_assert_ptr_nonnull(strchr(v, '@'));
    form_get(b, "zip_code", v, sizeof v);
    ck_assert(all_digits(v, 5) && v[0] != '0');
    form_get(b, "state", v, sizeof v);
    ck_assert(strlen(v) == 2 && isupper((unsigned char)v[0]));
    form_get(b, "credit_card_number", v, sizeof v);
    ck_assert_msg(all_digits(v, 16) && v[0] == '4' && loadgen_luhn_valid(v),
                  "card %s", v);
    form_get(b, "credit_card_expiration_month", v, sizeof v);
    ck_assert(atoi(v) >= 1 && atoi(v) <= 12);
    form_get(b, "credit_card_expiration_year", v, sizeof v);
    ck_assert(atoi(v) >= 2027 && atoi(v) <= 2026 + 70); /* clock: 2026 */
    form_get(b, "credit_card_cvv", v, sizeof v);
    ck_assert(all_digits(v, 3) && v[0] != '0');
  }
  ck_assert_uint_eq(shop.bad_forms, 0);
  rt_test_free(t);
}
END_TEST

START_TEST(test_fake_data) {
  rt_test_t *t = start((const char *const[]){"FRONTEND_ADDR=x:1", NULL}, 9, NULL);
  rt_t *rt = rt_test_rt(t);
  ck_assert(loadgen_luhn_valid("4111111111111111"));
  ck_assert(loadgen_luhn_valid("4242424242424242"));
  ck_assert(!loadgen_luhn_valid("4111111111111112"));
  ck_assert(!loadgen_luhn_valid("41111111x1111111"));
  ck_assert(!loadgen_luhn_valid("4"));
  char card[20];
  unsigned last_digit[10] = {0};
  for (int i = 0; i < 2000; i++) {
    loadgen_fake_visa(rt, card);
    ck_assert(all_digits(card, 16) && card[0] == '4');
    ck_assert_msg(loadgen_luhn_valid(card), "%s", card);
    last_digit[card[15] - '0']++;
  }
  for (int d = 0; d < 10; d++) /* every check digit occurs */
    ck_assert_uint_gt(last_digit[d], 100);
  /* Expiry from the clock: after moving to 2030, years start at 2031. */
  rt_test_set_now(t, RT_TEST_EPOCH + (rt_time_t)(4 * 365 + 1) * 86400 * RT_SEC);
  ck_assert_int_eq(loadgen_utc_year(rt_now(rt)), 2030);
  loadgen_checkout_form_t f;
  for (int i = 0; i < 500; i++) {
    loadgen_fake_checkout(rt, &f);
    ck_assert(f.credit_card_expiration_year >= 2031 &&
              f.credit_card_expiration_year <= 2100);
  }
  /* Calendar years. */
  ck_assert_int_eq(loadgen_utc_year(RT_TEST_EPOCH), 2026);
  ck_assert_int_eq(loadgen_utc_year(RT_TEST_EPOCH - 1), 2025);
  ck_assert_int_eq(loadgen_utc_year(0), 1970);
  ck_assert_int_eq(loadgen_utc_year(-1), 1969);
  ck_assert_int_eq(loadgen_utc_year((rt_time_t)951782400 * RT_SEC), 2000); /* 2000-02-29 */
  ck_assert_int_eq(loadgen_utc_year((rt_time_t)4102444799 * RT_SEC), 2099);
  /* Form encoding. */
  char buf[64] = "";
  ck_assert_int_eq(loadgen_form_append(buf, sizeof buf, "email", "a.b@x.com"), 0);
  ck_assert_int_eq(loadgen_form_append(buf, sizeof buf, "street", "1 Main St&"), 0);
  ck_assert_str_eq(buf, "email=a.b%40x.com&street=1+Main+St%26");
  ck_assert_int_eq(loadgen_form_append(buf, 40, "k", "v"), -1);
  ck_assert_str_eq(buf, "email=a.b%40x.com&street=1+Main+St%26");
  rt_test_free(t);
}
END_TEST

/* ---- failures ------------------------------------------------------------- */

START_TEST(test_http_500) {
  const char *env[] = {"FRONTEND_ADDR=" ADDR, "USERS=3", "RATE=3",
                       "THINK_MIN=1s", "THINK_MAX=3s", NULL};
  rt_test_t *t = start(env, 2, &shop);
  shop.fail_status = 500;
  rt_test_advance(t, 300 * RT_SEC);
  const loadgen_stats_t *st = loadgen_stats(lg_of(t));
  const loadgen_route_t *tot = loadgen_stats_total(st);
  ck_assert_uint_gt(tot->requests, 100);
  ck_assert_uint_eq(tot->failures, tot->requests);
  ck_assert_uint_eq(tot->requests, shop.requests); /* no redirect followed */
  uint64_t sum = 0;
  for (size_t i = 0; i < loadgen_stats_n_errors(st); i++) {
    const loadgen_error_t *e = loadgen_stats_error(st, i);
    ck_assert_str_eq(e->reason, "HTTP 500");
    sum += e->count;
  }
  ck_assert_uint_eq(sum, tot->failures);
  ck_assert_ptr_nonnull(loadgen_stats_find(st, "GET", "/"));
  ck_assert_uint_eq(loadgen_stats_find(st, "GET", "/")->failures,
                    loadgen_stats_find(st, "GET", "/")->requests);
  /* Users keep going after failures (Locust records and goes on). */
  ck_assert_uint_eq(loadgen_users_active(lg_of(t)), 3);
  rt_test_free(t);
}
END_TEST

START_TEST(test_transport_failures) {
  /* No stub at the address: UNAVAILABLE. */
  const char *env[] = {"FRONTEND_ADDR=nowhere:80", "USERS=2", "RATE=2",
                       "THINK_MIN=1s", "THINK_MAX=1s", NULL};
  rt_test_t *t = start(env, 2, &shop);
  rt_test_advance(t, 30 * RT_SEC);
  const loadgen_stats_t *st = loadgen_stats(lg_of(t));
  ck_assert_uint_gt(loadgen_stats_total(st)->requests, 20);
  ck_assert_uint_eq(loadgen_stats_total(st)->failures,
                    loadgen_stats_total(st)->requests);
  const loadgen_error_t *e = loadgen_stats_error(st, 0);
  ck_assert_msg(!strncmp(e->reason, "UNAVAILABLE: ", 13), "%s", e->reason);
  ck_assert_uint_eq(shop.requests, 0);
  rt_test_free(t);

  /* A frontend slower than REQUEST_TIMEOUT: DEADLINE_EXCEEDED after 1 s. */
  const char *env2[] = {"FRONTEND_ADDR=" ADDR, "USERS=1", "THINK_MIN=1s",
                        "THINK_MAX=1s", "REQUEST_TIMEOUT=1s", NULL};
  t = start(env2, 2, &shop);
  rt_test_stub_t *stub = rt_test_http_stub(t, ADDR, shop_fn, &shop);
  rt_test_stub_set_delay(stub, 5 * RT_SEC);
  rt_test_advance(t, 60 * RT_SEC);
  st = loadgen_stats(lg_of(t));
  const loadgen_route_t *tot = loadgen_stats_total(st);
  ck_assert_uint_gt(tot->requests, 10);
  ck_assert_uint_eq(tot->failures, tot->requests);
  ck_assert(tot->min == 1 * RT_SEC && tot->max == 1 * RT_SEC);
  ck_assert_msg(!strncmp(loadgen_stats_error(st, 0)->reason,
                         "DEADLINE_EXCEEDED", 17),
                "%s", loadgen_stats_error(st, 0)->reason);
  ck_assert(rt_test_stub_last_deadline(stub) != RT_TIME_INFINITE);
  rt_test_free(t);
}
END_TEST

/* ---- stop, drain, abort --------------------------------------------------- */

static int drained_calls;
static void on_drained(loadgen_t *lg, void *arg) {
  drained_calls++;
  *(rt_time_t *)arg = loadgen_stats_now(lg);
}

START_TEST(test_stop_drains) {
  const char *env[] = {"FRONTEND_ADDR=" ADDR, "USERS=4", "RATE=100",
                       "THINK_MIN=1s", "THINK_MAX=1s", NULL};
  rt_test_t *t = start(env, 2, &shop);
  rt_test_stub_t *stub = rt_test_http_stub(t, ADDR, shop_fn, &shop);
  rt_test_stub_set_delay(stub, 3 * RT_SEC);
  loadgen_t *lg = lg_of(t);
  rt_test_advance(t, 10 * RT_SEC);
  ck_assert_uint_eq(loadgen_inflight(lg), 4);
  uint64_t before = loadgen_stats_total(loadgen_stats(lg))->requests;
  rt_time_t at = 0;
  drained_calls = 0;
  loadgen_stop(lg, on_drained, &at);
  ck_assert_int_eq(drained_calls, 0); /* never from inside stop */
  unsigned sent = shop.requests;
  rt_test_advance(t, 100 * RT_SEC);
  ck_assert_int_eq(drained_calls, 1);
  ck_assert_uint_eq(loadgen_inflight(lg), 0);
  ck_assert_uint_eq(loadgen_users_active(lg), 0);
  /* The in-flight requests finished and were counted; nothing new was sent
   * except the redirect hops of those requests. */
  ck_assert_uint_eq(loadgen_stats_total(loadgen_stats(lg))->requests,
                    before + 4);
  ck_assert_uint_le(shop.requests, sent + 4);
  ck_assert(at > RT_TEST_EPOCH + 10 * RT_SEC);
  rt_test_free(t);

  /* Abort: cancels in-flight requests, not counted. */
  t = start(env, 2, &shop);
  stub = rt_test_http_stub(t, ADDR, shop_fn, &shop);
  rt_test_stub_set_delay(stub, 3 * RT_SEC);
  lg = lg_of(t);
  rt_test_advance(t, 10 * RT_SEC);
  before = loadgen_stats_total(loadgen_stats(lg))->requests;
  drained_calls = 0;
  loadgen_stop(lg, on_drained, &at);
  loadgen_abort(lg);
  rt_test_advance(t, 0);
  ck_assert_int_eq(drained_calls, 1);
  ck_assert_uint_eq(loadgen_stats_total(loadgen_stats(lg))->requests, before);
  ck_assert_uint_eq(rt_test_stub_cancelled(stub), 4);
  rt_test_advance(t, 100 * RT_SEC);
  ck_assert_int_eq(drained_calls, 1);
  rt_test_free(t);

  /* Stop when idle (all thinking): drained on the next loop turn. */
  t = start(env, 2, &shop);
  lg = lg_of(t);
  rt_test_advance(t, 500 * RT_MSEC);
  ck_assert_uint_eq(loadgen_inflight(lg), 0);
  drained_calls = 0;
  loadgen_stop(lg, on_drained, &at);
  ck_assert_int_eq(drained_calls, 0);
  rt_test_advance(t, 0);
  ck_assert_int_eq(drained_calls, 1);
  unsigned n = shop.requests;
  rt_test_advance(t, 100 * RT_SEC);
  ck_assert_uint_eq(shop.requests, n);
  rt_test_free(t);
}
END_TEST

/* ---- statistics ----------------------------------------------------------- */

START_TEST(test_percentiles) {
  loadgen_stats_t *s = loadgen_stats_new(0);
  /* 1..1000 ms, shuffled order does not matter: record in a stride. */
  for (int i = 0; i < 1000; i++) {
    int ms = 1 + (i * 7) % 1000;
    loadgen_stats_record(s, "GET", "/x", (rt_time_t)i * 10 * RT_MSEC,
                         (rt_time_t)ms * RT_MSEC, 100, NULL);
  }
  const loadgen_route_t *r = loadgen_stats_find(s, "GET", "/x");
  ck_assert_ptr_nonnull(r);
  ck_assert_uint_eq(r->requests, 1000);
  struct {
    double q, want;
  } cases[] = {{0.5, 500}, {0.95, 950}, {0.99, 990}, {0.0, 1}, {1.0, 1000}};
  for (size_t i = 0; i < 5; i++) {
    double got = (double)loadgen_route_quantile(r, cases[i].q) / RT_MSEC;
    ck_assert_msg(fabs(got - cases[i].want) <= cases[i].want / 128.0 + 1e-9,
                  "q%.2f: %.3f ms, want %.0f", cases[i].q, got, cases[i].want);
  }
  loadgen_summary_t sum;
  loadgen_route_summary(s, r, 10 * RT_SEC, 10, &sum);
  ck_assert(fabs(sum.avg_ms - 500.5) < 1e-9);
  ck_assert(sum.min_ms == 1 && sum.max_ms == 1000);
  ck_assert(fabs(sum.rps - 100) < 1e-9); /* 1000 in 10 s */
  ck_assert(fabs(sum.cur_rps - 100) < 1e-9);
  ck_assert_uint_eq(sum.bytes, 100000);

  /* Small values are exact; the relative error bound holds everywhere. */
  loadgen_hist_t *h = calloc(1, sizeof *h);
  for (uint64_t v = 1; v <= 100; v++)
    loadgen_hist_record(h, v);
  ck_assert_uint_eq(loadgen_hist_quantile(h, 0.5), 50);
  ck_assert_uint_eq(loadgen_hist_quantile(h, 0.99), 99);
  for (uint64_t v = 1; v < (UINT64_C(1) << 40); v = v * 3 + 1) {
    memset(h, 0, sizeof *h);
    loadgen_hist_record(h, v);
    uint64_t got = loadgen_hist_quantile(h, 0.5);
    double err = fabs((double)got - (double)v) / (double)v;
    ck_assert_msg(err <= 1.0 / 128, "%llu -> %llu", (unsigned long long)v,
                  (unsigned long long)got);
  }
  free(h);

  /* Failures by reason, aggregate, sliding-window rates. */
  loadgen_stats_reset(s, 0);
  for (int sec = 0; sec < 20; sec++)
    for (int k = 0; k < (sec < 10 ? 1 : 5); k++)
      loadgen_stats_record(s, "POST", "/cart", (rt_time_t)sec * RT_SEC,
                           RT_MSEC, 0, k == 0 ? "HTTP 500" : NULL);
  loadgen_stats_record(s, "GET", "/", 0, RT_MSEC, 0, "UNAVAILABLE: x");
  r = loadgen_stats_find(s, "POST", "/cart");
  loadgen_route_summary(s, r, 20 * RT_SEC, 10, &sum);
  ck_assert(fabs(sum.cur_rps - 5) < 1e-9 && fabs(sum.cur_fail_rps - 1) < 1e-9);
  ck_assert(fabs(sum.rps - 3) < 1e-9); /* 60 in 20 s */
  ck_assert_uint_eq(loadgen_stats_total(s)->requests, 61);
  ck_assert_uint_eq(loadgen_stats_total(s)->failures, 21);
  ck_assert_uint_eq(loadgen_stats_n_errors(s), 2);
  ck_assert_uint_eq(loadgen_stats_error(s, 0)->count, 20);
  ck_assert_str_eq(loadgen_stats_error(s, 1)->reason, "UNAVAILABLE: x");
  ck_assert_str_eq(loadgen_stats_route(s, 0)->name, "/");
  loadgen_stats_free(s);
}
END_TEST

/* ---- determinism and configuration -------------------------------------- */

static char trace_a[1 << 16];

START_TEST(test_determinism) {
  const char *env[] = {"FRONTEND_ADDR=" ADDR, "USERS=3", "RATE=2", NULL};
  rt_test_t *t = start(env, 99, &shop);
  rt_test_advance(t, 300 * RT_SEC);
  ck_assert_uint_gt(shop.trace_len, 1000);
  memcpy(trace_a, shop.trace, sizeof trace_a);
  rt_test_free(t);
  t = start(env, 99, &shop);
  rt_test_advance(t, 300 * RT_SEC);
  ck_assert(!strcmp(trace_a, shop.trace));
  rt_test_free(t);
  t = start(env, 100, &shop);
  rt_test_advance(t, 300 * RT_SEC);
  ck_assert(strcmp(trace_a, shop.trace) != 0);
  rt_test_free(t);
}
END_TEST

START_TEST(test_config) {
  loadgen_config_t c;
  const char *why;
  loadgen_config_default(&c);
  ck_assert(c.users == 10 && c.rate == 1 && c.follow_redirects == 1);
  ck_assert(c.request_timeout == 10 * RT_SEC);
  ck_assert_int_eq(loadgen_config_set(&c, "FRONTEND_ADDR", "http://fe:8080/", &why), 0);
  ck_assert_str_eq(c.frontend_addr, "fe:8080");
  ck_assert_int_eq(loadgen_config_set(&c, "FRONTEND_ADDR", "frontend", &why), 0);
  ck_assert_str_eq(c.frontend_addr, "frontend:80");
  ck_assert_int_eq(loadgen_config_set(&c, "FRONTEND_ADDR", "[::1]:8080", &why), 0);
  ck_assert_str_eq(c.frontend_addr, "[::1]:8080");
  ck_assert_int_eq(loadgen_config_set(&c, "FRONTEND_ADDR", "https://fe", &why), -1);
  ck_assert_int_eq(loadgen_config_set(&c, "FRONTEND_ADDR", "fe:99999", &why), -1);
  ck_assert_int_eq(loadgen_config_set(&c, "FRONTEND_ADDR", "::1", &why), -1);
  ck_assert_int_eq(loadgen_config_set(&c, "USERS", "0", &why), -1);
  ck_assert_int_eq(loadgen_config_set(&c, "USERS", "-3", &why), -1);
  ck_assert_int_eq(loadgen_config_set(&c, "USERS", "12", &why), 0);
  ck_assert_int_eq(loadgen_config_set(&c, "RATE", "0.5", &why), 0);
  ck_assert(c.rate == 0.5);
  ck_assert_int_eq(loadgen_config_set(&c, "RATE", "nan", &why), -1);
  ck_assert_int_eq(loadgen_config_set(&c, "THINK_MIN", "250ms", &why), 0);
  ck_assert(c.think_min == 250 * RT_MSEC);
  ck_assert_int_eq(loadgen_config_set(&c, "THINK_MAX", "1.5", &why), 0);
  ck_assert(c.think_max == 1500 * RT_MSEC);
  ck_assert_int_eq(loadgen_config_set(&c, "THINK_MAX", "-1s", &why), -1);
  ck_assert_int_eq(loadgen_config_set(&c, "REQUEST_TIMEOUT", "0", &why), -1);
  ck_assert_int_eq(loadgen_config_set(&c, "NOPE", "1", &why), -1);
  ck_assert_str_eq(why, "unknown setting");

  /* The service names the bad variable and value. */
  const char *bad[] = {"FRONTEND_ADDR=fe:80", "USERS=abc", NULL};
  ck_assert_ptr_null(rt_test_new(&loadgen_service, bad, 1));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), "USERS=abc"));
  ck_assert_ptr_null(rt_test_new(&loadgen_service, NULL, 1));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), "FRONTEND_ADDR"));
  const char *inv[] = {"FRONTEND_ADDR=fe:80", "THINK_MIN=5s", "THINK_MAX=2s", NULL};
  ck_assert_ptr_null(rt_test_new(&loadgen_service, inv, 1));
  ck_assert_ptr_nonnull(strstr(rt_test_last_init_error(), "THINK_MAX"));
}
END_TEST

int main(void) {
  Suite *s = suite_create("loadgen");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_task_weights);
  tcase_add_test(tc, test_think_time_bounds);
  tcase_add_test(tc, test_spawn_rate);
  tcase_add_test(tc, test_cookies);
  tcase_add_test(tc, test_redirects);
  tcase_add_test(tc, test_checkout_form);
  tcase_add_test(tc, test_fake_data);
  tcase_add_test(tc, test_http_500);
  tcase_add_test(tc, test_transport_failures);
  tcase_add_test(tc, test_stop_drains);
  tcase_add_test(tc, test_percentiles);
  tcase_add_test(tc, test_determinism);
  tcase_add_test(tc, test_config);
  suite_add_tcase(s, tc);
  return check_run(s);
}

/* loadgen.c — Locust-like virtual users on rt.h (see loadgen.h). */
#include "loadgenerator/loadgen.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/svc_duration.h"

#define N(a) (sizeof(a) / sizeof *(a))

const char *const loadgen_products[9] = {
    "0PUK6V6EV0", "1YMWWN1N4O", "2ZYFJ3GM2N", "66VCHSJNUP", "6E92ZMYYFZ",
    "9SIQT8TOJO", "L9ECAV7KIM", "LS4PSXUNUM", "OLJCESPC7Z"};
const char *const loadgen_currencies[6] = {"EUR", "USD", "JPY",
                                           "CAD", "GBP", "TRY"};

static const unsigned default_weights[LOADGEN_N_TASKS] = {
#define LOADGEN_TASK_WEIGHT(id, name, weight) weight,
    LOADGEN_TASK_MAP(LOADGEN_TASK_WEIGHT)
#undef LOADGEN_TASK_WEIGHT
};

const char *loadgen_task_name(loadgen_task_t task) {
  switch (task) {
#define LOADGEN_TASK_NAME(id, name, weight) \
  case LOADGEN_TASK_##id:                   \
    return name;
    LOADGEN_TASK_MAP(LOADGEN_TASK_NAME)
#undef LOADGEN_TASK_NAME
  default:
    return "?";
  }
}

/* The requests tasks are made of, and the route each is counted under. */
typedef enum req_kind {
  R_INDEX,
  R_SET_CURRENCY,
  R_PRODUCT,
  R_ADD_TO_CART,
  R_VIEW_CART,
  R_CHECKOUT,
} req_kind_t;

static const struct {
  const char *method, *name;
} routes[] = {
    [R_INDEX] = {"GET", "/"},
    [R_SET_CURRENCY] = {"POST", "/setCurrency"},
    [R_PRODUCT] = {"GET", "/product/[id]"},
    [R_ADD_TO_CART] = {"POST", "/cart"},
    [R_VIEW_CART] = {"GET", "/cart"},
    [R_CHECKOUT] = {"POST", "/cart/checkout"},
};

#define MAX_STEPS 3
static const struct {
  int n;
  req_kind_t steps[MAX_STEPS];
} task_steps[LOADGEN_N_TASKS] = {
    [LOADGEN_TASK_INDEX] = {1, {R_INDEX}},
    [LOADGEN_TASK_SET_CURRENCY] = {1, {R_SET_CURRENCY}},
    [LOADGEN_TASK_BROWSE_PRODUCT] = {1, {R_PRODUCT}},
    [LOADGEN_TASK_ADD_TO_CART] = {2, {R_PRODUCT, R_ADD_TO_CART}},
    [LOADGEN_TASK_VIEW_CART] = {1, {R_VIEW_CART}},
    [LOADGEN_TASK_CHECKOUT] = {3, {R_PRODUCT, R_ADD_TO_CART, R_CHECKOUT}},
};

#define MAX_REDIRECTS 5
#define JAR_SIZE 8
#define USER_AGENT "meshsim-loadgenerator/1.0"

typedef struct cookie {
  char name[64];
  char value[256];
} cookie_t;

typedef struct user {
  loadgen_t *lg;
  unsigned id;
  int active;        /* spawned and not halted */
  rt_timer_t *timer; /* thinking */
  rt_invoke_t *inv;  /* a request in flight */
  cookie_t jar[JAR_SIZE];
  size_t n_jar;
  /* the task */
  int n_steps, step;
  int on_start; /* the first "/": the first task follows at once */
  req_kind_t steps[MAX_STEPS];
  const char *product;
  /* the request: first hop's route, this hop's method, target and body */
  req_kind_t kind;
  char method[8];
  char target[512];
  char body[2048];
  size_t body_len;
  rt_time_t t0, deadline;
  int hops;
} user_t;

struct loadgen {
  rt_t *rt;
  loadgen_config_t cfg;
  loadgen_stats_t *stats;
  user_t *users; /* cfg.users of them */
  unsigned n_spawned, n_active;
  unsigned weight_sum;
  rt_timer_t *spawn_timer;
  rt_time_t spawn_t0;
  rt_timer_t *drain_timer;
  size_t inflight;
  int started, stopping, aborting, drained_fired;
  rt_time_t stop_time, last_record;
  loadgen_drained_cb drained;
  void *drained_arg;
  uint64_t task_counts[LOADGEN_N_TASKS];
};

/* ---- configuration ------------------------------------------------------ */

void loadgen_config_default(loadgen_config_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->users = 10;
  cfg->rate = 1;
  cfg->think_min = 1 * RT_SEC;
  cfg->think_max = 10 * RT_SEC;
  cfg->request_timeout = 10 * RT_SEC;
  cfg->follow_redirects = 1;
  memcpy(cfg->weights, default_weights, sizeof cfg->weights);
}

int loadgen_parse_duration(const char *v, rt_time_t *out, const char **why) {
  char *end;
  errno = 0;
  double secs = strtod(v, &end);
  if (end != v && *end == '\0' && errno == 0 && isfinite(secs)) {
    if (secs < 0 || secs > 1e9) {
      *why = "not a duration from 0 to 1e9 seconds";
      return -1;
    }
    *out = (rt_time_t)llround(secs * (double)RT_SEC);
    return 0;
  }
  rt_time_t t;
  const char *w;
  if (svc_duration_parse(v, &t, &w) != 0) {
    *why = "not a duration (e.g. \"1.5s\", \"500ms\", \"2m\" or seconds)";
    return -1;
  }
  if (t < 0) {
    *why = "a negative duration";
    return -1;
  }
  *out = t;
  return 0;
}

static int set_frontend(loadgen_config_t *cfg, const char *v,
                        const char **why) {
  while (*v == ' ' || *v == '\t')
    v++;
  if (!strncasecmp(v, "https://", 8)) {
    *why = "https is not supported: the frontend speaks plain HTTP "
           "(TLS is the mesh's job)";
    return -1;
  }
  if (!strncasecmp(v, "http://", 7))
    v += 7;
  size_t n = strcspn(v, "/?# \t");
  if (n == 0) {
    *why = "no host (expected host:port)";
    return -1;
  }
  if (n >= sizeof cfg->frontend_addr - 4) {
    *why = "too long";
    return -1;
  }
  char host[sizeof cfg->frontend_addr];
  memcpy(host, v, n);
  host[n] = '\0';
  /* Where the port would start: after "]" for "[v6]:port". */
  const char *colon;
  if (host[0] == '[') {
    const char *rb = strchr(host, ']');
    if (!rb) {
      *why = "unterminated [IPv6] address";
      return -1;
    }
    colon = rb[1] == ':' ? rb + 1 : NULL;
    if (!colon && rb[1] != '\0') {
      *why = "junk after the [IPv6] address";
      return -1;
    }
  } else {
    colon = strrchr(host, ':');
    if (colon && strchr(host, ':') != colon) {
      *why = "an IPv6 address needs brackets: [addr]:port";
      return -1;
    }
  }
  if (colon) {
    if (colon == host) {
      *why = "no host (expected host:port)";
      return -1;
    }
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || errno || port < 1 ||
        port > 65535) {
      *why = "not a port number (1..65535) after the host";
      return -1;
    }
    memcpy(cfg->frontend_addr, host, n + 1);
  } else { /* n + 4 fits: checked above */
    memcpy(cfg->frontend_addr, host, n);
    memcpy(cfg->frontend_addr + n, ":80", 4);
  }
  return 0;
}

int loadgen_config_set(loadgen_config_t *cfg, const char *name,
                       const char *value, const char **why) {
  const char *dummy;
  if (!why)
    why = &dummy;
  if (!name || !value) {
    *why = "missing";
    return -1;
  }
  char *end;
  if (!strcmp(name, "FRONTEND_ADDR"))
    return set_frontend(cfg, value, why);
  if (!strcmp(name, "USERS")) {
    errno = 0;
    unsigned long n = strtoul(value, &end, 10);
    if (value[0] < '0' || value[0] > '9' || *end || errno || n < 1 ||
        n > 1000000) {
      *why = "not a positive integer (1..1000000)";
      return -1;
    }
    cfg->users = (unsigned)n;
    return 0;
  }
  if (!strcmp(name, "RATE")) {
    errno = 0;
    double r = strtod(value, &end);
    if (end == value || *end || errno || !isfinite(r) || r <= 0 || r > 1e6) {
      *why = "not a positive number of users per second";
      return -1;
    }
    cfg->rate = r;
    return 0;
  }
  if (!strcmp(name, "THINK_MIN"))
    return loadgen_parse_duration(value, &cfg->think_min, why);
  if (!strcmp(name, "THINK_MAX"))
    return loadgen_parse_duration(value, &cfg->think_max, why);
  if (!strcmp(name, "REQUEST_TIMEOUT")) {
    rt_time_t t;
    if (loadgen_parse_duration(value, &t, why) != 0)
      return -1;
    if (t <= 0) {
      *why = "not a positive duration";
      return -1;
    }
    cfg->request_timeout = t;
    return 0;
  }
  if (!strcmp(name, "FOLLOW_REDIRECTS")) {
    if (!strcasecmp(value, "1") || !strcasecmp(value, "true") ||
        !strcasecmp(value, "yes")) {
      cfg->follow_redirects = 1;
      return 0;
    }
    if (!strcasecmp(value, "0") || !strcasecmp(value, "false") ||
        !strcasecmp(value, "no")) {
      cfg->follow_redirects = 0;
      return 0;
    }
    *why = "not a boolean (1/0, true/false, yes/no)";
    return -1;
  }
  *why = "unknown setting";
  return -1;
}

static const char *const env_names[] = {
    "FRONTEND_ADDR", "USERS", "RATE", "THINK_MIN", "THINK_MAX",
    "REQUEST_TIMEOUT", "FOLLOW_REDIRECTS"};

int loadgen_config_from_env(loadgen_config_t *cfg, rt_t *rt,
                            const char **bad_name, const char **bad_value,
                            const char **why) {
  for (size_t i = 0; i < N(env_names); i++) {
    const char *v = rt_env(rt, env_names[i]);
    if (!v || !*v)
      continue;
    if (loadgen_config_set(cfg, env_names[i], v, why) != 0) {
      if (bad_name)
        *bad_name = env_names[i];
      if (bad_value)
        *bad_value = v;
      return -1;
    }
  }
  return 0;
}

int loadgen_config_check(const loadgen_config_t *cfg, const char **bad_name,
                         const char **why) {
  const char *d1, *d2;
  if (!bad_name)
    bad_name = &d1;
  if (!why)
    why = &d2;
  if (!cfg->frontend_addr[0]) {
    *bad_name = "FRONTEND_ADDR";
    *why = "required (host:port of the frontend)";
    return -1;
  }
  if (cfg->users < 1) {
    *bad_name = "USERS";
    *why = "not a positive integer (1..1000000)";
    return -1;
  }
  if (!(cfg->rate > 0) || !isfinite(cfg->rate)) {
    *bad_name = "RATE";
    *why = "not a positive number of users per second";
    return -1;
  }
  if (cfg->think_min < 0 || cfg->think_max < cfg->think_min) {
    *bad_name = "THINK_MAX";
    *why = "less than THINK_MIN";
    return -1;
  }
  if (cfg->request_timeout <= 0) {
    *bad_name = "REQUEST_TIMEOUT";
    *why = "not a positive duration";
    return -1;
  }
  unsigned long sum = 0;
  for (size_t i = 0; i < LOADGEN_N_TASKS; i++)
    sum += cfg->weights[i];
  if (sum == 0 || sum > 1000000) {
    *bad_name = "weights";
    *why = "all zero or too large";
    return -1;
  }
  return 0;
}

/* ---- cookies ------------------------------------------------------------ */

static void jar_set(user_t *u, const char *set_cookie) {
  const char *eq = strchr(set_cookie, '=');
  if (!eq)
    return;
  const char *p = set_cookie;
  while (*p == ' ')
    p++;
  size_t nlen = (size_t)(eq - p);
  while (nlen && p[nlen - 1] == ' ')
    nlen--;
  if (nlen == 0 || nlen >= sizeof u->jar[0].name)
    return;
  const char *val = eq + 1;
  size_t vlen = strcspn(val, ";");
  if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
    val++;
    vlen -= 2;
  }
  if (vlen >= sizeof u->jar[0].value)
    return;
  /* Deleted when Max-Age <= 0 or an Expires in 1970 (Go's way to clear). */
  int remove = 0;
  for (const char *a = strchr(val, ';'); a; a = strchr(a + 1, ';')) {
    const char *k = a + 1;
    while (*k == ' ')
      k++;
    if (!strncasecmp(k, "max-age=", 8)) {
      long age = strtol(k + 8, NULL, 10);
      if (age <= 0)
        remove = 1;
    } else if (!strncasecmp(k, "expires=", 8)) {
      size_t alen = strcspn(k, ";");
      for (size_t i = 8; i + 4 <= alen; i++)
        if (!strncmp(k + i, "1970", 4))
          remove = 1;
    }
  }
  size_t i;
  for (i = 0; i < u->n_jar; i++)
    if (strlen(u->jar[i].name) == nlen && !strncmp(u->jar[i].name, p, nlen))
      break;
  if (remove) {
    if (i < u->n_jar) {
      memmove(u->jar + i, u->jar + i + 1, (u->n_jar - i - 1) * sizeof *u->jar);
      u->n_jar--;
    }
    return;
  }
  if (i == u->n_jar) {
    if (u->n_jar == JAR_SIZE)
      return;
    u->n_jar++;
    memcpy(u->jar[i].name, p, nlen);
    u->jar[i].name[nlen] = '\0';
  }
  memcpy(u->jar[i].value, val, vlen);
  u->jar[i].value[vlen] = '\0';
}

static void jar_header(const user_t *u, char *buf, size_t size) {
  size_t o = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < u->n_jar; i++) {
    int n = snprintf(buf + o, size - o, "%s%s=%s", i ? "; " : "",
                     u->jar[i].name, u->jar[i].value);
    if (n < 0 || (size_t)n >= size - o) {
      buf[o] = '\0';
      return;
    }
    o += (size_t)n;
  }
}

/* ---- users -------------------------------------------------------------- */

static void user_send(user_t *u);
static void user_begin_task(user_t *u);

static void fire_drained(loadgen_t *lg) {
  if (lg->drained_fired)
    return;
  lg->drained_fired = 1;
  if (lg->drained)
    lg->drained(lg, lg->drained_arg);
}

static void maybe_drained(loadgen_t *lg) {
  if (lg->stopping && lg->inflight == 0 && !lg->drain_timer)
    fire_drained(lg);
}

static void user_halt(user_t *u) {
  if (u->active) {
    u->active = 0;
    u->lg->n_active--;
  }
}

/* Builds the first hop of the current step's request and sends it. */
static void user_request(user_t *u) {
  loadgen_t *lg = u->lg;
  rt_t *rt = lg->rt;
  req_kind_t k = u->steps[u->step];
  u->kind = k;
  u->body[0] = '\0';
  snprintf(u->method, sizeof u->method, "%s", routes[k].method);
  switch (k) {
  case R_INDEX:
    snprintf(u->target, sizeof u->target, "/");
    break;
  case R_SET_CURRENCY:
    snprintf(u->target, sizeof u->target, "/setCurrency");
    loadgen_form_append(
        u->body, sizeof u->body, "currency_code",
        loadgen_currencies[rt_rand_below(rt, N(loadgen_currencies))]);
    break;
  case R_PRODUCT:
    snprintf(u->target, sizeof u->target, "/product/%s", u->product);
    break;
  case R_ADD_TO_CART: {
    char q[12];
    snprintf(q, sizeof q, "%d", 1 + (int)rt_rand_below(rt, 10));
    snprintf(u->target, sizeof u->target, "/cart");
    loadgen_form_append(u->body, sizeof u->body, "product_id", u->product);
    loadgen_form_append(u->body, sizeof u->body, "quantity", q);
    break;
  }
  case R_VIEW_CART:
    snprintf(u->target, sizeof u->target, "/cart");
    break;
  case R_CHECKOUT: {
    loadgen_checkout_form_t f;
    loadgen_fake_checkout(rt, &f);
    snprintf(u->target, sizeof u->target, "/cart/checkout");
    loadgen_checkout_form_encode(&f, u->body, sizeof u->body);
    break;
  }
  }
  u->body_len = strlen(u->body);
  u->t0 = rt_now(rt);
  u->deadline = u->t0 + lg->cfg.request_timeout;
  u->hops = 0;
  user_send(u);
}

static void think_done(void *arg) { user_begin_task(arg); }

static void user_think(user_t *u) {
  loadgen_t *lg = u->lg;
  rt_time_t span = lg->cfg.think_max - lg->cfg.think_min;
  rt_time_t d = lg->cfg.think_min +
                (rt_time_t)rt_rand_below(lg->rt, (uint64_t)span + 1);
  u->timer = rt_timer_start(lg->rt, d, think_done, u);
  if (!u->timer)
    user_halt(u); /* out of memory: this user stops */
}

/* The current request is over: count it, then go on with the task. */
static void user_finish(user_t *u, size_t bytes, const char *error) {
  loadgen_t *lg = u->lg;
  rt_time_t now = rt_now(lg->rt);
  loadgen_stats_record(lg->stats, routes[u->kind].method, routes[u->kind].name,
                       now, now - u->t0, bytes, error);
  lg->last_record = now;
  if (lg->stopping) {
    user_halt(u);
    maybe_drained(lg);
    return;
  }
  if (++u->step < u->n_steps) {
    user_request(u);
  } else if (u->on_start) {
    u->on_start = 0;
    user_begin_task(u);
  } else {
    user_think(u);
  }
}

static int is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

/* Points the request at |location| (absolute or relative to the root). */
static void user_redirect(user_t *u, int status, const char *location) {
  const char *path = location;
  if (!strncasecmp(location, "http://", 7) ||
      !strncasecmp(location, "https://", 8)) {
    /* Same-site assumed: the frontend redirects within itself. */
    path = strchr(strstr(location, "://") + 3, '/');
    if (!path)
      path = "/";
  }
  if (path[0] == '/')
    snprintf(u->target, sizeof u->target, "%s", path);
  else
    snprintf(u->target, sizeof u->target, "/%s", path);
  if (status != 307 && status != 308) {
    snprintf(u->method, sizeof u->method, "GET");
    u->body[0] = '\0';
    u->body_len = 0;
  }
  u->hops++;
}

static void on_response(void *arg, rt_status_t status, const char *message,
                        const rt_http_response_t *resp) {
  user_t *u = arg;
  loadgen_t *lg = u->lg;
  u->inv = NULL;
  lg->inflight--;
  if (status == RT_CANCELLED && lg->aborting) {
    user_halt(u); /* aborted: not counted */
    maybe_drained(lg);
    return;
  }
  char reason[LOADGEN_REASON_MAX];
  if (status != RT_OK) {
    snprintf(reason, sizeof reason, "%s: %s", rt_status_name(status),
             message && *message ? message : "transport failed");
    user_finish(u, 0, reason);
    return;
  }
  const char *location = NULL;
  for (size_t i = 0; i < resp->n_headers; i++) {
    if (!strcasecmp(resp->headers[i].name, "set-cookie"))
      jar_set(u, resp->headers[i].value);
    else if (!location && !strcasecmp(resp->headers[i].name, "location"))
      location = resp->headers[i].value;
  }
  if (lg->cfg.follow_redirects && is_redirect(resp->status) && location &&
      *location && !lg->aborting) {
    if (u->hops >= MAX_REDIRECTS) {
      user_finish(u, resp->body_len, "too many redirects");
      return;
    }
    user_redirect(u, resp->status, location);
    user_send(u);
    return;
  }
  if (resp->status >= 400) {
    snprintf(reason, sizeof reason, "HTTP %d", resp->status);
    user_finish(u, resp->body_len, reason);
    return;
  }
  user_finish(u, resp->body_len, NULL);
}

static void user_send(user_t *u) {
  loadgen_t *lg = u->lg;
  rt_time_t left = u->deadline - rt_now(lg->rt);
  if (left <= 0) {
    user_finish(u, 0, "DEADLINE_EXCEEDED: request timeout");
    return;
  }
  char cookies[JAR_SIZE * (64 + 256 + 3)];
  jar_header(u, cookies, sizeof cookies);
  rt_http_header_t h[4];
  size_t n = 0;
  h[n++] = (rt_http_header_t){"User-Agent", USER_AGENT};
  h[n++] = (rt_http_header_t){"Accept", "text/html,*/*"};
  if (cookies[0])
    h[n++] = (rt_http_header_t){"Cookie", cookies};
  if (u->body_len)
    h[n++] = (rt_http_header_t){"Content-Type",
                                "application/x-www-form-urlencoded"};
  rt_invoke_opts_t opts = {.timeout = left, .parent = NULL};
  u->inv = rt_http_invoke(lg->rt, lg->cfg.frontend_addr, u->method, u->target,
                          h, n, u->body, u->body_len, &opts, on_response, u);
  if (!u->inv) {
    char reason[LOADGEN_REASON_MAX];
    snprintf(reason, sizeof reason, "cannot send: %s",
             errno == ENOSYS ? "no HTTP client in this runtime"
                             : strerror(errno));
    /* Bounded recursion: at most the task's steps, then a timer. */
    user_finish(u, 0, reason);
    return;
  }
  lg->inflight++;
}

static void user_begin_task(user_t *u) {
  loadgen_t *lg = u->lg;
  u->timer = NULL;
  uint64_t r = rt_rand_below(lg->rt, lg->weight_sum);
  int task = 0;
  for (; task < LOADGEN_N_TASKS - 1; task++) {
    if (r < lg->cfg.weights[task])
      break;
    r -= lg->cfg.weights[task];
  }
  lg->task_counts[task]++;
  u->n_steps = task_steps[task].n;
  memcpy(u->steps, task_steps[task].steps, sizeof u->steps);
  u->step = 0;
  u->product = loadgen_products[rt_rand_below(lg->rt, N(loadgen_products))];
  user_request(u);
}

static void user_spawn(user_t *u) {
  loadgen_t *lg = u->lg;
  u->active = 1;
  lg->n_active++;
  /* on_start: the home page. */
  u->on_start = 1;
  u->n_steps = 1;
  u->steps[0] = R_INDEX;
  u->step = 0;
  u->product = loadgen_products[0];
  user_request(u);
}

static void spawn_next(void *arg) {
  loadgen_t *lg = arg;
  lg->spawn_timer = NULL;
  if (lg->stopping)
    return;
  user_t *u = &lg->users[lg->n_spawned++];
  if (lg->n_spawned < lg->cfg.users) {
    rt_time_t at = lg->spawn_t0 + (rt_time_t)llround((double)lg->n_spawned *
                                                     (double)RT_SEC /
                                                     lg->cfg.rate);
    rt_time_t d = at - rt_now(lg->rt);
    lg->spawn_timer = rt_timer_start(lg->rt, d > 0 ? d : 0, spawn_next, lg);
  }
  user_spawn(u);
}

/* ---- the generator ------------------------------------------------------ */

loadgen_t *loadgen_new(rt_t *rt, const loadgen_config_t *cfg) {
  if (!rt || !cfg || loadgen_config_check(cfg, NULL, NULL) != 0) {
    errno = EINVAL;
    return NULL;
  }
  loadgen_t *lg = calloc(1, sizeof *lg);
  if (!lg)
    return NULL;
  lg->rt = rt;
  lg->cfg = *cfg;
  lg->users = calloc(cfg->users, sizeof *lg->users);
  lg->stats = loadgen_stats_new(rt_now(rt));
  if (!lg->users || !lg->stats) {
    loadgen_free(lg);
    return NULL;
  }
  for (unsigned i = 0; i < cfg->users; i++) {
    lg->users[i].lg = lg;
    lg->users[i].id = i;
  }
  for (size_t i = 0; i < LOADGEN_N_TASKS; i++)
    lg->weight_sum += cfg->weights[i];
  return lg;
}

int loadgen_start(loadgen_t *lg) {
  if (lg->started || lg->stopping)
    return -1;
  lg->started = 1;
  lg->spawn_t0 = rt_now(lg->rt);
  loadgen_stats_reset(lg->stats, lg->spawn_t0);
  lg->spawn_timer = rt_timer_start(lg->rt, 0, spawn_next, lg);
  if (!lg->spawn_timer) {
    lg->started = 0;
    return -1;
  }
  return 0;
}

static void drain_timer_cb(void *arg) {
  loadgen_t *lg = arg;
  lg->drain_timer = NULL;
  maybe_drained(lg);
}

void loadgen_stop(loadgen_t *lg, loadgen_drained_cb drained, void *arg) {
  if (lg->drained_fired)
    return;
  lg->drained = drained;
  lg->drained_arg = arg;
  if (lg->stopping)
    return;
  lg->stopping = 1;
  lg->stop_time = rt_now(lg->rt);
  if (lg->spawn_timer) {
    rt_timer_cancel(lg->spawn_timer);
    lg->spawn_timer = NULL;
  }
  for (unsigned i = 0; i < lg->n_spawned; i++) {
    user_t *u = &lg->users[i];
    if (u->timer) {
      rt_timer_cancel(u->timer);
      u->timer = NULL;
      user_halt(u);
    }
  }
  if (lg->inflight == 0) {
    /* Never from inside this call: through a timer. */
    lg->drain_timer = rt_timer_start(lg->rt, 0, drain_timer_cb, lg);
    if (!lg->drain_timer)
      lg->drained_fired = 1; /* out of memory: the callback is lost */
  }
}

void loadgen_abort(loadgen_t *lg) {
  if (!lg->stopping)
    loadgen_stop(lg, lg->drained, lg->drained_arg);
  if (lg->aborting)
    return;
  lg->aborting = 1;
  for (unsigned i = 0; i < lg->n_spawned; i++)
    if (lg->users[i].inv)
      rt_invoke_cancel(lg->users[i].inv);
}

void loadgen_free(loadgen_t *lg) {
  if (!lg)
    return;
  loadgen_stats_free(lg->stats);
  free(lg->users);
  free(lg);
}

const loadgen_config_t *loadgen_config(const loadgen_t *lg) {
  return &lg->cfg;
}

const loadgen_stats_t *loadgen_stats(const loadgen_t *lg) { return lg->stats; }

void loadgen_stats_clear(loadgen_t *lg) {
  loadgen_stats_reset(lg->stats, rt_now(lg->rt));
}

rt_time_t loadgen_stats_now(const loadgen_t *lg) {
  if (!lg->stopping)
    return rt_now(lg->rt);
  return lg->last_record > lg->stop_time ? lg->last_record : lg->stop_time;
}

unsigned loadgen_users_spawned(const loadgen_t *lg) { return lg->n_spawned; }
unsigned loadgen_users_active(const loadgen_t *lg) { return lg->n_active; }
size_t loadgen_inflight(const loadgen_t *lg) { return lg->inflight; }
int loadgen_stopping(const loadgen_t *lg) { return lg->stopping; }

uint64_t loadgen_task_count(const loadgen_t *lg, loadgen_task_t task) {
  return (unsigned)task < LOADGEN_N_TASKS ? lg->task_counts[task] : 0;
}

int loadgen_snapshot(const loadgen_t *lg, unsigned window,
                     loadgen_snapshot_t *out) {
  const loadgen_stats_t *st = lg->stats;
  memset(out, 0, sizeof *out);
  out->at = loadgen_stats_now(lg);
  out->elapsed = out->at - loadgen_stats_origin(st);
  out->users_spawned = lg->n_spawned;
  out->users_active = lg->n_active;
  out->inflight = lg->inflight;
  memcpy(out->task_counts, lg->task_counts, sizeof out->task_counts);
  size_t nr = loadgen_stats_n_routes(st), ne = loadgen_stats_n_errors(st);
  out->routes = calloc(nr ? nr : 1, sizeof *out->routes);
  out->errors = calloc(ne ? ne : 1, sizeof *out->errors);
  if (!out->routes || !out->errors) {
    loadgen_snapshot_free(out);
    return -1;
  }
  for (size_t i = 0; i < nr; i++)
    loadgen_route_summary(st, loadgen_stats_route(st, i), out->at, window,
                          &out->routes[i]);
  out->n_routes = nr;
  loadgen_route_summary(st, loadgen_stats_total(st), out->at, window,
                        &out->total);
  for (size_t i = 0; i < ne; i++)
    out->errors[i] = *loadgen_stats_error(st, i);
  out->n_errors = ne;
  return 0;
}

void loadgen_snapshot_free(loadgen_snapshot_t *snap) {
  free(snap->routes);
  free(snap->errors);
  memset(snap, 0, sizeof *snap);
}

/* ---- as an rt service --------------------------------------------------- */

static int svc_init(rt_t *rt) {
  loadgen_config_t cfg;
  loadgen_config_default(&cfg);
  const char *name = NULL, *value = NULL, *why = NULL;
  if (loadgen_config_from_env(&cfg, rt, &name, &value, &why) != 0) {
    rt_config_error(rt, name, value, why);
    return -1;
  }
  if (loadgen_config_check(&cfg, &name, &why) != 0) {
    value = rt_env(rt, name);
    rt_config_error(rt, name, value ? value : "", why);
    return -1;
  }
  loadgen_t *lg = loadgen_new(rt, &cfg);
  if (!lg || loadgen_start(lg) != 0) {
    loadgen_free(lg);
    rt_log(rt, RT_ERROR, "cannot start the load generator", NULL);
    return -1;
  }
  rt_set_user(rt, lg);
  char users[16], rate[32];
  snprintf(users, sizeof users, "%u", cfg.users);
  snprintf(rate, sizeof rate, "%g", cfg.rate);
  rt_log(rt, RT_INFO, "load generator started", "frontend", cfg.frontend_addr,
         "users", users, "rate", rate, NULL);
  return 0;
}

static void svc_fini(rt_t *rt) {
  loadgen_free(rt_get_user(rt));
  rt_set_user(rt, NULL);
}

const rt_service_t loadgen_service = {
    .name = "loadgenerator",
    .default_port = 0,
    .init = svc_init,
    .fini = svc_fini,
};

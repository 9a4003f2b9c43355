/*
 * cmd_up.c — `meshsim up`: the shop's services as live processes on
 * loopback, supervised like pods (see supervisor.h).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "meshsim.h"
#include "statedir.h"
#include "supervisor.h"

static const char *const recommendation_env[][2] = {
    {"PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice"},
    {NULL, NULL},
};

static const char *const checkout_env[][2] = {
    {"PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice"},
    {"SHIPPING_SERVICE_ADDR", "shippingservice"},
    {"PAYMENT_SERVICE_ADDR", "paymentservice"},
    {"EMAIL_SERVICE_ADDR", "emailservice"},
    {"CURRENCY_SERVICE_ADDR", "currencyservice"},
    {"CART_SERVICE_ADDR", "cartservice"},
    {NULL, NULL},
};

static const char *const frontend_env[][2] = {
    {"PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice"},
    {"CURRENCY_SERVICE_ADDR", "currencyservice"},
    {"CART_SERVICE_ADDR", "cartservice"},
    {"RECOMMENDATION_SERVICE_ADDR", "recommendationservice"},
    {"SHIPPING_SERVICE_ADDR", "shippingservice"},
    {"CHECKOUT_SERVICE_ADDR", "checkoutservice"},
    {"AD_SERVICE_ADDR", "adservice"},
    {"BUSINESS_ADDR", "business"},
    {NULL, NULL},
};

static const char *const business_env[][2] = {
    {"EMAIL_SERVICE", "emailservice"},
    {"PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice"},
    {"CURRENCY_SERVICE_ADDR", "currencyservice"},
    {NULL, NULL},
};

static const char *const loadgen_env[][2] = {
    {"FRONTEND_ADDR", "frontend"},
    {NULL, NULL},
};

/* The shop `up` (and `calibrate`) runs, in start order: upstream's container ports and the
 * environment their Kubernetes manifests give them. The frontend listens on
 * 127.0.0.1 so the shop's URL is the familiar one; the others each get their
 * own loopback address, as pods get their own IPs. */
enum { SHOP_FRONTEND = MSIM_SHOP_FRONTEND, SHOP_LOADGEN = MSIM_SHOP_LOADGEN };
const sup_spec_t msim_shop[MSIM_SHOP_LEN] = {
    {.name = "productcatalogservice",
     .health = "hipstershop.ProductCatalogService",
     .port = 3550,
     .env = (const char *const[]){"SELLER_PRODUCTS_DB={state}/seller-products.db", NULL}},
    {.name = "currencyservice", .health = "hipstershop.CurrencyService", .port = 7000},
    {.name = "shippingservice", .health = "hipstershop.ShippingService", .port = 50051},
    {.name = "paymentservice", .health = "hipstershop.PaymentService", .port = 50051},
    {.name = "emailservice", .health = "hipstershop.EmailService", .port = 8080},
    {.name = "adservice", .health = "hipstershop.AdService", .port = 9555},
    {.name = "recommendationservice",
     .health = "hipstershop.RecommendationService",
     .port = 8080,
     .addr_env = recommendation_env},
    {.name = "cartservice",
     .health = "hipstershop.CartService",
     .port = 7070,
     .env = (const char *const[]){"CART_DB_PATH={state}/carts.db", NULL}},
    {.name = "checkoutservice",
     .health = "hipstershop.CheckoutService",
     .port = 5050,
     .addr_env = checkout_env,
     .env = (const char *const[]){"ORDER_JOURNAL_PATH={state}/orders.db", NULL}},
    {.name = "frontend",
     .http_probe = "/_healthz",
     .port = 8080,
     .host = "127.0.0.1",
     .addr_env = frontend_env,
     .env = (const char *const[]){"ENV_PLATFORM=local", NULL}},
    {.name = "business",
     .http_probe = "/business",
     .port = 5055,
     .addr_env = business_env,
     .env = (const char *const[]){"BUSINESS_DB_PATH={state}/business.db", NULL}},
    {.name = "loadgenerator", .port = 0, .addr_env = loadgen_env},
};
#define N_SHOP MSIM_SHOP_LEN

typedef struct up {
  uv_loop_t *loop;
  sup_t *sup;
  int once;
  int quiet;
  double ready_timeout;
  uv_signal_t sigint, sigterm;
  uv_timer_t ready_timer;
  int printed;
  int stopping;
  int failed;
  const char *state_dir;
  char url[64];
} up_t;

/* Rewrites <state>/status (the table) atomically, so scripts and people can
 * read the current state of a running `up` without talking to it. */
static void write_status(up_t *u) {
  char path[PATH_MAX], tmp[PATH_MAX];
  snprintf(path, sizeof path, "%s/status", u->state_dir);
  snprintf(tmp, sizeof tmp, "%s/.status.tmp", u->state_dir);
  FILE *f = fopen(tmp, "w");
  if (!f)
    return;
  sup_print_table(u->sup, f);
  if (fclose(f) == 0)
    rename(tmp, path);
  else
    unlink(tmp);
}

static void stop_all(up_t *u, const char *why);

static void on_event(sup_t *s, sup_proc_t *p, const char *what, void *user) {
  up_t *u = user;
  write_status(u);
  if (!u->printed && !strcmp(what, "started"))
    return; /* the table says it */
  if (!u->printed && !strcmp(what, "serving")) {
    if (sup_all_serving(s)) {
      uv_timer_stop(&u->ready_timer);
      printf("meshsim: all %zu services are serving\n\n", sup_count(s));
      sup_print_table(s, stdout);
      u->printed = 1;
      printf("\nThe shop:            %s\n"
             "Sell a product:      %sbusiness\n"
             "State and logs:      %s (logs/<service>.log, status)\n",
             u->url, u->url, u->state_dir);
      fflush(stdout);
      if (u->once)
        stop_all(u, "--once: stopping");
      else
        printf("Stop with Ctrl-C or: meshsim down --state-dir %s\n", u->state_dir);
      fflush(stdout);
    }
    return;
  }
  int64_t status;
  int sig;
  sup_proc_last_exit(p, &status, &sig);
  if (!strcmp(what, "crashed")) {
    if (sig)
      fprintf(stderr, "meshsim: %s was killed by signal %d; restarting with back-off (log: %s)\n",
              sup_proc_name(p), sig, sup_proc_log_path(p));
    else
      fprintf(stderr, "meshsim: %s exited with status %lld; restarting with back-off (log: %s)\n",
              sup_proc_name(p), (long long)status, sup_proc_log_path(p));
  } else if (!strcmp(what, "exited")) {
    if (status != 0 || sig != 0) {
      u->failed = 1;
      fprintf(stderr, "meshsim: %s stopped with status %lld signal %d\n",
              sup_proc_name(p), (long long)status, sig);
    }
  } else if (u->printed || !u->quiet) {
    fprintf(stderr, "meshsim: %s: %s\n", sup_proc_name(p), what);
  }
}

static void ready_timeout_cb(uv_timer_t *t) {
  up_t *u = t->data;
  fprintf(stderr, "meshsim: not every service became healthy within %.0f s:\n\n",
          u->ready_timeout);
  sup_print_table(u->sup, stderr);
  for (size_t i = 0; i < sup_count(u->sup); i++) {
    sup_proc_t *p = sup_proc(u->sup, i);
    if (sup_proc_state(p) != SUP_SERVING) {
      fprintf(stderr, "\n  %s (last lines of %s):\n", sup_proc_name(p),
              sup_proc_log_path(p));
      sup_proc_log_tail(p, 5, stderr);
    }
  }
  u->failed = 1;
  stop_all(u, "stopping");
}

static void stopped(sup_t *s, void *user) {
  up_t *u = user;
  fprintf(stderr, "meshsim: all services stopped\n");
  uv_close((uv_handle_t *)&u->sigint, NULL);
  uv_close((uv_handle_t *)&u->sigterm, NULL);
  uv_close((uv_handle_t *)&u->ready_timer, NULL);
}

static void stop_all(up_t *u, const char *why) {
  if (u->stopping)
    return;
  u->stopping = 1;
  fprintf(stderr, "\nmeshsim: %s (SIGTERM, then SIGKILL after the grace period)\n", why);
  sup_stop(u->sup, stopped, u);
}

static void signal_cb(uv_signal_t *h, int signum) {
  up_t *u = h->data;
  if (u->stopping) {
    fprintf(stderr, "meshsim: already stopping; waiting for services to exit\n");
    return;
  }
  stop_all(u, signum == SIGINT ? "interrupted" : "terminated");
}

/* The directory of this executable, where the service binaries are built. */
static int exe_dir(char *buf, size_t len) {
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

static int up_exec(int argc, char **argv) {
  char sbuf[PATH_MAX], bbuf[PATH_MAX];
  const char *state_dir = NULL, *bin_dir = NULL;
  up_t u = {.ready_timeout = 30};
  sup_opts_t o = {0};
  long users = 10, rate = 1, port = 8080;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--once")) {
      u.once = 1;
    } else if (!strcmp(a, "--state-dir") && v) {
      state_dir = v;
      i++;
    } else if (!strcmp(a, "--net") && v) {
      unsigned b, c;
      char tail;
      if (sscanf(v, "127.%u.%u%c", &b, &c, &tail) != 2 || b > 255 || c > 255) {
        fprintf(stderr, "meshsim up: --net: '%s' is not of the form 127.B.C (a loopback /24)\n", v);
        return 2;
      }
      o.net = v;
      i++;
    } else if (!strcmp(a, "--bin-dir") && v) {
      bin_dir = v;
      i++;
    } else if (!strcmp(a, "--grace") && v) {
      o.grace_seconds = strtod(v, NULL);
      i++;
      if (o.grace_seconds <= 0) {
        fprintf(stderr, "meshsim up: --grace: '%s' is not a positive number of seconds\n", v);
        return 2;
      }
    } else if (!strcmp(a, "--restart-backoff") && v) {
      o.backoff_initial_seconds = strtod(v, NULL);
      i++;
      if (o.backoff_initial_seconds <= 0) {
        fprintf(stderr, "meshsim up: --restart-backoff: '%s' is not a positive number of seconds\n", v);
        return 2;
      }
    } else if ((!strcmp(a, "--users") || !strcmp(a, "--rate") || !strcmp(a, "--port")) && v) {
      char *end;
      long n = strtol(v, &end, 10);
      long max = !strcmp(a, "--port") ? 65535 : 100000;
      long min = !strcmp(a, "--users") ? 0 : 1;
      if (*end || n < min || n > max) {
        fprintf(stderr, "meshsim up: %s: '%s' is not a whole number from %ld to %ld\n", a, v, min, max);
        return 2;
      }
      if (!strcmp(a, "--users"))
        users = n;
      else if (!strcmp(a, "--rate"))
        rate = n;
      else
        port = n;
      i++;
    } else if (!strcmp(a, "--probe-period") && v) {
      char *end;
      o.probe_period_seconds = strtod(v, &end);
      i++;
      if (end == v || *end || !(o.probe_period_seconds > 0) ||
          o.probe_period_seconds > 3600) {
        fprintf(stderr, "meshsim up: --probe-period: '%s' is not a number of seconds from 0 to 3600\n", v);
        return 2;
      }
    } else if (!strcmp(a, "--ready-timeout") && v) {
      u.ready_timeout = strtod(v, NULL);
      i++;
      if (u.ready_timeout <= 0) {
        fprintf(stderr, "meshsim up: --ready-timeout: '%s' is not a positive number of seconds\n", v);
        return 2;
      }
    } else {
      fprintf(stderr, "meshsim up: unknown or incomplete option '%s' (see meshsim up --help)\n", a);
      return 2;
    }
  }
  if (!state_dir)
    state_dir = msim_state_dir_default(sbuf, sizeof sbuf);
  if (!bin_dir) {
    if (exe_dir(bbuf, sizeof bbuf) != 0) {
      fprintf(stderr, "meshsim up: cannot find my own directory; pass --bin-dir\n");
      return 1;
    }
    bin_dir = bbuf;
  }
  if (msim_mkdirs(state_dir) != 0) {
    fprintf(stderr, "meshsim up: cannot create state directory %s: %s\n",
            state_dir, strerror(errno));
    return 1;
  }
  char abs_state[PATH_MAX];
  if (!realpath(state_dir, abs_state)) {
    fprintf(stderr, "meshsim up: %s: %s\n", state_dir, strerror(errno));
    return 1;
  }
  int other = msim_read_pid(abs_state);
  if (other > 0 && kill(other, 0) == 0) {
    fprintf(stderr, "meshsim up: a shop is already running from %s (pid %d);\n"
                    "  stop it with: meshsim down --state-dir %s\n",
            abs_state, other, abs_state);
    return 1;
  }

  /* A child that dies must not take us with it through SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  u.loop = uv_default_loop();
  o.bin_dir = bin_dir;
  o.state_dir = abs_state;
  u.state_dir = abs_state;
  char pidfile[PATH_MAX + 16];
  snprintf(pidfile, sizeof pidfile, "%s/meshsim.pid", abs_state);
  FILE *pf = fopen(pidfile, "w");
  if (pf) {
    fprintf(pf, "%d\n", (int)getpid());
    fclose(pf);
  }
  o.on_event = on_event;
  o.user = &u;
  char err[512];
  /* The shop with this run's settings: the frontend's port, and the load
   * generator's users (none: no load generator). */
  sup_spec_t shop[N_SHOP];
  memcpy(shop, msim_shop, sizeof shop);
  size_t n_shop = users > 0 ? N_SHOP : N_SHOP - 1;
  shop[SHOP_FRONTEND].port = (int)port;
  char users_env[32], rate_env[32];
  snprintf(users_env, sizeof users_env, "USERS=%ld", users);
  snprintf(rate_env, sizeof rate_env, "RATE=%ld", rate);
  const char *loadgen_fixed[] = {users_env, rate_env, NULL};
  shop[SHOP_LOADGEN].env = loadgen_fixed;
  snprintf(u.url, sizeof u.url, "http://127.0.0.1:%ld/", port);
  u.sup = sup_new(u.loop, shop, n_shop, &o, err, sizeof err);
  if (!u.sup) {
    fprintf(stderr, "meshsim up: %s\n", err);
    return 1;
  }
  uv_signal_init(u.loop, &u.sigint);
  uv_signal_init(u.loop, &u.sigterm);
  u.sigint.data = u.sigterm.data = &u;
  uv_signal_start(&u.sigint, signal_cb, SIGINT);
  uv_signal_start(&u.sigterm, signal_cb, SIGTERM);
  uv_timer_init(u.loop, &u.ready_timer);
  u.ready_timer.data = &u;

  printf("meshsim: starting %zu services on loopback (state and logs in %s)\n",
         n_shop, abs_state);
  fflush(stdout);
  if (sup_start(u.sup, err, sizeof err) != 0) {
    fprintf(stderr, "meshsim up: %s\n", err);
    uv_close((uv_handle_t *)&u.sigint, NULL);
    uv_close((uv_handle_t *)&u.sigterm, NULL);
    uv_close((uv_handle_t *)&u.ready_timer, NULL);
    sup_free(u.sup);
    uv_run(u.loop, UV_RUN_DEFAULT);
    return 1;
  }
  uv_timer_start(&u.ready_timer, ready_timeout_cb,
                 (uint64_t)(u.ready_timeout * 1000.0), 0);
  uv_run(u.loop, UV_RUN_DEFAULT);
  sup_free(u.sup);
  uv_run(u.loop, UV_RUN_DEFAULT);
  uv_loop_close(u.loop);
  unlink(pidfile);
  return u.failed ? 1 : 0;
}

const msim_cmd_t msim_cmd_up = {
    .name = "up",
    .args = "[--once] [--state-dir DIR] [--port N] [--users N] [--rate N] [--net 127.B.C]\n"
            "                  [--bin-dir DIR]\n"
            "                  [--grace S] [--restart-backoff S] [--ready-timeout S]\n"
            "                  [--probe-period S]",
    .summary = "run the shop's services as processes on loopback, supervised like pods",
    .help =
        "Starts the twelve services of the shop (the Online Boutique's eleven and\n"
        "business) as processes, each on its own loopback address (127.0.0.11, .12,\n"
        "...; the frontend on 127.0.0.1) with upstream's port and the environment\n"
        "Kubernetes would give it (PORT, the addresses of the services it calls).\n"
        "Carts, orders, listings and seller products are SQLite files under the\n"
        "state directory, so they survive restarts. Waits for every service to be\n"
        "ready (gRPC health, or HTTP GET like the charts' probes), prints the shop's\n"
        "URL and a status table, then keeps\n"
        "them running: a service that crashes is restarted with a growing back-off\n"
        "(like CrashLoopBackOff). Ctrl-C or SIGTERM stops them all: SIGTERM, a grace\n"
        "period, then SIGKILL.\n"
        "\n"
        "options:\n"
        "  --once               start, wait for health, print the table, stop, and exit:\n"
        "                       0 when every service was healthy and stopped cleanly\n"
        "  --state-dir DIR      logs (DIR/logs/<service>.log), the live status table\n"
        "                       (DIR/status), meshsim.pid and the services' data;\n"
        "                       " MSIM_STATE_DIR_HELP
        "  --port N             the frontend's port on 127.0.0.1 (default 8080)\n"
        "  --users N            load generator users, as upstream's USERS (default 10;\n"
        "                       0: no load generator)\n"
        "  --rate N             users spawned per second, as upstream's RATE (default 1)\n"
        "  --net 127.B.C        the loopback /24 the services' addresses come from\n"
        "                       (default 127.0.0: 127.0.0.11 and up); two shops on one\n"
        "                       machine need different nets and frontend ports\n"
        "  --bin-dir DIR        where the service programs are (default: beside meshsim)\n"
        "  --grace S            termination grace period in seconds (default 5)\n"
        "  --restart-backoff S  first restart delay, doubling up to 300 s (default 10)\n"
        "  --ready-timeout S    how long to wait for every service to be healthy (30)\n"
        "  --probe-period S     health checks of a ready service every S seconds, as the\n"
        "                       kubelet probes a ready pod every periodSeconds (default\n"
        "                       10, the charts'); every 0.25 s while it starts; three\n"
        "                       failures in a row mark it FAILING\n",
    .exec = up_exec,
};

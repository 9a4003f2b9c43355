/*
 * loadgenerator.c — upstream's loadgenerator as a C program: virtual users
 * (services/loadgenerator/loadgen.h) on the live runtime's HTTP client, a
 * live Locust-like stats table, a final summary, and an exit status from
 * the failure ratio.
 *
 * Exit status: 0 when the run's failure ratio is at most the threshold (and
 * some request completed), 1 when it is above (or nothing completed), 2 on
 * bad usage or configuration.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "live/live.h"
#include "loadgenerator/loadgen.h"

#define PROG "loadgenerator"
#define RATE_WINDOW 10 /* seconds, for the live req/s (as Locust's) */

typedef struct app {
  uv_loop_t *loop;
  rt_t *rt;
  loadgen_t *lg;
  uv_signal_t sigint, sigterm;
  uv_timer_t tick, end, drain;
  rt_time_t duration;       /* 0: until a signal */
  rt_time_t stats_interval; /* 0: no live table */
  rt_time_t drain_bound;
  double max_failure_ratio;
  const char *json_path;
  int tty;
  int drawn; /* lines of the last live table, to redraw over on a TTY */
  int ending;
  int exit_status;
  const char *end_reason;
  /* This process's CPU when the load started, and over the run (set when
   * drained): what a request costs the client (`meshsim calibrate`). */
  uint64_t cpu0_ns, cpu_ns;
  struct rusage ru0, ru;
} app_t;

static uint64_t process_cpu_ns(void) {
  struct timespec t;
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) != 0)
    return 0;
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static double tv_ns(const struct timeval *tv) {
  return (double)tv->tv_sec * 1e9 + (double)tv->tv_usec * 1e3;
}

static void usage(FILE *f) {
  fprintf(f,
"usage: " PROG " [options]\n"
"\n"
"Virtual users shopping on the Online Boutique frontend the way upstream's\n"
"Locust load generator does: each first GETs /, then repeatedly picks a task\n"
"by weight (index 1, setCurrency 2, browseProduct 10, addToCart 2, viewCart 3,\n"
"checkout 1) and thinks 1-10 s between tasks. Redirects are followed, as\n"
"Locust does, and counted in the route of the request that caused them.\n"
"\n"
"Settings (flag, or environment variable; a flag wins):\n"
"  --frontend-addr A     FRONTEND_ADDR      host:port (or http://host:port) of\n"
"                                           the frontend; required\n"
"  --users N             USERS              virtual users (default 10)\n"
"  --rate R              RATE               users started per second (default 1)\n"
"  --duration D          DURATION           run time, e.g. 60s, 10m (default 0:\n"
"                                           until SIGINT/SIGTERM)\n"
"  --max-failure-ratio X MAX_FAILURE_RATIO  exit 1 when failures/requests is\n"
"                                           above X (0..1, or a percentage such\n"
"                                           as 1%%; default 0.01)\n"
"  --stats-interval D    STATS_INTERVAL     live table period (default 2s; 0:\n"
"                                           none); redrawn in place on a\n"
"                                           terminal, appended otherwise\n"
"  --think-min D         THINK_MIN          least think time (default 1s)\n"
"  --think-max D         THINK_MAX          most think time (default 10s)\n"
"  --request-timeout D   REQUEST_TIMEOUT    per request with its redirects\n"
"                                           (default 10s)\n"
"  --json FILE                              write the final statistics as JSON\n"
"                                           (with \"cpu\": this process's CPU\n"
"                                           time from the start of the load to\n"
"                                           the end of the drain, ns)\n"
"  -h, --help                               this help\n"
"\n"
"Durations are Go-style (1.5s, 500ms, 2m) or plain seconds. At the end the\n"
"generator stops starting requests, lets those in flight finish (at most the\n"
"request timeout plus 2 s; a second signal cuts this short), prints the\n"
"summary (per route: requests, failures, median, 95th and 99th percentile,\n"
"average, min, max in ms and requests/s) and the failures by reason.\n"
"\n"
"Exit status: 0 when the failure ratio is at most the threshold; 1 when it\n"
"is above, or when the duration ran out with no request completed (stopped\n"
"by SIGINT or SIGTERM before the first answer is not a failure: nothing\n"
"was measured); 2 on bad usage or configuration.\n");
}

/* ---- tables ------------------------------------------------------------- */

static void fmt_ms(char *buf, size_t size, double ms) {
  if (ms < 10)
    snprintf(buf, size, "%.1f", ms);
  else
    snprintf(buf, size, "%.0f", ms);
}

static int print_row(FILE *f, const loadgen_summary_t *s, int final) {
  char med[16], p95[16], p99[16], avg[16], mn[16], mx[16], fails[32];
  fmt_ms(med, sizeof med, s->p50_ms);
  fmt_ms(p95, sizeof p95, s->p95_ms);
  fmt_ms(p99, sizeof p99, s->p99_ms);
  fmt_ms(avg, sizeof avg, s->avg_ms);
  fmt_ms(mn, sizeof mn, s->min_ms);
  fmt_ms(mx, sizeof mx, s->max_ms);
  snprintf(fails, sizeof fails, "%llu(%.2f%%)",
           (unsigned long long)s->failures, 100.0 * s->fail_ratio);
  fprintf(f, "%-6s %-22s %8llu %14s | %7s %7s %7s %7s %7s %7s | %7.2f %7.2f\n",
          s->method, s->name, (unsigned long long)s->requests, fails, med,
          p95, p99, avg, mn, mx, final ? s->rps : s->cur_rps,
          final ? s->fail_rps : s->cur_fail_rps);
  return 1;
}

/* Prints the table; returns the number of lines. */
static int print_table(FILE *f, app_t *a, int final) {
  const loadgen_stats_t *st = loadgen_stats(a->lg);
  rt_time_t now = loadgen_stats_now(a->lg);
  double elapsed = (double)(now - loadgen_stats_origin(st)) / (double)RT_SEC;
  int lines = 0;
  const loadgen_config_t *cfg = loadgen_config(a->lg);
  fprintf(f, "%s %s  users %u/%u  elapsed %.1f s%s\n",
          final ? "Final summary:" : PROG ":", cfg->frontend_addr,
          loadgen_users_spawned(a->lg), cfg->users, elapsed,
          final ? "  (times in ms; req/s over the run)"
                : "  (times in ms; req/s over the last 10 s)");
  fprintf(f, "%-6s %-22s %8s %14s | %7s %7s %7s %7s %7s %7s | %7s %7s\n",
          "Type", "Name", "# reqs", "# fails", "Median", "95%", "99%", "Avg",
          "Min", "Max", "req/s", "fail/s");
  fprintf(f, "------------------------------------------------------------"
             "---------------------------------------------------------\n");
  lines += 3;
  loadgen_summary_t s;
  for (size_t i = 0; i < loadgen_stats_n_routes(st); i++) {
    loadgen_route_summary(st, loadgen_stats_route(st, i), now, RATE_WINDOW,
                          &s);
    lines += print_row(f, &s, final);
  }
  fprintf(f, "------------------------------------------------------------"
             "---------------------------------------------------------\n");
  loadgen_route_summary(st, loadgen_stats_total(st), now, RATE_WINDOW, &s);
  lines += 1 + print_row(f, &s, final);
  return lines;
}

static void print_errors(FILE *f, app_t *a) {
  const loadgen_stats_t *st = loadgen_stats(a->lg);
  size_t n = loadgen_stats_n_errors(st);
  if (n == 0)
    return;
  fprintf(f, "\nFailures by reason:\n%12s  %s\n", "# occurrences", "Error");
  for (size_t i = 0; i < n; i++) {
    const loadgen_error_t *e = loadgen_stats_error(st, i);
    fprintf(f, "%12llu  %s %s: %s\n", (unsigned long long)e->count, e->method,
            e->name, e->reason);
  }
}

static json_t *summary_json(const loadgen_summary_t *s) {
  return json_pack(
      "{s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
      "method", s->method, "name", s->name, "requests",
      (json_int_t)s->requests, "failures", (json_int_t)s->failures, "bytes",
      (json_int_t)s->bytes, "failure_ratio", s->fail_ratio, "median_ms",
      s->p50_ms, "p95_ms", s->p95_ms, "p99_ms", s->p99_ms, "avg_ms", s->avg_ms,
      "min_ms", s->min_ms, "max_ms", s->max_ms, "rps", s->rps, "fail_rps",
      s->fail_rps);
}

static int write_json(app_t *a, double ratio, int passed) {
  const loadgen_stats_t *st = loadgen_stats(a->lg);
  rt_time_t now = loadgen_stats_now(a->lg);
  const loadgen_config_t *cfg = loadgen_config(a->lg);
  json_t *routes = json_array(), *errors = json_array();
  loadgen_summary_t s;
  for (size_t i = 0; i < loadgen_stats_n_routes(st); i++) {
    loadgen_route_summary(st, loadgen_stats_route(st, i), now, RATE_WINDOW,
                          &s);
    json_array_append_new(routes, summary_json(&s));
  }
  for (size_t i = 0; i < loadgen_stats_n_errors(st); i++) {
    const loadgen_error_t *e = loadgen_stats_error(st, i);
    json_array_append_new(errors,
                          json_pack("{s:s, s:s, s:s, s:I}", "method", e->method,
                                    "name", e->name, "error", e->reason,
                                    "occurrences", (json_int_t)e->count));
  }
  json_t *tasks = json_object();
  for (int t = 0; t < LOADGEN_N_TASKS; t++)
    json_object_set_new(tasks, loadgen_task_name((loadgen_task_t)t),
                        json_integer((json_int_t)loadgen_task_count(
                            a->lg, (loadgen_task_t)t)));
  loadgen_route_summary(st, loadgen_stats_total(st), now, RATE_WINDOW, &s);
  json_t *root = json_pack(
      "{s:s, s:i, s:i, s:f, s:f, s:o, s:o, s:o, s:o, s:f, s:f, s:b, s:s}",
      "frontend", cfg->frontend_addr, "users", (int)cfg->users,
      "users_spawned", (int)loadgen_users_spawned(a->lg), "rate", cfg->rate,
      "elapsed_s",
      (double)(now - loadgen_stats_origin(st)) / (double)RT_SEC, "routes",
      routes, "total", summary_json(&s), "errors", errors, "tasks", tasks,
      "failure_ratio", ratio, "max_failure_ratio", a->max_failure_ratio,
      "passed", passed, "end", a->end_reason ? a->end_reason : "");
  if (root)
    json_object_set_new(
        root, "cpu",
        json_pack("{s:I, s:I, s:I}", "total_ns", (json_int_t)a->cpu_ns,
                  "user_ns",
                  (json_int_t)(tv_ns(&a->ru.ru_utime) - tv_ns(&a->ru0.ru_utime)),
                  "sys_ns",
                  (json_int_t)(tv_ns(&a->ru.ru_stime) -
                               tv_ns(&a->ru0.ru_stime))));
  int rc = root ? json_dump_file(root, a->json_path, JSON_INDENT(2) | JSON_REAL_PRECISION(8)) : -1;
  if (rc != 0)
    fprintf(stderr, PROG ": cannot write %s: %s\n", a->json_path,
            strerror(errno));
  json_decref(root);
  return rc;
}

/* ---- running ------------------------------------------------------------ */

/* Rows |text| takes on a terminal |width| columns wide (long lines wrap). */
static int screen_rows(const char *text, int width) {
  int rows = 0;
  while (*text) {
    size_t len = strcspn(text, "\n");
    rows += width > 0 && len > (size_t)width
                ? (int)((len + (size_t)width - 1) / (size_t)width)
                : 1;
    text += len + (text[len] == '\n');
  }
  return rows;
}

static void draw_live(app_t *a) {
  if (!a->tty) {
    if (a->drawn)
      printf("\n");
    a->drawn = print_table(stdout, a, 0);
    fflush(stdout);
    return;
  }
  /* On a terminal: go back over the last table and draw over it. */
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  if (!m)
    return;
  print_table(m, a, 0);
  fclose(m);
  struct winsize ws;
  int width = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
  if (a->drawn)
    printf("\033[%dA\r\033[J", a->drawn);
  fwrite(buf, 1, len, stdout);
  fflush(stdout);
  a->drawn = screen_rows(buf, width);
  free(buf);
}

static void tick_cb(uv_timer_t *t) { draw_live(t->data); }

static void close_all(app_t *a) {
  uv_close((uv_handle_t *)&a->sigint, NULL);
  uv_close((uv_handle_t *)&a->sigterm, NULL);
  uv_close((uv_handle_t *)&a->tick, NULL);
  uv_close((uv_handle_t *)&a->end, NULL);
  uv_close((uv_handle_t *)&a->drain, NULL);
}

static void drained_cb(loadgen_t *lg, void *arg) {
  app_t *a = arg;
  a->cpu_ns = process_cpu_ns() - a->cpu0_ns;
  getrusage(RUSAGE_SELF, &a->ru);
  uv_timer_stop(&a->drain);
  uv_timer_stop(&a->tick);
  if (a->tty && a->drawn) { /* the final table replaces the live one */
    printf("\033[%dA\r\033[J", a->drawn);
    a->drawn = 0;
  } else if (a->drawn) {
    printf("\n");
  }
  print_table(stdout, a, 1);
  print_errors(stdout, a);
  const loadgen_route_t *tot = loadgen_stats_total(loadgen_stats(lg));
  double ratio =
      tot->requests ? (double)tot->failures / (double)tot->requests : 0;
  /* Stopped by a signal before any answer (a supervisor stopping the shop
   * right after start-up): nothing was measured, which is no failure. A
   * run whose duration passed without an answer is one. */
  int stopped = a->end_reason && strcmp(a->end_reason, "duration reached");
  int passed = ratio <= a->max_failure_ratio && (tot->requests > 0 || stopped);
  if (tot->requests == 0)
    printf("\n%s: no request completed: %s\n", a->end_reason,
           passed ? "nothing measured" : "FAIL");
  else
    printf("\n%s: failure ratio %.2f%% (%llu of %llu) %s the maximum %.2f%%: %s\n",
           a->end_reason, 100.0 * ratio, (unsigned long long)tot->failures,
           (unsigned long long)tot->requests, passed ? "within" : "above",
           100.0 * a->max_failure_ratio, passed ? "PASS" : "FAIL");
  fflush(stdout);
  a->exit_status = passed ? 0 : 1;
  if (a->json_path && write_json(a, ratio, passed) != 0 && passed)
    a->exit_status = 1;
  close_all(a);
  /* Keep-alive connections would keep the loop running: drop them. */
  rt_live_client_free(a->rt);
  a->rt = NULL;
}

static void drain_timeout_cb(uv_timer_t *t) {
  app_t *a = t->data;
  fprintf(stderr, PROG ": %zu requests still in flight after %.0f s; "
                  "cancelling them\n",
          loadgen_inflight(a->lg), (double)a->drain_bound / (double)RT_SEC);
  loadgen_abort(a->lg);
}

static void end_run(app_t *a, const char *why) {
  if (a->ending) {
    fprintf(stderr, PROG ": %s again: cancelling requests in flight\n", why);
    loadgen_abort(a->lg);
    return;
  }
  a->ending = 1;
  a->end_reason = why;
  uv_timer_stop(&a->end);
  loadgen_stop(a->lg, drained_cb, a);
  if (loadgen_inflight(a->lg))
    uv_timer_start(&a->drain, drain_timeout_cb,
                   (uint64_t)(a->drain_bound / RT_MSEC), 0);
}

static void end_cb(uv_timer_t *t) { end_run(t->data, "duration reached"); }

static void signal_cb(uv_signal_t *h, int signum) {
  end_run(h->data, signum == SIGINT ? "interrupted" : "terminated");
}

/* ---- configuration ------------------------------------------------------ */

static int parse_ratio(const char *v, double *out) {
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (end == v || errno || !isfinite(x))
    return -1;
  if (*end == '%' && end[1] == '\0')
    x /= 100;
  else if (*end)
    return -1;
  if (x < 0 || x > 1)
    return -1;
  *out = x;
  return 0;
}

/* Settings the tool itself reads (the others belong to loadgen). */
typedef struct opts {
  rt_time_t duration, stats_interval;
  double max_failure_ratio;
  const char *json_path;
} opts_t;

/* Applies one setting named by its variable; |shown| is how to name it in
 * an error ("USERS" or "--users"). Returns 0, or 2 after printing why. */
static int apply(loadgen_config_t *cfg, opts_t *o, const char *var,
                 const char *shown, const char *value, int is_flag) {
  const char *why = NULL;
  int bad = 0;
  if (!strcmp(var, "DURATION")) {
    bad = loadgen_parse_duration(value, &o->duration, &why) != 0;
  } else if (!strcmp(var, "STATS_INTERVAL")) {
    bad = loadgen_parse_duration(value, &o->stats_interval, &why) != 0;
  } else if (!strcmp(var, "MAX_FAILURE_RATIO")) {
    bad = parse_ratio(value, &o->max_failure_ratio) != 0;
    why = "not a ratio from 0 to 1 (or a percentage such as 1%)";
  } else {
    bad = loadgen_config_set(cfg, var, value, &why) != 0;
  }
  if (!bad)
    return 0;
  fprintf(stderr, PROG ": %s%s%s: %s (see " PROG " --help)\n", shown,
          is_flag ? " " : "=", value, why);
  return 2;
}

static const struct {
  const char *flag, *var;
} flags[] = {
    {"--frontend-addr", "FRONTEND_ADDR"},
    {"--users", "USERS"},
    {"--rate", "RATE"},
    {"--duration", "DURATION"},
    {"--max-failure-ratio", "MAX_FAILURE_RATIO"},
    {"--stats-interval", "STATS_INTERVAL"},
    {"--think-min", "THINK_MIN"},
    {"--think-max", "THINK_MAX"},
    {"--request-timeout", "REQUEST_TIMEOUT"},
    {"--follow-redirects", "FOLLOW_REDIRECTS"},
};
#define N_FLAGS (sizeof flags / sizeof *flags)

static int configure(int argc, char **argv, loadgen_config_t *cfg, opts_t *o) {
  loadgen_config_default(cfg);
  o->duration = 0;
  o->stats_interval = 2 * RT_SEC;
  o->max_failure_ratio = 0.01;
  o->json_path = NULL;
  /* The environment first, then flags over it. */
  for (size_t i = 0; i < N_FLAGS; i++) {
    const char *v = getenv(flags[i].var);
    if (v && *v) {
      int rc = apply(cfg, o, flags[i].var, flags[i].var, v, 0);
      if (rc)
        return rc;
    }
  }
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
      usage(stdout);
      return -1;
    }
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
    if (len == 6 && !strncmp(arg, "--json", 6)) {
      if (!value || !*value) {
        fprintf(stderr, PROG ": --json needs a file name\n");
        return 2;
      }
      o->json_path = value;
      i += eq ? 0 : 1;
      continue;
    }
    size_t k;
    for (k = 0; k < N_FLAGS; k++)
      if (strlen(flags[k].flag) == len && !strncmp(arg, flags[k].flag, len))
        break;
    if (k == N_FLAGS) {
      fprintf(stderr, PROG ": unknown option '%s' (see " PROG " --help)\n",
              arg);
      return 2;
    }
    if (!value) {
      fprintf(stderr, PROG ": %s needs a value (see " PROG " --help)\n", arg);
      return 2;
    }
    char shown[64];
    snprintf(shown, sizeof shown, "%.*s", (int)len, arg);
    int rc = apply(cfg, o, flags[k].var, shown, value, 1);
    if (rc)
      return rc;
    i += eq ? 0 : 1;
  }
  const char *name, *why;
  if (loadgen_config_check(cfg, &name, &why) != 0) {
    const char *v = getenv(name);
    fprintf(stderr, PROG ": %s%s%s: %s (see " PROG " --help)\n", name,
            v ? "=" : "", v ? v : "", why);
    return 2;
  }
  return 0;
}

int main(int argc, char **argv) {
  loadgen_config_t cfg;
  opts_t o;
  int rc = configure(argc, argv, &cfg, &o);
  if (rc == -1)
    return 0; /* --help */
  if (rc)
    return rc;

  signal(SIGPIPE, SIG_IGN);
  /* The runtime's own JSON log lines would tear the table: errors only,
   * unless asked for. */
  setenv("LOG_LEVEL", "error", 0);

  app_t a = {0};
  a.duration = o.duration;
  a.stats_interval = o.stats_interval;
  a.max_failure_ratio = o.max_failure_ratio;
  a.json_path = o.json_path;
  a.drain_bound = cfg.request_timeout + 2 * RT_SEC;
  a.tty = isatty(STDOUT_FILENO);
  a.exit_status = 1;
  a.loop = uv_default_loop();
  a.rt = rt_live_client_new(a.loop, PROG);
  if (!a.rt) {
    fprintf(stderr, PROG ": out of memory\n");
    return 1;
  }
  a.lg = loadgen_new(a.rt, &cfg);
  if (!a.lg) {
    fprintf(stderr, PROG ": cannot create the load generator: %s\n",
            strerror(errno));
    rt_live_client_free(a.rt);
    uv_run(a.loop, UV_RUN_DEFAULT);
    return 1;
  }
  uv_signal_init(a.loop, &a.sigint);
  uv_signal_init(a.loop, &a.sigterm);
  uv_timer_init(a.loop, &a.tick);
  uv_timer_init(a.loop, &a.end);
  uv_timer_init(a.loop, &a.drain);
  a.sigint.data = a.sigterm.data = a.tick.data = a.end.data = a.drain.data = &a;
  uv_signal_start(&a.sigint, signal_cb, SIGINT);
  uv_signal_start(&a.sigterm, signal_cb, SIGTERM);

  printf(PROG ": %u users at %g/s against %s, think %.3g-%.3g s, %s\n",
         cfg.users, cfg.rate, cfg.frontend_addr,
         (double)cfg.think_min / (double)RT_SEC,
         (double)cfg.think_max / (double)RT_SEC,
         o.duration ? "for a set duration" : "until interrupted");
  fflush(stdout);
  a.cpu0_ns = process_cpu_ns();
  getrusage(RUSAGE_SELF, &a.ru0);
  if (loadgen_start(a.lg) != 0) {
    fprintf(stderr, PROG ": cannot start the load generator\n");
    close_all(&a);
    rt_live_client_free(a.rt);
    uv_run(a.loop, UV_RUN_DEFAULT);
    loadgen_free(a.lg);
    return 1;
  }
  uv_update_time(a.loop); /* the run starts now, not at the loop's last tick */
  if (a.duration > 0)
    uv_timer_start(&a.end, end_cb, (uint64_t)((a.duration + RT_MSEC - 1) / RT_MSEC), 0);
  if (a.stats_interval > 0) {
    uint64_t ms = (uint64_t)((a.stats_interval + RT_MSEC - 1) / RT_MSEC);
    uv_timer_start(&a.tick, tick_cb, ms, ms);
  }
  uv_run(a.loop, UV_RUN_DEFAULT);
  if (a.rt) /* the loop ended without a drain (should not happen) */
    rt_live_client_free(a.rt);
  uv_run(a.loop, UV_RUN_DEFAULT);
  loadgen_free(a.lg);
  uv_loop_close(a.loop);
  return a.exit_status;
}

/*
 * supervisor.c — child processes as pods: spawn, health-check, restart with
 * back-off, stop with grace. See supervisor.h.
 */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "health.pb-c.h"
#include "live/live.h"

/* Probe period while a service starts; once it serves, the probe period
 * of the options (sup_opts_t.probe_period_seconds). */
#define HEALTH_STARTING_MS 250
#define HEALTH_TIMEOUT (1 * RT_SEC)
/* Health failures in a row before a serving service counts as failing. */
#define HEALTH_FAILURES 3
/* A service that ran this long without crashing gets its back-off reset. */
#define BACKOFF_RESET_MS (10 * 60 * 1000)

struct sup_proc {
  sup_t *sup;
  const sup_spec_t *spec;
  char addr[64];
  char host[32];
  char path[4096];
  char log_path[4096];
  char dir[4096]; /* the service's own state directory, its cwd */
  uv_process_t proc;
  int spawned; /* proc handle is live (must be closed) */
  int pid;
  sup_state_t state;
  int restarts;
  double backoff_s;
  uv_timer_t restart_timer;
  uv_timer_t health_timer;
  int health_inflight;
  int health_failures;
  uint64_t started_ms;
  int64_t ready_ms; /* -1 until first SERVING */
  int64_t last_status;
  int last_signal;
};

struct sup {
  uv_loop_t *loop;
  sup_opts_t opts;
  rt_t *client;
  size_t n;
  sup_proc_t *procs;
  int stopping;
  int servers_termed; /* stopping: the second wave (servers) was signalled */
  int clients_started; /* the clients were spawned (every server SERVING) */
  uv_timer_t kill_timer;
  void (*done)(sup_t *, void *);
  void *done_user;
  int closing_handles;
};

const char *const sup_passthrough_env[] = {
    "LOG_LEVEL", "HOME", "LANG", "TZ", "GRPC_KEEPALIVE_SECONDS", NULL};

const char *sup_state_name(sup_state_t s) {
  switch (s) {
  case SUP_STARTING:
    return "starting";
  case SUP_SERVING:
    return "SERVING";
  case SUP_FAILING:
    return "NOT_SERVING";
  case SUP_BACKOFF:
    return "CrashLoopBackOff";
  case SUP_STOPPING:
    return "terminating";
  case SUP_STOPPED:
    return "stopped";
  }
  return "?";
}

static void event(sup_proc_t *p, const char *what) {
  if (p->sup->opts.on_event)
    p->sup->opts.on_event(p->sup, p, what, p->sup->opts.user);
}

static void spawn_one(sup_proc_t *p);

static void restart_cb(uv_timer_t *t) {
  sup_proc_t *p = t->data;
  if (p->sup->stopping)
    return;
  p->restarts++;
  spawn_one(p);
}

static void term_servers(sup_t *s);

static void close_proc_cb(uv_handle_t *h) {
  sup_proc_t *p = h->data;
  p->spawned = 0;
  sup_t *s = p->sup;
  if (s->stopping && !s->servers_termed) {
    for (size_t i = 0; i < s->n; i++)
      if (s->procs[i].spawned && s->procs[i].spec->port == 0)
        return;
    term_servers(s);
  }
  if (s->stopping && s->done) {
    for (size_t i = 0; i < s->n; i++)
      if (s->procs[i].spawned)
        return;
    uv_timer_stop(&s->kill_timer);
    void (*done)(sup_t *, void *) = s->done;
    s->done = NULL;
    done(s, s->done_user);
  }
}

static void exit_cb(uv_process_t *proc, int64_t status, int sig) {
  sup_proc_t *p = proc->data;
  sup_t *s = p->sup;
  p->last_status = status;
  p->last_signal = sig;
  p->pid = 0;
  uv_timer_stop(&p->health_timer);
  if (s->stopping) {
    p->state = SUP_STOPPED;
    event(p, "exited");
  } else {
    uint64_t ran = uv_now(s->loop) - p->started_ms;
    if (ran >= BACKOFF_RESET_MS)
      p->backoff_s = s->opts.backoff_initial_seconds;
    p->state = SUP_BACKOFF;
    event(p, "crashed");
    uv_timer_start(&p->restart_timer, restart_cb,
                   (uint64_t)(p->backoff_s * 1000.0), 0);
    p->backoff_s *= 2;
    if (p->backoff_s > s->opts.backoff_max_seconds)
      p->backoff_s = s->opts.backoff_max_seconds;
  }
  uv_close((uv_handle_t *)proc, close_proc_cb);
}

static void health_result(sup_proc_t *p, int serving);

static void health_done(void *user, rt_status_t status, const char *message,
                        ProtobufCMessage *resp) {
  sup_proc_t *p = user;
  p->health_inflight = 0;
  int serving = 0;
  if (status == RT_OK && resp) {
    Grpc__Health__V1__HealthCheckResponse *r =
        (Grpc__Health__V1__HealthCheckResponse *)resp;
    serving = r->status ==
              GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  }
  rt_msg_free(resp);
  health_result(p, serving);
}

static void start_clients(sup_t *s);

static void health_result(sup_proc_t *p, int serving) {
  if (p->pid == 0 || p->state == SUP_STOPPING || p->state == SUP_STOPPED)
    return;
  if (serving) {
    p->health_failures = 0;
    if (p->state != SUP_SERVING) {
      if (p->ready_ms < 0)
        p->ready_ms = (int64_t)(uv_now(p->sup->loop) - p->started_ms);
      p->state = SUP_SERVING;
      /* From the next tick on: a ready pod is probed every periodSeconds,
       * not at the start-up pace (48 checks a second across the shop,
       * each a wake-up of a service, would be load of their own). */
      uv_timer_set_repeat(&p->health_timer,
                          (uint64_t)(p->sup->opts.probe_period_seconds *
                                     1000.0));
      event(p, "serving");
      if (p->spec->port != 0)
        start_clients(p->sup);
    }
  } else if (p->state == SUP_SERVING &&
             ++p->health_failures >= HEALTH_FAILURES) {
    p->state = SUP_FAILING;
    event(p, "not serving");
  }
}

static void http_health_done(void *user, rt_status_t status,
                             const char *message,
                             const rt_http_response_t *resp) {
  sup_proc_t *p = user;
  p->health_inflight = 0;
  int serving = status == RT_OK && resp && resp->status >= 200 &&
                resp->status < 300;
  health_result(p, serving);
}

static void health_tick(uv_timer_t *t) {
  sup_proc_t *p = t->data;
  if (p->health_inflight || p->pid == 0)
    return;
  if (p->spec->port == 0) {
    /* No probe: running for a second counts as ready. */
    health_result(p, uv_now(p->sup->loop) - p->started_ms >= 1000);
    return;
  }
  if (p->spec->http_probe) {
    rt_invoke_opts_t o = {.timeout = HEALTH_TIMEOUT, .parent = NULL};
    if (rt_http_invoke(p->sup->client, p->addr, "GET", p->spec->http_probe,
                       NULL, 0, NULL, 0, &o, http_health_done, p))
      p->health_inflight = 1;
    return;
  }
  Grpc__Health__V1__HealthCheckRequest req =
      GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  req.service = (char *)p->spec->health;
  rt_invoke_opts_t o = {.timeout = HEALTH_TIMEOUT, .parent = NULL};
  if (rt_invoke(p->sup->client, p->addr, "grpc.health.v1.Health", "Check",
                &req.base, &grpc__health__v1__health_check_response__descriptor,
                &o, health_done, p))
    p->health_inflight = 1;
}

/* Builds the child's environment: what Kubernetes would set for the pod. */
static char **child_env(sup_proc_t *p) {
  sup_t *s = p->sup;
  size_t cap = 16, n = 0;
  for (const char *const *e = p->spec->env; e && *e; e++)
    cap++;
  char **env = calloc(cap, sizeof *env);
  if (!env)
    return NULL;
#define ADD(...)                                                     \
  do {                                                               \
    char *e_;                                                        \
    if (n + 2 >= cap || asprintf(&e_, __VA_ARGS__) < 0)              \
      goto fail;                                                     \
    env[n++] = e_;                                                   \
  } while (0)
  if (p->spec->port) {
    ADD("PORT=%d", p->spec->port);
    ADD("BIND_ADDR=%s", p->host);
  }
  ADD("PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
  for (const char *const *e = sup_passthrough_env; *e; e++)
    if (getenv(*e))
      ADD("%s=%s", *e, getenv(*e));
  ADD("SHUTDOWN_GRACE_SECONDS=%g", s->opts.grace_seconds);
  for (const char *const *e = p->spec->env; e && *e; e++) {
    const char *at = strstr(*e, "{state}");
    if (at)
      ADD("%.*s%s%s", (int)(at - *e), *e, p->dir, at + strlen("{state}"));
    else
      ADD("%s", *e);
  }
  for (const char *const(*a)[2] = p->spec->addr_env; a && (*a)[0]; a++) {
    const char *target = NULL;
    for (size_t i = 0; i < s->n; i++)
      if (!strcmp(s->procs[i].spec->name, (*a)[1]))
        target = s->procs[i].addr;
    if (target)
      ADD("%s=%s", (*a)[0], target);
  }
#undef ADD
  env[n] = NULL;
  return env;
fail:
  for (size_t i = 0; i < n; i++)
    free(env[i]);
  free(env);
  return NULL;
}

static void free_env(char **env) {
  for (size_t i = 0; env && env[i]; i++)
    free(env[i]);
  free(env);
}

static void spawn_one(sup_proc_t *p) {
  sup_t *s = p->sup;
  int fd = open(p->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  char **env = child_env(p);
  char *args[] = {p->path, NULL};
  uv_stdio_container_t stdio[3] = {
      {.flags = UV_IGNORE},
      {.flags = fd >= 0 ? UV_INHERIT_FD : UV_IGNORE, .data.fd = fd},
      {.flags = fd >= 0 ? UV_INHERIT_FD : UV_IGNORE, .data.fd = fd},
  };
  uv_process_options_t o = {
      .exit_cb = exit_cb,
      .file = p->path,
      .args = args,
      .env = env,
      .cwd = p->dir,
      .stdio_count = 3,
      .stdio = stdio,
  };
  p->proc.data = p;
  p->started_ms = uv_now(s->loop);
  p->health_failures = 0;
  int rc = env ? uv_spawn(s->loop, &p->proc, &o) : UV_ENOMEM;
  free_env(env);
  if (fd >= 0)
    close(fd);
  if (rc != 0) {
    /* Like a container that cannot start: back off and retry. */
    p->last_status = 127;
    p->state = SUP_BACKOFF;
    event(p, uv_strerror(rc));
    uv_timer_start(&p->restart_timer, restart_cb,
                   (uint64_t)(p->backoff_s * 1000.0), 0);
    return;
  }
  p->spawned = 1;
  p->pid = p->proc.pid;
  p->state = SUP_STARTING;
  event(p, "started");
  uv_timer_start(&p->health_timer, health_tick, 50, HEALTH_STARTING_MS);
}

sup_t *sup_new(uv_loop_t *loop, const sup_spec_t *specs, size_t n,
               const sup_opts_t *opts, char *err, size_t errlen) {
  sup_t *s = calloc(1, sizeof *s);
  if (!s || !(s->procs = calloc(n, sizeof *s->procs))) {
    free(s);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  s->loop = loop;
  s->opts = *opts;
  if (s->opts.grace_seconds <= 0)
    s->opts.grace_seconds = 5;
  if (s->opts.backoff_initial_seconds <= 0)
    s->opts.backoff_initial_seconds = 10;
  if (s->opts.backoff_max_seconds <= 0)
    s->opts.backoff_max_seconds = 300;
  if (s->opts.probe_period_seconds <= 0)
    s->opts.probe_period_seconds = 10;
  if (s->opts.first_octet_host <= 0)
    s->opts.first_octet_host = 11;
  if (!s->opts.net)
    s->opts.net = "127.0.0";
  s->n = n;
  s->client = rt_live_client_new(loop, "meshsim");
  if (!s->client) {
    free(s->procs);
    free(s);
    snprintf(err, errlen, "cannot create the gRPC client");
    return NULL;
  }
  uv_timer_init(loop, &s->kill_timer);
  s->kill_timer.data = s;
  for (size_t i = 0; i < n; i++) {
    sup_proc_t *p = &s->procs[i];
    p->sup = s;
    p->spec = &specs[i];
    p->ready_ms = -1;
    p->backoff_s = s->opts.backoff_initial_seconds;
    if (p->spec->host)
      snprintf(p->host, sizeof p->host, "%s", p->spec->host);
    else
      snprintf(p->host, sizeof p->host, "%s.%d", s->opts.net,
               s->opts.first_octet_host + (int)i);
    snprintf(p->addr, sizeof p->addr, "%s:%d", p->host, p->spec->port);
    snprintf(p->path, sizeof p->path, "%s/%s", opts->bin_dir, p->spec->name);
    snprintf(p->log_path, sizeof p->log_path, "%s/logs/%s.log",
             opts->state_dir, p->spec->name);
    snprintf(p->dir, sizeof p->dir, "%s/%s", opts->state_dir, p->spec->name);
    uv_timer_init(loop, &p->restart_timer);
    uv_timer_init(loop, &p->health_timer);
    p->restart_timer.data = p;
    p->health_timer.data = p;
  }
  return s;
}

int sup_start(sup_t *s, char *err, size_t errlen) {
  for (size_t i = 0; i < s->n; i++)
    if (access(s->procs[i].path, X_OK) != 0) {
      snprintf(err, errlen, "%s: %s (build it first, or pass --bin-dir)",
               s->procs[i].path, strerror(errno));
      return -1;
    }
  char logs[4200];
  snprintf(logs, sizeof logs, "%s/logs", s->opts.state_dir);
  if (mkdir(s->opts.state_dir, 0755) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "%s: %s", s->opts.state_dir, strerror(errno));
    return -1;
  }
  if (mkdir(logs, 0755) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "%s: %s", logs, strerror(errno));
    return -1;
  }
  for (size_t i = 0; i < s->n; i++)
    if (mkdir(s->procs[i].dir, 0755) != 0 && errno != EEXIST) {
      snprintf(err, errlen, "%s: %s", s->procs[i].dir, strerror(errno));
      return -1;
    }
  /* The servers now, the clients once every server is SERVING (as the
   * load generator's init container waits for the frontend on
   * Kubernetes): requests sent before would meet services still starting
   * (a slow start, under ASan, made the first ones fail). */
  for (size_t i = 0; i < s->n; i++)
    if (s->procs[i].spec->port != 0)
      spawn_one(&s->procs[i]);
  start_clients(s);
  return 0;
}

static void start_clients(sup_t *s) {
  if (s->clients_started || s->stopping)
    return;
  for (size_t i = 0; i < s->n; i++)
    if (s->procs[i].spec->port != 0 && s->procs[i].state != SUP_SERVING)
      return;
  s->clients_started = 1;
  for (size_t i = 0; i < s->n; i++)
    if (s->procs[i].spec->port == 0)
      spawn_one(&s->procs[i]);
}

static void kill_cb(uv_timer_t *t) {
  sup_t *s = t->data;
  for (size_t i = 0; i < s->n; i++)
    if (s->procs[i].spawned && s->procs[i].pid) {
      uv_process_kill(&s->procs[i].proc, SIGKILL);
      event(&s->procs[i], "killed after the grace period");
    }
}

/* SIGTERM to the running processes that serve a port (|servers|) or to
 * those that serve none (the clients, such as the load generator: nothing
 * calls them). Returns how many are still to exit. */
static int term_wave(sup_t *s, int servers) {
  int n = 0;
  for (size_t i = 0; i < s->n; i++) {
    sup_proc_t *p = &s->procs[i];
    if (!p->spawned || (p->spec->port != 0) != servers)
      continue;
    n++;
    if (p->pid) {
      p->state = SUP_STOPPING;
      uv_process_kill(&p->proc, SIGTERM);
    }
  }
  return n;
}

static void term_servers(sup_t *s) {
  s->servers_termed = 1;
  if (term_wave(s, 1))
    uv_timer_start(&s->kill_timer, kill_cb,
                   (uint64_t)(s->opts.grace_seconds * 1000.0) + 1000, 0);
}

void sup_stop(sup_t *s, void (*done)(sup_t *s, void *user), void *user) {
  s->stopping = 1;
  s->done = done;
  s->done_user = user;
  int any = 0;
  for (size_t i = 0; i < s->n; i++) {
    sup_proc_t *p = &s->procs[i];
    uv_timer_stop(&p->restart_timer);
    uv_timer_stop(&p->health_timer);
    if (p->spawned)
      any = 1;
    else
      p->state = SUP_STOPPED;
  }
  if (!any) {
    s->done = NULL;
    done(s, user);
    return;
  }
  /* Clients first, so the requests they have in flight are answered
   * rather than cut by their servers' exit; the servers when the last
   * client has exited. */
  if (term_wave(s, 0))
    uv_timer_start(&s->kill_timer, kill_cb,
                   (uint64_t)(s->opts.grace_seconds * 1000.0) + 1000, 0);
  else
    term_servers(s);
}

void sup_proc_log_tail(const sup_proc_t *p, int lines, FILE *f) {
  char buf[16][512];
  if (lines < 1)
    return;
  if (lines > 16)
    lines = 16;
  FILE *in = fopen(p->log_path, "r");
  if (!in)
    return;
  int n = 0;
  while (fgets(buf[n % lines], sizeof buf[0], in))
    n++;
  fclose(in);
  for (int i = n > lines ? n - lines : 0; i < n; i++) {
    const char *l = buf[i % lines];
    fprintf(f, "    | %s%s", l, l[0] && l[strlen(l) - 1] == '\n' ? "" : "\n");
  }
}

int sup_all_serving(const sup_t *s) {
  for (size_t i = 0; i < s->n; i++)
    if (s->procs[i].state != SUP_SERVING)
      return 0;
  return 1;
}

void sup_print_table(const sup_t *s, FILE *f) {
  fprintf(f, "%-24s %-20s %8s  %-16s %9s %8s\n", "SERVICE", "ADDRESS", "PID",
          "HEALTH", "READY", "RESTARTS");
  for (size_t i = 0; i < s->n; i++) {
    const sup_proc_t *p = &s->procs[i];
    char ready[32] = "-";
    if (p->ready_ms >= 0)
      snprintf(ready, sizeof ready, "%lld ms", (long long)p->ready_ms);
    char pid[16] = "-";
    if (p->pid)
      snprintf(pid, sizeof pid, "%d", p->pid);
    const char *state = sup_state_name(p->state);
    if (p->spec->port == 0 && p->state == SUP_SERVING)
      state = "Running"; /* no probe to say more */
    fprintf(f, "%-24s %-20s %8s  %-16s %9s %8d\n", p->spec->name,
            p->spec->port ? p->addr : "-", pid, state, ready, p->restarts);
  }
  fflush(f);
}

size_t sup_count(const sup_t *s) { return s->n; }
sup_proc_t *sup_proc(sup_t *s, size_t i) { return i < s->n ? &s->procs[i] : NULL; }
const char *sup_proc_name(const sup_proc_t *p) { return p->spec->name; }
const char *sup_proc_addr(const sup_proc_t *p) { return p->addr; }
sup_state_t sup_proc_state(const sup_proc_t *p) { return p->state; }
int sup_proc_pid(const sup_proc_t *p) { return p->pid; }
int sup_proc_restarts(const sup_proc_t *p) { return p->restarts; }
const char *sup_proc_log_path(const sup_proc_t *p) { return p->log_path; }
void sup_proc_last_exit(const sup_proc_t *p, int64_t *status, int *sig) {
  *status = p->last_status;
  *sig = p->last_signal;
}

static void close_noop(uv_handle_t *h) { (void)h; }

void sup_free(sup_t *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n; i++) {
    uv_close((uv_handle_t *)&s->procs[i].restart_timer, close_noop);
    uv_close((uv_handle_t *)&s->procs[i].health_timer, close_noop);
  }
  uv_close((uv_handle_t *)&s->kill_timer, close_noop);
  rt_live_client_free(s->client);
  /* Let the handles finish closing before their memory goes. */
  uv_run(s->loop, UV_RUN_NOWAIT);
  free(s->procs);
  free(s);
}

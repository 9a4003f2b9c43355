/*
 * cmd_analyze.c — `meshsim analyze PATH...`: checks Kubernetes and Istio
 * manifests the way `istioctl analyze` does (sim/mesh/analyze.h), printing
 * one finding a line, `file:line: severity: message (fix: ...)`, sorted by
 * file and line. This file does the I/O (walking directories, reading chart
 * values and call lists); the checks are sim/mesh's.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze.h"
#include "meshsim.h"

typedef struct paths {
  char **v;
  size_t n, cap;
} paths_t;

static int paths_add(paths_t *p, const char *s) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 32;
    char **v = realloc(p->v, cap * sizeof *v);
    if (!v) return -1;
    p->v = v;
    p->cap = cap;
  }
  if (!(p->v[p->n] = strdup(s))) return -1;
  p->n++;
  return 0;
}

static void paths_free(paths_t *p) {
  for (size_t i = 0; i < p->n; i++) free(p->v[i]);
  free(p->v);
}

static int has_suffix(const char *s, const char *suf) {
  size_t n = strlen(s), k = strlen(suf);
  return n >= k && !strcmp(s + n - k, suf);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects *.yaml / *.yml under |path| (recursively, sorted). */
static int walk(const char *path, paths_t *out, mesh_diags_t *d) {
  struct stat st;
  if (stat(path, &st) != 0) {
    mesh_diag_add(d, MESH_SEV_ERROR, path, 0, 0, NULL, "%s", strerror(errno));
    return 0;
  }
  if (!S_ISDIR(st.st_mode)) return paths_add(out, path);
  DIR *dir = opendir(path);
  if (!dir) {
    mesh_diag_add(d, MESH_SEV_ERROR, path, 0, 0, NULL, "%s", strerror(errno));
    return 0;
  }
  paths_t here = {0};
  struct dirent *e;
  while ((e = readdir(dir))) {
    if (e->d_name[0] == '.' || !strcmp(e->d_name, "node_modules")) continue;
    char sub[4096];
    snprintf(sub, sizeof sub, "%s%s%s", path, has_suffix(path, "/") ? "" : "/", e->d_name);
    struct stat s2;
    if (stat(sub, &s2) != 0) continue;
    if (S_ISDIR(s2.st_mode) || has_suffix(e->d_name, ".yaml") || has_suffix(e->d_name, ".yml"))
      if (paths_add(&here, sub) < 0) break;
  }
  closedir(dir);
  qsort(here.v, here.n, sizeof *here.v, cmp_str);
  int rc = 0;
  for (size_t i = 0; i < here.n && rc == 0; i++) {
    if (stat(here.v[i], &st) == 0 && S_ISDIR(st.st_mode))
      rc = walk(here.v[i], out, d);
    else
      rc = paths_add(out, here.v[i]);
  }
  paths_free(&here);
  return rc;
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 8192, n = 0;
  char *buf = malloc(cap + 1);
  for (size_t k; buf && (k = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += k;
    if (n == cap) {
      char *nb = realloc(buf, 2 * cap + 1);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf) buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

/* 1 if some document of |f| is a Kubernetes object. */
static int has_objects(const yd_file_t *f) {
  for (size_t i = 0; i < f->ndocs; i++)
    if (yd_get(f->docs[i].root, "apiVersion") && yd_get(f->docs[i].root, "kind")) return 1;
  return 0;
}

static int analyze_exec(int argc, char **argv) {
  const char *charts = NULL, *calls = NULL;
  int strict = 0, quiet = 0;
  paths_t args = {0};
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--charts") && i + 1 < argc) {
      charts = argv[++i];
    } else if (!strcmp(argv[i], "--calls") && i + 1 < argc) {
      calls = argv[++i];
    } else if (!strcmp(argv[i], "--strict")) {
      strict = 1;
    } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
      quiet = 1;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "meshsim analyze: unknown or incomplete option '%s' (see meshsim analyze --help)\n",
              argv[i]);
      paths_free(&args);
      return 2;
    } else if (paths_add(&args, argv[i]) < 0) {
      paths_free(&args);
      return 1;
    }
  }
  if (!args.n) {
    fprintf(stderr, "meshsim analyze: give at least one file or directory (see meshsim analyze --help)\n");
    return 2;
  }
  mesh_diags_t d = {0};
  mesh_config_t cfg;
  mesh_config_init(&cfg);
  mesh_topo_t *topo = mesh_topo_new();
  yd_file_t **values = NULL;
  size_t nvalues = 0;
  int rc = topo ? 0 : -1;

  /* Manifests. */
  for (size_t a = 0; a < args.n && rc == 0; a++) {
    paths_t files = {0};
    struct stat st;
    int from_dir = stat(args.v[a], &st) == 0 && S_ISDIR(st.st_mode);
    rc = walk(args.v[a], &files, &d);
    for (size_t i = 0; i < files.n && rc == 0; i++) {
      char *text = slurp(files.v[i], NULL);
      if (!text) {
        mesh_diag_add(&d, MESH_SEV_ERROR, files.v[i], 0, 0, NULL, "cannot read: %s", strerror(errno));
        continue;
      }
      if (strstr(text, "{{")) {
        mesh_diag_add(&d, MESH_SEV_INFO, files.v[i], 1, 0, "analyze its rendered output (helm template)",
                      "skipped: a Helm template, not a plain manifest");
        free(text);
        continue;
      }
      yd_file_t *f;
      char err[1024];
      int lrc = yd_load_string(files.v[i], text, strlen(text), &f, err, sizeof err);
      free(text);
      if (lrc < 0) {
        int line = 0;
        const char *p = err + strlen(files.v[i]);
        if (*p == ':') line = atoi(p + 1);
        const char *msg = strstr(err, ": YAML");
        mesh_diag_add(&d, MESH_SEV_ERROR, files.v[i], line, 0, NULL, "%s", msg ? msg + 2 : err);
        continue;
      }
      if (from_dir && !has_objects(f)) {
        /* values files, tool configs: not for us when found by walking */
        yd_file_free(f);
        continue;
      }
      if (mesh_config_add_file(&cfg, f, &d) < 0) rc = -1;
    }
    paths_free(&files);
  }
  if (rc == 0 && mesh_config_resolve(&cfg, &d) < 0) rc = -1;

  /* Chart values: k8s/charts/<service>/values.yaml. */
  if (rc == 0 && charts) {
    DIR *dir = opendir(charts);
    if (!dir) {
      fprintf(stderr, "meshsim analyze: --charts %s: %s\n", charts, strerror(errno));
      rc = 2;
    } else {
      paths_t vp = {0};
      struct dirent *e;
      while ((e = readdir(dir))) {
        char p[4096];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s/values.yaml", charts, e->d_name);
        if (e->d_name[0] != '.' && stat(p, &st) == 0) paths_add(&vp, p);
      }
      closedir(dir);
      qsort(vp.v, vp.n, sizeof *vp.v, cmp_str);
      values = calloc(vp.n + 1, sizeof *values);
      for (size_t i = 0; values && i < vp.n; i++) {
        yd_file_t *f;
        char err[1024];
        if (yd_load_file(vp.v[i], &f, err, sizeof err) < 0) {
          mesh_diag_add(&d, MESH_SEV_ERROR, NULL, 0, 0, NULL, "%s", err);
          continue;
        }
        /* the library chart has no service of its own */
        if (!yd_str(f->docs ? f->docs[0].root : NULL, "name")) {
          yd_file_free(f);
          continue;
        }
        values[nvalues++] = f;
        if (mesh_topo_add_values(topo, f, &d) < 0) rc = -1;
      }
      paths_free(&vp);
    }
  }
  if (rc == 0 && calls) {
    char *text = slurp(calls, NULL);
    if (!text) {
      fprintf(stderr, "meshsim analyze: --calls %s: %s\n", calls, strerror(errno));
      rc = 2;
    } else {
      if (mesh_topo_add_calls(topo, calls, text, &d) < 0) rc = -1;
      free(text);
    }
  }
  if (rc == 0 && mesh_analyze(&cfg, topo, &d) < 0) rc = -1;

  if (rc == 0) {
    mesh_diags_sort(&d);
    for (size_t i = 0; i < d.n; i++) {
      const mesh_diag_t *g = &d.v[i];
      if (quiet && g->sev == MESH_SEV_INFO) continue;
      if (g->file) printf("%s:%d: ", g->file, g->line);
      printf("%s: %s", mesh_sev_name(g->sev), g->msg);
      if (g->fix) printf(" (fix: %s)", g->fix);
      putchar('\n');
    }
    fprintf(stderr, "meshsim analyze: %zu error%s, %zu warning%s in %zu object%s\n", d.nerrors,
            d.nerrors == 1 ? "" : "s", d.nwarnings, d.nwarnings == 1 ? "" : "s",
            cfg.ngateways + cfg.nvs + cfg.ndr + cfg.npa + cfg.nap + cfg.nobjs,
            cfg.ngateways + cfg.nvs + cfg.ndr + cfg.npa + cfg.nap + cfg.nobjs == 1 ? "" : "s");
    rc = d.nerrors || (strict && d.nwarnings) ? 1 : 0;
  } else if (rc < 0) {
    fprintf(stderr, "meshsim analyze: out of memory\n");
    rc = 1;
  }
  mesh_topo_free(topo);
  for (size_t i = 0; i < nvalues; i++) yd_file_free(values[i]);
  free(values);
  mesh_config_free(&cfg);
  mesh_diags_free(&d);
  paths_free(&args);
  return rc;
}

const msim_cmd_t msim_cmd_analyze = {
    .name = "analyze",
    .args = "[--charts DIR] [--calls FILE] [--strict] [-q] PATH...",
    .summary = "check Istio and Kubernetes manifests, as istioctl analyze does",
    .help =
        "Reads every manifest in the given files and directories (recursively,\n"
        "*.yaml and *.yml; files holding Helm template syntax `{{` are skipped with\n"
        "a note, and files found in directories that hold no Kubernetes object,\n"
        "such as values files, are ignored) and prints one finding a line:\n"
        "\n"
        "  file:line: severity: message (fix: suggestion)\n"
        "\n"
        "sorted by file and line. Istio objects (Gateway, VirtualService,\n"
        "DestinationRule, PeerAuthentication, AuthorizationPolicy; v1beta1 and v1)\n"
        "are read strictly: an unknown field, a bad value or a dangling reference\n"
        "is an error. Beyond that it reports routes bound only to a gateway for\n"
        "hosts called east-west, gateway routes that miss a canary split, hosts\n"
        "that name no Service, subsets whose labels no pod has, weights not summing\n"
        "to 100, splits whose destinations reach the same pods, STRICT mTLS with\n"
        "callers that have no sidecar, and AuthorizationPolicies that refuse a call\n"
        "the topology needs.\n"
        "\n"
        "The topology (Services, pods, namespaces, who calls whom) comes from the\n"
        "manifests (Namespaces, Services, Deployments and their env \"host:port\"\n"
        "values, the routes bound to the ingress gateway), from --charts and from\n"
        "--calls; checks that lack it are skipped, with a note.\n"
        "\n"
        "options:\n"
        "  --charts DIR   also read meshsim's chart values, DIR/<chart>/values.yaml\n"
        "                 (name, namespace, service ports, canary, env addresses);\n"
        "                 default: none. For this repository: --charts k8s/charts\n"
        "  --calls FILE   calls the topology needs, one a line:\n"
        "                   CALLER_NS/CALLER_WORKLOAD -> HOST[:PORT] [PATH]\n"
        "  --strict       warnings fail too\n"
        "  -q, --quiet    leave out the info notes\n"
        "\n"
        "Exit status: 0 no error (warnings allowed unless --strict), 1 errors,\n"
        "2 bad usage.\n",
    .exec = analyze_exec,
};

/* tests/sim/values_test.c: sim/cluster/values.c on the real charts under
 * k8s/charts (every one parses, the numbers are upstream's), quantities,
 * errors that name file:line:column and field, and Helm-style --set
 * overrides (Check, fork mode). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "values.h"

static const char *srcdir(void)
{
	const char *s = getenv("MESHSIM_SRCDIR");
	return s ? s : ".";
}

static char *chart_path(const char *chart)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/k8s/charts/%s/values.yaml", srcdir(), chart);
	return buf;
}

static cl_values_t *load(const char *chart, const char *const *ov)
{
	char err[1024];
	cl_values_t *v = NULL;
	int rc = cl_values_load(chart_path(chart), ov, &v, err, sizeof err);
	ck_assert_msg(rc == 0, "%s: %s", chart, err);
	ck_assert_ptr_nonnull(v);
	return v;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	char *buf = malloc(1 << 16);
	ck_assert_ptr_nonnull(buf);
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* |text| with the first |from| replaced by |to|; the 1-based line of the
 * replacement in |*line|. */
static char *replace(const char *text, const char *from, const char *to,
                     int *line)
{
	const char *at = strstr(text, from);
	ck_assert_msg(at != NULL, "%s not in the chart", from);
	*line = 1;
	for (const char *p = text; p < at; p++)
		*line += *p == '\n';
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);
	ck_assert_ptr_nonnull(out);
	size_t pre = (size_t)(at - text);
	memcpy(out, text, pre);
	strcpy(out + pre, to);
	strcat(out, at + strlen(from));
	return out;
}

/* ---- the twelve charts ---------------------------------------------------- */

/* BOUTIQUE.md's table (and the seed's business service). */
static const struct chart {
	const char *name, *ns;
	int container_port, service_port; /* 0: no Service */
	int64_t cpu_req, mem_req_mi, cpu_lim, mem_lim_mi;
	cl_probe_kind_t probe;
	int canary;
} charts[] = {
    {"frontend", "frontend", 8080, 80, 100, 64, 200, 128, CL_PROBE_HTTP, 1},
    {"cartservice", "cartservice", 7070, 7070, 200, 64, 300, 128, CL_PROBE_GRPC, 0},
    {"productcatalogservice", "productcatalogservice", 3550, 3550, 100, 64, 200, 128, CL_PROBE_GRPC, 0},
    {"currencyservice", "currencyservice", 7000, 7000, 100, 64, 200, 128, CL_PROBE_GRPC, 0},
    {"paymentservice", "paymentservice", 50051, 50051, 100, 64, 200, 128, CL_PROBE_GRPC, 0},
    {"shippingservice", "shippingservice", 50051, 50051, 100, 64, 200, 128, CL_PROBE_GRPC, 0},
    {"emailservice", "emailservice", 8080, 5000, 100, 64, 200, 128, CL_PROBE_GRPC, 0},
    {"checkoutservice", "checkoutservice", 5050, 5050, 100, 64, 200, 128, CL_PROBE_GRPC, 0},
    {"recommendationservice", "recommendationservice", 8080, 8080, 100, 220, 200, 450, CL_PROBE_GRPC, 0},
    {"adservice", "adservice", 9555, 9555, 200, 180, 300, 300, CL_PROBE_GRPC, 0},
    {"loadgenerator", "loadgenerator", 0, 0, 300, 256, 500, 512, CL_PROBE_NONE, 0},
    {"business", "business-service", 5055, 80, 100, 64, 200, 128, CL_PROBE_HTTP, 1},
};
#define N_CHARTS (sizeof charts / sizeof charts[0])

START_TEST(every_chart_parses_with_upstream_numbers)
{
	const struct chart *c = &charts[_i];
	cl_values_t *v = load(c->name, NULL);
	ck_assert_str_eq(v->name, c->name);
	ck_assert_str_eq(v->namespace_, c->ns);
	ck_assert_int_eq(v->replicas, 1);
	ck_assert_int_eq(v->service.enabled, c->service_port != 0);
	if (c->service_port) {
		ck_assert_int_eq(v->service.port, c->service_port);
		ck_assert_int_eq(v->service.target_port, c->container_port);
		/* The container's PORT is the Service's targetPort. */
		char port[16];
		snprintf(port, sizeof port, "%d", c->container_port);
		ck_assert_str_eq(cl_values_env(v, "PORT"), port);
	}
	ck_assert_int_eq(v->cpu_request_m, c->cpu_req);
	ck_assert_int_eq(v->cpu_limit_m, c->cpu_lim);
	ck_assert_int_eq(v->mem_request, c->mem_req_mi << 20);
	ck_assert_int_eq(v->mem_limit, c->mem_lim_mi << 20);
	ck_assert_int_eq(v->grace_s, 5);
	ck_assert_str_eq(cl_values_env(v, "SHUTDOWN_GRACE_SECONDS"), "5");
	ck_assert_int_eq(v->readiness.kind, c->probe);
	ck_assert_int_eq(v->liveness.kind, c->probe);
	if (c->probe != CL_PROBE_NONE) {
		ck_assert_int_eq(v->readiness.port, c->container_port);
		ck_assert_int_eq(v->readiness.period_s, 5);
		ck_assert_int_eq(v->readiness.failure_threshold, 3);
		ck_assert_int_eq(v->readiness.timeout_s, 1); /* the default */
		ck_assert_int_eq(v->liveness.period_s, 10);
	}
	if (c->probe == CL_PROBE_HTTP) {
		ck_assert_int_eq(v->readiness.initial_delay_s, 10);
		ck_assert_str_eq(v->readiness.path, strcmp(c->name, "frontend") == 0
		                                        ? "/_healthz" : "/business");
	} else if (c->probe == CL_PROBE_GRPC) {
		ck_assert_int_eq(v->readiness.initial_delay_s, 0);
		ck_assert_int_eq(v->liveness.initial_delay_s, 5);
	}
	ck_assert_int_eq(v->canary.enabled, c->canary);
	ck_assert_str_eq(v->image.tag, "0.1.0");
	ck_assert_int_eq(v->hpa.enabled, 0);
	ck_assert_int_eq(v->strategy.recreate, 0);
	ck_assert_int_eq(v->strategy.max_surge.value, 25);
	ck_assert_int_eq(v->strategy.max_surge.percent, 1);
	cl_values_free(v);
}
END_TEST

/* Every address in every chart's env names another chart's Service, in
 * its namespace, on its Service port. */
START_TEST(every_address_names_a_chart_service)
{
	cl_values_t *all[N_CHARTS];
	for (size_t i = 0; i < N_CHARTS; i++)
		all[i] = load(charts[i].name, NULL);
	int seen = 0;
	for (size_t i = 0; i < N_CHARTS; i++)
		for (size_t e = 0; e < all[i]->n_env; e++) {
			const cl_env_t *env = &all[i]->env[e];
			size_t l = strlen(env->name);
			if (l < 5 || strcmp(env->name + l - 5, "_ADDR") ||
			    strcmp(env->name, "BIND_ADDR") == 0)
				continue;
			char svc[128], ns[128];
			int port;
			ck_assert_msg(cl_addr_split(env->value, svc, ns, sizeof svc,
			                            &port) == 0,
			              "%s: %s=%s", charts[i].name, env->name,
			              env->value);
			ck_assert_msg(strstr(env->value, ".svc.cluster.local:") != NULL,
			              "%s", env->value);
			int found = 0;
			for (size_t j = 0; j < N_CHARTS; j++)
				if (!strcmp(all[j]->name, svc) &&
				    !strcmp(all[j]->namespace_, ns) &&
				    all[j]->service.enabled &&
				    all[j]->service.port == port)
					found = 1;
			ck_assert_msg(found, "%s: %s=%s names no Service",
			              charts[i].name, env->name, env->value);
			seen++;
		}
	ck_assert_int_ge(seen, 17);
	for (size_t i = 0; i < N_CHARTS; i++)
		cl_values_free(all[i]);
}
END_TEST

START_TEST(storage_and_canary_fields)
{
	cl_values_t *v = load("productcatalogservice", NULL);
	ck_assert_int_eq(v->storage.enabled, 1);
	ck_assert_str_eq(v->storage.type, "emptyDir");
	ck_assert_str_eq(v->storage.mount_path, "/var/lib/productcatalogservice");
	cl_values_free(v);
	v = load("business", NULL);
	ck_assert_int_eq(v->canary.enabled, 1);
	ck_assert_int_eq(v->canary.replicas, 1);
	ck_assert_str_eq(v->canary.tag, "0.1.0");
	cl_values_t *d = cl_values_dup(v);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->env[0].name, v->env[0].name);
	ck_assert_ptr_ne(d->env, v->env);
	ck_assert_str_eq(cl_values_env(d, "EMAIL_SERVICE_ADDR"),
	                 "emailservice.emailservice.svc.cluster.local:5000");
	cl_values_free(d);
	cl_values_free(v);
	/* A persistent volume means the Recreate strategy, as the template. */
	const char *ov[] = {"storage.type=persistentVolumeClaim", NULL};
	v = load("cartservice", ov);
	ck_assert_int_eq(v->strategy.recreate, 1);
	cl_values_free(v);
}
END_TEST

/* ---- quantities ------------------------------------------------------------ */

START_TEST(quantities_exact)
{
	int64_t x;
	ck_assert_int_eq(cl_quantity_cpu("100m", &x), 0);
	ck_assert_int_eq(x, 100);
	ck_assert_int_eq(cl_quantity_cpu("0.5", &x), 0);
	ck_assert_int_eq(x, 500);
	ck_assert_int_eq(cl_quantity_cpu("2", &x), 0);
	ck_assert_int_eq(x, 2000);
	ck_assert_int_eq(cl_quantity_cpu("0.125", &x), 0);
	ck_assert_int_eq(x, 125);
	ck_assert_int_eq(cl_quantity_cpu("1.25", &x), 0);
	ck_assert_int_eq(x, 1250);
	const char *bad_cpu[] = {"abc", "", "m", "1.5m", "-1", "0.0005", "1e3",
	                         "1 ", " 1", "100Mi", ".5", "1.", NULL};
	for (const char **b = bad_cpu; *b; b++)
		ck_assert_msg(cl_quantity_cpu(*b, &x) == -1, "cpu %s", *b);

	ck_assert_int_eq(cl_quantity_memory("64Mi", &x), 0);
	ck_assert_int_eq(x, 67108864);
	ck_assert_int_eq(cl_quantity_memory("1Gi", &x), 0);
	ck_assert_int_eq(x, 1073741824);
	ck_assert_int_eq(cl_quantity_memory("1.5Gi", &x), 0);
	ck_assert_int_eq(x, 1610612736);
	ck_assert_int_eq(cl_quantity_memory("129M", &x), 0);
	ck_assert_int_eq(x, 129000000);
	ck_assert_int_eq(cl_quantity_memory("128974848", &x), 0);
	ck_assert_int_eq(x, 128974848);
	ck_assert_int_eq(cl_quantity_memory("1.1Ki", &x), 0);
	ck_assert_int_eq(x, 1127); /* 1126.4, rounded up */
	ck_assert_int_eq(cl_quantity_memory("1k", &x), 0);
	ck_assert_int_eq(x, 1000);
	const char *bad_mem[] = {"abc", "", "Mi", "12Q", "-1Mi", "1MiB",
	                         "99999999999Ei", "1..5Gi", NULL};
	for (const char **b = bad_mem; *b; b++)
		ck_assert_msg(cl_quantity_memory(*b, &x) == -1, "mem %s", *b);
}
END_TEST

START_TEST(addresses_split)
{
	char s[64], n[64];
	int port;
	ck_assert_int_eq(cl_addr_split("productcatalogservice.productcatalogservice"
	                               ".svc.cluster.local:3550",
	                               s, n, sizeof s, &port), 0);
	ck_assert_str_eq(s, "productcatalogservice");
	ck_assert_str_eq(n, "productcatalogservice");
	ck_assert_int_eq(port, 3550);
	ck_assert_int_eq(cl_addr_split("cart:7070", s, n, sizeof s, &port), 0);
	ck_assert_str_eq(s, "cart");
	ck_assert_str_eq(n, "");
	ck_assert_int_eq(cl_addr_split("a.b.svc:1", s, n, sizeof s, &port), 0);
	ck_assert_str_eq(n, "b");
	ck_assert_int_eq(cl_addr_split("a.b.c:1", s, n, sizeof s, &port), -1);
	ck_assert_int_eq(cl_addr_split("a.b:0", s, n, sizeof s, &port), -1);
	ck_assert_int_eq(cl_addr_split("a.b", s, n, sizeof s, &port), -1);
	ck_assert_int_eq(cl_addr_split("a..b:1", s, n, sizeof s, &port), -1);
}
END_TEST

/* ---- errors name the place ----------------------------------------------- */

/* Parses the cartservice chart with |from| replaced by |to| and checks
 * the error is "FILE:LINE:COL: |want|" with LINE that of the change. */
static void expect_error(const char *from, const char *to, int col,
                         const char *want)
{
	const char *label = "k8s/charts/cartservice/values.yaml";
	char *text = slurp(chart_path("cartservice"));
	int line;
	char *bad = replace(text, from, to, &line);
	char err[1024], expect[1024];
	cl_values_t *v = NULL;
	int rc = cl_values_parse(label, bad, strlen(bad), NULL, &v, err,
	                         sizeof err);
	ck_assert_int_eq(rc, CL_EVALUES);
	ck_assert_ptr_null(v);
	if (col)
		snprintf(expect, sizeof expect, "%s:%d:%d: %s", label, line, col,
		         want);
	else /* the line is not checked */
		snprintf(expect, sizeof expect, "%s:", label);
	if (col)
		ck_assert_str_eq(err, expect);
	else
		ck_assert_msg(strncmp(err, expect, strlen(expect)) == 0 &&
		                  strstr(err, want),
		              "%s", err);
	free(bad);
	free(text);
}

START_TEST(errors_name_file_line_column_and_field)
{
	/* The first "cpu: 300m" is resources.limits.cpu, indented 4. */
	expect_error("    cpu: 300m", "    cpu: abc", 5,
	             "resources.limits.cpu: \"abc\" is not a CPU quantity");
	expect_error("    memory: 64Mi", "    memory: lots", 5,
	             "resources.requests.memory: \"lots\" is not a memory "
	             "quantity");
	expect_error("replicaCount: 1", "replicaCount: \"2\"", 1,
	             "replicaCount: expected an integer");
	expect_error("replicaCount: 1", "replicaCount: two", 1,
	             "replicaCount: \"two\" is not an integer");
	expect_error("replicaCount: 1", "replicaCont: 2", 1,
	             "replicaCont: unknown key (did you mean \"replicaCount\"?)");
	expect_error("    periodSeconds: 5", "    periodSecond: 5", 5,
	             "probes.readiness.periodSecond: unknown key (did you mean "
	             "\"periodSeconds\"?)");
	expect_error("  port: 7070  #", "  prot: 7070  #", 3,
	             "service.prot: unknown key (did you mean \"port\"?)");
	expect_error("  targetPort: 7070", "  targetPort: 70700", 3,
	             "service.targetPort: 70700 is out of range [1, 65535]");
	expect_error("terminationGracePeriodSeconds: 5",
	             "terminationGracePeriodSeconds: -5", 1,
	             "terminationGracePeriodSeconds: -5 is out of range "
	             "[0, 31536000]");
	expect_error("  enabled: false\n  replicaCount: 0",
	             "  enabled: nope\n  replicaCount: 0", 3,
	             "canary.enabled: \"nope\" is not true or false");
	expect_error("  PORT: \"7070\"", "  PORT: \"7070\"\n  PORT: \"1\"", 0,
	             "duplicate key");
	expect_error("  LOG_LEVEL: \"info\"", "  LOG-LEVEL: \"info\"", 3,
	             "env.LOG-LEVEL: not a valid variable name");
	expect_error("    cpu: 200m", "    cpu: 900m", 5,
	             "resources.requests.cpu: 900m is above the limit 300m");
	/* YAML syntax: the parser's own position. */
	expect_error("replicaCount: 1", "replicaCount: [1", 0, "YAML:");
	/* Keys the model does not read are ignored at the top level. */
	char err[512];
	cl_values_t *v = NULL;
	const char *ok = "name: a\nnamespace: b\nglobal: {x: 1}\nnameOverride: c\n";
	ck_assert_int_eq(cl_values_parse("x.yaml", ok, strlen(ok), NULL, &v, err,
	                                 sizeof err), 0);
	ck_assert_int_eq(v->replicas, 1);
	ck_assert_int_eq(v->grace_s, 30); /* Kubernetes' default */
	ck_assert_int_eq(v->service.enabled, 0);
	cl_values_free(v);
	const char *noname = "namespace: b\n";
	ck_assert_int_eq(cl_values_parse("x.yaml", noname, strlen(noname), NULL,
	                                 &v, err, sizeof err), CL_EVALUES);
	ck_assert_str_eq(err, "x.yaml:1:1: name: required");
	ck_assert_int_eq(cl_values_load("/nonexistent/values.yaml", NULL, &v, err,
	                                sizeof err), CL_EIO);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/values.yaml: "));
}
END_TEST

/* Found by fuzz/cluster_values: aliases are copied into the tree, so nine
 * short lines of nested aliases ("billion laughs") ran for minutes and ate
 * memory. The copy now stops at CL_MAX_NODES values. */
START_TEST(aliases_cannot_expand_without_bound)
{
	char text[2048];
	size_t n = (size_t)snprintf(text, sizeof text,
	                            "name: a\nx0: &a0 [x, x, x, x, x, x, x, x, "
	                            "x, x]\n");
	for (int i = 1; i < 9; i++) {
		n += (size_t)snprintf(text + n, sizeof text - n, "x%d: &a%d [", i, i);
		for (int j = 0; j < 10; j++)
			n += (size_t)snprintf(text + n, sizeof text - n, "%s*a%d",
			                      j ? ", " : "", i - 1);
		n += (size_t)snprintf(text + n, sizeof text - n, "]\n");
	}
	ck_assert_uint_lt(n, sizeof text);
	char err[512];
	cl_values_t *v = (cl_values_t *)1;
	ck_assert_int_eq(cl_values_parse("x.yaml", text, n, NULL, &v, err,
	                                 sizeof err),
	                 CL_EVALUES);
	ck_assert_ptr_null(v);
	ck_assert_msg(strncmp(err, "x.yaml:", 7) == 0 &&
	                  strstr(err, "more than 10000 values (with aliases "
	                              "expanded)"),
	              "%s", err);
	/* A few aliases, as charts may use, still work. */
	const char *ok = "name: a\nnamespace: b\nenv: &e {A: \"1\"}\n"
	                 "extra: *e\n";
	ck_assert_int_eq(cl_values_parse("x.yaml", ok, strlen(ok), NULL, &v, err,
	                                 sizeof err), 0);
	ck_assert_str_eq(cl_values_env(v, "A"), "1");
	cl_values_free(v);
}
END_TEST

/* ---- --set ---------------------------------------------------------------- */

/* The charts spell out autoscaling (off) and the rolling-update bounds
 * (Kubernetes' defaults), and the model reads them from the files. */
START_TEST(autoscaling_and_strategy_from_the_charts)
{
	for (size_t i = 0; i < N_CHARTS; i++) {
		cl_values_t *v = load(charts[i].name, NULL);
		ck_assert_msg(v->hpa.enabled == 0, "%s", charts[i].name);
		ck_assert_int_ge(v->hpa.max_replicas, v->hpa.min_replicas);
		ck_assert_int_eq(v->strategy.max_surge.value, 25);
		ck_assert_int_eq(v->strategy.max_surge.percent, 1);
		ck_assert_int_eq(v->strategy.max_unavailable.value, 25);
		ck_assert_int_eq(v->strategy.max_unavailable.percent, 1);
		ck_assert_int_eq(v->strategy.recreate, 0);
		cl_values_free(v);
	}
	cl_values_t *v = load("frontend", NULL);
	ck_assert_int_eq(v->hpa.min_replicas, 1);
	ck_assert_int_eq(v->hpa.max_replicas, 5);
	ck_assert_int_eq(v->hpa.target_cpu_percent, 70);
	ck_assert_int_eq(v->hpa.scale_down_window_s, 300);
	cl_values_free(v);
	/* A persistentVolumeClaim forces Recreate, whatever strategy says. */
	const char *pvc[] = {"storage.type=persistentVolumeClaim",
	                     "strategy.type=RollingUpdate", NULL};
	v = load("cartservice", pvc);
	ck_assert_int_eq(v->strategy.recreate, 1);
	cl_values_free(v);
	const char *rec[] = {"strategy.type=Recreate", NULL};
	v = load("currencyservice", rec);
	ck_assert_int_eq(v->strategy.recreate, 1);
	cl_values_free(v);
}
END_TEST

START_TEST(set_overrides_like_helm)
{
	const char *ov[] = {
	    "replicaCount=3,resources.limits.cpu=500m",
	    "resources.requests.memory=100Mi",
	    "env.EXTRA_LATENCY=abc",
	    "env.LOG_LEVEL=null",
	    "image.tag=0.2.0",
	    "podAnnotations.proxy\\.istio\\.io/config=x\\,y",
	    "autoscaling.enabled=true,autoscaling.maxReplicas=5",
	    "autoscaling.targetCPUUtilizationPercentage=50",
	    "strategy.rollingUpdate.maxSurge=1",
	    "strategy.rollingUpdate.maxUnavailable=0",
	    NULL};
	cl_values_t *v = load("productcatalogservice", ov);
	ck_assert_int_eq(v->replicas, 3);
	ck_assert_int_eq(v->cpu_limit_m, 500);
	ck_assert_int_eq(v->cpu_request_m, 100);
	ck_assert_int_eq(v->mem_request, 100LL << 20);
	ck_assert_int_eq(v->mem_limit, 128LL << 20);
	ck_assert_str_eq(cl_values_env(v, "EXTRA_LATENCY"), "abc");
	ck_assert_ptr_null(cl_values_env(v, "LOG_LEVEL"));
	ck_assert_str_eq(cl_values_env(v, "PORT"), "3550");
	ck_assert_str_eq(v->image.tag, "0.2.0");
	ck_assert_int_eq(v->hpa.enabled, 1);
	ck_assert_int_eq(v->hpa.min_replicas, 1);
	ck_assert_int_eq(v->hpa.max_replicas, 5);
	ck_assert_int_eq(v->hpa.target_cpu_percent, 50);
	ck_assert_int_eq(v->hpa.scale_down_window_s, 300);
	ck_assert_int_eq(v->strategy.max_surge.value, 1);
	ck_assert_int_eq(v->strategy.max_surge.percent, 0);
	ck_assert_int_eq(v->strategy.max_unavailable.value, 0);
	cl_values_free(v);

	/* An override is checked like the file, and the message names it. */
	char err[512];
	const char *bad[] = {"replicaCount=2", "resources.limits.cpu=abc", NULL};
	ck_assert_int_eq(cl_values_load(chart_path("cartservice"), bad, &v, err,
	                                sizeof err), CL_EVALUES);
	ck_assert_str_eq(err, "--set resources.limits.cpu=abc: "
	                      "resources.limits.cpu: \"abc\" is not a CPU quantity");
	const char *noeq[] = {"replicaCount", NULL};
	ck_assert_int_eq(cl_values_load(chart_path("cartservice"), noeq, &v, err,
	                                sizeof err), CL_EVALUES);
	ck_assert_str_eq(err, "--set replicaCount: expected key=value");
	const char *typo[] = {"service.prot=1", NULL};
	ck_assert_int_eq(cl_values_load(chart_path("cartservice"), typo, &v, err,
	                                sizeof err), CL_EVALUES);
	ck_assert_str_eq(err, "--set service.prot=1: service.prot: unknown key "
	                      "(did you mean \"port\"?)");
	const char *hpa[] = {"autoscaling.enabled=true",
	                     "autoscaling.maxReplicas=null", NULL};
	ck_assert_int_eq(cl_values_load(chart_path("cartservice"), hpa, &v, err,
	                                sizeof err), CL_EVALUES);
	ck_assert_ptr_nonnull(strstr(err, "autoscaling.maxReplicas: required"));
	/* Replacing a mapping by a scalar is refused where a map is read. */
	const char *flat[] = {"resources=none", NULL};
	ck_assert_int_eq(cl_values_load(chart_path("cartservice"), flat, &v, err,
	                                sizeof err), CL_EVALUES);
	ck_assert_str_eq(err, "--set resources=none: resources: expected a mapping");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("values");
	TCase *tc = tcase_create("values");
	tcase_add_loop_test(tc, every_chart_parses_with_upstream_numbers, 0,
	                    (int)N_CHARTS);
	tcase_add_test(tc, every_address_names_a_chart_service);
	tcase_add_test(tc, storage_and_canary_fields);
	tcase_add_test(tc, quantities_exact);
	tcase_add_test(tc, addresses_split);
	tcase_add_test(tc, errors_name_file_line_column_and_field);
	tcase_add_test(tc, autoscaling_and_strategy_from_the_charts);
	tcase_add_test(tc, aliases_cannot_expand_without_bound);
	tcase_add_test(tc, set_overrides_like_helm);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

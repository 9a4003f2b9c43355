/*
 * recommendation.c — recommendationservice. The catalog call is made on
 * behalf of the incoming call (opts.parent), so its deadline and its
 * cancellation carry over. A failing catalog is reported as UNAVAILABLE when
 * it was unreachable, with the caller's own DEADLINE_EXCEEDED/CANCELLED
 * passed on, and INTERNAL otherwise, naming productcatalogservice.
 */
#include "recommendation/recommendation.h"

#include <stdlib.h>
#include <string.h>

#include "proto/demo.pb-c.h"

#define MAX_RECOMMENDATIONS 5

typedef struct reco_state {
  const char *catalog_addr; /* from rt_env: lives as long as the runtime */
} reco_state_t;

typedef struct reco_call {
  rt_call_t *call;
  const Hipstershop__ListRecommendationsRequest *req;
} reco_call_t;

static int requested(const Hipstershop__ListRecommendationsRequest *req,
                     const char *id) {
  for (size_t i = 0; i < req->n_product_ids; i++)
    if (strcmp(req->product_ids[i], id) == 0)
      return 1;
  return 0;
}

static void on_catalog(void *user, rt_status_t status, const char *message,
                       ProtobufCMessage *msg) {
  reco_call_t *rc = user;
  rt_call_t *call = rc->call;
  const Hipstershop__ListRecommendationsRequest *req = rc->req;
  free(rc);
  if (status != RT_OK) {
    rt_status_t code = status == RT_UNAVAILABLE || status == RT_DEADLINE_EXCEEDED ||
                               status == RT_CANCELLED
                           ? status
                           : RT_INTERNAL;
    rt_fail(call, code,
            "failed to list products from productcatalogservice: %s: %s",
            rt_status_name((int)status), message);
    return;
  }
  const Hipstershop__ListProductsResponse *cat =
      (const Hipstershop__ListProductsResponse *)msg;
  /* Candidates: catalog ids not requested, each once, in catalog order. */
  const char **cand = calloc(cat->n_products ? cat->n_products : 1,
                             sizeof *cand);
  if (!cand) {
    rt_msg_free(msg);
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  size_t n = 0;
  for (size_t i = 0; i < cat->n_products; i++) {
    const char *id = cat->products[i]->id;
    int dup = requested(req, id);
    for (size_t j = 0; j < n && !dup; j++)
      dup = strcmp(cand[j], id) == 0;
    if (!dup)
      cand[n++] = id;
  }
  /* A random sample in random order: a partial Fisher-Yates shuffle. */
  size_t k = n < MAX_RECOMMENDATIONS ? n : MAX_RECOMMENDATIONS;
  rt_t *rt = rt_call_rt(call);
  for (size_t i = 0; i < k; i++) {
    size_t j = i + (size_t)rt_rand_below(rt, n - i);
    const char *x = cand[i];
    cand[i] = cand[j];
    cand[j] = x;
  }
  Hipstershop__ListRecommendationsResponse resp =
      HIPSTERSHOP__LIST_RECOMMENDATIONS_RESPONSE__INIT;
  resp.n_product_ids = k;
  resp.product_ids = (char **)cand;
  rt_reply(call, &resp.base);
  free(cand);
  rt_msg_free(msg);
}

static void on_list(rt_call_t *call, const ProtobufCMessage *msg, void *user) {
  reco_state_t *st = user;
  reco_call_t *rc = malloc(sizeof *rc);
  if (!rc) {
    rt_fail(call, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  rc->call = call;
  rc->req = (const Hipstershop__ListRecommendationsRequest *)msg;
  Hipstershop__Empty empty = HIPSTERSHOP__EMPTY__INIT;
  rt_invoke_opts_t opts = {0, call};
  if (!rt_invoke(rt_call_rt(call), st->catalog_addr,
                 "hipstershop.ProductCatalogService", "ListProducts",
                 &empty.base, &hipstershop__list_products_response__descriptor,
                 &opts, on_catalog, rc)) {
    free(rc);
    rt_fail(call, RT_INTERNAL,
            "cannot call productcatalogservice at \"%s\"", st->catalog_addr);
  }
}

static const rt_method_t reco_methods[] = {
    {"ListRecommendations",
     &hipstershop__list_recommendations_request__descriptor,
     &hipstershop__list_recommendations_response__descriptor, on_list},
};

static const rt_service_def_t reco_def = {
    "hipstershop.RecommendationService", reco_methods,
    sizeof reco_methods / sizeof *reco_methods};

static int reco_init(rt_t *rt) {
  const char *addr = rt_env(rt, "PRODUCT_CATALOG_SERVICE_ADDR");
  if (!addr || !*addr || !strchr(addr, ':')) {
    rt_config_error(rt, "PRODUCT_CATALOG_SERVICE_ADDR", addr,
                    "required: the host:port of productcatalogservice, "
                    "e.g. productcatalogservice:3550");
    return -1;
  }
  reco_state_t *st = calloc(1, sizeof *st);
  if (!st)
    return -1;
  st->catalog_addr = addr;
  if (rt_serve(rt, &reco_def, st) != 0) {
    free(st);
    return -1;
  }
  rt_set_user(rt, st);
  return 0;
}

static void reco_fini(rt_t *rt) {
  free(rt_get_user(rt));
  rt_set_user(rt, NULL);
}

static const char recommendation_env_help[] =
    "  PRODUCT_CATALOG_SERVICE_ADDR  host:port of productcatalogservice (required)\n";

const rt_service_t recommendation_service = {
    "recommendationservice", 8080, reco_init, reco_fini, recommendation_env_help};

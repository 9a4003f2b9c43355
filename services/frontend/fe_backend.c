/*
 * fe_backend.c — the frontend's backend calls. Every call is made with the
 * HTTP call as parent (the client going away cancels it) and the
 * configured per-call timeout. A page issues a batch of independent calls
 * at once and continues in its next step when the last one has answered:
 * the join is a counter in the request, held at +1 while the batch is
 * being issued so a call that fails at once cannot run the step early.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/fe.h"

typedef struct fe_pending {
  fe_req_t *r;
  ProtobufCMessage **slot;
  const char *svc;
  int flags;
} fe_pending_t;

void fe_join_begin(fe_req_t *r, fe_step_fn next) {
  r->next = next;
  r->pending = 1;
}

void fe_join_end(fe_req_t *r) {
  if (--r->pending == 0)
    r->next(r);
}

static void record_failure(fe_req_t *r, const char *svc, rt_status_t code,
                           const char *msg) {
  if (r->failed)
    return;
  r->failed = 1;
  r->fail_code = code;
  snprintf(r->fail_svc, sizeof r->fail_svc, "%s", svc);
  snprintf(r->fail_msg, sizeof r->fail_msg, "%s", msg ? msg : "");
}

static int keep(fe_req_t *r, ProtobufCMessage *m) {
  if (r->n_owned == r->cap_owned) {
    size_t cap = r->cap_owned ? 2 * r->cap_owned : 16;
    ProtobufCMessage **p = realloc(r->owned, cap * sizeof *p);
    if (!p)
      return -1;
    r->owned = p;
    r->cap_owned = cap;
  }
  r->owned[r->n_owned++] = m;
  return 0;
}

static void on_reply(void *user, rt_status_t status, const char *message,
                     ProtobufCMessage *resp) {
  fe_pending_t *p = user;
  fe_req_t *r = p->r;
  if (status == RT_OK) {
    if (p->slot && keep(r, resp) == 0)
      *p->slot = resp;
    else {
      rt_msg_free(resp);
      if (p->slot)
        record_failure(r, p->svc, RT_RESOURCE_EXHAUSTED, "out of memory");
    }
  } else if (p->flags & FE_OPTIONAL) {
    rt_log(r->rt, RT_WARNING, "optional backend call failed", "backend",
           p->svc, "code", rt_status_name((int)status), "error", message,
           "session", r->session, "request_id", r->request_id, NULL);
  } else
    record_failure(r, p->svc, status, message);
  free(p);
  fe_join_end(r);
}

void fe_call(fe_req_t *r, int flags, const char *svc, const char *addr,
             const char *service, const char *method,
             const ProtobufCMessage *req,
             const ProtobufCMessageDescriptor *resp_type,
             ProtobufCMessage **slot) {
  fe_pending_t *p = malloc(sizeof *p);
  if (!p) {
    if (!(flags & FE_OPTIONAL))
      record_failure(r, svc, RT_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  *p = (fe_pending_t){r, slot, svc, flags};
  rt_invoke_opts_t opts = {r->fe->timeout, r->call};
  r->pending++;
  if (!rt_invoke(r->rt, addr, service, method, req, resp_type, &opts,
                 on_reply, p)) {
    r->pending--;
    free(p);
    if (!(flags & FE_OPTIONAL)) {
      char msg[160];
      snprintf(msg, sizeof msg, "cannot call %s", addr);
      record_failure(r, svc, RT_UNAVAILABLE, msg);
    }
  }
}

void fe_get_currencies(fe_req_t *r, int flags) {
  Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
  fe_call(r, flags, FE_CURRENCY, r->fe->currency_addr,
          "hipstershop.CurrencyService", "GetSupportedCurrencies", &e.base,
          &hipstershop__get_supported_currencies_response__descriptor,
          &r->currencies);
}

void fe_list_products(fe_req_t *r) {
  Hipstershop__Empty e = HIPSTERSHOP__EMPTY__INIT;
  fe_call(r, 0, FE_CATALOG, r->fe->catalog_addr,
          "hipstershop.ProductCatalogService", "ListProducts", &e.base,
          &hipstershop__list_products_response__descriptor, &r->products);
}

void fe_get_product(fe_req_t *r, int flags, const char *id,
                    ProtobufCMessage **slot) {
  Hipstershop__GetProductRequest q = HIPSTERSHOP__GET_PRODUCT_REQUEST__INIT;
  q.id = (char *)id;
  fe_call(r, flags, FE_CATALOG, r->fe->catalog_addr,
          "hipstershop.ProductCatalogService", "GetProduct", &q.base,
          &hipstershop__product__descriptor, slot);
}

void fe_get_cart(fe_req_t *r) {
  Hipstershop__GetCartRequest q = HIPSTERSHOP__GET_CART_REQUEST__INIT;
  q.user_id = r->session;
  fe_call(r, 0, FE_CART, r->fe->cart_addr, "hipstershop.CartService",
          "GetCart", &q.base, &hipstershop__cart__descriptor, &r->cart);
}

void fe_convert(fe_req_t *r, const Hipstershop__Money *from,
                ProtobufCMessage **slot) {
  if (!from)
    return; /* a product without a price shows none */
  Hipstershop__CurrencyConversionRequest q =
      HIPSTERSHOP__CURRENCY_CONVERSION_REQUEST__INIT;
  q.from = (Hipstershop__Money *)from;
  q.to_code = r->currency;
  fe_call(r, 0, FE_CURRENCY, r->fe->currency_addr,
          "hipstershop.CurrencyService", "Convert", &q.base,
          &hipstershop__money__descriptor, slot);
}

void fe_get_ads(fe_req_t *r, char **keys, size_t n) {
  Hipstershop__AdRequest q = HIPSTERSHOP__AD_REQUEST__INIT;
  q.context_keys = keys;
  q.n_context_keys = n;
  fe_call(r, FE_OPTIONAL, FE_AD, r->fe->ad_addr, "hipstershop.AdService",
          "GetAds", &q.base, &hipstershop__ad_response__descriptor, &r->ads);
}

void fe_list_recs(fe_req_t *r, int flags, char **ids, size_t n) {
  Hipstershop__ListRecommendationsRequest q =
      HIPSTERSHOP__LIST_RECOMMENDATIONS_REQUEST__INIT;
  q.user_id = r->session;
  q.product_ids = ids;
  q.n_product_ids = n;
  fe_call(r, flags, FE_RECO, r->fe->reco_addr,
          "hipstershop.RecommendationService", "ListRecommendations", &q.base,
          &hipstershop__list_recommendations_response__descriptor, &r->recs);
}

void fe_get_rec_products(fe_req_t *r) {
  const Hipstershop__ListRecommendationsResponse *recs =
      (const Hipstershop__ListRecommendationsResponse *)r->recs;
  if (!recs)
    return;
  for (size_t i = 0; i < recs->n_product_ids && i < FE_MAX_RECS; i++)
    fe_get_product(r, FE_OPTIONAL, recs->product_ids[i], &r->rec_products[i]);
}

/*
 * ad.c — adservice. Categories map to ads as upstream's: clothing -> tank
 * top, accessories -> watch, footwear -> loafers, hair -> hairdryer, decor ->
 * candle holder, kitchen -> bamboo glass jar and mug. Keys are matched
 * exactly, in request order; a repeated key repeats its ads, as upstream.
 * The 2 random ads are distinct (upstream may repeat one).
 */
#include "ad/ad.h"

#include <string.h>

#include "proto/demo.pb-c.h"

#define AD_RANDOM 2

typedef struct ad_entry {
  const char *redirect;
  const char *text;
} ad_entry_t;

static const ad_entry_t all_ads[] = {
    {"/product/2ZYFJ3GM2N", "Hairdryer for sale. 50% off."},
    {"/product/66VCHSJNUP", "Tank top for sale. 20% off."},
    {"/product/0PUK6V6EV0", "Candle holder for sale. 30% off."},
    {"/product/9SIQT8TOJO", "Bamboo glass jar for sale. 10% off."},
    {"/product/1YMWWN1N4O", "Watch for sale. Buy one, get a second one free."},
    {"/product/6E92ZMYYFZ", "Mug for sale. Buy two, get the third one free."},
    {"/product/L9ECAV7KIM", "Loafers for sale. Buy one, get a second pair free."},
};
#define N_ADS (sizeof all_ads / sizeof *all_ads)

static const struct {
  const char *category;
  int ads[2]; /* indexes into all_ads; -1 ends */
} categories[] = {
    {"clothing", {1, -1}}, {"accessories", {4, -1}}, {"footwear", {6, -1}},
    {"hair", {0, -1}},     {"decor", {2, -1}},       {"kitchen", {3, 5}},
};

static void on_get_ads(rt_call_t *call, const ProtobufCMessage *msg,
                       void *user) {
  const Hipstershop__AdRequest *req = (const Hipstershop__AdRequest *)msg;
  rt_t *rt = rt_call_rt(call);
  /* At most 2 ads per key; keys past a sane bound still answer. */
  enum { MAX_OUT = 64 };
  Hipstershop__Ad ads[MAX_OUT];
  Hipstershop__Ad *ptrs[MAX_OUT];
  size_t n = 0;
  for (size_t i = 0; i < req->n_context_keys && n + 2 <= MAX_OUT; i++)
    for (size_t c = 0; c < sizeof categories / sizeof *categories; c++) {
      if (strcmp(categories[c].category, req->context_keys[i]) != 0)
        continue;
      for (int k = 0; k < 2 && categories[c].ads[k] >= 0; k++) {
        const ad_entry_t *e = &all_ads[categories[c].ads[k]];
        hipstershop__ad__init(&ads[n]);
        ads[n].redirect_url = (char *)e->redirect;
        ads[n].text = (char *)e->text;
        ptrs[n] = &ads[n];
        n++;
      }
    }
  if (n == 0) {
    size_t pick[N_ADS];
    for (size_t i = 0; i < N_ADS; i++)
      pick[i] = i;
    for (size_t i = 0; i < AD_RANDOM; i++) {
      size_t j = i + (size_t)rt_rand_below(rt, N_ADS - i);
      size_t x = pick[i];
      pick[i] = pick[j];
      pick[j] = x;
      hipstershop__ad__init(&ads[n]);
      ads[n].redirect_url = (char *)all_ads[pick[i]].redirect;
      ads[n].text = (char *)all_ads[pick[i]].text;
      ptrs[n] = &ads[n];
      n++;
    }
  }
  Hipstershop__AdResponse resp = HIPSTERSHOP__AD_RESPONSE__INIT;
  resp.n_ads = n;
  resp.ads = ptrs;
  rt_reply(call, &resp.base);
}

static const rt_method_t ad_methods[] = {
    {"GetAds", &hipstershop__ad_request__descriptor,
     &hipstershop__ad_response__descriptor, on_get_ads},
};

static const rt_service_def_t ad_def = {"hipstershop.AdService", ad_methods,
                                        sizeof ad_methods / sizeof *ad_methods};

static int ad_init(rt_t *rt) { return rt_serve(rt, &ad_def, NULL); }

const rt_service_t ad_service = {"adservice", 9555, ad_init, NULL};

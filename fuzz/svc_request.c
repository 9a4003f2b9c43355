/*
 * svc_request.c — fuzz target: one request to one leaf service method.
 *
 * Input: byte 0 picks the method (b % 12, table below) and how the call ends
 * ((b / 12) % 3: normally, with a 1 ms deadline, or cancelled after 1 ms);
 * the rest is the request, protobuf-encoded. Undecodable requests are
 * skipped. The handler runs on the test runtime (virtual time, a stubbed
 * catalog for recommendation); a crash, a sanitizer report, a call the
 * handler never ends or a reply that does not decode is a finding.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ad/ad.h"
#include "currency/currency.h"
#include "email/email.h"
#include "payment/payment.h"
#include "productcatalog/productcatalog.h"
#include "proto/demo.pb-c.h"
#include "recommendation/recommendation.h"
#include "rt_test.h"
#include "shipping/shipping.h"

typedef struct target {
  const rt_service_t *svc;
  const char *service, *method;
  const ProtobufCMessageDescriptor *req, *resp;
} target_t;

/* Keep in step with fuzz/svc_request_corpus.py. */
static const target_t targets[] = {
    {&productcatalog_service, "ProductCatalogService", "ListProducts",
     &hipstershop__empty__descriptor,
     &hipstershop__list_products_response__descriptor},
    {&productcatalog_service, "ProductCatalogService", "GetProduct",
     &hipstershop__get_product_request__descriptor,
     &hipstershop__product__descriptor},
    {&productcatalog_service, "ProductCatalogService", "SearchProducts",
     &hipstershop__search_products_request__descriptor,
     &hipstershop__search_products_response__descriptor},
    {&currency_service, "CurrencyService", "GetSupportedCurrencies",
     &hipstershop__empty__descriptor,
     &hipstershop__get_supported_currencies_response__descriptor},
    {&currency_service, "CurrencyService", "Convert",
     &hipstershop__currency_conversion_request__descriptor,
     &hipstershop__money__descriptor},
    {&shipping_service, "ShippingService", "GetQuote",
     &hipstershop__get_quote_request__descriptor,
     &hipstershop__get_quote_response__descriptor},
    {&shipping_service, "ShippingService", "ShipOrder",
     &hipstershop__ship_order_request__descriptor,
     &hipstershop__ship_order_response__descriptor},
    {&payment_service, "PaymentService", "Charge",
     &hipstershop__charge_request__descriptor,
     &hipstershop__charge_response__descriptor},
    {&email_service, "EmailService", "SendOrderConfirmation",
     &hipstershop__send_order_confirmation_request__descriptor,
     &hipstershop__empty__descriptor},
    {&email_service, "EmailService", "SendVerificationEmail",
     &hipstershop__send_verification_request__descriptor,
     &hipstershop__send_verification_response__descriptor},
    {&ad_service, "AdService", "GetAds", &hipstershop__ad_request__descriptor,
     &hipstershop__ad_response__descriptor},
    {&recommendation_service, "RecommendationService", "ListRecommendations",
     &hipstershop__list_recommendations_request__descriptor,
     &hipstershop__list_recommendations_response__descriptor},
};
#define N_TARGETS (sizeof targets / sizeof *targets)

static const char *ids[] = {"OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O",
                            "L9ECAV7KIM", "2ZYFJ3GM2N", "0PUK6V6EV0"};

static rt_status_t catalog_stub(void *user, const ProtobufCMessage *req,
                                const ProtobufCMessage **resp, char *msg,
                                size_t n) {
  static Hipstershop__Product p[6], *pp[6];
  static Hipstershop__ListProductsResponse r =
      HIPSTERSHOP__LIST_PRODUCTS_RESPONSE__INIT;
  for (size_t i = 0; i < 6; i++) {
    hipstershop__product__init(&p[i]);
    p[i].id = (char *)ids[i];
    pp[i] = &p[i];
  }
  r.n_products = 6;
  r.products = pp;
  *resp = &r.base;
  return RT_OK;
}

/* One instance per service for the whole run: init parses JSON. */
static rt_test_t *instance(const rt_service_t *svc) {
  static rt_test_t *inst[N_TARGETS];
  static const rt_service_t *svcs[N_TARGETS];
  size_t i = 0;
  for (; i < N_TARGETS && svcs[i]; i++)
    if (svcs[i] == svc)
      return inst[i];
  static const char *env[] = {
      "PRODUCT_CATALOG_SERVICE_ADDR=productcatalogservice:3550",
      "EXTRA_LATENCY=2ms", NULL};
  rt_test_t *t = rt_test_new(svc, env, 1);
  if (!t) {
    fprintf(stderr, "svc_request: %s does not start: %s\n", svc->name,
            rt_test_last_init_error());
    abort();
  }
  rt_test_stub_t *s = rt_test_stub(t, "productcatalogservice:3550",
                                   "hipstershop.ProductCatalogService",
                                   "ListProducts",
                                   &hipstershop__empty__descriptor,
                                   catalog_stub, NULL);
  rt_test_stub_set_delay(s, 2 * RT_MSEC);
  svcs[i] = svc;
  inst[i] = t;
  return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size - 1 > RT_MAX_MESSAGE)
    return 0;
  const target_t *tg = &targets[data[0] % N_TARGETS];
  int mode = (data[0] / N_TARGETS) % 3;
  ProtobufCMessage *req =
      protobuf_c_message_unpack(tg->req, NULL, size - 1, data + 1);
  if (!req)
    return 0;
  /* protobuf-c keeps some malformed unknown fields (tag 0 spelled 0x80 0x00)
   * that it then cannot read back once re-encoded; the runtime re-encodes
   * requests as the wire would, so skip what does not survive a round trip. */
  size_t len = protobuf_c_message_get_packed_size(req);
  uint8_t *buf = malloc(len ? len : 1);
  ProtobufCMessage *again = NULL;
  if (buf) {
    protobuf_c_message_pack(req, buf);
    again = protobuf_c_message_unpack(tg->req, NULL, len, buf);
    free(buf);
  }
  if (!again) {
    protobuf_c_message_free_unpacked(req, NULL);
    return 0;
  }
  protobuf_c_message_free_unpacked(again, NULL);
  rt_test_t *t = instance(tg->svc);
  rt_status_t st;
  const char *msg = NULL;
  ProtobufCMessage *resp = NULL;
  int rc = rt_test_call_ex(t, tg->service, tg->method, req, tg->resp,
                           mode == 1 ? RT_MSEC : 0, mode == 2 ? RT_MSEC : 0,
                           &st, &msg, &resp);
  if (rc != 0) {
    fprintf(stderr, "svc_request: %s/%s: %s\n", tg->service, tg->method, msg);
    abort();
  }
  if ((st == RT_OK) != (resp != NULL))
    abort();
  rt_msg_free(resp);
  protobuf_c_message_free_unpacked(req, NULL);
  rt_test_log_clear(t);
  return 0;
}

/*
 * shipping.c — shippingservice. The tracking id is
 * "LL-<len(salt)><3 digits>-<len(salt)/2><7 digits>", L a random capital
 * letter, salt "street_address, city, state" (length in bytes, as Go's len).
 */
#include "shipping/shipping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/demo.pb-c.h"

static void on_get_quote(rt_call_t *call, const ProtobufCMessage *msg,
                         void *user) {
  const Hipstershop__GetQuoteRequest *req =
      (const Hipstershop__GetQuoteRequest *)msg;
  Hipstershop__Money cost = HIPSTERSHOP__MONEY__INIT;
  cost.currency_code = (char *)"USD";
  if (req->n_items > 0) {
    cost.units = 8;
    cost.nanos = 990000000;
  }
  Hipstershop__GetQuoteResponse resp = HIPSTERSHOP__GET_QUOTE_RESPONSE__INIT;
  resp.cost_usd = &cost;
  char items[24];
  snprintf(items, sizeof items, "%zu", req->n_items);
  rt_log(rt_call_rt(call), RT_INFO, "quote computed", "items", items, NULL);
  rt_reply(call, &resp.base);
}

static void on_ship_order(rt_call_t *call, const ProtobufCMessage *msg,
                          void *user) {
  const Hipstershop__ShipOrderRequest *req =
      (const Hipstershop__ShipOrderRequest *)msg;
  rt_t *rt = rt_call_rt(call);
  const Hipstershop__Address *a = req->address;
  size_t salt = a ? strlen(a->street_address) + strlen(a->city) +
                        strlen(a->state) + 4
                  : 4; /* the two ", " separators */
  char id[96];
  int n = snprintf(id, sizeof id, "%c%c-%zu", (char)('A' + rt_rand_below(rt, 26)),
                   (char)('A' + rt_rand_below(rt, 26)), salt);
  for (int i = 0; i < 3; i++)
    id[n++] = (char)('0' + rt_rand_below(rt, 10));
  n += snprintf(id + n, sizeof id - (size_t)n, "-%zu", salt / 2);
  for (int i = 0; i < 7; i++)
    id[n++] = (char)('0' + rt_rand_below(rt, 10));
  id[n] = '\0';
  Hipstershop__ShipOrderResponse resp = HIPSTERSHOP__SHIP_ORDER_RESPONSE__INIT;
  resp.tracking_id = id;
  rt_log(rt, RT_INFO, "order shipped", "tracking_id", id, NULL);
  rt_reply(call, &resp.base);
}

static const rt_method_t shipping_methods[] = {
    {"GetQuote", &hipstershop__get_quote_request__descriptor,
     &hipstershop__get_quote_response__descriptor, on_get_quote},
    {"ShipOrder", &hipstershop__ship_order_request__descriptor,
     &hipstershop__ship_order_response__descriptor, on_ship_order},
};

static const rt_service_def_t shipping_def = {
    "hipstershop.ShippingService", shipping_methods,
    sizeof shipping_methods / sizeof *shipping_methods};

static int shipping_init(rt_t *rt) {
  return rt_serve(rt, &shipping_def, NULL);
}

const rt_service_t shipping_service = {"shippingservice", 50051,
                                       shipping_init, NULL};

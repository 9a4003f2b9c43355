/*
 * shipping.h — shippingservice: GetQuote (a flat 8.99 USD, 0 for no items)
 * and ShipOrder (a random tracking id shaped by the address).
 */
#ifndef MESHSIM_SHIPPING_H
#define MESHSIM_SHIPPING_H

#include "rt.h"

extern const rt_service_t shipping_service;

#endif /* MESHSIM_SHIPPING_H */

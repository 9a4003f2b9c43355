/*
 * currency.h — currencyservice: GetSupportedCurrencies and Convert over the
 * 33 ECB rates (per 1 EUR) of data/currency_conversion.json, or of the file
 * named by CURRENCY_DATA_PATH.
 */
#ifndef MESHSIM_CURRENCY_H
#define MESHSIM_CURRENCY_H

#include <stdint.h>

#include "rt.h"

extern const rt_service_t currency_service;

/* Converts |units|.|nanos| at |from_rate| into the currency at |to_rate|
 * (both per 1 EUR) with upstream's floating-point steps, in their order:
 * divide both parts by from_rate, carry, round nanos (JavaScript Math.round),
 * multiply both by to_rate, carry, floor both. Units that do not fit int64
 * saturate, as protobuf.js's Long.fromNumber does. */
void currency_convert(double from_rate, double to_rate, int64_t units,
                      int32_t nanos, int64_t *out_units, int32_t *out_nanos);

#endif /* MESHSIM_CURRENCY_H */

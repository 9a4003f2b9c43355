/*
 * svc_data.h — the default data files (data/products.json and
 * data/currency_conversion.json), compiled into the binaries at build time
 * by data/embed.sh (see services/leaves.mk), so a service needs no files
 * beside it. The arrays are not NUL-terminated.
 */
#ifndef MESHSIM_SVC_DATA_H
#define MESHSIM_SVC_DATA_H

#include <stddef.h>

extern const unsigned char svc_data_products_json[];
extern const size_t svc_data_products_json_len;
extern const unsigned char svc_data_currency_conversion_json[];
extern const size_t svc_data_currency_conversion_json_len;

#endif /* MESHSIM_SVC_DATA_H */

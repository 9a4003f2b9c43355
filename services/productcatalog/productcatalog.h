/*
 * productcatalog.h — productcatalogservice: ListProducts, GetProduct and
 * SearchProducts over a JSON catalog (data/products.json built in, or the
 * file named by PRODUCT_CATALOG_PATH). EXTRA_LATENCY (a Go duration such as
 * "5.5s") delays every answer, as upstream's does.
 */
#ifndef MESHSIM_PRODUCTCATALOG_H
#define MESHSIM_PRODUCTCATALOG_H

#include "rt.h"

extern const rt_service_t productcatalog_service;

#endif /* MESHSIM_PRODUCTCATALOG_H */

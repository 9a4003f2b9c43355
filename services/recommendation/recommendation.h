/*
 * recommendation.h — recommendationservice: ListRecommendations asks the
 * catalog (PRODUCT_CATALOG_SERVICE_ADDR, required) for its products, drops
 * the ids in the request and answers up to 5 of the rest in random order.
 */
#ifndef MESHSIM_RECOMMENDATION_H
#define MESHSIM_RECOMMENDATION_H

#include "rt.h"

extern const rt_service_t recommendation_service;

#endif /* MESHSIM_RECOMMENDATION_H */

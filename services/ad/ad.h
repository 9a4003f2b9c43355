/*
 * ad.h — adservice: GetAds answers the ads of the requested categories
 * (context keys), or 2 random ads when there are none or none match.
 */
#ifndef MESHSIM_AD_H
#define MESHSIM_AD_H

#include "rt.h"

extern const rt_service_t ad_service;

#endif /* MESHSIM_AD_H */

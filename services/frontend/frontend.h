/*
 * frontend.h — the Online Boutique frontend: the shop's HTML pages over
 * HTTP/1.1 (rt_serve_http), built from calls to the catalog, currency,
 * cart, recommendation, shipping, checkout and ad services.
 *
 * Routes (see /work/shared/BOUTIQUE.md and services/frontend/frontend.c):
 *   GET  /                     products in the user's currency, one ad
 *   GET  /product/{id}         a product, recommendations, an ad
 *   GET  /cart                 the cart, a shipping quote, the checkout form
 *   POST /cart                 product_id, quantity (1..10) -> 302 /cart
 *   POST /cart/empty           -> 302 /
 *   POST /cart/checkout        the order form -> confirmation page
 *   POST /setCurrency          currency_code -> cookie, 302 back
 *   GET  /logout               clears the cookies -> 302 /
 *   GET  /_healthz, /robots.txt, /static/..., /favicon.ico
 *   *    /business[/...]       forwarded to BUSINESS_ADDR when it is set
 * HEAD works wherever GET does; another method on a known route is 405.
 *
 * Environment: PORT (8080); PRODUCT_CATALOG_SERVICE_ADDR,
 * CURRENCY_SERVICE_ADDR, CART_SERVICE_ADDR, RECOMMENDATION_SERVICE_ADDR,
 * SHIPPING_SERVICE_ADDR, CHECKOUT_SERVICE_ADDR, AD_SERVICE_ADDR (required,
 * host:port); ENV_PLATFORM (local, gcp, aws, azure, onprem, alibaba;
 * default local); BUSINESS_ADDR (optional host:port); BACKEND_TIMEOUT (a Go
 * duration per backend call, default 3s).
 */
#ifndef MESHSIM_FRONTEND_H
#define MESHSIM_FRONTEND_H

#include "rt.h"

extern const rt_service_t frontend_service;

#endif /* MESHSIM_FRONTEND_H */

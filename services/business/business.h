/*
 * business.h — the business service (the seed's "Sell your product"
 * service, made real): an HTTP/1.1 service on port 5055.
 *
 * Routes:
 *   GET  /business                      the "Sell your product" form (also
 *                                       the Kubernetes probe)
 *   POST /business                      submit it (multipart/form-data)
 *   GET  /business/listings/<id>        a listing's page
 *   POST /business/listings/<id>/retry  finish a listing whose step failed
 *   GET  /business/pictures/<id>        a listing's picture
 *   GET  /business/api/listings         JSON: list (?seller_email=)
 *   POST /business/api/listings         JSON: create
 *   GET  /business/api/listings/<id>    JSON: one listing
 *   DELETE /business/api/listings/<id>  JSON: delete (and remove from the
 *                                       catalog)
 *   POST /business/api/listings/<id>/retry  JSON: finish a failed listing
 *   GET  /_healthz                      "ok"
 *
 * A submission is validated (listing.h), stored (store.h), then the seller
 * is sent a verification e-mail (EmailService.SendVerificationEmail); once
 * verified, a non-USD price is converted (CurrencyService.Convert) and the
 * product added to the catalog (ProductCatalogAdmin.AddProduct, with the
 * picture at <PUBLIC_URL_PREFIX>/pictures/<id>). Each step's outcome is
 * recorded on the listing; a failed step answers 502 naming the service, and
 * a retry (or the same submission again: the form carries its listing id)
 * resumes from there.
 *
 * Environment: PORT (5055), EMAIL_SERVICE or EMAIL_SERVICE_ADDR
 * ("emailservice:5000"), PRODUCT_CATALOG_SERVICE_ADDR
 * ("productcatalogservice:3550"), CURRENCY_SERVICE_ADDR
 * ("currencyservice:7000"), BUSINESS_DB_PATH ("business.db"),
 * BUSINESS_PICTURE_MAX_BYTES (2097152), PUBLIC_URL_PREFIX ("/business").
 */
#ifndef MESHSIM_BUSINESS_H
#define MESHSIM_BUSINESS_H

#include "rt.h"

extern const rt_service_t business_service;

#endif /* MESHSIM_BUSINESS_H */

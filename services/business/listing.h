/*
 * listing.h — a seller's listing in the business service, and the checks a
 * submitted listing must pass before anything is stored. Pure: no I/O, no
 * runtime calls, so the form, the JSON API, the tests and the fuzz targets
 * share exactly these rules.
 *
 * The rules (every field of the seed's form is used):
 *   seller_email  required; local@domain, at most 254 bytes, local part at
 *                 most 64 of RFC 5322's atext and non-adjacent dots, domain
 *                 two or more LDH labels, the last alphabetic
 *   product_name  required; 1..100 characters (UTF-8) after trimming, no
 *                 control characters
 *   description   optional; at most 2000 characters, newlines allowed
 *   categories    one or more of the shop's nine (listing_categories), as
 *                 repeated fields and/or comma-separated, any case
 *   price         decimal with at most 2 places, > 0, at most 1000000
 *   currency      one of the 33 codes the currency service converts
 *                 (default USD); the catalog holds USD, so business converts
 *                 other currencies through CurrencyService before listing
 *   picture       optional; JPEG, PNG, GIF, WebP or SVG recognised by its
 *                 first bytes (never by file name or declared type), at most
 *                 the configured size
 */
#ifndef MESHSIM_LISTING_H
#define MESHSIM_LISTING_H

#include <stddef.h>
#include <stdint.h>

#include "common/svc_uuid.h"
#include "rt.h"

#define LISTING_MAX_NAME_CHARS 100
#define LISTING_MAX_DESCRIPTION_CHARS 2000
#define LISTING_MAX_EMAIL 254
#define LISTING_MAX_PRICE_UNITS 1000000
#define LISTING_MAX_CATEGORY_FIELDS 16

/* The shop's categories (those the ad service knows), in display order. */
extern const char *const listing_categories[];
extern const size_t listing_n_categories;

/* The currency codes the currency service supports (BOUTIQUE.md). */
extern const char *const listing_currencies[];
extern const size_t listing_n_currencies;

#define LISTING_STATE_MAP(X)                                                 \
  X(PENDING, "pending", "waiting for the verification e-mail")              \
  X(VERIFICATION_FAILED, "verification_failed",                             \
    "the verification e-mail could not be sent")                            \
  X(VERIFIED, "verified", "verified, not yet in the catalog")               \
  X(CATALOG_FAILED, "catalog_failed", "verified, but adding it to the "     \
                                      "catalog failed")                     \
  X(LISTED, "listed", "listed in the catalog")

typedef enum listing_state {
#define LISTING_STATE_ENUM(name, text, desc) LISTING_##name,
  LISTING_STATE_MAP(LISTING_STATE_ENUM)
#undef LISTING_STATE_ENUM
} listing_state_t;

/* "catalog_failed"; "unknown" out of range. Static storage. */
const char *listing_state_name(listing_state_t s);
/* For people: "listed in the catalog". */
const char *listing_state_text(listing_state_t s);
/* Parses a name; returns 0 or -1. */
int listing_state_parse(const char *name, listing_state_t *out);

typedef struct listing {
  char id[SVC_UUID_LEN + 1];
  char *seller_email;
  char *product_name;
  char *description;
  unsigned categories; /* bit i: listing_categories[i] */
  char currency[4];
  int64_t units; /* the price as the seller gave it */
  int32_t nanos;
  int has_usd; /* the price in USD, once known */
  int64_t usd_units;
  int32_t usd_nanos;
  char picture_type[16]; /* "image/png"; "" when the listing has none */
  size_t picture_len;
  char fingerprint[17]; /* hex FNV-1a 64 of the submitted content */
  listing_state_t state;
  char *error;              /* the last failure, "" when none */
  char failed_service[32];  /* "emailservice" ...; "" when none */
  char catalog_id[16];      /* the catalog's product id once listed */
  rt_time_t created, updated;
} listing_t;

/* Frees the strings of |l| (not |l| itself) and zeroes it. */
void listing_clear(listing_t *l);

/* What a client submitted, before any check. Strings are NUL-terminated
 * (NULL when absent); each categories[i] may hold a comma-separated list. */
typedef struct listing_input {
  const char *listing_id;
  const char *seller_email;
  const char *product_name;
  const char *description;
  const char *price;
  const char *currency;
  const char *categories[LISTING_MAX_CATEGORY_FIELDS];
  size_t n_categories;
  const uint8_t *picture; /* NULL or len 0: none */
  size_t picture_len;
} listing_input_t;

/* Why a submission was refused: the HTTP status (413 for a picture over the
 * limit, 422 otherwise), the field, and a sentence for the seller. */
typedef struct listing_error {
  int status;
  const char *field;
  char message[256];
} listing_error_t;

/* Checks |in| and fills |out| (id from in->listing_id, which must then be a
 * UUID, else left "" for the caller; state PENDING; fingerprint over every
 * field and the picture). |picture_max| bounds the picture. Returns 0, or
 * -1 with |err| set and |out| cleared. */
int listing_validate(const listing_input_t *in, size_t picture_max,
                     listing_t *out, listing_error_t *err);

/* The content type of a picture by its first bytes: "image/jpeg",
 * "image/png", "image/gif", "image/webp", "image/svg+xml"; NULL otherwise. */
const char *listing_sniff_picture(const uint8_t *p, size_t n);

/* Parses a decimal price ("12", "12.5", "12.50"; no sign, no exponent, at
 * most 2 decimals, at most LISTING_MAX_PRICE_UNITS) into units and nanos.
 * Returns 0, or -1 with a static reason in |*why|. */
int listing_parse_price(const char *s, int64_t *units, int32_t *nanos,
                        const char **why);

/* Non-zero for an address that passes the seller_email rule above. */
int listing_email_valid(const char *s);

/* Non-zero for a lowercase canonical UUID ("xxxxxxxx-xxxx-...", 36). */
int listing_id_valid(const char *s);

/* "12.50" for units 12, nanos 500000000 (2 decimals, truncated). */
const char *listing_format_amount(int64_t units, int32_t nanos, char *buf,
                                  size_t size);

/* The categories of |mask| joined with |sep| into |buf|. Returns |buf|. */
const char *listing_categories_join(unsigned mask, const char *sep, char *buf,
                                    size_t size);
/* Parses a comma-separated list of category names; returns 0 or -1 (an
 * unknown name, copied into |bad|). */
int listing_categories_parse(const char *s, unsigned *mask, char *bad,
                             size_t badsize);

#endif /* MESHSIM_LISTING_H */

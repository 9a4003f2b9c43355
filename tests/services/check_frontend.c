/*
 * check_frontend.c — the frontend on the test runtime, every backend
 * stubbed (frontend_stubs.h): each route's status, headers and content,
 * sessions and cookies, currency conversion, form validation (422), backend
 * failures (500 naming the service), escaping of hostile product data,
 * /business forwarding, static files, methods, timeouts and cancellation.
 */
#include "check_util.h"
#include "frontend/frontend.h"
#include "frontend_stubs.h"

static fe_stubs_t S;
static rt_test_http_result_t R;

static rt_test_t *start(const char *const *env) {
  memset(&S, 0, sizeof S);
  rt_test_t *t = rt_test_new(&frontend_service, env ? env : fs_env, 7);
  ck_assert_msg(t != NULL, "init: %s", rt_test_last_init_error());
  fe_stubs_install(t, &S);
  return t;
}

/* One request; |cookie|, |referer|, |body| may be NULL. A body is sent as
 * an urlencoded form. Asserts the driver itself worked. */
static int req(rt_test_t *t, const char *method, const char *target,
               const char *cookie, const char *body, const char *referer) {
  rt_http_header_t h[4];
  size_t n = 0;
  h[n++] = (rt_http_header_t){"host", "shop.example"};
  if (cookie)
    h[n++] = (rt_http_header_t){"cookie", cookie};
  if (body)
    h[n++] = (rt_http_header_t){"content-type",
                                "application/x-www-form-urlencoded"};
  if (referer)
    h[n++] = (rt_http_header_t){"referer", referer};
  int rc = rt_test_http(t, method, target, h, n, body,
                        body ? strlen(body) : 0, 0, &R);
  ck_assert_msg(rc == 0, "%s %s: %s", method, target, R.error);
  return R.status;
}

static const char *body(void) { return (const char *)R.body; }
static int has(const char *needle) { return strstr(body(), needle) != NULL; }
static const char *hdr(const char *name) {
  return rt_test_http_result_header(&R, name);
}
#define ASSERT_HAS(s) ck_assert_msg(has(s), "no \"%s\" in: %.3000s", (s), body())
#define ASSERT_LACKS(s) ck_assert_msg(!has(s), "\"%s\" in: %.3000s", (s), body())

/* The session id from the response's Set-Cookie, into |out|. */
static void session_of(char out[64]) {
  const char *v;
  out[0] = 0;
  for (size_t i = 0; (v = rt_test_http_result_header_nth(&R, "set-cookie", i));
       i++)
    if (strncmp(v, "shop_session-id=", 16) == 0)
      sscanf(v + 16, "%63[^;]", out);
}

static int uuid_v4(const char *s) {
  if (strlen(s) != 36 || s[14] != '4' || s[8] != '-' || s[13] != '-' ||
      s[18] != '-' || s[23] != '-')
    return 0;
  return strchr("89ab", s[19]) != NULL;
}

START_TEST(test_config) {
  ck_assert_ptr_null(rt_test_new(&frontend_service, NULL, 1));
  const char *e = rt_test_last_init_error();
  ck_assert_ptr_nonnull(strstr(e, "PRODUCT_CATALOG_SERVICE_ADDR=: required"));
  ck_assert_ptr_nonnull(strstr(e, "AD_SERVICE_ADDR=: required"));
  ck_assert_ptr_nonnull(strstr(e, "CHECKOUT_SERVICE_ADDR"));
  const char *bad[] = {
      "PRODUCT_CATALOG_SERVICE_ADDR=a:1", "CURRENCY_SERVICE_ADDR=a:1",
      "CART_SERVICE_ADDR=a:1",            "RECOMMENDATION_SERVICE_ADDR=a:1",
      "SHIPPING_SERVICE_ADDR=a:1",        "CHECKOUT_SERVICE_ADDR=a:1",
      "AD_SERVICE_ADDR=nocolon",          "BACKEND_TIMEOUT=3 parsecs",
      "BUSINESS_ADDR=nope",               NULL};
  ck_assert_ptr_null(rt_test_new(&frontend_service, bad, 1));
  e = rt_test_last_init_error();
  ck_assert_ptr_nonnull(strstr(e, "AD_SERVICE_ADDR=nocolon"));
  ck_assert_ptr_nonnull(strstr(e, "BACKEND_TIMEOUT=3 parsecs"));
  ck_assert_ptr_nonnull(strstr(e, "BUSINESS_ADDR=nope"));
  ck_assert_ptr_null(strstr(e, "CART_SERVICE_ADDR"));
}
END_TEST

START_TEST(test_home_and_session) {
  rt_test_t *t = start(NULL);
  ck_assert_int_eq(req(t, "GET", "/", NULL, NULL, NULL), 200);
  ck_assert_str_eq(hdr("content-type"), "text/html; charset=utf-8");
  ck_assert_str_eq(hdr("cache-control"), "no-store");
  ck_assert_ptr_nonnull(hdr("content-security-policy"));
  char sid[64];
  session_of(sid);
  ck_assert_msg(uuid_v4(sid), "session id %s", sid);
  const char *sc = rt_test_http_result_header_nth(&R, "set-cookie", 0);
  ck_assert_ptr_nonnull(strstr(sc, "; Path=/"));
  ck_assert_ptr_nonnull(strstr(sc, "; Max-Age=172800"));
  ck_assert_ptr_nonnull(strstr(sc, "; HttpOnly"));
  ck_assert_ptr_nonnull(strstr(sc, "; SameSite=Lax"));
  for (int i = 0; i < 9; i++) {
    char a[128];
    snprintf(a, sizeof a, "href=\"/product/%s\"", fs_catalog[i].id);
    ASSERT_HAS(a);
  }
  ASSERT_HAS("Sunglasses");
  ASSERT_HAS("Salt &amp; Pepper Shakers");
  ASSERT_HAS("$19.99");
  ASSERT_HAS("$5.49");
  ASSERT_HAS("src=\"/static/img/products/sunglasses.jpg\"");
  ASSERT_HAS("running on <strong>AWS</strong>");
  ASSERT_HAS("platform-aws");
  /* One ad (the stub's two: the javascript: one must not become a link). */
  ck_assert(has("Mug for sale. 50% off.") || has("Watch for sale. 20% off."));
  ASSERT_LACKS("javascript:");
  ASSERT_HAS("<option value=\"USD\" selected>USD</option>");
  ASSERT_HAS("<option value=\"TRY\">");
  ASSERT_LACKS("CHF"); /* supported by currency, not offered */
  ASSERT_HAS("<span class=\"count\" aria-label=\"items in cart\">0</span>");
  ASSERT_HAS(sid); /* footer */
  ASSERT_HAS("request-id: <code>");
  ck_assert_int_ge(rt_test_log_find(t, "request complete"), 0);
  ck_assert_int_ge(rt_test_log_find(t, sid), 0);

  /* The same session comes back: no new cookie, same cart user. */
  char cookie[128];
  snprintf(cookie, sizeof cookie, "shop_session-id=%s", sid);
  ck_assert_int_eq(req(t, "POST", "/cart", cookie,
                       "product_id=OLJCESPC7Z&quantity=3", NULL),
                   302);
  ck_assert_ptr_null(hdr("set-cookie"));
  ck_assert_int_eq(req(t, "GET", "/", cookie, NULL, NULL), 200);
  ck_assert_ptr_null(hdr("set-cookie"));
  ASSERT_HAS(sid);
  ASSERT_HAS("<span class=\"count\" aria-label=\"items in cart\">3</span>");
  ck_assert_str_eq(S.carts[0].user, sid);

  /* A garbage session cookie is replaced by a fresh one. */
  ck_assert_int_eq(
      req(t, "GET", "/", "shop_session-id=<x>; other=1", NULL, NULL), 200);
  char sid2[64];
  session_of(sid2);
  ck_assert(uuid_v4(sid2) && strcmp(sid, sid2) != 0);

  /* HEAD: same status and headers, no body. */
  ck_assert_int_eq(req(t, "HEAD", "/", cookie, NULL, NULL), 200);
  ck_assert_uint_eq(R.body_len, 0);
  ck_assert_str_eq(hdr("content-type"), "text/html; charset=utf-8");
  rt_test_free(t);
}
END_TEST

START_TEST(test_currency) {
  rt_test_t *t = start(NULL);
  /* Converted prices, from the stub's known rule (+1 unit to non-USD). */
  ck_assert_int_eq(req(t, "GET", "/", "shop_currency=EUR", NULL, NULL), 200);
  ASSERT_HAS("€20.99");
  ASSERT_HAS("€110.99");
  ASSERT_LACKS("$19.99");
  ASSERT_HAS("<option value=\"EUR\" selected>");
  ck_assert_int_eq(req(t, "GET", "/", "shop_currency=JPY", NULL, NULL), 200);
  ASSERT_HAS("¥20.99");
  /* A currency that is not offered falls back to USD. */
  ck_assert_int_eq(req(t, "GET", "/", "shop_currency=CHF", NULL, NULL), 200);
  ASSERT_HAS("$19.99");

  /* setCurrency: the cookie, and back to the Referer's path. */
  ck_assert_int_eq(req(t, "POST", "/setCurrency", "shop_session-id=abc",
                       "currency_code=EUR",
                       "http://shop.example/product/OLJCESPC7Z?x=1#top"),
                   302);
  ck_assert_str_eq(hdr("location"), "/product/OLJCESPC7Z?x=1");
  const char *c = rt_test_http_result_header_nth(&R, "set-cookie", 0);
  ck_assert_ptr_nonnull(c);
  ck_assert(strncmp(c, "shop_currency=EUR; Path=/; Max-Age=172800", 41) == 0);
  ck_assert_int_eq(req(t, "POST", "/setCurrency", "shop_session-id=abc",
                       "currency_code=GBP", "/cart"),
                   302);
  ck_assert_str_eq(hdr("location"), "/cart");
  /* Another site's Referer, a protocol-relative one, or none: "/". */
  ck_assert_int_eq(req(t, "POST", "/setCurrency", "shop_session-id=abc",
                       "currency_code=GBP", "https://evil.example/phish"),
                   302);
  ck_assert_str_eq(hdr("location"), "/");
  req(t, "POST", "/setCurrency", NULL, "currency_code=GBP", "//evil.example/");
  ck_assert_str_eq(hdr("location"), "/");
  req(t, "POST", "/setCurrency", NULL, "currency_code=GBP", NULL);
  ck_assert_str_eq(hdr("location"), "/");
  /* Only the offered codes. */
  ck_assert_int_eq(req(t, "POST", "/setCurrency", NULL, "currency_code=CHF",
                       NULL),
                   422);
  ASSERT_HAS("currency_code");
  ck_assert_int_eq(req(t, "POST", "/setCurrency", NULL,
                       "currency_code=%3Cb%3E", NULL),
                   422);
  ASSERT_HAS("&lt;b&gt;");
  ck_assert_int_eq(req(t, "POST", "/setCurrency", NULL, NULL, NULL), 422);
  rt_test_free(t);
}
END_TEST

START_TEST(test_product) {
  rt_test_t *t = start(NULL);
  ck_assert_int_eq(req(t, "GET", "/product/2ZYFJ3GM2N", "shop_currency=EUR",
                       NULL, NULL),
                   200);
  ASSERT_HAS("<h1>Hairdryer</h1>");
  ASSERT_HAS("€25.99");
  ASSERT_HAS("name=\"product_id\" value=\"2ZYFJ3GM2N\"");
  ASSERT_HAS("<option selected>1</option>");
  ASSERT_HAS("<option>10</option>");
  ASSERT_HAS("<li>hair</li><li>beauty</li>");
  /* Four recommendations (the stub returns five) and an ad for the
   * product's categories. */
  ASSERT_HAS("You may also like");
  ASSERT_HAS("Sunglasses");
  ASSERT_HAS("Loafers");
  ASSERT_LACKS("Candle Holder");
  ck_assert(has("Ad for hair") || has("Ad for beauty"));
  /* Unknown products are 404 pages. */
  ck_assert_int_eq(req(t, "GET", "/product/NOSUCHTHING", NULL, NULL, NULL),
                   404);
  ASSERT_HAS("NOSUCHTHING");
  ck_assert_int_eq(req(t, "GET", "/product/", NULL, NULL, NULL), 404);
  ck_assert_int_eq(req(t, "GET", "/product/a%2Fb/c", NULL, NULL, NULL), 404);
  ck_assert_int_eq(req(t, "GET", "/product/%00", NULL, NULL, NULL), 404);
  ck_assert_int_eq(req(t, "GET", "/product/%3Cscript%3E", NULL, NULL, NULL),
                   404);
  ASSERT_LACKS("<script>");
  ASSERT_HAS("&lt;script&gt;");
  rt_test_free(t);
}
END_TEST

START_TEST(test_cart_flow) {
  rt_test_t *t = start(NULL);
  const char *ck = "shop_session-id=user-1";
  ck_assert_int_eq(req(t, "GET", "/cart", ck, NULL, NULL), 200);
  ASSERT_HAS("Your shopping cart is empty");
  ck_assert_int_eq(req(t, "POST", "/cart", ck,
                       "product_id=OLJCESPC7Z&quantity=2", NULL),
                   302);
  ck_assert_str_eq(hdr("location"), "/cart");
  ck_assert_int_eq(req(t, "POST", "/cart", ck,
                       "quantity=1&product_id=6E92ZMYYFZ", NULL),
                   302);
  ck_assert_int_eq(S.carts[0].items[0].quantity, 2);
  ck_assert_int_eq(req(t, "GET", "/cart", ck, NULL, NULL), 200);
  ASSERT_HAS("Cart <small>3 items</small>");
  ASSERT_HAS("Quantity: 2");
  ASSERT_HAS("$39.98"); /* 2 x 19.99 */
  ASSERT_HAS("$8.99");  /* the mug, and shipping */
  /* 39.98 + 8.99 + 8.99 shipping */
  ASSERT_HAS("<dd class=\"total\">$57.96</dd>");
  /* The checkout form, pre-filled with demo data. */
  ASSERT_HAS("action=\"/cart/checkout\"");
  ASSERT_HAS("value=\"someone@example.com\"");
  ASSERT_HAS("value=\"1600 Amphitheatre Parkway\"");
  ASSERT_HAS("value=\"94043\"");
  ASSERT_HAS("<option selected>2027</option>"); /* the test clock is 2026 */
  ASSERT_HAS("You may also like");
  /* In euros. */
  ck_assert_int_eq(
      req(t, "GET", "/cart", "shop_session-id=user-1; shop_currency=EUR",
          NULL, NULL),
      200);
  ASSERT_HAS("€41.98");
  ASSERT_HAS("<dd class=\"total\">€61.96</dd>"); /* 41.98 + 9.99 + 9.99 */

  /* Bad input: 422 naming the field; nothing added. */
  static const struct {
    const char *form, *field;
  } bad[] = {{"product_id=OLJCESPC7Z&quantity=0", "quantity"},
             {"product_id=OLJCESPC7Z&quantity=11", "quantity"},
             {"product_id=OLJCESPC7Z&quantity=two", "quantity"},
             {"product_id=OLJCESPC7Z&quantity=-1", "quantity"},
             {"product_id=OLJCESPC7Z", "quantity"},
             {"quantity=1", "product_id"},
             {"product_id=&quantity=1", "product_id"},
             {"product_id=NOPE&quantity=1", "product_id"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ck_assert_msg(req(t, "POST", "/cart", ck, bad[i].form, NULL) == 422,
                  "%s: %d", bad[i].form, R.status);
    ASSERT_HAS(bad[i].field);
  }
  ck_assert_int_eq(S.carts[0].items[0].quantity, 2);
  /* A malformed body is 400, another encoding 415. */
  ck_assert_int_eq(req(t, "POST", "/cart", ck, "product_id=%zz", NULL), 400);
  rt_http_header_t json = {"content-type", "application/json"};
  rt_test_http(t, "POST", "/cart", &json, 1, "{}", 2, 0, &R);
  ck_assert_int_eq(R.status, 415);

  /* Empty the cart. */
  ck_assert_int_eq(req(t, "POST", "/cart/empty", ck, "", NULL), 302);
  ck_assert_str_eq(hdr("location"), "/");
  ck_assert_uint_eq(S.carts[0].n, 0);
  rt_test_free(t);
}
END_TEST

static const char *order_form =
    "email=someone%40example.com&street_address=1600+Amphitheatre+Parkway&"
    "zip_code=94043&city=Mountain+View&state=CA&country=United+States&"
    "credit_card_number=4432-8015-6152-0454&credit_card_expiration_month=1&"
    "credit_card_expiration_year=2027&credit_card_cvv=672";

START_TEST(test_checkout) {
  rt_test_t *t = start(NULL);
  const char *ck = "shop_session-id=buyer; shop_currency=EUR";
  req(t, "POST", "/cart", ck, "product_id=OLJCESPC7Z&quantity=2", NULL);
  req(t, "POST", "/cart", ck, "product_id=LS4PSXUNUM&quantity=1", NULL);
  ck_assert_int_eq(req(t, "POST", "/cart/checkout", ck, order_form, NULL),
                   200);
  ASSERT_HAS("Your order is complete!");
  ASSERT_HAS("<code>order-1</code>");
  ASSERT_HAS("<code>TR-1</code>");
  ASSERT_HAS("<dt>Shipping cost</dt><dd>€9.99</dd>");
  /* 2 x 20.99 + 19.49 + 9.99, in euros, with Money carries. */
  ASSERT_HAS("<dt>Total paid</dt><dd class=\"total\">€71.46</dd>");
  ASSERT_HAS("someone@example.com");
  ck_assert_str_eq(S.last_currency, "EUR");
  ck_assert_str_eq(S.last_user, "buyer");
  ck_assert_str_eq(S.last_email, "someone@example.com");
  ck_assert_str_eq(S.last_card, "4432-8015-6152-0454");
  ck_assert_int_eq(S.last_zip, 94043);
  ck_assert_int_eq(S.last_month, 1);
  ck_assert_int_eq(S.last_year, 2027);
  ck_assert_int_eq(S.last_cvv, 672);
  ck_assert_int_ge(rt_test_log_find(t, "order placed"), 0);
  /* The cart is empty now: checkout fails, naming the service. */
  ck_assert_int_eq(req(t, "POST", "/cart/checkout", ck, order_form, NULL),
                   500);
  ASSERT_HAS("checkoutservice: internal: failed to prepare order");
  rt_test_free(t);
}
END_TEST

START_TEST(test_checkout_invalid) {
  rt_test_t *t = start(NULL);
  static const struct {
    const char *field, *value;
  } bad[] = {{"email", "not-an-email"},
             {"email", ""},
             {"street_address", ""},
             {"zip_code", "94O43"},
             {"zip_code", "99999999999"},
             {"city", ""},
             {"state", ""},
             {"country", ""},
             {"credit_card_number", "4432801561520455"},
             {"credit_card_number", "12345"},
             {"credit_card_number", "4432x8015"},
             {"credit_card_expiration_month", "13"},
             {"credit_card_expiration_month", "0"},
             {"credit_card_expiration_year", "twenty"},
             {"credit_card_cvv", "12"},
             {"credit_card_cvv", "abc"}};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    /* The valid form with one field replaced. */
    char form[1024] = "", *p = form;
    const char *f = order_form;
    while (*f) {
      const char *amp = strchr(f, '&');
      size_t n = amp ? (size_t)(amp - f) : strlen(f);
      size_t klen = strlen(bad[i].field);
      if (p != form)
        *p++ = '&';
      if (strncmp(f, bad[i].field, klen) == 0 && f[klen] == '=')
        p += sprintf(p, "%s=%s", bad[i].field, bad[i].value);
      else {
        memcpy(p, f, n);
        p += n;
      }
      f += n + (amp ? 1 : 0);
    }
    *p = 0;
    ck_assert_msg(req(t, "POST", "/cart/checkout", "shop_session-id=x", form,
                      NULL) == 422,
                  "%s=%s: %d", bad[i].field, bad[i].value, R.status);
    ASSERT_HAS(bad[i].field);
  }
  /* Everything missing: every field named at once. */
  ck_assert_int_eq(req(t, "POST", "/cart/checkout", NULL, "", NULL), 422);
  ASSERT_HAS("email: is required");
  ASSERT_HAS("credit_card_cvv: is required");
  ASSERT_HAS("zip_code: is required");
  ck_assert_uint_eq(S.orders, 0);
  rt_test_free(t);
}
END_TEST

START_TEST(test_backend_failures) {
  rt_test_t *t = start(NULL);
  S.fail_msg = "connection refused";
  S.fail[FS_CURRENCY] = RT_UNAVAILABLE;
  ck_assert_int_eq(req(t, "GET", "/", NULL, NULL, NULL), 500);
  ASSERT_HAS("currencyservice: unavailable: connection refused");
  ck_assert_str_eq(hdr("content-type"), "text/html; charset=utf-8");
  ck_assert_int_ge(rt_test_log_find(t, "backend call failed"), 0);
  S.fail[FS_CURRENCY] = RT_OK;
  S.fail[FS_CART] = RT_DEADLINE_EXCEEDED;
  ck_assert_int_eq(req(t, "GET", "/cart", NULL, NULL, NULL), 500);
  ASSERT_HAS("cartservice: deadline exceeded");
  ASSERT_LACKS("items in cart"); /* no count when the cart is unknown */
  ck_assert_int_eq(req(t, "POST", "/cart/empty", NULL, "", NULL), 500);
  ASSERT_HAS("cartservice");
  S.fail[FS_CART] = RT_OK;
  S.fail[FS_CATALOG] = RT_INTERNAL;
  ck_assert_int_eq(req(t, "GET", "/product/OLJCESPC7Z", NULL, NULL, NULL),
                   500);
  ASSERT_HAS("productcatalogservice: internal");
  S.fail[FS_CATALOG] = RT_OK;
  S.fail[FS_RECO] = RT_UNAVAILABLE;
  ck_assert_int_eq(req(t, "GET", "/product/OLJCESPC7Z", NULL, NULL, NULL),
                   500);
  ASSERT_HAS("recommendationservice: unavailable");
  S.fail[FS_RECO] = RT_OK;
  S.fail[FS_SHIPPING] = RT_UNAVAILABLE;
  req(t, "POST", "/cart", "shop_session-id=s", "product_id=OLJCESPC7Z&quantity=1",
      NULL);
  ck_assert_int_eq(req(t, "GET", "/cart", "shop_session-id=s", NULL, NULL),
                   500);
  ASSERT_HAS("shippingservice: unavailable");
  S.fail[FS_SHIPPING] = RT_OK;
  /* Ads are optional: the page works without them. */
  S.fail[FS_AD] = RT_UNAVAILABLE;
  ck_assert_int_eq(req(t, "GET", "/", NULL, NULL, NULL), 200);
  ASSERT_LACKS("class=\"ad\"");
  ck_assert_int_ge(rt_test_log_find(t, "optional backend call failed"), 0);
  S.fail[FS_AD] = RT_OK;
  /* A backend message is escaped like everything else. */
  S.fail_msg = "<img src=x onerror=alert(1)>";
  S.fail[FS_CATALOG] = RT_UNKNOWN;
  ck_assert_int_eq(req(t, "GET", "/", NULL, NULL, NULL), 500);
  ASSERT_LACKS("<img src=x");
  ASSERT_HAS("&lt;img src=x onerror=alert(1)&gt;");
  rt_test_free(t);
}
END_TEST

START_TEST(test_escaping) {
  rt_test_t *t = start(NULL);
  /* A seller's listing, as business could put it in the catalog. */
  Hipstershop__Product evil = HIPSTERSHOP__PRODUCT__INIT;
  Hipstershop__Money price = HIPSTERSHOP__MONEY__INIT;
  char *cats[] = {(char *)"<b>cat</b>"};
  price.currency_code = (char *)"USD";
  price.units = 3;
  evil.id = (char *)"SELLER\"1";
  evil.name = (char *)"<script>alert('x')</script>";
  evil.description = (char *)"\"quoted\" & <i>styled</i> \xff bytes";
  evil.picture = (char *)"javascript:alert(1)";
  evil.price_usd = &price;
  evil.categories = cats;
  evil.n_categories = 1;
  S.extra = &evil;
  ck_assert_int_eq(req(t, "GET", "/", NULL, NULL, NULL), 200);
  ASSERT_LACKS("<script>alert");
  ASSERT_HAS("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  ASSERT_HAS("href=\"/product/SELLER%221\"");
  ASSERT_HAS("src=\"/static/img/placeholder.svg\"");
  ASSERT_LACKS("javascript:");
  ck_assert_int_eq(req(t, "GET", "/product/SELLER%221", NULL, NULL, NULL),
                   200);
  ASSERT_HAS("<h1>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</h1>");
  ASSERT_HAS("&quot;quoted&quot; &amp; &lt;i&gt;styled&lt;/i&gt; \xEF\xBF\xBD");
  ASSERT_HAS("value=\"SELLER&quot;1\"");
  ASSERT_HAS("&lt;b&gt;cat&lt;/b&gt;");
  ASSERT_LACKS("<i>styled");
  /* It can be bought like any other product. */
  ck_assert_int_eq(req(t, "POST", "/cart", "shop_session-id=z",
                       "product_id=SELLER%221&quantity=1", NULL),
                   302);
  ck_assert_int_eq(req(t, "GET", "/cart", "shop_session-id=z", NULL, NULL),
                   200);
  ASSERT_HAS("SKU SELLER&quot;1");
  ASSERT_HAS("$3.00");
  rt_test_free(t);
}
END_TEST

START_TEST(test_business_forwarding) {
  rt_test_t *t = start(NULL);
  rt_http_header_t h[] = {{"host", "shop.example"},
                          {"cookie", "shop_session-id=abc"},
                          {"connection", "keep-alive, x-private"},
                          {"x-private", "secret"},
                          {"x-forwarded-for", "203.0.113.9"},
                          {"content-type", "application/x-www-form-urlencoded"}};
  ck_assert_int_eq(rt_test_http(t, "GET", "/business?page=2", h, 5, NULL, 0,
                                0, &R),
                   0);
  ck_assert_int_eq(R.status, 200);
  ck_assert_str_eq(S.biz_method, "GET");
  ck_assert_str_eq(S.biz_target, "/business?page=2");
  ck_assert_str_eq(S.biz_xff, "203.0.113.9, 192.0.2.1");
  ck_assert_int_eq(S.biz_has_connection, 0);
  ck_assert_int_eq(S.biz_has_cookie, 1);
  ASSERT_HAS("<h1>Sell your product</h1>GET /business?page=2");
  ck_assert_str_eq(hdr("x-business"), "yes");
  ck_assert_str_eq(hdr("set-cookie"), "biz=1; Path=/business");
  ck_assert_ptr_null(hdr("connection"));
  /* POST with a body; hop-by-hop headers named by Connection stay here. */
  ck_assert_int_eq(rt_test_http(t, "POST", "/business/listings", h, 6,
                                "name=Lamp", 9, 0, &R),
                   0);
  ck_assert_int_eq(R.status, 201);
  ck_assert_str_eq(S.biz_body, "name=Lamp");
  ck_assert_str_eq(S.biz_target, "/business/listings");
  /* "/businesses" is not the business prefix. */
  ck_assert_int_eq(req(t, "GET", "/businesses", NULL, NULL, NULL), 404);
  rt_test_free(t);

  /* Without BUSINESS_ADDR: a 404 page; with an unreachable one: 502. */
  const char *env[] = {fs_env[0], fs_env[1], fs_env[2], fs_env[3], fs_env[4],
                       fs_env[5], fs_env[6], NULL};
  t = start(env);
  ck_assert_int_eq(req(t, "GET", "/business", NULL, NULL, NULL), 404);
  ASSERT_HAS("Selling is not enabled");
  ASSERT_HAS("running on <strong>local</strong>");
  rt_test_free(t);
  const char *env2[] = {fs_env[0], fs_env[1], fs_env[2], fs_env[3], fs_env[4],
                        fs_env[5], fs_env[6], "BUSINESS_ADDR=gone:1", NULL};
  t = start(env2);
  ck_assert_int_eq(req(t, "GET", "/business", NULL, NULL, NULL), 502);
  ASSERT_HAS("business: UNAVAILABLE");
  rt_test_free(t);
}
END_TEST

START_TEST(test_static_and_misc) {
  rt_test_t *t = start(NULL);
  ck_assert_int_eq(req(t, "GET", "/_healthz", NULL, NULL, NULL), 200);
  ck_assert_str_eq(body(), "ok");
  ck_assert_ptr_null(hdr("set-cookie"));
  ck_assert_int_eq(req(t, "GET", "/robots.txt", NULL, NULL, NULL), 200);
  ASSERT_HAS("Disallow: /");
  ck_assert_int_eq(req(t, "GET", "/static/styles.css", NULL, NULL, NULL), 200);
  ck_assert_str_eq(hdr("content-type"), "text/css; charset=utf-8");
  ck_assert_str_eq(hdr("cache-control"), "public, max-age=86400");
  char etag[64];
  snprintf(etag, sizeof etag, "%s", hdr("etag"));
  ck_assert_int_eq(etag[0], '"');
  rt_http_header_t inm = {"if-none-match", etag};
  rt_test_http(t, "GET", "/static/styles.css", &inm, 1, NULL, 0, 0, &R);
  ck_assert_int_eq(R.status, 304);
  ck_assert_uint_eq(R.body_len, 0);
  for (int i = 0; i < 9; i++) {
    char path[128];
    snprintf(path, sizeof path, "/static/img/products/%s.jpg",
             fs_catalog[i].slug);
    ck_assert_int_eq(req(t, "GET", path, NULL, NULL, NULL), 200);
    ck_assert_str_eq(hdr("content-type"), "image/svg+xml");
    ASSERT_HAS("<svg");
    path[strlen(path) - 3] = 0;
    strcat(path, "svg");
    ck_assert_int_eq(req(t, "GET", path, NULL, NULL, NULL), 200);
  }
  ck_assert_int_eq(req(t, "GET", "/favicon.ico", NULL, NULL, NULL), 200);
  ck_assert_str_eq(hdr("content-type"), "image/svg+xml");
  ck_assert_int_eq(req(t, "GET", "/static/nope.css", NULL, NULL, NULL), 404);
  ck_assert_int_eq(req(t, "GET", "/static/../frontend.c", NULL, NULL, NULL),
                   404);
  /* Unknown routes and methods. */
  ck_assert_int_eq(req(t, "GET", "/nowhere", NULL, NULL, NULL), 404);
  ck_assert_str_eq(hdr("content-type"), "text/html; charset=utf-8");
  ck_assert_int_eq(req(t, "DELETE", "/", NULL, NULL, NULL), 405);
  ck_assert_str_eq(hdr("allow"), "GET, HEAD");
  ck_assert_int_eq(req(t, "GET", "/cart/empty", NULL, NULL, NULL), 405);
  ck_assert_str_eq(hdr("allow"), "POST");
  ck_assert_int_eq(req(t, "PUT", "/cart", NULL, NULL, NULL), 405);
  ck_assert_str_eq(hdr("allow"), "GET, HEAD, POST");
  ck_assert_int_eq(req(t, "POST", "/static/styles.css", NULL, "", NULL), 405);
  ck_assert_int_eq(req(t, "POST", "/_healthz", NULL, "", NULL), 405);
  ck_assert_int_eq(req(t, "HEAD", "/_healthz", NULL, NULL, NULL), 200);
  /* Logout clears both cookies. */
  ck_assert_int_eq(req(t, "GET", "/logout", "shop_session-id=abc", NULL,
                       NULL),
                   302);
  ck_assert_str_eq(hdr("location"), "/");
  ck_assert_str_eq(rt_test_http_result_header_nth(&R, "set-cookie", 0),
                   "shop_session-id=; Path=/; Max-Age=0; HttpOnly; "
                   "SameSite=Lax");
  ck_assert_ptr_nonnull(strstr(
      rt_test_http_result_header_nth(&R, "set-cookie", 1), "shop_currency=;"));
  rt_test_free(t);
}
END_TEST

START_TEST(test_timeouts_and_parallelism) {
  rt_test_t *t = start(NULL);
  /* Every backend answers after 100 ms: the home page takes two rounds
   * (the first batch, then all conversions at once), not one per call. */
  const char *svcs[][2] = {
      {"hipstershop.ProductCatalogService", "ListProducts"},
      {"hipstershop.CurrencyService", "GetSupportedCurrencies"},
      {"hipstershop.CurrencyService", "Convert"},
      {"hipstershop.CartService", "GetCart"},
      {"hipstershop.AdService", "GetAds"}};
  const ProtobufCMessageDescriptor *d[] = {
      &hipstershop__empty__descriptor, &hipstershop__empty__descriptor,
      &hipstershop__currency_conversion_request__descriptor,
      &hipstershop__get_cart_request__descriptor,
      &hipstershop__ad_request__descriptor};
  rt_test_stub_fn fns[] = {fs_list_products, fs_currencies, fs_convert,
                           fs_get_cart, fs_ads};
  const char *addrs[] = {"productcatalogservice:3550", "currencyservice:7000",
                         "currencyservice:7000", "cartservice:7070",
                         "adservice:9555"};
  rt_test_stub_t *st[5];
  for (int i = 0; i < 5; i++) {
    st[i] = rt_test_stub(t, addrs[i], svcs[i][0], svcs[i][1], d[i], fns[i],
                         &S);
    rt_test_stub_set_delay(st[i], 100 * RT_MSEC);
  }
  rt_time_t t0 = rt_test_now(t);
  ck_assert_int_eq(req(t, "GET", "/", NULL, NULL, NULL), 200);
  ck_assert_int_eq(rt_test_now(t) - t0, 200 * RT_MSEC);
  ck_assert_uint_eq(rt_test_stub_calls(st[2]), 9);
  /* A backend slower than BACKEND_TIMEOUT (3 s): 500 naming it. */
  rt_test_stub_set_delay(st[3], 10 * RT_SEC);
  t0 = rt_test_now(t);
  ck_assert_int_eq(req(t, "GET", "/", NULL, NULL, NULL), 500);
  ASSERT_HAS("cartservice: deadline exceeded");
  ck_assert_int_eq(rt_test_stub_last_deadline(st[3]), t0 + 3 * RT_SEC);
  /* The client goes away: the backend calls are cancelled, nothing leaks. */
  unsigned before = rt_test_stub_cancelled(st[3]);
  rt_test_http_ex(t, "GET", "/", NULL, 0, NULL, 0, 0, 50 * RT_MSEC, &R);
  ck_assert_int_eq(R.status, 0);
  ck_assert_uint_eq(rt_test_stub_cancelled(st[3]), before + 1);
  rt_test_free(t);

  /* BACKEND_TIMEOUT is configurable. */
  const char *env[] = {fs_env[0], fs_env[1], fs_env[2], fs_env[3],
                       fs_env[4], fs_env[5], fs_env[6], "BACKEND_TIMEOUT=250ms",
                       NULL};
  t = start(env);
  rt_test_stub_t *slow = rt_test_stub(
      t, "cartservice:7070", "hipstershop.CartService", "GetCart",
      &hipstershop__get_cart_request__descriptor, fs_get_cart, &S);
  rt_test_stub_set_delay(slow, RT_SEC);
  t0 = rt_test_now(t);
  ck_assert_int_eq(req(t, "GET", "/cart", NULL, NULL, NULL), 500);
  ck_assert_int_eq(rt_test_stub_last_deadline(slow), t0 + 250 * RT_MSEC);
  rt_test_free(t);
}
END_TEST

int main(void) {
  Suite *s = suite_create("frontend");
  TCase *tc = tcase_create("frontend");
  tcase_add_test(tc, test_config);
  tcase_add_test(tc, test_home_and_session);
  tcase_add_test(tc, test_currency);
  tcase_add_test(tc, test_product);
  tcase_add_test(tc, test_cart_flow);
  tcase_add_test(tc, test_checkout);
  tcase_add_test(tc, test_checkout_invalid);
  tcase_add_test(tc, test_backend_failures);
  tcase_add_test(tc, test_escaping);
  tcase_add_test(tc, test_business_forwarding);
  tcase_add_test(tc, test_static_and_misc);
  tcase_add_test(tc, test_timeouts_and_parallelism);
  suite_add_tcase(s, tc);
  return check_run(s);
}

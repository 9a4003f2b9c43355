/*
 * fe_pages.c — the frontend's HTML, written straight into an html_buf_t.
 * Every string that comes from a user, a backend or a seller (names,
 * descriptions, ids, ad texts, picture URLs, order ids, error messages) goes
 * through html_text() or html_url_component(); URLs from backends must also
 * be same-site paths or http(s) to be used at all (see safe_url()).
 */
#include <stdio.h>
#include <string.h>

#include "common/money.h"
#include "frontend/fe.h"

#define PLACEHOLDER_IMG "/static/img/placeholder.svg"

/* ------------------------------------------------------------------ */
/* Pieces. */

void fe_money_html(html_buf_t *b, const Hipstershop__Money *m) {
  static const struct {
    const char *code, *symbol;
  } sym[] = {{"USD", "$"}, {"EUR", "€"}, {"CAD", "$"},
             {"JPY", "¥"}, {"GBP", "£"}, {"TRY", "₺"}};
  if (!m) {
    html_raw(b, "—");
    return;
  }
  const char *code = m->currency_code ? m->currency_code : "";
  const char *s = NULL;
  for (size_t i = 0; i < sizeof sym / sizeof *sym; i++)
    if (strcmp(code, sym[i].code) == 0)
      s = sym[i].symbol;
  int neg = m->units < 0 || (m->units == 0 && m->nanos < 0);
  unsigned long long u = m->units < 0 ? 0ull - (unsigned long long)m->units
                                      : (unsigned long long)m->units;
  long n = m->nanos < 0 ? -(long)m->nanos : (long)m->nanos;
  if (n > MONEY_NANOS_MAX)
    n = MONEY_NANOS_MAX;
  if (neg)
    html_raw(b, "-");
  if (s)
    html_raw(b, s);
  html_printf(b, "%llu.%02ld", u, n / 10000000);
  if (!s) {
    html_raw(b, " ");
    html_text(b, code);
  }
}

long fe_cart_size(const fe_req_t *r) {
  const Hipstershop__Cart *c = (const Hipstershop__Cart *)r->cart;
  long n = 0;
  for (size_t i = 0; c && i < c->n_items; i++)
    if (c->items[i]->quantity > 0 && n < 1000000)
      n += c->items[i]->quantity;
  return n;
}

/* A URL from a backend, usable in src/href: a same-site absolute path or
 * http(s); anything else (javascript:, data:, //host) is not. */
static int safe_url(const char *u) {
  if (!u || !*u)
    return 0;
  if (u[0] == '/')
    return u[1] != '/' && u[1] != '\\';
  return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
}

static void product_href(html_buf_t *b, const char *id) {
  html_raw(b, "/product/");
  html_url_component(b, id);
}

static void picture(html_buf_t *b, const Hipstershop__Product *p,
                    const char *cls) {
  html_raw(b, "<img class=\"");
  html_raw(b, cls);
  html_raw(b, "\" src=\"");
  html_text(b, safe_url(p->picture) ? p->picture : PLACEHOLDER_IMG);
  html_raw(b, "\" alt=\"");
  html_text(b, p->name);
  html_raw(b, "\" width=\"400\" height=\"400\" loading=\"lazy\">");
}

static void currency_picker(fe_req_t *r, html_buf_t *b) {
  const Hipstershop__GetSupportedCurrenciesResponse *sc =
      (const Hipstershop__GetSupportedCurrenciesResponse *)r->currencies;
  html_raw(b, "<form class=\"currency\" method=\"post\" "
              "action=\"/setCurrency\"><label for=\"currency_code\">"
              "Currency</label><select id=\"currency_code\" "
              "name=\"currency_code\">");
  for (size_t i = 0; i < fe_n_currencies; i++) {
    const char *c = fe_currencies[i];
    /* Upstream offers the whitelisted codes the currency service knows. */
    int known = !sc;
    for (size_t k = 0; sc && k < sc->n_currency_codes && !known; k++)
      known = strcmp(sc->currency_codes[k], c) == 0;
    if (!known && strcmp(c, r->currency) != 0)
      continue;
    html_printf(b, "<option value=\"%s\"%s>%s</option>", c,
                strcmp(c, r->currency) == 0 ? " selected" : "", c);
  }
  html_raw(b, "</select><button type=\"submit\">Set</button></form>");
}

static void page_begin(fe_req_t *r, html_buf_t *b, const char *title) {
  html_raw(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
              "<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, "
              "initial-scale=1\">\n<title>");
  html_text(b, title);
  html_raw(b, " · Online Boutique</title>\n"
              "<link rel=\"stylesheet\" href=\"/static/styles.css\">\n"
              "<link rel=\"icon\" href=\"/static/favicon.svg\" "
              "type=\"image/svg+xml\">\n</head>\n<body>\n");
  html_printf(b, "<div class=\"platform platform-%s\">", r->fe->platform);
  html_raw(b, "This shop is running on <strong>");
  html_text(b, r->fe->platform_name);
  html_raw(b, "</strong></div>\n<header class=\"top\"><div class=\"bar\">"
              "<a class=\"brand\" href=\"/\"><img src=\"/static/favicon.svg\" "
              "alt=\"\" width=\"28\" height=\"28\">Online Boutique</a>");
  currency_picker(r, b);
  /* The count only when the cart was fetched: an error page must not
   * claim the cart is empty. */
  html_raw(b, "<a class=\"cart-link\" href=\"/cart\">Cart");
  if (r->cart)
    html_printf(b, "<span class=\"count\" aria-label=\"items in cart\">"
                   "%ld</span>",
                fe_cart_size(r));
  html_raw(b, "</a>");
  html_raw(b, "</div></header>\n<main>\n");
}

static void page_end(fe_req_t *r, html_buf_t *b) {
  html_raw(b, "</main>\n<footer><p>Online Boutique, served by meshsim. "
              "<a href=\"/business\">Sell your products here</a>.</p>"
              "<p class=\"ids\">session-id: <code>");
  html_text(b, r->session[0] ? r->session : "none");
  html_raw(b, "</code> · request-id: <code>");
  html_text(b, r->request_id);
  html_raw(b, "</code></p></footer>\n</body>\n</html>\n");
}

static void ad_box(fe_req_t *r, html_buf_t *b) {
  const Hipstershop__AdResponse *ads = (const Hipstershop__AdResponse *)r->ads;
  if (!ads || ads->n_ads == 0)
    return;
  const Hipstershop__Ad *ad = ads->ads[rt_rand_below(r->rt, ads->n_ads)];
  html_raw(b, "<aside class=\"ad\"><span class=\"ad-label\">Ad</span> ");
  if (safe_url(ad->redirect_url)) {
    html_raw(b, "<a href=\"");
    html_text(b, ad->redirect_url);
    html_raw(b, "\">");
    html_text(b, ad->text);
    html_raw(b, "</a>");
  } else
    html_text(b, ad->text);
  html_raw(b, "</aside>\n");
}

static void recommendations(fe_req_t *r, html_buf_t *b) {
  int any = 0;
  for (size_t i = 0; i < FE_MAX_RECS; i++) {
    const Hipstershop__Product *p =
        (const Hipstershop__Product *)r->rec_products[i];
    if (!p)
      continue;
    if (!any++)
      html_raw(b, "<section class=\"recs\"><h2>You may also like</h2>"
                  "<ul class=\"grid small\">");
    html_raw(b, "<li class=\"card\"><a href=\"");
    product_href(b, p->id);
    html_raw(b, "\">");
    picture(b, p, "thumb");
    html_raw(b, "<span class=\"name\">");
    html_text(b, p->name);
    html_raw(b, "</span></a></li>");
  }
  if (any)
    html_raw(b, "</ul></section>\n");
}

/* ------------------------------------------------------------------ */
/* Pages. */

void fe_page_home(fe_req_t *r, html_buf_t *b) {
  const Hipstershop__ListProductsResponse *ps =
      (const Hipstershop__ListProductsResponse *)r->products;
  page_begin(r, b, "Home");
  html_raw(b, "<section class=\"hero\"><h1>Hot products</h1><p>Things "
              "you did not know you needed, shipped from our boutique.</p>"
              "</section>\n<ul class=\"grid\">");
  for (size_t i = 0; i < ps->n_products; i++) {
    const Hipstershop__Product *p = ps->products[i];
    html_raw(b, "<li class=\"card\"><a href=\"");
    product_href(b, p->id);
    html_raw(b, "\">");
    picture(b, p, "thumb");
    html_raw(b, "<span class=\"name\">");
    html_text(b, p->name);
    html_raw(b, "</span><span class=\"price\">");
    fe_money_html(b, (const Hipstershop__Money *)r->prices[i]);
    html_raw(b, "</span></a></li>");
  }
  html_raw(b, "</ul>\n");
  ad_box(r, b);
  page_end(r, b);
}

void fe_page_product(fe_req_t *r, html_buf_t *b) {
  const Hipstershop__Product *p = (const Hipstershop__Product *)r->product;
  page_begin(r, b, p->name && *p->name ? p->name : "Product");
  html_raw(b, "<article class=\"product\">");
  picture(b, p, "product-img");
  html_raw(b, "<div class=\"product-info\"><h1>");
  html_text(b, p->name);
  html_raw(b, "</h1><p class=\"price big\">");
  fe_money_html(b, (const Hipstershop__Money *)r->price);
  html_raw(b, "</p><p class=\"desc\">");
  html_text(b, p->description);
  html_raw(b, "</p>");
  if (p->n_categories) {
    html_raw(b, "<ul class=\"tags\">");
    for (size_t i = 0; i < p->n_categories; i++) {
      html_raw(b, "<li>");
      html_text(b, p->categories[i]);
      html_raw(b, "</li>");
    }
    html_raw(b, "</ul>");
  }
  html_raw(b, "<form class=\"add\" method=\"post\" action=\"/cart\">"
              "<input type=\"hidden\" name=\"product_id\" value=\"");
  html_text(b, p->id);
  html_raw(b, "\"><label for=\"quantity\">Quantity</label>"
              "<select id=\"quantity\" name=\"quantity\">");
  for (int q = 1; q <= 10; q++)
    html_printf(b, "<option%s>%d</option>", q == 1 ? " selected" : "", q);
  html_raw(b, "</select><button type=\"submit\">Add to cart</button>"
              "</form></div></article>\n");
  recommendations(r, b);
  ad_box(r, b);
  page_end(r, b);
}

/* The civil year of |t| (ns since the epoch), for the card's expiry. */
static long year_of(rt_time_t t) {
  long long days = (long long)(t / RT_SEC / 86400);
  /* Howard Hinnant's days_from_civil, inverted. */
  days += 719468;
  long long era = (days >= 0 ? days : days - 146096) / 146097;
  long long doe = days - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long y = yoe + era * 400;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  long long m = mp < 10 ? mp + 3 : mp - 9;
  return (long)(y + (m <= 2));
}

static void input(html_buf_t *b, const char *label, const char *name,
                  const char *type, const char *value, const char *extra) {
  html_printf(b, "<label for=\"%s\">%s</label><input id=\"%s\" name=\"%s\" "
                 "type=\"%s\" value=\"",
              name, label, name, name, type);
  html_text(b, value);
  html_printf(b, "\" required%s%s>", extra ? " " : "", extra ? extra : "");
}

static void checkout_form(fe_req_t *r, html_buf_t *b) {
  long year = year_of(rt_now(r->rt));
  /* Demo data, as upstream pre-fills it: a test VISA that passes Luhn. */
  html_raw(b, "<section class=\"checkout\"><h2>Shipping and payment</h2>"
              "<form method=\"post\" action=\"/cart/checkout\">"
              "<fieldset><legend>Ship to</legend>");
  input(b, "E-mail", "email", "email", "someone@example.com",
        "autocomplete=\"email\"");
  input(b, "Street address", "street_address", "text",
        "1600 Amphitheatre Parkway", "maxlength=\"512\"");
  input(b, "Zip code", "zip_code", "text", "94043",
        "inputmode=\"numeric\" pattern=\"[0-9]+\"");
  input(b, "City", "city", "text", "Mountain View", "maxlength=\"128\"");
  input(b, "State", "state", "text", "CA", "maxlength=\"128\"");
  input(b, "Country", "country", "text", "United States",
        "maxlength=\"128\"");
  html_raw(b, "</fieldset><fieldset><legend>Pay with</legend>");
  input(b, "Credit card number", "credit_card_number", "text",
        "4432801561520454", "inputmode=\"numeric\" autocomplete=\"cc-number\"");
  html_raw(b, "<div class=\"row\"><div><label for=\"credit_card_expiration_"
              "month\">Month</label><select id=\"credit_card_expiration_"
              "month\" name=\"credit_card_expiration_month\">");
  for (int m = 1; m <= 12; m++)
    html_printf(b, "<option value=\"%d\"%s>%02d</option>", m,
                m == 1 ? " selected" : "", m);
  html_raw(b, "</select></div><div><label for=\"credit_card_expiration_"
              "year\">Year</label><select id=\"credit_card_expiration_year\" "
              "name=\"credit_card_expiration_year\">");
  for (long y = year; y < year + 5; y++)
    html_printf(b, "<option%s>%ld</option>", y == year + 1 ? " selected" : "",
                y);
  html_raw(b, "</select></div><div>");
  input(b, "CVV", "credit_card_cvv", "text", "672",
        "inputmode=\"numeric\" pattern=\"[0-9]{3,4}\" "
        "autocomplete=\"cc-csc\"");
  html_raw(b, "</div></div></fieldset><button type=\"submit\" "
              "class=\"primary\">Place order</button></form></section>\n");
}

void fe_page_cart(fe_req_t *r, html_buf_t *b) {
  const Hipstershop__Cart *c = (const Hipstershop__Cart *)r->cart;
  page_begin(r, b, "Cart");
  if (r->n_lines == 0) {
    html_raw(b, "<section class=\"empty\"><h1>Your shopping cart is "
                "empty</h1><p>Items you add to your cart will appear here."
                "</p><a class=\"button\" href=\"/\">Continue shopping</a>"
                "</section>\n");
    recommendations(r, b);
    page_end(r, b);
    return;
  }
  html_printf(b, "<h1>Cart <small>%ld item%s</small></h1>\n"
                 "<div class=\"cart\"><section class=\"lines\"><ul>",
              fe_cart_size(r), fe_cart_size(r) == 1 ? "" : "s");
  /* Total: shipping + each line's price times its quantity. */
  Hipstershop__Money total;
  money_set(&total, r->currency, 0, 0);
  int err = 0;
  if (r->shipping)
    err = money_add(&total, (const Hipstershop__Money *)r->shipping, &total);
  for (size_t i = 0; i < r->n_lines; i++) {
    const Hipstershop__Product *p = (const Hipstershop__Product *)r->items[i];
    const Hipstershop__CartItem *it = c->items[i];
    const Hipstershop__Money *price = (const Hipstershop__Money *)r->prices[i];
    Hipstershop__Money line;
    int have = 0;
    if (price) {
      int e = money_mul(price, it->quantity > 0 ? (uint32_t)it->quantity : 0,
                        &line);
      if (!e)
        have = 1, e = money_add(&total, &line, &total);
      err = err ? err : e;
    } else
      err = err ? err : MONEY_EINVAL;
    html_raw(b, "<li class=\"line\"><a href=\"");
    product_href(b, p->id);
    html_raw(b, "\">");
    picture(b, p, "line-img");
    html_raw(b, "</a><div class=\"line-info\"><a class=\"name\" href=\"");
    product_href(b, p->id);
    html_raw(b, "\">");
    html_text(b, p->name);
    html_raw(b, "</a><span class=\"sku\">SKU ");
    html_text(b, p->id);
    html_printf(b, "</span><span class=\"qty\">Quantity: %d</span></div>"
                   "<span class=\"price\">",
                (int)it->quantity);
    fe_money_html(b, have ? &line : NULL);
    html_raw(b, "</span></li>");
  }
  html_raw(b, "</ul><dl class=\"totals\"><dt>Shipping</dt><dd>");
  fe_money_html(b, (const Hipstershop__Money *)r->shipping);
  html_raw(b, "</dd><dt>Total</dt><dd class=\"total\">");
  fe_money_html(b, err ? NULL : &total);
  html_raw(b, "</dd></dl><form method=\"post\" action=\"/cart/empty\">"
              "<button type=\"submit\" class=\"secondary\">Empty cart"
              "</button></form></section>\n");
  checkout_form(r, b);
  html_raw(b, "</div>\n");
  recommendations(r, b);
  page_end(r, b);
}

void fe_page_order(fe_req_t *r, html_buf_t *b,
                   const Hipstershop__Money *total) {
  const Hipstershop__PlaceOrderResponse *pr =
      (const Hipstershop__PlaceOrderResponse *)r->order;
  const Hipstershop__OrderResult *o = pr->order;
  page_begin(r, b, "Order complete");
  html_raw(b, "<section class=\"order\"><h1>Your order is complete!</h1>"
              "<p>We have sent a confirmation to ");
  html_text(b, r->email);
  html_raw(b, ".</p><dl class=\"totals\"><dt>Confirmation #</dt><dd><code>");
  html_text(b, o ? o->order_id : "");
  html_raw(b, "</code></dd><dt>Tracking #</dt><dd><code>");
  html_text(b, o ? o->shipping_tracking_id : "");
  html_raw(b, "</code></dd><dt>Shipping cost</dt><dd>");
  fe_money_html(b, o ? o->shipping_cost : NULL);
  html_raw(b, "</dd><dt>Total paid</dt><dd class=\"total\">");
  fe_money_html(b, total);
  html_raw(b, "</dd></dl><a class=\"button\" href=\"/\">Continue shopping"
              "</a></section>\n");
  recommendations(r, b);
  page_end(r, b);
}

void fe_page_error(fe_req_t *r, html_buf_t *b, int status, const char *title,
                   const char *message) {
  page_begin(r, b, title);
  html_printf(b, "<section class=\"error\"><p class=\"status\">%d</p><h1>",
              status);
  html_text(b, title);
  html_raw(b, "</h1><p class=\"message\">");
  html_text(b, message);
  html_raw(b, "</p><a class=\"button\" href=\"/\">Back to the shop</a>"
              "</section>\n");
  page_end(r, b);
}

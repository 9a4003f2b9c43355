/*
 * pages.c — the business service's HTML (see pages.h).
 */
#include "business/pages.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffer ---- */

static void reserve(page_buf_t *b, size_t more) {
  if (b->failed)
    return;
  if (b->len + more + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + more + 1)
    cap *= 2;
  char *d = realloc(b->data, cap);
  if (!d) {
    b->failed = 1;
    return;
  }
  b->data = d;
  b->cap = cap;
}

static void append(page_buf_t *b, const char *s, size_t n) {
  reserve(b, n);
  if (b->failed)
    return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void page_raw(page_buf_t *b, const char *s) {
  if (s)
    append(b, s, strlen(s));
}

void page_text(page_buf_t *b, const char *s) {
  if (!s)
    return;
  const char *run = s;
  for (; *s; s++) {
    const char *ent = NULL;
    switch (*s) {
    case '&': ent = "&amp;"; break;
    case '<': ent = "&lt;"; break;
    case '>': ent = "&gt;"; break;
    case '"': ent = "&quot;"; break;
    case '\'': ent = "&#39;"; break;
    default: continue;
    }
    append(b, run, (size_t)(s - run));
    page_raw(b, ent);
    run = s + 1;
  }
  append(b, run, (size_t)(s - run));
}

void page_printf(page_buf_t *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp) {
    b->failed = 1;
    return;
  }
  append(b, tmp, (size_t)n);
}

char *page_take(page_buf_t *b, size_t *len) {
  char *d = b->failed ? NULL : b->data;
  if (b->failed)
    free(b->data);
  if (d && len)
    *len = b->len;
  if (!d && !b->failed && (d = strdup("")) && len)
    *len = 0;
  memset(b, 0, sizeof *b);
  return d;
}

/* ---- layout ---- */

static const char style[] =
    "<style>"
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',"
    "Roboto,sans-serif;background:#f4f5f7;color:#1f2933}"
    "header{background:#111827;color:#fff;padding:14px 24px}"
    "header a{color:#fff;text-decoration:none;font-weight:600}"
    "header span{opacity:.7;margin-left:12px;font-size:14px}"
    "main{max-width:720px;margin:32px auto;padding:0 16px}"
    ".card{background:#fff;border-radius:10px;padding:28px;"
    "box-shadow:0 1px 3px rgba(0,0,0,.08)}"
    "h1{font-size:26px;margin:0 0 6px}p.lead{margin:0 0 22px;color:#52606d}"
    "label{display:block;font-weight:600;margin:16px 0 6px}"
    "input[type=text],input[type=email],textarea,select{width:100%;"
    "box-sizing:border-box;padding:10px 12px;border:1px solid #cbd2d9;"
    "border-radius:6px;font:inherit;background:#fff}"
    "textarea{min-height:110px}"
    ".row{display:flex;gap:12px}.row>div{flex:1}"
    ".cats{display:flex;flex-wrap:wrap;gap:8px 18px}"
    ".cats label{font-weight:400;margin:0}"
    ".hint{font-size:13px;color:#7b8794;margin-top:4px}"
    "button{margin-top:24px;background:#2563eb;color:#fff;border:0;"
    "border-radius:6px;padding:12px 22px;font:inherit;font-weight:600;"
    "cursor:pointer}button:hover{background:#1d4ed8}"
    ".err{background:#fdecea;border:1px solid #f5c2c0;color:#8a1c14;"
    "border-radius:6px;padding:12px 14px;margin-bottom:18px}"
    ".ok{background:#e8f5e9;border:1px solid #b7dfb9;color:#1b5e20;"
    "border-radius:6px;padding:12px 14px;margin-bottom:18px}"
    ".bad{border-color:#d64545!important}"
    "dl{display:grid;grid-template-columns:160px 1fr;gap:6px 12px;margin:0}"
    "dt{color:#7b8794}dd{margin:0;overflow-wrap:anywhere}"
    "img.pic{max-width:220px;max-height:220px;border-radius:8px;"
    "border:1px solid #e4e7eb;float:right;margin:0 0 12px 16px}"
    ".state{display:inline-block;padding:2px 10px;border-radius:12px;"
    "font-size:13px;background:#e4e7eb}"
    ".state.listed{background:#c6f6d5}.state.verification_failed,"
    ".state.catalog_failed{background:#fed7d7}"
    "</style>";

static void head(page_buf_t *b, const char *title) {
  page_raw(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width, "
              "initial-scale=1\"><title>");
  page_text(b, title);
  page_raw(b, " — Online Boutique for business</title>");
  page_raw(b, style);
  page_raw(b, "</head><body><header><a href=\"/\">Online Boutique</a>"
              "<span>for business</span></header><main><div class=\"card\">");
}

static void foot(page_buf_t *b) {
  page_raw(b, "</div></main></body></html>\n");
}

static void size_text(char *buf, size_t n, size_t bytes) {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
    snprintf(buf, n, "%zu MiB", bytes / (1024 * 1024));
  else if (bytes >= 1024 && bytes % 1024 == 0)
    snprintf(buf, n, "%zu KiB", bytes / 1024);
  else
    snprintf(buf, n, "%zu bytes", bytes);
}

/* ---- the form ---- */

static int field_bad(const listing_error_t *err, const char *field) {
  return err && err->field && strcmp(err->field, field) == 0;
}

static void input(page_buf_t *b, const char *type, const char *name,
                  const char *label, const char *value, const char *extra,
                  const listing_error_t *err) {
  page_printf(b, "<label for=\"%s\">%s</label>", name, label);
  page_printf(b, "<input type=\"%s\" id=\"%s\" name=\"%s\"%s%s value=\"",
              type, name, name, extra ? extra : "",
              field_bad(err, name) ? " class=\"bad\"" : "");
  page_text(b, value);
  page_raw(b, "\">");
}

char *page_form(const listing_input_t *in, const listing_error_t *err,
                const char *listing_id, size_t picture_max, size_t *len) {
  page_buf_t b = {0};
  listing_input_t none = {0};
  if (!in)
    in = &none;
  head(&b, "Sell your product");
  page_raw(&b, "<h1>Sell your product</h1><p class=\"lead\">List it in the "
               "Online Boutique. We e-mail you to verify the listing, then "
               "shoppers can find, buy and get it recommended.</p>");
  if (err && err->message[0]) {
    page_raw(&b, "<div class=\"err\" role=\"alert\">");
    page_text(&b, err->message);
    page_raw(&b, "</div>");
  }
  page_raw(&b, "<form method=\"post\" action=\"/business\" "
               "enctype=\"multipart/form-data\">");
  page_raw(&b, "<input type=\"hidden\" name=\"listing_id\" value=\"");
  page_text(&b, listing_id);
  page_raw(&b, "\">");
  input(&b, "email", "seller_email", "Your e-mail", in->seller_email,
        " required maxlength=\"254\" autocomplete=\"email\"", err);
  input(&b, "text", "product_name", "Product name", in->product_name,
        " required maxlength=\"100\"", err);
  page_printf(&b, "<label for=\"description\">Description</label>"
                  "<textarea id=\"description\" name=\"description\" "
                  "maxlength=\"2000\"%s>",
              field_bad(err, "description") ? " class=\"bad\"" : "");
  page_text(&b, in->description);
  page_raw(&b, "</textarea>");

  /* Categories: checkboxes, ticked again after a refusal. */
  unsigned ticked = 0;
  for (size_t i = 0; i < in->n_categories; i++) {
    char bad[48];
    if (in->categories[i])
      listing_categories_parse(in->categories[i], &ticked, bad, sizeof bad);
  }
  page_printf(&b, "<label>Categories</label><div class=\"cats%s\">",
              field_bad(err, "categories") ? " bad" : "");
  for (size_t i = 0; i < listing_n_categories; i++)
    page_printf(&b,
                "<label><input type=\"checkbox\" name=\"categories\" "
                "value=\"%s\"%s> %s</label>",
                listing_categories[i], ticked & (1u << i) ? " checked" : "",
                listing_categories[i]);
  page_raw(&b, "</div>");

  page_raw(&b, "<div class=\"row\"><div>");
  input(&b, "text", "price", "Price", in->price,
        " required inputmode=\"decimal\" pattern=\"[0-9]+([.][0-9]{1,2})?\" "
        "placeholder=\"12.50\"",
        err);
  page_printf(&b, "</div><div><label for=\"currency\">Currency</label>"
                  "<select id=\"currency\" name=\"currency\"%s>",
              field_bad(err, "currency") ? " class=\"bad\"" : "");
  const char *cur = in->currency && *in->currency ? in->currency : "USD";
  for (size_t i = 0; i < listing_n_currencies; i++)
    page_printf(&b, "<option%s>%s</option>",
                strcmp(cur, listing_currencies[i]) == 0 ? " selected" : "",
                listing_currencies[i]);
  page_raw(&b, "</select></div></div>");

  char max[32];
  size_text(max, sizeof max, picture_max);
  page_printf(&b,
              "<label for=\"picture\">Picture</label><input type=\"file\" "
              "id=\"picture\" name=\"picture\" accept=\"image/jpeg,image/png,"
              "image/gif,image/webp,image/svg+xml\"%s>"
              "<div class=\"hint\">JPEG, PNG, GIF, WebP or SVG, at most %s."
              "</div>",
              field_bad(err, "picture") ? " class=\"bad\"" : "", max);
  page_raw(&b, "<button type=\"submit\">Submit for verification</button>"
               "</form>");
  foot(&b);
  return page_take(&b, len);
}

/* ---- a listing ---- */

static void listing_details(page_buf_t *b, const listing_t *l,
                            const char *picture_url) {
  char amount[48], cats[160];
  if (picture_url) {
    page_raw(b, "<img class=\"pic\" alt=\"\" src=\"");
    page_text(b, picture_url);
    page_raw(b, "\">");
  }
  page_raw(b, "<dl><dt>Product</dt><dd>");
  page_text(b, l->product_name);
  page_raw(b, "</dd><dt>Description</dt><dd>");
  page_text(b, *l->description ? l->description : "—");
  page_raw(b, "</dd><dt>Categories</dt><dd>");
  page_text(b, listing_categories_join(l->categories, ", ", cats, sizeof cats));
  page_raw(b, "</dd><dt>Price</dt><dd>");
  page_printf(b, "%s %s",
              listing_format_amount(l->units, l->nanos, amount, sizeof amount),
              l->currency);
  if (l->has_usd && strcmp(l->currency, "USD") != 0)
    page_printf(b, " (%s USD)",
                listing_format_amount(l->usd_units, l->usd_nanos, amount,
                                      sizeof amount));
  page_raw(b, "</dd><dt>Seller</dt><dd>");
  page_text(b, l->seller_email);
  page_printf(b, "</dd><dt>Listing</dt><dd><code>%s</code></dd>", l->id);
  page_printf(b, "<dt>Status</dt><dd><span class=\"state %s\">%s</span>",
              listing_state_name(l->state), listing_state_text(l->state));
  if (l->error && *l->error) {
    page_raw(b, "<br><small>");
    page_text(b, l->error);
    page_raw(b, "</small>");
  }
  page_raw(b, "</dd></dl>");
  if (l->state != LISTING_LISTED)
    page_printf(b,
                "<form method=\"post\" action=\"/business/listings/%s/retry\">"
                "<button type=\"submit\">Try again</button></form>",
                l->id);
}

char *page_listing(const listing_t *l, const char *picture_url, size_t *len) {
  page_buf_t b = {0};
  head(&b, l->product_name);
  if (l->state == LISTING_LISTED) {
    page_raw(&b, "<h1>Your product is listed</h1><div class=\"ok\">We sent a "
                 "verification e-mail to ");
    page_text(&b, l->seller_email);
    page_printf(&b, " and added the product to the shop: "
                    "<a href=\"/product/%s\">see it in the Online Boutique</a>"
                    ".</div>",
                l->catalog_id);
  } else {
    page_raw(&b, "<h1>");
    page_text(&b, l->product_name);
    page_raw(&b, "</h1>");
  }
  listing_details(&b, l, picture_url);
  page_raw(&b, "<p style=\"clear:both;margin-top:24px\">"
               "<a href=\"/business\">Sell another product</a></p>");
  foot(&b);
  return page_take(&b, len);
}

char *page_error(const char *title, const char *message, const listing_t *l,
                 size_t *len) {
  page_buf_t b = {0};
  head(&b, title);
  page_raw(&b, "<h1>");
  page_text(&b, title);
  page_raw(&b, "</h1><div class=\"err\" role=\"alert\">");
  page_text(&b, message);
  page_raw(&b, "</div>");
  if (l) {
    page_raw(&b, "<p>Your listing is saved; nothing is lost. You can try "
                 "again now or later.</p>");
    char url[80];
    snprintf(url, sizeof url, "/business/pictures/%s", l->id);
    listing_details(&b, l, url);
  }
  page_raw(&b, "<p style=\"clear:both;margin-top:24px\">"
               "<a href=\"/business\">Back to the form</a></p>");
  foot(&b);
  return page_take(&b, len);
}

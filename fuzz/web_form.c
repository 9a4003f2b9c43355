/*
 * web_form.c — fuzz target for the web helpers in services/common/.
 *
 * The input is parsed as an urlencoded form (default and tight limits),
 * every field is looked up again and HTML-escaped, the input is read as a
 * Cookie header (every pair iterated, a lookup) and offered to the
 * Set-Cookie builder as name and value. Checked: no crash or sanitizer
 * report; the escaped text contains no raw markup characters; a built
 * Set-Cookie line has no CR, LF or NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cookie.h"
#include "common/form.h"
#include "common/html.h"

static void check_escaped(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] == '<' || s[i] == '>' || s[i] == '"' || s[i] == '\'')
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  static const form_limits_t tight = {4, 8, 16};
  form_t f;
  for (int pass = 0; pass < 2; pass++) {
    if (form_parse(&f, s, size, pass ? &tight : NULL) != 0)
      continue;
    html_buf_t b;
    html_init(&b);
    for (size_t i = 0; i < f.n_fields; i++) {
      if (form_get(&f, f.fields[i].name) == NULL)
        abort();
      html_text(&b, f.fields[i].name);
      html_text(&b, f.fields[i].value);
      html_url_component(&b, f.fields[i].value);
    }
    size_t n;
    char *out = html_take(&b, &n);
    if (!out || strlen(out) != n)
      abort();
    check_escaped(out, n);
    free(out);
    form_free(&f);
  }

  /* Cookies want a NUL-terminated header. */
  char *h = malloc(size + 1);
  if (!h)
    return 0;
  memcpy(h, data, size);
  h[size] = '\0';
  cookie_iter_t it;
  const char *name, *value;
  size_t nl, vl, count = 0;
  cookie_iter_init(&it, h);
  while (cookie_next(&it, &name, &nl, &value, &vl)) {
    if (nl == 0 || name + nl > h + size || value + vl > h + size)
      abort();
    count++;
  }
  const char *v;
  size_t len;
  cookie_find(h, "shop_session-id", &v, &len);
  /* Name and value for the builder: the input split at its first byte 0
   * or at the middle. */
  size_t cut = strlen(h) < size ? strlen(h) : size / 2;
  char *nm = strndup(h, cut);
  const char *val = cut < size ? h + cut + (h[cut] == '\0') : "";
  if (nm) {
    char out[512];
    cookie_attrs_t a = {1, (int64_t)count - 1, val, NULL, 1, 1,
                        (cookie_same_site_t)(count % 4)};
    int r = cookie_build(out, sizeof out, nm, val, &a);
    if (r >= 0 && (strlen(out) != (size_t)r || strpbrk(out, "\r\n")))
      abort();
    free(nm);
  }
  free(h);
  return 0;
}

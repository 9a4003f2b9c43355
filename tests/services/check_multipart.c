/*
 * check_multipart.c — services/common/multipart.c: the boundary from a
 * Content-Type, well-formed bodies (preamble, epilogue, binary content,
 * repeated fields, files), and every error with where it happened.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/multipart.h"

static int run(Suite *s) {
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int parse(const char *body, size_t len, const multipart_limits_t *lim,
                 multipart_t *mp, multipart_error_t *err) {
  return multipart_parse((const uint8_t *)body, len, "XyZ", lim, mp, err);
}
#define PARSE(body, lim, mp, err) parse((body), sizeof(body) - 1, (lim), (mp), (err))

START_TEST(test_boundary) {
  char b[MULTIPART_MAX_BOUNDARY + 1];
  ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=abc", b), 0);
  ck_assert_str_eq(b, "abc");
  ck_assert_int_eq(
      multipart_boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b:c\"", b), 0);
  ck_assert_str_eq(b, "a b:c");
  ck_assert_int_eq(multipart_boundary(
                       "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", b),
                   0);
  ck_assert_str_eq(b, "----WebKitFormBoundary7MA4YWxkTrZu0gW");
  ck_assert_int_eq(multipart_boundary("application/json", b), MULTIPART_ENOT_MULTIPART);
  ck_assert_int_eq(multipart_boundary("multipart/form-dataX; boundary=a", b),
                   MULTIPART_ENOT_MULTIPART);
  ck_assert_int_eq(multipart_boundary(NULL, b), MULTIPART_ENOT_MULTIPART);
  ck_assert_int_eq(multipart_boundary("multipart/form-data", b), MULTIPART_ENO_BOUNDARY);
  ck_assert_int_eq(multipart_boundary("multipart/form-data; charset=x", b),
                   MULTIPART_ENO_BOUNDARY);
  ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=\"\"", b),
                   MULTIPART_EBAD_BOUNDARY);
  ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=\"a<b\"", b),
                   MULTIPART_EBAD_BOUNDARY);
  ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=\"ab \"", b),
                   MULTIPART_EBAD_BOUNDARY);
  char longer[200];
  snprintf(longer, sizeof longer, "multipart/form-data; boundary=%071d", 0);
  ck_assert_int_eq(multipart_boundary(longer, b), MULTIPART_EBAD_BOUNDARY);
  snprintf(longer, sizeof longer, "multipart/form-data; boundary=%070d", 0);
  ck_assert_int_eq(multipart_boundary(longer, b), 0);
}
END_TEST

static const char good[] =
    "preamble to ignore\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"seller_email\"\r\n"
    "\r\n"
    "a@b.example\r\n"
    "--XyZ  \r\n"
    "content-disposition: FORM-DATA; name=categories\r\n"
    "\r\n"
    "home\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"categories\"\r\n"
    "\r\n"
    "\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"picture\"; filename=\"a \\\"b\\\".png\"\r\n"
    "Content-Type: image/png\r\n"
    "X-Other: ignored\r\n"
    "\r\n"
    "\x89PNG\r\n\x1a\n\0\r\n--XyZnot-a-delimiter-inside-a-line?\r\n"
    "--XyZ--\r\n"
    "epilogue, ignored too";

START_TEST(test_parse) {
  multipart_t mp;
  multipart_error_t err;
  /* "--XyZnot..." inside content: a delimiter followed by junk. */
  ck_assert_int_eq(PARSE(good, NULL, &mp, &err), MULTIPART_EBAD_DELIMITER);
  ck_assert_uint_eq(err.part, 4);

  static const char ok[] =
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"seller_email\"\r\n"
      "\r\n"
      "a@b.example\r\n"
      "--XyZ  \r\n"
      "content-disposition: FORM-DATA; name=categories\r\n"
      "\r\n"
      "home\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"categories\"\r\n"
      "\r\n"
      "\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"picture\"; filename=\"a \\\"b\\\".png\"\r\n"
      "Content-Type: image/png\r\n"
      "X-Other: ignored\r\n"
      "\r\n"
      "\x89PNG\r\n\x1a\n\0\r\n-XyZ\r\n"
      "--XyZ--\r\n"
      "epilogue";
  ck_assert_int_eq(PARSE(ok, NULL, &mp, &err), 0);
  ck_assert_uint_eq(mp.n_parts, 4);
  ck_assert_str_eq(mp.parts[0].name, "seller_email");
  ck_assert_ptr_null(mp.parts[0].filename);
  ck_assert_ptr_null(mp.parts[0].content_type);
  ck_assert_uint_eq(mp.parts[0].len, 11);
  ck_assert_int_eq(memcmp(mp.parts[0].data, "a@b.example", 11), 0);
  ck_assert_str_eq(mp.parts[1].name, "categories");
  ck_assert_uint_eq(mp.parts[2].len, 0);
  ck_assert_str_eq(mp.parts[3].filename, "a \"b\".png");
  ck_assert_str_eq(mp.parts[3].content_type, "image/png");
  ck_assert_uint_eq(mp.parts[3].len, 15);
  ck_assert_int_eq(memcmp(mp.parts[3].data, "\x89PNG\r\n\x1a\n\0\r\n-XyZ", 15), 0);

  size_t i = 0;
  const multipart_part_t *p;
  int n = 0;
  for (; (p = multipart_find(&mp, "categories", &i)); i++)
    n++;
  ck_assert_int_eq(n, 2);
  ck_assert_ptr_eq(multipart_find(&mp, "picture", NULL), &mp.parts[3]);
  ck_assert_ptr_null(multipart_find(&mp, "nope", NULL));
  multipart_free(&mp);
  multipart_free(&mp); /* harmless twice */

  /* A preamble, and a part without headers is refused (no name). */
  static const char pre[] = "junk\r\n--XyZ\r\nContent-Disposition: form-data; "
                            "name=a\r\n\r\nx\r\n--XyZ--";
  ck_assert_int_eq(PARSE(pre, NULL, &mp, &err), 0);
  ck_assert_uint_eq(mp.n_parts, 1);
  multipart_free(&mp);
  static const char nohdr[] = "--XyZ\r\n\r\nx\r\n--XyZ--";
  ck_assert_int_eq(PARSE(nohdr, NULL, &mp, &err), MULTIPART_ENO_DISPOSITION);
  /* No parts at all. */
  static const char empty[] = "--XyZ--\r\n";
  ck_assert_int_eq(PARSE(empty, NULL, &mp, &err), 0);
  ck_assert_uint_eq(mp.n_parts, 0);
  multipart_free(&mp);
}
END_TEST

START_TEST(test_errors) {
  multipart_t mp;
  multipart_error_t err;
  char msg[200];
  ck_assert_int_eq(PARSE("no delimiter here", NULL, &mp, &err),
                   MULTIPART_ENO_FIRST_DELIMITER);
  ck_assert_int_eq(parse("", 0, NULL, &mp, &err), MULTIPART_ENO_FIRST_DELIMITER);
  ck_assert_int_eq(PARSE("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx",
                         NULL, &mp, &err),
                   MULTIPART_ETRUNCATED);
  ck_assert_str_eq(err.name, "a");
  ck_assert_int_eq(PARSE("--XyZ", NULL, &mp, &err), MULTIPART_ETRUNCATED);
  ck_assert_int_eq(PARSE("--XyZ\r\nContent-Disposition: form-data; name=a", NULL,
                         &mp, &err),
                   MULTIPART_ETRUNCATED);
  ck_assert_int_eq(PARSE("--XyZx\r\n", NULL, &mp, &err), MULTIPART_EBAD_DELIMITER);
  ck_assert_int_eq(PARSE("--XyZ\r\nContent-Disposition form-data\r\n\r\nx\r\n--XyZ--",
                         NULL, &mp, &err),
                   MULTIPART_EBAD_HEADER);
  ck_assert_int_eq(PARSE("--XyZ\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\n"
                         "x\r\n--XyZ--",
                         NULL, &mp, &err),
                   MULTIPART_EBAD_HEADER); /* folding */
  ck_assert_int_eq(PARSE("--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\n"
                         "x\r\n--XyZ--",
                         NULL, &mp, &err),
                   MULTIPART_EBAD_HEADER); /* unterminated quote */
  ck_assert_int_eq(PARSE("--XyZ\r\nContent-Disposition: form-data; name=a; name=b\r\n"
                         "\r\nx\r\n--XyZ--",
                         NULL, &mp, &err),
                   MULTIPART_EBAD_HEADER);
  ck_assert_int_eq(PARSE("--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\n"
                         "x\r\n--XyZ--",
                         NULL, &mp, &err),
                   MULTIPART_ENO_DISPOSITION);
  ck_assert_int_eq(PARSE("--XyZ\r\nContent-Disposition: form-data; filename=a\r\n\r\n"
                         "x\r\n--XyZ--",
                         NULL, &mp, &err),
                   MULTIPART_ENO_DISPOSITION);
  ck_assert_int_eq(PARSE("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--", NULL,
                         &mp, &err),
                   MULTIPART_ENO_DISPOSITION);
  ck_assert_int_eq(PARSE("--XyZ\r\nContent-Disposition: form-data; name=\"a\\\0\"\r\n"
                         "\r\nx\r\n--XyZ--",
                         NULL, &mp, &err),
                   MULTIPART_EBAD_HEADER);

  /* Limits, each named in the message. */
  static const char three[] =
      "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n12345\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\n1\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=f; filename=x\r\n\r\n"
      "123456789\r\n--XyZ--";
  multipart_limits_t lim = {2, 0, 0, 0};
  ck_assert_int_eq(PARSE(three, &lim, &mp, &err), MULTIPART_ETOO_MANY_PARTS);
  ck_assert_str_eq(multipart_error_format(&err, msg, sizeof msg),
                   "part 3: too many parts (limit 2)");
  lim = (multipart_limits_t){0, 0, 4, 0};
  ck_assert_int_eq(PARSE(three, &lim, &mp, &err), MULTIPART_EFIELD_TOO_LARGE);
  ck_assert_str_eq(multipart_error_format(&err, msg, sizeof msg),
                   "part 1 (\"a\"): a field is too large (limit 4 bytes)");
  lim = (multipart_limits_t){0, 0, 0, 8};
  ck_assert_int_eq(PARSE(three, &lim, &mp, &err), MULTIPART_EFILE_TOO_LARGE);
  ck_assert_str_eq(err.name, "f");
  ck_assert_uint_eq(err.part, 2);
  ck_assert_uint_eq(err.limit, 8);
  lim = (multipart_limits_t){0, 0, 0, 9};
  ck_assert_int_eq(PARSE(three, &lim, &mp, &err), 0);
  multipart_free(&mp);
  lim = (multipart_limits_t){0, 30, 0, 0};
  ck_assert_int_eq(PARSE(three, &lim, &mp, &err), MULTIPART_EHEADER_TOO_LARGE);

  ck_assert_str_eq(multipart_strerror(MULTIPART_ETRUNCATED),
                   "the body ends before the closing boundary");
  ck_assert_str_eq(multipart_err_name(MULTIPART_EFILE_TOO_LARGE), "FILE_TOO_LARGE");
  ck_assert_str_eq(multipart_err_name(-99), "UNKNOWN");
  ck_assert_str_eq(multipart_strerror(-99), "unknown error");
  ck_assert_int_eq(multipart_parse((const uint8_t *)"x", 1, "", NULL, &mp, &err),
                   MULTIPART_EBAD_BOUNDARY);
}
END_TEST

int main(void) {
  Suite *s = suite_create("multipart");
  TCase *tc = tcase_create("multipart");
  tcase_add_test(tc, test_boundary);
  tcase_add_test(tc, test_parse);
  tcase_add_test(tc, test_errors);
  suite_add_tcase(s, tc);
  return run(s);
}

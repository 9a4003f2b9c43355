/*
 * check_grpc.c — unit tests of the I/O-free gRPC core (services/live/grpc.c)
 * and the JSON log format (jsonlog.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "grpc.h"
#include "jsonlog.h"

/* Frames |n| messages of the given lengths (contents: index pattern). */
static uint8_t *make_stream(const uint32_t *lens, size_t n, size_t *total) {
  size_t t = 0;
  for (size_t i = 0; i < n; i++)
    t += GRPC_PREFIX_LEN + lens[i];
  uint8_t *b = malloc(t ? t : 1);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    grpc_frame_prefix(b + o, (int)(i & 1), lens[i]);
    o += GRPC_PREFIX_LEN;
    for (uint32_t k = 0; k < lens[i]; k++)
      b[o++] = (uint8_t)(i * 31 + k);
  }
  *total = t;
  return b;
}

START_TEST(test_decoder_chunks) {
  static const uint32_t lens[] = {0, 1, 5, 300, 70000, 2};
  const size_t n = sizeof lens / sizeof *lens;
  size_t total;
  uint8_t *stream = make_stream(lens, n, &total);
  /* Every chunk size from 1 to 17, and one whole-buffer pass. */
  for (size_t chunk = 1; chunk <= 18; chunk++) {
    size_t step = chunk == 18 ? total : chunk;
    grpc_decoder_t d;
    grpc_decoder_init(&d, RT_MAX_MESSAGE);
    size_t got = 0, off = 0;
    while (off < total) {
      size_t len = total - off < step ? total - off : step;
      const uint8_t *p = stream + off;
      while (len) {
        grpc_msg_t m;
        ssize_t k = grpc_decoder_feed(&d, p, len, &m);
        ck_assert_int_ge(k, 0);
        p += k;
        len -= (size_t)k;
        off += (size_t)k;
        if (m.data) {
          ck_assert_uint_lt(got, n);
          ck_assert_uint_eq(m.len, lens[got]);
          ck_assert_int_eq(m.compressed, (int)(got & 1));
          for (uint32_t i = 0; i < m.len; i++)
            ck_assert_uint_eq(m.data[i], (uint8_t)(got * 31 + i));
          free(m.data);
          got++;
        }
      }
    }
    ck_assert_uint_eq(got, n);
    ck_assert(!grpc_decoder_partial(&d));
    grpc_decoder_free(&d);
  }
  free(stream);
}
END_TEST

START_TEST(test_decoder_limits) {
  grpc_decoder_t d;
  grpc_msg_t m;
  uint8_t hdr[GRPC_PREFIX_LEN];
  /* Exactly the limit is fine (header only: no allocation of body needed
   * to be filled here, just accepted). */
  grpc_decoder_init(&d, 16);
  grpc_frame_prefix(hdr, 0, 16);
  ck_assert_int_eq(grpc_decoder_feed(&d, hdr, 5, &m), 5);
  ck_assert_ptr_null(m.data);
  ck_assert(grpc_decoder_partial(&d));
  grpc_decoder_free(&d);
  /* One more is rejected before any allocation. */
  grpc_decoder_init(&d, 16);
  grpc_frame_prefix(hdr, 0, 17);
  ck_assert_int_eq(grpc_decoder_feed(&d, hdr, 5, &m), GRPC_ERR_TOO_LARGE);
  grpc_decoder_free(&d);
  /* 4 GiB - 1 against the real limit. */
  grpc_decoder_init(&d, RT_MAX_MESSAGE);
  grpc_frame_prefix(hdr, 0, 0xffffffffu);
  ck_assert_int_eq(grpc_decoder_feed(&d, hdr, 5, &m), GRPC_ERR_TOO_LARGE);
  grpc_decoder_free(&d);
  grpc_decoder_init(&d, RT_MAX_MESSAGE);
  grpc_frame_prefix(hdr, 0, RT_MAX_MESSAGE + 1);
  ck_assert_int_eq(grpc_decoder_feed(&d, hdr, 5, &m), GRPC_ERR_TOO_LARGE);
  grpc_decoder_free(&d);
  /* Bad flags byte. */
  grpc_decoder_init(&d, 16);
  hdr[0] = 2;
  ck_assert_int_eq(grpc_decoder_feed(&d, hdr, 5, &m), GRPC_ERR_BAD_FLAG);
  grpc_decoder_free(&d);
  /* Truncated stream: partial after 3 bytes. */
  grpc_decoder_init(&d, 16);
  grpc_frame_prefix(hdr, 0, 1);
  ck_assert_int_eq(grpc_decoder_feed(&d, hdr, 3, &m), 3);
  ck_assert(grpc_decoder_partial(&d));
  grpc_decoder_free(&d);
  ck_assert_str_eq(grpc_strerror(GRPC_ERR_TOO_LARGE),
                   "message larger than the limit");
}
END_TEST

START_TEST(test_timeout_parse) {
  static const struct {
    const char *s;
    rt_time_t ns;
  } ok[] = {
      {"1n", 1},
      {"1u", RT_USEC},
      {"250m", 250 * RT_MSEC},
      {"30S", 30 * RT_SEC},
      {"2M", 120 * RT_SEC},
      {"1H", 3600 * RT_SEC},
      {"99999999n", 99999999},
      {"00000001S", RT_SEC},
      {"99999999H", RT_TIME_INFINITE - 1}, /* saturates */
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    rt_time_t v = -1;
    ck_assert_msg(grpc_timeout_parse(ok[i].s, strlen(ok[i].s), &v) == 0, "%s",
                  ok[i].s);
    ck_assert_int_eq(v, ok[i].ns);
  }
  static const char *bad[] = {"",    "S",   "1",   "1s",  "123456789S",
                              "-1S", "1.5S", " 1S", "1S ", "1x", "abS"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    rt_time_t v;
    ck_assert_msg(grpc_timeout_parse(bad[i], strlen(bad[i]), &v) ==
                      GRPC_ERR_BAD_TIMEOUT,
                  "'%s'", bad[i]);
  }
}
END_TEST

START_TEST(test_timeout_format) {
  char buf[16];
  ck_assert_uint_eq(grpc_timeout_format(0, buf), 2);
  ck_assert_str_eq(buf, "1n");
  grpc_timeout_format(-5, buf);
  ck_assert_str_eq(buf, "1n");
  grpc_timeout_format(99999999, buf);
  ck_assert_str_eq(buf, "99999999n");
  grpc_timeout_format(100000000, buf); /* 0.1 s: too many ns digits */
  ck_assert_str_eq(buf, "100000u");
  grpc_timeout_format(100000001, buf); /* rounds up, never down */
  ck_assert_str_eq(buf, "100001u");
  grpc_timeout_format(5 * RT_SEC, buf);
  ck_assert_str_eq(buf, "5000000u");
  grpc_timeout_format(RT_TIME_INFINITE, buf);
  ck_assert_uint_le(strlen(buf), 9);
  /* Round trip: formatted >= original, and close. */
  rt_time_t samples[] = {1,           999,        1000,        123456789,
                         RT_SEC,      3 * RT_SEC + 1, 100000 * RT_SEC,
                         86400 * RT_SEC * 365, RT_TIME_INFINITE / 2};
  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
    size_t n = grpc_timeout_format(samples[i], buf);
    ck_assert_uint_le(n, 9);
    rt_time_t back;
    ck_assert_int_eq(grpc_timeout_parse(buf, n, &back), 0);
    ck_assert_int_ge(back, samples[i]);
    /* Less than one unit of rounding; a coarser unit is only chosen when
     * the value has more than 5 digits in it: relative error < 1e-5. */
    ck_assert_int_le(back - samples[i], samples[i] / 100000 + 1);
  }
}
END_TEST

START_TEST(test_pct) {
  const char in[] = "a b%c\n\x01\x7f\xc3\xa9~";
  size_t n;
  char *e = grpc_pct_encode(in, sizeof in - 1, &n);
  ck_assert_str_eq(e, "a b%25c%0A%01%7F%C3%A9~");
  ck_assert_uint_eq(n, strlen(e));
  char *d = grpc_pct_decode(e, n, &n);
  ck_assert_uint_eq(n, sizeof in - 1);
  ck_assert_mem_eq(d, in, n);
  free(e);
  free(d);
  /* Invalid sequences are kept as they are. */
  d = grpc_pct_decode("%zz%4%%41%", 10, &n);
  ck_assert_str_eq(d, "%zz%4%A%");
  free(d);
  d = grpc_pct_decode("%4", 2, NULL);
  ck_assert_str_eq(d, "%4");
  free(d);
  d = grpc_pct_decode("%e9", 3, &n);
  ck_assert_uint_eq(n, 1);
  ck_assert_uint_eq((unsigned char)d[0], 0xe9);
  free(d);
  /* Every byte value round-trips. */
  char all[256];
  for (int i = 0; i < 256; i++)
    all[i] = (char)i;
  e = grpc_pct_encode(all, 256, &n);
  for (size_t i = 0; i < n; i++)
    ck_assert(e[i] >= 0x20 && e[i] <= 0x7e);
  d = grpc_pct_decode(e, n, &n);
  ck_assert_uint_eq(n, 256);
  ck_assert_mem_eq(d, all, 256);
  free(e);
  free(d);
}
END_TEST

START_TEST(test_headers) {
#define CT(s) grpc_content_type_ok(s, strlen(s))
  ck_assert(CT("application/grpc"));
  ck_assert(CT("application/grpc+proto"));
  ck_assert(CT("application/grpc; charset=utf-8"));
  ck_assert(CT("Application/GRPC"));
  ck_assert(!CT("application/grpc+json"));
  ck_assert(!CT("application/grpcx"));
  ck_assert(!CT("application/json"));
  ck_assert(!CT(""));
  ck_assert(!CT("application/grp"));
#undef CT
  ck_assert_int_eq(grpc_status_from_http(400), RT_INTERNAL);
  ck_assert_int_eq(grpc_status_from_http(401), RT_UNAUTHENTICATED);
  ck_assert_int_eq(grpc_status_from_http(403), RT_PERMISSION_DENIED);
  ck_assert_int_eq(grpc_status_from_http(404), RT_UNIMPLEMENTED);
  ck_assert_int_eq(grpc_status_from_http(429), RT_UNAVAILABLE);
  ck_assert_int_eq(grpc_status_from_http(502), RT_UNAVAILABLE);
  ck_assert_int_eq(grpc_status_from_http(503), RT_UNAVAILABLE);
  ck_assert_int_eq(grpc_status_from_http(504), RT_UNAVAILABLE);
  ck_assert_int_eq(grpc_status_from_http(500), RT_UNKNOWN);
  ck_assert_int_eq(grpc_status_parse("0", 1), 0);
  ck_assert_int_eq(grpc_status_parse("14", 2), 14);
  ck_assert_int_eq(grpc_status_parse("", 0), -1);
  ck_assert_int_eq(grpc_status_parse("1a", 2), -1);
  ck_assert_int_eq(grpc_status_parse("123", 3), -1);

  size_t sl, ml;
  const char *m;
  const char *p = "/hipstershop.CurrencyService/Convert";
  ck_assert_int_eq(grpc_path_split(p, strlen(p), &sl, &m, &ml), 0);
  ck_assert_uint_eq(sl, strlen("hipstershop.CurrencyService"));
  ck_assert_uint_eq(ml, 7);
  ck_assert(memcmp(m, "Convert", 7) == 0);
  static const char *bad[] = {"", "/", "//", "/a/", "//b", "a/b", "/a/b/c",
                              "/ab"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    ck_assert_msg(grpc_path_split(bad[i], strlen(bad[i]), &sl, &m, &ml) == -1,
                  "%s", bad[i]);
}
END_TEST

START_TEST(test_jsonlog) {
  const char *fields[] = {"k\"ey", "v\\al\n\x01", "utf8", "\xc3\xa9\xff", NULL};
  size_t len;
  /* 2026-11-25T16:50:00.123Z */
  rt_time_t t = (rt_time_t)1795625400 * RT_SEC + 123 * RT_MSEC;
  char *line = jsonlog_format(t, RT_WARNING, "svc", "hello \"world\"", fields,
                              &len);
  ck_assert_str_eq(line,
                   "{\"time\":\"2026-11-25T16:50:00.123Z\",\"severity\":"
                   "\"warning\",\"service\":\"svc\",\"message\":\"hello "
                   "\\\"world\\\"\",\"k\\\"ey\":\"v\\\\al\\n\\u0001\","
                   "\"utf8\":\"\xc3\xa9\\ufffd\"}\n");
  ck_assert_uint_eq(len, strlen(line));
  free(line);
  rt_severity_t s;
  ck_assert_int_eq(jsonlog_parse_level("DEBUG", &s), 0);
  ck_assert_int_eq(s, RT_DEBUG);
  ck_assert_int_eq(jsonlog_parse_level("warning", &s), 0);
  ck_assert_int_eq(s, RT_WARNING);
  ck_assert_int_eq(jsonlog_parse_level("loud", &s), -1);
}
END_TEST

static Suite *grpc_suite(void) {
  Suite *s = suite_create("grpc");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_decoder_chunks);
  tcase_add_test(tc, test_decoder_limits);
  tcase_add_test(tc, test_timeout_parse);
  tcase_add_test(tc, test_timeout_format);
  tcase_add_test(tc, test_pct);
  tcase_add_test(tc, test_headers);
  tcase_add_test(tc, test_jsonlog);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(grpc_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

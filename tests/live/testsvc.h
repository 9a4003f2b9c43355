/*
 * testsvc.h — a small service for the live runtime's tests: serves
 * hipstershop.CurrencyService with behaviour chosen by the request's to_code:
 *   "ERR"   fails INVALID_ARGUMENT with TESTSVC_ERR_MSG;
 *   "SLOW"  replies after from.units ms (no cancel handling: late reply);
 *   "SLOWC" like SLOW, but stops on cancellation (counted in stats);
 *   "CHILD" calls Convert "SLOWC" (from.units ms) at $CHILD_ADDR with this
 *           call as parent, then relays the result;
 *   else    echoes: Money{to_code, from.units, from.nanos}.
 * GetSupportedCurrencies replies ["EUR", "USD"].
 */
#ifndef MESHSIM_TESTS_LIVE_TESTSVC_H
#define MESHSIM_TESTS_LIVE_TESTSVC_H

#include "rt.h"

#define TESTSVC_ERR_MSG \
  "bad \"input\": 100% wrong\nline 2 \xe2\x80\x94 \xc3\xbc" "n\xc3\xaf" "code"

typedef struct testsvc_stats {
  int calls;         /* handler invocations */
  int cancels;       /* SLOWC calls stopped by cancellation */
  int late_replies;  /* SLOW replies made after the call was cancelled */
  int child_status;  /* status of the last CHILD's outgoing call, -1 none */
  rt_time_t child_remaining; /* SLOWC: deadline - now when it started */
} testsvc_stats_t;

extern testsvc_stats_t testsvc_stats;
extern const rt_service_t testsvc_service;

#endif

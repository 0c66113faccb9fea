/* Small helpers shared by the C test programs: checks that count failures, and
 * just-enough JSON picking for the simple arguments the Node drivers send. */
#ifndef ROOMCAST_TESTUTIL_H
#define ROOMCAST_TESTUTIL_H

#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "roomcast.h"

static int test_failures = 0;

/* Checks that `call` returns `expected` status; prints and counts a failure otherwise. */
#define EXPECT_STATUS(call, expected)                                                   \
    do {                                                                                \
        roomcast_status got_ = (call);                                                  \
        if (got_ != (expected)) {                                                       \
            const char *msg_ = roomcast_last_error();                                   \
            fprintf(stderr, "FAIL %s:%d: %s -> %s, expected %s (%s)\n", __FILE__,       \
                    __LINE__, #call, roomcast_status_name(got_),                        \
                    roomcast_status_name(expected), msg_ ? msg_ : "");                  \
            test_failures++;                                                            \
        }                                                                               \
    } while (0)

#define EXPECT_OK(call) EXPECT_STATUS(call, ROOMCAST_OK)

#define EXPECT_TRUE(cond)                                                               \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);             \
            test_failures++;                                                            \
        }                                                                               \
    } while (0)

/* Copies the first JSON string in `json` (no escapes expected) into `out`. */
static int first_string(const char *json, char *out, size_t n) {
    const char *a = json ? strchr(json, '"') : NULL;
    const char *b = a ? strchr(a + 1, '"') : NULL;
    size_t len;
    if (!a || !b || n == 0) return 0;
    len = (size_t)(b - a - 1);
    if (len >= n) len = n - 1;
    memcpy(out, a + 1, len);
    out[len] = '\0';
    return 1;
}

/* The first number in `json` (0 when none). */
static long first_number(const char *json) {
    const char *p = json;
    while (p && *p && !(*p >= '0' && *p <= '9')) p++;
    return p && *p ? strtol(p, NULL, 10) : 0;
}

#endif

/* Checks shared by the C test programs: each failed expectation is printed and counted. */
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

#endif

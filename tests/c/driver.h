/* Helpers for the C test programs that a Node driver scripts over Socket.IO
 * (server_test.c, cluster_test.c): picking the simple values it sends out of an event's
 * JSON arguments, a room target, and waking the main thread. */
#ifndef ROOMCAST_DRIVER_H
#define ROOMCAST_DRIVER_H

#include <pthread.h>

#include "testutil.h"

/* Copies the first JSON string in `json` (no escapes expected) into `out`. */
static inline int first_string(const char *json, char *out, size_t n) {
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
static inline long first_number(const char *json) {
    const char *p = json;
    while (p && *p && !(*p >= '0' && *p <= '9')) p++;
    return p && *p ? strtol(p, NULL, 10) : 0;
}

/* A target selecting the sockets in the `len` rooms at `rooms` (nothing else set). */
static inline roomcast_target rooms_target(const char **rooms, size_t len) {
    roomcast_target to;
    memset(&to, 0, sizeof to);
    to.rooms = rooms;
    to.rooms_len = len;
    return to;
}

/* Sets `*flag` under `lock` and wakes the thread waiting on `wake`. */
static inline void raise_flag(pthread_mutex_t *lock, pthread_cond_t *wake, int *flag) {
    pthread_mutex_lock(lock);
    *flag = 1;
    pthread_cond_signal(wake);
    pthread_mutex_unlock(lock);
}

#endif

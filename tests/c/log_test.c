/* The log callback (roomcast_set_log_callback / roomcast_set_log_filter), driven by
 * tests/c/log.test.mjs with real socket.io-clients. A pull-loop host whose callback keeps
 * the records (it runs on the library's runtime threads, hence the mutex). Client events:
 * "count" (ack with how many records arrived so far), "on" (set the filter to "debug"),
 * "find" sid (ack with the fields of this socket's connect and disconnect records, waiting
 * up to 10 s for them), "quit" (unset the callback, free its records, stop, free). */
#include <pthread.h>
#include <time.h>

#include "testutil.h"

#define NSP "/"
#define MAX_RECORDS 256

struct records {
    pthread_mutex_t lock;
    int count;
    int bad_level;
    int reentry_refused;
    char *lines[MAX_RECORDS]; /* "message\tfields" */
};

static void on_log(void *user_data, uint32_t level, const char *target, const char *message,
                   const char *fields) {
    struct records *r = user_data;
    size_t n = strlen(message) + strlen(fields) + 2;
    char *line = malloc(n);
    /* Changing the callback from inside it is refused, not a deadlock. */
    int refused = roomcast_set_log_callback(NULL, NULL) == ROOMCAST_ERR_IN_CALLBACK;
    snprintf(line, n, "%s\t%s", message, fields);
    pthread_mutex_lock(&r->lock);
    if (level < ROOMCAST_LOG_ERROR || level > ROOMCAST_LOG_TRACE || strncmp(target, "roomcast", 8) != 0)
        r->bad_level++;
    r->reentry_refused += refused;
    if (r->count < MAX_RECORDS) {
        r->lines[r->count++] = line;
        line = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    free(line);
}

/* The fields of the first record with `message` whose fields mention `sid`, or NULL. */
static char *find(struct records *r, const char *message, const char *sid) {
    char *found = NULL;
    size_t ml = strlen(message);
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->count && !found; i++) {
        const char *l = r->lines[i];
        if (strncmp(l, message, ml) == 0 && l[ml] == '\t' && strstr(l + ml, sid)) found = strdup(l + ml + 1);
    }
    pthread_mutex_unlock(&r->lock);
    return found;
}

static char *wait_for(struct records *r, const char *message, const char *sid) {
    for (int i = 0; i < 1000; i++) {
        char *f = find(r, message, sid);
        if (f) return f;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int main(void) {
    static struct records recs;
    roomcast_config *cfg = NULL;
    roomcast_server *server = NULL;
    roomcast_event *ev = NULL;
    uint16_t port = 0;
    int quit = 0;

    /* Off by default: no ROOMCAST_LOG / RUST_LOG in the environment. */
    unsetenv("ROOMCAST_LOG");
    unsetenv("RUST_LOG");
    pthread_mutex_init(&recs.lock, NULL);
    EXPECT_OK(roomcast_set_log_callback(on_log, &recs));
    EXPECT_STATUS(roomcast_set_log_filter("roomcast=loud"), ROOMCAST_ERR_INVALID_ARGUMENT);
    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    EXPECT_OK(roomcast_server_start(cfg, &server));
    EXPECT_OK(roomcast_config_free(cfg));
    EXPECT_OK(roomcast_server_port(server, &port));
    printf("listening on http://127.0.0.1:%u\n", (unsigned)port);
    fflush(stdout);

    while (!quit) {
        char buf[2048];
        roomcast_status st = roomcast_next_event(server, 100, &ev);
        if (st == ROOMCAST_ERR_TIMEOUT) continue;
        EXPECT_OK(st);
        if (st != ROOMCAST_OK) break;
        if (ev->kind == ROOMCAST_EVENT_CONNECTION) {
            snprintf(buf, sizeof buf, "[\"%s\"]", ev->sid);
            EXPECT_OK(roomcast_emit_to_socket(server, NSP, ev->sid, "welcome", buf, NULL, 0));
        } else if (ev->kind == ROOMCAST_EVENT_MESSAGE) {
            if (strcmp(ev->event_name, "count") == 0) {
                pthread_mutex_lock(&recs.lock);
                snprintf(buf, sizeof buf, "[%d]", recs.count);
                pthread_mutex_unlock(&recs.lock);
                EXPECT_OK(roomcast_ack_send(server, ev->ack, buf, NULL, 0));
            } else if (strcmp(ev->event_name, "on") == 0) {
                EXPECT_OK(roomcast_set_log_filter("debug"));
                EXPECT_OK(roomcast_ack_send(server, ev->ack, "[]", NULL, 0));
            } else if (strcmp(ev->event_name, "find") == 0) {
                /* args_json is ["<sid>"]: the sid sits between the first two quotes. */
                char sid[64] = "";
                sscanf(ev->args_json, "[\"%63[^\"]", sid);
                char *connected = wait_for(&recs, "socket connected", sid);
                char *gone = wait_for(&recs, "socket disconnected", sid);
                snprintf(buf, sizeof buf, "[%s,%s]", connected ? connected : "null", gone ? gone : "null");
                free(connected);
                free(gone);
                EXPECT_OK(roomcast_ack_send(server, ev->ack, buf, NULL, 0));
            } else if (strcmp(ev->event_name, "quit") == 0) {
                quit = 1;
            }
        }
        roomcast_event_free(ev);
        ev = NULL;
    }

    /* Unset, then free what the callback used: it is not running and will not run again,
     * though the server's stop below logs. */
    EXPECT_OK(roomcast_set_log_callback(NULL, NULL));
    pthread_mutex_lock(&recs.lock);
    EXPECT_TRUE(recs.count > 0);
    EXPECT_TRUE(recs.bad_level == 0);
    EXPECT_TRUE(recs.reentry_refused == recs.count);
    for (int i = 0; i < recs.count; i++) free(recs.lines[i]);
    recs.count = 0;
    pthread_mutex_unlock(&recs.lock);
    pthread_mutex_destroy(&recs.lock);
    EXPECT_OK(roomcast_server_stop(server, 3000));
    for (;;) {
        roomcast_status st = roomcast_next_event(server, 1000, &ev);
        if (st != ROOMCAST_OK) break;
        roomcast_event_free(ev);
    }
    EXPECT_OK(roomcast_server_free(server));
    printf("done: %d failures\n", test_failures);
    return test_failures == 0 ? 0 : 1;
}

/* Carried traffic (revision 19): a host that gets whole HTTP requests and WebSocket
 * messages from its own server passes them to an attached core. A polling handshake, an
 * Engine.IO error, the polling -> WebSocket upgrade over carried messages (2probe, 3probe,
 * 5), a Socket.IO CONNECT answered with the CONNECTION event, a refused handshake, the
 * peer's close, stop, and misuse (stale numbers, NULLs, bad headers). */
#include <pthread.h>
#include <time.h>

#include "testutil.h"

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    roomcast_status status;
    unsigned http_status;
    char headers[2048];
    char body[4096];
    int wakes;
} waiter;

static void waiter_init(waiter *w) {
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
}

static void waiter_destroy(waiter *w) {
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
}

static void on_done(void *ud, roomcast_status status, uint16_t http_status, const char *headers,
                    const uint8_t *body, size_t body_len) {
    waiter *w = ud;
    pthread_mutex_lock(&w->lock);
    w->status = status;
    w->http_status = http_status;
    snprintf(w->headers, sizeof w->headers, "%s", headers ? headers : "");
    if (body_len >= sizeof w->body) body_len = sizeof w->body - 1;
    if (body_len) memcpy(w->body, body, body_len);
    w->body[body_len] = 0;
    w->done = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void on_wake(void *ud, uint64_t socket) {
    waiter *w = ud;
    (void)socket;
    pthread_mutex_lock(&w->lock);
    w->wakes++;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Waits (10 s at most) until `*flag` is set, or `wakes` passes `seen`. */
static int wait_until(waiter *w, const int *flag, int seen) {
    struct timespec until;
    int ok = 1;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&w->lock);
    while (flag ? !*flag : w->wakes <= seen) {
        if (pthread_cond_timedwait(&w->cond, &w->lock, &until) != 0) { ok = 0; break; }
    }
    pthread_mutex_unlock(&w->lock);
    return ok;
}

static const char HEADERS[] = "Host: example\r\nUser-Agent: carry_test\r\n";

static int request(roomcast_server *srv, const char *method, const char *target, waiter *w) {
    waiter_init(w);
    EXPECT_OK(roomcast_carry_request(srv, "10.1.2.3", 4567, method, target, HEADERS, NULL, 0, on_done, w));
    return wait_until(w, &w->done, 0);
}

/* The next output of `socket` (waits for wakes while there is none). */
static roomcast_carried_output next(roomcast_server *srv, uint64_t socket, waiter *w) {
    roomcast_carried_output out;
    for (int i = 0; i < 1000; i++) {
        int seen;
        pthread_mutex_lock(&w->lock);
        seen = w->wakes;
        pthread_mutex_unlock(&w->lock);
        EXPECT_OK(roomcast_carried_recv(srv, socket, &out));
        if (out.kind != ROOMCAST_CARRIED_NONE) return out;
        if (!wait_until(w, NULL, seen)) break;
    }
    fprintf(stderr, "FAIL: no output from carried socket %llu\n", (unsigned long long)socket);
    test_failures++;
    return out;
}

static void send_text(roomcast_server *srv, uint64_t socket, const char *text) {
    bool accepted = false;
    EXPECT_OK(roomcast_carried_send(srv, socket, (const uint8_t *)text, strlen(text), false, &accepted));
    EXPECT_TRUE(accepted);
}

static int text_is(roomcast_carried_output o, const char *want) {
    return o.kind == ROOMCAST_CARRIED_TEXT && o.data_len == strlen(want) && memcmp(o.data, want, o.data_len) == 0;
}

int main(void) {
    roomcast_config *cfg = NULL;
    roomcast_server *srv = NULL;
    roomcast_event *ev = NULL;
    waiter open, bad, ws;
    char sid[64] = {0}, target[256];
    const char *p;
    uint64_t sock = 0, refused = 0;
    roomcast_carried_output o;
    int connected = 0;

    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_OK(roomcast_config_set_listen(cfg, false));
    EXPECT_OK(roomcast_server_start(cfg, &srv));
    EXPECT_OK(roomcast_config_free(cfg));

    /* A polling handshake, and an Engine.IO error, both from the core. */
    EXPECT_TRUE(request(srv, "GET", "/socket.io/?EIO=4&transport=polling", &open));
    EXPECT_TRUE(open.status == ROOMCAST_OK && open.http_status == 200);
    p = strstr(open.body, "\"sid\":\"");
    EXPECT_TRUE(p != NULL);
    if (p) sscanf(p + 7, "%63[^\"]", sid);
    EXPECT_TRUE(strstr(open.headers, "content-length: ") != NULL);
    EXPECT_TRUE(request(srv, "GET", "/socket.io/?EIO=4&transport=polling&sid=nope", &bad));
    EXPECT_TRUE(bad.http_status == 400 && strstr(bad.body, "Session ID unknown") != NULL);
    waiter_destroy(&bad);

    /* The upgrade, over carried messages. */
    waiter_init(&ws);
    snprintf(target, sizeof target, "/socket.io/?EIO=4&transport=websocket&sid=%s", sid);
    EXPECT_OK(roomcast_carry_websocket(srv, "10.1.2.3", 4568, target, HEADERS, on_wake, &ws, &sock));
    o = next(srv, sock, &ws);
    EXPECT_TRUE(o.kind == ROOMCAST_CARRIED_ACCEPT);
    send_text(srv, sock, "2probe");
    EXPECT_TRUE(text_is(next(srv, sock, &ws), "3probe"));
    send_text(srv, sock, "5");
    send_text(srv, sock, "40");
    o = next(srv, sock, &ws);
    EXPECT_TRUE(o.kind == ROOMCAST_CARRIED_TEXT && o.data_len > 3 && memcmp(o.data, "40{", 3) == 0);
    for (int i = 0; i < 20 && !connected; i++) {
        if (roomcast_next_event(srv, 500, &ev) == ROOMCAST_OK && ev) {
            connected = ev->kind == ROOMCAST_EVENT_CONNECTION;
            roomcast_event_free(ev);
            ev = NULL;
        }
    }
    EXPECT_TRUE(connected);
    /* Binary both ways needs a packet; a bad text one is a parse error that closes. */
    EXPECT_STATUS(roomcast_carried_send(srv, sock, (const uint8_t *)"\xc3\x28", 2, false, NULL),
                  ROOMCAST_ERR_INVALID_UTF8);

    /* A handshake for an unknown session: refused with the engine's answer. */
    EXPECT_OK(roomcast_carry_websocket(srv, NULL, 0, "/socket.io/?EIO=4&transport=websocket&sid=nope", NULL,
                                       NULL, NULL, &refused));
    for (int i = 0; i < 2000; i++) {
        EXPECT_OK(roomcast_carried_recv(srv, refused, &o));
        if (o.kind != ROOMCAST_CARRIED_NONE) break;
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    }
    EXPECT_TRUE(o.kind == ROOMCAST_CARRIED_REFUSE && o.http_status == 400 && o.headers != NULL);
    EXPECT_OK(roomcast_carried_free(srv, refused));

    /* Misuse: stale numbers, NULLs, malformed input. */
    EXPECT_STATUS(roomcast_carried_recv(srv, refused, &o), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_carried_free(srv, 987654321), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_carried_recv(srv, sock, NULL), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_carried_send(srv, sock, NULL, 3, false, NULL), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_carry_request(srv, NULL, 0, "GET", "/socket.io/", "no colon here", NULL, 0, on_done, NULL),
                  ROOMCAST_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(roomcast_carry_request(srv, "not-an-ip", 0, "GET", "/socket.io/", NULL, NULL, 0, on_done, NULL),
                  ROOMCAST_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(roomcast_carry_request(srv, NULL, 0, "GET", "socket.io", NULL, NULL, 0, on_done, NULL),
                  ROOMCAST_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(roomcast_carry_request(srv, NULL, 0, "GET", "/socket.io/", NULL, NULL, 0, NULL, NULL),
                  ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_carry_websocket(NULL, NULL, 0, "/socket.io/", NULL, NULL, NULL, &refused),
                  ROOMCAST_ERR_NULL);

    /* The peer closes: the core ends the session and closes its side too. */
    EXPECT_OK(roomcast_carried_close(srv, sock, 1000, "bye"));
    do {
        o = next(srv, sock, &ws);
    } while (o.kind == ROOMCAST_CARRIED_TEXT);
    EXPECT_TRUE(o.kind == ROOMCAST_CARRIED_CLOSE);
    EXPECT_OK(roomcast_carried_free(srv, sock));

    EXPECT_OK(roomcast_server_stop(srv, 2000));
    /* After stop: refused by name. */
    EXPECT_STATUS(roomcast_carry_request(srv, NULL, 0, "GET", "/socket.io/", NULL, NULL, 0, on_done, NULL),
                  ROOMCAST_ERR_STOPPED);
    EXPECT_OK(roomcast_server_free(srv));
    waiter_destroy(&open);
    waiter_destroy(&ws);
    if (test_failures) {
        fprintf(stderr, "%d failure(s)\n", test_failures);
        return 1;
    }
    puts("carry_test: ok");
    return 0;
}

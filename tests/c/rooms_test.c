/* The room events (ABI revision 22), driven by tests/c/rooms.test.mjs with the real
 * socket.io-client. A callback-mode server with namespaces "/" and "/other" that observes
 * the rooms of "/" (roomcast_observe_rooms(server, "/")), or of every namespace with
 * --all (roomcast_observe_rooms(server, NULL)). Before that it checks the refusals: a
 * NULL server, a namespace without its leading '/'; after stop, ROOMCAST_ERR_STOPPED.
 * It keeps a log, in stream order, of each ROOM_* event as [nsp, kind, room] or
 * [nsp, kind, room, sid] (kind as socket.io names it: "create-room", ...) beside each
 * CONNECTION, DISCONNECTING and DISCONNECT as [nsp, "connection" | ..., sid].
 * Client events: "join" [room] / "leave" [room] (roomcast_join / roomcast_leave on the
 * sender), "all-join" [room] (roomcast_sockets_join of every socket of the sender's
 * namespace), "log" (acks with the log so far as one JSON array, and empties it),
 * "shutdown" (the main thread stops and frees the server; the exit status is the failure
 * count). Each socket gets "welcome" [sid] on connection; each DISCONNECT (but at
 * shutdown) is told to everyone on "/" as "gone" [sid]. */
#include <pthread.h>

#include "driver.h"

static roomcast_server *server;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int shutdown_asked = 0;

/* The log: a JSON array's entries, comma-separated (touched by the dispatcher only). */
static char *log_text = NULL;
static size_t log_len = 0;

static void log_entry(const char *nsp, const char *kind, const char *a, const char *b) {
    char entry[512];
    int n;
    char *grown;
    if (b)
        n = snprintf(entry, sizeof entry, "%s[\"%s\",\"%s\",\"%s\",\"%s\"]", log_len ? "," : "", nsp, kind, a, b);
    else
        n = snprintf(entry, sizeof entry, "%s[\"%s\",\"%s\",\"%s\"]", log_len ? "," : "", nsp, kind, a);
    EXPECT_TRUE(n > 0 && (size_t)n < sizeof entry);
    if (n <= 0 || (size_t)n >= sizeof entry) return;
    grown = realloc(log_text, log_len + (size_t)n + 1);
    EXPECT_TRUE(grown != NULL);
    if (!grown) return;
    log_text = grown;
    memcpy(log_text + log_len, entry, (size_t)n + 1);
    log_len += (size_t)n;
}

static const char *room_kind(roomcast_event_kind kind) {
    switch (kind) {
    case ROOMCAST_EVENT_ROOM_CREATE: return "create-room";
    case ROOMCAST_EVENT_ROOM_DELETE: return "delete-room";
    case ROOMCAST_EVENT_ROOM_JOIN: return "join-room";
    case ROOMCAST_EVENT_ROOM_LEAVE: return "leave-room";
    default: return NULL;
    }
}

static void on_room(const roomcast_event *ev) {
    int with_sid = ev->kind == ROOMCAST_EVENT_ROOM_JOIN || ev->kind == ROOMCAST_EVENT_ROOM_LEAVE;
    /* The fields of a room event: nsp and room always, sid exactly for JOIN and LEAVE. */
    EXPECT_TRUE(ev->nsp != NULL && ev->room != NULL);
    EXPECT_TRUE(with_sid ? ev->sid != NULL : ev->sid == NULL);
    EXPECT_TRUE(ev->event_name == NULL && ev->args_json == NULL && ev->handshake_json == NULL);
    if (!ev->nsp || !ev->room) return;
    log_entry(ev->nsp, room_kind(ev->kind), ev->room, with_sid ? ev->sid : NULL);
}

static void on_message(const roomcast_event *ev) {
    char room[128];
    const char *name = ev->event_name;
    if (strcmp(name, "shutdown") == 0) {
        raise_flag(&lock, &wake, &shutdown_asked);
        return;
    }
    if (strcmp(name, "log") == 0) {
        size_t n = log_len + 5;
        char *reply = malloc(n);
        EXPECT_TRUE(reply != NULL);
        if (reply) {
            /* The ack's one argument: the log as an array. */
            snprintf(reply, n, "[[%s]]", log_len ? log_text : "");
            EXPECT_OK(roomcast_ack_send(server, ev->ack, reply, NULL, 0));
            free(reply);
        }
        free(log_text);
        log_text = NULL;
        log_len = 0;
        return;
    }
    EXPECT_TRUE(first_string(ev->args_json, room, sizeof room));
    if (strcmp(name, "join") == 0) {
        EXPECT_OK(roomcast_join(server, ev->nsp, ev->sid, room));
    } else if (strcmp(name, "leave") == 0) {
        EXPECT_OK(roomcast_leave(server, ev->nsp, ev->sid, room));
    } else if (strcmp(name, "all-join") == 0) {
        EXPECT_OK(roomcast_sockets_join(server, ev->nsp, NULL, room));
    } else {
        fprintf(stderr, "FAIL unexpected event %s\n", name);
        test_failures++;
    }
    if (ev->ack) EXPECT_OK(roomcast_ack_send(server, ev->ack, "[]", NULL, 0));
}

static void on_event(void *user_data, const roomcast_event *ev) {
    char buf[128];
    (void)user_data;
    switch (ev->kind) {
    case ROOMCAST_EVENT_ROOM_CREATE:
    case ROOMCAST_EVENT_ROOM_DELETE:
    case ROOMCAST_EVENT_ROOM_JOIN:
    case ROOMCAST_EVENT_ROOM_LEAVE:
        on_room(ev);
        break;
    case ROOMCAST_EVENT_CONNECTION:
        EXPECT_TRUE(ev->room == NULL);
        log_entry(ev->nsp, "connection", ev->sid, NULL);
        snprintf(buf, sizeof buf, "[\"%s\"]", ev->sid);
        EXPECT_OK(roomcast_emit_to_socket(server, ev->nsp, ev->sid, "welcome", buf, NULL, 0));
        break;
    case ROOMCAST_EVENT_MESSAGE:
        on_message(ev);
        break;
    case ROOMCAST_EVENT_DISCONNECTING:
        log_entry(ev->nsp, "disconnecting", ev->sid, NULL);
        break;
    case ROOMCAST_EVENT_DISCONNECT:
        log_entry(ev->nsp, "disconnect", ev->sid, NULL);
        if (strcmp(ev->reason, "server shutting down") != 0) {
            snprintf(buf, sizeof buf, "[\"%s\"]", ev->sid);
            EXPECT_OK(roomcast_emit(server, "/", NULL, "gone", buf, NULL, 0, NULL));
        }
        break;
    default:
        break;
    }
}

int main(int argc, char **argv) {
    roomcast_config *cfg = NULL;
    uint16_t port = 0;
    int all = argc > 1 && strcmp(argv[1], "--all") == 0;

    EXPECT_TRUE(ROOMCAST_ABI_REVISION >= 22 && roomcast_abi_revision() >= 22);
    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    EXPECT_OK(roomcast_config_add_namespace(cfg, "/other", 0));
    EXPECT_OK(roomcast_server_start(cfg, &server));
    EXPECT_OK(roomcast_config_free(cfg));
    EXPECT_OK(roomcast_server_port(server, &port));
    EXPECT_STATUS(roomcast_observe_rooms(NULL, "/"), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_observe_rooms(server, "other"), ROOMCAST_ERR_INVALID_ARGUMENT);
    EXPECT_OK(roomcast_observe_rooms(server, all ? NULL : "/"));
    /* Again: nothing changes (each change is still reported once). */
    EXPECT_OK(roomcast_observe_rooms(server, all ? NULL : "/"));
    EXPECT_OK(roomcast_server_set_callback(server, on_event, NULL, NULL));
    printf("listening on http://127.0.0.1:%u\n", (unsigned)port);
    fflush(stdout);

    pthread_mutex_lock(&lock);
    while (!shutdown_asked) pthread_cond_wait(&wake, &lock);
    pthread_mutex_unlock(&lock);
    EXPECT_OK(roomcast_server_stop(server, 3000));
    EXPECT_STATUS(roomcast_observe_rooms(server, "/"), ROOMCAST_ERR_STOPPED);
    EXPECT_OK(roomcast_server_free(server));
    free(log_text);
    printf("done: %d failures\n", test_failures);
    return test_failures == 0 ? 0 : 1;
}

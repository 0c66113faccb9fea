/* A scripted roomcast server in callback mode, driven by tests/c/server.test.mjs with the
 * real socket.io-client. Every client event maps to one API call (see handle_message);
 * results travel back to the client as acks or emits, and the C side counts its own
 * failed expectations. On "shutdown" the main thread stops the server with clients still
 * connected and checks the shutdown contract; the exit status is the failure count. */
#include <time.h>

#include "driver.h"

#define NSP "/"


#define MAX_ASKS 64

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int shutdown;              /* a client asked the main thread to stop the server */
    uint64_t later[16];        /* connect requests the main thread accepts */
    int later_len;
    uint64_t ask_ids[MAX_ASKS]; /* emit_with_ack ids and the socket to tell the result */
    char ask_sids[MAX_ASKS][32];
    int asks_len;
    int callbacks;             /* callbacks run so far */
    int frees;                 /* free_user_data calls */
    int shutting_down_disconnects;
} state_t;

static roomcast_server *server;
static void on_event(void *user_data, const roomcast_event *ev);

static void reply_status_object(uint64_t ack, const char *json_object) {
    char buf[1024];
    snprintf(buf, sizeof buf, "[%s]", json_object);
    EXPECT_OK(roomcast_ack_send(server, ack, buf, NULL, 0));
}

/* Misuse from inside a callback: every call must fail with its own code, never crash. */
static void misuse(const roomcast_event *ev) {
    char buf[1024];
    const char *rooms[1];
    roomcast_target to;
    roomcast_event *pulled = NULL;
    static const char bad_utf8[] = {'b', (char)0xff, 'd', 0};
    rooms[0] = "nobody-room";
    to = rooms_target(rooms, 1);
    snprintf(buf, sizeof buf,
             "{\"stop\":%d,\"free\":%d,\"invalidJson\":%d,\"notArray\":%d,\"badUtf8\":%d,"
             "\"goneSocketEmit\":%d,\"goneSocketJoin\":%d,\"setCallbackAgain\":%d,"
             "\"pullInCallbackMode\":%d,\"unknownAck\":%d,\"unknownRequest\":%d,"
             "\"rejectBadData\":%d,\"unknownNamespace\":%d,\"nullNsp\":%d,\"emptyRoomEmit\":%d}",
             roomcast_server_stop(server, 1000),
             roomcast_server_free(server),
             roomcast_emit(server, NSP, NULL, "x", "[1,", NULL, 0, NULL),
             roomcast_emit(server, NSP, NULL, "x", "{\"a\":1}", NULL, 0, NULL),
             roomcast_emit(server, NSP, NULL, bad_utf8, "[]", NULL, 0, NULL),
             roomcast_emit_to_socket(server, NSP, "AAAAAAAAAAAAAAAAAAAA", "x", "[]", NULL, 0),
             roomcast_join(server, NSP, "AAAAAAAAAAAAAAAAAAAA", "r"),
             roomcast_server_set_callback(server, NULL, NULL, NULL) == ROOMCAST_ERR_NULL
                 ? roomcast_server_set_callback(server, on_event, NULL, NULL)
                 : -100,
             roomcast_next_event(server, 0, &pulled),
             roomcast_ack_drop(server, 987654321u),
             roomcast_accept(server, 987654321u),
             roomcast_reject(server, 987654321u, "no", "{oops"),
             roomcast_emit(server, "/nowhere", NULL, "x", "[]", NULL, 0, NULL),
             roomcast_emit(server, NULL, NULL, "x", "[]", NULL, 0, NULL),
             roomcast_emit(server, NSP, &to, "x", "[]", NULL, 0, NULL));
    EXPECT_TRUE(pulled == NULL);
    /* The handle survives all of that; answer, then a second use of the ack must fail. */
    reply_status_object(ev->ack, buf);
    EXPECT_STATUS(roomcast_ack_send(server, ev->ack, "[]", NULL, 0), ROOMCAST_ERR_NO_SUCH_ACK);
    EXPECT_STATUS(roomcast_ack_drop(server, ev->ack), ROOMCAST_ERR_NO_SUCH_ACK);
}

static void reply_json_string(uint64_t ack, roomcast_status st, char *json) {
    char buf[2048];
    EXPECT_OK(st);
    snprintf(buf, sizeof buf, "[%s]", st == ROOMCAST_OK ? json : "null");
    EXPECT_OK(roomcast_ack_send(server, ack, buf, NULL, 0));
    roomcast_string_free(json);
}

/* Emits "question" with an ack to `to` and remembers its id, so that the result goes to
 * socket `asker` (called with st->lock held). */
static void ask(state_t *st, const roomcast_target *to, long timeout_ms, const char *asker) {
    uint64_t id = 0;
    EXPECT_OK(roomcast_emit_with_ack(server, NSP, to, "question", "[\"q?\"]", NULL, 0, (uint32_t)timeout_ms, &id));
    if (st->asks_len < MAX_ASKS) {
        st->ask_ids[st->asks_len] = id;
        snprintf(st->ask_sids[st->asks_len], sizeof st->ask_sids[0], "%s", asker);
        st->asks_len++;
    }
}

static void handle_message(state_t *st, const roomcast_event *ev) {
    const char *name = ev->event_name;
    char arg[256], buf[2048];
    char *json = NULL;
    roomcast_status status;
    const char *list[2];
    roomcast_target to;
    memset(&to, 0, sizeof to);

    if (strcmp(name, "echo") == 0) {
        /* Ack with exactly what came (JSON and binary attachments), then the ack is used up. */
        EXPECT_TRUE(ev->ack != 0);
        EXPECT_OK(roomcast_ack_send(server, ev->ack, ev->args_json, ev->attachments, ev->attachments_len));
        EXPECT_STATUS(roomcast_ack_send(server, ev->ack, "[]", NULL, 0), ROOMCAST_ERR_NO_SUCH_ACK);
    } else if (strcmp(name, "deflate-go") == 0) {
        /* tests/node/deflate_probe.mjs: compressed and compress-off emits, to the socket
         * and to a room (ROOMCAST_TARGET_NO_COMPRESS is socket.io's compress(false)). */
        const char *room[1] = {"deflate-room"};
        list[0] = ev->sid;
        EXPECT_OK(roomcast_join(server, NSP, ev->sid, "deflate-room"));
        EXPECT_OK(roomcast_emit_to_socket(server, NSP, ev->sid, "zipped", ev->args_json, NULL, 0));
        to.rooms = list;
        to.rooms_len = 1;
        to.flags = ROOMCAST_TARGET_NO_COMPRESS;
        EXPECT_OK(roomcast_emit(server, NSP, &to, "plain", ev->args_json, NULL, 0, NULL));
        to.rooms = room;
        EXPECT_OK(roomcast_emit(server, NSP, &to, "room-plain", ev->args_json, NULL, 0, NULL));
        to.flags = 0;
        EXPECT_OK(roomcast_emit(server, NSP, &to, "room-zipped", ev->args_json, NULL, 0, NULL));
    } else if (strcmp(name, "echo-emit") == 0) {
        EXPECT_OK(roomcast_emit_to_socket(server, NSP, ev->sid, "echo", ev->args_json, ev->attachments,
                                          ev->attachments_len));
        if (ev->ack) EXPECT_OK(roomcast_ack_drop(server, ev->ack));
    } else if (strcmp(name, "drop-ack") == 0) {
        EXPECT_OK(roomcast_ack_drop(server, ev->ack));
        EXPECT_STATUS(roomcast_ack_send(server, ev->ack, "[]", NULL, 0), ROOMCAST_ERR_NO_SUCH_ACK);
        EXPECT_OK(roomcast_emit_to_socket(server, NSP, ev->sid, "dropped", NULL, NULL, 0));
    } else if (strcmp(name, "join") == 0 || strcmp(name, "leave") == 0) {
        first_string(ev->args_json, arg, sizeof arg);
        if (name[0] == 'j') EXPECT_OK(roomcast_join(server, NSP, ev->sid, arg));
        else EXPECT_OK(roomcast_leave(server, NSP, ev->sid, arg));
        status = roomcast_rooms_of(server, NSP, ev->sid, &json);
        reply_json_string(ev->ack, status, json);
    } else if (strcmp(name, "members") == 0) {
        first_string(ev->args_json, arg, sizeof arg);
        list[0] = arg;
        to.rooms = list;
        to.rooms_len = 1;
        status = roomcast_sockets(server, NSP, &to, &json);
        reply_json_string(ev->ack, status, json);
    } else if (strcmp(name, "to-room") == 0) {
        /* socket.to(room).emit: the room, but not the sender */
        first_string(ev->args_json, arg, sizeof arg);
        list[0] = arg;
        list[1] = ev->sid;
        to.rooms = list;
        to.rooms_len = 1;
        to.except = list + 1;
        to.except_len = 1;
        EXPECT_OK(roomcast_emit(server, NSP, &to, "room-msg", ev->args_json, NULL, 0, NULL));
    } else if (strcmp(name, "broadcast") == 0 || strcmp(name, "volatile") == 0) {
        /* everyone but the sender; "volatile" also sets the flag */
        size_t n = 0;
        list[0] = ev->sid;
        to.except = list;
        to.except_len = 1;
        to.flags = name[0] == 'v' ? ROOMCAST_TARGET_VOLATILE : 0;
        EXPECT_OK(roomcast_emit(server, NSP, &to, "bcast", ev->args_json, NULL, 0, &n));
        snprintf(buf, sizeof buf, "[%lu]", (unsigned long)n);
        if (ev->ack) EXPECT_OK(roomcast_ack_send(server, ev->ack, buf, NULL, 0));
    } else if (strcmp(name, "except-room") == 0) {
        /* everyone except the members of a room */
        first_string(ev->args_json, arg, sizeof arg);
        list[0] = arg;
        to.except = list;
        to.except_len = 1;
        EXPECT_OK(roomcast_emit(server, NSP, &to, "not-in-room", ev->args_json, NULL, 0, NULL));
    } else if (strcmp(name, "ask") == 0) {
        /* emit with ack to [me] or [everyone], a timeout in ms; the result is told later */
        long timeout = first_number(ev->args_json);
        int everyone = strstr(ev->args_json, "\"all\"") != NULL;
        list[0] = ev->sid;
        to.rooms = list;
        to.rooms_len = everyone ? 0 : 1;
        pthread_mutex_lock(&st->lock);
        ask(st, &to, timeout, ev->sid);
        pthread_mutex_unlock(&st->lock);
    } else if (strcmp(name, "ask-socket") == 0) {
        /* emit with ack to another socket: [timeout_ms, sid]; the result is told to the asker */
        long timeout = first_number(ev->args_json);
        first_string(ev->args_json, arg, sizeof arg);
        pthread_mutex_lock(&st->lock);
        list[0] = arg;
        to.rooms = list;
        to.rooms_len = 1;
        ask(st, &to, timeout, ev->sid);
        pthread_mutex_unlock(&st->lock);
    } else if (strcmp(name, "kick") == 0) {
        EXPECT_OK(roomcast_disconnect(server, NSP, ev->sid, strstr(ev->args_json, "true") != NULL));
    } else if (strcmp(name, "misuse") == 0) {
        misuse(ev);
    } else if (strcmp(name, "shutdown") == 0) {
        raise_flag(&st->lock, &st->wake, &st->shutdown);
    } else if (ev->ack) {
        EXPECT_OK(roomcast_ack_drop(server, ev->ack));
    }
}

static void on_ack_response(state_t *st, const roomcast_event *ev) {
    char buf[4096];
    size_t used, i, bytes = 0;
    int k, found = -1;
    pthread_mutex_lock(&st->lock);
    for (k = 0; k < st->asks_len; k++)
        if (st->ask_ids[k] == ev->ack_response_id) found = k;
    pthread_mutex_unlock(&st->lock);
    EXPECT_TRUE(found >= 0);
    if (found < 0) return;
    used = (size_t)snprintf(buf, sizeof buf, "[[");
    for (i = 0; i < ev->replies_len && used < sizeof buf - 64; i++) {
        size_t j;
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? "," : "", ev->replies[i].args_json);
        for (j = 0; j < ev->replies[i].attachments_len; j++) bytes += ev->replies[i].attachments[j].len;
    }
    snprintf(buf + used, sizeof buf - used, "],%s,%lu,%lu]", ev->timed_out ? "true" : "false", (unsigned long)bytes,
             (unsigned long)ev->disconnected);
    /* The asker may have left in the meantime: then "no such socket" is the right answer. */
    {
        roomcast_status s = roomcast_emit_to_socket(server, NSP, st->ask_sids[found], "answer", buf, NULL, 0);
        EXPECT_TRUE(s == ROOMCAST_OK || s == ROOMCAST_ERR_NO_SUCH_SOCKET);
    }
}

static void on_event(void *user_data, const roomcast_event *ev) {
    state_t *st = (state_t *)user_data;
    char buf[2048];
    pthread_mutex_lock(&st->lock);
    st->callbacks++;
    pthread_mutex_unlock(&st->lock);

    switch (ev->kind) {
    case ROOMCAST_EVENT_CONNECT_REQUEST:
        EXPECT_TRUE(ev->handshake_json != NULL && strstr(ev->handshake_json, "\"headers\"") != NULL);
        EXPECT_TRUE(ev->sid != NULL && strlen(ev->sid) == 20);
        if (ev->auth_json && strstr(ev->auth_json, "\"good\"")) {
            EXPECT_OK(roomcast_accept(server, ev->request));
            EXPECT_STATUS(roomcast_accept(server, ev->request), ROOMCAST_ERR_NO_SUCH_REQUEST);
        } else if (ev->auth_json && strstr(ev->auth_json, "\"later\"")) {
            pthread_mutex_lock(&st->lock);
            if (st->later_len < 16) st->later[st->later_len++] = ev->request;
            pthread_cond_signal(&st->wake);
            pthread_mutex_unlock(&st->lock);
        } else {
            EXPECT_STATUS(roomcast_reject(server, ev->request, "unauthorized", "{oops"), ROOMCAST_ERR_INVALID_JSON);
            EXPECT_OK(roomcast_reject(server, ev->request, "unauthorized", "{\"code\":401}"));
            EXPECT_STATUS(roomcast_accept(server, ev->request), ROOMCAST_ERR_NO_SUCH_REQUEST);
        }
        break;
    case ROOMCAST_EVENT_CONNECTION:
        EXPECT_TRUE(ev->handshake_json != NULL && strstr(ev->handshake_json, "\"query\"") != NULL);
        if (strcmp(ev->nsp, NSP) == 0) EXPECT_OK(roomcast_join(server, NSP, ev->sid, "lobby"));
        snprintf(buf, sizeof buf, "[\"%s\",%s]", ev->sid, ev->auth_json ? ev->auth_json : "null");
        EXPECT_OK(roomcast_emit_to_socket(server, ev->nsp, ev->sid, "welcome", buf, NULL, 0));
        break;
    case ROOMCAST_EVENT_MESSAGE:
        if (strcmp(ev->nsp, NSP) == 0) {
            handle_message(st, ev);
        } else if (ev->ack) {
            snprintf(buf, sizeof buf, "[\"%s\"]", ev->nsp);
            EXPECT_OK(roomcast_ack_send(server, ev->ack, buf, NULL, 0));
        }
        break;
    case ROOMCAST_EVENT_ACK_RESPONSE:
        on_ack_response(st, ev);
        break;
    case ROOMCAST_EVENT_DISCONNECTING:
        EXPECT_TRUE(ev->rooms_json != NULL && strstr(ev->rooms_json, ev->sid) != NULL);
        break;
    case ROOMCAST_EVENT_DISCONNECT:
        if (strcmp(ev->reason, "server shutting down") == 0) {
            /* During stop: commands already answer "stopped". */
            pthread_mutex_lock(&st->lock);
            st->shutting_down_disconnects++;
            pthread_mutex_unlock(&st->lock);
            EXPECT_STATUS(roomcast_emit(server, NSP, NULL, "x", "[]", NULL, 0, NULL), ROOMCAST_ERR_STOPPED);
        } else if (strcmp(ev->nsp, NSP) == 0) {
            /* The socket is gone: commands about it fail cleanly; tell the others why. */
            int emit_st = roomcast_emit_to_socket(server, NSP, ev->sid, "x", "[]", NULL, 0);
            int join_st = roomcast_join(server, NSP, ev->sid, "r");
            snprintf(buf, sizeof buf, "[\"%s\",\"%s\",%d,%d]", ev->sid, ev->reason, emit_st, join_st);
            EXPECT_OK(roomcast_emit(server, NSP, NULL, "gone", buf, NULL, 0, NULL));
        }
        break;
    default:
        EXPECT_TRUE(0 && "unknown event kind");
    }
}

static void free_state(void *user_data) {
    state_t *st = (state_t *)user_data;
    pthread_mutex_lock(&st->lock);
    st->frees++;
    pthread_mutex_unlock(&st->lock);
}

int main(void) {
    static state_t st;
    roomcast_config *cfg = NULL;
    uint16_t port = 0;
    int callbacks_at_stop, i;
    struct timespec pause = {0, 200 * 1000 * 1000};

    pthread_mutex_init(&st.lock, NULL);
    pthread_cond_init(&st.wake, NULL);
    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    /* permessage-deflate on: clients that offer it (socket.io-client does) get it in every
     * test; "deflate-go" checks it frame by frame. */
    EXPECT_OK(roomcast_config_set_per_message_deflate(cfg, 1));
    EXPECT_OK(roomcast_config_set_per_message_deflate_threshold(cfg, 1024));
    EXPECT_OK(roomcast_config_add_namespace(cfg, "/private", 1));
    EXPECT_OK(roomcast_config_add_namespace(cfg, "/dyn-*", 0));
    EXPECT_OK(roomcast_server_start(cfg, &server));
    EXPECT_OK(roomcast_config_free(cfg));
    EXPECT_OK(roomcast_server_port(server, &port));
    /* Commands before any client: namespaces first used by a command ("/" and a dynamic
     * one; the tests connect to both later) answer at once and work for clients later. */
    {
        size_t n = 99;
        EXPECT_OK(roomcast_emit(server, NSP, NULL, "early", "[]", NULL, 0, &n));
        EXPECT_TRUE(n == 0);
        n = 99;
        EXPECT_OK(roomcast_emit(server, "/dyn-42", NULL, "early", "[]", NULL, 0, &n));
        EXPECT_TRUE(n == 0);
        EXPECT_STATUS(roomcast_join(server, NSP, "AAAAAAAAAAAAAAAAAAAA", "lobby"), ROOMCAST_ERR_NO_SUCH_SOCKET);
    }
    EXPECT_OK(roomcast_server_set_callback(server, on_event, &st, free_state));
    printf("listening on http://127.0.0.1:%u\n", (unsigned)port);
    fflush(stdout);

    /* Main thread: accept deferred connect requests, until a client asks for shutdown. */
    pthread_mutex_lock(&st.lock);
    while (!st.shutdown) {
        while (st.later_len > 0) {
            uint64_t req = st.later[--st.later_len];
            pthread_mutex_unlock(&st.lock);
            EXPECT_OK(roomcast_accept(server, req));
            pthread_mutex_lock(&st.lock);
        }
        if (!st.shutdown) pthread_cond_wait(&st.wake, &st.lock);
    }
    pthread_mutex_unlock(&st.lock);

    /* Stop with clients connected. */
    EXPECT_OK(roomcast_server_stop(server, 3000));
    pthread_mutex_lock(&st.lock);
    callbacks_at_stop = st.callbacks;
    EXPECT_TRUE(st.frees == 1);
    EXPECT_TRUE(st.shutting_down_disconnects >= 1);
    fprintf(stderr, "stopped: %d shutting-down disconnects\n", st.shutting_down_disconnects);
    pthread_mutex_unlock(&st.lock);
    EXPECT_STATUS(roomcast_server_stop(server, 3000), ROOMCAST_ERR_STOPPED);
    EXPECT_STATUS(roomcast_emit(server, NSP, NULL, "x", "[]", NULL, 0, NULL), ROOMCAST_ERR_STOPPED);
    EXPECT_STATUS(roomcast_server_set_callback(server, on_event, &st, free_state), ROOMCAST_ERR_MODE);
    for (i = 0; i < 3; i++) nanosleep(&pause, NULL);
    pthread_mutex_lock(&st.lock);
    EXPECT_TRUE(st.callbacks == callbacks_at_stop); /* nothing fires after stop returned */
    EXPECT_TRUE(st.frees == 1);
    pthread_mutex_unlock(&st.lock);
    EXPECT_OK(roomcast_server_free(server));
    EXPECT_STATUS(roomcast_server_free(server), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_emit(server, NSP, NULL, "x", "[]", NULL, 0, NULL), ROOMCAST_ERR_INVALID_HANDLE);
    pthread_mutex_destroy(&st.lock);
    pthread_cond_destroy(&st.wake);
    printf("done: %d failures\n", test_failures);
    return test_failures == 0 ? 0 : 1;
}

/* A roomcast node in a Redis cluster, from C: driven by tests/c/cluster.test.mjs beside a
 * real Node socket.io node with @socket.io/redis-adapter. Client events map to the
 * cluster calls (roomcast_cluster_request, roomcast_server_side_emit); each answer goes
 * back to the client as its ack. Server-side emits from other nodes ("ping-servers") are
 * answered "pong-c-<n>". On "shutdown" the main thread stops the server; the exit status
 * is the number of failed expectations. Usage: cluster_test <redis-url> [subscription-mode]
 * (with a mode: the sharded adapter, roomcast_config_set_redis_sharded). */
#include "driver.h"

#define NSP "/"
#define MAX_PENDING 32

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int shutdown;
    /* Requests in flight and the client ack each answer goes to. Only the dispatcher
     * thread touches them: a reply cannot be dispatched before the callback that started
     * its request has returned. */
    uint64_t request[MAX_PENDING];
    uint64_t ack[MAX_PENDING];
    int pending;
} state_t;

static roomcast_server *server;


static void start_request(state_t *st, uint64_t ack, int kind, const roomcast_target *to,
                          const char *event, const char *args, uint32_t timeout_ms) {
    uint64_t id = 0;
    roomcast_status s = roomcast_cluster_request(server, NSP, kind, to, event, args, timeout_ms, &id);
    EXPECT_OK(s);
    if (s != ROOMCAST_OK || st->pending == MAX_PENDING) {
        EXPECT_OK(roomcast_ack_drop(server, ack));
        return;
    }
    EXPECT_TRUE(id != 0);
    st->request[st->pending] = id;
    st->ack[st->pending] = ack;
    st->pending++;
}

/* Wrong uses of the cluster calls: each must fail with its own code. */
static void misuse(uint64_t ack) {
    char buf[512];
    const char *rooms[1] = {"room1"};
    roomcast_target to = rooms_target(rooms, 1);
    uint64_t id = 0;
    snprintf(buf, sizeof buf,
             "[{\"unknownKind\":%d,\"targetOnAllRooms\":%d,\"eventOnCount\":%d,"
             "\"timeoutOnFetch\":%d,\"badJson\":%d,\"nullEvent\":%d,\"sseBadJson\":%d,"
             "\"nullNsp\":%d,\"unknownNamespace\":%d}]",
             roomcast_cluster_request(server, NSP, 99, NULL, NULL, NULL, 0, &id),
             roomcast_cluster_request(server, NSP, ROOMCAST_REQUEST_ALL_ROOMS, &to, NULL, NULL, 0, &id),
             roomcast_cluster_request(server, NSP, ROOMCAST_REQUEST_SERVER_COUNT, NULL, "x", NULL, 0, &id),
             roomcast_cluster_request(server, NSP, ROOMCAST_REQUEST_FETCH_SOCKETS, NULL, NULL, NULL, 5, &id),
             roomcast_cluster_request(server, NSP, ROOMCAST_REQUEST_SERVER_SIDE_EMIT_WITH_ACK, NULL, "x", "[1,", 0, &id),
             roomcast_cluster_request(server, NSP, ROOMCAST_REQUEST_SERVER_SIDE_EMIT_WITH_ACK, NULL, NULL, NULL, 0, &id),
             roomcast_server_side_emit(server, NSP, "x", "{\"a\":1}"),
             roomcast_server_side_emit(server, NULL, "x", NULL),
             roomcast_server_side_emit(server, "/nowhere", "x", NULL));
    EXPECT_OK(roomcast_ack_send(server, ack, buf, NULL, 0));
}

static void on_message(state_t *st, const roomcast_event *ev) {
    char name[64] = "";
    const char *rooms[1] = {"room1"};
    roomcast_target to = rooms_target(rooms, 1);
    first_string(ev->args_json, name, sizeof name);
    if (strcmp(ev->event_name, "shutdown") == 0) {
        raise_flag(&st->lock, &st->wake, &st->shutdown);
        return;
    }
    if (strcmp(ev->event_name, "request") != 0 || ev->ack == 0) return;
    if (strcmp(name, "fetch") == 0) {
        start_request(st, ev->ack, ROOMCAST_REQUEST_FETCH_SOCKETS, &to, NULL, NULL, 0);
    } else if (strcmp(name, "rooms") == 0) {
        start_request(st, ev->ack, ROOMCAST_REQUEST_ALL_ROOMS, NULL, NULL, NULL, 0);
    } else if (strcmp(name, "count") == 0) {
        start_request(st, ev->ack, ROOMCAST_REQUEST_SERVER_COUNT, NULL, NULL, NULL, 0);
    } else if (strcmp(name, "sse-ack") == 0) {
        char args[64];
        snprintf(args, sizeof args, "[%ld]", first_number(ev->args_json));
        start_request(st, ev->ack, ROOMCAST_REQUEST_SERVER_SIDE_EMIT_WITH_ACK, NULL, "ping-servers", args, 5000);
    } else if (strcmp(name, "sse") == 0) {
        EXPECT_OK(roomcast_server_side_emit(server, NSP, "note", "[\"from-c\",{\"n\":1}]"));
        EXPECT_OK(roomcast_ack_send(server, ev->ack, "[true]", NULL, 0));
    } else if (strcmp(name, "join-remote") == 0) {
        /* ["join-remote", sid, room]: socketsJoin of one socket, wherever it is. */
        char sid[64] = "", room[64] = "";
        const char *second = strchr(ev->args_json + 1, ',');
        const char *third = second ? strchr(second + 1, ',') : NULL;
        const char *target[1];
        roomcast_target one;
        EXPECT_TRUE(second && third && first_string(second, sid, sizeof sid) && first_string(third, room, sizeof room));
        target[0] = sid;
        one = rooms_target(target, 1);
        EXPECT_OK(roomcast_sockets_join(server, NSP, &one, room));
        EXPECT_OK(roomcast_ack_send(server, ev->ack, "[true]", NULL, 0));
    } else if (strcmp(name, "misuse") == 0) {
        misuse(ev->ack);
    } else {
        EXPECT_OK(roomcast_ack_drop(server, ev->ack));
    }
}

static void on_reply(state_t *st, const roomcast_event *ev) {
    int i;
    char buf[16384];
    for (i = 0; i < st->pending; i++) {
        if (st->request[i] == ev->request_id) break;
    }
    EXPECT_TRUE(i < st->pending);
    if (i == st->pending) return;
    EXPECT_TRUE(ev->reply_json != NULL && ev->reply_json[0] == '{');
    snprintf(buf, sizeof buf, "[%s]", ev->reply_json ? ev->reply_json : "null");
    EXPECT_OK(roomcast_ack_send(server, st->ack[i], buf, NULL, 0));
    st->pending--;
    st->request[i] = st->request[st->pending];
    st->ack[i] = st->ack[st->pending];
}

static void on_event(void *user_data, const roomcast_event *ev) {
    state_t *st = (state_t *)user_data;
    switch (ev->kind) {
    case ROOMCAST_EVENT_CONNECTION:
        EXPECT_OK(roomcast_join(server, ev->nsp, ev->sid, "room1"));
        EXPECT_OK(roomcast_set_data(server, ev->nsp, ev->sid, "{\"user\":\"c\"}"));
        break;
    case ROOMCAST_EVENT_MESSAGE:
        on_message(st, ev);
        break;
    case ROOMCAST_EVENT_CLUSTER_REPLY:
        on_reply(st, ev);
        break;
    case ROOMCAST_EVENT_SERVER_SIDE_EMIT:
        if (strcmp(ev->event_name, "ping-servers") == 0 && ev->ack != 0) {
            char buf[64];
            snprintf(buf, sizeof buf, "[\"pong-c-%ld\"]", first_number(ev->args_json));
            EXPECT_OK(roomcast_ack_send(server, ev->ack, buf, NULL, 0));
        } else if (ev->ack != 0) {
            EXPECT_OK(roomcast_ack_drop(server, ev->ack));
        }
        break;
    default:
        break;
    }
}

int main(int argc, char **argv) {
    static state_t st;
    roomcast_config *cfg = NULL;
    uint16_t port = 0;
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s <redis-url> [subscription-mode]\n", argv[0]);
        return 2;
    }
    EXPECT_TRUE(roomcast_abi_revision() >= (argc == 3 ? 10 : 9));
    if (argc == 3) {
        /* Wrong sharded settings fail at start with a config error naming the option. */
        roomcast_server *never = NULL;
        const char *msg;
        EXPECT_OK(roomcast_config_new(&cfg));
        EXPECT_OK(roomcast_config_set_port(cfg, 0));
        EXPECT_OK(roomcast_config_set_redis(cfg, argv[1], NULL));
        EXPECT_OK(roomcast_config_set_redis_sharded(cfg, true, "bogus"));
        EXPECT_STATUS(roomcast_server_start(cfg, &never), ROOMCAST_ERR_INVALID_CONFIG);
        msg = roomcast_last_error();
        EXPECT_TRUE(msg != NULL && strstr(msg, "redis_subscription_mode") != NULL);
        EXPECT_OK(roomcast_config_set_redis_sharded(cfg, false, "dynamic"));
        EXPECT_STATUS(roomcast_server_start(cfg, &never), ROOMCAST_ERR_INVALID_CONFIG);
        EXPECT_OK(roomcast_config_free(cfg));
        cfg = NULL;
    }
    pthread_mutex_init(&st.lock, NULL);
    pthread_cond_init(&st.wake, NULL);
    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    EXPECT_OK(roomcast_config_set_redis(cfg, argv[1], NULL));
    if (argc == 3) EXPECT_OK(roomcast_config_set_redis_sharded(cfg, true, argv[2]));
    EXPECT_OK(roomcast_server_start(cfg, &server));
    EXPECT_OK(roomcast_config_free(cfg));
    if (test_failures) return test_failures;
    EXPECT_OK(roomcast_server_port(server, &port));
    EXPECT_OK(roomcast_server_set_callback(server, on_event, &st, NULL));
    printf("listening on http://127.0.0.1:%u\n", (unsigned)port);
    fflush(stdout);

    pthread_mutex_lock(&st.lock);
    while (!st.shutdown) pthread_cond_wait(&st.wake, &st.lock);
    pthread_mutex_unlock(&st.lock);
    EXPECT_OK(roomcast_server_stop(server, 3000));
    EXPECT_TRUE(st.pending == 0);
    EXPECT_OK(roomcast_server_free(server));
    pthread_mutex_destroy(&st.lock);
    pthread_cond_destroy(&st.wake);
    fprintf(stderr, "cluster_test: %d failures\n", test_failures);
    return test_failures;
}

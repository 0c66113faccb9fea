/* Misuse without any client: NULL, stale and made-up handles, invalid UTF-8 and JSON,
 * double stop/free, mixed modes, port conflicts, and the user_data finalizer contract.
 * Each must return its own status code; the process must never crash or leak. */
#include "testutil.h"

static int finalized = 0;
static void finalize(void *user_data) { finalized += *(int *)user_data; }
static void ignore(void *user_data, const roomcast_event *ev) { (void)user_data; (void)ev; }

static const char bad_utf8[] = {'/', (char)0xc3, (char)0x28, 0};

static void null_and_fake_handles(void) {
    roomcast_server *fake = (roomcast_server *)(uintptr_t)0x7777;
    roomcast_config *fake_cfg = (roomcast_config *)(uintptr_t)0x7777;
    roomcast_event *ev = NULL;
    roomcast_server *out = NULL;
    char *json = NULL;
    uint16_t port;
    EXPECT_STATUS(roomcast_emit(NULL, "/", NULL, "x", "[]", NULL, 0, NULL), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_emit(fake, "/", NULL, "x", "[]", NULL, 0, NULL), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_emit_to_socket(fake, "/", "s", "x", NULL, NULL, 0), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_emit_with_ack(fake, "/", NULL, "x", NULL, NULL, 0, 10, NULL), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_ack_send(NULL, 1, NULL, NULL, 0), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_ack_drop(fake, 1), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_join(fake, "/", "s", "r"), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_leave(NULL, "/", "s", "r"), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_rooms_of(fake, "/", "s", &json), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_sockets(fake, "/", NULL, &json), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_TRUE(json == NULL);
    EXPECT_STATUS(roomcast_disconnect(fake, "/", "s", 0), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_accept(fake, 1), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_reject(NULL, 1, "m", NULL), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_server_port(fake, &port), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_server_set_callback(fake, ignore, NULL, finalize), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_next_event(fake, 0, &ev), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_next_event(NULL, 0, &ev), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_server_stop(NULL, 10), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_server_stop(fake, 10), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_server_free(fake), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_OK(roomcast_server_free(NULL));
    EXPECT_STATUS(roomcast_server_start(NULL, &out), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_server_start(fake_cfg, &out), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_TRUE(out == NULL);
    EXPECT_STATUS(roomcast_config_set_port(fake_cfg, 1), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_config_set_port(NULL, 1), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_config_new(NULL), ROOMCAST_ERR_NULL);
    EXPECT_OK(roomcast_config_free(NULL));
    roomcast_event_free(NULL);
    roomcast_string_free(NULL);
    EXPECT_TRUE(roomcast_last_error() != NULL && strlen(roomcast_last_error()) > 0);
}

static void config_validation(void) {
    roomcast_config *fake_cfg = (roomcast_config *)(uintptr_t)0x7777;
    roomcast_config *cfg = NULL, *cfg2 = NULL;
    roomcast_server *a = NULL, *b = NULL;
    uint16_t port = 0;
    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_STATUS(roomcast_config_set_host(cfg, bad_utf8), ROOMCAST_ERR_INVALID_UTF8);
    EXPECT_STATUS(roomcast_config_set_host(cfg, NULL), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_config_set_path(cfg, "/a?b"), ROOMCAST_ERR_INVALID_CONFIG);
    EXPECT_STATUS(roomcast_config_add_namespace(cfg, bad_utf8, 0), ROOMCAST_ERR_INVALID_UTF8);
    EXPECT_STATUS(roomcast_config_add_namespace(cfg, "admin", 0), ROOMCAST_ERR_INVALID_CONFIG);
    EXPECT_OK(roomcast_config_set_path(cfg, "/socket.io/"));
    EXPECT_OK(roomcast_config_add_cors_origin(cfg, "http://localhost:8080"));
    EXPECT_OK(roomcast_config_set_cors_credentials(cfg, 1));
    EXPECT_OK(roomcast_config_set_ping_interval_ms(cfg, 25000));
    EXPECT_OK(roomcast_config_set_ping_timeout_ms(cfg, 20000));
    EXPECT_OK(roomcast_config_set_max_payload(cfg, 100000));
    EXPECT_OK(roomcast_config_set_connect_timeout_ms(cfg, 45000));
    EXPECT_OK(roomcast_config_set_worker_threads(cfg, 1));
    EXPECT_OK(roomcast_config_set_max_attachments(cfg, 0));
    EXPECT_STATUS(roomcast_config_set_max_buffered_frames(cfg, 0), ROOMCAST_ERR_INVALID_CONFIG);
    EXPECT_OK(roomcast_config_set_max_buffered_frames(cfg, 64));
    EXPECT_STATUS(roomcast_config_set_max_attachments(fake_cfg, 1), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_config_set_allow_polling(NULL, 1), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_config_set_allow_websocket(fake_cfg, 1), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_config_set_max_buffered_frames(fake_cfg, 1), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_config_set_connection_state_recovery(fake_cfg, 1000, 1, 0), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_STATUS(roomcast_config_set_connection_state_recovery(NULL, 1000, 1, 0), ROOMCAST_ERR_NULL);
    EXPECT_OK(roomcast_config_set_connection_state_recovery(cfg, 120000, 1, 0));
    EXPECT_OK(roomcast_config_set_connection_state_recovery(cfg, 0, 1, 0)); /* off again */
    EXPECT_OK(roomcast_config_clear_namespaces(cfg));
    EXPECT_OK(roomcast_config_add_namespace(cfg, "/", 1));
    EXPECT_OK(roomcast_config_set_static_dir(cfg, "."));
    EXPECT_OK(roomcast_config_set_client_dist_dir(cfg, "."));
    EXPECT_OK(roomcast_config_set_host(cfg, "no-such-host.invalid"));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    EXPECT_STATUS(roomcast_server_start(cfg, &a), ROOMCAST_ERR_INVALID_CONFIG);
    EXPECT_OK(roomcast_config_set_host(cfg, "localhost"));
    /* No transport at all is refused; either one alone is fine. */
    EXPECT_OK(roomcast_config_set_allow_polling(cfg, 0));
    EXPECT_OK(roomcast_config_set_allow_websocket(cfg, 0));
    EXPECT_STATUS(roomcast_server_start(cfg, &a), ROOMCAST_ERR_INVALID_CONFIG);
    EXPECT_TRUE(a == NULL);
    EXPECT_OK(roomcast_config_set_allow_websocket(cfg, 1));
    EXPECT_OK(roomcast_server_start(cfg, &a));
    EXPECT_OK(roomcast_server_port(a, &port));
    /* A second server on the same port: binding fails with an I/O error. */
    EXPECT_OK(roomcast_config_new(&cfg2));
    EXPECT_OK(roomcast_config_set_host(cfg2, "localhost"));
    EXPECT_OK(roomcast_config_set_port(cfg2, port));
    EXPECT_STATUS(roomcast_server_start(cfg2, &b), ROOMCAST_ERR_IO);
    EXPECT_TRUE(b == NULL);
    EXPECT_OK(roomcast_config_free(cfg2));
    EXPECT_OK(roomcast_config_free(cfg));
    EXPECT_STATUS(roomcast_config_free(cfg), ROOMCAST_ERR_INVALID_HANDLE); /* double free */
    EXPECT_STATUS(roomcast_config_set_port(cfg, 1), ROOMCAST_ERR_INVALID_HANDLE);
    /* A config handle is not a server handle. */
    EXPECT_STATUS(roomcast_server_stop((roomcast_server *)(void *)cfg, 10), ROOMCAST_ERR_INVALID_HANDLE);
    EXPECT_OK(roomcast_server_free(a));
}

static void server_lifecycle(void) {
    roomcast_config *cfg = NULL;
    roomcast_server *s = NULL;
    roomcast_event *ev = NULL;
    int weight = 1;
    char *json = NULL;
    roomcast_bytes att;
    att.ptr = NULL;
    att.len = 3;
    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    EXPECT_OK(roomcast_server_start(cfg, &s));
    EXPECT_OK(roomcast_config_free(cfg));

    /* Invalid arguments on a live server. */
    EXPECT_STATUS(roomcast_emit(s, "/", NULL, "x", "[1,2", NULL, 0, NULL), ROOMCAST_ERR_INVALID_JSON);
    EXPECT_STATUS(roomcast_emit(s, "/", NULL, "x", "42", NULL, 0, NULL), ROOMCAST_ERR_INVALID_JSON);
    EXPECT_STATUS(roomcast_emit(s, bad_utf8, NULL, "x", "[]", NULL, 0, NULL), ROOMCAST_ERR_INVALID_UTF8);
    EXPECT_STATUS(roomcast_emit(s, "/", NULL, "x", "[]", &att, 1, NULL), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_emit(s, "/", NULL, NULL, "[]", NULL, 0, NULL), ROOMCAST_ERR_NULL);
    /* Revision 5: release, bulk operations and runtime namespaces check their input. */
    EXPECT_STATUS(roomcast_release(s, "/", "AAAAAAAAAAAAAAAAAAAA"), ROOMCAST_ERR_NO_SUCH_SOCKET);
    EXPECT_STATUS(roomcast_release(s, "/", NULL), ROOMCAST_ERR_NULL);
    EXPECT_OK(roomcast_sockets_join(s, "/", NULL, "everyone"));
    EXPECT_OK(roomcast_sockets_leave(s, "/", NULL, "everyone"));
    EXPECT_OK(roomcast_disconnect_sockets(s, "/", NULL, 0));
    EXPECT_STATUS(roomcast_sockets_join(s, "/nobody", NULL, "r"), ROOMCAST_ERR_NO_SUCH_NAMESPACE);
    EXPECT_STATUS(roomcast_add_namespace(s, "late", 0), ROOMCAST_ERR_INVALID_CONFIG);
    EXPECT_OK(roomcast_add_namespace(s, "/late", 1));
    EXPECT_OK(roomcast_sockets_join(s, "/late", NULL, "r"));
    /* Gone sockets, unknown acks and requests (no client ever connected). */
    EXPECT_STATUS(roomcast_emit_to_socket(s, "/", "AAAAAAAAAAAAAAAAAAAA", "x", "[]", NULL, 0),
                  ROOMCAST_ERR_NO_SUCH_SOCKET);
    EXPECT_STATUS(roomcast_rooms_of(s, "/", "AAAAAAAAAAAAAAAAAAAA", &json), ROOMCAST_ERR_NO_SUCH_SOCKET);
    EXPECT_STATUS(roomcast_rooms_of(s, "/", "AAAAAAAAAAAAAAAAAAAA", NULL), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_set_data(s, "/", "AAAAAAAAAAAAAAAAAAAA", "{}"), ROOMCAST_ERR_NO_SUCH_SOCKET);
    EXPECT_STATUS(roomcast_set_data(s, "/", "AAAAAAAAAAAAAAAAAAAA", "{"), ROOMCAST_ERR_INVALID_JSON);
    EXPECT_STATUS(roomcast_set_data(s, "/", "AAAAAAAAAAAAAAAAAAAA", NULL), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_data(s, "/", "AAAAAAAAAAAAAAAAAAAA", &json), ROOMCAST_ERR_NO_SUCH_SOCKET);
    EXPECT_STATUS(roomcast_data(s, "/", "AAAAAAAAAAAAAAAAAAAA", NULL), ROOMCAST_ERR_NULL);
    EXPECT_STATUS(roomcast_disconnect(s, "/", "AAAAAAAAAAAAAAAAAAAA", 1), ROOMCAST_ERR_NO_SUCH_SOCKET);
    EXPECT_STATUS(roomcast_ack_send(s, 12345, "[]", NULL, 0), ROOMCAST_ERR_NO_SUCH_ACK);
    EXPECT_STATUS(roomcast_ack_send(s, 12345, "[", NULL, 0), ROOMCAST_ERR_INVALID_JSON);
    EXPECT_STATUS(roomcast_accept(s, 12345), ROOMCAST_ERR_NO_SUCH_REQUEST);
    EXPECT_STATUS(roomcast_reject(s, 12345, bad_utf8, NULL), ROOMCAST_ERR_INVALID_UTF8);
    EXPECT_STATUS(roomcast_sockets(s, "/", NULL, NULL), ROOMCAST_ERR_NULL);
    EXPECT_TRUE(json == NULL);

    /* The finalizer is not taken on a failed set_callback, and runs once on stop. */
    EXPECT_STATUS(roomcast_server_set_callback(s, NULL, &weight, finalize), ROOMCAST_ERR_NULL);
    EXPECT_OK(roomcast_server_set_callback(s, ignore, &weight, finalize));
    EXPECT_STATUS(roomcast_server_set_callback(s, ignore, &weight, finalize), ROOMCAST_ERR_MODE);
    EXPECT_STATUS(roomcast_next_event(s, 0, &ev), ROOMCAST_ERR_MODE);
    EXPECT_TRUE(finalized == 0);
    EXPECT_OK(roomcast_server_stop(s, 1000));
    EXPECT_TRUE(finalized == 1);
    EXPECT_STATUS(roomcast_server_stop(s, 1000), ROOMCAST_ERR_STOPPED); /* double stop */
    EXPECT_STATUS(roomcast_emit(s, "/", NULL, "x", "[]", NULL, 0, NULL), ROOMCAST_ERR_STOPPED);
    EXPECT_STATUS(roomcast_join(s, "/", "AAAAAAAAAAAAAAAAAAAA", "r"), ROOMCAST_ERR_STOPPED);
    EXPECT_OK(roomcast_server_free(s));
    EXPECT_TRUE(finalized == 1);
    EXPECT_STATUS(roomcast_server_free(s), ROOMCAST_ERR_INVALID_HANDLE); /* double free */
    EXPECT_STATUS(roomcast_server_stop(s, 10), ROOMCAST_ERR_INVALID_HANDLE); /* stop after free */

    /* free without stop stops, and still finalizes exactly once. */
    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    EXPECT_OK(roomcast_server_start(cfg, &s));
    EXPECT_OK(roomcast_config_free(cfg));
    EXPECT_OK(roomcast_server_set_callback(s, ignore, &weight, finalize));
    EXPECT_OK(roomcast_server_free(s));
    EXPECT_TRUE(finalized == 2);
    /* A stopped pull-mode server reports STOPPED, and set_callback after stop is refused. */
    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    EXPECT_OK(roomcast_server_start(cfg, &s));
    EXPECT_OK(roomcast_config_free(cfg));
    EXPECT_OK(roomcast_server_stop(s, 1000));
    EXPECT_STATUS(roomcast_server_set_callback(s, ignore, &weight, finalize), ROOMCAST_ERR_STOPPED);
    EXPECT_STATUS(roomcast_next_event(s, 100, &ev), ROOMCAST_ERR_STOPPED);
    EXPECT_TRUE(ev == NULL);
    EXPECT_OK(roomcast_server_free(s));
    EXPECT_TRUE(finalized == 2);
}

/* Every command before any client connected returns at once with its own code (a hang
 * here fails the test through its time limit). Namespaces a rule accepts exist for
 * commands from the start, as if a client had used them; others do not. */
static void commands_before_any_client(void) {
    roomcast_config *cfg = NULL;
    roomcast_server *s = NULL;
    roomcast_event *ev = NULL;
    char *json = NULL;
    size_t recipients = 99;
    uint64_t ack_id = 0;
    const char *lobby[1];
    roomcast_target to;
    static const char *const used_first_by_a_command[] = {"/", "/dyn-1", "/private"};
    const char *const sid = "AAAAAAAAAAAAAAAAAAAA";
    size_t i;
    memset(&to, 0, sizeof to);
    lobby[0] = "lobby";
    to.rooms = lobby;
    to.rooms_len = 1;

    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    EXPECT_OK(roomcast_config_add_namespace(cfg, "/dyn-*", 0));
    EXPECT_OK(roomcast_config_add_namespace(cfg, "/private", 1));
    EXPECT_OK(roomcast_server_start(cfg, &s));
    EXPECT_OK(roomcast_config_free(cfg));

    for (i = 0; i < sizeof used_first_by_a_command / sizeof *used_first_by_a_command; i++) {
        const char *nsp = used_first_by_a_command[i];
        recipients = 99;
        EXPECT_OK(roomcast_emit(s, nsp, NULL, "x", "[1]", NULL, 0, &recipients));
        EXPECT_TRUE(recipients == 0);
        recipients = 99;
        EXPECT_OK(roomcast_emit(s, nsp, &to, "x", NULL, NULL, 0, &recipients));
        EXPECT_TRUE(recipients == 0);
        EXPECT_STATUS(roomcast_emit_to_socket(s, nsp, sid, "x", "[]", NULL, 0), ROOMCAST_ERR_NO_SUCH_SOCKET);
        EXPECT_STATUS(roomcast_join(s, nsp, sid, "lobby"), ROOMCAST_ERR_NO_SUCH_SOCKET);
        EXPECT_STATUS(roomcast_join(s, nsp, "not-a-sid", "lobby"), ROOMCAST_ERR_NO_SUCH_SOCKET);
        EXPECT_STATUS(roomcast_leave(s, nsp, sid, "lobby"), ROOMCAST_ERR_NO_SUCH_SOCKET);
        EXPECT_STATUS(roomcast_rooms_of(s, nsp, sid, &json), ROOMCAST_ERR_NO_SUCH_SOCKET);
        EXPECT_TRUE(json == NULL);
        EXPECT_STATUS(roomcast_disconnect(s, nsp, sid, 0), ROOMCAST_ERR_NO_SUCH_SOCKET);
        EXPECT_OK(roomcast_sockets(s, nsp, NULL, &json));
        EXPECT_TRUE(json != NULL && strcmp(json, "[]") == 0);
        roomcast_string_free(json);
        json = NULL;
    }
    /* A namespace no rule accepts. */
    EXPECT_STATUS(roomcast_emit(s, "/nowhere", NULL, "x", "[]", NULL, 0, &recipients), ROOMCAST_ERR_NO_SUCH_NAMESPACE);
    EXPECT_STATUS(roomcast_emit_with_ack(s, "/nowhere", NULL, "x", NULL, NULL, 0, 10, &ack_id),
                  ROOMCAST_ERR_NO_SUCH_NAMESPACE);
    EXPECT_STATUS(roomcast_join(s, "/nowhere", sid, "lobby"), ROOMCAST_ERR_NO_SUCH_NAMESPACE);
    EXPECT_STATUS(roomcast_sockets(s, "/nowhere", NULL, &json), ROOMCAST_ERR_NO_SUCH_NAMESPACE);
    EXPECT_TRUE(json == NULL);
    EXPECT_STATUS(roomcast_accept(s, 1), ROOMCAST_ERR_NO_SUCH_REQUEST);
    EXPECT_STATUS(roomcast_reject(s, 1, "no", NULL), ROOMCAST_ERR_NO_SUCH_REQUEST);

    /* An emit with ack to nobody ends at once with zero replies, not after its 10 min timeout. */
    EXPECT_OK(roomcast_emit_with_ack(s, "/", NULL, "q", "[]", NULL, 0, 600000, &ack_id));
    EXPECT_TRUE(ack_id != 0);
    EXPECT_OK(roomcast_next_event(s, 60000, &ev));
    EXPECT_TRUE(ev != NULL);
    if (ev) {
        EXPECT_TRUE(ev->kind == ROOMCAST_EVENT_ACK_RESPONSE);
        EXPECT_TRUE(ev->ack_response_id == ack_id);
        EXPECT_TRUE(ev->replies_len == 0 && ev->replies == NULL);
        EXPECT_TRUE(!ev->timed_out);
        EXPECT_TRUE(ev->disconnected == 0);
        EXPECT_TRUE(ev->nsp == NULL && ev->sid == NULL);
        roomcast_event_free(ev);
    }
    EXPECT_STATUS(roomcast_next_event(s, 0, &ev), ROOMCAST_ERR_TIMEOUT);
    EXPECT_OK(roomcast_server_stop(s, 1000));
    EXPECT_OK(roomcast_server_free(s));
}

int main(void) {
    EXPECT_TRUE(roomcast_abi_version() == ROOMCAST_ABI_VERSION);
    EXPECT_TRUE(roomcast_abi_revision() == ROOMCAST_ABI_REVISION && ROOMCAST_ABI_REVISION >= 5);
    EXPECT_TRUE(strlen(roomcast_version()) > 0);
    EXPECT_TRUE(roomcast_last_error() == NULL);
    EXPECT_TRUE(strcmp(roomcast_status_name(ROOMCAST_ERR_INVALID_JSON), "ROOMCAST_ERR_INVALID_JSON") == 0);
    EXPECT_TRUE(strcmp(roomcast_status_name(-999), "ROOMCAST_UNKNOWN") == 0);
    null_and_fake_handles();
    config_validation();
    server_lifecycle();
    commands_before_any_client();
    printf("misuse: %d failures\n", test_failures);
    return test_failures == 0 ? 0 : 1;
}

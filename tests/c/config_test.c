/* A small callback-mode server whose config comes from the command line, driven by
 * tests/c/config.test.mjs to check that each config setter is applied:
 *   --no-polling, --no-websocket, --max-attachments N, --max-buffered-frames N,
 *   --worker-threads N, --cors ORIGIN, --cors-credentials, --max-connections N,
 *   --attached (revision 14: no listener of the server's own, roomcast_config_set_listen
 *   off; this program accepts on its own socket and hands each connection over with
 *   roomcast_server_adopt_fd, whose misuse it checks first),
 *   --allow-request (each handshake is an ALLOW_REQUEST event, 500 ms to answer: header
 *   x-token "let-me-in" is allowed, "wrong" refused with 401 "bad token", x-silent gets no
 *   answer, anything else the default 403 "Forbidden"; revision 18: "named" is let
 *   through with roomcast_allow_request_with, a Set-Cookie header and the connection id
 *   "c-user-7"; the server reports CONNECTION_ERROR events to everyone as "conn-error"
 *   [code, message, context, method] and UPGRADE events as "upgraded" [conn_id,
 *   transport]; "close-conn" [conn_id] closes that connection with
 *   roomcast_close_connection and acks the status),
 *   --cors-pattern P (revision 21: origins matching regular expression P are allowed),
 *   --cors-methods M, --cors-allowed-headers H, --cors-exposed-headers H,
 *   --cors-max-age S (revision 23: the cors package's other headers),
 *   --cors-hook (revision 21: each request's origin is a CORS_ORIGIN event: an origin
 *   ending in ".ok.example" is allowed, "http://bad.example" refuses the request with the
 *   default 400 "Bad request", any other origin, or none, is not allowed).
 * Before starting, it checks every setter of the limits and timeouts (ABI revision 6):
 * a sensible value is taken, 0 (where it makes no sense) and a duration over a year are
 * ROOMCAST_ERR_INVALID_CONFIG with an error naming the option.
 * Client events: "echo" (ack with the args and attachments), "threads" (ack with how many
 * threads named "roomcast", the server runtime's workers, this process has), "flood" [n]
 * (n "flood" emits to the sender, then "flood-done"), "shutdown" (the main thread stops and
 * frees the server; the exit status is the failure count). Every DISCONNECT is told to
 * everyone as "gone" [sid, reason]. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

#define NSP "/"

static roomcast_server *server;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int shutdown_asked = 0;
static int gated_mode = 0;

/* --attached: the host's own listener; each accepted connection goes to the server. */
static int own_listener = -1;
static pthread_t acceptor;

static void *accept_loop(void *arg) {
    (void)arg;
    for (;;) {
        int fd = accept(own_listener, NULL, NULL);
        if (fd < 0) return NULL; /* shut down at exit */
        EXPECT_OK(roomcast_server_adopt_fd(server, fd, NULL, 0));
        close(fd);
    }
}

/* Binds 127.0.0.1:0, checks adopt_fd's refusals, starts accept_loop; returns the port. */
static uint16_t attach_own_listener(void) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int pipe_fds[2];
    uint16_t core_port = 1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    own_listener = socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_TRUE(own_listener >= 0);
    EXPECT_TRUE(bind(own_listener, (struct sockaddr *)&addr, sizeof addr) == 0);
    EXPECT_TRUE(listen(own_listener, 64) == 0);
    EXPECT_TRUE(getsockname(own_listener, (struct sockaddr *)&addr, &len) == 0);
    /* The server itself listens nowhere. */
    EXPECT_OK(roomcast_server_port(server, &core_port));
    EXPECT_TRUE(core_port == 0);
    /* Not a socket, not connected, no descriptor, NULL prefix: refused, nothing served. */
    EXPECT_TRUE(pipe(pipe_fds) == 0);
    EXPECT_STATUS(roomcast_server_adopt_fd(server, pipe_fds[0], NULL, 0), ROOMCAST_ERR_INVALID_ARGUMENT);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    EXPECT_STATUS(roomcast_server_adopt_fd(server, own_listener, NULL, 0), ROOMCAST_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(roomcast_server_adopt_fd(server, -1, NULL, 0), ROOMCAST_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(roomcast_server_adopt_fd(server, own_listener, NULL, 3), ROOMCAST_ERR_NULL);
    EXPECT_TRUE(pthread_create(&acceptor, NULL, accept_loop, NULL) == 0);
    return ntohs(addr.sin_port);
}

/* Threads of this process whose name is exactly "roomcast" (Linux /proc). */
static int runtime_threads(void) {
    DIR *dir = opendir("/proc/self/task");
    struct dirent *d;
    int n = 0;
    if (!dir) return -1;
    while ((d = readdir(dir)) != NULL) {
        char path[300], name[64] = "";
        FILE *f;
        if (d->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", d->d_name);
        f = fopen(path, "r");
        if (!f) continue;
        if (fgets(name, sizeof name, f) && strcmp(name, "roomcast\n") == 0) n++;
        fclose(f);
    }
    closedir(dir);
    return n;
}

typedef roomcast_status (*set_count)(roomcast_config *, size_t);
typedef roomcast_status (*set_rate)(roomcast_config *, uint32_t);
typedef roomcast_status (*set_ms)(roomcast_config *, uint64_t);

/* Expects `st` to be ROOMCAST_ERR_INVALID_CONFIG with a message naming `name`. */
static void expect_refused(roomcast_status st, const char *name) {
    const char *msg = roomcast_last_error();
    if (st != ROOMCAST_ERR_INVALID_CONFIG || !msg || !strstr(msg, name)) {
        fprintf(stderr, "FAIL %s: got %s (%s)\n", name, roomcast_status_name(st), msg ? msg : "");
        test_failures++;
    }
}

static void check_limit_setters(void) {
    static const struct { const char *name; set_count set; int zero_ok; } counts[] = {
        {"max_buffered_bytes", roomcast_config_set_max_buffered_bytes, 0},
        {"max_pending_events", roomcast_config_set_max_pending_events, 0},
        {"max_pending_bytes", roomcast_config_set_max_pending_bytes, 0},
        {"max_pending_events_total", roomcast_config_set_max_pending_events_total, 0},
        {"max_pending_bytes_total", roomcast_config_set_max_pending_bytes_total, 0},
        {"max_connections", roomcast_config_set_max_connections, 0},
        {"max_connections_per_ip", roomcast_config_set_max_connections_per_ip, 1},
        {"max_name_length", roomcast_config_set_max_name_length, 0},
        {"max_rooms_per_socket", roomcast_config_set_max_rooms_per_socket, 0},
    };
    static const struct { const char *name; set_rate set; } rates[] = {
        {"handshakes_per_sec", roomcast_config_set_handshakes_per_sec},
        {"handshakes_per_sec_per_ip", roomcast_config_set_handshakes_per_sec_per_ip},
    };
    static const struct { const char *name; set_ms set; } durations[] = {
        {"write_timeout", roomcast_config_set_write_timeout_ms},
        {"header_timeout", roomcast_config_set_header_timeout_ms},
        {"body_timeout", roomcast_config_set_body_timeout_ms},
        {"redis_request_timeout", roomcast_config_set_redis_request_timeout_ms},
    };
    const uint64_t year_ms = 365ull * 24 * 3600 * 1000;
    roomcast_config *cfg = NULL;
    size_t i;
    EXPECT_OK(roomcast_config_new(&cfg));
    for (i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        EXPECT_OK(counts[i].set(cfg, 5));
        if (counts[i].zero_ok) EXPECT_OK(counts[i].set(cfg, 0));
        else expect_refused(counts[i].set(cfg, 0), counts[i].name);
    }
    for (i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        EXPECT_OK(rates[i].set(cfg, 5));
        EXPECT_OK(rates[i].set(cfg, 0));
    }
    for (i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        EXPECT_OK(durations[i].set(cfg, 1500));
        expect_refused(durations[i].set(cfg, year_ms + 1), durations[i].name);
        if (i < 3) expect_refused(durations[i].set(cfg, 0), durations[i].name);
    }
    EXPECT_OK(roomcast_config_set_cleanup_empty_child_namespaces(cfg, 1));
    EXPECT_OK(roomcast_config_set_parser(cfg, "msgpack"));
    EXPECT_OK(roomcast_config_set_parser(cfg, NULL));
    expect_refused(roomcast_config_set_parser(cfg, "yaml"), "parser");
    EXPECT_OK(roomcast_config_set_per_message_deflate(cfg, 0));
    EXPECT_OK(roomcast_config_set_per_message_deflate(cfg, 1));
    EXPECT_OK(roomcast_config_set_per_message_deflate_threshold(cfg, 256));
    expect_refused(roomcast_config_set_allow_request_timeout_ms(cfg, 0), "allow_request_timeout");
    expect_refused(roomcast_config_add_cors_origin_pattern(cfg, "(unclosed"), "cors_origin_patterns");
    EXPECT_STATUS(roomcast_config_add_cors_origin_pattern(cfg, NULL), ROOMCAST_ERR_NULL);
    EXPECT_OK(roomcast_config_set_cors_origin_hook(cfg, 0));
    /* Revision 23: the cors package's header options; a control character is refused. */
    expect_refused(roomcast_config_set_cors_exposed_headers(cfg, "x-a\r\nx-b"), "cors_exposed_headers");
    expect_refused(roomcast_config_set_cors_allowed_headers(cfg, "x-a\n"), "cors_allowed_headers");
    expect_refused(roomcast_config_set_cors_methods(cfg, "GET\r\n"), "cors_methods");
    EXPECT_OK(roomcast_config_set_cors_max_age(cfg, -1));
    EXPECT_OK(roomcast_config_set_cors_allowed_headers(cfg, NULL));
    EXPECT_STATUS(roomcast_config_set_cors_max_age(NULL, 5), ROOMCAST_ERR_NULL);
    EXPECT_OK(roomcast_config_set_redis_specific_response_channel(cfg, 1));
    /* The Redis options need a URL: refused at start, naming them. */
    expect_refused(roomcast_server_start(cfg, &server), "redis_request_timeout");
    EXPECT_STATUS(roomcast_config_set_write_timeout_ms(NULL, 1), ROOMCAST_ERR_NULL);
    EXPECT_OK(roomcast_config_free(cfg));
    EXPECT_STATUS(roomcast_config_set_max_connections(cfg, 1), ROOMCAST_ERR_INVALID_HANDLE);
}

static void on_message(const roomcast_event *ev) {
    char buf[256];
    if (strcmp(ev->event_name, "echo") == 0) {
        EXPECT_OK(roomcast_ack_send(server, ev->ack, ev->args_json, ev->attachments, ev->attachments_len));
    } else if (strcmp(ev->event_name, "threads") == 0) {
        snprintf(buf, sizeof buf, "[%d]", runtime_threads());
        EXPECT_OK(roomcast_ack_send(server, ev->ack, buf, NULL, 0));
    } else if (strcmp(ev->event_name, "flood") == 0) {
        /* Queued in one burst, far faster than a long-poll round trip drains them. Once the
         * client is cut off as a slow consumer, the rest find no socket. */
        long i, n = strtol(ev->args_json + 1, NULL, 10);
        for (i = 0; i < n; i++) {
            roomcast_status st;
            snprintf(buf, sizeof buf, "[%ld]", i);
            st = roomcast_emit_to_socket(server, NSP, ev->sid, "flood", buf, NULL, 0);
            EXPECT_TRUE(st == ROOMCAST_OK || st == ROOMCAST_ERR_NO_SUCH_SOCKET);
        }
        {
            roomcast_status st = roomcast_emit_to_socket(server, NSP, ev->sid, "flood-done", NULL, NULL, 0);
            EXPECT_TRUE(st == ROOMCAST_OK || st == ROOMCAST_ERR_NO_SUCH_SOCKET);
        }
    } else if (strcmp(ev->event_name, "shutdown") == 0) {
        pthread_mutex_lock(&lock);
        shutdown_asked = 1;
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&lock);
    } else if (strcmp(ev->event_name, "close-conn") == 0 && ev->ack) {
        /* args_json is ["<conn id>"]: the id is between the first two quotes. */
        char id[160] = {0};
        const char *a = strchr(ev->args_json, '"');
        const char *b = a ? strchr(a + 1, '"') : NULL;
        if (a && b && (size_t)(b - a - 1) < sizeof id) memcpy(id, a + 1, (size_t)(b - a - 1));
        snprintf(buf, sizeof buf, "[%d]", (int)roomcast_close_connection(server, id));
        EXPECT_OK(roomcast_ack_send(server, ev->ack, buf, NULL, 0));
    } else if (ev->ack) {
        EXPECT_OK(roomcast_ack_drop(server, ev->ack));
    }
}

/* Revision 18: what the engine refused, and upgrades, told to everyone. */
static void on_engine_event(const roomcast_event *ev) {
    char buf[1024];
    if (ev->kind == ROOMCAST_EVENT_CONNECTION_ERROR) {
        EXPECT_TRUE(ev->reason != NULL && ev->context_json != NULL && ev->method != NULL && ev->handshake_json != NULL);
        snprintf(buf, sizeof buf, "[%u,\"%s\",%s,\"%s\"]", ev->error_code, ev->reason, ev->context_json, ev->method);
        EXPECT_OK(roomcast_emit(server, NSP, NULL, "conn-error", buf, NULL, 0, NULL));
    } else {
        const char *transport = NULL;
        int stopping;
        roomcast_status st;
        EXPECT_TRUE(ev->conn_id != NULL);
        /* Events are queued: by the time an upgrade is handled, its connection may have
           closed (the client left right after upgrading; under valgrind that is often),
           and after a client asked for shutdown the server may be stopping. Both are the
           documented answers, not failures; anything else is. */
        pthread_mutex_lock(&lock);
        stopping = shutdown_asked;
        pthread_mutex_unlock(&lock);
        st = roomcast_connection_transport(server, ev->conn_id, &transport);
        if (st == ROOMCAST_ERR_NO_SUCH_SOCKET || (stopping && st == ROOMCAST_ERR_STOPPED)) return;
        EXPECT_OK(st);
        if (stopping) return;
        snprintf(buf, sizeof buf, "[\"%s\",\"%s\"]", ev->conn_id, transport ? transport : "");
        EXPECT_OK(roomcast_emit(server, NSP, NULL, "upgraded", buf, NULL, 0, NULL));
    }
}

static void on_allow_request(const roomcast_event *ev) {
    const char *h = ev->handshake_json;
    EXPECT_TRUE(ev->request != 0 && h != NULL && ev->nsp == NULL && ev->sid == NULL);
    if (!h) return;
    EXPECT_TRUE(strstr(h, "\"url\":\"/socket.io/?EIO=4") != NULL);
    if (strstr(h, "\"x-token\":\"named\"")) {
        /* The id the session would get is in the handshake; bad input is refused by name. */
        EXPECT_TRUE(strstr(h, "\"conn_id\":\"") != NULL);
        EXPECT_STATUS(roomcast_allow_request_with(server, ev->request, "{\"a\":1}", NULL), ROOMCAST_ERR_INVALID_JSON);
        EXPECT_STATUS(roomcast_allow_request_with(server, ev->request, NULL, "no spaces"), ROOMCAST_ERR_INVALID_ARGUMENT);
        EXPECT_STATUS(roomcast_allow_request_with(server, ev->request, "[[\"Bad Name\",\"x\"]]", NULL), ROOMCAST_ERR_INVALID_ARGUMENT);
        EXPECT_OK(roomcast_allow_request_with(server, ev->request, "[[\"Set-Cookie\",\"c=1; Path=/\"]]", "c-user-7"));
    } else if (strstr(h, "\"x-token\":\"let-me-in\"")) {
        EXPECT_OK(roomcast_allow_request(server, ev->request, 1, 0, NULL));
        /* Answered once only. */
        EXPECT_STATUS(roomcast_allow_request(server, ev->request, 1, 0, NULL), ROOMCAST_ERR_NO_SUCH_REQUEST);
    } else if (strstr(h, "\"x-token\":\"wrong\"")) {
        EXPECT_STATUS(roomcast_allow_request(server, ev->request, 0, 200, "x"), ROOMCAST_ERR_INVALID_ARGUMENT);
        EXPECT_OK(roomcast_allow_request(server, ev->request, 0, 401, "bad token"));
    } else if (!strstr(h, "\"x-silent\"")) {
        EXPECT_OK(roomcast_allow_request(server, ev->request, 0, 0, NULL));
    }
}

/* Revision 21: --cors-hook decides each request's origin from its handshake's headers. */
static void on_cors_origin(const roomcast_event *ev) {
    const char *h = ev->handshake_json ? ev->handshake_json : "";
    const char *origin = strstr(h, "\"origin\":\"");
    const char *end = origin ? strchr(origin + 10, '"') : NULL;
    if (origin && strstr(origin, "\"origin\":\"http://bad.example\"") == origin) {
        EXPECT_STATUS(roomcast_allow_origin(server, ev->request, 0, 200, NULL), ROOMCAST_ERR_INVALID_ARGUMENT);
        EXPECT_OK(roomcast_allow_origin(server, ev->request, 0, 400, NULL));
    } else if (end && end - origin > 21 && strncmp(end - 11, ".ok.example", 11) == 0) {
        EXPECT_OK(roomcast_allow_origin(server, ev->request, 1, 0, NULL));
        /* Answered once only. */
        EXPECT_STATUS(roomcast_allow_origin(server, ev->request, 1, 0, NULL), ROOMCAST_ERR_NO_SUCH_REQUEST);
    } else {
        EXPECT_OK(roomcast_allow_origin(server, ev->request, 0, 0, NULL));
    }
}

static void on_event(void *user_data, const roomcast_event *ev) {
    char buf[256];
    (void)user_data;
    switch (ev->kind) {
    case ROOMCAST_EVENT_ALLOW_REQUEST:
        on_allow_request(ev);
        break;
    case ROOMCAST_EVENT_CORS_ORIGIN:
        on_cors_origin(ev);
        break;
    case ROOMCAST_EVENT_CONNECTION_ERROR:
    case ROOMCAST_EVENT_UPGRADE:
        on_engine_event(ev);
        break;
    case ROOMCAST_EVENT_CONNECTION:
        snprintf(buf, sizeof buf, "[\"%s\",null]", ev->sid);
        EXPECT_OK(roomcast_emit_to_socket(server, ev->nsp, ev->sid, "welcome", buf, NULL, 0));
        break;
    case ROOMCAST_EVENT_MESSAGE:
        on_message(ev);
        break;
    case ROOMCAST_EVENT_DISCONNECT:
        if (strcmp(ev->reason, "server shutting down") != 0) {
            snprintf(buf, sizeof buf, "[\"%s\",\"%s\"]", ev->sid, ev->reason);
            EXPECT_OK(roomcast_emit(server, NSP, NULL, "gone", buf, NULL, 0, NULL));
        }
        break;
    default:
        break;
    }
}

/* The plain WebSocket route setters: each option by name and type, refused by name. */
static void check_route_setters(void) {
    roomcast_config *cfg = NULL;
    roomcast_server *srv = NULL;
    EXPECT_OK(roomcast_config_new(&cfg));
    expect_refused(roomcast_config_add_route(cfg, "ws/chat"), "route ws/chat");
    EXPECT_OK(roomcast_config_add_route(cfg, "/ws/chat"));
    EXPECT_OK(roomcast_config_set_route_text(cfg, "/ws/chat", "delivery", "first_arg"));
    EXPECT_OK(roomcast_config_set_route_text(cfg, "/ws/chat", "rooms", "KPL"));
    EXPECT_OK(roomcast_config_set_route_text(cfg, "/ws/chat", "relay_event", "talk"));
    EXPECT_OK(roomcast_config_set_route_count(cfg, "/ws/chat", "max_message_size", 1024));
    EXPECT_OK(roomcast_config_set_route_ms(cfg, "/ws/chat", "ping_interval", 1000));
    EXPECT_OK(roomcast_config_set_route_bool(cfg, "/ws/chat", "verify", 1));
    expect_refused(roomcast_config_set_route_text(cfg, "/ws/chat", "delivery", "xml"), "delivery");
    expect_refused(roomcast_config_set_route_text(cfg, "/ws/chat", "relay_event", "disconnect"), "relay_event");
    expect_refused(roomcast_config_set_route_count(cfg, "/ws/chat", "max_message_size", 0), "max_message_size");
    expect_refused(roomcast_config_set_route_count(cfg, "/ws/chat", "verify", 1), "verify");
    expect_refused(roomcast_config_set_route_bool(cfg, "/ws/chat", "colour", 1), "colour");
    expect_refused(roomcast_config_set_route_text(cfg, "/ws/other", "delivery", "first_arg"), "/ws/other");
    EXPECT_STATUS(roomcast_config_set_route_text(cfg, "/ws/chat", NULL, "x"), ROOMCAST_ERR_NULL);
    /* A path already taken (here the Engine.IO one) is refused at start. */
    EXPECT_OK(roomcast_config_add_route(cfg, "/socket.io"));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    expect_refused(roomcast_server_start(cfg, &srv), "/socket.io");
    EXPECT_TRUE(srv == NULL);
    EXPECT_OK(roomcast_config_free(cfg));
}

int main(int argc, char **argv) {
    roomcast_config *cfg = NULL;
    uint16_t port = 0;
    int i;

    check_limit_setters();
    check_route_setters();
    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
        if (strcmp(a, "--no-polling") == 0) {
            EXPECT_OK(roomcast_config_set_allow_polling(cfg, 0));
        } else if (strcmp(a, "--no-websocket") == 0) {
            EXPECT_OK(roomcast_config_set_allow_websocket(cfg, 0));
        } else if (strcmp(a, "--cors-credentials") == 0) {
            EXPECT_OK(roomcast_config_set_cors_credentials(cfg, 1));
        } else if (strcmp(a, "--cors") == 0) {
            EXPECT_OK(roomcast_config_add_cors_origin(cfg, v));
            i++;
        } else if (strcmp(a, "--cors-pattern") == 0) {
            EXPECT_OK(roomcast_config_add_cors_origin_pattern(cfg, v));
            i++;
        } else if (strcmp(a, "--cors-methods") == 0) {
            EXPECT_OK(roomcast_config_set_cors_methods(cfg, v));
            i++;
        } else if (strcmp(a, "--cors-allowed-headers") == 0) {
            EXPECT_OK(roomcast_config_set_cors_allowed_headers(cfg, v));
            i++;
        } else if (strcmp(a, "--cors-exposed-headers") == 0) {
            EXPECT_OK(roomcast_config_set_cors_exposed_headers(cfg, v));
            i++;
        } else if (strcmp(a, "--cors-max-age") == 0) {
            EXPECT_OK(roomcast_config_set_cors_max_age(cfg, atol(v)));
            i++;
        } else if (strcmp(a, "--cors-hook") == 0) {
            EXPECT_OK(roomcast_config_set_cors_origin_hook(cfg, 1));
        } else if (strcmp(a, "--max-attachments") == 0) {
            EXPECT_OK(roomcast_config_set_max_attachments(cfg, (size_t)atol(v)));
            i++;
        } else if (strcmp(a, "--max-buffered-frames") == 0) {
            EXPECT_OK(roomcast_config_set_max_buffered_frames(cfg, (size_t)atol(v)));
            i++;
        } else if (strcmp(a, "--attached") == 0) {
            EXPECT_OK(roomcast_config_set_listen(cfg, 0));
            own_listener = 0;
        } else if (strcmp(a, "--allow-request") == 0) {
            EXPECT_OK(roomcast_config_set_allow_request(cfg, 1));
            EXPECT_OK(roomcast_config_set_allow_request_timeout_ms(cfg, 500));
            gated_mode = 1;
        } else if (strcmp(a, "--max-connections") == 0) {
            EXPECT_OK(roomcast_config_set_max_connections(cfg, (size_t)atol(v)));
            i++;
        } else if (strcmp(a, "--parser") == 0) {
            EXPECT_OK(roomcast_config_set_parser(cfg, v));
            i++;
        } else if (strcmp(a, "--worker-threads") == 0) {
            EXPECT_OK(roomcast_config_set_worker_threads(cfg, (size_t)atol(v)));
            i++;
        } else {
            fprintf(stderr, "FAIL unknown option %s\n", a);
            return 2;
        }
    }
    EXPECT_OK(roomcast_server_start(cfg, &server));
    EXPECT_OK(roomcast_config_free(cfg));
    EXPECT_OK(roomcast_server_port(server, &port));
    if (own_listener == 0) port = attach_own_listener();
    EXPECT_OK(roomcast_server_set_callback(server, on_event, NULL, NULL));
    if (gated_mode) {
        const char *transport = "unset";
        EXPECT_OK(roomcast_report_connection_errors(server, 1));
        EXPECT_OK(roomcast_report_upgrades(server, 1));
        EXPECT_STATUS(roomcast_connection_transport(server, "nope", &transport), ROOMCAST_ERR_NO_SUCH_SOCKET);
        EXPECT_STATUS(roomcast_connection_transport(server, "nope", NULL), ROOMCAST_ERR_NULL);
        EXPECT_STATUS(roomcast_close_connection(server, "nope"), ROOMCAST_ERR_NO_SUCH_SOCKET);
        EXPECT_STATUS(roomcast_close_connection(server, NULL), ROOMCAST_ERR_NULL);
        EXPECT_OK(roomcast_set_allow_request(server, 1));
    }
    printf("listening on http://127.0.0.1:%u\n", (unsigned)port);
    fflush(stdout);

    pthread_mutex_lock(&lock);
    while (!shutdown_asked) pthread_cond_wait(&wake, &lock);
    pthread_mutex_unlock(&lock);
    if (own_listener > 0) {
        shutdown(own_listener, SHUT_RDWR);
        pthread_join(acceptor, NULL);
    }
    EXPECT_OK(roomcast_server_stop(server, 3000));
    if (own_listener > 0) {
        /* After stop, a handed-in connection is refused. */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        EXPECT_STATUS(roomcast_server_adopt_fd(server, fd, NULL, 0), ROOMCAST_ERR_STOPPED);
        close(fd);
        close(own_listener);
    }
    EXPECT_OK(roomcast_server_free(server));
    printf("done: %d failures\n", test_failures);
    return test_failures == 0 ? 0 : 1;
}

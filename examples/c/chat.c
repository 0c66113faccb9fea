/* The roomcast chat room in C (the chat contract of every roomcast example):
 *   - every socket joins room "KPL"; a new socket gets "allMessage" (the history so far);
 *   - "talk" (message) is relayed as "talk" to the others in KPL;
 *   - "user-name" (name) records the name and tells everyone else "<name> joined";
 *   - "sendMessage" ({name, message}) is stored and sent to everyone as "newMessage";
 *   - on disconnect the others get "<name> left" (if the socket had a name);
 *   - "online" (number of connected sockets) goes to everyone whenever it changes.
 * Plain WebSocket clients (no Socket.IO: `new WebSocket("ws://localhost:3000/ws/chat")`)
 * are in KPL too: their text goes to the room as "talk", and a "talk" to KPL reaches them
 * as a text frame (the route's "first_arg" delivery rule).
 * Serves examples/public (the browser page) and the socket.io-client bundle.
 * Connection state recovery is on: a tab that loses its connection for up to RECOVERY_MS
 * (default 120000, 2 minutes) comes back in KPL with its name (kept as the socket's data)
 * and gets what it missed; the others then get "<name> is back".
 *
 * Build (from the repository root, after `cargo build --release -p roomcast-ffi` and
 * `npm ci --prefix examples`):
 *   cc -std=c99 -D_POSIX_C_SOURCE=200809L -pthread examples/c/chat.c -Iinclude \
 *      -Ltarget/release -lroomcast -Wl,-rpath,$PWD/target/release -o target/c/chat
 *   PORT=3000 target/c/chat     # then open http://localhost:3000
 * ROOMCAST_EXAMPLES overrides the examples directory (default "examples"). Ctrl-C stops
 * it cleanly. All chat state lives on the dispatcher thread: callbacks run one at a time,
 * so no locking is needed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "roomcast.h"

#define ROOM "KPL"
#define NSP "/"

typedef struct name_entry {
    char sid[32];
    char *name; /* JSON string contents, escapes kept */
    struct name_entry *next;
} name_entry;

typedef struct {
    roomcast_server *server;
    name_entry *names;
    char *history; /* JSON array text of {name, message} objects */
    size_t history_len;
    int online;
} chat;

/* ---- just enough JSON: find the extent of one value, escape text ---- */

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* The end of the JSON value starting at p (the input is valid JSON: the library checked). */
static const char *skip_value(const char *p) {
    int depth = 0;
    p = skip_ws(p);
    do {
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1]) p++;
            if (*p) p++;
        } else if (*p == '{' || *p == '[') {
            depth++;
            p++;
        } else if (*p == '}' || *p == ']') {
            depth--;
            p++;
        } else if (depth > 0 && (*p == ',' || *p == ':' || *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) {
            p++;
        } else {
            while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n') p++;
        }
        if (depth > 0) p = skip_ws(p);
    } while (depth > 0 && *p);
    return p;
}

static char *copy_span(const char *a, const char *b) {
    char *s = (char *)malloc((size_t)(b - a) + 1);
    if (!s) abort();
    memcpy(s, a, (size_t)(b - a));
    s[b - a] = '\0';
    return s;
}

/* The first element of a JSON array text, as JSON text (a copy; "null" when absent). */
static char *first_arg(const char *args) {
    const char *p = skip_ws(skip_ws(args) + 1);
    if (*p == ']' || *p == '\0') return copy_span("null", "null" + 4);
    return copy_span(p, skip_value(p));
}

/* The value of `key` in a JSON object text (a copy; "null" when absent or not an object). */
static char *member(const char *obj, const char *key) {
    const char *p = skip_ws(obj);
    size_t klen = strlen(key);
    if (*p != '{') return copy_span("null", "null" + 4);
    p = skip_ws(p + 1);
    while (*p == '"') {
        const char *k = p, *kend = skip_value(p), *v;
        p = skip_ws(skip_ws(kend) + 1); /* past ':' */
        v = p;
        p = skip_value(p);
        if ((size_t)(kend - k) == klen + 2 && strncmp(k + 1, key, klen) == 0) return copy_span(v, p);
        p = skip_ws(p);
        if (*p == ',') p = skip_ws(p + 1);
    }
    return copy_span("null", "null" + 4);
}

/* A name as JSON string contents: a JSON string keeps its escaped inside, anything else
 * is its JSON text escaped (so 42 becomes "42"). */
static char *name_of(const char *value) {
    size_t n = strlen(value), i, j = 0;
    char *out;
    if (n >= 2 && value[0] == '"') return copy_span(value + 1, value + n - 1);
    out = (char *)malloc(2 * n + 1);
    if (!out) abort();
    for (i = 0; i < n; i++) {
        if (value[i] == '"' || value[i] == '\\') out[j++] = '\\';
        out[j++] = value[i];
    }
    out[j] = '\0';
    return out;
}

/* `len` bytes of UTF-8 text as a JSON array of one string (malloc'd). */
static char *json_text_arg(const unsigned char *text, size_t len) {
    size_t i, j = 0;
    char *out = (char *)malloc(6 * len + 5);
    if (!out) abort();
    out[j++] = '[';
    out[j++] = '"';
    for (i = 0; i < len; i++) {
        unsigned char ch = text[i];
        if (ch == '"' || ch == '\\') {
            out[j++] = '\\';
            out[j++] = (char)ch;
        } else if (ch < 0x20) {
            j += (size_t)sprintf(out + j, "\\u%04x", ch);
        } else {
            out[j++] = (char)ch;
        }
    }
    out[j++] = '"';
    out[j++] = ']';
    out[j] = '\0';
    return out;
}

/* ---- chat ---- */

static void emit(chat *c, const roomcast_target *to, const char *event, const char *args) {
    roomcast_status st = roomcast_emit(c->server, NSP, to, event, args, NULL, 0, NULL);
    if (st != ROOMCAST_OK) fprintf(stderr, "emit %s: %s\n", event, roomcast_last_error());
}

static void global_msg(chat *c, const char *except_sid, const char *name, const char *what) {
    const char *except[1];
    roomcast_target to;
    size_t n = strlen(name) + strlen(what) + 16;
    char *args = (char *)malloc(n);
    if (!args) abort();
    memset(&to, 0, sizeof to);
    if (except_sid) {
        except[0] = except_sid;
        to.except = except;
        to.except_len = 1;
    }
    snprintf(args, n, "[\"%s %s\"]", name, what);
    emit(c, &to, "globalMsg", args);
    free(args);
}

static void send_online(chat *c) {
    char args[32];
    snprintf(args, sizeof args, "[%d]", c->online);
    emit(c, NULL, "online", args);
}

/* Adds or renames the entry of `sid`; takes `name`. */
static name_entry *set_name(chat *c, const char *sid, char *name) {
    name_entry *e;
    for (e = c->names; e && strcmp(e->sid, sid) != 0; e = e->next) {}
    if (!e) {
        e = (name_entry *)calloc(1, sizeof *e);
        if (!e) abort();
        snprintf(e->sid, sizeof e->sid, "%s", sid);
        e->next = c->names;
        c->names = e;
    }
    free(e->name);
    e->name = name;
    return e;
}

/* A recovered socket is back in KPL and got what it missed: no history (it would wipe the
 * missed shouts on the page); its name comes back from its data. */
static void on_recovered(chat *c, const char *sid) {
    char *data = NULL;
    if (roomcast_data(c->server, NSP, sid, &data) == ROOMCAST_OK && data) {
        name_entry *e = set_name(c, sid, name_of(data));
        global_msg(c, sid, e->name, "is back");
        roomcast_string_free(data);
    }
    c->online++;
    send_online(c);
}

static void on_connection(chat *c, const char *sid) {
    size_t n = c->history_len + 8;
    char *args = (char *)malloc(n);
    if (!args) abort();
    if (roomcast_join(c->server, NSP, sid, ROOM) != ROOMCAST_OK) fprintf(stderr, "join: %s\n", roomcast_last_error());
    snprintf(args, n, "[%s]", c->history);
    if (roomcast_emit_to_socket(c->server, NSP, sid, "allMessage", args, NULL, 0) != ROOMCAST_OK)
        fprintf(stderr, "allMessage: %s\n", roomcast_last_error());
    free(args);
    c->online++;
    send_online(c);
}

static void on_message(chat *c, const roomcast_event *ev) {
    if (strcmp(ev->event_name, "talk") == 0) {
        const char *rooms[1], *except[1];
        roomcast_target to;
        memset(&to, 0, sizeof to);
        rooms[0] = ROOM;
        except[0] = ev->sid;
        to.rooms = rooms;
        to.rooms_len = 1;
        to.except = except;
        to.except_len = 1;
        if (roomcast_emit(c->server, NSP, &to, "talk", ev->args_json, ev->attachments, ev->attachments_len, NULL))
            fprintf(stderr, "talk: %s\n", roomcast_last_error());
    } else if (strcmp(ev->event_name, "user-name") == 0) {
        char *arg = first_arg(ev->args_json);
        name_entry *e = set_name(c, ev->sid, name_of(arg));
        size_t n = strlen(e->name) + 3;
        char *data = (char *)malloc(n);
        if (!data) abort();
        snprintf(data, n, "\"%s\"", e->name); /* kept across a recovery */
        if (roomcast_set_data(c->server, NSP, ev->sid, data) != ROOMCAST_OK)
            fprintf(stderr, "set_data: %s\n", roomcast_last_error());
        free(data);
        free(arg);
        global_msg(c, ev->sid, e->name, "joined");
    } else if (strcmp(ev->event_name, "sendMessage") == 0) {
        char *arg = first_arg(ev->args_json);
        char *name = member(arg, "name"), *message = member(arg, "message");
        size_t n = strlen(name) + strlen(message) + 32;
        char *item = (char *)malloc(n), *args, *grown;
        if (!item) abort();
        snprintf(item, n, "{\"name\":%s,\"message\":%s}", name, message);
        /* history: "[a,b]" -> "[a,b,item]" */
        grown = (char *)realloc(c->history, c->history_len + strlen(item) + 2);
        if (!grown) abort();
        c->history = grown;
        c->history_len = (size_t)sprintf(c->history + c->history_len - 1, "%s%s]",
                                         c->history_len > 2 ? "," : "", item) + c->history_len - 1;
        args = (char *)malloc(strlen(item) + 3);
        if (!args) abort();
        sprintf(args, "[%s]", item);
        emit(c, NULL, "newMessage", args);
        free(args);
        free(item);
        free(name);
        free(message);
        free(arg);
    }
    if (ev->ack) roomcast_ack_drop(c->server, ev->ack); /* the chat answers no acks */
}

static void on_disconnect(chat *c, const char *sid) {
    name_entry **pe = &c->names;
    while (*pe && strcmp((*pe)->sid, sid) != 0) pe = &(*pe)->next;
    if (*pe) {
        name_entry *e = *pe;
        *pe = e->next;
        global_msg(c, NULL, e->name, "left");
        free(e->name);
        free(e);
    }
    c->online--;
    send_online(c);
}

/* A plain WebSocket user: in KPL from its connection on; its text goes to KPL as "talk". */
static void on_plain(chat *c, const roomcast_event *ev) {
    if (ev->kind == ROOMCAST_EVENT_PLAIN_CONNECTION) {
        if (roomcast_plain_join(c->server, ev->sid, ROOM) != ROOMCAST_OK)
            fprintf(stderr, "plain join: %s\n", roomcast_last_error());
    } else if (ev->kind == ROOMCAST_EVENT_PLAIN_MESSAGE && !ev->data_binary) {
        const char *rooms[1], *except[1];
        roomcast_target to;
        char *args = json_text_arg(ev->data.ptr, ev->data.len);
        memset(&to, 0, sizeof to);
        rooms[0] = ROOM;
        except[0] = ev->sid;
        to.rooms = rooms;
        to.rooms_len = 1;
        to.except = except;
        to.except_len = 1;
        emit(c, &to, "talk", args);
        free(args);
    }
}

static void on_event(void *user_data, const roomcast_event *ev) {
    chat *c = (chat *)user_data;
    if (ev->kind == ROOMCAST_EVENT_PLAIN_CONNECTION || ev->kind == ROOMCAST_EVENT_PLAIN_MESSAGE ||
        ev->kind == ROOMCAST_EVENT_PLAIN_CLOSE) {
        on_plain(c, ev); /* plain events have a route, no namespace */
        return;
    }
    if (ev->kind != ROOMCAST_EVENT_ACK_RESPONSE && strcmp(ev->nsp, NSP) != 0) return;
    switch (ev->kind) {
    case ROOMCAST_EVENT_CONNECTION:
        if (ev->recovered) on_recovered(c, ev->sid);
        else on_connection(c, ev->sid);
        break;
    case ROOMCAST_EVENT_MESSAGE: on_message(c, ev); break;
    case ROOMCAST_EVENT_DISCONNECT: on_disconnect(c, ev->sid); break;
    /* The chat has no server-to-server events: give back any answer duty at once. */
    case ROOMCAST_EVENT_SERVER_SIDE_EMIT: if (ev->ack) roomcast_ack_drop(c->server, ev->ack); break;
    default: break;
    }
}

/* Called once by the library after the last callback: the chat state goes with it. */
static void free_chat(void *user_data) {
    chat *c = (chat *)user_data;
    while (c->names) {
        name_entry *e = c->names;
        c->names = e->next;
        free(e->name);
        free(e);
    }
    free(c->history);
    free(c);
}

static int check(roomcast_status st, const char *what) {
    if (st != ROOMCAST_OK) fprintf(stderr, "%s: %s (%s)\n", what, roomcast_status_name(st), roomcast_last_error());
    return st == ROOMCAST_OK;
}

int main(void) {
    const char *port_env = getenv("PORT"), *dir = getenv("ROOMCAST_EXAMPLES");
    const char *recovery_env = getenv("RECOVERY_MS");
    char path[4096];
    roomcast_config *cfg = NULL;
    roomcast_server *server = NULL;
    chat *c;
    uint16_t port = 0;
    sigset_t stop_signals;
    int sig = 0;

    /* Block the stop signals before the library starts threads, so they inherit the mask
     * and only sigwait below sees them. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    sigaddset(&stop_signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    if (!dir) dir = "examples";
    if (!check(roomcast_config_new(&cfg), "config")) return 1;
    roomcast_config_set_port(cfg, (uint16_t)(port_env ? atoi(port_env) : 3000));
    snprintf(path, sizeof path, "%s/public", dir);
    roomcast_config_set_static_dir(cfg, path);
    snprintf(path, sizeof path, "%s/node_modules/socket.io-client/dist", dir);
    roomcast_config_set_client_dist_dir(cfg, path);
    roomcast_config_set_connection_state_recovery(
        cfg, recovery_env ? strtoull(recovery_env, NULL, 10) : 120000, true, 0);
    /* With REDIS_URL, join the Redis cluster (REDIS_KEY, default "socket.io"); rooms and
     * broadcasts then span every node, roomcast or Node socket.io. */
    if (getenv("REDIS_URL") &&
        !check(roomcast_config_set_redis(cfg, getenv("REDIS_URL"), getenv("REDIS_KEY")), "set_redis"))
        return 1;
    /* REDIS_STREAMS=1: the Redis Streams adapter (recovery across nodes) instead of classic. */
    if (getenv("REDIS_STREAMS") && strcmp(getenv("REDIS_STREAMS"), "1") == 0 &&
        !check(roomcast_config_set_redis_streams(cfg, true, 0), "set_redis_streams"))
        return 1;
    /* With TLS_CERT and TLS_KEY (PEM files), serve https / wss; SIGHUP reloads them. */
    if (getenv("TLS_CERT") && getenv("TLS_KEY") &&
        (!check(roomcast_config_set_tls_cert(cfg, getenv("TLS_CERT")), "set_tls_cert") ||
         !check(roomcast_config_set_tls_key(cfg, getenv("TLS_KEY")), "set_tls_key")))
        return 1;
    /* With METRICS_PATH (e.g. /metrics), serve Prometheus metrics there; SIGUSR1 prints
     * the snapshot (roomcast_server_metrics) as one "metrics: {json}" line. */
    if (getenv("METRICS_PATH") &&
        !check(roomcast_config_set_metrics_path(cfg, getenv("METRICS_PATH")), "set_metrics_path"))
        return 1;
    /* Plain WebSocket clients at /ws/chat: a talk to KPL reaches them as its text. */
    if (!check(roomcast_config_add_route(cfg, "/ws/chat"), "add_route") ||
        !check(roomcast_config_set_route_text(cfg, "/ws/chat", "delivery", "first_arg"), "set_route_text"))
        return 1;
    /* With ADMIN_UI_PASSWORD (a bcrypt hash; user ADMIN_UI_USERNAME, default "admin") or
     * ADMIN_UI_AUTH=false, serve the Socket.IO admin UI on /admin (ADMIN_UI_MODE,
     * ADMIN_UI_READONLY=1 and ADMIN_UI_SERVER_ID as instrument() takes them). */
    if ((getenv("ADMIN_UI_PASSWORD") || (getenv("ADMIN_UI_AUTH") && strcmp(getenv("ADMIN_UI_AUTH"), "false") == 0)) &&
        !check(roomcast_config_set_admin_ui(cfg, NULL, getenv("ADMIN_UI_USERNAME"), getenv("ADMIN_UI_PASSWORD"),
                                            getenv("ADMIN_UI_READONLY") && strcmp(getenv("ADMIN_UI_READONLY"), "1") == 0,
                                            getenv("ADMIN_UI_MODE"), getenv("ADMIN_UI_SERVER_ID"), 0),
               "set_admin_ui"))
        return 1;
    if (!check(roomcast_server_start(cfg, &server), "start")) return 1;
    roomcast_config_free(cfg);

    c = (chat *)calloc(1, sizeof *c);
    if (!c) abort();
    c->server = server;
    c->history = copy_span("[]", "[]" + 2);
    c->history_len = 2;
    if (!check(roomcast_server_set_callback(server, on_event, c, free_chat), "set_callback")) return 1;

    roomcast_server_port(server, &port);
    printf("listening on %s://localhost:%u\n", getenv("TLS_CERT") && getenv("TLS_KEY") ? "https" : "http",
           (unsigned)port);
    fflush(stdout);

    for (;;) {
        sigwait(&stop_signals, &sig);
        if (sig == SIGUSR1) {
            char *json = NULL;
            if (check(roomcast_server_metrics(server, &json), "metrics")) printf("metrics: %s\n", json);
            roomcast_string_free(json);
            fflush(stdout);
            continue;
        }
        if (sig != SIGHUP) break;
        if (getenv("TLS_CERT") && getenv("TLS_KEY")) {
            if (check(roomcast_server_reload_tls(server, getenv("TLS_CERT"), getenv("TLS_KEY")), "tls: reload failed, keeping the old one"))
                printf("tls: certificate reloaded\n");
            fflush(stdout);
        }
    }
    fprintf(stderr, "signal %d: stopping\n", sig);
    check(roomcast_server_stop(server, 5000), "stop"); /* after this, no callback runs */
    check(roomcast_server_free(server), "free");
    return 0;
}

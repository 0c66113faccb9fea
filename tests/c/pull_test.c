/* A single-threaded "game loop" host using the pull API (roomcast_next_event), driven by
 * tests/c/pull.test.mjs. Clients: "echo" (ack with the args and attachments), "count"
 * (ack with the number of connected sockets), "ask" (server emit with ack; the result
 * arrives as a pulled ACK_RESPONSE and is sent back as "answer"), "quit" (the loop stops
 * the server with clients connected, drains the queued events, and frees everything). */
#include "testutil.h"

#define NSP "/"

int main(void) {
    roomcast_config *cfg = NULL;
    roomcast_server *server = NULL;
    roomcast_event *ev = NULL;
    uint16_t port = 0;
    int quit = 0, connected = 0, ticks = 0, drained = 0;
    char asker[32] = "";

    EXPECT_OK(roomcast_config_new(&cfg));
    EXPECT_OK(roomcast_config_set_port(cfg, 0));
    EXPECT_OK(roomcast_server_start(cfg, &server));
    EXPECT_OK(roomcast_config_free(cfg));
    EXPECT_OK(roomcast_server_port(server, &port));
    /* Nothing happened yet: an immediate poll times out. */
    EXPECT_STATUS(roomcast_next_event(server, 0, &ev), ROOMCAST_ERR_TIMEOUT);
    EXPECT_TRUE(ev == NULL);
    /* Pull mode is now chosen: a callback is refused. */
    EXPECT_STATUS(roomcast_server_set_callback(server, NULL, NULL, NULL), ROOMCAST_ERR_NULL);
    printf("listening on http://127.0.0.1:%u\n", (unsigned)port);
    fflush(stdout);

    while (!quit) {
        char buf[1024];
        roomcast_status st = roomcast_next_event(server, 50, &ev);
        ticks++; /* a game would simulate a frame here */
        if (st == ROOMCAST_ERR_TIMEOUT) continue;
        EXPECT_OK(st);
        if (st != ROOMCAST_OK) break;
        switch (ev->kind) {
        case ROOMCAST_EVENT_CONNECTION:
            connected++;
            snprintf(buf, sizeof buf, "[\"%s\",null]", ev->sid);
            EXPECT_OK(roomcast_emit_to_socket(server, NSP, ev->sid, "welcome", buf, NULL, 0));
            break;
        case ROOMCAST_EVENT_DISCONNECT:
            connected--;
            break;
        case ROOMCAST_EVENT_MESSAGE:
            if (strcmp(ev->event_name, "echo") == 0) {
                EXPECT_OK(roomcast_ack_send(server, ev->ack, ev->args_json, ev->attachments, ev->attachments_len));
            } else if (strcmp(ev->event_name, "count") == 0) {
                char *json = NULL;
                EXPECT_OK(roomcast_sockets(server, NSP, NULL, &json));
                snprintf(buf, sizeof buf, "[%d,%s]", connected, json ? json : "null");
                roomcast_string_free(json);
                EXPECT_OK(roomcast_ack_send(server, ev->ack, buf, NULL, 0));
            } else if (strcmp(ev->event_name, "ask") == 0) {
                snprintf(asker, sizeof asker, "%s", ev->sid);
                EXPECT_OK(roomcast_emit_with_ack(server, NSP, NULL, "question", "[1]", NULL, 0, 20000, NULL));
            } else if (strcmp(ev->event_name, "quit") == 0) {
                quit = 1;
            }
            break;
        case ROOMCAST_EVENT_ACK_RESPONSE:
            EXPECT_TRUE(ev->replies_len >= 1);
            if (ev->replies_len >= 1) {
                snprintf(buf, sizeof buf, "[%s,%s]", ev->replies[0].args_json, ev->timed_out ? "true" : "false");
                EXPECT_OK(roomcast_emit_to_socket(server, NSP, asker, "answer", buf, NULL, 0));
            }
            break;
        default:
            break;
        }
        roomcast_event_free(ev);
        ev = NULL;
    }

    /* Stop with clients connected, then drain: their disconnects are still queued. */
    EXPECT_TRUE(connected >= 1);
    EXPECT_OK(roomcast_server_stop(server, 3000));
    EXPECT_STATUS(roomcast_server_stop(server, 3000), ROOMCAST_ERR_STOPPED);
    for (;;) {
        roomcast_status st = roomcast_next_event(server, 1000, &ev);
        if (st == ROOMCAST_ERR_STOPPED) break;
        EXPECT_OK(st);
        if (st != ROOMCAST_OK) break;
        if (ev->kind == ROOMCAST_EVENT_DISCONNECT) {
            EXPECT_TRUE(strcmp(ev->reason, "server shutting down") == 0);
            drained++;
            connected--;
        }
        roomcast_event_free(ev);
    }
    EXPECT_TRUE(connected == 0);
    EXPECT_TRUE(drained >= 1);
    EXPECT_STATUS(roomcast_next_event(server, 0, &ev), ROOMCAST_ERR_STOPPED);
    EXPECT_OK(roomcast_server_free(server));
    EXPECT_STATUS(roomcast_next_event(server, 0, &ev), ROOMCAST_ERR_INVALID_HANDLE);
    printf("done: %d failures (%d ticks, %d drained)\n", test_failures, ticks, drained);
    return test_failures == 0 ? 0 : 1;
}

// Proves the header is usable from C++: compiles with g++ -std=c++17 -Wall -Wextra -Werror,
// links against libroomcast and runs a start / callback / stop / free cycle.
#include "roomcast.h"

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>

namespace {

struct Counter {
    std::atomic<int> events{0};
    std::atomic<int> finalized{0};
};

int fail(const char *what, roomcast_status st) {
    std::fprintf(stderr, "FAIL %s: %s (%s)\n", what, roomcast_status_name(st), roomcast_last_error());
    return 1;
}

}  // namespace

int main() {
    static_assert(ROOMCAST_ABI_VERSION >= 1, "ABI version macro");
    if (roomcast_abi_version() != ROOMCAST_ABI_VERSION) return fail("abi", ROOMCAST_ERR_INVALID_ARGUMENT);
    const std::string version = roomcast_version();

    roomcast_config *cfg = nullptr;
    roomcast_status st = roomcast_config_new(&cfg);
    if (st != ROOMCAST_OK) return fail("config_new", st);
    roomcast_config_set_port(cfg, 0);
    roomcast_server *server = nullptr;
    st = roomcast_server_start(cfg, &server);
    roomcast_config_free(cfg);
    if (st != ROOMCAST_OK) return fail("start", st);

    auto counter = std::make_unique<Counter>();
    Counter *raw = counter.get();
    st = roomcast_server_set_callback(
        server,
        [](void *user_data, const roomcast_event *ev) {
            auto *c = static_cast<Counter *>(user_data);
            if (ev->kind == ROOMCAST_EVENT_CONNECTION) c->events++;
        },
        raw, [](void *user_data) { static_cast<Counter *>(user_data)->finalized++; });
    if (st != ROOMCAST_OK) return fail("set_callback", st);

    roomcast_target everyone{};
    everyone.flags = ROOMCAST_TARGET_VOLATILE;
    // No client yet: the emit reaches nobody; the volatile target shows C++ aggregate init.
    std::size_t recipients = 99;
    st = roomcast_emit(server, "/", &everyone, "hello", "[1]", nullptr, 0, &recipients);
    if (st != ROOMCAST_OK || recipients != 0) return fail("emit", st);
    if (roomcast_emit(server, "/", nullptr, "x", "[oops", nullptr, 0, nullptr) != ROOMCAST_ERR_INVALID_JSON)
        return fail("invalid json", ROOMCAST_ERR_INVALID_JSON);
    if (roomcast_emit(server, "/nowhere", nullptr, "x", "[]", nullptr, 0, nullptr) != ROOMCAST_ERR_NO_SUCH_NAMESPACE)
        return fail("unknown namespace", ROOMCAST_ERR_NO_SUCH_NAMESPACE);

    if ((st = roomcast_server_stop(server, 1000)) != ROOMCAST_OK) return fail("stop", st);
    if ((st = roomcast_server_free(server)) != ROOMCAST_OK) return fail("free", st);
    if (raw->finalized != 1) return fail("finalizer", ROOMCAST_ERR_INVALID_ARGUMENT);
    std::printf("C++ smoke ok (roomcast %s)\n", version.c_str());
    return 0;
}

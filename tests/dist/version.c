/* Prints roomcast_version() and checks the library's ABI against the header's
 * (scripts/test-dist.sh compares the version with the workspace's). */
#include <stdio.h>

#include "roomcast.h"

int main(void) {
    if (roomcast_abi_version() != ROOMCAST_ABI_VERSION || roomcast_abi_revision() < ROOMCAST_ABI_REVISION) {
        fprintf(stderr, "ABI mismatch: library %u.%u, header %u.%u\n", roomcast_abi_version(),
                roomcast_abi_revision(), (unsigned)ROOMCAST_ABI_VERSION, (unsigned)ROOMCAST_ABI_REVISION);
        return 1;
    }
    printf("%s\n", roomcast_version());
    return 0;
}

/* cmd_recommend.c: PLACEHOLDER while the subcommand is being written; replaced by its owner. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

int cmd_recommend(int argc, char **argv) {
    (void) argc;
    (void) argv;
    fprintf(stderr, "reelgraph recommend: not built yet\n");
    return RG_EXIT_INTERNAL;
}

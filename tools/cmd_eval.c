/* cmd_eval.c: PLACEHOLDER while the subcommand is being written; replaced by its owner. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

int cmd_eval(int argc, char **argv) {
    (void) argc;
    (void) argv;
    fprintf(stderr, "reelgraph eval: not built yet\n");
    return RG_EXIT_INTERNAL;
}

/* cmd_export.c: PLACEHOLDER while the subcommand is being written; replaced by its owner. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

int cmd_export(int argc, char **argv) {
    (void) argc;
    (void) argv;
    fprintf(stderr, "reelgraph export: not built yet\n");
    return RG_EXIT_INTERNAL;
}

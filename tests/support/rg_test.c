/* rg_test.c: see rg_test.h. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rg_test.h"

char *rgt_tmp_path(char *buf, size_t size, const char *name) {
    const char *tmp = getenv("RG_TEST_TMP");
    if (!tmp || !*tmp) {
        tmp = "/tmp";
    }
    mkdir(tmp, 0777);
    snprintf(buf, size, "%s/%ld-%s", tmp, (long) getpid(), name);
    return buf;
}

const char *rgt_data_path(char *buf, size_t size, const char *sub) {
    const char *dir = getenv("RG_DATA_DIR");
    struct stat st;
    if (!dir || !*dir) {
        printf("SKIP: RG_DATA_DIR is not set; real-data test not run\n");
        return NULL;
    }
    snprintf(buf, size, "%s/%s", dir, sub);
    if (stat(buf, &st) != 0) {
        printf("SKIP: %s not found; real-data test not run\n", buf);
        return NULL;
    }
    return buf;
}

/* fuzz_rgm.h: recomputing the SHA-256 of a mutated model file, so mutations get past the
 * checksum to the parsers behind it (fuzz_model, fuzz_model_attach). */
#ifndef RG_FUZZ_RGM_H
#define RG_FUZZ_RGM_H

#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

/* Recomputes the digest in the END section when the section walk of the file succeeds (layout
 * in src/models/model.c: 16-byte header, then tag u32, 0 u32, bytes u64, payload per section;
 * the digest covers everything before the END section's header). */
static inline int rgf_fix_digest(uint8_t *b, size_t size) {
    size_t pos = 16;
    for (int s = 0; s < 5; s++) {
        uint64_t bytes;
        if (size - pos < 16) {
            return 0;
        }
        memcpy(&bytes, b + pos + 8, 8);
        if (s == 4) {
            if (bytes != 32 || size - pos - 16 < 32) {
                return 0;
            }
            unsigned int len = 0;
            return EVP_Digest(b, pos, b + pos + 16, &len, EVP_sha256(), NULL) == 1;
        }
        pos += 16;
        if (bytes > size - pos) {
            return 0;
        }
        pos += (size_t) bytes;
    }
    return 0;
}

#endif

/*
 * sha256.h: SHA-256 (FIPS 180-4), for the token hashes of the optional
 * authentication. One call hashes a whole buffer.
 */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>

#define SHA256_BYTES 32

void sha256(const void *data, size_t len, unsigned char out[SHA256_BYTES]);

#endif

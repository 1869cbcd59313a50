/*
 * auth.h: the optional token authentication of API.md.
 *
 * A tokens file maps users to the SHA-256 of their token, one per line:
 *
 *     # user  sha256 of the token, in hex
 *     alice   2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
 *
 * (`printf %s "$TOKEN" | sha256sum` gives the hash). Tokens are long
 * random strings handed out by an operator, not passwords, so a plain hash
 * is enough to keep the file from giving them away. Requests carry
 * `Authorization: Token <base64(user:token)>`.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>

#include "http.h"
#include "sha256.h"
#include "store.h"

struct auth_entry {
    char user[STORE_NAME_MAX + 1];
    unsigned char hash[SHA256_BYTES];
};

struct auth_table {
    struct auth_entry *entries;
    size_t count;
};

/* Load a tokens file. On error return -1 with a one-line reason (naming
 * the line) in err; the table is left empty. */
int auth_load(struct auth_table *table, const char *path, char *err,
              size_t err_len);
void auth_free(struct auth_table *table);

enum auth_result {
    AUTH_OK,
    AUTH_UNAUTHORIZED,               /* 401: missing, malformed or wrong */
    AUTH_FORBIDDEN,                  /* 403: a valid token, another user */
};

/* Check an Authorization header (empty when absent) for a request on
 * path_user's blobs. */
enum auth_result auth_check(const struct auth_table *table,
                            struct http_span authorization,
                            const char *path_user);

#endif

/*
 * Token authentication: load the tokens file, check a request's header.
 */
#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTH_MAX_HEADER 1024         /* longer credentials are refused */

static int parse_hash(const char *hex, size_t len, unsigned char *out)
{
    if (len != SHA256_BYTES * 2)
        return -1;
    for (size_t i = 0; i < SHA256_BYTES; i++) {
        int hi = http_hex_value(hex[i * 2]);
        int lo = http_hex_value(hex[i * 2 + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi * 16 + lo);
    }
    return 0;
}

/* Split a line into two words; return 0, 1 (blank or comment), or -1. */
static int split_line(char *line, char **user, char **hash)
{
    const char *space = " \t\r\n";

    *user = strtok(line, space);
    if (*user == NULL || **user == '#')
        return 1;
    *hash = strtok(NULL, space);
    if (*hash == NULL || strtok(NULL, space) != NULL)
        return -1;
    return 0;
}

int auth_load(struct auth_table *table, const char *path, char *err,
              size_t err_len)
{
    FILE *file = fopen(path, "re");
    char line[512];
    unsigned number = 0;

    table->entries = NULL;
    table->count = 0;
    if (file == NULL) {
        snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }

    while (fgets(line, sizeof(line), file) != NULL) {
        struct auth_entry *grown;
        char *user, *hash;
        int kind;

        number++;
        kind = split_line(line, &user, &hash);
        if (kind == 1)
            continue;
        if (kind < 0 || !store_name_valid(user, strlen(user))) {
            snprintf(err, err_len, "%s:%u: expected a user name and a "
                     "SHA-256 in hex", path, number);
            goto fail;
        }

        grown = realloc(table->entries,
                        (table->count + 1) * sizeof(*grown));
        if (grown == NULL) {
            snprintf(err, err_len, "out of memory reading %s", path);
            goto fail;
        }
        table->entries = grown;
        if (parse_hash(hash, strlen(hash),
                       table->entries[table->count].hash) < 0) {
            snprintf(err, err_len, "%s:%u: the hash must be 64 hex digits",
                     path, number);
            goto fail;
        }
        strcpy(table->entries[table->count].user, user);
        table->count++;
    }
    fclose(file);
    return 0;

fail:
    fclose(file);
    auth_free(table);
    return -1;
}

void auth_free(struct auth_table *table)
{
    free(table->entries);
    table->entries = NULL;
    table->count = 0;
}

/* Compare in time that does not depend on where the bytes differ. */
static int hashes_equal(const unsigned char *a, const unsigned char *b)
{
    unsigned char diff = 0;

    for (size_t i = 0; i < SHA256_BYTES; i++)
        diff |= a[i] ^ b[i];
    return diff == 0;
}

enum auth_result auth_check(const struct auth_table *table,
                            struct http_span authorization,
                            const char *path_user)
{
    static const char scheme[] = "Token ";
    unsigned char decoded[AUTH_MAX_HEADER];
    unsigned char hash[SHA256_BYTES];
    const char *credentials = authorization.ptr + sizeof(scheme) - 1;
    size_t credentials_len;
    ssize_t len;
    const unsigned char *colon;
    size_t user_len;
    const struct auth_entry *match = NULL;

    if (authorization.len <= sizeof(scheme) - 1 ||
        strncasecmp(authorization.ptr, scheme, sizeof(scheme) - 1) != 0)
        return AUTH_UNAUTHORIZED;
    credentials_len = authorization.len - (sizeof(scheme) - 1);
    if (credentials_len > AUTH_MAX_HEADER)
        return AUTH_UNAUTHORIZED;

    len = http_base64_decode(credentials, credentials_len, decoded);
    if (len <= 0)
        return AUTH_UNAUTHORIZED;
    colon = memchr(decoded, ':', (size_t)len);
    if (colon == NULL)
        return AUTH_UNAUTHORIZED;
    user_len = (size_t)(colon - decoded);

    for (size_t i = 0; i < table->count; i++) {
        if (strlen(table->entries[i].user) == user_len &&
            memcmp(table->entries[i].user, decoded, user_len) == 0) {
            match = &table->entries[i];
            break;
        }
    }
    if (match == NULL)
        return AUTH_UNAUTHORIZED;

    sha256(colon + 1, (size_t)len - user_len - 1, hash);
    if (!hashes_equal(hash, match->hash))
        return AUTH_UNAUTHORIZED;
    return strcmp(match->user, path_user) == 0 ? AUTH_OK : AUTH_FORBIDDEN;
}

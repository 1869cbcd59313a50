/*
 * names.c: what a valid name is, the flag names, and where a blob lives.
 *
 * Every path the store opens is built here from names that passed
 * store_name_valid(): no dot, no slash, nothing but [A-Za-z0-9_-], so a
 * path can never climb out of the root or land on a bookkeeping file.
 */
#include "store_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const store_flag_names[STORE_FLAG_COUNT] = {
    "PENDING", "PROCESSING", "PROCESSED", "FAILED",
};

unsigned store_flag_from_name(const char *name, size_t len)
{
    for (unsigned i = 0; i < STORE_FLAG_COUNT; i++) {
        const char *candidate = store_flag_names[i];

        if (strlen(candidate) == len && memcmp(candidate, name, len) == 0)
            return 1u << i;
    }

    return 0;
}

const char *store_flag_name(unsigned bit)
{
    for (unsigned i = 0; i < STORE_FLAG_COUNT; i++) {
        if (bit == 1u << i)
            return store_flag_names[i];
    }

    return NULL;
}

static bool store_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool store_name_valid(const char *name, size_t len)
{
    if (name == NULL || len == 0 || len > STORE_NAME_MAX)
        return false;

    for (size_t i = 0; i < len; i++) {
        if (!store_name_char((unsigned char)name[i]))
            return false;
    }

    return true;
}

int store_check_name(const char *name)
{
    /* strnlen stops a string with no NUL in sight from being read past
     * the longest valid name. */
    if (name == NULL)
        return -EINVAL;

    size_t len = strnlen(name, STORE_NAME_MAX + 1);

    return store_name_valid(name, len) ? 0 : -EINVAL;
}

size_t store_slice_len(size_t id_len, size_t width)
{
    return id_len < width ? id_len : width;
}

size_t store_dir_path(char *out, const char *user, const char *ns,
                      const char *id)
{
    size_t id_len = strlen(id);
    int len;

    len = snprintf(out, STORE_DIR_PATH_MAX, "%s/%s/%.*s/%.*s/%.*s", user, ns,
                   (int)store_slice_len(id_len, 1), id,
                   (int)store_slice_len(id_len, 3), id,
                   (int)store_slice_len(id_len, 6), id);

    return (size_t)len;
}

void store_side_name(char *out, const char *id, const char *suffix)
{
    snprintf(out, STORE_SIDE_NAME_MAX + 1, "%s%s", id, suffix);
}

int store_blob_path(char *out, size_t cap, const char *user, const char *ns,
                    const char *id)
{
    char dir[STORE_DIR_PATH_MAX];
    int len;

    /* A path is only ever built for names that cannot escape the root. */
    if (store_check_name(user) < 0 || store_check_name(ns) < 0
        || store_check_name(id) < 0)
        return -1;

    store_dir_path(dir, user, ns, id);

    len = snprintf(out, cap, "%s/%s", dir, id);
    if (len < 0 || (size_t)len >= cap)
        return -1;

    return len;
}

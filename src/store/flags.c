/*
 * flags.c: the flags file beside a blob, <id>.flags, a JSON array of flag
 * names such as ["PENDING", "PROCESSING"].
 *
 * We write it compactly; we read any whitespace and any JSON string
 * (escapes included) that another writer, the original server first,
 * may have used, and ignore names that are not flags.
 */
#include "store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Four names, quotes and commas take 45 bytes; leave room for generous
 * whitespace from other writers. A larger file is refused as corrupt. */
#define FLAGS_FILE_MAX 4096

/* Longer than every flag name: a longer string cannot be one. */
#define FLAGS_NAME_MAX 16

struct flags_cursor {
    const char *p;
    const char *end;
};

static void flags_skip_space(struct flags_cursor *c)
{
    while (c->p < c->end
           && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n'
               || *c->p == '\r'))
        c->p++;
}

static int flags_hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* One escape after the backslash: the ASCII byte it stands for, 0 for a
 * valid escape of anything else (never part of a flag name), -1 if bad. */
static int flags_take_escape(struct flags_cursor *c)
{
    static const char simple[] = "\"\\/bfnrt";
    static const char meaning[] = "\"\\/\b\f\n\r\t";
    const char *found;
    unsigned code = 0;

    if (c->p == c->end || *c->p == '\0')
        return -1;

    if (*c->p != 'u') {
        found = strchr(simple, *c->p++);
        return found != NULL ? meaning[found - simple] : -1;
    }

    c->p++;
    if (c->end - c->p < 4)
        return -1;

    for (int i = 0; i < 4; i++) {
        int digit = flags_hex_digit(*c->p++);

        if (digit < 0)
            return -1;
        code = code * 16 + (unsigned)digit;
    }

    return code > 0 && code < 0x80 ? (int)code : 0;
}

/* A JSON string at the cursor, decoded into name when it is short ASCII
 * (*name_len = 0 otherwise, which matches no flag). */
static int flags_take_string(struct flags_cursor *c, char *name,
                             size_t *name_len)
{
    size_t len = 0;
    bool fits = true;

    if (c->p == c->end || *c->p != '"')
        return -1;
    c->p++;

    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p++;
        int decoded = ch;

        if (ch < 0x20)
            return -1;

        if (ch == '\\') {
            decoded = flags_take_escape(c);
            if (decoded < 0)
                return -1;
        }

        if (decoded == 0 || decoded >= 0x80 || len == FLAGS_NAME_MAX)
            fits = false;
        else
            name[len++] = (char)decoded;
    }

    if (c->p == c->end)
        return -1;
    c->p++;

    *name_len = fits ? len : 0;
    return 0;
}

int store_flags_parse(const char *buf, size_t len, unsigned *flags)
{
    struct flags_cursor c = { buf, buf + len };
    unsigned found = 0;

    flags_skip_space(&c);
    if (c.p == c.end || *c.p != '[')
        return -1;
    c.p++;
    flags_skip_space(&c);

    if (c.p < c.end && *c.p == ']') {
        c.p++;
    } else {
        for (;;) {
            char name[FLAGS_NAME_MAX];
            size_t name_len;

            flags_skip_space(&c);
            if (flags_take_string(&c, name, &name_len) < 0)
                return -1;

            found |= store_flag_from_name(name, name_len);

            flags_skip_space(&c);
            if (c.p == c.end)
                return -1;
            if (*c.p == ']') {
                c.p++;
                break;
            }
            if (*c.p != ',')
                return -1;
            c.p++;
        }
    }

    flags_skip_space(&c);
    if (c.p != c.end)
        return -1;

    *flags = found;
    return 0;
}

size_t store_flags_format(char *out, size_t cap, unsigned flags)
{
    size_t len = 0;

    len += (size_t)snprintf(out + len, cap - len, "[");

    for (unsigned i = 0; i < STORE_FLAG_COUNT; i++) {
        if ((flags & (1u << i)) == 0)
            continue;

        len += (size_t)snprintf(out + len, cap - len, "%s\"%s\"",
                                len > 1 ? "," : "", store_flag_name(1u << i));
    }

    len += (size_t)snprintf(out + len, cap - len, "]");
    return len;
}

int store_flags_read(int dir_fd, const char *id, unsigned *flags)
{
    char name[STORE_SIDE_NAME_MAX + 1];
    char buf[FLAGS_FILE_MAX + 1];
    size_t len = 0;
    int fd;

    store_side_name(name, id, STORE_FLAGS_SUFFIX);

    fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) {
            *flags = 0;
            return 0;
        }
        return -errno;
    }

    /* One byte more than we accept, to tell an oversized file. */
    while (len < sizeof(buf)) {
        ssize_t got = read(fd, buf + len, sizeof(buf) - len);

        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int err = -errno;

            close(fd);
            return err;
        }
        if (got == 0)
            break;

        len += (size_t)got;
    }

    close(fd);

    if (len > FLAGS_FILE_MAX || store_flags_parse(buf, len, flags) < 0)
        return -EIO;

    return 0;
}

static int flags_open_blob(struct store *s, const char *user, const char *ns,
                           const char *id, int *dir_fd)
{
    int err;

    if (store_check_name(user) < 0 || store_check_name(ns) < 0
        || store_check_name(id) < 0)
        return -EINVAL;

    err = store_dir_open(s, user, ns, id, false, dir_fd);
    if (err < 0)
        return err;

    err = store_file_size(*dir_fd, id, NULL);
    if (err < 0) {
        close(*dir_fd);
        return err;
    }

    return 0;
}

int store_flags_get(struct store *s, const char *user, const char *ns,
                    const char *id, unsigned *flags_out)
{
    int dir_fd;
    int err;

    err = flags_open_blob(s, user, ns, id, &dir_fd);
    if (err < 0)
        return err;

    err = store_flags_read(dir_fd, id, flags_out);
    close(dir_fd);
    return err;
}

static int flags_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t put = write(fd, buf, len);

        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return -errno;

        buf += put;
        len -= (size_t)put;
    }

    return 0;
}

/*
 * The new list goes to a temporary file renamed over the old one, so a
 * reader sees the old list or the new, never half of one.
 *
 * XXX: the blob is checked before the rename, without a lock: a delete
 * landing in between leaves a flags file beside the tombstone (harmless,
 * the next commit of the id removes it), and a delete plus a new upload
 * of the same id landing there would give the new blob these flags.
 */
int store_flags_set(struct store *s, const char *user, const char *ns,
                    const char *id, unsigned flags)
{
    static unsigned counter;
    char temp[STORE_SIDE_NAME_MAX + 1];
    char target[STORE_SIDE_NAME_MAX + 1];
    char body[64];
    size_t body_len;
    int dir_fd;
    int fd;
    int err;

    if (flags >= 1u << STORE_FLAG_COUNT)
        return -EINVAL;

    err = flags_open_blob(s, user, ns, id, &dir_fd);
    if (err < 0)
        return err;

    body_len = store_flags_format(body, sizeof(body), flags);

    /* Dot first: never listed. pid and counter: unique among writers. */
    snprintf(temp, sizeof(temp), ".tmp.%d.f%u", (int)getpid(),
             __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
    store_side_name(target, id, STORE_FLAGS_SUFFIX);

    fd = openat(dir_fd, temp,
                O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                STORE_FILE_MODE);
    if (fd < 0) {
        err = -errno;
        goto out_dir;
    }

    err = flags_write_all(fd, body, body_len);
    if (err == 0 && s->fsync)
        err = store_fsync_fd(fd);
    close(fd);

    if (err == 0 && renameat(dir_fd, temp, dir_fd, target) < 0)
        err = -errno;

    if (err < 0) {
        (void)unlinkat(dir_fd, temp, 0);
        goto out_dir;
    }

    if (s->fsync)
        err = store_fsync_fd(dir_fd);

out_dir:
    close(dir_fd);
    return err;
}

/*
 * store_fixture.h: what the store's unit tests share: a fresh root under
 * /tmp for every test (removed after it), and small helpers to put and
 * read blobs and to lay files out by hand as another server would.
 */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURE_QUOTA (200u << 20)

struct fixture {
    char dir[64];                    /* the mkdtemp() folder */
    char root[96];                   /* dir/blobs, the store's root */
    struct store store;
};

static inline int fixture_open(struct fixture *f, uint64_t quota)
{
    strcpy(f->dir, "/tmp/store-test.XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;

    snprintf(f->root, sizeof(f->root), "%s/blobs", f->dir);
    return store_open(&f->store, f->root, quota, false) == 0 ? 0 : -1;
}

static inline int fixture_remove_one(const char *path, const struct stat *st,
                                     int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static inline void fixture_close(struct fixture *f)
{
    store_close(&f->store);
    nftw(f->dir, fixture_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The whole upload in one go; the first error of begin, write, commit. */
static inline int fixture_put(struct store *s, const char *user,
                              const char *ns, const char *id,
                              const void *data, size_t len)
{
    struct store_upload u;
    int err;

    err = store_upload_begin(s, &u, user, ns, id, (int64_t)len);
    if (err < 0)
        return err;

    err = store_upload_write(&u, data, len);
    if (err < 0) {
        store_upload_abort(&u);
        return err;
    }

    return store_upload_commit(&u);
}

/* Read a blob whole into buf; its length, or a negative errno. */
static inline long fixture_read(struct store *s, const char *user,
                                const char *ns, const char *id, char *buf,
                                size_t cap)
{
    uint64_t size;
    ssize_t got;
    int fd;
    int err;

    err = store_blob_open(s, user, ns, id, &fd, &size);
    if (err < 0)
        return err;

    got = pread(fd, buf, cap, 0);
    close(fd);

    if (got < 0 || (uint64_t)got != size)
        return -EIO;
    return got;
}

/* A path under the root, e.g. "u/default/a/abc/abcdef/abcdefgh". */
static inline void fixture_path(const struct fixture *f, const char *rel,
                                char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", f->root, rel);
}

static inline int fixture_mkdirs(const char *path)
{
    char copy[1024];

    snprintf(copy, sizeof(copy), "%s", path);
    for (char *p = copy + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }

    return 0;
}

/* Write a file under the root by hand, making its folders. */
static inline int fixture_write(const struct fixture *f, const char *rel,
                                const char *content)
{
    char path[1024];
    int fd;
    size_t len = strlen(content);

    fixture_path(f, rel, path, sizeof(path));
    if (fixture_mkdirs(path) < 0)
        return -1;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;

    if (write(fd, content, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }

    return close(fd);
}

/* Read a file under the root into buf (NUL-terminated); -1 if absent. */
static inline long fixture_slurp(const struct fixture *f, const char *rel,
                                 char *buf, size_t cap)
{
    char path[1024];
    ssize_t got;
    int fd;

    fixture_path(f, rel, path, sizeof(path));
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;

    got = read(fd, buf, cap - 1);
    close(fd);
    if (got < 0)
        return -1;

    buf[got] = '\0';
    return got;
}

static inline int fixture_exists(const struct fixture *f, const char *rel)
{
    char path[1024];
    struct stat st;

    fixture_path(f, rel, path, sizeof(path));
    return lstat(path, &st) == 0;
}

static inline int fixture_set_mtime(const struct fixture *f, const char *rel,
                                    time_t seconds)
{
    struct timespec times[2] = {
        { .tv_sec = seconds, .tv_nsec = 0 },
        { .tv_sec = seconds, .tv_nsec = 0 },
    };
    char path[1024];

    fixture_path(f, rel, path, sizeof(path));
    return utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
}

/* Entries of a folder under the root, "." and ".." aside. */
static inline int fixture_count_entries(const struct fixture *f,
                                        const char *rel, const char *prefix)
{
    char path[1024];
    struct dirent *entry;
    DIR *dir;
    int count = 0;

    fixture_path(f, rel, path, sizeof(path));
    dir = opendir(path);
    if (dir == NULL)
        return -1;

    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (strncmp(entry->d_name, prefix, strlen(prefix)) == 0)
            count++;
    }

    closedir(dir);
    return count;
}

#endif

/*
 * upload.c: writing a blob so that nobody ever sees half of it.
 *
 * The bytes go to an unnamed file (O_TMPFILE) in the blob's own folder;
 * commit gives it its name with linkat(), which fails with EEXIST when the
 * name is taken. That one call is the create-if-absent that settles two
 * uploads of one id, in one process or in several: exactly one links. A
 * crash before commit leaves nothing behind: the kernel frees an unnamed
 * file with its last descriptor.
 *
 * Quota is reserved before the bytes arrive (all of them when the length
 * is known, in steps for a chunked body) and turned into committed bytes
 * by the commit, under the user's record lock (quota.c).
 */
#include "store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool store_test_no_tmpfile;

static void upload_reset(struct store_upload *u)
{
    u->fd = -1;
    u->named = false;
    u->dir_fd = -1;
    u->written = 0;
    u->reserved = 0;
}

/*
 * Filesystems without O_TMPFILE get a named temporary file instead. Its
 * name must be found again at commit or abort with nothing more than the
 * upload holds: the pid and the blob folder's descriptor, which no other
 * upload of this process can have while this one is open.
 *
 * XXX: a crash with such a file open leaves it behind (dot-named, so never
 * listed and never counted). Nothing removes it: store_open cannot tell
 * it from the file of an upload running in another process.
 */
static void upload_temp_name(const struct store_upload *u, char *out,
                             size_t cap)
{
    snprintf(out, cap, ".tmp.%d.%d", (int)getpid(), u->dir_fd);
}

static int upload_open_named(struct store_upload *u)
{
    char temp[STORE_SIDE_NAME_MAX + 1];
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;

    upload_temp_name(u, temp, sizeof(temp));

    u->fd = openat(u->dir_fd, temp, flags, STORE_FILE_MODE);

    /* Left by a dead process that had our pid. Never truncate it: a crash
     * between link and unlink makes it a second name of a live blob. */
    if (u->fd < 0 && errno == EEXIST) {
        (void)unlinkat(u->dir_fd, temp, 0);
        u->fd = openat(u->dir_fd, temp, flags, STORE_FILE_MODE);
    }

    return u->fd < 0 ? -errno : 0;
}

static int upload_open_temp(struct store_upload *u)
{
    int err;

    if (!store_test_no_tmpfile) {
        u->fd = openat(u->dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC,
                       STORE_FILE_MODE);
        if (u->fd >= 0)
            return 0;

        /* EISDIR: a kernel older than O_TMPFILE; EOPNOTSUPP: a
         * filesystem without it. */
        if (errno != EOPNOTSUPP && errno != EISDIR)
            return -errno;
    }

    err = upload_open_named(u);
    u->named = err == 0;
    return err;
}

int store_upload_begin(struct store *s, struct store_upload *u,
                       const char *user, const char *ns, const char *id,
                       int64_t expected_len)
{
    int err;

    if (u == NULL)
        return -EINVAL;

    upload_reset(u);
    u->store = s;

    if (store_check_name(user) < 0 || store_check_name(ns) < 0
        || store_check_name(id) < 0 || expected_len < -1)
        return -EINVAL;

    memcpy(u->user, user, strlen(user) + 1);
    memcpy(u->id, id, strlen(id) + 1);

    /* Refuse now, before the caller reads a body for nothing. Commit
     * checks again: this is only the early answer, not the guarantee. */
    err = store_dir_open(s, user, ns, id, false, &u->dir_fd);
    if (err == 0) {
        err = store_file_size(u->dir_fd, id, NULL);
        if (err == 0)
            err = -EEXIST;
    }
    if (err != -ENOENT)
        goto fail;

    if (expected_len > 0) {
        err = store_quota_reserve(s, user, (uint64_t)expected_len,
                                  (uint64_t)expected_len, &u->reserved);
        if (err < 0)
            goto fail;
    }

    /* Folders only for an upload that may go ahead: a refused one leaves
     * no trace. (One cut off later leaves its empty folders: removing
     * them could pull a folder from under another process's upload.) */
    if (u->dir_fd < 0) {
        err = store_dir_open(s, user, ns, id, true, &u->dir_fd);
        if (err < 0)
            goto fail;
    }

    err = upload_open_temp(u);
    if (err < 0)
        goto fail;

    return 0;

fail:
    store_upload_abort(u);
    return err;
}

/* Grow the reservation to cover `total` bytes. A chunked body asks for a
 * step at a time; the last step stops at the quota, and only a need that
 * does not fit at all is refused. */
static int upload_reserve(struct store_upload *u, uint64_t total)
{
    uint64_t need = total - u->reserved;
    uint64_t want = need > STORE_QUOTA_STEP ? need : STORE_QUOTA_STEP;
    uint64_t granted;
    int err;

    err = store_quota_reserve(u->store, u->user, need, want, &granted);
    if (err < 0)
        return err;

    u->reserved += granted;
    return 0;
}

int store_upload_write(struct store_upload *u, const void *buf, size_t len)
{
    const char *p = buf;
    int err;

    if (u == NULL || u->fd < 0)
        return -EBADF;

    if (u->written + len > u->reserved) {
        err = upload_reserve(u, u->written + len);
        if (err < 0)
            return err;
    }

    while (len > 0) {
        ssize_t put = write(u->fd, p, len);

        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return -errno;

        p += put;
        len -= (size_t)put;
        u->written += (uint64_t)put;
    }

    return 0;
}

/*
 * Name the file. linkat() of an O_TMPFILE by its descriptor
 * (AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; without it the kernel says
 * ENOENT or EPERM, and the /proc/self/fd link names the same file.
 */
static int upload_link(struct store_upload *u)
{
    char proc_path[64];

    if (linkat(u->fd, "", u->dir_fd, u->id, AT_EMPTY_PATH) == 0)
        return 0;

    if (errno != ENOENT && errno != EPERM)
        return -errno;

    snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", u->fd);
    if (linkat(AT_FDCWD, proc_path, u->dir_fd, u->id, AT_SYMLINK_FOLLOW) == 0)
        return 0;

    return -errno;
}

/* The upload is done with: close what is open, keep no reservation. */
static void upload_close(struct store_upload *u)
{
    if (u->fd >= 0) {
        if (u->named) {
            char temp[STORE_SIDE_NAME_MAX + 1];

            upload_temp_name(u, temp, sizeof(temp));
            (void)unlinkat(u->dir_fd, temp, 0);
        }
        close(u->fd);
    }

    if (u->dir_fd >= 0)
        close(u->dir_fd);

    upload_reset(u);
}

/*
 * Commit holds the user's record lock from the check for the id to the
 * new count, and marks the record dirty around the link: a crash in
 * between makes the next reader recount from the disk. The lock also
 * orders commits with deletes of the same user, which is what lets the
 * stale flags file be removed before the link (no other commit can link
 * this id meanwhile) and the tombstone after it.
 */
int store_upload_commit(struct store_upload *u)
{
    struct store_quota_record record;
    char side[STORE_SIDE_NAME_MAX + 1];
    struct store *s;
    int err;

    if (u == NULL || u->fd < 0)
        return -EBADF;

    s = u->store;

    /* Before the lock: other processes need not wait for our disk. */
    if (s->fsync) {
        err = store_fsync_fd(u->fd);
        if (err < 0)
            goto fail;
    }

    err = store_quota_lock(s, u->user, &record);
    if (err < 0)
        goto fail;

    err = store_file_size(u->dir_fd, u->id, NULL);
    if (err == 0)
        err = -EEXIST;
    if (err != -ENOENT)
        goto fail_locked;

    if (u->written > 0) {
        record.dirty = getpid();
        err = store_quota_save(s, &record);
        if (err < 0)
            goto fail_locked;
    }

    store_side_name(side, u->id, STORE_FLAGS_SUFFIX);
    (void)unlinkat(u->dir_fd, side, 0);

    err = upload_link(u);
    if (err < 0)
        goto fail_locked;

    /* A PUT after a DELETE brings the id back to life. */
    store_side_name(side, u->id, STORE_TOMBSTONE_SUFFIX);
    (void)unlinkat(u->dir_fd, side, 0);

    record.used += u->written;
    store_quota_unhold(&record, u->reserved);
    record.dirty = 0;

    /* The blob is published whatever happens to this write; if it fails
     * the record stays dirty and its next reader recounts. */
    (void)store_quota_save(s, &record);
    store_quota_unlock(&record);

    u->reserved = 0;
    if (s->fsync)
        err = store_fsync_fd(u->dir_fd);
    upload_close(u);
    return err;

fail_locked:
    store_quota_unhold(&record, u->reserved);
    record.dirty = 0;
    (void)store_quota_save(s, &record);
    store_quota_unlock(&record);
    u->reserved = 0;

fail:
    store_upload_abort(u);
    return err;
}

void store_upload_abort(struct store_upload *u)
{
    if (u == NULL)
        return;

    if (u->reserved > 0 && u->store != NULL)
        store_quota_release(u->store, u->user, u->reserved);

    u->reserved = 0;
    upload_close(u);
}

/*
 * store.c: the root folder, the folder of each blob, reading a blob and
 * deleting one.
 *
 * Everything is opened with *at() calls relative to the root's fd and the
 * blob's folder, from names checked again at every entry point.
 */
#include "store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The root path is the operator's, not a client's: any length the kernel
 * takes, made one component at a time like mkdir -p. */
static int store_make_root(const char *root)
{
    char path[PATH_MAX];
    size_t len = strlen(root);

    if (len == 0 || len >= sizeof(path))
        return -ENAMETOOLONG;

    memcpy(path, root, len + 1);

    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;

        char saved = path[i];

        path[i] = '\0';
        if (mkdir(path, STORE_DIR_MODE) < 0 && errno != EEXIST)
            return -errno;
        path[i] = saved;
    }

    return 0;
}

int store_open(struct store *s, const char *root, uint64_t quota, bool fsync)
{
    int err;

    s->root_fd = -1;
    s->quota_dir_fd = -1;
    s->quota = quota;
    s->fsync = fsync;

    if (root == NULL)
        return -EINVAL;

    err = store_make_root(root);
    if (err < 0)
        return err;

    s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->root_fd < 0)
        return -errno;

    /* A leading dot keeps the quota folder apart from every user name. */
    if (mkdirat(s->root_fd, ".quota", STORE_DIR_MODE) < 0 && errno != EEXIST)
        goto fail;

    s->quota_dir_fd = openat(s->root_fd, ".quota",
                             O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (s->quota_dir_fd < 0)
        goto fail;

    return 0;

fail:
    err = -errno;
    store_close(s);
    return err;
}

void store_close(struct store *s)
{
    if (s->quota_dir_fd >= 0)
        close(s->quota_dir_fd);

    if (s->root_fd >= 0)
        close(s->root_fd);

    s->quota_dir_fd = -1;
    s->root_fd = -1;
}

int store_fsync_fd(int fd)
{
    return fsync(fd) < 0 ? -errno : 0;
}

/*
 * The slow path of store_dir_open: one component at a time, each made if
 * missing (another process making it first is fine) and opened from its
 * parent. With fsync, the parent of every folder we made is synced so
 * that the new entry survives a power cut along with the blob.
 */
static int store_dir_create(struct store *s, const char *dir_path,
                            int *dir_fd)
{
    char path[STORE_DIR_PATH_MAX];
    char *component = path;
    int parent = s->root_fd;
    int err = 0;

    memcpy(path, dir_path, strlen(dir_path) + 1);

    while (component != NULL) {
        char *slash = strchr(component, '/');
        bool made;
        int child;

        if (slash != NULL)
            *slash = '\0';

        made = mkdirat(parent, component, STORE_DIR_MODE) == 0;
        if (!made && errno != EEXIST) {
            err = -errno;
            break;
        }

        if (made && s->fsync) {
            err = store_fsync_fd(parent);
            if (err < 0)
                break;
        }

        child = openat(parent, component,
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (child < 0) {
            err = -errno;
            break;
        }

        if (parent != s->root_fd)
            close(parent);
        parent = child;

        component = slash != NULL ? slash + 1 : NULL;
    }

    if (err < 0) {
        if (parent != s->root_fd)
            close(parent);
        return err;
    }

    *dir_fd = parent;
    return 0;
}

int store_dir_open(struct store *s, const char *user, const char *ns,
                   const char *id, bool create, int *dir_fd)
{
    char path[STORE_DIR_PATH_MAX];
    int fd;

    store_dir_path(path, user, ns, id);

    /* Usually the folder is there: one openat instead of five mkdirat. */
    fd = openat(s->root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        *dir_fd = fd;
        return 0;
    }

    if (errno != ENOENT || !create)
        return errno == ENOTDIR ? -ENOENT : -errno;

    return store_dir_create(s, path, dir_fd);
}

int store_file_size(int dir_fd, const char *name, uint64_t *size)
{
    struct stat st;

    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOTDIR ? -ENOENT : -errno;

    if (!S_ISREG(st.st_mode))
        return -ENOENT;

    if (size != NULL)
        *size = (uint64_t)st.st_size;

    return 0;
}

static int store_check_names(const char *user, const char *ns, const char *id)
{
    if (store_check_name(user) < 0 || store_check_name(ns) < 0
        || store_check_name(id) < 0)
        return -EINVAL;

    return 0;
}

int store_blob_open(struct store *s, const char *user, const char *ns,
                    const char *id, int *fd_out, uint64_t *size_out)
{
    char path[STORE_DIR_PATH_MAX + 1 + STORE_NAME_MAX];
    struct stat st;
    int fd;

    if (store_check_names(user, ns, id) < 0)
        return -EINVAL;

    if (store_blob_path(path, sizeof(path), user, ns, id) < 0)
        return -EINVAL;

    fd = openat(s->root_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        /* A symlink or a missing folder is no blob either. */
        if (errno == ELOOP || errno == ENOTDIR)
            return -ENOENT;
        return -errno;
    }

    if (fstat(fd, &st) < 0) {
        int err = -errno;

        close(fd);
        return err;
    }

    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return -ENOENT;
    }

    *fd_out = fd;
    *size_out = (uint64_t)st.st_size;
    return 0;
}

/* Leave the tombstone: an empty file whose mtime says when. O_TRUNC on
 * an old tombstone dates it afresh (POSIX: the open marks the mtime). */
static int store_tombstone_write(int dir_fd, const char *id)
{
    char name[STORE_SIDE_NAME_MAX + 1];
    int fd;

    store_side_name(name, id, STORE_TOMBSTONE_SUFFIX);

    fd = openat(dir_fd, name,
                O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                STORE_FILE_MODE);
    if (fd < 0)
        return -errno;

    close(fd);
    return 0;
}

/*
 * Delete runs under the user's quota lock, as commits do: no upload can
 * publish this id between the size we read and the unlink, and a crash
 * half-way leaves the record dirty, so the next reader recounts.
 */
int store_delete(struct store *s, const char *user, const char *ns,
                 const char *id)
{
    struct store_quota_record record;
    char flags_name[STORE_SIDE_NAME_MAX + 1];
    uint64_t size;
    int dir_fd;
    int err;

    if (store_check_names(user, ns, id) < 0)
        return -EINVAL;

    err = store_dir_open(s, user, ns, id, false, &dir_fd);
    if (err < 0)
        return err;

    err = store_quota_lock(s, user, &record);
    if (err < 0)
        goto out_dir;

    err = store_file_size(dir_fd, id, &size);
    if (err < 0)
        goto out_unlock;

    err = store_tombstone_write(dir_fd, id);
    if (err < 0)
        goto out_unlock;

    record.dirty = getpid();
    err = store_quota_save(s, &record);
    if (err < 0)
        goto out_unlock;

    if (unlinkat(dir_fd, id, 0) < 0) {
        char tombstone[STORE_SIDE_NAME_MAX + 1];

        err = -errno;
        store_side_name(tombstone, id, STORE_TOMBSTONE_SUFFIX);
        (void)unlinkat(dir_fd, tombstone, 0);
        record.dirty = 0;
        (void)store_quota_save(s, &record);
        goto out_unlock;
    }

    /* A flags file left behind (unlink failing) is harmless: flags are
     * only read for a live blob, and the next commit of this id removes
     * it first. */
    store_side_name(flags_name, id, STORE_FLAGS_SUFFIX);
    (void)unlinkat(dir_fd, flags_name, 0);

    record.used = record.used > size ? record.used - size : 0;
    record.dirty = 0;

    /* If this write fails the record stays dirty and is rebuilt from disk
     * by its next reader: the delete itself has happened. */
    (void)store_quota_save(s, &record);
    err = 0;

out_unlock:
    store_quota_unlock(&record);

    if (err == 0 && s->fsync)
        err = store_fsync_fd(dir_fd);

out_dir:
    close(dir_fd);
    return err;
}

/*
 * quota.c: the per-user count of blob bytes, shared by every process that
 * serves one root.
 *
 * Each user has a small text record, <root>/.quota/<user>, changed only
 * under flock(LOCK_EX) on that file:
 *
 *     blobs-quota 1
 *     boot 5c6c3248-3077-4180-9c04-addd208089ca
 *     used 31457280
 *     dirty 4242                       (only while a change is under way)
 *     hold 4242 9f3a1b2c3d4e5f60 1048576
 *     end
 *
 * "used" is the committed bytes; each "hold" line is the quota reserved
 * by one process's uploads in flight (pid, a random token of that
 * process, bytes). A commit or a delete marks the record dirty before it
 * touches the blob and clean after, all under the lock.
 *
 * The record is trusted only when it parses, is clean and was written
 * since the machine booted. Otherwise it is rebuilt from the disk by
 * summing the user's live blobs: a missing record (a new user, or one
 * deleted by hand), a crash in the middle of a commit or a delete (a lock
 * holder never sees another's dirty mark, since the mark is set and
 * cleared under the lock: seeing one means its writer died), a torn
 * write, and a power cut that lost writes never synced (hence the boot
 * id, which saves an fsync of the record on every upload).
 *
 * Holds of processes that no longer exist are dropped when the record is
 * read: a crash mid-upload gives its reservation back. The token tells a
 * process apart from an earlier one that had the same pid.
 *
 * XXX: a dead server's pid reused by an unrelated, long-lived process
 * keeps that server's hold (at most the bytes it had in flight) until the
 * new process exits or the machine reboots.
 */
#include "store_impl.h"

#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define QUOTA_MAGIC "blobs-quota 1"
#define QUOTA_BOOT_ID_MAX 64
/* Header, used, dirty and a line per holder, each well under 80 bytes. */
#define QUOTA_RECORD_MAX (4 * 80 + STORE_QUOTA_HOLDERS_MAX * 80)

/* Why a record is not trusted, for the log line of a rebuild. */
enum quota_doubt {
    QUOTA_TRUSTED,
    QUOTA_MISSING,
    QUOTA_UNPARSABLE,
    QUOTA_DIRTY,
    QUOTA_OTHER_BOOT,
};

static const char *const quota_doubt_names[] = {
    [QUOTA_TRUSTED] = "trusted",
    [QUOTA_MISSING] = "missing",
    [QUOTA_UNPARSABLE] = "unparsable",
    [QUOTA_DIRTY] = "dirty",
    [QUOTA_OTHER_BOOT] = "written before the last boot",
};

static const char *quota_boot_id(void)
{
    static char boot_id[QUOTA_BOOT_ID_MAX + 1];
    int fd;
    ssize_t len;

    if (boot_id[0] != '\0')
        return boot_id;

    /* Without a boot id, "-": records are then never doubted for it. */
    strcpy(boot_id, "-");

    fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return boot_id;

    len = read(fd, boot_id, QUOTA_BOOT_ID_MAX);
    close(fd);

    if (len <= 0) {
        strcpy(boot_id, "-");
        return boot_id;
    }

    boot_id[len] = '\0';
    boot_id[strcspn(boot_id, " \t\r\n")] = '\0';
    if (boot_id[0] == '\0')
        strcpy(boot_id, "-");

    return boot_id;
}

/* A random number per process, drawn again in a forked child. */
static uint64_t quota_process_token(void)
{
    static pid_t owner;
    static uint64_t token;
    pid_t pid = getpid();

    if (owner == pid)
        return token;

    if (getrandom(&token, sizeof(token), 0) != sizeof(token)) {
        struct timespec now;

        clock_gettime(CLOCK_REALTIME, &now);
        token = ((uint64_t)now.tv_sec << 32) ^ (uint64_t)now.tv_nsec
                ^ ((uint64_t)pid << 16);
    }

    /* Zero is what a record written by hand would most likely hold. */
    if (token == 0)
        token = 1;

    owner = pid;
    return token;
}

static bool quota_holder_is_mine(const struct store_quota_holder *h)
{
    return h->pid == getpid() && h->token == quota_process_token();
}

/* ---- parsing ------------------------------------------------------- */

struct quota_cursor {
    const char *p;
    const char *end;
};

/* Consume `word` if the cursor is on it. */
static bool quota_take(struct quota_cursor *c, const char *word)
{
    size_t len = strlen(word);

    if ((size_t)(c->end - c->p) < len || memcmp(c->p, word, len) != 0)
        return false;

    c->p += len;
    return true;
}

static bool quota_take_number(struct quota_cursor *c, unsigned base,
                              uint64_t *out)
{
    uint64_t value = 0;
    const char *start = c->p;

    while (c->p < c->end) {
        char ch = *c->p;
        unsigned digit;

        if (ch >= '0' && ch <= '9')
            digit = (unsigned)(ch - '0');
        else if (base == 16 && ch >= 'a' && ch <= 'f')
            digit = (unsigned)(ch - 'a' + 10);
        else
            break;

        if (value > (UINT64_MAX - digit) / base)
            return false;

        value = value * base + digit;
        c->p++;
    }

    if (c->p == start)
        return false;

    *out = value;
    return true;
}

static bool quota_take_pid(struct quota_cursor *c, pid_t *pid)
{
    uint64_t value;

    /* Never 0 or negative: kill() would read those as process groups. */
    if (!quota_take_number(c, 10, &value) || value == 0 || value > INT32_MAX)
        return false;

    *pid = (pid_t)value;
    return true;
}

/* Parse the whole file; false if a single byte is out of place. */
static bool quota_parse(const char *buf, size_t len,
                        struct store_quota_record *r, bool *same_boot)
{
    struct quota_cursor c = { buf, buf + len };
    const char *boot = quota_boot_id();
    size_t boot_len = strlen(boot);
    const char *id_start;

    r->used = 0;
    r->dirty = 0;
    r->holder_count = 0;

    if (!quota_take(&c, QUOTA_MAGIC "\nboot "))
        return false;

    id_start = c.p;
    while (c.p < c.end && *c.p != '\n' && *c.p != ' ')
        c.p++;
    if (c.p == id_start)
        return false;
    *same_boot = strcmp(boot, "-") == 0
                 || ((size_t)(c.p - id_start) == boot_len
                     && memcmp(id_start, boot, boot_len) == 0);

    if (!quota_take(&c, "\nused ") || !quota_take_number(&c, 10, &r->used)
        || !quota_take(&c, "\n"))
        return false;

    if (quota_take(&c, "dirty ")) {
        if (!quota_take_pid(&c, &r->dirty) || !quota_take(&c, "\n"))
            return false;
    }

    while (quota_take(&c, "hold ")) {
        struct store_quota_holder *h;

        if (r->holder_count == STORE_QUOTA_HOLDERS_MAX)
            return false;

        h = &r->holders[r->holder_count++];
        if (!quota_take_pid(&c, &h->pid) || !quota_take(&c, " ")
            || !quota_take_number(&c, 16, &h->token) || !quota_take(&c, " ")
            || !quota_take_number(&c, 10, &h->bytes) || !quota_take(&c, "\n"))
            return false;
    }

    return quota_take(&c, "end\n") && c.p == c.end;
}

/* ---- the disk, for a rebuild -------------------------------------- */

static int quota_add_size(void *ctx, int dir_fd, const char *name,
                          size_t id_len, unsigned char d_type)
{
    uint64_t *total = ctx;
    uint64_t size;
    int err;

    (void)id_len;
    (void)d_type;

    err = store_file_size(dir_fd, name, &size);
    if (err == -ENOENT)
        return 0;
    if (err < 0)
        return err;

    *total += size;
    return 0;
}

/* Sum the sizes of the user's live blobs over all namespaces. */
static int quota_count_disk(struct store *s, const char *user,
                            uint64_t *total)
{
    DIR *user_dir;
    struct dirent *entry;
    int fd;
    int err = 0;

    *total = 0;

    fd = openat(s->root_fd, user, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;

    user_dir = fdopendir(fd);
    if (user_dir == NULL) {
        err = -errno;
        close(fd);
        return err;
    }

    while ((entry = readdir(user_dir)) != NULL) {
        int ns_fd;

        if (!store_name_valid(entry->d_name, strlen(entry->d_name)))
            continue;

        ns_fd = openat(fd, entry->d_name,
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (ns_fd < 0)
            continue;

        err = store_walk(ns_fd, NULL, quota_add_size, total);
        close(ns_fd);
        if (err < 0)
            break;
    }

    closedir(user_dir);
    return err;
}

/* ---- the record under its lock ------------------------------------ */

static int quota_read(int fd, char *buf, size_t cap, size_t *len)
{
    size_t done = 0;

    while (done < cap) {
        ssize_t got = pread(fd, buf + done, cap - done, (off_t)done);

        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return -errno;
        if (got == 0)
            break;

        /* A short read of a regular file means its end: no second call
         * just to see zero bytes (this is on every PUT). */
        done += (size_t)got;
        if (done < cap)
            break;
    }

    *len = done;
    return 0;
}

/* Forget the holds of processes that are gone. */
static bool quota_drop_dead(struct store_quota_record *r)
{
    size_t kept = 0;
    bool dropped = false;

    for (size_t i = 0; i < r->holder_count; i++) {
        struct store_quota_holder *h = &r->holders[i];
        bool alive;

        if (h->pid == getpid())
            alive = h->token == quota_process_token();
        else
            alive = kill(h->pid, 0) == 0 || errno != ESRCH;

        if (alive && h->bytes > 0)
            r->holders[kept++] = *h;
        else
            dropped = true;
    }

    r->holder_count = kept;
    return dropped;
}

int store_quota_lock(struct store *s, const char *user,
                     struct store_quota_record *r)
{
    char buf[QUOTA_RECORD_MAX + 1];
    enum quota_doubt doubt = QUOTA_TRUSTED;
    bool same_boot = true;
    size_t len = 0;
    int err;

    r->fd = -1;
    if (store_check_name(user) < 0)
        return -EINVAL;

    r->fd = openat(s->quota_dir_fd, user,
                   O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, STORE_FILE_MODE);
    if (r->fd < 0)
        return -errno;

    while (flock(r->fd, LOCK_EX) < 0) {
        if (errno != EINTR)
            goto fail;
    }

    /* One byte more than a record can hold tells an oversized file. */
    err = quota_read(r->fd, buf, sizeof(buf), &len);
    if (err < 0) {
        errno = -err;
        goto fail;
    }
    r->file_len = len;

    if (len == 0)
        doubt = QUOTA_MISSING;
    else if (len > QUOTA_RECORD_MAX || !quota_parse(buf, len, r, &same_boot))
        doubt = QUOTA_UNPARSABLE;
    else if (!same_boot)
        doubt = QUOTA_OTHER_BOOT;
    else if (r->dirty != 0)
        doubt = QUOTA_DIRTY;

    /* Holds survive a rebuild only where they can be trusted: a torn
     * record or one from before the boot says nothing about them. */
    if (doubt != QUOTA_TRUSTED && doubt != QUOTA_DIRTY)
        r->holder_count = 0;

    r->stale = quota_drop_dead(r);

    if (doubt == QUOTA_TRUSTED)
        return 0;

    err = quota_count_disk(s, user, &r->used);
    if (err < 0) {
        errno = -err;
        goto fail;
    }

    r->dirty = 0;
    r->stale = true;

    /* A new user is no event worth a line; a lost count is. */
    if (doubt != QUOTA_MISSING)
        log_warn("quota: record of %s %s, recounted %" PRIu64 " bytes",
                 user, quota_doubt_names[doubt], r->used);

    return 0;

fail:
    err = -errno;
    close(r->fd);
    r->fd = -1;
    return err;
}

int store_quota_save(struct store *s, struct store_quota_record *r)
{
    char buf[QUOTA_RECORD_MAX + 1];
    size_t len = 0;
    size_t done = 0;

    (void)s;

    len += (size_t)snprintf(buf + len, sizeof(buf) - len,
                            QUOTA_MAGIC "\nboot %s\nused %" PRIu64 "\n",
                            quota_boot_id(), r->used);

    if (r->dirty != 0)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "dirty %d\n",
                                (int)r->dirty);

    for (size_t i = 0; i < r->holder_count; i++) {
        const struct store_quota_holder *h = &r->holders[i];

        len += (size_t)snprintf(buf + len, sizeof(buf) - len,
                                "hold %d %" PRIx64 " %" PRIu64 "\n",
                                (int)h->pid, h->token, h->bytes);
    }

    len += (size_t)snprintf(buf + len, sizeof(buf) - len, "end\n");

    /*
     * Rewritten in place, never renamed, so that every process keeps
     * locking the same inode. A crash between the write and the truncate
     * leaves bytes after "end", which the parser refuses: a rebuild.
     */
    while (done < len) {
        ssize_t put = pwrite(r->fd, buf + done, len - done, (off_t)done);

        if (put < 0 && errno == EINTR)
            continue;
        if (put < 0)
            return -errno;

        done += (size_t)put;
    }

    if (len < r->file_len && ftruncate(r->fd, (off_t)len) < 0)
        return -errno;

    r->file_len = len;
    r->stale = false;
    return 0;
}

void store_quota_unlock(struct store_quota_record *r)
{
    /* Closing the only descriptor of the open file drops the flock. */
    if (r->fd >= 0)
        close(r->fd);

    r->fd = -1;
}

uint64_t store_quota_reserved(const struct store_quota_record *r)
{
    uint64_t total = 0;

    for (size_t i = 0; i < r->holder_count; i++) {
        uint64_t bytes = r->holders[i].bytes;

        total = total > UINT64_MAX - bytes ? UINT64_MAX : total + bytes;
    }

    return total;
}

int store_quota_hold(struct store_quota_record *r, uint64_t bytes)
{
    struct store_quota_holder *h;

    for (size_t i = 0; i < r->holder_count; i++) {
        h = &r->holders[i];
        if (quota_holder_is_mine(h)) {
            h->bytes += bytes;
            return 0;
        }
    }

    if (r->holder_count == STORE_QUOTA_HOLDERS_MAX)
        return -EAGAIN;

    h = &r->holders[r->holder_count++];
    h->pid = getpid();
    h->token = quota_process_token();
    h->bytes = bytes;
    return 0;
}

void store_quota_unhold(struct store_quota_record *r, uint64_t bytes)
{
    for (size_t i = 0; i < r->holder_count; i++) {
        struct store_quota_holder *h = &r->holders[i];

        if (!quota_holder_is_mine(h))
            continue;

        h->bytes = h->bytes > bytes ? h->bytes - bytes : 0;

        /* An empty hold is a line less to parse on every upload. */
        if (h->bytes == 0)
            r->holders[i] = r->holders[--r->holder_count];
        return;
    }
}

int store_quota_reserve(struct store *s, const char *user, uint64_t need,
                        uint64_t want, uint64_t *granted)
{
    struct store_quota_record record;
    uint64_t taken;
    uint64_t room;
    uint64_t grant;
    int err;

    err = store_quota_lock(s, user, &record);
    if (err < 0)
        return err;

    taken = store_quota_reserved(&record);
    taken = taken > UINT64_MAX - record.used ? UINT64_MAX
                                             : taken + record.used;
    room = s->quota > taken ? s->quota - taken : 0;

    if (need > room) {
        err = -EDQUOT;
        if (record.stale)
            (void)store_quota_save(s, &record);
        goto out;
    }

    /* What is asked beyond the need (a chunked upload's step ahead) takes
     * at most an eighth of the room left, so that uploads reserving ahead
     * never refuse others that would fit. */
    grant = need;
    if (want > need) {
        uint64_t extra = want - need;
        uint64_t spare = (room - need) / 8;

        grant += extra < spare ? extra : spare;
    }

    err = store_quota_hold(&record, grant);
    if (err < 0)
        goto out;

    err = store_quota_save(s, &record);
    if (err == 0)
        *granted = grant;

out:
    store_quota_unlock(&record);
    return err;
}

void store_quota_release(struct store *s, const char *user, uint64_t bytes)
{
    struct store_quota_record record;
    int err;

    if (bytes == 0)
        return;

    err = store_quota_lock(s, user, &record);
    if (err == 0) {
        store_quota_unhold(&record, bytes);
        err = store_quota_save(s, &record);
        store_quota_unlock(&record);
    }

    /* The hold then lasts until this process exits. */
    if (err < 0)
        log_warn("quota: cannot give back %" PRIu64 " bytes of %s: %s",
                 bytes, user, strerror(-err));
}

int store_quota_used(struct store *s, const char *user, uint64_t *used)
{
    struct store_quota_record record;
    int err;

    err = store_quota_lock(s, user, &record);
    if (err < 0)
        return err;

    if (record.stale)
        err = store_quota_save(s, &record);

    if (err == 0)
        *used = record.used;

    store_quota_unlock(&record);
    return err;
}

/*
 * list.c: the blobs of one namespace, walked three folder levels deep.
 *
 * Only a file stored where its own id says (a/abc/abcdef/abcdefgh) is a
 * blob, so a listing names exactly the ids that a download can open, and
 * a name with a dot (flags, tombstones, temporary files) never lists.
 *
 * XXX: every listing reads every folder of the namespace, and ordering by
 * date or filtering by flag costs a stat or a read per blob: fine for
 * thousands of blobs, slow for millions. An index would fix it at the
 * price of another file to keep exact across processes.
 */
#include "store_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The three folder levels: the first 1, 3 and 6 bytes of the id. */
#define WALK_LEVELS 3
static const size_t walk_widths[WALK_LEVELS] = { 1, 3, 6 };

struct walk {
    const char *suffix;
    size_t suffix_len;
    store_visit_fn *visit;
    void *ctx;
    char folders[WALK_LEVELS][8];    /* the names of the folders we are in */
    size_t folder_lens[WALK_LEVELS];
};

/* A folder at `depth` must be a slice of the one above it. */
static bool walk_folder_fits(const struct walk *w, int depth,
                             const char *name, size_t len)
{
    if (len == 0 || len > walk_widths[depth] || !store_name_valid(name, len))
        return false;

    if (depth == 0)
        return true;

    /* A slice shorter than its width means the id ended there, so the
     * next slice repeats it: a/ab/ab/ab. */
    size_t above = w->folder_lens[depth - 1];

    if (len < above || memcmp(name, w->folders[depth - 1], above) != 0)
        return false;

    return above == walk_widths[depth - 1] || len == above;
}

/* An entry in the last folder is the file of `id_len` bytes of id plus
 * the suffix, when its slices are the folders it was found in. */
static bool walk_file_fits(const struct walk *w, const char *name,
                           size_t len, size_t *id_len)
{
    if (len <= w->suffix_len)
        return false;

    if (w->suffix_len > 0
        && memcmp(name + len - w->suffix_len, w->suffix, w->suffix_len) != 0)
        return false;

    len -= w->suffix_len;
    if (!store_name_valid(name, len))
        return false;

    for (int depth = 0; depth < WALK_LEVELS; depth++) {
        size_t slice = store_slice_len(len, walk_widths[depth]);

        if (slice != w->folder_lens[depth]
            || memcmp(name, w->folders[depth], slice) != 0)
            return false;
    }

    *id_len = len;
    return true;
}

/* Walk the folder `fd` (owned: closed here) at `depth`. */
static int walk_folder(struct walk *w, int fd, int depth)
{
    struct dirent *entry;
    DIR *dir;
    int err = 0;

    dir = fdopendir(fd);
    if (dir == NULL) {
        err = -errno;
        close(fd);
        return err;
    }

    while (err == 0 && (entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        size_t len = strlen(name);
        size_t id_len;
        int child;

        if (depth == WALK_LEVELS) {
            bool regular = entry->d_type == DT_REG
                           || entry->d_type == DT_UNKNOWN;

            if (regular && walk_file_fits(w, name, len, &id_len))
                err = w->visit(w->ctx, fd, name, id_len, entry->d_type);
            continue;
        }

        if (entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN)
            continue;

        if (!walk_folder_fits(w, depth, name, len))
            continue;

        /* A folder removed by hand while we walk is simply not there. */
        child = openat(fd, name,
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (child < 0) {
            if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
                err = -errno;
            continue;
        }

        memcpy(w->folders[depth], name, len + 1);
        w->folder_lens[depth] = len;
        err = walk_folder(w, child, depth + 1);
    }

    closedir(dir);
    return err;
}

int store_walk(int ns_fd, const char *suffix, store_visit_fn *visit,
               void *ctx)
{
    struct walk w = {
        .suffix = suffix != NULL ? suffix : "",
        .suffix_len = suffix != NULL ? strlen(suffix) : 0,
        .visit = visit,
        .ctx = ctx,
    };
    int fd;

    /* A descriptor of our own: readdir moves its offset. */
    fd = openat(ns_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;

    return walk_folder(&w, fd, 0);
}

/* The namespace folder, or -ENOENT when the user or namespace has none. */
static int list_open_namespace(struct store *s, const char *user,
                               const char *ns, int *ns_fd)
{
    char path[2 * STORE_NAME_MAX + 2];

    snprintf(path, sizeof(path), "%s/%s", user, ns);

    *ns_fd = openat(s->root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*ns_fd < 0)
        return errno == ENOTDIR ? -ENOENT : -errno;

    return 0;
}

struct list_ctx {
    struct store_entry *entries;
    size_t count;
    size_t cap;
    unsigned filter_flag;
    bool need_mtime;
};

static int list_visit(void *ctx, int dir_fd, const char *name,
                      size_t id_len, unsigned char d_type)
{
    struct list_ctx *l = ctx;
    struct store_entry *entry;
    int64_t mtime_ns = 0;

    if (l->need_mtime || d_type == DT_UNKNOWN) {
        struct stat st;

        /* Gone since readdir (a delete racing us): not listed. */
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return errno == ENOENT ? 0 : -errno;
        if (!S_ISREG(st.st_mode))
            return 0;

        mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000
                   + st.st_mtim.tv_nsec;
    }

    if (l->filter_flag != 0) {
        unsigned flags;
        int err = store_flags_read(dir_fd, name, &flags);

        /* An unreadable flags file matches no filter rather than failing
         * the whole listing. */
        if (err == -EIO)
            return 0;
        if (err < 0)
            return err;
        if ((flags & l->filter_flag) == 0)
            return 0;
    }

    if (l->count == l->cap) {
        size_t cap = l->cap == 0 ? 64 : l->cap * 2;
        struct store_entry *grown;

        grown = realloc(l->entries, cap * sizeof(*grown));
        if (grown == NULL)
            return -ENOMEM;

        l->entries = grown;
        l->cap = cap;
    }

    entry = &l->entries[l->count++];
    entry->mtime_ns = mtime_ns;
    memcpy(entry->id, name, id_len);
    entry->id[id_len] = '\0';
    return 0;
}

static int list_by_id(const void *a, const void *b)
{
    const struct store_entry *x = a;
    const struct store_entry *y = b;

    return strcmp(x->id, y->id);
}

static int list_by_date(const void *a, const void *b)
{
    const struct store_entry *x = a;
    const struct store_entry *y = b;

    if (x->mtime_ns != y->mtime_ns)
        return x->mtime_ns < y->mtime_ns ? -1 : 1;

    return strcmp(x->id, y->id);
}

static int list_by_date_desc(const void *a, const void *b)
{
    return list_by_date(b, a);
}

/*
 * mtime_ns is filled only when the order is by date: a stat per blob is
 * most of the cost of a listing, and an order by id needs none.
 */
int store_list(struct store *s, const char *user,
               const struct store_list_query *query,
               struct store_entry **entries, size_t *count)
{
    struct list_ctx l = { 0 };
    int (*compare)(const void *, const void *);
    int ns_fd;
    int err;

    *entries = NULL;
    *count = 0;

    if (query == NULL || store_check_name(user) < 0
        || store_check_name(query->ns) < 0)
        return -EINVAL;

    if (query->filter_flag != 0 && store_flag_name(query->filter_flag) == NULL)
        return -EINVAL;

    switch (query->order) {
    case STORE_ORDER_NONE:
        compare = list_by_id;
        break;
    case STORE_ORDER_DATE_ASC:
        compare = list_by_date;
        break;
    case STORE_ORDER_DATE_DESC:
        compare = list_by_date_desc;
        break;
    default:
        return -EINVAL;
    }

    /* A tombstone has no flags: the blob's went with it. */
    if (query->deleted && query->filter_flag != 0)
        return 0;

    err = list_open_namespace(s, user, query->ns, &ns_fd);
    if (err == -ENOENT)
        return 0;
    if (err < 0)
        return err;

    l.filter_flag = query->filter_flag;
    l.need_mtime = query->order != STORE_ORDER_NONE;

    err = store_walk(ns_fd, query->deleted ? STORE_TOMBSTONE_SUFFIX : NULL,
                     list_visit, &l);
    close(ns_fd);

    if (err < 0) {
        free(l.entries);
        return err;
    }

    if (l.count > 1)
        qsort(l.entries, l.count, sizeof(*l.entries), compare);

    *entries = l.entries;
    *count = l.count;
    return 0;
}

static int count_visit(void *ctx, int dir_fd, const char *name,
                       size_t id_len, unsigned char d_type)
{
    size_t *count = ctx;

    (void)id_len;

    if (d_type == DT_UNKNOWN) {
        int err = store_file_size(dir_fd, name, NULL);

        if (err == -ENOENT)
            return 0;
        if (err < 0)
            return err;
    }

    (*count)++;
    return 0;
}

int store_count(struct store *s, const char *user, const char *ns,
                size_t *count)
{
    int ns_fd;
    int err;

    *count = 0;

    if (store_check_name(user) < 0 || store_check_name(ns) < 0)
        return -EINVAL;

    err = list_open_namespace(s, user, ns, &ns_fd);
    if (err == -ENOENT)
        return 0;
    if (err < 0)
        return err;

    err = store_walk(ns_fd, NULL, count_visit, count);
    close(ns_fd);

    if (err < 0)
        *count = 0;
    return err;
}

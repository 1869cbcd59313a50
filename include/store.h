/*
 * store.h: blobs, flags, tombstones and quotas straight on the filesystem,
 * in the original Soledad layout, so an existing blobs folder is served as
 * it is:
 *
 *     <root>/<user>/<namespace>/<id[0]>/<id[0:3]>/<id[0:6]>/<id>
 *
 * with <id>.flags (a JSON array) and <id>.deleted (a tombstone) beside each
 * blob. The store knows nothing of HTTP. Every function that can fail
 * returns 0 or a negative errno: -EINVAL for a bad name, -ENOENT for a
 * missing blob, -EEXIST for an id already taken, -EDQUOT for a user over
 * quota, -ENOSPC for a full disk, anything else as the kernel said it.
 *
 * Several processes may serve one root at once: publishing a blob is an
 * atomic create-if-absent, and the quota count is shared through a locked
 * record under <root>/.quota/.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_NAME_MAX 200

enum store_flag {
    STORE_FLAG_PENDING = 1u << 0,
    STORE_FLAG_PROCESSING = 1u << 1,
    STORE_FLAG_PROCESSED = 1u << 2,
    STORE_FLAG_FAILED = 1u << 3,
};
#define STORE_FLAG_COUNT 4

/* The flag bit for a name ("PENDING"...), or 0 if it is not a flag. */
unsigned store_flag_from_name(const char *name, size_t len);
/* The name of one flag bit, or NULL. */
const char *store_flag_name(unsigned bit);

/* user, namespace and blob id: ^[A-Za-z0-9_-]+$, 1..STORE_NAME_MAX bytes. */
bool store_name_valid(const char *name, size_t len);

struct store {
    int root_fd;
    int quota_dir_fd;                /* <root>/.quota */
    uint64_t quota;                  /* bytes of blob content per user */
    bool fsync;                      /* make every change durable */
};

/* Open (creating if needed) a root folder. */
int store_open(struct store *s, const char *root, uint64_t quota, bool fsync);
void store_close(struct store *s);

/*
 * An upload in progress. Its bytes go to an unnamed file in the blob's
 * folder and become visible only at commit, all at once, never replacing
 * anything. Memory does not grow with the size.
 */
struct store_upload {
    struct store *store;
    int fd;                          /* the unnamed file, or -1 */
    bool named;                      /* a named temp file, not O_TMPFILE */
    int dir_fd;                      /* the blob's folder */
    uint64_t written;                /* bytes written so far */
    uint64_t reserved;               /* quota reserved for this upload */
    char user[STORE_NAME_MAX + 1];
    char id[STORE_NAME_MAX + 1];
};

/*
 * Start an upload. expected_len is the body length when known up front,
 * or -1 (a chunked body): then quota is reserved as bytes arrive. Fails
 * with -EEXIST when the id already exists, -EDQUOT when expected_len would
 * take the user over quota (before any byte is read).
 */
int store_upload_begin(struct store *s, struct store_upload *u,
                       const char *user, const char *ns, const char *id,
                       int64_t expected_len);

/* Append bytes. -EDQUOT once the running total would cross the quota,
 * -ENOSPC on a full disk; after an error the caller aborts. */
int store_upload_write(struct store_upload *u, const void *buf, size_t len);

/* Publish the blob under its id (-EEXIST if another upload won the race;
 * the upload is then aborted). Removes an earlier tombstone. */
int store_upload_commit(struct store_upload *u);

/* Throw the bytes away and give back the reserved quota. Safe to call on
 * an upload that is already committed or aborted. */
void store_upload_abort(struct store_upload *u);

/* Open a live blob for reading: its fd (O_RDONLY) and size. */
int store_blob_open(struct store *s, const char *user, const char *ns,
                    const char *id, int *fd_out, uint64_t *size_out);

/* A live blob's flags as a bitmask (-ENOENT if the blob is missing). */
int store_flags_get(struct store *s, const char *user, const char *ns,
                    const char *id, unsigned *flags_out);

/* Replace a live blob's flags atomically (-ENOENT if missing). */
int store_flags_set(struct store *s, const char *user, const char *ns,
                    const char *id, unsigned flags);

/* Delete a live blob: write its tombstone, remove the blob and its flags,
 * give its bytes back to the quota. -ENOENT if missing or deleted. */
int store_delete(struct store *s, const char *user, const char *ns,
                 const char *id);

enum store_order {
    STORE_ORDER_NONE,                /* by id: unspecified but stable */
    STORE_ORDER_DATE_ASC,            /* oldest first, by mtime */
    STORE_ORDER_DATE_DESC,           /* newest first */
};

struct store_list_query {
    const char *ns;
    unsigned filter_flag;            /* 0, or one flag bit */
    bool deleted;                    /* list tombstones instead */
    enum store_order order;
};

struct store_entry {
    int64_t mtime_ns;
    char id[STORE_NAME_MAX + 1];
};

/* List one user's namespace. *entries is malloc'ed (free() it), possibly
 * NULL when *count is 0. A user or namespace with no folder lists empty. */
int store_list(struct store *s, const char *user,
               const struct store_list_query *query,
               struct store_entry **entries, size_t *count);

/* The number of live blobs in a namespace (tombstones not counted). */
int store_count(struct store *s, const char *user, const char *ns,
                size_t *count);

/* Bytes of blob content the user holds now, over all namespaces. */
int store_quota_used(struct store *s, const char *user, uint64_t *used);

/* Build a blob's path relative to the root: user/ns/a/abc/abcdef/id.
 * Return its length, or -1 if it does not fit in cap. */
int store_blob_path(char *out, size_t cap, const char *user, const char *ns,
                    const char *id);

#endif

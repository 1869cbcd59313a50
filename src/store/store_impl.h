/*
 * store_impl.h: what the files of src/store/ share and nobody else needs:
 * the checks every entry point repeats, the folder of a blob, the walk
 * over a namespace, the flags file format and the locked quota record.
 */
#ifndef STORE_IMPL_H
#define STORE_IMPL_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "user/ns/a/abc/abcdef": two names, three slices and four slashes. */
#define STORE_DIR_PATH_MAX (2 * STORE_NAME_MAX + 1 + 3 + 6 + 4 + 1)

/* <id>.flags, <id>.deleted and temp names all fit in one path component. */
#define STORE_FLAGS_SUFFIX ".flags"
#define STORE_TOMBSTONE_SUFFIX ".deleted"
#define STORE_SIDE_NAME_MAX (STORE_NAME_MAX + 16)

/* Mode of the files and folders we create (the original's umask 022). */
#define STORE_FILE_MODE 0644
#define STORE_DIR_MODE 0755

/* Chunked uploads reserve quota in steps of at least this many bytes, so
 * a large body takes the record's lock once per step, not once per read. */
#define STORE_QUOTA_STEP ((uint64_t)1 << 20)

/* Tests set this to exercise the fallback for filesystems that lack
 * O_TMPFILE, which the test machine's filesystems all have. */
extern bool store_test_no_tmpfile;

/* -EINVAL unless the C string is a valid name. */
int store_check_name(const char *name);

/* Length of the first `width` bytes of an id (shorter ids stop early). */
size_t store_slice_len(size_t id_len, size_t width);

/* The blob's folder relative to the root, "user/ns/a/abc/abcdef".
 * Names must already be valid. Returns the length. */
size_t store_dir_path(char *out, const char *user, const char *ns,
                      const char *id);

/* Open the blob's folder (O_RDONLY | O_DIRECTORY); with `create`, make
 * the missing folders first. 0 and *dir_fd, or a negative errno. */
int store_dir_open(struct store *s, const char *user, const char *ns,
                   const char *id, bool create, int *dir_fd);

/* "<id><suffix>" into out (STORE_SIDE_NAME_MAX + 1 bytes). */
void store_side_name(char *out, const char *id, const char *suffix);

/* 0 if `name` in dir_fd is a regular file (its size in *size when not
 * NULL), -ENOENT if absent or not a regular file, or another errno. */
int store_file_size(int dir_fd, const char *name, uint64_t *size);

/* fsync a folder, mapping failure to a negative errno. */
int store_fsync_fd(int fd);

/*
 * Walk one namespace folder (ns_fd) three levels deep and call `visit`
 * for every file in the third level whose name, once `suffix` is cut off
 * (NULL: no suffix), is a valid id stored in the right folder. The
 * callback gets that level's folder, the file's full name, the id's
 * length and the d_type from readdir; it returns 0 to go on or a
 * negative errno to stop the walk with that error.
 */
typedef int store_visit_fn(void *ctx, int dir_fd, const char *name,
                           size_t id_len, unsigned char d_type);
int store_walk(int ns_fd, const char *suffix, store_visit_fn *visit,
               void *ctx);

/* Flags file: parse a JSON array of strings into a bitmask (unknown names
 * ignored), -1 if it is not such an array; format a compact one. */
int store_flags_parse(const char *buf, size_t len, unsigned *flags);
size_t store_flags_format(char *out, size_t cap, unsigned flags);

/* The flags stored beside a blob in dir_fd: 0 and no flags when there is
 * no flags file, -EIO when the file is not a JSON array of strings. */
int store_flags_read(int dir_fd, const char *id, unsigned *flags);

/*
 * The quota record of one user, held under flock(LOCK_EX) between
 * store_quota_lock() and store_quota_unlock(). The fields are the parsed
 * record; change them, then store_quota_save() writes them back.
 */
#define STORE_QUOTA_HOLDERS_MAX 64

struct store_quota_holder {
    pid_t pid;
    uint64_t token;                  /* tells a reused pid from its owner */
    uint64_t bytes;
};

struct store_quota_record {
    int fd;
    size_t file_len;                 /* bytes in the file now */
    uint64_t used;                   /* committed blob bytes */
    pid_t dirty;                     /* mid-change by this pid, or 0 */
    bool stale;                      /* the file is behind these fields */
    size_t holder_count;
    struct store_quota_holder holders[STORE_QUOTA_HOLDERS_MAX];
};

int store_quota_lock(struct store *s, const char *user,
                     struct store_quota_record *r);
int store_quota_save(struct store *s, struct store_quota_record *r);
void store_quota_unlock(struct store_quota_record *r);

/* All bytes reserved by in-flight uploads, of every live process. */
uint64_t store_quota_reserved(const struct store_quota_record *r);

/* Add to or take from this process's reservation (taking clamps at 0).
 * Adding fails with -EAGAIN when the record has no room for a holder. */
int store_quota_hold(struct store_quota_record *r, uint64_t bytes);
void store_quota_unhold(struct store_quota_record *r, uint64_t bytes);

/*
 * Reserve at least `need` more bytes for this process, up to `want` when
 * the quota leaves room for it: -EDQUOT when even `need` does not fit.
 * The amount reserved goes to *granted. Locks the record itself.
 */
int store_quota_reserve(struct store *s, const char *user, uint64_t need,
                        uint64_t want, uint64_t *granted);

/* Give back a reservation (an aborted upload). Locks the record. */
void store_quota_release(struct store *s, const char *user, uint64_t bytes);

#endif

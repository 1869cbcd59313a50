/*
 * test_store.c: names, paths, uploads, flags, deletes and listings of the
 * blob store, each test in a root of its own under /tmp. The quota has
 * its own file, test_store_quota.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"
/* The store's own helpers: the flags parser and the O_TMPFILE switch. */
#include "../../src/store/store_impl.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || fixture_open(f, FIXTURE_QUOTA) < 0) {
        free(f);
        return -1;
    }

    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    store_test_no_tmpfile = false;
    fixture_close(f);
    free(f);
    return 0;
}

/* ---- names and paths ---------------------------------------------- */

static void test_blob_path(void **state)
{
    char path[1024];
    char long_id[STORE_NAME_MAX + 1];
    char expected[1024];

    (void)state;

    assert_int_equal(store_blob_path(path, sizeof(path), "u", "default",
                                     "abcdefgh"), 31);
    assert_string_equal(path, "u/default/a/abc/abcdef/abcdefgh");

    assert_true(store_blob_path(path, sizeof(path), "u", "ns", "abcdef") > 0);
    assert_string_equal(path, "u/ns/a/abc/abcdef/abcdef");

    assert_true(store_blob_path(path, sizeof(path), "u", "ns", "abcd") > 0);
    assert_string_equal(path, "u/ns/a/abc/abcd/abcd");

    assert_true(store_blob_path(path, sizeof(path), "u", "ns", "ab") > 0);
    assert_string_equal(path, "u/ns/a/ab/ab/ab");

    assert_true(store_blob_path(path, sizeof(path), "u", "ns", "x") > 0);
    assert_string_equal(path, "u/ns/x/x/x/x");

    memset(long_id, 'z', STORE_NAME_MAX);
    long_id[STORE_NAME_MAX] = '\0';
    snprintf(expected, sizeof(expected), "u/ns/z/zzz/zzzzzz/%s", long_id);
    assert_int_equal(store_blob_path(path, sizeof(path), "u", "ns", long_id),
                     (int)strlen(expected));
    assert_string_equal(path, expected);

    /* Exactly full (with its NUL) fits; one byte less does not. */
    assert_int_equal(store_blob_path(path, 19, "u", "ns", "abc"), 18);
    assert_string_equal(path, "u/ns/a/abc/abc/abc");
    assert_int_equal(store_blob_path(path, 18, "u", "ns", "abc"), -1);

    /* No path is ever built from a name that could leave the root. */
    assert_int_equal(store_blob_path(path, sizeof(path), "..", "ns", "a"), -1);
    assert_int_equal(store_blob_path(path, sizeof(path), "u", "a/b", "a"), -1);
    assert_int_equal(store_blob_path(path, sizeof(path), "u", "ns", ""), -1);
}

static void test_name_valid(void **state)
{
    char name[STORE_NAME_MAX + 2];

    (void)state;

    assert_true(store_name_valid("az", 2));
    assert_true(store_name_valid("AZ09_-", 6));
    assert_true(store_name_valid("x", 1));
    assert_true(store_name_valid("-", 1));

    memset(name, 'a', sizeof(name));
    assert_true(store_name_valid(name, STORE_NAME_MAX));
    assert_false(store_name_valid(name, STORE_NAME_MAX + 1));

    assert_false(store_name_valid("", 0));
    assert_false(store_name_valid(NULL, 3));
    assert_false(store_name_valid(".", 1));
    assert_false(store_name_valid("..", 2));
    assert_false(store_name_valid("a.b", 3));
    assert_false(store_name_valid("a/b", 3));
    assert_false(store_name_valid("a\0b", 3));
    assert_false(store_name_valid("a b", 3));
    assert_false(store_name_valid("a%2e", 4));
    assert_false(store_name_valid("caf\xc3\xa9", 5));
    assert_false(store_name_valid("\xff", 1));
    assert_false(store_name_valid("a+b", 3));
}

static void test_flag_names(void **state)
{
    (void)state;

    assert_int_equal(store_flag_from_name("PENDING", 7), STORE_FLAG_PENDING);
    assert_int_equal(store_flag_from_name("PROCESSING", 10),
                     STORE_FLAG_PROCESSING);
    assert_int_equal(store_flag_from_name("PROCESSED", 9),
                     STORE_FLAG_PROCESSED);
    assert_int_equal(store_flag_from_name("FAILED", 6), STORE_FLAG_FAILED);

    assert_int_equal(store_flag_from_name("pending", 7), 0);
    assert_int_equal(store_flag_from_name("PENDING", 4), 0);
    assert_int_equal(store_flag_from_name("PROCESSINGX", 11), 0);
    assert_int_equal(store_flag_from_name("", 0), 0);

    for (unsigned i = 0; i < STORE_FLAG_COUNT; i++) {
        const char *name = store_flag_name(1u << i);

        assert_non_null(name);
        assert_int_equal(store_flag_from_name(name, strlen(name)), 1u << i);
    }

    assert_null(store_flag_name(0));
    assert_null(store_flag_name(STORE_FLAG_PENDING | STORE_FLAG_FAILED));
    assert_null(store_flag_name(1u << STORE_FLAG_COUNT));
}

/* Every entry point checks every name again. */
static void test_bad_names_refused(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    static const char *const bad[] = { "..", ".", "a/b", "", "a.b", "%2e" };
    struct store_list_query query = { .ns = "default" };
    struct store_entry *entries;
    struct store_upload u;
    unsigned flags;
    uint64_t size;
    size_t count;
    int fd;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *b = bad[i];

        assert_int_equal(store_upload_begin(s, &u, b, "default", "id", 1),
                         -EINVAL);
        store_upload_abort(&u);
        assert_int_equal(store_upload_begin(s, &u, "u", b, "id", 1), -EINVAL);
        assert_int_equal(store_upload_begin(s, &u, "u", "default", b, 1),
                         -EINVAL);
        assert_int_equal(store_blob_open(s, "u", "default", b, &fd, &size),
                         -EINVAL);
        assert_int_equal(store_blob_open(s, b, "default", "id", &fd, &size),
                         -EINVAL);
        assert_int_equal(store_flags_get(s, "u", b, "id", &flags), -EINVAL);
        assert_int_equal(store_flags_set(s, "u", "default", b, 0), -EINVAL);
        assert_int_equal(store_delete(s, b, "default", "id"), -EINVAL);
        assert_int_equal(store_count(s, b, "default", &count), -EINVAL);
        assert_int_equal(store_quota_used(s, b, &size), -EINVAL);

        query.ns = b;
        assert_int_equal(store_list(s, "u", &query, &entries, &count),
                         -EINVAL);
        query.ns = "default";
        assert_int_equal(store_list(s, b, &query, &entries, &count), -EINVAL);
    }

    assert_int_equal(store_upload_begin(s, &u, NULL, "default", "id", 1),
                     -EINVAL);
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "id", -2),
                     -EINVAL);
    store_upload_abort(&u);

    /* Nothing was made anywhere: the root holds only the quota folder. */
    assert_int_equal(fixture_count_entries(f, ".", ""), 1);
    assert_int_equal(fixture_count_entries(f, "..", ""), 1);
}

/* ---- uploads ------------------------------------------------------- */

static void test_upload_read_back(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload u;
    char buf[64];
    char path[1024];
    struct stat st;

    assert_int_equal(store_upload_begin(s, &u, "alice", "default",
                                        "abcdefgh", 11), 0);
    assert_int_equal(store_upload_write(&u, "hello", 5), 0);
    assert_int_equal(store_upload_write(&u, "", 0), 0);
    assert_int_equal(store_upload_write(&u, " world", 6), 0);

    /* Not visible before the commit. */
    assert_int_equal(fixture_read(s, "alice", "default", "abcdefgh", buf,
                                  sizeof(buf)), -ENOENT);
    assert_int_equal(store_upload_commit(&u), 0);

    assert_int_equal(fixture_read(s, "alice", "default", "abcdefgh", buf,
                                  sizeof(buf)), 11);
    assert_memory_equal(buf, "hello world", 11);

    fixture_path(f, "alice/default/a/abc/abcdef/abcdefgh", path, sizeof(path));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    /* The folder holds the blob and nothing else. */
    assert_int_equal(fixture_count_entries(f, "alice/default/a/abc/abcdef",
                                           ""), 1);

    /* Committed or not, abort is harmless afterwards. */
    store_upload_abort(&u);
    store_upload_abort(&u);
    assert_int_equal(store_upload_commit(&u), -EBADF);
    assert_int_equal(store_upload_write(&u, "x", 1), -EBADF);
}

static void test_upload_empty_and_short_ids(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    char buf[16];

    assert_int_equal(fixture_put(s, "u", "default", "e", "", 0), 0);
    assert_int_equal(fixture_read(s, "u", "default", "e", buf, sizeof(buf)),
                     0);
    assert_true(fixture_exists(f, "u/default/e/e/e/e"));

    assert_int_equal(fixture_put(s, "u", "default", "ab", "12", 2), 0);
    assert_true(fixture_exists(f, "u/default/a/ab/ab/ab"));
    assert_int_equal(fixture_read(s, "u", "default", "ab", buf, sizeof(buf)),
                     2);
}

static void test_upload_large_in_pieces(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    enum { PIECE = 65536, PIECES = 48 };
    static char piece[PIECE];
    struct store_upload u;
    uint64_t size;
    int fd;

    assert_int_equal(store_upload_begin(s, &u, "u", "default", "big", -1), 0);
    for (int i = 0; i < PIECES; i++) {
        memset(piece, 'a' + i % 26, sizeof(piece));
        assert_int_equal(store_upload_write(&u, piece, sizeof(piece)), 0);
    }
    assert_int_equal(store_upload_commit(&u), 0);

    assert_int_equal(store_blob_open(s, "u", "default", "big", &fd, &size), 0);
    assert_int_equal(size, (uint64_t)PIECE * PIECES);
    for (int i = 0; i < PIECES; i++) {
        assert_int_equal(pread(fd, piece, sizeof(piece), (off_t)i * PIECE),
                         PIECE);
        assert_int_equal(piece[0], 'a' + i % 26);
        assert_int_equal(piece[PIECE - 1], 'a' + i % 26);
    }
    close(fd);
}

static void test_upload_exists(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload u;
    char buf[16];

    assert_int_equal(fixture_put(s, "u", "default", "id1", "first", 5), 0);

    assert_int_equal(store_upload_begin(s, &u, "u", "default", "id1", 6),
                     -EEXIST);
    store_upload_abort(&u);
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "id1", -1),
                     -EEXIST);

    assert_int_equal(fixture_read(s, "u", "default", "id1", buf, sizeof(buf)),
                     5);
    assert_memory_equal(buf, "first", 5);

    /* The same id in another namespace or for another user is free. */
    assert_int_equal(fixture_put(s, "u", "other", "id1", "second", 6), 0);
    assert_int_equal(fixture_put(s, "v", "default", "id1", "third", 5), 0);
}

/* Two uploads begun before either commits: exactly one wins. */
static void test_commit_race(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload first;
    struct store_upload second;
    char buf[16];
    unsigned flags;
    uint64_t used;

    assert_int_equal(store_upload_begin(s, &first, "u", "default", "race", 3),
                     0);
    assert_int_equal(store_upload_begin(s, &second, "u", "default", "race",
                                        5), 0);
    assert_int_equal(store_upload_write(&first, "one", 3), 0);
    assert_int_equal(store_upload_write(&second, "two!!", 5), 0);

    assert_int_equal(store_upload_commit(&second), 0);
    assert_int_equal(store_flags_set(s, "u", "default", "race",
                                     STORE_FLAG_PROCESSING), 0);
    assert_int_equal(store_upload_commit(&first), -EEXIST);
    store_upload_abort(&first);

    /* Losing touches nothing of the winner's, its flags included. */
    assert_int_equal(store_flags_get(s, "u", "default", "race", &flags), 0);
    assert_int_equal(flags, STORE_FLAG_PROCESSING);

    assert_int_equal(fixture_read(s, "u", "default", "race", buf, sizeof(buf)),
                     5);
    assert_memory_equal(buf, "two!!", 5);

    /* The loser's bytes are neither counted nor reserved. */
    assert_int_equal(store_quota_used(s, "u", &used), 0);
    assert_int_equal(used, 5);
    assert_int_equal(fixture_count_entries(f, "u/default/r/rac/race", ""), 2);
}

/* Run one upload in a child: begin, say "ready", wait for "go", commit.
 * The exit code says how the commit went. */
static void race_child(const char *root, int ready_fd, int go_fd, char fill,
                       size_t len)
{
    struct store s;
    struct store_upload u;
    char body[4096];
    char go;
    int err;

    memset(body, fill, sizeof(body));
    if (store_open(&s, root, FIXTURE_QUOTA, false) < 0)
        _exit(10);
    if (store_upload_begin(&s, &u, "u", "default", "contested",
                           (int64_t)len) < 0)
        _exit(11);
    if (store_upload_write(&u, body, len) < 0)
        _exit(12);

    if (write(ready_fd, "r", 1) != 1 || read(go_fd, &go, 1) != 1)
        _exit(13);

    err = store_upload_commit(&u);
    store_close(&s);
    _exit(err == 0 ? 0 : err == -EEXIST ? 1 : 14);
}

static void test_commit_race_processes(void **state)
{
    struct fixture *f = *state;
    int ready[2];
    int go[2];
    pid_t pids[2];
    int results[2];
    char buf[4096];
    char byte;
    long len;
    uint64_t used;

    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);

    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0)
            race_child(f->root, ready[1], go[0], i == 0 ? 'a' : 'b',
                       i == 0 ? 1000 : 3000);
    }

    for (int i = 0; i < 2; i++)
        assert_int_equal(read(ready[0], &byte, 1), 1);
    assert_int_equal(write(go[1], "gg", 2), 2);

    for (int i = 0; i < 2; i++) {
        int status;

        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        results[i] = WEXITSTATUS(status);
    }
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);

    assert_true((results[0] == 0 && results[1] == 1)
                || (results[0] == 1 && results[1] == 0));

    /* The stored bytes are all one sender's. */
    len = fixture_read(&f->store, "u", "default", "contested", buf,
                       sizeof(buf));
    assert_int_equal(len, results[0] == 0 ? 1000 : 3000);
    for (long i = 0; i < len; i++)
        assert_int_equal(buf[i], results[0] == 0 ? 'a' : 'b');

    assert_int_equal(store_quota_used(&f->store, "u", &used), 0);
    assert_int_equal(used, (uint64_t)len);
}

static void test_abort_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload u;
    uint64_t size;
    uint64_t used;
    int fd;

    assert_int_equal(store_upload_begin(s, &u, "u", "default", "gone", 100),
                     0);
    assert_int_equal(store_upload_write(&u, "partial", 7), 0);
    store_upload_abort(&u);
    store_upload_abort(&u);

    assert_int_equal(store_blob_open(s, "u", "default", "gone", &fd, &size),
                     -ENOENT);
    assert_int_equal(fixture_count_entries(f, "u/default/g/gon/gone", ""), 0);
    assert_int_equal(store_quota_used(s, "u", &used), 0);
    assert_int_equal(used, 0);

    /* The reservation went back: the whole quota is free again. */
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "all",
                                        FIXTURE_QUOTA), 0);
    store_upload_abort(&u);
}

/* The named temporary file for filesystems without O_TMPFILE. */
static void test_upload_without_tmpfile(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload first;
    struct store_upload second;
    char buf[16];

    store_test_no_tmpfile = true;

    assert_int_equal(store_upload_begin(s, &first, "u", "default", "named",
                                        4), 0);
    assert_int_equal(store_upload_write(&first, "data", 4), 0);

    /* Dot-named while in flight: there, but never a blob. */
    assert_int_equal(fixture_count_entries(f, "u/default/n/nam/named",
                                           ".tmp."), 1);
    assert_int_equal(fixture_read(s, "u", "default", "named", buf,
                                  sizeof(buf)), -ENOENT);

    assert_int_equal(store_upload_begin(s, &second, "u", "default", "named",
                                        5), 0);
    assert_int_equal(store_upload_write(&second, "lost!", 5), 0);
    assert_int_equal(fixture_count_entries(f, "u/default/n/nam/named",
                                           ".tmp."), 2);

    assert_int_equal(store_upload_commit(&first), 0);
    assert_int_equal(store_upload_commit(&second), -EEXIST);

    assert_int_equal(fixture_read(s, "u", "default", "named", buf,
                                  sizeof(buf)), 4);
    assert_memory_equal(buf, "data", 4);
    assert_int_equal(fixture_count_entries(f, "u/default/n/nam/named", ""),
                     1);

    assert_int_equal(store_upload_begin(s, &first, "u", "default", "aborted",
                                        4), 0);
    assert_int_equal(store_upload_write(&first, "data", 4), 0);
    store_upload_abort(&first);
    assert_int_equal(fixture_count_entries(f, "u/default/a/abo/aborte", ""),
                     0);
}

/* ---- flags --------------------------------------------------------- */

static void test_flags_parse(void **state)
{
    static const struct {
        const char *text;
        int result;
        unsigned flags;
    } cases[] = {
        { "[]", 0, 0 },
        { " [ ] ", 0, 0 },
        { "[\"PENDING\"]", 0, STORE_FLAG_PENDING },
        { "[\"PENDING\", \"PROCESSING\"]", 0,
          STORE_FLAG_PENDING | STORE_FLAG_PROCESSING },
        { "\n[\t\"PROCESSED\" ,\r\n\"FAILED\"  ]\n", 0,
          STORE_FLAG_PROCESSED | STORE_FLAG_FAILED },
        { "[\"PENDING\",\"PENDING\"]", 0, STORE_FLAG_PENDING },
        { "[\"BOGUS\", \"FAILED\"]", 0, STORE_FLAG_FAILED },
        { "[\"pending\"]", 0, 0 },
        { "[\"\"]", 0, 0 },
        { "[\"\\u0050ENDING\"]", 0, STORE_FLAG_PENDING },
        { "[\"FAIL\\u00e9D\", \"a\\\"b\", \"\\n\"]", 0, 0 },
        { "[\"A VERY LONG NAME THAT IS NO FLAG\"]", 0, 0 },
        { "", -1, 0 },
        { "   ", -1, 0 },
        { "[", -1, 0 },
        { "]", -1, 0 },
        { "[\"PENDING\"", -1, 0 },
        { "[\"PENDING\",]", -1, 0 },
        { "[,\"PENDING\"]", -1, 0 },
        { "[\"PENDING\" \"FAILED\"]", -1, 0 },
        { "[\"PENDING]", -1, 0 },
        { "[1]", -1, 0 },
        { "[null]", -1, 0 },
        { "{}", -1, 0 },
        { "\"PENDING\"", -1, 0 },
        { "[] []", -1, 0 },
        { "[\"a\\x\"]", -1, 0 },
        { "[\"\\u00g0\"]", -1, 0 },
        { "[\"a\tb\"]", -1, 0 },
    };

    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned flags = 0xdead;
        int result = store_flags_parse(cases[i].text, strlen(cases[i].text),
                                       &flags);

        if (result != cases[i].result)
            fail_msg("case %zu (%s): %d", i, cases[i].text, result);
        if (result == 0 && flags != cases[i].flags)
            fail_msg("case %zu (%s): flags %#x", i, cases[i].text, flags);
    }
}

static void test_flags_format(void **state)
{
    char buf[64];
    unsigned back;

    (void)state;

    assert_int_equal(store_flags_format(buf, sizeof(buf), 0), 2);
    assert_string_equal(buf, "[]");

    store_flags_format(buf, sizeof(buf),
                       STORE_FLAG_PENDING | STORE_FLAG_PROCESSING);
    assert_string_equal(buf, "[\"PENDING\",\"PROCESSING\"]");

    for (unsigned mask = 0; mask < 1u << STORE_FLAG_COUNT; mask++) {
        size_t len = store_flags_format(buf, sizeof(buf), mask);

        assert_int_equal(store_flags_parse(buf, len, &back), 0);
        assert_int_equal(back, mask);
    }
}

static void test_flags_get_set(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    const char *file = "u/default/f/fla/flagge/flagged.flags";
    char text[64];
    unsigned flags;

    assert_int_equal(store_flags_get(s, "u", "default", "flagged", &flags),
                     -ENOENT);
    assert_int_equal(store_flags_set(s, "u", "default", "flagged",
                                     STORE_FLAG_PENDING), -ENOENT);
    assert_false(fixture_exists(f, file));

    assert_int_equal(fixture_put(s, "u", "default", "flagged", "x", 1), 0);

    /* No flags file: no flags. */
    assert_int_equal(store_flags_get(s, "u", "default", "flagged", &flags),
                     0);
    assert_int_equal(flags, 0);

    assert_int_equal(store_flags_set(s, "u", "default", "flagged",
                                     STORE_FLAG_PENDING
                                     | STORE_FLAG_PROCESSING), 0);
    assert_int_equal(fixture_slurp(f, file, text, sizeof(text)), 24);
    assert_string_equal(text, "[\"PENDING\",\"PROCESSING\"]");
    assert_int_equal(store_flags_get(s, "u", "default", "flagged", &flags),
                     0);
    assert_int_equal(flags, STORE_FLAG_PENDING | STORE_FLAG_PROCESSING);

    /* Set replaces; it does not add. */
    assert_int_equal(store_flags_set(s, "u", "default", "flagged",
                                     STORE_FLAG_FAILED), 0);
    assert_int_equal(store_flags_get(s, "u", "default", "flagged", &flags),
                     0);
    assert_int_equal(flags, STORE_FLAG_FAILED);

    assert_int_equal(store_flags_set(s, "u", "default", "flagged", 0), 0);
    assert_int_equal(fixture_slurp(f, file, text, sizeof(text)), 2);
    assert_string_equal(text, "[]");

    assert_int_equal(store_flags_set(s, "u", "default", "flagged",
                                     1u << STORE_FLAG_COUNT), -EINVAL);
    assert_int_equal(fixture_slurp(f, file, text, sizeof(text)), 2);

    /* No temporary file stays behind. */
    assert_int_equal(fixture_count_entries(f, "u/default/f/fla/flagge", ""),
                     2);
}

static void test_flags_written_by_others(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    unsigned flags;

    assert_int_equal(fixture_put(s, "u", "default", "other", "x", 1), 0);

    assert_int_equal(fixture_write(f, "u/default/o/oth/other/other.flags",
                                   "[ \"PROCESSED\" ,\n \"FAILED\", "
                                   "\"NOT_A_FLAG\"]\n"), 0);
    assert_int_equal(store_flags_get(s, "u", "default", "other", &flags), 0);
    assert_int_equal(flags, STORE_FLAG_PROCESSED | STORE_FLAG_FAILED);

    assert_int_equal(fixture_write(f, "u/default/o/oth/other/other.flags",
                                   "PENDING"), 0);
    assert_int_equal(store_flags_get(s, "u", "default", "other", &flags),
                     -EIO);

    /* Corrupt flags are replaced like any others. */
    assert_int_equal(store_flags_set(s, "u", "default", "other",
                                     STORE_FLAG_PENDING), 0);
    assert_int_equal(store_flags_get(s, "u", "default", "other", &flags), 0);
    assert_int_equal(flags, STORE_FLAG_PENDING);
}

/* ---- delete -------------------------------------------------------- */

static void test_delete_and_put_again(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    const char *tombstone = "u/default/v/vic/victim/victim.deleted";
    char path[1024];
    char buf[16];
    struct stat st;
    unsigned flags;
    time_t before = time(NULL);

    assert_int_equal(store_delete(s, "u", "default", "victim"), -ENOENT);
    assert_false(fixture_exists(f, tombstone));

    assert_int_equal(fixture_put(s, "u", "default", "victim", "old", 3), 0);
    assert_int_equal(store_flags_set(s, "u", "default", "victim",
                                     STORE_FLAG_PENDING), 0);

    assert_int_equal(store_delete(s, "u", "default", "victim"), 0);

    assert_false(fixture_exists(f, "u/default/v/vic/victim/victim"));
    assert_false(fixture_exists(f, "u/default/v/vic/victim/victim.flags"));
    fixture_path(f, tombstone, path, sizeof(path));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_true(st.st_mtime >= before && st.st_mtime <= time(NULL) + 1);

    assert_int_equal(store_delete(s, "u", "default", "victim"), -ENOENT);
    assert_int_equal(fixture_read(s, "u", "default", "victim", buf,
                                  sizeof(buf)), -ENOENT);
    assert_int_equal(store_flags_get(s, "u", "default", "victim", &flags),
                     -ENOENT);
    assert_int_equal(store_flags_set(s, "u", "default", "victim", 0),
                     -ENOENT);

    /* A stray flags file from elsewhere must not stick to the new blob. */
    assert_int_equal(fixture_write(f, "u/default/v/vic/victim/victim.flags",
                                   "[\"FAILED\"]"), 0);

    assert_int_equal(fixture_put(s, "u", "default", "victim", "new!", 4), 0);
    assert_false(fixture_exists(f, tombstone));
    assert_int_equal(fixture_read(s, "u", "default", "victim", buf,
                                  sizeof(buf)), 4);
    assert_memory_equal(buf, "new!", 4);
    assert_int_equal(store_flags_get(s, "u", "default", "victim", &flags), 0);
    assert_int_equal(flags, 0);

    /* Deleting again moves the tombstone's date forward. */
    assert_int_equal(fixture_put(s, "u", "default", "twice", "1", 1), 0);
    assert_int_equal(store_delete(s, "u", "default", "twice"), 0);
    assert_int_equal(fixture_set_mtime(f, "u/default/t/twi/twice/twice"
                                       ".deleted", 1000), 0);
    assert_int_equal(fixture_put(s, "u", "default", "twice", "2", 1), 0);
    assert_int_equal(fixture_write(f, "u/default/t/twi/twice/twice.deleted",
                                   ""), 0);
    assert_int_equal(fixture_set_mtime(f, "u/default/t/twi/twice/twice"
                                       ".deleted", 1000), 0);
    assert_int_equal(store_delete(s, "u", "default", "twice"), 0);
    fixture_path(f, "u/default/t/twi/twice/twice.deleted", path,
                 sizeof(path));
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_mtime >= before);
}

/* ---- listing ------------------------------------------------------- */

static void expect_ids(struct store *s, const char *user,
                       const struct store_list_query *query,
                       const char *const *ids, size_t n)
{
    struct store_entry *entries;
    size_t count;

    assert_int_equal(store_list(s, user, query, &entries, &count), 0);
    if (count != n)
        fail_msg("listed %zu ids, expected %zu", count, n);

    for (size_t i = 0; i < n; i++)
        assert_string_equal(entries[i].id, ids[i]);

    free(entries);
}

static void test_list_orders(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_list_query query = { .ns = "default" };
    struct store_entry *entries;
    size_t count;

    assert_int_equal(fixture_put(s, "u", "default", "charlie", "c", 1), 0);
    assert_int_equal(fixture_put(s, "u", "default", "alpha", "a", 1), 0);
    assert_int_equal(fixture_put(s, "u", "default", "bravo", "b", 1), 0);
    assert_int_equal(fixture_put(s, "u", "default", "delta", "d", 1), 0);

    assert_int_equal(fixture_set_mtime(f, "u/default/a/alp/alpha/alpha", 300),
                     0);
    assert_int_equal(fixture_set_mtime(f, "u/default/b/bra/bravo/bravo", 100),
                     0);
    assert_int_equal(fixture_set_mtime(f, "u/default/c/cha/charli/charlie",
                                       200), 0);
    /* delta ties with charlie: the id breaks the tie. */
    assert_int_equal(fixture_set_mtime(f, "u/default/d/del/delta/delta", 200),
                     0);

    query.order = STORE_ORDER_NONE;
    expect_ids(s, "u", &query,
               (const char *const[]){ "alpha", "bravo", "charlie", "delta" },
               4);

    query.order = STORE_ORDER_DATE_ASC;
    expect_ids(s, "u", &query,
               (const char *const[]){ "bravo", "charlie", "delta", "alpha" },
               4);

    query.order = STORE_ORDER_DATE_DESC;
    expect_ids(s, "u", &query,
               (const char *const[]){ "alpha", "delta", "charlie", "bravo" },
               4);

    assert_int_equal(store_list(s, "u", &query, &entries, &count), 0);
    assert_int_equal(entries[0].mtime_ns, 300 * INT64_C(1000000000));
    free(entries);

    query.order = (enum store_order)7;
    assert_int_equal(store_list(s, "u", &query, &entries, &count), -EINVAL);
}

static void test_list_filter_flag(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_list_query query = { .ns = "default" };
    struct store_entry *entries;
    size_t count;

    assert_int_equal(fixture_put(s, "u", "default", "x", "x", 1), 0);
    assert_int_equal(fixture_put(s, "u", "default", "y", "y", 1), 0);
    assert_int_equal(fixture_put(s, "u", "default", "z", "z", 1), 0);
    assert_int_equal(fixture_put(s, "u", "default", "w", "w", 1), 0);
    assert_int_equal(store_flags_set(s, "u", "default", "x",
                                     STORE_FLAG_PENDING), 0);
    assert_int_equal(store_flags_set(s, "u", "default", "y",
                                     STORE_FLAG_PENDING | STORE_FLAG_FAILED),
                     0);
    assert_int_equal(fixture_write(f, "u/default/w/w/w/w.flags", "garbage"),
                     0);

    query.filter_flag = STORE_FLAG_PENDING;
    expect_ids(s, "u", &query, (const char *const[]){ "x", "y" }, 2);

    query.filter_flag = STORE_FLAG_FAILED;
    expect_ids(s, "u", &query, (const char *const[]){ "y" }, 1);

    query.filter_flag = STORE_FLAG_PROCESSED;
    expect_ids(s, "u", &query, NULL, 0);

    query.filter_flag = 0;
    expect_ids(s, "u", &query, (const char *const[]){ "w", "x", "y", "z" },
               4);

    query.filter_flag = STORE_FLAG_PENDING | STORE_FLAG_FAILED;
    assert_int_equal(store_list(s, "u", &query, &entries, &count), -EINVAL);
}

static void test_list_deleted_and_count(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_list_query query = { .ns = "default" };
    size_t count;

    assert_int_equal(fixture_put(s, "u", "default", "keep", "k", 1), 0);
    assert_int_equal(fixture_put(s, "u", "default", "drop1", "1", 1), 0);
    assert_int_equal(fixture_put(s, "u", "default", "drop2", "2", 1), 0);
    assert_int_equal(store_delete(s, "u", "default", "drop1"), 0);
    assert_int_equal(store_delete(s, "u", "default", "drop2"), 0);

    expect_ids(s, "u", &query, (const char *const[]){ "keep" }, 1);

    query.deleted = true;
    expect_ids(s, "u", &query, (const char *const[]){ "drop1", "drop2" }, 2);

    query.order = STORE_ORDER_DATE_DESC;
    assert_int_equal(fixture_set_mtime(f, "u/default/d/dro/drop1/drop1"
                                       ".deleted", 500), 0);
    assert_int_equal(fixture_set_mtime(f, "u/default/d/dro/drop2/drop2"
                                       ".deleted", 400), 0);
    expect_ids(s, "u", &query, (const char *const[]){ "drop1", "drop2" }, 2);

    query.filter_flag = STORE_FLAG_PENDING;
    expect_ids(s, "u", &query, NULL, 0);

    assert_int_equal(store_count(s, "u", "default", &count), 0);
    assert_int_equal(count, 1);
}

/* Only a valid id in its own folder is a blob. */
static void test_list_only_blobs(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_list_query query = { .ns = "default" };
    const char *dir = "u/default/a/abc/abcdef/";
    static const char *const strays[] = {
        "abcdefgh.flags", "abcdefzz.flags", ".hidden", "abcdef.x",
        ".tmp.1.2", "abcdefzz.deleted.old", "misplaced",
    };
    char rel[256];
    char path[1024];
    size_t count;

    assert_int_equal(fixture_put(s, "u", "default", "abcdefgh", "1", 1), 0);

    for (size_t i = 0; i < sizeof(strays) / sizeof(strays[0]); i++) {
        snprintf(rel, sizeof(rel), "%s%s", dir, strays[i]);
        assert_int_equal(fixture_write(f, rel, "x"), 0);
    }

    /* Folders where a blob would be, in the wrong places, or links. */
    fixture_path(f, "u/default/a/abc/abcdef/abcdefyy", path, sizeof(path));
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(fixture_write(f, "u/default/a/abc/abcdef/abcdefyy/deep",
                                   "x"), 0);
    assert_int_equal(fixture_write(f, "u/default/b/abc/abcdef/abcdefxx", "x"),
                     0);
    assert_int_equal(fixture_write(f, "u/default/a/abc/abcdef/abcdef/abcdef",
                                   "x"), 0);
    assert_int_equal(fixture_write(f, "u/default/stray", "x"), 0);
    assert_int_equal(fixture_write(f, "u/default/a/a/a/a/a", "x"), 0);
    fixture_path(f, "u/default/a/abc/abcdef/abcdefll", path, sizeof(path));
    assert_int_equal(symlink("abcdefgh", path), 0);

    expect_ids(s, "u", &query, (const char *const[]){ "abcdefgh" }, 1);
    assert_int_equal(store_count(s, "u", "default", &count), 0);
    assert_int_equal(count, 1);

    query.deleted = true;
    expect_ids(s, "u", &query, NULL, 0);
}

static void test_list_missing_folders(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_list_query query = { .ns = "default" };
    struct store_entry *entries = (struct store_entry *)&query;
    size_t count = 99;

    assert_int_equal(store_list(s, "nobody", &query, &entries, &count), 0);
    assert_int_equal(count, 0);
    assert_null(entries);

    assert_int_equal(fixture_put(s, "u", "default", "a", "a", 1), 0);
    query.ns = "empty";
    assert_int_equal(store_list(s, "u", &query, &entries, &count), 0);
    assert_int_equal(count, 0);
    assert_null(entries);

    query.deleted = true;
    assert_int_equal(store_list(s, "u", &query, &entries, &count), 0);
    assert_int_equal(count, 0);

    assert_int_equal(store_count(s, "nobody", "default", &count), 0);
    assert_int_equal(count, 0);
    assert_int_equal(store_count(s, "u", "empty", &count), 0);
    assert_int_equal(count, 0);
}

static void test_namespaces_apart(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_list_query query = { .ns = "one" };
    char buf[8];

    assert_int_equal(fixture_put(s, "u", "one", "same", "1", 1), 0);
    assert_int_equal(fixture_put(s, "u", "two", "same", "22", 2), 0);
    assert_int_equal(fixture_put(s, "u", "two", "only", "2", 1), 0);

    expect_ids(s, "u", &query, (const char *const[]){ "same" }, 1);
    query.ns = "two";
    expect_ids(s, "u", &query, (const char *const[]){ "only", "same" }, 2);

    assert_int_equal(store_delete(s, "u", "one", "same"), 0);
    assert_int_equal(fixture_read(s, "u", "two", "same", buf, sizeof(buf)),
                     2);
}

/* A folder as the original server left it, made by hand, is served. */
static void test_original_layout(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_list_query query = { .ns = "default" };
    char buf[64];
    unsigned flags;
    uint64_t used;
    size_t count;

    assert_int_equal(fixture_write(f, "user/default/a/abc/abcdef/abcdefgh",
                                   "0123456789abcdefXYZ"), 0);
    assert_int_equal(fixture_write(f, "user/default/a/abc/abcdef/abcdefgh"
                                   ".flags", "[\"PENDING\", \"PROCESSING\"]"),
                     0);
    assert_int_equal(fixture_write(f, "user/default/b/b/b/b", "bee"), 0);
    assert_int_equal(fixture_write(f, "user/default/c/cd/cd/cd.deleted", ""),
                     0);
    assert_int_equal(fixture_write(f, "user/custom/q/q1/q1/q1", "ns"), 0);

    assert_int_equal(fixture_read(s, "user", "default", "abcdefgh", buf,
                                  sizeof(buf)), 19);
    assert_memory_equal(buf, "0123456789abcdefXYZ", 19);
    assert_int_equal(fixture_read(s, "user", "default", "b", buf,
                                  sizeof(buf)), 3);

    assert_int_equal(store_flags_get(s, "user", "default", "abcdefgh",
                                     &flags), 0);
    assert_int_equal(flags, STORE_FLAG_PENDING | STORE_FLAG_PROCESSING);

    expect_ids(s, "user", &query, (const char *const[]){ "abcdefgh", "b" }, 2);
    query.filter_flag = STORE_FLAG_PROCESSING;
    expect_ids(s, "user", &query, (const char *const[]){ "abcdefgh" }, 1);
    query.filter_flag = 0;
    query.deleted = true;
    expect_ids(s, "user", &query, (const char *const[]){ "cd" }, 1);

    assert_int_equal(store_count(s, "user", "default", &count), 0);
    assert_int_equal(count, 2);

    /* No record yet: counted from the disk, all namespaces. */
    assert_int_equal(store_quota_used(s, "user", &used), 0);
    assert_int_equal(used, 19 + 3 + 2);

    assert_int_equal(fixture_put(s, "user", "default", "cd", "again", 5), 0);
    assert_false(fixture_exists(f, "user/default/c/cd/cd/cd.deleted"));
    assert_int_equal(store_delete(s, "user", "default", "abcdefgh"), 0);
    assert_int_equal(store_quota_used(s, "user", &used), 0);
    assert_int_equal(used, 3 + 2 + 5);
}

/* A root whose parents do not exist yet is made like mkdir -p. */
static void test_open_nested_root(void **state)
{
    struct fixture *f = *state;
    struct store nested;
    char root[256];

    snprintf(root, sizeof(root), "%s/x/y/z", f->dir);
    assert_int_equal(store_open(&nested, root, 10, false), 0);
    assert_int_equal(fixture_put(&nested, "u", "default", "id", "0123456789",
                                 10), 0);
    store_close(&nested);

    /* And opened again as it is. */
    assert_int_equal(store_open(&nested, root, 10, true), 0);
    assert_int_equal(fixture_put(&nested, "u", "default", "id2", "1", 1),
                     -EDQUOT);
    assert_int_equal(fixture_put(&nested, "u", "default", "id2", "", 0), 0);
    assert_int_equal(store_delete(&nested, "u", "default", "id"), 0);
    assert_int_equal(store_flags_set(&nested, "u", "default", "id2",
                                     STORE_FLAG_FAILED), 0);
    store_close(&nested);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blob_path),
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_flag_names),
        cmocka_unit_test(test_flags_parse),
        cmocka_unit_test(test_flags_format),
        cmocka_unit_test_setup_teardown(test_bad_names_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_upload_read_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_upload_empty_and_short_ids,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_large_in_pieces, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_upload_exists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_race, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_race_processes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_upload_without_tmpfile, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flags_get_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags_written_by_others, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_delete_and_put_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filter_flag, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_deleted_and_count, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_only_blobs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_missing_folders, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_namespaces_apart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_original_layout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_nested_root, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_store_quota.c: the per-user quota of the blob store: exact limits,
 * reservations of uploads in flight, records rebuilt from the disk after
 * a crash, and several processes sharing one root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

#include <inttypes.h>
#include <signal.h>
#include <sys/wait.h>

#define SMALL_QUOTA 1000

static int setup_small(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || fixture_open(f, SMALL_QUOTA) < 0) {
        free(f);
        return -1;
    }

    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    fixture_close(f);
    free(f);
    return 0;
}

static char zeros[1 << 16];

static uint64_t used_of(struct store *s, const char *user)
{
    uint64_t used = UINT64_MAX;

    assert_int_equal(store_quota_used(s, user, &used), 0);
    return used;
}

/* A pid that certainly names no process: a child that has exited and
 * been reaped. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(0);

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(kill(pid, 0), -1);
    return pid;
}

static void boot_id(char *out, size_t cap)
{
    FILE *file = fopen("/proc/sys/kernel/random/boot_id", "r");

    assert_non_null(file);
    assert_non_null(fgets(out, (int)cap, file));
    fclose(file);
    out[strcspn(out, "\n")] = '\0';
}

/* Write user's record by hand, in the format of quota.c. */
static void write_record(struct fixture *f, const char *user,
                         const char *boot, uint64_t used, const char *extra)
{
    char rel[256];
    char text[1024];

    snprintf(rel, sizeof(rel), ".quota/%s", user);
    snprintf(text, sizeof(text),
             "blobs-quota 1\nboot %s\nused %" PRIu64 "\n%send\n", boot, used,
             extra);
    assert_int_equal(fixture_write(f, rel, text), 0);
}

static void test_exact_fit(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload u;

    assert_int_equal(fixture_put(s, "u", "default", "first", zeros, 600), 0);
    assert_int_equal(fixture_put(s, "u", "other", "second", zeros, 400), 0);
    assert_int_equal(used_of(s, "u"), SMALL_QUOTA);

    assert_int_equal(store_upload_begin(s, &u, "u", "default", "more", 1),
                     -EDQUOT);
    assert_false(fixture_exists(f, "u/default/m/mor/more/more"));

    /* An empty blob takes nothing, even at the limit. */
    assert_int_equal(fixture_put(s, "u", "default", "empty", "", 0), 0);

    /* Another user has a quota of their own. */
    assert_int_equal(fixture_put(s, "v", "default", "first", zeros, 1000), 0);
}

static void test_one_byte_over(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload u;

    assert_int_equal(store_upload_begin(s, &u, "u", "default", "big",
                                        SMALL_QUOTA + 1), -EDQUOT);
    store_upload_abort(&u);
    /* A refused upload leaves no trace: not even its folders. */
    assert_int_equal(fixture_count_entries(f, "u/default/b", ""), -1);
    assert_int_equal(used_of(s, "u"), 0);

    assert_int_equal(store_upload_begin(s, &u, "u", "default", "huge",
                                        INT64_MAX), -EDQUOT);

    assert_int_equal(fixture_put(s, "u", "default", "half", zeros, 500), 0);
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "big", 501),
                     -EDQUOT);
    assert_int_equal(fixture_put(s, "u", "default", "big", zeros, 500), 0);
}

/* Uploads in flight hold their bytes until they commit or abort. */
static void test_reservations(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload a;
    struct store_upload b;
    struct store_upload c;

    assert_int_equal(store_upload_begin(s, &a, "u", "default", "a", 600), 0);
    assert_int_equal(store_upload_begin(s, &b, "u", "default", "b", 500),
                     -EDQUOT);
    assert_int_equal(store_upload_begin(s, &b, "u", "default", "b", 400), 0);
    assert_int_equal(used_of(s, "u"), 0);

    store_upload_abort(&a);
    assert_int_equal(store_upload_begin(s, &a, "u", "default", "a", 600), 0);
    assert_int_equal(store_upload_write(&a, zeros, 600), 0);
    assert_int_equal(store_upload_commit(&a), 0);

    /* Writing past the announced length still cannot pass the quota. */
    assert_int_equal(store_upload_write(&b, zeros, 400), 0);
    assert_int_equal(store_upload_write(&b, zeros, 1), -EDQUOT);
    store_upload_abort(&b);

    assert_int_equal(used_of(s, "u"), 600);
    assert_int_equal(store_upload_begin(s, &c, "u", "default", "c", 401),
                     -EDQUOT);
    assert_int_equal(store_upload_begin(s, &c, "u", "default", "c", 400), 0);
    assert_int_equal(store_upload_write(&c, zeros, 400), 0);
    assert_int_equal(store_upload_commit(&c), 0);
    assert_int_equal(used_of(s, "u"), SMALL_QUOTA);
}

/* A chunked body is refused when its running total crosses the quota. */
static void test_chunked(void **state)
{
    struct fixture *f = *state;
    struct store nested;
    struct store *s = &nested;
    struct store_upload u;
    char root[256];
    enum { CHUNK = 65536, FIT = 40 };
    int i;

    /* A quota of exactly FIT chunks, bigger than one reservation step. */
    snprintf(root, sizeof(root), "%s/chunked", f->dir);
    assert_int_equal(store_open(&nested, root, (uint64_t)FIT * CHUNK, false),
                     0);

    assert_int_equal(store_upload_begin(s, &u, "u", "default", "fits", -1),
                     0);
    for (i = 0; i < FIT; i++)
        assert_int_equal(store_upload_write(&u, zeros, CHUNK), 0);
    assert_int_equal(store_upload_commit(&u), 0);
    assert_int_equal(used_of(s, "u"), (uint64_t)FIT * CHUNK);

    assert_int_equal(store_upload_begin(s, &u, "u", "default", "zero", -1),
                     0);
    assert_int_equal(store_upload_commit(&u), 0);

    assert_int_equal(store_upload_begin(s, &u, "u", "default", "over", -1),
                     0);
    assert_int_equal(store_upload_write(&u, zeros, 1), -EDQUOT);
    store_upload_abort(&u);
    assert_false(fixture_exists(f, "../chunked/u/default/o/ove/over/over"));

    /* A second user crosses on the chunk after the last that fits. */
    assert_int_equal(store_upload_begin(s, &u, "v", "default", "cross", -1),
                     0);
    for (i = 0; i < FIT; i++)
        assert_int_equal(store_upload_write(&u, zeros, CHUNK), 0);
    assert_int_equal(store_upload_write(&u, zeros, CHUNK), -EDQUOT);
    store_upload_abort(&u);
    assert_int_equal(used_of(s, "v"), 0);

    /* And the aborted upload's steps all came back. */
    assert_int_equal(store_upload_begin(s, &u, "v", "default", "cross",
                                        (int64_t)FIT * CHUNK), 0);
    store_upload_abort(&u);

    store_close(&nested);
}

static void test_delete_gives_back(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload u;

    assert_int_equal(fixture_put(s, "u", "default", "all", zeros, 1000), 0);
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "one", 1),
                     -EDQUOT);

    assert_int_equal(store_delete(s, "u", "default", "all"), 0);
    assert_int_equal(used_of(s, "u"), 0);
    assert_int_equal(store_delete(s, "u", "default", "all"), -ENOENT);
    assert_int_equal(used_of(s, "u"), 0);

    assert_int_equal(fixture_put(s, "u", "default", "one", zeros, 1000), 0);
}

/* A hold of a process that is gone is dropped; a live one's is kept. */
static void test_dead_holder_dropped(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload u;
    char boot[64];
    char extra[256];
    int block[2];
    pid_t live;
    int status;

    boot_id(boot, sizeof(boot));
    assert_int_equal(pipe(block), 0);

    live = fork();
    assert_true(live >= 0);
    if (live == 0) {
        char byte;

        close(block[1]);
        _exit(read(block[0], &byte, 1) == 0 ? 0 : 1);
    }
    close(block[0]);

    /* "used 100" with no blob on disk: a rebuild would say 0, so a used
     * of 100 below proves the record was trusted, not recounted. */
    snprintf(extra, sizeof(extra),
             "hold %d 1234 600\nhold %d abcd 300\nhold %d 1 50\n",
             (int)dead_pid(), (int)live, (int)getpid());
    write_record(f, "u", boot, 100, extra);

    assert_int_equal(store_upload_begin(s, &u, "u", "default", "a", 601),
                     -EDQUOT);
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "a", 600), 0);
    assert_int_equal(used_of(s, "u"), 100);
    store_upload_abort(&u);

    /* The live child's 300 still counts, until it exits. */
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "a", 601),
                     -EDQUOT);
    close(block[1]);
    assert_int_equal(waitpid(live, &status, 0), live);
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "a", 900), 0);
    store_upload_abort(&u);
    assert_int_equal(used_of(s, "u"), 100);
}

/* A process that dies mid-upload gives its reservation back. */
static void test_crash_mid_upload(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload u;
    pid_t child;
    int status;

    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct store mine;
        struct store_upload held;

        if (store_open(&mine, f->root, SMALL_QUOTA, false) < 0
            || store_upload_begin(&mine, &held, "u", "default", "crash",
                                  SMALL_QUOTA) < 0
            || store_upload_write(&held, zeros, 10) < 0)
            _exit(1);
        _exit(0);                    /* no abort, no commit: a crash */
    }

    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    assert_false(fixture_exists(f, "u/default/c/cra/crash/crash"));
    assert_int_equal(fixture_count_entries(f, "u/default/c/cra/crash", ""),
                     0);
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "crash",
                                        SMALL_QUOTA), 0);
    store_upload_abort(&u);
}

static void test_missing_record_rebuilt(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    char path[1024];
    struct store_upload u;

    assert_int_equal(fixture_put(s, "u", "default", "a", zeros, 100), 0);
    assert_int_equal(fixture_put(s, "u", "second", "b", zeros, 200), 0);
    assert_int_equal(fixture_put(s, "u", "default", "c", zeros, 50), 0);
    assert_int_equal(store_delete(s, "u", "default", "c"), 0);

    fixture_path(f, ".quota/u", path, sizeof(path));
    assert_int_equal(unlink(path), 0);
    assert_int_equal(used_of(s, "u"), 300);

    assert_int_equal(unlink(path), 0);
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "d", 701),
                     -EDQUOT);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(fixture_put(s, "u", "default", "d", zeros, 700), 0);
    assert_int_equal(used_of(s, "u"), SMALL_QUOTA);

    /* An empty record file counts as missing. */
    assert_int_equal(fixture_write(f, ".quota/u", ""), 0);
    assert_int_equal(used_of(s, "u"), SMALL_QUOTA);
}

/* Records that cannot be trusted are recounted from the disk. */
static void test_doubtful_records_rebuilt(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    char boot[64];
    char extra[64];
    char text[1024];

    boot_id(boot, sizeof(boot));
    assert_int_equal(fixture_put(s, "u", "default", "a", zeros, 100), 0);
    assert_int_equal(fixture_put(s, "u", "default", "b", zeros, 250), 0);

    /* A crash between "dirty" and the new count. */
    snprintf(extra, sizeof(extra), "dirty %d\n", (int)dead_pid());
    write_record(f, "u", boot, 99999, extra);
    assert_int_equal(used_of(s, "u"), 350);

    /* The rebuilt record is clean and trusted from then on. */
    assert_int_equal(fixture_slurp(f, ".quota/u", text, sizeof(text)) > 0, 1);
    assert_null(strstr(text, "dirty"));
    assert_non_null(strstr(text, "\nused 350\n"));

    write_record(f, "u", "another-boot", 99999, "");
    assert_int_equal(used_of(s, "u"), 350);

    assert_int_equal(fixture_write(f, ".quota/u", "used 99999\n"), 0);
    assert_int_equal(used_of(s, "u"), 350);

    /* A torn write: a shorter record over a longer one, not truncated. */
    snprintf(text, sizeof(text), "blobs-quota 1\nboot %s\nused 7\nend\nd 1\n"
             "end\n", boot);
    assert_int_equal(fixture_write(f, ".quota/u", text), 0);
    assert_int_equal(used_of(s, "u"), 350);

    snprintf(text, sizeof(text), "blobs-quota 1\nboot %s\nused 12x\nend\n",
             boot);
    assert_int_equal(fixture_write(f, ".quota/u", text), 0);
    assert_int_equal(used_of(s, "u"), 350);

    snprintf(text, sizeof(text), "blobs-quota 1\nboot %s\nused 5\nhold 0 1 5"
             "\nend\n", boot);
    assert_int_equal(fixture_write(f, ".quota/u", text), 0);
    assert_int_equal(used_of(s, "u"), 350);

    /* A clean record of this boot is believed. */
    write_record(f, "u", boot, 12, "");
    assert_int_equal(used_of(s, "u"), 12);
}

/* A rebuild keeps the holds of uploads still in flight elsewhere. */
static void test_rebuild_keeps_live_holds(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload u;
    char text[1024];
    char patched[1200];
    char *tail;
    int ready[2];
    int block[2];
    pid_t child;
    int status;
    char byte;

    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(block), 0);

    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct store mine;
        struct store_upload held;

        close(block[1]);
        if (store_open(&mine, f->root, SMALL_QUOTA, false) < 0
            || store_upload_begin(&mine, &held, "u", "default", "held", 400)
            < 0)
            _exit(1);
        if (write(ready[1], "r", 1) != 1)
            _exit(2);
        if (read(block[0], &byte, 1) != 0)
            _exit(3);
        store_upload_abort(&held);
        _exit(0);
    }
    close(block[0]);
    assert_int_equal(read(ready[0], &byte, 1), 1);

    assert_int_equal(fixture_put(s, "u", "default", "a", zeros, 100), 0);

    /* Mark the record dirty by a dead pid, keeping its hold lines. */
    assert_true(fixture_slurp(f, ".quota/u", text, sizeof(text)) > 0);
    tail = strstr(text, "\nused ");
    assert_non_null(tail);
    tail = strchr(tail + 1, '\n') + 1;
    snprintf(patched, sizeof(patched), "%.*sdirty %d\n%s",
             (int)(tail - text), text, (int)dead_pid(), tail);
    assert_int_equal(fixture_write(f, ".quota/u", patched), 0);

    assert_int_equal(store_upload_begin(s, &u, "u", "default", "b", 501),
                     -EDQUOT);
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "b", 500), 0);
    store_upload_abort(&u);
    assert_int_equal(used_of(s, "u"), 100);

    close(block[1]);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(ready[0]);
    close(ready[1]);

    assert_int_equal(fixture_put(s, "u", "default", "b", zeros, 900), 0);
}

/* The record after ordinary work: clean, one count, no holds left. */
static void test_record_format(void **state)
{
    struct fixture *f = *state;
    struct store *s = &f->store;
    struct store_upload u;
    char boot[64];
    char expected[256];
    char text[1024];

    boot_id(boot, sizeof(boot));
    assert_int_equal(fixture_put(s, "u", "default", "a", zeros, 123), 0);
    assert_int_equal(store_upload_begin(s, &u, "u", "default", "b", 77), 0);

    assert_true(fixture_slurp(f, ".quota/u", text, sizeof(text)) > 0);
    snprintf(expected, sizeof(expected),
             "blobs-quota 1\nboot %s\nused 123\nhold %d ", boot,
             (int)getpid());
    assert_int_equal(strncmp(text, expected, strlen(expected)), 0);

    store_upload_abort(&u);
    assert_true(fixture_slurp(f, ".quota/u", text, sizeof(text)) > 0);
    snprintf(expected, sizeof(expected),
             "blobs-quota 1\nboot %s\nused 123\nend\n", boot);
    assert_string_equal(text, expected);
}

/*
 * Several processes upload at once against a small quota: the sum never
 * passes it. With lengths known up front no upload is ever aborted, so
 * exactly quota / size of them succeed.
 */
enum { RACE_PROCS = 4, RACE_TRIES = 8, RACE_SIZE = 100 };

static void quota_race_child(const char *root, int index, int go_fd,
                             bool chunked)
{
    struct store s;
    int successes = 0;
    char go;

    if (store_open(&s, root, SMALL_QUOTA, false) < 0)
        _exit(255);
    if (read(go_fd, &go, 1) != 0)
        _exit(254);

    for (int i = 0; i < RACE_TRIES; i++) {
        struct store_upload u;
        char id[32];
        int err;

        snprintf(id, sizeof(id), "p%dn%d", index, i);
        err = store_upload_begin(&s, &u, "u", "default", id,
                                 chunked && i % 2 ? -1 : RACE_SIZE);
        if (err == 0) {
            err = store_upload_write(&u, zeros, RACE_SIZE / 2);
            if (err == 0)
                err = store_upload_write(&u, zeros, RACE_SIZE / 2);
            if (err == 0)
                err = store_upload_commit(&u);
            else
                store_upload_abort(&u);
        }

        if (err == 0)
            successes++;
        else if (err != -EDQUOT)
            _exit(253);
    }

    store_close(&s);
    _exit(successes);
}

static int quota_race(struct fixture *f, bool chunked)
{
    struct store_list_query query = { .ns = "default" };
    struct store_entry *entries;
    pid_t pids[RACE_PROCS];
    int go[2];
    int total = 0;
    size_t count;
    uint64_t on_disk = 0;

    assert_int_equal(pipe(go), 0);
    for (int i = 0; i < RACE_PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(go[1]);
            quota_race_child(f->root, i, go[0], chunked);
        }
    }

    /* Closing the pipe starts them all at once. */
    close(go[0]);
    close(go[1]);

    for (int i = 0; i < RACE_PROCS; i++) {
        int status;

        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_true(WEXITSTATUS(status) <= RACE_TRIES);
        total += WEXITSTATUS(status);
    }

    assert_int_equal(store_list(&f->store, "u", &query, &entries, &count), 0);
    assert_int_equal(count, (size_t)total);
    for (size_t i = 0; i < count; i++) {
        char buf[RACE_SIZE + 1];

        assert_int_equal(fixture_read(&f->store, "u", "default",
                                      entries[i].id, buf, sizeof(buf)),
                         RACE_SIZE);
        on_disk += RACE_SIZE;
    }
    free(entries);

    assert_true(on_disk <= SMALL_QUOTA);
    assert_int_equal(used_of(&f->store, "u"), on_disk);
    return total;
}

static void test_processes_race_known_length(void **state)
{
    assert_int_equal(quota_race(*state, false), SMALL_QUOTA / RACE_SIZE);
}

/* A chunked upload reserves a step ahead, which can refuse a neighbour
 * that would have fitted: fewer may succeed, never too many. */
static void test_processes_race_chunked(void **state)
{
    int total = quota_race(*state, true);

    assert_true(total >= 1 && total <= SMALL_QUOTA / RACE_SIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exact_fit, setup_small,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_one_byte_over, setup_small,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reservations, setup_small,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_chunked, setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_delete_gives_back, setup_small,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dead_holder_dropped,
                                        setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_crash_mid_upload, setup_small,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_record_rebuilt,
                                        setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_doubtful_records_rebuilt,
                                        setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_keeps_live_holds,
                                        setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_record_format, setup_small,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_processes_race_known_length,
                                        setup_small, teardown),
        cmocka_unit_test_setup_teardown(test_processes_race_chunked,
                                        setup_small, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Children's output cut into lines: the same lines whether the pipe
 * delivers the bytes whole, one at a time or in random pieces; a line too
 * long is passed on in pieces, and a last line without '\n' on flush.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "supervisor_child.h"

#define MAX_LINES 16
#define RANDOM_SPLITS 200

struct seen {
    char lines[MAX_LINES][SUPERVISOR_LINE_MAX + 1];
    size_t lens[MAX_LINES];
    size_t count;
};

static void record(void *context, const char *line, size_t len)
{
    struct seen *seen = context;

    assert_true(seen->count < MAX_LINES);
    assert_true(len <= SUPERVISOR_LINE_MAX);
    memcpy(seen->lines[seen->count], line, len);
    seen->lines[seen->count][len] = '\0';
    seen->lens[seen->count] = len;
    seen->count++;
}

/* Feed text in pieces of the given sizes (0 ends the list, the rest goes
 * in one piece), then flush. */
static void feed_in_pieces(struct seen *seen, const char *text,
                           const size_t *pieces)
{
    static struct supervisor_lines lines;
    size_t len = strlen(text);
    size_t at = 0;

    memset(seen, 0, sizeof(*seen));
    lines.len = 0;
    for (; pieces && *pieces && at < len; pieces++) {
        size_t take = *pieces < len - at ? *pieces : len - at;

        supervisor_lines_feed(&lines, text + at, take, record, seen);
        at += take;
    }
    supervisor_lines_feed(&lines, text + at, len - at, record, seen);
    supervisor_lines_flush(&lines, record, seen);
}

static const char sample[] =
    "info: serving /tmp/blobs on 127.0.0.1:8001\n"
    "\n"
    "access 127.0.0.1:5000 \"GET /\" 200 0 0.000001\n"
    "no newline at the end";

static void expect_sample(const struct seen *seen)
{
    assert_int_equal(seen->count, 4);
    assert_string_equal(seen->lines[0],
                        "info: serving /tmp/blobs on 127.0.0.1:8001");
    assert_string_equal(seen->lines[1], "");
    assert_string_equal(seen->lines[2],
                        "access 127.0.0.1:5000 \"GET /\" 200 0 0.000001");
    assert_string_equal(seen->lines[3], "no newline at the end");
}

static void test_whole(void **state)
{
    static struct seen seen;

    (void)state;
    feed_in_pieces(&seen, sample, NULL);
    expect_sample(&seen);
}

static void test_byte_by_byte(void **state)
{
    static struct seen seen;
    static size_t ones[sizeof(sample)];

    (void)state;
    for (size_t i = 0; i < sizeof(sample) - 1; i++)
        ones[i] = 1;
    feed_in_pieces(&seen, sample, ones);
    expect_sample(&seen);
}

static void test_random_splits(void **state)
{
    static struct seen seen;
    size_t pieces[8];

    (void)state;
    srand(7);
    for (int round = 0; round < RANDOM_SPLITS; round++) {
        for (size_t i = 0; i < 7; i++)
            pieces[i] = 1 + (size_t)rand() % 40;
        pieces[7] = 0;
        feed_in_pieces(&seen, sample, pieces);
        expect_sample(&seen);
    }
}

static void test_flush_without_anything(void **state)
{
    static struct seen seen;

    (void)state;
    feed_in_pieces(&seen, "", NULL);
    assert_int_equal(seen.count, 0);
    feed_in_pieces(&seen, "one\n", NULL);
    assert_int_equal(seen.count, 1);
    assert_string_equal(seen.lines[0], "one");
}

/* A line of exactly the maximum is passed on whole, one byte more makes
 * two pieces, and the line after either is intact. */
static void test_long_lines(void **state)
{
    static struct seen seen;
    static char text[3 * SUPERVISOR_LINE_MAX];
    static const size_t halves[] = { SUPERVISOR_LINE_MAX / 2, 0 };

    (void)state;
    memset(text, 'a', SUPERVISOR_LINE_MAX);
    strcpy(text + SUPERVISOR_LINE_MAX, "\nnext\n");
    feed_in_pieces(&seen, text, halves);
    assert_int_equal(seen.count, 2);
    assert_int_equal(seen.lens[0], SUPERVISOR_LINE_MAX);
    assert_string_equal(seen.lines[1], "next");

    memset(text, 'b', SUPERVISOR_LINE_MAX + 1);
    strcpy(text + SUPERVISOR_LINE_MAX + 1, "\nnext\n");
    feed_in_pieces(&seen, text, halves);
    assert_int_equal(seen.count, 3);
    assert_int_equal(seen.lens[0], SUPERVISOR_LINE_MAX);
    assert_string_equal(seen.lines[1], "b");
    assert_string_equal(seen.lines[2], "next");

    memset(text, 'c', 2 * SUPERVISOR_LINE_MAX + 10);
    text[2 * SUPERVISOR_LINE_MAX + 10] = '\0';
    feed_in_pieces(&seen, text, NULL);
    assert_int_equal(seen.count, 3);
    assert_int_equal(seen.lens[0], SUPERVISOR_LINE_MAX);
    assert_int_equal(seen.lens[1], SUPERVISOR_LINE_MAX);
    assert_int_equal(seen.lens[2], 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_random_splits),
        cmocka_unit_test(test_flush_without_anything),
        cmocka_unit_test(test_long_lines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

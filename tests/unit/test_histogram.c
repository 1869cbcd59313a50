/*
 * The latency histogram: slots tile the range without gaps, every value
 * comes back within the promised precision, and percentiles of known
 * distributions land where they must.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "histogram.h"

/* 1/1024 of a value: about three significant digits. */
static uint64_t precision_of(uint64_t value)
{
    return value / 1024 > 0 ? value / 1024 : 1;
}

static void assert_close(uint64_t expected, uint64_t actual)
{
    uint64_t error = expected > actual ? expected - actual : actual - expected;

    if (error > precision_of(expected))
        fail_msg("expected %llu within %llu, got %llu",
                 (unsigned long long)expected,
                 (unsigned long long)precision_of(expected),
                 (unsigned long long)actual);
}

static struct histogram *new_histogram(void)
{
    struct histogram *h = malloc(sizeof(*h));

    assert_non_null(h);
    histogram_init(h);
    return h;
}

static void test_slots_tile_the_range(void **state)
{
    (void)state;

    assert_int_equal(histogram_slot_low(0), 0);
    for (unsigned i = 0; i + 1 < HISTOGRAM_SLOTS; i++) {
        uint64_t low = histogram_slot_low(i);
        uint64_t high = histogram_slot_high(i);

        assert_true(low <= high);
        assert_int_equal(high + 1, histogram_slot_low(i + 1));
        assert_true(high - low + 1 <= precision_of(low));

        /* Slots past the largest value exist only to round the table
         * to whole octaves; nothing lands in them. */
        if (high > HISTOGRAM_MAX_VALUE)
            continue;
        assert_int_equal(histogram_slot(low), i);
        assert_int_equal(histogram_slot(high), i);
    }
    assert_true(histogram_slot(HISTOGRAM_MAX_VALUE) < HISTOGRAM_SLOTS);
    assert_true(histogram_slot_high(HISTOGRAM_SLOTS - 1) >=
                HISTOGRAM_MAX_VALUE);
}

static void test_small_values_are_exact(void **state)
{
    (void)state;

    for (uint64_t v = 0; v < 2048; v++) {
        assert_int_equal(histogram_slot_low(histogram_slot(v)), v);
        assert_int_equal(histogram_slot_high(histogram_slot(v)), v);
    }
}

/* Values come back within precision, from a microsecond to a minute. */
static void test_values_come_back_within_precision(void **state)
{
    struct histogram *h = new_histogram();

    (void)state;
    for (uint64_t v = 1; v <= HISTOGRAM_MAX_VALUE; v = v * 17 / 16 + 1) {
        uint64_t other = v * 3 + 7;

        /* Two values, so that min and max do not give the answer away:
         * the median is the slot's own estimate of the smaller one. */
        histogram_init(h);
        histogram_record(h, v);
        histogram_record(h, other);
        assert_close(v, histogram_percentile(h, 50));
        assert_int_equal(histogram_percentile(h, 100), other);
        assert_int_equal(histogram_percentile(h, 0), v);
    }
    free(h);
}

static void test_empty(void **state)
{
    struct histogram *h = new_histogram();

    (void)state;
    assert_int_equal(h->count, 0);
    assert_int_equal(histogram_percentile(h, 50), 0);
    assert_int_equal(histogram_percentile(h, 99.9), 0);
    assert_true(histogram_mean(h) == 0.0);
    free(h);
}

static void test_uniform_distribution(void **state)
{
    struct histogram *h = new_histogram();

    (void)state;
    for (uint64_t v = 1; v <= 100000; v++)
        histogram_record(h, v);

    assert_int_equal(h->count, 100000);
    assert_int_equal(h->min, 1);
    assert_int_equal(h->max, 100000);
    assert_close(50000, histogram_percentile(h, 50));
    assert_close(90000, histogram_percentile(h, 90));
    assert_close(99000, histogram_percentile(h, 99));
    assert_close(99900, histogram_percentile(h, 99.9));
    assert_int_equal(histogram_percentile(h, 100), 100000);
    assert_true(histogram_mean(h) == 50000.5);
    free(h);
}

/* A stall: one slow request in a thousand shows at p99.9 and max, not
 * at p99. */
static void test_one_outlier(void **state)
{
    struct histogram *h = new_histogram();

    (void)state;
    for (int i = 0; i < 999; i++)
        histogram_record(h, 100);
    histogram_record(h, 2000000);

    assert_int_equal(histogram_percentile(h, 50), 100);
    assert_int_equal(histogram_percentile(h, 99), 100);
    assert_int_equal(histogram_percentile(h, 99.9), 100);
    assert_close(2000000, histogram_percentile(h, 99.95));
    assert_int_equal(h->max, 2000000);
    free(h);
}

/* Nearest rank on a small set: p50 of 1..10 is 5, p90 is 9, p91 is 10. */
static void test_nearest_rank(void **state)
{
    struct histogram *h = new_histogram();

    (void)state;
    for (uint64_t v = 1; v <= 10; v++)
        histogram_record(h, v);

    assert_int_equal(histogram_percentile(h, 50), 5);
    assert_int_equal(histogram_percentile(h, 90), 9);
    assert_int_equal(histogram_percentile(h, 91), 10);
    assert_int_equal(histogram_percentile(h, 10), 1);
    free(h);
}

static void test_values_past_a_minute(void **state)
{
    struct histogram *h = new_histogram();

    (void)state;
    histogram_record(h, 10);
    histogram_record(h, 3 * HISTOGRAM_MAX_VALUE);

    assert_int_equal(h->clamped, 1);
    assert_int_equal(h->max, 3 * HISTOGRAM_MAX_VALUE);
    assert_int_equal(histogram_percentile(h, 100), 3 * HISTOGRAM_MAX_VALUE);
    assert_close(HISTOGRAM_MAX_VALUE, histogram_percentile(h, 75));
    free(h);
}

static void test_merge_equals_recording_all(void **state)
{
    struct histogram *a = new_histogram();
    struct histogram *b = new_histogram();
    struct histogram *all = new_histogram();
    uint64_t v = 12345;

    (void)state;
    for (int i = 0; i < 20000; i++) {
        v = v * 6364136223846793005ULL + 1442695040888963407ULL;
        histogram_record(i % 2 ? a : b, (v >> 40) % 5000000);
        histogram_record(all, (v >> 40) % 5000000);
    }
    histogram_merge(a, b);

    assert_int_equal(a->count, all->count);
    assert_int_equal(a->sum, all->sum);
    assert_int_equal(a->min, all->min);
    assert_int_equal(a->max, all->max);
    assert_memory_equal(a->slots, all->slots, sizeof(a->slots));
    free(a);
    free(b);
    free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_tile_the_range),
        cmocka_unit_test(test_small_values_are_exact),
        cmocka_unit_test(test_values_come_back_within_precision),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_uniform_distribution),
        cmocka_unit_test(test_one_outlier),
        cmocka_unit_test(test_nearest_rank),
        cmocka_unit_test(test_values_past_a_minute),
        cmocka_unit_test(test_merge_equals_recording_all),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

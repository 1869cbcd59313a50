/*
 * histogram.h: latencies in a log-linear histogram of fixed size.
 *
 * Values are whole microseconds. Below 2048 every value has its own slot;
 * above, each power of two is cut into 1024 equal slots, so a value comes
 * back within 1/1024 of itself (about three significant digits) up to
 * HISTOGRAM_MAX_VALUE, a minute. Larger values are counted in the top slot
 * and kept exactly in max. Recording is a few instructions and never
 * allocates; two histograms merge by adding their counts.
 */
#ifndef HISTOGRAM_H
#define HISTOGRAM_H

#include <stdint.h>

#define HISTOGRAM_SUB_BITS 10                /* 1024 slots per octave */
#define HISTOGRAM_MAX_VALUE 60000000ULL      /* one minute in us */
#define HISTOGRAM_TOP_BIT 26                 /* 2^26 us > a minute */
#define HISTOGRAM_SLOTS \
    ((HISTOGRAM_TOP_BIT - HISTOGRAM_SUB_BITS + 1) << HISTOGRAM_SUB_BITS)

struct histogram {
    uint64_t count;
    uint64_t sum;                    /* exact, for the mean */
    uint64_t min;
    uint64_t max;                    /* exact, even past the top slot */
    uint64_t clamped;                /* values over HISTOGRAM_MAX_VALUE */
    uint64_t slots[HISTOGRAM_SLOTS];
};

void histogram_init(struct histogram *h);
void histogram_record(struct histogram *h, uint64_t value);
void histogram_merge(struct histogram *into, const struct histogram *from);

/* The value below or at which `percent` of the recorded values lie
 * (nearest rank), within the histogram's precision and never outside
 * [min, max]; 0 when nothing was recorded. */
uint64_t histogram_percentile(const struct histogram *h, double percent);
double histogram_mean(const struct histogram *h);

/* The slot of a value and the range of values that share it, for tests
 * and for anyone who wants to know how precise an answer is. */
unsigned histogram_slot(uint64_t value);
uint64_t histogram_slot_low(unsigned slot);
uint64_t histogram_slot_high(unsigned slot);

#endif

/*
 * The log-linear histogram.
 *
 * A value v >= 2^(SUB_BITS+1) with highest bit e keeps its top SUB_BITS+1
 * bits: slot = (e - SUB_BITS) * 2^SUB_BITS + (v >> (e - SUB_BITS)). That
 * makes the slots of one octave equally wide and every slot's width at
 * most 1/1024 of its lowest value, with no table and no floating point on
 * the recording path. The 139 KiB of counters are the price; one per
 * thread is cheap next to the connection buffers.
 */
#include "histogram.h"

#include <math.h>
#include <string.h>

_Static_assert(HISTOGRAM_MAX_VALUE < (1ULL << HISTOGRAM_TOP_BIT),
               "the top slot must hold the largest value");

#define EXACT_LIMIT (1ULL << (HISTOGRAM_SUB_BITS + 1))

void histogram_init(struct histogram *h)
{
    memset(h, 0, sizeof(*h));
}

unsigned histogram_slot(uint64_t value)
{
    unsigned shift;

    if (value > HISTOGRAM_MAX_VALUE)
        value = HISTOGRAM_MAX_VALUE;
    if (value < EXACT_LIMIT)
        return (unsigned)value;

    shift = 63u - (unsigned)__builtin_clzll(value) - HISTOGRAM_SUB_BITS;
    return (shift << HISTOGRAM_SUB_BITS) + (unsigned)(value >> shift);
}

uint64_t histogram_slot_low(unsigned slot)
{
    unsigned shift;

    if (slot < EXACT_LIMIT)
        return slot;

    shift = (slot >> HISTOGRAM_SUB_BITS) - 1;
    return (uint64_t)(slot - (shift << HISTOGRAM_SUB_BITS)) << shift;
}

uint64_t histogram_slot_high(unsigned slot)
{
    unsigned shift;

    if (slot < EXACT_LIMIT)
        return slot;

    shift = (slot >> HISTOGRAM_SUB_BITS) - 1;
    return histogram_slot_low(slot) + (1ULL << shift) - 1;
}

void histogram_record(struct histogram *h, uint64_t value)
{
    if (h->count == 0 || value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
    if (value > HISTOGRAM_MAX_VALUE)
        h->clamped++;

    h->count++;
    h->sum += value;
    h->slots[histogram_slot(value)]++;
}

void histogram_merge(struct histogram *into, const struct histogram *from)
{
    if (from->count == 0)
        return;

    if (into->count == 0 || from->min < into->min)
        into->min = from->min;
    if (from->max > into->max)
        into->max = from->max;

    into->count += from->count;
    into->sum += from->sum;
    into->clamped += from->clamped;
    for (unsigned i = 0; i < HISTOGRAM_SLOTS; i++)
        into->slots[i] += from->slots[i];
}

double histogram_mean(const struct histogram *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}

uint64_t histogram_percentile(const struct histogram *h, double percent)
{
    uint64_t millionths, rank;
    uint64_t seen = 0;

    if (h->count == 0)
        return 0;
    if (percent >= 100.0)
        return h->max;
    if (percent <= 0.0)
        return h->min;

    /* Nearest rank: the smallest value with at least percent% of all
     * values at or below it. The percentage is taken in millionths and
     * the rank rounded up in integers: in doubles, 99.9% of 1000 comes
     * out a hair above 999 and would round up to the wrong rank. */
    millionths = (uint64_t)llround(percent * 10000.0);
    rank = (uint64_t)(((unsigned __int128)millionths * h->count + 999999) /
                      1000000);
    if (rank == 0)
        rank = 1;

    for (unsigned i = 0; i < HISTOGRAM_SLOTS; i++) {
        uint64_t middle;

        seen += h->slots[i];
        if (seen < rank)
            continue;

        /* The middle of the slot halves the worst error; the exact ends
         * of the distribution are known and bound it. */
        middle = histogram_slot_low(i) +
                 (histogram_slot_high(i) - histogram_slot_low(i) + 1) / 2;
        if (middle < h->min)
            return h->min;
        if (middle > h->max)
            return h->max;
        return middle;
    }
    return h->max;
}

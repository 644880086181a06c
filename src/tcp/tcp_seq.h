/*
 * TCP sequence number arithmetic (RFC 9293 3.4).
 *
 * Sequence numbers live in a 32-bit space that wraps: "a < b" means that b
 * lies less than 2^31 ahead of a, so the comparisons are done on the signed
 * difference. Everywhere in dpstack sequence (and ACK) numbers compare only
 * through these helpers (STYLE.md habit 5), never with < or >.
 */
#ifndef DPS_TCP_TCP_SEQ_H
#define DPS_TCP_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/** a comes before b (modulo 2^32). */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/** a comes before b or is b. */
static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/** a comes after b. */
static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/** a comes after b or is b. */
static inline bool seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/**
 * lo <= s <= hi, both ends included, walking forward from lo: true when s
 * is no further from lo than hi is. Strict bounds are built by the caller
 * from the others, e.g. RFC 9293 3.10.7.4's "SND.UNA < SEG.ACK =< SND.NXT"
 * is seq_between(ack, una + 1, nxt).
 */
static inline bool seq_between(uint32_t s, uint32_t lo, uint32_t hi)
{
	return (uint32_t)(s - lo) <= (uint32_t)(hi - lo);
}

/** The later of a and b. */
static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}

/** The earlier of a and b. */
static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

#endif /* DPS_TCP_TCP_SEQ_H */

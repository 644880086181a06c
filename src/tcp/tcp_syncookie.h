/*
 * SYN cookies (RFC 4987 3.6): when a listener's SYN queue is full, the
 * SYN-ACK's ISN carries what the listener would have kept, and the
 * connection is created when the ACK comes back with it, so a flood of
 * SYNs costs no memory.
 *
 * The 32-bit cookie:
 *     bits 31-27  counter: low 5 bits of now / 64 s
 *     bits 26-24  index of the peer's MSS in tcp_syncookie_mss[]
 *     bits 23-0   low 24 bits of SipHash-2-4 (cookie key) over the 4-tuple,
 *                 the peer's ISN, the full counter, the MSS index and the
 *                 option word below
 * A cookie is accepted while the counter has moved on by at most 1 since
 * it was made, so it lives between 64 and 128 s. Everything the ACK brings
 * back is covered by the hash: changing any bit of the cookie, of the
 * peer's ISN, of the tuple, or of the echoed option bits makes it invalid
 * (but for a 2^-24 chance per blind guess of the hash bits).
 *
 * What is carried:
 *  - always: the peer's MSS, rounded down to the table (which is Linux's
 *    IPv4 table, so peers see the same values they would from Linux);
 *  - with timestamps only: the peer's window scale (4 bits, 15 meaning
 *    none), SACK-permitted (1 bit) and ECN (1 bit), in the low 6 bits of
 *    the TSval of the SYN-ACK, which the peer echoes in the TSecr of its
 *    ACK (RFC 7323 4.3). The idea is Linux's; unlike Linux these bits are
 *    also in the hash, so a forged TSecr cannot change them.
 *  Without timestamps the window scale, SACK-permitted and ECN are lost:
 *  the caller then advertises none of them in a cookie SYN-ACK, so that
 *  both ends agree the connection has none.
 *
 * Pure functions: time is the caller's now_ns; no state, no counters.
 */
#ifndef DPS_TCP_TCP_SYNCOOKIE_H
#define DPS_TCP_TCP_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/tcp_isn.h"

/** Length of one counter period: 64 s. */
#define TCP_SYNCOOKIE_PERIOD_NS (64ull * 1000000000ull)
/** Counter periods a cookie stays valid: made in period c, accepted in c and c + 1. */
#define TCP_SYNCOOKIE_MAX_AGE 2
/** Bits of the SYN-ACK's TSval used for the options. */
#define TCP_SYNCOOKIE_TS_BITS 6
/** Number of entries in tcp_syncookie_mss[]. */
#define TCP_SYNCOOKIE_NMSS 4

/** MSS values a cookie can carry, ascending. */
extern const uint16_t tcp_syncookie_mss[TCP_SYNCOOKIE_NMSS];

/** The peer's SYN as the cookie remembers it. */
struct tcp_syncookie_opts {
	uint16_t mss;       /* peer's MSS (rounded down to the table) */
	bool ts;            /* timestamps negotiated */
	bool has_wscale;    /* with ts only */
	uint8_t wscale;     /* 0-14, with has_wscale */
	bool sack_ok;       /* with ts only */
	bool ecn;           /* with ts only */
};

/**
 * The ISN of a cookie SYN-ACK answering a SYN with sequence number
 * peer_isn on tuple t, received at now_ns.
 *
 * in->mss is rounded down to the largest table entry not above it (536 if
 * below all). If in->ts, *tsval (the timestamp the SYN-ACK would carry)
 * gets its low 6 bits replaced by the option bits, stepping back 64 if
 * needed so it never exceeds the value passed in (our timestamps must not
 * jump ahead of the clock); otherwise *tsval is not touched and may be
 * NULL. Never fails.
 */
uint32_t tcp_syncookie_make(const struct tcp_secret *key, const struct tcp_tuple *t,
			    uint32_t peer_isn, uint64_t now_ns,
			    const struct tcp_syncookie_opts *in, uint32_t *tsval);

/**
 * Check the ACK of a cookie SYN-ACK: cookie is SEG.ACK - 1, peer_isn is
 * SEG.SEQ - 1; has_ts and tsecr are the ACK's timestamp option. On success
 * *out holds the MSS and options carried.
 *
 * Errors: -ETIMEDOUT when the cookie's counter is older than
 * TCP_SYNCOOKIE_MAX_AGE periods (or from the future), -EINVAL when it is
 * not one we made for this tuple and ISN (hash, MSS index or option bits
 * do not match).
 */
int tcp_syncookie_check(const struct tcp_secret *key, const struct tcp_tuple *t,
			uint32_t peer_isn, uint32_t cookie, uint64_t now_ns,
			bool has_ts, uint32_t tsecr, struct tcp_syncookie_opts *out);

#endif /* DPS_TCP_TCP_SYNCOOKIE_H */

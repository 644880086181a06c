/*
 * Initial sequence numbers (RFC 6528) and the keyed hash they use.
 *
 * ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 * (RFC 6528 3), where M is a timer that ticks every 4 microseconds, taken
 * from the `now_ns` the caller passes (no clock is read here), and F is
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012) keyed with a 128-bit secret chosen at random when the stack starts.
 *
 * For one 4-tuple the ISN thus advances with time at 250,000 per second,
 * like the RFC 9293 3.4.1 clock, so a new incarnation of a connection
 * starts above the old one's sequence numbers; across tuples the offsets
 * are unpredictable without the key (RFC 6528 3: an off-path attacker
 * cannot guess them).
 */
#ifndef DPS_TCP_TCP_ISN_H
#define DPS_TCP_TCP_ISN_H

#include <stddef.h>
#include <stdint.h>

/** A 128-bit SipHash key: k0 and k1 are its bytes 0-7 and 8-15, little endian. */
struct tcp_secret {
	uint64_t k0;
	uint64_t k1;
};

/** A connection's addresses and ports, host order. */
struct tcp_tuple {
	uint32_t laddr;
	uint32_t raddr;
	uint16_t lport;
	uint16_t rport;
};

/** Nanoseconds per tick of the ISN timer M (RFC 6528 3: 4 microseconds). */
#define TCP_ISN_TICK_NS 4000u

/** The key whose 16 bytes are key[0..15], as the SipHash paper writes keys. */
struct tcp_secret tcp_secret_from_bytes(const uint8_t key[16]);

/** SipHash-2-4 of msg[0..len) under key: the 64-bit output (paper, section 2). */
uint64_t tcp_siphash24(const struct tcp_secret *key, const void *msg, size_t len);

/**
 * The ISN for a new connection on tuple t at time now_ns (RFC 6528 3).
 * Never fails.
 */
uint32_t tcp_isn(const struct tcp_secret *key, const struct tcp_tuple *t, uint64_t now_ns);

/**
 * The 12 bytes that identify a tuple to the hashes, in network order:
 * laddr, raddr, lport, rport. Shared with the SYN cookies.
 */
void tcp_tuple_bytes(const struct tcp_tuple *t, uint8_t out[12]);

#endif /* DPS_TCP_TCP_ISN_H */

/*
 * Round-trip time estimation and the retransmission timeout (RFC 6298).
 *
 * All times are nanoseconds. The estimator reads no clock: the caller
 * measures a sample (now minus the send time of the segment acknowledged,
 * or now minus the TSecr's send time) and passes it in.
 *
 * Karn's algorithm (RFC 6298 3) is the caller's duty: it feeds a sample
 * only from a segment that was not retransmitted, or from the timestamp
 * echoed in the ACK (RFC 7323 4.1), which tells which transmission is
 * acknowledged and so is valid also for retransmitted data. Ambiguous ACKs
 * give no sample.
 *
 * Defaults are Linux's, all inside what RFC 6298 allows: initial RTO 1 s
 * (RFC 6298 2.1), minimum 200 ms (RFC 6298 2.4 says "SHOULD be 1 s"; Linux
 * and most stacks use 200 ms), maximum 120 s (RFC 6298 2.5: at least 60 s).
 * The clock granularity G is 1 ms, the resolution of our timers.
 * Not done: RFC 6298 5.7 (an RTO of 3 s after a lost SYN) which Linux
 * does not do either.
 */
#ifndef DPS_TCP_TCP_RTT_H
#define DPS_TCP_TCP_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_RTO_INIT_NS     1000000000ull   /* 1 s */
#define TCP_RTO_MIN_NS       200000000ull   /* 200 ms */
#define TCP_RTO_MAX_NS    120000000000ull   /* 120 s */
#define TCP_RTT_GRANULARITY_NS 1000000ull   /* 1 ms */

struct tcp_rtt {
	uint64_t srtt;          /* smoothed RTT; 0 until the first sample */
	uint64_t rttvar;        /* RTT variation */
	uint64_t rto;           /* current RTO, backoff included */
	uint64_t min_rto;
	uint64_t max_rto;
	uint64_t granularity;   /* G of RFC 6298 2 */
	uint8_t backoffs;       /* consecutive doublings since the last sample */
	bool has_sample;
};

/**
 * Reset r to no measurement: RTO = initial RTO (RFC 6298 2.1). min_rto,
 * max_rto or granularity 0 take the defaults above. Errors: -EINVAL if
 * min_rto > max_rto.
 */
int tcp_rtt_init(struct tcp_rtt *r, uint64_t min_rto, uint64_t max_rto,
		 uint64_t granularity);

/**
 * A new RTT measurement R (RFC 6298 2.2 for the first, 2.3 after: RTTVAR
 * and SRTT with alpha 1/8 and beta 1/4, RTTVAR from the old SRTT), then
 * RTO = SRTT + max(G, 4 * RTTVAR) clamped to [min_rto, max_rto]. A sample
 * ends any backoff (RFC 6298 5, after rule 5.7: a new measurement
 * collapses the backed-off RTO). Samples above TCP_RTO_MAX_NS * 8 are taken as
 * that (no overflow). Never fails.
 */
void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_ns);

/**
 * The retransmission timer expired (RFC 6298 5.5): double the RTO, at most
 * max_rto. Never fails.
 */
void tcp_rtt_backoff(struct tcp_rtt *r);

#endif /* DPS_TCP_TCP_RTT_H */

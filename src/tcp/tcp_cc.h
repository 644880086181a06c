/*
 * TCP congestion control behind a small interface (issue 3), as FreeBSD's
 * cc(4) and VPP's tcp_cc_algorithm: a const table of operations per
 * algorithm, looked up by name. Algorithms: "newreno" (RFC 5681, RFC 6582)
 * and "cubic" (RFC 9438), the default.
 *
 * Pure code: no I/O, no clock reads (the caller passes now_ns, STYLE.md
 * habit 9), no allocation. The algorithm's state lives in a fixed-size
 * blob inside the connection (struct tcp_cc_state.priv); each algorithm
 * static_asserts that its private struct fits.
 *
 * Division of work with the TCP core:
 *  - The core owns mss, flight, srtt_ns and min_rtt_ns and keeps them
 *    current before each call. cwnd and ssthresh are read and written by
 *    both: the algorithm sets them on the events below; during loss
 *    recovery the core sets cwnd itself from PRR (tcp_prr.h, RFC 6937:
 *    cwnd = pipe + sndcnt).
 *  - on_ack() is called for ACKs that advance snd.una outside loss
 *    recovery (RFC 5681 3.1: cwnd does not grow during fast recovery;
 *    PRR governs it there). The core should call it only when the
 *    connection was cwnd-limited (RFC 7661), so an application-limited
 *    sender does not inflate cwnd.
 *  - on_congestion() when loss is detected by dup ACKs or SACK (entry to
 *    fast recovery): sets ssthresh (and the algorithm's own state), leaves
 *    cwnd to PRR. on_recovery_exit() when recovery ends: cwnd = ssthresh
 *    (RFC 6937 "on exiting recovery", RFC 6582 3.2 step 3 option 1).
 *  - on_rto() on a retransmission timeout (RFC 5681 3.1 eq. 4 and "cwnd =
 *    LW"); on_idle_restart() when sending resumes after an idle period
 *    longer than the RTO (RFC 5681 4.1).
 *
 * Units: cwnd, ssthresh, mss, flight and acked in bytes; times in ns.
 */
#ifndef DPS_TCP_CC_H
#define DPS_TCP_CC_H

#include <stdalign.h>
#include <stdint.h>

/* RFC 6928 / issue 3: initial window of 10 segments, as Linux. */
#define TCP_CC_IW_SEGS 10u

/* RFC 3465 2.2: L, the slow-start byte-counting limit, in SMSS per ACK. */
#define TCP_CC_ABC_L 2u

/* The algorithm used when none is configured. */
#define TCP_CC_DEFAULT "cubic"

/* Size of the per-connection private blob for the algorithm. */
#define TCP_CC_PRIV_SIZE 64

struct tcp_cc_state {
	uint32_t cwnd;        /* congestion window, bytes */
	uint32_t ssthresh;    /* slow-start threshold, bytes */
	uint32_t mss;         /* SMSS, bytes (input) */
	uint32_t flight;      /* FlightSize: bytes sent and not yet ACKed (input) */
	uint64_t srtt_ns;     /* smoothed RTT, 0 = no sample yet (input) */
	uint64_t min_rtt_ns;  /* minimum RTT seen, 0 = none (input) */
	alignas(8) uint8_t priv[TCP_CC_PRIV_SIZE]; /* the algorithm's own */
};

struct tcp_cc_ops {
	const char *name;
	/* Start of the connection; mss must be set. cwnd = IW, ssthresh =
	 * "arbitrarily high" (RFC 5681 3.1). */
	void (*init)(struct tcp_cc_state *s, uint64_t now_ns);
	/* `acked` new bytes cumulatively ACKed outside recovery. */
	void (*on_ack)(struct tcp_cc_state *s, uint32_t acked, uint64_t now_ns);
	/* Loss detected by dup ACKs / SACK: set ssthresh. */
	void (*on_congestion)(struct tcp_cc_state *s, uint64_t now_ns);
	/* Fast recovery over: cwnd = ssthresh. */
	void (*on_recovery_exit)(struct tcp_cc_state *s, uint64_t now_ns);
	/* Retransmission timeout: set ssthresh, cwnd = 1 SMSS. */
	void (*on_rto)(struct tcp_cc_state *s, uint64_t now_ns);
	/* Sending resumes after idle > RTO: cwnd = min(cwnd, IW). */
	void (*on_idle_restart)(struct tcp_cc_state *s, uint64_t now_ns);
};

extern const struct tcp_cc_ops tcp_newreno_ops;
extern const struct tcp_cc_ops tcp_cubic_ops;

/*
 * The algorithm named `name` ("newreno", "cubic"), or NULL if there is
 * none by that name (or name is NULL).
 */
const struct tcp_cc_ops *tcp_cc_find(const char *name);

/* The default algorithm (TCP_CC_DEFAULT); never NULL. */
const struct tcp_cc_ops *tcp_cc_default(void);

/* ---- helpers shared by the algorithms ---- */

/* Initial window: TCP_CC_IW_SEGS * mss bytes. */
uint32_t tcp_cc_initial_window(uint32_t mss);

/*
 * Slow start with appropriate byte counting (RFC 3465 2.2, RFC 5681 3.1):
 * cwnd += min(acked, L * SMSS), not beyond ssthresh.
 */
void tcp_cc_slow_start(struct tcp_cc_state *s, uint32_t acked);

/* RFC 5681 4.1 restart window: cwnd = min(IW, cwnd). */
void tcp_cc_restart_window(struct tcp_cc_state *s);

/* Cube root of x >= 0 by Newton's method (no libm). Returns 0 for x <= 0. */
double tcp_cc_cbrt(double x);

/* ---- CUBIC internals, exposed for tests and `show` ---- */

/* RFC 9438 4.1 constants. */
#define TCP_CUBIC_C    0.4
#define TCP_CUBIC_BETA 0.7

/* RFC 9438 eq. 1: W_cubic(t) = C * (t - K)^3 + W_max (segments, s). */
double tcp_cubic_window(double w_max, double k, double t);
/* RFC 9438 eq. 2: K = cbrt((W_max - cwnd_epoch) / C), 0 if negative. */
double tcp_cubic_k(double w_max, double cwnd_epoch);
/* Current W_max of a CUBIC connection, in segments. */
double tcp_cubic_w_max(const struct tcp_cc_state *s);

#endif /* DPS_TCP_CC_H */

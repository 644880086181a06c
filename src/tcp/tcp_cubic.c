/*
 * CUBIC congestion control, RFC 9438.
 *
 * Arithmetic is in double, in segments and seconds as the RFC writes it:
 * it runs once per ACK, and double keeps the code next to the equations
 * (an integer version would need scaled fixed point for K and t). The
 * cube root is tcp_cc_cbrt() (Newton's method), so no libm is needed.
 *
 * Not implemented (RFC 9438 allows them to be absent): HyStart++ (slow
 * start is RFC 5681 + RFC 3465 ABC), undo of spurious reductions (4.9).
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tcp/tcp_cc.h"

#define NS_PER_S 1e9

/* RFC 9438 4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta). */
#define CUBIC_ALPHA (3.0 * (1.0 - TCP_CUBIC_BETA) / (1.0 + TCP_CUBIC_BETA))

struct cubic {
	double w_max;          /* W_max, segments (0: none yet) */
	double k;              /* K, seconds */
	double w_est;          /* W_est, Reno-friendly estimate, segments */
	double cwnd_prior;     /* cwnd before the last reduction, segments */
	double carry;          /* fractional bytes of cwnd growth not yet applied */
	uint64_t epoch_ns;     /* t_epoch: start of the congestion-avoidance stage */
	bool in_epoch;         /* epoch_ns valid */
};

static_assert(sizeof(struct cubic) <= TCP_CC_PRIV_SIZE,
	"cubic state must fit in tcp_cc_state.priv");
static_assert(alignof(struct cubic) <= 8, "priv is 8-byte aligned");

static struct cubic *cub(struct tcp_cc_state *s)
{
	return (struct cubic *)(void *)s->priv;
}

double tcp_cubic_window(double w_max, double k, double t)
{
	double d = t - k;

	return TCP_CUBIC_C * d * d * d + w_max;
}

double tcp_cubic_k(double w_max, double cwnd_epoch)
{
	if (w_max <= cwnd_epoch)
		return 0.0;
	return tcp_cc_cbrt((w_max - cwnd_epoch) / TCP_CUBIC_C);
}

double tcp_cubic_w_max(const struct tcp_cc_state *s)
{
	const struct cubic *c = (const void *)s->priv;

	return c->w_max;
}

static double segs(const struct tcp_cc_state *s, uint32_t bytes)
{
	return (double)bytes / (double)s->mss;
}

static void set_cwnd_segs(struct tcp_cc_state *s, double w)
{
	double b = w * (double)s->mss;

	if (b > (double)(UINT32_MAX / 4))
		b = (double)(UINT32_MAX / 4);
	if (b < (double)s->mss)
		b = (double)s->mss;
	s->cwnd = (uint32_t)b;
}

static void cubic_init(struct tcp_cc_state *s, uint64_t now_ns)
{
	memset(s->priv, 0, sizeof(s->priv));
	s->cwnd = tcp_cc_initial_window(s->mss);
	s->ssthresh = UINT32_MAX;
}

/* RFC 9438 4.2: a new congestion-avoidance stage starts at this ACK. */
static void cubic_epoch_start(struct tcp_cc_state *s, struct cubic *c, uint64_t now_ns)
{
	double cwnd_epoch = segs(s, s->cwnd);

	c->epoch_ns = now_ns;
	c->in_epoch = true;
	c->carry = 0.0;
	/* With no W_max above cwnd (no loss yet, or the first stage after an
	 * RTO, 4.8), K = 0 and W_max = cwnd at the start of the stage. */
	if (c->w_max <= cwnd_epoch) {
		c->w_max = cwnd_epoch;
		c->k = 0.0;
	} else {
		c->k = tcp_cubic_k(c->w_max, cwnd_epoch);
	}
	/* 4.3: W_est starts at cwnd_epoch. */
	c->w_est = cwnd_epoch;
}

static void cubic_on_ack(struct tcp_cc_state *s, uint32_t acked, uint64_t now_ns)
{
	struct cubic *c = cub(s);
	double cwnd, t, rtt, target, w_t, alpha, inc;
	uint64_t rtt_ns;

	if (s->cwnd < s->ssthresh) {
		tcp_cc_slow_start(s, acked);
		return;
	}
	if (!c->in_epoch)
		cubic_epoch_start(s, c, now_ns);

	cwnd = segs(s, s->cwnd);
	t = now_ns > c->epoch_ns ? (double)(now_ns - c->epoch_ns) / NS_PER_S : 0.0;
	rtt_ns = s->srtt_ns ? s->srtt_ns : s->min_rtt_ns;
	rtt = (double)rtt_ns / NS_PER_S;

	/* 4.3 Reno-friendly region: W_est grows like Reno with alpha_cubic
	 * until it reaches cwnd_prior, then with alpha = 1. */
	alpha = c->w_est >= c->cwnd_prior ? 1.0 : CUBIC_ALPHA;
	c->w_est += alpha * (double)acked / (double)s->cwnd;

	w_t = tcp_cubic_window(c->w_max, c->k, t);
	if (w_t < c->w_est) {
		/* Reno-friendly region: cwnd = W_est. */
		if (c->w_est > cwnd)
			set_cwnd_segs(s, c->w_est);
		return;
	}

	/* 4.4/4.5 concave and convex regions: aim at W_cubic one RTT ahead,
	 * clamped to [cwnd, 1.5 * cwnd] (4.2), and close the gap over one
	 * RTT's worth of ACKs: (target - cwnd) / cwnd per SMSS ACKed. */
	target = tcp_cubic_window(c->w_max, c->k, t + rtt);
	if (target < cwnd)
		target = cwnd;
	else if (target > 1.5 * cwnd)
		target = 1.5 * cwnd;
	inc = (target - cwnd) / cwnd * (double)acked + c->carry;
	if (inc >= 1.0) {
		double whole = (double)(uint64_t)inc;

		c->carry = inc - whole;
		if ((double)s->cwnd + whole > (double)(UINT32_MAX / 4))
			s->cwnd = UINT32_MAX / 4;
		else
			s->cwnd += (uint32_t)whole;
	} else {
		c->carry = inc;
	}
}

/* RFC 9438 4.6 and 4.7: reduction on a congestion event. */
static void cubic_reduce(struct tcp_cc_state *s, struct cubic *c)
{
	double cwnd = segs(s, s->cwnd);
	double ss = (double)s->flight * TCP_CUBIC_BETA;

	/* 4.7 fast convergence: a loss before W_max was regained means the
	 * available capacity fell; release some to newer flows. */
	if (cwnd < c->w_max)
		c->w_max = cwnd * (1.0 + TCP_CUBIC_BETA) / 2.0;
	else
		c->w_max = cwnd;
	c->cwnd_prior = cwnd;
	/* 4.6: ssthresh = flight_size * beta_cubic, at least 2 SMSS. */
	if (ss < 2.0 * s->mss)
		ss = 2.0 * s->mss;
	s->ssthresh = (uint32_t)ss;
	c->in_epoch = false;
	c->carry = 0.0;
}

static void cubic_on_congestion(struct tcp_cc_state *s, uint64_t now_ns)
{
	cubic_reduce(s, cub(s));
}

static void cubic_on_recovery_exit(struct tcp_cc_state *s, uint64_t now_ns)
{
	s->cwnd = s->ssthresh;
	cub(s)->in_epoch = false;
}

static void cubic_on_rto(struct tcp_cc_state *s, uint64_t now_ns)
{
	struct cubic *c = cub(s);

	/* 4.8: ssthresh as for a congestion event, cwnd as Reno (1 SMSS);
	 * the first congestion-avoidance stage after it uses K = 0 and
	 * W_max = cwnd at its start, hence w_max = 0 here. */
	cubic_reduce(s, c);
	c->w_max = 0.0;
	s->cwnd = s->mss;
}

static void cubic_on_idle_restart(struct tcp_cc_state *s, uint64_t now_ns)
{
	/* RFC 5681 4.1 restart window; the idle time must not count as
	 * growth time, so the epoch restarts at the next ACK. */
	tcp_cc_restart_window(s);
	cub(s)->in_epoch = false;
}

const struct tcp_cc_ops tcp_cubic_ops = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_congestion = cubic_on_congestion,
	.on_recovery_exit = cubic_on_recovery_exit,
	.on_rto = cubic_on_rto,
	.on_idle_restart = cubic_on_idle_restart,
};

/*
 * TCP congestion control (tcp_cc, tcp_newreno, tcp_cubic) and PRR
 * (tcp_prr): slow start with byte counting, congestion avoidance, the
 * reductions on loss and RTO, the CUBIC curve against numbers worked out
 * by hand from RFC 9438, its Reno-friendly region and fast convergence,
 * and the RFC 6937 examples for PRR and PRR-SSRB.
 *
 * Pure arithmetic: no EAL, the clock is a variable the tests advance.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/tcp_cc.h"
#include "tcp/tcp_prr.h"

#define MSS 1000u
#define NS_MS 1000000ull
#define NS_S  1000000000ull

/* ---- helpers ---- */

static void near(double got, double want, double tol, const char *what)
{
	double d = got - want;

	if (d < 0)
		d = -d;
	if (d > tol)
		fail_msg("%s: got %.4f, want %.4f +- %.4f", what, got, want, tol);
}

static void cc_start(struct tcp_cc_state *s, const struct tcp_cc_ops *ops,
	uint64_t srtt_ns)
{
	memset(s, 0xa5, sizeof(*s)); /* init must not rely on a zeroed blob */
	s->mss = MSS;
	s->flight = 0;
	s->srtt_ns = srtt_ns;
	s->min_rtt_ns = srtt_ns;
	ops->init(s, 0);
}

/* A loss detected by dup ACKs with `flight` bytes out at cwnd = flight,
 * then recovery ends: cwnd = ssthresh. */
static void loss_and_recover(struct tcp_cc_state *s, const struct tcp_cc_ops *ops,
	uint32_t flight, uint64_t now)
{
	s->cwnd = flight;
	s->flight = flight;
	ops->on_congestion(s, now);
	ops->on_recovery_exit(s, now);
}

/*
 * A sender that always has data and fills cwnd: one ACK per MSS, spaced so
 * that a cwnd's worth arrives per RTT. Runs from *now until `until`.
 */
static void ack_clock(struct tcp_cc_state *s, const struct tcp_cc_ops *ops,
	uint64_t *now, uint64_t until)
{
	while (*now < until) {
		s->flight = s->cwnd;
		ops->on_ack(s, MSS, *now);
		*now += s->srtt_ns * MSS / s->cwnd;
	}
}

/* ---- registry ---- */

static void test_registry(void **state)
{
	(void)state;
	assert_ptr_equal(tcp_cc_find("newreno"), &tcp_newreno_ops);
	assert_ptr_equal(tcp_cc_find("cubic"), &tcp_cubic_ops);
	assert_null(tcp_cc_find("bbr"));
	assert_null(tcp_cc_find(""));
	assert_null(tcp_cc_find(NULL));
	assert_ptr_equal(tcp_cc_default(), &tcp_cubic_ops);
	assert_string_equal(tcp_cc_default()->name, TCP_CC_DEFAULT);
}

static void test_init_iw10(void **state)
{
	const struct tcp_cc_ops *algos[] = { &tcp_newreno_ops, &tcp_cubic_ops };
	struct tcp_cc_state s;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		cc_start(&s, algos[i], 0);
		assert_int_equal(s.cwnd, 10 * MSS);
		assert_int_equal(s.ssthresh, UINT32_MAX);
	}
}

/* ---- slow start, RFC 5681 3.1 + RFC 3465 ---- */

static void test_slow_start_doubles_with_abc(void **state)
{
	const struct tcp_cc_ops *algos[] = { &tcp_newreno_ops, &tcp_cubic_ops };
	struct tcp_cc_state s;
	uint32_t rtt, i;
	size_t a;

	(void)state;
	for (a = 0; a < 2; a++) {
		cc_start(&s, algos[a], 100 * NS_MS);
		/* Delayed ACKs: one ACK per two segments. ABC counts bytes,
		 * so cwnd still doubles per RTT. */
		for (rtt = 0; rtt < 3; rtt++) {
			uint32_t start = s.cwnd;

			for (i = 0; i < start / (2 * MSS); i++)
				algos[a]->on_ack(&s, 2 * MSS, rtt * 100 * NS_MS);
			assert_int_equal(s.cwnd, 2 * start);
		}
		assert_int_equal(s.cwnd, 80 * MSS);

		/* L = 2: a stretch ACK of 8 segments grows cwnd by 2 SMSS. */
		algos[a]->on_ack(&s, 8 * MSS, 0);
		assert_int_equal(s.cwnd, 82 * MSS);

		/* Slow start stops at ssthresh. */
		s.ssthresh = 83 * MSS;
		algos[a]->on_ack(&s, 2 * MSS, 0);
		assert_int_equal(s.cwnd, 83 * MSS);
	}
}

/* ---- NewReno ---- */

static void test_newreno_congestion_avoidance(void **state)
{
	struct tcp_cc_state s;
	uint32_t rtt, i;

	(void)state;
	cc_start(&s, &tcp_newreno_ops, 100 * NS_MS);
	s.cwnd = 20 * MSS;
	s.ssthresh = 10 * MSS;
	/* One RTT of full-sized ACKs: + 1 SMSS, not more. */
	for (i = 0; i < 19; i++)
		tcp_newreno_ops.on_ack(&s, MSS, 0);
	assert_int_equal(s.cwnd, 20 * MSS);
	tcp_newreno_ops.on_ack(&s, MSS, 0);
	assert_int_equal(s.cwnd, 21 * MSS);
	/* Ten more RTTs, ACK every other segment: about one SMSS each. */
	for (rtt = 0; rtt < 10; rtt++) {
		uint32_t start = s.cwnd;

		for (i = 0; i < start / (2 * MSS); i++)
			tcp_newreno_ops.on_ack(&s, 2 * MSS, 0);
		if (start / MSS % 2)
			tcp_newreno_ops.on_ack(&s, MSS, 0);
		assert_int_equal(s.cwnd, start + MSS);
	}
	assert_int_equal(s.cwnd, 31 * MSS);
}

static void test_newreno_congestion_halves(void **state)
{
	struct tcp_cc_state s;

	(void)state;
	cc_start(&s, &tcp_newreno_ops, 0);
	s.cwnd = 40 * MSS;
	s.flight = 40 * MSS;
	tcp_newreno_ops.on_congestion(&s, 0);
	/* RFC 5681 eq. 4: max(FlightSize / 2, 2 * SMSS). */
	assert_int_equal(s.ssthresh, 20 * MSS);
	tcp_newreno_ops.on_recovery_exit(&s, 0);
	assert_int_equal(s.cwnd, 20 * MSS);
	/* Now in congestion avoidance. */
	tcp_newreno_ops.on_ack(&s, 2 * MSS, 0);
	assert_int_equal(s.cwnd, 20 * MSS);

	/* Halving uses FlightSize, not cwnd (RFC 5681 3.1 note). */
	s.cwnd = 40 * MSS;
	s.flight = 10 * MSS;
	tcp_newreno_ops.on_congestion(&s, 0);
	assert_int_equal(s.ssthresh, 5 * MSS);

	/* Floor of 2 SMSS. */
	s.flight = 3 * MSS;
	tcp_newreno_ops.on_congestion(&s, 0);
	assert_int_equal(s.ssthresh, 2 * MSS);
}

/* ---- RTO, both algorithms ---- */

static void test_rto_collapses_to_one_mss(void **state)
{
	struct tcp_cc_state s;

	(void)state;
	cc_start(&s, &tcp_newreno_ops, 0);
	s.cwnd = 50 * MSS;
	s.flight = 50 * MSS;
	tcp_newreno_ops.on_rto(&s, 0);
	assert_int_equal(s.cwnd, MSS);
	assert_int_equal(s.ssthresh, 25 * MSS);
	s.flight = 0;
	tcp_newreno_ops.on_ack(&s, MSS, 0); /* slow start again */
	assert_int_equal(s.cwnd, 2 * MSS);
	s.flight = MSS;
	tcp_newreno_ops.on_rto(&s, 0);
	assert_int_equal(s.cwnd, MSS);
	assert_int_equal(s.ssthresh, 2 * MSS);

	cc_start(&s, &tcp_cubic_ops, 100 * NS_MS);
	s.cwnd = 50 * MSS;
	s.flight = 50 * MSS;
	tcp_cubic_ops.on_rto(&s, 0);
	assert_int_equal(s.cwnd, MSS);
	assert_int_equal(s.ssthresh, 35 * MSS); /* RFC 9438 4.8: beta_cubic */
	tcp_cubic_ops.on_ack(&s, MSS, 0);
	assert_int_equal(s.cwnd, 2 * MSS);
	/* RFC 9438 4.8: the first CA stage after an RTO has K = 0 and
	 * W_max = cwnd at its start. */
	s.cwnd = 35 * MSS;
	tcp_cubic_ops.on_ack(&s, MSS, NS_S);
	near(tcp_cubic_w_max(&s), 35.0, 1e-9, "W_max after RTO");
}

static void test_idle_restart(void **state)
{
	const struct tcp_cc_ops *algos[] = { &tcp_newreno_ops, &tcp_cubic_ops };
	struct tcp_cc_state s;
	size_t a;

	(void)state;
	for (a = 0; a < 2; a++) {
		cc_start(&s, algos[a], 0);
		s.cwnd = 50 * MSS;
		algos[a]->on_idle_restart(&s, 0);
		assert_int_equal(s.cwnd, 10 * MSS);
		s.cwnd = 5 * MSS;
		algos[a]->on_idle_restart(&s, 0);
		assert_int_equal(s.cwnd, 5 * MSS);
	}
}

/* ---- CUBIC ---- */

static void test_cbrt_and_curve_by_hand(void **state)
{
	double k;

	(void)state;
	near(tcp_cc_cbrt(0.0), 0.0, 0, "cbrt 0");
	near(tcp_cc_cbrt(-8.0), 0.0, 0, "cbrt negative");
	near(tcp_cc_cbrt(27.0), 3.0, 1e-12, "cbrt 27");
	near(tcp_cc_cbrt(1e-6), 0.01, 1e-12, "cbrt 1e-6");
	near(tcp_cc_cbrt(1e18), 1e6, 1e-6, "cbrt 1e18");

	/* W_max = 100 segments, cwnd_epoch = 70:
	 * K = cbrt(100 * 0.3 / 0.4) = cbrt(75) = 4.2172 s. */
	k = tcp_cubic_k(100.0, 70.0);
	near(k, 4.2172, 1e-4, "K");
	near(tcp_cubic_k(100.0, 100.0), 0.0, 0, "K at W_max");
	/* W(t) = 0.4 (t - 4.2172)^3 + 100, by hand:
	 * t=0: 0.4 * -75.00 + 100 = 70.00
	 * t=1: 0.4 * -33.30 + 100 = 86.68
	 * t=2: 0.4 * -10.90 + 100 = 95.64
	 * t=3: 0.4 *  -1.80 + 100 = 99.28
	 * t=5: 0.4 *   0.48 + 100 = 100.19
	 * t=6: 0.4 *   5.67 + 100 = 102.27
	 * t=7: 0.4 *  21.55 + 100 = 108.62 */
	near(tcp_cubic_window(100.0, k, 0.0), 70.00, 0.01, "W(0)");
	near(tcp_cubic_window(100.0, k, 1.0), 86.68, 0.01, "W(1)");
	near(tcp_cubic_window(100.0, k, 2.0), 95.64, 0.01, "W(2)");
	near(tcp_cubic_window(100.0, k, 3.0), 99.28, 0.01, "W(3)");
	near(tcp_cubic_window(100.0, k, k), 100.00, 1e-9, "W(K)");
	near(tcp_cubic_window(100.0, k, 5.0), 100.19, 0.01, "W(5)");
	near(tcp_cubic_window(100.0, k, 6.0), 102.27, 0.01, "W(6)");
	near(tcp_cubic_window(100.0, k, 7.0), 108.62, 0.01, "W(7)");
}

static void test_cubic_congestion_beta(void **state)
{
	struct tcp_cc_state s;

	(void)state;
	cc_start(&s, &tcp_cubic_ops, 100 * NS_MS);
	s.cwnd = 100 * MSS;
	s.flight = 100 * MSS;
	tcp_cubic_ops.on_congestion(&s, 0);
	assert_int_equal(s.ssthresh, 70 * MSS); /* RFC 9438 4.6 */
	near(tcp_cubic_w_max(&s), 100.0, 1e-9, "W_max");
	tcp_cubic_ops.on_recovery_exit(&s, 0);
	assert_int_equal(s.cwnd, 70 * MSS);

	s.flight = 2 * MSS;
	tcp_cubic_ops.on_congestion(&s, 0);
	assert_int_equal(s.ssthresh, 2 * MSS); /* floor */
}

/*
 * After a loss at W_max = 100 segments with RTT 200 ms, cwnd follows
 * W_cubic(t): concave (growth slowing) up to K = 4.217 s, where it is at
 * W_max, then convex (growth speeding up). (The Reno estimate grows
 * 0.529 segments per RTT, 2.6 per second: 88.5 at t = 7 s, below the
 * curve throughout.)
 */
static void test_cubic_curve_after_loss(void **state)
{
	static const double ts[] = { 1.0, 2.0, 3.0, 4.2172, 5.0, 6.0, 7.0 };
	struct tcp_cc_state s;
	double w[8], k = tcp_cubic_k(100.0, 70.0);
	uint64_t now = 10 * NS_S, t0;
	size_t i;

	(void)state;
	cc_start(&s, &tcp_cubic_ops, 200 * NS_MS);
	loss_and_recover(&s, &tcp_cubic_ops, 100 * MSS, now);
	assert_int_equal(s.cwnd, 70 * MSS);
	t0 = now; /* the epoch starts at the first ACK */
	w[0] = 70.0;
	for (i = 0; i < 7; i++) {
		char what[32];

		ack_clock(&s, &tcp_cubic_ops, &now, t0 + (uint64_t)(ts[i] * NS_S));
		w[i + 1] = (double)s.cwnd / MSS;
		snprintf(what, sizeof(what), "cwnd at t=%.2f", ts[i]);
		/* Within half a segment of the curve: cwnd closes the gap
		 * to W(t + RTT) over one RTT, so it tracks W(t). */
		near(w[i + 1], tcp_cubic_window(100.0, k, ts[i]), 0.5, what);
	}
	near(w[4], 100.0, 0.1, "cwnd at t=K is W_max");
	/* Concave: growth per interval shrinks up to K... */
	assert_true(w[1] - w[0] > w[2] - w[1]);
	assert_true(w[2] - w[1] > w[3] - w[2]);
	assert_true(w[3] - w[2] > w[4] - w[3]);
	/* ...convex after it. */
	assert_true(w[6] - w[5] < w[7] - w[6]);
	assert_true(w[7] > 106.0);
}

/*
 * RFC 9438 4.3: with a short RTT and a small window, Reno's growth
 * (alpha_cubic = 3 * 0.3 / 1.7 = 0.529 segments per RTT, then 1 per RTT
 * once cwnd_prior is regained) outruns the cubic curve; cwnd follows the
 * Reno estimate.
 */
static void test_cubic_reno_friendly_region(void **state)
{
	struct tcp_cc_state s;
	uint64_t now = NS_S, t0 = now;
	double k = tcp_cubic_k(10.0, 7.0); /* cbrt(7.5) = 1.957 s */

	(void)state;
	cc_start(&s, &tcp_cubic_ops, 1 * NS_MS);
	loss_and_recover(&s, &tcp_cubic_ops, 10 * MSS, now);
	assert_int_equal(s.cwnd, 7 * MSS);

	/* Four RTTs: 7 + 4 * 0.529 = 9.1 segments; the curve gives
	 * W(0.004) = 0.4 * (0.004 - 1.957)^3 + 10 = 7.02. */
	ack_clock(&s, &tcp_cubic_ops, &now, t0 + 4 * NS_MS);
	near((double)s.cwnd / MSS, 7.0 + 4 * 0.5294, 0.3, "Reno-friendly, 4 RTTs");
	near(tcp_cubic_window(10.0, k, 0.004), 7.02, 0.01, "W(4 ms)");

	/* 200 ms = 200 RTTs: Reno is near 200 segments, the curve at
	 * W(0.2) = 0.4 * (0.2 - 1.957)^3 + 10 = 7.83. */
	ack_clock(&s, &tcp_cubic_ops, &now, t0 + 200 * NS_MS);
	near(tcp_cubic_window(10.0, k, 0.2), 7.83, 0.01, "W(200 ms)");
	assert_true(s.cwnd > 150 * MSS);
	assert_true(s.cwnd < 210 * MSS);

	/* The same at W_max = 100, RTT 100 ms: the curve leads at first
	 * (W(1) = 86.7 against 70 + 10 * 0.529 = 75.3), but by t = 7 s the
	 * Reno estimate (100 after 57 RTTs, then +1 per RTT: ~113) is above
	 * W(7) = 108.6, and cwnd follows it. */
	cc_start(&s, &tcp_cubic_ops, 100 * NS_MS);
	now = t0 = NS_S;
	k = tcp_cubic_k(100.0, 70.0);
	loss_and_recover(&s, &tcp_cubic_ops, 100 * MSS, now);
	ack_clock(&s, &tcp_cubic_ops, &now, t0 + NS_S);
	near((double)s.cwnd / MSS, tcp_cubic_window(100.0, k, 1.0), 0.5, "cubic at 1 s");
	ack_clock(&s, &tcp_cubic_ops, &now, t0 + 7 * NS_S);
	near((double)s.cwnd / MSS, 113.0, 1.5, "Reno-friendly at 7 s");
	assert_true((double)s.cwnd / MSS > tcp_cubic_window(100.0, k, 7.0) + 3.0);
}

/* RFC 9438 4.7: a loss before W_max is regained lowers W_max further. */
static void test_cubic_fast_convergence(void **state)
{
	struct tcp_cc_state s;

	(void)state;
	cc_start(&s, &tcp_cubic_ops, 100 * NS_MS);
	loss_and_recover(&s, &tcp_cubic_ops, 100 * MSS, 0);
	near(tcp_cubic_w_max(&s), 100.0, 1e-9, "W_max first loss");

	/* Next loss at 80 < 100: W_max = 80 * (1 + 0.7) / 2 = 68. */
	loss_and_recover(&s, &tcp_cubic_ops, 80 * MSS, NS_S);
	near(tcp_cubic_w_max(&s), 68.0, 1e-9, "W_max fast convergence");
	assert_int_equal(s.ssthresh, 56 * MSS);
	assert_int_equal(s.cwnd, 56 * MSS);
	/* K shrinks with it: cbrt((68 - 56) / 0.4) = cbrt(30) = 3.107 s. */
	near(tcp_cubic_k(68.0, 56.0), 3.1072, 1e-4, "K after fast convergence");

	/* A loss above W_max sets W_max to cwnd. */
	loss_and_recover(&s, &tcp_cubic_ops, 120 * MSS, 2 * NS_S);
	near(tcp_cubic_w_max(&s), 120.0, 1e-9, "W_max above");
}

/*
 * Without any loss, congestion avoidance starts a convex stage with K = 0
 * and W_max = cwnd = 20: W(t) = 0.4 t^3 + 20. With RTT 100 ms Reno
 * (alpha = 1 with no cwnd_prior: 10 segments per second) leads until
 * W(5) = 70 meets it; from there cwnd follows the convex curve.
 */
static void test_cubic_no_loss_convex(void **state)
{
	struct tcp_cc_state s;
	uint64_t now = 0;

	(void)state;
	cc_start(&s, &tcp_cubic_ops, 100 * NS_MS);
	s.ssthresh = 20 * MSS;
	s.cwnd = 20 * MSS;
	ack_clock(&s, &tcp_cubic_ops, &now, NS_S);
	near(tcp_cubic_w_max(&s), 20.0, 1e-9, "W_max = cwnd_epoch");
	near((double)s.cwnd / MSS, 30.0, 0.5, "Reno at 1 s");
	ack_clock(&s, &tcp_cubic_ops, &now, 4 * NS_S);
	near((double)s.cwnd / MSS, 60.0, 0.5, "Reno at 4 s");
	ack_clock(&s, &tcp_cubic_ops, &now, 6 * NS_S);
	near((double)s.cwnd / MSS, 106.4, 0.5, "W(6)");
	ack_clock(&s, &tcp_cubic_ops, &now, 8 * NS_S);
	near((double)s.cwnd / MSS, 224.8, 0.5, "W(8)");
}

/* ---- PRR, RFC 6937 ---- */

/*
 * RFC 6937's example: 20 segments in flight, one lost, each following
 * ACK delivers one segment (SACK). PRR spreads the ssthresh-worth of
 * sending over the recovery: one segment every other ACK for ssthresh =
 * FlightSize / 2, and ends with pipe = prr_out = ssthresh. sndcnt is in
 * bytes; the sender here, like the TCP core, sends whole segments only.
 */
static void prr_single_loss(uint32_t ssthresh_segs)
{
	struct tcp_prr prr;
	uint32_t pipe = 19 * MSS, i, sndcnt, sent, ssthresh = ssthresh_segs * MSS;

	tcp_prr_start(&prr, 20 * MSS, ssthresh);
	for (i = 1; i <= 19; i++) {
		pipe -= MSS;
		sndcnt = tcp_prr_on_ack(&prr, MSS, pipe, MSS);
		sent = sndcnt - sndcnt % MSS;
		/* Never ahead of the proportional share while pipe is
		 * above ssthresh. */
		if (pipe > ssthresh)
			assert_true(prr.out + sent <=
				((uint64_t)i * MSS * ssthresh + 20 * MSS - 1) / (20 * MSS));
		/* One segment per two ACKs until pipe falls to ssthresh
		 * (ACK 16); then one per ACK keeps it there. */
		if (ssthresh_segs == 10 && i < 16)
			assert_int_equal(sent, i % 2 ? 0 : MSS);
		pipe += sent;
		tcp_prr_on_sent(&prr, sent);
	}
	assert_int_equal(prr.out, ssthresh);
	assert_int_equal(pipe, ssthresh);
}

static void test_prr_rfc6937_example(void **state)
{
	(void)state;
	prr_single_loss(10); /* NewReno: 0.5 * FlightSize */
	prr_single_loss(14); /* CUBIC: 0.7 * FlightSize */
}

/*
 * Heavy losses leave pipe below ssthresh: PRR-SSRB regrows like slow
 * start, sending at most one MSS more than was delivered on each ACK, and
 * stops at ssthresh.
 */
static void test_prr_ssrb(void **state)
{
	struct tcp_prr prr;
	uint32_t pipe = 4 * MSS, ssthresh = 10 * MSS, sndcnt, i;

	(void)state;
	tcp_prr_start(&prr, 20 * MSS, ssthresh);
	for (i = 0; i < 6; i++) {
		pipe -= MSS;
		sndcnt = tcp_prr_on_ack(&prr, MSS, pipe, MSS);
		if (i < 5)
			assert_int_equal(sndcnt, 2 * MSS); /* delivered + 1 MSS */
		pipe += sndcnt;
		tcp_prr_on_sent(&prr, sndcnt);
		assert_true(pipe <= ssthresh);
	}
	/* 4 + 6 ACKs each adding one: pipe reached ssthresh... */
	assert_int_equal(pipe, ssthresh);
	/* ...and from there it only replaces what is delivered. */
	pipe -= MSS;
	assert_int_equal(tcp_prr_on_ack(&prr, MSS, pipe, MSS), MSS);

	/* Backlog: data delivered while the application had nothing to send
	 * may be caught up, plus one MSS, within ssthresh. */
	tcp_prr_start(&prr, 20 * MSS, ssthresh);
	sndcnt = tcp_prr_on_ack(&prr, 6 * MSS, 12 * MSS, MSS);
	assert_int_equal(sndcnt, 3 * MSS); /* 6 * 10 / 20 - 0 */
	/* the application sends nothing */
	sndcnt = tcp_prr_on_ack(&prr, MSS, 1 * MSS, MSS);
	assert_int_equal(sndcnt, 8 * MSS); /* limit (7 - 0) + 1 < room 9 */
	tcp_prr_on_sent(&prr, sndcnt);
	sndcnt = tcp_prr_on_ack(&prr, MSS, 9 * MSS, MSS);
	assert_int_equal(sndcnt, MSS); /* room 1 < limit 2 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_init_iw10),
		cmocka_unit_test(test_slow_start_doubles_with_abc),
		cmocka_unit_test(test_newreno_congestion_avoidance),
		cmocka_unit_test(test_newreno_congestion_halves),
		cmocka_unit_test(test_rto_collapses_to_one_mss),
		cmocka_unit_test(test_idle_restart),
		cmocka_unit_test(test_cbrt_and_curve_by_hand),
		cmocka_unit_test(test_cubic_congestion_beta),
		cmocka_unit_test(test_cubic_curve_after_loss),
		cmocka_unit_test(test_cubic_reno_friendly_region),
		cmocka_unit_test(test_cubic_fast_convergence),
		cmocka_unit_test(test_cubic_no_loss_convex),
		cmocka_unit_test(test_prr_rfc6937_example),
		cmocka_unit_test(test_prr_ssrb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * NewReno congestion control: RFC 5681 (slow start, congestion
 * avoidance, ssthresh on loss) with RFC 3465 appropriate byte counting,
 * and the congestion-control half of RFC 6582 (the recovery logic itself,
 * "recover" and partial ACKs, is in the TCP core; during recovery cwnd
 * comes from PRR, tcp_prr.h).
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "tcp/tcp_cc.h"

struct newreno {
	/* RFC 3465 2.1: bytes ACKed in congestion avoidance since cwnd last
	 * grew by one SMSS. */
	uint32_t bytes_acked;
};

static_assert(sizeof(struct newreno) <= TCP_CC_PRIV_SIZE,
	"newreno state must fit in tcp_cc_state.priv");
static_assert(alignof(struct newreno) <= 8, "priv is 8-byte aligned");

static struct newreno *nr(struct tcp_cc_state *s)
{
	return (struct newreno *)(void *)s->priv;
}

/* RFC 5681 3.1 eq. 4: ssthresh = max(FlightSize / 2, 2 * SMSS). */
static uint32_t newreno_ssthresh(const struct tcp_cc_state *s)
{
	uint32_t half = s->flight / 2, floor2 = 2 * s->mss;

	return half > floor2 ? half : floor2;
}

static void newreno_init(struct tcp_cc_state *s, uint64_t now_ns)
{
	memset(s->priv, 0, sizeof(s->priv));
	s->cwnd = tcp_cc_initial_window(s->mss);
	s->ssthresh = UINT32_MAX;
}

static void newreno_on_ack(struct tcp_cc_state *s, uint32_t acked, uint64_t now_ns)
{
	struct newreno *p = nr(s);

	if (s->cwnd < s->ssthresh) {
		tcp_cc_slow_start(s, acked);
		return;
	}
	/* RFC 3465 2.1 / RFC 5681 3.1: one SMSS per cwnd's worth of ACKed
	 * bytes, i.e. about one SMSS per RTT. */
	p->bytes_acked += acked;
	if (p->bytes_acked >= s->cwnd) {
		p->bytes_acked -= s->cwnd;
		if (s->cwnd <= UINT32_MAX / 4 - s->mss)
			s->cwnd += s->mss;
	}
}

static void newreno_on_congestion(struct tcp_cc_state *s, uint64_t now_ns)
{
	s->ssthresh = newreno_ssthresh(s);
	nr(s)->bytes_acked = 0;
}

static void newreno_on_recovery_exit(struct tcp_cc_state *s, uint64_t now_ns)
{
	/* RFC 6582 3.2 step 3 option 1 / RFC 6937: deflate to ssthresh. */
	s->cwnd = s->ssthresh;
	nr(s)->bytes_acked = 0;
}

static void newreno_on_rto(struct tcp_cc_state *s, uint64_t now_ns)
{
	/* RFC 5681 3.1: ssthresh per eq. 4, cwnd = loss window = 1 SMSS. */
	s->ssthresh = newreno_ssthresh(s);
	s->cwnd = s->mss;
	nr(s)->bytes_acked = 0;
}

static void newreno_on_idle_restart(struct tcp_cc_state *s, uint64_t now_ns)
{
	tcp_cc_restart_window(s);
	nr(s)->bytes_acked = 0;
}

const struct tcp_cc_ops tcp_newreno_ops = {
	.name = "newreno",
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_congestion = newreno_on_congestion,
	.on_recovery_exit = newreno_on_recovery_exit,
	.on_rto = newreno_on_rto,
	.on_idle_restart = newreno_on_idle_restart,
};

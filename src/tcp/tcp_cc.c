/*
 * Congestion control: the registry of algorithms by name and the helpers
 * they share (initial window, slow start with byte counting, restart
 * window, cube root). See tcp_cc.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcp/tcp_cc.h"

/* cwnd never grows past this, so byte arithmetic on it cannot wrap. */
#define TCP_CC_CWND_MAX (UINT32_MAX / 4)

static const struct tcp_cc_ops *const tcp_cc_algos[] = {
	&tcp_cubic_ops,
	&tcp_newreno_ops,
};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(tcp_cc_algos) / sizeof(tcp_cc_algos[0]); i++)
		if (strcmp(tcp_cc_algos[i]->name, name) == 0)
			return tcp_cc_algos[i];
	return NULL;
}

const struct tcp_cc_ops *tcp_cc_default(void)
{
	return &tcp_cubic_ops;
}

uint32_t tcp_cc_initial_window(uint32_t mss)
{
	uint64_t iw = (uint64_t)TCP_CC_IW_SEGS * mss;

	return iw > TCP_CC_CWND_MAX ? TCP_CC_CWND_MAX : (uint32_t)iw;
}

void tcp_cc_slow_start(struct tcp_cc_state *s, uint32_t acked)
{
	/* RFC 3465 2.2: at most L * SMSS per ACK, so that an ACK covering
	 * many segments (stretch ACK, ACK after loss) does not burst. */
	uint64_t limit = (uint64_t)TCP_CC_ABC_L * s->mss;
	uint64_t inc = acked < limit ? acked : limit;
	uint64_t cwnd = (uint64_t)s->cwnd + inc;

	/* RFC 5681 3.1: slow start ends at ssthresh; what is left of this
	 * ACK is not carried into congestion avoidance (a simplification:
	 * at most L * SMSS of growth is deferred to the next ACK). */
	if (cwnd > s->ssthresh && s->cwnd < s->ssthresh)
		cwnd = s->ssthresh;
	if (cwnd > TCP_CC_CWND_MAX)
		cwnd = TCP_CC_CWND_MAX;
	s->cwnd = (uint32_t)cwnd;
}

void tcp_cc_restart_window(struct tcp_cc_state *s)
{
	/* RFC 5681 4.1: RW = min(IW, cwnd); cwnd = RW. */
	uint32_t iw = tcp_cc_initial_window(s->mss);

	if (s->cwnd > iw)
		s->cwnd = iw;
}

double tcp_cc_cbrt(double x)
{
	double y = 1.0, next;
	int i;

	if (!(x > 0.0))
		return 0.0;
	/* Start above the root: Newton's iteration for y^3 = x then
	 * decreases monotonically towards it, so we stop as soon as a step
	 * no longer decreases y. */
	while (y * y * y < x)
		y *= 2.0;
	for (i = 0; i < 200; i++) {
		next = (2.0 * y + x / (y * y)) / 3.0;
		if (next >= y)
			break;
		y = next;
	}
	return y;
}

/*
 * RFC 6298 RTT estimator (see tcp_rtt.h).
 */
#include <errno.h>

#include "tcp/tcp_rtt.h"

/* Bounds every stored value far below 2^64 / 8, so sums cannot overflow. */
#define RTT_SAMPLE_MAX (TCP_RTO_MAX_NS * 8)

int tcp_rtt_init(struct tcp_rtt *r, uint64_t min_rto, uint64_t max_rto,
		 uint64_t granularity)
{
	min_rto = min_rto ? min_rto : TCP_RTO_MIN_NS;
	max_rto = max_rto ? max_rto : TCP_RTO_MAX_NS;
	if (min_rto > max_rto)
		return -EINVAL;
	*r = (struct tcp_rtt){
		.min_rto = min_rto,
		.max_rto = max_rto,
		.granularity = granularity ? granularity : TCP_RTT_GRANULARITY_NS,
	};
	r->rto = TCP_RTO_INIT_NS;
	if (r->rto < min_rto)
		r->rto = min_rto;
	if (r->rto > max_rto)
		r->rto = max_rto;
	return 0;
}

static uint64_t clamp_rto(const struct tcp_rtt *r, uint64_t v)
{
	if (v < r->min_rto)
		return r->min_rto;
	if (v > r->max_rto)
		return r->max_rto;
	return v;
}

void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt)
{
	uint64_t var4;

	if (rtt > RTT_SAMPLE_MAX)
		rtt = RTT_SAMPLE_MAX;
	if (!r->has_sample) {
		/* RFC 6298 2.2 */
		r->srtt = rtt;
		r->rttvar = rtt / 2;
		r->has_sample = true;
	} else {
		/* RFC 6298 2.3: RTTVAR first, with the SRTT before this sample. */
		uint64_t err = r->srtt > rtt ? r->srtt - rtt : rtt - r->srtt;

		r->rttvar = (3 * r->rttvar + err) / 4;
		r->srtt = (7 * r->srtt + rtt) / 8;
	}
	var4 = 4 * r->rttvar;
	r->rto = clamp_rto(r, r->srtt + (var4 > r->granularity ? var4 : r->granularity));
	r->backoffs = 0;
}

void tcp_rtt_backoff(struct tcp_rtt *r)
{
	/* RFC 6298 5.5; rto <= max_rto, so doubling fits in 64 bits. */
	r->rto = r->rto >= r->max_rto / 2 ? r->max_rto : 2 * r->rto;
	if (r->backoffs < UINT8_MAX)
		r->backoffs++;
}

/*
 * Proportional Rate Reduction, RFC 6937 section 3 (PRR-SSRB). See
 * tcp_prr.h.
 */
#include <stdint.h>

#include "tcp/tcp_prr.h"

void tcp_prr_start(struct tcp_prr *prr, uint32_t recover_fs, uint32_t ssthresh)
{
	prr->delivered = 0;
	prr->out = 0;
	/* RecoverFS of 0 would mean nothing outstanding: avoid dividing by
	 * it below (any positive value gives the same result then). */
	prr->recover_fs = recover_fs ? recover_fs : 1;
	prr->ssthresh = ssthresh;
}

uint32_t tcp_prr_on_ack(struct tcp_prr *prr, uint32_t delivered, uint32_t pipe,
	uint32_t mss)
{
	int64_t sndcnt;

	prr->delivered += delivered;
	if (pipe > prr->ssthresh) {
		/* Proportional part: send ssthresh/RecoverFS of what was
		 * delivered, rounded up, less what was already sent. */
		uint64_t allowed = (prr->delivered * prr->ssthresh +
			prr->recover_fs - 1) / prr->recover_fs;

		sndcnt = (int64_t)allowed - (int64_t)prr->out;
	} else {
		/* Pipe at or below ssthresh (more losses than expected, or
		 * the application sent little): PRR-SSRB lets the window
		 * regrow like slow start, by at most one MSS more than
		 * delivered per ACK, up to ssthresh. */
		int64_t backlog = (int64_t)prr->delivered - (int64_t)prr->out;
		int64_t limit = (backlog > (int64_t)delivered ? backlog :
			(int64_t)delivered) + mss;
		int64_t room = (int64_t)prr->ssthresh - (int64_t)pipe;

		sndcnt = room < limit ? room : limit;
	}
	if (sndcnt < 0)
		sndcnt = 0;
	if (sndcnt > UINT32_MAX)
		sndcnt = UINT32_MAX;
	return (uint32_t)sndcnt;
}

void tcp_prr_on_sent(struct tcp_prr *prr, uint32_t bytes)
{
	prr->out += bytes;
}

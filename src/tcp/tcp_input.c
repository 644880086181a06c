/*
 * TCP input: validation, demultiplexing, the RFC 9293 3.10.7 segment
 * arrival rules with RFC 5961 (challenge ACKs) and RFC 7323 (PAWS), ACK
 * processing (RTT, congestion control, SACK scoreboard, fast recovery),
 * receive of in-order and out-of-order data, listeners and SYN cookies,
 * TIME-WAIT.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "net/net_internal.h"
#include "tcp/tcp_internal.h"
#include "tcp/tcp_syncookie.h"

#define IP_ECN_MASK 0x03
#define IP_ECN_CE   0x03

/* One parsed segment. */
struct seg {
	struct rte_mbuf *m;
	const struct rte_ipv4_hdr *ih;
	const struct rte_tcp_hdr *th;
	struct tcp_opts o;
	uint32_t seq, ack, len;     /* len: payload bytes */
	uint32_t off;               /* payload offset in m */
	uint16_t wnd;
	uint8_t flags;
	uint8_t ecn;
};

static inline uint32_t seg_space(const struct seg *g)
{
	return g->len + !!(g->flags & RTE_TCP_SYN_FLAG) + !!(g->flags & RTE_TCP_FIN_FLAG);
}

void tcp_challenge_ack(struct tcp_cb *tp)
{
	struct dps_session_worker *sw = tp->sw;
	uint64_t sec = tcp_now(sw) / 1000000000ull;

	/* RFC 5961 7: a global limit on challenge ACKs per second */
	if (sec != sw->chack_second) {
		sw->chack_second = sec;
		sw->chack_count = 0;
	}
	if (sw->chack_count >= sw->w->st->params.tcp.challenge_ack_limit) {
		TCP_INC(sw, challenge_limited);
		return;
	}
	sw->chack_count++;
	TCP_INC(sw, challenge_acks);
	tcp_send_ack(tp);
}

/* ---- SACK scoreboard (sender side) ---- */

static void sb_recount(struct tcp_cb *tp)
{
	uint32_t i, n = 0;

	tp->high_sacked = tp->snd_una;
	for (i = 0; i < tp->n_sb; i++) {
		n += tp->sb[i].end - tp->sb[i].start;
		if (seq_gt(tp->sb[i].end, tp->high_sacked))
			tp->high_sacked = tp->sb[i].end;
	}
	tp->sacked_bytes = n;
}

/* Forget what snd_una passed. */
static void sb_advance(struct tcp_cb *tp)
{
	uint32_t i, k = 0;

	for (i = 0; i < tp->n_sb; i++) {
		if (seq_leq(tp->sb[i].end, tp->snd_una))
			continue;
		if (seq_lt(tp->sb[i].start, tp->snd_una))
			tp->sb[i].start = tp->snd_una;
		tp->sb[k++] = tp->sb[i];
	}
	tp->n_sb = (uint8_t)k;
	sb_recount(tp);
}

/* Merge [s, e) into the sorted, disjoint scoreboard. */
static void sb_add(struct tcp_cb *tp, uint32_t s, uint32_t e)
{
	struct tcp_sack_block nb[TCP_SB_MAX + 1];
	uint32_t i, k = 0;
	bool placed = false;

	for (i = 0; i < tp->n_sb; i++) {
		struct tcp_sack_block b = tp->sb[i];

		if (seq_lt(b.end, s)) {
			nb[k++] = b;
		} else if (seq_gt(b.start, e)) {
			if (!placed) {
				nb[k].start = s;
				nb[k++].end = e;
				placed = true;
			}
			nb[k++] = b;
		} else {
			s = seq_min(s, b.start);
			e = seq_max(e, b.end);
		}
	}
	if (!placed) {
		nb[k].start = s;
		nb[k++].end = e;
	}
	/* full: keep the lowest blocks, which recovery needs first */
	if (k > TCP_SB_MAX)
		k = TCP_SB_MAX;
	memcpy(tp->sb, nb, k * sizeof(nb[0]));
	tp->n_sb = (uint8_t)k;
}

/*
 * A D-SACK: one of our retransmissions arrived twice. When every
 * retransmission of the last recovery turns out so, the loss was
 * reordering: restore the window (RFC 2883 4.3, Linux's undo) and
 * tolerate deeper reordering from now on.
 */
static void dsack_undo(struct tcp_cb *tp)
{
	if (!(tp->f & TF_UNDO_OK) || tp->undo_retrans == 0)
		return;
	if (--tp->undo_retrans > 0)
		return;
	tp->f &= ~TF_UNDO_OK;
	if (tp->ccs.cwnd < tp->prior_cwnd)
		tp->ccs.cwnd = tp->prior_cwnd;
	if (tp->ccs.ssthresh < tp->prior_ssthresh)
		tp->ccs.ssthresh = tp->prior_ssthresh;
	if (tp->f & TF_RECOVERY) {
		tp->f &= ~TF_RECOVERY;
		tp->dupacks = 0;
	}
	if (tp->dupthresh < 8)
		tp->dupthresh *= 2;   /* 3, 6, 12: Linux raises tp->reordering likewise */
	TCP_INC(tp->sw, recoveries_undone);
}

/* Take the SACK blocks of an ACK; returns bytes newly SACKed. */
static uint32_t sack_input(struct tcp_cb *tp, const struct seg *g)
{
	uint32_t before = tp->sacked_bytes, i;

	if (!(tp->f & TF_SACK_OK) || !(g->o.present & TCP_OPTF_SACK))
		return 0;
	for (i = 0; i < g->o.nsack; i++) {
		uint32_t s = g->o.sack[i].start, e = g->o.sack[i].end;

		/* RFC 2883: a first block below the cumulative ACK, or inside
		 * the second block, reports a duplicate */
		if (i == 0 && (seq_leq(e, g->ack) ||
			       (g->o.nsack > 1 && seq_geq(s, g->o.sack[1].start) &&
				seq_leq(e, g->o.sack[1].end)))) {
			TCP_INC(tp->sw, dsack_rx);
			dsack_undo(tp);
			continue;
		}
		if (!seq_lt(s, e) || seq_lt(s, tp->snd_una) || seq_gt(e, tp->snd_nxt))
			continue;   /* invalid or stale: ignore the block */
		TCP_INC(tp->sw, sack_blocks_rx);
		sb_add(tp, s, e);
	}
	sb_recount(tp);
	return tp->sacked_bytes > before ? tp->sacked_bytes - before : 0;
}

/* ---- receiving data ---- */

static uint32_t copy_in(struct dps_fifo *f, const struct seg *g, uint32_t skip, uint32_t len,
			uint32_t ooo_off, uint8_t *scratch, int *err)
{
	const uint8_t *p;

	*err = 0;
	if (rte_pktmbuf_data_len(g->m) >= g->off + skip + len) {
		p = rte_pktmbuf_mtod_offset(g->m, const uint8_t *, g->off + skip);
	} else {
		p = rte_pktmbuf_read(g->m, g->off + skip, len, scratch);
		if (p == NULL) {
			*err = -EIO;
			return 0;
		}
	}
	if (ooo_off == 0)
		return dps_fifo_enqueue(f, p, len);
	*err = dps_fifo_enqueue_ooo(f, ooo_off, p, len);
	return 0;
}

static void process_fin(struct tcp_cb *tp)
{
	tp->rcv_nxt++;
	tp->f |= TF_RCVD_FIN;
	tp->f &= ~TF_OOO_FIN;
	tcp_ack_now(tp);
	switch (tp->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		tcp_set_state(tp, TCPS_CLOSE_WAIT);
		break;
	case TCPS_FIN_WAIT_1:
		tcp_set_state(tp, TCPS_CLOSING);
		break;
	case TCPS_FIN_WAIT_2:
		tcp_enter_time_wait(tp);
		break;
	default:
		break;
	}
	dps_sock_notify(tp->sw, tcp_sock_of(tp));
}

static void data_input(struct tcp_cb *tp, struct dps_sock *s, struct seg *g)
{
	struct dps_session_worker *sw = tp->sw;
	uint32_t seq = g->seq, len = g->len, skip = 0, limit, n;
	int err;

	if (seq_lt(seq, tp->rcv_nxt)) {
		uint32_t d = tp->rcv_nxt - seq;

		/* partly old: report the duplicate part (RFC 2883) */
		tp->dsack.start = seq;
		tp->dsack.end = tp->rcv_nxt;
		tp->f |= TF_DSACK;
		TCP_INC(sw, partial_dup_segs);
		skip = d;
		len -= d;
		seq = tp->rcv_nxt;
		tcp_ack_now(tp);
	}
	limit = tp->rcv_nxt + dps_fifo_free(s->rx);
	if (seq_gt(seq + len, limit)) {
		len = seq_gt(limit, seq) ? limit - seq : 0;
		g->flags &= ~RTE_TCP_FIN_FLAG;   /* the FIN is beyond what we took */
		tcp_ack_now(tp);
	}
	if (len == 0)
		return;
	if (seq == tp->rcv_nxt) {
		bool had_ooo = s->rx->n_ooo > 0;

		n = copy_in(s->rx, g, skip, len, 0, sw->scratch, &err);
		if (err != 0)
			return;
		tp->rcv_nxt += n;
		tcp_stat(sw, DPS_TCP_STAT_bytes_in, len);
		s->rx_bytes += n;
		if ((tp->f & TF_OOO_FIN) && tp->rcv_nxt == tp->rcv_fin_seq)
			g->flags |= RTE_TCP_FIN_FLAG;   /* the FIN held back is in order now */
		dps_sock_notify(sw, s);
		/* ACK policy: at once when filling a hole (RFC 5681 4.2), in
		 * quick-ACK mode, or every second full segment; else delay */
		if (len >= tp->mss)
			tp->unacked_segs++;
		if (had_ooo) {
			tcp_ack_now(tp);
		} else if (tp->quickack > 0) {
			tp->quickack--;
			TCP_INC(sw, quick_acks);
			tcp_ack_now(tp);
		} else if (tp->unacked_segs >= 2) {
			tcp_ack_now(tp);
		} else if (!(tp->f & TF_DELACK)) {
			tp->f |= TF_DELACK;
			dps_timer_start_in(&sw->w->wheel, &tp->delack_timer,
					   (uint64_t)sw->w->st->params.tcp.delack_ms * 1000000ull);
		}
		return;
	}
	/* out of order: hold it past the tail, ACK at once with SACK */
	copy_in(s->rx, g, skip, len, seq - tp->rcv_nxt, sw->scratch, &err);
	if (err == -ENOBUFS) {
		dps_drop(sw->w, g->m, DPS_ERR_TCP_OOO_FULL);
		g->m = NULL;
	} else {
		TCP_INC(sw, ooo_segs);
	}
	tcp_ack_now(tp);
}

/* ---- ACK processing ---- */

static void rtt_sample(struct tcp_cb *tp, const struct seg *g)
{
	/* One segment per RTT is timed with the ns clock (Karn: never a
	 * retransmitted one). Timestamps tick in ms, far coarser than the
	 * sub-ms RTTs of veth/TAP peers, so they serve PAWS only. */
	if ((tp->f & TF_RTT_TIMING) && seq_gt(g->ack, tp->rtt_seq)) {
		tcp_rtt_sample(&tp->rtt, tcp_now(tp->sw) - tp->rtt_start_ns);
		tp->f &= ~TF_RTT_TIMING;
	}
	tp->ccs.srtt_ns = tp->rtt.srtt;
	if (tp->rtt.has_sample && (tp->ccs.min_rtt_ns == 0 || tp->rtt.srtt < tp->ccs.min_rtt_ns))
		tp->ccs.min_rtt_ns = tp->rtt.srtt;
}

static void enter_recovery(struct tcp_cb *tp)
{
	struct dps_session_worker *sw = tp->sw;
	uint64_t now = tcp_now(sw);

	TCP_INC(sw, recoveries);
	if (tp->f & TF_SACK_OK)
		TCP_INC(sw, sack_recoveries);
	tp->prior_cwnd = tp->ccs.cwnd;
	tp->prior_ssthresh = tp->ccs.ssthresh;
	tp->undo_retrans = 0;
	tp->f |= TF_UNDO_OK;
	tp->recover = tp->snd_nxt;
	tp->ccs.flight = tp->snd_nxt - tp->snd_una;
	tp->cc->on_congestion(&tp->ccs, now);
	tcp_prr_start(&tp->prr, tp->snd_nxt - tp->snd_una, tp->ccs.ssthresh);
	tp->f |= TF_RECOVERY;
	tp->f &= ~TF_RTT_TIMING;
	tp->rxt_nxt = tp->snd_una;
	tp->rxt_end = (tp->f & TF_SACK_OK) && seq_gt(tp->high_sacked, tp->snd_una) ?
		tp->high_sacked : tp->snd_una + tp->mss;
	/* RFC 6675 / 5681: the first lost segment goes at once */
	tp->ccs.cwnd = tcp_pipe(tp) + tp->mss;
}

static void prr_update(struct tcp_cb *tp, uint32_t delivered)
{
	uint32_t pipe, sndcnt;

	if ((tp->f & TF_SACK_OK) && seq_gt(tp->high_sacked, tp->rxt_end))
		tp->rxt_end = tp->high_sacked;
	pipe = tcp_pipe(tp);
	sndcnt = tcp_prr_on_ack(&tp->prr, delivered, pipe, tp->mss);
	tp->ccs.cwnd = pipe + sndcnt;
}

/* Returns false when the connection is gone. */
static bool ack_input(struct tcp_cb *tp, struct dps_sock *s, struct seg *g)
{
	struct dps_session_worker *sw = tp->sw;
	uint64_t now = tcp_now(sw);
	uint32_t new_wnd = (uint32_t)g->wnd << tp->snd_wscale, newly_sacked;
	bool wnd_changed = false;

	newly_sacked = sack_input(tp, g);
	/* a retransmission is lost when data sent after it is SACKed while
	 * it is still not ACKed: send the holes again (what Linux did with
	 * tcp_mark_lost_retrans before RACK) */
	if ((tp->f & TF_LRT) && (tp->f & (TF_RECOVERY | TF_LOSS)) &&
	    tp->snd_una == tp->lrt_seq && seq_gt(g->ack, tp->snd_una) == false &&
	    seq_gt(tp->high_sacked, tp->lrt_nxt)) {
		tp->f &= ~TF_LRT;
		tp->rxt_nxt = tp->snd_una;
		TCP_INC(sw, lost_retransmits);
		dps_sock_want_output(sw, s);
	}

	if (seq_lt(tp->snd_wl1, g->seq) ||
	    (tp->snd_wl1 == g->seq && seq_leq(tp->snd_wl2, g->ack))) {
		if (new_wnd != tp->snd_wnd) {
			wnd_changed = true;
			if (new_wnd == 0)
				TCP_INC(sw, zero_window_rx);
		}
		tp->snd_wnd = new_wnd;
		tp->snd_wl1 = g->seq;
		tp->snd_wl2 = g->ack;
		if (new_wnd > tp->max_snd_wnd)
			tp->max_snd_wnd = new_wnd;
	}

	/* RFC 3168: ECE asks us to slow down, once per window */
	if ((tp->f & TF_ECN_OK) && (g->flags & RTE_TCP_ECE_FLAG) &&
	    !(tp->f & (TF_RECOVERY | TF_LOSS)) && seq_geq(tp->snd_una, tp->ecn_cwr_seq)) {
		tp->ccs.flight = tp->snd_nxt - tp->snd_una;
		tp->cc->on_congestion(&tp->ccs, now);
		tp->ccs.cwnd = RTE_MAX(tp->ccs.ssthresh, (uint32_t)tp->mss);
		tp->ecn_cwr_seq = tp->snd_nxt;
		tp->f |= TF_CWR;
	}

	if (seq_gt(g->ack, tp->snd_una)) {
		uint32_t acked = g->ack - tp->snd_una, data = acked;
		bool fin_acked = (tp->f & TF_FIN_SENT) && seq_gt(g->ack, tp->fin_seq);
		bool was_limited = (tp->f & TF_CWND_LIMITED) ||
			tp->snd_nxt - tp->snd_una + tp->mss >= tp->ccs.cwnd;

		if (fin_acked)
			data--;
		if (s->tx != NULL && data > 0)
			dps_fifo_drop(s->tx, data);
		tp->snd_una = g->ack;
		tp->rtx_start_ns = now;   /* the new oldest byte went out at most now */
		tp->f &= ~(TF_TLP_SENT | TF_LRT);
		tp->rack_fires = 0;
		rtt_sample(tp, g);
		tp->rtx_count = 0;
		tp->keep_probes = 0;
		sb_advance(tp);
		if (tp->f & TF_RECOVERY) {
			if (seq_geq(g->ack, tp->recover)) {
				tp->cc->on_recovery_exit(&tp->ccs, now);
				tp->f &= ~TF_RECOVERY;
				tp->dupacks = 0;
			} else {
				TCP_INC(sw, partial_acks);
				if (!(tp->f & TF_SACK_OK)) {
					/* RFC 6582 3.2 step 5: the next hole */
					tp->rxt_nxt = tp->snd_una;
					tp->rxt_end = tp->snd_una + tp->mss;
					tp->dupacks = 0;
				}
				prr_update(tp, acked + newly_sacked);
			}
		} else {
			if (tp->f & TF_LOSS) {
				if (seq_geq(g->ack, tp->recover))
					tp->f &= ~TF_LOSS;
			}
			tp->dupacks = 0;
			if (was_limited) {
				tp->ccs.flight = tp->snd_nxt - tp->snd_una;
				tp->cc->on_ack(&tp->ccs, acked, now);
				tp->f &= ~TF_CWND_LIMITED;
			}
		}
		if (tp->snd_una == tp->snd_nxt)
			dps_timer_stop(&sw->w->wheel, &tp->rtx_timer);
		else
			tcp_rtx_arm(tp);
		if (fin_acked) {
			switch (tp->state) {
			case TCPS_FIN_WAIT_1:
				tcp_set_state(tp, TCPS_FIN_WAIT_2);
				if (s->flags & DPS_SF_APP_CLOSED)
					dps_timer_start_in(&sw->w->wheel, &tp->keep_timer,
							   (uint64_t)sw->w->st->params.tcp.fin_timeout_ms * 1000000ull);
				break;
			case TCPS_CLOSING:
				tcp_enter_time_wait(tp);
				break;
			case TCPS_LAST_ACK:
				tcp_done(tp, 0);
				return false;
			default:
				break;
			}
		}
		dps_sock_notify(sw, s);
		dps_sock_want_output(sw, s);
	} else if (g->ack == tp->snd_una && g->len == 0 &&
		   !(g->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) && !wnd_changed &&
		   tp->snd_nxt != tp->snd_una) {
		/* RFC 5681 2: a duplicate ACK */
		tp->dupacks++;
		tp->dup_acks_rx++;
		TCP_INC(sw, dup_acks);
		if (tp->f & TF_RECOVERY) {
			prr_update(tp, (tp->f & TF_SACK_OK) ? newly_sacked : tp->mss);
			dps_sock_want_output(sw, s);
		} else if (!(tp->f & TF_LOSS)) {
			if ((tp->dupacks >= tp->dupthresh ||
			     ((tp->f & TF_SACK_OK) &&
			      tp->sacked_bytes > (tp->dupthresh - 1) * tp->mss) ||
			     /* after a tail loss probe, the SACK of everything
			      * above the hole is loss enough (RFC 8985 7.4) */
			     ((tp->f & TF_TLP_SENT) && tp->high_sacked == tp->snd_nxt)) &&
			    (seq_gt(g->ack, tp->recover) || tp->recover == tp->iss ||
			     tp->snd_una == tp->recover))
				enter_recovery(tp);
			dps_sock_want_output(sw, s);   /* limited transmit or the retransmission */
		}
	} else if (newly_sacked > 0 && !(tp->f & (TF_RECOVERY | TF_LOSS)) &&
		   (tp->sacked_bytes > (tp->dupthresh - 1) * tp->mss ||
		    ((tp->f & TF_TLP_SENT) && tp->high_sacked == tp->snd_nxt))) {
		enter_recovery(tp);
		dps_sock_want_output(sw, s);
	} else if (newly_sacked > 0 && (tp->f & TF_RECOVERY)) {
		prr_update(tp, newly_sacked);
		dps_sock_want_output(sw, s);
	}
	if (wnd_changed && tp->snd_wnd > 0) {
		if (tp->f & TF_PERSIST) {
			dps_timer_stop(&sw->w->wheel, &tp->rtx_timer);
			tp->f &= ~TF_PERSIST;
			tp->rtx_count = 0;
		}
		dps_sock_want_output(sw, s);
	}
	return true;
}

/* ---- connection setup ---- */

static void negotiate(struct tcp_cb *tp, const struct seg *g, bool active)
{
	const struct dps_tcp_params *pr = &tp->sw->w->st->params.tcp;
	struct dps_sock *s = tcp_sock_of(tp);

	if ((g->o.present & TCP_OPTF_WSCALE) && pr->wscale) {
		tp->f |= TF_WS_OK;
		tp->snd_wscale = g->o.wscale;
		if (!active)
			tp->rcv_wscale = tcp_pick_wscale(s->rcvbuf);
	} else {
		tp->snd_wscale = 0;
		tp->rcv_wscale = 0;
	}
	if ((g->o.present & TCP_OPTF_SACKOK) && pr->sack)
		tp->f |= TF_SACK_OK;
	if ((g->o.present & TCP_OPTF_TS) && pr->timestamps) {
		tp->f |= TF_TS_OK;
		tp->ts_recent = g->o.tsval;
	}
	tcp_set_mss(tp, (g->o.present & TCP_OPTF_MSS) ? g->o.mss : 0);
}

static void established(struct tcp_cb *tp, const struct seg *g)
{
	struct dps_sock *s = tcp_sock_of(tp);

	tp->snd_wnd = (uint32_t)g->wnd << tp->snd_wscale;
	tp->max_snd_wnd = tp->snd_wnd;
	tp->snd_wl1 = g->seq;
	tp->snd_wl2 = g->ack;
	tp->rtx_count = 0;
	tp->quickack = 16;
	tp->last_rcv_ns = tcp_now(tp->sw);
	tp->recover = tp->iss;
	tp->ecn_cwr_seq = tp->snd_una;
	tcp_cc_start(tp);
	tcp_set_state(tp, TCPS_ESTABLISHED);
	tcp_keepalive_arm(tp);
	dps_sock_notify(tp->sw, s);
}

static void syn_sent_input(struct tcp_cb *tp, struct dps_sock *s, struct seg *g)
{
	struct dps_session_worker *sw = tp->sw;
	const struct dps_tcp_params *pr = &sw->w->st->params.tcp;

	if ((g->flags & RTE_TCP_ACK_FLAG) &&
	    (seq_leq(g->ack, tp->iss) || seq_gt(g->ack, tp->snd_nxt))) {
		if (!(g->flags & RTE_TCP_RST_FLAG))
			tcp_reply_rst(sw->w, g->ih, g->th, seg_space(g));
		dps_drop(sw->w, g->m, DPS_ERR_TCP_BAD_ACK);
		g->m = NULL;
		return;
	}
	if (g->flags & RTE_TCP_RST_FLAG) {
		if (g->flags & RTE_TCP_ACK_FLAG) {
			TCP_INC(sw, rst_rx);
			tcp_done(tp, ECONNREFUSED);
		}
		return;
	}
	if (!(g->flags & RTE_TCP_SYN_FLAG))
		return;
	tp->irs = g->seq;
	tp->rcv_nxt = g->seq + 1;
	tp->rcv_adv = tp->rcv_nxt;
	negotiate(tp, g, true);
	if (pr->ecn && (g->flags & RTE_TCP_ECE_FLAG) && !(g->flags & RTE_TCP_CWR_FLAG))
		tp->f |= TF_ECN_OK;
	if (g->flags & RTE_TCP_ACK_FLAG) {
		tp->snd_una = g->ack;
		dps_timer_stop(&sw->w->wheel, &tp->rtx_timer);
		if (tp->syn_rtx == 0)
			tcp_rtt_sample(&tp->rtt, tcp_now(sw) - tp->rtx_start_ns);
		if (tp->f & TF_ECN_OK)
			TCP_INC(sw, ecn_negotiated);
		established(tp, g);
		tcp_ack_now(tp);
		return;
	}
	/* simultaneous open (RFC 9293 3.5): SYN-ACK from SYN-RECEIVED */
	tp->state = TCPS_SYN_RECEIVED;
	tcp_send_syn(tp);
}

static void time_wait_input(struct tcp_cb *tp, struct seg *g)
{
	struct dps_session_worker *sw = tp->sw;

	if (g->flags & RTE_TCP_RST_FLAG) {
		/* RFC 1337: a reset must not cut TIME-WAIT short */
		TCP_INC(sw, timewait_rst_ignored);
		return;
	}
	if (g->flags & RTE_TCP_FIN_FLAG) {
		/* the peer did not get our ACK of its FIN: again, and 2*MSL anew */
		tcp_ack_now(tp);
		dps_timer_start_in(&sw->w->wheel, &tp->keep_timer,
				   2ull * sw->w->st->params.tcp.msl_ms * 1000000ull);
		return;
	}
	if (g->len > 0 || (g->flags & RTE_TCP_SYN_FLAG))
		tcp_ack_now(tp);
}

static void listen_input(struct dps_session_worker *sw, struct dps_sock *l, struct seg *g);

/* ---- the synchronized states ---- */

static void conn_input(struct tcp_cb *tp, struct dps_sock *s, struct seg *g)
{
	struct dps_session_worker *sw = tp->sw;
	struct dps_worker *w = sw->w;
	uint32_t space = seg_space(g), rwnd;
	bool ok;

	tp->segs_in++;
	if (tp->state == TCPS_SYN_SENT) {
		syn_sent_input(tp, s, g);
		return;
	}
	if (tp->state == TCPS_TIME_WAIT) {
		/* a new SYN beyond the old connection may reuse the tuple
		 * (RFC 9293 3.6.1, RFC 6191 with timestamps) */
		if ((g->flags & RTE_TCP_SYN_FLAG) && !(g->flags & RTE_TCP_ACK_FLAG) &&
		    (seq_gt(g->seq, tp->rcv_nxt) ||
		     ((tp->f & TF_TS_OK) && (g->o.present & TCP_OPTF_TS) &&
		      seq_gt(g->o.tsval, tp->ts_recent)))) {
			int lsd = dps_listener_lookup(sw, IPPROTO_TCP, g->ih->dst_addr,
						      g->th->dst_port);

			if (lsd >= 0) {
				TCP_INC(sw, timewait_recycled);
				tcp_done(tp, 0);
				if (s->used)
					dps_sock_unhash(sw, s);
				listen_input(sw, &sw->socks[lsd], g);
				return;
			}
		}
		time_wait_input(tp, g);
		if (g->m != NULL) {
			dps_drop(w, g->m, DPS_ERR_TCP_TIME_WAIT);
			g->m = NULL;
		}
		return;
	}

	/* simultaneous open: our SYN crossed the peer's, and its SYN-ACK
	 * repeats the SYN we already took (RFC 9293 3.5 figure 8): take it
	 * as the ACK it also is (Linux does the same) */
	if (tp->state == TCPS_SYN_RECEIVED && (g->flags & RTE_TCP_SYN_FLAG) &&
	    (g->flags & RTE_TCP_ACK_FLAG) && g->seq + 1 == tp->rcv_nxt && g->len == 0 &&
	    g->ack == tp->snd_nxt) {
		g->flags &= ~RTE_TCP_SYN_FLAG;
		g->seq++;
	}

	/* PAWS (RFC 7323 5.3) */
	/* Linux's TCP_PAWS_WINDOW: a segment one tick older than ts_recent
	 * is only reordered by under a millisecond; a pure duplicate ACK
	 * with an old timestamp is harmless (tcp_disordered_ack) */
	if ((tp->f & TF_TS_OK) && (g->o.present & TCP_OPTF_TS) &&
	    !(g->flags & RTE_TCP_RST_FLAG) && seq_lt(g->o.tsval + 1, tp->ts_recent) &&
	    !(g->len == 0 && !(g->flags & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) &&
	      g->seq == tp->rcv_nxt && g->ack == tp->snd_una)) {
		TCP_INC(sw, paws_drops);
		tcp_ack_now(tp);
		dps_drop(w, g->m, DPS_ERR_TCP_PAWS);
		g->m = NULL;
		return;
	}

	/* acceptability (RFC 9293 3.10.7.4, first check) */
	rwnd = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	if (space == 0)
		ok = rwnd == 0 ? g->seq == tp->rcv_nxt :
			(seq_geq(g->seq, tp->rcv_nxt) && seq_lt(g->seq, tp->rcv_nxt + rwnd)) ||
			g->seq == tp->rcv_nxt;
	else
		ok = rwnd > 0 &&
			((seq_geq(g->seq, tp->rcv_nxt) && seq_lt(g->seq, tp->rcv_nxt + rwnd)) ||
			 (seq_geq(g->seq + space - 1, tp->rcv_nxt) &&
			  seq_lt(g->seq + space - 1, tp->rcv_nxt + rwnd)));
	/* a zero window still takes the ACK, and the FIN/data right at rcv_nxt
	 * are processed so far as they fit (Linux does the same) */
	if (!ok && rwnd == 0 && g->seq == tp->rcv_nxt)
		ok = true;
	if (!ok) {
		if (!(g->flags & RTE_TCP_RST_FLAG)) {
			if (g->len > 0 && seq_leq(g->seq + g->len, tp->rcv_nxt)) {
				/* an old duplicate: D-SACK it (RFC 2883) */
				TCP_INC(sw, dup_segs);
				if (tp->f & TF_SACK_OK) {
					tp->dsack.start = g->seq;
					tp->dsack.end = g->seq + g->len;
					tp->f |= TF_DSACK;
				}
			}
			tcp_ack_now(tp);
		}
		dps_drop(w, g->m, DPS_ERR_TCP_OUT_OF_WINDOW);
		g->m = NULL;
		return;
	}

	/* RST (RFC 5961 3.2) */
	if (g->flags & RTE_TCP_RST_FLAG) {
		if (g->seq == tp->rcv_nxt) {
			TCP_INC(sw, rst_rx);
			tcp_done(tp, tp->state == TCPS_CLOSE_WAIT ? EPIPE : ECONNRESET);
		} else {
			tcp_challenge_ack(tp);
			dps_drop(w, g->m, DPS_ERR_TCP_RST_INVALID);
			g->m = NULL;
		}
		return;
	}
	/* SYN in a synchronized state (RFC 5961 4.2) */
	if (g->flags & RTE_TCP_SYN_FLAG) {
		if (tp->state == TCPS_SYN_RECEIVED && g->seq == tp->irs && !(g->flags & RTE_TCP_ACK_FLAG)) {
			tcp_send_syn(tp);   /* our SYN-ACK was lost */
			return;
		}
		tcp_challenge_ack(tp);
		dps_drop(w, g->m, DPS_ERR_TCP_SYN_INVALID);
		g->m = NULL;
		return;
	}
	if (!(g->flags & RTE_TCP_ACK_FLAG)) {
		dps_drop(w, g->m, DPS_ERR_TCP_BAD_FLAGS);
		g->m = NULL;
		return;
	}
	tp->last_rcv_ns = tcp_now(sw);
	tp->keep_probes = 0;
	/* RFC 7323 4.3: remember the timestamp of the segment at the left edge */
	if ((tp->f & TF_TS_OK) && (g->o.present & TCP_OPTF_TS) &&
	    seq_leq(g->seq, tp->last_ack_sent) && seq_geq(g->seq + space, tp->last_ack_sent))
		tp->ts_recent = g->o.tsval;
	if ((tp->f & TF_ECN_OK) && (g->ecn == IP_ECN_CE))
		tp->f |= TF_ECE;
	if ((tp->f & TF_ECN_OK) && (g->flags & RTE_TCP_CWR_FLAG))
		tp->f &= ~TF_ECE;

	if (tp->state == TCPS_SYN_RECEIVED) {
		struct dps_sock *l = s->parent >= 0 ? dps_sock_get(sw, s->parent) : NULL;

		if (!seq_gt(g->ack, tp->snd_una) || seq_gt(g->ack, tp->snd_nxt)) {
			tcp_reply_rst(w, g->ih, g->th, space);
			return;
		}
		if (l != NULL && l->aq_len >= l->backlog) {
			/* accept queue full: Linux drops the ACK and keeps the
			 * connection in SYN-RECEIVED; the SYN-ACK timer retries */
			dps_drop(w, g->m, DPS_ERR_TCP_LISTEN_OVERFLOW);
			g->m = NULL;
			return;
		}
		tp->snd_una = g->ack;
		dps_timer_stop(&w->wheel, &tp->rtx_timer);
		if (tp->syn_rtx == 0)
			tcp_rtt_sample(&tp->rtt, tcp_now(sw) - tp->rtx_start_ns);
		if (tp->f & TF_ECN_OK)
			TCP_INC(sw, ecn_negotiated);
		established(tp, g);
		if (l != NULL) {
			if (l->syn_len > 0)
				l->syn_len--;
			TCP_INC(sw, passive_opens);
			dps_sock_accept_enqueue(sw, s);
		}
	}

	/* RFC 5961 5.2: ACKs of what was never sent, or too old */
	if (seq_gt(g->ack, tp->snd_nxt)) {
		tcp_ack_now(tp);
		dps_drop(w, g->m, DPS_ERR_TCP_BAD_ACK);
		g->m = NULL;
		return;
	}
	if (seq_lt(g->ack, tp->snd_una - tp->max_snd_wnd)) {
		tcp_challenge_ack(tp);
		dps_drop(w, g->m, DPS_ERR_TCP_BAD_ACK);
		g->m = NULL;
		return;
	}
	if (!ack_input(tp, s, g))
		return;

	if (g->len > 0) {
		switch (tp->state) {
		case TCPS_ESTABLISHED:
		case TCPS_FIN_WAIT_1:
		case TCPS_FIN_WAIT_2:
			if (s->flags & DPS_SF_APP_CLOSED) {
				/* Linux: data for a socket the application closed
				 * resets the connection */
				dps_drop(w, g->m, DPS_ERR_TCP_RCV_CLOSED);
				g->m = NULL;
				tcp_abort(sw, s, true);
				return;
			}
			data_input(tp, s, g);
			break;
		default:
			break;   /* after the peer's FIN: ignore (RFC 9293) */
		}
	}
	if ((g->flags & RTE_TCP_FIN_FLAG) && !(tp->f & TF_RCVD_FIN)) {
		uint32_t fin_seq = g->seq + g->len;

		if (fin_seq == tp->rcv_nxt || ((tp->f & TF_OOO_FIN) && tp->rcv_nxt == tp->rcv_fin_seq)) {
			process_fin(tp);
		} else if (seq_gt(fin_seq, tp->rcv_nxt)) {
			tp->f |= TF_OOO_FIN;
			tp->rcv_fin_seq = fin_seq;
		}
	}
}

/* ---- listeners ---- */

static void child_inherit(struct dps_sock *c, const struct dps_sock *l)
{
	c->rcvbuf = l->rcvbuf;
	c->sndbuf = l->sndbuf;
	c->flags |= l->flags & (DPS_SF_NODELAY | DPS_SF_KEEPALIVE | DPS_SF_LINGER);
	c->linger_s = l->linger_s;
	c->user_timeout_ms = l->user_timeout_ms;
	c->keepidle_s = l->keepidle_s;
	c->keepintvl_s = l->keepintvl_s;
	c->keepcnt = l->keepcnt;
	c->maxseg = l->maxseg;
}

static struct tcp_cb *child_new(struct dps_session_worker *sw, struct dps_sock *l,
				const struct seg *g)
{
	struct dps_sock *c = dps_sock_alloc(sw, SOCK_STREAM);
	struct tcp_cb *tp;

	if (c == NULL) {
		dps_drop(sw->w, g->m, DPS_ERR_TCP_NO_SOCKETS);
		return NULL;
	}
	child_inherit(c, l);
	c->app = l->app;   /* an application's listener: FIFOs in its segment */
	c->laddr = rte_be_to_cpu_32(g->ih->dst_addr);
	c->lport = rte_be_to_cpu_16(g->th->dst_port);
	c->raddr = rte_be_to_cpu_32(g->ih->src_addr);
	c->rport = rte_be_to_cpu_16(g->th->src_port);
	c->parent = l->sd;
	tp = tcp_cb_of(sw, c);
	tp->cc = tcp_cb_of(sw, l)->cc;
	if (dps_sock_fifos(c) != 0 || dps_sock_hash(sw, c) != 0) {
		dps_sock_free(sw, c);
		dps_drop(sw->w, g->m, DPS_ERR_TCP_NO_SOCKETS);
		return NULL;
	}
	return tp;
}

static void syncookie_ack(struct dps_session_worker *sw, struct dps_sock *l, struct seg *g)
{
	struct tcp_tuple tu = {
		rte_be_to_cpu_32(g->ih->dst_addr), rte_be_to_cpu_32(g->ih->src_addr),
		rte_be_to_cpu_16(g->th->dst_port), rte_be_to_cpu_16(g->th->src_port),
	};
	struct tcp_syncookie_opts co;
	struct tcp_cb *tp;
	struct seg syn = *g;

	if (l->aq_len >= l->backlog) {
		/* Linux (tcp_abort_on_overflow 0): drop, the peer retries */
		dps_drop(sw->w, g->m, DPS_ERR_TCP_LISTEN_OVERFLOW);
		g->m = NULL;
		return;
	}
	if (tcp_syncookie_check(&sw->secret, &tu, g->seq - 1, g->ack - 1, tcp_now(sw),
				(g->o.present & TCP_OPTF_TS) != 0, g->o.tsecr, &co) != 0) {
		tcp_reply_rst(sw->w, g->ih, g->th, seg_space(g));
		dps_drop(sw->w, g->m, DPS_ERR_TCP_SYNCOOKIE_BAD);
		g->m = NULL;
		return;
	}
	tp = child_new(sw, l, g);
	if (tp == NULL) {
		g->m = NULL;
		return;
	}
	TCP_INC(sw, syncookies_ok);
	tp->f |= TF_COOKIE;
	tp->iss = g->ack - 1;
	tp->snd_una = tp->iss;          /* the ACK being processed takes it on */
	tp->snd_nxt = g->ack;
	tp->syn_rtx = 1;                /* no RTT sample: the SYN-ACK was not timed */
	tp->irs = g->seq - 1;
	tp->rcv_nxt = tp->rcv_adv = g->seq;
	/* the options the SYN had, as the cookie kept them */
	memset(&syn.o, 0, sizeof(syn.o));
	syn.o.present = TCP_OPTF_MSS;
	syn.o.mss = co.mss;
	if (co.ts) {
		syn.o.present |= TCP_OPTF_TS;
		syn.o.tsval = g->o.tsval;
		if (co.sack_ok)
			syn.o.present |= TCP_OPTF_SACKOK;
		if (co.has_wscale) {
			syn.o.present |= TCP_OPTF_WSCALE;
			syn.o.wscale = co.wscale;
		}
	}
	tp->ts_offset = g->o.tsecr - (uint32_t)(tcp_now(sw) / 1000000u);
	negotiate(tp, &syn, false);
	if (co.ts)
		tp->ts_recent = g->o.tsval;
	if (co.ecn && sw->w->st->params.tcp.ecn)
		tp->f |= TF_ECN_OK;
	tp->state = TCPS_SYN_RECEIVED;
	l->syn_len++;
	/* continue as the ACK that completes the handshake */
	conn_input(tp, tcp_sock_of(tp), g);
}

static void listen_input(struct dps_session_worker *sw, struct dps_sock *l, struct seg *g)
{
	const struct dps_tcp_params *pr = &sw->w->st->params.tcp;
	struct tcp_tuple tu;
	struct tcp_cb *tp;
	uint32_t syn_max;

	if (g->flags & RTE_TCP_RST_FLAG) {
		dps_drop(sw->w, g->m, DPS_ERR_TCP_NO_SOCKET);
		g->m = NULL;
		return;
	}
	if (g->flags & RTE_TCP_ACK_FLAG) {
		if (!(g->flags & RTE_TCP_SYN_FLAG) && pr->syncookies) {
			syncookie_ack(sw, l, g);
			return;
		}
		tcp_reply_rst(sw->w, g->ih, g->th, seg_space(g));
		dps_drop(sw->w, g->m, DPS_ERR_TCP_NO_SOCKET);
		g->m = NULL;
		return;
	}
	if (!(g->flags & RTE_TCP_SYN_FLAG)) {
		dps_drop(sw->w, g->m, DPS_ERR_TCP_BAD_FLAGS);
		g->m = NULL;
		return;
	}
	if (l->aq_len >= l->backlog) {
		/* Linux drops the SYN while the accept queue is full */
		dps_drop(sw->w, g->m, DPS_ERR_TCP_LISTEN_OVERFLOW);
		g->m = NULL;
		return;
	}
	tu.laddr = rte_be_to_cpu_32(g->ih->dst_addr);
	tu.raddr = rte_be_to_cpu_32(g->ih->src_addr);
	tu.lport = rte_be_to_cpu_16(g->th->dst_port);
	tu.rport = rte_be_to_cpu_16(g->th->src_port);
	syn_max = RTE_MIN(l->backlog, pr->syn_backlog);
	if (l->syn_len >= syn_max || pr->syncookies == 2) {
		struct tcp_syncookie_opts co = { 0 };
		struct tcp_opts mine;
		uint32_t isn, tsval;
		uint16_t mtu = 1500;

		if (!pr->syncookies) {
			TCP_INC(sw, syn_queue_drops);
			dps_drop(sw->w, g->m, DPS_ERR_TCP_LISTEN_OVERFLOW);
			g->m = NULL;
			return;
		}
		/* RFC 4987 3.6: answer from the cookie, keep no state */
		co.mss = (g->o.present & TCP_OPTF_MSS) ? g->o.mss : 536;
		co.ts = (g->o.present & TCP_OPTF_TS) && pr->timestamps;
		co.sack_ok = co.ts && (g->o.present & TCP_OPTF_SACKOK) && pr->sack;
		co.has_wscale = co.ts && (g->o.present & TCP_OPTF_WSCALE) && pr->wscale;
		co.wscale = g->o.wscale;
		co.ecn = co.ts && pr->ecn && (g->flags & RTE_TCP_ECE_FLAG) && (g->flags & RTE_TCP_CWR_FLAG);
		tsval = (uint32_t)(tcp_now(sw) / 1000000u) +
			(uint32_t)tcp_siphash24(&sw->secret, &tu, sizeof(tu));
		isn = tcp_syncookie_make(&sw->secret, &tu, g->seq, tcp_now(sw), &co, &tsval);
		memset(&mine, 0, sizeof(mine));
		ip4_src_for(sw->w->st, tu.raddr, &mtu);
		mine.present = TCP_OPTF_MSS;
		mine.mss = (uint16_t)(RTE_MIN(mtu, 65535 - 40) - 40);
		if (l->maxseg && l->maxseg < mine.mss)
			mine.mss = l->maxseg;
		if (co.ts) {
			mine.present |= TCP_OPTF_TS;
			mine.tsval = tsval;
			mine.tsecr = g->o.tsval;
		}
		if (co.sack_ok)
			mine.present |= TCP_OPTF_SACKOK;
		if (co.has_wscale) {
			mine.present |= TCP_OPTF_WSCALE;
			mine.wscale = tcp_pick_wscale(l->rcvbuf);
		}
		TCP_INC(sw, syncookies_sent);
		tcp_send_synack_stateless(sw->w, g->ih, g->th, isn, &mine);
		rte_pktmbuf_free(g->m);
		g->m = NULL;
		return;
	}
	tp = child_new(sw, l, g);
	if (tp == NULL) {
		g->m = NULL;
		return;
	}
	tp->irs = g->seq;
	tp->rcv_nxt = tp->rcv_adv = g->seq + 1;
	tp->iss = tcp_isn(&sw->secret, &tu, tcp_now(sw));
	tp->ts_offset = (uint32_t)tcp_siphash24(&sw->secret, &tu, sizeof(tu));
	tp->snd_una = tp->snd_nxt = tp->iss;
	tp->state = TCPS_SYN_RECEIVED;
	negotiate(tp, g, false);
	if (pr->ecn && (g->flags & RTE_TCP_ECE_FLAG) && (g->flags & RTE_TCP_CWR_FLAG))
		tp->f |= TF_ECN_OK;
	tp->rtx_start_ns = tcp_now(sw);
	l->syn_len++;
	tcp_send_syn(tp);
}

/* ---- entry ---- */

void dps_tcp_input(struct dps_worker *w, struct rte_mbuf *m)
{
	struct dps_session_worker *sw = w->sess;
	struct rte_ipv4_hdr *ih = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	uint32_t hl = (ih->version_ihl & 0xf) * 4u;
	uint32_t iplen = rte_be_to_cpu_16(ih->total_length), doff, src;
	struct rte_tcp_hdr *th;
	struct seg g;
	int sd;

	if (iplen < hl + sizeof(*th) || rte_pktmbuf_data_len(m) < hl + sizeof(*th)) {
		dps_drop(w, m, DPS_ERR_TCP_TRUNCATED);
		return;
	}
	th = (struct rte_tcp_hdr *)((uint8_t *)ih + hl);
	doff = (th->data_off >> 4) * 4u;
	if (doff < sizeof(*th) || hl + doff > iplen) {
		dps_drop(w, m, DPS_ERR_TCP_BAD_OFFSET);
		return;
	}
	if (rte_pktmbuf_data_len(m) < hl + doff) {
		dps_drop(w, m, DPS_ERR_TCP_TRUNCATED);
		return;
	}
	if (rte_pktmbuf_pkt_len(m) > iplen)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - iplen));
	{
		uint64_t ck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

		if (ck == RTE_MBUF_F_RX_L4_CKSUM_BAD ||
		    (ck != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
		     rte_ipv4_udptcp_cksum_mbuf_verify(m, ih, (uint16_t)hl) != 0)) {
			dps_drop(w, m, DPS_ERR_TCP_BAD_CHECKSUM);
			return;
		}
	}
	src = rte_be_to_cpu_32(ih->src_addr);
	if ((dps_priv(m)->flags & DPS_PF_BCAST) || src == 0 || src == 0xffffffffu ||
	    (src >> 28) == 0xe) {
		dps_drop(w, m, DPS_ERR_TCP_BAD_ADDR);
		return;
	}
	memset(&g, 0, sizeof(g));
	g.m = m;
	g.ih = ih;
	g.th = th;
	g.flags = th->tcp_flags;
	if (((g.flags & RTE_TCP_SYN_FLAG) && (g.flags & (RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG))) ||
	    (g.flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) == 0) {
		dps_drop(w, m, DPS_ERR_TCP_BAD_FLAGS);
		return;
	}
	if (tcp_opts_parse((const uint8_t *)(th + 1), doff - sizeof(*th), &g.o) < 0) {
		dps_drop(w, m, DPS_ERR_TCP_BAD_OPTIONS);
		return;
	}
	if (!(g.flags & RTE_TCP_SYN_FLAG))
		g.o.present &= ~(TCP_OPTF_MSS | TCP_OPTF_WSCALE | TCP_OPTF_SACKOK);
	g.seq = rte_be_to_cpu_32(th->sent_seq);
	g.ack = rte_be_to_cpu_32(th->recv_ack);
	g.wnd = rte_be_to_cpu_16(th->rx_win);
	g.len = iplen - hl - doff;
	g.off = hl + doff;
	g.ecn = ih->type_of_service & IP_ECN_MASK;
	TCP_INC(sw, segs_in);

	sd = dps_conn_lookup(sw, IPPROTO_TCP, ih->dst_addr, th->dst_port, ih->src_addr,
			     th->src_port);
	if (sd >= 0) {
		struct dps_sock *s = &sw->socks[sd];

		/* an application's FIFOs: their headers must still be ours to
		 * trust before data goes in or ACKed data out */
		if (s->app != NULL && !dps_app_sock_ok(s)) {
			dps_drop(w, m, DPS_ERR_APP_FIFO_BAD);
			return;
		}
		conn_input(tcp_cb_of(sw, s), s, &g);
	} else {
		sd = dps_listener_lookup(sw, IPPROTO_TCP, ih->dst_addr, th->dst_port);
		if (sd >= 0 && tcp_cb_of(sw, &sw->socks[sd])->state == TCPS_LISTEN) {
			listen_input(sw, &sw->socks[sd], &g);
		} else {
			tcp_reply_rst(w, ih, th, seg_space(&g));
			dps_drop(w, m, DPS_ERR_TCP_NO_SOCKET);
			return;
		}
	}
	if (g.m != NULL)
		rte_pktmbuf_free(g.m);
}

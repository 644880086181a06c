/*
 * TCP output: building segments (payload peeked from the tx FIFO),
 * deciding what may go (receive window, cwnd/pipe, Nagle, SWS, PRR),
 * retransmission of holes, the retransmission/persist and delayed-ACK
 * timers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "net/net_internal.h"
#include "tcp/tcp_internal.h"

#define TCP_HDR_ROOM (RTE_PKTMBUF_HEADROOM)

/* IPv4 ECN codepoints (RFC 3168) */
#define IP_ECN_ECT0 0x02

static void ipv4_fill(struct dps_worker *w, struct rte_ipv4_hdr *ih, uint32_t src, uint32_t dst,
		      uint16_t total, uint8_t tos)
{
	memset(ih, 0, sizeof(*ih));
	ih->version_ihl = 0x45;
	ih->type_of_service = tos;
	ih->total_length = rte_cpu_to_be_16(total);
	ih->packet_id = rte_cpu_to_be_16(w->ip_id++);
	/* Linux sets DF on TCP (path MTU discovery) */
	ih->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ih->time_to_live = w->st->params.default_ttl;
	ih->next_proto_id = IPPROTO_TCP;
	ih->src_addr = rte_cpu_to_be_32(src);
	ih->dst_addr = rte_cpu_to_be_32(dst);
}

/* Append len bytes of the tx FIFO at offset off to the mbuf chain m. */
static int append_fifo(struct rte_mempool *mp, struct rte_mbuf *m, const struct dps_fifo *f,
		       uint32_t off, uint32_t len)
{
	while (len > 0) {
		char *d;
		uint32_t n = dps_mbuf_extend(mp, m, len, &d);

		if (n == 0)
			return -ENOBUFS;
		if (dps_fifo_peek(f, off, d, n) != n)
			return -EIO;
		off += n;
		len -= n;
	}
	return 0;
}

static void tcp_cksum_out(struct rte_mbuf *m, struct rte_ipv4_hdr *ih, struct rte_tcp_hdr *th)
{
	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum_mbuf(m, ih, sizeof(*ih));
}

/* SACK blocks for an outgoing ACK: a pending D-SACK first, then the
 * out-of-order ranges held in the rx FIFO, most recent first. */
static void fill_sack(struct tcp_cb *tp, struct tcp_opts *o)
{
	struct dps_sock *s = tcp_sock_of(tp);
	struct dps_fifo_range r[TCP_SACK_MAX_BLOCKS];
	uint32_t n = 0, i, k;

	o->nsack = 0;
	if (!(tp->f & TF_SACK_OK))
		return;
	if (tp->f & TF_DSACK) {
		o->sack[o->nsack++] = tp->dsack;
		tp->f &= ~TF_DSACK;
		TCP_INC(tp->sw, dsack_tx);
	}
	if (s->rx != NULL) {
		k = dps_fifo_ooo_ranges(s->rx, r, TCP_SACK_MAX_BLOCKS);
		n = k < TCP_SACK_MAX_BLOCKS ? k : TCP_SACK_MAX_BLOCKS;
	}
	for (i = 0; i < n && o->nsack < TCP_SACK_MAX_BLOCKS; i++) {
		o->sack[o->nsack].start = tp->rcv_nxt + r[i].start;
		o->sack[o->nsack].end = tp->rcv_nxt + r[i].end;
		o->nsack++;
	}
	if (o->nsack > 0) {
		o->present |= TCP_OPTF_SACK;
		tcp_stat(tp->sw, DPS_TCP_STAT_sack_blocks_tx, o->nsack);
	}
}

uint32_t tcp_rcv_window(struct tcp_cb *tp)
{
	struct dps_sock *s = tcp_sock_of(tp);
	uint32_t free_b = s->rx != NULL ? dps_fifo_free(s->rx) : 0;
	uint32_t cap = s->rx != NULL ? dps_fifo_capacity(s->rx) : 0;
	uint32_t right = tp->rcv_nxt + free_b, wnd, max;

	if (seq_lt(right, tp->rcv_adv)) {
		right = tp->rcv_adv;     /* never shrink the window (RFC 9293 3.8.6) */
	} else if (seq_gt(tp->rcv_adv, tp->rcv_nxt) &&
		   right - tp->rcv_adv < RTE_MIN((uint32_t)tp->mss, cap / 2)) {
		/* receiver SWS avoidance: no small increases */
		right = tp->rcv_adv;
	}
	wnd = right - tp->rcv_nxt;
	max = 65535u << tp->rcv_wscale;
	if (wnd > max)
		wnd = max;
	wnd = (wnd >> tp->rcv_wscale) << tp->rcv_wscale;
	if (seq_gt(tp->rcv_nxt + wnd, tp->rcv_adv))
		tp->rcv_adv = tp->rcv_nxt + wnd;
	return wnd;
}

/*
 * Payload that fits a segment now: the MSS (which already leaves room for
 * timestamps) less the SACK blocks the next segment will carry, so that
 * a data segment with SACK never exceeds the path MTU (Linux's
 * tcp_current_mss does the same).
 */
static uint32_t seg_room(struct tcp_cb *tp)
{
	struct dps_sock *s = tcp_sock_of(tp);
	uint32_t n = 0, max = (tp->f & TF_TS_OK) ? 3 : 4;

	if (!(tp->f & TF_SACK_OK))
		return tp->mss;
	if (tp->f & TF_DSACK)
		n++;
	if (s->rx != NULL)
		n += s->rx->n_ooo;
	if (n == 0)
		return tp->mss;
	if (n > max)
		n = max;
	return tp->mss - (4 + 8 * n);
}

/*
 * Build and send one segment. seq/len: payload from the tx FIFO (len 0
 * for control segments). flags: TCP flags. Returns 0 or -ENOBUFS.
 */
static int tcp_xmit(struct tcp_cb *tp, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct dps_session_worker *sw = tp->sw;
	struct dps_worker *w = sw->w;
	struct dps_sock *s = tcp_sock_of(tp);
	struct tcp_opts o;
	uint8_t opts[TCP_OPT_MAX_LEN];
	int olen = 0;
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ih;
	struct rte_tcp_hdr *th;
	uint32_t wnd;
	uint8_t tos = 0;

	memset(&o, 0, sizeof(o));
	if (flags & RTE_TCP_SYN_FLAG) {
		o.present = TCP_OPTF_MSS;
		o.mss = tp->adv_mss;
		if (tp->state == TCPS_SYN_SENT || (tp->f & TF_SACK_OK))
			if (sw->w->st->params.tcp.sack)
				o.present |= TCP_OPTF_SACKOK;
		if (tp->state == TCPS_SYN_SENT ? sw->w->st->params.tcp.timestamps : (tp->f & TF_TS_OK)) {
			o.present |= TCP_OPTF_TS;
			o.tsval = tcp_ts_now(tp);
			o.tsecr = tp->ts_recent;
		}
		if (tp->state == TCPS_SYN_SENT ? sw->w->st->params.tcp.wscale : (tp->f & TF_WS_OK)) {
			o.present |= TCP_OPTF_WSCALE;
			o.wscale = tp->rcv_wscale;
		}
		olen = tcp_opts_build_syn(&o, opts, sizeof(opts));
	} else {
		if (tp->f & TF_TS_OK) {
			o.present |= TCP_OPTF_TS;
			o.tsval = tcp_ts_now(tp);
			o.tsecr = tp->ts_recent;
		}
		if (flags & RTE_TCP_ACK_FLAG)
			fill_sack(tp, &o);
		olen = tcp_opts_build_ack(&o, opts, sizeof(opts));
	}
	if (olen < 0)
		olen = 0;

	m = rte_pktmbuf_alloc(w->st->pool);
	if (m == NULL) {
		w->err[DPS_ERR_NO_MBUF]++;
		return -ENOBUFS;
	}
	ih = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*ih) + sizeof(*th) + olen));
	if (ih == NULL) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	/* an application's tx FIFO: its header must still be ours to trust */
	if (len > 0 && s->app != NULL && !dps_app_sock_ok(s)) {
		rte_pktmbuf_free(m);
		w->err[DPS_ERR_APP_FIFO_BAD]++;
		return -EIO;
	}
	if (len > 0 && append_fifo(w->st->pool, m, s->tx, seq - tp->snd_una, len) != 0) {
		rte_pktmbuf_free(m);
		w->err[DPS_ERR_NO_MBUF]++;
		return -ENOBUFS;
	}
	th = (struct rte_tcp_hdr *)(ih + 1);
	if ((tp->f & TF_ECN_OK) && len > 0)
		tos = IP_ECN_ECT0;
	ipv4_fill(w, ih, s->laddr, s->raddr, (uint16_t)rte_pktmbuf_pkt_len(m), tos);
	th->src_port = rte_cpu_to_be_16(s->lport);
	th->dst_port = rte_cpu_to_be_16(s->rport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	if (flags & RTE_TCP_SYN_FLAG) {
		/* RFC 7323 2.2: the window of a SYN is never scaled */
		wnd = s->rx != NULL ? RTE_MIN(dps_fifo_free(s->rx), 65535u) : 65535u;
		if (tp->state == TCPS_SYN_RECEIVED || tp->state == TCPS_SYN_SENT)
			tp->rcv_adv = tp->rcv_nxt + wnd;
		if (tp->f & TF_ECE)
			flags |= RTE_TCP_ECE_FLAG;
	} else {
		wnd = tcp_rcv_window(tp) >> tp->rcv_wscale;
		if (tp->f & TF_ECE)
			flags |= RTE_TCP_ECE_FLAG;
		if ((tp->f & TF_CWR) && len > 0) {
			flags |= RTE_TCP_CWR_FLAG;
			tp->f &= ~TF_CWR;
		}
	}
	th->recv_ack = rte_cpu_to_be_32((flags & RTE_TCP_ACK_FLAG) ? tp->rcv_nxt : 0);
	th->data_off = (uint8_t)(((sizeof(*th) + olen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16((uint16_t)RTE_MIN(wnd, 65535u));
	th->tcp_urp = 0;
	memcpy(th + 1, opts, olen);
	if (tp->csum_offload) {
		/* the port finishes it from the pseudo-header sum */
		m->l2_len = sizeof(struct rte_ether_hdr);
		m->l3_len = sizeof(*ih);
		m->l4_len = (uint16_t)(sizeof(*th) + olen);
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
		th->cksum = rte_ipv4_phdr_cksum(ih, m->ol_flags);
	} else {
		tcp_cksum_out(m, ih, th);
	}

	if (flags & RTE_TCP_ACK_FLAG) {
		tp->f &= ~(TF_ACK_NOW | TF_DELACK | TF_WND_UPDATE);
		tp->last_ack_sent = tp->rcv_nxt;
		tp->unacked_segs = 0;
		dps_timer_stop(&w->wheel, &tp->delack_timer);
	}
	tp->segs_out++;
	TCP_INC(sw, segs_out);
	tcp_stat(sw, DPS_TCP_STAT_bytes_out, len);
	tp->last_snd_ns = tcp_now(sw);
	dps_ip4_output(w, &m, 1);
	return 0;
}

void tcp_send_syn(struct tcp_cb *tp)
{
	uint8_t flags = RTE_TCP_SYN_FLAG;

	if (tp->state == TCPS_SYN_RECEIVED)
		flags |= RTE_TCP_ACK_FLAG;
	else if (tp->sw->w->st->params.tcp.ecn)
		flags |= RTE_TCP_ECE_FLAG | RTE_TCP_CWR_FLAG;   /* RFC 3168 6.1.1 */
	if (tp->state == TCPS_SYN_RECEIVED && (tp->f & TF_ECN_OK))
		flags |= RTE_TCP_ECE_FLAG;
	tp->f &= ~TF_ECE;
	tcp_xmit(tp, tp->iss, 0, flags);
	tp->snd_nxt = tp->iss + 1;
	tcp_rtx_arm(tp);
}

void tcp_send_ack(struct tcp_cb *tp)
{
	uint32_t seq = tp->snd_nxt;

	if (tcp_xmit(tp, seq, 0, RTE_TCP_ACK_FLAG) == 0)
		TCP_INC(tp->sw, acks_sent);
}

void tcp_send_probe(struct tcp_cb *tp)
{
	tcp_xmit(tp, tp->snd_una - 1, 0, RTE_TCP_ACK_FLAG);
}

void tcp_send_rst(struct tcp_cb *tp)
{
	TCP_INC(tp->sw, rst_tx);
	tcp_xmit(tp, tp->snd_nxt, 0, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
}

/* A reply to segment (ih, th) built from scratch: RST or cookie SYN-ACK. */
static void reply(struct dps_worker *w, const struct rte_ipv4_hdr *oih,
		  const struct rte_tcp_hdr *oth, uint32_t seq, uint32_t ack, uint8_t flags,
		  uint16_t wnd, const uint8_t *opts, int olen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->st->pool);
	struct rte_ipv4_hdr *ih;
	struct rte_tcp_hdr *th;

	if (m == NULL) {
		w->err[DPS_ERR_NO_MBUF]++;
		return;
	}
	ih = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*ih) + sizeof(*th) + olen));
	if (ih == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	th = (struct rte_tcp_hdr *)(ih + 1);
	ipv4_fill(w, ih, rte_be_to_cpu_32(oih->dst_addr), rte_be_to_cpu_32(oih->src_addr),
		  (uint16_t)rte_pktmbuf_pkt_len(m), 0);
	th->src_port = oth->dst_port;
	th->dst_port = oth->src_port;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((sizeof(*th) + olen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(wnd);
	th->tcp_urp = 0;
	if (olen > 0)
		memcpy(th + 1, opts, olen);
	tcp_cksum_out(m, ih, th);
	TCP_INC(w->sess, segs_out);
	dps_ip4_output(w, &m, 1);
}

void tcp_reply_rst(struct dps_worker *w, const struct rte_ipv4_hdr *ih,
		   const struct rte_tcp_hdr *th, uint32_t seg_len)
{
	/* RFC 9293 3.10.7.1: if the segment has an ACK, <SEQ=SEG.ACK><CTL=RST>;
	 * else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
	if (th->tcp_flags & RTE_TCP_RST_FLAG)
		return;
	TCP_INC(w->sess, rst_tx);
	if (th->tcp_flags & RTE_TCP_ACK_FLAG)
		reply(w, ih, th, rte_be_to_cpu_32(th->recv_ack), 0, RTE_TCP_RST_FLAG, 0, NULL, 0);
	else
		reply(w, ih, th, 0, rte_be_to_cpu_32(th->sent_seq) + seg_len,
		      RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, 0, NULL, 0);
}

void tcp_send_synack_stateless(struct dps_worker *w, const struct rte_ipv4_hdr *ih,
			       const struct rte_tcp_hdr *th, uint32_t isn,
			       const struct tcp_opts *mine)
{
	uint8_t opts[TCP_SYN_OPTS_MAX_LEN];
	int olen = tcp_opts_build_syn(mine, opts, sizeof(opts));

	if (olen < 0)
		olen = 0;
	reply(w, ih, th, isn, rte_be_to_cpu_32(th->sent_seq) + 1,
	      RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 65535, opts, olen);
}

void tcp_ack_now(struct tcp_cb *tp)
{
	tp->f |= TF_ACK_NOW;
	dps_sock_want_output(tp->sw, tcp_sock_of(tp));
}

/* Bytes of [a, b) not covered by the scoreboard. */
static uint32_t unsacked(const struct tcp_cb *tp, uint32_t a, uint32_t b)
{
	uint32_t n, i;

	if (!seq_lt(a, b))
		return 0;
	n = b - a;
	for (i = 0; i < tp->n_sb; i++) {
		uint32_t s = seq_max(tp->sb[i].start, a), e = seq_min(tp->sb[i].end, b);

		if (seq_lt(s, e))
			n -= e - s;
	}
	return n;
}

uint32_t tcp_pipe(const struct tcp_cb *tp)
{
	uint32_t flight = tp->snd_nxt - tp->snd_una, lost, p;

	if (!(tp->f & (TF_RECOVERY | TF_LOSS)))
		return flight > tp->sacked_bytes ? flight - tp->sacked_bytes : 0;
	if (!(tp->f & TF_SACK_OK) && (tp->f & TF_RECOVERY)) {
		/* NewReno: each dup ACK is a segment that left the network */
		uint32_t gone = tp->dupacks * tp->mss;

		return flight > gone ? flight - gone : 0;
	}
	lost = unsacked(tp, seq_max(tp->rxt_nxt, tp->snd_una), tp->rxt_end);
	p = flight - tp->sacked_bytes;
	return p > lost ? p - lost : 0;
}

/* Next range to retransmit at or after rxt_nxt, below rxt_end, not SACKed:
 * start in *start, length (<= mss) returned, 0 if none. */
static uint32_t next_hole(struct tcp_cb *tp, uint32_t *start)
{
	uint32_t a = seq_max(tp->rxt_nxt, tp->snd_una), i;

	while (seq_lt(a, tp->rxt_end)) {
		uint32_t e = tp->rxt_end;
		bool covered = false;

		for (i = 0; i < tp->n_sb; i++) {
			if (seq_leq(tp->sb[i].start, a) && seq_lt(a, tp->sb[i].end)) {
				a = tp->sb[i].end;
				covered = true;
				break;
			}
			if (seq_gt(tp->sb[i].start, a) && seq_lt(tp->sb[i].start, e))
				e = tp->sb[i].start;
		}
		if (covered)
			continue;
		*start = a;
		return min_u32(e - a, seg_room((struct tcp_cb *)tp));
	}
	return 0;
}

/* Retransmit [seq, seq+len) (a FIN if it is at fin_seq). */
static int retransmit(struct tcp_cb *tp, uint32_t seq, uint32_t len)
{
	uint8_t flags = RTE_TCP_ACK_FLAG;
	int r;

	if ((tp->f & TF_FIN_SENT) && seq_geq(seq + len, tp->fin_seq)) {
		len = tp->fin_seq - seq;     /* data up to the FIN, then the FIN */
		flags |= RTE_TCP_FIN_FLAG;
	}
	if (len > 0)
		flags |= RTE_TCP_PSH_FLAG;
	r = tcp_xmit(tp, seq, len, flags);
	if (r != 0)
		return r;
	tp->retrans_segs++;
	TCP_INC(tp->sw, retrans_segs);
	tcp_stat(tp->sw, DPS_TCP_STAT_retrans_bytes, len);
	if (tp->f & TF_RECOVERY) {
		tcp_prr_on_sent(&tp->prr, len ? len : 1);
		tp->undo_retrans++;
	}
	if (seq == tp->snd_una) {
		tp->lrt_seq = seq;
		tp->lrt_nxt = tp->snd_nxt;
		tp->f |= TF_LRT;
	}
	/* Karn: an RTT sample must not come from retransmitted data */
	if ((tp->f & TF_RTT_TIMING) && seq_leq(seq, tp->rtt_seq))
		tp->f &= ~TF_RTT_TIMING;
	return 0;
}

void tcp_rtx_arm(struct tcp_cb *tp)
{
	uint64_t t = tp->rtt.rto;

	tp->f &= ~(TF_PERSIST | TF_TLP_ARMED | TF_RACK_ARMED);
	/* in fast recovery (the path delivers: dup ACKs came), a
	 * retransmission not ACKed within about an RTT is lost too (RFC 8985
	 * 6.2's idea, with the recovery's own timer): without this a lost
	 * retransmission waits for the full RTO. After an RTO the path has
	 * shown nothing, and the RTO backs off (RFC 6298 5.5). */
	if ((tp->f & TF_RECOVERY) && (tp->f & TF_SACK_OK) && tp->rtt.has_sample &&
	    tp->rack_fires < 2) {
		uint64_t rack = 2 * tp->rtt.srtt + 2000000ull;

		if (rack < t) {
			dps_timer_start_in(&tp->sw->w->wheel, &tp->rtx_timer, rack);
			tp->f |= TF_RACK_ARMED;
			return;
		}
	}
	/* RFC 8985 7.2: a tail loss probe before the RTO, once per episode,
	 * with SACK, outside recovery, once the RTT is known */
	if ((tp->f & TF_SACK_OK) && !(tp->f & (TF_RECOVERY | TF_LOSS | TF_TLP_SENT)) &&
	    tp->rtt.has_sample && tp->state >= TCPS_ESTABLISHED && tp->state != TCPS_TIME_WAIT) {
		/* Linux: 2*SRTT plus 2 ms, plus the peer's worst delayed ACK
		 * (RFC 8985 WCDelAckT) when one segment is out */
		uint64_t pto = 2 * tp->rtt.srtt + 2000000ull;

		if (tp->snd_nxt - tp->snd_una <= tp->mss)
			pto += 200000000ull;
		if (pto < t) {
			t = pto;
			tp->f |= TF_TLP_ARMED;
		}
	}
	/* Linux tcp_clamp_rto_to_user_timeout: never wait past the moment
	 * TCP_USER_TIMEOUT gives up */
	{
		struct dps_sock *s = tcp_sock_of(tp);

		if (s->user_timeout_ms != 0 && tp->snd_nxt != tp->snd_una) {
			uint64_t now = tcp_now(tp->sw);
			uint64_t end = tp->rtx_start_ns + (uint64_t)s->user_timeout_ms * 1000000ull;

			if (now + t > end)
				t = end > now ? end - now : 0;
		}
	}
	dps_timer_start_in(&tp->sw->w->wheel, &tp->rtx_timer, t);
}

static void persist_arm(struct tcp_cb *tp)
{
	uint64_t t = tp->rtt.rto;

	/* the persist timer backs off like the RTO, 200 ms .. 120 s */
	t <<= RTE_MIN(tp->rtx_count, 10);
	if (t > TCP_RTO_MAX_NS)
		t = TCP_RTO_MAX_NS;
	if (t < TCP_RTO_MIN_NS)
		t = TCP_RTO_MIN_NS;
	tp->f &= ~(TF_TLP_ARMED | TF_RACK_ARMED);
	tp->f |= TF_PERSIST;
	dps_timer_start_in(&tp->sw->w->wheel, &tp->rtx_timer, t);
}

void tcp_output(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);
	unsigned sent = 0, budget = 256;
	bool limited;

	switch (tp->state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_FIN_WAIT_1:
	case TCPS_CLOSING:
	case TCPS_LAST_ACK:
		break;
	case TCPS_FIN_WAIT_2:
	case TCPS_TIME_WAIT:
		if (tp->f & TF_ACK_NOW)
			tcp_send_ack(tp);
		return;
	default:
		return;
	}

	/* 1. retransmissions (RFC 6675 NextSeg rule 1; NewReno's one segment) */
	if (tp->f & (TF_RECOVERY | TF_LOSS)) {
		while (budget-- > 0) {
			uint32_t start, len, pipe = tcp_pipe(tp);

			if (pipe >= tp->ccs.cwnd)
				break;
			len = next_hole(tp, &start);
			if (len == 0)
				break;
			if (retransmit(tp, start, len) != 0)
				break;
			if (tp->f & TF_RECOVERY) {
				TCP_INC(sw, fast_retransmits);
				tp->fast_rtx++;
				if (tp->f & TF_SACK_OK)
					TCP_INC(sw, sack_retrans);
			}
			tp->rxt_nxt = start + (len ? len : 1);
			sent++;
		}
	}

	/* 2. new data, then the FIN */
	limited = !(tp->f & (TF_RECOVERY | TF_LOSS)) && tp->dupacks > 0 && tp->dupacks < 3;
	while (budget-- > 0) {
		uint32_t unsent = tcp_unsent(tp), usable, room, len, pipe, cwnd, win_end, full;
		bool fin = false, nagle_ok;
		uint8_t flags = RTE_TCP_ACK_FLAG;

		if (tp->f & TF_FIN_SENT)
			break;
		win_end = tp->snd_una + tp->snd_wnd;
		usable = seq_gt(win_end, tp->snd_nxt) ? win_end - tp->snd_nxt : 0;
		pipe = tcp_pipe(tp);
		cwnd = tp->ccs.cwnd;
		/* RFC 3042 limited transmit: one new segment per dup ACK 1 and 2 */
		if (limited)
			cwnd += tp->dupacks * tp->mss;
		room = cwnd > pipe ? cwnd - pipe : 0;
		full = seg_room(tp);
		len = min_u32(min_u32(unsent, full), min_u32(usable, room));
		if ((tp->f & TF_FIN_QUEUED) && len == unsent &&
		    (seq_lt(tp->snd_nxt + len, win_end) || tp->snd_wnd == 0 || len == 0))
			fin = true;
		if (len == 0 && !fin) {
			if (unsent > 0 && room == 0)
				tp->f |= TF_CWND_LIMITED;
			break;
		}
		if (len < unsent && len < full) {
			/* a partial segment while more is waiting: sender SWS
			 * avoidance (RFC 9293 3.8.6.2.1) unless it is half the
			 * largest window the peer offered, or nothing is in
			 * flight to bring a larger window (the override, taken
			 * at once as Linux does: the window then fills and the
			 * persist timer takes over) */
			if ((len < tp->max_snd_wnd / 2 && tp->snd_nxt != tp->snd_una) ||
			    room < full) {
				if (room < full && usable >= full)
					tp->f |= TF_CWND_LIMITED;
				break;
			}
		}
		if (len == unsent && len < full && !fin) {
			/* Nagle (RFC 896): one small segment in flight at most */
			nagle_ok = (s->flags & DPS_SF_NODELAY) || tp->snd_nxt == tp->snd_una;
			if (!nagle_ok)
				break;
		}
		if (len > 0 && len == unsent)
			flags |= RTE_TCP_PSH_FLAG;
		if (fin)
			flags |= RTE_TCP_FIN_FLAG;
		if (tp->snd_nxt == tp->snd_una)
			tp->rtx_start_ns = tcp_now(sw);   /* the oldest unACKed byte's send time */
		if (tcp_xmit(tp, tp->snd_nxt, len, flags) != 0)
			break;
		if (!(tp->f & TF_RTT_TIMING) && len > 0) {
			tp->f |= TF_RTT_TIMING;
			tp->rtt_seq = tp->snd_nxt;
			tp->rtt_start_ns = tcp_now(sw);
		}
		if (limited)
			TCP_INC(sw, limited_transmit);
		if (tp->f & TF_RECOVERY)
			tcp_prr_on_sent(&tp->prr, len + fin);
		tp->snd_nxt += len + fin;
		if (fin)
			tp->f |= TF_FIN_SENT;
		sent++;
		/* RFC 8985 7.2: the probe timer restarts with new data */
		if (!dps_timer_pending(&tp->rtx_timer) || (tp->f & (TF_PERSIST | TF_TLP_ARMED)) ||
		    (!(tp->f & (TF_RECOVERY | TF_LOSS | TF_TLP_SENT)) && (tp->f & TF_SACK_OK)))
			tcp_rtx_arm(tp);
		if (pipe + len >= tp->ccs.cwnd)
			tp->f |= TF_CWND_LIMITED;
	}

	/* 3. zero window with data waiting and nothing in flight: persist */
	if (tcp_unsent(tp) > 0 && tp->snd_nxt == tp->snd_una && tp->snd_wnd == 0 &&
	    !dps_timer_pending(&tp->rtx_timer))
		persist_arm(tp);

	/* 4. an ACK that no segment carried */
	if (sent == 0 && (tp->f & TF_ACK_NOW)) {
		if (tp->f & TF_WND_UPDATE)
			TCP_INC(sw, window_updates);
		tcp_send_ack(tp);
	}
}

/* ---- timers ---- */

void tcp_delack_fire(struct dps_wheel *wh, struct dps_timer *t, uint64_t now)
{
	struct tcp_cb *tp = dps_timer_owner(t, struct tcp_cb, delack_timer);

	if (!(tp->f & TF_DELACK))
		return;
	TCP_INC(tp->sw, delayed_acks);
	tcp_send_ack(tp);
}

static bool give_up(struct tcp_cb *tp, uint64_t now, uint32_t retries)
{
	struct dps_sock *s = tcp_sock_of(tp);

	/* RFC 5482 / Linux: TCP_USER_TIMEOUT replaces the retry count */
	if (s->user_timeout_ms != 0)
		return now - tp->rtx_start_ns >= (uint64_t)s->user_timeout_ms * 1000000ull;
	return tp->rtx_count >= retries;
}

void tcp_rtx_fire(struct dps_wheel *wh, struct dps_timer *t, uint64_t now)
{
	struct tcp_cb *tp = dps_timer_owner(t, struct tcp_cb, rtx_timer);
	struct dps_session_worker *sw = tp->sw;
	struct dps_sock *s = tcp_sock_of(tp);
	const struct dps_tcp_params *pr = &sw->w->st->params.tcp;

	if (tp->f & TF_RACK_ARMED) {
		tp->f &= ~TF_RACK_ARMED;
		if (tp->snd_nxt == tp->snd_una) {
			dps_sock_want_output(sw, s);   /* a zero window may need the persist timer */
			return;
		}
		if (tp->f & TF_RECOVERY) {
			tp->rack_fires++;
			tp->rxt_nxt = tp->snd_una;
			TCP_INC(sw, lost_retransmits);
			if (tp->ccs.cwnd < tcp_pipe(tp) + tp->mss)
				tp->ccs.cwnd = tcp_pipe(tp) + tp->mss;
			tcp_output(sw, s);
		}
		tcp_rtx_arm(tp);
		return;
	}
	if (tp->f & TF_TLP_ARMED) {
		uint32_t flight = tp->snd_nxt - tp->snd_una, len;

		tp->f &= ~TF_TLP_ARMED;
		if (flight == 0) {
			dps_sock_want_output(sw, s);   /* a zero window may need the persist timer */
			return;
		}
		/* RFC 8985 7.3: probe with the last segment so that its ACK
		 * (with SACK) shows what the tail lost */
		len = min_u32(flight, seg_room(tp));
		tp->f |= TF_TLP_SENT;
		TCP_INC(sw, tlp_probes);
		retransmit(tp, tp->snd_nxt - len, len);
		tcp_rtx_arm(tp);
		return;
	}
	if (tp->f & TF_PERSIST) {
		tp->f &= ~TF_PERSIST;
		if (tcp_unsent(tp) == 0 || tp->snd_wnd > 0 || tp->snd_nxt != tp->snd_una) {
			tp->rtx_count = 0;
			dps_sock_want_output(sw, s);
			return;
		}
		if (tp->rtx_count == 0)
			tp->rtx_start_ns = now;
		if (s->user_timeout_ms != 0 && give_up(tp, now, UINT32_MAX)) {
			TCP_INC(sw, timeouts);
			tcp_abort(sw, s, true);
			if (s->used)
				s->so_error = ETIMEDOUT;
			return;
		}
		TCP_INC(sw, persist_probes);
		tcp_send_probe(tp);
		if (tp->rtx_count < 255)
			tp->rtx_count++;
		persist_arm(tp);
		return;
	}

	switch (tp->state) {
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
		if (give_up(tp, now, tp->state == TCPS_SYN_SENT ? pr->syn_retries : pr->synack_retries)) {
			TCP_INC(sw, timeouts);
			tcp_done(tp, ETIMEDOUT);
			return;
		}
		tp->rtx_count++;
		tp->syn_rtx++;
		TCP_INC(sw, syn_retrans);
		TCP_INC(sw, retrans_segs);
		tp->retrans_segs++;
		tcp_rtt_backoff(&tp->rtt);
		tp->f &= ~TF_RTT_TIMING;
		tcp_send_syn(tp);
		return;
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_FIN_WAIT_1:
	case TCPS_CLOSING:
	case TCPS_LAST_ACK:
		break;
	default:
		return;
	}
	if (tp->snd_nxt == tp->snd_una)
		return;   /* everything ACKed meanwhile */
	if (give_up(tp, now, pr->retries2)) {
		TCP_INC(sw, timeouts);
		tcp_abort(sw, s, true);
		if (s->used)
			s->so_error = ETIMEDOUT;
		return;
	}
	TCP_INC(sw, rto_events);
	tp->rto_events++;
	tp->ccs.flight = tp->snd_nxt - tp->snd_una;
	if (tp->rtx_count == 0 || !(tp->f & TF_LOSS)) {
		/* RFC 5681 eq. 4 on the first timeout of an episode */
		tp->cc->on_rto(&tp->ccs, now);
	} else {
		tp->ccs.cwnd = tp->mss;
	}
	tp->f &= ~(TF_RECOVERY | TF_RTT_TIMING | TF_UNDO_OK);
	tp->f |= TF_LOSS;
	tp->recover = tp->snd_nxt;
	tp->rxt_nxt = tp->snd_una;
	tp->rxt_end = tp->snd_nxt;
	tp->dupacks = 0;
	tp->rtx_count++;
	tcp_rtt_backoff(&tp->rtt);
	tcp_output(sw, s);
	tcp_rtx_arm(tp);
}

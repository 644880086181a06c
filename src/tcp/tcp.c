/*
 * TCP socket glue: what the session layer calls for a TCP socket, the
 * connection's life (states, MSS, TIME-WAIT, freeing), options, counters.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "net/net_internal.h"
#include "tcp/tcp_internal.h"

static const char *const stat_names[] = {
#define TCP_STAT(sym, str) #sym,
#include "tcp/tcp_stats.def"
#undef TCP_STAT
};
static const char *const stat_strs[] = {
#define TCP_STAT(sym, str) str,
#include "tcp/tcp_stats.def"
#undef TCP_STAT
};

const char *dps_tcp_stat_name(unsigned i)
{
	return i < DPS_TCP_STAT__MAX ? stat_names[i] : "?";
}

const char *dps_tcp_stat_str(unsigned i)
{
	return i < DPS_TCP_STAT__MAX ? stat_strs[i] : "?";
}

_Static_assert(DPS_TCP_STAT__MAX <= DPS_TCP_STATS_MAX, "grow DPS_TCP_STATS_MAX");

static void stats_raw(const struct dps_stack *st, uint64_t out[DPS_TCP_STAT__MAX])
{
	unsigned i, k;

	memset(out, 0, sizeof(uint64_t) * DPS_TCP_STAT__MAX);
	for (i = 0; i < st->n_workers; i++) {
		const struct dps_session_worker *sw = st->workers[i]->sess;

		if (sw == NULL)
			continue;
		for (k = 0; k < DPS_TCP_STAT__MAX; k++)
			out[k] += sw->tcp_stats[k];
	}
}

void dps_tcp_stats_get(const struct dps_stack *st, uint64_t out[DPS_TCP_STAT__MAX])
{
	unsigned k;

	stats_raw(st, out);
	for (k = 0; k < DPS_TCP_STAT__MAX; k++)
		out[k] -= st->tcp_base[k];
}

void dps_tcp_stats_clear(struct dps_stack *st)
{
	stats_raw(st, st->tcp_base);
}

void dps_tcp_params_default(struct dps_tcp_params *p)
{
	memset(p, 0, sizeof(*p));
	p->msl_ms = 30000;            /* TIME-WAIT 60 s, as Linux's TCP_TIMEWAIT_LEN */
	p->syn_retries = 6;
	p->synack_retries = 5;
	p->retries2 = 15;
	p->fin_timeout_ms = 60000;
	p->keepidle_s = 7200;
	p->keepintvl_s = 75;
	p->keepcnt = 9;
	p->delack_ms = 40;
	p->syn_backlog = 128;
	p->syncookies = 1;
	p->ecn = 0;
	p->sack = 1;
	p->timestamps = 1;
	p->wscale = 1;
	p->challenge_ack_limit = 1000;
	strcpy(p->cc, TCP_CC_DEFAULT);
}

static const char *const state_names[] = {
	[TCPS_CLOSED] = "CLOSED",
	[TCPS_LISTEN] = "LISTEN",
	[TCPS_SYN_SENT] = "SYN_SENT",
	[TCPS_SYN_RECEIVED] = "SYN_RECV",
	[TCPS_ESTABLISHED] = "ESTABLISHED",
	[TCPS_FIN_WAIT_1] = "FIN_WAIT1",
	[TCPS_FIN_WAIT_2] = "FIN_WAIT2",
	[TCPS_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCPS_CLOSING] = "CLOSING",
	[TCPS_LAST_ACK] = "LAST_ACK",
	[TCPS_TIME_WAIT] = "TIME_WAIT",
};

const char *tcp_state_name(uint8_t state)
{
	return state < RTE_DIM(state_names) ? state_names[state] : "?";
}

void tcp_sock_init(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);
	const struct dps_tcp_params *pr = &sw->w->st->params.tcp;

	memset(tp, 0, sizeof(*tp));
	tp->sw = sw;
	tp->sd = s->sd;
	tp->state = TCPS_CLOSED;
	tp->dupthresh = 3;
	tp->cc = tcp_cc_find(pr->cc);
	if (tp->cc == NULL)
		tp->cc = tcp_cc_default();
	tcp_rtt_init(&tp->rtt, 0, 0, 0);
	tcp_timers_init(tp);
	s->keepidle_s = pr->keepidle_s;
	s->keepintvl_s = pr->keepintvl_s;
	s->keepcnt = pr->keepcnt;
}

/* A connection leaving SYN-RECEIVED without being established frees its
 * place in the listener's SYN queue. */
static void syn_unlink(struct dps_session_worker *sw, struct dps_sock *s, struct tcp_cb *tp)
{
	if (tp->state == TCPS_SYN_RECEIVED && s->parent >= 0 && !(s->flags & DPS_SF_ACCEPTQ)) {
		struct dps_sock *l = dps_sock_get(sw, s->parent);

		if (l != NULL && l->syn_len > 0)
			l->syn_len--;
		s->parent = -1;
	}
}

void tcp_sock_destroy(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);

	tcp_timers_stop(tp);
	syn_unlink(sw, s, tp);
	tp->state = TCPS_CLOSED;
}

uint8_t tcp_pick_wscale(uint32_t cap)
{
	uint8_t ws = 0;

	while (ws < TCP_WSCALE_MAX && (65535u << ws) < cap)
		ws++;
	return ws;
}

void tcp_set_mss(struct tcp_cb *tp, uint16_t peer_mss)
{
	struct dps_sock *s = tcp_sock_of(tp);
	uint16_t route_mtu = 1500, mss;

	struct dps_iface *ifp = ip4_out_if(tp->sw->w->st, s->raddr);

	ip4_src_for(tp->sw->w->st, s->raddr, &route_mtu);
	tp->csum_offload = ifp != NULL && (ifp->tx_offload & RTE_ETH_TX_OFFLOAD_TCP_CKSUM);
	if (route_mtu > 65535 - 40)
		route_mtu = 65535 - 40;
	tp->peer_mss = peer_mss != 0 ? peer_mss : 536;   /* RFC 9293 3.7.1 default */
	mss = (uint16_t)(route_mtu - 40);
	if (s->maxseg != 0 && s->maxseg < mss)
		mss = s->maxseg;
	tp->adv_mss = mss;
	if (tp->peer_mss < mss)
		mss = tp->peer_mss;
	if (tp->f & TF_TS_OK)
		mss -= 12;   /* NOP NOP TS on every segment */
	if (mss < 64)
		mss = 64;
	tp->mss = mss;
	tp->ccs.mss = mss;
}

void tcp_cc_start(struct tcp_cb *tp)
{
	tp->ccs.mss = tp->mss;
	tp->cc->init(&tp->ccs, tcp_now(tp->sw));
}

void tcp_set_state(struct tcp_cb *tp, uint8_t state)
{
	struct dps_session_worker *sw = tp->sw;

	if (state == TCPS_ESTABLISHED && tp->state != TCPS_ESTABLISHED)
		TCP_INC(sw, established);
	tp->state = state;
	dps_sock_notify(sw, tcp_sock_of(tp));
}

static void keep_fire(struct dps_wheel *wh, struct dps_timer *t, uint64_t now);

void tcp_keepalive_arm(struct tcp_cb *tp)
{
	struct dps_sock *s = tcp_sock_of(tp);

	if (tp->state != TCPS_ESTABLISHED && tp->state != TCPS_CLOSE_WAIT)
		return;
	if (!(s->flags & DPS_SF_KEEPALIVE)) {
		dps_timer_stop(&tp->sw->w->wheel, &tp->keep_timer);
		return;
	}
	dps_timer_start_at(&tp->sw->w->wheel, &tp->keep_timer,
			   tp->last_rcv_ns + (uint64_t)s->keepidle_s * 1000000000ull);
}

/* keep_timer: keepalive in the synchronized states, the FIN-WAIT-2 orphan
 * timeout, and the end of TIME-WAIT */
static void keep_fire(struct dps_wheel *wh, struct dps_timer *t, uint64_t now)
{
	struct tcp_cb *tp = dps_timer_owner(t, struct tcp_cb, keep_timer);
	struct dps_sock *s = tcp_sock_of(tp);
	uint64_t idle, next;

	switch (tp->state) {
	case TCPS_TIME_WAIT:
		tcp_done(tp, 0);
		return;
	case TCPS_FIN_WAIT_2:
		/* Linux tcp_fin_timeout: an orphan waits this long for the FIN */
		tcp_done(tp, 0);
		return;
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		break;
	default:
		return;
	}
	if (!(s->flags & DPS_SF_KEEPALIVE))
		return;
	idle = now - tp->last_rcv_ns;
	if (idle < (uint64_t)s->keepidle_s * 1000000000ull) {
		tp->keep_probes = 0;
		tcp_keepalive_arm(tp);
		return;
	}
	/* Linux: with TCP_USER_TIMEOUT set, it bounds keepalive too */
	if (tp->keep_probes >= s->keepcnt ||
	    (s->user_timeout_ms != 0 && idle >= (uint64_t)s->user_timeout_ms * 1000000ull &&
	     tp->keep_probes > 0)) {
		TCP_INC(tp->sw, timeouts);
		tcp_abort(tp->sw, s, true);
		if (s->used)
			s->so_error = ETIMEDOUT;
		return;
	}
	tp->keep_probes++;
	TCP_INC(tp->sw, keepalive_probes);
	tcp_send_probe(tp);
	next = now + (uint64_t)s->keepintvl_s * 1000000000ull;
	dps_timer_start_at(wh, t, next);
}

void tcp_timers_init(struct tcp_cb *tp)
{
	dps_timer_init(&tp->keep_timer, keep_fire);
	dps_timer_init(&tp->rtx_timer, tcp_rtx_fire);
	dps_timer_init(&tp->delack_timer, tcp_delack_fire);
}

void tcp_timers_stop(struct tcp_cb *tp)
{
	struct dps_wheel *wh = &tp->sw->w->wheel;

	dps_timer_stop(wh, &tp->rtx_timer);
	dps_timer_stop(wh, &tp->delack_timer);
	dps_timer_stop(wh, &tp->keep_timer);
}

void tcp_enter_time_wait(struct tcp_cb *tp)
{
	struct dps_wheel *wh = &tp->sw->w->wheel;
	struct dps_sock *s = tcp_sock_of(tp);

	tp->state = TCPS_TIME_WAIT;
	dps_timer_stop(wh, &tp->rtx_timer);
	dps_timer_stop(wh, &tp->delack_timer);
	dps_timer_start_in(wh, &tp->keep_timer,
			   2ull * tp->sw->w->st->params.tcp.msl_ms * 1000000ull);
	/* the FIFOs are not needed any more: give the memory back now */
	if (s->flags & DPS_SF_APP_CLOSED)
		dps_sock_fifos_release(s);
	dps_sock_notify(tp->sw, s);
}

void tcp_done(struct tcp_cb *tp, int err)
{
	struct dps_session_worker *sw = tp->sw;
	struct dps_sock *s = tcp_sock_of(tp);

	tcp_timers_stop(tp);
	syn_unlink(sw, s, tp);
	if (err != 0 && s->so_error == 0)
		s->so_error = err;
	if (err != 0)
		tp->f |= TF_RESET;
	dps_sock_unhash(sw, s);
	if ((s->flags & DPS_SF_APP_CLOSED) || (s->flags & DPS_SF_ACCEPTQ) ||
	    (tp->state == TCPS_SYN_RECEIVED && !(tp->f & TF_ACTIVE))) {
		/* nobody holds it (or only a listener's queue): free */
		tp->state = TCPS_CLOSED;
		TCP_INC(sw, closed);
		dps_sock_free(sw, s);
		return;
	}
	tp->state = TCPS_CLOSED;
	TCP_INC(sw, closed);
	dps_sock_notify(sw, s);
}

void tcp_abort(struct dps_session_worker *sw, struct dps_sock *s, bool send_rst)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);

	if (send_rst && tp->state >= TCPS_SYN_RECEIVED && tp->state != TCPS_TIME_WAIT)
		tcp_send_rst(tp);
	if (tp->state != TCPS_CLOSED && tp->state != TCPS_LISTEN)
		TCP_INC(sw, aborted);
	if (tp->state == TCPS_LISTEN || tp->state == TCPS_CLOSED) {
		tp->state = TCPS_CLOSED;
		if (s->flags & DPS_SF_APP_CLOSED)
			dps_sock_free(sw, s);
		return;
	}
	tcp_done(tp, ECONNRESET);
}

bool tcp_can_listen(struct dps_session_worker *sw, struct dps_sock *s)
{
	uint8_t st = tcp_cb_of(sw, s)->state;

	return st == TCPS_CLOSED || st == TCPS_LISTEN;
}

void tcp_listen(struct dps_session_worker *sw, struct dps_sock *s)
{
	tcp_cb_of(sw, s)->state = TCPS_LISTEN;
}

void tcp_listen_close(struct dps_session_worker *sw, struct dps_sock *s)
{
	uint32_t i;

	/* connections still in SYN-RECEIVED under this listener go too */
	for (i = 0; i < sw->max_socks && s->syn_len > 0; i++) {
		struct dps_sock *c = &sw->socks[i];

		if (c->used && c->parent == s->sd && c->proto == IPPROTO_TCP &&
		    tcp_cb_of(sw, c)->state == TCPS_SYN_RECEIVED) {
			c->flags |= DPS_SF_APP_CLOSED;
			tcp_abort(sw, c, true);
		}
	}
	tcp_cb_of(sw, s)->state = TCPS_CLOSED;
}

int tcp_connect_check(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);

	switch (tp->state) {
	case TCPS_CLOSED:
		if (tp->f & TF_ACTIVE)   /* a connect that ended: Linux says EISCONN / error */
			return s->so_error != 0 ? -ECONNABORTED : -EISCONN;
		return 0;
	case TCPS_LISTEN:
		return -EINVAL;
	case TCPS_SYN_SENT:
		return -EALREADY;
	default:
		return -EISCONN;
	}
}

int tcp_connect(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);
	struct tcp_tuple tu = { s->laddr, s->raddr, s->lport, s->rport };
	int r = dps_sock_fifos(s);

	if (r != 0) {
		dps_sock_unhash(sw, s);
		return r;
	}
	tp->f |= TF_ACTIVE;
	tp->iss = tcp_isn(&sw->secret, &tu, tcp_now(sw));
	tp->ts_offset = (uint32_t)tcp_siphash24(&sw->secret, &tp->iss, sizeof(tp->iss));
	tp->snd_una = tp->snd_nxt = tp->iss;
	tp->rcv_wscale = tcp_pick_wscale(s->rcvbuf);
	tcp_set_mss(tp, 0);
	tp->state = TCPS_SYN_SENT;
	tp->rtx_start_ns = tcp_now(sw);
	TCP_INC(sw, active_opens);
	tcp_send_syn(tp);
	return -EINPROGRESS;
}

uint32_t tcp_unsent(const struct tcp_cb *tp)
{
	const struct dps_sock *s = &tp->sw->socks[tp->sd];
	uint32_t used = s->tx != NULL ? dps_fifo_used(s->tx) : 0;
	uint32_t sent = tp->snd_nxt - tp->snd_una;

	if (tp->snd_una == tp->iss)      /* SYN not ACKed yet */
		return used;
	if (tp->f & TF_FIN_SENT)
		return 0;
	return used > sent ? used - sent : 0;
}

ssize_t tcp_send(struct dps_session_worker *sw, struct dps_sock *s, const void *buf,
		 size_t len, int flags)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);
	uint32_t n;

	if (s->so_error != 0 && (tp->state == TCPS_CLOSED)) {
		int e = s->so_error;

		s->so_error = 0;
		return -e;
	}
	switch (tp->state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		break;
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
		return -EAGAIN;
	case TCPS_CLOSED:
	case TCPS_LISTEN:
		return (tp->f & TF_ACTIVE) || (tp->f & TF_RESET) ? -EPIPE : -ENOTCONN;
	default:
		return -EPIPE;
	}
	if ((s->flags & DPS_SF_SHUT_WR) || (tp->f & TF_FIN_QUEUED))
		return -EPIPE;
	if (len == 0)
		return 0;
	n = dps_fifo_enqueue(s->tx, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	if (n > len)
		n = (uint32_t)len;
	if (n == 0)
		return -EAGAIN;
	s->tx_bytes += n;
	/* MSG_MORE is TCP_CORK for one call: let the next write fill the segment */
	if (!(flags & MSG_MORE))
		dps_sock_want_output(sw, s);
	return n;
}

/*
 * After the owner read: when the window we could offer grew by two
 * segments or half the buffer over before, the window the peer knew
 * (receiver SWS avoidance, RFC 9293 3.8.6.2.2), tell it at the end of
 * the pass.
 */
static void wnd_update_check(struct tcp_cb *tp, struct dps_sock *s, uint32_t before)
{
	if (tp->state >= TCPS_ESTABLISHED && tp->state != TCPS_TIME_WAIT) {
		uint32_t free_now = dps_fifo_free(s->rx);
		uint32_t thresh = RTE_MIN(2u * tp->mss, dps_fifo_capacity(s->rx) / 2);

		if (free_now >= before + thresh || (before < tp->mss && free_now >= tp->mss)) {
			tp->f |= TF_WND_UPDATE;
			tcp_ack_now(tp);
		}
	}
}

ssize_t tcp_recv(struct dps_session_worker *sw, struct dps_sock *s, void *buf, size_t len,
		 int flags)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);
	uint32_t avail = s->rx != NULL ? dps_fifo_max_dequeue(s->rx) : 0, n;
	uint32_t before;

	if (avail == 0) {
		if (s->so_error != 0) {
			int e = s->so_error;

			s->so_error = 0;
			return -e;
		}
		if ((tp->f & TF_RCVD_FIN) || (s->flags & DPS_SF_SHUT_RD))
			return 0;
		if (tp->state == TCPS_CLOSED || tp->state == TCPS_LISTEN)
			return (tp->f & TF_RESET) ? 0 : -ENOTCONN;
		return -EAGAIN;
	}
	if (len == 0)
		return 0;
	n = avail < len ? avail : (uint32_t)len;
	if (flags & MSG_PEEK)
		return dps_fifo_peek(s->rx, 0, buf, n);
	before = tcp_rcv_window(tp);
	n = dps_fifo_dequeue(s->rx, buf, n);
	wnd_update_check(tp, s, before);
	return n;
}

int tcp_tx_notify(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);

	switch (tp->state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		break;
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
		return 0;   /* sent once established */
	default:
		return -EPIPE;
	}
	if ((s->flags & DPS_SF_SHUT_WR) || (tp->f & TF_FIN_QUEUED))
		return -EPIPE;
	dps_sock_want_output(sw, s);
	return 0;
}

void tcp_rx_notify(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);

	if (s->rx == NULL)
		return;
	/* what the peer may still send: the window it was last told */
	wnd_update_check(tp, s, seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0);
}

int tcp_shutdown(struct dps_session_worker *sw, struct dps_sock *s, int how)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);

	if (tp->state == TCPS_LISTEN) {
		/* Linux: shutdown of a listener stops listening */
		return 0;
	}
	if (tp->state == TCPS_CLOSED || tp->state == TCPS_SYN_SENT)
		return -ENOTCONN;
	if (how != SHUT_WR)
		s->flags |= DPS_SF_SHUT_RD;
	if (how != SHUT_RD && !(tp->f & TF_FIN_QUEUED)) {
		s->flags |= DPS_SF_SHUT_WR;
		if (tp->state == TCPS_ESTABLISHED || tp->state == TCPS_CLOSE_WAIT ||
		    tp->state == TCPS_SYN_RECEIVED) {
			tp->f |= TF_FIN_QUEUED;
			tp->fin_seq = tp->snd_una + (s->tx != NULL ? dps_fifo_used(s->tx) : 0);
			tcp_set_state(tp, tp->state == TCPS_CLOSE_WAIT ? TCPS_LAST_ACK : TCPS_FIN_WAIT_1);
			dps_sock_want_output(sw, s);
		}
	}
	dps_sock_notify(sw, s);
	return 0;
}

void tcp_close(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);
	uint32_t unread = s->rx != NULL ? dps_fifo_max_dequeue(s->rx) : 0;

	switch (tp->state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
		tp->state = TCPS_CLOSED;
		dps_sock_free(sw, s);
		return;
	case TCPS_TIME_WAIT:
		/* the connection finishes TIME-WAIT on its own */
		dps_sock_fifos_release(s);
		return;
	default:
		break;
	}
	/* RFC 9293 3.10.4 / Linux: closing with unread data, or with
	 * SO_LINGER and a zero timeout, resets the connection */
	if (unread > 0 || ((s->flags & DPS_SF_LINGER) && s->linger_s == 0)) {
		tcp_abort(sw, s, true);
		return;
	}
	s->flags |= DPS_SF_SHUT_RD;
	if (!(tp->f & TF_FIN_QUEUED) && tp->state != TCPS_FIN_WAIT_2 &&
	    tp->state != TCPS_CLOSING && tp->state != TCPS_LAST_ACK) {
		tcp_shutdown(sw, s, SHUT_WR);
		/* shutdown() notified; nobody listens any more */
		s->cb = NULL;
	} else if (tp->state == TCPS_FIN_WAIT_2) {
		dps_timer_start_in(&sw->w->wheel, &tp->keep_timer,
				   (uint64_t)sw->w->st->params.tcp.fin_timeout_ms * 1000000ull);
	}
}

unsigned tcp_poll(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);
	unsigned ev = 0;

	if (tp->state == TCPS_LISTEN)
		return s->aq_head >= 0 ? (POLLIN | POLLRDNORM) : 0;
	if (s->rx != NULL && dps_fifo_max_dequeue(s->rx) > 0)
		ev |= POLLIN | POLLRDNORM;
	if (tp->f & TF_RCVD_FIN)
		ev |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (s->so_error != 0)
		ev |= POLLERR;
	switch (tp->state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		if (!(s->flags & DPS_SF_SHUT_WR) && s->tx != NULL &&
		    dps_fifo_free(s->tx) >= RTE_MIN(dps_fifo_capacity(s->tx) / 2, 16384u))
			ev |= POLLOUT | POLLWRNORM;
		break;
	case TCPS_CLOSED:
		/* Linux: a closed or reset socket polls POLLHUP (and IN) */
		if (tp->f & (TF_ACTIVE | TF_RESET) || (tp->f & TF_RCVD_FIN))
			ev |= POLLHUP | POLLIN | POLLRDNORM | POLLOUT;
		break;
	default:
		break;
	}
	if ((tp->f & TF_RCVD_FIN) && (s->flags & DPS_SF_SHUT_WR))
		ev |= POLLHUP;
	return ev;
}

void tcp_sock_bufs_changed(struct dps_session_worker *sw, struct dps_sock *s)
{
}

void tcp_keepalive_changed(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);

	tp->last_rcv_ns = tcp_now(sw);
	tcp_keepalive_arm(tp);
}

static int opt_int(const void *val, socklen_t len, int *v)
{
	if (val == NULL || len < sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

int tcp_setsockopt(struct dps_session_worker *sw, struct dps_sock *s, int opt,
		   const void *val, socklen_t len)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);
	int v;

	if (opt == TCP_CONGESTION) {
		char name[16] = { 0 };
		const struct tcp_cc_ops *cc;

		if (val == NULL || len == 0)
			return -EINVAL;
		memcpy(name, val, len < sizeof(name) - 1 ? len : sizeof(name) - 1);
		cc = tcp_cc_find(name);
		if (cc == NULL)
			return -ENOENT;   /* Linux: ENOENT for an unknown algorithm */
		if (tp->state >= TCPS_ESTABLISHED && cc != tp->cc) {
			tp->cc = cc;
			tcp_cc_start(tp);
		}
		tp->cc = cc;
		return 0;
	}
	if (opt_int(val, len, &v) != 0)
		return -EINVAL;
	switch (opt) {
	case TCP_NODELAY:
		if (v)
			s->flags |= DPS_SF_NODELAY;
		else
			s->flags &= ~DPS_SF_NODELAY;
		if (v)
			dps_sock_want_output(sw, s);
		return 0;
	case TCP_MAXSEG:
		/* Linux: 88..65535 (TCP_MIN_MSS), 0 resets; effective before connect */
		if (v != 0 && (v < 88 || v > 65535))
			return -EINVAL;
		s->maxseg = (uint16_t)v;
		return 0;
	case TCP_USER_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		s->user_timeout_ms = (uint32_t)v;
		return 0;
	case TCP_KEEPIDLE:
		if (v < 1 || v > 32767)
			return -EINVAL;
		s->keepidle_s = (uint32_t)v;
		tcp_keepalive_arm(tp);
		return 0;
	case TCP_KEEPINTVL:
		if (v < 1 || v > 32767)
			return -EINVAL;
		s->keepintvl_s = (uint32_t)v;
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > 127)
			return -EINVAL;
		s->keepcnt = (uint32_t)v;
		return 0;
	case TCP_QUICKACK:
		if (v) {
			tp->quickack = 16;
			if (tp->f & TF_DELACK)
				tcp_ack_now(tp);
		} else {
			tp->quickack = 0;
		}
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int tcp_getsockopt(struct dps_session_worker *sw, struct dps_sock *s, int opt,
		   void *val, socklen_t *len)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);
	int v;

	if (val == NULL || len == NULL)
		return -EFAULT;
	if (opt == TCP_CONGESTION) {
		size_t n = strlen(tp->cc->name) + 1;

		if (*len < n)
			n = *len;
		memcpy(val, tp->cc->name, n);
		*len = (socklen_t)n;
		return 0;
	}
	if (opt == TCP_INFO)
		return -ENOPROTOOPT;
	switch (opt) {
	case TCP_NODELAY:
		v = !!(s->flags & DPS_SF_NODELAY);
		break;
	case TCP_MAXSEG:
		/* Linux: the current MSS once connected, else the set or default value */
		v = tp->state >= TCPS_ESTABLISHED ? tp->mss : (s->maxseg ? s->maxseg : 536);
		break;
	case TCP_USER_TIMEOUT:
		v = (int)s->user_timeout_ms;
		break;
	case TCP_KEEPIDLE:
		v = (int)s->keepidle_s;
		break;
	case TCP_KEEPINTVL:
		v = (int)s->keepintvl_s;
		break;
	case TCP_KEEPCNT:
		v = (int)s->keepcnt;
		break;
	case TCP_QUICKACK:
		v = tp->quickack > 0;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(int);
	return 0;
}

void tcp_sock_info(struct dps_session_worker *sw, struct dps_sock *s, struct dps_sock_info *info)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);

	info->state = tcp_state_name(tp->state);
	info->segs_in = tp->segs_in;
	info->segs_out = tp->segs_out;
	info->rto_events = tp->rto_events;
	info->fast_retransmits = tp->fast_rtx;
	info->dup_acks = tp->dup_acks_rx;
	if (tp->state == TCPS_LISTEN || tp->state == TCPS_CLOSED)
		return;   /* no connection: no RTT, window or algorithm to show */
	info->srtt_us = tp->rtt.srtt / 1000;
	info->rto_ms = tp->rtt.rto / 1000000;
	info->cwnd = tp->ccs.cwnd;
	info->ssthresh = tp->ccs.ssthresh;
	info->snd_wnd = tp->snd_wnd;
	info->rcv_wnd = tp->rcv_adv - tp->rcv_nxt;
	info->mss = tp->mss;
	info->retrans = tp->retrans_segs;
	info->cc = tp->cc->name;
}

void tcp_icmp_error(struct dps_session_worker *sw, struct dps_sock *s, uint8_t type,
		    uint8_t code, uint16_t mtu, uint32_t seq)
{
	struct tcp_cb *tp = tcp_cb_of(sw, s);

	/* RFC 5927 4.1: only for data in flight */
	if (!seq_geq(seq, tp->snd_una) || !seq_lt(seq, tp->snd_nxt + (tp->snd_nxt == tp->snd_una)))
		return;
	if (type == 3 && code == 4) {
		/* RFC 1191: fragmentation needed, next-hop MTU in info */
		uint16_t opt = (tp->f & TF_TS_OK) ? 12 : 0, mss;

		if (mtu < 68 || mtu >= 65535)
			return;
		mss = (uint16_t)(mtu - 40 - opt);
		if (mss < 64 || mss >= tp->mss)
			return;
		tp->mss = mss;
		tp->ccs.mss = mss;
		/* resend what the path refused, at the new size (Linux
		 * tcp_simple_retransmit: no congestion response) */
		if (tp->snd_nxt != tp->snd_una && !(tp->f & (TF_RECOVERY | TF_LOSS))) {
			tp->f |= TF_LOSS;
			tp->recover = tp->snd_nxt;
			tp->rxt_nxt = tp->snd_una;
			tp->rxt_end = tp->snd_nxt;
		}
		dps_sock_want_output(sw, s);
		return;
	}
	/* hard errors abort a connection still opening (Linux: in SYN-SENT) */
	if (tp->state == TCPS_SYN_SENT && type == 3 && (code == 2 || code == 3)) {
		tcp_done(tp, ECONNREFUSED);
		return;
	}
	/* otherwise a soft error: remembered by Linux for SO_ERROR on
	 * timeout; retransmission goes on */
}

/*
 * The worker side of attached applications (app.h): each pass, take the
 * requests of every application's queue to this worker and act on them
 * through the socket calls; turn the readiness changes of the
 * applications' sockets (their callback, run at the end of the pass) into
 * events; carve FIFOs out of the application's heap for this worker.
 *
 * Nothing the application can write is trusted: queue and FIFO headers
 * are checked against the daemon's own copy of their sizes before use,
 * handles against the socket table (owner, generation), datagram records
 * against DPS_DGRAM_MAX. What fails detaches the application (the control
 * plane does it, app.c); the worker only stops serving it and says why.
 *
 * Events are never lost when the application's queue is full: the socket
 * goes on a retry list and its state is looked at again once there is
 * room; what was posted once (CLOSED, RESET) is remembered per socket, and
 * RX is posted only when the shared DPS_EVT_RX flag was clear, so looking
 * again is harmless.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "dpsock/dpsock_proto.h"
#include "session/app_internal.h"
#include "tcp/tcp_internal.h"
#include "udp/udp.h"

#define APP_BATCH     64     /* requests taken from one queue per pass */
#define APP_UDP_BURST 256    /* datagrams sent from one tx FIFO per pass */

static_assert(sizeof(struct dps_dgram_hdr) == sizeof(struct dps_udp_rec), "datagram record");
static_assert(offsetof(struct dps_dgram_hdr, len) == offsetof(struct dps_udp_rec, len),
	      "datagram record");
static_assert(DPS_DGRAM_MAX == DPS_UDP_MAX_PAYLOAD, "datagram size");
static_assert(DPS_DGRAM_MAX + sizeof(struct dps_dgram_hdr) <=
	      sizeof(((struct dps_session_worker *)0)->scratch), "scratch holds a datagram");

static void app_sock_cb(struct dps_worker *w, int sd, unsigned events, void *arg);

/* ---- checks ---- */

static void app_bad(struct dps_app *app, struct app_wk *wk, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Stop serving the application and tell the control plane why. */
static void app_bad(struct dps_app *app, struct app_wk *wk, const char *fmt, ...)
{
	va_list ap;

	if (wk == NULL || __atomic_load_n(&wk->bad, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vsnprintf(wk->why, sizeof(wk->why), fmt, ap);
	va_end(ap);
	__atomic_store_n(&wk->bad, 1, __ATOMIC_RELEASE);
}

static bool wk_stopped(const struct app_wk *wk)
{
	return __atomic_load_n(&wk->bad, __ATOMIC_RELAXED) ||
		__atomic_load_n(&wk->detach, __ATOMIC_RELAXED);
}

/*
 * A queue header as we laid it out: magic, slot size, a slot count that
 * fits the bytes we gave it, sane indices. (The queue code reads the slot
 * count from the header on each call: a change between this check and
 * that call is a window a racing hostile thread could still use; see the
 * report of issue 4.)
 */
static bool q_ok(const struct app_wk *wk, const struct dps_msgq *q)
{
	return dps_msgq_check(q, wk->q_bytes) == 0;
}

static bool fifo_ok(const struct dps_fifo *f, uint32_t cap)
{
	return dps_fifo_check(f, dps_fifo_footprint(cap)) == 0 && dps_fifo_capacity(f) == cap;
}

static bool sock_fifos_ok(struct dps_app *app, struct app_wk *wk, const struct dps_sock *s)
{
	if ((s->rx != NULL && !fifo_ok(s->rx, s->rcvbuf)) ||
	    (s->tx != NULL && !fifo_ok(s->tx, s->sndbuf))) {
		app_bad(app, wk, "session %d: a FIFO header was overwritten", s->sd);
		return false;
	}
	return true;
}

static uint64_t handle_of(const struct dps_worker *w, const struct dps_sock *s)
{
	return dps_handle(w->id, s->gen, s->sd);
}

/* The socket a handle names, if this application holds it on this worker. */
static struct dps_sock *held(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
			     uint64_t h)
{
	int32_t sd = dps_handle_sd(h);
	struct dps_sock *s;

	if (dps_handle_worker(h) != w->id)
		return NULL;
	s = dps_sock_get(w->sess, sd);
	if (s == NULL || s->app != app || (s->gen & 0xffffffu) != dps_handle_gen(h) ||
	    (s->flags & (DPS_SF_APP_CLOSED | DPS_SF_ACCEPTQ)) || wk->sd[sd].kind == APP_SK_NONE)
		return NULL;
	return s;
}

/* ---- events out ---- */

static uint32_t q_room(const struct app_wk *wk)
{
	uint32_t n = dps_msgq_count(wk->qout);

	return n < wk->q_slots ? wk->q_slots - n : 0;
}

static bool post(struct dps_app *app, struct app_wk *wk, const struct dps_msg *m)
{
	if (!q_ok(wk, wk->qout)) {
		app_bad(app, wk, "the event queue header was overwritten");
		return false;
	}
	if (dps_msgq_enqueue(wk->qout, m, 1) != 1)
		return false;
	wk->posted++;
	wk->msgs_out++;
	return true;
}

static void retry_add(struct app_wk *wk, int32_t sd)
{
	if (wk->sd[sd].on_retry)
		return;
	wk->sd[sd].on_retry = 1;
	wk->retry[wk->n_retry++] = sd;
}

static uint64_t addr_port(uint32_t ip, uint16_t port)
{
	return (uint64_t)ip | (uint64_t)port << 32;
}

static uint64_t fifo_off(const struct dps_app *app, const struct dps_fifo *f)
{
	return f != NULL ? (uint64_t)((const uint8_t *)f - app->base) : 0;
}

static uint64_t local_of(struct dps_worker *w, const struct dps_sock *s)
{
	return addr_port(s->laddr, s->lport);
}

static void evt_or(struct app_wk *wk, int32_t sd, uint8_t bits)
{
	__atomic_fetch_or(&wk->evt[sd], bits, __ATOMIC_SEQ_CST);
}

static void evt_clear(struct app_wk *wk, int32_t sd, uint8_t bits)
{
	__atomic_fetch_and(&wk->evt[sd], (uint8_t)~bits, __ATOMIC_SEQ_CST);
}

/* Make the socket the application's, as kind, with a clean slate. */
static void give(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
		 struct dps_sock *s, uint8_t kind)
{
	struct app_sd *as = &wk->sd[s->sd];
	uint8_t on_retry = as->on_retry;

	memset(as, 0, sizeof(*as));
	as->on_retry = on_retry;
	as->kind = kind;
	if (s->tx != NULL)
		as->tx_tail = __atomic_load_n(&s->tx->tail, __ATOMIC_ACQUIRE);
	__atomic_store_n(&wk->evt[s->sd], 0, __ATOMIC_SEQ_CST);
	/* generation 0 is never handed out: a handle is never 0 ("none") */
	if ((s->gen & 0xffffffu) == 0)
		s->gen++;
	s->app = app;
	dps_sock_set_callback(w, s->sd, app_sock_cb, app);
}

/* RX when the flag was clear; the flag goes up first (the application
 * clears it when it takes the message, so it must never see the message
 * before the flag). */
static bool post_rx(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
		    struct dps_sock *s)
{
	struct dps_msg m = { .type = DPS_MSG_RX, .session = handle_of(w, s) };

	if (__atomic_fetch_or(&wk->evt[s->sd], DPS_EVT_RX, __ATOMIC_SEQ_CST) & DPS_EVT_RX)
		return true;
	if (post(app, wk, &m))
		return true;
	evt_clear(wk, s->sd, DPS_EVT_RX);
	return false;
}

static bool post_simple(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
			struct dps_sock *s, uint16_t type, int error)
{
	struct dps_msg m = { .type = type, .error = error, .session = handle_of(w, s) };

	return post(app, wk, &m);
}

/* An answer naming session s: its local address and FIFO offsets (0 for
 * none), the request it answers. */
static bool post_session(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
			 uint16_t type, struct dps_sock *s, uint64_t req)
{
	struct dps_msg a = { .type = type, .session = handle_of(w, s) };

	a.args[1] = local_of(w, s);
	a.args[2] = fifo_off(app, s->rx);
	a.args[3] = fifo_off(app, s->tx);
	a.args[5] = req;
	return post(app, wk, &a);
}

/* RX, CLOSED, RESET, TX_SPACE of a connection or UDP socket. false: the
 * queue is full, look again later. */
static bool data_events(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
			struct dps_sock *s)
{
	struct app_sd *as = &wk->sd[s->sd];
	uint32_t used = s->rx != NULL ? dps_fifo_used(s->rx) : 0;

	if (!sock_fifos_ok(app, wk, s))
		return true;
	if (s->flags & DPS_SF_CUT) {
		if (used > 0) {
			/* as TCP's window: ask for RX_DONE when the room is
			 * getting small, so that reading pulls in more */
			if (dps_fifo_free(s->rx) < s->rcvbuf / 2)
				evt_or(wk, s->sd, DPS_EVT_WANT_RXD);
			if (!post_rx(w, app, wk, s))
				return false;
		}
		if ((as->ct & APP_CT_FIN) && !(as->told & APP_TOLD_CLOSED)) {
			if (!post_simple(w, app, wk, s, DPS_MSG_CLOSED, 0))
				return false;
			as->told |= APP_TOLD_CLOSED;
		}
		if ((as->ct & APP_CT_RST) && !(as->told & APP_TOLD_RESET)) {
			if (!post_simple(w, app, wk, s, DPS_MSG_RESET, ECONNRESET))
				return false;
			as->told |= APP_TOLD_RESET;
		}
	} else if (s->proto == IPPROTO_TCP) {
		struct tcp_cb *tp = tcp_cb_of(w->sess, s);

		if (used > 0) {
			uint32_t adv = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;

			/* the window the peer was told is getting small: ask
			 * for RX_DONE so that reading sends a window update;
			 * then look whether the application read already (it
			 * may have, before the flag was up: Dekker again) */
			if (adv < s->rcvbuf / 2) {
				evt_or(wk, s->sd, DPS_EVT_WANT_RXD);
				dps_sock_rx_notify(w, s->sd);
			}
			if (!post_rx(w, app, wk, s))
				return false;
		}
		if ((tp->f & TF_RCVD_FIN) && !(as->told & APP_TOLD_CLOSED)) {
			if (!post_simple(w, app, wk, s, DPS_MSG_CLOSED, 0))
				return false;
			as->told |= APP_TOLD_CLOSED;
		}
		if (tp->state == TCPS_CLOSED && (tp->f & TF_RESET) && !(as->told & APP_TOLD_RESET)) {
			if (!post_simple(w, app, wk, s, DPS_MSG_RESET,
					 s->so_error != 0 ? s->so_error : ECONNRESET))
				return false;
			as->told |= APP_TOLD_RESET;
		}
	} else {
		if (used > 0 && !post_rx(w, app, wk, s))
			return false;
		if (s->so_error != 0) {
			/* an ICMP error for a connected socket (Linux reports it
			 * on the next call, once) */
			if (!post_simple(w, app, wk, s, DPS_MSG_RESET, s->so_error))
				return false;
			s->so_error = 0;
		}
	}
	/* TX_SPACE: the room we made (ACKed data dropped) before we look at
	 * the flag, as the application sets the flag before it looks at the
	 * room (Dekker, as msgq.h's wake-ups): one of us sees the other */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (s->tx != NULL && (__atomic_load_n(&wk->evt[s->sd], __ATOMIC_SEQ_CST) & DPS_EVT_WANT_TXS) &&
	    dps_fifo_free(s->tx) >= RTE_MIN(s->sndbuf / 2, 16384u)) {
		evt_clear(wk, s->sd, DPS_EVT_WANT_TXS);
		if (!post_simple(w, app, wk, s, DPS_MSG_TX_SPACE, 0)) {
			evt_or(wk, s->sd, DPS_EVT_WANT_TXS);
			return false;
		}
	}
	return true;
}

/* Accept what the listener has and post ACCEPTED for each. */
static bool listen_events(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
			  struct dps_sock *l)
{
	while (l->aq_head >= 0) {
		struct dps_msg m = { .type = DPS_MSG_ACCEPTED };
		struct dps_sock *c;
		uint16_t port;
		uint32_t ip;
		int sd;

		if (q_room(wk) == 0)
			return false;
		sd = dps_sock_accept(w, l->sd, &ip, &port);
		if (sd < 0)
			break;
		c = dps_sock_get(w->sess, sd);
		give(w, app, wk, c, APP_SK_STREAM);
		if (c->rx == NULL || c->tx == NULL || !sock_fifos_ok(app, wk, c)) {
			wk->sd[sd].kind = APP_SK_NONE;
			dps_sock_close(w, sd);
			continue;
		}
		m.session = handle_of(w, c);
		m.args[0] = handle_of(w, l);
		m.args[1] = addr_port(ip, port);
		m.args[2] = fifo_off(app, c->rx);
		m.args[3] = fifo_off(app, c->tx);
		m.args[4] = local_of(w, c);
		if (!post(app, wk, &m)) {
			/* only a scribbled queue header gets here (room was
			 * checked and we are its only producer) */
			wk->sd[sd].kind = APP_SK_NONE;
			dps_sock_close(w, sd);
			return true;
		}
	}
	return true;
}

enum { CONN_WAIT, CONN_DONE, CONN_GONE, CONN_FULL };

/* A TCP connect that ended: CONNECTED, with the FIFOs or an error. */
static int connect_events(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
			  struct dps_sock *s)
{
	struct tcp_cb *tp = tcp_cb_of(w->sess, s);
	struct app_sd *as = &wk->sd[s->sd];
	struct dps_msg m = { .type = DPS_MSG_CONNECTED };

	if (tp->state == TCPS_SYN_SENT || tp->state == TCPS_SYN_RECEIVED)
		return CONN_WAIT;
	if (tp->state == TCPS_CLOSED) {
		/* refused, timed out, unreachable: the session goes (the
		 * protocol's rule for a refused request) */
		m.error = s->so_error != 0 ? s->so_error : ECONNREFUSED;
		m.args[5] = as->req;
		if (!post(app, wk, &m))
			return CONN_FULL;
		as->kind = APP_SK_NONE;
		dps_sock_close(w, s->sd);
		return CONN_GONE;
	}
	if (!sock_fifos_ok(app, wk, s))
		return CONN_GONE;
	if (!post_session(w, app, wk, DPS_MSG_CONNECTED, s, as->req))
		return CONN_FULL;
	as->kind = APP_SK_STREAM;
	as->tx_tail = __atomic_load_n(&s->tx->tail, __ATOMIC_ACQUIRE);
	return CONN_DONE;
}

/* Post what the application should hear about socket s now. */
static void sock_events(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
			struct dps_sock *s)
{
	bool ok = true;

	if (wk_stopped(wk))
		return;
	switch (wk->sd[s->sd].kind) {
	case APP_SK_LISTEN:
		ok = listen_events(w, app, wk, s);
		break;
	case APP_SK_CONNECTING:
		switch (connect_events(w, app, wk, s)) {
		case CONN_DONE:
			ok = data_events(w, app, wk, s);
			break;
		case CONN_FULL:
			ok = false;
			break;
		default:
			break;
		}
		break;
	case APP_SK_STREAM:
	case APP_SK_DGRAM:
		ok = data_events(w, app, wk, s);
		break;
	default:
		break;
	}
	if (!ok)
		retry_add(wk, s->sd);
}

static void app_sock_cb(struct dps_worker *w, int sd, unsigned events, void *arg)
{
	struct dps_app *app = arg;
	struct dps_sock *s = dps_sock_get(w->sess, sd);

	if (s == NULL || s->app != app)
		return;
	sock_events(w, app, &app->w[w->id], s);
}

/* ---- requests in ---- */

static void reply(struct dps_app *app, struct app_wk *wk, uint16_t type, int err,
		  uint64_t session, uint64_t req)
{
	struct dps_msg m = { .type = type, .error = err, .session = session };

	m.args[5] = req;
	post(app, wk, &m);
}

static int set_int(struct dps_worker *w, int sd, int level, int opt, uint64_t v)
{
	int i = v > INT_MAX ? INT_MAX : (int)v;

	return dps_sock_setsockopt(w, sd, level, opt, &i, sizeof(i));
}

/* A socket of the application with its buffers and flags, not yet given. */
static int new_sock(struct dps_worker *w, struct dps_app *app, int type, uint64_t bufs,
		    uint64_t flags)
{
	int sd, r = 0;

	if (flags & ~(uint64_t)(DPS_SOCKF_NODELAY | DPS_SOCKF_KEEPALIVE | DPS_SOCKF_REUSEADDR))
		return -EINVAL;
	sd = dps_sock_socket(w, type);
	if (sd < 0)
		return sd;
	dps_sock_get(w->sess, sd)->app = app;
	if ((uint32_t)bufs != 0)
		r = set_int(w, sd, SOL_SOCKET, SO_RCVBUF, (uint32_t)bufs);
	if (r == 0 && (bufs >> 32) != 0)
		r = set_int(w, sd, SOL_SOCKET, SO_SNDBUF, bufs >> 32);
	if (r == 0 && (flags & DPS_SOCKF_NODELAY) && type == SOCK_STREAM)
		r = set_int(w, sd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (r == 0 && (flags & DPS_SOCKF_KEEPALIVE))
		r = set_int(w, sd, SOL_SOCKET, SO_KEEPALIVE, 1);
	if (r == 0 && (flags & DPS_SOCKF_REUSEADDR))
		r = set_int(w, sd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (r != 0) {
		dps_sock_close(w, sd);
		return r;
	}
	return sd;
}

static bool addr_arg(uint64_t a, uint32_t *ip, uint16_t *port)
{
	*ip = (uint32_t)a;
	*port = (uint16_t)(a >> 32);
	return (a >> 48) == 0;
}

static void do_listen(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
		      const struct dps_msg *m)
{
	uint64_t req = m->args[5];
	struct dps_sock *s;
	uint16_t port;
	uint32_t ip;
	int sd, r;

	if (m->args[0] != IPPROTO_TCP) {
		reply(app, wk, DPS_MSG_REPLY, EPROTONOSUPPORT, 0, req);
		return;
	}
	if (m->session != 0 || !addr_arg(m->args[1], &ip, &port)) {
		reply(app, wk, DPS_MSG_REPLY, EINVAL, 0, req);
		return;
	}
	sd = new_sock(w, app, SOCK_STREAM, m->args[3], m->args[4]);
	if (sd < 0) {
		reply(app, wk, DPS_MSG_REPLY, -sd, 0, req);
		return;
	}
	r = dps_sock_bind(w, sd, ip, port);
	if (r == 0)
		r = dps_sock_listen(w, sd, m->args[2] > 65535 ? 65535 : (int)m->args[2]);
	if (r != 0) {
		dps_sock_close(w, sd);
		reply(app, wk, DPS_MSG_REPLY, -r, 0, req);
		return;
	}
	s = dps_sock_get(w->sess, sd);
	give(w, app, wk, s, APP_SK_LISTEN);
	post_session(w, app, wk, DPS_MSG_REPLY, s, req);
}

/* ---- cut-through: two applications' sessions joined FIFO to FIFO ----
 *
 * A CONNECT to one of the stack's own addresses (or 127/8) finds the
 * listener of an attached application on this worker and joins the two
 * sessions without TCP: the worker moves what one side writes into its
 * tx FIFO (in its own segment) to the other side's rx FIFO (in the
 * other's segment) when TX comes and when the reader's RX_DONE says there
 * is room again. Both sides see ordinary sessions (CONNECTED, ACCEPTED,
 * RX, TX_SPACE, CLOSED, RESET) and keep their own segments: one copy,
 * no packets, no shared memory between the two applications. FIN and RST
 * follow close(): a side that shuts down writing or closes delivers what
 * it wrote, then CLOSED; one that closes with data unread resets the
 * other; data written after the other side left resets the writer.
 */

static struct app_wk *wk_here(struct dps_worker *w, const struct dps_sock *s)
{
	return &s->app->w[w->id];
}

/* The peer of a cut-through socket, if it is still there. */
static struct dps_sock *ct_peer(struct dps_worker *w, struct dps_sock *s)
{
	const struct app_sd *as = &wk_here(w, s)->sd[s->sd];
	struct dps_sock *p;

	if (as->ct_peer < 0)
		return NULL;
	p = dps_sock_get(w->sess, as->ct_peer);
	if (p == NULL || p->gen != as->ct_gen || !(p->flags & DPS_SF_CUT) || p->app == NULL)
		return NULL;
	return p;
}

static void ct_free(struct dps_worker *w, struct dps_sock *s)
{
	struct app_wk *wk = wk_here(w, s);
	struct dps_sock *p = ct_peer(w, s);

	if (p != NULL)
		wk_here(w, p)->sd[p->sd].ct_peer = -1;
	wk->sd[s->sd].kind = APP_SK_NONE;
	wk->sd[s->sd].ct_peer = -1;
	__atomic_store_n(&wk->evt[s->sd], 0, __ATOMIC_SEQ_CST);
	/* last: freeing the FIFOs may let the control plane free a dead
	 * application (app.h "Lifetime") */
	s->cb = NULL;
	s->flags |= DPS_SF_APP_CLOSED;
	dps_sock_free(w->sess, s);
}

/* p's peer is gone for good: RESET (or, closed already, nothing to finish). */
static void ct_reset(struct dps_worker *w, struct dps_sock *p)
{
	struct app_wk *pw = wk_here(w, p);

	pw->sd[p->sd].ct_peer = -1;
	if (p->flags & DPS_SF_APP_CLOSED) {
		ct_free(w, p);
		return;
	}
	pw->sd[p->sd].ct |= APP_CT_RST;
	sock_events(w, p->app, pw, p);
}

/* Move what s wrote into its peer's rx FIFO; FIN once all is moved. */
static void ct_move(struct dps_worker *w, struct dps_sock *s)
{
	struct app_wk *wk = wk_here(w, s), *pw;
	struct app_sd *as = &wk->sd[s->sd];
	struct dps_sock *p = ct_peer(w, s);
	uint32_t moved = 0;
	bool fin = false;

	if (s->tx == NULL || !sock_fifos_ok(s->app, wk, s))
		return;
	if (p == NULL || (p->flags & DPS_SF_APP_CLOSED)) {
		/* nobody reads any more: what is written goes nowhere; Linux
		 * answers data for a closed socket with RST */
		uint32_t left = dps_fifo_max_dequeue(s->tx);

		dps_fifo_drop(s->tx, left);
		if (as->ct & APP_CT_ORPHAN)
			ct_free(w, s);
		else if (left > 0 || p == NULL)
			ct_reset(w, s);
		return;
	}
	pw = wk_here(w, p);
	if (!sock_fifos_ok(p->app, pw, p))
		return;
	for (;;) {
		uint32_t n = RTE_MIN(dps_fifo_max_dequeue(s->tx), dps_fifo_max_enqueue(p->rx));
		struct dps_fifo_seg sg[2];

		if (n == 0) {
			/* the reader's FIFO is full: ask it for RX_DONE, then
			 * look again, as it may have read before the flag was
			 * up (the flag before the look, as the reader frees
			 * room before it looks at the flag) */
			if (dps_fifo_max_dequeue(s->tx) == 0)
				break;
			evt_or(pw, p->sd, DPS_EVT_WANT_RXD);
			if (dps_fifo_max_enqueue(p->rx) == 0)
				break;
			continue;
		}
		n = dps_fifo_read_segs(s->tx, 0, n, sg);
		dps_fifo_enqueue(p->rx, sg[0].data, sg[0].len);
		if (sg[1].len > 0)
			dps_fifo_enqueue(p->rx, sg[1].data, sg[1].len);
		dps_fifo_drop(s->tx, n);
		moved += n;
	}
	s->tx_bytes += moved;
	p->rx_bytes += moved;
	if ((as->ct & APP_CT_WFIN) && dps_fifo_max_dequeue(s->tx) == 0 &&
	    !(pw->sd[p->sd].ct & APP_CT_FIN)) {
		pw->sd[p->sd].ct |= APP_CT_FIN;
		fin = true;
	}
	if (moved > 0 || fin)
		sock_events(w, p->app, pw, p);
	if ((as->ct & APP_CT_ORPHAN) && dps_fifo_max_dequeue(s->tx) == 0)
		ct_free(w, s);
	else if (moved > 0)
		sock_events(w, s->app, wk, s);   /* TX_SPACE, if asked for */
}

/* The application closed (or left): as close(), RST if it left data unread. */
static void ct_close(struct dps_worker *w, struct dps_sock *s, bool abort)
{
	struct app_wk *wk = wk_here(w, s);
	struct dps_sock *p = ct_peer(w, s);

	if (abort || p == NULL || (s->rx != NULL && dps_fifo_max_dequeue(s->rx) > 0)) {
		ct_free(w, s);
		if (p != NULL)
			ct_reset(w, p);
		return;
	}
	wk->sd[s->sd].ct |= APP_CT_WFIN | APP_CT_ORPHAN;
	wk->sd[s->sd].kind = APP_SK_NONE;
	__atomic_store_n(&wk->evt[s->sd], 0, __ATOMIC_SEQ_CST);
	s->cb = NULL;
	s->flags |= DPS_SF_APP_CLOSED;
	ct_move(w, s);
}

/*
 * CONNECT to a local address: join with the listener of an attached
 * application on this worker. Returns false when the address is not
 * local (a real connect follows); true when answered (joined, or refused:
 * no application listens there; the stack does not loop packets back to
 * itself).
 */
static bool ct_connect(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
		       int sd, uint32_t rip, uint16_t rport, uint64_t req)
{
	struct dps_session_worker *sw = w->sess;
	struct dps_sock *s = dps_sock_get(sw, sd), *l = NULL, *c;
	struct dps_app *lapp = NULL;
	struct app_wk *lw = NULL;
	struct dps_msg m = { .type = DPS_MSG_ACCEPTED };
	int lsd, r = ECONNREFUSED;

	if (!dps_sock_addr_local(w->st, rip) && (rip >> 24) != 127)
		return false;
	lsd = dps_listener_lookup(sw, IPPROTO_TCP, rte_cpu_to_be_32(rip), rte_cpu_to_be_16(rport));
	if (lsd >= 0)
		l = dps_sock_get(sw, lsd);
	if (l != NULL && (l->flags & DPS_SF_LISTENING) && !(l->flags & DPS_SF_APP_CLOSED))
		lapp = l->app;
	for (uint32_t i = 0; lapp != NULL && i < sw->n_apps; i++)
		if (sw->apps[i] == lapp)
			lw = &lapp->w[w->id];
	/* an attached application with room for ACCEPTED (its backlog) */
	if (lw == NULL || wk_stopped(lw) || lw->sd[lsd].kind != APP_SK_LISTEN || q_room(lw) == 0)
		goto refuse;
	r = (s->flags & DPS_SF_BOUND) ? 0 : dps_sock_bind(w, sd, 0, 0);
	if (r != 0 || (r = dps_sock_fifos(s)) != 0)
		goto refuse_r;
	c = dps_sock_alloc(sw, SOCK_STREAM);
	if (c == NULL) {
		r = -ENFILE;
		goto refuse_r;
	}
	c->app = lapp;
	c->rcvbuf = l->rcvbuf;
	c->sndbuf = l->sndbuf;
	c->laddr = rip;
	c->lport = rport;
	c->raddr = s->laddr != 0 ? s->laddr : rip;
	c->rport = s->lport;
	c->flags |= DPS_SF_CUT;
	if (s->laddr == 0)
		s->laddr = rip;
	s->raddr = rip;
	s->rport = rport;
	s->flags |= DPS_SF_CUT;
	if (dps_sock_fifos(c) != 0) {
		c->flags |= DPS_SF_APP_CLOSED;
		dps_sock_free(sw, c);
		r = -ENOMEM;
		goto refuse_r;
	}
	give(w, app, wk, s, APP_SK_STREAM);
	give(w, lapp, lw, c, APP_SK_STREAM);
	wk->sd[s->sd].ct_peer = c->sd;
	wk->sd[s->sd].ct_gen = c->gen;
	lw->sd[c->sd].ct_peer = s->sd;
	lw->sd[c->sd].ct_gen = s->gen;
	m.session = handle_of(w, c);
	m.args[0] = handle_of(w, l);
	m.args[1] = addr_port(c->raddr, c->rport);
	m.args[2] = fifo_off(lapp, c->rx);
	m.args[3] = fifo_off(lapp, c->tx);
	m.args[4] = local_of(w, c);
	post(lapp, lw, &m);
	post_session(w, app, wk, DPS_MSG_CONNECTED, s, req);
	return true;
refuse_r:
	r = -r;
refuse:
	dps_sock_close(w, sd);
	reply(app, wk, DPS_MSG_CONNECTED, r, 0, req);
	return true;
}

static bool do_connect(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
		       const struct dps_msg *m)
{
	uint64_t req = m->args[5], proto = m->args[0];
	uint32_t rip, lip;
	uint16_t rport, lport;
	struct dps_sock *s;
	int sd, r = 0;

	if (!addr_arg(m->args[1], &rip, &rport) || !addr_arg(m->args[2], &lip, &lport)) {
		reply(app, wk, DPS_MSG_CONNECTED, EINVAL, 0, req);
		return true;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		reply(app, wk, DPS_MSG_CONNECTED, EPROTONOSUPPORT, 0, req);
		return true;
	}
	if (m->session != 0) {
		/* UDP: (re-)connect a session the application holds */
		s = held(w, app, wk, m->session);
		if (s == NULL || proto != IPPROTO_UDP || s->proto != IPPROTO_UDP) {
			app_bad(app, wk, "CONNECT of session 0x%" PRIx64 ", which is not a UDP "
				"session of this application", m->session);
			return false;
		}
		r = dps_sock_connect(w, s->sd, rip, rport);
		if (r != 0)
			reply(app, wk, DPS_MSG_CONNECTED, -r, handle_of(w, s), req);
		else
			post_session(w, app, wk, DPS_MSG_CONNECTED, s, req);   /* at once */
		return true;
	}
	sd = new_sock(w, app, proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM, m->args[3],
		      m->args[4]);
	if (sd < 0) {
		reply(app, wk, DPS_MSG_CONNECTED, -sd, 0, req);
		return true;
	}
	s = dps_sock_get(w->sess, sd);
	if (lip != 0 || lport != 0)
		r = dps_sock_bind(w, sd, lip, lport);
	if (r == 0 && proto == IPPROTO_TCP && ct_connect(w, app, wk, sd, rip, rport, req))
		return true;
	if (r == 0 && proto == IPPROTO_TCP) {
		give(w, app, wk, s, APP_SK_CONNECTING);
		wk->sd[sd].req = req;
		r = dps_sock_connect(w, sd, rip, rport);
		if (r == -EINPROGRESS)
			return true;   /* CONNECTED when the handshake ends */
		if (r == 0) {
			sock_events(w, app, wk, s);
			return true;
		}
		wk->sd[sd].kind = APP_SK_NONE;
	} else if (r == 0) {
		r = dps_sock_connect(w, sd, rip, rport);
		if (r == 0) {
			give(w, app, wk, s, APP_SK_DGRAM);
			post_session(w, app, wk, DPS_MSG_CONNECTED, s, req);
			return true;
		}
	}
	dps_sock_close(w, sd);
	reply(app, wk, DPS_MSG_CONNECTED, -r, 0, req);
	return true;
}

static void do_bind_udp(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
			const struct dps_msg *m)
{
	uint64_t req = m->args[5];
	struct dps_sock *s;
	uint16_t port;
	uint32_t ip;
	int sd, r;

	if (m->session != 0 || !addr_arg(m->args[1], &ip, &port)) {
		reply(app, wk, DPS_MSG_REPLY, EINVAL, 0, req);
		return;
	}
	sd = new_sock(w, app, SOCK_DGRAM, m->args[3], m->args[4] & DPS_SOCKF_REUSEADDR);
	if (sd < 0) {
		reply(app, wk, DPS_MSG_REPLY, -sd, 0, req);
		return;
	}
	s = dps_sock_get(w->sess, sd);
	r = dps_sock_bind(w, sd, ip, port);
	if (r == 0)
		r = dps_sock_fifos(s);
	if (r != 0) {
		dps_sock_close(w, sd);
		reply(app, wk, DPS_MSG_REPLY, -r, 0, req);
		return;
	}
	give(w, app, wk, s, APP_SK_DGRAM);
	post_session(w, app, wk, DPS_MSG_REPLY, s, req);
}

/* Send the whole datagram records of a UDP session's tx FIFO. */
static bool udp_drain(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
		      struct dps_sock *s)
{
	uint8_t *buf = w->sess->scratch;
	struct dps_dgram_hdr h;
	unsigned i;

	wk->sd[s->sd].tx_more = 0;
	for (i = 0; i < APP_UDP_BURST; i++) {
		uint32_t used = dps_fifo_max_dequeue(s->tx);

		if (used < sizeof(h))
			return true;
		dps_fifo_peek(s->tx, 0, &h, sizeof(h));
		if (h.len > DPS_DGRAM_MAX) {
			app_bad(app, wk, "session %d: a datagram record of %u bytes (at most %u)",
				s->sd, h.len, DPS_DGRAM_MAX);
			return false;
		}
		if (used - sizeof(h) < h.len)
			return true;   /* not all there yet: the next TX */
		dps_fifo_peek(s->tx, sizeof(h), buf, h.len);
		dps_fifo_drop(s->tx, (uint32_t)sizeof(h) + h.len);
		if ((h.ip == 0 && !(s->flags & DPS_SF_CONNECTED)) ||
		    dps_sock_sendto(w, s->sd, buf, h.len, 0, h.ip, h.port) < 0)
			wk->udp_tx_dropped++;
	}
	if (dps_fifo_max_dequeue(s->tx) >= sizeof(h)) {
		wk->sd[s->sd].tx_more = 1;
		retry_add(wk, s->sd);
	}
	return true;
}

static bool do_tx(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
		  struct dps_sock *s)
{
	struct app_sd *as = &wk->sd[s->sd];

	/* first: what the application writes from now on gets a new TX */
	evt_clear(wk, s->sd, DPS_EVT_TX);
	if (as->kind != APP_SK_STREAM && as->kind != APP_SK_DGRAM) {
		app_bad(app, wk, "TX on session %d, which has no FIFOs", s->sd);
		return false;
	}
	if (s->tx == NULL)
		return true;   /* a TIME-WAIT connection gave its FIFOs back */
	if (!sock_fifos_ok(app, wk, s))
		return false;
	if (s->proto == IPPROTO_TCP) {
		uint32_t tail = __atomic_load_n(&s->tx->tail, __ATOMIC_ACQUIRE);
		uint32_t n = tail - as->tx_tail;

		as->tx_tail = tail;
		/* -EPIPE: written after a shutdown or a reset; Linux would
		 * have refused the write, the application learns it from
		 * the events it got */
		dps_sock_tx_notify(w, s->sd, n > s->sndbuf ? s->sndbuf : n);
		return true;
	}
	if (!udp_drain(w, app, wk, s))
		return false;
	sock_events(w, app, wk, s);   /* TX_SPACE, if asked for */
	return true;
}

/* SETOPT / GETOPT values: ints, SO_LINGER packed, TCP_CONGESTION a name. */
static void do_opt(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
		   struct dps_sock *s, const struct dps_msg *m)
{
	struct dps_msg a = { .type = DPS_MSG_REPLY, .session = m->session };
	int level = (int)m->args[0], opt = (int)m->args[1], r;
	bool linger = level == SOL_SOCKET && opt == SO_LINGER;
	bool name = level == IPPROTO_TCP && opt == TCP_CONGESTION;

	a.args[5] = m->args[5];
	if (m->type == DPS_MSG_SETOPT) {
		if (linger) {
			struct linger l = { .l_onoff = (int)(uint32_t)m->args[2],
					    .l_linger = (int)(uint32_t)(m->args[2] >> 32) };

			r = dps_sock_setsockopt(w, s->sd, level, opt, &l, sizeof(l));
		} else if (name) {
			char cc[24];

			memcpy(cc, &m->args[2], sizeof(cc));
			cc[sizeof(cc) - 1] = '\0';
			r = dps_sock_setsockopt(w, s->sd, level, opt, cc, (socklen_t)strlen(cc));
		} else {
			int v = (int)(uint32_t)m->args[2];

			r = dps_sock_setsockopt(w, s->sd, level, opt, &v, sizeof(v));
		}
	} else if (linger) {
		struct linger l;
		socklen_t len = sizeof(l);

		r = dps_sock_getsockopt(w, s->sd, level, opt, &l, &len);
		a.args[0] = (uint64_t)(uint32_t)l.l_onoff | (uint64_t)(uint32_t)l.l_linger << 32;
	} else if (name) {
		char cc[24] = "";
		socklen_t len = sizeof(cc) - 1;

		r = dps_sock_getsockopt(w, s->sd, level, opt, cc, &len);
		memcpy(&a.args[2], cc, sizeof(cc));
	} else {
		int v = 0;
		socklen_t len = sizeof(v);

		r = dps_sock_getsockopt(w, s->sd, level, opt, &v, &len);
		a.args[0] = (uint64_t)(uint32_t)v;
	}
	a.error = -r;
	post(app, wk, &a);
}

static const char *msg_name(uint16_t t)
{
	switch (t) {
	case DPS_MSG_TX: return "TX";
	case DPS_MSG_SHUTDOWN: return "SHUTDOWN";
	case DPS_MSG_CLOSE: return "CLOSE";
	case DPS_MSG_RX_DONE: return "RX_DONE";
	case DPS_MSG_SETOPT: return "SETOPT";
	case DPS_MSG_GETOPT: return "GETOPT";
	case DPS_MSG_CONNECT: return "CONNECT";
	default: return "?";
	}
}

/* A request on a cut-through session. */
static bool ct_msg(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
		   struct dps_sock *s, const struct dps_msg *m)
{
	struct dps_sock *p;

	switch (m->type) {
	case DPS_MSG_TX:
		evt_clear(wk, s->sd, DPS_EVT_TX);
		ct_move(w, s);
		return true;
	case DPS_MSG_RX_DONE:
		p = ct_peer(w, s);
		if (p != NULL)
			ct_move(w, p);
		return true;
	case DPS_MSG_SHUTDOWN:
		if (m->args[0] != SHUT_RD && m->args[0] != SHUT_WR && m->args[0] != SHUT_RDWR) {
			app_bad(app, wk, "SHUTDOWN with how %" PRIu64, m->args[0]);
			return false;
		}
		if (m->args[0] != SHUT_RD) {
			wk->sd[s->sd].ct |= APP_CT_WFIN;
			ct_move(w, s);
		}
		return true;
	case DPS_MSG_CLOSE:
		ct_close(w, s, false);
		return true;
	default:
		do_opt(w, app, wk, s, m);
		return true;
	}
}

/* One request. false: bad input or DETACH, take no more from this queue. */
static bool app_msg(struct dps_worker *w, struct dps_app *app, struct app_wk *wk,
		    const struct dps_msg *m)
{
	struct dps_sock *s = NULL;

	switch (m->type) {
	case DPS_MSG_LISTEN:
		do_listen(w, app, wk, m);
		return true;
	case DPS_MSG_CONNECT:
		return do_connect(w, app, wk, m);
	case DPS_MSG_BIND_UDP:
		do_bind_udp(w, app, wk, m);
		return true;
	case DPS_MSG_DETACH:
		__atomic_store_n(&wk->detach, 1, __ATOMIC_RELEASE);
		return false;
	case DPS_MSG_TX:
	case DPS_MSG_RX_DONE:
	case DPS_MSG_SHUTDOWN:
	case DPS_MSG_CLOSE:
	case DPS_MSG_SETOPT:
	case DPS_MSG_GETOPT:
		s = held(w, app, wk, m->session);
		if (s == NULL) {
			app_bad(app, wk, "%s for session 0x%" PRIx64 ", which this application "
				"does not hold on worker %u (closed, stale or not its own)",
				msg_name(m->type), m->session, w->id);
			return false;
		}
		break;
	default:
		app_bad(app, wk, "message of unknown type %u", m->type);
		return false;
	}
	if (s->flags & DPS_SF_CUT)
		return ct_msg(w, app, wk, s, m);
	switch (m->type) {
	case DPS_MSG_TX:
		return do_tx(w, app, wk, s);
	case DPS_MSG_RX_DONE:
		if (s->proto == IPPROTO_TCP && s->rx != NULL) {
			if (!sock_fifos_ok(app, wk, s))
				return false;
			dps_sock_rx_notify(w, s->sd);
		}
		return true;
	case DPS_MSG_SHUTDOWN:
		if (m->args[0] != SHUT_RD && m->args[0] != SHUT_WR && m->args[0] != SHUT_RDWR) {
			app_bad(app, wk, "SHUTDOWN with how %" PRIu64, m->args[0]);
			return false;
		}
		dps_sock_shutdown(w, s->sd, (int)m->args[0]);
		return true;
	case DPS_MSG_CLOSE:
		wk->sd[s->sd].kind = APP_SK_NONE;
		__atomic_store_n(&wk->evt[s->sd], 0, __ATOMIC_SEQ_CST);
		dps_sock_close(w, s->sd);
		return true;
	default:
		do_opt(w, app, wk, s, m);
		return true;
	}
}

static unsigned wk_input(struct dps_worker *w, struct dps_app *app, struct app_wk *wk)
{
	struct dps_msg m[APP_BATCH];
	uint32_t n, i;

	if (dps_msgq_count(wk->qin) == 0)
		return 0;
	if (!q_ok(wk, wk->qin)) {
		app_bad(app, wk, "the request queue header was overwritten");
		return 0;
	}
	/* at most one answer per request: take no more than there is room
	 * for, the rest waits in the application's queue */
	n = RTE_MIN(q_room(wk), (uint32_t)APP_BATCH);
	n = dps_msgq_dequeue(wk->qin, m, n);
	for (i = 0; i < n; i++) {
		wk->msgs_in++;
		if (!app_msg(w, app, wk, &m[i]))
			break;
	}
	return n;
}

/* Look again at the sockets whose events found the queue full. */
static unsigned wk_retry(struct dps_worker *w, struct dps_app *app, struct app_wk *wk)
{
	uint32_t n = wk->n_retry, i, posted = wk->msgs_out;

	if (q_room(wk) == 0)
		return 0;
	/* in place: each entry adds itself back at most once, at an index
	 * not above its own */
	wk->n_retry = 0;
	for (i = 0; i < n; i++) {
		int32_t sd = wk->retry[i];
		struct dps_sock *s = dps_sock_get(w->sess, sd);

		wk->sd[sd].on_retry = 0;
		if (s == NULL || s->app != app || (s->flags & DPS_SF_APP_CLOSED) ||
		    wk->sd[sd].kind == APP_SK_NONE)
			continue;
		if (wk->sd[sd].tx_more && !udp_drain(w, app, wk, s))
			return 1;
		sock_events(w, app, wk, s);
	}
	return (unsigned)(wk->msgs_out - posted);
}

unsigned dps_app_worker_poll(struct dps_worker *w)
{
	struct dps_session_worker *sw = w->sess;
	unsigned work = 0;

	for (uint32_t i = 0; i < sw->n_apps; i++) {
		struct dps_app *app = sw->apps[i];
		struct app_wk *wk = &app->w[w->id];

		if (wk_stopped(wk))
			continue;
		if (wk->n_retry > 0)
			work += wk_retry(w, app, wk);
		work += wk_input(w, app, wk);
	}
	return work;
}

void dps_app_worker_flush(struct dps_worker *w)
{
	struct dps_session_worker *sw = w->sess;

	for (uint32_t i = 0; i < sw->n_apps; i++) {
		struct app_wk *wk = &sw->apps[i]->w[w->id];

		if (wk->posted > 0) {
			wk->posted = 0;
			dps_msgq_notify(wk->qout, wk->wake_fd);
		}
	}
}

bool dps_app_worker_sleep_begin(struct dps_worker *w)
{
	struct dps_session_worker *sw = w->sess;
	bool ok = true;

	for (uint32_t i = 0; i < sw->n_apps; i++) {
		struct app_wk *wk = &sw->apps[i]->w[w->id];

		/* events waiting for room: the application frees it without
		 * telling us, so keep polling */
		if ((wk->n_retry > 0 && !wk_stopped(wk)) || dps_msgq_sleep_begin(wk->qin) != 0)
			ok = false;
	}
	return ok;
}

void dps_app_worker_sleep_end(struct dps_worker *w)
{
	struct dps_session_worker *sw = w->sess;

	for (uint32_t i = 0; i < sw->n_apps; i++)
		dps_msgq_sleep_end(sw->apps[i]->w[w->id].qin);
}

/* ---- FIFOs ---- */

/* The application's state for the worker whose table holds s. */
static struct app_wk *wk_of_sock(struct dps_app *app, const struct dps_sock *s)
{
	for (unsigned i = 0; i < app->n_workers; i++) {
		const struct dps_session_worker *sw = app->w[i].sw;

		if (s >= sw->socks && s < sw->socks + sw->max_socks)
			return &app->w[i];
	}
	return NULL;
}

struct dps_fifo *dps_app_fifo_alloc(struct dps_app *app, struct dps_sock *s, uint32_t cap)
{
	struct app_wk *wk = wk_of_sock(app, s);
	size_t bytes = dps_fifo_footprint(cap);
	struct dps_fifo *f;
	int64_t off;

	if (wk == NULL || cap < DPS_FIFO_MIN_CAPACITY || (cap & (cap - 1)) != 0)
		return NULL;
	off = dps_heap_alloc(&wk->heap, bytes);
	if (off < 0) {
		wk->heap_full++;
		return NULL;
	}
	f = (struct dps_fifo *)(app->base + off);
	if (dps_fifo_init(f, bytes) != 0) {
		dps_heap_free(&wk->heap, (uint64_t)off);
		return NULL;
	}
	__atomic_add_fetch(&wk->fifos, 1, __ATOMIC_RELEASE);
	return f;
}

void dps_app_fifo_free(struct dps_app *app, struct dps_sock *s, struct dps_fifo *f)
{
	struct app_wk *wk = wk_of_sock(app, s);

	if (wk == NULL || dps_heap_free(&wk->heap, (uint64_t)((uint8_t *)f - app->base)) != 0) {
		DPS_LOG(ERR, session, "app %u: FIFO %p of socket %d is not in its heap", app->id,
			(void *)f, s->sd);
		return;
	}
	/* the last touch of the application by this worker for s: once
	 * every worker's count is 0 the control plane may free it */
	__atomic_sub_fetch(&wk->fifos, 1, __ATOMIC_RELEASE);
}

bool dps_app_sock_ok(struct dps_sock *s)
{
	return s->app == NULL || sock_fifos_ok(s->app, wk_of_sock(s->app, s), s);
}

uint32_t dps_app_id(const struct dps_app *app)
{
	return app->id;
}

const char *dps_app_name(const struct dps_app *app)
{
	return app->name;
}

/* ---- RPCs from the control plane ---- */

int app_worker_add(struct dps_worker *w, void *arg)
{
	struct dps_session_worker *sw = w->sess;

	if (sw->n_apps >= DPS_APP_MAX)
		return -ENOSPC;
	sw->apps[sw->n_apps++] = arg;
	return 0;
}

int app_worker_remove(struct dps_worker *w, void *arg)
{
	struct dps_session_worker *sw = w->sess;
	struct dps_app *app = arg;
	bool bad = false;
	uint32_t i, sd;

	/* detached for bad input: its FIFOs are not to be trusted any more,
	 * so every connection is reset rather than finished from them */
	for (i = 0; i < app->n_workers; i++)
		bad |= __atomic_load_n(&app->w[i].bad, __ATOMIC_ACQUIRE) != 0;
	for (i = 0; i < sw->n_apps; i++) {
		if (sw->apps[i] == app) {
			sw->apps[i] = sw->apps[--sw->n_apps];
			sw->apps[sw->n_apps] = NULL;
			break;
		}
	}
	/* as close() of each descriptor when a process dies: listeners first
	 * (they reset the connections nobody accepted), then the rest */
	for (sd = 0; sd < sw->max_socks; sd++) {
		struct dps_sock *s = &sw->socks[sd];

		if (s->used && s->app == app && s->proto == IPPROTO_TCP &&
		    (s->flags & DPS_SF_LISTENING) && !(s->flags & DPS_SF_APP_CLOSED))
			dps_sock_close(w, (int)sd);
	}
	for (sd = 0; sd < sw->max_socks; sd++) {
		struct dps_sock *s = &sw->socks[sd];

		if (!s->used || s->app != app)
			continue;
		if ((s->flags & DPS_SF_CUT) && !(s->flags & DPS_SF_APP_CLOSED)) {
			ct_close(w, s, bad);
			continue;
		}
		if ((s->flags & DPS_SF_CUT) && bad) {
			/* closed earlier, still moving from its FIFO */
			ct_close(w, s, true);
			continue;
		}
		if (s->parent < 0 && !(s->flags & (DPS_SF_APP_CLOSED | DPS_SF_ACCEPTQ))) {
			if (bad && s->proto == IPPROTO_TCP) {
				/* SO_LINGER 0: close() resets */
				s->flags |= DPS_SF_LINGER;
				s->linger_s = 0;
			}
			dps_sock_close(w, (int)sd);
		} else if (bad && s->proto == IPPROTO_TCP && (s->flags & DPS_SF_APP_CLOSED)) {
			/* closed earlier, still sending from its FIFOs */
			tcp_abort(sw, s, true);
		}
	}
	return 0;
}

int app_worker_count(struct dps_worker *w, void *arg)
{
	struct dps_session_worker *sw = w->sess;
	struct app_count *c = arg;

	for (uint32_t sd = 0; sd < sw->max_socks; sd++) {
		const struct dps_sock *s = &sw->socks[sd];

		if (!s->used || s->app == NULL)
			continue;
		for (unsigned i = 0; i < c->n; i++) {
			if (c->app[i] == s->app) {
				c->sessions[i][w->id]++;
				break;
			}
		}
	}
	return 0;
}

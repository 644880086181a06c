/*
 * libdpsock: the socket calls and the handlers of dpstackd's events
 * (dpsock_proto.h). Every call finds its descriptor, locks the owning
 * attachment, takes the messages waiting (so its view is fresh), acts on
 * the FIFOs and queues, and sleeps through dpsl_sleep() when it must
 * block.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "dpsock_internal.h"

#define API __attribute__((visibility("default")))

/* dpstackd's default FIFO sizes and its rule for SO_RCVBUF/SO_SNDBUF
 * (src/session/session_internal.h), for getsockopt before a session exists */
#define DEF_BUF   (256u * 1024)
#define BUF_MIN   4096u
#define BUF_MAX   (16u * 1024 * 1024)

/* TX_SPACE comes when this much is free (dpsock_proto.h "Events"). */
static uint32_t tx_threshold(const struct dps_fifo *f)
{
	uint32_t half = dps_fifo_capacity(f) / 2;

	return half < 16384 ? half : 16384;
}

/* Request ids (dpsl_req_id): the message type in bits 56-63, the
 * descriptor index in 32-51; a UDP connect marks 55, and 54 when it asked
 * for a new session. */
#define REQ_IDX(id) ((uint32_t)((id) >> 32) & 0xfffff)
#define REQ_UDP     (1ull << 55)
#define REQ_NEW     (1ull << 54)

static inline int fail(int err)
{
	errno = err;
	return -1;
}

/* ---------------------------------------------------------- descriptors */

/*
 * The socket at fd with its attachment locked; NULL with *err set
 * (EBADF, ENOTSOCK for an epoll descriptor).
 */
static struct dpsl_sock *sock_get(int fd, int *err)
{
	struct dpsl_sock *s = dpsl_slot(fd);

	for (;;) {
		struct dpsl_att *a;
		uint32_t gen;

		if (s == NULL || LOAD(s->use) != DPSL_U_OPEN) {
			*err = EBADF;
			return NULL;
		}
		gen = LOAD(s->gen);
		if (LOAD(s->kind) == DPSL_K_EPOLL) {
			*err = ENOTSOCK;
			return NULL;
		}
		a = LOAD(s->att);
		if (a == NULL) {
			*err = EBADF;
			return NULL;
		}
		pthread_mutex_lock(&a->lock);
		if (LOAD(s->gen) == gen && s->use == DPSL_U_OPEN && s->att == a)
			return s;
		pthread_mutex_unlock(&a->lock);
		if (LOAD(s->gen) != gen) {
			*err = EBADF;
			return NULL;
		}
	}
}

/* sock_get() for the calls: errno set on failure, the attachment in *a. */
static struct dpsl_sock *sock_lock(int fd, struct dpsl_att **a)
{
	struct dpsl_sock *s;
	int err;

	s = sock_get(fd, &err);
	if (s == NULL) {
		errno = err;
		return NULL;
	}
	*a = s->att;
	return s;
}

/* Done with a socket of attachment a (taken before the lock was ever
 * dropped: s->att is NULL once s is closed). */
static void att_put(struct dpsl_att *a)
{
	dpsl_flush(a);
	pthread_mutex_unlock(&a->lock);
}

/* Still the socket the caller had (the lock was dropped meanwhile)? */
static bool sock_same(const struct dpsl_sock *s, struct dpsl_att *a, uint32_t gen)
{
	return s->gen == gen && s->att == a && s->use != DPSL_U_FREE;
}

/*
 * Block for socket s: drop the lock, sleep, take it again, take messages.
 * 0 (look again), -EINTR, -EAGAIN (the timeout passed), -EBADF (closed).
 */
static int sock_wait(struct dpsl_sock *s, int64_t deadline)
{
	struct dpsl_att *a = s->att;
	uint32_t gen = s->gen;
	uint64_t seq = a->ev_seq;
	int rc;

	dpsl_flush(a);
	pthread_mutex_unlock(&a->lock);
	rc = dpsl_sleep(&a, &seq, 1, NULL, NULL, 0, deadline);
	pthread_mutex_lock(&a->lock);
	dpsl_pump(a);
	if (!sock_same(s, a, gen))
		return -EBADF;
	if (rc == -ETIMEDOUT)
		return -EAGAIN;
	return rc;
}

static int64_t deadline_of(int64_t timeo_ns)
{
	return timeo_ns > 0 ? dpsl_now_ns() + timeo_ns : -1;
}

/* ------------------------------------------------------------- sessions */

static inline struct dps_msg msg_of(uint16_t type, uint64_t session)
{
	struct dps_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.session = session;
	return m;
}

/* Tell dpstackd we are done with a session it gave us. */
static void close_handle(struct dpsl_att *a, uint64_t h)
{
	unsigned w = dps_handle_worker(h);
	struct dps_msg m = msg_of(DPS_MSG_CLOSE, h);

	if (h != 0 && w < a->n_workers && a->dead == 0)
		dpsl_post(a, w, &m);
}

/* The descriptor a session belongs to (checked against its handle). */
static struct dpsl_sock *sock_of(struct dpsl_att *a, uint64_t h)
{
	unsigned w = dps_handle_worker(h);
	uint32_t sd = (uint32_t)dps_handle_sd(h);
	struct dpsl_sock *s;

	if (w >= a->n_workers || sd >= a->w[w].evt_count || a->w[w].map[sd] < 0)
		return NULL;
	s = dpsl_slot(DPS_FD_BASE + a->w[w].map[sd]);
	if (s == NULL || s->att != a || s->use == DPSL_U_FREE || s->ss[w].h != h)
		return NULL;
	return s;
}

/*
 * Take session h (worker w) for s, with its FIFOs at rx/tx (0: none, for a
 * listener). 0, or -EPROTO if the handle or an offset is not valid.
 */
static int sess_set(struct dpsl_sock *s, uint64_t h, uint64_t rx, uint64_t tx, bool fifos)
{
	struct dpsl_att *a = s->att;
	unsigned w = dps_handle_worker(h);
	uint32_t sd = (uint32_t)dps_handle_sd(h);
	struct dps_fifo *frx = NULL, *ftx = NULL;

	if (h == 0 || w >= a->n_workers || sd >= a->w[w].evt_count)
		return -EPROTO;
	if (fifos) {
		frx = dpsl_fifo_at(a, w, rx);
		ftx = dpsl_fifo_at(a, w, tx);
		if (frx == NULL || ftx == NULL || frx == ftx)
			return -EPROTO;
	}
	STORE(s->ss[w].rx, frx);
	STORE(s->ss[w].tx, ftx);
	s->ss[w].h = h;
	a->w[w].map[sd] = s->idx;
	s->wmask |= 1u << w;
	return 0;
}

/* Close every session of s and forget them. */
static void sess_close_all(struct dpsl_sock *s)
{
	struct dpsl_att *a = s->att;
	unsigned w;

	for (w = 0; w < DPSL_MAXW; w++) {
		uint64_t h = s->ss[w].h;

		if (!(s->wmask & (1u << w)))
			continue;
		if (a->live && w < a->n_workers) {
			uint32_t sd = (uint32_t)dps_handle_sd(h);

			if (sd < a->w[w].evt_count && a->w[w].map[sd] == s->idx)
				a->w[w].map[sd] = -1;
			close_handle(a, h);
		}
		STORE(s->ss[w].rx, NULL);
		STORE(s->ss[w].tx, NULL);
		s->ss[w].h = 0;
	}
	s->wmask = 0;
}

static inline uint8_t *evt_of(struct dpsl_att *a, uint64_t h)
{
	return &a->w[dps_handle_worker(h)].evt[dps_handle_sd(h)];
}

/* Data went into the tx FIFO of session w: DPS_MSG_TX unless one is queued. */
static void post_tx(struct dpsl_sock *s, unsigned w)
{
	struct dpsl_att *a = s->att;
	uint64_t h = s->ss[w].h;

	if (!(__atomic_fetch_or(evt_of(a, h), DPS_EVT_TX, __ATOMIC_SEQ_CST) & DPS_EVT_TX)) {
		struct dps_msg m = msg_of(DPS_MSG_TX, h);

		dpsl_post(a, w, &m);
	}
}

/* Data left the rx FIFO of session w: RX_DONE if the worker asked for it. */
static void rx_done(struct dpsl_sock *s, unsigned w)
{
	struct dpsl_att *a = s->att;
	uint64_t h = s->ss[w].h;
	uint8_t *e = evt_of(a, h);

	if ((__atomic_load_n(e, __ATOMIC_RELAXED) & DPS_EVT_WANT_RXD) &&
	    (__atomic_fetch_and(e, (uint8_t)~DPS_EVT_WANT_RXD, __ATOMIC_SEQ_CST) & DPS_EVT_WANT_RXD)) {
		struct dps_msg m = msg_of(DPS_MSG_RX_DONE, h);

		dpsl_post(a, w, &m);
	}
}

/*
 * Ask for TX_SPACE, then look again (no lost wake-up: the worker clears
 * the flag after it frees room). Returns the free space now.
 */
static uint32_t want_tx_space(struct dpsl_att *a, uint64_t h, const struct dps_fifo *tx)
{
	__atomic_fetch_or(evt_of(a, h), DPS_EVT_WANT_TXS, __ATOMIC_SEQ_CST);
	return dps_fifo_free(tx);
}

static uint64_t bufs_of(const struct dpsl_sock *s)
{
	return (uint64_t)(uint32_t)s->rcvbuf | (uint64_t)(uint32_t)s->sndbuf << 32;
}

static inline uint64_t addr_arg(uint32_t ip, uint16_t port)
{
	return (uint64_t)ip | (uint64_t)port << 32;
}

static inline uint32_t arg_ip(uint64_t v)
{
	return (uint32_t)v;
}

static inline uint16_t arg_port(uint64_t v)
{
	return (uint16_t)(v >> 32);
}

/* Options kept until a session exists: send them to session w's worker. */
static void popt_apply(struct dpsl_sock *s, unsigned w)
{
	unsigned i;

	for (i = 0; i < s->n_popt; i++) {
		struct dps_msg m = msg_of(DPS_MSG_SETOPT, s->ss[w].h);

		m.args[0] = (uint64_t)s->popt[i].level;
		m.args[1] = (uint64_t)s->popt[i].opt;
		memcpy(&m.args[2], s->popt[i].v, sizeof(s->popt[i].v));
		m.args[5] = dpsl_req_id(s->att, DPS_MSG_SETOPT, s->idx);
		dpsl_post(s->att, w, &m);   /* the REPLY is not waited for */
	}
}

/* -------------------------------------------------------------- events */

static void on_accepted(struct dpsl_att *a, unsigned w, const struct dps_msg *m)
{
	struct dpsl_sock *l = sock_of(a, m->args[0]), *c;

	if (l == NULL || l->state != DPSL_S_LISTEN || l->use != DPSL_U_OPEN) {
		/* its listener is closed: the session is ours to close */
		close_handle(a, m->session);
		return;
	}
	c = dpsl_slot_alloc(a, DPSL_K_TCP);
	if (c == NULL) {
		close_handle(a, m->session);
		return;
	}
	if (dps_handle_worker(m->session) != w ||
	    sess_set(c, m->session, m->args[2], m->args[3], true) != 0) {
		close_handle(a, m->session);
		dpsl_slot_free(c);
		return;
	}
	c->cw = (uint8_t)w;
	c->raddr = arg_ip(m->args[1]);
	c->rport = arg_port(m->args[1]);
	c->laddr = arg_ip(m->args[4]);
	c->lport = arg_port(m->args[4]);
	c->sockf = l->sockf;
	c->rcvbuf = l->rcvbuf;
	c->sndbuf = l->sndbuf;
	c->rcvtimeo_ns = l->rcvtimeo_ns;
	c->sndtimeo_ns = l->sndtimeo_ns;
	STORE(c->state, DPSL_S_CONNECTED);
	STORE(c->use, DPSL_U_PENDING);
	if (l->aq_tail >= 0)
		dpsl_slot(DPS_FD_BASE + l->aq_tail)->aq_next = c->idx;
	else
		l->aq_head = c->idx;
	l->aq_tail = c->idx;
	STORE(l->aq_len, l->aq_len + 1);
	dpsl_sock_changed(l);
}

static void on_connected(struct dpsl_att *a, const struct dps_msg *m)
{
	struct dpsl_sock *s = dpsl_slot(DPS_FD_BASE + (int)REQ_IDX(m->args[5]));

	if (s == NULL || s->att != a || s->use == DPSL_U_FREE || s->conn_req != m->args[5] ||
	    s->state != DPSL_S_CONNECTING) {
		/* closed while connecting: a session made is ours to close
		 * (not a UDP session that existed before the connect: closing
		 * the socket closed it) */
		if (m->error == 0 && (!(m->args[5] & REQ_UDP) || (m->args[5] & REQ_NEW)))
			close_handle(a, m->session);
		return;
	}
	s->conn_req = 0;
	if (m->error == 0 && sess_set(s, m->session, m->args[2], m->args[3], true) != 0) {
		close_handle(a, m->session);
		STORE(s->err, EPROTO);
		STORE(s->state, DPSL_S_CLOSED);
	} else if (m->error != 0) {
		STORE(s->err, m->error > 0 && m->error < 4096 ? (int)m->error : ECONNREFUSED);
		STORE(s->state, DPSL_S_CLOSED);
	} else {
		s->cw = (uint8_t)dps_handle_worker(m->session);
		s->laddr = arg_ip(m->args[1]);
		s->lport = arg_port(m->args[1]);
		STORE(s->state, DPSL_S_CONNECTED);
		popt_apply(s, s->cw);
	}
	__atomic_fetch_or(&s->flags, DPSL_F_CONN_DONE, __ATOMIC_RELEASE);
	dpsl_sock_changed(s);
}

void dpsl_on_msg(struct dpsl_att *a, unsigned w, const struct dps_msg *m)
{
	struct dpsl_sock *s;

	switch (m->type) {
	case DPS_MSG_ACCEPTED:
		on_accepted(a, w, m);
		return;
	case DPS_MSG_CONNECTED:
		on_connected(a, m);
		return;
	case DPS_MSG_REPLY:
		/* nobody waits for it any more: a session it made is ours */
		if (m->error == 0 && ((m->args[5] >> 56) == DPS_MSG_LISTEN ||
				      (m->args[5] >> 56) == DPS_MSG_BIND_UDP))
			close_handle(a, m->session);
		return;
	default:
		break;
	}
	s = sock_of(a, m->session);
	if (s == NULL)
		return;   /* a session we closed: its last words */
	switch (m->type) {
	case DPS_MSG_RX:
		/* take the message first, then read (proto "Events") */
		__atomic_fetch_and(evt_of(a, m->session), (uint8_t)~DPS_EVT_RX, __ATOMIC_SEQ_CST);
		break;
	case DPS_MSG_TX_SPACE:
		break;
	case DPS_MSG_RESET:
		if (s->kind == DPSL_K_UDP) {
			STORE(s->err, m->error > 0 && m->error < 4096 ? (int)m->error : ECONNREFUSED);
		} else {
			STORE(s->err, m->error > 0 && m->error < 4096 ? (int)m->error : ECONNRESET);
			__atomic_fetch_or(&s->flags, DPSL_F_RESET, __ATOMIC_RELEASE);
		}
		break;
	case DPS_MSG_CLOSED:
		__atomic_fetch_or(&s->flags, DPSL_F_EOF, __ATOMIC_RELEASE);
		break;
	default:
		return;
	}
	dpsl_sock_changed(s);
}

void dpsl_sock_orphan_all(struct dpsl_att *a)
{
	unsigned i, n = LOAD(dpsl.n_chunks) * DPSL_CHUNK;

	for (i = 0; i < n; i++) {
		struct dpsl_sock *s = dpsl_slot(DPS_FD_BASE + (int)i);

		if (s == NULL || LOAD(s->att) != a || s->use == DPSL_U_FREE)
			continue;
		__atomic_fetch_or(&s->flags, DPSL_F_DEAD, __ATOMIC_RELEASE);
		if (s->kind == DPSL_K_TCP && s->state == DPSL_S_CONNECTED) {
			if (!(s->flags & DPSL_F_RESET) && s->err == 0)
				STORE(s->err, ECONNRESET);
			__atomic_fetch_or(&s->flags, DPSL_F_RESET, __ATOMIC_RELEASE);
		} else if (s->kind == DPSL_K_TCP && s->state == DPSL_S_CONNECTING) {
			s->conn_req = 0;
			STORE(s->err, ENETDOWN);
			STORE(s->state, DPSL_S_CLOSED);
			__atomic_fetch_or(&s->flags, DPSL_F_CONN_DONE, __ATOMIC_RELEASE);
		} else if (s->kind == DPSL_K_UDP && s->wmask != 0) {
			STORE(s->err, ENETDOWN);
		}
		dpsl_sock_changed(s);
	}
}

/* ------------------------------------------------------------ readiness */

static bool udp_readable(struct dpsl_sock *s)
{
	unsigned w;

	for (w = 0; w < DPSL_MAXW; w++) {
		struct dps_fifo *rx = LOAD(s->ss[w].rx);
		struct dps_dgram_hdr hdr;
		uint32_t used;

		if (rx == NULL)
			continue;
		used = dps_fifo_used(rx);
		if (used < sizeof(hdr))
			continue;
		dps_fifo_peek(rx, 0, &hdr, sizeof(hdr));
		if (used >= sizeof(hdr) + (uint64_t)hdr.len)
			return true;
	}
	return false;
}

/* Writable for poll: TX_SPACE's threshold, else ask for TX_SPACE. */
static bool tx_ready(struct dpsl_sock *s, unsigned w, uint32_t want, uint32_t need)
{
	struct dps_fifo *tx = LOAD(s->ss[w].tx);
	uint32_t thr;

	if (tx == NULL)
		return false;
	thr = tx_threshold(tx);
	if (thr < need)
		thr = need;
	if (dps_fifo_free(tx) >= thr)
		return true;
	if (!(want & EPOLLOUT) || LOAD(s->flags) & DPSL_F_DEAD)
		return false;
	return want_tx_space(LOAD(s->att), s->ss[w].h, tx) >= thr;
}

uint32_t dpsl_sock_events(struct dpsl_sock *s, uint32_t want)
{
	uint32_t ev = 0, f = LOAD(s->flags);
	unsigned w;

	if (LOAD(s->err) != 0)
		ev |= EPOLLERR;
	if (LOAD(s->kind) == DPSL_K_UDP) {
		if (udp_readable(s) || (f & DPSL_F_SHUT_RD))
			ev |= EPOLLIN | EPOLLRDNORM;
		w = LOAD(s->cw);
		if (LOAD(s->ss[w].tx) == NULL ||
		    tx_ready(s, w, want, sizeof(struct dps_dgram_hdr) + 1))
			ev |= EPOLLOUT | EPOLLWRNORM;
		if ((f & (DPSL_F_SHUT_RD | DPSL_F_SHUT_WR)) == (DPSL_F_SHUT_RD | DPSL_F_SHUT_WR))
			ev |= EPOLLHUP;
		return ev;
	}
	switch (LOAD(s->state)) {
	case DPSL_S_NEW:
		return ev | EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
	case DPSL_S_LISTEN:
		if (LOAD(s->aq_len) > 0)
			ev |= EPOLLIN | EPOLLRDNORM;
		if (f & DPSL_F_DEAD)
			ev |= EPOLLERR | EPOLLHUP;
		return ev;
	case DPSL_S_CONNECTING:
		return ev;
	case DPSL_S_CLOSED:
		return ev | EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
	default:
		break;
	}
	/* connected (Linux tcp_poll) */
	w = LOAD(s->cw);
	if (f & (DPSL_F_EOF | DPSL_F_SHUT_RD | DPSL_F_RESET))
		ev |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	else if (LOAD(s->ss[w].rx) != NULL && dps_fifo_used(LOAD(s->ss[w].rx)) > 0)
		ev |= EPOLLIN | EPOLLRDNORM;
	if ((f & (DPSL_F_SHUT_WR | DPSL_F_RESET)) || tx_ready(s, w, want, 1))
		ev |= EPOLLOUT | EPOLLWRNORM;
	if ((f & DPSL_F_RESET) ||
	    ((f & (DPSL_F_EOF | DPSL_F_SHUT_RD)) && (f & DPSL_F_SHUT_WR)))
		ev |= EPOLLHUP;
	return ev;
}

/* ------------------------------------------------------------ addresses */

static int addr_in(const struct sockaddr *sa, socklen_t len, uint32_t *ip, uint16_t *port,
		   bool unspec_ok)
{
	struct sockaddr_in sin;

	if (len > sizeof(struct sockaddr_storage))
		return -EINVAL;
	if (len == 0)
		return -EINVAL;
	if (sa == NULL)
		return -EFAULT;
	if (len < sizeof(sin))
		return -EINVAL;
	memcpy(&sin, sa, sizeof(sin));
	if (sin.sin_family != AF_INET &&
	    !(unspec_ok && sin.sin_family == AF_UNSPEC && sin.sin_addr.s_addr == htonl(INADDR_ANY)))
		return -EAFNOSUPPORT;
	*ip = ntohl(sin.sin_addr.s_addr);
	*port = ntohs(sin.sin_port);
	return 0;
}

/* Copy an address out as accept/getsockname do (truncated to *len). */
static void addr_out(struct sockaddr *sa, socklen_t *len, uint32_t ip, uint16_t port)
{
	struct sockaddr_in sin;

	if (sa == NULL || len == NULL)
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(ip);
	memcpy(sa, &sin, *len < sizeof(sin) ? *len : sizeof(sin));
	*len = sizeof(sin);
}

/* addr/len as accept and recvfrom take them: both NULL, or checked. */
static int addr_out_check(const struct sockaddr *sa, const socklen_t *len)
{
	if (sa == NULL)
		return 0;
	if (len == NULL)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	return 0;
}

/* ---------------------------------------------------------------- calls */

API int dps_is_fd(int fd)
{
	struct dpsl_sock *s = dpsl_slot(fd);

	return s != NULL && LOAD(s->use) == DPSL_U_OPEN;
}

API int dps_socket(int domain, int type, int protocol)
{
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC), kind;
	struct dpsl_att *a;
	struct dpsl_sock *s;

	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain != AF_INET)
		return fail(EAFNOSUPPORT);
	if (type == SOCK_STREAM) {
		if (protocol != 0 && protocol != IPPROTO_TCP)
			return fail(EPROTONOSUPPORT);
		kind = DPSL_K_TCP;
	} else if (type == SOCK_DGRAM) {
		if (protocol != 0 && protocol != IPPROTO_UDP)
			return fail(EPROTONOSUPPORT);
		kind = DPSL_K_UDP;
	} else if (type <= 0 || type >= 11) {   /* SOCK_MAX */
		return fail(EINVAL);
	} else {
		return fail(ESOCKTNOSUPPORT);
	}
	a = dpsl_att_self();
	if (a == NULL)
		return -1;
	pthread_mutex_lock(&a->lock);
	if (a->dead != 0) {
		pthread_mutex_unlock(&a->lock);
		return fail(ENETDOWN);
	}
	s = dpsl_slot_alloc(a, kind);
	if (s == NULL) {
		int e = errno;

		pthread_mutex_unlock(&a->lock);
		return fail(e);
	}
	s->flags = (flags & SOCK_NONBLOCK ? DPSL_F_NONBLOCK : 0) |
		   (flags & SOCK_CLOEXEC ? DPSL_F_CLOEXEC : 0);
	s->state = DPSL_S_NEW;
	STORE(s->use, DPSL_U_OPEN);
	pthread_mutex_unlock(&a->lock);
	return dpsl_fd(s);
}

/* BIND_UDP on every worker: worker 0 picks the port, the others follow. */
static int udp_bind(struct dpsl_sock *s, uint32_t ip, uint16_t port)
{
	struct dpsl_att *a = s->att;
	uint32_t gen = s->gen;
	unsigned w;
	int rc;

	for (w = 0; w < a->n_workers; w++) {
		struct dps_msg m = msg_of(DPS_MSG_BIND_UDP, 0), r;

		m.args[1] = addr_arg(ip, port);
		m.args[3] = bufs_of(s);
		m.args[5] = dpsl_req_id(a, DPS_MSG_BIND_UDP, s->idx);
		rc = dpsl_request(a, w, &m, &r);
		if (!sock_same(s, a, gen)) {
			if (rc == 0 && r.error == 0)
				close_handle(a, r.session);
			return -EBADF;
		}
		if (rc == 0 && r.error != 0)
			rc = -(int)r.error;
		if (rc == 0 && (dps_handle_worker(r.session) != w ||
				sess_set(s, r.session, r.args[2], r.args[3], true) != 0)) {
			close_handle(a, r.session);
			rc = -EPROTO;
		}
		if (rc != 0) {
			sess_close_all(s);
			return rc;
		}
		if (w == 0) {
			s->laddr = arg_ip(r.args[1]);
			s->lport = arg_port(r.args[1]);
			port = s->lport;
		}
		popt_apply(s, w);
	}
	s->cw = 0;
	return 0;
}

API int dps_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct dpsl_sock *s;
	struct dpsl_att *a;
	uint32_t ip;
	uint16_t port;
	int rc;

	s = sock_lock(fd, &a);
	if (s == NULL)
		return -1;
	rc = addr_in(addr, len, &ip, &port, true);
	if (rc == 0 && s->att->dead != 0)
		rc = -ENETDOWN;
	if (rc == 0 && s->kind == DPSL_K_TCP) {
		if (s->state != DPSL_S_NEW || (s->flags & DPSL_F_BOUND)) {
			rc = -EINVAL;
		} else {
			/* checked by dpstackd at listen() or connect() */
			s->laddr = ip;
			s->lport = port;
			s->flags |= DPSL_F_BOUND;
		}
	} else if (rc == 0) {
		if (s->wmask != 0)
			rc = -EINVAL;
		else if ((rc = udp_bind(s, ip, port)) == 0)
			s->flags |= DPSL_F_BOUND;
	}
	att_put(a);
	return rc == 0 ? 0 : fail(-rc);
}

API int dps_listen(int fd, int backlog)
{
	struct dpsl_sock *s;
	struct dpsl_att *a;
	uint32_t gen;
	uint16_t port;
	unsigned w;
	int rc = 0;

	s = sock_lock(fd, &a);
	if (s == NULL)
		return -1;
	gen = s->gen;
	if (s->kind != DPSL_K_TCP) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (backlog < 0)
		backlog = 0;
	if (backlog > 65535)
		backlog = 65535;
	if (s->state == DPSL_S_LISTEN) {
		s->backlog = backlog;   /* dpstackd keeps the first one */
		goto out;
	}
	if (s->state != DPSL_S_NEW) {
		rc = -EINVAL;
		goto out;
	}
	if (a->dead != 0) {
		rc = -ENETDOWN;
		goto out;
	}
	port = s->lport;
	for (w = 0; w < a->n_workers; w++) {
		struct dps_msg m = msg_of(DPS_MSG_LISTEN, 0), r;

		m.args[0] = IPPROTO_TCP;
		m.args[1] = addr_arg(s->laddr, port);
		m.args[2] = (uint64_t)backlog;
		m.args[3] = bufs_of(s);
		m.args[4] = s->sockf;
		m.args[5] = dpsl_req_id(a, DPS_MSG_LISTEN, s->idx);
		rc = dpsl_request(a, w, &m, &r);
		if (!sock_same(s, a, gen)) {
			if (rc == 0 && r.error == 0)
				close_handle(a, r.session);
			rc = -EBADF;
			goto out;
		}
		if (rc == 0 && r.error != 0)
			rc = -(int)r.error;
		if (rc == 0 && (dps_handle_worker(r.session) != w ||
				sess_set(s, r.session, 0, 0, false) != 0)) {
			close_handle(a, r.session);
			rc = -EPROTO;
		}
		if (rc != 0) {
			sess_close_all(s);
			goto out;
		}
		if (w == 0) {
			port = arg_port(r.args[1]);
			s->laddr = arg_ip(r.args[1]);
			s->lport = port;
		}
		popt_apply(s, w);
	}
	s->backlog = backlog;
	STORE(s->state, DPSL_S_LISTEN);
	dpsl_sock_changed(s);
out:
	att_put(a);
	return rc == 0 ? 0 : fail(-rc);
}

API int dps_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct dpsl_sock *s, *c;
	struct dpsl_att *a;
	int rc;
	int64_t deadline;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return fail(EINVAL);
	s = sock_lock(fd, &a);
	if (s == NULL)
		return -1;
	if (s->kind != DPSL_K_TCP) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if ((rc = addr_out_check(addr, len)) != 0)
		goto out;
	deadline = deadline_of(s->rcvtimeo_ns);
	for (;;) {
		dpsl_pump(s->att);
		if (s->state != DPSL_S_LISTEN) {
			rc = -EINVAL;
			goto out;
		}
		if (s->aq_head >= 0)
			break;
		if (s->flags & DPSL_F_DEAD) {
			rc = -ENETDOWN;
			goto out;
		}
		if (s->flags & DPSL_F_NONBLOCK) {
			rc = -EAGAIN;
			goto out;
		}
		rc = sock_wait(s, deadline);
		if (rc != 0)
			goto out;
	}
	c = dpsl_slot(DPS_FD_BASE + s->aq_head);
	s->aq_head = c->aq_next;
	if (s->aq_head < 0)
		s->aq_tail = -1;
	c->aq_next = -1;
	STORE(s->aq_len, s->aq_len - 1);
	c->flags |= (flags & SOCK_NONBLOCK ? DPSL_F_NONBLOCK : 0) |
		    (flags & SOCK_CLOEXEC ? DPSL_F_CLOEXEC : 0);
	addr_out(addr, len, c->raddr, c->rport);
	STORE(c->use, DPSL_U_OPEN);
	att_put(a);
	return dpsl_fd(c);
out:
	att_put(a);
	return fail(-rc);
}

API int dps_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return dps_accept4(fd, addr, len, 0);
}

/* UDP connect: every session (or a new one on worker 0) gets the peer. */
static int udp_connect(struct dpsl_sock *s, uint32_t ip, uint16_t port)
{
	struct dpsl_att *a = s->att;
	uint32_t gen = s->gen, mask = s->wmask;
	unsigned w;
	int rc;

	if (ip == 0 || port == 0)
		return -EINVAL;
	for (w = 0; w < a->n_workers; w++) {
		struct dps_msg m, r;

		if (mask != 0 && !(mask & (1u << w)))
			continue;
		if (mask == 0 && w != 0)
			break;
		m = msg_of(DPS_MSG_CONNECT, mask ? s->ss[w].h : 0);
		m.args[0] = IPPROTO_UDP;
		m.args[1] = addr_arg(ip, port);
		m.args[2] = addr_arg(s->laddr, s->lport);
		m.args[3] = bufs_of(s);
		m.args[4] = s->sockf;
		m.args[5] = dpsl_req_id(a, DPS_MSG_CONNECT, s->idx) | REQ_UDP |
			    (mask == 0 ? REQ_NEW : 0);
		rc = dpsl_request(a, w, &m, &r);
		if (!sock_same(s, a, gen)) {
			if (rc == 0 && r.error == 0 && mask == 0)
				close_handle(a, r.session);
			return -EBADF;
		}
		if (rc == 0 && r.error != 0)
			rc = -(int)r.error;
		if (rc != 0)
			return rc;
		if (mask == 0) {
			if (sess_set(s, r.session, r.args[2], r.args[3], true) != 0) {
				close_handle(a, r.session);
				return -EPROTO;
			}
			s->cw = (uint8_t)dps_handle_worker(r.session);
			popt_apply(s, s->cw);
		}
		if (w == 0 || mask == 0) {
			s->laddr = arg_ip(r.args[1]);
			s->lport = arg_port(r.args[1]);
		}
	}
	s->raddr = ip;
	s->rport = port;
	s->flags |= DPSL_F_UDP_CONN | DPSL_F_BOUND;
	return 0;
}

API int dps_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct dpsl_sock *s;
	struct dpsl_att *a;
	uint32_t ip;
	uint16_t port;
	int rc;
	int64_t deadline;

	s = sock_lock(fd, &a);
	if (s == NULL)
		return -1;
	dpsl_pump(a);
	rc = addr_in(addr, len, &ip, &port, false);
	if (rc != 0)
		goto out;
	if (s->kind == DPSL_K_UDP) {
		rc = a->dead != 0 ? -ENETDOWN : udp_connect(s, ip, port);
		goto out;
	}
	switch (s->state) {
	case DPSL_S_CONNECTED:
		if (s->flags & DPSL_F_CONN_DONE) {
			/* Linux: the first connect() after the end of a
			 * non-blocking one returns 0, later ones EISCONN */
			s->flags &= ~DPSL_F_CONN_DONE;
			rc = 0;
		} else {
			rc = -EISCONN;
		}
		goto out;
	case DPSL_S_LISTEN:
		rc = -EISCONN;
		goto out;
	case DPSL_S_CONNECTING:
		if (s->flags & DPSL_F_NONBLOCK) {
			rc = -EALREADY;
			goto out;
		}
		goto wait;
	case DPSL_S_CLOSED:
		if (s->flags & DPSL_F_CONN_DONE) {
			/* the failure of a non-blocking connect, once */
			s->flags &= ~DPSL_F_CONN_DONE;
			rc = -(s->err != 0 ? s->err : ECONNABORTED);
			STORE(s->err, 0);
			goto out;
		}
		if (s->flags & DPSL_F_DEAD) {
			rc = -ENETDOWN;
			goto out;
		}
		STORE(s->state, DPSL_S_NEW);   /* Linux lets a failed socket connect again */
		break;
	default:
		break;
	}
	if (a->dead != 0) {
		rc = -ENETDOWN;
		goto out;
	}
	{
		struct dps_msg m = msg_of(DPS_MSG_CONNECT, 0);

		m.args[0] = IPPROTO_TCP;
		m.args[1] = addr_arg(ip, port);
		m.args[2] = s->flags & DPSL_F_BOUND ? addr_arg(s->laddr, s->lport) : 0;
		m.args[3] = bufs_of(s);
		m.args[4] = s->sockf;
		m.args[5] = dpsl_req_id(a, DPS_MSG_CONNECT, s->idx);
		rc = dpsl_post(a, 0, &m);
		if (rc != 0)
			goto out;
		s->conn_req = m.args[5];
		s->raddr = ip;
		s->rport = port;
		STORE(s->err, 0);
		s->flags &= ~DPSL_F_CONN_DONE;
		STORE(s->state, DPSL_S_CONNECTING);
		dpsl_sock_changed(s);
	}
	if (s->flags & DPSL_F_NONBLOCK) {
		rc = -EINPROGRESS;
		goto out;
	}
wait:
	deadline = deadline_of(s->sndtimeo_ns);
	for (;;) {
		dpsl_pump(a);
		if (s->state != DPSL_S_CONNECTING)
			break;
		rc = sock_wait(s, deadline);
		if (rc == -EAGAIN)
			rc = -EINPROGRESS;   /* SO_SNDTIMEO: Linux says EINPROGRESS */
		if (rc != 0)
			goto out;
	}
	s->flags &= ~DPSL_F_CONN_DONE;
	if (s->state == DPSL_S_CONNECTED) {
		rc = 0;
	} else {
		rc = -(s->err != 0 ? s->err : ECONNREFUSED);
		STORE(s->err, 0);
	}
out:
	att_put(a);
	return rc == 0 ? 0 : fail(-rc);
}

/* ------------------------------------------------------------ data path */

static size_t iov_total(const struct iovec *iov, int n, int *err)
{
	size_t t = 0;
	int i;

	if (n < 0 || n > IOV_MAX) {
		*err = EINVAL;
		return 0;
	}
	if (n > 0 && iov == NULL) {
		*err = EFAULT;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (iov[i].iov_len > 0 && iov[i].iov_base == NULL) {
			*err = EFAULT;
			return 0;
		}
		if (iov[i].iov_len > SSIZE_MAX - t) {
			*err = EINVAL;
			return 0;
		}
		t += iov[i].iov_len;
	}
	*err = 0;
	return t;
}

/* Walk an iovec from a byte offset: one piece at a time. */
struct iov_cur {
	const struct iovec *iov;
	int n, i;
	size_t off;
};

static void cur_init(struct iov_cur *c, const struct iovec *iov, int n, size_t skip)
{
	c->iov = iov;
	c->n = n;
	c->i = 0;
	c->off = 0;
	while (c->i < c->n && skip >= c->iov[c->i].iov_len - c->off) {
		skip -= c->iov[c->i].iov_len - c->off;
		c->i++;
		c->off = 0;
	}
	c->off += skip;
}

/* The next piece of at most max bytes; 0 at the end. */
static size_t cur_next(struct iov_cur *c, uint8_t **p, size_t max)
{
	size_t len;

	while (c->i < c->n && c->off == c->iov[c->i].iov_len) {
		c->i++;
		c->off = 0;
	}
	if (c->i >= c->n)
		return 0;
	len = c->iov[c->i].iov_len - c->off;
	if (len > max)
		len = max;
	*p = (uint8_t *)c->iov[c->i].iov_base + c->off;
	c->off += len;
	return len;
}

/* Copy FIFO bytes [off, off + len) into the iovec at byte skip (peek). */
static size_t fifo_to_iov(struct dps_fifo *f, uint32_t off, size_t len,
			  const struct iovec *iov, int n, size_t skip)
{
	struct iov_cur c;
	size_t done = 0, piece;
	uint8_t *p;

	cur_init(&c, iov, n, skip);
	while (done < len && (piece = cur_next(&c, &p, len - done)) > 0) {
		uint32_t got = dps_fifo_peek(f, off + (uint32_t)done, p,
					     piece > UINT32_MAX ? UINT32_MAX : (uint32_t)piece);

		done += got;
		if (got < piece)
			break;
	}
	return done;
}

/* Copy len bytes of the iovec from byte skip into FIFO space segs at off. */
static void iov_to_segs(const struct iovec *iov, int n, size_t skip, size_t len,
			struct dps_fifo_seg segs[2], uint32_t off)
{
	struct iov_cur c;
	size_t piece;
	uint8_t *p;

	cur_init(&c, iov, n, skip);
	while (len > 0 && (piece = cur_next(&c, &p, len)) > 0) {
		size_t done = 0;

		while (done < piece) {
			unsigned k = off < segs[0].len ? 0 : 1;
			uint32_t at = k == 0 ? off : off - segs[0].len;
			size_t room = segs[k].len - at, m = piece - done < room ? piece - done : room;

			memcpy(segs[k].data + at, p + done, m);
			done += m;
			off += (uint32_t)m;
		}
		len -= piece;
	}
}

static void bytes_to_segs(const void *src, size_t len, struct dps_fifo_seg segs[2], uint32_t off)
{
	struct iovec v = { .iov_base = (void *)src, .iov_len = len };

	iov_to_segs(&v, 1, 0, len, segs, off);
}

/* ---- TCP ---- */

static ssize_t tcp_recv(struct dpsl_sock *s, const struct iovec *iov, int n, size_t total,
			int flags)
{
	bool peek = flags & MSG_PEEK, trunc = flags & MSG_TRUNC;
	bool nonblock = (s->flags & DPSL_F_NONBLOCK) || (flags & MSG_DONTWAIT);
	int64_t deadline = deadline_of(s->rcvtimeo_ns);
	size_t done = 0;
	int rc;

	for (;;) {
		struct dps_fifo *rx;
		uint32_t f, avail, want;

		dpsl_pump(s->att);
		switch (s->state) {
		case DPSL_S_NEW:
		case DPSL_S_LISTEN:
			return -ENOTCONN;
		case DPSL_S_CLOSED:
			if (s->err != 0) {
				rc = s->err;
				STORE(s->err, 0);
				return -rc;
			}
			return 0;
		case DPSL_S_CONNECTING:
			goto block;
		default:
			break;
		}
		if (total == 0)
			return 0;
		rx = s->ss[s->cw].rx;
		f = LOAD(s->flags);   /* before the FIFO: data that came before the FIN */
		avail = dps_fifo_max_dequeue(rx);
		if (avail > 0 && !(f & DPSL_F_SHUT_RD)) {
			size_t left = total - done;

			want = left < avail ? (uint32_t)left : avail;
			if (!trunc)
				want = (uint32_t)fifo_to_iov(rx, 0, want, iov, n, done);
			if (!peek) {
				dps_fifo_drop(rx, want);
				rx_done(s, s->cw);
			}
			done += want;
			if (done == total || peek || !(flags & MSG_WAITALL))
				return (ssize_t)done;
			continue;
		}
		if (done > 0 && !(flags & MSG_WAITALL))
			return (ssize_t)done;
		if (s->err != 0) {
			if (done > 0)
				return (ssize_t)done;
			rc = s->err;
			STORE(s->err, 0);
			return -rc;
		}
		if (f & (DPSL_F_EOF | DPSL_F_SHUT_RD | DPSL_F_RESET))
			return (ssize_t)done;
block:
		if (nonblock)
			return done > 0 ? (ssize_t)done : -EAGAIN;
		rc = sock_wait(s, deadline);
		if (rc != 0)
			return done > 0 && rc != -EBADF ? (ssize_t)done : rc;
	}
}

static ssize_t tcp_send(struct dpsl_sock *s, const struct iovec *iov, int n, size_t total,
			int flags)
{
	bool nonblock = (s->flags & DPSL_F_NONBLOCK) || (flags & MSG_DONTWAIT);
	int64_t deadline = deadline_of(s->sndtimeo_ns);
	size_t done = 0;
	int rc;

	for (;;) {
		struct dps_fifo *tx;
		struct dps_fifo_seg segs[2];
		uint32_t room, take;

		dpsl_pump(s->att);
		switch (s->state) {
		case DPSL_S_NEW:
		case DPSL_S_LISTEN:
			return -EPIPE;
		case DPSL_S_CLOSED:
			if (s->err != 0) {
				rc = s->err;
				STORE(s->err, 0);
				return -rc;
			}
			return -EPIPE;
		case DPSL_S_CONNECTING:
			goto block;
		default:
			break;
		}
		if (s->err != 0 && (s->flags & DPSL_F_RESET)) {
			if (done > 0)
				return (ssize_t)done;
			rc = s->err;
			STORE(s->err, 0);
			return -rc;
		}
		if (s->flags & (DPSL_F_RESET | DPSL_F_SHUT_WR))
			return done > 0 ? (ssize_t)done : -EPIPE;
		if (done == total)
			return (ssize_t)done;
		tx = s->ss[s->cw].tx;
		room = dps_fifo_max_enqueue(tx);
		if (room > 0) {
			take = total - done < room ? (uint32_t)(total - done) : room;
			take = dps_fifo_write_segs(tx, 0, take, segs);
			iov_to_segs(iov, n, done, take, segs, 0);
			dps_fifo_enqueue_commit(tx, take);
			done += take;
			post_tx(s, s->cw);
			if (done == total)
				return (ssize_t)done;
			continue;
		}
		if (want_tx_space(s->att, s->ss[s->cw].h, tx) > 0)
			continue;
block:
		if (nonblock)
			return done > 0 ? (ssize_t)done : -EAGAIN;
		rc = sock_wait(s, deadline);
		if (rc != 0)
			return done > 0 && rc != -EBADF ? (ssize_t)done : rc;
	}
}

/* ---- UDP ---- */

static ssize_t udp_recv(struct dpsl_sock *s, const struct iovec *iov, int n, size_t total,
			int flags, uint32_t *ip, uint16_t *port, int *msg_flags)
{
	bool nonblock = (s->flags & DPSL_F_NONBLOCK) || (flags & MSG_DONTWAIT);
	int64_t deadline = deadline_of(s->rcvtimeo_ns);
	struct dpsl_att *a = s->att;
	int rc;

	for (;;) {
		unsigned k;

		dpsl_pump(a);
		if (s->err != 0) {
			rc = s->err;
			STORE(s->err, 0);
			return -rc;
		}
		for (k = 0; k < a->n_workers; k++) {
			unsigned w = (s->rr + k) % a->n_workers;
			struct dps_fifo *rx = s->ss[w].rx;
			struct dps_dgram_hdr hdr;
			uint32_t avail, len;
			size_t got;

			if (!(s->wmask & (1u << w)) || rx == NULL)
				continue;
again:
			avail = dps_fifo_max_dequeue(rx);
			if (avail < sizeof(hdr))
				continue;
			dps_fifo_peek(rx, 0, &hdr, sizeof(hdr));
			if (hdr.len > DPS_DGRAM_MAX ||
			    hdr.len > dps_fifo_capacity(rx) - sizeof(hdr)) {
				/* not a record: dpstackd would never write this */
				dps_fifo_drop(rx, avail);
				continue;
			}
			if (avail < sizeof(hdr) + hdr.len)
				continue;   /* still being written */
			if ((s->flags & DPSL_F_UDP_CONN) &&
			    (hdr.ip != s->raddr || hdr.port != s->rport)) {
				dps_fifo_drop(rx, (uint32_t)sizeof(hdr) + hdr.len);
				goto again;
			}
			len = hdr.len;
			got = fifo_to_iov(rx, sizeof(hdr), len < total ? len : total, iov, n, 0);
			if (!(flags & MSG_PEEK)) {
				dps_fifo_drop(rx, (uint32_t)sizeof(hdr) + len);
				rx_done(s, w);
			}
			s->rr = (uint8_t)((w + 1) % a->n_workers);
			*ip = hdr.ip;
			*port = hdr.port;
			if (len > total && msg_flags != NULL)
				*msg_flags |= MSG_TRUNC;
			return (flags & MSG_TRUNC) ? (ssize_t)len : (ssize_t)got;
		}
		if (s->flags & DPSL_F_SHUT_RD)
			return 0;
		if (s->flags & DPSL_F_DEAD)
			return -ENETDOWN;
		if (nonblock)
			return -EAGAIN;
		rc = sock_wait(s, deadline);
		if (rc != 0)
			return rc;
	}
}

static ssize_t udp_send(struct dpsl_sock *s, const struct iovec *iov, int n, size_t total,
			int flags, const struct sockaddr *to, socklen_t tolen)
{
	bool nonblock = (s->flags & DPSL_F_NONBLOCK) || (flags & MSG_DONTWAIT);
	int64_t deadline = deadline_of(s->sndtimeo_ns);
	struct dpsl_att *a = s->att;
	struct dps_dgram_hdr hdr = { 0 };
	uint32_t need;
	int rc;

	if (to != NULL) {
		rc = addr_in(to, tolen, &hdr.ip, &hdr.port, false);
		if (rc != 0)
			return rc;
		if (hdr.ip == 0 || hdr.port == 0)
			return -EINVAL;   /* ip 0 means "the connected peer" on the wire */
	} else if (!(s->flags & DPSL_F_UDP_CONN)) {
		return -EDESTADDRREQ;
	}
	if (s->flags & DPSL_F_SHUT_WR)
		return -EPIPE;
	if (total > DPS_DGRAM_MAX)
		return -EMSGSIZE;
	hdr.len = (uint32_t)total;
	need = (uint32_t)sizeof(hdr) + hdr.len;
	if (s->wmask == 0) {
		if (a->dead != 0)
			return -ENETDOWN;
		rc = udp_bind(s, 0, 0);
		if (rc != 0)
			return rc;
	}
	for (;;) {
		struct dps_fifo *tx;
		struct dps_fifo_seg segs[2];

		dpsl_pump(a);
		if (s->err != 0) {
			rc = s->err;
			STORE(s->err, 0);
			return -rc;
		}
		if (s->flags & DPSL_F_DEAD)
			return -ENETDOWN;
		tx = s->ss[s->cw].tx;
		if (need > dps_fifo_capacity(tx))
			return -EMSGSIZE;
		if (dps_fifo_max_enqueue(tx) >= need ||
		    want_tx_space(a, s->ss[s->cw].h, tx) >= need) {
			/* one commit: the worker never sees half a record */
			dps_fifo_write_segs(tx, 0, need, segs);
			bytes_to_segs(&hdr, sizeof(hdr), segs, 0);
			iov_to_segs(iov, n, 0, total, segs, sizeof(hdr));
			dps_fifo_enqueue_commit(tx, need);
			post_tx(s, s->cw);
			return (ssize_t)total;
		}
		if (nonblock)
			return -EAGAIN;
		rc = sock_wait(s, deadline);
		if (rc != 0)
			return rc;
	}
}

/* ---- common entry points ---- */

/* The iovec checked and summed, then the socket (locked); NULL + *err. */
static struct dpsl_sock *io_begin(int fd, const struct iovec *iov, int n, size_t *total,
				  int *err)
{
	*total = iov_total(iov, n, err);
	if (*err != 0)
		return NULL;
	return sock_get(fd, err);
}

static ssize_t do_recv(int fd, const struct iovec *iov, int n, int flags,
		       struct sockaddr *from, socklen_t *fromlen, int *msg_flags)
{
	struct dpsl_sock *s;
	struct dpsl_att *a;
	size_t total;
	ssize_t r;
	int err;

	s = io_begin(fd, iov, n, &total, &err);
	if (s == NULL)
		return fail(err);
	a = s->att;
	if (flags & ~(MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL | MSG_TRUNC | MSG_NOSIGNAL |
		      MSG_CMSG_CLOEXEC)) {
		r = (flags & MSG_OOB) ? -EINVAL : -EOPNOTSUPP;
	} else if ((r = addr_out_check(from, fromlen)) != 0) {
		/* r set */
	} else if (s->kind == DPSL_K_TCP) {
		r = tcp_recv(s, iov, n, total, flags);
		if (r >= 0 && from != NULL)
			*fromlen = 0;   /* Linux leaves a stream's source unset */
	} else {
		uint32_t ip = 0;
		uint16_t port = 0;

		r = udp_recv(s, iov, n, total, flags, &ip, &port, msg_flags);
		if (r >= 0 && from != NULL)
			addr_out(from, fromlen, ip, port);
	}
	att_put(a);
	return r < 0 ? fail((int)-r) : r;
}

static ssize_t do_send(int fd, const struct iovec *iov, int n, int flags,
		       const struct sockaddr *to, socklen_t tolen)
{
	struct dpsl_sock *s;
	struct dpsl_att *a;
	size_t total;
	ssize_t r;
	int err;

	s = io_begin(fd, iov, n, &total, &err);
	if (s == NULL)
		return fail(err);
	a = s->att;
	if (flags & MSG_OOB)
		r = -EOPNOTSUPP;
	else if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE | MSG_EOR | MSG_CONFIRM))
		r = -EOPNOTSUPP;
	else if (s->kind == DPSL_K_TCP)
		r = tcp_send(s, iov, n, total, flags);   /* Linux ignores a stream's to */
	else
		r = udp_send(s, iov, n, total, flags, to, tolen);
	att_put(a);
	if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
		raise(SIGPIPE);
	return r < 0 ? fail((int)-r) : r;
}

API ssize_t dps_read(int fd, void *buf, size_t len)
{
	struct iovec v = { .iov_base = buf, .iov_len = len };

	return do_recv(fd, &v, 1, 0, NULL, NULL, NULL);
}

API ssize_t dps_readv(int fd, const struct iovec *iov, int iovcnt)
{
	return do_recv(fd, iov, iovcnt, 0, NULL, NULL, NULL);
}

API ssize_t dps_recv(int fd, void *buf, size_t len, int flags)
{
	struct iovec v = { .iov_base = buf, .iov_len = len };

	return do_recv(fd, &v, 1, flags, NULL, NULL, NULL);
}

API ssize_t dps_recvfrom(int fd, void *buf, size_t len, int flags,
			 struct sockaddr *from, socklen_t *fromlen)
{
	struct iovec v = { .iov_base = buf, .iov_len = len };

	return do_recv(fd, &v, 1, flags, from, fromlen, NULL);
}

API ssize_t dps_recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t r;
	int mf = 0;

	if (msg == NULL)
		return fail(EFAULT);
	if (msg->msg_iovlen > INT_MAX)
		return fail(EINVAL);
	r = do_recv(fd, msg->msg_iov, (int)msg->msg_iovlen, flags,
		    (struct sockaddr *)msg->msg_name,
		    msg->msg_name != NULL ? &msg->msg_namelen : NULL, &mf);
	if (r >= 0) {
		msg->msg_flags = mf;
		msg->msg_controllen = 0;   /* no ancillary data */
		if (msg->msg_name == NULL)
			msg->msg_namelen = 0;
	}
	return r;
}

API ssize_t dps_write(int fd, const void *buf, size_t len)
{
	struct iovec v = { .iov_base = (void *)buf, .iov_len = len };

	return do_send(fd, &v, 1, 0, NULL, 0);
}

API ssize_t dps_writev(int fd, const struct iovec *iov, int iovcnt)
{
	return do_send(fd, iov, iovcnt, 0, NULL, 0);
}

API ssize_t dps_send(int fd, const void *buf, size_t len, int flags)
{
	struct iovec v = { .iov_base = (void *)buf, .iov_len = len };

	return do_send(fd, &v, 1, flags, NULL, 0);
}

API ssize_t dps_sendto(int fd, const void *buf, size_t len, int flags,
		       const struct sockaddr *to, socklen_t tolen)
{
	struct iovec v = { .iov_base = (void *)buf, .iov_len = len };

	return do_send(fd, &v, 1, flags, to, tolen);
}

API ssize_t dps_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	if (msg == NULL)
		return fail(EFAULT);
	if (msg->msg_iovlen > INT_MAX)
		return fail(EINVAL);
	return do_send(fd, msg->msg_iov, (int)msg->msg_iovlen, flags,
		       (const struct sockaddr *)msg->msg_name, msg->msg_namelen);
}

/* ------------------------------------------------------ shutdown, close */

/* A listener stops (shutdown(SHUT_RD) or close): children not taken go. */
static void listener_stop(struct dpsl_sock *s)
{
	while (s->aq_head >= 0) {
		struct dpsl_sock *c = dpsl_slot(DPS_FD_BASE + s->aq_head);

		s->aq_head = c->aq_next;
		sess_close_all(c);
		dpsl_slot_free(c);
	}
	s->aq_tail = -1;
	STORE(s->aq_len, 0);
	sess_close_all(s);
}

API int dps_shutdown(int fd, int how)
{
	struct dpsl_att *a;
	struct dpsl_sock *s;
	int rc = 0;
	uint32_t add;

	s = sock_lock(fd, &a);
	if (s == NULL)
		return -1;
	dpsl_pump(s->att);
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) {
		rc = -EINVAL;
		goto out;
	}
	add = (how != SHUT_WR ? DPSL_F_SHUT_RD : 0) | (how != SHUT_RD ? DPSL_F_SHUT_WR : 0);
	if (s->kind == DPSL_K_UDP) {
		/* Linux: ENOTCONN unless connected, the flags set anyway */
		__atomic_fetch_or(&s->flags, add, __ATOMIC_RELEASE);
		rc = (s->flags & DPSL_F_UDP_CONN) ? 0 : -ENOTCONN;
	} else if (s->state == DPSL_S_LISTEN) {
		/* Linux: a listener shut for reading stops listening */
		if (add & DPSL_F_SHUT_RD) {
			listener_stop(s);
			STORE(s->state, DPSL_S_NEW);
		}
	} else if (s->state != DPSL_S_CONNECTED || (s->flags & DPSL_F_RESET)) {
		rc = -ENOTCONN;
	} else {
		add &= ~s->flags;
		if (add != 0) {
			struct dps_msg m = msg_of(DPS_MSG_SHUTDOWN, s->ss[s->cw].h);

			m.args[0] = (uint64_t)(add == (DPSL_F_SHUT_RD | DPSL_F_SHUT_WR) ? SHUT_RDWR :
					       add == DPSL_F_SHUT_RD ? SHUT_RD : SHUT_WR);
			__atomic_fetch_or(&s->flags, add, __ATOMIC_RELEASE);
			rc = dpsl_post(s->att, s->cw, &m);
		}
	}
	dpsl_sock_changed(s);
out:
	att_put(a);
	return rc == 0 ? 0 : fail(-rc);
}

void dpsl_sock_close(struct dpsl_sock *s)
{
	dpsl_sock_unwatch(s);
	if (s->kind == DPSL_K_TCP && s->state == DPSL_S_LISTEN)
		listener_stop(s);
	/* a connect in flight has no session yet: on_connected() closes it */
	s->conn_req = 0;
	sess_close_all(s);
	dpsl_slot_free(s);
}

API int dps_close(int fd)
{
	struct dpsl_sock *s = dpsl_slot(fd);
	struct dpsl_att *a;

	if (s != NULL && LOAD(s->use) == DPSL_U_OPEN && LOAD(s->kind) == DPSL_K_EPOLL)
		return dpsl_ep_close(s) == 0 ? 0 : fail(EBADF);
	s = sock_lock(fd, &a);
	if (s == NULL)
		return -1;
	dpsl_sock_close(s);
	dpsl_flush(a);
	dpsl_att_maybe_release(a);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

/* ------------------------------------------------------------ addresses */

/* getsockname (peer false) and getpeername. */
static int sock_name(int fd, struct sockaddr *addr, socklen_t *len, bool peer)
{
	struct dpsl_att *a;
	struct dpsl_sock *s;
	int err = 0;

	s = sock_lock(fd, &a);
	if (s == NULL)
		return -1;
	dpsl_pump(a);
	if (addr == NULL || len == NULL)
		err = EFAULT;
	else if ((int)*len < 0)
		err = EINVAL;
	else if (!peer)
		addr_out(addr, len, s->laddr, s->lport);
	else if (s->kind == DPSL_K_TCP ? s->state != DPSL_S_CONNECTED || (s->flags & DPSL_F_RESET)
				       : !(s->flags & DPSL_F_UDP_CONN))
		err = ENOTCONN;
	else
		addr_out(addr, len, s->raddr, s->rport);
	att_put(a);
	return err == 0 ? 0 : fail(err);
}

API int dps_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return sock_name(fd, addr, len, false);
}

API int dps_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return sock_name(fd, addr, len, true);
}

/* -------------------------------------------------------------- options */

/* Options dpstackd knows (session.h), which may wait for the session. */
static bool opt_known(int level, int opt)
{
	if (level == SOL_SOCKET)
		return opt == SO_LINGER;
	if (level == IPPROTO_TCP)
		return opt == TCP_MAXSEG || opt == TCP_USER_TIMEOUT || opt == TCP_KEEPIDLE ||
		       opt == TCP_KEEPINTVL || opt == TCP_KEEPCNT || opt == TCP_CONGESTION ||
		       opt == TCP_QUICKACK;
	return false;
}

static int popt_find(struct dpsl_sock *s, int level, int opt)
{
	unsigned i;

	for (i = 0; i < s->n_popt; i++)
		if (s->popt[i].level == level && s->popt[i].opt == opt)
			return (int)i;
	return -1;
}

/* The sessions that options go to (a listener or UDP socket has several). */
static uint32_t opt_targets(const struct dpsl_sock *s)
{
	if (s->kind == DPSL_K_TCP && s->state == DPSL_S_CONNECTED)
		return 1u << s->cw;
	if (s->kind == DPSL_K_TCP && s->state != DPSL_S_LISTEN)
		return 0;
	return s->wmask;
}

/* SETOPT to every session; the first error wins. a locked. */
static int opt_forward(struct dpsl_sock *s, int level, int opt, const uint64_t v[3])
{
	struct dpsl_att *a = s->att;
	uint32_t gen = s->gen, mask = opt_targets(s);
	unsigned w;
	int rc = 0;

	for (w = 0; w < DPSL_MAXW; w++) {
		struct dps_msg m, r;
		int e;

		if (!(mask & (1u << w)))
			continue;
		m = msg_of(DPS_MSG_SETOPT, s->ss[w].h);
		m.args[0] = (uint64_t)level;
		m.args[1] = (uint64_t)opt;
		memcpy(&m.args[2], v, 3 * sizeof(uint64_t));
		m.args[5] = dpsl_req_id(a, DPS_MSG_SETOPT, s->idx);
		e = dpsl_request(a, w, &m, &r);
		if (!sock_same(s, a, gen))
			return -EBADF;
		if (e == 0 && r.error != 0)
			e = -(int)r.error;
		if (rc == 0)
			rc = e;
	}
	return rc;
}

static int get_int(const void *val, socklen_t len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static void set_sockf(struct dpsl_sock *s, uint32_t f, int on)
{
	if (on)
		s->sockf |= f;
	else
		s->sockf &= ~f;
}

API int dps_setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
	struct dpsl_att *a;
	struct dpsl_sock *s;
	uint64_t v[3] = { 0, 0, 0 };
	int rc = 0, iv = 0;
	bool forward = false;

	s = sock_lock(fd, &a);
	if (s == NULL)
		return -1;
	dpsl_pump(s->att);
	if (val == NULL && len > 0) {
		rc = -EFAULT;
		goto out;
	}
	if (level == SOL_SOCKET) {
		switch (opt) {
		case SO_RCVTIMEO:
		case SO_SNDTIMEO: {
			struct timeval tv;

			if (val == NULL || len < sizeof(tv)) {
				rc = -EINVAL;
				break;
			}
			memcpy(&tv, val, sizeof(tv));
			if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) {
				rc = -EDOM;
				break;
			}
			if (tv.tv_sec < 0)
				tv.tv_sec = tv.tv_usec = 0;
			if (opt == SO_RCVTIMEO)
				s->rcvtimeo_ns = (int64_t)tv.tv_sec * 1000000000 + tv.tv_usec * 1000;
			else
				s->sndtimeo_ns = (int64_t)tv.tv_sec * 1000000000 + tv.tv_usec * 1000;
			break;
		}
		case SO_LINGER: {
			struct linger l;

			if (val == NULL || len < sizeof(l)) {
				rc = -EINVAL;
				break;
			}
			memcpy(&l, val, sizeof(l));
			v[0] = (uint64_t)(l.l_onoff != 0) | (uint64_t)(uint32_t)l.l_linger << 32;
			forward = true;
			break;
		}
		case SO_RCVBUF:
		case SO_SNDBUF:
		case SO_REUSEADDR:
		case SO_REUSEPORT:
		case SO_KEEPALIVE:
			if ((rc = get_int(val, len, &iv)) != 0)
				break;
			if (opt == SO_RCVBUF)
				s->rcvbuf = iv < 0 ? 0 : iv;   /* a FIFO in use keeps its size */
			else if (opt == SO_SNDBUF)
				s->sndbuf = iv < 0 ? 0 : iv;
			else if (opt == SO_KEEPALIVE)
				set_sockf(s, DPS_SOCKF_KEEPALIVE, iv);
			else
				set_sockf(s, DPS_SOCKF_REUSEADDR, iv);
			v[0] = (uint64_t)(int64_t)iv;
			/* the flags ride on LISTEN/CONNECT; a session has them now */
			forward = opt_targets(s) != 0 && opt != SO_RCVBUF && opt != SO_SNDBUF;
			break;
		case SO_TYPE:
		case SO_ERROR:
		case SO_ACCEPTCONN:
		case SO_DOMAIN:
		case SO_PROTOCOL:
			rc = -ENOPROTOOPT;
			break;
		default:
			if ((rc = get_int(val, len, &iv)) != 0)
				break;
			v[0] = (uint64_t)(int64_t)iv;
			forward = true;
		}
	} else if (level == IPPROTO_TCP && s->kind == DPSL_K_TCP) {
		if (opt == TCP_CONGESTION) {
			size_t n = len < sizeof(v) - 1 ? len : sizeof(v) - 1;

			if (val == NULL || len == 0) {
				rc = -EINVAL;
				goto out;
			}
			memcpy(v, val, n);
			((char *)v)[strnlen((const char *)v, n)] = '\0';
			forward = true;
		} else if ((rc = get_int(val, len, &iv)) == 0) {
			v[0] = (uint64_t)(int64_t)iv;
			if (opt == TCP_NODELAY)
				set_sockf(s, DPS_SOCKF_NODELAY, iv);
			forward = opt != TCP_NODELAY || opt_targets(s) != 0;
		}
	} else if (level == IPPROTO_TCP) {
		rc = -ENOPROTOOPT;
	} else {
		if ((rc = get_int(val, len, &iv)) == 0) {
			v[0] = (uint64_t)(int64_t)iv;
			forward = true;
		}
	}
	if (rc != 0 || !forward)
		goto out;
	if (opt_targets(s) != 0) {
		rc = opt_forward(s, level, opt, v);
	} else if (!opt_known(level, opt)) {
		rc = -ENOPROTOOPT;
	} else {
		int i = popt_find(s, level, opt);

		if (i < 0) {
			if (s->n_popt >= DPSL_POPT) {
				rc = -ENOMEM;
				goto out;
			}
			i = (int)s->n_popt++;
		}
		s->popt[i].level = level;
		s->popt[i].opt = opt;
		memcpy(s->popt[i].v, v, sizeof(v));
	}
out:
	att_put(a);
	return rc == 0 ? 0 : fail(-rc);
}

static uint32_t buf_size(int v, uint32_t def)
{
	uint32_t want = v <= 0 ? 0 : (uint32_t)v, cap = BUF_MIN;

	if (want == 0)
		return def;
	if (want > BUF_MAX / 2)
		want = BUF_MAX / 2;
	want *= 2;
	while (cap < want)
		cap <<= 1;
	return cap;
}

/* Copy an option value out as Linux does (truncated to *len). */
static void put_val(void *val, socklen_t *len, const void *v, size_t n)
{
	if (*len > n)
		*len = (socklen_t)n;
	memcpy(val, v, *len);
}

static void put_int(void *val, socklen_t *len, int v)
{
	put_val(val, len, &v, sizeof(v));
}

API int dps_getsockopt(int fd, int level, int opt, void *val, socklen_t *len)
{
	struct dpsl_att *a;
	struct dpsl_sock *s;
	uint64_t v[3] = { 0, 0, 0 };
	uint32_t mask;
	int rc = 0;

	s = sock_lock(fd, &a);
	if (s == NULL)
		return -1;
	dpsl_pump(s->att);
	if (val == NULL || len == NULL) {
		rc = -EFAULT;
		goto out;
	}
	if ((int)*len < 0) {
		rc = -EINVAL;
		goto out;
	}
	mask = opt_targets(s);
	if (level == SOL_SOCKET) {
		struct dps_fifo *f = NULL;

		switch (opt) {
		case SO_TYPE:
			put_int(val, len, s->kind == DPSL_K_TCP ? SOCK_STREAM : SOCK_DGRAM);
			goto out;
		case SO_DOMAIN:
			put_int(val, len, AF_INET);
			goto out;
		case SO_PROTOCOL:
			put_int(val, len, s->kind == DPSL_K_TCP ? IPPROTO_TCP : IPPROTO_UDP);
			goto out;
		case SO_ERROR:
			put_int(val, len, s->err);
			STORE(s->err, 0);
			goto out;
		case SO_ACCEPTCONN:
			put_int(val, len, s->state == DPSL_S_LISTEN && s->kind == DPSL_K_TCP);
			goto out;
		case SO_REUSEADDR:
		case SO_REUSEPORT:
			put_int(val, len, !!(s->sockf & DPS_SOCKF_REUSEADDR));
			goto out;
		case SO_KEEPALIVE:
			put_int(val, len, !!(s->sockf & DPS_SOCKF_KEEPALIVE));
			goto out;
		case SO_RCVBUF:
		case SO_SNDBUF:
			if (s->wmask != 0)
				f = opt == SO_RCVBUF ? s->ss[s->cw].rx : s->ss[s->cw].tx;
			put_int(val, len, f != NULL ? (int)dps_fifo_capacity(f) :
				(int)buf_size(opt == SO_RCVBUF ? s->rcvbuf : s->sndbuf, DEF_BUF));
			goto out;
		case SO_RCVTIMEO:
		case SO_SNDTIMEO: {
			int64_t ns = opt == SO_RCVTIMEO ? s->rcvtimeo_ns : s->sndtimeo_ns;
			struct timeval tv = { .tv_sec = ns / 1000000000,
					      .tv_usec = (ns % 1000000000) / 1000 };

			put_val(val, len, &tv, sizeof(tv));
			goto out;
		}
		default:
			break;
		}
	} else if (level == IPPROTO_TCP && s->kind != DPSL_K_TCP) {
		rc = -ENOPROTOOPT;
		goto out;
	} else if (level == IPPROTO_TCP && opt == TCP_NODELAY && mask == 0) {
		put_int(val, len, !!(s->sockf & DPS_SOCKF_NODELAY));
		goto out;
	}
	if (mask != 0) {
		unsigned w = __builtin_ctz(mask);
		struct dps_msg m = msg_of(DPS_MSG_GETOPT, s->ss[w].h), r;
		uint32_t gen = s->gen;

		m.args[0] = (uint64_t)level;
		m.args[1] = (uint64_t)opt;
		m.args[5] = dpsl_req_id(a, DPS_MSG_GETOPT, s->idx);
		rc = dpsl_request(a, w, &m, &r);
		if (rc == 0 && !sock_same(s, a, gen))
			rc = -EBADF;
		if (rc == 0 && r.error != 0)
			rc = -(int)r.error;
		if (rc != 0)
			goto out;
		v[0] = r.args[0];
		v[1] = r.args[3];
		v[2] = r.args[4];
		if (level == IPPROTO_TCP && opt == TCP_CONGESTION)
			v[0] = r.args[2];
	} else {
		int i = popt_find(s, level, opt);

		if (i >= 0) {
			memcpy(v, s->popt[i].v, sizeof(v));
		} else if (!opt_known(level, opt)) {
			rc = -ENOPROTOOPT;
			goto out;
		} else if (level == IPPROTO_TCP) {
			/* before the connection: Linux's defaults */
			switch (opt) {
			case TCP_MAXSEG: v[0] = 536; break;
			case TCP_KEEPIDLE: v[0] = 7200; break;
			case TCP_KEEPINTVL: v[0] = 75; break;
			case TCP_KEEPCNT: v[0] = 9; break;
			case TCP_QUICKACK: v[0] = 1; break;
			case TCP_CONGESTION: memcpy(v, "cubic", 6); break;
			default: break;
			}
		}
	}
	if (level == SOL_SOCKET && opt == SO_LINGER) {
		struct linger l = { .l_onoff = (int)(v[0] & 1), .l_linger = (int)(v[0] >> 32) };

		put_val(val, len, &l, sizeof(l));
	} else if (level == IPPROTO_TCP && opt == TCP_CONGESTION) {
		char name[24];

		memcpy(name, v, sizeof(name));
		name[23] = '\0';
		put_val(val, len, name, strlen(name) + 1);
	} else {
		put_int(val, len, (int)(int64_t)v[0]);
	}
out:
	att_put(a);
	return rc == 0 ? 0 : fail(-rc);
}

/* ------------------------------------------------------- fcntl, ioctl */

API int dps_fcntl(int fd, int cmd, ...)
{
	struct dpsl_sock *s = dpsl_slot(fd);
	uint32_t f;
	int arg = 0;
	va_list ap;

	if (cmd == F_SETFL || cmd == F_SETFD) {
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	if (s == NULL || LOAD(s->use) != DPSL_U_OPEN)
		return fail(EBADF);
	/* flags are one word, changed with atomics: no lock needed */
	switch (cmd) {
	case F_GETFL:
		f = LOAD(s->flags);
		return O_RDWR | (f & DPSL_F_NONBLOCK ? O_NONBLOCK : 0);
	case F_SETFL:
		if (arg & O_NONBLOCK)
			__atomic_fetch_or(&s->flags, DPSL_F_NONBLOCK, __ATOMIC_RELEASE);
		else
			__atomic_fetch_and(&s->flags, ~(uint32_t)DPSL_F_NONBLOCK, __ATOMIC_RELEASE);
		return 0;
	case F_GETFD:
		return LOAD(s->flags) & DPSL_F_CLOEXEC ? FD_CLOEXEC : 0;
	case F_SETFD:
		if (arg & FD_CLOEXEC)
			__atomic_fetch_or(&s->flags, DPSL_F_CLOEXEC, __ATOMIC_RELEASE);
		else
			__atomic_fetch_and(&s->flags, ~(uint32_t)DPSL_F_CLOEXEC, __ATOMIC_RELEASE);
		return 0;
	default:
		return fail(EINVAL);
	}
}

API int dps_ioctl(int fd, unsigned long req, void *arg)
{
	struct dpsl_att *a;
	struct dpsl_sock *s;
	int err, v = 0;

	if (req == FIONBIO) {
		if (arg == NULL)
			return fail(EFAULT);
		memcpy(&v, arg, sizeof(v));
		return dps_fcntl(fd, F_SETFL, v ? O_NONBLOCK : 0);
	}
	if (req != FIONREAD)
		return fail(dps_is_fd(fd) ? ENOTTY : EBADF);
	if (arg == NULL)
		return fail(EFAULT);
	s = sock_lock(fd, &a);
	if (s == NULL)
		return -1;
	dpsl_pump(s->att);
	err = 0;
	if (s->kind == DPSL_K_TCP) {
		if (s->state == DPSL_S_LISTEN)
			err = EINVAL;
		else if (s->state == DPSL_S_CONNECTED)
			v = (int)dps_fifo_max_dequeue(s->ss[s->cw].rx);
	} else {
		unsigned w;

		/* the size of the next datagram, as Linux */
		for (w = 0; w < DPSL_MAXW; w++) {
			struct dps_fifo *rx = s->ss[w].rx;
			struct dps_dgram_hdr hdr;

			if (rx == NULL || dps_fifo_max_dequeue(rx) < sizeof(hdr))
				continue;
			dps_fifo_peek(rx, 0, &hdr, sizeof(hdr));
			if (dps_fifo_max_dequeue(rx) >= sizeof(hdr) + (uint64_t)hdr.len) {
				v = (int)hdr.len;
				break;
			}
		}
	}
	att_put(a);
	if (err != 0)
		return fail(err);
	memcpy(arg, &v, sizeof(v));
	return 0;
}

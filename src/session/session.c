/*
 * The session layer: per-worker socket table, lookup tables, port
 * reservations, the socket calls, and the end-of-pass lists (output to
 * send, callbacks to run). TCP and UDP do the protocol work.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "core/log.h"
#include "net/net_internal.h"
#include "session/app.h"
#include "session/session_internal.h"
#include "tcp/tcp_internal.h"
#include "udp/udp.h"

static struct rte_hash *make_hash(struct dps_worker *w, const char *what, uint32_t n)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.entries = n,
		.key_len = sizeof(struct dps_conn_key),
		.hash_func = rte_jhash,
		.socket_id = w->st->socket_id,
		.name = name,
	};

	snprintf(name, sizeof(name), "%.12s_%s%u", w->st->name, what, w->id);
	return rte_hash_create(&p);
}

int dps_session_worker_init(struct dps_worker *w)
{
	struct dps_session_worker *sw;
	uint32_t i;

	sw = calloc(1, sizeof(*sw));
	if (sw == NULL)
		return -ENOMEM;
	sw->w = w;
	sw->max_socks = DPS_SOCKS_PER_WORKER;
	sw->socks = calloc(sw->max_socks, sizeof(*sw->socks));
	sw->tcbs = calloc(sw->max_socks, sizeof(*sw->tcbs));
	sw->conns = make_hash(w, "conn", sw->max_socks * 2);
	sw->listeners = make_hash(w, "lsn", 1024);
	if (sw->socks == NULL || sw->tcbs == NULL || sw->conns == NULL || sw->listeners == NULL) {
		rte_hash_free(sw->conns);
		rte_hash_free(sw->listeners);
		free(sw->socks);
		free(sw->tcbs);
		free(sw);
		return -ENOMEM;
	}
	for (i = 0; i < sw->max_socks; i++) {
		sw->socks[i].sd = (int32_t)i;
		sw->socks[i].free_next = i + 1 < sw->max_socks ? (int32_t)(i + 1) : -1;
	}
	sw->free_head = 0;
	sw->notify_head = sw->notify_tail = -1;
	sw->output_head = sw->output_tail = -1;
	/* spread instances over the range; determinism comes from the name */
	sw->eph_next = DPS_EPH_PORT_MIN +
		(uint16_t)(rte_jhash(w->st->name, strlen(w->st->name), w->id) %
			   (DPS_EPH_PORT_MAX - DPS_EPH_PORT_MIN + 1));
	/* RFC 6528: a secret per instance; the simulator derives it from the
	 * name so that runs repeat */
	if (w->st->virtual_clock) {
		sw->secret.k0 = rte_jhash(w->st->name, strlen(w->st->name), 0x5eed) * 0x9e3779b97f4a7c15ull;
		sw->secret.k1 = rte_jhash(w->st->name, strlen(w->st->name), 0xfeed) * 0xbf58476d1ce4e5b9ull;
	} else {
		sw->secret.k0 = rte_rand();
		sw->secret.k1 = rte_rand();
	}
	w->sess = sw;
	return 0;
}

void dps_session_worker_fini(struct dps_worker *w)
{
	struct dps_session_worker *sw = w->sess;
	uint32_t i;

	if (sw == NULL)
		return;
	for (i = 0; i < sw->max_socks; i++) {
		struct dps_sock *s = &sw->socks[i];

		if (s->used) {
			if (s->proto == IPPROTO_TCP)
				tcp_sock_destroy(sw, s);
			dps_sock_fifos_release(s);
		}
	}
	rte_hash_free(sw->conns);
	rte_hash_free(sw->listeners);
	free(sw->socks);
	free(sw->tcbs);
	free(sw);
	w->sess = NULL;
}

unsigned dps_session_count(const struct dps_worker *w)
{
	return w->sess != NULL ? w->sess->n_open : 0;
}

/* ---- records ---- */

struct dps_sock *dps_sock_alloc(struct dps_session_worker *sw, int type)
{
	struct dps_sock *s;
	int32_t sd = sw->free_head;

	if (sd < 0)
		return NULL;
	s = &sw->socks[sd];
	sw->free_head = s->free_next;
	memset(s, 0, sizeof(*s));
	s->used = 1;
	s->sd = sd;
	s->type = (uint8_t)type;
	s->proto = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	s->parent = -1;
	s->aq_head = s->aq_tail = s->aq_next = -1;
	s->notify_next = s->output_next = s->free_next = -1;
	s->rcvbuf = DPS_SOCK_RCVBUF_DEFAULT;
	s->sndbuf = DPS_SOCK_SNDBUF_DEFAULT;
	s->linger_s = -1;
	sw->n_open++;
	if (s->proto == IPPROTO_TCP)
		tcp_sock_init(sw, s);
	return s;
}

static int proto_idx(const struct dps_sock *s)
{
	return s->proto == IPPROTO_TCP ? 0 : 1;
}

static void port_release(struct dps_session_worker *sw, struct dps_sock *s)
{
	if (s->flags & DPS_SF_BOUND) {
		sw->port_refs[proto_idx(s)][s->lport]--;
		s->flags &= ~DPS_SF_BOUND;
	}
}

static void key_of(struct dps_conn_key *k, uint8_t proto, uint32_t laddr, uint16_t lport,
		   uint32_t raddr, uint16_t rport)
{
	memset(k, 0, sizeof(*k));
	k->proto = proto;
	k->laddr = laddr;
	k->lport = lport;
	k->raddr = raddr;
	k->rport = rport;
}

static void sock_key(const struct dps_sock *s, struct dps_conn_key *k, bool conn)
{
	key_of(k, s->proto, rte_cpu_to_be_32(conn ? s->laddr : s->bind_addr),
	       rte_cpu_to_be_16(s->lport),
	       conn ? rte_cpu_to_be_32(s->raddr) : 0, conn ? rte_cpu_to_be_16(s->rport) : 0);
}

int dps_sock_hash(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct dps_conn_key k;
	int r;

	sock_key(s, &k, true);
	if (rte_hash_lookup(sw->conns, &k) >= 0)
		return -EADDRINUSE;
	r = rte_hash_add_key_data(sw->conns, &k, (void *)(uintptr_t)s->sd);
	if (r < 0)
		return -ENOBUFS;
	s->flags |= DPS_SF_HASHED;
	return 0;
}

void dps_sock_unhash(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct dps_conn_key k;

	if (!(s->flags & DPS_SF_HASHED))
		return;
	sock_key(s, &k, true);
	rte_hash_del_key(sw->conns, &k);
	s->flags &= ~DPS_SF_HASHED;
}

static void unlisten(struct dps_session_worker *sw, struct dps_sock *s)
{
	struct dps_conn_key k;

	if (!(s->flags & DPS_SF_LISTENING))
		return;
	sock_key(s, &k, false);
	rte_hash_del_key(sw->listeners, &k);
	s->flags &= ~DPS_SF_LISTENING;
}

/* The link field at link_off of socket sd, in a list threaded by sd. */
static int32_t *link_of(struct dps_session_worker *sw, int32_t sd, size_t link_off)
{
	return (int32_t *)((char *)&sw->socks[sd] + link_off);
}

static void list_remove(struct dps_session_worker *sw, int32_t *head, int32_t *tail,
			int32_t sd, size_t link_off)
{
	int32_t prev = -1, cur = *head;

	while (cur >= 0 && cur != sd) {
		prev = cur;
		cur = *link_of(sw, cur, link_off);
	}
	if (cur < 0)
		return;
	cur = *link_of(sw, sd, link_off);
	if (prev < 0)
		*head = cur;
	else
		*link_of(sw, prev, link_off) = cur;
	if (*tail == sd)
		*tail = prev;
}

void dps_sock_free(struct dps_session_worker *sw, struct dps_sock *s)
{
	if (!s->used)
		return;
	dps_sock_unhash(sw, s);
	unlisten(sw, s);
	port_release(sw, s);
	if (s->flags & DPS_SF_NOTIFY)
		list_remove(sw, &sw->notify_head, &sw->notify_tail, s->sd,
			    offsetof(struct dps_sock, notify_next));
	if (s->flags & DPS_SF_OUTPUT)
		list_remove(sw, &sw->output_head, &sw->output_tail, s->sd,
			    offsetof(struct dps_sock, output_next));
	if (s->flags & DPS_SF_ACCEPTQ) {
		struct dps_sock *l = dps_sock_get(sw, s->parent);

		if (l != NULL) {
			list_remove(sw, &l->aq_head, &l->aq_tail, s->sd,
				    offsetof(struct dps_sock, aq_next));
			l->aq_len--;
		}
	}
	if (s->proto == IPPROTO_TCP)
		tcp_sock_destroy(sw, s);
	dps_sock_fifos_release(s);
	s->used = 0;
	s->gen++;
	s->flags = 0;
	s->free_next = sw->free_head;
	sw->free_head = s->sd;
	sw->n_open--;
}

static struct dps_fifo *fifo_new(struct dps_sock *s, uint32_t cap)
{
	size_t sz = dps_fifo_footprint(cap);
	void *mem;

	if (s->app != NULL)
		return dps_app_fifo_alloc(s->app, s, cap);
	mem = malloc(sz);
	if (mem == NULL)
		return NULL;
	if (dps_fifo_init(mem, sz) != 0) {
		free(mem);
		return NULL;
	}
	return mem;
}

static void fifo_del(struct dps_sock *s, struct dps_fifo *f)
{
	if (f == NULL)
		return;
	if (s->app != NULL)
		dps_app_fifo_free(s->app, s, f);
	else
		free(f);
}

int dps_sock_fifos(struct dps_sock *s)
{
	/* an application's UDP socket sends through its tx FIFO too */
	bool want_tx = s->proto == IPPROTO_TCP || s->app != NULL;

	if (s->rx == NULL)
		s->rx = fifo_new(s, s->rcvbuf);
	if (s->tx == NULL && want_tx)
		s->tx = fifo_new(s, s->sndbuf);
	if (s->rx == NULL || (s->tx == NULL && want_tx))
		return -ENOMEM;
	return 0;
}

void dps_sock_fifos_release(struct dps_sock *s)
{
	fifo_del(s, s->rx);
	fifo_del(s, s->tx);
	s->rx = s->tx = NULL;
	/* a closed socket's application may be freed once it holds no FIFO
	 * of its segment any more (session/app.h "Lifetime"): forget it */
	if (s->flags & DPS_SF_APP_CLOSED)
		s->app = NULL;
}

int dps_conn_lookup(struct dps_session_worker *sw, uint8_t proto, uint32_t laddr,
		    uint16_t lport, uint32_t raddr, uint16_t rport)
{
	struct dps_conn_key k;
	void *data;

	key_of(&k, proto, laddr, lport, raddr, rport);
	if (rte_hash_lookup_data(sw->conns, &k, &data) < 0)
		return -1;
	return (int)(uintptr_t)data;
}

int dps_listener_lookup(struct dps_session_worker *sw, uint8_t proto, uint32_t laddr,
			uint16_t lport)
{
	struct dps_conn_key k;
	void *data;

	key_of(&k, proto, laddr, lport, 0, 0);
	if (rte_hash_lookup_data(sw->listeners, &k, &data) >= 0)
		return (int)(uintptr_t)data;
	k.laddr = 0;
	if (rte_hash_lookup_data(sw->listeners, &k, &data) >= 0)
		return (int)(uintptr_t)data;
	return -1;
}

static void list_append(struct dps_session_worker *sw, int32_t *head, int32_t *tail,
			struct dps_sock *s, size_t link_off)
{
	*link_of(sw, s->sd, link_off) = -1;
	if (*tail < 0)
		*head = s->sd;
	else
		*link_of(sw, *tail, link_off) = s->sd;
	*tail = s->sd;
}

void dps_sock_notify(struct dps_session_worker *sw, struct dps_sock *s)
{
	if ((s->flags & DPS_SF_NOTIFY) || s->cb == NULL)
		return;
	s->flags |= DPS_SF_NOTIFY;
	list_append(sw, &sw->notify_head, &sw->notify_tail, s,
		    offsetof(struct dps_sock, notify_next));
}

void dps_sock_want_output(struct dps_session_worker *sw, struct dps_sock *s)
{
	if (s->flags & DPS_SF_OUTPUT)
		return;
	s->flags |= DPS_SF_OUTPUT;
	list_append(sw, &sw->output_head, &sw->output_tail, s,
		    offsetof(struct dps_sock, output_next));
}

void dps_sock_accept_enqueue(struct dps_session_worker *sw, struct dps_sock *child)
{
	struct dps_sock *l = dps_sock_get(sw, child->parent);

	if (l == NULL)
		return;
	list_append(sw, &l->aq_head, &l->aq_tail, child, offsetof(struct dps_sock, aq_next));
	l->aq_len++;
	child->flags |= DPS_SF_ACCEPTQ;
	dps_sock_notify(sw, l);
}

uint32_t dps_sock_src_addr(struct dps_stack *st, uint32_t dst)
{
	return ip4_src_for(st, dst, NULL);
}

unsigned dps_session_poll(struct dps_worker *w)
{
	struct dps_session_worker *sw = w->sess;
	unsigned work = 0, rounds;

	/* requests from attached applications (their TX marks output) */
	work += dps_app_worker_poll(w);
	/* callbacks may write (more output) and output may change readiness
	 * (more callbacks): a few rounds settle it; what is left waits for
	 * the next pass */
	for (rounds = 0; rounds < 4; rounds++) {
		unsigned n = 0;

		while (sw->output_head >= 0) {
			struct dps_sock *s = &sw->socks[sw->output_head];

			sw->output_head = s->output_next;
			if (sw->output_head < 0)
				sw->output_tail = -1;
			s->flags &= ~DPS_SF_OUTPUT;
			if (s->proto == IPPROTO_TCP)
				tcp_output(sw, s);
			n++;
		}
		while (sw->notify_head >= 0) {
			struct dps_sock *s = &sw->socks[sw->notify_head];

			sw->notify_head = s->notify_next;
			if (sw->notify_head < 0)
				sw->notify_tail = -1;
			s->flags &= ~DPS_SF_NOTIFY;
			if (s->used && s->cb != NULL && !(s->flags & DPS_SF_APP_CLOSED))
				s->cb(w, s->sd, dps_sock_poll(w, s->sd), s->cb_arg);
			n++;
		}
		work += n;
		if (n == 0)
			break;
	}
	/* wake the applications that got events */
	dps_app_worker_flush(w);
	return work;
}

/* ---- socket calls ---- */

static struct dps_sock *app_sock(struct dps_worker *w, int sd)
{
	struct dps_sock *s = dps_sock_get(w->sess, sd);

	if (s == NULL || (s->flags & DPS_SF_APP_CLOSED) || (s->flags & DPS_SF_ACCEPTQ))
		return NULL;
	return s;
}

int dps_sock_socket(struct dps_worker *w, int type)
{
	struct dps_sock *s;

	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -EPROTONOSUPPORT;
	s = dps_sock_alloc(w->sess, type);
	if (s == NULL)
		return -ENFILE;
	return s->sd;
}

bool dps_sock_addr_local(struct dps_stack *st, uint32_t ip)
{
	unsigned i, j;

	for (i = 0; i < st->n_ifaces; i++) {
		const struct dps_iface *ifp = &st->ifaces[i];

		if (!ifp->used)
			continue;
		for (j = 0; j < ifp->naddr; j++)
			if (ifp->addr[j].ip == ip)
				return true;
	}
	return false;
}

/* Reserve (proto, port); 0 picks an ephemeral port. */
static int port_reserve(struct dps_session_worker *sw, struct dps_sock *s, uint16_t port)
{
	int pi = proto_idx(s);

	if (port == 0) {
		unsigned span = DPS_EPH_PORT_MAX - DPS_EPH_PORT_MIN + 1, i;

		for (i = 0; i < span; i++) {
			uint16_t p = sw->eph_next;

			sw->eph_next = p >= DPS_EPH_PORT_MAX ? DPS_EPH_PORT_MIN : p + 1;
			if (sw->port_refs[pi][p] == 0) {
				port = p;
				break;
			}
		}
		if (port == 0)
			return -EADDRINUSE;
	} else if (sw->port_refs[pi][port] != 0) {
		/* Linux: SO_REUSEADDR lets a socket bind a port only sockets
		 * in TIME-WAIT hold; those hold no reservation here, so any
		 * other holder conflicts */
		return -EADDRINUSE;
	}
	sw->port_refs[pi][port]++;
	s->lport = port;
	s->flags |= DPS_SF_BOUND;
	return 0;
}

int dps_sock_bind(struct dps_worker *w, int sd, uint32_t ip, uint16_t port)
{
	struct dps_sock *s = app_sock(w, sd);
	int r;

	if (s == NULL)
		return -EBADF;
	if (s->flags & DPS_SF_BOUND)
		return -EINVAL;
	if (ip != 0 && !dps_sock_addr_local(w->st, ip))
		return -EADDRNOTAVAIL;
	r = port_reserve(w->sess, s, port);
	if (r != 0)
		return r;
	s->laddr = ip;
	s->bind_addr = ip;
	if (s->proto == IPPROTO_UDP) {
		struct dps_conn_key k;

		sock_key(s, &k, false);
		if (rte_hash_add_key_data(w->sess->listeners, &k, (void *)(uintptr_t)s->sd) < 0) {
			port_release(w->sess, s);
			return -ENOBUFS;
		}
		s->flags |= DPS_SF_LISTENING;
	}
	return 0;
}

int dps_sock_listen(struct dps_worker *w, int sd, int backlog)
{
	struct dps_sock *s = app_sock(w, sd);
	struct dps_conn_key k;
	int r;

	if (s == NULL)
		return -EBADF;
	if (s->proto != IPPROTO_TCP)
		return -EOPNOTSUPP;
	if (backlog <= 0)
		backlog = 1;
	if (backlog > 4096)   /* Linux somaxconn */
		backlog = 4096;
	if (s->flags & DPS_SF_LISTENING) {
		s->backlog = (uint32_t)backlog;
		return 0;
	}
	if (!tcp_can_listen(w->sess, s))
		return -EINVAL;
	if (!(s->flags & DPS_SF_BOUND)) {
		r = port_reserve(w->sess, s, 0);
		if (r != 0)
			return r;
	}
	sock_key(s, &k, false);
	if (rte_hash_lookup(w->sess->listeners, &k) >= 0)
		return -EADDRINUSE;
	if (rte_hash_add_key_data(w->sess->listeners, &k, (void *)(uintptr_t)s->sd) < 0)
		return -ENOBUFS;
	s->flags |= DPS_SF_LISTENING;
	s->backlog = (uint32_t)backlog;
	tcp_listen(w->sess, s);
	return 0;
}

int dps_sock_accept(struct dps_worker *w, int sd, uint32_t *ip, uint16_t *port)
{
	struct dps_session_worker *sw = w->sess;
	struct dps_sock *s = app_sock(w, sd), *c;

	if (s == NULL)
		return -EBADF;
	if (!(s->flags & DPS_SF_LISTENING) || s->proto != IPPROTO_TCP)
		return -EINVAL;
	if (s->aq_head < 0)
		return -EAGAIN;
	c = &sw->socks[s->aq_head];
	s->aq_head = c->aq_next;
	if (s->aq_head < 0)
		s->aq_tail = -1;
	s->aq_len--;
	c->aq_next = -1;
	c->flags &= ~DPS_SF_ACCEPTQ;
	c->parent = -1;
	c->cb = s->cb;
	c->cb_arg = s->cb_arg;
	if (ip != NULL)
		*ip = c->raddr;
	if (port != NULL)
		*port = c->rport;
	/* data or a FIN may have come before accept(): tell the new owner */
	dps_sock_notify(sw, c);
	return c->sd;
}

int dps_sock_connect(struct dps_worker *w, int sd, uint32_t ip, uint16_t port)
{
	struct dps_session_worker *sw = w->sess;
	struct dps_sock *s = app_sock(w, sd);
	uint32_t src;
	int r, tries;

	if (s == NULL)
		return -EBADF;
	if (ip == 0 || port == 0)
		return s->proto == IPPROTO_UDP && ip == 0 ? -EAFNOSUPPORT : -EINVAL;
	if (s->proto == IPPROTO_TCP) {
		r = tcp_connect_check(sw, s);
		if (r != 0)
			return r;
	}
	src = s->laddr != 0 ? s->laddr : dps_sock_src_addr(w->st, ip);
	if (src == 0)
		return -ENETUNREACH;
	if (s->proto == IPPROTO_UDP && (s->flags & DPS_SF_CONNECTED)) {
		dps_sock_unhash(sw, s);
		s->flags &= ~DPS_SF_CONNECTED;
	}
	s->raddr = ip;
	s->rport = port;
	if (!(s->flags & DPS_SF_BOUND)) {
		/* an ephemeral port whose 4-tuple is free */
		s->laddr = src;
		for (tries = 0; tries < 64; tries++) {
			r = port_reserve(sw, s, 0);
			if (r != 0)
				return r;
			r = dps_sock_hash(sw, s);
			if (r == 0)
				break;
			port_release(sw, s);
		}
		if (r != 0)
			return -EADDRNOTAVAIL;
		if (s->proto == IPPROTO_UDP) {
			struct dps_conn_key k;

			/* bound to the wildcard address by connect() (Linux
			 * binds the port, not the address) */
			sock_key(s, &k, false);
			rte_hash_add_key_data(sw->listeners, &k, (void *)(uintptr_t)s->sd);
			s->flags |= DPS_SF_LISTENING;
		}
	} else {
		s->laddr = src;
		r = dps_sock_hash(sw, s);
		if (r != 0)
			return r == -EADDRINUSE ? -EADDRNOTAVAIL : r;
	}
	if (s->proto == IPPROTO_UDP) {
		s->flags |= DPS_SF_CONNECTED;
		return dps_sock_fifos(s);
	}
	return tcp_connect(sw, s);
}

ssize_t dps_sock_sendto(struct dps_worker *w, int sd, const void *buf, size_t len,
			int flags, uint32_t ip, uint16_t port)
{
	struct dps_sock *s = app_sock(w, sd);

	if (s == NULL)
		return -EBADF;
	if (flags & ~(MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE))
		return -EOPNOTSUPP;
	if (buf == NULL && len > 0)
		return -EFAULT;
	if (s->proto == IPPROTO_TCP)
		return tcp_send(w->sess, s, buf, len, flags);
	if (ip == 0) {
		if (!(s->flags & DPS_SF_CONNECTED))
			return -EDESTADDRREQ;
		ip = s->raddr;
		port = s->rport;
	}
	if (!(s->flags & DPS_SF_BOUND)) {
		int r = dps_sock_bind(w, sd, 0, 0);

		if (r != 0)
			return r;
	}
	return dps_udp_sendto(w, s, buf, len, ip, port);
}

ssize_t dps_sock_send(struct dps_worker *w, int sd, const void *buf, size_t len, int flags)
{
	return dps_sock_sendto(w, sd, buf, len, flags, 0, 0);
}

ssize_t dps_sock_recvfrom(struct dps_worker *w, int sd, void *buf, size_t len, int flags,
			  uint32_t *ip, uint16_t *port)
{
	struct dps_sock *s = app_sock(w, sd);

	if (s == NULL)
		return -EBADF;
	if (flags & ~(MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC))
		return -EOPNOTSUPP;
	if (buf == NULL && len > 0)
		return -EFAULT;
	if (s->proto == IPPROTO_TCP) {
		if (ip != NULL)
			*ip = s->raddr;
		if (port != NULL)
			*port = s->rport;
		return tcp_recv(w->sess, s, buf, len, flags);
	}
	return dps_udp_recvfrom(w, s, buf, len, flags, ip, port);
}

ssize_t dps_sock_recv(struct dps_worker *w, int sd, void *buf, size_t len, int flags)
{
	return dps_sock_recvfrom(w, sd, buf, len, flags, NULL, NULL);
}

int dps_sock_shutdown(struct dps_worker *w, int sd, int how)
{
	struct dps_sock *s = app_sock(w, sd);

	if (s == NULL)
		return -EBADF;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (s->proto == IPPROTO_TCP)
		return tcp_shutdown(w->sess, s, how);
	if (!(s->flags & DPS_SF_CONNECTED))
		return -ENOTCONN;
	if (how != SHUT_WR)
		s->flags |= DPS_SF_SHUT_RD;
	if (how != SHUT_RD)
		s->flags |= DPS_SF_SHUT_WR;
	return 0;
}

int dps_sock_close(struct dps_worker *w, int sd)
{
	struct dps_session_worker *sw = w->sess;
	struct dps_sock *s = app_sock(w, sd);

	if (s == NULL)
		return -EBADF;
	s->cb = NULL;
	s->flags |= DPS_SF_APP_CLOSED;
	if (s->flags & DPS_SF_LISTENING) {
		/* children not yet accepted are reset, as Linux does */
		while (s->aq_head >= 0) {
			struct dps_sock *c = &sw->socks[s->aq_head];

			s->aq_head = c->aq_next;
			c->flags &= ~DPS_SF_ACCEPTQ;
			c->parent = -1;
			c->flags |= DPS_SF_APP_CLOSED;
			tcp_abort(sw, c, true);
		}
		s->aq_tail = -1;
		s->aq_len = 0;
		if (s->proto == IPPROTO_TCP)
			tcp_listen_close(sw, s);
		unlisten(sw, s);
	}
	if (s->proto == IPPROTO_TCP) {
		port_release(sw, s);
		tcp_close(sw, s);   /* frees s when the protocol is done */
	} else {
		dps_sock_free(sw, s);
	}
	return 0;
}

unsigned dps_sock_poll(struct dps_worker *w, int sd)
{
	struct dps_sock *s = app_sock(w, sd);

	if (s == NULL)
		return POLLNVAL;
	if (s->proto == IPPROTO_TCP)
		return tcp_poll(w->sess, s);
	return dps_udp_poll(s);
}

int dps_sock_name(struct dps_worker *w, int sd, bool peer, uint32_t *ip, uint16_t *port)
{
	struct dps_sock *s = app_sock(w, sd);

	if (s == NULL)
		return -EBADF;
	if (peer) {
		if (s->rport == 0 || (s->proto == IPPROTO_UDP && !(s->flags & DPS_SF_CONNECTED)))
			return -ENOTCONN;
		if (ip != NULL)
			*ip = s->raddr;
		if (port != NULL)
			*port = s->rport;
		return 0;
	}
	if (ip != NULL)
		*ip = s->laddr;
	if (port != NULL)
		*port = s->lport;
	return 0;
}

int dps_sock_set_callback(struct dps_worker *w, int sd, dps_sock_cb cb, void *arg)
{
	struct dps_sock *s = app_sock(w, sd);

	if (s == NULL)
		return -EBADF;
	s->cb = cb;
	s->cb_arg = arg;
	return 0;
}

int dps_sock_tx_notify(struct dps_worker *w, int sd, uint32_t bytes)
{
	struct dps_sock *s = app_sock(w, sd);

	if (s == NULL)
		return -EBADF;
	if (s->proto != IPPROTO_TCP)
		return -EOPNOTSUPP;
	s->tx_bytes += bytes;
	return tcp_tx_notify(w->sess, s);
}

int dps_sock_rx_notify(struct dps_worker *w, int sd)
{
	struct dps_sock *s = app_sock(w, sd);

	if (s == NULL)
		return -EBADF;
	if (s->proto != IPPROTO_TCP)
		return -EOPNOTSUPP;
	tcp_rx_notify(w->sess, s);
	return 0;
}

/* ---- options ---- */

static int get_int(const void *val, socklen_t len, int *out)
{
	if (val == NULL || len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int put_int(void *val, socklen_t *len, int v)
{
	if (val == NULL || len == NULL || *len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(int));
	*len = sizeof(int);
	return 0;
}

static uint32_t buf_size(int v)
{
	uint32_t want = v < 0 ? 0 : (uint32_t)v, cap = DPS_SOCK_BUF_MIN;

	/* Linux doubles the value it is given (bookkeeping overhead); our
	 * FIFOs hold payload only, so the FIFO is the next power of two of
	 * the doubled value, clamped */
	if (want > DPS_SOCK_BUF_MAX / 2)
		want = DPS_SOCK_BUF_MAX / 2;
	want *= 2;
	while (cap < want)
		cap <<= 1;
	return cap;
}

static void set_flag(struct dps_sock *s, uint16_t f, int on)
{
	if (on)
		s->flags |= f;
	else
		s->flags &= ~f;
}

int dps_sock_setsockopt(struct dps_worker *w, int sd, int level, int opt,
			const void *val, socklen_t len)
{
	struct dps_sock *s = app_sock(w, sd);
	int v = 0;

	if (s == NULL)
		return -EBADF;
	if (level == SOL_SOCKET) {
		if (opt == SO_LINGER) {
			struct linger l;

			if (val == NULL || len < sizeof(l))
				return -EINVAL;
			memcpy(&l, val, sizeof(l));
			set_flag(s, DPS_SF_LINGER, l.l_onoff);
			s->linger_s = l.l_linger;
			return 0;
		}
		if (get_int(val, len, &v) != 0)
			return -EINVAL;
		switch (opt) {
		case SO_RCVBUF:
		case SO_SNDBUF:
			/* a FIFO in use keeps its size (it lives in memory the
			 * peer may be writing); Linux would resize */
			if ((opt == SO_RCVBUF ? s->rx : s->tx) != NULL)
				return 0;
			if (opt == SO_RCVBUF)
				s->rcvbuf = buf_size(v);
			else
				s->sndbuf = buf_size(v);
			if (s->proto == IPPROTO_TCP)
				tcp_sock_bufs_changed(w->sess, s);
			return 0;
		case SO_KEEPALIVE:
			set_flag(s, DPS_SF_KEEPALIVE, v);
			if (s->proto == IPPROTO_TCP)
				tcp_keepalive_changed(w->sess, s);
			return 0;
		case SO_REUSEADDR:
		case SO_REUSEPORT:
			set_flag(s, DPS_SF_REUSEADDR, v);
			return 0;
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_TCP && s->proto == IPPROTO_TCP)
		return tcp_setsockopt(w->sess, s, opt, val, len);
	return -ENOPROTOOPT;
}

int dps_sock_getsockopt(struct dps_worker *w, int sd, int level, int opt,
			void *val, socklen_t *len)
{
	struct dps_sock *s = app_sock(w, sd);

	if (s == NULL)
		return -EBADF;
	if (level == SOL_SOCKET) {
		switch (opt) {
		case SO_LINGER: {
			struct linger l = {
				.l_onoff = !!(s->flags & DPS_SF_LINGER),
				.l_linger = s->linger_s < 0 ? 0 : s->linger_s,
			};

			if (val == NULL || len == NULL || *len < sizeof(l))
				return -EINVAL;
			memcpy(val, &l, sizeof(l));
			*len = sizeof(l);
			return 0;
		}
		case SO_RCVBUF:
			return put_int(val, len, (int)s->rcvbuf);
		case SO_SNDBUF:
			return put_int(val, len, (int)s->sndbuf);
		case SO_KEEPALIVE:
			return put_int(val, len, !!(s->flags & DPS_SF_KEEPALIVE));
		case SO_REUSEADDR:
		case SO_REUSEPORT:
			return put_int(val, len, !!(s->flags & DPS_SF_REUSEADDR));
		case SO_TYPE:
			return put_int(val, len, s->type);
		case SO_ERROR: {
			int e = s->so_error;

			s->so_error = 0;
			return put_int(val, len, e);
		}
		case SO_ACCEPTCONN:
			return put_int(val, len, !!(s->flags & DPS_SF_LISTENING));
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level == IPPROTO_TCP && s->proto == IPPROTO_TCP)
		return tcp_getsockopt(w->sess, s, opt, val, len);
	return -ENOPROTOOPT;
}

void dps_session_walk(struct dps_worker *w, int (*cb)(const struct dps_sock_info *, void *),
		      void *arg)
{
	struct dps_session_worker *sw = w->sess;
	uint32_t i;

	for (i = 0; i < sw->max_socks; i++) {
		struct dps_sock *s = &sw->socks[i];
		struct dps_sock_info info;

		if (!s->used)
			continue;
		memset(&info, 0, sizeof(info));
		info.sd = s->sd;
		info.type = s->type;
		info.laddr = s->laddr;
		info.raddr = s->raddr;
		info.lport = s->lport;
		info.rport = s->rport;
		info.rx_queued = s->rx != NULL ? dps_fifo_used(s->rx) : 0;
		info.tx_queued = s->tx != NULL ? dps_fifo_used(s->tx) : 0;
		info.rx_bytes = s->rx_bytes;
		info.tx_bytes = s->tx_bytes;
		info.rx_cap = s->rx != NULL ? s->rcvbuf : 0;
		info.tx_cap = s->tx != NULL ? s->sndbuf : 0;
		info.gen = s->gen;
		if (s->app != NULL) {
			info.app_id = dps_app_id(s->app);
			info.app_name = dps_app_name(s->app);
		}
		if (s->proto == IPPROTO_TCP)
			tcp_sock_info(sw, s, &info);
		else
			info.state = "UDP";
		if (s->flags & DPS_SF_CUT)
			info.state = "CUT_THROUGH";
		if (cb(&info, arg) != 0)
			break;
	}
}

void dps_session_icmp_error(struct dps_worker *w, uint8_t type, uint8_t code, uint16_t info,
			    const struct rte_ipv4_hdr *inner, const uint8_t *l4)
{
	struct dps_session_worker *sw = w->sess;
	uint16_t sport, dport;
	struct dps_sock *s;
	int sd;

	if (inner->next_proto_id != IPPROTO_TCP && inner->next_proto_id != IPPROTO_UDP)
		return;
	memcpy(&sport, l4, 2);
	memcpy(&dport, l4 + 2, 2);
	/* the packet was ours: its source is our side of the connection */
	sd = dps_conn_lookup(sw, inner->next_proto_id, inner->src_addr, sport, inner->dst_addr,
			     dport);
	s = sd >= 0 ? dps_sock_get(sw, sd) : NULL;
	if (s == NULL)
		return;
	if (s->proto == IPPROTO_TCP) {
		uint32_t seq;

		memcpy(&seq, l4 + 4, 4);
		tcp_icmp_error(sw, s, type, code, info, rte_be_to_cpu_32(seq));
		return;
	}
	/* Linux reports unreachable ports and hosts to connected UDP sockets */
	if (type == 3 && (s->flags & DPS_SF_CONNECTED)) {
		s->so_error = code == 3 ? ECONNREFUSED : code == 1 ? EHOSTUNREACH :
			code == 0 ? ENETUNREACH : code == 4 ? EMSGSIZE : EHOSTUNREACH;
		dps_sock_notify(sw, s);
	}
}

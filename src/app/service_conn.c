/*
 * The workers' side of the built-in services: socket callbacks. Nothing
 * here allocates: connection records come from the per-worker table made
 * at start, data moves through the worker part's scratch buffer.
 *
 * A callback runs at the end of a worker pass when the socket's readiness
 * may have changed (session.h), so every handler does as much as the socket
 * allows now and returns on -EAGAIN: the next callback (POLLIN or POLLOUT)
 * takes it from there. Echo peeks, sends what the transmit FIFO takes, and
 * only then consumes that much, so nothing waits in a buffer of ours.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "app/service_internal.h"
#include "session/session.h"

static struct svc_conn *conn_alloc(struct svc_worker *sw)
{
	struct svc_conn *c;

	if (sw->free_head >= 0) {
		c = &sw->conns[sw->free_head];
		sw->free_head = c->next_free;
	} else if (sw->conns_hwm < DPS_SVC_MAX_CONNS) {
		c = &sw->conns[sw->conns_hwm++];
	} else {
		return NULL;
	}
	memset(c, 0, offsetof(struct svc_conn, head));
	c->sw = sw;
	c->next_free = -1;
	return c;
}

void svc_conn_close(struct dps_worker *w, struct svc_conn *c, bool abort)
{
	struct svc_worker *sw = c->sw;

	dps_sock_set_callback(w, c->sd, NULL, NULL);
	if (abort) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		(void)dps_sock_setsockopt(w, c->sd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	dps_sock_close(w, c->sd);
	sw->conns_now--;
	c->sd = -1;
	c->next_free = sw->free_head;
	sw->free_head = (int32_t)(c - sw->conns);
}

/*
 * Read and drop until the peer's FIN, then close: the discard service, and
 * a lingering close.
 */
static void conn_drain(struct dps_worker *w, struct svc_conn *c)
{
	struct svc_worker *sw = c->sw;

	for (;;) {
		ssize_t n = dps_sock_recv(w, c->sd, sw->scratch, SVC_SCRATCH, 0);

		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			svc_conn_close(w, c, false);
			return;
		}
		sw->rx_bytes += (uint64_t)n;
	}
}

void svc_conn_finish(struct dps_worker *w, struct svc_conn *c)
{
	if (dps_sock_shutdown(w, c->sd, SHUT_WR) < 0) {
		svc_conn_close(w, c, false);
		return;
	}
	c->lingering = true;
	conn_drain(w, c);
}

static void echo_conn(struct dps_worker *w, struct svc_conn *c)
{
	struct svc_worker *sw = c->sw;

	for (;;) {
		ssize_t n = dps_sock_recv(w, c->sd, sw->scratch, SVC_SCRATCH, MSG_PEEK);
		ssize_t m;

		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			/* EOF: all read was echoed; close sends the rest, then FIN */
			svc_conn_close(w, c, false);
			return;
		}
		m = dps_sock_send(w, c->sd, sw->scratch, (size_t)n, MSG_NOSIGNAL);
		if (m == -EAGAIN)
			return;   /* transmit FIFO full: POLLOUT calls again */
		if (m < 0) {
			svc_conn_close(w, c, false);
			return;
		}
		/* consume exactly what went out (it was peeked above) */
		(void)dps_sock_recv(w, c->sd, sw->scratch, (size_t)m, 0);
		sw->rx_bytes += (uint64_t)m;
		sw->tx_bytes += (uint64_t)m;
		if (m < n)
			return;
	}
}

static void source_conn(struct dps_worker *w, struct svc_conn *c)
{
	struct svc_worker *sw = c->sw;

	/* what the client sends is dropped */
	for (;;) {
		ssize_t n = dps_sock_recv(w, c->sd, sw->scratch, SVC_SCRATCH, 0);

		if (n > 0) {
			sw->rx_bytes += (uint64_t)n;
			continue;
		}
		if (n == -EAGAIN || n == 0)
			break;   /* a client may close its side first and still read */
		svc_conn_close(w, c, false);
		return;
	}
	while (c->remaining > 0) {
		size_t len = c->remaining < SVC_SCRATCH ? (size_t)c->remaining : SVC_SCRATCH;
		ssize_t m = dps_sock_send(w, c->sd, sw->pattern + c->sent % DPS_SVC_SOURCE_PERIOD,
					  len, MSG_NOSIGNAL);

		if (m == -EAGAIN)
			return;
		if (m < 0) {
			svc_conn_close(w, c, false);
			return;
		}
		c->sent += (uint64_t)m;
		c->remaining -= (uint64_t)m;
		sw->tx_bytes += (uint64_t)m;
		if ((size_t)m < len)
			return;
	}
	svc_conn_finish(w, c);
}

static void conn_cb(struct dps_worker *w, int sd, unsigned events, void *arg)
{
	struct svc_conn *c = arg;

	if (c->sd != sd)
		return;   /* a notice for a socket this record no longer holds */
	if (c->lingering) {
		conn_drain(w, c);
		return;
	}
	switch (c->sw->svc->kind) {
	case DPS_SVC_ECHO:
		echo_conn(w, c);
		break;
	case DPS_SVC_DISCARD:
		conn_drain(w, c);
		break;
	case DPS_SVC_SOURCE:
		source_conn(w, c);
		break;
	case DPS_SVC_HTTP:
		svc_http_conn(w, c, events);
		break;
	}
}

void svc_listen_cb(struct dps_worker *w, int sd, unsigned events, void *arg)
{
	struct svc_worker *sw = arg;

	if (sw->lsd < 0)
		return;
	for (;;) {
		int csd = dps_sock_accept(w, sw->lsd, NULL, NULL);
		struct svc_conn *c;

		if (csd == -EAGAIN)
			return;
		if (csd < 0) {
			if (csd == -ECONNABORTED)
				continue;
			return;
		}
		c = conn_alloc(sw);
		if (c == NULL) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			dps_sock_set_callback(w, csd, NULL, NULL);
			(void)dps_sock_setsockopt(w, csd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			dps_sock_close(w, csd);
			sw->refused++;
			continue;
		}
		c->sd = csd;
		if (sw->svc->kind == DPS_SVC_SOURCE)
			c->remaining = sw->svc->bytes;
		sw->conns_now++;
		sw->conns_total++;
		dps_sock_set_callback(w, csd, conn_cb, c);
		/* data that came with the handshake raises no new notice: look now */
		conn_cb(w, csd, dps_sock_poll(w, csd), c);
	}
}

void svc_udp_cb(struct dps_worker *w, int sd, unsigned events, void *arg)
{
	struct svc_worker *sw = arg;
	unsigned errs = 0;

	if (sw->lsd < 0)
		return;
	for (;;) {
		uint32_t ip;
		uint16_t port;
		ssize_t n = dps_sock_recvfrom(w, sw->lsd, sw->scratch, SVC_SCRATCH, 0, &ip, &port);

		if (n == -EAGAIN)
			return;
		if (n < 0) {
			if (++errs > 8)
				return;
			continue;
		}
		sw->requests++;
		sw->rx_bytes += (uint64_t)n;
		if (sw->svc->kind == DPS_SVC_ECHO) {
			ssize_t m = dps_sock_sendto(w, sw->lsd, sw->scratch, (size_t)n, 0, ip, port);

			if (m < 0)
				sw->refused++;
			else
				sw->tx_bytes += (uint64_t)m;
		}
	}
}

void svc_conns_abort(struct svc_worker *sw)
{
	for (uint32_t i = 0; i < sw->conns_hwm; i++)
		if (sw->conns[i].sd >= 0)
			svc_conn_close(sw->w, &sw->conns[i], true);
}

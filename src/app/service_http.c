/*
 * The HTTP service on a connection: one request at a time, in order
 * (pipelined requests wait in the receive FIFO). The request head is
 * peeked from the receive FIFO and consumed once complete, so a head
 * split over segments needs no buffer of ours. A file body is sent
 * straight from the site's copy in memory into the transmit FIFO as room
 * appears; nothing is copied per request.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "app/service_internal.h"
#include "session/session.h"

static void http_answer(struct svc_conn *c, const struct http_req *req)
{
	const struct http_site *site = &c->sw->svc->site;
	const struct http_file *f = NULL;
	bool head_only = req->method == HTTP_HEAD;
	int status = 200;

	if (req->method == HTTP_OTHER)
		status = 405;
	else if ((f = http_site_find(site, req->path)) == NULL)
		status = 404;
	c->head_len = (uint16_t)http_response_head(c->head, status, f ? f->ctype : NULL,
						   f ? f->len : 0, req->keep_alive, head_only,
						   NULL);
	c->head_off = 0;
	c->body = status == 200 ? f->data : NULL;
	c->remaining = status == 200 && !head_only ? f->len : 0;
	c->discard = req->content_length;
	c->close_after = !req->keep_alive;
}

/* Send the response under way. False when the socket is full or closed. */
static bool http_send(struct dps_worker *w, struct svc_conn *c)
{
	struct svc_worker *sw = c->sw;

	while (c->head_off < c->head_len) {
		ssize_t m = dps_sock_send(w, c->sd, c->head + c->head_off,
					  (size_t)(c->head_len - c->head_off), MSG_NOSIGNAL);

		if (m == -EAGAIN)
			return false;
		if (m < 0) {
			svc_conn_close(w, c, false);
			return false;
		}
		c->head_off = (uint16_t)(c->head_off + m);
		sw->tx_bytes += (uint64_t)m;
	}
	while (c->remaining > 0) {
		size_t len = c->remaining > SIZE_MAX ? SIZE_MAX : (size_t)c->remaining;
		ssize_t m = dps_sock_send(w, c->sd, c->body, len, MSG_NOSIGNAL);

		if (m == -EAGAIN)
			return false;
		if (m < 0) {
			svc_conn_close(w, c, false);
			return false;
		}
		c->body += m;
		c->remaining -= (uint64_t)m;
		sw->tx_bytes += (uint64_t)m;
		if ((size_t)m < len)
			return false;   /* full: POLLOUT calls again */
	}
	return true;
}

void svc_http_conn(struct dps_worker *w, struct svc_conn *c, unsigned events)
{
	struct svc_worker *sw = c->sw;
	struct http_req req;

	for (;;) {
		ssize_t n;
		int rc;

		if (!http_send(w, c))
			return;
		if (c->close_after) {
			svc_conn_finish(w, c);
			return;
		}
		/* the body of the request answered, thrown away */
		while (c->discard > 0) {
			size_t len = c->discard < SVC_SCRATCH ? (size_t)c->discard : SVC_SCRATCH;

			n = dps_sock_recv(w, c->sd, sw->scratch, len, 0);
			if (n == -EAGAIN)
				return;
			if (n <= 0) {
				svc_conn_close(w, c, false);
				return;
			}
			c->discard -= (uint64_t)n;
			sw->rx_bytes += (uint64_t)n;
		}
		n = dps_sock_recv(w, c->sd, sw->scratch, HTTP_HEAD_MAX, MSG_PEEK);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			/* the client closed (between requests) or the connection failed */
			svc_conn_close(w, c, false);
			return;
		}
		rc = http_parse((const char *)sw->scratch, (size_t)n, &req);
		if (rc == 0) {
			/*
			 * Half a head, and the client has shut its side: nothing
			 * will complete it. Read it out first: a close with unread
			 * data would be a reset (RFC 9293 3.6, as Linux does).
			 */
			if (dps_sock_poll(w, c->sd) & (POLLRDHUP | POLLHUP | POLLERR))
				svc_conn_finish(w, c);
			return;
		}
		sw->requests++;
		if (rc < 0) {
			/* malformed: answer, then close (what follows cannot be framed) */
			c->head_len = (uint16_t)http_response_head(c->head, -rc, NULL, 0, false,
								   false, NULL);
			c->head_off = 0;
			c->remaining = 0;
			c->discard = 0;
			c->close_after = true;
			continue;
		}
		(void)dps_sock_recv(w, c->sd, sw->scratch, (size_t)rc, 0);
		sw->rx_bytes += (uint64_t)rc;
		http_answer(c, &req);
	}
}

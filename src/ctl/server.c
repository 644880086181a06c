/*
 * The control socket. It is served from the main lcore between other
 * control work, so nothing here may block: sockets are non-blocking, a
 * command line is bounded, a client that sends nothing or does not read
 * its answer is dropped after a timeout, and the number of clients is
 * capped. One daemon per socket path is enforced with a lock file whose
 * lock the kernel releases when the process dies, so a crash never leaves
 * the path claimed (core/unixsock.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/unixsock.h"
#include "ctl/ctl_internal.h"

#define CTL_LINE_MAX      4096     /* longest command line, newline excluded */
#define CTL_MAX_CLIENTS   16
#define CTL_TIMEOUT_MS    5000     /* default time to send a command and read the answer */
#define CTL_BACKLOG       16

struct ctl_client {
	int fd;                     /* -1: free slot */
	uint64_t deadline_ms;
	size_t len;                 /* bytes of the command received */
	char in[CTL_LINE_MAX + 1];
	bool replying;
	struct dps_out reply;
	size_t sent;
};

/* One control socket per process, like the one stack per daemon. */
static struct {
	struct dps_unix_listener lsn;   /* the socket and its lock (core/unixsock.h) */
	struct ctl_client cl[CTL_MAX_CLIENTS];
	unsigned timeout_ms;
} srv = { .lsn = { .fd = -1, .lock_fd = -1 }, .timeout_ms = CTL_TIMEOUT_MS };

void ctl_server_set_timeout(unsigned ms)
{
	srv.timeout_ms = ms;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int dps_ctl_server_open(const char *path, char *err, size_t errlen)
{
	int rc;

	if (srv.lsn.fd >= 0) {
		snprintf(err, errlen, "control socket already open on %s", srv.lsn.path);
		return -EALREADY;
	}
	dps_unix_listener_init(&srv.lsn);
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++)
		srv.cl[i].fd = -1;
	/* the socket configures the router: owner and group only */
	rc = dps_unix_listener_open(&srv.lsn, path, SOCK_STREAM, CTL_BACKLOG, 0660,
				    "control socket", err, errlen);
	return rc;
}

static void client_close(struct ctl_client *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	dps_out_free(&c->reply);
}

/*
 * After a failed send or recv: true to retry at once (EINTR). Otherwise
 * wait for the next poll (EAGAIN) or hang up (a real error).
 */
static bool io_retry(struct ctl_client *c)
{
	if (errno == EINTR)
		return true;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		client_close(c);
	return false;
}

/* Send what the socket takes now; close when all is out. */
static void client_flush(struct ctl_client *c)
{
	while (c->sent < c->reply.len) {
		ssize_t n = send(c->fd, c->reply.buf + c->sent, c->reply.len - c->sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (io_retry(c))
				continue;
			return;
		}
		c->sent += (size_t)n;
	}
	client_close(c);
}

/* Queue "ok\n"/"error\n" and the text, and start sending it. */
static void client_answer(struct ctl_client *c, bool ok, const char *text)
{
	dps_out_reset(&c->reply);
	dps_out_printf(&c->reply, "%s\n%s", ok ? "ok" : "error", text);
	if (c->reply.len == 0) {   /* out of memory: nothing to say, hang up */
		client_close(c);
		return;
	}
	c->replying = true;
	c->sent = 0;
	client_flush(c);
}

/* Answer with an error the server itself found (no command was run). */
static void client_refuse(struct ctl_client *c, const char *msg)
{
	char text[160];

	snprintf(text, sizeof(text), "error: %s\n", msg);
	client_answer(c, false, text);
}

static void client_run(struct dps_stack *st, struct ctl_client *c)
{
	struct dps_out ans;
	int rc;

	/* a NUL would silently cut the command short */
	if (memchr(c->in, '\0', c->len) != NULL) {
		client_refuse(c, "command contains a NUL byte");
		return;
	}
	c->in[c->len] = '\0';
	dps_out_init(&ans);
	rc = dps_ctl_exec(st, c->in, &ans);
	client_answer(c, rc == 0, dps_out_str(&ans));
	dps_out_free(&ans);
}

static void client_read(struct dps_stack *st, struct ctl_client *c)
{
	for (;;) {
		size_t room = CTL_LINE_MAX + 1 - c->len;
		ssize_t n = recv(c->fd, c->in + c->len, room, MSG_DONTWAIT);
		char *nl;

		if (n < 0) {
			if (io_retry(c))
				continue;
			return;
		}
		if (n == 0) {
			/* the client shut down its side: run what it sent, if anything */
			if (c->len == 0)
				client_close(c);
			else
				client_run(st, c);
			return;
		}
		nl = memchr(c->in + c->len, '\n', (size_t)n);
		c->len += (size_t)n;
		if (nl != NULL) {
			c->len = (size_t)(nl - c->in);
			client_run(st, c);
			return;
		}
		if (c->len > CTL_LINE_MAX) {
			char msg[64];

			snprintf(msg, sizeof(msg), "command too long (at most %d bytes)",
				 CTL_LINE_MAX);
			client_refuse(c, msg);
			return;
		}
	}
}

static void accept_clients(void)
{
	for (;;) {
		struct ctl_client *c = NULL;
		int fd = accept4(srv.lsn.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;   /* EAGAIN, or an error that the next poll retries */
		for (unsigned i = 0; i < CTL_MAX_CLIENTS && c == NULL; i++)
			if (srv.cl[i].fd < 0)
				c = &srv.cl[i];
		if (c == NULL) {
			static const char busy[] = "error\nerror: too many control clients, try again\n";

			/* best effort: a full socket buffer just loses the message */
			(void)send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->len = 0;
		c->sent = 0;
		c->replying = false;
		dps_out_init(&c->reply);
		c->deadline_ms = now_ms() + srv.timeout_ms;
	}
}

int dps_ctl_server_poll(struct dps_stack *st, int timeout_ms)
{
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];
	struct ctl_client *who[CTL_MAX_CLIENTS + 1];
	uint64_t now = now_ms(), first = UINT64_MAX;
	unsigned n = 0;
	int rc, served = 0;

	if (srv.lsn.fd < 0)
		return -ENOTCONN;
	/* drop the clients that ran out of time */
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &srv.cl[i];

		if (c->fd < 0)
			continue;
		if (now >= c->deadline_ms) {
			if (c->replying)
				client_close(c);
			else
				client_refuse(c, "timed out waiting for a command line");
			continue;
		}
		if (c->deadline_ms < first)
			first = c->deadline_ms;
		pfd[n] = (struct pollfd){ .fd = c->fd, .events = c->replying ? POLLOUT : POLLIN };
		who[n++] = c;
	}
	pfd[n] = (struct pollfd){ .fd = srv.lsn.fd, .events = POLLIN };
	who[n++] = NULL;
	/* wake up for the next client deadline too, but never later than asked */
	if (first != UINT64_MAX && (timeout_ms < 0 || first - now < (uint64_t)timeout_ms))
		timeout_ms = (int)(first - now);
	rc = poll(pfd, n, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	for (unsigned i = 0; i < n && rc > 0; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (who[i] == NULL) {
			accept_clients();
			continue;
		}
		served++;
		if (who[i]->replying)
			client_flush(who[i]);
		else
			client_read(st, who[i]);
	}
	return served;
}

void dps_ctl_server_close(void)
{
	if (srv.lsn.fd >= 0) {
		/* client slots are only valid once open() has set them up */
		for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++)
			client_close(&srv.cl[i]);
	}
	dps_unix_listener_close(&srv.lsn);
}

/*
 * dps-echo: an echo server and a checking echo client over libdpsock
 * (dps-echo-kernel: the same over Linux sockets).
 *
 *   dps-echo -s [-B addr] [-p port] [-u]
 *       serve echo on TCP (or UDP with -u): one epoll loop, any number of
 *       connections; SIGINT/SIGTERM end it with a summary.
 *   dps-echo -c host [-p port] [-n bytes] [-u] [-P conns] [-l len] [-t secs] [-k]
 *       open conns connections (sockets with -u), send bytes of random
 *       data on each and check that every byte comes back in order; UDP
 *       sends datagrams of len bytes one at a time per socket, resending
 *       a lost one. With -k every connection stays open until all are
 *       done, so that conns are open at once. Exit status 0 only if every
 *       connection got its data back intact within secs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define ECHO_BUF     (64 * 1024)
#define EVENTS       256
#define UDP_RTO_NS   (300ull * 1000000)   /* resend an unanswered datagram after */
#define UDP_TRIES    20

struct opts {
	bool server, udp, quiet, keep;
	const char *host, *bind;
	uint16_t port;
	uint64_t bytes;
	unsigned conns;
	size_t dgram;
	unsigned timeout_s;
};

static int listen_sock(const struct opts *o, int type)
{
	struct sockaddr_in sa;
	int fd;

	if (app_addr(o->bind, o->port, &sa) != 0)
		return -1;
	fd = dps_socket(AF_INET, type | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		perror("socket");
		return -1;
	}
	app_sockopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (dps_bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "dps-echo: bind %s port %u: %s\n", o->bind, o->port, strerror(errno));
		dps_close(fd);
		return -1;
	}
	if (type == SOCK_STREAM && dps_listen(fd, 4096) != 0) {
		perror("listen");
		dps_close(fd);
		return -1;
	}
	return fd;
}

/* ------------------------------------------------------------ server */

struct sconn {
	int fd;
	bool eof;                 /* the peer finished sending */
	size_t len, off;          /* buf[off..len) still to echo */
	uint8_t buf[ECHO_BUF];
};

static int set_events(int ep, int fd, void *ptr, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return dps_epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void sconn_close(int ep, struct sconn *c, uint64_t *open)
{
	dps_epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	dps_close(c->fd);
	free(c);
	(*open)--;
}

/* Echo what c holds and read more while the socket takes it. -1: done with c. */
static int sconn_run(int ep, struct sconn *c, uint64_t *bytes)
{
	for (int round = 0; round < 16; round++) {
		ssize_t n;

		if (c->off < c->len) {
			n = dps_write(c->fd, c->buf + c->off, c->len - c->off);
			if (n < 0) {
				if (errno == EAGAIN)
					return set_events(ep, c->fd, c, EPOLLOUT) == 0 ? 0 : -1;
				return -1;
			}
			c->off += (size_t)n;
			*bytes += (uint64_t)n;
			if (c->off < c->len)
				continue;
		}
		c->off = c->len = 0;
		if (c->eof)
			return -1;
		n = dps_read(c->fd, c->buf, sizeof(c->buf));
		if (n == 0) {
			c->eof = true;
			return -1;
		}
		if (n < 0)
			return errno == EAGAIN ? set_events(ep, c->fd, c, EPOLLIN) : -1;
		c->len = (size_t)n;
	}
	return set_events(ep, c->fd, c, c->off < c->len ? EPOLLOUT : EPOLLIN);
}

static int serve_tcp(const struct opts *o)
{
	struct epoll_event evs[EVENTS], ev;
	uint64_t accepted = 0, open = 0, peak = 0, bytes = 0;
	int lfd, ep, rc = 1;
	static char lmark;   /* data.ptr of the listener */

	lfd = listen_sock(o, SOCK_STREAM);
	if (lfd < 0)
		return 1;
	ep = dps_epoll_create1(0);
	if (ep < 0) {
		perror("epoll_create1");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = &lmark;
	if (dps_epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
		perror("epoll_ctl");
		return 1;
	}
	printf("dps-echo: serving TCP echo on %s port %u (%s)\n", o->bind, o->port, APP_STACK);
	fflush(stdout);
	while (!app_stop) {
		int n = dps_epoll_wait(ep, evs, EVENTS, 250);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct sconn *c;

			if (evs[i].data.ptr != &lmark) {
				c = evs[i].data.ptr;
				if (sconn_run(ep, c, &bytes) != 0)
					sconn_close(ep, c, &open);
				continue;
			}
			for (;;) {
				int fd = dps_accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

				if (fd < 0) {
					if (app_accept_error("dps-echo", errno) != 0)
						goto out;
					break;
				}
				c = malloc(sizeof(*c));
				if (c == NULL) {
					dps_close(fd);
					continue;
				}
				c->fd = fd;
				c->eof = false;
				c->len = c->off = 0;
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				if (dps_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
					dps_close(fd);
					free(c);
					continue;
				}
				accepted++;
				if (++open > peak)
					peak = open;
			}
		}
	}
	rc = 0;
out:
	printf("dps-echo: %llu connections accepted, at most %llu open at once, %llu open now, "
	       "%llu bytes echoed\n", (unsigned long long)accepted, (unsigned long long)peak,
	       (unsigned long long)open, (unsigned long long)bytes);
	dps_close(lfd);
	dps_detach();
	return rc;
}

static int serve_udp(const struct opts *o)
{
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t dgrams = 0, bytes = 0;
	static uint8_t buf[65536];
	int fd, ep;

	fd = listen_sock(o, SOCK_DGRAM);
	if (fd < 0)
		return 1;
	ep = dps_epoll_create1(0);
	if (ep < 0 || dps_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		perror("epoll");
		return 1;
	}
	printf("dps-echo: serving UDP echo on %s port %u (%s)\n", o->bind, o->port, APP_STACK);
	fflush(stdout);
	while (!app_stop) {
		int n = dps_epoll_wait(ep, &ev, 1, 250);

		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			return 1;
		}
		for (int k = 0; n > 0 && k < 64; k++) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t r = dps_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

			if (r < 0)
				break;
			/* a datagram the stack cannot take now is lost, as UDP may */
			if (dps_sendto(fd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl) == r) {
				dgrams++;
				bytes += (uint64_t)r;
			}
		}
	}
	printf("dps-echo: %llu datagrams, %llu bytes echoed\n", (unsigned long long)dgrams,
	       (unsigned long long)bytes);
	dps_close(fd);
	dps_detach();
	return 0;
}

/* ------------------------------------------------------------ client */

struct cconn {
	int fd;
	unsigned id;
	bool connected, done, failed;
	uint64_t seed;
	uint64_t sent, recvd;     /* TCP: stream offsets; UDP: datagrams */
	uint64_t deadline;        /* UDP: resend the current datagram after */
	unsigned tries;
};

struct client {
	const struct opts *o;
	int ep;
	struct cconn *c;
	unsigned left, failed, reported;
	uint64_t udp_dgrams;      /* datagrams per socket */
	uint64_t resent;
	uint8_t tx[ECHO_BUF], rx[ECHO_BUF];
};

static void cconn_end(struct client *cl, struct cconn *c)
{
	dps_epoll_ctl(cl->ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (!cl->o->keep || c->failed) {
		dps_close(c->fd);
		c->fd = -1;
	}
	c->done = true;
	cl->left--;
}

__attribute__((format(printf, 3, 4)))
static void cconn_fail(struct client *cl, struct cconn *c, const char *fmt, ...)
{
	va_list ap;

	if (cl->reported++ < 10) {
		fprintf(stderr, "dps-echo: connection %u: ", c->id);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	c->failed = true;
	cl->failed++;
	cconn_end(cl, c);
}

/* UDP datagram k of a socket: 8 bytes of k (network order), then the pattern. */
static size_t udp_dgram(struct client *cl, struct cconn *c, uint64_t k)
{
	size_t len = cl->o->dgram;
	uint64_t be = htobe64(k);

	if (k == cl->udp_dgrams - 1 && cl->o->bytes % len != 0)
		len = cl->o->bytes % len;
	if (len < 8)
		len = 8;
	memcpy(cl->tx, &be, 8);
	app_pattern(c->seed, k * cl->o->dgram, cl->tx + 8, len - 8);
	return len;
}

static void udp_send(struct client *cl, struct cconn *c)
{
	size_t len = udp_dgram(cl, c, c->sent);

	if (dps_send(c->fd, cl->tx, len, 0) < 0 && errno != EAGAIN && errno != ENOBUFS &&
	    errno != ECONNREFUSED) {
		cconn_fail(cl, c, "send: %s", strerror(errno));
		return;
	}
	c->deadline = app_now_ns() + UDP_RTO_NS;
}

static void udp_input(struct client *cl, struct cconn *c)
{
	for (;;) {
		ssize_t n = dps_recv(c->fd, cl->rx, sizeof(cl->rx), 0);
		uint64_t k;
		size_t want;

		if (n < 0) {
			if (errno != EAGAIN && errno != ECONNREFUSED)
				cconn_fail(cl, c, "recv: %s", strerror(errno));
			return;
		}
		if (n < 8) {
			cconn_fail(cl, c, "a datagram of %zd bytes came back", n);
			return;
		}
		memcpy(&k, cl->rx, 8);
		k = be64toh(k);
		if (k != c->sent)
			continue;         /* the echo of a datagram sent again: seen already */
		want = udp_dgram(cl, c, k);
		if ((size_t)n != want || memcmp(cl->rx, cl->tx, want) != 0) {
			cconn_fail(cl, c, "datagram %llu came back changed (%zd bytes, sent %zu)",
				   (unsigned long long)k, n, want);
			return;
		}
		c->sent++;
		c->recvd++;
		c->tries = 0;
		if (c->sent == cl->udp_dgrams) {
			cconn_end(cl, c);
			return;
		}
		udp_send(cl, c);
	}
}

static void udp_timers(struct client *cl)
{
	uint64_t now = app_now_ns();

	for (unsigned i = 0; i < cl->o->conns; i++) {
		struct cconn *c = &cl->c[i];

		if (c->done || now < c->deadline)
			continue;
		if (++c->tries > UDP_TRIES) {
			cconn_fail(cl, c, "no echo of datagram %llu after %u tries",
				   (unsigned long long)c->sent, UDP_TRIES);
			continue;
		}
		cl->resent++;
		udp_send(cl, c);
	}
}

static void tcp_output(struct client *cl, struct cconn *c)
{
	while (c->sent < cl->o->bytes) {
		size_t len = cl->o->bytes - c->sent < sizeof(cl->tx) ? cl->o->bytes - c->sent
								    : sizeof(cl->tx);
		ssize_t n;

		app_pattern(c->seed, c->sent, cl->tx, len);
		n = dps_write(c->fd, cl->tx, len);
		if (n < 0) {
			if (errno != EAGAIN)
				cconn_fail(cl, c, "write after %llu bytes: %s",
					   (unsigned long long)c->sent, strerror(errno));
			return;
		}
		c->sent += (uint64_t)n;
	}
}

static void tcp_input(struct client *cl, struct cconn *c)
{
	for (int round = 0; round < 16; round++) {
		ssize_t n = dps_read(c->fd, cl->rx, sizeof(cl->rx));
		long bad;

		if (n < 0) {
			if (errno != EAGAIN)
				cconn_fail(cl, c, "read after %llu bytes: %s",
					   (unsigned long long)c->recvd, strerror(errno));
			return;
		}
		if (n == 0) {
			cconn_fail(cl, c, "the server closed after %llu of %llu bytes",
				   (unsigned long long)c->recvd, (unsigned long long)cl->o->bytes);
			return;
		}
		if (c->recvd + (uint64_t)n > c->sent) {
			cconn_fail(cl, c, "%zd bytes came back at offset %llu, only %llu sent", n,
				   (unsigned long long)c->recvd, (unsigned long long)c->sent);
			return;
		}
		bad = app_pattern_check(c->seed, c->recvd, cl->rx, (size_t)n);
		if (bad >= 0) {
			cconn_fail(cl, c, "byte %llu came back changed",
				   (unsigned long long)(c->recvd + (uint64_t)bad));
			return;
		}
		c->recvd += (uint64_t)n;
		if (c->recvd == cl->o->bytes) {
			cconn_end(cl, c);
			return;
		}
	}
}

static void cconn_event(struct client *cl, struct cconn *c, uint32_t events)
{
	if (!c->connected) {
		int err = app_connect_result(c->fd, events);

		if (err != 0) {
			cconn_fail(cl, c, "connect: %s", strerror(err));
			return;
		}
		c->connected = true;
	}
	if (cl->o->udp) {
		udp_input(cl, c);
		return;
	}
	tcp_output(cl, c);
	if (!c->done)
		tcp_input(cl, c);
	if (!c->done) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

		if (c->sent < cl->o->bytes)
			ev.events |= EPOLLOUT;
		dps_epoll_ctl(cl->ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

static int cconn_open(struct client *cl, struct cconn *c, const struct sockaddr_in *sa)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
	int fd = dps_socket(AF_INET, (cl->o->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);

	if (fd < 0) {
		fprintf(stderr, "dps-echo: socket %u: %s\n", c->id, strerror(errno));
		return -1;
	}
	c->fd = fd;
	if (!cl->o->udp)
		app_sockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (dps_connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 &&
	    errno != EINPROGRESS) {
		fprintf(stderr, "dps-echo: connect %u: %s\n", c->id, strerror(errno));
		dps_close(fd);
		return -1;
	}
	if (cl->o->udp) {
		ev.events = EPOLLIN;
		c->connected = true;
	}
	if (dps_epoll_ctl(cl->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		perror("epoll_ctl");
		dps_close(fd);
		return -1;
	}
	return 0;
}

static int client(const struct opts *o)
{
	struct epoll_event evs[EVENTS];
	struct sockaddr_in sa;
	struct client *cl;
	uint64_t seed = app_seed(), t0, deadline;
	unsigned completed;
	double secs;
	char as[32];

	if (app_addr(o->host, o->port, &sa) != 0)
		return 2;
	cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return 2;
	cl->o = o;
	cl->c = calloc(o->conns, sizeof(*cl->c));
	cl->ep = dps_epoll_create1(0);
	if (cl->c == NULL || cl->ep < 0) {
		perror("dps-echo");
		return 2;
	}
	cl->udp_dgrams = (o->bytes + o->dgram - 1) / o->dgram;
	t0 = app_now_ns();
	deadline = t0 + (uint64_t)o->timeout_s * 1000000000ull;
	for (unsigned i = 0; i < o->conns; i++) {
		struct cconn *c = &cl->c[i];

		c->id = i;
		c->seed = seed + (uint64_t)i * 0x100000000ull;
		if (cconn_open(cl, c, &sa) != 0) {
			/* the rest never started: count them as failed */
			for (unsigned k = i; k < o->conns; k++)
				cl->c[k].done = cl->c[k].failed = true;
			cl->failed += o->conns - i;
			break;
		}
		cl->left++;
		if (o->udp)
			udp_send(cl, c);
	}
	while (cl->left > 0 && !app_stop && app_now_ns() < deadline) {
		int n = dps_epoll_wait(cl->ep, evs, EVENTS, o->udp ? 20 : 200);

		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++) {
			struct cconn *c = evs[i].data.ptr;

			if (!c->done)
				cconn_event(cl, c, evs[i].events);
		}
		if (o->udp)
			udp_timers(cl);
	}
	secs = (double)(app_now_ns() - t0) / 1e9;
	for (unsigned i = 0; i < o->conns; i++) {
		struct cconn *c = &cl->c[i];

		if (c->done) {
			if (c->fd >= 0)   /* -k: kept open until now */
				dps_close(c->fd);
			continue;
		}
		if (cl->reported++ < 10)
			fprintf(stderr, "dps-echo: connection %u: %s after %.1f s (%llu of %llu bytes "
				"back)\n", i, app_stop ? "interrupted" : "timed out", secs,
				(unsigned long long)(o->udp ? c->recvd * o->dgram : c->recvd),
				(unsigned long long)o->bytes);
		c->failed = true;
		cl->failed++;
		dps_close(c->fd);
	}
	completed = o->conns - cl->failed;
	if (!o->quiet || cl->failed)
		printf("dps-echo: %s %s, %u of %u %s echoed %llu bytes intact in %.3f s "
		       "(%.1f Mbit/s each way%s%s)\n", o->udp ? "UDP" : "TCP",
		       app_addr_str(&sa, as, sizeof(as)), completed, o->conns,
		       o->udp ? "sockets" : "connections", (unsigned long long)o->bytes, secs,
		       (double)completed * (double)o->bytes * 8 / 1e6 / (secs > 0 ? secs : 1),
		       o->udp && cl->resent ? "; some datagrams sent again" : "",
		       o->keep && completed == o->conns ? "; all open at once" : "");
	dps_close(cl->ep);
	free(cl->c);
	free(cl);
	dps_detach();
	return completed == o->conns ? 0 : 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dps-echo -s [-B addr] [-p port] [-u]\n"
		"       dps-echo -c host [-p port] [-n bytes] [-u] [-P conns] [-l len] [-t secs] [-k]\n"
		"  -s          serve echo (TCP; UDP with -u)\n"
		"  -c host     connect to host and check that what is sent comes back\n"
		"  -p port     port (default 7)\n"
		"  -B addr     address to listen on (default 0.0.0.0)\n"
		"  -u          UDP instead of TCP\n"
		"  -n bytes    bytes to send per connection (default 64K; K/M/G suffixes)\n"
		"  -P conns    connections (UDP: sockets) at once, in one epoll loop (default 1)\n"
		"  -l len      UDP datagram size (default 1024, 8..65507)\n"
		"  -t secs     give up after secs (default 60)\n"
		"  -k          keep every connection open until all are done\n"
		"  -q          print only failures\n"
		"Over dpstack the process attaches to dpstackd at $DPSTACK_API.\n");
}

int main(int argc, char **argv)
{
	struct opts o = { .bind = "0.0.0.0", .port = 7, .bytes = 65536, .conns = 1,
			  .dgram = 1024, .timeout_s = 60 };
	uint64_t v;
	int c, p;

	while ((c = getopt(argc, argv, "sc:p:B:un:P:l:t:qkh")) != -1) {
		switch (c) {
		case 's': o.server = true; break;
		case 'c': o.host = optarg; break;
		case 'B': o.bind = optarg; break;
		case 'u': o.udp = true; break;
		case 'q': o.quiet = true; break;
		case 'k': o.keep = true; break;
		case 'p':
			p = app_port(optarg);
			if (p < 0) {
				fprintf(stderr, "dps-echo: bad port '%s'\n", optarg);
				return 2;
			}
			o.port = (uint16_t)p;
			break;
		case 'n':
			if (app_size(optarg, &o.bytes) != 0 || o.bytes == 0) {
				fprintf(stderr, "dps-echo: bad byte count '%s'\n", optarg);
				return 2;
			}
			break;
		case 'P':
			if (app_size(optarg, &v) != 0 || v == 0 || v > 1000000) {
				fprintf(stderr, "dps-echo: bad connection count '%s'\n", optarg);
				return 2;
			}
			o.conns = (unsigned)v;
			break;
		case 'l':
			if (app_size(optarg, &v) != 0 || v < 8 || v > 65507) {
				fprintf(stderr, "dps-echo: datagram size must be 8..65507\n");
				return 2;
			}
			o.dgram = (size_t)v;
			break;
		case 't':
			if (app_size(optarg, &v) != 0 || v == 0 || v > 86400) {
				fprintf(stderr, "dps-echo: bad timeout '%s'\n", optarg);
				return 2;
			}
			o.timeout_s = (unsigned)v;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || o.server == (o.host != NULL)) {
		usage(stderr);
		return 2;
	}
	app_signals();
	if (app_attach("dps-echo") != 0)
		return 2;
	if (o.server)
		return o.udp ? serve_udp(&o) : serve_tcp(&o);
	return client(&o);
}

/*
 * dps-perf: TCP bulk, request/response and connect/request/response/close
 * measurements over libdpsock (dps-perf-kernel: the same over Linux
 * sockets, so that one tool compares dpstack with Linux).
 *
 *   dps-perf -s [-p port] [-B addr] [-T threads] [-v]
 *   dps-perf -c host -m bulk [-d up|down|both] [-t secs | -n bytes] [-P conns] [--verify]
 *   dps-perf -c host -m rr  [-t secs] [-P conns] [-r req] [-R resp]
 *   dps-perf -c host -m crr [-t secs] [-P conns] [-r req] [-R resp]
 *   (client options also: -p port, -T threads, --json)
 *
 * Every connection starts with a hello from the client that says what the
 * server does with it (struct perf_hello), so one server serves every
 * mode and several clients at once:
 *   bulk up    the client sends (for secs, or bytes), then shuts down its
 *              side; the server counts (and with --verify checks) what it
 *              got and answers with a result (struct perf_result) before
 *              closing. Throughput is what the server got over the time to
 *              that answer.
 *   bulk down  the server sends for secs or bytes, then closes; the client
 *              counts and checks up to the end of the stream.
 *   rr         the client sends req bytes, the server answers resp bytes,
 *              one transaction at a time per connection; latency is from
 *              the request's first byte written to the response's last
 *              byte read.
 *   crr        as rr with a new connection per transaction: connect, the
 *              hello and the request in one write, the response, then the
 *              server closes first (so TIME-WAIT stays on the server and
 *              the client does not run out of ports); latency is from
 *              connect() to the response's last byte.
 * --verify fills bulk streams with a seeded pattern and checks every byte.
 *
 * Output: a plain-text summary; with --json also one line of JSON (the
 * last line of stdout) for the benchmark scripts. Exit status 0 when every
 * connection did what it should (and every byte matched), 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define PERF_MAGIC    0x44505350u   /* "DPSP" */
#define PERF_VERSION  1
#define BUF_SIZE      (256 * 1024)
#define EVENTS        256
#define MAX_THREADS   64
#define MAX_MSG       (64u << 20)   /* largest request or response */
#define DRAIN_NS      (30ull * 1000000000)  /* bulk: wait this long for the end */

enum perf_mode { M_BULK_UP = 1, M_BULK_DOWN, M_RR, M_CRR };
#define F_VERIFY 0x01

/* The first bytes of every connection, client -> server; big-endian. */
struct perf_hello {
	uint32_t magic;
	uint8_t version, mode, flags, pad;
	uint32_t req, resp;           /* rr, crr: message sizes */
	uint32_t duration_ms;         /* bulk down: send this long (if bytes == 0) */
	uint64_t bytes;               /* bulk down: send this many */
	uint64_t seed;                /* --verify: the pattern's seed */
} __attribute__((packed));
_Static_assert(sizeof(struct perf_hello) == 36, "hello layout");

/* Bulk up: the server's answer after the client's end of stream. */
struct perf_result {
	uint32_t magic;
	uint32_t ok;                  /* 1: every byte matched (or not checked) */
	uint64_t bytes;               /* bytes received */
	uint64_t bad_at;              /* first byte that differed, if !ok */
} __attribute__((packed));
_Static_assert(sizeof(struct perf_result) == 24, "result layout");

struct opts {
	bool server, json, verify, verbose;
	const char *host, *bind;
	uint16_t port;
	int mode;                     /* 'b' bulk, 'r' rr, 'c' crr */
	int dir;                      /* bulk: 1 up, 2 down, 3 both */
	double secs;
	double limit_s;               /* bulk with -n: give up after (-t, or an hour) */
	uint64_t bytes;
	unsigned conns, threads;
	uint32_t req, resp;
};

static pthread_barrier_t ready, go;
static char listener_mark;
static uint8_t fill[BUF_SIZE];    /* what is sent when nothing is checked */

/* ================================================================ server */

enum sstate { S_HELLO, S_SINK, S_RESULT, S_SOURCE, S_RR_READ, S_RR_WRITE };

struct sconn {
	int fd;
	enum sstate st;
	uint32_t events;
	size_t hello_got;
	union {
		struct perf_hello h;
		uint8_t raw[sizeof(struct perf_hello)];
	} u;
	uint8_t mode, flags;
	uint32_t req, resp;
	uint64_t seed, limit, end_ns;
	uint64_t got, sent;           /* stream offsets (bulk) or in this message (rr) */
	uint64_t bad_at;
	bool ok;
	struct perf_result res;
	size_t res_off;
};

struct sthread {
	const struct opts *o;
	unsigned id;
	pthread_t tid;
	int lfd, ep, setup_rc;
	bool failed;                  /* stopped on an error */
	uint64_t accepted, open, bytes_in, bytes_out, trans;
	uint8_t buf[BUF_SIZE];
};

static int want(int ep, int fd, void *ptr, uint32_t *cur, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (*cur == events)
		return 0;
	*cur = events;
	return dps_epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static int hello_parse(struct sconn *c)
{
	const struct perf_hello *h = &c->u.h;

	if (be32toh(h->magic) != PERF_MAGIC || h->version != PERF_VERSION)
		return -1;
	c->mode = h->mode;
	c->flags = h->flags;
	c->req = be32toh(h->req);
	c->resp = be32toh(h->resp);
	c->limit = be64toh(h->bytes);
	c->seed = be64toh(h->seed);
	c->end_ns = app_now_ns() + (uint64_t)be32toh(h->duration_ms) * 1000000ull;
	c->ok = true;
	c->got = c->sent = 0;
	switch (c->mode) {
	case M_BULK_UP: c->st = S_SINK; return 0;
	case M_BULK_DOWN: c->st = S_SOURCE; return 0;
	case M_RR:
	case M_CRR:
		if (c->req == 0 || c->resp == 0 || c->req > MAX_MSG || c->resp > MAX_MSG)
			return -1;
		c->st = S_RR_READ;
		return 0;
	default: return -1;
	}
}

/* Write up to len bytes of the stream at offset off. */
static ssize_t stream_write(int fd, uint8_t *buf, bool verify, uint64_t seed, uint64_t off,
			    uint64_t len)
{
	size_t n = len < BUF_SIZE ? (size_t)len : BUF_SIZE;

	if (!verify)
		return dps_write(fd, fill, n);
	app_pattern(seed, off, buf, n);
	return dps_write(fd, buf, n);
}

/* Run a server connection as far as it goes. -1: close it. */
static int sconn_run(struct sthread *t, struct sconn *c)
{
	for (int round = 0; round < 64; round++) {
		ssize_t n;

		switch (c->st) {
		case S_HELLO:
			n = dps_read(c->fd, c->u.raw + c->hello_got, sizeof(c->u.raw) - c->hello_got);
			if (n <= 0)
				return n < 0 && errno == EAGAIN ? want(t->ep, c->fd, c, &c->events,
								      EPOLLIN) : -1;
			c->hello_got += (size_t)n;
			if (c->hello_got == sizeof(c->u.raw) && hello_parse(c) != 0) {
				if (t->o->verbose)
					fprintf(stderr, "dps-perf: a connection with a bad hello\n");
				return -1;
			}
			break;
		case S_SINK:
			n = dps_read(c->fd, t->buf, sizeof(t->buf));
			if (n < 0)
				return errno == EAGAIN ? want(t->ep, c->fd, c, &c->events, EPOLLIN) : -1;
			if (n == 0) {
				c->res.magic = htobe32(PERF_MAGIC);
				c->res.ok = htobe32(c->ok ? 1 : 0);
				c->res.bytes = htobe64(c->got);
				c->res.bad_at = htobe64(c->bad_at);
				c->st = S_RESULT;
				if (t->o->verbose)
					fprintf(stderr, "dps-perf: received %" PRIu64 " bytes%s\n",
						c->got, (c->flags & F_VERIFY) ? (c->ok ? ", all intact"
								: ", CORRUPTED") : "");
				break;
			}
			if ((c->flags & F_VERIFY) && c->ok) {
				long bad = app_pattern_check(c->seed, c->got, t->buf, (size_t)n);

				if (bad >= 0) {
					c->ok = false;
					c->bad_at = c->got + (uint64_t)bad;
				}
			}
			c->got += (uint64_t)n;
			t->bytes_in += (uint64_t)n;
			break;
		case S_RESULT:
			n = dps_write(c->fd, (uint8_t *)&c->res + c->res_off, sizeof(c->res) - c->res_off);
			if (n < 0)
				return errno == EAGAIN ? want(t->ep, c->fd, c, &c->events, EPOLLOUT) : -1;
			c->res_off += (size_t)n;
			if (c->res_off == sizeof(c->res))
				return -1;        /* said all: close (a FIN after the result) */
			break;
		case S_SOURCE:
			if ((c->limit != 0 && c->sent >= c->limit) ||
			    (c->limit == 0 && app_now_ns() >= c->end_ns))
				return -1;        /* the stream ends with our FIN */
			n = stream_write(c->fd, t->buf, c->flags & F_VERIFY, c->seed, c->sent,
					 c->limit != 0 ? c->limit - c->sent : BUF_SIZE);
			if (n < 0)
				return errno == EAGAIN ? want(t->ep, c->fd, c, &c->events, EPOLLOUT) : -1;
			c->sent += (uint64_t)n;
			t->bytes_out += (uint64_t)n;
			break;
		case S_RR_READ:
			n = dps_read(c->fd, t->buf, c->req - c->got < BUF_SIZE ? c->req - c->got : BUF_SIZE);
			if (n <= 0)
				return n < 0 && errno == EAGAIN ? want(t->ep, c->fd, c, &c->events,
								      EPOLLIN) : -1;
			c->got += (uint64_t)n;
			t->bytes_in += (uint64_t)n;
			if (c->got == c->req) {
				c->got = 0;
				c->sent = 0;
				c->st = S_RR_WRITE;
			}
			break;
		case S_RR_WRITE:
			n = dps_write(c->fd, fill, c->resp - c->sent < BUF_SIZE ? c->resp - c->sent
										: BUF_SIZE);
			if (n < 0)
				return errno == EAGAIN ? want(t->ep, c->fd, c, &c->events, EPOLLOUT) : -1;
			c->sent += (uint64_t)n;
			t->bytes_out += (uint64_t)n;
			if (c->sent == c->resp) {
				t->trans++;
				if (c->mode == M_CRR)
					return -1;    /* the server closes first */
				c->st = S_RR_READ;
			}
			break;
		}
	}
	/* more to do: come back when the socket says so (it stays ready) */
	return want(t->ep, c->fd, c, &c->events,
		    c->st == S_RESULT || c->st == S_SOURCE || c->st == S_RR_WRITE ? EPOLLOUT
										 : EPOLLIN);
}

static int listen_setup(struct sthread *t)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listener_mark };
	struct sockaddr_in sa;

	if (app_attach("dps-perf") != 0 || app_addr(t->o->bind, t->o->port, &sa) != 0)
		return -1;
	t->lfd = dps_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (t->lfd < 0) {
		perror("dps-perf: socket");
		return -1;
	}
	app_sockopt_int(t->lfd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (t->o->threads > 1 &&
	    dps_setsockopt(t->lfd, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 }, sizeof(int)) != 0) {
		perror("dps-perf: SO_REUSEPORT (needed for -T)");
		return -1;
	}
	if (dps_bind(t->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "dps-perf: bind %s port %u: %s\n", t->o->bind, t->o->port,
			strerror(errno));
		return -1;
	}
	/* libdpsock checks the address at listen() */
	if (dps_listen(t->lfd, 4096) != 0) {
		fprintf(stderr, "dps-perf: thread %u: listen on port %u: %s%s\n", t->id, t->o->port,
			strerror(errno), errno == EADDRINUSE && t->o->threads > 1 ?
			" (-T needs listeners sharing the port with SO_REUSEPORT)" : "");
		return -1;
	}
	t->ep = dps_epoll_create1(0);
	if (t->ep < 0 || dps_epoll_ctl(t->ep, EPOLL_CTL_ADD, t->lfd, &ev) != 0) {
		perror("dps-perf: epoll");
		return -1;
	}
	return 0;
}

static void sconn_close(struct sthread *t, struct sconn *c)
{
	dps_epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
	dps_close(c->fd);
	free(c);
	t->open--;
}

static void *server_thread(void *arg)
{
	struct sthread *t = arg;
	struct epoll_event evs[EVENTS];

	t->lfd = t->ep = -1;
	t->setup_rc = listen_setup(t);
	pthread_barrier_wait(&ready);
	while (t->setup_rc == 0 && !app_stop && !t->failed) {
		int n = dps_epoll_wait(t->ep, evs, EVENTS, 250);

		if (n < 0 && errno != EINTR) {
			perror("dps-perf: epoll_wait");
			t->failed = true;
			app_stop = 1;
			break;
		}
		for (int i = 0; i < n; i++) {
			struct sconn *c = evs[i].data.ptr;

			if (evs[i].data.ptr != &listener_mark) {
				if (sconn_run(t, c) != 0)
					sconn_close(t, c);
				continue;
			}
			for (;;) {
				struct epoll_event ev = { .events = EPOLLIN };
				int fd = dps_accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK);

				if (fd < 0) {
					if (app_accept_error("dps-perf", errno) != 0)
						t->failed = true, app_stop = 1;
					break;
				}
				c = calloc(1, sizeof(*c));
				if (c == NULL) {
					dps_close(fd);
					continue;
				}
				c->fd = fd;
				c->events = EPOLLIN;
				ev.data.ptr = c;
				if (dps_epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
					dps_close(fd);
					free(c);
					continue;
				}
				app_sockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
				t->accepted++;
				t->open++;
			}
		}
	}
	/* connections still open are left to the exit: closing them one by
	 * one here would only add resets to a measurement's end */
	dps_detach();
	return NULL;
}

static int server(const struct opts *o)
{
	struct sthread *ts = calloc(o->threads, sizeof(*ts));
	uint64_t acc = 0, in = 0, out = 0, trans = 0;
	int rc = 0, setup_rc = 0;

	if (ts == NULL)
		return 2;
	pthread_barrier_init(&ready, NULL, o->threads + 1);
	for (unsigned i = 0; i < o->threads; i++) {
		ts[i].o = o;
		ts[i].id = i;
		if (pthread_create(&ts[i].tid, NULL, server_thread, &ts[i]) != 0)
			return 2;
	}
	pthread_barrier_wait(&ready);
	for (unsigned i = 0; i < o->threads; i++)
		if (ts[i].setup_rc != 0)
			setup_rc = rc = 1;
	if (rc != 0) {
		app_stop = 1;
	} else {
		printf("dps-perf: server on %s port %u (%s, %u thread%s)\n", o->bind, o->port,
		       APP_STACK, o->threads, o->threads > 1 ? "s" : "");
		fflush(stdout);
	}
	for (unsigned i = 0; i < o->threads; i++) {
		pthread_join(ts[i].tid, NULL);
		if (ts[i].failed)
			rc = 1;
		acc += ts[i].accepted;
		in += ts[i].bytes_in;
		out += ts[i].bytes_out;
		trans += ts[i].trans;
	}
	if (setup_rc == 0)
		printf("dps-perf: server: %" PRIu64 " connections, %" PRIu64 " bytes in, %" PRIu64
		       " bytes out, %" PRIu64 " transactions\n", acc, in, out, trans);
	free(ts);
	return rc;
}

/* ================================================================ client */

enum cstate { C_CONNECTING, C_SEND, C_RECV, C_RESULT, C_EOF, C_DONE };

struct cthread;

struct cconn {
	int fd;
	uint8_t mode;
	enum cstate st;
	uint32_t events;
	struct cthread *t;
	uint64_t seed;
	uint64_t tx, rx;              /* bulk: stream offsets; rr: in this message */
	uint64_t t0;                  /* rr: request start; crr: connect start */
	uint64_t end_ns;              /* when this connection finished */
	bool hello_sent;
	union {
		struct perf_result r;
		uint8_t raw[sizeof(struct perf_result)];
	} res;
	size_t res_got;
	bool failed;
};

struct cthread {
	const struct opts *o;
	unsigned id;
	pthread_t tid;
	int ep, setup_rc;
	struct sockaddr_in dst;
	struct cconn *c;
	unsigned n, active;
	uint64_t start_ns, end_ns;
	bool ending;
	/* results */
	uint64_t up_bytes, down_bytes, trans, conns_made, errors, corrupt;
	uint64_t last_up_ns, last_down_ns;
	struct app_hist hist;
	uint8_t buf[BUF_SIZE];
};

static int errors_shown;

__attribute__((format(printf, 2, 3)))
static void cerr(struct cthread *t, const char *fmt, ...)
{
	va_list ap;

	t->errors++;
	if (__atomic_fetch_add(&errors_shown, 1, __ATOMIC_RELAXED) >= 10)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "dps-perf: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void hello_fill(const struct cthread *t, const struct cconn *c, struct perf_hello *h)
{
	const struct opts *o = t->o;
	double ms = o->secs * 1000;

	memset(h, 0, sizeof(*h));
	h->magic = htobe32(PERF_MAGIC);
	h->version = PERF_VERSION;
	h->mode = c->mode;
	h->flags = o->verify ? F_VERIFY : 0;
	h->req = htobe32(o->req);
	h->resp = htobe32(o->resp);
	h->duration_ms = htobe32(o->bytes != 0 ? 0 : (uint32_t)(ms < 1 ? 1 : ms));
	h->bytes = htobe64(o->bytes);
	h->seed = htobe64(c->seed);
}

static int cconn_open(struct cthread *t, struct cconn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };

	c->fd = dps_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		cerr(t, "socket: %s", strerror(errno));
		return -1;
	}
	app_sockopt_int(c->fd, IPPROTO_TCP, TCP_NODELAY, 1);
	c->st = C_CONNECTING;
	c->events = EPOLLOUT;
	c->tx = c->rx = 0;
	c->res_got = 0;
	c->hello_sent = false;
	c->t0 = app_now_ns();
	if (dps_connect(c->fd, (struct sockaddr *)&t->dst, sizeof(t->dst)) != 0 &&
	    errno != EINPROGRESS) {
		cerr(t, "connect: %s", strerror(errno));
		dps_close(c->fd);
		c->fd = -1;
		return -1;
	}
	if (dps_epoll_ctl(t->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
		cerr(t, "epoll_ctl: %s", strerror(errno));
		dps_close(c->fd);
		c->fd = -1;
		return -1;
	}
	t->conns_made++;
	return 0;
}

static void cconn_close(struct cthread *t, struct cconn *c, enum cstate st)
{
	if (c->fd >= 0) {
		dps_epoll_ctl(t->ep, EPOLL_CTL_DEL, c->fd, NULL);
		dps_close(c->fd);
	}
	c->fd = -1;
	c->st = st;
	c->end_ns = app_now_ns();
	t->active--;
}

/* The connection is over: crr opens the next one while time is left. */
static void cconn_finish(struct cthread *t, struct cconn *c)
{
	cconn_close(t, c, C_DONE);
	if (c->mode == M_CRR && !t->ending && cconn_open(t, c) == 0)
		t->active++;
}

static void cconn_fail(struct cthread *t, struct cconn *c, const char *what, int err)
{
	/* after the end, rr/crr connections are cut on purpose: no error */
	if (!(t->ending && (c->mode == M_RR || c->mode == M_CRR)))
		cerr(t, "%s: %s", what, strerror(err));
	else
		err = 0;
	c->failed = err != 0;
	cconn_finish(t, c);
}

/* Send: the hello first, then what the mode sends. 0 wait, -1 closed. */
static int cconn_send(struct cthread *t, struct cconn *c)
{
	const struct opts *o = t->o;
	struct perf_hello h;
	struct iovec iov[2];
	ssize_t n;

	for (int round = 0; round < 64; round++) {
		int n_iov = 0;
		size_t hl = 0;

		if (!c->hello_sent) {
			/* the hello is 36 bytes and goes first into an empty socket:
			 * it is written whole or not at all */
			hello_fill(t, c, &h);
			iov[n_iov++] = (struct iovec){ &h, sizeof(h) };
			hl = sizeof(h);
		}
		if (c->mode == M_BULK_UP) {
			uint64_t left = o->bytes != 0 ? o->bytes - c->tx : BUF_SIZE;
			size_t len = left < BUF_SIZE ? (size_t)left : BUF_SIZE;

			if ((o->bytes != 0 && c->tx >= o->bytes) || (o->bytes == 0 && t->ending)) {
				if (n_iov == 0) {
					dps_shutdown(c->fd, SHUT_WR);
					c->st = C_RESULT;
					return 0;
				}
				len = 0;
			}
			if (o->verify)
				app_pattern(c->seed, c->tx, t->buf, len);
			if (len > 0)
				iov[n_iov++] = (struct iovec){ o->verify ? t->buf : fill, len };
		} else if (c->mode == M_RR || c->mode == M_CRR) {
			uint64_t left = o->req - c->tx;

			if (c->tx == 0 && c->mode == M_RR)
				c->t0 = app_now_ns();   /* crr: from connect() on */
			iov[n_iov++] = (struct iovec){ fill, left < BUF_SIZE ? (size_t)left : BUF_SIZE };
		}
		n = dps_writev(c->fd, iov, n_iov);
		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			cconn_fail(t, c, "write", errno);
			return -1;
		}
		if (hl > 0) {
			if ((size_t)n < hl) {
				cerr(t, "the hello went out in pieces");
				cconn_fail(t, c, "write", EPROTO);
				return -1;
			}
			c->hello_sent = true;
			n -= (ssize_t)hl;
			if (c->mode == M_BULK_DOWN) {
				c->st = C_RECV;
				return 0;
			}
		}
		c->tx += (uint64_t)n;
		if ((c->mode == M_RR || c->mode == M_CRR) && c->tx == o->req) {
			c->st = C_RECV;
			c->rx = 0;
			return 0;
		}
	}
	return 0;
}

static void bulk_up_result(struct cthread *t, struct cconn *c)
{
	const struct perf_result *r = &c->res.r;

	if (be32toh(r->magic) != PERF_MAGIC) {
		cerr(t, "bulk up: a bad result from the server");
		c->failed = true;
	} else {
		uint64_t got = be64toh(r->bytes);

		t->up_bytes += got;
		if (got != c->tx) {
			cerr(t, "bulk up: sent %" PRIu64 " bytes, the server got %" PRIu64, c->tx, got);
			c->failed = true;
		}
		if (!be32toh(r->ok)) {
			cerr(t, "bulk up: byte %" PRIu64 " arrived changed", be64toh(r->bad_at));
			t->corrupt++;
			c->failed = true;
		}
	}
	cconn_close(t, c, C_DONE);
	if (c->end_ns > t->last_up_ns)
		t->last_up_ns = c->end_ns;
}

/* Receive what the mode expects. 0 wait, -1 closed. */
static int cconn_recv(struct cthread *t, struct cconn *c)
{
	const struct opts *o = t->o;

	for (int round = 0; round < 64; round++) {
		size_t len = BUF_SIZE;
		ssize_t n;

		if (c->st == C_RESULT)
			len = sizeof(c->res.raw) - c->res_got;
		else if (c->st == C_RECV && (c->mode == M_RR || c->mode == M_CRR))
			len = o->resp - c->rx < BUF_SIZE ? (size_t)(o->resp - c->rx) : BUF_SIZE;
		n = dps_read(c->fd, c->st == C_RESULT ? c->res.raw + c->res_got : t->buf, len);
		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			cconn_fail(t, c, "read", errno);
			return -1;
		}
		if (n == 0) {
			if (c->st == C_EOF) {         /* crr: the server closed first */
				cconn_finish(t, c);
				return -1;
			}
			if (c->mode == M_BULK_DOWN) {
				if (o->bytes != 0 && c->rx != o->bytes) {
					cerr(t, "bulk down: the stream ended after %" PRIu64 " of %" PRIu64
					     " bytes", c->rx, o->bytes);
					c->failed = true;
				}
				cconn_close(t, c, C_DONE);
				if (c->end_ns > t->last_down_ns)
					t->last_down_ns = c->end_ns;
				return -1;
			}
			cconn_fail(t, c, "the server closed", ECONNRESET);
			return -1;
		}
		switch (c->st) {
		case C_RESULT:
			c->res_got += (size_t)n;
			if (c->res_got == sizeof(c->res.raw)) {
				bulk_up_result(t, c);
				return -1;
			}
			break;
		case C_RECV:
			if (c->mode == M_BULK_DOWN) {
				if (o->verify && !c->failed) {
					long bad = app_pattern_check(c->seed, c->rx, t->buf, (size_t)n);

					if (bad >= 0) {
						cerr(t, "bulk down: byte %" PRIu64 " arrived changed",
						     c->rx + (uint64_t)bad);
						t->corrupt++;
						c->failed = true;
					}
				}
				c->rx += (uint64_t)n;
				t->down_bytes += (uint64_t)n;
				break;
			}
			c->rx += (uint64_t)n;
			if (c->rx < o->resp)
				break;
			/* a whole response: one transaction */
			if (!t->ending) {
				app_hist_add(&t->hist, app_now_ns() - c->t0);
				t->trans++;
			}
			if (c->mode == M_CRR) {
				c->st = C_EOF;
				break;
			}
			if (t->ending) {
				cconn_close(t, c, C_DONE);
				return -1;
			}
			c->tx = c->rx = 0;
			c->st = C_SEND;
			return 0;
		default:
			cerr(t, "%zd unexpected bytes from the server", n);
			cconn_fail(t, c, "protocol", EPROTO);
			return -1;
		}
	}
	return 0;
}

static void cconn_event(struct cthread *t, struct cconn *c, uint32_t events)
{
	if (c->st == C_CONNECTING) {
		int err = app_connect_result(c->fd, events);

		if (err != 0) {
			cconn_fail(t, c, "connect", err);
			return;
		}
		c->st = C_SEND;
	}
	for (int k = 0; k < 4; k++) {
		enum cstate before = c->st;

		if (c->st == C_SEND && cconn_send(t, c) < 0)
			return;
		if ((c->st == C_RECV || c->st == C_RESULT || c->st == C_EOF) && cconn_recv(t, c) < 0)
			return;
		if (c->st == before)
			break;
	}
	if (c->fd >= 0)
		want(t->ep, c->fd, c, &c->events, c->st == C_SEND ? EPOLLOUT : EPOLLIN);
}

/* At the end of the time: bulk up connections finish their stream; rr
 * connections waiting for nothing close. */
static void client_end(struct cthread *t)
{
	t->ending = true;
	for (unsigned i = 0; i < t->n; i++) {
		struct cconn *c = &t->c[i];

		if (c->fd < 0 || c->st == C_DONE)
			continue;
		if (c->mode == M_BULK_UP && c->st == C_SEND) {
			if (cconn_send(t, c) == 0 && c->fd >= 0)
				want(t->ep, c->fd, c, &c->events, EPOLLIN);
		} else if (c->mode == M_RR || c->mode == M_CRR) {
			cconn_close(t, c, C_DONE);
		}
	}
}

static void *client_thread(void *arg)
{
	struct cthread *t = arg;
	const struct opts *o = t->o;
	struct epoll_event evs[EVENTS];
	uint64_t hard_end;

	app_hist_init(&t->hist);
	t->ep = -1;
	t->setup_rc = app_attach("dps-perf");
	if (t->setup_rc == 0) {
		t->ep = dps_epoll_create1(0);
		if (t->ep < 0) {
			perror("dps-perf: epoll_create1");
			t->setup_rc = -1;
		}
	}
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&go);      /* the main thread set the times */
	if (t->setup_rc != 0)
		return NULL;
	for (unsigned i = 0; i < t->n; i++) {
		t->c[i].t = t;
		if (cconn_open(t, &t->c[i]) == 0)
			t->active++;
		else
			t->c[i].failed = true;
	}
	/* bulk with a byte count has no end time, only a limit */
	hard_end = t->end_ns != 0 ? t->end_ns + DRAIN_NS
				  : t->start_ns + (uint64_t)(o->limit_s * 1e9);
	while (t->active > 0 && !app_stop) {
		uint64_t now = app_now_ns();
		int n, tmo = 100;

		if (!t->ending && t->end_ns != 0 && now >= t->end_ns)
			client_end(t);
		if (now >= hard_end)
			break;
		if (!t->ending && t->end_ns != 0 && t->end_ns - now < 100000000ull)
			tmo = (int)((t->end_ns - now) / 1000000) + 1;
		n = dps_epoll_wait(t->ep, evs, EVENTS, tmo);
		if (n < 0 && errno != EINTR) {
			perror("dps-perf: epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++) {
			struct cconn *c = evs[i].data.ptr;

			if (c->fd >= 0)
				cconn_event(t, c, evs[i].events);
		}
	}
	for (unsigned i = 0; i < t->n; i++) {
		struct cconn *c = &t->c[i];

		if (c->fd < 0)
			continue;
		if (c->mode == M_BULK_UP || c->mode == M_BULK_DOWN) {
			cerr(t, "a bulk connection did not finish (%s)",
			     app_stop ? "interrupted" : "timed out");
			c->failed = true;
		}
		dps_close(c->fd);
		c->fd = -1;
	}
	dps_close(t->ep);
	dps_detach();
	return NULL;
}

static void print_results(const struct opts *o, struct cthread *ts, uint64_t t0, uint64_t t1)
{
	static const char *const mname[] = { "", "bulk", "bulk", "rr", "crr" };
	struct app_hist *h = calloc(1, sizeof(*h));
	uint64_t up = 0, down = 0, trans = 0, made = 0, errors = 0, corrupt = 0, lu = 0, ld = 0;
	double secs = (double)(t1 - t0) / 1e9, su, sd, rate;
	unsigned failed = 0;
	int mode = o->mode == 'b' ? M_BULK_UP : o->mode == 'r' ? M_RR : M_CRR;

	if (h == NULL)
		return;
	app_hist_init(h);
	for (unsigned i = 0; i < o->threads; i++) {
		struct cthread *t = &ts[i];

		up += t->up_bytes;
		down += t->down_bytes;
		trans += t->trans;
		made += t->conns_made;
		errors += t->errors;
		corrupt += t->corrupt;
		lu = t->last_up_ns > lu ? t->last_up_ns : lu;
		ld = t->last_down_ns > ld ? t->last_down_ns : ld;
		app_hist_merge(h, &t->hist);
		for (unsigned k = 0; k < t->n; k++)
			failed += t->c[k].failed;
	}
	su = lu > t0 ? (double)(lu - t0) / 1e9 : secs;
	sd = ld > t0 ? (double)(ld - t0) / 1e9 : secs;
	if (o->mode == 'b') {
		printf("dps-perf: bulk %s, %u connection%s%s, %s %s", o->dir == 1 ? "up" :
		       o->dir == 2 ? "down" : "both ways", o->conns, o->conns > 1 ? "s" : "",
		       o->dir == 3 ? " each way" : "", APP_STACK, o->host);
		if (o->dir & 1)
			printf("; up %.3f Gbit/s (%" PRIu64 " bytes in %.3f s)",
			       su > 0 ? (double)up * 8 / su / 1e9 : 0, up, su);
		if (o->dir & 2)
			printf("; down %.3f Gbit/s (%" PRIu64 " bytes in %.3f s)",
			       sd > 0 ? (double)down * 8 / sd / 1e9 : 0, down, sd);
		printf("%s\n", o->verify ? (corrupt == 0 && failed == 0 ? "; every byte verified"
								 : "; DATA DID NOT MATCH") : "");
	} else {
		rate = secs > 0 ? (double)trans / secs : 0;
		printf("dps-perf: %s, %u connection%s, %s %s, request %u B, response %u B, %.2f s: "
		       "%" PRIu64 " transactions, %.0f %s/s\n", o->mode == 'r' ? "rr" : "crr",
		       o->conns, o->conns > 1 ? "s" : "", APP_STACK, o->host, o->req, o->resp, secs,
		       trans, rate, o->mode == 'r' ? "transactions" : "connections");
		printf("dps-perf: latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  min %.1f  "
		       "mean %.1f  max %.1f\n", app_hist_pct(h, 0.5) / 1e3, app_hist_pct(h, 0.9) / 1e3,
		       app_hist_pct(h, 0.99) / 1e3, app_hist_pct(h, 0.999) / 1e3,
		       h->n ? h->min / 1e3 : 0, h->n ? (double)h->sum / (double)h->n / 1e3 : 0,
		       h->max / 1e3);
	}
	if (errors)
		printf("dps-perf: %" PRIu64 " errors, %u connections failed\n", errors, failed);
	if (o->json) {
		printf("{\"tool\":\"dps-perf\",\"stack\":\"%s\",\"mode\":\"%s\",\"host\":\"%s\","
		       "\"port\":%u,\"conns\":%u,\"threads\":%u,\"duration_s\":%.3f",
		       APP_STACK, mname[mode], o->host, o->port, o->conns, o->threads, secs);
		if (o->mode == 'b') {
			printf(",\"dir\":\"%s\",\"verify\":%s,\"up_bytes\":%" PRIu64 ",\"up_s\":%.3f,"
			       "\"up_gbps\":%.4f,\"down_bytes\":%" PRIu64 ",\"down_s\":%.3f,"
			       "\"down_gbps\":%.4f,\"gbps\":%.4f,\"corrupt\":%" PRIu64,
			       o->dir == 1 ? "up" : o->dir == 2 ? "down" : "both",
			       o->verify ? "true" : "false", up, su,
			       su > 0 ? (double)up * 8 / su / 1e9 : 0, down, sd,
			       sd > 0 ? (double)down * 8 / sd / 1e9 : 0,
			       (su > 0 ? (double)up * 8 / su / 1e9 : 0) +
			       (sd > 0 ? (double)down * 8 / sd / 1e9 : 0), corrupt);
		} else {
			printf(",\"req\":%u,\"resp\":%u,\"transactions\":%" PRIu64 ",\"%s\":%.1f,"
			       "\"connections\":%" PRIu64 ",\"lat_us\":{\"p50\":%.2f,\"p90\":%.2f,"
			       "\"p99\":%.2f,\"p999\":%.2f,\"min\":%.2f,\"mean\":%.2f,\"max\":%.2f}",
			       o->req, o->resp, trans, o->mode == 'r' ? "tps" : "cps",
			       secs > 0 ? (double)trans / secs : 0, made,
			       app_hist_pct(h, 0.5) / 1e3, app_hist_pct(h, 0.9) / 1e3,
			       app_hist_pct(h, 0.99) / 1e3, app_hist_pct(h, 0.999) / 1e3,
			       h->n ? h->min / 1e3 : 0, h->n ? (double)h->sum / (double)h->n / 1e3 : 0,
			       h->max / 1e3);
		}
		printf(",\"errors\":%" PRIu64 ",\"failed_conns\":%u,\"ok\":%s}\n", errors, failed,
		       errors == 0 && failed == 0 ? "true" : "false");
	}
	fflush(stdout);
	free(h);
}

static int client(const struct opts *o)
{
	struct sockaddr_in dst;
	struct cthread *ts;
	uint64_t seed = app_seed(), t0, t1;
	unsigned per_dir = o->mode == 'b' && o->dir == 3 ? 2 : 1, total = o->conns * per_dir;
	int rc = 0;

	if (app_addr(o->host, o->port, &dst) != 0)
		return 2;
	ts = calloc(o->threads, sizeof(*ts));
	if (ts == NULL)
		return 2;
	/* connection k goes to thread k % threads */
	for (unsigned i = 0; i < o->threads; i++) {
		ts[i].o = o;
		ts[i].id = i;
		ts[i].dst = dst;
		ts[i].c = calloc(total / o->threads + 1, sizeof(*ts[i].c));
		if (ts[i].c == NULL)
			return 2;
	}
	for (unsigned k = 0; k < total; k++) {
		struct cthread *t = &ts[k % o->threads];
		struct cconn *c = &t->c[t->n++];

		c->fd = -1;
		c->seed = seed + (uint64_t)k * 0x10000000000ull;
		if (o->mode == 'r')
			c->mode = M_RR;
		else if (o->mode == 'c')
			c->mode = M_CRR;
		else if (o->dir == 3)
			c->mode = k % 2 == 0 ? M_BULK_UP : M_BULK_DOWN;
		else
			c->mode = o->dir == 1 ? M_BULK_UP : M_BULK_DOWN;
	}
	pthread_barrier_init(&ready, NULL, o->threads + 1);
	pthread_barrier_init(&go, NULL, o->threads + 1);
	for (unsigned i = 0; i < o->threads; i++)
		if (pthread_create(&ts[i].tid, NULL, client_thread, &ts[i]) != 0)
			return 2;
	/* every thread attached: the clock starts */
	pthread_barrier_wait(&ready);
	t0 = app_now_ns();
	for (unsigned i = 0; i < o->threads; i++) {
		ts[i].start_ns = t0;
		ts[i].end_ns = o->bytes != 0 && o->mode == 'b' ? 0 :
			       t0 + (uint64_t)(o->secs * 1e9);
	}
	pthread_barrier_wait(&go);
	for (unsigned i = 0; i < o->threads; i++) {
		pthread_join(ts[i].tid, NULL);
		if (ts[i].setup_rc != 0)
			rc = 2;
	}
	t1 = app_now_ns();
	if (rc == 0) {
		/* rr/crr rates are over the set time, bulk over its own ends */
		if (o->mode != 'b')
			t1 = t0 + (uint64_t)(o->secs * 1e9) < t1 ? t0 + (uint64_t)(o->secs * 1e9) : t1;
		print_results(o, ts, t0, t1);
		for (unsigned i = 0; i < o->threads; i++) {
			if (ts[i].errors)
				rc = 1;
			for (unsigned k = 0; k < ts[i].n; k++)
				if (ts[i].c[k].failed)
					rc = 1;
			if (o->mode != 'b' && ts[i].trans == 0)
				rc = 1;
		}
	}
	for (unsigned i = 0; i < o->threads; i++)
		free(ts[i].c);
	free(ts);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dps-perf -s [-p port] [-B addr] [-T threads] [-v]\n"
		"       dps-perf -c host [-p port] -m bulk|rr|crr [options]\n"
		"  -s            server: answers every mode\n"
		"  -c host       client\n"
		"  -p port       port (default 5300)\n"
		"  -B addr       server: address to listen on (default 0.0.0.0)\n"
		"  -m mode       bulk (Gbit/s), rr (transactions/s and latency), crr\n"
		"                (connections/s and latency; a connection per transaction)\n"
		"  -d dir        bulk: up (client sends, default), down (server sends), both\n"
		"  -t secs       how long (default 10; fractions allowed); with -n the most\n"
		"                a bulk run may take (default 3600)\n"
		"  -n bytes      bulk: send this many bytes per connection instead (K/M/G)\n"
		"  -P conns      connections at once (default 1; bulk both: per direction)\n"
		"  -T threads    threads, each with its own attachment and epoll loop (default 1)\n"
		"  -r bytes      rr/crr request size (default 1)\n"
		"  -R bytes      rr/crr response size (default 1)\n"
		"  --verify      bulk: send a seeded pattern and check every byte\n"
		"  --json        also print one line of JSON with the results\n"
		"  -v            server: a line per bulk connection\n"
		"Over dpstack the process attaches to dpstackd at $DPSTACK_API.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "verify", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .bind = "0.0.0.0", .port = 5300, .mode = 0, .dir = 1, .secs = 10,
			  .limit_s = 3600,
			  .conns = 1, .threads = 1, .req = 1, .resp = 1 };
	uint64_t v;
	char *end;
	int c, p;

	while ((c = getopt_long(argc, argv, "sc:p:B:m:d:t:n:P:T:r:R:vh", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.server = true; break;
		case 'c': o.host = optarg; break;
		case 'B': o.bind = optarg; break;
		case 'J': o.json = true; break;
		case 'V': o.verify = true; break;
		case 'v': o.verbose = true; break;
		case 'p':
			if ((p = app_port(optarg)) < 0)
				goto bad;
			o.port = (uint16_t)p;
			break;
		case 'm':
			if (strcmp(optarg, "bulk") == 0)
				o.mode = 'b';
			else if (strcmp(optarg, "rr") == 0)
				o.mode = 'r';
			else if (strcmp(optarg, "crr") == 0)
				o.mode = 'c';
			else
				goto bad;
			break;
		case 'd':
			if (strcmp(optarg, "up") == 0)
				o.dir = 1;
			else if (strcmp(optarg, "down") == 0)
				o.dir = 2;
			else if (strcmp(optarg, "both") == 0)
				o.dir = 3;
			else
				goto bad;
			break;
		case 't':
			o.secs = o.limit_s = strtod(optarg, &end);
			if (*end != '\0' || !(o.secs > 0 && o.secs <= 86400))
				goto bad;
			break;
		case 'n':
			if (app_size(optarg, &o.bytes) != 0 || o.bytes == 0)
				goto bad;
			break;
		case 'P':
			if (app_size(optarg, &v) != 0 || v == 0 || v > 1000000)
				goto bad;
			o.conns = (unsigned)v;
			break;
		case 'T':
			if (app_size(optarg, &v) != 0 || v == 0 || v > MAX_THREADS)
				goto bad;
			o.threads = (unsigned)v;
			break;
		case 'r':
		case 'R':
			if (app_size(optarg, &v) != 0 || v == 0 || v > MAX_MSG)
				goto bad;
			*(c == 'r' ? &o.req : &o.resp) = (uint32_t)v;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || o.server == (o.host != NULL) || (!o.server && o.mode == 0)) {
		usage(stderr);
		return 2;
	}
	if (!o.server && o.threads > o.conns * (o.mode == 'b' && o.dir == 3 ? 2 : 1))
		o.threads = o.conns * (o.mode == 'b' && o.dir == 3 ? 2 : 1);
	app_pattern(0x5eed, 0, fill, sizeof(fill));
	app_signals();
	return o.server ? server(&o) : client(&o);
bad:
	fprintf(stderr, "dps-perf: bad value '%s' for -%c\n", optarg, c);
	return 2;
}

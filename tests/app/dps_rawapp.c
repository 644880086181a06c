/*
 * A raw client of dpstackd's application protocol (lib/dpsock/
 * dpsock_proto.h) for the integration tests: it attaches and talks over
 * the segment's queues and FIFOs directly, without libdpsock, so that the
 * daemon side is tested on its own. libc + lib/fifo only.
 *
 * usage: dps-rawapp [-a API] [-n NAME] [-s SEGBYTES] [-k SECRET] CMD [ARGS]
 *   attach [hold]        attach, check the segment; print "attached id=N
 *                        seg=BYTES workers=N"; hold: wait until killed
 *   hello BYTES|magic|version|unterminated
 *                        send a bad hello; print "refused error=N: why"
 *   listen PORT [hold]   attach and LISTEN on 0.0.0.0:PORT on every worker;
 *                        print "listening PORT"; hold: wait until killed
 *   echo PORT [N]        listen, then echo every connection through the
 *                        FIFOs (close on the peer's FIN); exit after N
 *                        connections (default 1); print "echoed N bytes"
 *   udpecho PORT [N]     bind UDP PORT, return N datagrams to their senders
 *   connect IP PORT BYTES  TCP to IP:PORT, send BYTES (pattern i % 251),
 *                        shut down, read to EOF; print "sent N received M"
 *   connect-stall IP PORT  TCP to IP:PORT, send 100000 bytes, print
 *                        "stalled" and wait, reading nothing, until killed
 *   bad-msg              attach, send a message of unknown type; print the
 *                        goodbye ("detached error=N: why")
 *   bad-handle           attach, CLOSE a session it does not hold
 *   scribble             attach, LISTEN, then overwrite the request queue
 *                        header and send a message
 *   fifo-scribble PORT   listen; on the first connection overwrite its rx
 *                        FIFO's capacity (as writing past the FIFO before
 *                        it would); print "scribbled", expect the goodbye
 *   detach               attach, send DETACH, wait for the socket to close
 * Exit status 0 when the outcome is the expected one, else 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dpsock/dpsock_proto.h"

#define MAX_SESS 1024

struct sess {
	uint64_t h;
	struct dps_fifo *rx, *tx;
	int closed;          /* peer FIN seen */
	int listener;
};

static struct {
	const char *api, *name, *secret;
	uint64_t seg_want;
	int fd;
	uint8_t *base;
	uint64_t size;
	struct dps_api_welcome wl;
	unsigned nw;
	int bell[DPS_API_MAX_WORKERS], wake[DPS_API_MAX_WORKERS];
	struct dps_msgq *qin[DPS_API_MAX_WORKERS], *qout[DPS_API_MAX_WORKERS];
	uint8_t *evt[DPS_API_MAX_WORKERS];
	struct sess s[MAX_SESS];
	uint64_t req;
} g = { .fd = -1 };

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "dps-rawapp: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static int api_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", g.api);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("connect %s: %s", g.api, strerror(errno));
	return fd;
}

static void hello_fill(struct dps_api_hello *h)
{
	memset(h, 0, sizeof(*h));
	h->magic = DPS_API_MAGIC;
	h->version = DPS_API_VERSION;
	h->seg_size = g.seg_want;
	snprintf(h->name, sizeof(h->name), "%s", g.name);
	if (g.secret != NULL)
		snprintf(h->secret, sizeof(h->secret), "%s", g.secret);
}

/* The welcome (or a refusal): 0 attached, else the error. */
static int welcome_recv(int fd)
{
	int fds[1 + 2 * DPS_API_MAX_WORKERS];
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &g.wl, .iov_len = sizeof(g.wl) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	unsigned n = 0;
	ssize_t r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

	if (r != (ssize_t)sizeof(g.wl))
		die("welcome: %zd bytes (%s)", r, r < 0 ? strerror(errno) : "short");
	if (g.wl.magic != DPS_API_MAGIC)
		die("welcome: bad magic");
	if (g.wl.error != 0)
		return g.wl.error;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			n = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), n * sizeof(int));
		}
	g.nw = g.wl.n_workers;
	if (g.nw == 0 || g.nw > DPS_API_MAX_WORKERS || n != 1 + 2 * g.nw)
		die("welcome: %u workers, %u descriptors", g.nw, n);
	g.size = g.wl.seg_size;
	g.base = mmap(NULL, g.size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (g.base == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	close(fds[0]);
	for (unsigned i = 0; i < g.nw; i++) {
		const struct dps_seg_hdr *hdr = (const struct dps_seg_hdr *)g.base;
		const struct dps_seg_worker *sw = &hdr->w[i];

		if (hdr->magic != DPS_SEG_MAGIC || hdr->size != g.size || hdr->n_workers != g.nw ||
		    hdr->app_id != g.wl.app_id)
			die("segment header does not match the welcome");
		g.bell[i] = fds[1 + i];
		g.wake[i] = fds[1 + g.nw + i];
		g.qin[i] = (struct dps_msgq *)(g.base + sw->q_in_off);
		g.qout[i] = (struct dps_msgq *)(g.base + sw->q_out_off);
		g.evt[i] = g.base + sw->evt_off;
		if (dps_msgq_check(g.qin[i], sw->q_size) != 0 ||
		    dps_msgq_check(g.qout[i], sw->q_size) != 0)
			die("worker %u: bad queues", i);
		if (sw->heap_off + sw->heap_size > g.size)
			die("worker %u: heap outside the segment", i);
	}
	return 0;
}

static void attach(void)
{
	struct dps_api_hello h;
	int e;

	g.fd = api_connect();
	hello_fill(&h);
	if (send(g.fd, &h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h))
		die("send hello: %s", strerror(errno));
	e = welcome_recv(g.fd);
	if (e != 0) {
		printf("refused error=%d: %s\n", e, g.wl.message);
		fflush(stdout);
		exit(2);
	}
}

/* ---- messages ---- */

static void send_msg(unsigned w, const struct dps_msg *m)
{
	while (dps_msgq_enqueue(g.qin[w], m, 1) != 1)
		usleep(100);
	dps_msgq_notify(g.qin[w], g.bell[w]);
}

/* Next event from any worker, waiting up to timeout_ms (-1 forever). */
static int next_event(struct dps_msg *m, unsigned *wid, int timeout_ms)
{
	struct pollfd pfd[DPS_API_MAX_WORKERS + 1];

	for (;;) {
		bool sleep_ok = true;

		for (unsigned i = 0; i < g.nw; i++) {
			if (dps_msgq_dequeue(g.qout[i], m, 1) == 1) {
				*wid = i;
				return 1;
			}
		}
		for (unsigned i = 0; i < g.nw; i++)
			if (dps_msgq_sleep_begin(g.qout[i]) != 0)
				sleep_ok = false;
		if (sleep_ok) {
			for (unsigned i = 0; i < g.nw; i++)
				pfd[i] = (struct pollfd){ .fd = g.wake[i], .events = POLLIN };
			/* the API socket: closed when we are detached */
			pfd[g.nw] = (struct pollfd){ .fd = g.fd, .events = POLLIN };
			int r = poll(pfd, g.nw + 1, timeout_ms);

			for (unsigned i = 0; i < g.nw; i++) {
				dps_msgq_sleep_end(g.qout[i]);
				dps_eventfd_drain(g.wake[i]);
			}
			if (r == 0)
				return 0;
			if (pfd[g.nw].revents)
				return -1;
		} else {
			for (unsigned i = 0; i < g.nw; i++)
				dps_msgq_sleep_end(g.qout[i]);
		}
	}
}

/* A request's answer (REPLY or CONNECTED with this request id). */
static void wait_answer(uint64_t req, struct dps_msg *m, unsigned *wid)
{
	for (;;) {
		int r = next_event(m, wid, 10000);

		if (r <= 0)
			die("no answer to request %" PRIu64 " (%s)", req, r == 0 ? "timeout" : "detached");
		if ((m->type == DPS_MSG_REPLY || m->type == DPS_MSG_CONNECTED) && m->args[5] == req)
			return;
	}
}

static struct sess *sess_add(uint64_t h, uint64_t rx, uint64_t tx)
{
	for (unsigned i = 0; i < MAX_SESS; i++) {
		struct sess *s = &g.s[i];

		if (s->h == 0) {
			memset(s, 0, sizeof(*s));
			s->h = h;
			s->rx = rx ? (struct dps_fifo *)(g.base + rx) : NULL;
			s->tx = tx ? (struct dps_fifo *)(g.base + tx) : NULL;
			return s;
		}
	}
	die("too many sessions");
}

static struct sess *sess_find(uint64_t h)
{
	for (unsigned i = 0; i < MAX_SESS; i++)
		if (g.s[i].h == h)
			return &g.s[i];
	return NULL;
}

static uint8_t *evt_of(uint64_t h)
{
	return &g.evt[dps_handle_worker(h)][dps_handle_sd(h)];
}

static void sess_msg(uint64_t h, uint16_t type, uint64_t a0)
{
	struct dps_msg m = { .type = type, .session = h };

	m.args[0] = a0;
	send_msg(dps_handle_worker(h), &m);
}

static void sess_close(struct sess *s)
{
	sess_msg(s->h, DPS_MSG_CLOSE, 0);
	s->h = 0;
}

/* Written to the tx FIFO: TX, unless one is queued already. */
static void tx_kick(struct sess *s)
{
	if (!(__atomic_fetch_or(evt_of(s->h), DPS_EVT_TX, __ATOMIC_SEQ_CST) & DPS_EVT_TX))
		sess_msg(s->h, DPS_MSG_TX, 0);
}

/* Read from the rx FIFO: RX_DONE if the worker asked. */
static void rx_done(struct sess *s)
{
	if (__atomic_fetch_and(evt_of(s->h), (uint8_t)~DPS_EVT_WANT_RXD, __ATOMIC_SEQ_CST) &
	    DPS_EVT_WANT_RXD)
		sess_msg(s->h, DPS_MSG_RX_DONE, 0);
}

static uint64_t listen_on(unsigned w, uint16_t port, int proto_udp)
{
	struct dps_msg m = { .type = proto_udp ? DPS_MSG_BIND_UDP : DPS_MSG_LISTEN }, a;
	unsigned wid;

	m.args[0] = IPPROTO_TCP;
	m.args[1] = (uint64_t)port << 32;
	m.args[2] = 128;
	m.args[4] = DPS_SOCKF_REUSEADDR;
	m.args[5] = ++g.req;
	send_msg(w, &m);
	wait_answer(g.req, &a, &wid);
	if (a.error != 0)
		die("%s on port %u: %s", proto_udp ? "BIND_UDP" : "LISTEN", port, strerror(a.error));
	sess_add(a.session, a.args[2], a.args[3])->listener = !proto_udp;
	return a.session;
}

/* ---- echo ---- */

static uint64_t echoed;

/* Move what fits from rx to tx. */
static void pump(struct sess *s)
{
	static uint8_t buf[65536];
	uint32_t n = dps_fifo_max_dequeue(s->rx), room = dps_fifo_max_enqueue(s->tx);

	if (n > room)
		n = room;
	if (n > sizeof(buf))
		n = sizeof(buf);
	if (n > 0) {
		dps_fifo_dequeue(s->rx, buf, n);
		dps_fifo_enqueue(s->tx, buf, n);
		echoed += n;
		tx_kick(s);
		rx_done(s);
	}
	if (dps_fifo_max_dequeue(s->rx) > 0) {
		/* tx full: ask for TX_SPACE, then look again (no lost wake-up) */
		__atomic_fetch_or(evt_of(s->h), DPS_EVT_WANT_TXS, __ATOMIC_SEQ_CST);
		if (dps_fifo_max_enqueue(s->tx) > 0)
			pump(s);
		return;
	}
	if (s->closed) {
		printf("connection closed, %" PRIu64 " bytes echoed so far\n", echoed);
		fflush(stdout);
		sess_close(s);
	}
}

static int run_echo(uint16_t port, unsigned n_conn)
{
	unsigned done = 0, wid;
	struct dps_msg m;

	for (unsigned w = 0; w < g.nw; w++)
		listen_on(w, port, 0);
	printf("listening %u\n", port);
	fflush(stdout);
	while (n_conn == 0 || done < n_conn) {
		struct sess *s;
		int r = next_event(&m, &wid, -1);

		if (r < 0)
			die("detached");
		s = sess_find(m.session);
		switch (m.type) {
		case DPS_MSG_ACCEPTED:
			sess_add(m.session, m.args[2], m.args[3]);
			break;
		case DPS_MSG_RX:
			if (s == NULL)
				break;
			__atomic_fetch_and(evt_of(s->h), (uint8_t)~DPS_EVT_RX, __ATOMIC_SEQ_CST);
			pump(s);
			if (s->h == 0)
				done++;
			break;
		case DPS_MSG_TX_SPACE:
			if (s != NULL) {
				pump(s);
				if (s->h == 0)
					done++;
			}
			break;
		case DPS_MSG_CLOSED:
			if (s != NULL) {
				s->closed = 1;
				pump(s);
				if (s->h == 0)
					done++;
			}
			break;
		case DPS_MSG_RESET:
			if (s != NULL) {
				printf("connection reset (%s)\n", strerror(m.error));
				sess_close(s);
				done++;
			}
			break;
		default:
			break;
		}
	}
	printf("echoed %" PRIu64 " bytes\n", echoed);
	return 0;
}

static int run_udpecho(uint16_t port, unsigned n)
{
	static uint8_t buf[65536];
	unsigned done = 0, wid;
	uint64_t h = listen_on(0, port, 1);
	struct sess *s = sess_find(h);
	struct dps_msg m;

	printf("bound %u\n", port);
	fflush(stdout);
	while (done < n) {
		if (next_event(&m, &wid, -1) < 0)
			die("detached");
		if (m.type != DPS_MSG_RX || m.session != h)
			continue;
		__atomic_fetch_and(evt_of(h), (uint8_t)~DPS_EVT_RX, __ATOMIC_SEQ_CST);
		while (dps_fifo_max_dequeue(s->rx) >= sizeof(struct dps_dgram_hdr)) {
			struct dps_dgram_hdr d;

			dps_fifo_dequeue(s->rx, &d, sizeof(d));
			if (d.len > sizeof(buf))
				die("datagram of %u bytes", d.len);
			dps_fifo_dequeue(s->rx, buf, d.len);
			/* one record, published whole */
			{
				struct dps_fifo_seg sg[2];
				uint32_t tot = (uint32_t)sizeof(d) + d.len, k;
				uint8_t rec[sizeof(d) + sizeof(buf)];

				memcpy(rec, &d, sizeof(d));
				memcpy(rec + sizeof(d), buf, d.len);
				while (dps_fifo_max_enqueue(s->tx) < tot)
					usleep(100);
				dps_fifo_write_segs(s->tx, 0, tot, sg);
				memcpy(sg[0].data, rec, sg[0].len);
				k = sg[0].len;
				memcpy(sg[1].data, rec + k, sg[1].len);
				dps_fifo_enqueue_commit(s->tx, tot);
			}
			tx_kick(s);
			done++;
		}
	}
	printf("returned %u datagrams\n", done);
	return 0;
}

static int run_connect(const char *ip, uint16_t port, uint64_t bytes, bool stall)
{
	struct dps_msg m = { .type = DPS_MSG_CONNECT }, a;
	struct in_addr in;
	uint64_t sent = 0, got = 0;
	unsigned wid;
	struct sess *s;
	int bad = 0;

	if (inet_pton(AF_INET, ip, &in) != 1)
		die("bad address %s", ip);
	m.args[0] = IPPROTO_TCP;
	m.args[1] = ntohl(in.s_addr) | (uint64_t)port << 32;
	m.args[5] = ++g.req;
	send_msg(0, &m);
	wait_answer(g.req, &a, &wid);
	if (a.error != 0) {
		printf("connect failed: %s\n", strerror(a.error));
		return 1;
	}
	s = sess_add(a.session, a.args[2], a.args[3]);
	if (stall) {
		uint8_t b[100000] = { 0 };

		dps_fifo_enqueue(s->tx, b, sizeof(b));
		tx_kick(s);
		printf("stalled\n");
		for (;;)
			pause();
	}
	while (!s->closed) {
		while (sent < bytes && dps_fifo_max_enqueue(s->tx) > 0) {
			uint8_t b[4096];
			uint32_t n = (uint32_t)(bytes - sent < sizeof(b) ? bytes - sent : sizeof(b));

			if (n > dps_fifo_max_enqueue(s->tx))
				n = dps_fifo_max_enqueue(s->tx);
			for (uint32_t i = 0; i < n; i++)
				b[i] = (uint8_t)((sent + i) % 251);
			dps_fifo_enqueue(s->tx, b, n);
			sent += n;
			tx_kick(s);
			if (sent == bytes)
				sess_msg(s->h, DPS_MSG_SHUTDOWN, SHUT_WR);
		}
		if (sent < bytes) {
			/* ask for TX_SPACE, then look again (no lost wake-up) */
			__atomic_fetch_or(evt_of(s->h), DPS_EVT_WANT_TXS, __ATOMIC_SEQ_CST);
			if (dps_fifo_max_enqueue(s->tx) > 0)
				continue;
		}
		if (next_event(&m, &wid, 10000) <= 0)
			die("no event (sent %" PRIu64 ", received %" PRIu64 ")", sent, got);
		if (m.session != s->h)
			continue;
		if (m.type == DPS_MSG_RX) {
			uint8_t b[65536];
			uint32_t n;

			__atomic_fetch_and(evt_of(s->h), (uint8_t)~DPS_EVT_RX, __ATOMIC_SEQ_CST);
			while ((n = dps_fifo_dequeue(s->rx, b, sizeof(b))) > 0) {
				for (uint32_t i = 0; i < n; i++)
					bad |= b[i] != (uint8_t)((got + i) % 251);
				got += n;
			}
			rx_done(s);
		} else if (m.type == DPS_MSG_CLOSED) {
			s->closed = 1;
		} else if (m.type == DPS_MSG_RESET) {
			printf("reset: %s\n", strerror(m.error));
			return 1;
		}
	}
	/* data that came with the FIN */
	{
		uint8_t b[65536];
		uint32_t n;

		while ((n = dps_fifo_dequeue(s->rx, b, sizeof(b))) > 0) {
			for (uint32_t i = 0; i < n; i++)
				bad |= b[i] != (uint8_t)((got + i) % 251);
			got += n;
		}
	}
	sess_close(s);
	printf("sent %" PRIu64 " received %" PRIu64 "%s\n", sent, got, bad ? " CORRUPT" : "");
	return bad || got != bytes;
}

/* After bad input: the goodbye, then end of file. */
static int expect_goodbye(void)
{
	struct dps_api_welcome wl;
	struct pollfd p = { .fd = g.fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 10000) <= 0)
		die("not detached within 10 s");
	n = recv(g.fd, &wl, sizeof(wl), 0);
	if (n != (ssize_t)sizeof(wl))
		die("no goodbye (%zd)", n);
	printf("detached error=%d: %s\n", wl.error, wl.message);
	n = recv(g.fd, &wl, sizeof(wl), 0);
	return n == 0 && wl.error == EPROTO ? 0 : 1;
}

static int run_hello(const char *what)
{
	char buf[512];
	struct dps_api_hello h;
	size_t len = sizeof(h);
	ssize_t n;

	g.fd = api_connect();
	hello_fill(&h);
	if (strcmp(what, "magic") == 0)
		h.magic = 0xdeadbeef;
	else if (strcmp(what, "version") == 0)
		h.version = 99;
	else if (strcmp(what, "unterminated") == 0)
		memset(h.name, 'x', sizeof(h.name));
	else
		len = (size_t)atoi(what);
	memset(buf, 0x5a, sizeof(buf));
	memcpy(buf, &h, len < sizeof(h) ? len : sizeof(h));
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (send(g.fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		die("send: %s", strerror(errno));
	n = recv(g.fd, &g.wl, sizeof(g.wl), 0);
	if (n != (ssize_t)sizeof(g.wl))
		die("no answer to the bad hello (%zd)", n);
	printf("refused error=%d: %s\n", g.wl.error, g.wl.message);
	return g.wl.error != 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int c;

	g.api = getenv(DPS_API_ENV) ? getenv(DPS_API_ENV) : DPS_API_PATH;
	g.name = "rawapp";
	g.secret = getenv(DPS_API_SECRET_ENV);
	while ((c = getopt(argc, argv, "a:n:s:k:")) != -1) {
		switch (c) {
		case 'a': g.api = optarg; break;
		case 'n': g.name = optarg; break;
		case 's': g.seg_want = strtoull(optarg, NULL, 0); break;
		case 'k': g.secret = optarg; break;
		default: return 1;
		}
	}
	if (optind >= argc)
		die("no command (see the comment at the top of tests/app/dps_rawapp.c)");
	cmd = argv[optind++];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "hello") == 0)
		return run_hello(optind < argc ? argv[optind] : "3");
	attach();
	if (strcmp(cmd, "attach") == 0) {
		printf("attached id=%u seg=%" PRIu64 " workers=%u\n", g.wl.app_id, g.size, g.nw);
		if (optind < argc && strcmp(argv[optind], "hold") == 0)
			for (;;)
				pause();
		return 0;
	}
	if (strcmp(cmd, "listen") == 0 && optind < argc) {
		uint16_t port = (uint16_t)atoi(argv[optind]);

		for (unsigned w = 0; w < g.nw; w++)
			listen_on(w, port, 0);
		printf("listening %u\n", port);
		if (optind + 1 < argc && strcmp(argv[optind + 1], "hold") == 0)
			for (;;)
				pause();
		return 0;
	}
	if (strcmp(cmd, "echo") == 0 && optind < argc)
		return run_echo((uint16_t)atoi(argv[optind]),
				optind + 1 < argc ? (unsigned)atoi(argv[optind + 1]) : 1);
	if (strcmp(cmd, "udpecho") == 0 && optind < argc)
		return run_udpecho((uint16_t)atoi(argv[optind]),
				   optind + 1 < argc ? (unsigned)atoi(argv[optind + 1]) : 1);
	if (strcmp(cmd, "connect") == 0 && optind + 2 < argc)
		return run_connect(argv[optind], (uint16_t)atoi(argv[optind + 1]),
				   strtoull(argv[optind + 2], NULL, 0), false);
	if (strcmp(cmd, "connect-stall") == 0 && optind + 1 < argc)
		return run_connect(argv[optind], (uint16_t)atoi(argv[optind + 1]), 0, true);
	if (strcmp(cmd, "bad-msg") == 0) {
		struct dps_msg m = { .type = 4242 };

		send_msg(0, &m);
		return expect_goodbye();
	}
	if (strcmp(cmd, "bad-handle") == 0) {
		struct dps_msg m = { .type = DPS_MSG_CLOSE, .session = dps_handle(0, 7, 4242) };

		send_msg(0, &m);
		return expect_goodbye();
	}
	if (strcmp(cmd, "scribble") == 0) {
		struct dps_msg m = { .type = DPS_MSG_TX, .session = 1 };

		listen_on(0, 4000, 0);
		/* a slot count far beyond the queue's memory */
		((uint32_t *)g.qin[0])[1] = 1u << 30;
		dps_msgq_enqueue(g.qin[0], &m, 1);
		dps_eventfd_signal(g.bell[0]);
		return expect_goodbye();
	}
	if (strcmp(cmd, "fifo-scribble") == 0 && optind < argc) {
		struct dps_msg m;
		unsigned wid;

		listen_on(0, (uint16_t)atoi(argv[optind]), 0);
		printf("listening %s\n", argv[optind]);
		do {
			if (next_event(&m, &wid, 20000) <= 0)
				die("no connection");
		} while (m.type != DPS_MSG_ACCEPTED);
		((struct dps_fifo *)(g.base + m.args[2]))->capacity = 1u << 30;
		printf("scribbled\n");
		return expect_goodbye();
	}
	if (strcmp(cmd, "detach") == 0) {
		struct dps_msg m = { .type = DPS_MSG_DETACH };
		char b[8];

		send_msg(0, &m);
		struct pollfd p = { .fd = g.fd, .events = POLLIN };

		if (poll(&p, 1, 10000) <= 0 || recv(g.fd, b, sizeof(b), 0) != 0)
			die("the daemon did not close the API socket after DETACH");
		printf("detached in order\n");
		return 0;
	}
	die("unknown command %s", cmd);
}

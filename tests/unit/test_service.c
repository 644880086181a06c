/*
 * Built-in services end to end on the simulated network (include/dpstack/
 * sim.h): instance A runs the services, started with CLI commands; B is
 * the client, through the instance socket API. Checks the CLI (errors
 * change nothing), HTTP (keep-alive, 404, 405, HEAD, 400, Connection:
 * close, a file of MiBs through a lossy link), echo, discard, source, UDP
 * echo and discard, many connections at once, and that sockets and mbufs
 * come back when it is all over.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dpstack/sim.h"

#define MS  1000000ull
#define SEC 1000000000ull
#define T0  SEC

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static struct dps_simnet *net;
static struct dps_sim *A, *B;
static char dir[64];
static char answer[1 << 20];
static unsigned test_no;

#define BIG_LEN (3u << 20)
static uint8_t *big;

static uint8_t pat(size_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13);
}

/* ---- fixture ---- */

static void put(const char *rel, const void *data, size_t len)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int group_setup(void **state)
{
	if (dps_sim_global_init() != 0)
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/test_service.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	big = malloc(BIG_LEN);
	if (big == NULL)
		return -1;
	for (size_t i = 0; i < BIG_LEN; i++)
		big[i] = pat(i);
	put("index.html", "<h1>dpstack</h1>\n", 17);
	put("big.bin", big, BIG_LEN);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	free(big);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A and B joined by a link with loss (fraction) and 1 ms delay each way. */
static void net_up(double loss)
{
	struct dps_sim_link_params p = { .loss = loss, .delay_ns = 1 * MS };
	char name[16];
	int ia, ib;

	net = dps_simnet_create(1234 + test_no);
	assert_non_null(net);
	snprintf(name, sizeof(name), "svA%u", test_no);
	A = dps_sim_create(name, T0);
	snprintf(name, sizeof(name), "svB%u", test_no);
	B = dps_sim_create(name, T0);
	test_no++;
	assert_non_null(A);
	assert_non_null(B);
	ia = dps_sim_add_if(A, "sim0", mac_a, "10.0.0.1/24", NULL, 0);
	ib = dps_sim_add_if(B, "sim0", mac_b, "10.0.0.2/24", NULL, 0);
	assert_true(ia >= 0 && ib >= 0);
	assert_int_equal(dps_simnet_link(net, A, ia, B, ib, &p), 0);
}

static void net_down(void)
{
	dps_simnet_destroy(net);
	dps_sim_destroy(A);
	dps_sim_destroy(B);
	net = NULL;
	A = B = NULL;
}

static void run_ms(uint64_t ms)
{
	dps_simnet_run_until(net, dps_sim_now(A) + ms * MS);
}

/* ---- CLI ---- */

static int cli(struct dps_sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cli(struct dps_sim *s, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return dps_sim_cli(s, cmd, answer, sizeof(answer));
}

static void cli_ok(const char *cmd, const char *want)
{
	if (cli(A, "%s", cmd) != 0)
		fail_msg("'%s' failed: %s", cmd, answer);
	if (want != NULL && strstr(answer, want) == NULL)
		fail_msg("'%s': expected '%s' in:\n%s", cmd, want, answer);
}

static void cli_err(const char *cmd, const char *want)
{
	char *nl;

	if (cli(A, "%s", cmd) != -1)
		fail_msg("'%s' succeeded: %s", cmd, answer);
	nl = strchr(answer, '\n');
	if (strncmp(answer, "error: ", 7) != 0 || nl == NULL || nl[1] != '\0')
		fail_msg("'%s': not one error line: %s", cmd, answer);
	if (want != NULL && strstr(answer, want) == NULL)
		fail_msg("'%s': expected '%s' in: %s", cmd, want, answer);
}

/*
 * A number on the `show services` line of a service: column col (3 conns
 * now, 4 accepted, 5 requests or datagrams, 6 rx bytes, 7 tx bytes).
 */
static uint64_t svc_col(const char *name, unsigned port, const char *proto_want, unsigned col)
{
	char line[64];
	const char *p;

	cli_ok("show services", NULL);
	snprintf(line, sizeof(line), "\n%-8s ", name);
	for (p = answer; (p = strstr(p, line)) != NULL; p++) {
		char n[16], proto[8], c[6][24];
		unsigned pt;

		if (sscanf(p + 1, "%15s %7s %u %23s %23s %23s %23s %23s", n, proto, &pt, c[0], c[1],
			   c[2], c[3], c[4]) == 8 && pt == port && strcmp(proto, proto_want) == 0)
			return col >= 3 && col <= 7 ? strtoull(c[col - 3], NULL, 10) : 0;
	}
	fail_msg("no service %s on port %u in:\n%s", name, port, answer);
	return 0;
}

/* In-use mbufs of A's main pool, from show memory. */
static unsigned mbufs_in_use(void)
{
	char name[64];
	unsigned size, used;

	cli_ok("show memory", NULL);
	if (sscanf(strchr(answer, '\n') + 1, "%63s %u %u", name, &size, &used) != 3)
		fail_msg("show memory: %s", answer);
	return used;
}

static void test_cli(void **state)
{
	char cmd[256];
	struct sockaddr_in sa;
	int sd;

	net_up(0);
	cli_ok("show services", "no services");
	snprintf(cmd, sizeof(cmd), "service start http port 80 root %s/missing", dir);
	cli_err(cmd, "No such file or directory");
	snprintf(cmd, sizeof(cmd), "service start http port 80 root %s/index.html", dir);
	cli_err(cmd, "not a directory");
	cli_err("service start http port 80", "missing root");
	cli_ok("show services", "no services");

	snprintf(cmd, sizeof(cmd), "service start http port 80 root %s", dir);
	cli_ok(cmd, NULL);
	assert_string_equal(answer, "");
	cli_err(cmd, "port 80/tcp is in use by service http 80/tcp");
	cli_err("service start echo port 80", "in use by service http");
	cli_err("service start echo tcp port 80", "in use by service http");
	cli_ok("service start echo udp port 80", NULL);
	cli_ok("service start echo port 7", NULL);
	cli_ok("service start echo udp port 7", NULL);
	cli_ok("service start discard port 9", NULL);
	cli_ok("service start source port 19 bytes 1000", NULL);

	cli_err("service start source port 20 bytes 0", "out of range");
	cli_err("service start source port 20", "missing bytes");
	cli_err("service start echo port 0", "out of range");
	cli_err("service start echo port 65536", "out of range");
	cli_err("service start echo port x", "not a number");
	cli_err("service start echo sctp port 7", NULL);
	cli_err("service start chargen port 7", "unknown word 'chargen'");
	cli_err("service start echo port", "missing");
	cli_err("service start", "incomplete command");

	/* a port a socket of the instance holds */
	sd = dps_sim_socket(A, SOCK_STREAM);
	assert_true(sd >= 0);
	dps_sim_sockaddr(&sa, NULL, 5000);
	assert_int_equal(dps_sim_bind(A, sd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(dps_sim_listen(A, sd, 8), 0);
	cli_err("service start echo port 5000", "5000/tcp is in use by another socket");
	assert_int_equal(dps_sim_close(A, sd), 0);
	cli_ok("service start echo port 5000", NULL);
	cli_ok("service stop 5000", NULL);

	cli_ok("show services", NULL);
	assert_non_null(strstr(answer, "Name     Proto  Port"));
	assert_non_null(strstr(answer, "\nhttp     tcp      80"));
	assert_non_null(strstr(answer, "\necho     udp      80"));
	assert_non_null(strstr(answer, "\necho     tcp       7"));
	assert_non_null(strstr(answer, "\nsource   tcp      19"));
	assert_non_null(strstr(answer, "bytes 1000"));
	assert_non_null(strstr(answer, "(2 files, 3.0 MiB)"));

	/* one listener or UDP socket per service on the (single) worker */
	cli_ok("show sessions", "total 6: LISTEN 4, UDP 2");
	cli_ok("show sessions verbose", "cc ");
	cli_ok("show memory", "worker 0: 6 sockets");
	assert_non_null(strstr(answer, "services: 6"));

	cli_err("service stop 80", "'80' fits 2 services (http 80/tcp, echo 80/udp)");
	cli_err("service stop echo", "fits 3 services");
	cli_err("service stop 81", "no service '81' is running (running: http 80/tcp");
	cli_err("service stop chargen", "no service 'chargen'");
	cli_err("service stop 70000", "neither a service name nor <port>");
	cli_err("service stop 80/sctp", "neither");
	cli_err("service stop", "missing");
	cli_ok("show services", "source");
	cli_ok("service stop 80/udp", NULL);
	cli_ok("service stop http", NULL);
	cli_ok("service stop 7/tcp", NULL);
	cli_ok("service stop 7", NULL);
	cli_ok("service stop discard", NULL);
	cli_ok("service stop 19", NULL);
	cli_ok("show services", "no services");
	cli_ok("show sessions", "total 0\n");
	cli_ok("help service", "service start http port <1..65535> root <directory>");
	cli_ok("show tcp stats all", "segs_in");
	net_down();
}

/* ---- clients on B ---- */

/* When a transfer stalls: both ends' sockets and TCP counters. */
static void dump_state(void)
{
	static const char *const cmds[] = {
		"show sessions verbose", "show services", "show tcp stats", "show errors",
	};
	static char b[1 << 16];

	for (int i = 0; i < 2; i++)
		for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
			if (dps_sim_cli(i ? B : A, cmds[k], b, sizeof(b)) == 0)
				fprintf(stderr, "---- %s: %s\n%s", i ? "B (client)" : "A (server)",
					cmds[k], b);
		}
}

/* Bytes of the next response already read (pipelining): kept in xbuf. */
static uint8_t xbuf[BIG_LEN + 8192];
static size_t xcarry;

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sa;
	struct pollfd p;
	int sd = dps_sim_socket(B, SOCK_STREAM), rc, err = -1;
	socklen_t len = sizeof(err);

	assert_true(sd >= 0);
	xcarry = 0;
	dps_sim_sockaddr(&sa, "10.0.0.1", port);
	rc = dps_sim_connect(B, sd, (struct sockaddr *)&sa, sizeof(sa));
	assert_true(rc == -EINPROGRESS || rc == 0);
	for (int i = 0; i < 30000; i++) {
		p.fd = sd;
		p.events = POLLOUT;
		if (dps_sim_poll(B, &p, 1) > 0)
			break;
		run_ms(1);
	}
	assert_int_equal(dps_sim_getsockopt(B, sd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	assert_int_equal(err, 0);
	return sd;
}

/*
 * Send tx (then shut down writing if shut), receive into rx until rx_want
 * bytes and, if want_eof, the end of the stream. Virtual time limit.
 */
static size_t pump(int sd, const uint8_t *tx, size_t tx_len, bool shut, uint8_t *rx,
		   size_t rx_cap, size_t rx_want, bool want_eof, uint64_t limit_ms)
{
	size_t sent = 0, got = 0;
	bool eof = false, shut_done = false;

	for (uint64_t t = 0; t < limit_ms; t++) {
		for (;;) {
			ssize_t n;

			if (sent < tx_len) {
				n = dps_sim_send(B, sd, tx + sent, tx_len - sent, MSG_NOSIGNAL);
				if (n > 0)
					sent += (size_t)n;
				else if (n != -EAGAIN)
					fail_msg("send: %zd", n);
			}
			if (sent == tx_len && shut && !shut_done) {
				assert_int_equal(dps_sim_shutdown(B, sd, SHUT_WR), 0);
				shut_done = true;
			}
			if (rx_cap == 0)
				break;
			n = dps_sim_recv(B, sd, rx + got, rx_cap - got, 0);
			if (n == 0) {
				eof = true;
				break;
			}
			if (n == -EAGAIN)
				break;
			if (n < 0)
				fail_msg("recv: %zd after %zu bytes", n, got);
			got += (size_t)n;
			if (got == rx_cap)
				break;
		}
		if (sent == tx_len && got >= rx_want && (!want_eof || eof))
			return got;
		run_ms(1);
	}
	dump_state();
	fail_msg("pump: sent %zu/%zu, got %zu/%zu, eof %d after %" PRIu64 " ms", sent, tx_len, got,
		 rx_want, eof, limit_ms);
	return got;
}

/* One HTTP exchange on sd: the status, the body in body/blen, Connection: close seen. */
struct resp {
	int status;
	size_t clen, blen;
	bool close;
	char head[1024];
};


static void http_xchg(int sd, const char *req, bool head_only, uint8_t *body, size_t cap,
		      struct resp *r)
{
	uint8_t *buf = xbuf;
	size_t got = xcarry, hl = 0, blen;
	uint64_t t;
	const char *cl;

	memset(r, 0, sizeof(*r));
	if (*req != '\0')
		pump(sd, (const uint8_t *)req, strlen(req), false, buf, 0, 0, false, 1000);
	for (t = 0; t < 60000; t++) {
		ssize_t n;

		while ((n = dps_sim_recv(B, sd, buf + got, sizeof(xbuf) - got, 0)) > 0)
			got += (size_t)n;
		if (hl == 0) {
			uint8_t *e = memmem(buf, got, "\r\n\r\n", 4);

			if (e != NULL) {
				hl = (size_t)(e - buf) + 4;
				assert_true(hl < sizeof(r->head));
				memcpy(r->head, buf, hl);
				r->head[hl] = '\0';
				assert_int_equal(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
				cl = strstr(r->head, "Content-Length: ");
				assert_non_null(cl);
				r->clen = strtoull(cl + 16, NULL, 10);
				r->close = strstr(r->head, "Connection: close\r\n") != NULL;
			}
		}
		if (hl > 0 && got >= hl + (head_only ? 0 : r->clen))
			break;
		if (n == 0)
			fail_msg("connection closed before the response was complete (%zu bytes)", got);
		run_ms(1);
	}
	assert_true(hl > 0);
	blen = head_only ? 0 : r->clen;
	r->blen = got - hl < blen ? got - hl : blen;
	assert_true(r->blen <= cap);
	memcpy(body, buf + hl, r->blen);
	xcarry = got - hl - r->blen;
	memmove(buf, buf + hl + r->blen, xcarry);
}

static bool at_eof(int sd, uint64_t limit_ms)
{
	uint8_t b[64];

	for (uint64_t t = 0; t < limit_ms; t++) {
		ssize_t n = dps_sim_recv(B, sd, b, sizeof(b), 0);

		if (n == 0)
			return true;
		if (n > 0 || (n < 0 && n != -EAGAIN))
			return false;
		run_ms(1);
	}
	return false;
}

static void test_http(void **state)
{
	static uint8_t body[BIG_LEN];
	char cmd[256];
	struct resp r;
	unsigned mb0;
	int sd;

	net_up(0.01);
	snprintf(cmd, sizeof(cmd), "service start http port 80 root %s", dir);
	cli_ok(cmd, NULL);
	run_ms(1000);
	mb0 = mbufs_in_use();

	sd = tcp_connect(80);
	http_xchg(sd, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", false, body, sizeof(body), &r);
	assert_int_equal(r.status, 200);
	assert_false(r.close);
	assert_int_equal(r.blen, 17);
	assert_memory_equal(body, "<h1>dpstack</h1>\n", 17);
	assert_non_null(strstr(r.head, "Content-Type: text/html"));

	/* the same connection: 3 MiB through 1% loss, byte for byte */
	http_xchg(sd, "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n", false, body, sizeof(body), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.clen, BIG_LEN);
	assert_int_equal(r.blen, BIG_LEN);
	assert_memory_equal(body, big, BIG_LEN);

	http_xchg(sd, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", false, body, sizeof(body), &r);
	assert_int_equal(r.status, 404);
	assert_false(r.close);
	assert_memory_equal(body, "404 Not Found\n", 14);
	http_xchg(sd, "HEAD /big.bin HTTP/1.1\r\nHost: a\r\n\r\n", true, body, sizeof(body), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.clen, BIG_LEN);
	assert_int_equal(r.blen, 0);
	/* a body announced with the request is read and dropped */
	http_xchg(sd, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", false, body,
		  sizeof(body), &r);
	assert_int_equal(r.status, 405);
	assert_non_null(strstr(r.head, "Allow: GET, HEAD\r\n"));
	/* a head in pieces */
	pump(sd, (const uint8_t *)"GET /index.h", 12, false, body, 0, 0, false, 100);
	run_ms(50);
	pump(sd, (const uint8_t *)"tml HTTP/1.1\r\nHo", 16, false, body, 0, 0, false, 100);
	run_ms(50);
	http_xchg(sd, "st: a\r\n\r\n", false, body, sizeof(body), &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.blen, 17);
	/* two pipelined requests: two answers in order */
	http_xchg(sd, "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\n\r\n",
		  false, body, sizeof(body), &r);
	assert_int_equal(r.status, 200);
	http_xchg(sd, "", false, body, sizeof(body), &r);
	assert_int_equal(r.status, 404);
	/* Connection: close: answered, then the server closes */
	http_xchg(sd, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false, body,
		  sizeof(body), &r);
	assert_int_equal(r.status, 200);
	assert_true(r.close);
	assert_true(at_eof(sd, 5000));
	assert_int_equal(dps_sim_close(B, sd), 0);

	/* malformed: 400 and close */
	sd = tcp_connect(80);
	http_xchg(sd, "GET /../x HTTP/1.1\r\nHost: a\r\n\r\n", false, body, sizeof(body), &r);
	assert_int_equal(r.status, 400);
	assert_true(r.close);
	assert_true(at_eof(sd, 5000));
	assert_int_equal(dps_sim_close(B, sd), 0);
	/* a client that leaves after half a request */
	sd = tcp_connect(80);
	pump(sd, (const uint8_t *)"GET / HT", 8, true, body, sizeof(body), 0, true, 5000);
	assert_int_equal(dps_sim_close(B, sd), 0);

	run_ms(3000);
	assert_int_equal(svc_col("http", 80, "tcp", 3), 0);    /* connections now */
	assert_int_equal(svc_col("http", 80, "tcp", 4), 3);    /* accepted */
	assert_int_equal(svc_col("http", 80, "tcp", 5), 10);   /* requests */
	cli_ok("show tcp stats", "segs_in");
	cli_ok("service stop http", NULL);
	run_ms(1000);
	assert_int_equal(mbufs_in_use(), mb0);
	net_down();
}

static void test_echo_discard_source(void **state)
{
	static uint8_t tx[1 << 20], rx[(1 << 20) + 1];
	struct sockaddr_in sa;
	unsigned mb0;
	int sd;

	net_up(0.02);
	for (size_t i = 0; i < sizeof(tx); i++)
		tx[i] = pat(i * 7);
	cli_ok("service start echo port 7", NULL);
	cli_ok("service start discard port 9", NULL);
	cli_ok("service start source port 19 bytes 1000003", NULL);
	cli_ok("service start echo udp port 7", NULL);
	cli_ok("service start discard udp port 9", NULL);
	run_ms(1000);
	mb0 = mbufs_in_use();

	/* echo: 1 MiB out and back through 2% loss; our FIN, then the server's */
	sd = tcp_connect(7);
	assert_int_equal(pump(sd, tx, sizeof(tx), true, rx, sizeof(rx), sizeof(tx), true, 120000),
			 sizeof(tx));
	assert_memory_equal(rx, tx, sizeof(tx));
	assert_int_equal(dps_sim_close(B, sd), 0);

	/* discard: 1 MiB in, nothing back, counted */
	sd = tcp_connect(9);
	assert_int_equal(pump(sd, tx, sizeof(tx), true, rx, sizeof(rx), 0, true, 120000), 0);
	assert_int_equal(dps_sim_close(B, sd), 0);
	run_ms(1000);
	assert_int_equal(svc_col("discard", 9, "tcp", 6), sizeof(tx));   /* rx bytes */

	/* source: exactly its bytes, pattern i % 251, then the end */
	sd = tcp_connect(19);
	assert_int_equal(pump(sd, NULL, 0, false, rx, sizeof(rx), 1000003, true, 120000), 1000003);
	for (size_t i = 0; i < 1000003; i++)
		if (rx[i] != i % 251)
			fail_msg("source byte %zu is %u", i, rx[i]);
	assert_int_equal(dps_sim_close(B, sd), 0);

	/* UDP echo and discard */
	sd = dps_sim_socket(B, SOCK_DGRAM);
	assert_true(sd >= 0);
	dps_sim_sockaddr(&sa, "10.0.0.1", 7);
	for (int i = 0; i < 20; i++) {
		uint8_t d[1400];
		ssize_t n = -EAGAIN;

		memcpy(d, tx + i * 1400, sizeof(d));
		assert_int_equal(dps_sim_sendto(B, sd, d, (size_t)(100 + i * 50), 0,
						(struct sockaddr *)&sa, sizeof(sa)), 100 + i * 50);
		for (int t = 0; t < 100 && n == -EAGAIN; t++) {
			run_ms(1);
			n = dps_sim_recvfrom(B, sd, rx, sizeof(rx), 0, NULL, NULL);
		}
		/* 2% loss each way: a lost datagram is just lost */
		if (n >= 0) {
			assert_int_equal(n, 100 + i * 50);
			assert_memory_equal(rx, d, (size_t)n);
		}
	}
	/* a datagram beyond the MTU, fragmented both ways (sent until one survives) */
	dps_sim_sockaddr(&sa, "10.0.0.1", 7);
	{
		ssize_t n = -EAGAIN;

		for (int k = 0; k < 10 && n < 0; k++) {
			assert_int_equal(dps_sim_sendto(B, sd, tx, 5000, 0, (struct sockaddr *)&sa,
							sizeof(sa)), 5000);
			n = -EAGAIN;
			for (int t = 0; t < 100 && n == -EAGAIN; t++) {
				run_ms(1);
				n = dps_sim_recvfrom(B, sd, rx, sizeof(rx), 0, NULL, NULL);
			}
		}
		assert_int_equal(n, 5000);
		assert_memory_equal(rx, tx, 5000);
	}
	dps_sim_sockaddr(&sa, "10.0.0.1", 9);
	for (int i = 0; i < 10; i++)
		assert_int_equal(dps_sim_sendto(B, sd, tx, 10, 0, (struct sockaddr *)&sa,
						sizeof(sa)), 10);
	run_ms(100);
	assert_true(svc_col("discard", 9, "udp", 5) >= 7);   /* datagrams (2% loss) */
	assert_int_equal(dps_sim_close(B, sd), 0);

	run_ms(5000);
	assert_int_equal(svc_col("echo", 7, "tcp", 3), 0);
	assert_int_equal(svc_col("source", 19, "tcp", 3), 0);
	cli_ok("service stop 7/tcp", NULL);
	cli_ok("service stop 7/udp", NULL);
	cli_ok("service stop 9/tcp", NULL);
	cli_ok("service stop 9/udp", NULL);
	cli_ok("service stop source", NULL);
	run_ms(1000);
	assert_int_equal(mbufs_in_use(), mb0);
	net_down();
}

/* Many clients at once; then service stop resets the connections still open. */
static void test_many(void **state)
{
	enum { N = 300 };
	static int sds[N];
	static size_t got[N];
	static uint8_t rx[N][256];
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	char cmd[256];
	unsigned done = 0, mb0;

	net_up(0);
	snprintf(cmd, sizeof(cmd), "service start http port 80 root %s", dir);
	cli_ok(cmd, NULL);
	cli_ok("service start echo port 7", NULL);
	run_ms(1000);
	mb0 = mbufs_in_use();
	for (int i = 0; i < N; i++) {
		struct sockaddr_in sa;
		int rc;

		sds[i] = dps_sim_socket(B, SOCK_STREAM);
		assert_true(sds[i] >= 0);
		dps_sim_sockaddr(&sa, "10.0.0.1", 80);
		rc = dps_sim_connect(B, sds[i], (struct sockaddr *)&sa, sizeof(sa));
		assert_true(rc == -EINPROGRESS || rc == 0);
		/* batches below the SYN queue (128): this tests the service, not cookies */
		if (i % 100 == 99)
			run_ms(20);
	}
	/* B resolves A meanwhile: SYNs beyond its ARP queue go again after 1 s */
	run_ms(2500);
	if (svc_col("http", 80, "tcp", 3) != N)
		dump_state();
	assert_int_equal(svc_col("http", 80, "tcp", 3), N);
	for (int i = 0; i < N; i++)
		assert_int_equal(dps_sim_send(B, sds[i], req, sizeof(req) - 1, 0), sizeof(req) - 1);
	for (int t = 0; t < 5000 && done < N; t++) {
		run_ms(1);
		for (int i = 0; i < N; i++) {
			ssize_t n;

			if (got[i] == 0 && (n = dps_sim_recv(B, sds[i], rx[i], sizeof(rx[i]), 0)) > 0) {
				got[i] = (size_t)n;
				done++;
			}
		}
	}
	assert_int_equal(done, N);
	for (int i = 0; i < N; i++) {
		assert_memory_equal(rx[i], "HTTP/1.1 200 OK\r\n", 17);
		assert_int_equal(dps_sim_close(B, sds[i]), 0);
	}
	run_ms(1000);
	/* the clients closed first: no TIME-WAIT on A, just the two listeners */
	assert_int_equal(svc_col("http", 80, "tcp", 3), 0);
	assert_int_equal(svc_col("http", 80, "tcp", 4), N);
	cli_ok("show sessions", "total 2: LISTEN 2\n");

	/* connections open when the service stops are reset */
	for (int i = 0; i < 20; i++)
		sds[i] = tcp_connect(7);
	run_ms(10);
	assert_int_equal(svc_col("echo", 7, "tcp", 3), 20);
	cli_ok("service stop echo", NULL);
	run_ms(100);
	for (int i = 0; i < 20; i++) {
		uint8_t b[8];

		assert_int_equal(dps_sim_recv(B, sds[i], b, sizeof(b), 0), -ECONNRESET);
		assert_int_equal(dps_sim_close(B, sds[i]), 0);
	}
	cli_ok("show sessions", "total 1: LISTEN 1\n");
	cli_ok("service stop http", NULL);
	run_ms(1000);
	cli_ok("show sessions", "total 0\n");
	assert_int_equal(mbufs_in_use(), mb0);
	net_down();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_echo_discard_source),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * dps-httpd: an HTTP/1.1 static file server over libdpsock (dps-httpd-kernel:
 * the same over Linux sockets).
 *
 *   dps-httpd --root DIR [--port N] [--bind ADDR] [--threads N] [--idle SECS] [-v]
 *
 * GET and HEAD of the regular files under DIR ("/" and "/dir/" mean
 * index.html), persistent connections (HTTP/1.1 by default, HTTP/1.0 with
 * keep-alive), pipelined requests answered in order, Content-Length on
 * every answer; 400 for a malformed request or a ".." path (then close),
 * 404, 405 for other methods. The request parser and the response heads
 * are the built-in HTTP service's (src/app/http.h).
 *
 * Each thread attaches to dpstackd on its own and runs one epoll loop with
 * its own listener (SO_REUSEPORT when there are several). A body is sent
 * as the socket takes it: pread() of the next chunk of the file into the
 * connection's chunk buffer, then write; files are never held in memory
 * whole, so any size can be served.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/http.h"
#include "common.h"

#define CHUNK       (128 * 1024)   /* bytes read from a file at a time */
#define EVENTS      256
#define ROUNDS      64             /* steps per connection per event, for fairness */
#define MAX_THREADS 64

struct opts {
	const char *root, *bind;
	uint16_t port;
	unsigned threads;
	unsigned idle_s;
	bool verbose;
};

struct hconn {
	int fd;
	uint32_t events;              /* what epoll waits for now */
	uint64_t last;                /* last activity, for the idle timeout */
	struct hconn *prev, *next;    /* the thread's list, least recently active first */
	/* request input */
	size_t in_len;
	uint64_t skip;                /* request body bytes still to discard */
	bool eof;                     /* the client finished sending */
	/* the response being sent */
	bool busy;
	bool close_after;
	size_t head_len, head_off;
	int file_fd;
	uint64_t file_off, file_end;  /* what is still to be read from the file */
	uint8_t *chunk;               /* CHUNK bytes while a body is sent */
	size_t chunk_len, chunk_off;
	char head[HTTP_RESP_MAX];
	char in[HTTP_HEAD_MAX];
};

struct worker {
	const struct opts *o;
	unsigned id;
	pthread_t tid;
	int lfd, ep;
	int setup_rc;
	bool failed;                  /* stopped on an error */
	struct hconn *oldest, *newest;
	uint64_t accepted, open, requests, bytes;
	uint64_t status[6];           /* 2xx .. 5xx by first digit */
};

static pthread_barrier_t ready;
static char listener_mark;        /* the listener's epoll data.ptr */

/* ---- the connection list, least recently active first ---- */

static void list_del(struct worker *w, struct hconn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->oldest = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		w->newest = c->prev;
	c->prev = c->next = NULL;
}

static void list_add(struct worker *w, struct hconn *c)
{
	c->prev = w->newest;
	c->next = NULL;
	if (w->newest != NULL)
		w->newest->next = c;
	else
		w->oldest = c;
	w->newest = c;
}

static void touch(struct worker *w, struct hconn *c, uint64_t now)
{
	c->last = now;
	if (w->newest != c) {
		list_del(w, c);
		list_add(w, c);
	}
}

/* ---- responses ---- */

static void response_end(struct hconn *c)
{
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = -1;
	free(c->chunk);
	c->chunk = NULL;
	c->chunk_len = c->chunk_off = 0;
	c->head_len = c->head_off = 0;
	c->file_off = c->file_end = 0;
	c->busy = false;
}

static void log_req(struct worker *w, const struct http_req *r, int status, uint64_t len)
{
	if (!w->o->verbose)
		return;
	fprintf(stderr, "dps-httpd[%u]: %s %s -> %d (%" PRIu64 " bytes)\n", w->id,
		r == NULL ? "-" : r->method == HTTP_GET ? "GET" : r->method == HTTP_HEAD ? "HEAD" : "?",
		r == NULL ? "(bad request)" : r->path, status, len);
}

static void respond_error(struct worker *w, struct hconn *c, int status, bool keep_alive,
			  bool head_only)
{
	c->head_len = http_response_head(c->head, status, NULL, 0, keep_alive, head_only, NULL);
	c->close_after = !keep_alive;
	c->busy = true;
	w->status[status / 100]++;
}

/* Open root + path (a decoded path without ".." segments, from http_parse). */
static int open_file(const char *root, const char *path, uint64_t *size)
{
	char fs[4096 + HTTP_PATH_MAX + 16];
	size_t n = strlen(path);
	struct stat sb;
	int fd;

	snprintf(fs, sizeof(fs), "%s%s%s", root, path,
		 n > 0 && path[n - 1] == '/' ? "index.html" : "");
	fd = open(fs, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	*size = (uint64_t)sb.st_size;
	return fd;
}

static void respond(struct worker *w, struct hconn *c, const struct http_req *r)
{
	bool head_only = r->method == HTTP_HEAD;
	const char *name;
	uint64_t size = 0;
	int fd;

	w->requests++;
	if (r->method == HTTP_OTHER) {
		respond_error(w, c, 405, r->keep_alive, false);
		log_req(w, r, 405, 0);
		return;
	}
	fd = open_file(w->o->root, r->path, &size);
	if (fd < 0) {
		respond_error(w, c, 404, r->keep_alive, head_only);
		log_req(w, r, 404, 0);
		return;
	}
	name = r->path[0] != '\0' && r->path[strlen(r->path) - 1] == '/' ? "index.html" : r->path;
	c->head_len = http_response_head(c->head, 200, http_content_type(name), size,
					 r->keep_alive, head_only, NULL);
	c->close_after = !r->keep_alive;
	c->busy = true;
	w->status[2]++;
	log_req(w, r, 200, head_only ? 0 : size);
	if (head_only || size == 0) {
		close(fd);
		return;
	}
	c->file_fd = fd;
	c->file_off = 0;
	c->file_end = size;
}

/* Send what the response has left. 1 sent whole, 0 the socket is full, -1 error. */
static int send_response(struct worker *w, struct hconn *c)
{
	for (;;) {
		struct iovec iov[2];
		int n_iov = 0;
		ssize_t n;

		if (c->chunk_off == c->chunk_len && c->file_off < c->file_end) {
			size_t want = c->file_end - c->file_off < CHUNK ? c->file_end - c->file_off
									: CHUNK;

			if (c->chunk == NULL && (c->chunk = malloc(CHUNK)) == NULL)
				return -1;
			n = pread(c->file_fd, c->chunk, want, (off_t)c->file_off);
			if (n <= 0) {
				/* the file shrank or broke: the length sent cannot be kept */
				fprintf(stderr, "dps-httpd: reading a file at %" PRIu64 ": %s\n",
					c->file_off, n < 0 ? strerror(errno) : "end of file");
				return -1;
			}
			c->chunk_len = (size_t)n;
			c->chunk_off = 0;
			c->file_off += (uint64_t)n;
		}
		if (c->head_off < c->head_len)
			iov[n_iov++] = (struct iovec){ c->head + c->head_off, c->head_len - c->head_off };
		if (c->chunk_off < c->chunk_len)
			iov[n_iov++] = (struct iovec){ c->chunk + c->chunk_off,
						      c->chunk_len - c->chunk_off };
		if (n_iov == 0)
			return 1;
		n = dps_writev(c->fd, iov, n_iov);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		w->bytes += (uint64_t)n;
		if (c->head_off < c->head_len) {
			size_t h = c->head_len - c->head_off;

			if ((size_t)n < h) {
				c->head_off += (size_t)n;
				continue;
			}
			c->head_off = c->head_len;
			n -= (ssize_t)h;
		}
		c->chunk_off += (size_t)n;
	}
}

/* ---- connections ---- */

static void conn_close(struct worker *w, struct hconn *c)
{
	response_end(c);
	list_del(w, c);
	dps_epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	dps_close(c->fd);
	free(c);
	w->open--;
}

static int conn_want(struct worker *w, struct hconn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->events == events)
		return 0;
	c->events = events;
	return dps_epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void consume(struct hconn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

/* Advance c as far as it goes without waiting. -1: close it. */
static int conn_run(struct worker *w, struct hconn *c)
{
	for (int round = 0; round < ROUNDS; round++) {
		struct http_req req;
		ssize_t n;
		int rc;

		if (c->busy) {
			rc = send_response(w, c);
			if (rc < 0)
				return -1;
			if (rc == 0)
				return conn_want(w, c, EPOLLOUT);
			response_end(c);
			if (c->close_after)
				return -1;
		}
		if (c->skip > 0 && c->in_len > 0) {
			size_t k = c->skip < c->in_len ? (size_t)c->skip : c->in_len;

			consume(c, k);
			c->skip -= k;
		}
		if (c->skip == 0 && c->in_len > 0) {
			rc = http_parse(c->in, c->in_len, &req);
			if (rc > 0) {
				consume(c, (size_t)rc);
				c->skip = req.content_length;
				respond(w, c, &req);
				continue;
			}
			if (rc < 0) {
				respond_error(w, c, -rc, false, false);
				log_req(w, NULL, -rc, 0);
				continue;
			}
		}
		if (c->eof)
			return -1;         /* nothing more will come: a partial request is dropped */
		n = dps_read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
		if (n == 0) {
			c->eof = true;
			continue;
		}
		if (n < 0)
			return errno == EAGAIN ? conn_want(w, c, EPOLLIN) : -1;
		c->in_len += (size_t)n;
	}
	return conn_want(w, c, c->busy ? EPOLLOUT : EPOLLIN);
}

/* Accept what waits. -1: the listener failed for good. */
static int accept_all(struct worker *w, uint64_t now)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct hconn *c;
		int fd = dps_accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK);

		if (fd < 0)
			return app_accept_error("dps-httpd", errno);
		c = malloc(sizeof(*c));
		if (c == NULL) {
			dps_close(fd);
			continue;
		}
		memset(c, 0, offsetof(struct hconn, head));
		c->fd = fd;
		c->file_fd = -1;
		c->events = EPOLLIN;
		c->last = now;
		ev.data.ptr = c;
		if (dps_epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			fprintf(stderr, "dps-httpd: epoll_ctl: %s\n", strerror(errno));
			dps_close(fd);
			free(c);
			continue;
		}
		app_sockopt_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
		list_add(w, c);
		w->accepted++;
		w->open++;
	}
}

static int worker_setup(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listener_mark };
	struct sockaddr_in sa;

	if (app_attach("dps-httpd") != 0)
		return -1;
	if (app_addr(w->o->bind, w->o->port, &sa) != 0)
		return -1;
	w->lfd = dps_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (w->lfd < 0) {
		fprintf(stderr, "dps-httpd: socket: %s\n", strerror(errno));
		return -1;
	}
	app_sockopt_int(w->lfd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (w->o->threads > 1 &&
	    dps_setsockopt(w->lfd, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 }, sizeof(int)) != 0) {
		fprintf(stderr, "dps-httpd: SO_REUSEPORT (needed for --threads): %s\n",
			strerror(errno));
		return -1;
	}
	if (dps_bind(w->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "dps-httpd: thread %u: bind %s port %u: %s\n", w->id, w->o->bind,
			w->o->port, strerror(errno));
		return -1;
	}
	/* libdpsock checks the address at listen() */
	if (dps_listen(w->lfd, 4096) != 0) {
		fprintf(stderr, "dps-httpd: thread %u: listen on port %u: %s%s\n", w->id, w->o->port,
			strerror(errno), errno == EADDRINUSE && w->o->threads > 1 ?
			" (--threads needs listeners sharing the port with SO_REUSEPORT)" : "");
		return -1;
	}
	w->ep = dps_epoll_create1(0);
	if (w->ep < 0 || dps_epoll_ctl(w->ep, EPOLL_CTL_ADD, w->lfd, &ev) != 0) {
		fprintf(stderr, "dps-httpd: epoll: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[EVENTS];
	uint64_t idle_ns = (uint64_t)w->o->idle_s * 1000000000ull;

	w->lfd = w->ep = -1;
	w->setup_rc = worker_setup(w);
	pthread_barrier_wait(&ready);
	if (w->setup_rc != 0)
		goto out;
	while (!app_stop) {
		int n = dps_epoll_wait(w->ep, evs, EVENTS, 250);
		uint64_t now = app_now_ns();

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "dps-httpd: epoll_wait: %s\n", strerror(errno));
			w->failed = true;
			app_stop = 1;
			break;
		}
		for (int i = 0; i < n; i++) {
			struct hconn *c = evs[i].data.ptr;

			if (evs[i].data.ptr == &listener_mark) {
				if (accept_all(w, now) != 0) {
					w->failed = true;
					app_stop = 1;
					goto out;
				}
				continue;
			}
			touch(w, c, now);
			if (conn_run(w, c) != 0)
				conn_close(w, c);
		}
		/* idle keep-alive connections (not those still sending) */
		while (idle_ns && w->oldest != NULL && now - w->oldest->last > idle_ns &&
		       !w->oldest->busy)
			conn_close(w, w->oldest);
	}
out:
	while (w->oldest != NULL)
		conn_close(w, w->oldest);
	if (w->lfd >= 0)
		dps_close(w->lfd);
	if (w->ep >= 0)
		dps_close(w->ep);
	dps_detach();
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dps-httpd --root DIR [--port N] [--bind ADDR] [--threads N] [--idle SECS] [-v]\n"
		"  -r, --root DIR     serve the regular files under DIR\n"
		"  -p, --port N       TCP port (default 8080)\n"
		"  -b, --bind ADDR    local address (default 0.0.0.0)\n"
		"  -t, --threads N    threads, each with its own attachment, listener\n"
		"                     (SO_REUSEPORT) and epoll loop (default 1)\n"
		"  -i, --idle SECS    close keep-alive connections idle this long (default 60,\n"
		"                     0: never)\n"
		"  -v, --verbose      log every request to stderr\n"
		"Over dpstack the process attaches to dpstackd at $DPSTACK_API.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "idle", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .bind = "0.0.0.0", .port = 8080, .threads = 1, .idle_s = 60 };
	struct worker *ws;
	struct stat sb;
	uint64_t v, tot[4] = { 0 }, st[6] = { 0 };
	int c, p, rc = 0, setup_rc = 0;
	static char root[4096];

	while ((c = getopt_long(argc, argv, "r:p:b:t:i:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'r': o.root = optarg; break;
		case 'b': o.bind = optarg; break;
		case 'v': o.verbose = true; break;
		case 'p':
			p = app_port(optarg);
			if (p < 0) {
				fprintf(stderr, "dps-httpd: bad port '%s'\n", optarg);
				return 2;
			}
			o.port = (uint16_t)p;
			break;
		case 't':
			if (app_size(optarg, &v) != 0 || v == 0 || v > MAX_THREADS) {
				fprintf(stderr, "dps-httpd: threads must be 1..%d\n", MAX_THREADS);
				return 2;
			}
			o.threads = (unsigned)v;
			break;
		case 'i':
			if (app_size(optarg, &v) != 0 || v > 86400) {
				fprintf(stderr, "dps-httpd: bad idle time '%s'\n", optarg);
				return 2;
			}
			o.idle_s = (unsigned)v;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (o.root == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (stat(o.root, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "dps-httpd: root %s is not a directory\n", o.root);
		return 2;
	}
	/* "/srv/www/" and "/srv/www" are the same root */
	snprintf(root, sizeof(root), "%s", o.root);
	for (size_t n = strlen(root); n > 1 && root[n - 1] == '/'; n--)
		root[n - 1] = '\0';
	o.root = root;

	app_signals();
	ws = calloc(o.threads, sizeof(*ws));
	if (ws == NULL)
		return 2;
	pthread_barrier_init(&ready, NULL, o.threads + 1);
	for (unsigned i = 0; i < o.threads; i++) {
		ws[i].o = &o;
		ws[i].id = i;
		if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0) {
			fprintf(stderr, "dps-httpd: cannot start thread %u\n", i);
			return 2;
		}
	}
	pthread_barrier_wait(&ready);
	for (unsigned i = 0; i < o.threads; i++)
		if (ws[i].setup_rc != 0)
			setup_rc = rc = 1;
	if (rc != 0) {
		app_stop = 1;
	} else {
		printf("dps-httpd: serving %s on %s port %u (%s, %u thread%s)\n", o.root, o.bind,
		       o.port, APP_STACK, o.threads, o.threads > 1 ? "s" : "");
		fflush(stdout);
	}
	for (unsigned i = 0; i < o.threads; i++) {
		pthread_join(ws[i].tid, NULL);
		if (ws[i].failed)
			rc = 1;
		tot[0] += ws[i].accepted;
		tot[1] += ws[i].requests;
		tot[2] += ws[i].bytes;
		for (int k = 0; k < 6; k++)
			st[k] += ws[i].status[k];
	}
	if (setup_rc == 0)
		printf("dps-httpd: %" PRIu64 " connections, %" PRIu64 " requests (2xx %" PRIu64
		       ", 4xx %" PRIu64 ", 5xx %" PRIu64 "), %" PRIu64 " bytes sent\n",
		       tot[0], tot[1], st[2], st[4], st[5], tot[2]);
	free(ws);
	return rc;
}

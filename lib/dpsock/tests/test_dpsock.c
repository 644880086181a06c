/*
 * libdpsock unit tests: argument errors and the descriptor table without a
 * daemon, forged welcomes and segments refused, and the whole library
 * against a forged dpstackd (fake_daemon.h) whose network is an echo peer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>

#include "dpsock_internal.h"
#include "fake_daemon.h"

static volatile sig_atomic_t n_sigpipe;

static void on_sigpipe(int sig)
{
	(void)sig;
	n_sigpipe++;
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = inet_addr(ip);
	return a;
}

#define SA(x) ((struct sockaddr *)&(x))

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static uint64_t handle_of(int fd, unsigned w)
{
	return dpsl_slot(fd)->ss[w].h;
}

static int64_t ms_now(void)
{
	return dpsl_now_ns() / 1000000;
}

/* Wait (pumping the library with dps_poll) until cond or 2 s. */
#define EVENTUALLY(cond) do { \
	int64_t t0_ = ms_now(); \
	int ok_; \
	while (!(ok_ = (cond)) && ms_now() - t0_ < 2000) \
		dps_poll(NULL, 0, 5); \
	assert_true(ok_); \
} while (0)

/* ================================================= without a daemon */

static int nodaemon_setup(void **st)
{
	(void)st;
	setenv(DPS_API_ENV, "/tmp/dpsl-no-such-dir/api.sock", 1);
	return 0;
}

static void t_no_daemon(void **st)
{
	(void)st;
	errno = 0;
	assert_int_equal(dps_socket(AF_INET, SOCK_STREAM, 0), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(dps_attach("x"), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(dps_attach_error(), "no dpstackd"));
}

static void t_badf(void **st)
{
	char b[4];
	socklen_t l = 4;
	int v;

	(void)st;
	assert_int_equal(dps_read(DPS_FD_BASE + 12345, b, 4), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(dps_write(-1, b, 4), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(dps_close(DPS_FD_BASE), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(dps_close(3), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(dps_fcntl(DPS_FD_BASE + 5, F_GETFL), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(dps_getsockopt(DPS_FD_BASE + 7, SOL_SOCKET, SO_TYPE, &v, &l), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(dps_listen(INT32_MAX, 1), -1);
	assert_int_equal(errno, EBADF);
	assert_false(dps_is_fd(0));
	assert_false(dps_is_fd(DPS_FD_BASE));
	assert_int_equal(dps_epoll_ctl(DPS_FD_BASE + 3, EPOLL_CTL_DEL, 0, NULL), -1);
	assert_int_equal(errno, EBADF);
}

static void t_socket_args(void **st)
{
	(void)st;
	assert_int_equal(dps_socket(AF_INET6, SOCK_STREAM, 0), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(dps_socket(AF_UNIX, SOCK_STREAM, 0), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(dps_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), -1);
	assert_int_equal(errno, ESOCKTNOSUPPORT);
	assert_int_equal(dps_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_int_equal(dps_socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_int_equal(dps_socket(AF_INET, 99, 0), -1);
	assert_int_equal(errno, EINVAL);
}

static void t_epoll_kernel(void **st)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 77 }, out[4];
	int ep, p[2], ep2;
	int64_t t0;
	char c = 'x';

	(void)st;
	ep = dps_epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= DPS_FD_BASE);
	assert_true(dps_is_fd(ep));
	assert_int_equal(dps_fcntl(ep, F_GETFD), FD_CLOEXEC);
	assert_int_equal(dps_epoll_create1(12345), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, p[1], NULL), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(dps_epoll_ctl(ep, 99, p[0], &ev), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), -1);
	assert_int_equal(errno, EINVAL);
	ep2 = dps_epoll_create1(0);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev), -1);
	assert_int_equal(errno, EINVAL);   /* no nesting */
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, DPS_FD_BASE + 999, &ev), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(dps_epoll_wait(ep, out, 0, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dps_epoll_wait(ep, NULL, 4, 0), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(dps_epoll_wait(ep2, out, 4, 0), 0);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 0);
	t0 = ms_now();
	assert_int_equal(dps_epoll_wait(ep, out, 4, 60), 0);
	assert_true(ms_now() - t0 >= 55);
	assert_int_equal(write(p[1], &c, 1), 1);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(out[0].data.u64, 77);
	assert_true(out[0].events & EPOLLIN);
	assert_int_equal(dps_read(ep, &c, 1), -1);
	assert_int_equal(errno, ENOTSOCK);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 0);
	assert_int_equal(dps_close(ep), 0);
	assert_int_equal(dps_close(ep), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(dps_close(ep2), 0);
	close(p[0]);
	close(p[1]);
}

static void t_poll_kernel(void **st)
{
	struct pollfd pf[2];
	int p[2];
	char c = 'y';

	(void)st;
	assert_int_equal(pipe(p), 0);
	pf[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = DPS_FD_BASE + 4242, .events = POLLIN };
	assert_int_equal(dps_poll(pf, 2, 0), 1);
	assert_int_equal(pf[1].revents, POLLNVAL);
	pf[1].fd = -1;
	assert_int_equal(dps_poll(pf, 2, 30), 0);
	assert_int_equal(write(p[1], &c, 1), 1);
	assert_int_equal(dps_poll(pf, 2, 1000), 1);
	assert_int_equal(pf[0].revents, POLLIN);
	assert_int_equal(dps_poll(NULL, 1, 0), -1);
	assert_int_equal(errno, EFAULT);
	close(p[0]);
	close(p[1]);
}

static void t_seg_check(void **st)
{
	size_t size = fake_seg_size(2);
	uint8_t *mem = aligned_alloc(64, size);
	struct dps_seg_hdr *h = (struct dps_seg_hdr *)mem;
	char why[128];

	(void)st;
	fake_seg_layout(mem, size, 2, NULL);
	assert_int_equal(dpsl_seg_check(mem, size, 2, why, sizeof(why)), 0);
	assert_int_equal(dpsl_seg_check(mem, size, 1, why, sizeof(why)), -EPROTO);
	assert_int_equal(dpsl_seg_check(mem, 100, 2, why, sizeof(why)), -EPROTO);
	assert_int_equal(dpsl_seg_check(NULL, size, 2, why, sizeof(why)), -EPROTO);

#define MUTATE(stmt) do { \
	fake_seg_layout(mem, size, 2, NULL); \
	stmt; \
	assert_int_equal(dpsl_seg_check(mem, size, 2, why, sizeof(why)), -EPROTO); \
} while (0)
	MUTATE(h->magic = 1);
	MUTATE(h->version = 99);
	MUTATE(h->n_workers = 3);
	MUTATE(h->size = size + 1);
	MUTATE(h->w[1].q_in_off = size - 64);
	MUTATE(h->w[0].q_out_off = UINT64_MAX - 10);
	MUTATE(h->w[0].q_size = UINT32_MAX);
	MUTATE(h->w[0].q_in_off += 8);
	MUTATE(h->w[1].q_out_off = h->w[1].q_in_off);
	MUTATE(((struct dps_msgq *)(mem + h->w[0].q_in_off))->magic = 0);
	MUTATE(((struct dps_msgq *)(mem + h->w[1].q_out_off))->size = 3);
	MUTATE(h->w[0].heap_size = size);
	MUTATE(h->w[1].heap_off = size + 64);
	MUTATE(h->w[0].evt_count = 0);
	MUTATE(h->w[1].evt_off = size - 10);
	MUTATE(h->w[1].evt_count = 1u << 25);
#undef MUTATE
	free(mem);
}

static void t_fifo_at(void **st)
{
	size_t size = 1 << 20;
	uint8_t *mem = aligned_alloc(64, size);
	struct dpsl_att a;
	uint64_t heap = 4096, off;

	(void)st;
	memset(mem, 0, size);
	memset(&a, 0, sizeof(a));
	a.seg = mem;
	a.seg_size = size;
	a.n_workers = 1;
	a.w[0].heap_off = heap;
	a.w[0].heap_end = heap + 65536;
	assert_int_equal(dps_fifo_init(mem + heap, dps_fifo_footprint(4096)), 0);
	assert_ptr_equal(dpsl_fifo_at(&a, 0, heap), mem + heap);
	assert_null(dpsl_fifo_at(&a, 1, heap));             /* no worker 1 */
	assert_null(dpsl_fifo_at(&a, 0, heap - 576));       /* before the heap */
	assert_null(dpsl_fifo_at(&a, 0, heap + 65536));     /* at its end */
	assert_null(dpsl_fifo_at(&a, 0, heap + 4));         /* misaligned */
	assert_null(dpsl_fifo_at(&a, 0, heap + 8192));      /* not a FIFO */
	assert_null(dpsl_fifo_at(&a, 0, UINT64_MAX - 7));
	/* a FIFO whose data would run past the heap's end */
	off = heap + 65536 - dps_fifo_footprint(4096) + 64;
	assert_int_equal(dps_fifo_init(mem + off, dps_fifo_footprint(4096)), 0);
	assert_null(dpsl_fifo_at(&a, 0, off));
	free(mem);
}

/* ========================================================= forgeries */

static void t_forged_welcomes(void **st)
{
	static const struct { int forge, err; } cases[] = {
		{ FORGE_ERROR, EPERM },
		{ FORGE_BAD_QUEUE, EPROTO },
		{ FORGE_BAD_MAGIC, EPROTO },
		{ FORGE_FD_COUNT, EPROTO },
		{ FORGE_SHORT, EPROTO },
	};
	unsigned i;
	int fds0;

	(void)st;
	assert_int_equal(fake_start(2), 0);
	fds0 = count_fds();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fake.forge = cases[i].forge;
		errno = 0;
		assert_int_equal(dps_attach("forged"), -1);
		assert_int_equal(errno, cases[i].err);
		assert_true(dps_attach_error()[0] != '\0');
	}
	fake.forge = FORGE_FD_COUNT;
	assert_int_equal(dps_attach("forged"), -1);
	assert_non_null(strstr(dps_attach_error(), "descriptors"));
	fake.forge = FORGE_ERROR;
	assert_int_equal(dps_attach("forged"), -1);
	assert_string_equal(dps_attach_error(), "forged refusal");
	/* nothing leaked: no descriptor, no mapping kept */
	EVENTUALLY(count_fds() == fds0);
	fake.forge = FORGE_NONE;
	assert_int_equal(dps_attach("good"), 0);
	assert_string_equal(dps_attach_error(), "");
	assert_int_equal(dps_attach("again"), 0);   /* already attached */
	assert_int_equal(dps_detach(), 0);
	EVENTUALLY(!fake.app[0].used);
	fake_stop();
}

static void t_forged_fifo(void **st)
{
	struct sockaddr_in a = sin_of("10.0.0.2", 7);
	int fd;

	(void)st;
	assert_int_equal(fake_start(1), 0);
	fd = dps_socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= DPS_FD_BASE);
	fake.forge = FORGE_BAD_FIFO;
	/* a CONNECTED whose FIFO lies outside the heap is refused, and the
	 * session handed back */
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), -1);
	assert_int_equal(errno, EPROTO);
	EVENTUALLY(fake_sessions(0) == 0);
	assert_int_equal(dps_close(fd), 0);
	assert_int_equal(dps_detach(), 0);
	assert_int_equal(fake.violations, 0);
	fake.forge = FORGE_NONE;
	fake_stop();
}

/* ========================================== against the fake daemon */

static int fake_setup(void **st)
{
	(void)st;
	signal(SIGPIPE, on_sigpipe);
	return fake_start(2);
}

static int fake_teardown(void **st)
{
	(void)st;
	fake_stop();
	signal(SIGPIPE, SIG_DFL);
	return 0;
}

static bool fake_idle(void)
{
	int i;

	for (i = 0; i < FAKE_APPS; i++)
		if (fake.app[i].used)
			return false;
	return true;
}

static int after_each(void **st)
{
	(void)st;
	dps_detach();
	EVENTUALLY(fake_idle());
	assert_int_equal(fake.violations, 0);
	return 0;
}

static int tcp_connected(uint16_t port)
{
	struct sockaddr_in a = sin_of("10.0.0.2", port);
	int fd = dps_socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= DPS_FD_BASE);
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), 0);
	return fd;
}

static void t_connect_echo(void **st)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	char buf[64];
	int fd = tcp_connected(7), pipes;

	(void)st;
	assert_int_equal(dps_getsockname(fd, SA(a), &l), 0);
	assert_int_equal(l, sizeof(a));
	assert_int_equal(ntohl(a.sin_addr.s_addr), 0x0a000001);
	assert_true(ntohs(a.sin_port) >= 50000);
	l = sizeof(a);
	assert_int_equal(dps_getpeername(fd, SA(a), &l), 0);
	assert_int_equal(ntohs(a.sin_port), 7);
	assert_int_equal(dps_write(fd, "hello", 5), 5);
	assert_int_equal(dps_read(fd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	/* readv/writev, peek, waitall */
	{
		struct iovec v[3] = { { "ab", 2 }, { "", 0 }, { "cdef", 4 } };
		struct iovec r[2] = { { buf, 3 }, { buf + 10, 10 } };

		assert_int_equal(dps_writev(fd, v, 3), 6);
		assert_int_equal(dps_recv(fd, buf, 2, MSG_PEEK | MSG_WAITALL), 2);
		assert_memory_equal(buf, "ab", 2);
		assert_int_equal(dps_recv(fd, buf, 6, MSG_WAITALL), 6);
		assert_memory_equal(buf, "abcdef", 6);
		assert_int_equal(dps_writev(fd, v, 3), 6);
		assert_int_equal(dps_recv(fd, buf, 6, MSG_WAITALL | MSG_PEEK), 6);
		assert_int_equal(dps_readv(fd, r, 2), 6);
		assert_memory_equal(buf, "abc", 3);
		assert_memory_equal(buf + 10, "def", 3);
		assert_int_equal(dps_writev(fd, v, -1), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(dps_read(fd, NULL, 4), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(dps_read(fd, buf, 0), 0);
	assert_int_equal(dps_shutdown(fd, SHUT_WR), 0);
	assert_int_equal(dps_read(fd, buf, sizeof(buf)), 0);   /* the echoed FIN */
	pipes = n_sigpipe;
	assert_int_equal(dps_write(fd, "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(n_sigpipe, pipes + 1);
	assert_int_equal(dps_send(fd, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(n_sigpipe, pipes + 1);
	assert_int_equal(dps_close(fd), 0);
	assert_int_equal(dps_close(fd), -1);
	assert_int_equal(errno, EBADF);
	EVENTUALLY(fake_sessions(0) == 0);
}

static void t_connect_refused(void **st)
{
	struct sockaddr_in a = sin_of("10.0.0.2", FAKE_PORT_REFUSED);
	struct pollfd pf;
	int fd = dps_socket(AF_INET, SOCK_STREAM, 0), v = -1;
	socklen_t l = sizeof(v);

	(void)st;
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(dps_close(fd), 0);

	fd = dps_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(dps_fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), -1);
	assert_int_equal(errno, EINPROGRESS);
	pf = (struct pollfd){ .fd = fd, .events = POLLOUT };
	assert_int_equal(dps_poll(&pf, 1, 1000), 1);
	assert_true(pf.revents & POLLOUT);
	assert_true(pf.revents & POLLERR);
	assert_true(pf.revents & POLLHUP);
	assert_int_equal(dps_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l), 0);
	assert_int_equal(v, ECONNREFUSED);
	assert_int_equal(dps_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l), 0);
	assert_int_equal(v, 0);
	/* Linux: the error was taken; connect() reports the end once */
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), -1);
	assert_int_equal(errno, ECONNABORTED);
	assert_int_equal(dps_close(fd), 0);
	assert_int_equal(fake_sessions(0), 0);
}

static void t_connect_nonblock(void **st)
{
	struct sockaddr_in a = sin_of("10.0.0.2", FAKE_PORT_HANG);
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.fd = 5 }, out[2];
	int fd = dps_socket(AF_INET, SOCK_STREAM, 0), ep = dps_epoll_create1(0), v = 1;
	char c;

	(void)st;
	assert_int_equal(dps_ioctl(fd, FIONBIO, &v), 0);
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), -1);
	assert_int_equal(errno, EINPROGRESS);
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), -1);
	assert_int_equal(errno, EALREADY);
	assert_int_equal(dps_read(fd, &c, 1), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(dps_write(fd, &c, 1), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	assert_int_equal(dps_epoll_wait(ep, out, 2, 20), 0);
	EVENTUALLY(fake.app[0].hang_req != 0);
	fake_answer(0);
	assert_int_equal(dps_epoll_wait(ep, out, 2, 1000), 1);
	assert_int_equal(out[0].events, EPOLLOUT);
	assert_int_equal(out[0].data.fd, 5);
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), 0);
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), -1);
	assert_int_equal(errno, EISCONN);
	assert_int_equal(dps_close(fd), 0);
	assert_int_equal(dps_close(ep), 0);
	fake.app[0].hang_req = 0;
}

static void t_close_while_connecting(void **st)
{
	struct sockaddr_in a = sin_of("10.0.0.2", FAKE_PORT_HANG);
	int fd = dps_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), fd2;

	(void)st;
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), -1);
	assert_int_equal(errno, EINPROGRESS);
	EVENTUALLY(fake.app[0].hang_req != 0);
	assert_int_equal(dps_close(fd), 0);
	fake_answer(0);
	/* the late CONNECTED is taken on the next call, and its session
	 * given back */
	fd2 = tcp_connected(7);
	EVENTUALLY(fake_sessions(0) == 1);
	assert_int_equal(dps_close(fd2), 0);
	EVENTUALLY(fake_sessions(0) == 0);
	fake.app[0].hang_req = 0;
}

static void t_args(void **st)
{
	struct sockaddr_in a = sin_of("0.0.0.0", 5555);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	socklen_t l = sizeof(a);
	int fd = dps_socket(AF_INET, SOCK_STREAM, 0), u = dps_socket(AF_INET, SOCK_DGRAM, 0);
	int v, pipes;
	char c;

	(void)st;
	assert_int_equal(dps_bind(fd, NULL, sizeof(a)), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(dps_bind(fd, SA(a), 4), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dps_bind(fd, SA(a), 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dps_bind(fd, SA(a6), sizeof(a6)), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(dps_connect(fd, SA(a6), sizeof(a6)), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(dps_connect(fd, NULL, sizeof(a)), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(dps_bind(fd, SA(a), sizeof(a)), 0);
	assert_int_equal(dps_bind(fd, SA(a), sizeof(a)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dps_listen(u, 5), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(dps_accept(fd, NULL, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dps_accept4(fd, NULL, NULL, 0x40000000), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dps_recv(fd, &c, 1, MSG_OOB), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dps_getsockname(fd, NULL, &l), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(dps_getpeername(fd, SA(a), &l), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(dps_read(fd, &c, 1), -1);
	assert_int_equal(errno, ENOTCONN);
	pipes = n_sigpipe;
	assert_int_equal(dps_write(fd, &c, 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(n_sigpipe, pipes + 1);
	assert_int_equal(dps_shutdown(fd, SHUT_RDWR), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(dps_shutdown(fd, 7), -1);
	assert_int_equal(errno, EINVAL);
	/* options */
	v = 1;
	assert_int_equal(dps_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, 2), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dps_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, NULL, 4), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(dps_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), 0);
	l = sizeof(v);
	assert_int_equal(dps_getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &l), 0);
	assert_int_equal(v, 1);
	assert_int_equal(dps_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l), 0);
	assert_int_equal(v, SOCK_STREAM);
	assert_int_equal(dps_getsockopt(u, SOL_SOCKET, SO_PROTOCOL, &v, &l), 0);
	assert_int_equal(v, IPPROTO_UDP);
	assert_int_equal(dps_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &l), 0);
	assert_int_equal(v, 256 * 1024);
	v = 10000;
	assert_int_equal(dps_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	assert_int_equal(dps_getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &l), 0);
	assert_int_equal(v, 32768);
	assert_int_equal(dps_setsockopt(fd, SOL_SOCKET, 12345, &v, sizeof(v)), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	assert_int_equal(dps_setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	assert_int_equal(dps_setsockopt(fd, SOL_SOCKET, SO_ERROR, &v, sizeof(v)), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	v = 1;
	assert_int_equal(dps_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), 0);
	v = 0;
	assert_int_equal(dps_getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l), 0);
	assert_int_equal(v, 1);
	l = 2;   /* Linux copies what fits */
	assert_int_equal(dps_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l), 0);
	assert_int_equal(l, 2);
	assert_int_equal(dps_getsockopt(fd, SOL_SOCKET, SO_TYPE, NULL, &l), -1);
	assert_int_equal(errno, EFAULT);
	{
		struct timeval tv = { 0, 2000000 };

		assert_int_equal(dps_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), -1);
		assert_int_equal(errno, EDOM);
	}
	assert_int_equal(dps_fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_int_equal(dps_fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(dps_fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	assert_int_equal(dps_fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	assert_int_equal(dps_fcntl(fd, F_GETFD), FD_CLOEXEC);
	assert_int_equal(dps_fcntl(fd, F_DUPFD, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dps_ioctl(fd, 0x5401, &v), -1);   /* TCGETS */
	assert_int_equal(errno, ENOTTY);
	assert_int_equal(dps_sendto(u, "x", 1, 0, NULL, 0), -1);
	assert_int_equal(errno, EDESTADDRREQ);
	assert_int_equal(dps_close(fd), 0);
	assert_int_equal(dps_close(u), 0);
}

static void t_listen_accept(void **st)
{
	struct sockaddr_in a = sin_of("0.0.0.0", 8080), p;
	socklen_t l = sizeof(p);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 }, out[4];
	int lfd = dps_socket(AF_INET, SOCK_STREAM, 0), c, c2, ep = dps_epoll_create1(0), v;
	char buf[16];

	(void)st;
	assert_int_equal(dps_bind(lfd, SA(a), sizeof(a)), 0);
	assert_int_equal(dps_listen(lfd, 16), 0);
	assert_int_equal(dps_listen(lfd, 32), 0);
	assert_int_equal(dps_getsockname(lfd, SA(p), &l), 0);
	assert_int_equal(ntohs(p.sin_port), 8080);
	l = sizeof(v);
	assert_int_equal(dps_getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l), 0);
	assert_int_equal(v, 1);
	/* one listener per worker */
	assert_true(handle_of(lfd, 0) != 0 && handle_of(lfd, 1) != 0);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev), 0);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 0);
	assert_int_equal(dps_fcntl(lfd, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(dps_accept(lfd, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(dps_fcntl(lfd, F_SETFL, 0), 0);
	fake_accept(0, handle_of(lfd, 1), 0x0a000009, 1234);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(out[0].events, EPOLLIN);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 1);   /* level */
	l = sizeof(p);
	c = dps_accept(lfd, SA(p), &l);
	assert_true(c >= DPS_FD_BASE);
	assert_int_equal(ntohl(p.sin_addr.s_addr), 0x0a000009);
	assert_int_equal(ntohs(p.sin_port), 1234);
	assert_int_equal(dps_fcntl(c, F_GETFL) & O_NONBLOCK, 0);   /* not inherited */
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 0);
	/* data that came before accept() waits for it */
	{
		uint64_t h = fake_accept(0, handle_of(lfd, 0), 0x0a00000a, 99);

		fake_inject(0, h, "early", 5);
		fake_peer_fin(0, h);
	}
	c2 = dps_accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	assert_true(c2 >= DPS_FD_BASE);
	assert_int_equal(dps_fcntl(c2, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	EVENTUALLY(dps_recv(c2, buf, sizeof(buf), MSG_PEEK) == 5);
	assert_int_equal(dps_read(c2, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "early", 5);
	assert_int_equal(dps_read(c2, buf, sizeof(buf)), 0);
	/* the accepted connection echoes too */
	assert_int_equal(dps_write(c, "hi", 2), 2);
	assert_int_equal(dps_read(c, buf, sizeof(buf)), 2);
	/* a child never accepted goes with its listener */
	fake_accept(0, handle_of(lfd, 0), 0x0a00000b, 100);
	EVENTUALLY(dps_epoll_wait(ep, out, 4, 0) == 1);
	assert_int_equal(dps_close(lfd), 0);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 0);
	EVENTUALLY(fake_sessions(0) == 2);   /* c and c2 */
	assert_int_equal(dps_close(c), 0);
	assert_int_equal(dps_close(c2), 0);
	EVENTUALLY(fake_sessions(0) == 0);
	/* a listener refused by dpstackd */
	lfd = dps_socket(AF_INET, SOCK_STREAM, 0);
	a = sin_of("0.0.0.0", 9);
	assert_int_equal(dps_bind(lfd, SA(a), sizeof(a)), 0);
	assert_int_equal(dps_listen(lfd, 1), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(dps_close(lfd), 0);
	/* port 0: dpstackd picks, the others follow */
	lfd = dps_socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(dps_listen(lfd, 1), 0);
	l = sizeof(p);
	assert_int_equal(dps_getsockname(lfd, SA(p), &l), 0);
	assert_true(ntohs(p.sin_port) >= 40000);
	assert_int_equal(fake.app[0].s[1][dps_handle_sd(handle_of(lfd, 1))].port,
			 ntohs(p.sin_port));
	assert_int_equal(dps_shutdown(lfd, SHUT_RD), 0);   /* stops listening */
	assert_int_equal(dps_accept(lfd, NULL, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(dps_close(lfd), 0);
	assert_int_equal(dps_close(ep), 0);
	EVENTUALLY(fake_sessions(0) == 0);
}

static void t_reset(void **st)
{
	int fd = tcp_connected(7), pipes;
	struct pollfd pf = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };
	socklen_t l;
	struct sockaddr_in p;
	char c;

	(void)st;
	fake_reset(0, handle_of(fd, 0), ECONNRESET);
	assert_int_equal(dps_poll(&pf, 1, 1000), 1);
	assert_int_equal(pf.revents, POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP);
	assert_int_equal(dps_read(fd, &c, 1), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(dps_read(fd, &c, 1), 0);
	pipes = n_sigpipe;
	assert_int_equal(dps_write(fd, &c, 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(n_sigpipe, pipes + 1);
	l = sizeof(p);
	assert_int_equal(dps_getpeername(fd, SA(p), &l), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(dps_shutdown(fd, SHUT_WR), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(fake_sessions(0), 1);   /* until the application closes */
	assert_int_equal(dps_close(fd), 0);
	EVENTUALLY(fake_sessions(0) == 0);

	/* a reset while a write blocks: the write sees it */
	fd = tcp_connected(7);
	fake_reset(0, handle_of(fd, 0), ETIMEDOUT);
	EVENTUALLY(dps_send(fd, "x", 1, MSG_NOSIGNAL) == -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(dps_send(fd, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(dps_close(fd), 0);
}

static void t_epoll_modes(void **st)
{
	int fd = tcp_connected(7), ep = dps_epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u64 = 9 }, out[4];
	char buf[64];

	(void)st;
	/* level: writable every time */
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 1);
	assert_int_equal(out[0].events, EPOLLOUT);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 1);
	/* edge: one report per change */
	ev.events = EPOLLIN | EPOLLET;
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev), 0);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 0);
	assert_int_equal(dps_write(fd, "abc", 3), 3);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(out[0].events, EPOLLIN);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 30), 0);
	assert_int_equal(dps_write(fd, "de", 2), 2);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(dps_read(fd, buf, sizeof(buf)), 5);
	/* one-shot: once, then again after MOD */
	ev.events = EPOLLIN | EPOLLONESHOT;
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev), 0);
	assert_int_equal(dps_write(fd, "f", 1), 1);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 30), 0);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev), 0);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 1);
	assert_int_equal(dps_read(fd, buf, sizeof(buf)), 1);
	/* RDHUP when the peer's FIN comes */
	ev.events = EPOLLIN | EPOLLRDHUP;
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev), 0);
	assert_int_equal(dps_shutdown(fd, SHUT_WR), 0);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(out[0].events, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), 0);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev), -1);
	assert_int_equal(errno, ENOENT);
	/* close takes a socket out of its sets */
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	assert_int_equal(dps_close(fd), 0);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 0);
	assert_int_equal(dps_close(ep), 0);
}

static void t_epoll_mixed(void **st)
{
	int fd = tcp_connected(7), ep = dps_epoll_create1(0), p[2];
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 }, out[4];
	char c = 'k', buf[4];

	(void)st;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	ev.data.u32 = 2;
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 0), 0);
	assert_int_equal(write(p[1], &c, 1), 1);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(out[0].data.u32, 2);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(dps_write(fd, "z", 1), 1);
	assert_int_equal(dps_epoll_wait(ep, out, 4, 1000), 1);
	assert_int_equal(out[0].data.u32, 1);
	assert_int_equal(dps_read(fd, buf, 4), 1);
	/* both at once */
	assert_int_equal(write(p[1], &c, 1), 1);
	assert_int_equal(dps_write(fd, "z", 1), 1);
	EVENTUALLY(dps_epoll_wait(ep, out, 4, 100) == 2);
	{
		struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = p[0], .events = POLLIN } };

		assert_int_equal(dps_poll(pf, 2, 0), 2);
	}
	close(p[0]);
	close(p[1]);
	assert_int_equal(dps_close(fd), 0);
	assert_int_equal(dps_close(ep), 0);
}

/* ---- bulk: a writer thread and a reader on one small-buffered socket ---- */

#define BULK (4u << 20)

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)((i * 2654435761u) >> 13);
}

static void *bulk_writer(void *arg)
{
	int fd = *(int *)arg;
	uint8_t buf[7001];
	uint64_t off = 0;

	while (off < BULK) {
		size_t n = BULK - off < sizeof(buf) ? BULK - off : sizeof(buf), i;
		ssize_t w;

		for (i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		w = dps_write(fd, buf, n);
		if (w <= 0)
			return (void *)1;
		off += (uint64_t)w;
	}
	dps_shutdown(fd, SHUT_WR);
	return NULL;
}

static void t_bulk_threads(void **st)
{
	struct sockaddr_in a = sin_of("10.0.0.2", 7);
	int fd = dps_socket(AF_INET, SOCK_STREAM, 0), v = 2048;
	uint8_t buf[5000];
	uint64_t got = 0;
	pthread_t thr;
	void *res;
	ssize_t n;

	(void)st;
	assert_int_equal(dps_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	assert_int_equal(dps_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), 0);
	pthread_create(&thr, NULL, bulk_writer, &fd);
	while ((n = dps_read(fd, buf, sizeof(buf))) > 0) {
		ssize_t i;

		for (i = 0; i < n; i++)
			if (buf[i] != pattern(got + (uint64_t)i))
				fail_msg("byte %llu differs", (unsigned long long)(got + (uint64_t)i));
		got += (uint64_t)n;
	}
	assert_int_equal(n, 0);
	pthread_join(thr, &res);
	assert_null(res);
	assert_int_equal(got, BULK);
	assert_int_equal(dps_close(fd), 0);
}

static void t_udp(void **st)
{
	struct sockaddr_in to = sin_of("10.0.0.5", 53), from, me;
	socklen_t l = sizeof(from);
	int u = dps_socket(AF_INET, SOCK_DGRAM, 0), v;
	char buf[64];
	struct msghdr mh;
	struct iovec iov;
	static char big[70000];

	(void)st;
	assert_int_equal(dps_sendto(u, "ping", 4, 0, SA(to), sizeof(to)), 4);
	/* bound on every worker, the same port */
	assert_true(handle_of(u, 0) != 0 && handle_of(u, 1) != 0);
	l = sizeof(me);
	assert_int_equal(dps_getsockname(u, SA(me), &l), 0);
	assert_true(ntohs(me.sin_port) >= 41000);
	l = sizeof(from);
	assert_int_equal(dps_recvfrom(u, buf, sizeof(buf), 0, SA(from), &l), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(ntohs(from.sin_port), 53);
	assert_int_equal(ntohl(from.sin_addr.s_addr), 0x0a000005);
	/* truncation */
	assert_int_equal(dps_sendto(u, "abcdef", 6, 0, SA(to), sizeof(to)), 6);
	EVENTUALLY(dps_ioctl(u, FIONREAD, &v) == 0 && v == 6);
	assert_int_equal(dps_recv(u, buf, 2, MSG_TRUNC | MSG_PEEK), 6);
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = 3;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	assert_int_equal(dps_recvmsg(u, &mh, 0), 3);
	assert_int_equal(mh.msg_flags, MSG_TRUNC);
	assert_memory_equal(buf, "abc", 3);
	/* too big, nothing to read */
	assert_int_equal(dps_sendto(u, big, sizeof(big), 0, SA(to), sizeof(to)), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(dps_recv(u, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	/* a datagram from the other worker is read too */
	fake_inject_dgram(0, handle_of(u, 1), 0x0a000006, 7, "w1", 2);
	l = sizeof(from);
	assert_int_equal(dps_recvfrom(u, buf, sizeof(buf), 0, SA(from), &l), 2);
	assert_int_equal(ntohs(from.sin_port), 7);
	/* connected: only the peer's datagrams */
	assert_int_equal(dps_connect(u, SA(to), sizeof(to)), 0);
	l = sizeof(from);
	assert_int_equal(dps_getpeername(u, SA(from), &l), 0);
	fake_inject_dgram(0, handle_of(u, 0), 0x0a000063, 99, "stranger", 8);
	assert_int_equal(dps_send(u, "mine", 4, 0), 4);
	assert_int_equal(dps_recv(u, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "mine", 4);
	/* an ICMP error reported on the connected socket, once */
	fake_reset(0, handle_of(u, 0), ECONNREFUSED);
	EVENTUALLY(dps_recv(u, buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == ECONNREFUSED);
	assert_int_equal(dps_recv(u, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(dps_close(u), 0);
	EVENTUALLY(fake_sessions(0) == 0);
	/* connect first, then send */
	u = dps_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(dps_connect(u, SA(to), sizeof(to)), 0);
	assert_int_equal(dps_write(u, "c1", 2), 2);
	assert_int_equal(dps_read(u, buf, sizeof(buf)), 2);
	assert_int_equal(dps_close(u), 0);
	EVENTUALLY(fake_sessions(0) == 0);
}

static void t_options_forward(void **st)
{
	struct sockaddr_in a = sin_of("10.0.0.2", 7);
	int fd = dps_socket(AF_INET, SOCK_STREAM, 0), v = 30;
	socklen_t l = sizeof(v);
	char name[16];

	(void)st;
	assert_int_equal(dps_getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &l), 0);
	assert_int_equal(v, 7200);
	v = 30;
	assert_int_equal(dps_setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)), 0);
	assert_int_equal(dps_getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &l), 0);
	assert_int_equal(v, 30);
	assert_int_equal(dps_connect(fd, SA(a), sizeof(a)), 0);
	/* the kept option reached the session */
	v = 0;
	assert_int_equal(dps_getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &l), 0);
	assert_int_equal(v, 30);
	v = 5;
	assert_int_equal(dps_setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v)), 0);
	assert_int_equal(dps_getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, &l), 0);
	assert_int_equal(v, 5);
	assert_int_equal(dps_setsockopt(fd, SOL_SOCKET, 12345, &v, sizeof(v)), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	assert_int_equal(dps_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
	l = sizeof(name);
	assert_int_equal(dps_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &l), 0);
	assert_string_equal(name, "reno");
	l = sizeof(v);
	assert_int_equal(dps_getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &l), 0);
	assert_int_equal(v, 16384);   /* the FIFO's capacity */
	assert_int_equal(dps_close(fd), 0);
}

static void t_timeouts(void **st)
{
	int fd = tcp_connected(7);
	struct timeval tv = { 0, 50000 };
	socklen_t l = sizeof(tv);
	int64_t t0;
	char c;

	(void)st;
	assert_int_equal(dps_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	memset(&tv, 0, sizeof(tv));
	assert_int_equal(dps_getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &l), 0);
	assert_int_equal(tv.tv_usec, 50000);
	t0 = ms_now();
	assert_int_equal(dps_read(fd, &c, 1), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(ms_now() - t0 >= 45);
	assert_int_equal(dps_close(fd), 0);
}

static void t_daemon_gone(void **st)
{
	int fd = tcp_connected(7), l, fd2, ep = dps_epoll_create1(0);
	struct sockaddr_in a = sin_of("0.0.0.0", 80);
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	char c;

	(void)st;
	l = dps_socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(dps_bind(l, SA(a), sizeof(a)), 0);
	assert_int_equal(dps_listen(l, 4), 0);
	assert_int_equal(dps_epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev), 0);
	fake_kill(0);
	/* a blocked read wakes up with the connection reset */
	assert_int_equal(dps_read(fd, &c, 1), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(dps_read(fd, &c, 1), 0);
	assert_int_equal(dps_send(fd, &c, 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(dps_epoll_wait(ep, out, 2, 1000), 1);
	assert_true(out[0].events & EPOLLHUP);
	assert_int_equal(dps_accept(l, NULL, NULL), -1);
	assert_int_equal(errno, ENETDOWN);
	/* the next socket attaches anew */
	fd2 = tcp_connected(7);
	assert_int_equal(dps_write(fd2, "a", 1), 1);
	assert_int_equal(dps_read(fd2, &c, 1), 1);
	assert_int_equal(dps_close(fd), 0);
	assert_int_equal(dps_close(l), 0);
	assert_int_equal(dps_close(fd2), 0);
	assert_int_equal(dps_close(ep), 0);
}

static void t_detached_bad_input(void **st)
{
	int fd = tcp_connected(7);
	char c;

	(void)st;
	fake_detach_bad(0, "worker 0: you wrote past your FIFO");
	assert_int_equal(dps_read(fd, &c, 1), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_string_equal(dps_attach_error(),
			    "detached by dpstackd: worker 0: you wrote past your FIFO");
	assert_int_equal(dps_close(fd), 0);
}

/* ---- threads: one attachment each; a thread's sockets outlive it ---- */

static void *thread_conn(void *arg)
{
	int *fd = arg;
	char c;

	*fd = tcp_connected(7);
	if (dps_write(*fd, "t", 1) != 1 || dps_read(*fd, &c, 1) != 1)
		*fd = -1;
	return NULL;
}

static void t_threads(void **st)
{
	int fds[2], attach0 = fake.n_attach, i;
	pthread_t t[2];
	char c;

	(void)st;
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, thread_conn, &fds[i]);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(fake.n_attach, attach0 + 2);
	for (i = 0; i < 2; i++) {
		assert_true(fds[i] >= DPS_FD_BASE);
		/* used from this thread after its own thread exited */
		assert_int_equal(dps_write(fds[i], "m", 1), 1);
		assert_int_equal(dps_read(fds[i], &c, 1), 1);
		assert_int_equal(c, 'm');
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(dps_close(fds[i]), 0);
	/* the orphaned attachments detach with their last socket */
	EVENTUALLY(!fake.app[0].used && !fake.app[1].used);
}

static void t_fork(void **st)
{
	int fd = tcp_connected(7), status;
	pid_t pid;
	char c;

	(void)st;
	pid = fork();
	if (pid == 0) {
		int ok = dps_read(fd, &c, 1) == -1 && errno == EBADF;
		int fd2 = dps_socket(AF_INET, SOCK_STREAM, 0);

		ok = ok && fd2 >= DPS_FD_BASE;
		ok = ok && dps_close(fd2) == 0;
		_exit(ok ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the parent's socket is untouched */
	assert_int_equal(dps_write(fd, "p", 1), 1);
	assert_int_equal(dps_read(fd, &c, 1), 1);
	assert_int_equal(dps_close(fd), 0);
}

static void t_many(void **st)
{
	int fd[100], i;
	char c;

	(void)st;
	for (i = 0; i < 100; i++) {
		fd[i] = tcp_connected(7);
		assert_int_equal(dps_write(fd[i], "q", 1), 1);
	}
	for (i = 0; i < 100; i++) {
		assert_int_equal(dps_read(fd[i], &c, 1), 1);
		assert_int_equal(dps_close(fd[i]), 0);
	}
	EVENTUALLY(fake_sessions(0) == 0);
}

int main(void)
{
	const struct CMUnitTest nodaemon[] = {
		cmocka_unit_test(t_no_daemon),
		cmocka_unit_test(t_badf),
		cmocka_unit_test(t_socket_args),
		cmocka_unit_test(t_epoll_kernel),
		cmocka_unit_test(t_poll_kernel),
		cmocka_unit_test(t_seg_check),
		cmocka_unit_test(t_fifo_at),
		cmocka_unit_test(t_forged_welcomes),
		cmocka_unit_test(t_forged_fifo),
	};
	const struct CMUnitTest withfake[] = {
		cmocka_unit_test_teardown(t_connect_echo, after_each),
		cmocka_unit_test_teardown(t_connect_refused, after_each),
		cmocka_unit_test_teardown(t_connect_nonblock, after_each),
		cmocka_unit_test_teardown(t_close_while_connecting, after_each),
		cmocka_unit_test_teardown(t_args, after_each),
		cmocka_unit_test_teardown(t_listen_accept, after_each),
		cmocka_unit_test_teardown(t_reset, after_each),
		cmocka_unit_test_teardown(t_epoll_modes, after_each),
		cmocka_unit_test_teardown(t_epoll_mixed, after_each),
		cmocka_unit_test_teardown(t_bulk_threads, after_each),
		cmocka_unit_test_teardown(t_udp, after_each),
		cmocka_unit_test_teardown(t_options_forward, after_each),
		cmocka_unit_test_teardown(t_timeouts, after_each),
		cmocka_unit_test_teardown(t_many, after_each),
		cmocka_unit_test_teardown(t_threads, after_each),
		cmocka_unit_test_teardown(t_fork, after_each),
		cmocka_unit_test_teardown(t_daemon_gone, after_each),
		cmocka_unit_test_teardown(t_detached_bad_input, after_each),
	};
	int rc;

	rc = cmocka_run_group_tests_name("dpsock_nodaemon", nodaemon, nodaemon_setup, NULL);
	rc |= cmocka_run_group_tests_name("dpsock_fake", withfake, fake_setup, fake_teardown);
	return rc;
}

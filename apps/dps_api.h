/*
 * The socket API the sample apps are written against: libdpsock's
 * (lib/dpsock/dpsock.h), or, when built with -DDPS_USE_KERNEL, the same
 * dps_* calls mapped one to one onto the Linux socket calls. Each app is
 * built both ways (build/apps/dps-perf and build/apps/dps-perf-kernel) so
 * that one source measures dpstack and Linux alike, and so that an app's
 * logic can be checked against the kernel stack.
 */
#ifndef DPS_APPS_API_H
#define DPS_APPS_API_H

#ifndef DPS_USE_KERNEL

#include "dpsock.h"

#define APP_STACK "dpstack"

#else /* the Linux kernel's sockets */

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define APP_STACK "kernel"

static inline int dps_attach(const char *name) { (void)name; return 0; }
static inline int dps_detach(void) { return 0; }
static inline int dps_is_fd(int fd) { return fd >= 0; }

static inline int dps_socket(int domain, int type, int protocol)
{
	return socket(domain, type, protocol);
}
static inline int dps_bind(int fd, const struct sockaddr *a, socklen_t l) { return bind(fd, a, l); }
static inline int dps_listen(int fd, int backlog) { return listen(fd, backlog); }
static inline int dps_accept(int fd, struct sockaddr *a, socklen_t *l) { return accept(fd, a, l); }
static inline int dps_accept4(int fd, struct sockaddr *a, socklen_t *l, int flags)
{
	return accept4(fd, a, l, flags);
}
static inline int dps_connect(int fd, const struct sockaddr *a, socklen_t l)
{
	return connect(fd, a, l);
}
static inline ssize_t dps_read(int fd, void *b, size_t n) { return read(fd, b, n); }
static inline ssize_t dps_readv(int fd, const struct iovec *v, int n) { return readv(fd, v, n); }
static inline ssize_t dps_write(int fd, const void *b, size_t n) { return write(fd, b, n); }
static inline ssize_t dps_writev(int fd, const struct iovec *v, int n) { return writev(fd, v, n); }
static inline ssize_t dps_send(int fd, const void *b, size_t n, int f) { return send(fd, b, n, f); }
static inline ssize_t dps_recv(int fd, void *b, size_t n, int f) { return recv(fd, b, n, f); }
static inline ssize_t dps_sendto(int fd, const void *b, size_t n, int f,
				 const struct sockaddr *to, socklen_t tl)
{
	return sendto(fd, b, n, f, to, tl);
}
static inline ssize_t dps_recvfrom(int fd, void *b, size_t n, int f, struct sockaddr *from,
				   socklen_t *fl)
{
	return recvfrom(fd, b, n, f, from, fl);
}
static inline int dps_shutdown(int fd, int how) { return shutdown(fd, how); }
static inline int dps_close(int fd) { return close(fd); }
static inline int dps_getsockname(int fd, struct sockaddr *a, socklen_t *l)
{
	return getsockname(fd, a, l);
}
static inline int dps_getpeername(int fd, struct sockaddr *a, socklen_t *l)
{
	return getpeername(fd, a, l);
}
static inline int dps_setsockopt(int fd, int lvl, int opt, const void *v, socklen_t l)
{
	return setsockopt(fd, lvl, opt, v, l);
}
static inline int dps_getsockopt(int fd, int lvl, int opt, void *v, socklen_t *l)
{
	return getsockopt(fd, lvl, opt, v, l);
}
/* the apps use F_GETFL/F_SETFL/F_GETFD/F_SETFD only: an int or no argument */
static inline int dps_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	int arg;

	va_start(ap, cmd);
	arg = (cmd == F_SETFL || cmd == F_SETFD) ? va_arg(ap, int) : 0;
	va_end(ap);
	return fcntl(fd, cmd, arg);
}
static inline int dps_epoll_create1(int flags) { return epoll_create1(flags); }
static inline int dps_epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
	return epoll_ctl(ep, op, fd, ev);
}
static inline int dps_epoll_wait(int ep, struct epoll_event *ev, int max, int timeout_ms)
{
	return epoll_wait(ep, ev, max, timeout_ms);
}

#endif /* DPS_USE_KERNEL */

#endif

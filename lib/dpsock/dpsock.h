/*
 * libdpsock: TCP and UDP sockets served by dpstackd instead of the kernel,
 * with calls shaped like POSIX so that porting is mechanical: put "dps_"
 * in front. libc only; link with build/libdpsock.so.
 *
 * The process attaches to dpstackd over its API socket ($DPSTACK_API,
 * default /run/dpstack/api.sock) on the first call, or explicitly with
 * dps_attach(). Data then moves through shared memory (lib/fifo) with no
 * system call while both sides are busy; a blocking call sleeps on an
 * eventfd.
 *
 * Descriptors are small integers of libdpsock's own, at or above
 * DPS_FD_BASE so they never look like kernel descriptors. Calls return
 * what POSIX returns (-1 and errno on failure) with Linux's errno values:
 * ECONNREFUSED, ECONNRESET, EPIPE, EAGAIN, EINPROGRESS, ETIMEDOUT ...
 * Sockets are blocking unless SOCK_NONBLOCK / O_NONBLOCK say otherwise.
 *
 * Threads: each thread that uses sockets gets its own attachment (its own
 * queues to dpstackd), made on its first call; a socket is used by the
 * thread that created it (or accepted it).
 *
 * Example, an echo server:
 *
 *     int l = dps_socket(AF_INET, SOCK_STREAM, 0);
 *     struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7) };
 *     dps_bind(l, (struct sockaddr *)&a, sizeof(a));
 *     dps_listen(l, 128);
 *     for (;;) {
 *         int c = dps_accept4(l, NULL, NULL, 0);
 *         char buf[4096];
 *         ssize_t n;
 *         while ((n = dps_read(c, buf, sizeof(buf))) > 0)
 *             dps_write(c, buf, n);
 *         dps_close(c);
 *     }
 */
#ifndef DPSTACK_DPSOCK_H
#define DPSTACK_DPSOCK_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DPS_FD_BASE (1 << 24)

/** Attach the calling thread now (name shows in `dpstackctl show apps`).
 * 0, or -1 with errno (ENOENT: no dpstackd at the API path; EPERM ...). */
int dps_attach(const char *name);
/** Close the calling thread's sockets and detach it. */
int dps_detach(void);
/** 1 if fd is a libdpsock descriptor. */
int dps_is_fd(int fd);

int dps_socket(int domain, int type, int protocol);
int dps_bind(int fd, const struct sockaddr *addr, socklen_t len);
int dps_listen(int fd, int backlog);
int dps_accept(int fd, struct sockaddr *addr, socklen_t *len);
int dps_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int dps_connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t dps_read(int fd, void *buf, size_t len);
ssize_t dps_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t dps_write(int fd, const void *buf, size_t len);
ssize_t dps_writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t dps_send(int fd, const void *buf, size_t len, int flags);
ssize_t dps_recv(int fd, void *buf, size_t len, int flags);
ssize_t dps_sendto(int fd, const void *buf, size_t len, int flags,
		   const struct sockaddr *to, socklen_t tolen);
ssize_t dps_recvfrom(int fd, void *buf, size_t len, int flags,
		     struct sockaddr *from, socklen_t *fromlen);
int dps_shutdown(int fd, int how);
int dps_close(int fd);
int dps_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int dps_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
int dps_setsockopt(int fd, int level, int opt, const void *val, socklen_t len);
int dps_getsockopt(int fd, int level, int opt, void *val, socklen_t *len);
/** F_GETFL, F_SETFL (O_NONBLOCK), F_GETFD, F_SETFD. */
int dps_fcntl(int fd, int cmd, ...);

/** epoll over libdpsock sockets (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLERR,
 * EPOLLHUP, EPOLLET, EPOLLONESHOT); level-triggered unless EPOLLET. */
int dps_epoll_create1(int flags);
int dps_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int dps_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif

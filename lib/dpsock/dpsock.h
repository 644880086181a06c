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
 * thread that created it (or accepted it). Other threads may use it too
 * (calls lock the owner's attachment, so it is safe, only not as fast).
 * When a thread exits, its attachment stays until its last socket is
 * closed; dps_detach() closes them at once. At exit() every attachment
 * detaches in order.
 *
 * Build: #include <dpsock.h>, link -ldpsock (in the build tree:
 * -Ibuild -Lbuild, both land in build/). libc only; thread-safe.
 *
 * Environment: DPSTACK_API (the API socket), DPSTACK_SECRET (the
 * namespace secret, if dpstackd wants one), DPSTACK_NS (the application
 * namespace), DPSTACK_SEG_SIZE (shared segment bytes per attachment, K/M/G
 * suffixes; dpstackd's default otherwise).
 *
 * Where it differs from Linux:
 *   - bind() of a TCP socket is checked by dpstackd at listen() or
 *     connect(), which then fail with EADDRINUSE / EADDRNOTAVAIL; after
 *     bind(port 0), getsockname() shows the port once listen() chose it.
 *   - IPv4 only (AF_INET6: EAFNOSUPPORT); no MSG_OOB, no ancillary data.
 *   - options other than SO_RCVBUF, SO_SNDBUF, SO_REUSEADDR, SO_KEEPALIVE,
 *     SO_RCVTIMEO, SO_SNDTIMEO and TCP_NODELAY wait, before listen() or
 *     connect(), until the session exists (SO_LINGER, TCP_MAXSEG,
 *     TCP_USER_TIMEOUT, TCP_KEEPIDLE/INTVL/CNT, TCP_CONGESTION,
 *     TCP_QUICKACK), so TCP_MAXSEG set before connect() does not shape
 *     the SYN; other options then: ENOPROTOOPT.
 *   - when dpstackd goes away, connections fail with ECONNRESET and
 *     anything that needs dpstackd with ENETDOWN; the next dps_socket()
 *     attaches again.
 *   - fork(): the child loses the parent's libdpsock sockets (EBADF; the
 *     parent keeps them) and attaches anew on its first call; epoll
 *     descriptors stay, empty of sockets.
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

#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DPS_FD_BASE (1 << 24)

/** Attach the calling thread now (name shows in `dpstackctl show apps`;
 * NULL: the program's name). 0 (also when already attached), or -1 with
 * errno (ENOENT: no dpstackd at the API path; EPERM, EINVAL, ENOMEM: what
 * dpstackd refused, dps_attach_error() says why; EPROTO: a welcome or
 * segment that does not check out; ETIMEDOUT). */
int dps_attach(const char *name);
/** Why the calling thread's last attach failed ("" if it did not), or
 * why dpstackd went away (its reason when it detached the application). */
const char *dps_attach_error(void);
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
/** msg_control is not used (msg_controllen comes back 0); msg_flags
 * gets MSG_TRUNC for a datagram cut short. */
ssize_t dps_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t dps_recvmsg(int fd, struct msghdr *msg, int flags);
int dps_shutdown(int fd, int how);
int dps_close(int fd);
int dps_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int dps_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
int dps_setsockopt(int fd, int level, int opt, const void *val, socklen_t len);
int dps_getsockopt(int fd, int level, int opt, void *val, socklen_t *len);
/** F_GETFL, F_SETFL (O_NONBLOCK), F_GETFD, F_SETFD. */
int dps_fcntl(int fd, int cmd, ...);
/** FIONREAD (bytes to read; UDP: the next datagram's size), FIONBIO. */
int dps_ioctl(int fd, unsigned long req, void *arg);

/** epoll over libdpsock sockets (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLERR,
 * EPOLLHUP, EPOLLET, EPOLLONESHOT); level-triggered unless EPOLLET.
 * Kernel descriptors (files, pipes, eventfds, kernel sockets: any fd
 * below DPS_FD_BASE) may join the same set: they are watched by a kernel
 * epoll the instance keeps, and one dps_epoll_wait sleeps on both.
 * The epoll descriptor is a libdpsock one (close it with dps_close); it
 * cannot itself go into another epoll set. */
int dps_epoll_create1(int flags);
int dps_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int dps_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout_ms);
/** poll(2) over libdpsock and kernel descriptors mixed. */
int dps_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif

/*
 * A listening Unix socket at a path that one daemon at a time may claim:
 * the control socket (src/ctl/server.c) and the application API socket
 * (src/session/app.c). libc only.
 *
 * One daemon per path is enforced with an exclusive lock on "<path>.lock"
 * that the kernel releases when the process dies, so a crash never leaves
 * the path claimed; with the lock held, a socket left at the path is
 * stale and replaced, unless something that does not use the lock still
 * answers on it.
 */
#ifndef DPS_CORE_UNIXSOCK_H
#define DPS_CORE_UNIXSOCK_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

struct dps_unix_listener {
	int fd;                    /* listening socket (non-blocking, close-on-exec), -1 */
	int lock_fd;               /* holds the lock on lock_path, -1 */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char lock_path[PATH_MAX];
};

/** An unclaimed listener (fd and lock_fd -1). */
void dps_unix_listener_init(struct dps_unix_listener *u);

/**
 * Make the parent directories of path, take the lock, clear a stale
 * socket, then bind and listen (type SOCK_STREAM or SOCK_SEQPACKET) and
 * chmod the socket to mode. what names the socket in messages ("control
 * socket"). Returns 0, or -errno with one sentence in err: -EADDRINUSE
 * "another dpstackd is already running on PATH (pid N)" or "another
 * process is already serving on PATH", -EEXIST "PATH exists and is not a
 * socket", -ENAMETOOLONG, -EINVAL (empty path) ...
 */
int dps_unix_listener_open(struct dps_unix_listener *u, const char *path, int type,
			   int backlog, mode_t mode, const char *what, char *err, size_t errlen);

/** Close the socket, remove it and its lock file, drop the lock. */
void dps_unix_listener_close(struct dps_unix_listener *u);

#endif

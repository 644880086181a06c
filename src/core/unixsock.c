/* A Unix listening socket claimed by one daemon at a time: see unixsock.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/unixsock.h"

void dps_unix_listener_init(struct dps_unix_listener *u)
{
	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->lock_fd = -1;
}

/* mkdir -p of the directory that holds path. */
static int make_parent(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			int e = errno;

			snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(e));
			return -e;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

static int take_lock(struct dps_unix_listener *u, const char *path, const char *what,
		     char *err, size_t errlen)
{
	char pid[32];
	ssize_t n;
	int fd, e;

	if ((size_t)snprintf(u->lock_path, sizeof(u->lock_path), "%s.lock", path) >=
	    sizeof(u->lock_path)) {
		snprintf(err, errlen, "%s path %s is too long", what, path);
		return -ENAMETOOLONG;
	}
	fd = open(u->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot open lock file %s: %s", u->lock_path, strerror(e));
		return -e;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		e = errno;
		if (e == EWOULDBLOCK) {
			n = pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			snprintf(err, errlen, "another dpstackd is already running on %s (pid %s)",
				 path, pid[0] ? pid : "unknown");
			e = EADDRINUSE;
		} else {
			snprintf(err, errlen, "cannot lock %s: %s", u->lock_path, strerror(e));
		}
		close(fd);
		return -e;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		e = errno;
		snprintf(err, errlen, "cannot write lock file %s: %s", u->lock_path, strerror(e));
		close(fd);
		return -e;
	}
	u->lock_fd = fd;
	return 0;
}

/*
 * With the lock ours, a socket left at path is stale, unless something
 * that does not use our lock (an older daemon, another program) still
 * answers on it: then refuse rather than steal its path.
 */
static int clear_stale(const struct sockaddr_un *sa, int type, char *err, size_t errlen)
{
	struct stat sb;
	int fd, rc, e;

	if (lstat(sa->sun_path, &sb) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(sb.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; not removing it",
			 sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	/* EAGAIN: a live listener with a full backlog; EPROTOTYPE: a live
	 * listener of another socket type */
	if (rc == 0 || e == EAGAIN || e == EPROTOTYPE) {
		snprintf(err, errlen, "another process is already serving on %s", sa->sun_path);
		return -EADDRINUSE;
	}
	if (unlink(sa->sun_path) < 0 && errno != ENOENT) {
		e = errno;
		snprintf(err, errlen, "cannot remove stale socket %s: %s", sa->sun_path,
			 strerror(e));
		return -e;
	}
	return 0;
}

static void release_lock(struct dps_unix_listener *u)
{
	if (u->lock_fd < 0)
		return;
	/* remove the file while still holding the lock, then drop it */
	unlink(u->lock_path);
	close(u->lock_fd);
	u->lock_fd = -1;
}

int dps_unix_listener_open(struct dps_unix_listener *u, const char *path, int type,
			   int backlog, mode_t mode, const char *what, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int rc, e;

	if (u->fd >= 0) {
		snprintf(err, errlen, "%s already open on %s", what, u->path);
		return -EALREADY;
	}
	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "empty %s path", what);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s path %s is too long (at most %zu bytes)", what,
			 path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	rc = make_parent(path, err, errlen);
	if (rc < 0)
		return rc;
	rc = take_lock(u, path, what, err, errlen);
	if (rc < 0)
		return rc;
	rc = clear_stale(&sa, type, err, errlen);
	if (rc < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot check %s: %s", path, strerror(-rc));
		goto fail;
	}
	u->fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-rc));
		goto fail;
	}
	if (bind(u->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(u->fd, backlog) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(e));
		close(u->fd);
		u->fd = -1;
		rc = -e;
		goto fail;
	}
	chmod(path, mode);
	snprintf(u->path, sizeof(u->path), "%s", path);
	return 0;
fail:
	release_lock(u);
	return rc;
}

void dps_unix_listener_close(struct dps_unix_listener *u)
{
	if (u->fd >= 0) {
		close(u->fd);
		u->fd = -1;
		unlink(u->path);
	}
	release_lock(u);
}

/*
 * The control-plane side of attached applications (app.h): the API
 * socket, the hello and its checks, the segment (memfd, sealed, laid out
 * as dpsock_proto.h says), handing the application to the workers, and
 * noticing that it left.
 *
 * Served from the main lcore between other control work: nothing blocks.
 * The listening socket, the connections that have not said hello yet and
 * the attached applications' connections are in one epoll set that
 * dps_app_server_poll() reads without waiting. An application's
 * connection hanging up (exit, crash, SIGKILL) is how its departure is
 * noticed; a worker that finds bad input or a DETACH in a queue raises a
 * flag the poll reads.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/unixsock.h"
#include "core/worker.h"
#include "dpsock/dpsock_proto.h"
#include "session/app_internal.h"

#define APP_PENDING_MAX   16                 /* connections waiting to say hello */
#define APP_HELLO_NS      (5ull * 1000000000) /* time they have */
#define APP_HEAP_MIN      (1ull << 20)        /* FIFO heap per worker at least */
#define APP_BACKLOG       64

static_assert(DPS_MAX_WORKERS <= DPS_API_MAX_WORKERS, "one segment slot per worker");
static_assert(sizeof(struct dps_seg_hdr) <= DPS_HEAP_PAGE, "segment header in one page");

enum { EV_LISTEN = 1, EV_PENDING, EV_APP };

struct pending {
	int fd;                                 /* -1: free */
	uint64_t deadline_ns;
};

/* One API socket per process, like the one control socket. */
static struct {
	struct dps_unix_listener lsn;
	int ep;
	bool has_secret;
	char secret[sizeof(((struct dps_api_hello *)0)->secret)];
	struct pending pend[APP_PENDING_MAX];
	struct dps_app *apps[DPS_APP_MAX];      /* attached, by slot */
	struct dps_app *closing;                /* left, sessions finishing */
	uint32_t next_id;
	struct dps_app_stats stats;
} srv = { .lsn = { .fd = -1, .lock_fd = -1 }, .ep = -1 };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* epoll data: kind, the application's id (a stale event never reaches
 * the next application in the same slot), the slot */
static uint64_t ev_data(unsigned kind, uint32_t id, unsigned idx)
{
	return (uint64_t)kind << 56 | (uint64_t)id << 16 | idx;
}

/* ---- pure parts ---- */

static uint64_t page_up(uint64_t n)
{
	return (n + DPS_HEAP_PAGE - 1) & ~(uint64_t)(DPS_HEAP_PAGE - 1);
}

int dps_app_layout(uint64_t want, unsigned n_workers, struct dps_app_layout *l)
{
	uint64_t off, fixed, size, heap;

	memset(l, 0, sizeof(*l));
	if (n_workers == 0 || n_workers > DPS_MAX_WORKERS || want > DPS_SEG_MAX)
		return -EINVAL;
	if (want == 0)
		want = DPS_SEG_DEFAULT;
	if (want < DPS_SEG_MIN)
		want = DPS_SEG_MIN;
	l->q_bytes = (uint32_t)dps_msgq_footprint(DPS_SEG_MSGQ_SLOTS);
	l->evt_count = DPS_SOCKS_PER_WORKER;
	off = page_up(sizeof(struct dps_seg_hdr));
	for (unsigned i = 0; i < n_workers; i++) {
		l->q_off[i][0] = off;
		off += page_up(l->q_bytes);
		l->q_off[i][1] = off;
		off += page_up(l->q_bytes);
		l->evt_off[i] = off;
		off += page_up(l->evt_count);
	}
	fixed = off;
	size = page_up(want);
	if (size < fixed + n_workers * APP_HEAP_MIN)
		size = fixed + n_workers * APP_HEAP_MIN;
	heap = ((size - fixed) / n_workers) & ~(uint64_t)(DPS_HEAP_PAGE - 1);
	for (unsigned i = 0; i < n_workers; i++)
		l->heap_off[i] = fixed + i * heap;
	l->heap_size = heap;
	l->size = fixed + n_workers * heap;
	return 0;
}

static bool terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

int dps_app_hello_check(const void *buf, size_t len, uint64_t *seg_size, char *why,
			size_t whylen)
{
	struct dps_api_hello h;

	if (len != sizeof(h)) {
		snprintf(why, whylen, "a hello of %zu bytes, expected %zu", len, sizeof(h));
		return -EPROTO;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != DPS_API_MAGIC) {
		snprintf(why, whylen, "bad magic 0x%08x in the hello (expected 0x%08x)", h.magic,
			 DPS_API_MAGIC);
		return -EPROTO;
	}
	if (h.version != DPS_API_VERSION) {
		snprintf(why, whylen, "protocol version %u; this dpstackd speaks version %u",
			 h.version, DPS_API_VERSION);
		return -EPROTO;
	}
	if (!terminated(h.name, sizeof(h.name)) || !terminated(h.secret, sizeof(h.secret)) ||
	    !terminated(h.ns, sizeof(h.ns))) {
		snprintf(why, whylen, "a string of the hello (name, secret, ns) is not NUL-terminated");
		return -EPROTO;
	}
	if (h.flags != 0) {
		snprintf(why, whylen, "unknown hello flags 0x%x", h.flags);
		return -EINVAL;
	}
	for (const char *p = h.name; *p != '\0'; p++) {
		if (*p <= ' ' || *p > '~') {
			snprintf(why, whylen, "the application name has a character that is not "
				 "printable ASCII (or a blank) at offset %zu", (size_t)(p - h.name));
			return -EINVAL;
		}
	}
	if (h.ns[0] != '\0' && strcmp(h.ns, "default") != 0) {
		snprintf(why, whylen, "application namespace '%.31s' does not exist (only the "
			 "default namespace exists yet)", h.ns);
		return -ENOENT;
	}
	if (h.seg_size > DPS_SEG_MAX) {
		snprintf(why, whylen, "a segment of %" PRIu64 " bytes was asked for; at most %llu "
			 "bytes (DPS_SEG_MAX) are given", h.seg_size, (unsigned long long)DPS_SEG_MAX);
		return -EINVAL;
	}
	*seg_size = h.seg_size;
	return 0;
}

/* ---- server ---- */

int dps_app_server_open(const char *path, const char *secret, char *err, size_t errlen)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ev_data(EV_LISTEN, 0, 0) };
	int rc;

	if (srv.lsn.fd >= 0) {
		snprintf(err, errlen, "API socket already open on %s", srv.lsn.path);
		return -EALREADY;
	}
	if (secret != NULL && strlen(secret) >= sizeof(srv.secret)) {
		snprintf(err, errlen, "the API secret is too long (at most %zu bytes)",
			 sizeof(srv.secret) - 1);
		return -EINVAL;
	}
	dps_unix_listener_init(&srv.lsn);
	for (unsigned i = 0; i < APP_PENDING_MAX; i++)
		srv.pend[i].fd = -1;
	srv.has_secret = secret != NULL && secret[0] != '\0';
	memset(srv.secret, 0, sizeof(srv.secret));
	if (srv.has_secret)
		strcpy(srv.secret, secret);
	rc = dps_unix_listener_open(&srv.lsn, path, SOCK_SEQPACKET, APP_BACKLOG, 0660,
				    "API socket", err, errlen);
	if (rc != 0)
		return rc;
	srv.ep = epoll_create1(EPOLL_CLOEXEC);
	if (srv.ep < 0 || epoll_ctl(srv.ep, EPOLL_CTL_ADD, srv.lsn.fd, &ev) != 0) {
		rc = -errno;
		snprintf(err, errlen, "epoll for the API socket: %s", strerror(-rc));
		if (srv.ep >= 0)
			close(srv.ep);
		srv.ep = -1;
		dps_unix_listener_close(&srv.lsn);
		return rc;
	}
	return 0;
}

void dps_app_stats_get(struct dps_app_stats *out)
{
	*out = srv.stats;
}

/* A welcome with an error (the reason in message) and no descriptors. */
static void send_refusal(int fd, int error, const char *why)
{
	struct dps_api_welcome wl = {
		.magic = DPS_API_MAGIC, .version = DPS_API_VERSION, .error = error,
	};

	snprintf(wl.message, sizeof(wl.message), "%s", why);
	/* best effort: a peer that does not read loses it */
	(void)send(fd, &wl, sizeof(wl), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void pending_close(struct pending *p)
{
	epoll_ctl(srv.ep, EPOLL_CTL_DEL, p->fd, NULL);
	close(p->fd);
	p->fd = -1;
}

static unsigned accept_all(void)
{
	unsigned n = 0;

	for (;;) {
		int fd = accept4(srv.lsn.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct pending *p = NULL;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

		if (fd < 0)
			return n;
		n++;
		for (unsigned i = 0; i < APP_PENDING_MAX && p == NULL; i++)
			if (srv.pend[i].fd < 0)
				p = &srv.pend[i];
		if (p == NULL) {
			send_refusal(fd, EAGAIN, "too many applications attaching at once, try again");
			srv.stats.refused++;
			close(fd);
			continue;
		}
		ev.data.u64 = ev_data(EV_PENDING, 0, (unsigned)(p - srv.pend));
		if (epoll_ctl(srv.ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			continue;
		}
		p->fd = fd;
		p->deadline_ns = mono_ns() + APP_HELLO_NS;
	}
}

/* ---- segments ---- */

static void app_free(struct dps_app *app)
{
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct app_wk *wk = &app->w[i];

		dps_heap_fini(&wk->heap);
		free(wk->sd);
		free(wk->retry);
		if (wk->wake_fd >= 0)
			close(wk->wake_fd);
		if (wk->bell_fd >= 0)
			close(wk->bell_fd);
	}
	if (app->base != NULL)
		munmap(app->base, app->size);
	if (app->fd >= 0)
		close(app->fd);
	free(app);
}

/* The segment: a sealed memfd, mapped, laid out, with its queues. fd of the memfd. */
static int seg_make(struct dps_app *app, char *why, size_t whylen)
{
	struct dps_seg_hdr *hdr;
	char name[32];
	int fd, e;

	snprintf(name, sizeof(name), "dpstack-app-%u", app->id);
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		e = errno;
		snprintf(why, whylen, "memfd_create: %s", strerror(e));
		return -e;
	}
	/* sealed at its size: an application that could shrink it would make
	 * the daemon fault (SIGBUS) on the next access */
	if (ftruncate(fd, (off_t)app->lay.size) != 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
		e = errno;
		snprintf(why, whylen, "a segment of %" PRIu64 " bytes: %s", app->lay.size,
			 strerror(e));
		close(fd);
		return -e;
	}
	app->base = mmap(NULL, app->lay.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (app->base == MAP_FAILED) {
		e = errno;
		app->base = NULL;
		snprintf(why, whylen, "mmap of the segment: %s", strerror(e));
		close(fd);
		return -e;
	}
	app->size = app->lay.size;
	hdr = (struct dps_seg_hdr *)app->base;
	hdr->magic = DPS_SEG_MAGIC;
	hdr->version = DPS_API_VERSION;
	hdr->n_workers = (uint16_t)app->n_workers;
	hdr->size = app->size;
	hdr->app_id = app->id;
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct app_wk *wk = &app->w[i];

		hdr->w[i] = (struct dps_seg_worker){
			.q_in_off = app->lay.q_off[i][0], .q_out_off = app->lay.q_off[i][1],
			.heap_off = app->lay.heap_off[i], .heap_size = app->lay.heap_size,
			.q_size = app->lay.q_bytes, .evt_count = app->lay.evt_count,
			.evt_off = app->lay.evt_off[i],
		};
		wk->qin = (struct dps_msgq *)(app->base + app->lay.q_off[i][0]);
		wk->qout = (struct dps_msgq *)(app->base + app->lay.q_off[i][1]);
		wk->evt = app->base + app->lay.evt_off[i];
		wk->q_bytes = app->lay.q_bytes;
		if (dps_msgq_init(wk->qin, wk->q_bytes) != 0 ||
		    dps_msgq_init(wk->qout, wk->q_bytes) != 0) {
			snprintf(why, whylen, "message queue layout");
			close(fd);
			return -EINVAL;
		}
		wk->q_slots = DPS_SEG_MSGQ_SLOTS;
	}
	return fd;
}

/* Daemon-side state per worker: heap tables, per-socket state, eventfds. */
static int wk_make(struct dps_stack *st, struct dps_app *app, char *why, size_t whylen)
{
	for (unsigned i = 0; i < app->n_workers; i++) {
		struct app_wk *wk = &app->w[i];
		int r;

		wk->sw = st->workers[i]->sess;
		r = dps_heap_init(&wk->heap, app->lay.heap_off[i], app->lay.heap_size);
		wk->sd = calloc(DPS_SOCKS_PER_WORKER, sizeof(*wk->sd));
		wk->retry = calloc(DPS_SOCKS_PER_WORKER, sizeof(*wk->retry));
		if (r != 0 || wk->sd == NULL || wk->retry == NULL) {
			snprintf(why, whylen, "out of memory for the application's tables");
			return -ENOMEM;
		}
		wk->wake_fd = dps_eventfd_open();
		/* the doorbell is the worker's own wake-up eventfd (it sleeps
		 * on it); one of our own if the worker has none (it then
		 * naps briefly instead and never asks to be woken) */
		if (st->workers[i]->wake_fd < 0)
			wk->bell_fd = dps_eventfd_open();
		if (wk->wake_fd < 0 || (st->workers[i]->wake_fd < 0 && wk->bell_fd < 0)) {
			snprintf(why, whylen, "eventfd: %s", strerror(EMFILE));
			return -EMFILE;
		}
	}
	return 0;
}

static struct dps_app *app_new(void)
{
	struct dps_app *app = calloc(1, sizeof(*app));

	if (app == NULL)
		return NULL;
	app->fd = -1;
	for (unsigned i = 0; i < DPS_MAX_WORKERS; i++)
		app->w[i].wake_fd = app->w[i].bell_fd = -1;
	return app;
}

/* The welcome with the segment, the doorbells and the wake-up eventfds. */
static int send_welcome(struct dps_stack *st, struct dps_app *app, int seg_fd)
{
	struct dps_api_welcome wl = {
		.magic = DPS_API_MAGIC, .version = DPS_API_VERSION,
		.n_workers = (uint16_t)app->n_workers, .app_id = app->id, .seg_size = app->size,
	};
	int fds[1 + 2 * DPS_MAX_WORKERS];
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &wl, .iov_len = sizeof(wl) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf };
	struct cmsghdr *c;
	unsigned n = 0;

	fds[n++] = seg_fd;
	for (unsigned i = 0; i < app->n_workers; i++)
		fds[n++] = app->w[i].bell_fd >= 0 ? app->w[i].bell_fd : st->workers[i]->wake_fd;
	for (unsigned i = 0; i < app->n_workers; i++)
		fds[n++] = app->w[i].wake_fd;
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	if (sendmsg(app->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(wl))
		return -errno;
	return 0;
}

/* Take the application off every worker and close its sessions there. */
static void workers_remove(struct dps_stack *st, struct dps_app *app, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (dps_worker_rpc(st, i, app_worker_remove, app) == -ETIMEDOUT) {
			/* the worker may still run it: never free this one */
			app->stuck = true;
			DPS_LOG(ERR, session, "app %u: worker %u did not answer; its segment stays",
				app->id, i);
		}
	}
}

/* Try to free the applications that left; those still holding FIFOs wait. */
static unsigned reap_closing(void)
{
	struct dps_app **pp = &srv.closing;
	unsigned n = 0;

	while (*pp != NULL) {
		struct dps_app *app = *pp;
		bool busy = app->stuck;

		for (unsigned i = 0; i < app->n_workers && !busy; i++)
			busy = __atomic_load_n(&app->w[i].fifos, __ATOMIC_ACQUIRE) != 0;
		if (busy) {
			pp = &app->next;
			continue;
		}
		*pp = app->next;
		DPS_LOG(DEBUG, session, "app %u (%s): segment freed", app->id, app->name);
		app_free(app);
		srv.stats.freed++;
		n++;
	}
	return n;
}

/*
 * The application left (why NULL: in order or died) or is detached for
 * bad input (why says what). Its sessions close as close() would; the
 * segment waits until its connections have given their FIFOs back.
 */
static void app_detach(struct dps_stack *st, unsigned slot, const char *why)
{
	struct dps_app *app = srv.apps[slot];

	if (app->attach_ns == 0) {
		/* the attach itself failed: not counted as a detach */
	} else if (why != NULL) {
		send_refusal(app->fd, EPROTO, why);
		srv.stats.detached_bad++;
		DPS_LOG(WARNING, session, "app %u (%s, pid %d) detached for bad input: %s", app->id,
			app->name, (int)app->pid, why);
	} else {
		srv.stats.detached++;
		DPS_LOG(INFO, session, "app %u (%s, pid %d) detached", app->id, app->name,
			(int)app->pid);
	}
	srv.apps[slot] = NULL;
	epoll_ctl(srv.ep, EPOLL_CTL_DEL, app->fd, NULL);
	close(app->fd);
	app->fd = -1;
	workers_remove(st, app, app->n_workers);
	app->closing = true;
	app->next = srv.closing;
	srv.closing = app;
	reap_closing();
}

static int check_peer(int fd, struct dps_app *app, const struct dps_api_hello *h, char *why,
		      size_t whylen)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	unsigned char diff = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
		snprintf(why, whylen, "no peer credentials: %s", strerror(errno));
		return -EPERM;
	}
	app->pid = cr.pid;
	app->uid = cr.uid;
	app->gid = cr.gid;
	if (cr.uid != 0 && cr.uid != geteuid()) {
		snprintf(why, whylen, "uid %u may not attach: only root and uid %u (dpstackd's)",
			 (unsigned)cr.uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (srv.has_secret) {
		char given[sizeof(srv.secret)] = "";

		/* up to its NUL (what follows may be anything), then every
		 * byte whatever matches: no timing hint */
		memcpy(given, h->secret, strlen(h->secret));
		for (size_t i = 0; i < sizeof(srv.secret); i++)
			diff |= (unsigned char)(srv.secret[i] ^ given[i]);
		if (diff != 0) {
			snprintf(why, whylen, "wrong secret");
			return -EACCES;
		}
	}
	return 0;
}

/* A hello: check it, make the application, hand it to the workers, welcome it. */
static void hello(struct dps_stack *st, struct pending *p)
{
	char buf[sizeof(struct dps_api_hello) + 64], why[128] = "";
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct dps_api_hello h;
	struct dps_app *app = NULL;
	uint64_t t0 = mono_ns(), seg = 0;
	int fd = p->fd, seg_fd = -1, rc;
	unsigned slot;
	ssize_t n;

	/* no control buffer: descriptors a client sends are discarded */
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		pending_close(p);   /* gone before it said anything */
		return;
	}
	rc = (mh.msg_flags & MSG_TRUNC) ? -EPROTO : 0;
	if (rc != 0)
		snprintf(why, sizeof(why), "a hello longer than %zu bytes", sizeof(h));
	else
		rc = dps_app_hello_check(buf, (size_t)n, &seg, why, sizeof(why));
	if (rc == 0) {
		memcpy(&h, buf, sizeof(h));
		for (slot = 0; slot < DPS_APP_MAX && srv.apps[slot] != NULL; slot++)
			;
		app = app_new();
		if (app == NULL) {
			rc = -ENOMEM;
			snprintf(why, sizeof(why), "out of memory");
		} else if (slot == DPS_APP_MAX) {
			rc = -ENOSPC;
			snprintf(why, sizeof(why), "%u applications are attached already (the most)",
				 DPS_APP_MAX);
		} else {
			rc = check_peer(fd, app, &h, why, sizeof(why));
		}
	}
	if (rc == 0) {
		app->id = ++srv.next_id;
		snprintf(app->name, sizeof(app->name), "%s", h.name[0] ? h.name : "-");
		app->n_workers = st->n_workers;
		rc = dps_app_layout(seg, app->n_workers, &app->lay);
		if (rc != 0)
			snprintf(why, sizeof(why), "no segment layout for %u workers", app->n_workers);
		else
			rc = seg_fd = seg_make(app, why, sizeof(why));
		if (rc >= 0)
			rc = wk_make(st, app, why, sizeof(why));
	}
	if (rc != 0) {
		send_refusal(fd, -rc, why);
		srv.stats.refused++;
		if (rc == -EPROTO)
			srv.stats.bad_hello++;
		DPS_LOG(NOTICE, session, "attach refused (%s): %s", strerror(-rc), why);
		pending_close(p);
		if (seg_fd >= 0)
			close(seg_fd);
		if (app != NULL)
			app_free(app);
		return;
	}
	/* from pending to attached: same fd, new epoll tag */
	app->fd = fd;
	p->fd = -1;
	srv.apps[slot] = app;
	{
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
					  .data.u64 = ev_data(EV_APP, app->id, slot) };

		epoll_ctl(srv.ep, EPOLL_CTL_MOD, fd, &ev);
	}
	for (unsigned i = 0; i < app->n_workers; i++) {
		rc = dps_worker_rpc(st, i, app_worker_add, app);
		if (rc != 0) {
			if (rc == -ETIMEDOUT)
				app->stuck = true;
			workers_remove(st, app, i);
			break;
		}
	}
	if (rc == 0)
		rc = send_welcome(st, app, seg_fd);
	close(seg_fd);   /* the mapping stays */
	if (rc != 0) {
		DPS_LOG(NOTICE, session, "attach of pid %d failed: %s", (int)app->pid, strerror(-rc));
		srv.stats.refused++;
		app_detach(st, slot, NULL);
		return;
	}
	app->attach_ns = mono_ns();
	srv.stats.attached++;
	DPS_LOG(INFO, session, "app %u (%s, pid %d, uid %u) attached: %" PRIu64 " MiB segment, "
		"%u worker(s), %.3f ms", app->id, app->name, (int)app->pid, (unsigned)app->uid,
		app->size >> 20, app->n_workers, (double)(mono_ns() - t0) / 1e6);
}

/* The API connection of an attached application is readable or hung up. */
static void app_conn(struct dps_stack *st, unsigned slot, uint32_t id, uint32_t events)
{
	struct dps_app *app = srv.apps[slot];
	char buf[64];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (app == NULL || app->id != id)
		return;
	if (!(events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))) {
		n = recvmsg(app->fd, &mh, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0) {
			app_detach(st, slot, "the API socket carries nothing after the welcome");
			return;
		}
	}
	app_detach(st, slot, NULL);
}

unsigned dps_app_server_poll(struct dps_stack *st)
{
	struct epoll_event evs[32];
	unsigned work = 0;
	uint64_t now;
	int n;

	if (srv.ep < 0)
		return 0;
	n = epoll_wait(srv.ep, evs, (int)RTE_DIM(evs), 0);
	for (int i = 0; i < n; i++) {
		unsigned kind = (unsigned)(evs[i].data.u64 >> 56);
		uint32_t id = (uint32_t)(evs[i].data.u64 >> 16);
		unsigned idx = (unsigned)(evs[i].data.u64 & 0xffff);

		work++;
		if (kind == EV_LISTEN)
			accept_all();
		else if (kind == EV_PENDING && idx < APP_PENDING_MAX && srv.pend[idx].fd >= 0)
			hello(st, &srv.pend[idx]);
		else if (kind == EV_APP && idx < DPS_APP_MAX)
			app_conn(st, idx, id, evs[i].events);
	}
	/* what the workers found in the queues */
	for (unsigned slot = 0; slot < DPS_APP_MAX; slot++) {
		struct dps_app *app = srv.apps[slot];

		if (app == NULL)
			continue;
		for (unsigned i = 0; i < app->n_workers; i++) {
			struct app_wk *wk = &app->w[i];

			if (__atomic_load_n(&wk->bad, __ATOMIC_ACQUIRE)) {
				char why[sizeof(wk->why) + 16];

				snprintf(why, sizeof(why), "worker %u: %s", i, wk->why);
				app_detach(st, slot, why);
				work++;
				break;
			}
			if (__atomic_load_n(&wk->detach, __ATOMIC_ACQUIRE)) {
				app_detach(st, slot, NULL);
				work++;
				break;
			}
		}
	}
	now = mono_ns();
	for (unsigned i = 0; i < APP_PENDING_MAX; i++) {
		struct pending *p = &srv.pend[i];

		if (p->fd >= 0 && now >= p->deadline_ns) {
			send_refusal(p->fd, ETIMEDOUT, "no hello within 5 s");
			srv.stats.refused++;
			pending_close(p);
		}
	}
	if (srv.closing != NULL)
		work += reap_closing();
	return work;
}

void dps_app_server_close(void)
{
	for (unsigned i = 0; i < APP_PENDING_MAX; i++)
		if (srv.lsn.fd >= 0 && srv.pend[i].fd >= 0)
			pending_close(&srv.pend[i]);
	for (unsigned slot = 0; slot < DPS_APP_MAX; slot++) {
		if (srv.apps[slot] != NULL) {
			app_free(srv.apps[slot]);
			srv.apps[slot] = NULL;
		}
	}
	while (srv.closing != NULL) {
		struct dps_app *app = srv.closing;

		srv.closing = app->next;
		app_free(app);
	}
	if (srv.ep >= 0)
		close(srv.ep);
	srv.ep = -1;
	dps_unix_listener_close(&srv.lsn);
}

/* ---- show apps ---- */

static void app_info(const struct dps_app *app, const uint32_t *sessions,
		     struct dps_app_info *o)
{
	uint64_t now = mono_ns();

	memset(o, 0, sizeof(*o));
	o->id = app->id;
	snprintf(o->name, sizeof(o->name), "%s", app->name);
	o->pid = app->pid;
	o->uid = app->uid;
	o->closing = app->closing;
	o->seg_size = app->size;
	o->attached_ms = (now - app->attach_ns) / 1000000;
	o->n_workers = app->n_workers;
	for (unsigned i = 0; i < app->n_workers; i++) {
		const struct app_wk *wk = &app->w[i];

		o->w[i].sessions = sessions[i];
		o->w[i].q_slots = wk->q_slots;
		/* snapshots; the queues are the application's to corrupt, and
		 * dps_msgq_count clamps what it reads */
		o->w[i].q_in = dps_msgq_count(wk->qin);
		o->w[i].q_out = dps_msgq_count(wk->qout);
		o->w[i].fifos = __atomic_load_n(&wk->fifos, __ATOMIC_RELAXED);
		o->w[i].heap_used = (uint64_t)wk->heap.used_pages * DPS_HEAP_PAGE;
		o->w[i].heap_size = (uint64_t)wk->heap.n_pages * DPS_HEAP_PAGE;
		o->w[i].msgs_in = wk->msgs_in;
		o->w[i].msgs_out = wk->msgs_out;
	}
}

unsigned dps_app_list(struct dps_stack *st, struct dps_app_info *out, unsigned max)
{
	/* heap: a worker that answers after the RPC gave up still writes it */
	struct app_count *c = calloc(1, sizeof(*c));
	unsigned n;

	if (c == NULL)
		return 0;
	for (unsigned slot = 0; slot < DPS_APP_MAX && c->n < APP_LIST_MAX; slot++)
		if (srv.apps[slot] != NULL)
			c->app[c->n++] = srv.apps[slot];
	for (struct dps_app *a = srv.closing; a != NULL && c->n < APP_LIST_MAX; a = a->next)
		c->app[c->n++] = a;
	for (unsigned i = 0; i < st->n_workers; i++) {
		if (dps_worker_rpc(st, i, app_worker_count, c) == -ETIMEDOUT) {
			c = NULL;   /* left to the worker */
			break;
		}
	}
	if (c == NULL)
		return 0;
	n = RTE_MIN(c->n, max);
	for (unsigned i = 0; i < n; i++)
		app_info(c->app[i], c->sessions[i], &out[i]);
	free(c);
	return n;
}

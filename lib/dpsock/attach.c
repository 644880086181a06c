/*
 * libdpsock: attaching threads to dpstackd (dpsock_proto.h "Attach"), the
 * descriptor table, the message pump, control requests and sleeping.
 * See dpsock_internal.h for the objects and their locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dpsock_internal.h"

struct dpsl_global dpsl = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.ep_lock = PTHREAD_MUTEX_INITIALIZER,
	.free_head = -1,
	.free_tail = -1,
};

static pthread_once_t dpsl_once = PTHREAD_ONCE_INIT;
static pthread_key_t dpsl_key;
static __thread struct dpsl_att *t_att;    /* this thread's attachment */
static __thread int t_efd = -1;            /* this thread's kick eventfd */
static __thread char t_why[192];           /* why the last attach failed */
static char efd_only;                      /* key value of a thread with an efd only */

/* ------------------------------------------------------------------ time */

int64_t dpsl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t dpsl_deadline_ms(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : dpsl_now_ns() + (int64_t)timeout_ms * 1000000;
}

/* poll(2) timeout for a deadline: rounded up, -1 for none. */
static int timeout_of(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - dpsl_now_ns();
	if (left <= 0)
		return 0;
	left = (left + 999999) / 1000000;
	return left > 3600000 ? 3600000 : (int)left;
}

/* ----------------------------------------------------------------- table */

struct dpsl_sock *dpsl_slot(int fd)
{
	struct dpsl_sock *c;
	unsigned idx;

	if (fd < DPS_FD_BASE)
		return NULL;
	idx = (unsigned)(fd - DPS_FD_BASE);
	if (idx >= DPSL_MAX_FDS)
		return NULL;
	c = __atomic_load_n(&dpsl.chunks[idx >> DPSL_CHUNK_SHIFT], __ATOMIC_ACQUIRE);
	return c == NULL ? NULL : &c[idx & (DPSL_CHUNK - 1)];
}

/* One more chunk of free slots; dpsl.lock held. */
static int table_grow(void)
{
	struct dpsl_sock *c;
	unsigned i, base;

	if (dpsl.n_chunks >= DPSL_MAX_CHUNKS)
		return -EMFILE;
	c = calloc(DPSL_CHUNK, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	base = dpsl.n_chunks * DPSL_CHUNK;
	for (i = 0; i < DPSL_CHUNK; i++) {
		c[i].idx = (int32_t)(base + i);
		c[i].free_next = i + 1 < DPSL_CHUNK ? (int32_t)(base + i + 1) : -1;
	}
	__atomic_store_n(&dpsl.chunks[dpsl.n_chunks], c, __ATOMIC_RELEASE);
	dpsl.n_chunks++;
	if (dpsl.free_tail >= 0)
		dpsl_slot(DPS_FD_BASE + dpsl.free_tail)->free_next = (int32_t)base;
	else
		dpsl.free_head = (int32_t)base;
	dpsl.free_tail = (int32_t)(base + DPSL_CHUNK - 1);
	return 0;
}

struct dpsl_sock *dpsl_slot_alloc(struct dpsl_att *a, int kind)
{
	struct dpsl_sock *s;
	int rc;

	pthread_mutex_lock(&dpsl.lock);
	if (dpsl.free_head < 0 && (rc = table_grow()) != 0) {
		pthread_mutex_unlock(&dpsl.lock);
		errno = -rc;
		return NULL;
	}
	s = dpsl_slot(DPS_FD_BASE + dpsl.free_head);
	dpsl.free_head = s->free_next;
	if (dpsl.free_head < 0)
		dpsl.free_tail = -1;
	pthread_mutex_unlock(&dpsl.lock);

	memset((char *)s + offsetof(struct dpsl_sock, kind), 0,
	       sizeof(*s) - offsetof(struct dpsl_sock, kind));
	s->free_next = -1;
	s->kind = (uint8_t)kind;
	s->aq_head = s->aq_tail = s->aq_next = -1;
	STORE(s->att, a);
	if (a != NULL)
		a->n_socks++;
	return s;
}

/* Append a slot to the free list (dpsl.lock held): FIFO reuse, so a
 * closed number comes back as late as possible. */
static void free_push(struct dpsl_sock *s)
{
	s->free_next = -1;
	if (dpsl.free_tail >= 0)
		dpsl_slot(DPS_FD_BASE + dpsl.free_tail)->free_next = s->idx;
	else
		dpsl.free_head = s->idx;
	dpsl.free_tail = s->idx;
}

void dpsl_slot_free(struct dpsl_sock *s)
{
	struct dpsl_att *a = s->att;

	STORE(s->use, DPSL_U_FREE);
	__atomic_add_fetch(&s->gen, 1, __ATOMIC_RELEASE);
	STORE(s->att, NULL);
	if (a != NULL)
		a->n_socks--;
	pthread_mutex_lock(&dpsl.lock);
	free_push(s);
	pthread_mutex_unlock(&dpsl.lock);
}

/* ----------------------------------------------------------- attachments */

static struct dpsl_att *att_alloc(void)
{
	struct dpsl_att *a;

	pthread_mutex_lock(&dpsl.lock);
	a = dpsl.free_atts;
	if (a != NULL) {
		dpsl.free_atts = a->free_next;
	} else {
		a = calloc(1, sizeof(*a));
		if (a == NULL) {
			pthread_mutex_unlock(&dpsl.lock);
			errno = ENOMEM;
			return NULL;
		}
		pthread_mutex_init(&a->lock, NULL);
		a->next = dpsl.atts;
		__atomic_store_n(&dpsl.atts, a, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&dpsl.lock);
	a->free_next = NULL;
	a->live = a->tls = false;
	a->dead = 0;
	a->api_fd = -1;
	a->seg = NULL;
	a->seg_size = 0;
	a->n_workers = 0;
	a->reqs = NULL;
	a->sleepers = NULL;
	a->n_sleepers = 0;
	a->n_socks = 0;
	memset(a->w, 0, sizeof(a->w));
	return a;
}

/* Back to the free list (a locked or unreachable). */
static void att_recycle(struct dpsl_att *a)
{
	a->gen++;
	a->live = a->tls = false;
	pthread_mutex_lock(&dpsl.lock);
	a->free_next = dpsl.free_atts;
	dpsl.free_atts = a;
	pthread_mutex_unlock(&dpsl.lock);
}

static bool region_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

#define WHY(...) do { if (why != NULL) snprintf(why, why_len, __VA_ARGS__); } while (0)

int dpsl_seg_check(const void *seg, size_t size, unsigned n_workers, char *why, size_t why_len)
{
	const struct dps_seg_hdr *h = seg;
	unsigned i;

	if (seg == NULL || size < sizeof(*h)) {
		WHY("segment of %zu bytes is smaller than its header", size);
		return -EPROTO;
	}
	if (h->magic != DPS_SEG_MAGIC || h->version != DPS_API_VERSION) {
		WHY("segment: bad magic or version");
		return -EPROTO;
	}
	if (h->n_workers != n_workers || n_workers == 0 || n_workers > DPSL_MAXW) {
		WHY("segment: %u workers, welcome said %u", h->n_workers, n_workers);
		return -EPROTO;
	}
	if (h->size > size) {
		WHY("segment: header says %llu bytes, %zu mapped",
		    (unsigned long long)h->size, size);
		return -EPROTO;
	}
	for (i = 0; i < n_workers; i++) {
		const struct dps_seg_worker *w = &h->w[i];
		const uint8_t *b = seg;

		if (!region_ok(w->q_in_off, w->q_size, size) ||
		    !region_ok(w->q_out_off, w->q_size, size) ||
		    (w->q_in_off & 63) != 0 || (w->q_out_off & 63) != 0 ||
		    dps_msgq_check((const struct dps_msgq *)(b + w->q_in_off), w->q_size) != 0 ||
		    dps_msgq_check((const struct dps_msgq *)(b + w->q_out_off), w->q_size) != 0) {
			WHY("segment: worker %u: bad message queue", i);
			return -EPROTO;
		}
		if (w->q_in_off == w->q_out_off) {
			WHY("segment: worker %u: one queue for both directions", i);
			return -EPROTO;
		}
		if (!region_ok(w->heap_off, w->heap_size, size) || (w->heap_off & 7) != 0) {
			WHY("segment: worker %u: FIFO heap outside the segment", i);
			return -EPROTO;
		}
		if (w->evt_count == 0 || w->evt_count > (1u << 24) ||
		    !region_ok(w->evt_off, w->evt_count, size)) {
			WHY("segment: worker %u: event flags outside the segment", i);
			return -EPROTO;
		}
	}
	return 0;
}

struct dps_fifo *dpsl_fifo_at(const struct dpsl_att *a, unsigned w, uint64_t off)
{
	const struct dpsl_wk *k;
	struct dps_fifo *f;

	if (w >= a->n_workers)
		return NULL;
	k = &a->w[w];
	if (off < k->heap_off || off >= k->heap_end || (off & 7) != 0 ||
	    k->heap_end - off < sizeof(struct dps_fifo))
		return NULL;
	f = (struct dps_fifo *)(a->seg + off);
	if (dps_fifo_check(f, k->heap_end - off) != 0)
		return NULL;
	return f;
}

static void close_fds(int *fds, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* A size in bytes with an optional K, M or G: DPSTACK_SEG_SIZE. */
static uint64_t env_size(const char *name)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtoull(v, &end, 0);
	switch (*end) {
	case 'k': case 'K': n <<= 10; break;
	case 'm': case 'M': n <<= 20; break;
	case 'g': case 'G': n <<= 30; break;
	default: break;
	}
	return n;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	if (src == NULL)
		src = "";
	strncpy(dst, src, size - 1);
	dst[size - 1] = '\0';
}

/* Receive the welcome and its descriptors. Returns bytes or -errno. */
static ssize_t recv_welcome(int fd, struct dps_api_welcome *wel, int *fds, unsigned *n_fds)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * (1 + 2 * DPSL_MAXW))];
	} cm;
	struct iovec iov = { .iov_base = wel, .iov_len = sizeof(*wel) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cm.buf, .msg_controllen = sizeof(cm.buf),
	};
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;
	int rc;

	*n_fds = 0;
	do
		rc = poll(&pfd, 1, 10000);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return -ETIMEDOUT;
	if (rc < 0)
		return -errno;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t k, cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < cnt && *n_fds < 1 + 2 * DPSL_MAXW; k++)
			memcpy(&fds[(*n_fds)++], CMSG_DATA(c) + k * sizeof(int), sizeof(int));
	}
	if (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC))
		return -EPROTO;
	return n;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* Connect, hello, welcome, map, check. 0 or -errno (t_why says more). */
static int att_attach(struct dpsl_att *a, const char *name)
{
	const char *path = getenv(DPS_API_ENV);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct dps_api_hello hello;
	struct dps_api_welcome wel;
	int fds[1 + 2 * DPSL_MAXW];
	unsigned n_fds = 0, nw, i;
	struct stat st;
	const struct dps_seg_hdr *h;
	void *seg;
	ssize_t n;
	int fd, rc;

	t_why[0] = '\0';
	if (path == NULL || *path == '\0')
		path = DPS_API_PATH;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(t_why, sizeof(t_why), "API path too long");
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = errno;
		close(fd);
		snprintf(t_why, sizeof(t_why), "no dpstackd at %s: %s", path, strerror(rc));
		/* a socket file nobody listens on: no daemon either */
		return rc == ECONNREFUSED ? -ENOENT : -rc;
	}
	memset(&hello, 0, sizeof(hello));
	hello.magic = DPS_API_MAGIC;
	hello.version = DPS_API_VERSION;
	hello.seg_size = env_size("DPSTACK_SEG_SIZE");
	copy_str(hello.name, sizeof(hello.name), name);
	copy_str(hello.secret, sizeof(hello.secret), getenv(DPS_API_SECRET_ENV));
	copy_str(hello.ns, sizeof(hello.ns), getenv("DPSTACK_NS"));
	if (send(fd, &hello, sizeof(hello), MSG_NOSIGNAL) != (ssize_t)sizeof(hello)) {
		rc = errno;
		close(fd);
		return -rc;
	}
	memset(&wel, 0, sizeof(wel));
	n = recv_welcome(fd, &wel, fds, &n_fds);
	if (n < 0) {
		rc = (int)n;
		goto fail;
	}
	rc = -EPROTO;
	if (n == 0) {
		snprintf(t_why, sizeof(t_why), "dpstackd closed the API socket");
		rc = -ECONNRESET;
		goto fail;
	}
	if (n != (ssize_t)sizeof(wel) || wel.magic != DPS_API_MAGIC ||
	    wel.version != DPS_API_VERSION) {
		snprintf(t_why, sizeof(t_why), "not a dpstackd welcome (%zd bytes)", n);
		goto fail;
	}
	if (wel.error != 0) {
		wel.message[sizeof(wel.message) - 1] = '\0';
		snprintf(t_why, sizeof(t_why), "%s", wel.message);
		rc = wel.error > 0 && wel.error < 4096 ? -wel.error : -EPROTO;
		goto fail;
	}
	nw = wel.n_workers;
	if (nw == 0 || nw > DPSL_MAXW || n_fds != 1 + 2 * nw) {
		snprintf(t_why, sizeof(t_why), "welcome: %u workers, %u descriptors", nw, n_fds);
		goto fail;
	}
	if (fstat(fds[0], &st) < 0 || wel.seg_size < sizeof(struct dps_seg_hdr) ||
	    wel.seg_size > DPS_SEG_MAX || (uint64_t)st.st_size < wel.seg_size) {
		snprintf(t_why, sizeof(t_why), "welcome: bad segment size");
		goto fail;
	}
	seg = mmap(NULL, wel.seg_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (seg == MAP_FAILED) {
		rc = -errno;
		snprintf(t_why, sizeof(t_why), "mmap of the segment: %s", strerror(errno));
		goto fail;
	}
	close(fds[0]);
	fds[0] = -1;
	if (dpsl_seg_check(seg, wel.seg_size, nw, t_why, sizeof(t_why)) != 0) {
		munmap(seg, wel.seg_size);
		goto fail;
	}
	h = seg;
	a->seg = seg;
	a->seg_size = wel.seg_size;
	a->n_workers = nw;
	a->app_id = wel.app_id;
	for (i = 0; i < nw; i++) {
		const struct dps_seg_worker *sw = &h->w[i];
		struct dpsl_wk *k = &a->w[i];

		k->in = (struct dps_msgq *)(a->seg + sw->q_in_off);
		k->out = (struct dps_msgq *)(a->seg + sw->q_out_off);
		k->heap_off = sw->heap_off;
		k->heap_end = sw->heap_off + sw->heap_size;
		k->evt = a->seg + sw->evt_off;
		k->evt_count = sw->evt_count;
		k->doorbell = fds[1 + i];
		k->wake = fds[1 + nw + i];
		fds[1 + i] = fds[1 + nw + i] = -1;
		set_nonblock(k->doorbell);
		set_nonblock(k->wake);
		k->map = malloc(sizeof(int32_t) * k->evt_count);
		if (k->map == NULL) {
			rc = -ENOMEM;
			a->api_fd = fd;
			a->live = true;
			a->dead = ENOMEM;
			return rc;   /* the caller unmaps */
		}
		memset(k->map, 0xff, sizeof(int32_t) * k->evt_count);
	}
	copy_str(a->name, sizeof(a->name), name);
	a->api_fd = fd;
	a->live = true;
	return 0;
fail:
	close_fds(fds, n_fds);
	close(fd);
	return rc;
}

/* Unmap and close everything; a locked. */
static void att_unmap(struct dpsl_att *a)
{
	unsigned i;

	if (!a->live)
		return;
	for (i = 0; i < a->n_workers; i++) {
		struct dpsl_wk *k = &a->w[i];

		if (k->doorbell >= 0)
			close(k->doorbell);
		if (k->wake >= 0)
			close(k->wake);
		free(k->map);
		k->map = NULL;
		k->doorbell = k->wake = -1;
	}
	if (a->api_fd >= 0)
		close(a->api_fd);
	a->api_fd = -1;
	if (a->seg != NULL)
		munmap(a->seg, a->seg_size);
	a->seg = NULL;
	a->live = false;
	if (a->sleepers != NULL)
		dpsl_kick(a->sleepers);
}

static struct dpsl_att *attach_new(const char *name)
{
	struct dpsl_att *a = att_alloc();
	int rc;

	if (a == NULL)
		return NULL;
	pthread_mutex_lock(&a->lock);
	rc = att_attach(a, name);
	if (rc != 0) {
		att_unmap(a);
		att_recycle(a);
		pthread_mutex_unlock(&a->lock);
		errno = -rc;
		return NULL;
	}
	a->tls = true;
	t_att = a;
	pthread_setspecific(dpsl_key, a);
	pthread_mutex_unlock(&a->lock);
	return a;
}

/* The thread's attachment stops being its own (dead, or the thread leaves). */
static void att_disown(struct dpsl_att *a)
{
	pthread_mutex_lock(&a->lock);
	a->tls = false;
	dpsl_att_maybe_release(a);
	pthread_mutex_unlock(&a->lock);
}

struct dpsl_att *dpsl_att_self(void)
{
	struct dpsl_att *a = t_att;

	dpsl_init();
	if (a != NULL && LOAD(a->dead) == 0)
		return a;
	if (a != NULL) {
		t_att = NULL;
		att_disown(a);
	}
	return attach_new(program_invocation_short_name);
}

void dpsl_att_detach(struct dpsl_att *a)
{
	unsigned i;

	if (!a->live)
		return;
	for (i = 0; i < LOAD(dpsl.n_chunks) * DPSL_CHUNK; i++) {
		struct dpsl_sock *s = dpsl_slot(DPS_FD_BASE + (int)i);

		if (s != NULL && LOAD(s->att) == a && LOAD(s->use) != DPSL_U_FREE)
			dpsl_sock_close(s);
	}
	if (a->dead == 0) {
		struct dps_msg m = { .type = DPS_MSG_DETACH };

		dpsl_post(a, 0, &m);
		dpsl_flush(a);
	}
	att_unmap(a);
}

void dpsl_att_maybe_release(struct dpsl_att *a)
{
	if (!a->live || a->tls || a->n_socks > 0)
		return;
	dpsl_att_detach(a);
	att_recycle(a);
}

/* dpstackd went away (or detached us): every socket fails. a locked. */
static void att_die(struct dpsl_att *a, int err)
{
	if (a->dead != 0)
		return;
	STORE(a->dead, err);
	dpsl_sock_orphan_all(a);
	if (a->sleepers != NULL)
		dpsl_kick(a->sleepers);
}

/* The API socket woke us: dpstackd's last word, or its end. a locked. */
static void att_check_api(struct dpsl_att *a)
{
	struct dps_api_welcome w;
	ssize_t n;

	if (a->api_fd < 0 || a->dead != 0)
		return;
	n = recv(a->api_fd, &w, sizeof(w), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* dpstackd detached us for bad input: its reason, for dps_attach_error() */
	if (n == (ssize_t)sizeof(w) && w.magic == DPS_API_MAGIC && w.error != 0) {
		w.message[sizeof(w.message) - 1] = '\0';
		snprintf(t_why, sizeof(t_why), "detached by dpstackd: %s", w.message);
	} else {
		snprintf(t_why, sizeof(t_why), "dpstackd closed the API socket");
	}
	att_die(a, ECONNRESET);
}

/* ------------------------------------------------------------- messages */

int dpsl_post(struct dpsl_att *a, unsigned w, const struct dps_msg *m)
{
	struct timespec ts = { 0, 20000 };
	unsigned tries = 0;

	if (!a->live || a->dead != 0)
		return -ENETDOWN;
	if (w >= a->n_workers)
		return -EINVAL;
	while (dps_msgq_enqueue(a->w[w].in, m, 1) == 0) {
		/* full: the worker is behind; make sure it is awake, back off,
		 * and notice a daemon that is gone */
		dps_msgq_notify(a->w[w].in, a->w[w].doorbell);
		if ((++tries & 63) == 0) {
			att_check_api(a);
			if (a->dead != 0)
				return -ENETDOWN;
		}
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 1000000)
			ts.tv_nsec *= 2;
	}
	a->w[w].ring = true;
	return 0;
}

void dpsl_flush(struct dpsl_att *a)
{
	unsigned i;

	if (!a->live)
		return;
	for (i = 0; i < a->n_workers; i++) {
		if (!a->w[i].ring)
			continue;
		a->w[i].ring = false;
		dps_msgq_notify(a->w[i].in, a->w[i].doorbell);
	}
}

uint64_t dpsl_req_id(struct dpsl_att *a, unsigned type, int32_t idx)
{
	if (++a->req_seq == 0)
		a->req_seq = 1;
	return ((uint64_t)(type & 0xff) << 56) | ((uint64_t)((uint32_t)idx & 0xffffff) << 32) |
	       a->req_seq;
}

/* A REPLY or CONNECTED some request waits for. */
static bool req_match(struct dpsl_att *a, const struct dps_msg *m)
{
	struct dpsl_req *r;

	for (r = a->reqs; r != NULL; r = r->next) {
		if (r->id == m->args[5] && !r->done) {
			r->reply = *m;
			r->done = true;
			return true;
		}
	}
	return false;
}

unsigned dpsl_pump(struct dpsl_att *a)
{
	struct dps_msg m[32];
	unsigned total = 0, w, i, n;

	if (!a->live)
		return 0;
	for (w = 0; w < a->n_workers; w++) {
		while ((n = dps_msgq_dequeue(a->w[w].out, m, 32)) > 0) {
			for (i = 0; i < n; i++) {
				if ((m[i].type == DPS_MSG_REPLY || m[i].type == DPS_MSG_CONNECTED) &&
				    req_match(a, &m[i]))
					continue;
				dpsl_on_msg(a, w, &m[i]);
			}
			total += n;
			if (!a->live)
				return total;
		}
	}
	if (total > 0) {
		a->ev_seq += total;
		if (a->sleepers != NULL)
			dpsl_kick(a->sleepers);
	}
	return total;
}

int dpsl_request(struct dpsl_att *a, unsigned w, struct dps_msg *m, struct dps_msg *reply)
{
	struct dpsl_req r = { 0 }, **pp;
	int64_t deadline = dpsl_now_ns() + (int64_t)DPSL_REQ_TIMEOUT_MS * 1000000;
	uint32_t gen = a->gen;
	uint64_t seq;
	int rc;

	if (m->args[5] == 0)
		m->args[5] = dpsl_req_id(a, m->type, 0);
	r.id = m->args[5];
	rc = dpsl_post(a, w, m);
	if (rc != 0)
		return rc;
	r.next = a->reqs;
	a->reqs = &r;
	dpsl_flush(a);
	for (;;) {
		dpsl_pump(a);
		if (r.done)
			break;
		if (a->dead != 0 || !a->live) {
			rc = -ENETDOWN;
			break;
		}
		seq = a->ev_seq;
		pthread_mutex_unlock(&a->lock);
		rc = dpsl_sleep(&a, &seq, 1, NULL, NULL, 0, deadline);
		pthread_mutex_lock(&a->lock);
		if (a->gen != gen) {
			/* detached and recycled meanwhile: r is no longer linked */
			return -ENETDOWN;
		}
		if (rc == -ETIMEDOUT) {
			dpsl_pump(a);
			if (!r.done)
				break;
		}
		rc = 0;   /* control requests are not interrupted by signals */
	}
	for (pp = &a->reqs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == &r) {
			*pp = r.next;
			break;
		}
	}
	if (!r.done)
		return rc != 0 ? rc : -ETIMEDOUT;
	*reply = r.reply;
	return 0;
}

/* ---------------------------------------------------------------- sleep */

static int self_efd(void)
{
	if (t_efd < 0) {
		int fd = dps_eventfd_open();

		if (fd < 0)
			return -1;
		t_efd = fd;
		if (pthread_getspecific(dpsl_key) == NULL)
			pthread_setspecific(dpsl_key, &efd_only);
	}
	return t_efd;
}

void dpsl_kick(struct dpsl_sleeper *list)
{
	for (; list != NULL; list = list->next)
		if (list->efd >= 0)
			dps_eventfd_signal(list->efd);
}

static void unlink_sleeper(struct dpsl_sleeper **head, struct dpsl_sleeper *me)
{
	for (; *head != NULL; head = &(*head)->next) {
		if (*head == me) {
			*head = me->next;
			return;
		}
	}
}

/*
 * Arm every queue of a for sleeping (msgq.h C1-C3). false if a message
 * is already waiting (then nothing stays armed unless others sleep).
 */
static bool att_arm(struct dpsl_att *a)
{
	unsigned w, j;

	for (w = 0; w < a->n_workers; w++) {
		if (dps_msgq_sleep_begin(a->w[w].out) != 0) {
			if (a->n_sleepers == 0)
				for (j = 0; j < w; j++)
					dps_msgq_sleep_end(a->w[j].out);
			return false;
		}
	}
	return true;
}

static void att_disarm(struct dpsl_att *a)
{
	unsigned w;

	if (!a->live)
		return;
	if (a->n_sleepers == 0) {
		for (w = 0; w < a->n_workers; w++)
			dps_msgq_sleep_end(a->w[w].out);
	} else {
		/* the others may rely on flags a waker cleared: let them
		 * look again and re-arm */
		dpsl_kick(a->sleepers);
	}
}

int dpsl_sleep(struct dpsl_att *const *atts, const uint64_t *seqs, unsigned n,
	       struct dpsl_ep *ep, struct pollfd *extra, unsigned n_extra, int64_t deadline)
{
	struct pollfd stack_pfd[32];
	struct dpsl_sleeper stack_nodes[4], ep_node;
	struct pollfd *pfd = stack_pfd;
	struct dpsl_sleeper *nodes = stack_nodes;
	unsigned max_pfd = 1 + n * (DPSL_MAXW + 1) + n_extra;
	unsigned np = 0, i, armed = 0, w;
	uint32_t *first = NULL;        /* each attachment's first pollfd, or UINT32_MAX */
	uint32_t stack_first[4];
	bool ep_linked = false, abort = false;
	int efd = self_efd(), rc = 0, err = 0, tmo;

	if (max_pfd > 32 || n > 4) {
		pfd = malloc(sizeof(*pfd) * max_pfd);
		nodes = malloc(sizeof(*nodes) * (n ? n : 1));
		first = malloc(sizeof(*first) * (n ? n : 1));
		if (pfd == NULL || nodes == NULL || first == NULL) {
			free(pfd);
			free(nodes);
			free(first);
			/* cannot sleep properly: a short nap instead */
			poll(NULL, 0, 1);
			return 0;
		}
	} else {
		first = stack_first;
	}
	if (efd >= 0)
		pfd[np++] = (struct pollfd){ .fd = efd, .events = POLLIN };
	for (i = 0; i < n; i++) {
		struct dpsl_att *a = atts[i];

		first[i] = UINT32_MAX;   /* not linked */
		pthread_mutex_lock(&a->lock);
		if (!a->live || a->dead != 0) {
			pthread_mutex_unlock(&a->lock);
			continue;
		}
		dpsl_flush(a);
		if ((seqs != NULL && a->ev_seq != seqs[i]) || !att_arm(a)) {
			pthread_mutex_unlock(&a->lock);
			abort = true;
			break;
		}
		nodes[i].efd = efd;
		nodes[i].gen = a->gen;
		nodes[i].next = a->sleepers;
		a->sleepers = &nodes[i];
		a->n_sleepers++;
		first[i] = np;
		for (w = 0; w < a->n_workers; w++)
			pfd[np++] = (struct pollfd){ .fd = a->w[w].wake, .events = POLLIN };
		pfd[np++] = (struct pollfd){ .fd = a->api_fd, .events = POLLIN };
		pthread_mutex_unlock(&a->lock);
		armed = i + 1;
	}
	if (!abort && ep != NULL) {
		pthread_mutex_lock(&dpsl.ep_lock);
		if (ep->n_ready > 0) {
			abort = true;
		} else {
			ep_node.efd = efd;
			ep_node.next = ep->sleepers;
			ep->sleepers = &ep_node;
			ep_linked = true;
		}
		pthread_mutex_unlock(&dpsl.ep_lock);
	}
	if (!abort) {
		unsigned x0 = np;

		for (i = 0; i < n_extra; i++)
			pfd[np++] = extra[i];
		tmo = timeout_of(deadline);
		if (efd < 0 && (tmo < 0 || tmo > 10))
			tmo = 10;   /* nobody can kick us: look again soon */
		rc = poll(pfd, np, tmo);
		err = errno;
		for (i = 0; i < n_extra; i++)
			extra[i].revents = pfd[x0 + i].revents;
	}
	if (ep_linked) {
		pthread_mutex_lock(&dpsl.ep_lock);
		unlink_sleeper(&ep->sleepers, &ep_node);
		pthread_mutex_unlock(&dpsl.ep_lock);
	}
	for (i = 0; i < armed; i++) {
		struct dpsl_att *a = atts[i];

		if (first[i] == UINT32_MAX)
			continue;
		pthread_mutex_lock(&a->lock);
		if (a->gen != nodes[i].gen) {
			/* detached and recycled while we slept */
			pthread_mutex_unlock(&a->lock);
			continue;
		}
		unlink_sleeper(&a->sleepers, &nodes[i]);
		a->n_sleepers--;
		if (!a->live || a->dead != 0) {
			pthread_mutex_unlock(&a->lock);
			continue;
		}
		att_disarm(a);
		if (!abort && rc > 0) {
			for (w = 0; w < a->n_workers; w++)
				if (pfd[first[i] + w].revents & POLLIN)
					dps_eventfd_drain(a->w[w].wake);
			if (pfd[first[i] + a->n_workers].revents)
				att_check_api(a);
		}
		pthread_mutex_unlock(&a->lock);
	}
	if (!abort && rc > 0 && efd >= 0 && (pfd[0].revents & POLLIN))
		dps_eventfd_drain(efd);
	if (pfd != stack_pfd) {
		free(pfd);
		free(nodes);
		free(first);
	}
	if (abort)
		return 0;
	if (rc < 0)
		return err == EINTR ? -EINTR : 0;
	if (rc == 0 && deadline >= 0 && dpsl_now_ns() >= deadline)
		return -ETIMEDOUT;
	return 0;
}

/* ------------------------------------------------- thread, exit and fork */

static void tls_destructor(void *p)
{
	struct dpsl_att *a = p == &efd_only ? NULL : p;

	if (a != NULL && a == t_att) {
		t_att = NULL;
		att_disown(a);
	}
	if (t_efd >= 0) {
		close(t_efd);
		t_efd = -1;
	}
}

static void at_exit(void)
{
	struct dpsl_att *a;

	for (a = __atomic_load_n(&dpsl.atts, __ATOMIC_ACQUIRE); a != NULL; a = a->next) {
		if (pthread_mutex_trylock(&a->lock) != 0)
			continue;
		if (a->live)
			dpsl_att_detach(a);
		pthread_mutex_unlock(&a->lock);
	}
}

static void fork_prepare(void)
{
	struct dpsl_att *a;

	for (a = __atomic_load_n(&dpsl.atts, __ATOMIC_ACQUIRE); a != NULL; a = a->next)
		pthread_mutex_lock(&a->lock);
	pthread_mutex_lock(&dpsl.ep_lock);
	pthread_mutex_lock(&dpsl.lock);
}

static void fork_parent(void)
{
	struct dpsl_att *a;

	pthread_mutex_unlock(&dpsl.lock);
	pthread_mutex_unlock(&dpsl.ep_lock);
	for (a = dpsl.atts; a != NULL; a = a->next)
		pthread_mutex_unlock(&a->lock);
}

/*
 * The child shares the parent's segments and queues: touching them would
 * corrupt the parent's sessions. It lets go of all of them (without a word
 * to dpstackd, which still serves the parent): inherited sockets are gone
 * (EBADF), epoll instances stay (empty of sockets), and the child's first
 * socket call attaches it anew.
 */
static void fork_child(void)
{
	struct dpsl_att *a;
	unsigned i;

	for (i = 0; i < dpsl.n_chunks * DPSL_CHUNK; i++) {
		struct dpsl_sock *s = dpsl_slot(DPS_FD_BASE + (int)i);

		if (s->use == DPSL_U_FREE || s->kind == DPSL_K_EPOLL)
			continue;
		s->watch = NULL;   /* the instances drop their items below */
		s->use = DPSL_U_FREE;
		s->gen++;
		s->att = NULL;
		free_push(s);
	}
	for (i = 0; i < dpsl.n_chunks * DPSL_CHUNK; i++) {
		struct dpsl_sock *s = dpsl_slot(DPS_FD_BASE + (int)i);
		struct dpsl_item *it, *nx;

		if (s->use == DPSL_U_FREE || s->kind != DPSL_K_EPOLL || s->ep == NULL)
			continue;
		for (it = s->ep->items; it != NULL; it = nx) {
			nx = it->enext;
			free(it);
		}
		free(s->ep->atts);
		s->ep->items = s->ep->rhead = s->ep->rtail = NULL;
		s->ep->n_ready = 0;
		s->ep->sleepers = NULL;
		s->ep->atts = NULL;
		s->ep->n_atts = s->ep->cap_atts = 0;
	}
	for (a = dpsl.atts; a != NULL; a = a->next) {
		if (a->live) {
			a->sleepers = NULL;
			a->n_sleepers = 0;
			a->reqs = NULL;
			att_unmap(a);
			a->n_socks = 0;
			a->gen++;
			a->tls = false;
			a->free_next = dpsl.free_atts;
			dpsl.free_atts = a;
		}
	}
	t_att = NULL;
	if (t_efd >= 0) {
		close(t_efd);
		t_efd = -1;
	}
	pthread_mutex_unlock(&dpsl.lock);
	pthread_mutex_unlock(&dpsl.ep_lock);
	for (a = dpsl.atts; a != NULL; a = a->next)
		pthread_mutex_unlock(&a->lock);
}

static void once_init(void)
{
	pthread_key_create(&dpsl_key, tls_destructor);
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	atexit(at_exit);
}

void dpsl_init(void)
{
	pthread_once(&dpsl_once, once_init);
}

/* ------------------------------------------------------------ public API */

__attribute__((visibility("default")))
int dps_attach(const char *name)
{
	struct dpsl_att *a = t_att;

	dpsl_init();
	if (a != NULL && LOAD(a->dead) == 0)
		return 0;
	if (a != NULL) {
		t_att = NULL;
		att_disown(a);
	}
	return attach_new(name != NULL && *name != '\0' ? name : program_invocation_short_name)
	       == NULL ? -1 : 0;
}

__attribute__((visibility("default")))
int dps_detach(void)
{
	struct dpsl_att *a = t_att;

	if (a == NULL)
		return 0;
	t_att = NULL;
	pthread_setspecific(dpsl_key, t_efd >= 0 ? &efd_only : NULL);
	pthread_mutex_lock(&a->lock);
	dpsl_att_detach(a);
	att_recycle(a);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

__attribute__((visibility("default")))
const char *dps_attach_error(void)
{
	return t_why;
}

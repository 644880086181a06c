/* The forged dpstackd of fake_daemon.h. */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "fake_daemon.h"

struct fake fake;

#define QSLOTS 256
#define EVTS   FAKE_SESS

static size_t al64(size_t v)
{
	return (v + 63) & ~(size_t)63;
}

static void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void violation(const char *fmt, ...)
{
	va_list ap;

	fake.violations++;
	va_start(ap, fmt);
	vsnprintf(fake.last_violation, sizeof(fake.last_violation), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fake dpstackd: violation: %s\n", fake.last_violation);
}

size_t fake_seg_size(int nw)
{
	size_t per = 2 * al64(dps_msgq_footprint(QSLOTS)) + al64(EVTS) + FAKE_HEAP;

	return al64(sizeof(struct dps_seg_hdr)) + (size_t)nw * per;
}

void fake_seg_layout(uint8_t *mem, size_t size, int nw, struct fake_app *app)
{
	struct dps_seg_hdr *h = (struct dps_seg_hdr *)mem;
	size_t off = al64(sizeof(*h));
	int w;

	memset(h, 0, sizeof(*h));
	h->magic = DPS_SEG_MAGIC;
	h->version = DPS_API_VERSION;
	h->n_workers = (uint16_t)nw;
	h->size = size;
	for (w = 0; w < nw; w++) {
		struct dps_seg_worker *sw = &h->w[w];
		size_t q = al64(dps_msgq_footprint(QSLOTS));

		sw->q_size = (uint32_t)q;
		sw->q_in_off = off;
		dps_msgq_init(mem + off, q);
		off += q;
		sw->q_out_off = off;
		dps_msgq_init(mem + off, q);
		off += q;
		sw->evt_off = off;
		sw->evt_count = EVTS;
		off += al64(EVTS);
		sw->heap_off = off;
		sw->heap_size = FAKE_HEAP;
		off += FAKE_HEAP;
		if (app != NULL) {
			app->in[w] = (struct dps_msgq *)(mem + sw->q_in_off);
			app->out[w] = (struct dps_msgq *)(mem + sw->q_out_off);
			app->evt[w] = mem + sw->evt_off;
			app->heap_off[w] = app->heap_next[w] = sw->heap_off;
			app->heap_end[w] = sw->heap_off + sw->heap_size;
		}
	}
}

/* ------------------------------------------------------------ control */

static int send_welcome(int fd, const struct dps_api_welcome *wel, const int *fds, int n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * (1 + 2 * FAKE_NW))];
	} cm;
	struct iovec iov = { .iov_base = (void *)wel, .iov_len = sizeof(*wel) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fake.forge == FORGE_SHORT)
		iov.iov_len = 20;
	if (n > 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static void serve_hello(int fd)
{
	struct dps_api_hello hello;
	struct dps_api_welcome wel;
	struct fake_app *app = NULL;
	int fds[1 + 2 * FAKE_NW], n = 0, i, mfd, nw = fake.nw;
	size_t size = fake_seg_size(nw);
	uint8_t *mem;

	if (recv(fd, &hello, sizeof(hello), 0) != (ssize_t)sizeof(hello) ||
	    hello.magic != DPS_API_MAGIC) {
		close(fd);
		return;
	}
	memset(&wel, 0, sizeof(wel));
	wel.magic = DPS_API_MAGIC;
	wel.version = DPS_API_VERSION;
	if (fake.forge == FORGE_ERROR) {
		wel.error = EPERM;
		snprintf(wel.message, sizeof(wel.message), "forged refusal");
		send_welcome(fd, &wel, NULL, 0);
		close(fd);
		return;
	}
	pthread_mutex_lock(&fake.lock);
	for (i = 0; i < FAKE_APPS; i++) {
		if (!fake.app[i].used) {
			app = &fake.app[i];
			break;
		}
	}
	pthread_mutex_unlock(&fake.lock);
	if (app == NULL) {
		close(fd);
		return;
	}
	mfd = memfd_create("fake-seg", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)size) < 0) {
		close(fd);
		return;
	}
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (mem == MAP_FAILED) {
		close(fd);
		return;
	}
	memset(app, 0, sizeof(*app));
	fake_seg_layout(mem, size, nw, app);
	if (fake.forge == FORGE_BAD_QUEUE)
		((struct dps_seg_hdr *)mem)->w[nw - 1].q_out_off = size;
	if (fake.forge == FORGE_BAD_MAGIC)
		((struct dps_seg_hdr *)mem)->magic = 0;
	app->seg = mem;
	app->size = size;
	app->nw = nw;
	app->fd = fd;
	memcpy(app->name, hello.name, sizeof(app->name));
	fds[n++] = mfd;
	for (i = 0; i < nw; i++)
		fds[n++] = app->doorbell[i] = dps_eventfd_open();
	for (i = 0; i < nw; i++)
		fds[n++] = app->wake[i] = dps_eventfd_open();
	wel.n_workers = (uint16_t)nw;
	wel.seg_size = size;
	wel.app_id = (uint32_t)(app - fake.app) + 1;
	if (fake.forge == FORGE_FD_COUNT)
		n--;
	/* in use before the application hears of it: it may be quick to leave */
	pthread_mutex_lock(&fake.lock);
	app->used = true;
	fake.n_attach++;
	pthread_mutex_unlock(&fake.lock);
	send_welcome(fd, &wel, fds, n);
	close(mfd);
}

static void app_drop(struct fake_app *app)
{
	int w;

	for (w = 0; w < app->nw; w++) {
		close(app->doorbell[w]);
		close(app->wake[w]);
	}
	close(app->fd);
	munmap(app->seg, app->size);
	app->used = false;
}

static void *ctl_main(void *arg)
{
	(void)arg;
	while (!fake.stop) {
		struct pollfd p[1 + FAKE_APPS];
		int n = 1, i, idx[FAKE_APPS];

		p[0] = (struct pollfd){ .fd = fake.lfd, .events = POLLIN };
		pthread_mutex_lock(&fake.lock);
		for (i = 0; i < FAKE_APPS; i++) {
			if (fake.app[i].used && fake.app[i].fd >= 0) {
				idx[n - 1] = i;
				p[n++] = (struct pollfd){ .fd = fake.app[i].fd, .events = POLLIN };
			}
		}
		pthread_mutex_unlock(&fake.lock);
		if (poll(p, (nfds_t)n, 20) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int fd = accept4(fake.lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0)
				serve_hello(fd);
		}
		for (i = 1; i < n; i++) {
			if (p[i].revents == 0)
				continue;
			/* the application closed its API socket: it is gone */
			pthread_mutex_lock(&fake.lock);
			if (fake.app[idx[i - 1]].used)
				app_drop(&fake.app[idx[i - 1]]);
			pthread_mutex_unlock(&fake.lock);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------- worker */

static void post(struct fake_app *a, int w, const struct dps_msg *m)
{
	while (dps_msgq_enqueue(a->out[w], m, 1) == 0)
		usleep(100);
	dps_msgq_notify(a->out[w], a->wake[w]);
}

static struct fake_sess *held(struct fake_app *a, int w, uint64_t h)
{
	uint32_t sd = (uint32_t)dps_handle_sd(h);

	if ((int)dps_handle_worker(h) != w || sd >= FAKE_SESS)
		return NULL;
	if (a->s[w][sd].state == 0 || (a->s[w][sd].gen & 0xffffff) != dps_handle_gen(h))
		return NULL;
	return &a->s[w][sd];
}

static int sess_new(struct fake_app *a, int w, int state)
{
	int sd;

	for (sd = 1; sd < FAKE_SESS; sd++) {
		if (a->s[w][sd].state == 0) {
			uint32_t gen = a->s[w][sd].gen;

			memset(&a->s[w][sd], 0, sizeof(a->s[w][sd]));
			a->s[w][sd].gen = gen;
			a->s[w][sd].state = state;
			a->evt[w][sd] = 0;
			return sd;
		}
	}
	return -1;
}

static uint64_t fifo_new(struct fake_app *a, int w, uint32_t cap)
{
	size_t sz = dps_fifo_footprint(cap);
	uint64_t off = a->heap_next[w];

	if (off + sz > a->heap_end[w])
		return 0;
	dps_fifo_init(a->seg + off, sz);
	a->heap_next[w] += al64(sz);
	return off;
}

static uint32_t cap_of(uint32_t v)
{
	uint32_t c = 4096;

	if (v == 0)
		return 16384;
	while (c < v * 2 && c < (1u << 20))
		c <<= 1;
	return c;
}

static uint64_t sess_fifos(struct fake_app *a, int w, int sd, uint64_t bufs, uint64_t *rx,
			   uint64_t *tx)
{
	*rx = fifo_new(a, w, cap_of((uint32_t)bufs));
	*tx = fifo_new(a, w, cap_of((uint32_t)(bufs >> 32)));
	a->s[w][sd].rx = (struct dps_fifo *)(a->seg + *rx);
	a->s[w][sd].tx = (struct dps_fifo *)(a->seg + *tx);
	return dps_handle((unsigned)w, a->s[w][sd].gen, sd);
}

static void post_rx(struct fake_app *a, int w, uint64_t h)
{
	uint8_t *e = &a->evt[w][dps_handle_sd(h)];

	if (!(__atomic_fetch_or(e, DPS_EVT_RX, __ATOMIC_SEQ_CST) & DPS_EVT_RX)) {
		struct dps_msg m = { .type = DPS_MSG_RX, .session = h };

		post(a, w, &m);
	}
}

static void on_msg(struct fake_app *a, int w, const struct dps_msg *m)
{
	struct dps_msg r;
	struct fake_sess *s = NULL;
	int sd;

	memset(&r, 0, sizeof(r));
	r.args[5] = m->args[5];
	switch (m->type) {
	case DPS_MSG_LISTEN:
		if (m->session != 0 || m->args[0] != IPPROTO_TCP)
			violation("LISTEN: session %llx proto %llu",
				  (unsigned long long)m->session, (unsigned long long)m->args[0]);
		r.type = DPS_MSG_REPLY;
		sd = sess_new(a, w, 1);
		if ((uint16_t)(m->args[1] >> 32) == 9) {
			r.error = EADDRINUSE;   /* port 9 is "in use" */
			a->s[w][sd].state = 0;
		} else {
			uint16_t port = (uint16_t)(m->args[1] >> 32);

			if (port == 0)
				port = (uint16_t)(40000 + sd);
			a->s[w][sd].port = port;
			r.session = dps_handle((unsigned)w, a->s[w][sd].gen, sd);
			r.args[1] = (uint32_t)m->args[1] | (uint64_t)port << 32;
		}
		post(a, w, &r);
		return;
	case DPS_MSG_CONNECT:
		r.type = DPS_MSG_CONNECTED;
		if (m->args[0] == IPPROTO_UDP && m->session != 0) {
			s = held(a, w, m->session);
			if (s == NULL || s->state != 3) {
				violation("UDP CONNECT of a session not held");
				return;
			}
			s->peer_ip = (uint32_t)m->args[1];
			s->peer_port = (uint16_t)(m->args[1] >> 32);
			r.session = m->session;
			r.args[1] = 0x0a000001 | (uint64_t)s->port << 32;
			r.args[2] = (uint64_t)((uint8_t *)s->rx - a->seg);
			r.args[3] = (uint64_t)((uint8_t *)s->tx - a->seg);
			post(a, w, &r);
			return;
		}
		if (w != 0)
			violation("CONNECT on worker %d", w);
		if (m->args[0] == IPPROTO_TCP && (uint16_t)(m->args[1] >> 32) == FAKE_PORT_REFUSED) {
			r.error = ECONNREFUSED;
			post(a, w, &r);
			return;
		}
		sd = sess_new(a, w, m->args[0] == IPPROTO_UDP ? 3 : 2);
		r.session = sess_fifos(a, w, sd, m->args[3], &r.args[2], &r.args[3]);
		a->s[w][sd].port = (uint16_t)(50000 + sd);
		a->s[w][sd].peer_ip = (uint32_t)m->args[1];
		a->s[w][sd].peer_port = (uint16_t)(m->args[1] >> 32);
		r.args[1] = 0x0a000001 | (uint64_t)(50000 + sd) << 32;
		if (fake.forge == FORGE_BAD_FIFO)
			r.args[2] = 8;
		if (m->args[0] == IPPROTO_TCP && (uint16_t)(m->args[1] >> 32) == FAKE_PORT_HANG) {
			a->hang_req = m->args[5];
			a->hang_h = r.session;
			return;
		}
		post(a, w, &r);
		return;
	case DPS_MSG_BIND_UDP:
		r.type = DPS_MSG_REPLY;
		sd = sess_new(a, w, 3);
		r.session = sess_fifos(a, w, sd, m->args[3], &r.args[2], &r.args[3]);
		a->s[w][sd].port = (uint16_t)(m->args[1] >> 32);
		if (a->s[w][sd].port == 0)
			a->s[w][sd].port = (uint16_t)(41000 + sd);
		r.args[1] = (uint32_t)m->args[1] | (uint64_t)a->s[w][sd].port << 32;
		post(a, w, &r);
		return;
	case DPS_MSG_DETACH:
		a->n_detach++;
		return;
	default:
		break;
	}
	s = held(a, w, m->session);
	if (s == NULL) {
		violation("message %u for session %llx not held", m->type,
			  (unsigned long long)m->session);
		return;
	}
	switch (m->type) {
	case DPS_MSG_TX:
		__atomic_fetch_and(&a->evt[w][dps_handle_sd(m->session)], (uint8_t)~DPS_EVT_TX,
				   __ATOMIC_SEQ_CST);
		break;
	case DPS_MSG_RX_DONE:
		break;
	case DPS_MSG_SHUTDOWN:
		if (m->args[0] != SHUT_RD)
			s->fin_pending = true;
		break;
	case DPS_MSG_CLOSE:
		s->state = 0;
		s->gen++;
		break;
	case DPS_MSG_SETOPT:
		r.type = DPS_MSG_REPLY;
		r.session = m->session;
		if (m->args[0] == SOL_SOCKET && m->args[1] == 12345)
			r.error = ENOPROTOOPT;
		else
			s->opt = m->args[2];
		post(a, w, &r);
		break;
	case DPS_MSG_GETOPT:
		r.type = DPS_MSG_REPLY;
		r.session = m->session;
		r.args[0] = s->opt;
		r.args[2] = s->opt;   /* TCP_CONGESTION's name */
		post(a, w, &r);
		break;
	default:
		violation("unknown message %u", m->type);
	}
}

/* The echo peer: move what the application sent back to it. */
static void pass(struct fake_app *a, int w)
{
	int sd;

	for (sd = 1; sd < FAKE_SESS; sd++) {
		struct fake_sess *s = &a->s[w][sd];
		uint64_t h = dps_handle((unsigned)w, s->gen, sd);
		uint8_t *e = &a->evt[w][sd];

		if (s->state == 2) {
			uint8_t buf[4096];
			uint32_t n, moved = 0;

			while ((n = dps_fifo_peek(s->tx, 0, buf, sizeof(buf))) > 0) {
				uint32_t room = dps_fifo_free(s->rx);

				if (room < n)
					n = room;
				if (n == 0)
					break;
				dps_fifo_enqueue(s->rx, buf, n);
				dps_fifo_drop(s->tx, n);
				moved += n;
			}
			if (moved > 0)
				post_rx(a, w, h);
			if (s->fin_pending && !s->fin_sent && dps_fifo_used(s->tx) == 0) {
				struct dps_msg m = { .type = DPS_MSG_CLOSED, .session = h };

				s->fin_sent = true;
				post(a, w, &m);
			}
		} else if (s->state == 3) {
			struct dps_dgram_hdr hd;
			bool moved = false;

			while (dps_fifo_used(s->tx) >= sizeof(hd)) {
				uint8_t buf[65536];

				dps_fifo_peek(s->tx, 0, &hd, sizeof(hd));
				if (dps_fifo_used(s->tx) < sizeof(hd) + hd.len) {
					violation("half a datagram record");
					break;
				}
				if (dps_fifo_free(s->rx) < sizeof(hd) + hd.len)
					break;
				dps_fifo_peek(s->tx, sizeof(hd), buf, hd.len);
				dps_fifo_drop(s->tx, (uint32_t)sizeof(hd) + hd.len);
				if (hd.ip == 0) {
					hd.ip = s->peer_ip;
					hd.port = s->peer_port;
				}
				dps_fifo_enqueue(s->rx, &hd, sizeof(hd));
				dps_fifo_enqueue(s->rx, buf, hd.len);
				moved = true;
			}
			if (moved)
				post_rx(a, w, h);
		} else {
			continue;
		}
		if ((__atomic_load_n(e, __ATOMIC_SEQ_CST) & DPS_EVT_WANT_TXS) &&
		    dps_fifo_free(s->tx) >= (dps_fifo_capacity(s->tx) / 2 < 16384 ?
					     dps_fifo_capacity(s->tx) / 2 : 16384)) {
			struct dps_msg m = { .type = DPS_MSG_TX_SPACE, .session = h };

			__atomic_fetch_and(e, (uint8_t)~DPS_EVT_WANT_TXS, __ATOMIC_SEQ_CST);
			post(a, w, &m);
		}
	}
}

static void *wk_main(void *arg)
{
	(void)arg;
	while (!fake.stop) {
		struct pollfd p[FAKE_APPS * FAKE_NW];
		struct fake_app *arm[FAKE_APPS * FAKE_NW];
		int np = 0, i, w, armed_ok = 1;

		pthread_mutex_lock(&fake.lock);
		for (i = 0; i < FAKE_APPS; i++) {
			struct fake_app *a = &fake.app[i];

			if (!a->used)
				continue;
			for (w = 0; w < a->nw; w++) {
				struct dps_msg m[16];
				uint32_t n, k;

				while ((n = dps_msgq_dequeue(a->in[w], m, 16)) > 0)
					for (k = 0; k < n; k++)
						on_msg(a, w, &m[k]);
				pass(a, w);
			}
		}
		/* sleep on the doorbells (msgq.h protocol), 2 ms at most */
		for (i = 0; i < FAKE_APPS; i++) {
			struct fake_app *a = &fake.app[i];

			if (!a->used)
				continue;
			for (w = 0; w < a->nw; w++) {
				if (dps_msgq_sleep_begin(a->in[w]) != 0)
					armed_ok = 0;
				arm[np] = a;
				p[np++] = (struct pollfd){ .fd = a->doorbell[w], .events = POLLIN };
			}
		}
		pthread_mutex_unlock(&fake.lock);
		if (armed_ok)
			poll(p, (nfds_t)np, 2);
		pthread_mutex_lock(&fake.lock);
		for (i = 0; i < np; i++) {
			if (!arm[i]->used)
				continue;
			for (w = 0; w < arm[i]->nw; w++)
				dps_msgq_sleep_end(arm[i]->in[w]);
			if (p[i].revents & POLLIN)
				dps_eventfd_drain(p[i].fd);
		}
		pthread_mutex_unlock(&fake.lock);
	}
	return NULL;
}

/* ---------------------------------------------------------- start/stop */

int fake_start(int n_workers)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(&fake, 0, sizeof(fake));
	pthread_mutex_init(&fake.lock, NULL);
	fake.nw = n_workers;
	snprintf(fake.dir, sizeof(fake.dir), "/tmp/dpsl-test-XXXXXX");
	if (mkdtemp(fake.dir) == NULL)
		return -1;
	snprintf(fake.path, sizeof(fake.path), "%s/api.sock", fake.dir);
	fake.lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	strcpy(sun.sun_path, fake.path);
	if (bind(fake.lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fake.lfd, 16) < 0)
		return -1;
	setenv(DPS_API_ENV, fake.path, 1);
	pthread_create(&fake.ctl, NULL, ctl_main, NULL);
	pthread_create(&fake.wk, NULL, wk_main, NULL);
	return 0;
}

void fake_stop(void)
{
	int i;

	fake.stop = 1;
	pthread_join(fake.ctl, NULL);
	pthread_join(fake.wk, NULL);
	for (i = 0; i < FAKE_APPS; i++)
		if (fake.app[i].used)
			app_drop(&fake.app[i]);
	close(fake.lfd);
	unlink(fake.path);
	rmdir(fake.dir);
}

/* --------------------------------------------------------------- hooks */

uint64_t fake_accept(int app, uint64_t listener, uint32_t rip, uint16_t rport)
{
	struct fake_app *a = &fake.app[app];
	int w = (int)dps_handle_worker(listener), sd;
	struct dps_msg m = { .type = DPS_MSG_ACCEPTED };
	uint64_t rx, tx;

	pthread_mutex_lock(&fake.lock);
	sd = sess_new(a, w, 2);
	m.session = sess_fifos(a, w, sd, 0, &rx, &tx);
	m.args[0] = listener;
	m.args[1] = rip | (uint64_t)rport << 32;
	m.args[2] = rx;
	m.args[3] = tx;
	m.args[4] = 0x0a000001 | (uint64_t)a->s[w][dps_handle_sd(listener)].port << 32;
	post(a, w, &m);
	pthread_mutex_unlock(&fake.lock);
	return m.session;
}

void fake_reset(int app, uint64_t h, int err)
{
	struct fake_app *a = &fake.app[app];
	struct dps_msg m = { .type = DPS_MSG_RESET, .error = err, .session = h };

	pthread_mutex_lock(&fake.lock);
	post(a, (int)dps_handle_worker(h), &m);
	pthread_mutex_unlock(&fake.lock);
}

void fake_inject(int app, uint64_t h, const void *data, uint32_t len)
{
	struct fake_app *a = &fake.app[app];
	int w = (int)dps_handle_worker(h);

	pthread_mutex_lock(&fake.lock);
	dps_fifo_enqueue(a->s[w][dps_handle_sd(h)].rx, data, len);
	post_rx(a, w, h);
	pthread_mutex_unlock(&fake.lock);
}

void fake_inject_dgram(int app, uint64_t h, uint32_t ip, uint16_t port, const void *d, uint32_t len)
{
	struct fake_app *a = &fake.app[app];
	int w = (int)dps_handle_worker(h);
	struct dps_dgram_hdr hd = { .ip = ip, .port = port, .len = len };
	struct dps_fifo *rx;

	pthread_mutex_lock(&fake.lock);
	rx = a->s[w][dps_handle_sd(h)].rx;
	dps_fifo_enqueue(rx, &hd, sizeof(hd));
	dps_fifo_enqueue(rx, d, len);
	post_rx(a, w, h);
	pthread_mutex_unlock(&fake.lock);
}

void fake_peer_fin(int app, uint64_t h)
{
	struct fake_app *a = &fake.app[app];
	struct dps_msg m = { .type = DPS_MSG_CLOSED, .session = h };

	pthread_mutex_lock(&fake.lock);
	post(a, (int)dps_handle_worker(h), &m);
	pthread_mutex_unlock(&fake.lock);
}

void fake_answer(int app)
{
	struct fake_app *a = &fake.app[app];
	struct dps_msg r = { .type = DPS_MSG_CONNECTED };
	struct fake_sess *s;

	pthread_mutex_lock(&fake.lock);
	s = &a->s[0][dps_handle_sd(a->hang_h)];
	r.session = a->hang_h;
	r.args[1] = 0x0a000001 | (uint64_t)(50000 + dps_handle_sd(a->hang_h)) << 32;
	r.args[2] = (uint64_t)((uint8_t *)s->rx - a->seg);
	r.args[3] = (uint64_t)((uint8_t *)s->tx - a->seg);
	r.args[5] = a->hang_req;
	post(a, 0, &r);
	pthread_mutex_unlock(&fake.lock);
}

void fake_detach_bad(int app, const char *why)
{
	struct dps_api_welcome wel;

	memset(&wel, 0, sizeof(wel));
	wel.magic = DPS_API_MAGIC;
	wel.version = DPS_API_VERSION;
	wel.error = EPROTO;
	snprintf(wel.message, sizeof(wel.message), "%s", why);
	pthread_mutex_lock(&fake.lock);
	if (fake.app[app].used) {
		send(fake.app[app].fd, &wel, sizeof(wel), MSG_NOSIGNAL);
		app_drop(&fake.app[app]);
	}
	pthread_mutex_unlock(&fake.lock);
}

void fake_kill(int app)
{
	pthread_mutex_lock(&fake.lock);
	if (fake.app[app].used)
		app_drop(&fake.app[app]);
	pthread_mutex_unlock(&fake.lock);
}

int fake_sessions(int app)
{
	struct fake_app *a = &fake.app[app];
	int n = 0, w, sd;

	pthread_mutex_lock(&fake.lock);
	if (a->used)
		for (w = 0; w < a->nw; w++)
			for (sd = 0; sd < FAKE_SESS; sd++)
				n += a->s[w][sd].state != 0;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

/*
 * libdpsock: epoll and poll over libdpsock sockets, and kernel
 * descriptors beside them.
 *
 * An epoll instance keeps, for each socket in its set, an item; an item
 * goes on the instance's ready list when the socket's readiness may have
 * changed (an event from dpstackd: RX, TX_SPACE, ACCEPTED, CONNECTED,
 * RESET, CLOSED; or a state change made by the application: connect,
 * listen, shutdown), which is what Linux's wake-up callbacks do. epoll_wait
 * looks at the ready items only: a level-triggered item that is still
 * ready goes back on the list, an edge-triggered one waits for the next
 * change, a one-shot one for EPOLL_CTL_MOD. Readiness itself is read from
 * the FIFOs and the socket's state (dpsl_sock_events), never from counts
 * of events, so a coalesced event cannot lose anything.
 *
 * Kernel descriptors (fd < DPS_FD_BASE) given to dps_epoll_ctl go into a
 * kernel epoll instance that the dpsock instance owns; dps_epoll_wait
 * sleeps in one poll(2) on the attachments' wake-up eventfds and that
 * kernel epoll descriptor together, so a set may mix both (issue 5's
 * LD_PRELOAD shim relies on this). dps_poll does the same for a pollfd
 * array.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dpsock_internal.h"

#define API __attribute__((visibility("default")))

static inline int fail(int err)
{
	errno = err;
	return -1;
}

/* ep_lock held. */
static void ready_push(struct dpsl_ep *ep, struct dpsl_item *it)
{
	it->queued = true;
	it->rnext = NULL;
	if (ep->rtail != NULL)
		ep->rtail->rnext = it;
	else
		ep->rhead = it;
	ep->rtail = it;
	ep->n_ready++;
}

static struct dpsl_item *ready_pop(struct dpsl_ep *ep)
{
	struct dpsl_item *it = ep->rhead;

	if (it == NULL)
		return NULL;
	ep->rhead = it->rnext;
	if (ep->rhead == NULL)
		ep->rtail = NULL;
	ep->n_ready--;
	it->queued = false;
	it->rnext = NULL;
	return it;
}

static void ready_remove(struct dpsl_ep *ep, struct dpsl_item *it)
{
	struct dpsl_item **pp, *prev = NULL;

	if (!it->queued)
		return;
	for (pp = &ep->rhead; *pp != NULL; prev = *pp, pp = &(*pp)->rnext) {
		if (*pp == it) {
			*pp = it->rnext;
			if (ep->rtail == it)
				ep->rtail = prev;
			ep->n_ready--;
			break;
		}
	}
	it->queued = false;
	it->rnext = NULL;
}

/* Count a in the instance's attachments (the ones epoll_wait sleeps on). */
static int ep_att_ref(struct dpsl_ep *ep, struct dpsl_att *a)
{
	unsigned i;

	for (i = 0; i < ep->n_atts; i++) {
		if (ep->atts[i].att == a) {
			ep->atts[i].n++;
			return 0;
		}
	}
	if (ep->n_atts == ep->cap_atts) {
		unsigned cap = ep->cap_atts ? ep->cap_atts * 2 : 4;
		struct dpsl_ep_att *n = realloc(ep->atts, sizeof(*n) * cap);

		if (n == NULL)
			return -ENOMEM;
		ep->atts = n;
		ep->cap_atts = cap;
	}
	ep->atts[ep->n_atts].att = a;
	ep->atts[ep->n_atts].n = 1;
	ep->n_atts++;
	return 0;
}

static void ep_att_unref(struct dpsl_ep *ep, struct dpsl_att *a)
{
	unsigned i;

	for (i = 0; i < ep->n_atts; i++) {
		if (ep->atts[i].att == a) {
			if (--ep->atts[i].n == 0)
				ep->atts[i] = ep->atts[--ep->n_atts];
			return;
		}
	}
}

/* Unlink an item from its instance and its socket, and free it. ep_lock held. */
static void item_free(struct dpsl_item *it)
{
	struct dpsl_ep *ep = it->ep;
	struct dpsl_item **pp;

	ready_remove(ep, it);
	if (it->eprev != NULL)
		it->eprev->enext = it->enext;
	else
		ep->items = it->enext;
	if (it->enext != NULL)
		it->enext->eprev = it->eprev;
	for (pp = &it->s->watch; *pp != NULL; pp = &(*pp)->snext) {
		if (*pp == it) {
			*pp = it->snext;
			break;
		}
	}
	ep_att_unref(ep, it->s->att);
	free(it);
}

void dpsl_sock_changed(struct dpsl_sock *s)
{
	struct dpsl_item *it;

	if (LOAD(s->watch) == NULL)
		return;
	pthread_mutex_lock(&dpsl.ep_lock);
	for (it = s->watch; it != NULL; it = it->snext) {
		if (it->disabled)
			continue;
		if (!it->queued)
			ready_push(it->ep, it);
		if (it->ep->sleepers != NULL)
			dpsl_kick(it->ep->sleepers);
	}
	pthread_mutex_unlock(&dpsl.ep_lock);
}

void dpsl_sock_unwatch(struct dpsl_sock *s)
{
	pthread_mutex_lock(&dpsl.ep_lock);
	/* no epoll_ctl may add it from now on */
	STORE(s->use, DPSL_U_FREE);
	while (s->watch != NULL)
		item_free(s->watch);
	pthread_mutex_unlock(&dpsl.ep_lock);
}

/* ------------------------------------------------------------ instances */

static struct dpsl_ep *ep_alloc(void)
{
	struct dpsl_ep *ep;

	pthread_mutex_lock(&dpsl.ep_lock);
	ep = dpsl.free_eps;
	if (ep != NULL)
		dpsl.free_eps = ep->free_next;
	pthread_mutex_unlock(&dpsl.ep_lock);
	if (ep == NULL)
		ep = calloc(1, sizeof(*ep));
	if (ep == NULL)
		return NULL;
	memset(ep, 0, sizeof(*ep));
	ep->kfd = -1;
	return ep;
}

/* The instance of epfd, ep_lock held; NULL with *err (EBADF, EINVAL). */
static struct dpsl_ep *ep_get(int epfd, int *err, uint32_t *gen)
{
	struct dpsl_sock *s = dpsl_slot(epfd);

	pthread_mutex_lock(&dpsl.ep_lock);
	if (s == NULL || LOAD(s->use) != DPSL_U_OPEN) {
		*err = EBADF;
	} else if (LOAD(s->kind) != DPSL_K_EPOLL || s->ep == NULL) {
		*err = EINVAL;
	} else {
		if (gen != NULL)
			*gen = LOAD(s->gen);
		return s->ep;
	}
	pthread_mutex_unlock(&dpsl.ep_lock);
	return NULL;
}

API int dps_epoll_create1(int flags)
{
	struct dpsl_sock *s;
	struct dpsl_ep *ep;

	if (flags & ~EPOLL_CLOEXEC)
		return fail(EINVAL);
	dpsl_init();
	ep = ep_alloc();
	if (ep == NULL)
		return fail(ENOMEM);
	s = dpsl_slot_alloc(NULL, DPSL_K_EPOLL);
	if (s == NULL) {
		int e = errno;

		pthread_mutex_lock(&dpsl.ep_lock);
		ep->free_next = dpsl.free_eps;
		dpsl.free_eps = ep;
		pthread_mutex_unlock(&dpsl.ep_lock);
		return fail(e);
	}
	s->ep = ep;
	s->flags = flags & EPOLL_CLOEXEC ? DPSL_F_CLOEXEC : 0;
	STORE(s->use, DPSL_U_OPEN);
	return dpsl_fd(s);
}

int dpsl_ep_close(struct dpsl_sock *s)
{
	struct dpsl_ep *ep;
	int kfd;

	pthread_mutex_lock(&dpsl.ep_lock);
	if (LOAD(s->use) != DPSL_U_OPEN || s->kind != DPSL_K_EPOLL || s->ep == NULL) {
		pthread_mutex_unlock(&dpsl.ep_lock);
		return -EBADF;
	}
	ep = s->ep;
	while (ep->items != NULL)
		item_free(ep->items);
	/* a thread still waiting on it wakes up and finds EBADF */
	if (ep->sleepers != NULL)
		dpsl_kick(ep->sleepers);
	kfd = ep->kfd;
	ep->kfd = -1;
	ep->n_kernel = 0;
	free(ep->atts);
	ep->atts = NULL;
	ep->n_atts = ep->cap_atts = 0;
	s->ep = NULL;
	STORE(s->use, DPSL_U_FREE);
	/* instances are recycled, never freed: a racing waiter reads a valid one */
	ep->free_next = dpsl.free_eps;
	dpsl.free_eps = ep;
	pthread_mutex_unlock(&dpsl.ep_lock);
	if (kfd >= 0)
		close(kfd);
	dpsl_slot_free(s);
	return 0;
}

static struct dpsl_item *item_find(struct dpsl_sock *s, struct dpsl_ep *ep)
{
	struct dpsl_item *it;

	for (it = s->watch; it != NULL; it = it->snext)
		if (it->ep == ep)
			return it;
	return NULL;
}

#define EP_ALLOWED (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLERR | EPOLLHUP | \
		    EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND | EPOLLMSG | \
		    EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE)

/* A kernel descriptor goes to the instance's kernel epoll. */
static int ctl_kernel(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct dpsl_ep *ep;
	uint32_t gen;
	int err, kfd, rc;

	ep = ep_get(epfd, &err, &gen);
	if (ep == NULL)
		return fail(err);
	if (ep->kfd < 0) {
		ep->kfd = epoll_create1(EPOLL_CLOEXEC);
		if (ep->kfd < 0) {
			err = errno;
			pthread_mutex_unlock(&dpsl.ep_lock);
			return fail(err);
		}
	}
	kfd = ep->kfd;
	/* under the lock: a racing close cannot hand kfd's number to another */
	rc = epoll_ctl(kfd, op, fd, ev);
	err = errno;
	if (rc == 0 && op == EPOLL_CTL_ADD)
		ep->n_kernel++;
	else if (rc == 0 && op == EPOLL_CTL_DEL && ep->n_kernel > 0)
		ep->n_kernel--;
	pthread_mutex_unlock(&dpsl.ep_lock);
	return rc == 0 ? 0 : fail(err);
}

API int dps_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct dpsl_sock *s;
	struct dpsl_ep *ep;
	struct dpsl_item *it;
	int err;

	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
		return fail(EINVAL);
	if (op != EPOLL_CTL_DEL && ev == NULL)
		return fail(EFAULT);
	if (fd == epfd)
		return fail(EINVAL);
	if (fd >= 0 && fd < DPS_FD_BASE)
		return ctl_kernel(epfd, op, fd, ev);
	s = dpsl_slot(fd);
	ep = ep_get(epfd, &err, NULL);
	if (ep == NULL)
		return fail(err);
	if (s == NULL || LOAD(s->use) != DPSL_U_OPEN) {
		err = EBADF;
		goto out;
	}
	if (LOAD(s->kind) == DPSL_K_EPOLL) {
		err = EINVAL;   /* nested libdpsock instances: not supported */
		goto out;
	}
	if (op != EPOLL_CTL_DEL && (ev->events & ~(uint32_t)EP_ALLOWED)) {
		err = EINVAL;
		goto out;
	}
	it = item_find(s, ep);
	err = 0;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it != NULL) {
			err = EEXIST;
			break;
		}
		it = calloc(1, sizeof(*it));
		if (it == NULL || ep_att_ref(ep, LOAD(s->att)) != 0) {
			free(it);
			err = ENOMEM;
			break;
		}
		it->ep = ep;
		it->s = s;
		it->events = ev->events;
		it->data = ev->data;
		it->snext = s->watch;
		STORE(s->watch, it);
		it->enext = ep->items;
		if (ep->items != NULL)
			ep->items->eprev = it;
		ep->items = it;
		ready_push(ep, it);   /* Linux looks at a new item at once */
		if (ep->sleepers != NULL)
			dpsl_kick(ep->sleepers);
		break;
	case EPOLL_CTL_MOD:
		if (it == NULL) {
			err = ENOENT;
			break;
		}
		if ((ev->events & EPOLLEXCLUSIVE) || (it->events & EPOLLEXCLUSIVE)) {
			err = EINVAL;
			break;
		}
		it->events = ev->events;
		it->data = ev->data;
		it->disabled = false;
		if (!it->queued)
			ready_push(ep, it);
		if (ep->sleepers != NULL)
			dpsl_kick(ep->sleepers);
		break;
	default:
		if (it == NULL)
			err = ENOENT;
		else
			item_free(it);
	}
out:
	pthread_mutex_unlock(&dpsl.ep_lock);
	return err == 0 ? 0 : fail(err);
}

/* Report ready items into ev (at most max). ep_lock held. */
static int ep_collect(struct dpsl_ep *ep, struct epoll_event *ev, int max)
{
	unsigned todo = ep->n_ready;
	int n = 0;

	while (todo-- > 0 && n < max) {
		struct dpsl_item *it = ready_pop(ep);
		uint32_t want, got;

		if (it == NULL)
			break;
		if (it->disabled)
			continue;
		want = it->events | EPOLLERR | EPOLLHUP;
		got = dpsl_sock_events(it->s, it->events) & want;
		if (got == 0)
			continue;
		ev[n].events = got;
		ev[n].data = it->data;
		n++;
		if (it->events & EPOLLONESHOT)
			it->disabled = true;
		else if (!(it->events & EPOLLET))
			ready_push(ep, it);   /* level: look again next time */
	}
	return n;
}

API int dps_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout_ms)
{
	int64_t deadline = dpsl_deadline_ms(timeout_ms);
	struct dpsl_att *stack_atts[8], **atts = stack_atts;
	unsigned cap = 8;
	bool last = timeout_ms == 0;
	uint32_t gen;
	int err;

	if (maxevents <= 0)
		return fail(EINVAL);
	if (events == NULL)
		return fail(EFAULT);
	for (;;) {
		struct dpsl_ep *ep;
		struct pollfd kp;
		unsigned na, i;
		int n, kfd, nk, rc;

		/* the attachments to take messages from and sleep on */
		ep = ep_get(epfd, &err, &gen);
		if (ep == NULL)
			break;
		if (ep->n_atts > cap) {
			struct dpsl_att **x = malloc(sizeof(*x) * ep->n_atts);

			if (x != NULL) {
				if (atts != stack_atts)
					free(atts);
				atts = x;
				cap = ep->n_atts;
			}
		}
		na = ep->n_atts < cap ? ep->n_atts : cap;
		for (i = 0; i < na; i++)
			atts[i] = ep->atts[i].att;
		kfd = ep->kfd;
		nk = (int)ep->n_kernel;
		pthread_mutex_unlock(&dpsl.ep_lock);

		for (i = 0; i < na; i++) {
			pthread_mutex_lock(&atts[i]->lock);
			dpsl_pump(atts[i]);
			dpsl_flush(atts[i]);
			pthread_mutex_unlock(&atts[i]->lock);
		}
		ep = ep_get(epfd, &err, NULL);
		if (ep == NULL)
			break;
		n = ep_collect(ep, events, maxevents);
		pthread_mutex_unlock(&dpsl.ep_lock);
		if (n < maxevents && nk > 0) {
			int k = epoll_wait(kfd, events + n, maxevents - n, 0);

			if (k > 0)
				n += k;
		}
		if (n > 0 || last) {
			if (atts != stack_atts)
				free(atts);
			return n;
		}
		kp.fd = kfd;
		kp.events = POLLIN;
		kp.revents = 0;
		rc = dpsl_sleep(atts, NULL, na, ep, &kp, nk > 0 ? 1 : 0, deadline);
		if (rc == -EINTR) {
			err = EINTR;
			break;
		}
		if (rc == -ETIMEDOUT)
			last = true;   /* one more look, then 0 */
	}
	if (atts != stack_atts)
		free(atts);
	return fail(err);
}

/* ------------------------------------------------------------------ poll */

/* Readiness of one libdpsock descriptor for poll, its attachment locked. */
static short poll_one(int fd, short want, struct dpsl_att **att, uint64_t *seq)
{
	struct dpsl_sock *s = dpsl_slot(fd);
	struct dpsl_att *a;
	uint32_t gen;
	short got;

	*att = NULL;
	if (s == NULL || LOAD(s->use) != DPSL_U_OPEN)
		return POLLNVAL;
	if (LOAD(s->kind) == DPSL_K_EPOLL) {
		/* an instance is readable when something in it is ready */
		int err;
		struct dpsl_ep *ep = ep_get(fd, &err, NULL);

		if (ep == NULL)
			return POLLNVAL;
		got = ep->n_ready > 0 ? POLLIN : 0;
		pthread_mutex_unlock(&dpsl.ep_lock);
		return got & want;
	}
	gen = LOAD(s->gen);
	a = LOAD(s->att);
	if (a == NULL)
		return POLLNVAL;
	pthread_mutex_lock(&a->lock);
	if (s->gen != gen || s->use != DPSL_U_OPEN || s->att != a) {
		pthread_mutex_unlock(&a->lock);
		return POLLNVAL;
	}
	dpsl_pump(a);
	got = (short)(dpsl_sock_events(s, (uint32_t)want) &
		      ((uint32_t)want | POLLERR | POLLHUP));
	dpsl_flush(a);
	*att = a;
	*seq = a->ev_seq;
	pthread_mutex_unlock(&a->lock);
	return got;
}

API int dps_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
	int64_t deadline = dpsl_deadline_ms(timeout_ms);
	struct pollfd *kp = NULL;
	struct dpsl_att **atts = NULL;
	uint64_t *seqs = NULL;
	unsigned *kidx = NULL;
	bool last = timeout_ms == 0;
	int rc = 0;

	if (nfds > 0 && fds == NULL)
		return fail(EFAULT);
	if (nfds > 1048576)
		return fail(EINVAL);
	dpsl_init();
	if (nfds > 0) {
		kp = malloc(sizeof(*kp) * nfds);
		atts = malloc(sizeof(*atts) * nfds);
		seqs = malloc(sizeof(*seqs) * nfds);
		kidx = malloc(sizeof(*kidx) * nfds);
		if (kp == NULL || atts == NULL || seqs == NULL || kidx == NULL) {
			rc = fail(ENOMEM);
			goto out;
		}
	}
	for (;;) {
		unsigned nk = 0, na = 0, i, j;
		int count = 0;

		for (i = 0; i < nfds; i++) {
			struct dpsl_att *a;
			uint64_t seq;

			fds[i].revents = 0;
			if (fds[i].fd < 0)
				continue;
			if (fds[i].fd < DPS_FD_BASE) {
				kp[nk] = fds[i];
				kidx[nk++] = i;
				continue;
			}
			fds[i].revents = poll_one(fds[i].fd, fds[i].events, &a, &seq);
			if (fds[i].revents != 0)
				count++;
			if (a == NULL)
				continue;
			for (j = 0; j < na && atts[j] != a; j++)
				;
			if (j == na) {
				atts[na] = a;
				seqs[na++] = seq;
			}
		}
		if (nk > 0) {
			if (poll(kp, nk, 0) < 0) {
				rc = -1;
				goto out;
			}
			for (i = 0; i < nk; i++)
				if ((fds[kidx[i]].revents = kp[i].revents) != 0)
					count++;
		}
		if (count > 0 || last) {
			rc = count;
			goto out;
		}
		/* kernel descriptors are polled by the sleep itself */
		rc = dpsl_sleep(atts, seqs, na, NULL, kp, nk, deadline);
		if (rc == -EINTR) {
			rc = fail(EINTR);
			goto out;
		}
		if (rc == -ETIMEDOUT)
			last = true;
		for (i = 0; i < nk; i++)
			if (kp[i].revents != 0)
				last = true;   /* a kernel descriptor is ready: report */
	}
out:
	free(kp);
	free(atts);
	free(seqs);
	free(kidx);
	return rc;
}

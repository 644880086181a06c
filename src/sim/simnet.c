/*
 * Simulated links between dps_sim instances: loss, duplication, reordering,
 * corruption, delay with jitter, a serialisation rate with a bounded send
 * queue. Frames in flight wait in a heap ordered by delivery time and then
 * by the order they were sent, and every random choice comes from one
 * seeded generator, so a seed replays the same run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

#define MAX_LINKS 64
#define MAX_SIMS  (2 * MAX_LINKS)
#define FRAME_BUF 9216

struct link_dir {
	struct dps_sim *to;
	int to_if;
	struct dps_sim_link_params p;
	uint64_t busy_until;
};

struct link {
	struct link_dir dir[2];   /* dir[0]: a -> b, dir[1]: b -> a */
};

struct event {
	uint64_t t, seq;
	struct dps_sim *to;
	int ifindex;
	uint16_t len;
	uint8_t *data;
};

struct dps_simnet {
	uint64_t rng;
	uint64_t seq;
	struct link links[MAX_LINKS];
	unsigned nlinks;
	struct dps_sim *sims[MAX_SIMS];
	unsigned nsims;
	struct event *heap;
	size_t nheap, capheap;
	struct dps_simnet_stats stats;
	dps_simnet_tap_fn tap;
	void *tap_arg;
	uint8_t buf[FRAME_BUF];
};

/* splitmix64: small, fast, and the same on every machine */
static uint64_t rnd(struct dps_simnet *n)
{
	uint64_t z = (n->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double rnd01(struct dps_simnet *n)
{
	return (double)(rnd(n) >> 11) / (double)(1ull << 53);
}

static bool ev_less(const struct event *a, const struct event *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int heap_push(struct dps_simnet *n, struct event e)
{
	size_t i;

	if (n->nheap == n->capheap) {
		size_t cap = n->capheap ? n->capheap * 2 : 1024;
		struct event *h = realloc(n->heap, cap * sizeof(*h));

		if (h == NULL)
			return -ENOMEM;
		n->heap = h;
		n->capheap = cap;
	}
	i = n->nheap++;
	while (i > 0 && ev_less(&e, &n->heap[(i - 1) / 2])) {
		n->heap[i] = n->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	n->heap[i] = e;
	return 0;
}

static struct event heap_pop(struct dps_simnet *n)
{
	struct event top = n->heap[0], last = n->heap[--n->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n->nheap)
			break;
		if (c + 1 < n->nheap && ev_less(&n->heap[c + 1], &n->heap[c]))
			c++;
		if (!ev_less(&n->heap[c], &last))
			break;
		n->heap[i] = n->heap[c];
		i = c;
	}
	if (n->nheap > 0)
		n->heap[i] = last;
	return top;
}

struct dps_simnet *dps_simnet_create(uint64_t seed)
{
	struct dps_simnet *n = calloc(1, sizeof(*n));

	if (n != NULL)
		n->rng = seed;
	return n;
}

void dps_simnet_destroy(struct dps_simnet *n)
{
	unsigned i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nsims; i++) {
		unsigned k;

		for (k = 0; k < DPS_MAX_IFACES; k++)
			if (n->sims[i]->ifs[k] != NULL)
				n->sims[i]->ifs[k]->link = NULL;
	}
	while (n->nheap > 0)
		free(heap_pop(n).data);
	free(n->heap);
	free(n);
}

static void add_sim(struct dps_simnet *n, struct dps_sim *s)
{
	unsigned i;

	for (i = 0; i < n->nsims; i++)
		if (n->sims[i] == s)
			return;
	n->sims[n->nsims++] = s;
}

int dps_simnet_link(struct dps_simnet *n, struct dps_sim *a, int ifa,
		    struct dps_sim *b, int ifb, const struct dps_sim_link_params *p)
{
	struct link *l;

	if (n == NULL || a == NULL || b == NULL || ifa < 0 || ifb < 0 ||
	    ifa >= DPS_MAX_IFACES || ifb >= DPS_MAX_IFACES || a->ifs[ifa] == NULL ||
	    b->ifs[ifb] == NULL || (a == b && ifa == ifb))
		return -EINVAL;
	if (a->ifs[ifa]->link != NULL || b->ifs[ifb]->link != NULL)
		return -EBUSY;
	if (n->nlinks == MAX_LINKS)
		return -ENOSPC;
	l = &n->links[n->nlinks++];
	memset(l, 0, sizeof(*l));
	l->dir[0].to = b;
	l->dir[0].to_if = ifb;
	l->dir[1].to = a;
	l->dir[1].to_if = ifa;
	if (p != NULL)
		l->dir[0].p = l->dir[1].p = *p;
	a->ifs[ifa]->link = &l->dir[0];
	b->ifs[ifb]->link = &l->dir[1];
	add_sim(n, a);
	add_sim(n, b);
	return 0;
}

static int schedule(struct dps_simnet *n, struct link_dir *d, const uint8_t *buf, uint16_t len,
		    uint64_t ts)
{
	const struct dps_sim_link_params *p = &d->p;
	struct event e = { .to = d->to, .ifindex = d->to_if, .len = len };
	uint64_t start = ts, ser = 0;

	n->stats.sent++;
	if (p->loss > 0 && rnd01(n) < p->loss) {
		n->stats.lost++;
		return 0;
	}
	if (p->rate_bps > 0) {
		uint32_t qmax = p->queue_frames ? p->queue_frames : 1000;

		ser = (uint64_t)len * 8 * 1000000000ull / p->rate_bps;
		if (d->busy_until > ts) {
			if ((d->busy_until - ts) / (ser ? ser : 1) >= qmax) {
				n->stats.queue_drops++;
				return 0;
			}
			start = d->busy_until;
		}
		d->busy_until = start + ser;
	}
	e.t = start + ser + p->delay_ns;
	if (p->jitter_ns > 0)
		e.t += rnd(n) % (p->jitter_ns + 1);
	if (p->reorder > 0 && rnd01(n) < p->reorder) {
		e.t += p->reorder_ns;
		n->stats.reordered++;
	}
	e.data = malloc(len ? len : 1);
	if (e.data == NULL)
		return -ENOMEM;
	memcpy(e.data, buf, len);
	if (p->corrupt > 0 && rnd01(n) < p->corrupt && len > 0) {
		e.data[rnd(n) % len] ^= (uint8_t)(1u << (rnd(n) % 8));
		n->stats.corrupted++;
	}
	e.seq = n->seq++;
	if (heap_push(n, e) != 0) {
		free(e.data);
		return -ENOMEM;
	}
	if (p->dup > 0 && rnd01(n) < p->dup) {
		struct event c = e;

		c.data = malloc(len ? len : 1);
		if (c.data != NULL) {
			memcpy(c.data, e.data, len);
			c.seq = n->seq++;
			if (heap_push(n, c) == 0)
				n->stats.duplicated++;
			else
				free(c.data);
		}
	}
	return 0;
}

/* Move what linked interfaces transmitted onto their links. */
static void drain(struct dps_simnet *n)
{
	unsigned i, k;

	for (i = 0; i < n->nsims; i++) {
		struct dps_sim *s = n->sims[i];

		for (k = 0; k < DPS_MAX_IFACES; k++) {
			struct sim_if *si = s->ifs[k];

			while (si != NULL && si->link != NULL && si->tx_n > 0) {
				uint64_t ts;
				ssize_t len = sim_take(si, n->buf, sizeof(n->buf), &ts);

				if (len <= 0 || len > (ssize_t)sizeof(n->buf))
					continue;
				if (n->tap != NULL &&
				    n->tap(n->tap_arg, s, (int)k, n->buf, (size_t)len, ts) ==
				    DPS_SIMNET_DROP) {
					n->stats.tapped++;
					continue;
				}
				schedule(n, si->link, n->buf, (uint16_t)len, ts);
			}
		}
	}
}

static void set_all(struct dps_simnet *n, uint64_t t)
{
	unsigned i;

	for (i = 0; i < n->nsims; i++)
		if (dps_sim_now(n->sims[i]) < t)
			dps_sim_set_time(n->sims[i], t);
}

uint64_t dps_simnet_run_until(struct dps_simnet *n, uint64_t t_ns)
{
	uint64_t delivered = 0;

	for (;;) {
		uint64_t next = UINT64_MAX;
		unsigned i;

		drain(n);
		if (n->nheap > 0)
			next = n->heap[0].t;
		for (i = 0; i < n->nsims; i++) {
			uint64_t d = dps_sim_next_deadline(n->sims[i]);

			if (d < next)
				next = d;
		}
		if (next > t_ns)
			break;
		set_all(n, next);
		while (n->nheap > 0 && n->heap[0].t <= next) {
			struct event e = heap_pop(n);

			if (dps_sim_inject(e.to, e.ifindex, e.data, e.len) == 0)
				delivered++;
			n->stats.delivered++;
			free(e.data);
		}
	}
	set_all(n, t_ns);
	drain(n);
	return delivered;
}

void dps_simnet_stats(const struct dps_simnet *n, struct dps_simnet_stats *out)
{
	*out = n->stats;
}

void dps_simnet_set_tap(struct dps_simnet *n, dps_simnet_tap_fn fn, void *arg)
{
	n->tap = fn;
	n->tap_arg = arg;
}

/*
 * The worker loop. Each pass polls every interface once (burst of 32),
 * drains what the control plane asked to send, and flushes the transmit
 * buffers. In adaptive mode an idle worker backs off to sleeping: on rx
 * interrupts when every port offers them, on short, growing nanosleeps
 * otherwise; the first packet puts it back into busy polling.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/worker.h"
#include "session/app.h"
#include "session/session.h"
#include "net/net.h"
#include "port/capture.h"

#define TICK_NS          (100 * DPS_NS_PER_MS)
#define INTR_SLEEP_MS    50

void dps_tx_flush_if(struct dps_worker *w, uint16_t ifindex)
{
	struct dps_txbuf *b = &w->txb[ifindex];
	struct dps_iface *ifp = &w->st->ifaces[ifindex];
	struct dps_if_stats *s = &w->ifs[ifindex];
	uint64_t bytes = 0;
	uint16_t i, sent;

	if (b->n == 0)
		return;
	if (unlikely(!ifp->admin_up)) {
		for (i = 0; i < b->n; i++)
			dps_drop(w, b->pkts[i], DPS_ERR_IF_DOWN);
		s->tx_drops += b->n;
		b->n = 0;
		return;
	}
	dps_capture(w, ifp, b->pkts, b->n, false);
	for (i = 0; i < b->n; i++)
		bytes += b->pkts[i]->pkt_len;
	sent = ifp->tx(ifp, w->id, b->pkts, b->n);
	for (i = sent; i < b->n; i++) {
		bytes -= b->pkts[i]->pkt_len;
		dps_drop(w, b->pkts[i], DPS_ERR_TX_FULL);
	}
	s->tx_pkts += sent;
	s->tx_bytes += bytes;
	s->tx_drops += b->n - sent;
	b->n = 0;
}

void dps_tx_flush(struct dps_worker *w)
{
	uint16_t i;

	for (i = 0; i < w->st->n_ifaces; i++)
		dps_tx_flush_if(w, i);
}

void dps_punt(struct dps_worker *w, struct rte_mbuf *m, enum dps_action a,
	      uint16_t ifindex, uint32_t nh_ip)
{
	struct dps_mbuf_priv *p = dps_priv(m);

	p->action = a;
	p->ifindex = ifindex;
	p->nh_ip = nh_ip;
	if (rte_ring_mp_enqueue(w->st->punt, m) != 0)
		dps_drop(w, m, DPS_ERR_PUNT_FULL);
}

static unsigned drain_inject(struct dps_worker *w)
{
	struct rte_mbuf *pkts[DPS_BURST], *ip[DPS_BURST];
	unsigned n, i, nip = 0;

	n = rte_ring_sc_dequeue_burst(w->inject, (void **)pkts, DPS_BURST, NULL);
	for (i = 0; i < n; i++) {
		struct dps_mbuf_priv *p = dps_priv(pkts[i]);

		if (p->action == DPS_ACT_TX_L2 && dps_iface_get(w->st, p->ifindex) != NULL)
			dps_tx(w, p->ifindex, pkts[i]);
		else if (p->action == DPS_ACT_IP_OUTPUT)
			ip[nip++] = pkts[i];
		else if (p->action == DPS_ACT_ICMP_UNREACH)
			dps_neigh_failed(w, pkts[i]);
		else
			rte_pktmbuf_free(pkts[i]);
	}
	if (nip > 0)
		dps_ip4_output(w, ip, nip);
	return n;
}

struct dps_rpc {
	dps_rpc_fn fn;
	void *arg;
	int ret;
	volatile uint8_t done;
};

static unsigned drain_rpc(struct dps_worker *w)
{
	struct dps_rpc *r;
	unsigned n = 0;

	while (rte_ring_sc_dequeue(w->rpc, (void **)&r) == 0) {
		r->ret = r->fn(w, r->arg);
		rte_smp_wmb();
		r->done = 1;
		n++;
	}
	return n;
}

int dps_worker_rpc(struct dps_stack *st, unsigned wid, dps_rpc_fn fn, void *arg)
{
	struct dps_worker *w;
	struct dps_rpc *r;
	unsigned waited_us = 0;
	int ret;

	if (wid >= st->n_workers)
		return -EINVAL;
	w = st->workers[wid];
	if (!w->running)
		return fn(w, arg);
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->fn = fn;
	r->arg = arg;
	if (rte_ring_mp_enqueue(w->rpc, r) != 0) {
		free(r);
		return -EBUSY;
	}
	dps_worker_wake(w);
	while (!r->done) {
		if (waited_us >= 5000000) {
			/* the worker may still run it later: r is left to it
			 * (a leak on a wedged worker), and arg must outlive
			 * that, so callers pass heap or static arguments */
			return -ETIMEDOUT;
		}
		usleep(20);
		waited_us += 20;
		if (waited_us % 1000 == 0)
			dps_worker_wake(w);
	}
	rte_smp_rmb();
	ret = r->ret;
	free(r);
	return ret;
}

unsigned dps_worker_poll(struct dps_worker *w, uint64_t now)
{
	struct dps_stack *st = w->st;
	struct rte_mbuf *pkts[DPS_BURST];
	unsigned total = 0;
	uint16_t i, n;

	w->now = now;
	for (i = 0; i < st->n_ifaces; i++) {
		struct dps_iface *ifp = &st->ifaces[i];

		if (!ifp->used || ifp->rx == NULL)
			continue;
		n = ifp->rx(ifp, w->id, pkts, DPS_BURST);
		if (n > 0) {
			dps_eth_input(w, ifp, pkts, n);
			total += n;
		}
	}
	total += drain_inject(w);
	total += dps_wheel_advance(&w->wheel, now);
	total += drain_rpc(w);
	total += dps_session_poll(w);
	dps_tx_flush(w);
	return total;
}

void dps_worker_wake(struct dps_worker *w)
{
	uint64_t one = 1;

	if (w->sleeping && w->wake_fd >= 0) {
		ssize_t r = write(w->wake_fd, &one, sizeof(one));
		(void)r;
	}
}

static void intr_arm(struct dps_worker *w)
{
	struct dps_stack *st = w->st;
	uint16_t i;

	for (i = 0; i < st->n_ifaces; i++)
		if (st->ifaces[i].used)
			rte_eth_dev_rx_intr_enable(st->ifaces[i].port_id, w->id);
}

#define EV_READ_FLAG (1ull << 32)

static bool fd_is_eventfd(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	return strstr(link, "eventfd") != NULL;
}

/* Use rx interrupts to sleep only if every interface can wake us. */
static void intr_setup(struct dps_worker *w)
{
	struct dps_stack *st = w->st;
	struct epoll_event ev = { .events = EPOLLIN };
	uint16_t i;

	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->wake_fd < 0)
		return;
	for (i = 0; i < st->n_ifaces; i++)
		if (st->ifaces[i].used && !st->ifaces[i].rx_intr)
			return;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return;
	ev.data.u64 = (uint64_t)(unsigned)w->wake_fd | EV_READ_FLAG;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev) != 0)
		goto off;
	for (i = 0; i < st->n_ifaces; i++) {
		struct dps_iface *ifp = &st->ifaces[i];
		int fd;

		if (!ifp->used)
			continue;
		fd = rte_eth_dev_rx_intr_ctl_q_get_fd(ifp->port_id, w->id);
		if (fd < 0)
			goto off;
		/* level-triggered (edge-triggered loses wake-ups on a tap fd);
		 * a PMD whose interrupt is an eventfd (memif) must be read on
		 * wake-up or it stays readable, a tap fd must not be read */
		ev.events = EPOLLIN;
		ev.data.u64 = (uint64_t)(unsigned)fd | (fd_is_eventfd(fd) ? EV_READ_FLAG : 0);
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
			goto off;
	}
	/* Armed once for good: toggling per sleep, as l3fwd-power does, loses
	 * wake-ups on net_tap; an armed queue costs little while we poll. */
	intr_arm(w);
	DPS_LOG(INFO, core, "worker %u sleeps on rx interrupts when idle", w->id);
	return;
off:
	close(w->epfd);
	w->epfd = -1;
}

static void idle_sleep(struct dps_worker *w)
{
	struct dps_stack *st = w->st;
	uint64_t t0 = dps_clock_ns();

	w->poll.sleeps++;
	rte_rcu_qsbr_thread_offline(st->rcu, w->id);
	if (w->epfd >= 0) {
		struct epoll_event evs[8];
		int n, i;

		w->sleeping = 1;
		rte_smp_mb();
		/* anything queued for us while we armed? (applications ring the
		 * doorbell, wake_fd, from now on: session/app.h) */
		if (dps_app_worker_sleep_begin(w) && rte_ring_empty(w->inject) &&
		    rte_ring_empty(w->rpc)) {
			uint64_t next = dps_wheel_next_deadline(&w->wheel), now = dps_clock_ns();
			int ms = INTR_SLEEP_MS;

			/* wake for the next timer, rounded up to whole ms */
			if (next <= now)
				ms = 0;
			else if (next - now < (uint64_t)ms * DPS_NS_PER_MS)
				ms = (int)((next - now + DPS_NS_PER_MS - 1) / DPS_NS_PER_MS);
			n = epoll_wait(w->epfd, evs, RTE_DIM(evs), ms);
			for (i = 0; i < n; i++) {
				if (evs[i].data.u64 & EV_READ_FLAG) {
					uint64_t v;
					ssize_t r = read((int)(uint32_t)evs[i].data.u64, &v, sizeof(v));
					(void)r;
				}
			}
			if (n > 0)
				w->poll.intr_wakeups++;
		}
		dps_app_worker_sleep_end(w);
		w->sleeping = 0;
	} else {
		struct timespec ts;

		/* grow the sleep while idle lasts: 1, 2, 4 ... sleep_max_us */
		w->sleep_us = w->sleep_us == 0 ? 1 : w->sleep_us * 2;
		if (w->sleep_us > st->params.sleep_max_us)
			w->sleep_us = st->params.sleep_max_us;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(w->sleep_us * 1000);
		w->sleeping = 1;
		nanosleep(&ts, NULL);
		w->sleeping = 0;
	}
	rte_rcu_qsbr_thread_online(st->rcu, w->id);
	w->poll.sleep_ns += dps_clock_ns() - t0;
}

int dps_worker_main(void *arg)
{
	struct dps_worker *w = arg;
	struct dps_stack *st = w->st;
	uint64_t next_tick = 0;

	w->lcore = rte_lcore_id();
	w->running = 1;
	rte_rcu_qsbr_thread_register(st->rcu, w->id);
	rte_rcu_qsbr_thread_online(st->rcu, w->id);
	intr_setup(w);
	DPS_LOG(INFO, core, "worker %u running on lcore %u (%s polling)", w->id, w->lcore,
		st->params.poll_mode == DPS_POLL_BUSY ? "busy" : "adaptive");

	while (!st->quit) {
		uint64_t now = dps_clock_ns();
		unsigned n = dps_worker_poll(w, now);

		w->poll.loops++;
		rte_rcu_qsbr_quiescent(st->rcu, w->id);
		if (now >= next_tick) {
			dps_net_worker_tick(w);
			next_tick = now + TICK_NS;
		}
		if (n > 0) {
			w->poll.busy_loops++;
			w->idle_loops = 0;
			w->sleep_us = 0;
			continue;
		}
		if (st->params.poll_mode == DPS_POLL_ADAPTIVE &&
		    ++w->idle_loops >= st->params.idle_loops_before_sleep)
			idle_sleep(w);
	}
	w->running = 0;
	drain_rpc(w);
	rte_rcu_qsbr_thread_offline(st->rcu, w->id);
	rte_rcu_qsbr_thread_unregister(st->rcu, w->id);
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	w->epfd = w->wake_fd = -1;
	return 0;
}

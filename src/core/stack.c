#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/stack.h"
#include "app/service.h"
#include "session/session.h"
#include "tcp/tcp.h"
#include "net/net.h"
#include "port/capture.h"

#define DEFAULT_MBUFS     16383
#define MBUF_CACHE        256
#define INJECT_RING_SIZE  1024
#define PUNT_RING_SIZE    4096

void dps_params_default(struct dps_params *p)
{
	memset(p, 0, sizeof(*p));
	p->poll_mode = DPS_POLL_ADAPTIVE;
	p->idle_loops_before_sleep = 512;
	p->sleep_max_us = 1000;
	/* Linux: base_reachable_time 30 s, retrans_time 1 s, mcast_solicit 3 */
	p->arp_reachable_ms = 30000;
	p->arp_retrans_ms = 1000;
	p->arp_max_probes = 3;
	p->arp_queue_len = 16;
	/* Linux: icmp_msgs_per_sec 1000, icmp_msgs_burst 50 */
	p->icmp_ratelimit_pps = 1000;
	p->icmp_ratelimit_burst = 50;
	p->default_ttl = 64;
	/* Linux: ipfrag_time 30 s */
	p->frag_timeout_ms = 30000;
	dps_tcp_params_default(&p->tcp);
}

static void worker_free(struct dps_worker *w)
{
	if (w == NULL)
		return;
	dps_net_worker_fini(w);
	if (w->inject != NULL) {
		struct rte_mbuf *m;

		while (rte_ring_sc_dequeue(w->inject, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->inject);
	}
	dps_session_worker_fini(w);
	rte_ring_free(w->rpc);
	rte_free(w);
}

struct dps_stack *dps_stack_create(const struct dps_stack_conf *conf)
{
	char name[64];   /* names stay under RTE_RING_NAMESIZE: conf->name <= 16 */
	struct dps_stack *st;
	unsigned i;

	dps_log_init();
	if (conf == NULL || conf->name == NULL || conf->n_workers == 0 ||
	    conf->n_workers > DPS_MAX_WORKERS || strlen(conf->name) > 16) {
		rte_errno = EINVAL;
		return NULL;
	}
	st = rte_zmalloc_socket("dps_stack", sizeof(*st), RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (st == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(st->name, sizeof(st->name), "%s", conf->name);
	st->socket_id = conf->socket_id;
	st->virtual_clock = conf->virtual_clock;
	st->capture_if = DPS_CAPTURE_OFF;
	dps_params_default(&st->params);

	snprintf(name, sizeof(name), "%.16s_mbuf", st->name);
	st->pool = rte_pktmbuf_pool_create(name, conf->n_mbufs ? conf->n_mbufs : DEFAULT_MBUFS,
					   MBUF_CACHE,
					   RTE_ALIGN(sizeof(struct dps_mbuf_priv), RTE_MBUF_PRIV_ALIGN),
					   RTE_MBUF_DEFAULT_BUF_SIZE, conf->socket_id);
	if (st->pool == NULL)
		goto fail;

	snprintf(name, sizeof(name), "%.16s_punt", st->name);
	st->punt = rte_ring_create(name, PUNT_RING_SIZE, conf->socket_id, RING_F_SC_DEQ);
	if (st->punt == NULL)
		goto fail;

	size_t rcu_sz = rte_rcu_qsbr_get_memsize(DPS_MAX_WORKERS);
	st->rcu = rte_zmalloc_socket("dps_rcu", rcu_sz, RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (st->rcu == NULL || rte_rcu_qsbr_init(st->rcu, DPS_MAX_WORKERS) != 0)
		goto fail;

	st->n_workers = conf->n_workers;
	for (i = 0; i < st->n_workers; i++) {
		struct dps_worker *w = rte_zmalloc_socket("dps_worker", sizeof(*w),
							  RTE_CACHE_LINE_SIZE, conf->socket_id);
		if (w == NULL)
			goto fail;
		st->workers[i] = w;
		w->st = st;
		w->id = i;
		w->epfd = -1;
		w->wake_fd = -1;
		dps_wheel_init(&w->wheel, DPS_NS_PER_MS, dps_stack_now(st));
		snprintf(name, sizeof(name), "%.16s_inj%u", st->name, i);
		w->inject = rte_ring_create(name, INJECT_RING_SIZE, conf->socket_id,
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->inject == NULL)
			goto fail;
		snprintf(name, sizeof(name), "%.16s_rpc%u", st->name, i);
		w->rpc = rte_ring_create(name, 64, conf->socket_id, RING_F_SC_DEQ);
		if (w->rpc == NULL)
			goto fail;
		if (dps_net_worker_init(w) != 0)
			goto fail;
		if (dps_session_worker_init(w) != 0)
			goto fail;
	}
	if (dps_net_init(st) != 0)
		goto fail;
	if (dps_capture_init(st) != 0)
		goto fail;
	return st;
fail:
	DPS_LOG(ERR, core, "cannot create stack %s: %s", conf->name, rte_strerror(rte_errno));
	dps_stack_destroy(st);
	return NULL;
}

void dps_stack_destroy(struct dps_stack *st)
{
	unsigned i;

	if (st == NULL)
		return;
	dps_services_fini(st);
	dps_capture_fini(st);
	dps_net_fini(st);
	for (i = 0; i < DPS_MAX_WORKERS; i++)
		worker_free(st->workers[i]);
	if (st->punt != NULL) {
		struct rte_mbuf *m;

		while (rte_ring_sc_dequeue(st->punt, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(st->punt);
	}
	rte_free(st->rcu);
	rte_mempool_free(st->pool);
	rte_free(st);
}

int dps_iface_add(struct dps_stack *st, const char *name,
		  const struct rte_ether_addr *mac, uint16_t mtu, uint16_t port_id,
		  dps_rx_fn rx, dps_tx_fn tx, void *io_ctx)
{
	unsigned i;

	if (name == NULL || name[0] == '\0' || strlen(name) >= DPS_IFNAME_MAX || tx == NULL ||
	    mac == NULL)
		return -EINVAL;
	if (dps_iface_find(st, name) >= 0)
		return -EEXIST;
	for (i = 0; i < DPS_MAX_IFACES; i++)
		if (!st->ifaces[i].used)
			break;
	if (i == DPS_MAX_IFACES)
		return -ENOSPC;
	struct dps_iface *ifp = &st->ifaces[i];

	memset(ifp, 0, sizeof(*ifp));
	ifp->ifindex = i;
	ifp->port_id = port_id;
	snprintf(ifp->name, sizeof(ifp->name), "%s", name);
	ifp->mac = *mac;
	ifp->mtu = mtu;
	ifp->rx = rx;
	ifp->tx = tx;
	ifp->io_ctx = io_ctx;
	ifp->nb_queues = st->n_workers;
	snprintf(ifp->driver, sizeof(ifp->driver), "%s", port_id == DPS_PORT_NONE ? "sim" : "?");
	ifp->used = true;
	if (i + 1 > st->n_ifaces)
		st->n_ifaces = i + 1;
	return (int)i;
}

int dps_iface_find(const struct dps_stack *st, const char *name)
{
	unsigned i;

	for (i = 0; i < st->n_ifaces; i++)
		if (st->ifaces[i].used && strcmp(st->ifaces[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

uint64_t dps_stack_now(const struct dps_stack *st)
{
	return st->virtual_clock ? st->vclock_ns : dps_clock_ns();
}

static uint64_t err_sum(const struct dps_stack *st, enum dps_err e)
{
	uint64_t v = st->ctl_err[e];
	unsigned i;

	for (i = 0; i < st->n_workers; i++)
		v += st->workers[i]->err[e];
	return v;
}

uint64_t dps_err_get(const struct dps_stack *st, enum dps_err e)
{
	if ((unsigned)e >= DPS_ERR__MAX)
		return 0;
	return err_sum(st, e) - st->err_base[e];
}

static void if_sum(const struct dps_stack *st, unsigned ifindex, struct dps_if_stats *o)
{
	unsigned i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < st->n_workers; i++) {
		const struct dps_if_stats *s = &st->workers[i]->ifs[ifindex];

		o->rx_pkts += s->rx_pkts;
		o->rx_bytes += s->rx_bytes;
		o->rx_drops += s->rx_drops;
		o->tx_pkts += s->tx_pkts;
		o->tx_bytes += s->tx_bytes;
		o->tx_drops += s->tx_drops;
	}
}

void dps_if_stats_get(const struct dps_stack *st, unsigned ifindex, struct dps_if_stats *out)
{
	const struct dps_if_stats *b;

	if (ifindex >= DPS_MAX_IFACES) {
		memset(out, 0, sizeof(*out));
		return;
	}
	if_sum(st, ifindex, out);
	b = &st->if_base[ifindex];
	out->rx_pkts -= b->rx_pkts;
	out->rx_bytes -= b->rx_bytes;
	out->rx_drops -= b->rx_drops;
	out->tx_pkts -= b->tx_pkts;
	out->tx_bytes -= b->tx_bytes;
	out->tx_drops -= b->tx_drops;
}

void dps_counters_clear(struct dps_stack *st)
{
	unsigned i;

	for (i = 0; i < DPS_ERR__MAX; i++)
		st->err_base[i] = err_sum(st, i);
	for (i = 0; i < DPS_MAX_IFACES; i++)
		if_sum(st, i, &st->if_base[i]);
	dps_tcp_stats_clear(st);
}

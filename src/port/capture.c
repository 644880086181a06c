/*
 * pcapng capture. Workers copy packets with rte_pcapng_copy() into a ring
 * (an mbuf allocation from a dedicated pool, no system call); the control
 * plane writes the ring to the file. rte_pcapng writes one interface block
 * per ethdev port, so interfaces in the file are the DPDK port ids.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_pcapng.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "core/log.h"
#include "port/capture.h"

#define CAP_RING 4096
#define CAP_MBUFS 4095

struct dps_capture {
	struct rte_ring *ring;
	struct rte_mempool *mp;
	rte_pcapng_t *pcapng;
	struct dps_capture_status st;
	uint64_t drop_base;        /* pcap_drop counter when the capture began */
};

int dps_capture_init(struct dps_stack *st)
{
	char name[RTE_RING_NAMESIZE];
	struct dps_capture *c;

	c = rte_zmalloc("dps_capture", sizeof(*c), 0);
	if (c == NULL)
		return -ENOMEM;
	st->cap = c;
	c->st.ifindex = DPS_CAPTURE_OFF;
	snprintf(name, sizeof(name), "%.16s_cap", st->name);
	c->ring = rte_ring_create(name, CAP_RING, st->socket_id, RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "%.16s_capmb", st->name);
	c->mp = rte_pktmbuf_pool_create(name, CAP_MBUFS, 64, 0,
					rte_pcapng_mbuf_size(RTE_MBUF_DEFAULT_DATAROOM),
					st->socket_id);
	if (c->ring == NULL || c->mp == NULL)
		return -ENOMEM;
	return 0;
}

static void drain(struct dps_stack *st, bool write)
{
	struct dps_capture *c = st->cap;
	struct rte_mbuf *pkts[DPS_BURST];
	unsigned n;

	while ((n = rte_ring_sc_dequeue_burst(c->ring, (void **)pkts, DPS_BURST, NULL)) > 0) {
		unsigned w = n;

		if (!write || c->pcapng == NULL)
			w = 0;
		else if (c->st.max != 0 && c->st.written + w > c->st.max)
			w = (unsigned)(c->st.max - c->st.written);
		if (w > 0 && rte_pcapng_write_packets(c->pcapng, pkts, (uint16_t)w) >= 0)
			c->st.written += w;
		rte_pktmbuf_free_bulk(pkts, n);
		if (n < DPS_BURST)
			break;
	}
}

void dps_capture_fini(struct dps_stack *st)
{
	struct dps_capture *c = st->cap;

	if (c == NULL)
		return;
	dps_capture_stop(st, NULL);
	if (c->ring != NULL) {
		drain(st, false);
		rte_ring_free(c->ring);
	}
	rte_mempool_free(c->mp);
	rte_free(c);
	st->cap = NULL;
}

int dps_capture_start(struct dps_stack *st, int ifindex, const char *path, uint64_t max,
		      char *err, size_t errlen)
{
	struct dps_capture *c = st->cap;
	int fd;

	if (c->st.active) {
		snprintf(err, errlen, "a capture to %s is running; 'pcap stop' it first", c->st.path);
		return -EBUSY;
	}
	if (strlen(path) >= sizeof(c->st.path)) {
		snprintf(err, errlen, "file name too long");
		return -ENAMETOOLONG;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(e));
		return -e;
	}
	c->pcapng = rte_pcapng_fdopen(fd, NULL, NULL, "dpstackd", NULL);
	if (c->pcapng == NULL) {
		close(fd);
		snprintf(err, errlen, "cannot start pcapng on '%s'", path);
		return -EIO;
	}
	drain(st, false);
	memset(&c->st, 0, sizeof(c->st));
	c->st.active = true;
	c->st.ifindex = ifindex;
	c->st.max = max;
	snprintf(c->st.path, sizeof(c->st.path), "%s", path);
	c->drop_base = dps_err_get(st, DPS_ERR_PCAP_DROP);
	__atomic_store_n(&st->capture_if, ifindex, __ATOMIC_RELEASE);
	return 0;
}

int dps_capture_stop(struct dps_stack *st, struct dps_capture_status *last)
{
	struct dps_capture *c = st->cap;

	if (c == NULL || !c->st.active)
		return -ENOENT;
	__atomic_store_n(&st->capture_if, DPS_CAPTURE_OFF, __ATOMIC_RELEASE);
	/* no worker is still inside dps_capture_copy() after this */
	rte_rcu_qsbr_synchronize(st->rcu, RTE_QSBR_THRID_INVALID);
	drain(st, true);
	c->st.dropped = dps_err_get(st, DPS_ERR_PCAP_DROP) - c->drop_base;
	rte_pcapng_close(c->pcapng);
	c->pcapng = NULL;
	c->st.active = false;
	if (last != NULL)
		*last = c->st;
	return 0;
}

void dps_capture_get(struct dps_stack *st, struct dps_capture_status *out)
{
	*out = st->cap->st;
	if (out->active)
		out->dropped = dps_err_get(st, DPS_ERR_PCAP_DROP) - st->cap->drop_base;
}

unsigned dps_capture_poll(struct dps_stack *st)
{
	struct dps_capture *c = st->cap;
	uint64_t before;

	if (c == NULL || !c->st.active)
		return 0;
	before = c->st.written;
	drain(st, true);
	if (c->st.max != 0 && c->st.written >= c->st.max) {
		DPS_LOG(INFO, port, "capture to %s stopped after %" PRIu64 " packets", c->st.path,
			c->st.written);
		dps_capture_stop(st, NULL);
	}
	return (unsigned)(c->st.written - before);
}

void dps_capture_copy(struct dps_worker *w, struct dps_iface *ifp,
		      struct rte_mbuf **pkts, uint16_t n, bool rx)
{
	struct dps_capture *c = w->st->cap;
	uint64_t ts = rte_get_tsc_cycles();
	uint16_t i;

	if (ifp->port_id == DPS_PORT_NONE)
		return;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *cp = rte_pcapng_copy(ifp->port_id, w->id, pkts[i], c->mp, UINT32_MAX,
						      ts, rx ? RTE_PCAPNG_DIRECTION_IN :
							       RTE_PCAPNG_DIRECTION_OUT);
		if (cp == NULL) {
			w->err[DPS_ERR_PCAP_DROP]++;
			continue;
		}
		if (rte_ring_mp_enqueue(c->ring, cp) != 0) {
			rte_pktmbuf_free(cp);
			w->err[DPS_ERR_PCAP_DROP]++;
		}
	}
}

/*
 * Ports over DPDK ethdev. Every port the EAL probed (--vdev, -a) becomes an
 * interface named after its device: one rx and one tx queue per worker,
 * checksum offloads where the PMD has them, rx interrupts where it has them
 * (so an idle worker can sleep), RSS when there is more than one worker.
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>

#include "core/log.h"
#include "core/stack.h"
#include "port/port.h"

#define NB_RXD 1024
#define NB_TXD 1024

static uint16_t eth_rx(struct dps_iface *ifp, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(ifp->port_id, q, pkts, n);
}

static uint16_t eth_tx(struct dps_iface *ifp, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(ifp->port_id, q, pkts, n);
}

static int port_configure(struct dps_stack *st, uint16_t port, bool want_intr,
			  uint64_t *rx_off, uint64_t *tx_off)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t nq = (uint16_t)st->n_workers, q;
	uint16_t nrxd = NB_RXD, ntxd = NB_TXD;
	int ret;

	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0)
		return ret;
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		DPS_LOG(ERR, port, "port %u has %u rx / %u tx queues, %u workers need %u",
			port, info.max_rx_queues, info.max_tx_queues, nq, nq);
		return -ENOTSUP;
	}
	memset(&conf, 0, sizeof(conf));
	*rx_off = info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM |
		  RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	*tx_off = info.tx_offload_capa &
		  (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS |
		   RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	conf.rxmode.offloads = *rx_off;
	conf.txmode.offloads = *tx_off;
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	conf.intr_conf.rxq = want_intr ? 1 : 0;
	ret = rte_eth_dev_configure(port, nq, nq, &conf);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrxd, &ntxd);
	if (ret != 0)
		return ret;
	for (q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nrxd, rte_eth_dev_socket_id(port), NULL,
					     st->pool);
		if (ret != 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port, q, ntxd, rte_eth_dev_socket_id(port), NULL);
		if (ret != 0)
			return ret;
	}
	return rte_eth_dev_start(port);
}

int dps_ports_init(struct dps_stack *st)
{
	uint16_t port;
	int count = 0;

	RTE_ETH_FOREACH_DEV(port) {
		char name[RTE_ETH_NAME_MAX_LEN];
		struct rte_eth_dev_info info;
		struct rte_ether_addr mac;
		uint64_t rx_off, tx_off;
		uint16_t mtu = RTE_ETHER_MTU;
		bool intr = true;
		int ret, idx;

		if (rte_eth_dev_get_name_by_port(port, name) != 0 ||
		    rte_eth_dev_info_get(port, &info) != 0)
			return -ENODEV;
		/* rx interrupts let an idle worker sleep; not every PMD has them */
		ret = port_configure(st, port, true, &rx_off, &tx_off);
		if (ret != 0) {
			rte_eth_dev_stop(port);
			intr = false;
			ret = port_configure(st, port, false, &rx_off, &tx_off);
		}
		if (ret != 0) {
			/* the driver logged why just above; name the port and the call */
			DPS_LOG(ERR, port, "cannot start %s (driver %s): queue or device set-up "
				"refused with %s; see the driver's message above", name,
				info.driver_name, strerror(-ret));
			return ret;
		}
		if (intr && rte_eth_dev_rx_intr_ctl_q_get_fd(port, 0) < 0)
			intr = false;
		rte_eth_macaddr_get(port, &mac);
		rte_eth_dev_get_mtu(port, &mtu);
		idx = dps_iface_add(st, name, &mac, mtu, port, eth_rx, eth_tx, NULL);
		if (idx < 0) {
			DPS_LOG(ERR, port, "cannot add %s: %s", name, strerror(-idx));
			return idx;
		}
		st->ifaces[idx].rx_offload = rx_off;
		st->ifaces[idx].tx_offload = tx_off;
		st->ifaces[idx].rx_intr = intr;
		snprintf(st->ifaces[idx].driver, sizeof(st->ifaces[idx].driver), "%s",
			 info.driver_name);
		DPS_LOG(INFO, port, "%s: driver %s, mac " RTE_ETHER_ADDR_PRT_FMT ", mtu %u, %s",
			name, info.driver_name, RTE_ETHER_ADDR_BYTES(&mac), mtu,
			intr ? "rx interrupts" : "no rx interrupts");
		count++;
	}
	return count;
}

void dps_ports_fini(struct dps_stack *st)
{
	unsigned i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n_ifaces; i++) {
		struct dps_iface *ifp = &st->ifaces[i];

		if (!ifp->used || ifp->port_id == DPS_PORT_NONE)
			continue;
		rte_eth_dev_stop(ifp->port_id);
		rte_eth_dev_close(ifp->port_id);
		ifp->used = false;
	}
}

void dps_port_set_link(struct dps_stack *st, unsigned ifindex, bool up)
{
	struct dps_iface *ifp = dps_iface_get(st, ifindex);

	if (ifp == NULL || ifp->port_id == DPS_PORT_NONE)
		return;
	/* best effort: not every PMD can (memif, af_packet cannot) */
	if (up)
		rte_eth_dev_set_link_up(ifp->port_id);
	else
		rte_eth_dev_set_link_down(ifp->port_id);
}

void dps_port_link_str(struct dps_stack *st, unsigned ifindex, char *buf, size_t len)
{
	struct dps_iface *ifp = dps_iface_get(st, ifindex);
	struct rte_eth_link link;

	if (ifp == NULL || ifp->port_id == DPS_PORT_NONE) {
		snprintf(buf, len, "%s", ifp ? "simulated" : "?");
		return;
	}
	if (rte_eth_link_get_nowait(ifp->port_id, &link) != 0) {
		snprintf(buf, len, "unknown");
		return;
	}
	if (!link.link_status)
		snprintf(buf, len, "down");
	else if (link.link_speed == RTE_ETH_SPEED_NUM_NONE || link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN)
		snprintf(buf, len, "up");
	else
		snprintf(buf, len, "up %s %s", rte_eth_link_speed_to_str(link.link_speed),
			 link.link_duplex ? "full-duplex" : "half-duplex");
}

/* Ports over DPDK ethdev: every probed port becomes an interface. */
#ifndef DPS_PORT_PORT_H
#define DPS_PORT_PORT_H

#include "core/stack.h"

/**
 * Configure and start every ethdev port (one rx/tx queue pair per worker,
 * checksum offloads where offered, rx interrupts where the PMD has them)
 * and add it to the stack as an interface named after the device.
 * Returns the number of ports, or -errno.
 */
int dps_ports_init(struct dps_stack *st);
/** Stop and close every ethdev port. */
void dps_ports_fini(struct dps_stack *st);
/** Propagate admin state to the link (tap carrier etc.); best effort. */
void dps_port_set_link(struct dps_stack *st, unsigned ifindex, bool up);
/** Link status text ("up 10 Gbps full" / "down") for show interfaces. */
void dps_port_link_str(struct dps_stack *st, unsigned ifindex, char *buf, size_t len);

#endif

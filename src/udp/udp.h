/*
 * UDP (RFC 768): input from IPv4, output for the session layer's sockets.
 * A socket's datagrams wait in its rx FIFO as records: a struct
 * dps_udp_rec, then the payload.
 */
#ifndef DPS_UDP_UDP_H
#define DPS_UDP_UDP_H

#include <stdint.h>
#include <sys/types.h>

#include "core/stack.h"

struct dps_sock;

struct dps_udp_rec {
	uint32_t ip;      /* sender, host order */
	uint16_t port;
	uint16_t pad;
	uint32_t len;     /* payload bytes that follow */
};

/* Largest payload of one datagram: 65535 - 20 (IPv4) - 8 (UDP). */
#define DPS_UDP_MAX_PAYLOAD 65507u

/** A datagram for one of our addresses; m starts at the IPv4 header. */
void dps_udp_input(struct dps_worker *w, struct rte_mbuf *m);
ssize_t dps_udp_sendto(struct dps_worker *w, struct dps_sock *s, const void *buf, size_t len,
		       uint32_t ip, uint16_t port);
ssize_t dps_udp_recvfrom(struct dps_worker *w, struct dps_sock *s, void *buf, size_t len,
			 int flags, uint32_t *ip, uint16_t *port);
unsigned dps_udp_poll(const struct dps_sock *s);

/**
 * A packet mbuf (chain) holding len bytes of buf, with the pool's
 * headroom for headers in front: NULL if the pool is empty.
 */
struct rte_mbuf *dps_mbuf_from_buf(struct rte_mempool *mp, const void *buf, uint32_t len);

#endif

/*
 * Built-in services (VPP's builtin echo and http servers): TCP and UDP
 * servers inside dpstackd for tests and demos, until applications attach
 * through the session layer. The control plane starts one on every worker
 * (a listener or a bound UDP socket each, through dps_worker_rpc); from
 * then on the workers drive it from socket callbacks alone.
 *
 *   echo     TCP: sends back what it reads; UDP: returns each datagram
 *   discard  reads and drops (bytes counted)
 *   source   TCP: sends `bytes` bytes of a fixed pattern to whoever
 *            connects, then closes; what the client sends is dropped
 *   http     HTTP/1.1 GET/HEAD of the files of `root` (src/app/http.h)
 *
 * The source pattern: byte i of a stream is i % 251.
 *
 * All calls here are made by the control plane (or a startup file).
 */
#ifndef DPS_APP_SERVICE_H
#define DPS_APP_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "core/stack.h"

enum dps_svc_kind { DPS_SVC_ECHO, DPS_SVC_DISCARD, DPS_SVC_SOURCE, DPS_SVC_HTTP };

/* Connections one service accepts per worker; more are closed at accept. */
#define DPS_SVC_MAX_CONNS 16384
/* Pattern period of the source service. */
#define DPS_SVC_SOURCE_PERIOD 251

struct dps_svc_conf {
	enum dps_svc_kind kind;
	uint8_t proto;             /* IPPROTO_TCP or IPPROTO_UDP (echo, discard) */
	uint16_t port;             /* 1..65535 */
	uint64_t bytes;            /* source: bytes per connection */
	const char *root;          /* http: directory served */
};

/**
 * Start a service on every worker. 0, or -errno with a sentence in err and
 * nothing started: -EADDRINUSE (a service or another socket has the port),
 * -EINVAL (a kind without that protocol), http's site errors
 * (http_site_load: -ENOENT, -ENOTDIR, -EFBIG ...), a socket error of a
 * worker, -ETIMEDOUT (a worker did not answer).
 */
int dps_service_start(struct dps_stack *st, const struct dps_svc_conf *c, char *err,
		      size_t errlen);

/**
 * Stop the service `which` names: its name ("http"), its port ("80") or
 * port and protocol ("7/udp"). Open connections are reset. 0, or -ENOENT
 * (none), -EEXIST (the name or port fits more than one: the message lists
 * them), -ETIMEDOUT, with a sentence in err.
 */
int dps_service_stop(struct dps_stack *st, const char *which, char *err, size_t errlen);

/** A running service as `show services` prints it (counters summed over workers). */
struct dps_svc_info {
	enum dps_svc_kind kind;
	const char *name;          /* "echo", "discard", "source", "http" */
	uint8_t proto;
	uint16_t port;
	uint64_t conns_now;        /* TCP: open connections */
	uint64_t conns_total;      /* TCP: connections accepted */
	uint64_t requests;         /* http: requests answered; UDP: datagrams received */
	uint64_t rx_bytes, tx_bytes;
	uint64_t refused;          /* TCP: closed at accept, no room; UDP: echoes not sent */
	char detail[160];          /* "root /srv (3 files, 1.2 MiB)", "bytes 1000" */
};

/** Call cb for every service, in start order; stops when cb returns non-zero. */
void dps_service_walk(struct dps_stack *st, int (*cb)(const struct dps_svc_info *, void *),
		      void *arg);

/** Services running on the stack. */
unsigned dps_service_count(struct dps_stack *st);

/** Stop every service of the stack (before dps_stack_destroy). */
void dps_services_fini(struct dps_stack *st);

#endif

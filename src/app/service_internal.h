/*
 * Inside the built-in services: a service, its per-worker part and the
 * connection records. A service's per-worker part is touched only by its
 * worker once started (the control plane reads its counters, which may
 * lag); the control plane frees it after the stop RPC has returned.
 */
#ifndef DPS_APP_SERVICE_INTERNAL_H
#define DPS_APP_SERVICE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "app/http.h"
#include "app/service.h"
#include "core/stack.h"

/* Bytes one socket call moves at most (the scratch buffer; a UDP datagram fits). */
#define SVC_SCRATCH 65536

struct svc_worker;

/* One accepted TCP connection. */
struct svc_conn {
	struct svc_worker *sw;
	int32_t sd;                /* -1 when free */
	int32_t next_free;
	/* source: bytes still to send; http: body bytes still to send */
	uint64_t remaining;
	uint64_t sent;             /* source: bytes sent (pattern offset) */
	/* http */
	const uint8_t *body;       /* next body byte to send */
	uint64_t discard;          /* request body bytes still to skip */
	uint16_t head_len, head_off;  /* response head (+ error body) in head[] */
	bool close_after;          /* close once the response is out */
	bool lingering;            /* our FIN is out: read and drop until the peer's */
	char head[HTTP_RESP_MAX];
};

struct service;

struct svc_worker {
	struct service *svc;
	struct dps_worker *w;
	int32_t lsd;               /* listener or UDP socket, -1 */
	struct svc_conn *conns;    /* DPS_SVC_MAX_CONNS records (TCP) */
	uint32_t conns_hwm;        /* records [0, hwm) were handed out once */
	int32_t free_head;         /* freed records below hwm, -1 */
	/* counters: written by the worker, read by the control plane */
	uint64_t conns_now, conns_total, requests, rx_bytes, tx_bytes, refused;
	uint8_t *scratch;          /* SVC_SCRATCH bytes */
	uint8_t *pattern;          /* source: SVC_SCRATCH + one period of the pattern */
} __rte_cache_aligned;

struct service {
	struct service *next;
	struct dps_stack *st;
	enum dps_svc_kind kind;
	uint8_t proto;
	uint16_t port;
	uint64_t bytes;            /* source */
	struct http_site site;     /* http */
	unsigned n_sw;
	struct svc_worker *sw[DPS_MAX_WORKERS];
	bool leaked;               /* a worker timed out: memory left to it */
};

const char *svc_kind_name(enum dps_svc_kind k);

/* ---- service_conn.c: the callbacks ---- */
/** Listener callback (TCP): accept everything waiting. */
void svc_listen_cb(struct dps_worker *w, int sd, unsigned events, void *arg);
/** Bound-socket callback (UDP echo and discard). */
void svc_udp_cb(struct dps_worker *w, int sd, unsigned events, void *arg);
/** Reset every open connection of the worker's part and free the records. */
void svc_conns_abort(struct svc_worker *sw);

/* ---- service_http.c ---- */
/** Drive one HTTP connection as far as it goes now. */
void svc_http_conn(struct dps_worker *w, struct svc_conn *c, unsigned events);

/* shared by the connection handlers */
/** Close the connection's socket (reset it if abort) and free its record. */
void svc_conn_close(struct dps_worker *w, struct svc_conn *c, bool abort);
/**
 * Lingering close (as Apache's): send our FIN now, then read and drop
 * until the peer's, so that a request it sent meanwhile does not turn our
 * close into a reset that destroys the answer in flight.
 */
void svc_conn_finish(struct dps_worker *w, struct svc_conn *c);

#endif

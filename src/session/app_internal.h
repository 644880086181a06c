/*
 * Inside the application attach (app.c: control plane, app_worker.c:
 * workers). Not for other modules (app.h).
 *
 * Ownership of struct dps_app: the control plane makes it, fills it, and
 * hands it to every worker by RPC; from then on app->w[i] belongs to
 * worker i alone (its heap, its per-session state, its counters), except
 * the few fields marked "atomic" that the control plane reads. The
 * control plane frees the application only after every worker removed it
 * (RPC) and gave back every FIFO (w[i].fifos is 0).
 */
#ifndef DPS_SESSION_APP_INTERNAL_H
#define DPS_SESSION_APP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fifo/msgq.h"
#include "session/app.h"
#include "session/app_heap.h"
#include "session/session_internal.h"

/* What the application knows a socket as (struct app_sd.kind). */
enum {
	APP_SK_NONE = 0,           /* not (yet) the application's */
	APP_SK_LISTEN,             /* TCP listener */
	APP_SK_CONNECTING,         /* TCP connect, CONNECTED not posted yet */
	APP_SK_STREAM,             /* TCP connection */
	APP_SK_DGRAM,              /* UDP socket */
};

/* struct app_sd.told: events posted once */
#define APP_TOLD_CLOSED 0x01
#define APP_TOLD_RESET  0x02

/* struct app_sd.ct: a cut-through socket (DPS_SF_CUT) */
#define APP_CT_FIN    0x01         /* the peer is done sending: CLOSED once its data is in */
#define APP_CT_RST    0x02         /* the peer reset, or left while we still wrote: RESET */
#define APP_CT_WFIN   0x04         /* we are done sending: FIN once our tx FIFO is moved */
#define APP_CT_ORPHAN 0x08         /* the application closed it: freed once moved */

/* Daemon-side state of one socket of the application, indexed by sd. */
struct app_sd {
	uint64_t req;              /* CONNECT: the request to answer */
	uint32_t tx_tail;          /* TCP: tx FIFO tail already counted in tx_bytes */
	uint8_t kind;              /* APP_SK_* */
	uint8_t told;              /* APP_TOLD_* */
	uint8_t on_retry;          /* on the retry list */
	uint8_t tx_more;           /* UDP: datagrams left in the tx FIFO */
	/* cut-through: the peer socket on the same worker */
	int32_t ct_peer;           /* its sd, -1 once it is gone */
	uint32_t ct_gen;           /* its generation when joined */
	uint8_t ct;                /* APP_CT_* */
};

/* One application as one worker sees it. */
struct app_wk {
	/* set by the control plane before the worker sees the application */
	struct dps_msgq *qin, *qout;    /* in the segment */
	uint8_t *evt;                   /* event flags, indexed by sd */
	uint32_t q_slots;               /* our copy of each queue's slot count */
	uint32_t q_bytes;               /* and of its size in bytes */
	int wake_fd;                    /* eventfd the worker writes to wake the application */
	int bell_fd;                    /* our own doorbell when the worker had none, else -1 */
	struct dps_session_worker *sw;  /* to find which worker a socket belongs to */
	/* the worker's */
	struct dps_heap heap;
	struct app_sd *sd;              /* [DPS_SOCKS_PER_WORKER] */
	int32_t *retry;                 /* sds whose events wait for room in qout */
	uint32_t n_retry;
	uint32_t posted;                /* messages posted since the last notify */
	uint64_t msgs_in, msgs_out;
	uint64_t udp_tx_dropped;        /* datagrams the application sent that went nowhere */
	uint64_t heap_full;             /* FIFO allocations refused */
	char why[128];                  /* bad input, for the log and the application */
	/* read by the control plane (atomic) */
	uint32_t fifos;                 /* FIFOs handed out */
	uint32_t bad;                   /* 1: bad input found, why filled */
	uint32_t detach;                /* 1: the application sent DETACH */
};

struct dps_app {
	uint32_t id;                    /* 1, 2, ... never reused */
	char name[32];
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int fd;                         /* the API connection, -1 once closed */
	uint8_t *base;                  /* segment, mapped shared */
	uint64_t size;
	struct dps_app_layout lay;
	unsigned n_workers;
	bool closing;                   /* left: sessions finishing, waiting to be freed */
	bool stuck;                     /* a worker did not answer the detach RPC: never freed */
	uint64_t attach_ns;
	struct dps_app *next;           /* closing list (control plane) */
	struct app_wk w[DPS_MAX_WORKERS];
};

/* app_worker.c, run by the worker through RPC */
/** Add the application to the worker's array. -ENOSPC. */
int app_worker_add(struct dps_worker *w, void *app);
/**
 * Remove the application from the worker's array and close its sockets
 * there as close() would (listeners first). Always 0.
 */
int app_worker_remove(struct dps_worker *w, void *app);
/* What app_worker_count fills: sockets per application and worker. */
#define APP_LIST_MAX (2 * DPS_APP_MAX)
struct app_count {
	unsigned n;
	struct dps_app *app[APP_LIST_MAX];
	uint32_t sessions[APP_LIST_MAX][DPS_MAX_WORKERS];
};
/** Count the sockets of the applications in arg (struct app_count). */
int app_worker_count(struct dps_worker *w, void *arg);

#endif

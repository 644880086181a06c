/*
 * Applications attached over the API socket (issue 4, lib/dpsock/
 * dpsock_proto.h): their segments, message queues and sessions.
 *
 * Threads: the control plane accepts attaches and notices detaches
 * (app.c); each worker serves the queues of every attached application
 * and allocates FIFOs for the sessions it owns from that application's
 * heap for the worker, so no locks (app_worker.c). The set of
 * applications a worker serves is its own array, changed only by RPCs
 * the worker runs itself (dps_worker_rpc), so it needs no RCU either.
 *
 * Lifetime: an application that leaves (exits, dies, sends DETACH, or is
 * detached for bad input) has its sessions closed as close() would
 * (FIN after the queued data, RST when unread data was left, listeners
 * reset their unaccepted connections); its segment stays mapped in the
 * daemon until the last of those connections has given its FIFOs back.
 */
#ifndef DPS_SESSION_APP_H
#define DPS_SESSION_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/stack.h"
#include "fifo/fifo.h"

/* Applications attached at once (one per attaching thread). */
#define DPS_APP_MAX 128

struct dps_app;
struct dps_sock;

/* ---- control plane (main lcore) ---- */

/**
 * Claim the API socket at path (SOCK_SEQPACKET; a lock file as for the
 * control socket, so a second daemon on the same path is refused).
 * secret: NULL or "" for none, else applications must present it. Call
 * before the stack exists; dps_app_server_poll() serves it.
 * Returns 0 or -errno with a sentence in err.
 */
int dps_app_server_open(const char *path, const char *secret, char *err, size_t errlen);

/**
 * Without blocking: accept attaches, answer hellos, notice applications
 * that left (or that a worker found sending bad input) and close their
 * sessions, free segments nothing uses any more. Returns the work done.
 */
unsigned dps_app_server_poll(struct dps_stack *st);

/**
 * Close the API socket and every connection, unmap every segment. Call
 * after the stack is destroyed (its sockets give their FIFOs back to the
 * applications' heaps as they go).
 */
void dps_app_server_close(void);

/* Counters of the API socket (control plane). */
struct dps_app_stats {
	uint64_t attached;         /* attaches that succeeded */
	uint64_t refused;          /* hellos answered with an error */
	uint64_t bad_hello;        /* of which garbage (EPROTO) */
	uint64_t detached;         /* applications that left in order or died */
	uint64_t detached_bad;     /* applications detached for bad input */
	uint64_t freed;            /* segments unmapped */
};
void dps_app_stats_get(struct dps_app_stats *out);

/* What show apps prints of one application. */
struct dps_app_info {
	uint32_t id;
	char name[32];
	pid_t pid;
	uid_t uid;
	bool closing;              /* detached; sessions still finishing */
	uint64_t seg_size;
	uint64_t attached_ms;      /* since attach */
	unsigned n_workers;
	struct {
		uint32_t sessions;     /* sockets of this application on the worker */
		uint32_t q_in, q_out;  /* messages waiting in each queue */
		uint32_t q_slots;
		uint32_t fifos;        /* FIFOs in the heap */
		uint64_t heap_used, heap_size;
		uint64_t msgs_in, msgs_out;
	} w[DPS_MAX_WORKERS];
};

/**
 * Up to max applications, attached ones first, then those still closing.
 * Counts sessions through dps_worker_rpc. Returns how many were written.
 */
unsigned dps_app_list(struct dps_stack *st, struct dps_app_info *out, unsigned max);

/* ---- worker (from the session layer) ---- */

/** Serve the applications' queues: requests in, events out. Start of a pass. */
unsigned dps_app_worker_poll(struct dps_worker *w);
/** End of a pass: wake the applications that got messages and sleep. */
void dps_app_worker_flush(struct dps_worker *w);
/**
 * Before the worker sleeps on its wake eventfd: ask every application to
 * ring the doorbell for its next message (msgq.h C1-C3). false: a message
 * is already waiting, do not sleep. Call dps_app_worker_sleep_end() after
 * either answer.
 */
bool dps_app_worker_sleep_begin(struct dps_worker *w);
void dps_app_worker_sleep_end(struct dps_worker *w);

/** A FIFO of cap bytes for socket s (owned by s->app) in the segment; NULL if full. */
struct dps_fifo *dps_app_fifo_alloc(struct dps_app *app, struct dps_sock *s, uint32_t cap);
void dps_app_fifo_free(struct dps_app *app, struct dps_sock *s, struct dps_fifo *f);

/**
 * Before the datapath touches an application socket's FIFOs (TCP input
 * and output, UDP input): are their headers still as laid out (magic,
 * the capacity the daemon gave them, sane indices)? false: the
 * application is flagged for detach; do not touch the FIFOs.
 */
bool dps_app_sock_ok(struct dps_sock *s);

/** For show sessions: the application's id and name. */
uint32_t dps_app_id(const struct dps_app *app);
const char *dps_app_name(const struct dps_app *app);

/* ---- pure parts, for the unit tests ---- */

/**
 * Check a hello of len bytes: size, magic, version, NUL-terminated
 * strings, a printable name, a known namespace; the segment size asked
 * for in *seg_size (0: default). Returns 0, -EPROTO (garbage: wrong size,
 * magic or version, an unterminated string), -EINVAL (a size above
 * DPS_SEG_MAX, a bad name) or -ENOENT (unknown namespace), with why.
 */
int dps_app_hello_check(const void *buf, size_t len, uint64_t *seg_size, char *why,
			size_t whylen);

/* Where things go in a segment. */
struct dps_app_layout {
	uint64_t size;             /* total, page aligned */
	uint64_t q_off[DPS_MAX_WORKERS][2];   /* [in, out] queues */
	uint32_t q_bytes;          /* bytes of one queue */
	uint64_t evt_off[DPS_MAX_WORKERS];
	uint32_t evt_count;
	uint64_t heap_off[DPS_MAX_WORKERS];
	uint64_t heap_size;        /* of each worker's heap */
};

/**
 * Lay out a segment of about want bytes (0: default) for n_workers:
 * the size is raised to DPS_SEG_MIN and to what the queues plus 1 MiB of
 * heap per worker need. Returns 0 or -EINVAL (want > DPS_SEG_MAX,
 * n_workers 0 or too many).
 */
int dps_app_layout(uint64_t want, unsigned n_workers, struct dps_app_layout *l);

#endif

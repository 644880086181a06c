/*
 * Applications attached over the API socket (issue 4, lib/dpsock/
 * dpsock_proto.h): their segments, message queues and sessions.
 *
 * Threads: the control plane accepts attaches and notices detaches; each
 * worker serves the queues of every attached application and allocates
 * FIFOs for the sessions it owns from that application's heap for the
 * worker (so no locks).
 */
#ifndef DPS_SESSION_APP_H
#define DPS_SESSION_APP_H

#include <stdint.h>

#include "core/stack.h"
#include "fifo/fifo.h"

struct dps_app;
struct dps_sock;

/** A FIFO of cap bytes for socket s (owned by s->app) in the segment; NULL if full. */
struct dps_fifo *dps_app_fifo_alloc(struct dps_app *app, struct dps_sock *s, uint32_t cap);
void dps_app_fifo_free(struct dps_app *app, struct dps_sock *s, struct dps_fifo *f);

#endif

/*
 * The control plane's command language: one grammar for dpstackctl over the
 * control socket and for startup.conf. A command either succeeds, or fails
 * with a one-line error naming what is wrong and changes nothing.
 */
#ifndef DPS_CTL_CTL_H
#define DPS_CTL_CTL_H

#include <stdarg.h>
#include <stddef.h>

#include "core/stack.h"

/* Growable output buffer for a command's answer. */
struct dps_out {
	char *buf;
	size_t len, cap;
};
void dps_out_init(struct dps_out *o);
void dps_out_free(struct dps_out *o);
void dps_out_reset(struct dps_out *o);
void dps_out_printf(struct dps_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dps_out_vprintf(struct dps_out *o, const char *fmt, va_list ap);
/** The text so far, "" when nothing was written (never NULL). */
const char *dps_out_str(const struct dps_out *o);

/**
 * Run one command line. Returns 0 with the answer in out, or -1 with a
 * single line "error: ..." in out (nothing changed). Blank lines and
 * '#' comments succeed and print nothing.
 */
int dps_ctl_exec(struct dps_stack *st, const char *line, struct dps_out *out);

/**
 * Run a startup file, stopping at the first failing line. On failure out
 * holds "<path>:<line>: error: ..." and -1 is returned.
 */
int dps_ctl_exec_file(struct dps_stack *st, const char *path, struct dps_out *out);

/*
 * Control socket (Unix stream). A client sends one command line ending in
 * '\n'; the server answers with "ok\n" or "error\n" followed by the text,
 * then closes the connection.
 */

/**
 * Claim the control socket path: take an exclusive lock on "<path>.lock",
 * refuse if another daemon answers on path, then bind and listen.
 * Returns 0 or -errno with a sentence in err (e.g. "another dpstackd is
 * already running on /run/dpstack/ctl.sock (pid 123)").
 */
int dps_ctl_server_open(const char *path, char *err, size_t errlen);
/** Serve pending clients, waiting at most timeout_ms for activity. */
int dps_ctl_server_poll(struct dps_stack *st, int timeout_ms);
/** Close the socket and remove it and its lock file. */
void dps_ctl_server_close(void);

/** Register DPDK telemetry commands (/dpstack/...) for the stack. */
void dps_ctl_telemetry_init(struct dps_stack *st);
/** Detach telemetry from the stack before it is destroyed (answers -ENODEV). */
void dps_ctl_telemetry_fini(void);

#endif

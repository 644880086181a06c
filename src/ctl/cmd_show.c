/* Commands about the daemon as a whole: version, drop counters, workers. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#include <rte_version.h>

#include "ctl/ctl_internal.h"

/* meson generates the version header; a bare compile still works */
#if defined(__has_include)
#if __has_include("ctl/ctl_version.h")
#include "ctl/ctl_version.h"
#endif
#endif
#ifndef DPS_VERSION
#define DPS_VERSION "unknown"
#endif

int cmd_show_version(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	dps_out_printf(out, "dpstack %s, %s\n", DPS_VERSION, rte_version());
	return 0;
}

/* "IP4_BAD_CHECKSUM" -> "ip4_bad_checksum", as shown and in telemetry */
void ctl_err_name_lower(enum dps_err e, char *buf, size_t len)
{
	const char *s = dps_err_name(e);
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
}

int cmd_show_errors(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	unsigned shown = 0;

	for (unsigned e = 0; e < DPS_ERR__MAX; e++) {
		uint64_t n = dps_err_get(st, (enum dps_err)e);
		char name[64];

		if (n == 0)
			continue;
		if (shown++ == 0)
			dps_out_printf(out, "%12s  %-20s  %s\n", "Count", "Name", "Reason");
		ctl_err_name_lower((enum dps_err)e, name, sizeof(name));
		dps_out_printf(out, "%12" PRIu64 "  %-20s  %s\n", n, name,
			       dps_err_str((enum dps_err)e));
	}
	if (shown == 0)
		dps_out_printf(out, "no errors\n");
	return 0;
}

int cmd_show_workers(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const char *mode = st->params.poll_mode == DPS_POLL_BUSY ? "poll" : "adaptive";
	unsigned shown = 0;

	for (unsigned i = 0; i < st->n_workers; i++) {
		const struct dps_worker *w = st->workers[i];
		struct dps_poll_stats ps;

		if (w == NULL)
			continue;
		if (shown++ == 0)
			dps_out_printf(out, "%-6s %-5s %-8s %14s %14s %12s %12s %12s\n", "Worker",
				       "Lcore", "Mode", "Loops", "Busy loops", "Sleeps",
				       "Sleep time", "Intr wakeups");
		/*
		 * The worker writes these while we read: each 64-bit load is
		 * atomic on the targets we build for, and a view a loop old is
		 * good enough for a counter display.
		 */
		ps = w->poll;
		dps_out_printf(out, "%-6u %-5u %-8s %14" PRIu64 " %14" PRIu64 " %12" PRIu64
			       " %10.3f s %12" PRIu64 "\n", w->id, w->lcore, mode, ps.loops,
			       ps.busy_loops, ps.sleeps, (double)ps.sleep_ns / 1e9,
			       ps.intr_wakeups);
	}
	if (shown == 0)
		dps_out_printf(out, "no workers\n");
	return 0;
}

int cmd_clear_counters(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	dps_counters_clear(st);
	return 0;
}

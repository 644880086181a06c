/* Packet capture commands over port/capture.h. */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "ctl/ctl_internal.h"
#include "port/capture.h"

static const char *cap_if(struct dps_stack *st, int ifindex)
{
	const struct dps_iface *ifp;

	if (ifindex == DPS_CAPTURE_ALL)
		return "all interfaces";
	ifp = dps_iface_get(st, (unsigned)ifindex);
	return ifp != NULL ? ifp->name : "?";
}

int cmd_pcap_start(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const struct ctl_val *ifv = ctl_arg(a, "interface"), *fv = ctl_arg(a, "file");
	const struct ctl_val *mv = ctl_arg(a, "packets");
	struct dps_capture_status cs;
	char path[PATH_MAX], err[CTL_ERRLEN];

	dps_capture_get(st, &cs);
	if (cs.active)
		return ctl_err(out, "a capture is already running on %s into %s (pcap stop first)",
			       cap_if(st, cs.ifindex), cs.path);
	/*
	 * dpstackctl runs elsewhere than the daemon: a relative name would be
	 * relative to the daemon's directory, so say where the file really is.
	 */
	if (fv->word[0] == '/') {
		snprintf(path, sizeof(path), "%s", fv->word);
	} else {
		char cwd[PATH_MAX];

		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return ctl_err(out, "relative file %s and no working directory; give a full path",
				       fv->word);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", cwd, fv->word) >= sizeof(path))
			return ctl_err(out, "file path too long");
	}
	if (dps_capture_start(st, ifv->ifindex, path, mv != NULL ? mv->num : 0,
			      err, sizeof(err)) < 0)
		return ctl_err(out, "%s", err);
	dps_out_printf(out, "capturing %s into %s", cap_if(st, ifv->ifindex), path);
	if (mv != NULL)
		dps_out_printf(out, ", stopping after %" PRIu64 " packets", mv->num);
	dps_out_printf(out, "\n");
	return 0;
}

int cmd_pcap_stop(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	struct dps_capture_status last;

	if (dps_capture_stop(st, &last) < 0)
		return ctl_err(out, "no capture is running");
	dps_out_printf(out, "capture stopped: %" PRIu64 " packets written to %s", last.written,
		       last.path);
	if (last.dropped)
		dps_out_printf(out, ", %" PRIu64 " not captured (ring full)", last.dropped);
	dps_out_printf(out, "\n");
	return 0;
}

int cmd_show_pcap(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	struct dps_capture_status cs;

	dps_capture_get(st, &cs);
	if (!cs.active) {
		dps_out_printf(out, "no capture running\n");
		return 0;
	}
	dps_out_printf(out, "capturing %s into %s: %" PRIu64 " packets written",
		       cap_if(st, cs.ifindex), cs.path, cs.written);
	if (cs.max)
		dps_out_printf(out, " of at most %" PRIu64, cs.max);
	dps_out_printf(out, ", %" PRIu64 " not captured (ring full)\n", cs.dropped);
	return 0;
}

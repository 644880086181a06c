/* Built-in service commands: service start ..., service stop, show services. */
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>

#include "app/service.h"
#include "ctl/ctl_internal.h"

static int svc_start(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out,
		     enum dps_svc_kind kind, uint8_t proto)
{
	const struct ctl_val *bytes = ctl_arg(a, "bytes"), *root = ctl_arg(a, "directory");
	struct dps_svc_conf c = {
		.kind = kind,
		.proto = proto,
		.port = (uint16_t)ctl_arg(a, "port")->num,
		.bytes = bytes != NULL ? bytes->num : 0,
		.root = root != NULL ? root->word : NULL,
	};
	char err[CTL_ERRLEN];

	if (dps_service_start(st, &c, err, sizeof(err)) < 0)
		return ctl_err(out, "%s", err);
	return 0;
}

int cmd_svc_echo_tcp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	return svc_start(st, a, out, DPS_SVC_ECHO, IPPROTO_TCP);
}

int cmd_svc_echo_udp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	return svc_start(st, a, out, DPS_SVC_ECHO, IPPROTO_UDP);
}

int cmd_svc_discard_tcp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	return svc_start(st, a, out, DPS_SVC_DISCARD, IPPROTO_TCP);
}

int cmd_svc_discard_udp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	return svc_start(st, a, out, DPS_SVC_DISCARD, IPPROTO_UDP);
}

int cmd_svc_source(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	return svc_start(st, a, out, DPS_SVC_SOURCE, IPPROTO_TCP);
}

int cmd_svc_http(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	return svc_start(st, a, out, DPS_SVC_HTTP, IPPROTO_TCP);
}

int cmd_svc_stop(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	char err[CTL_ERRLEN];

	if (dps_service_stop(st, ctl_arg(a, "service")->word, err, sizeof(err)) < 0)
		return ctl_err(out, "%s", err);
	return 0;
}

static int show_one(const struct dps_svc_info *in, void *arg)
{
	struct dps_out *out = arg;
	bool udp = in->proto == IPPROTO_UDP;
	char now[24], total[24], reqs[24];

	if (out->len == 0)
		dps_out_printf(out, "%-8s %-5s %5s %8s %10s %10s %14s %14s  %s\n", "Name", "Proto",
			       "Port", "Conns", "Accepted", "Requests", "Rx bytes", "Tx bytes",
			       "Detail");
	snprintf(now, sizeof(now), "%" PRIu64, in->conns_now);
	snprintf(total, sizeof(total), "%" PRIu64, in->conns_total);
	snprintf(reqs, sizeof(reqs), "%" PRIu64, in->requests);
	dps_out_printf(out, "%-8s %-5s %5u %8s %10s %10s %14" PRIu64 " %14" PRIu64 "  %s",
		       in->name, udp ? "udp" : "tcp", in->port, udp ? "-" : now,
		       udp ? "-" : total,
		       udp || in->kind == DPS_SVC_HTTP ? reqs : "-",
		       in->rx_bytes, in->tx_bytes, in->detail);
	if (in->refused > 0)
		dps_out_printf(out, "%s%s %" PRIu64, in->detail[0] ? ", " : "",
			       udp ? "not echoed" : "refused", in->refused);
	dps_out_printf(out, "\n");
	return 0;
}

int cmd_show_services(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	dps_service_walk(st, show_one, out);
	if (out->len == 0)
		dps_out_printf(out, "no services\n");
	return 0;
}

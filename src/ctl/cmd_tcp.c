/* set tcp <param> <value>, show tcp params: the tunables of tcp_params.c. */
#include <errno.h>

#include "ctl/ctl_internal.h"
#include "tcp/tcp.h"

int cmd_set_tcp(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	char err[CTL_ERRLEN];
	struct dps_tcp_params p = st->params.tcp;

	/* on a copy, then one store: workers read the parameters when a
	 * connection starts and never see a half-written name */
	if (dps_tcp_param_set(&p, ctl_arg(a, "param")->word, ctl_arg(a, "value")->word,
			      err, sizeof(err)) != 0)
		return ctl_err(out, "%s", err);
	st->params.tcp = p;
	return 0;
}

int cmd_show_tcp_params(struct dps_stack *st, const struct ctl_args *a, struct dps_out *out)
{
	const char *name, *help;
	char val[32];
	unsigned i;

	dps_out_printf(out, "%-20s %-10s %s\n", "Parameter", "Value", "Meaning");
	for (i = 0; (name = dps_tcp_param_name(i, &help)) != NULL; i++) {
		dps_tcp_param_get(&st->params.tcp, name, val, sizeof(val));
		dps_out_printf(out, "%-20s %-10s %s\n", name, val, help);
	}
	return 0;
}

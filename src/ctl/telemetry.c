/*
 * DPDK telemetry (dpdk-telemetry.py): /dpstack/interfaces and
 * /dpstack/errors. The callbacks run on DPDK's telemetry thread, so they
 * only read counters and names, which the control plane does not free
 * while the daemon runs; they never touch the FIB or neighbour tables.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>

#include <rte_telemetry.h>

#include "ctl/ctl_internal.h"
#include "core/log.h"

/* The telemetry callback has no user argument: one stack per daemon. */
static struct dps_stack *tel_stack;

/* Dict keys may hold only letters, digits, '_' and '/': "0000:3b:00.0" -> "0000_3b_00_0". */
static void tel_key(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < len; i++)
		buf[i] = isalnum((unsigned char)name[i]) || name[i] == '_' ? name[i] : '_';
	buf[i] = '\0';
}

static int tel_interfaces(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dps_stack *st = tel_stack;

	if (st == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < st->n_ifaces; i++) {
		const struct dps_iface *ifp = dps_iface_get(st, i);
		struct rte_tel_data *one;
		struct dps_if_stats s;
		char key[RTE_TEL_MAX_STRING_LEN];

		if (ifp == NULL)
			continue;
		one = rte_tel_data_alloc();
		if (one == NULL)
			return -ENOMEM;
		dps_if_stats_get(st, i, &s);
		rte_tel_data_start_dict(one);
		rte_tel_data_add_dict_string(one, "name", ifp->name);
		rte_tel_data_add_dict_int(one, "ifindex", ifp->ifindex);
		rte_tel_data_add_dict_int(one, "admin_up", ifp->admin_up);
		rte_tel_data_add_dict_int(one, "mtu", ifp->mtu);
		rte_tel_data_add_dict_u64(one, "rx_packets", s.rx_pkts);
		rte_tel_data_add_dict_u64(one, "rx_bytes", s.rx_bytes);
		rte_tel_data_add_dict_u64(one, "rx_drops", s.rx_drops);
		rte_tel_data_add_dict_u64(one, "tx_packets", s.tx_pkts);
		rte_tel_data_add_dict_u64(one, "tx_bytes", s.tx_bytes);
		rte_tel_data_add_dict_u64(one, "tx_drops", s.tx_drops);
		tel_key(ifp->name, key, sizeof(key));
		/* keep = 0: the library frees the inner dict with the answer */
		if (rte_tel_data_add_dict_container(d, key, one, 0) < 0)
			rte_tel_data_free(one);
	}
	return 0;
}

static int tel_errors(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dps_stack *st = tel_stack;

	if (st == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	/* every reason, zero or not, so that a monitor sees a fixed set of keys */
	for (unsigned e = 0; e < DPS_ERR__MAX; e++) {
		char name[64];

		ctl_err_name_lower((enum dps_err)e, name, sizeof(name));
		rte_tel_data_add_dict_u64(d, name, dps_err_get(st, (enum dps_err)e));
	}
	return 0;
}

void dps_ctl_telemetry_init(struct dps_stack *st)
{
	static bool registered;

	tel_stack = st;
	/* commands cannot be unregistered: a second stack only repoints them */
	if (registered)
		return;
	registered = true;
	if (rte_telemetry_register_cmd("/dpstack/interfaces", tel_interfaces,
				       "Counters of every interface. No parameters") < 0 ||
	    rte_telemetry_register_cmd("/dpstack/errors", tel_errors,
				       "Drop counters by reason. No parameters") < 0)
		DPS_LOG(WARNING, ctl, "cannot register telemetry commands");
}

void dps_ctl_telemetry_fini(void)
{
	tel_stack = NULL;
}

#include "core/log.h"

int dps_logtype_core, dps_logtype_port, dps_logtype_net, dps_logtype_ctl;
int dps_logtype_session;

void dps_log_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	dps_logtype_core = rte_log_register_type_and_pick_level("dpstack.core", RTE_LOG_INFO);
	dps_logtype_port = rte_log_register_type_and_pick_level("dpstack.port", RTE_LOG_INFO);
	dps_logtype_net = rte_log_register_type_and_pick_level("dpstack.net", RTE_LOG_INFO);
	dps_logtype_ctl = rte_log_register_type_and_pick_level("dpstack.ctl", RTE_LOG_INFO);
	dps_logtype_session = rte_log_register_type_and_pick_level("dpstack.session",
								    RTE_LOG_INFO);
}

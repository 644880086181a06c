/* One log type per module, registered at start-up (STYLE.md 13). */
#ifndef DPS_CORE_LOG_H
#define DPS_CORE_LOG_H

#include <rte_log.h>

extern int dps_logtype_core, dps_logtype_port, dps_logtype_net, dps_logtype_ctl;
extern int dps_logtype_session;

#define DPS_LOG(level, mod, fmt, ...) \
	rte_log(RTE_LOG_##level, dps_logtype_##mod, "dpstack.%s: " fmt "\n", #mod, ##__VA_ARGS__)

/* Per-packet logs are compiled out unless DPS_DEBUG_DATAPATH is set. */
#ifdef DPS_DEBUG_DATAPATH
#define DPS_DP_LOG(mod, fmt, ...) DPS_LOG(DEBUG, mod, fmt, ##__VA_ARGS__)
#else
#define DPS_DP_LOG(mod, fmt, ...) do { } while (0)
#endif

/** Register the log types; safe to call more than once. */
void dps_log_init(void);

#endif

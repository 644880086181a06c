#include <time.h>

#include <rte_cycles.h>

#include "core/clock.h"

static uint64_t tsc_hz;
static uint64_t tsc_base;

void dps_clock_init(void)
{
	tsc_hz = rte_get_tsc_hz();
	tsc_base = rte_rdtsc();
}

uint64_t dps_clock_ns(void)
{
	if (tsc_hz == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		return (uint64_t)ts.tv_sec * DPS_NS_PER_S + (uint64_t)ts.tv_nsec;
	}
	uint64_t c = rte_rdtsc() - tsc_base;
	/* split to avoid overflowing c * 1e9 */
	return (c / tsc_hz) * DPS_NS_PER_S + ((c % tsc_hz) * DPS_NS_PER_S) / tsc_hz;
}

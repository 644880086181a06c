/*
 * The one clock of the stack (DESIGN.md "Time"). Only the worker loop and
 * the control loop read it; protocol code is handed `now` in nanoseconds.
 * A stack can run on a virtual clock instead (tests, simulation): then the
 * caller sets the time and nothing reads the TSC.
 */
#ifndef DPS_CORE_CLOCK_H
#define DPS_CORE_CLOCK_H

#include <stdint.h>

#define DPS_NS_PER_US 1000ull
#define DPS_NS_PER_MS 1000000ull
#define DPS_NS_PER_S  1000000000ull

/** Calibrate the TSC conversion; call once after rte_eal_init(). */
void dps_clock_init(void);
/** Monotonic nanoseconds from the TSC (or CLOCK_MONOTONIC before init). */
uint64_t dps_clock_ns(void);

#endif

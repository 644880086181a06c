/* Drop reasons: one enum value and one string per line of errors.def. */
#ifndef DPS_CORE_ERRORS_H
#define DPS_CORE_ERRORS_H

enum dps_err {
#define DPS_ERR(sym, str) DPS_ERR_##sym,
#include "core/errors.def"
#undef DPS_ERR
	DPS_ERR__MAX
};

/** Text for a drop reason, for show errors and telemetry. */
const char *dps_err_str(enum dps_err e);
/** Symbolic name ("IP4_BAD_CHECKSUM"); the CLI and telemetry show it lower-cased. */
const char *dps_err_name(enum dps_err e);

#endif

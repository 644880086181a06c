#include "core/errors.h"

static const char *const err_str[DPS_ERR__MAX] = {
#define DPS_ERR(sym, str) [DPS_ERR_##sym] = str,
#include "core/errors.def"
#undef DPS_ERR
};

static const char *const err_name[DPS_ERR__MAX] = {
#define DPS_ERR(sym, str) [DPS_ERR_##sym] = #sym,
#include "core/errors.def"
#undef DPS_ERR
};

const char *dps_err_str(enum dps_err e)
{
	return (unsigned)e < DPS_ERR__MAX ? err_str[e] : "?";
}

const char *dps_err_name(enum dps_err e)
{
	return (unsigned)e < DPS_ERR__MAX ? err_name[e] : "?";
}

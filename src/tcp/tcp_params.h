/* TCP tunables, part of struct dps_params (kept apart so core/stack.h can hold them). */
#ifndef DPS_TCP_PARAMS_H
#define DPS_TCP_PARAMS_H

#include <stdint.h>

/* ---- TCP tunables (stack-wide, `set tcp ...`), Linux defaults ---- */
struct dps_tcp_params {
	uint32_t msl_ms;              /* TIME-WAIT lasts 2*MSL: Linux 60 s total */
	uint32_t syn_retries;         /* tcp_syn_retries 6 */
	uint32_t synack_retries;      /* tcp_synack_retries 5 */
	uint32_t retries2;            /* tcp_retries2 15 */
	uint32_t fin_timeout_ms;      /* tcp_fin_timeout 60 s (FIN-WAIT-2 orphans) */
	uint32_t keepidle_s;          /* 7200 */
	uint32_t keepintvl_s;         /* 75 */
	uint32_t keepcnt;             /* 9 */
	uint32_t delack_ms;           /* 40 */
	uint32_t syn_backlog;         /* SYN-RECEIVED per listener before cookies (Linux 4096 -> 128 here) */
	uint8_t syncookies;           /* 0 off, 1 when the SYN queue is full (Linux 1), 2 always */
	uint8_t ecn;                  /* 0 off (issue: off by default), 1 request and accept */
	uint8_t sack;                 /* 1 */
	uint8_t timestamps;           /* 1 */
	uint8_t wscale;               /* 1 */
	uint32_t challenge_ack_limit; /* per second, Linux 1000 */
	char cc[16];                  /* "cubic" */
};

#endif

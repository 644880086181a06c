/*
 * TCP tunables by name, for `set tcp <name> <value>`, `show tcp params`
 * and the simulator: one table, so they cannot disagree.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

struct param_desc {
	const char *name;
	size_t off;
	uint8_t size;        /* 1 or 4: uint8_t or uint32_t field; 0: cc name */
	uint32_t min, max;
	const char *help;
};

#define P32(f, lo, hi, h) { #f, offsetof(struct dps_tcp_params, f), 4, lo, hi, h }
#define P8(f, hi, h) { #f, offsetof(struct dps_tcp_params, f), 1, 0, hi, h }

static const struct param_desc descs[] = {
	P32(msl_ms, 1, 3600000, "maximum segment lifetime; TIME-WAIT lasts twice this"),
	P32(syn_retries, 1, 127, "SYN retransmissions before connect() fails"),
	P32(synack_retries, 1, 127, "SYN-ACK retransmissions before a half-open connection goes"),
	P32(retries2, 1, 255, "retransmissions of data before the connection is dropped"),
	P32(fin_timeout_ms, 1, 3600000, "FIN-WAIT-2 time of a closed socket"),
	P32(keepidle_s, 1, 32767, "idle time before keepalive probes"),
	P32(keepintvl_s, 1, 32767, "time between keepalive probes"),
	P32(keepcnt, 1, 127, "unanswered keepalive probes before the connection is dropped"),
	P32(delack_ms, 1, 500, "delayed-ACK timeout"),
	P32(syn_backlog, 1, 65535, "connections in SYN-RECEIVED per listener before SYN cookies"),
	P32(challenge_ack_limit, 0, 1000000, "challenge ACKs per second (RFC 5961)"),
	P8(syncookies, 2, "SYN cookies: 0 never, 1 when the SYN queue is full, 2 always"),
	P8(ecn, 1, "ECN (RFC 3168): 0 off, 1 request and accept"),
	P8(sack, 1, "SACK (RFC 2018): 0 off, 1 on"),
	P8(timestamps, 1, "timestamps (RFC 7323): 0 off, 1 on"),
	P8(wscale, 1, "window scaling (RFC 7323): 0 off, 1 on"),
	{ "cc", offsetof(struct dps_tcp_params, cc), 0, 0, 0,
	  "congestion control of new connections: cubic or newreno" },
};

static const struct param_desc *find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(descs) / sizeof(descs[0]); i++)
		if (strcmp(descs[i].name, name) == 0)
			return &descs[i];
	return NULL;
}

int dps_tcp_param_set(struct dps_tcp_params *p, const char *name, const char *value,
		      char *err, size_t errlen)
{
	const struct param_desc *d = find(name);
	uint8_t *field;
	unsigned long long v;
	char *end;

	if (d == NULL) {
		snprintf(err, errlen, "no TCP parameter '%s' (see show tcp params)",
			 name != NULL ? name : "");
		return -ENOENT;
	}
	field = (uint8_t *)p + d->off;
	if (value == NULL || value[0] == '\0') {
		snprintf(err, errlen, "%s needs a value", d->name);
		return -EINVAL;
	}
	if (d->size == 0) {
		const struct tcp_cc_ops *cc = tcp_cc_find(value);

		if (cc == NULL || strlen(cc->name) >= sizeof(p->cc)) {
			snprintf(err, errlen, "no congestion control '%s' (cubic, newreno)", value);
			return -EINVAL;
		}
		memcpy(field, cc->name, strlen(cc->name) + 1);
		return 0;
	}
	errno = 0;
	v = isdigit((unsigned char)value[0]) ? strtoull(value, &end, 10) : 0;
	if (!isdigit((unsigned char)value[0]) || errno != 0 || *end != '\0' ||
	    v < d->min || v > d->max) {
		snprintf(err, errlen, "%s takes a whole number from %u to %u, not '%s'",
			 d->name, d->min, d->max, value);
		return -EINVAL;
	}
	if (d->size == 1) {
		*field = (uint8_t)v;
	} else {
		uint32_t v32 = (uint32_t)v;

		memcpy(field, &v32, sizeof(v32));
	}
	return 0;
}

int dps_tcp_param_get(const struct dps_tcp_params *p, const char *name, char *out, size_t outlen)
{
	const struct param_desc *d = find(name);
	const uint8_t *field;
	uint32_t v32;

	if (d == NULL)
		return -ENOENT;
	if (out == NULL || outlen == 0)
		return -EINVAL;
	field = (const uint8_t *)p + d->off;
	if (d->size == 0) {
		snprintf(out, outlen, "%.*s", (int)sizeof(p->cc), (const char *)field);
	} else if (d->size == 1) {
		snprintf(out, outlen, "%u", (unsigned)*field);
	} else {
		memcpy(&v32, field, sizeof(v32));
		snprintf(out, outlen, "%u", v32);
	}
	return 0;
}

const char *dps_tcp_param_name(unsigned i, const char **help)
{
	if (i >= sizeof(descs) / sizeof(descs[0]))
		return NULL;
	if (help != NULL)
		*help = descs[i].help;
	return descs[i].name;
}

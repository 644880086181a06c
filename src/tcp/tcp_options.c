/*
 * TCP options parsing and building (see tcp_options.h).
 */
#include <errno.h>
#include <string.h>

#include "tcp/tcp_options.h"

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static inline uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static inline uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

/* One option of kind/length olen at p (olen >= 2, fully inside the list). */
static void parse_one(struct tcp_opts *o, uint8_t kind, const uint8_t *p, uint8_t olen)
{
	switch (kind) {
	case TCP_OPT_MSS:
		if (olen != TCP_OLEN_MSS)
			goto bad_len;
		if (!(o->present & TCP_OPTF_MSS)) {
			o->mss = get16(p + 2);
			o->present |= TCP_OPTF_MSS;
		}
		return;
	case TCP_OPT_WSCALE:
		if (olen != TCP_OLEN_WSCALE)
			goto bad_len;
		if (!(o->present & TCP_OPTF_WSCALE)) {
			o->present |= TCP_OPTF_WSCALE;
			/* RFC 7323 2.3: above 14, log and use 14. */
			if (p[2] > TCP_WSCALE_MAX) {
				o->wscale = TCP_WSCALE_MAX;
				o->present |= TCP_OPTF_WSCALE_CLAMPED;
			} else {
				o->wscale = p[2];
			}
		}
		return;
	case TCP_OPT_SACKOK:
		if (olen != TCP_OLEN_SACKOK)
			goto bad_len;
		o->present |= TCP_OPTF_SACKOK;
		return;
	case TCP_OPT_TS:
		if (olen != TCP_OLEN_TS)
			goto bad_len;
		if (!(o->present & TCP_OPTF_TS)) {
			o->tsval = get32(p + 2);
			o->tsecr = get32(p + 6);
			o->present |= TCP_OPTF_TS;
		}
		return;
	case TCP_OPT_SACK:
		/* RFC 2018 3: length 2 + 8n, n >= 1; 40 bytes allow n <= 4. */
		if (olen < 2 + TCP_OLEN_SACK_BLOCK || (olen - 2) % TCP_OLEN_SACK_BLOCK)
			goto bad_len;
		if (!(o->present & TCP_OPTF_SACK)) {
			unsigned n = (olen - 2u) / TCP_OLEN_SACK_BLOCK;

			for (unsigned i = 0; i < n; i++) {
				o->sack[i].start = get32(p + 2 + 8 * i);
				o->sack[i].end = get32(p + 6 + 8 * i);
			}
			o->nsack = (uint8_t)n;
			o->present |= TCP_OPTF_SACK;
		}
		return;
	default:
		return; /* unknown kind: skipped by its length */
	}
bad_len:
	o->present |= TCP_OPTF_BAD_LEN;
}

int tcp_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	if (len > TCP_OPT_MAX_LEN)
		return -EINVAL;
	while (i < len) {
		uint8_t kind = p[i];
		uint8_t olen;

		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		/* RFC 9293 3.1: every other kind has a length byte; a length
		 * under 2 would not advance the walk (0) or cut the option's
		 * own header (1). */
		if (len - i < 2)
			goto broken;
		olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			goto broken;
		parse_one(o, kind, p + i, olen);
		i += olen;
	}
	return 0;
broken:
	memset(o, 0, sizeof(*o));
	return -EINVAL;
}

int tcp_opts_build_syn(const struct tcp_opts *o, uint8_t *buf, size_t cap)
{
	uint8_t tmp[TCP_SYN_OPTS_MAX_LEN];
	uint8_t *q = tmp;
	bool sackok = o->present & TCP_OPTF_SACKOK;
	size_t n;

	if ((o->present & TCP_OPTF_WSCALE) && o->wscale > TCP_WSCALE_MAX)
		return -EINVAL;
	if (o->present & TCP_OPTF_MSS) {
		*q++ = TCP_OPT_MSS;
		*q++ = TCP_OLEN_MSS;
		q = put16(q, o->mss);
	}
	if (o->present & TCP_OPTF_TS) {
		/* SACK-permitted, when offered, fills the two bytes that
		 * would otherwise be NOP NOP padding in front of TS. */
		if (sackok) {
			*q++ = TCP_OPT_SACKOK;
			*q++ = TCP_OLEN_SACKOK;
		} else {
			*q++ = TCP_OPT_NOP;
			*q++ = TCP_OPT_NOP;
		}
		*q++ = TCP_OPT_TS;
		*q++ = TCP_OLEN_TS;
		q = put32(q, o->tsval);
		q = put32(q, o->tsecr);
	} else if (sackok) {
		*q++ = TCP_OPT_NOP;
		*q++ = TCP_OPT_NOP;
		*q++ = TCP_OPT_SACKOK;
		*q++ = TCP_OLEN_SACKOK;
	}
	if (o->present & TCP_OPTF_WSCALE) {
		*q++ = TCP_OPT_NOP;
		*q++ = TCP_OPT_WSCALE;
		*q++ = TCP_OLEN_WSCALE;
		*q++ = o->wscale;
	}
	n = (size_t)(q - tmp);
	if (n > cap)
		return -ENOSPC;
	memcpy(buf, tmp, n);
	return (int)n;
}

int tcp_opts_build_ack(const struct tcp_opts *o, uint8_t *buf, size_t cap)
{
	uint8_t tmp[TCP_OPT_MAX_LEN];
	uint8_t *q = tmp;
	size_t n;

	if (o->present & TCP_OPTF_TS) {
		*q++ = TCP_OPT_NOP;
		*q++ = TCP_OPT_NOP;
		*q++ = TCP_OPT_TS;
		*q++ = TCP_OLEN_TS;
		q = put32(q, o->tsval);
		q = put32(q, o->tsecr);
	}
	if ((o->present & TCP_OPTF_SACK) && o->nsack > 0) {
		/* What is left of 40 bytes after NOP NOP kind len. */
		unsigned room = (TCP_OPT_MAX_LEN - (unsigned)(q - tmp) - 4) /
				TCP_OLEN_SACK_BLOCK;
		unsigned nb = o->nsack < room ? o->nsack : room;

		if (nb > TCP_SACK_MAX_BLOCKS)
			nb = TCP_SACK_MAX_BLOCKS;
		*q++ = TCP_OPT_NOP;
		*q++ = TCP_OPT_NOP;
		*q++ = TCP_OPT_SACK;
		*q++ = (uint8_t)(2 + TCP_OLEN_SACK_BLOCK * nb);
		for (unsigned i = 0; i < nb; i++) {
			q = put32(q, o->sack[i].start);
			q = put32(q, o->sack[i].end);
		}
	}
	n = (size_t)(q - tmp);
	if (n > cap)
		return -ENOSPC;
	memcpy(buf, tmp, n);
	return (int)n;
}

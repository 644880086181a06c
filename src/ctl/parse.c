/*
 * Words of a command line and the parsers of typed arguments. Parsers are
 * strict on purpose: a command typed wrong must fail with a reason rather
 * than be read as something else (inet_aton takes "10.1" and "010.0.0.1"
 * as valid addresses; we do not).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl_internal.h"
#include "net/net.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

const char *ctl_quote(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);
	/* room for two quotes, "..." and the NUL */
	size_t keep = len > 6 ? len - 6 : 0;

	if (n <= keep) {
		snprintf(buf, len, "'%s'", s);
	} else {
		/* do not cut a UTF-8 sequence in half */
		while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
			keep--;
		snprintf(buf, len, "'%.*s...'", (int)keep, s);
	}
	return buf;
}

int ctl_tokenize(char *line, char **words, unsigned max, char *err, size_t errlen)
{
	unsigned n = 0;
	char *p = line;

	for (;;) {
		char *start;

		while (is_blank(*p))
			p++;
		/* a word starting with '#' opens a comment to the end of the line */
		if (*p == '\0' || *p == '#')
			break;
		if (n == max) {
			snprintf(err, errlen, "too many words (at most %u)", max);
			return -E2BIG;
		}
		start = p;
		while (*p != '\0' && !is_blank(*p))
			p++;
		if ((size_t)(p - start) > CTL_MAX_WORD_LEN) {
			snprintf(err, errlen, "word of %zu characters is too long (at most %d)",
				 (size_t)(p - start), CTL_MAX_WORD_LEN);
			return -EINVAL;
		}
		words[n++] = start;
		if (*p != '\0')
			*p++ = '\0';
	}
	return (int)n;
}

bool ctl_text_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p, need;
		uint32_t cp, lo;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
				return false;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1, cp = c & 0x1f, lo = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2, cp = c & 0x0f, lo = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, cp = c & 0x07, lo = 0x10000;
		} else {
			return false;   /* stray continuation byte, overlong lead, or > U+10FFFF */
		}
		if ((size_t)(end - p) <= need)
			return false;
		for (unsigned i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		/* overlong forms, UTF-16 surrogates, beyond Unicode, C1 controls */
		if (cp < lo || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp < 0xa0))
			return false;
		p += need + 1;
	}
	return true;
}

/* The dotted quad at the start of s; *end is left after it. Reason in why. */
static int ip4_scan(const char *s, uint32_t *ip, const char **end, char *why, size_t len)
{
	uint32_t v = 0;
	const char *p = s;

	for (unsigned i = 0; i < 4; i++) {
		unsigned octet = 0, digits = 0;

		if (i > 0) {
			if (*p != '.') {
				if (*p == '\0' || *p == '/')
					snprintf(why, len, "expected 4 octets, got %u", i);
				else
					snprintf(why, len, "unexpected '%c' after octet %u", *p, i);
				return -EINVAL;
			}
			p++;
		}
		if (!is_digit(*p)) {
			if (*p == '\0' || *p == '.' || *p == '/')
				snprintf(why, len, "octet %u is empty", i + 1);
			else
				snprintf(why, len, "octet %u starts with '%c', not a digit", i + 1, *p);
			return -EINVAL;
		}
		while (is_digit(*p)) {
			if (++digits > 3) {
				snprintf(why, len, "octet %u has more than 3 digits", i + 1);
				return -EINVAL;
			}
			octet = octet * 10 + (unsigned)(*p - '0');
			p++;
		}
		/* "010" would be octal to inet_aton and decimal to a reader: refuse */
		if (digits > 1 && p[-(int)digits] == '0') {
			snprintf(why, len, "octet %u has a leading zero", i + 1);
			return -EINVAL;
		}
		if (octet > 255) {
			snprintf(why, len, "octet %u is %u, above 255", i + 1, octet);
			return -EINVAL;
		}
		v = v << 8 | octet;
	}
	if (*p == '.') {
		snprintf(why, len, "more than 4 octets");
		return -EINVAL;
	}
	*ip = v;
	*end = p;
	return 0;
}

int ctl_parse_ip4(const char *s, uint32_t *ip, char *err, size_t errlen)
{
	char why[96], q[80];
	const char *end;
	uint32_t v;

	if (*s == '\0') {
		snprintf(err, errlen, "empty IPv4 address");
		return -EINVAL;
	}
	if (ip4_scan(s, &v, &end, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "invalid IPv4 address %s: %s",
			 ctl_quote(s, q, sizeof(q)), why);
		return -EINVAL;
	}
	if (*end != '\0') {
		snprintf(err, errlen, "invalid IPv4 address %s: unexpected '%c' after the 4th octet",
			 ctl_quote(s, q, sizeof(q)), *end);
		return -EINVAL;
	}
	*ip = v;
	return 0;
}

int ctl_parse_prefix(const char *s, uint32_t *ip, uint8_t *plen, char *err, size_t errlen)
{
	char why[96], q[80];
	const char *p;
	unsigned len = 0, digits = 0;
	uint32_t v;

	if (*s == '\0') {
		snprintf(err, errlen, "empty prefix, expected a.b.c.d/len");
		return -EINVAL;
	}
	if (ip4_scan(s, &v, &p, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "invalid prefix %s: %s", ctl_quote(s, q, sizeof(q)), why);
		return -EINVAL;
	}
	if (*p == '\0') {
		snprintf(err, errlen, "invalid prefix %s: missing /len (a.b.c.d/len)",
			 ctl_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	if (*p != '/') {
		snprintf(err, errlen, "invalid prefix %s: unexpected '%c' after the address",
			 ctl_quote(s, q, sizeof(q)), *p);
		return -EINVAL;
	}
	p++;
	if (*p == '\0') {
		snprintf(err, errlen, "invalid prefix %s: missing length after '/'",
			 ctl_quote(s, q, sizeof(q)));
		return -EINVAL;
	}
	for (const char *d = p; *d != '\0'; d++) {
		if (!is_digit(*d) || ++digits > 2) {
			snprintf(err, errlen, "invalid prefix %s: length '%.8s' is not a number 0..32",
				 ctl_quote(s, q, sizeof(q)), p);
			return -EINVAL;
		}
		len = len * 10 + (unsigned)(*d - '0');
	}
	if (len > 32) {
		snprintf(err, errlen, "invalid prefix %s: length %u is above 32",
			 ctl_quote(s, q, sizeof(q)), len);
		return -EINVAL;
	}
	*ip = v;
	*plen = (uint8_t)len;
	return 0;
}

static uint32_t plen_mask(uint8_t plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

int ctl_parse_net(const char *s, uint32_t *ip, uint8_t *plen, char *err, size_t errlen)
{
	uint32_t a;
	uint8_t l;
	char b[16];

	if (ctl_parse_prefix(s, &a, &l, err, errlen) < 0)
		return -EINVAL;
	if (a & ~plen_mask(l)) {
		snprintf(err, errlen, "%s has host bits set: the network is %s/%u",
			 s, dps_ip4_str(a & plen_mask(l), b), l);
		return -EINVAL;
	}
	*ip = a;
	*plen = l;
	return 0;
}

int ctl_parse_ifaddr(const char *s, uint32_t *ip, uint8_t *plen, char *err, size_t errlen)
{
	uint32_t a, host;
	uint8_t l;
	char b[16];
	const char *bad = NULL;

	if (ctl_parse_prefix(s, &a, &l, err, errlen) < 0)
		return -EINVAL;
	if ((a >> 24) == 0)
		bad = "in 0.0.0.0/8 (\"this network\", RFC 1122 3.2.1.3)";
	else if ((a >> 24) == 127)
		bad = "a loopback address";
	else if ((a >> 28) == 0xe)
		bad = "a multicast address";
	else if ((a >> 28) == 0xf)
		bad = "reserved (240.0.0.0/4) or broadcast";
	if (bad != NULL) {
		snprintf(err, errlen, "%s cannot be an interface address: it is %s", s, bad);
		return -EINVAL;
	}
	if (l == 0) {
		snprintf(err, errlen, "%s: prefix length 0 is not valid for an interface address", s);
		return -EINVAL;
	}
	/* RFC 3021: /31 has no network or broadcast address; /32 is a host */
	host = a & ~plen_mask(l);
	if (l <= 30 && (host == 0 || host == ~plen_mask(l))) {
		snprintf(err, errlen, "%s is the %s address of %s/%u, not a host address", s,
			 host == 0 ? "network" : "broadcast", dps_ip4_str(a & plen_mask(l), b), l);
		return -EINVAL;
	}
	*ip = a;
	*plen = l;
	return 0;
}

int ctl_parse_num(const char *what, const char *s, uint64_t min, uint64_t max,
		  uint64_t *v, char *err, size_t errlen)
{
	uint64_t n = 0;
	char q[80];

	if (*s == '\0')
		goto nan;
	for (const char *p = s; *p != '\0'; p++) {
		if (!is_digit(*p))
			goto nan;
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			goto range;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (n < min || n > max)
		goto range;
	*v = n;
	return 0;
nan:
	snprintf(err, errlen, "%s %s is not a number", what, ctl_quote(s, q, sizeof(q)));
	return -EINVAL;
range:
	snprintf(err, errlen, "%s %s is out of range %" PRIu64 "..%" PRIu64,
		 what, ctl_quote(s, q, sizeof(q)), min, max);
	return -EINVAL;
}

int ctl_parse_updown(const char *s, bool *up, char *err, size_t errlen)
{
	char q[80];

	if (strcmp(s, "up") == 0) {
		*up = true;
		return 0;
	}
	if (strcmp(s, "down") == 0) {
		*up = false;
		return 0;
	}
	snprintf(err, errlen, "expected 'up' or 'down', not %s", ctl_quote(s, q, sizeof(q)));
	return -EINVAL;
}

int ctl_parse_iface(struct dps_stack *st, const char *s, int *ifindex, char *err, size_t errlen)
{
	char q[80];
	size_t used;
	int idx = st != NULL ? dps_iface_find(st, s) : -ENOENT;
	unsigned n = 0;

	if (idx >= 0) {
		*ifindex = idx;
		return 0;
	}
	used = (size_t)snprintf(err, errlen, "unknown interface %s (", ctl_quote(s, q, sizeof(q)));
	for (unsigned i = 0; st != NULL && i < st->n_ifaces && used < errlen; i++) {
		const struct dps_iface *ifp = dps_iface_get(st, i);

		if (ifp == NULL)
			continue;
		used += (size_t)snprintf(err + used, errlen - used, "%s%s",
					 n++ == 0 ? "have: " : ", ", ifp->name);
	}
	if (used < errlen)
		snprintf(err + used, errlen - used, "%s)", n == 0 ? "there are no interfaces" : "");
	return -ENOENT;
}

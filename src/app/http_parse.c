/*
 * HTTP/1.1 request heads (RFC 9112 2-7, RFC 9110 5-7) and response heads.
 * Strict where leniency is a request-smuggling hazard (bare CR, obs-fold,
 * white space before a colon, conflicting Content-Length, Transfer-
 * Encoding), lenient where RFC 9112 allows it (empty lines before the
 * request line, bare LF line endings).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app/http.h"

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Case-insensitive comparison of a counted string with a literal. */
static bool ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Trim optional white space (SP, HTAB) on both ends. */
static void ows_trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/*
 * The request target (RFC 9112 3.2): origin-form, or absolute-form with an
 * http(s) scheme whose path is taken. Query and fragment are dropped, the
 * path percent-decoded, and a ".." segment refused.
 */
static int parse_target(const char *t, size_t n, char *path)
{
	size_t o = 0;

	if (n >= 7 && strncasecmp(t, "http://", 7) == 0) {
		t += 7, n -= 7;
	} else if (n >= 8 && strncasecmp(t, "https://", 8) == 0) {
		t += 8, n -= 8;
	} else if (n == 0 || t[0] != '/') {
		return -400;
	}
	if (t[0] != '/') {             /* absolute-form: skip the authority */
		const char *slash = memchr(t, '/', n);

		if (slash == NULL) {
			t = "/", n = 1;
		} else {
			n -= (size_t)(slash - t);
			t = slash;
		}
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == '?' || c == '#')
			break;
		if (c <= ' ' || c == 0x7f)
			return -400;
		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -400;
			hi = hexval((unsigned char)t[i + 1]);
			lo = hexval((unsigned char)t[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -400;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (o + 1 >= HTTP_PATH_MAX)
			return -414;
		path[o++] = (char)c;
	}
	path[o] = '\0';
	/* RFC 3986 5.2.4 would resolve dot segments; a file server refuses them */
	for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2)
		if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
			return -400;
	return 0;
}

/* One line of buf from *pos: its start and length without CRLF/LF. */
enum line_rc { LINE_OK, LINE_MORE, LINE_BAD };

static enum line_rc next_line(const char *buf, size_t len, size_t *pos, const char **ls,
			      size_t *ll)
{
	const char *nl = memchr(buf + *pos, '\n', len - *pos);
	size_t n;

	if (nl == NULL)
		return LINE_MORE;
	*ls = buf + *pos;
	n = (size_t)(nl - *ls);
	if (n > 0 && (*ls)[n - 1] == '\r')
		n--;
	/* RFC 9112 2.2: a bare CR is invalid; NUL is never text */
	if (memchr(*ls, '\r', n) != NULL || memchr(*ls, '\0', n) != NULL)
		return LINE_BAD;
	*ll = n;
	*pos = (size_t)(nl - buf) + 1;
	return LINE_OK;
}

static int parse_request_line(const char *l, size_t n, struct http_req *r)
{
	const char *sp1 = memchr(l, ' ', n), *sp2, *v;
	size_t vlen;

	if (sp1 == NULL || sp1 == l)
		return -400;
	for (const char *p = l; p < sp1; p++)
		if (!is_tchar((unsigned char)*p))
			return -400;
	if (sp1 - l == 3 && memcmp(l, "GET", 3) == 0)
		r->method = HTTP_GET;
	else if (sp1 - l == 4 && memcmp(l, "HEAD", 4) == 0)
		r->method = HTTP_HEAD;
	else
		r->method = HTTP_OTHER;   /* methods are case-sensitive: "get" is another */
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return -400;
	v = sp2 + 1;
	vlen = n - (size_t)(v - l);
	if (vlen != 8 || strncmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return -400;
	if (v[5] != '1')
		return -505;
	r->minor = (uint8_t)(v[7] - '0');
	return parse_target(sp1 + 1, (size_t)(sp2 - sp1 - 1), r->path);
}

/* Content-Length: 1*DIGIT; a repeat must agree (RFC 9112 6.3 item 5). */
static int parse_content_length(const char *v, size_t n, bool *seen, uint64_t *cl)
{
	uint64_t x = 0;

	if (n == 0 || n > 18)
		return -400;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -400;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (*seen && x != *cl)
		return -400;
	*seen = true;
	*cl = x;
	return 0;
}

/* Connection: a comma-separated token list (RFC 9110 7.6.1). */
static void parse_connection(const char *v, size_t n, bool *close, bool *ka)
{
	while (n > 0) {
		const char *comma = memchr(v, ',', n);
		size_t tl = comma ? (size_t)(comma - v) : n;
		const char *t = v;
		size_t tn = tl;

		ows_trim(&t, &tn);
		if (ieq(t, tn, "close"))
			*close = true;
		else if (ieq(t, tn, "keep-alive"))
			*ka = true;
		if (comma == NULL)
			break;
		v = comma + 1;
		n -= tl + 1;
	}
}

int http_parse(const char *buf, size_t len, struct http_req *r)
{
	size_t pos = 0, ll;
	const char *l;
	unsigned hosts = 0;
	bool cl_seen = false, conn_close = false, conn_ka = false;
	enum line_rc lr;
	int rc;

	memset(r, 0, sizeof(*r));
	/* RFC 9112 2.2: ignore empty lines before the request line */
	while (pos < len && (buf[pos] == '\n' || (buf[pos] == '\r' && pos + 1 < len &&
						   buf[pos + 1] == '\n')))
		pos += buf[pos] == '\r' ? 2 : 1;
	lr = next_line(buf, len, &pos, &l, &ll);
	if (lr == LINE_BAD)
		return -400;
	if (lr == LINE_MORE)
		return len >= HTTP_HEAD_MAX ? -431 : 0;
	rc = parse_request_line(l, ll, r);
	if (rc < 0)
		return rc;
	for (;;) {
		const char *colon, *v;
		size_t vn;

		lr = next_line(buf, len, &pos, &l, &ll);
		if (lr == LINE_BAD)
			return -400;
		if (lr == LINE_MORE)
			return len >= HTTP_HEAD_MAX ? -431 : 0;
		if (pos > HTTP_HEAD_MAX)
			return -431;
		if (ll == 0)
			break;
		/* RFC 9112 5.2: obsolete line folding is refused with 400 */
		if (l[0] == ' ' || l[0] == '\t')
			return -400;
		colon = memchr(l, ':', ll);
		if (colon == NULL || colon == l)
			return -400;
		/* RFC 9112 5.1: no white space between name and colon */
		for (const char *p = l; p < colon; p++)
			if (!is_tchar((unsigned char)*p))
				return -400;
		v = colon + 1;
		vn = ll - (size_t)(v - l);
		ows_trim(&v, &vn);
		if (ieq(l, (size_t)(colon - l), "host")) {
			hosts++;
		} else if (ieq(l, (size_t)(colon - l), "content-length")) {
			if (parse_content_length(v, vn, &cl_seen, &r->content_length) < 0)
				return -400;
		} else if (ieq(l, (size_t)(colon - l), "transfer-encoding")) {
			return -501;
		} else if (ieq(l, (size_t)(colon - l), "connection")) {
			parse_connection(v, vn, &conn_close, &conn_ka);
		}
	}
	/* RFC 9112 3.2: HTTP/1.1 needs exactly one Host; never two */
	if (hosts > 1 || (r->minor >= 1 && hosts == 0))
		return -400;
	r->keep_alive = !conn_close && (r->minor >= 1 || conn_ka);
	return (int)pos;
}

/* ---- responses ---- */

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default:  return "Unknown";
	}
}

size_t http_response_head(char *buf, int status, const char *ctype, uint64_t clen,
			  bool keep_alive, bool head_only, size_t *body_len)
{
	char body[64];
	size_t blen = 0;
	int n;

	if (status >= 400) {
		blen = (size_t)snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
		ctype = "text/plain; charset=utf-8";
		clen = blen;
	}
	n = snprintf(buf, HTTP_RESP_MAX,
		     "HTTP/1.1 %d %s\r\n"
		     "Server: dpstack\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %" PRIu64 "\r\n"
		     "%s"
		     "Connection: %s\r\n"
		     "\r\n",
		     status, http_reason(status), ctype, clen,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "",
		     keep_alive ? "keep-alive" : "close");
	if (head_only)
		blen = 0;
	memcpy(buf + n, body, blen);
	if (body_len != NULL)
		*body_len = blen;
	return (size_t)n + blen;
}

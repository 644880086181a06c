/*
 * The built-in HTTP/1.1 server's pure parts: the request-head parser, the
 * site (the regular files of a directory, read into memory at start) and
 * the response head. No socket and no DPDK here, so the unit tests feed
 * them bytes and check the answers.
 *
 * What is served (RFC 9110, RFC 9112): GET and HEAD, persistent
 * connections (HTTP/1.1 by default, HTTP/1.0 with "Connection:
 * keep-alive"), "Connection: close" honoured, pipelined requests answered
 * in order. A request body announced by Content-Length is read and thrown
 * away; a chunked request body is not supported (501, then close).
 */
#ifndef DPS_APP_HTTP_H
#define DPS_APP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest request head (request line and header fields); longer: 431. */
#define HTTP_HEAD_MAX   8192
/* Longest request target after decoding; longer: 414. */
#define HTTP_PATH_MAX   1024
/* Longest response head http_response_head() writes (with an error body). */
#define HTTP_RESP_MAX   384
/* The site: at most this many files, and bytes in all, read at start. */
#define HTTP_SITE_MAX_FILES  4096
#define HTTP_SITE_MAX_BYTES  (1ull << 30)
#define HTTP_SITE_MAX_DEPTH  8

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

struct http_req {
	enum http_method method;
	uint8_t minor;                 /* HTTP/1.<minor> */
	bool keep_alive;               /* version default, then Connection */
	uint64_t content_length;       /* request body bytes to skip */
	char path[HTTP_PATH_MAX];      /* percent-decoded, query removed */
};

/**
 * Parse one request head from the start of buf[0..len).
 * Returns the head's length (> 0: the bytes to consume, CRLFs before the
 * request line included) with r filled; 0 if the head is not complete
 * yet; or the negated HTTP status to answer before closing: -400 malformed
 * (bad request line, header syntax, obs-fold, missing or repeated Host in
 * HTTP/1.1, bad or conflicting Content-Length, a ".." path segment),
 * -414 target too long, -431 head longer than HTTP_HEAD_MAX, -501
 * Transfer-Encoding, -505 a version other than HTTP/1.x.
 */
int http_parse(const char *buf, size_t len, struct http_req *r);

struct http_file {
	char *path;                    /* "/dir/name" */
	uint8_t *data;
	size_t len;
	const char *ctype;             /* Content-Type */
};

struct http_site {
	char root[4096];
	struct http_file *files;       /* sorted by path */
	unsigned n;
	uint64_t bytes;                /* all files together */
};

/**
 * Read the regular files under root (sub-directories up to
 * HTTP_SITE_MAX_DEPTH deep, symbolic links followed to regular files)
 * into memory. 0, or -errno with a sentence in err: root missing or not a
 * directory (-ENOENT, -ENOTDIR), a file that cannot be read, more than
 * HTTP_SITE_MAX_FILES files or HTTP_SITE_MAX_BYTES bytes (-EFBIG), no
 * memory (-ENOMEM). On failure nothing is left allocated.
 */
int http_site_load(struct http_site *s, const char *root, char *err, size_t errlen);
void http_site_free(struct http_site *s);

/**
 * The file a decoded path names: exact match, or "<path>index.html" for a
 * path ending in '/'. NULL if none.
 */
const struct http_file *http_site_find(const struct http_site *s, const char *path);

/** Content-Type by file name extension (application/octet-stream by default). */
const char *http_content_type(const char *name);

/** "OK", "Not Found" ... for the statuses this server answers. */
const char *http_reason(int status);

/**
 * Write a response head into buf (at least HTTP_RESP_MAX bytes). For an
 * error status (>= 400) a short text body "<status> <reason>\n" follows the
 * head and body_len is set to its length (0 for HEAD); otherwise ctype and
 * clen describe the body the caller sends. Returns the bytes written (head
 * and error body).
 */
size_t http_response_head(char *buf, int status, const char *ctype, uint64_t clen,
			  bool keep_alive, bool head_only, size_t *body_len);

#endif

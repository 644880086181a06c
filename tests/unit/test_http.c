/*
 * The HTTP service's pure parts (src/app/http.h): the request-head parser
 * on good, split, pipelined and malformed input, the response head, and
 * the site loader and lookup on a temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/http.h"

static struct http_req req;

static int parse(const char *s)
{
	return http_parse(s, strlen(s), &req);
}

/* The head must parse whole: returns its length; path, method checked by the caller. */
static void expect_complete(const char *s)
{
	int rc = parse(s);

	if (rc != (int)strlen(s))
		fail_msg("'%s': expected %zu, got %d", s, strlen(s), rc);
}

static void expect_status(const char *s, int status)
{
	int rc = parse(s);

	if (rc != -status)
		fail_msg("'%s': expected %d, got %d", s, -status, rc);
}

static void test_parse_good(void **state)
{
	expect_complete("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(req.method, HTTP_GET);
	assert_string_equal(req.path, "/");
	assert_int_equal(req.minor, 1);
	assert_true(req.keep_alive);
	assert_int_equal(req.content_length, 0);

	expect_complete("HEAD /a/b.txt HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n");
	assert_int_equal(req.method, HTTP_HEAD);
	assert_string_equal(req.path, "/a/b.txt");

	/* HTTP/1.0: close unless asked; Host optional */
	expect_complete("GET /x HTTP/1.0\r\n\r\n");
	assert_int_equal(req.minor, 0);
	assert_false(req.keep_alive);
	expect_complete("GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
	assert_true(req.keep_alive);
	/* Connection: close honoured, in a list too, any case */
	expect_complete("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_false(req.keep_alive);
	expect_complete("GET /x HTTP/1.1\r\nHost: x\r\nconnection: Upgrade , CLOSE\r\n\r\n");
	assert_false(req.keep_alive);
	expect_complete("GET /x HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
	assert_true(req.keep_alive);

	/* empty lines before the request line, bare LF endings (RFC 9112 2.2) */
	expect_complete("\r\n\r\nGET /y HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_string_equal(req.path, "/y");
	expect_complete("GET /z HTTP/1.1\nHost: x\n\n");
	assert_string_equal(req.path, "/z");

	/* other methods parse (the service answers 405); methods are case-sensitive */
	expect_complete("POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n");
	assert_int_equal(req.method, HTTP_OTHER);
	assert_int_equal(req.content_length, 12);
	expect_complete("get / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(req.method, HTTP_OTHER);
	expect_complete("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(req.method, HTTP_OTHER);

	/* a repeated Content-Length that agrees is accepted */
	expect_complete("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n");
	assert_int_equal(req.content_length, 3);
	/* header values: OWS around them; empty values */
	expect_complete("GET / HTTP/1.1\r\nHost:x\r\nX-Empty:\r\nX-Tab:\t v \t\r\n\r\n");
}

static void test_parse_target(void **state)
{
	static const char *const good[][2] = {
		{ "/a%20b/c%2Fd", "/a b/c/d" },
		{ "/q?x=1&y=/../z", "/q" },
		{ "/f#frag", "/f" },
		{ "http://example.test:8080/abs/p?q", "/abs/p" },
		{ "HTTP://example.test", "/" },
		/* dots that are not a ".." segment are names */
		{ "/a..b/...//.x", "/a..b/...//.x" },
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char head[256];

		snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", good[i][0]);
		expect_complete(head);
		assert_string_equal(req.path, good[i][1]);
	}
	/* ".." segments, plain or encoded, anywhere */
	expect_status("GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET /a/.. HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET /a/../b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET /%2e%2e/x HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET /a/.%2E HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET /a%2f..%2fb HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	/* bad escapes, NUL, control characters, not a path */
	expect_status("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET /%4 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET /% HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET index.html HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET ftp://h/x HTTP/1.1\r\nHost: x\r\n\r\n", 400);

	/* too long a target: 414 */
	char big[HTTP_PATH_MAX + 200];
	int n = snprintf(big, sizeof(big), "GET /");

	memset(big + n, 'a', HTTP_PATH_MAX + 10);
	strcpy(big + n + HTTP_PATH_MAX + 10, " HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(big, 414);
}

static void test_parse_malformed(void **state)
{
	/* request line */
	expect_status("GET\r\n\r\n", 400);
	expect_status("GET /\r\n\r\n", 400);
	expect_status("GET / \r\n\r\n", 400);
	expect_status("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status(" GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400);
	expect_status("GET / HTTPS/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400);
	expect_status("GET / http/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("G@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400);
	expect_status("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
	expect_status("GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505);
	/* bare CR, NUL */
	expect_status("GET / HTTP/1.1\rHost: x\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n", 400);
	{
		static const char nul[] = "GET / HTTP/1.1\r\nHost: \0x\r\n\r\n";

		assert_int_equal(http_parse(nul, sizeof(nul) - 1, &req), -400);
	}
	/* header fields */
	expect_status("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: x\r\n: empty-name\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\n\tHost: x\r\n\r\n", 400);
	/* Host: exactly one in HTTP/1.1, never two */
	expect_status("GET / HTTP/1.1\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
	expect_status("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", 400);
	/* Content-Length */
	expect_status("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1234567890123456789\r\n\r\n",
		      400);
	expect_status("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
		      400);
	/* Transfer-Encoding: not supported */
	expect_status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501);
}

static void test_parse_incomplete(void **state)
{
	static const char *const heads[] = {
		"GET /index.html HTTP/1.1\r\nHost: example\r\nConnection: close\r\n\r\n",
		"\r\nHEAD / HTTP/1.0\n\n",
	};

	for (size_t h = 0; h < 2; h++) {
		size_t len = strlen(heads[h]);

		/* every proper prefix is "not yet"; the whole head is complete */
		for (size_t i = 0; i < len; i++)
			if (http_parse(heads[h], i, &req) != 0)
				fail_msg("prefix %zu of head %zu: %d", i, h, http_parse(heads[h], i, &req));
		assert_int_equal(http_parse(heads[h], len, &req), (int)len);
	}
	/* pipelined: the first head's length, then the second from there */
	const char *two = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n";
	int first = parse(two);

	assert_int_equal(first, (int)strlen(two) / 2);
	assert_string_equal(req.path, "/1");
	assert_int_equal(parse(two + first), first);
	assert_string_equal(req.path, "/2");

	/* a head that never ends: 431 once HTTP_HEAD_MAX bytes are in */
	char *big = malloc(HTTP_HEAD_MAX + 64);
	size_t n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");

	memset(big + n, 'b', HTTP_HEAD_MAX + 64 - n);
	assert_int_equal(http_parse(big, HTTP_HEAD_MAX - 1, &req), 0);
	assert_int_equal(http_parse(big, HTTP_HEAD_MAX, &req), -431);
	/* complete but too long */
	memcpy(big + HTTP_HEAD_MAX + 20, "\r\n\r\n", 4);
	assert_int_equal(http_parse(big, HTTP_HEAD_MAX + 24, &req), -431);
	/* a request line without end */
	memset(big, 'G', HTTP_HEAD_MAX + 64);
	assert_int_equal(http_parse(big, HTTP_HEAD_MAX + 64, &req), -431);
	free(big);
}

static void test_response_head(void **state)
{
	char buf[HTTP_RESP_MAX];
	size_t blen, n;

	n = http_response_head(buf, 200, "text/html; charset=utf-8", 104857600, true, false, &blen);
	buf[n] = '\0';
	assert_int_equal(blen, 0);
	assert_string_equal(buf, "HTTP/1.1 200 OK\r\nServer: dpstack\r\n"
			    "Content-Type: text/html; charset=utf-8\r\n"
			    "Content-Length: 104857600\r\nConnection: keep-alive\r\n\r\n");

	n = http_response_head(buf, 404, NULL, 0, false, false, &blen);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "HTTP/1.1 404 Not Found\r\n"));
	assert_non_null(strstr(buf, "Content-Length: 14\r\n"));
	assert_non_null(strstr(buf, "Connection: close\r\n\r\n404 Not Found\n"));
	assert_int_equal(blen, 14);

	/* HEAD: the length of the body it would have, no body */
	n = http_response_head(buf, 404, NULL, 0, true, true, &blen);
	buf[n] = '\0';
	assert_int_equal(blen, 0);
	assert_non_null(strstr(buf, "Content-Length: 14\r\n"));
	assert_int_equal(strcmp(buf + n - 4, "\r\n\r\n"), 0);

	n = http_response_head(buf, 405, NULL, 0, true, false, NULL);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "HTTP/1.1 405 Method Not Allowed\r\n"));
	assert_non_null(strstr(buf, "Allow: GET, HEAD\r\n"));
	for (int s = 400; s < 600; s++)   /* the longest fits */
		assert_true(http_response_head(buf, s, NULL, 0, false, false, NULL) < HTTP_RESP_MAX);
	assert_string_equal(http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http_content_type("/a/b.HTML"), "text/html; charset=utf-8");
	assert_string_equal(http_content_type("/a.b/c"), "application/octet-stream");
	assert_string_equal(http_content_type("/x.css"), "text/css");
}

/* ---- the site ---- */

static char dir[64];

static void put(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_site(void **state)
{
	struct http_site s;
	const struct http_file *f;
	char err[256], p[256], q[256];
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/test_http.XXXXXX");
	assert_non_null(mkdtemp(dir));
	put("index.html", "<h1>hi</h1>\n");
	put("a.txt", "alpha\n");
	put("empty", "");
	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	put("sub/index.html", "sub index\n");
	put("sub/b.css", "b{}\n");
	snprintf(p, sizeof(p), "%s/link.txt", dir);
	assert_int_equal(symlink("a.txt", p), 0);
	snprintf(p, sizeof(p), "%s/dangling", dir);
	assert_int_equal(symlink("nowhere", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0644), 0);

	/* a trailing slash on the root is the same root */
	snprintf(q, sizeof(q), "%s//", dir);
	assert_int_equal(http_site_load(&s, q, err, sizeof(err)), 0);
	assert_string_equal(s.root, dir);
	assert_int_equal(s.n, 6);   /* index.html a.txt empty link.txt sub/index.html sub/b.css */
	assert_int_equal(s.bytes, 12 + 6 + 0 + 6 + 10 + 4);
	f = http_site_find(&s, "/");
	assert_non_null(f);
	assert_string_equal(f->path, "/index.html");
	assert_int_equal(f->len, 12);
	assert_memory_equal(f->data, "<h1>hi</h1>\n", 12);
	assert_string_equal(f->ctype, "text/html; charset=utf-8");
	f = http_site_find(&s, "/sub/");
	assert_non_null(f);
	assert_memory_equal(f->data, "sub index\n", 10);
	f = http_site_find(&s, "/sub/b.css");
	assert_non_null(f);
	assert_string_equal(f->ctype, "text/css");
	f = http_site_find(&s, "/link.txt");
	assert_non_null(f);
	assert_memory_equal(f->data, "alpha\n", 6);
	f = http_site_find(&s, "/empty");
	assert_non_null(f);
	assert_int_equal(f->len, 0);
	assert_null(http_site_find(&s, "/sub"));
	assert_null(http_site_find(&s, "/nope"));
	assert_null(http_site_find(&s, "/fifo"));
	assert_null(http_site_find(&s, "/dangling"));
	assert_null(http_site_find(&s, ""));
	http_site_free(&s);
	assert_int_equal(s.n, 0);

	/* errors: missing root, a file as root, too large (sparse: nothing read) */
	snprintf(p, sizeof(p), "%s/missing", dir);
	assert_int_equal(http_site_load(&s, p, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
	snprintf(p, sizeof(p), "%s/a.txt", dir);
	assert_int_equal(http_site_load(&s, p, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, "not a directory"));
	assert_int_equal(http_site_load(&s, "", err, sizeof(err)), -EINVAL);
	snprintf(p, sizeof(p), "%s/sub/huge", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)HTTP_SITE_MAX_BYTES + 1), 0);
	close(fd);
	assert_int_equal(http_site_load(&s, dir, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, "too large"));
	assert_null(s.files);

	snprintf(p, sizeof(p), "rm -rf %s", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_target),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_incomplete),
		cmocka_unit_test(test_response_head),
		cmocka_unit_test(test_site),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

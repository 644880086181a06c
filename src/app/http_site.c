/*
 * The HTTP service's site: every regular file under its root read into
 * memory once, when the service starts, and looked up by path with a
 * binary search. Workers only read it; requests never touch the file
 * system.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/http.h"

const char *http_content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
		{ "txt", "text/plain; charset=utf-8" }, { "md", "text/markdown; charset=utf-8" },
		{ "css", "text/css" },                  { "js", "text/javascript" },
		{ "json", "application/json" },         { "svg", "image/svg+xml" },
		{ "png", "image/png" },                 { "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },               { "gif", "image/gif" },
		{ "ico", "image/x-icon" },              { "pdf", "application/pdf" },
		{ "xml", "application/xml" },           { "gz", "application/gzip" },
	};
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');

	if (dot != NULL && (slash == NULL || dot > slash))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

void http_site_free(struct http_site *s)
{
	for (unsigned i = 0; i < s->n; i++) {
		free(s->files[i].path);
		free(s->files[i].data);
	}
	free(s->files);
	s->files = NULL;
	s->n = 0;
	s->bytes = 0;
}

static int read_file(const char *fs_path, const struct stat *sb, struct http_file *f,
		     char *err, size_t errlen)
{
	int fd = open(fs_path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot open %s: %s", fs_path, strerror(e));
		return -e;
	}
	/* malloc(0) may return NULL: keep one byte for an empty file */
	f->data = malloc(sb->st_size > 0 ? (size_t)sb->st_size : 1);
	if (f->data == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory reading %s", fs_path);
		return -ENOMEM;
	}
	while (got < (size_t)sb->st_size) {
		ssize_t n = read(fd, f->data + got, (size_t)sb->st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			snprintf(err, errlen, "cannot read %s: %s", fs_path,
				 n < 0 ? strerror(e) : "file shrank while read");
			close(fd);
			return -e;
		}
		got += (size_t)n;
	}
	close(fd);
	f->len = got;
	return 0;
}

/* Add the regular files of fs_dir (URL prefix url_dir, "" or "/sub") to s. */
static int load_dir(struct http_site *s, unsigned *cap, const char *fs_dir, const char *url_dir,
		    unsigned depth, char *err, size_t errlen)
{
	DIR *d = opendir(fs_dir);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		int e = errno;

		snprintf(err, errlen, "cannot open directory %s: %s", fs_dir, strerror(e));
		return -e;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char fs_path[4096 + 256], url[HTTP_PATH_MAX + 256];
		struct http_file *f;
		struct stat sb;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(fs_path, sizeof(fs_path), "%s/%s", fs_dir, de->d_name);
		if (stat(fs_path, &sb) != 0)
			continue;   /* a dangling link: nothing to serve */
		if ((size_t)snprintf(url, sizeof(url), "%s/%s", url_dir, de->d_name) >=
		    HTTP_PATH_MAX)
			continue;   /* no request could name it */
		if (S_ISDIR(sb.st_mode)) {
			if (depth < HTTP_SITE_MAX_DEPTH)
				rc = load_dir(s, cap, fs_path, url, depth + 1, err, errlen);
			continue;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		if (s->n >= HTTP_SITE_MAX_FILES) {
			snprintf(err, errlen, "%s holds more than %d files, the most the http "
				 "service serves", s->root, HTTP_SITE_MAX_FILES);
			rc = -EFBIG;
			break;
		}
		if ((uint64_t)sb.st_size > HTTP_SITE_MAX_BYTES - s->bytes) {
			snprintf(err, errlen, "file %s is too large: the http service holds at "
				 "most %llu MiB in all (%" PRIu64 " MiB read before it, file %"
				 PRIu64 " MiB)", fs_path, HTTP_SITE_MAX_BYTES >> 20, s->bytes >> 20,
				 (uint64_t)sb.st_size >> 20);
			rc = -EFBIG;
			break;
		}
		if (s->n == *cap) {
			unsigned ncap = *cap ? *cap * 2 : 16;
			struct http_file *nf = realloc(s->files, ncap * sizeof(*nf));

			if (nf == NULL) {
				snprintf(err, errlen, "out of memory");
				rc = -ENOMEM;
				break;
			}
			s->files = nf;
			*cap = ncap;
		}
		f = &s->files[s->n];
		memset(f, 0, sizeof(*f));
		f->path = strdup(url);
		if (f->path == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -ENOMEM;
			break;
		}
		rc = read_file(fs_path, &sb, f, err, errlen);
		if (rc < 0) {
			free(f->path);
			free(f->data);
			break;
		}
		f->ctype = http_content_type(f->path);
		s->bytes += f->len;
		s->n++;
	}
	closedir(d);
	return rc;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct http_file *)a)->path, ((const struct http_file *)b)->path);
}

int http_site_load(struct http_site *s, const char *root, char *err, size_t errlen)
{
	struct stat sb;
	unsigned cap = 0;
	size_t rl = strlen(root);
	int rc;

	memset(s, 0, sizeof(*s));
	if (rl == 0 || rl >= sizeof(s->root)) {
		snprintf(err, errlen, "root directory name is empty or too long");
		return -EINVAL;
	}
	if (stat(root, &sb) != 0) {
		int e = errno;

		snprintf(err, errlen, "root %s: %s", root, strerror(e));
		return -e;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "root %s is not a directory", root);
		return -ENOTDIR;
	}
	/* "/srv/www/" and "/srv/www" are the same root */
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	memcpy(s->root, root, rl);
	s->root[rl] = '\0';
	rc = load_dir(s, &cap, s->root, "", 0, err, errlen);
	if (rc < 0) {
		http_site_free(s);
		return rc;
	}
	if (s->n > 1)
		qsort(s->files, s->n, sizeof(*s->files), file_cmp);
	return 0;
}

const struct http_file *http_site_find(const struct http_site *s, const char *path)
{
	char idx[HTTP_PATH_MAX + 16];
	struct http_file key;
	size_t n = strlen(path);

	if (n > 0 && path[n - 1] == '/') {
		snprintf(idx, sizeof(idx), "%sindex.html", path);
		path = idx;
	}
	key.path = (char *)(uintptr_t)path;
	return s->n == 0 ? NULL : bsearch(&key, s->files, s->n, sizeof(*s->files), file_cmp);
}

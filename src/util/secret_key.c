/* secret_key.c: see secret_key.h. */
#include "secret_key.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "config.h"
#include "fsutil.h"
#include "xalloc.h"

#define NEW_KEY_BYTES 32

/* Defaults that shipped in this project, in Pipelit and in the usual
 * examples: anyone can read them, so nobody may sign with them. */
static const char *const known_defaults[] = {
	"change-me-in-production", "change-me", "changeme", "change_me", "changeit",
	"secret", "secret-key", "secret_key", "your-secret-key", "your_secret_key",
	"your-secret-key-here", "dev", "development", "insecure", "test", "default",
	"django-insecure", "supersecret", "please-change-me", NULL,
};

int
secret_key_is_known_default(const char *key)
{
	for (const char *const *d = known_defaults; *d != NULL; d++)
		if (strcasecmp(key, *d) == 0)
			return 1;
	return 0;
}

static char *
path_in(const char *data_dir)
{
	return xasprintf("%s/%s", data_dir, SECRET_KEY_FILE);
}

static char *
trimmed(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return n > 0 ? xstrndup(s, n) : NULL;
}

char *
secret_key_read_stored(const char *data_dir)
{
	char *path = path_in(data_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return NULL;
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 ? trimmed(buf, (size_t)n) : NULL;
}

static char *
random_key(void)
{
	unsigned char raw[NEW_KEY_BYTES];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		got += (size_t)n;
	}
	char *hex = xmalloc(2 * sizeof(raw) + 1);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof(raw));
	return hex;
}

/* Writes key to a new file at path (0600); 0, 1 when it already exists,
 * or -1 with errno. */
static int
write_new(const char *path, const char *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? 1 : -1;
	size_t len = strlen(key);
	int rc = write(fd, key, len) == (ssize_t)len && write(fd, "\n", 1) == 1 &&
			 fsync(fd) == 0 ? 0 : -1;
	int saved = errno;
	close(fd);
	if (rc != 0)
		unlink(path);
	errno = saved;
	return rc;
}

int
secret_key_provision(struct config *cfg, char **err)
{
	*err = NULL;
	if (cfg->secret_key != NULL)
		return 0;
	char *path = path_in(cfg->data_dir);
	char *key = random_key();
	int rc = -1;
	if (key == NULL) {
		*err = xstrdup("cannot generate SECRET_KEY: no randomness from the kernel");
	} else if (fs_make_parent_dirs(path) != 0) {
		*err = xasprintf("cannot create %s for the generated SECRET_KEY: %s", cfg->data_dir,
				 strerror(errno));
	} else {
		int w = write_new(path, key);
		if (w < 0)
			*err = xasprintf("cannot write the generated SECRET_KEY to %s: %s (set "
					 "SECRET_KEY instead)", path, strerror(errno));
		else
			rc = 0;
	}
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(key);
	if (rc == 0) {
		/* Whoever created the file first decides the key. */
		cfg->secret_key = secret_key_read_stored(cfg->data_dir);
		if (cfg->secret_key == NULL) {
			*err = xasprintf("%s is empty; remove it or set SECRET_KEY", path);
			rc = -1;
		}
	}
	free(path);
	return rc;
}

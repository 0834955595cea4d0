/*
 * fuzz_conf: the configuration parser on arbitrary file contents (through
 * a memfd, as conf_load reads a path), with no environment overrides.
 * Invariants: a refusal explains itself with "file:line:"-style text; an
 * accepted configuration has its bounded values within their bounds.
 */
#include "config.h"

#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *no_env[] = { NULL };
	char path[64], err[512];
	struct conf *c;
	int fd = memfd_create("fuzz.conf", 0);

	FUZZ_ASSERT(fd >= 0, "memfd_create");
	FUZZ_ASSERT(write(fd, data, size) == (ssize_t)size, "write");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err[0] = '\0';
	c = conf_load(path, no_env, err, sizeof(err));
	if (c == NULL) {
		FUZZ_ASSERT(err[0] != '\0', "refused without a reason");
	} else {
		FUZZ_ASSERT(c->workers >= 1 && c->workers <= CONF_MAX_WORKERS, "workers %d",
		    c->workers);
		FUZZ_ASSERT(c->listen != NULL && c->listen[0] != '\0', "empty listen");
		FUZZ_ASSERT(strlen(c->listen) <= 107, "listen too long");
		conf_free(c);
	}
	close(fd);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * skas0, host side: the stub executable every backing process is born
 * from.
 *
 * The kernel carries the stub's ELF image in memory; at boot it is written
 * once to a memfd (or, where the host refuses to execute memfds, to a file
 * in a directory that allows it, unlinked at once) and kept as a read-only
 * descriptor that execveat() can run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <skas.h>
#include "stub_host.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC	0x1U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC	0x10U	/* Linux 6.3: executable despite vm.memfd_noexec */
#endif

/* Descriptor of the stub executable, kept read-only so exec accepts it. */
int skas_stub_image_fd = -1;
static const char *stub_image_where = "nowhere";

static int write_whole(int fd, const char *buf, unsigned long len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * exec refuses a file that is open for writing (ETXTBSY), so the image is
 * written through one descriptor and kept through a read-only one, placed
 * high so it never collides with the descriptors a child rearranges.
 */
static int keep_readonly(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int high;

	if (fd < 0)
		return -errno;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 64);
	close(fd);
	return high < 0 ? -errno : high;
}

/*
 * vm.memfd_noexec=1 makes memfds non-executable unless MFD_EXEC is asked
 * for; =2 refuses MFD_EXEC (EACCES).  Hosts before 6.3 know no MFD_EXEC
 * (EINVAL) and every memfd is executable there.
 */
static int memfd_executable(void)
{
	int fd = syscall(SYS_memfd_create, "skas0-stub", MFD_CLOEXEC | MFD_EXEC);

	if (fd < 0 && errno == EINVAL)
		fd = syscall(SYS_memfd_create, "skas0-stub", MFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int image_from_memfd(const void *elf, unsigned long len)
{
	char path[64];
	int fd, ro, err;

	fd = memfd_executable();
	if (fd < 0)
		return fd;
	err = write_whole(fd, elf, len);
	if (err)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = keep_readonly(path);
	err = ro < 0 ? ro : 0;
	if (!err)
		skas_stub_image_fd = ro;
out:
	close(fd);
	return err;
}

static int image_from_dir(const char *dir, const void *elf, unsigned long len)
{
	char path[512];
	int fd, ro, err;

	if (snprintf(path, sizeof(path), "%s/skas0-stub-XXXXXX", dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	err = write_whole(fd, elf, len);
	if (!err && fchmod(fd, 0500))
		err = -errno;
	close(fd);
	ro = err ? err : keep_readonly(path);
	unlink(path);
	if (ro < 0)
		return ro;
	skas_stub_image_fd = ro;
	return 0;
}

/* Load the stub executable from memory into a memfd (dir == NULL) or dir. */
int skas_stub_image_load(const void *elf, unsigned long len, const char *dir)
{
	int err;

	if (skas_stub_image_fd >= 0) {
		close(skas_stub_image_fd);
		skas_stub_image_fd = -1;
	}
	err = dir ? image_from_dir(dir, elf, len) : image_from_memfd(elf, len);
	if (!err)
		stub_image_where = dir ? dir : "memfd";
	return err;
}

const char *skas_stub_image_kind(void)
{
	return stub_image_where;
}

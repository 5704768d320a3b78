// SPDX-License-Identifier: GPL-2.0
/*
 * skas0: where guest physical memory lives on the host.
 *
 * Guest memory is one file, mapped shared by the kernel and by every
 * backing process, so it must be on tmpfs (or it is written back to disk),
 * allow PROT_EXEC mappings (guest code runs from it) and have room for
 * mem=.  $TMPDIR, else /dev/shm, is checked for all three; when it falls
 * short (Docker mounts a 64 MB noexec /dev/shm) guest memory goes into a
 * memfd instead, which has none of these limits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <init.h>
#include <kern_util.h>
#include <os.h>
#include "probe.h"

/* For KASAN: anonymous, zeroed shadow memory at a fixed place. */
void kasan_map_memory(void *start, size_t len)
{
	void *p = mmap(start, len, PROT_READ | PROT_WRITE,
		       MAP_FIXED | MAP_ANONYMOUS | MAP_PRIVATE | MAP_NORESERVE,
		       -1, 0);

	if (p == MAP_FAILED) {
		os_info("Couldn't allocate KASAN shadow memory: %s\n",
			strerror(errno));
		exit(1);
	}
}

/* Chosen by the first create_mem_file(): a directory, or NULL for memfd. */
static char *mem_dir;
static int mem_place_chosen;

static int open_unlinked_in(const char *dir)
{
	char path[512];
	int fd;

	fd = open(dir, O_RDWR | O_TMPFILE | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EINVAL && errno != EISDIR &&
			errno != EOPNOTSUPP))
		return fd < 0 ? -errno : fd;

	if (snprintf(path, sizeof(path), "%s/vm_file-XXXXXX", dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

static int open_mem_file(const char *dir, unsigned long long len)
{
	int fd = dir ? open_unlinked_in(dir) :
		syscall(SYS_memfd_create, "uml-physmem", MFD_CLOEXEC);

	if (fd < 0)
		return dir ? fd : -errno;
	if (ftruncate(fd, len) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	os_set_exec_close(fd);
	return fd;
}

/* Can guest code run from a page of this file? */
static int exec_map_works(int fd)
{
	void *p = mmap(NULL, UM_KERN_PAGE_SIZE, PROT_READ | PROT_EXEC,
		       MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, UM_KERN_PAGE_SIZE);
	return 0;
}

/* Each check prints its line; returns 0 when dir is fit for len bytes. */
static int dir_is_fit(const char *dir, unsigned long long len)
{
	struct statfs fs;
	struct statvfs vfs;
	unsigned long long room;
	int fd, err;

	probe_begin("that %s is on tmpfs", dir);
	if (statfs(dir, &fs) < 0) {
		probe_note("failed: %s\n", strerror(errno));
		return -1;
	}
	if (fs.f_type != TMPFS_MAGIC) {
		probe_note("no (guest memory would be written to disk)\n");
		return -1;
	}
	probe_ok();

	probe_begin("PROT_EXEC mmap in %s", dir);
	fd = open_mem_file(dir, UM_KERN_PAGE_SIZE);
	err = fd < 0 ? fd : exec_map_works(fd);
	if (fd >= 0)
		close(fd);
	if (err) {
		probe_note("failed: %s%s\n", strerror(-err),
			   err == -EPERM ? " (mounted noexec)" : "");
		return -1;
	}
	probe_ok();

	probe_begin("that %s has room for %llu MB of guest memory", dir,
		    len >> 20);
	if (statvfs(dir, &vfs) < 0) {
		probe_note("failed: %s\n", strerror(errno));
		return -1;
	}
	room = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	if (room < len) {
		probe_note("failed: only %llu MB free\n", room >> 20);
		return -1;
	}
	probe_ok();
	return 0;
}

static void choose_mem_place(unsigned long long len)
{
	const char *dir = getenv("TMPDIR");
	int fd, err;

	mem_place_chosen = 1;
	if (!dir || !*dir)
		dir = "/dev/shm";
	if (!dir_is_fit(dir, len)) {
		mem_dir = strdup(dir);
		return;
	}

	probe_begin("for a memfd to hold guest memory instead of %s", dir);
	fd = open_mem_file(NULL, UM_KERN_PAGE_SIZE);
	err = fd < 0 ? fd : exec_map_works(fd);
	if (fd >= 0)
		close(fd);
	if (err)
		probe_fatal("%s; set TMPDIR to a tmpfs directory that is not mounted noexec and has room for mem=",
			    strerror(-err));
	probe_ok();
}

int __init create_mem_file(unsigned long long len)
{
	int fd;

	if (!mem_place_chosen)
		choose_mem_place(len);

	fd = open_mem_file(mem_dir, len);
	if (fd < 0) {
		os_warn("Cannot create a %llu byte guest memory file in %s: %s\n",
			len, mem_dir ? mem_dir : "a memfd", strerror(-fd));
		exit(1);
	}
	return fd;
}
